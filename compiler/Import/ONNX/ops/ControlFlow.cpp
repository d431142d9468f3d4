//===- ControlFlow.cpp - ONNX If and Scan as data flow --------------------===//
//
// A static-shape program can evaluate both branches of an If whose outputs
// have the same static types and select between them: ONNX ops have no side
// effects, so the only cost is the untaken branch's work. A compile-time
// condition imports only the taken branch. Branch nodes are imported inline
// into the enclosing function (outer-scope names resolve as usual). Scan
// has a static trip count (a dimension of its inputs) and is unrolled; a
// Loop with a compile-time trip count is unrolled before import
// (UnrollLoops.h), and one that reaches this file gets its reason.
//
//===----------------------------------------------------------------------===//
#include "compiler/Import/ONNX/ImportContext.h"
#include "compiler/Import/ONNX/UnrollLoops.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::dlc;

namespace {

/// Imports `g` inline and returns its outputs' values.
LogicalResult inlineBranch(ImportContext &c, const onnx::GraphProto &g,
                           std::vector<Value> &outputs) {
  const onnx::NodeProto *self = c.node;
  for (const auto &vi : g.value_info())
    c.addValueInfo(vi);
  for (const auto &vi : g.output())
    c.addValueInfo(vi);
  LogicalResult result = c.importSubgraph(g);
  c.setNode(*self);
  if (failed(result))
    return failure();
  for (const auto &o : g.output()) {
    Value v = c.lookup(o.name());
    if (!v)
      return c.fail("branch '" + g.name() + "' produced no value for '" +
                    o.name() + "'");
    outputs.push_back(v);
  }
  return success();
}

LogicalResult importIf(ImportContext &c) {
  const onnx::GraphProto *thenG = c.attrGraph("then_branch");
  const onnx::GraphProto *elseG = c.attrGraph("else_branch");
  if (!thenG || !elseG || !c.hasInput(0))
    return c.fail("needs cond, then_branch and else_branch");
  if (thenG->output_size() != elseG->output_size() ||
      thenG->output_size() != static_cast<int>(c.numOutputs()))
    return c.fail("the branches' output counts differ from the node's");
  if (auto k = c.constInput(0)) {
    std::vector<Value> taken;
    if (failed(inlineBranch(c, k->ints().at(0) ? *thenG : *elseG, taken)))
      return failure();
    for (size_t i = 0; i < taken.size(); ++i)
      c.setOutput(i, taken[i]);
    return success();
  }
  Value cond = c.input(0);
  std::vector<Value> thenOut, elseOut;
  if (failed(inlineBranch(c, *thenG, thenOut)) ||
      failed(inlineBranch(c, *elseG, elseOut)))
    return failure();
  for (size_t i = 0; i < thenOut.size(); ++i) {
    auto t = cast<RankedTensorType>(thenOut[i].getType());
    if (t != elseOut[i].getType())
      return c.fail("output " + std::to_string(i) +
                    " has different types in the two branches; a run-time "
                    "condition needs equal static types");
    Value flag = c.reshape(cond, SmallVector<int64_t>(t.getRank(), 1));
    c.setOutput(i, tosa::SelectOp::create(c.b, t, flag, thenOut[i], elseOut[i]));
  }
  return success();
}

/// Scan (opset 9+; opset 8 adds a leading batch axis): the trip count is a
/// static dimension, so the body is unrolled, one inline copy per step,
/// with the state threaded through and scan outputs stacked at the end.
/// `stateIn`/`scanIn` are the per-batch operands; results land in
/// `stateOut`/`scanOut` (stacked along each scan output axis).
LogicalResult unrollScan(ImportContext &c, const onnx::GraphProto &body,
                         std::vector<Value> state, std::vector<Value> scanIn,
                         const std::vector<int64_t> &inAxes,
                         const std::vector<int64_t> &inDirs,
                         const std::vector<int64_t> &outAxes,
                         const std::vector<int64_t> &outDirs,
                         std::vector<Value> &stateOut,
                         std::vector<Value> &scanOut) {
  const onnx::NodeProto *self = c.node;
  size_t nState = state.size(), nScan = scanIn.size();
  if (body.input_size() != int(nState + nScan) || body.output_size() < int(nState))
    return c.fail("the body's inputs do not match the state and scan inputs");
  size_t nOut = body.output_size() - nState;
  int64_t steps = -1;
  for (size_t j = 0; j < nScan; ++j) {
    auto t = cast<RankedTensorType>(scanIn[j].getType());
    int64_t n = t.getDimSize(inAxes[j]);
    if (steps >= 0 && n != steps)
      return c.fail("scan inputs have different lengths");
    steps = n;
  }
  if (steps <= 0)
    return c.fail("a Scan needs at least one non-empty scan input");
  int64_t bodyNodes = countSubgraphNodes(body);
  int64_t perStep = bodyNodes + int64_t(nScan + nOut) + 1, total;
  if (__builtin_mul_overflow(steps, perStep, &total) ||
      total > c.limits.maxUnrolledNodes)
    return c.fail("unrolling its " + std::to_string(steps) +
                  " steps of a " + std::to_string(bodyNodes) +
                  "-node body exceeds the nodes left to unroll "
                  "(--max-unrolled-nodes)");
  c.limits.maxUnrolledNodes -= total;
  for (const auto &vi : body.value_info())
    c.addValueInfo(vi);
  // Bodies rarely carry shapes: infer them from the bound operand types.
  SmallVector<Type> bodyTypes;
  for (Value v : state)
    bodyTypes.push_back(v.getType());
  for (size_t j = 0; j < nScan; ++j) {
    auto in = cast<RankedTensorType>(scanIn[j].getType());
    SmallVector<int64_t> shape(in.getShape());
    shape.erase(shape.begin() + inAxes[j]);
    bodyTypes.push_back(in.clone(shape));
  }
  c.inferSubgraphTypes(body, bodyTypes);
  std::vector<std::vector<Value>> collected(nOut);
  for (int64_t t = 0; t < steps; ++t) {
    for (const auto &n : body.node())
      for (const auto &o : n.output())
        c.forget(o);
    for (size_t i = 0; i < nState; ++i) {
      c.forget(body.input(i).name());
      c.bindValue(body.input(i).name(), state[i]);
    }
    for (size_t j = 0; j < nScan; ++j) {
      auto in = cast<RankedTensorType>(scanIn[j].getType());
      int64_t at = inDirs[j] ? steps - 1 - t : t;
      SmallVector<int64_t> begin(in.getRank(), 0), size(in.getShape());
      begin[inAxes[j]] = at;
      size[inAxes[j]] = 1;
      Value slice = c.slice(scanIn[j], begin, size);
      size.erase(size.begin() + inAxes[j]);
      const std::string &name = body.input(nState + j).name();
      c.forget(name);
      c.bindValue(name, c.reshape(slice, size));
    }
    LogicalResult r = c.importSubgraph(body);
    c.setNode(*self);
    if (failed(r))
      return failure();
    for (size_t i = 0; i < nState + nOut; ++i) {
      Value v = c.lookup(body.output(i).name());
      if (!v)
        return c.fail("the body produced no value for '" +
                      body.output(i).name() + "'");
      if (i < nState)
        state[i] = v;
      else
        collected[i - nState].push_back(v);
    }
  }
  stateOut = state;
  for (size_t k = 0; k < nOut; ++k) {
    std::vector<Value> parts = collected[k];
    if (outDirs[k])
      std::reverse(parts.begin(), parts.end());
    auto et = cast<RankedTensorType>(parts[0].getType());
    int64_t axis = outAxes[k] < 0 ? outAxes[k] + et.getRank() + 1 : outAxes[k];
    SmallVector<int64_t> shape(et.getShape());
    shape.insert(shape.begin() + axis, 1);
    SmallVector<Value> expanded;
    for (Value p : parts)
      expanded.push_back(c.reshape(p, shape));
    shape[axis] = steps;
    auto type = RankedTensorType::get(shape, et.getElementType());
    scanOut.push_back(expanded.size() == 1
                          ? expanded[0]
                          : Value(tosa::ConcatOp::create(
                                c.b, type, expanded, c.b.getI32IntegerAttr(axis))));
  }
  return success();
}

LogicalResult importScan(ImportContext &c) {
  const onnx::GraphProto *body = c.attrGraph("body");
  if (!body)
    return c.fail("needs a body");
  bool v8 = c.opset < 9;
  unsigned first = v8 ? 1 : 0; // Scan-8: optional sequence_lens first.
  if (v8 && c.hasInput(0))
    return c.fail("sequence_lens is not supported");
  int64_t nScan = c.attrInt("num_scan_inputs", 0);
  int64_t nInputs = int64_t(c.numInputs()) - first;
  if (nScan <= 0 || nScan > nInputs)
    return c.fail("num_scan_inputs does not match the inputs");
  int64_t nState = nInputs - nScan;
  if (nState < 0)
    return c.fail("num_scan_inputs does not match the inputs");
  int64_t nOut = int64_t(c.numOutputs()) - nState;
  auto ints = [&](const char *name, size_t n, int64_t dflt) {
    std::vector<int64_t> v = c.attrInts(name);
    if (v.empty())
      v.assign(n, dflt);
    return v;
  };
  std::vector<int64_t> inAxes = ints("scan_input_axes", nScan, 0),
                       inDirs = ints(v8 ? "directions" : "scan_input_directions",
                                     nScan, 0),
                       outAxes = ints("scan_output_axes", nOut, 0),
                       outDirs = ints("scan_output_directions", nOut, 0);
  if (nOut < 0 || body->input_size() != nState + nScan ||
      body->output_size() != nState + nOut ||
      int64_t(inAxes.size()) != nScan || int64_t(inDirs.size()) != nScan ||
      int64_t(outAxes.size()) != nOut || int64_t(outDirs.size()) != nOut)
    return c.fail("the body's inputs and outputs or the scan attributes do "
                  "not match num_scan_inputs and the node's operands");
  std::vector<Value> state, scan;
  for (int64_t i = 0; i < nInputs; ++i) {
    Value v = c.input(first + i);
    if (!v)
      return c.fail("input " + std::to_string(first + i) + " is missing");
    (i < nState ? state : scan).push_back(v);
  }
  for (size_t j = 0; j < scan.size(); ++j) {
    int64_t rank = cast<RankedTensorType>(scan[j].getType()).getRank();
    if (inAxes[j] < 0)
      inAxes[j] += rank;
    if (inAxes[j] < 0 || inAxes[j] >= rank)
      return c.fail("scan input " + std::to_string(j) +
                    " has no axis " + std::to_string(inAxes[j]));
  }
  std::vector<Value> stateOut, scanOut;
  if (!v8) {
    if (failed(unrollScan(c, *body, state, scan, inAxes, inDirs, outAxes,
                          outDirs, stateOut, scanOut)))
      return failure();
  } else {
    // Scan-8: every operand has a leading batch axis; the sequence axis
    // follows it. Unroll per batch entry and stack the results.
    int64_t batch = cast<RankedTensorType>(scan[0].getType()).getDimSize(0);
    std::vector<std::vector<Value>> st(state.size()), so(nOut);
    auto row = [&](Value v, int64_t b) {
      auto t = cast<RankedTensorType>(v.getType());
      SmallVector<int64_t> begin(t.getRank(), 0), size(t.getShape());
      begin[0] = b;
      size[0] = 1;
      Value s = c.slice(v, begin, size);
      size.erase(size.begin());
      return c.reshape(s, size);
    };
    for (int64_t b = 0; b < batch; ++b) {
      std::vector<Value> s, x, sOut, xOut;
      for (Value v : state)
        s.push_back(row(v, b));
      for (Value v : scan)
        x.push_back(row(v, b));
      if (failed(unrollScan(c, *body, s, x, std::vector<int64_t>(nScan, 0),
                            inDirs, std::vector<int64_t>(nOut, 0),
                            std::vector<int64_t>(nOut, 0), sOut, xOut)))
        return failure();
      for (size_t i = 0; i < sOut.size(); ++i)
        st[i].push_back(sOut[i]);
      for (size_t k = 0; k < xOut.size(); ++k)
        so[k].push_back(xOut[k]);
    }
    auto stack = [&](const std::vector<Value> &parts) -> Value {
      auto et = cast<RankedTensorType>(parts[0].getType());
      SmallVector<int64_t> shape(et.getShape());
      shape.insert(shape.begin(), 1);
      SmallVector<Value> expanded;
      for (Value p : parts)
        expanded.push_back(c.reshape(p, shape));
      shape[0] = parts.size();
      if (expanded.size() == 1)
        return expanded[0];
      return tosa::ConcatOp::create(
          c.b, RankedTensorType::get(shape, et.getElementType()), expanded,
          c.b.getI32IntegerAttr(0));
    };
    for (auto &parts : st)
      stateOut.push_back(stack(parts));
    for (auto &parts : so)
      scanOut.push_back(stack(parts));
  }
  for (size_t i = 0; i < stateOut.size(); ++i)
    c.setOutput(i, stateOut[i]);
  for (size_t k = 0; k < scanOut.size(); ++k)
    c.setOutput(stateOut.size() + k, scanOut[k]);
  return success();
}

/// A Loop reaches the importer only if the folder could not unroll it
/// (UnrollLoops.h): this says why.
LogicalResult importLoop(ImportContext &c) {
  std::optional<int64_t> trips;
  if (c.hasInput(0))
    if (auto k = c.constInput(0); k && k->numElements() == 1)
      trips = k->ints()[0];
  std::optional<bool> cond = true;
  if (c.hasInput(1)) {
    auto k = c.constInput(1);
    cond = k && k->numElements() == 1 ? std::optional<bool>(k->ints()[0] != 0)
                                      : std::nullopt;
  }
  std::string why =
      whyNotUnrollable(*c.node, trips, cond, c.limits.maxUnrolledNodes);
  return c.fail(why.empty() ? "was not unrolled: earlier loops used up the "
                              "nodes --max-unrolled-nodes allows"
                            : why);
}

} // namespace

void mlir::dlc::appendControlFlowHandlers(std::vector<OpHandler> &t) {
  t.push_back({"If", 1, importIf});
  t.push_back({"Scan", 8, importScan});
  t.push_back({"Loop", 1, importLoop});
}

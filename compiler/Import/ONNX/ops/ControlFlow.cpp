//===- ControlFlow.cpp - ONNX If as data flow -----------------------------===//
//
// A static-shape program can evaluate both branches of an If whose outputs
// have the same static types and select between them: ONNX ops have no side
// effects, so the only cost is the untaken branch's work. A compile-time
// condition imports only the taken branch. Branch nodes are imported inline
// into the enclosing function (outer-scope names resolve as usual).
//
//===----------------------------------------------------------------------===//
#include "compiler/Import/ONNX/ImportContext.h"

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

} // namespace

void mlir::dlc::appendControlFlowHandlers(std::vector<OpHandler> &t) {
  t.push_back({"If", 1, importIf});
}

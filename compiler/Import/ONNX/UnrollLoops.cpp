//===- UnrollLoops.cpp - ONNX Loop with a compile-time trip count ---------===//
//
// Loop(M, cond, v...) runs `for (i = 0; i < M && cond; ++i) (cond, v...,
// scan...) = body(i, cond, v...)`. With M known, the body is written out M
// times into the main graph: iteration i's copy reads the constant i, the
// previous copy's carried values, and outer-scope names as they are; its
// local names get a prefix of the loop's and the iteration's. Scan outputs
// are unsqueezed and concatenated. A body that computes its condition (a
// while loop with a bound) keeps the condition as data: `active` is the AND
// of the conditions so far, and each copy's carried values are selected
// with it, so iterations after the condition turns false change nothing.
// The folder then evaluates the conditions where they are constants.
//
// Written on the ModelProto, not in MLIR, so that the folder and ONNX's
// shape inference see each iteration separately: an iteration number used
// as a Slice bound or Gather index becomes a constant, and carried values
// may grow from one iteration to the next.
//
//===----------------------------------------------------------------------===//
#include "compiler/Import/ONNX/UnrollLoops.h"

#include "onnx/onnx_pb.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

using namespace mlir::dlc;
using onnx::GraphProto;
using onnx::NodeProto;
using onnx::TensorProto;
using Nodes = google::protobuf::RepeatedPtrField<NodeProto>;

namespace {

bool isAiOnnx(const NodeProto &n) {
  return n.domain().empty() || n.domain() == "ai.onnx";
}

const GraphProto *bodyOf(const NodeProto &n) {
  for (const auto &a : n.attribute())
    if (a.name() == "body" && a.has_g())
      return &a.g();
  return nullptr;
}

/// The value of a one-element BOOL/INT32/INT64 tensor stored in the proto.
std::optional<int64_t> scalarValue(const TensorProto &t) {
  if (t.data_location() == TensorProto::EXTERNAL || t.dims_size() > 1 ||
      (t.dims_size() == 1 && t.dims(0) != 1))
    return std::nullopt;
  auto raw = [&](size_t bytes) -> std::optional<int64_t> {
    if (t.raw_data().size() != bytes)
      return std::nullopt;
    int64_t v = 0;
    if (bytes == 8) {
      std::memcpy(&v, t.raw_data().data(), 8);
    } else if (bytes == 4) {
      int32_t w;
      std::memcpy(&w, t.raw_data().data(), 4);
      v = w;
    } else {
      v = t.raw_data()[0] != 0;
    }
    return v;
  };
  switch (t.data_type()) {
  case TensorProto::INT64:
    if (t.has_raw_data())
      return raw(8);
    return t.int64_data_size() == 1 ? std::optional<int64_t>(t.int64_data(0))
                                    : std::nullopt;
  case TensorProto::INT32:
  case TensorProto::BOOL:
    if (t.has_raw_data())
      return raw(t.data_type() == TensorProto::BOOL ? 1 : 4);
    if (t.int32_data_size() != 1)
      return std::nullopt;
    return t.data_type() == TensorProto::BOOL ? int64_t(t.int32_data(0) != 0)
                                              : int64_t(t.int32_data(0));
  default:
    return std::nullopt;
  }
}

const TensorProto *constantValue(const NodeProto &n) {
  if (!isAiOnnx(n) || n.op_type() != "Constant")
    return nullptr;
  for (const auto &a : n.attribute())
    if (a.name() == "value" && a.has_t())
      return &a.t();
  return nullptr;
}

/// Whether the body hands its condition on unchanged (a for loop): the
/// cond output is the cond input, an Identity of it, or the constant true.
bool condPassesThrough(const GraphProto &body) {
  const std::string &in = body.input(1).name(), &out = body.output(0).name();
  if (in == out)
    return true;
  for (const auto &n : body.node()) {
    if (n.output_size() != 1 || n.output(0) != out)
      continue;
    if (isAiOnnx(n) && n.op_type() == "Identity")
      return n.input_size() == 1 && n.input(0) == in;
    const TensorProto *t = constantValue(n);
    auto v = t ? scalarValue(*t) : std::nullopt;
    return v && *v != 0;
  }
  return false;
}

/// Renames, in a subgraph of the body, the names it reads from the body.
void renameFree(GraphProto &g, const std::map<std::string, std::string> &m) {
  std::set<std::string> local;
  for (const auto &vi : g.input())
    local.insert(vi.name());
  for (const auto &t : g.initializer())
    local.insert(t.name());
  for (const auto &n : g.node())
    local.insert(n.output().begin(), n.output().end());
  auto rename = [&](std::string *name) {
    if (local.count(*name))
      return;
    auto it = m.find(*name);
    if (it != m.end())
      *name = it->second;
  };
  for (auto &n : *g.mutable_node()) {
    for (auto &in : *n.mutable_input())
      rename(&in);
    for (auto &a : *n.mutable_attribute()) {
      if (a.has_g())
        renameFree(*a.mutable_g(), m);
      for (auto &sg : *a.mutable_graphs())
        renameFree(sg, m);
    }
  }
  for (auto &vi : *g.mutable_output())
    rename(vi.mutable_name());
}

/// Writes the unrolled form of one Loop.
class Unroller {
public:
  Unroller(const NodeProto &loop, int64_t opset, Nodes &out)
      : loop(loop), body(*bodyOf(loop)), opset(opset), out(out) {
    for (const auto &o : loop.output())
      if (!o.empty()) {
        prefix = o;
        break;
      }
    if (prefix.empty())
      prefix = loop.name();
    prefix += "/unrolled/";
  }

  void run(int64_t trips, std::optional<bool> cond) {
    size_t nCarried = loop.input_size() - 2;
    size_t nScan = body.output_size() - 1 - nCarried;
    std::map<std::string, std::string> fixed;
    for (const auto &t : body.initializer()) {
      std::string name = prefix + "init/" + t.name();
      constant(name, t);
      fixed[t.name()] = name;
    }
    std::vector<std::string> carried(loop.input().begin() + 2,
                                     loop.input().end());
    // The condition: "" while it is statically true, else a value name
    // (a scalar, so that selecting with it keeps the carried shapes).
    std::string active;
    if (cond && !*cond)
      trips = 0;
    else if (!cond)
      active = scalar(loop.input(1));
    bool passThrough = condPassesThrough(body);
    std::vector<std::vector<std::string>> scans(nScan);
    for (int64_t t = 0; t < trips; ++t) {
      std::string at = prefix + std::to_string(t) + "/";
      std::map<std::string, std::string> m = fixed;
      if (!body.input(0).name().empty()) {
        constant(at + "iteration", tensor(TensorProto::INT64, {}, {t}));
        m[body.input(0).name()] = at + "iteration";
      }
      // (An empty name stands for an omitted input: it must stay unbound.)
      if (!body.input(1).name().empty())
        m[body.input(1).name()] = active.empty() ? trueValue() : active;
      for (size_t j = 0; j < nCarried; ++j)
        if (!body.input(2 + j).name().empty())
          m[body.input(2 + j).name()] = carried[j];
      for (const auto &n : body.node())
        for (const auto &o : n.output())
          if (!o.empty())
            m[o] = at + o;
      for (const auto &n : body.node()) {
        NodeProto *copy = out.Add();
        *copy = n;
        // (An unnamed node stays unnamed: messages then name its output.)
        if (!n.name().empty())
          copy->set_name(at + n.name());
        for (auto &in : *copy->mutable_input())
          in = lookup(m, in);
        for (auto &o : *copy->mutable_output())
          o = lookup(m, o);
        for (auto &a : *copy->mutable_attribute()) {
          if (a.has_g())
            renameFree(*a.mutable_g(), m);
          for (auto &sg : *a.mutable_graphs())
            renameFree(sg, m);
        }
      }
      for (size_t j = 0; j < nCarried; ++j) {
        std::string next = lookup(m, body.output(1 + j).name());
        carried[j] = active.empty()
                         ? next
                         : node("Where", {active, next, carried[j]},
                                at + "kept" + std::to_string(j));
      }
      if (!passThrough) {
        std::string c = scalar(lookup(m, body.output(0).name()));
        active = active.empty() ? c : node("And", {active, c}, at + "active");
      }
      for (size_t k = 0; k < nScan; ++k)
        scans[k].push_back(lookup(m, body.output(1 + nCarried + k).name()));
    }
    for (size_t j = 0; j < nCarried; ++j)
      if (!loop.output(j).empty())
        node("Identity", {carried[j]}, loop.output(j));
    for (size_t k = 0; k < nScan; ++k) {
      const std::string &result = loop.output(nCarried + k);
      if (result.empty())
        continue;
      std::vector<std::string> rows;
      for (size_t t = 0; t < scans[k].size(); ++t)
        rows.push_back(unsqueeze0(scans[k][t],
                                  scans[k].size() == 1
                                      ? result
                                      : prefix + std::to_string(t) + "/scan" +
                                            std::to_string(k)));
      if (rows.size() > 1) {
        NodeProto *concat = out.Add();
        concat->set_op_type("Concat");
        concat->set_name(prefix + "concat" + std::to_string(k));
        for (const auto &r : rows)
          concat->add_input(r);
        concat->add_output(result);
        auto *axis = concat->add_attribute();
        axis->set_name("axis");
        axis->set_type(onnx::AttributeProto::INT);
        axis->set_i(0);
      }
    }
  }

private:
  const NodeProto &loop;
  const GraphProto &body;
  int64_t opset;
  Nodes &out;
  std::string prefix, trueName, axesName, emptyShapeName;

  static std::string lookup(const std::map<std::string, std::string> &m,
                            const std::string &name) {
    auto it = m.find(name);
    return it == m.end() ? name : it->second;
  }

  void constant(const std::string &name, const TensorProto &value) {
    NodeProto *c = out.Add();
    c->set_op_type("Constant");
    c->set_name(name);
    c->add_output(name);
    auto *a = c->add_attribute();
    a->set_name("value");
    a->set_type(onnx::AttributeProto::TENSOR);
    *a->mutable_t() = value;
    a->mutable_t()->set_name(name);
  }

  std::string node(const char *op, std::vector<std::string> inputs,
                   const std::string &output) {
    NodeProto *n = out.Add();
    n->set_op_type(op);
    n->set_name(output + "/" + op);
    for (auto &in : inputs)
      n->add_input(in);
    n->add_output(output);
    return output;
  }

  /// A tensor of `dtype` (BOOL or INT64) with the given dims and values.
  static TensorProto tensor(int32_t dtype, std::vector<int64_t> dims,
                            std::vector<int64_t> values) {
    TensorProto t;
    t.set_data_type(dtype);
    for (int64_t d : dims)
      t.add_dims(d);
    for (int64_t v : values)
      dtype == TensorProto::BOOL ? t.add_int32_data(int32_t(v))
                                 : t.add_int64_data(v);
    return t;
  }

  /// A constant the whole loop shares, written on first use into `slot`.
  const std::string &shared(std::string &slot, const char *name,
                            const TensorProto &value) {
    if (slot.empty()) {
      slot = prefix + name;
      constant(slot, value);
    }
    return slot;
  }

  std::string trueValue() {
    return shared(trueName, "true", tensor(TensorProto::BOOL, {}, {1}));
  }

  /// `v` reshaped to a scalar (conditions may be [] or [1]).
  std::string scalar(const std::string &v) {
    const std::string &shape = shared(emptyShapeName, "scalar_shape",
                                      tensor(TensorProto::INT64, {0}, {}));
    return node("Reshape", {v, shape}, prefix + "scalar/" + v);
  }

  std::string unsqueeze0(const std::string &v, const std::string &result) {
    NodeProto *n = out.Add();
    n->set_op_type("Unsqueeze");
    n->set_name(result + "/Unsqueeze");
    n->add_input(v);
    if (opset >= 13) {
      n->add_input(
          shared(axesName, "axis0", tensor(TensorProto::INT64, {1}, {0})));
    } else {
      auto *a = n->add_attribute();
      a->set_name("axes");
      a->set_type(onnx::AttributeProto::INTS);
      a->add_ints(0);
    }
    n->add_output(result);
    return result;
  }
};

} // namespace

int64_t mlir::dlc::countSubgraphNodes(const GraphProto &g) {
  int64_t n = g.node_size();
  for (const auto &node : g.node())
    for (const auto &a : node.attribute()) {
      if (a.has_g())
        n += countSubgraphNodes(a.g());
      for (const auto &sg : a.graphs())
        n += countSubgraphNodes(sg);
    }
  return n;
}

std::string mlir::dlc::whyNotUnrollable(const NodeProto &loop,
                                        std::optional<int64_t> trips,
                                        std::optional<bool> cond,
                                        int64_t nodeBudget) {
  const GraphProto *body = bodyOf(loop);
  if (!body)
    return "needs a body";
  if (loop.input_size() < 2)
    return "needs the inputs M and cond (either may be empty)";
  int64_t nCarried = loop.input_size() - 2;
  if (body->input_size() != nCarried + 2 || body->output_size() < nCarried + 1 ||
      loop.output_size() != body->output_size() - 1)
    return "the body's inputs and outputs do not match the loop's: the body "
           "takes the iteration number, the condition and the " +
           std::to_string(nCarried) +
           " carried values, and gives the condition, the carried values and "
           "the scan outputs";
  for (int64_t j = 0; j < nCarried; ++j)
    if (loop.input(2 + j).empty())
      return "carried value " + std::to_string(j) + " has no initial value";
  if (body->sparse_initializer_size())
    return "sparse initializers in a loop body are not supported";
  if (!trips)
    return loop.input(0).empty()
               ? "has no trip count M: a loop that only ends on its condition "
                 "depends on data (only loops with a compile-time trip count "
                 "are compiled)"
               : "its trip count M is not known at compile time (data-"
                 "dependent control flow; pin the inputs it is computed from "
                 "with --input-value or --input-shape)";
  int64_t nScan = body->output_size() - 1 - nCarried;
  if (nScan > 0 && (!cond || !condPassesThrough(*body)))
    return "its condition is computed at run time and it has scan outputs, "
           "whose length would then depend on data";
  if (nScan > 0 && (*trips <= 0 || !*cond))
    return "runs no iterations but has scan outputs (empty tensors are not "
           "supported)";
  int64_t bodyNodes = countSubgraphNodes(*body);
  int64_t perTrip = bodyNodes + 3 * nCarried + nScan + 4, total;
  if (__builtin_mul_overflow(std::max<int64_t>(*trips, 0), perTrip, &total) ||
      total > nodeBudget) {
    std::string what = "unrolling its " + std::to_string(*trips) +
                       " iterations of a " + std::to_string(bodyNodes) +
                       "-node body exceeds the nodes left to unroll "
                       "(--max-unrolled-nodes)";
    // TorchScript writes `while` loops with M = INT64_MAX and the
    // condition computed in the body.
    if (!condPassesThrough(*body))
      return "ends on a condition computed in its body (a while loop whose "
             "iteration count depends on data), and " + what;
    return what;
  }
  return "";
}

int mlir::dlc::unrollStaticLoops(GraphProto &g, int64_t opset,
                                 int64_t &nodeBudget) {
  std::map<std::string, const TensorProto *> constants;
  for (const auto &t : g.initializer())
    constants[t.name()] = &t;
  for (const auto &n : g.node())
    if (const TensorProto *t = constantValue(n); t && n.output_size() == 1)
      constants[n.output(0)] = t;
  auto known = [&](const std::string &name) -> std::optional<int64_t> {
    auto it = constants.find(name);
    return it == constants.end() ? std::nullopt : scalarValue(*it->second);
  };
  Nodes kept;
  int count = 0;
  for (const auto &n : g.node()) {
    if (!isAiOnnx(n) || n.op_type() != "Loop" || n.input_size() < 2) {
      *kept.Add() = n;
      continue;
    }
    std::optional<int64_t> trips =
        n.input(0).empty() ? std::nullopt : known(n.input(0));
    std::optional<bool> cond;
    if (n.input(1).empty())
      cond = true;
    else if (auto v = known(n.input(1)))
      cond = *v != 0;
    if (!whyNotUnrollable(n, trips, cond, nodeBudget).empty()) {
      *kept.Add() = n;
      continue;
    }
    int before = kept.size();
    Unroller(n, opset, kept).run(std::max<int64_t>(*trips, 0), cond);
    nodeBudget -= kept.size() - before;
    ++count;
  }
  if (count)
    g.mutable_node()->Swap(&kept);
  return count;
}

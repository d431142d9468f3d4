//===- GraphValues.h - what the quantization planners know of a graph -----===//
//
// Shared by the int8 (InsertQDQ) and bf16 (InsertBF16) rewrites: node keys,
// subgraph walks, the graph's constants, types, ranks and consumers, and
// builders for the initializers and nodes they add.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_COMPILER_QUANT_GRAPHVALUES_H
#define DLC_COMPILER_QUANT_GRAPHVALUES_H

#include "onnx/onnx_pb.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace mlir::dlc::quant {

using onnx::TensorProto;

inline bool standard(const onnx::NodeProto &n) {
  return n.domain().empty() || n.domain() == "ai.onnx";
}

inline std::string keyOf(const onnx::NodeProto &n) {
  return !n.name().empty() ? n.name()
         : n.output_size()  ? n.output(0)
                            : n.op_type();
}

/// Calls `fn` on each subgraph attribute of `n` (If's branches, Loop's and
/// Scan's bodies).
template <typename Fn> void forEachSubgraph(const onnx::NodeProto &n, Fn fn) {
  for (const auto &a : n.attribute()) {
    if (a.has_g())
      fn(a.g());
    for (const auto &sg : a.graphs())
      fn(sg);
  }
}

/// Every value name a subgraph's nodes read, nested subgraphs included (a
/// superset of what it captures from the enclosing scope).
inline void subgraphReads(const onnx::GraphProto &g, std::set<std::string> &out) {
  for (const onnx::NodeProto &n : g.node()) {
    for (const std::string &in : n.input())
      out.insert(in);
    forEachSubgraph(n, [&](const onnx::GraphProto &sg) { subgraphReads(sg, out); });
  }
}

/// What the planner knows of the graph's values.
struct Values {
  std::map<std::string, const TensorProto *> consts;
  std::map<std::string, int32_t> types;
  std::map<std::string, int> ranks;
  std::map<std::string, std::vector<int>> consumers;
  std::set<std::string> graphOutputs, graphInputs;

  explicit Values(const onnx::GraphProto &g) {
    for (const TensorProto &t : g.initializer())
      consts[t.name()] = &t;
    auto note = [&](const onnx::ValueInfoProto &vi) {
      if (!vi.type().has_tensor_type())
        return;
      const auto &tt = vi.type().tensor_type();
      types[vi.name()] = tt.elem_type();
      bool static_ = tt.has_shape() &&
                     std::all_of(tt.shape().dim().begin(), tt.shape().dim().end(),
                                 [](const auto &d) { return d.has_dim_value(); });
      if (static_)
        ranks[vi.name()] = tt.shape().dim_size();
    };
    for (const auto &vi : g.input()) {
      note(vi);
      if (!consts.count(vi.name()))
        graphInputs.insert(vi.name());
    }
    for (const auto &vi : g.value_info())
      note(vi);
    for (const auto &vi : g.output()) {
      note(vi);
      graphOutputs.insert(vi.name());
    }
    for (int i = 0; i < g.node_size(); ++i) {
      const onnx::NodeProto &n = g.node(i);
      for (const std::string &in : n.input())
        if (!in.empty())
          consumers[in].push_back(i);
      // Values a subgraph (If, Loop, Scan) reads from this scope are read
      // by its node.
      std::set<std::string> captured;
      forEachSubgraph(n, [&](const onnx::GraphProto &sg) {
        subgraphReads(sg, captured);
      });
      for (const std::string &name : captured)
        consumers[name].push_back(i);
      // Constant nodes (ONNX's version converter writes Clip's bounds so).
      if (n.op_type() == "Constant" && n.output_size() == 1 &&
          n.attribute_size() == 1 && n.attribute(0).name() == "value" &&
          n.attribute(0).has_t())
        consts[n.output(0)] = &n.attribute(0).t();
    }
  }
  const TensorProto *floatConst(const std::string &name) const {
    auto it = consts.find(name);
    return it != consts.end() && it->second->data_type() == TensorProto::FLOAT
               ? it->second
               : nullptr;
  }
  /// Rank of a float activation with a static shape, or -1.
  int floatRank(const std::string &name) const {
    auto t = types.find(name);
    auto r = ranks.find(name);
    return t != types.end() && t->second == TensorProto::FLOAT &&
                   r != ranks.end()
               ? r->second
               : -1;
  }
};

inline TensorProto makeTensor(const std::string &name, int32_t type,
                       std::vector<int64_t> dims, std::string raw) {
  TensorProto t;
  t.set_name(name);
  t.set_data_type(type);
  for (int64_t d : dims)
    t.add_dims(d);
  t.set_raw_data(std::move(raw));
  return t;
}

template <typename T> std::string rawOf(const std::vector<T> &v) {
  return std::string(reinterpret_cast<const char *>(v.data()),
                     v.size() * sizeof(T));
}

inline onnx::NodeProto makeNode(const char *op, std::vector<std::string> ins,
                         const std::string &out, int64_t axis = -100) {
  onnx::NodeProto n;
  n.set_op_type(op);
  for (auto &i : ins)
    n.add_input(i);
  n.add_output(out);
  if (axis != -100) {
    auto *a = n.add_attribute();
    a->set_name("axis");
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(axis);
  }
  return n;
}


/// Removes the initializers among `replaced` that nothing reads any more,
/// in `g` or its subgraphs (graph outputs and inputs count as read: an old
/// model also lists its initializers as inputs).
inline void dropUnreadInitializers(onnx::GraphProto &g,
                                   const std::set<std::string> &replaced) {
  std::set<std::string> read;
  for (const auto &o : g.output())
    read.insert(o.name());
  for (const auto &i : g.input())
    read.insert(i.name());
  for (const auto &n : g.node()) {
    for (const auto &in : n.input())
      read.insert(in);
    forEachSubgraph(n, [&](const onnx::GraphProto &sg) {
      subgraphReads(sg, read);
    });
  }
  google::protobuf::RepeatedPtrField<TensorProto> kept;
  for (auto &t : *g.mutable_initializer())
    if (!replaced.count(t.name()) || read.count(t.name()))
      *kept.Add() = std::move(t);
  g.mutable_initializer()->Swap(&kept);
}

/// A fresh value name for each base, unused in `g` and by earlier calls.
class NameSource {
public:
  explicit NameSource(const onnx::GraphProto &g) {
    for (const auto &t : g.initializer())
      names.insert(t.name());
    for (const auto &n : g.node())
      for (const auto &o : n.output())
        names.insert(o);
    for (const auto &i : g.input())
      names.insert(i.name());
  }
  std::string operator()(const std::string &base) {
    std::string name = base;
    for (int i = 1; names.count(name); ++i)
      name = base + "_" + std::to_string(i);
    names.insert(name);
    return name;
  }

private:
  std::set<std::string> names;
};

} // namespace mlir::dlc::quant

#endif // DLC_COMPILER_QUANT_GRAPHVALUES_H

//===- FuseQDQ.cpp - QDQ patterns into integer ONNX operators -------------===//
//
// See FuseQDQ.h. Only patterns whose parameters are compile-time constants
// of the shapes the integer operator takes are rewritten; everything else
// stays as written (and runs as float arithmetic).
//
//===----------------------------------------------------------------------===//
#include "compiler/Import/ONNX/FuseQDQ.h"

#include "onnx/onnx_pb.h"
#include "llvm/ADT/STLExtras.h"

#include <array>

#include <map>
#include <set>
#include <string>

namespace mlir::dlc {
namespace {

using onnx::TensorProto;

struct Graph {
  onnx::GraphProto &g;
  std::map<std::string, const TensorProto *> consts;
  std::map<std::string, int> producer; // Output name -> node index.
  std::map<std::string, int> uses;     // Node inputs and graph outputs.
  std::map<std::string, int32_t> types;
  std::map<std::string, int> ranks;
  std::set<std::string> names; // Every value name, for fresh ones.

  explicit Graph(onnx::GraphProto &g) : g(g) {
    for (const TensorProto &t : g.initializer()) {
      consts[t.name()] = &t;
      types[t.name()] = t.data_type();
      names.insert(t.name());
    }
    auto typeOf = [&](const onnx::ValueInfoProto &vi) {
      names.insert(vi.name());
      if (!vi.type().has_tensor_type())
        return;
      types[vi.name()] = vi.type().tensor_type().elem_type();
      if (vi.type().tensor_type().has_shape())
        ranks[vi.name()] = vi.type().tensor_type().shape().dim_size();
    };
    for (const auto &vi : g.input())
      typeOf(vi);
    for (const auto &vi : g.value_info())
      typeOf(vi);
    for (const auto &vi : g.output()) {
      typeOf(vi);
      ++uses[vi.name()];
    }
    for (int i = 0; i < g.node_size(); ++i) {
      const onnx::NodeProto &n = g.node(i);
      for (const std::string &in : n.input())
        if (!in.empty())
          ++uses[in];
      for (const std::string &out : n.output()) {
        producer[out] = i;
        names.insert(out);
      }
      // Constant nodes' values (the folder makes most of them initializers).
      if (n.op_type() == "Constant" && n.output_size() == 1 &&
          n.attribute_size() == 1 && n.attribute(0).name() == "value" &&
          n.attribute(0).has_t()) {
        consts[n.output(0)] = &n.attribute(0).t();
        types[n.output(0)] = n.attribute(0).t().data_type();
      }
    }
  }

  const onnx::NodeProto *producerOf(const std::string &name,
                                    const char *opType) const {
    auto it = producer.find(name);
    if (it == producer.end())
      return nullptr;
    const onnx::NodeProto &n = g.node(it->second);
    bool standard = n.domain().empty() || n.domain() == "ai.onnx";
    return standard && n.op_type() == opType ? &n : nullptr;
  }
  const TensorProto *constant(const std::string &name) const {
    auto it = consts.find(name);
    return it == consts.end() ? nullptr : it->second;
  }
  /// The rank of a value, -1 if unknown.
  int rank(const std::string &name) const {
    if (const TensorProto *t = constant(name))
      return t->dims_size();
    auto it = ranks.find(name);
    return it == ranks.end() ? -1 : it->second;
  }
  int32_t type(const std::string &name) const {
    auto it = types.find(name);
    return it == types.end() ? 0 : it->second;
  }
  std::string fresh(const std::string &base) {
    std::string name = base;
    for (int i = 1; names.count(name); ++i)
      name = base + "_" + std::to_string(i);
    names.insert(name);
    return name;
  }
};

int64_t elements(const TensorProto &t) {
  int64_t n = 1;
  for (int64_t d : t.dims())
    n *= d;
  return n;
}

bool is8Bit(int32_t t) {
  return t == TensorProto::INT8 || t == TensorProto::UINT8;
}

int64_t attrInt(const onnx::NodeProto &n, const char *name, int64_t dflt) {
  for (const auto &a : n.attribute())
    if (a.name() == name)
      return a.i();
  return dflt;
}

bool hasAttr(const onnx::NodeProto &n, const char *name) {
  for (const auto &a : n.attribute())
    if (a.name() == name)
      return true;
  return false;
}

/// The (scale, zero point) of a DequantizeLinear/QuantizeLinear node when
/// both are constants with `count` elements (1: per tensor), float scales
/// and 8-bit zero points of the data's type; a missing zero point gets a
/// fresh zero initializer of `dataType`. Empty names when not.
struct QParams {
  std::string scale, zeroPoint;
};

QParams quantParams(Graph &gr, const onnx::NodeProto &n, int32_t dataType,
                    int64_t count, bool create) {
  if (n.input_size() < 2 || hasAttr(n, "block_size") ||
      hasAttr(n, "output_dtype") || !is8Bit(dataType))
    return {};
  const TensorProto *s = gr.constant(n.input(1));
  if (!s || s->data_type() != TensorProto::FLOAT || elements(*s) != count ||
      (count > 1 && s->dims_size() != 1))
    return {};
  if (n.input_size() > 2 && !n.input(2).empty()) {
    const TensorProto *z = gr.constant(n.input(2));
    if (!z || z->data_type() != dataType || elements(*z) != count)
      return {};
    return {n.input(1), n.input(2)};
  }
  if (!create)
    return {n.input(1), "(zero)"};
  TensorProto zero;
  zero.set_name(gr.fresh(n.input(1) + "_zero_point"));
  zero.set_data_type(dataType);
  if (count > 1)
    zero.add_dims(count);
  zero.set_raw_data(std::string(static_cast<size_t>(count), '\0'));
  std::string name = zero.name();
  *gr.g.add_initializer() = std::move(zero);
  return {n.input(1), name};
}

/// DQ(a) -> MatMul <- DQ(constant b, per tensor or per column) -> Q.
bool fuseMatMul(Graph &gr, int qIndex, std::set<int> &dead) {
  const onnx::NodeProto &q = gr.g.node(qIndex);
  const onnx::NodeProto *mm = gr.producerOf(q.input(0), "MatMul");
  if (!mm || gr.uses[q.input(0)] != 1 || q.output_size() != 1)
    return false;
  const onnx::NodeProto *dqa = gr.producerOf(mm->input(0), "DequantizeLinear");
  const onnx::NodeProto *dqb = gr.producerOf(mm->input(1), "DequantizeLinear");
  if (!dqa || !dqb)
    return false;
  const TensorProto *b = gr.constant(dqb->input(0));
  if (!b || b->dims_size() != 2)
    return false;
  int64_t n = b->dims(1);
  // Per column: DequantizeLinear along axis 1 of the [K, N] weights.
  int64_t bCount = 1;
  if (const TensorProto *bs = gr.constant(dqb->input(1));
      bs && elements(*bs) > 1) {
    int64_t axis = attrInt(*dqb, "axis", 1);
    if (axis != 1 && axis != -1)
      return false;
    bCount = n;
  }
  int32_t qType = q.input_size() > 2 && !q.input(2).empty()
                      ? gr.type(q.input(2))
                      : TensorProto::UINT8;
  // QLinearMatMul multiplies matrices (or stacks of them).
  if (gr.rank(dqa->input(0)) < 2)
    return false;
  auto params = [&](bool create) {
    return std::array<QParams, 3>{
        quantParams(gr, *dqa, gr.type(dqa->input(0)), 1, create),
        quantParams(gr, *dqb, b->data_type(), bCount, create),
        quantParams(gr, q, qType, 1, create)};
  };
  if (llvm::any_of(params(false),
                   [](const QParams &p) { return p.scale.empty(); }))
    return false;
  auto [pa, pb, py] = params(true);
  onnx::NodeProto fused;
  fused.set_op_type("QLinearMatMul");
  fused.set_name(q.name().empty() ? mm->name() : q.name());
  for (const std::string &in :
       {dqa->input(0), pa.scale, pa.zeroPoint, dqb->input(0), pb.scale,
        pb.zeroPoint, py.scale, py.zeroPoint})
    fused.add_input(in);
  fused.add_output(q.output(0));
  // The MatMul goes; the DequantizeLinear nodes stay for other readers
  // (unread ones import as dead code, which is dropped).
  dead.insert(gr.producer[q.input(0)]);
  *gr.g.mutable_node(qIndex) = std::move(fused);
  return true;
}

} // namespace

int fuseQDQ(onnx::GraphProto &g) {
  Graph gr(g);
  std::set<int> dead;
  int fused = 0;
  for (int i = 0; i < g.node_size(); ++i) {
    const onnx::NodeProto &n = g.node(i);
    if ((n.domain().empty() || n.domain() == "ai.onnx") &&
        n.op_type() == "QuantizeLinear" && n.input_size() >= 2)
      fused += fuseMatMul(gr, i, dead);
  }
  if (dead.empty())
    return fused;
  google::protobuf::RepeatedPtrField<onnx::NodeProto> kept;
  for (int i = 0; i < g.node_size(); ++i)
    if (!dead.count(i))
      *kept.Add() = std::move(*g.mutable_node(i));
  g.mutable_node()->Swap(&kept);
  return fused;
}

} // namespace mlir::dlc

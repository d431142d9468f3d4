//===- FuseQDQ.cpp - QDQ patterns into integer ONNX operators -------------===//
//
// See FuseQDQ.h. Only patterns whose parameters are compile-time constants
// of the shapes the integer operator takes are rewritten; everything else
// stays as written (and runs as float arithmetic).
//
//===----------------------------------------------------------------------===//
#include "compiler/Import/ONNX/FuseQDQ.h"
#include "compiler/Import/ONNX/FoldConstants.h"
#include "compiler/Import/ONNX/ImportContext.h"

#include "onnx/onnx_pb.h"
#include "llvm/ADT/STLExtras.h"

#include <array>
#include <cmath>

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

/// The (scale, zero point) of a DequantizeLinear/QuantizeLinear node when
/// both are constants with `count` elements (1: per tensor), float scales
/// and 8-bit zero points of the data's type; a missing zero point gets a
/// fresh zero initializer of `dataType`. Empty names when not.
struct QParams {
  std::string scale, zeroPoint;
};

QParams quantParams(Graph &gr, const onnx::NodeProto &n, int32_t dataType,
                    int64_t count, bool create) {
  if (n.input_size() < 2 || attr(n, "block_size") ||
      attr(n, "output_dtype") || !is8Bit(dataType))
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

/// The QLinear operator `op` (QLinearMatMul, QLinearConv) of a DQ(a),
/// DQ(b) -> `anchor` -> Q pattern: named after the Q (or the anchor),
/// reading a, b and their (scale, zero point) pairs and the output's, and
/// writing the Q's output.
onnx::NodeProto qlinearNode(const char *op, const onnx::NodeProto &q,
                            const onnx::NodeProto &anchor,
                            const onnx::NodeProto &dqa, const QParams &pa,
                            const onnx::NodeProto &dqb, const QParams &pb,
                            const QParams &py) {
  onnx::NodeProto n;
  n.set_op_type(op);
  n.set_name(q.name().empty() ? anchor.name() : q.name());
  for (const std::string &in :
       {dqa.input(0), pa.scale, pa.zeroPoint, dqb.input(0), pb.scale,
        pb.zeroPoint, py.scale, py.zeroPoint})
    n.add_input(in);
  n.add_output(q.output(0));
  return n;
}

/// The (scale, zero point) pairs of a DQ(a), DQ(constant b) -> Q pattern:
/// a's and the output's per tensor, b's with `bCount` entries. Zero points
/// are created (`create`) only once all three qualify.
std::array<QParams, 3> patternParams(Graph &gr, const onnx::NodeProto &dqa,
                                     const onnx::NodeProto &dqb,
                                     const TensorProto &b, int64_t bCount,
                                     const onnx::NodeProto &q, bool create) {
  int32_t qType = q.input_size() > 2 && !q.input(2).empty()
                      ? gr.type(q.input(2))
                      : TensorProto::UINT8;
  return {quantParams(gr, dqa, gr.type(dqa.input(0)), 1, create),
          quantParams(gr, dqb, b.data_type(), bCount, create),
          quantParams(gr, q, qType, 1, create)};
}

bool patternQualifies(Graph &gr, const onnx::NodeProto &dqa,
                      const onnx::NodeProto &dqb, const TensorProto &b,
                      int64_t bCount, const onnx::NodeProto &q) {
  return llvm::none_of(
      patternParams(gr, dqa, dqb, b, bCount, q, false),
      [](const QParams &p) { return p.scale.empty(); });
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
  // QLinearMatMul multiplies matrices (or stacks of them).
  if (gr.rank(dqa->input(0)) < 2 ||
      !patternQualifies(gr, *dqa, *dqb, *b, bCount, q))
    return false;
  auto [pa, pb, py] = patternParams(gr, *dqa, *dqb, *b, bCount, q, true);
  onnx::NodeProto fused =
      qlinearNode("QLinearMatMul", q, *mm, *dqa, pa, *dqb, pb, py);
  // The MatMul goes; the DequantizeLinear nodes stay for other readers
  // (unread ones import as dead code, which is dropped).
  dead.insert(gr.producer[q.input(0)]);
  *gr.g.mutable_node(qIndex) = std::move(fused);
  return true;
}

ConstTensor view(const TensorProto *t) { return ConstTensor::of(t); }

onnx::NodeProto makeNode(const char *op, std::vector<std::string> inputs,
                         const std::string &output) {
  onnx::NodeProto n;
  n.set_op_type(op);
  for (std::string &in : inputs)
    n.add_input(std::move(in));
  n.add_output(output);
  return n;
}

/// Whether the constant bias of `dqc` (DequantizeLinear of `n` int32
/// values) is what quantizers write for an integer product: zero points 0
/// and the scale a_scale * b_scale[j] exactly, so it adds to the int32 sum.
bool int32Bias(Graph &gr, const onnx::NodeProto &dqc, int64_t n, float aScale,
               const std::vector<float> &bScale) {
  const TensorProto *bias = gr.constant(dqc.input(0));
  if (!bias || bias->data_type() != TensorProto::INT32 ||
      elements(*bias) != n || dqc.input_size() < 2)
    return false;
  const TensorProto *cs = gr.constant(dqc.input(1));
  if (!cs || cs->data_type() != TensorProto::FLOAT ||
      (elements(*cs) != 1 && elements(*cs) != n))
    return false;
  std::vector<float> cScale = view(cs).floats();
  for (int64_t j = 0; j < n; ++j)
    if (cScale[cScale.size() > 1 ? j : 0] !=
        aScale * bScale[bScale.size() > 1 ? j : 0])
      return false;
  if (dqc.input_size() > 2 && !dqc.input(2).empty()) {
    const TensorProto *cz = gr.constant(dqc.input(2));
    if (!cz)
      return false;
    std::vector<int64_t> z = view(cz).ints();
    if (llvm::any_of(z, [](int64_t v) { return v != 0; }))
      return false;
  }
  return true;
}

/// DQ(a) -> Gemm(DQ(constant B), DQ(int32 bias)) -> Q, with alpha = beta =
/// 1 and no transA, as standard integer operators (no QGemm in ai.onnx):
///   acc = MatMulInteger(a, B as [K, N], za, zb) + bias
///   y   = QuantizeLinear(float(acc) * (a_scale * b_scale / y_scale), 1, zy)
/// which is QLinearConv's arithmetic. The bias adds as int32 only when its
/// scale is exactly a_scale * b_scale (what quantizers write) and its zero
/// point 0.
bool fuseGemm(Graph &gr, int qIndex, std::set<int> &dead,
              std::vector<onnx::NodeProto> &extra) {
  const onnx::NodeProto &q = gr.g.node(qIndex);
  const onnx::NodeProto *gemm = gr.producerOf(q.input(0), "Gemm");
  if (!gemm || gr.uses[q.input(0)] != 1 || q.output_size() != 1 ||
      gemm->input_size() < 2 || attrInt(*gemm, "transA", 0) != 0)
    return false;
  for (const auto &a : gemm->attribute())
    if ((a.name() == "alpha" || a.name() == "beta") && a.f() != 1.0f)
      return false;
  const onnx::NodeProto *dqa = gr.producerOf(gemm->input(0), "DequantizeLinear");
  const onnx::NodeProto *dqb = gr.producerOf(gemm->input(1), "DequantizeLinear");
  const onnx::NodeProto *dqc =
      gemm->input_size() > 2 && !gemm->input(2).empty()
          ? gr.producerOf(gemm->input(2), "DequantizeLinear")
          : nullptr;
  bool hasBias = gemm->input_size() > 2 && !gemm->input(2).empty();
  if (!dqa || !dqb || (hasBias && !dqc) || gr.rank(dqa->input(0)) != 2)
    return false;
  const TensorProto *b = gr.constant(dqb->input(0));
  if (!b || b->dims_size() != 2 || !is8Bit(b->data_type()))
    return false;
  bool transB = attrInt(*gemm, "transB", 0) != 0;
  int64_t k = b->dims(transB ? 1 : 0), n = b->dims(transB ? 0 : 1);
  // Per output column: axis 0 of a transposed B, 1 of a plain one.
  int64_t bCount = 1;
  if (const TensorProto *bs = gr.constant(dqb->input(1));
      bs && elements(*bs) > 1) {
    int64_t axis = attrInt(*dqb, "axis", 1);
    if (axis != (transB ? 0 : 1) && axis != (transB ? -2 : -1))
      return false;
    bCount = n;
  }
  if (!patternQualifies(gr, *dqa, *dqb, *b, bCount, q))
    return false;
  float aScale = view(gr.constant(dqa->input(1))).floats()[0];
  std::vector<float> bScale = view(gr.constant(dqb->input(1))).floats();
  float yScale = view(gr.constant(q.input(1))).floats()[0];
  auto bScaleAt = [&](int64_t j) { return bScale[bScale.size() > 1 ? j : 0]; };
  if (hasBias && !int32Bias(gr, *dqc, n, aScale, bScale))
    return false;
  auto [pa, pb, py] = patternParams(gr, *dqa, *dqb, *b, bCount, q, true);
  std::string base = q.output(0);
  // B as [K, N] (int8/uint8 raw bytes, transposed here when transB).
  std::string bName = dqb->input(0);
  if (transB) {
    std::vector<int64_t> v = view(b).ints();
    std::string raw(static_cast<size_t>(k * n), '\0');
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < k; ++j)
        raw[j * n + i] = static_cast<char>(v[i * k + j]);
    TensorProto t;
    t.set_name(gr.fresh(bName + "_kn"));
    t.set_data_type(b->data_type());
    t.add_dims(k);
    t.add_dims(n);
    t.set_raw_data(std::move(raw));
    bName = t.name();
    *gr.g.add_initializer() = std::move(t);
  }
  // The requantization multiplier per column, in float as QLinearConv's.
  TensorProto mult;
  mult.set_name(gr.fresh(base + "_multiplier"));
  mult.set_data_type(TensorProto::FLOAT);
  mult.add_dims(bCount > 1 ? n : 1);
  for (int64_t j = 0; j < (bCount > 1 ? n : 1); ++j)
    mult.add_float_data(aScale * bScaleAt(j) / yScale);
  TensorProto one;
  one.set_name(gr.fresh(base + "_unit_scale"));
  one.set_data_type(TensorProto::FLOAT);
  one.add_float_data(1.0f);
  std::string multName = mult.name(), oneName = one.name();
  *gr.g.add_initializer() = std::move(mult);
  *gr.g.add_initializer() = std::move(one);
  std::string acc = gr.fresh(base + "_acc");
  extra.push_back(makeNode("MatMulInteger",
                           {dqa->input(0), bName, pa.zeroPoint, pb.zeroPoint},
                           acc));
  if (hasBias) {
    std::string biased = gr.fresh(base + "_acc_bias");
    extra.push_back(makeNode("Add", {acc, dqc->input(0)}, biased));
    acc = biased;
  }
  std::string f = gr.fresh(base + "_accf");
  onnx::NodeProto cast = makeNode("Cast", {acc}, f);
  auto *to = cast.add_attribute();
  to->set_name("to");
  to->set_type(onnx::AttributeProto::INT);
  to->set_i(TensorProto::FLOAT);
  extra.push_back(std::move(cast));
  std::string scaled = gr.fresh(base + "_scaled");
  extra.push_back(makeNode("Mul", {f, multName}, scaled));
  onnx::NodeProto requant =
      makeNode("QuantizeLinear", {scaled, oneName, py.zeroPoint}, q.output(0));
  requant.set_name(q.name());
  dead.insert(gr.producer[q.input(0)]);
  *gr.g.mutable_node(qIndex) = std::move(requant);
  return true;
}

/// DQ(x) -> Conv(DQ(constant w, per tensor or per output channel),
/// DQ(int32 bias)) [-> Relu] -> Q becomes QLinearConv, whose arithmetic is
/// exactly the integer form of the pattern. A Relu before the Q is
/// max(QLinearConv, y_zero_point): quantization is monotonic and maps 0 to
/// the zero point (a Max node, dropped when the zero point is the type's
/// minimum, where saturation already does it).
bool fuseConv(Graph &gr, int qIndex, std::set<int> &dead,
              std::vector<onnx::NodeProto> &after) {
  const onnx::NodeProto &q = gr.g.node(qIndex);
  if (q.output_size() != 1 || gr.uses[q.input(0)] != 1)
    return false;
  const onnx::NodeProto *relu = gr.producerOf(q.input(0), "Relu");
  std::string convOut = relu ? relu->input(0) : q.input(0);
  const onnx::NodeProto *conv = gr.producerOf(convOut, "Conv");
  if (!conv || gr.uses[convOut] != 1 || conv->input_size() < 2)
    return false;
  const onnx::NodeProto *dqa = gr.producerOf(conv->input(0), "DequantizeLinear");
  const onnx::NodeProto *dqb = gr.producerOf(conv->input(1), "DequantizeLinear");
  bool hasBias = conv->input_size() > 2 && !conv->input(2).empty();
  const onnx::NodeProto *dqc =
      hasBias ? gr.producerOf(conv->input(2), "DequantizeLinear") : nullptr;
  if (!dqa || !dqb || (hasBias && !dqc))
    return false;
  const TensorProto *w = gr.constant(dqb->input(0));
  if (!w || w->dims_size() < 3 || !is8Bit(w->data_type()) ||
      gr.rank(dqa->input(0)) != w->dims_size())
    return false;
  int64_t cout = w->dims(0);
  // Per output channel: axis 0 of the weights.
  int64_t wCount = 1;
  if (const TensorProto *ws = gr.constant(dqb->input(1));
      ws && elements(*ws) > 1) {
    if (attrInt(*dqb, "axis", 1) != 0)
      return false;
    wCount = cout;
  }
  if (!patternQualifies(gr, *dqa, *dqb, *w, wCount, q))
    return false;
  float xScale = view(gr.constant(dqa->input(1))).floats()[0];
  if (hasBias && !int32Bias(gr, *dqc, cout, xScale,
                            view(gr.constant(dqb->input(1))).floats()))
    return false;
  auto [px, pw, py] = patternParams(gr, *dqa, *dqb, *w, wCount, q, true);
  onnx::NodeProto fused =
      qlinearNode("QLinearConv", q, *conv, *dqa, px, *dqb, pw, py);
  if (hasBias)
    fused.add_input(dqc->input(0));
  for (const auto &a : conv->attribute())
    *fused.add_attribute() = a;
  if (relu) {
    const TensorProto *z = gr.constant(py.zeroPoint);
    int64_t zy = z ? view(z).ints()[0] : 0;
    int64_t lowest = gr.type(py.zeroPoint) == TensorProto::INT8 ? -128 : 0;
    if (zy > lowest) {
      std::string pre = gr.fresh(q.output(0) + "_pre_relu");
      after.push_back(makeNode("Max", {pre, py.zeroPoint}, q.output(0)));
      fused.set_output(0, pre);
    }
    dead.insert(gr.producer[relu->output(0)]);
  }
  dead.insert(gr.producer[convOut]);
  *gr.g.mutable_node(qIndex) = std::move(fused);
  return true;
}

/// DQ(x) [-> a data-movement op] -> Q with the same per-tensor scale and
/// zero point, which quantizers write around Reshape, Transpose, Slice...
/// (240 such pairs in a QDQ BERT), is the op on x itself. Exact: for 8-bit
/// q and a normal scale, (q - z) * s / s lies within a few ulp of the
/// integer q - z, so rounding returns it and Q(DQ(q)) = q.
bool dropQDQPair(Graph &gr, int qIndex, std::set<int> &dead) {
  static const std::set<std::string> moves = {
      "Reshape", "Transpose", "Squeeze", "Unsqueeze", "Flatten", "Slice"};
  const onnx::NodeProto &q = gr.g.node(qIndex);
  auto it = gr.producer.find(q.input(0));
  if (q.output_size() != 1 || it == gr.producer.end())
    return false;
  const onnx::NodeProto &p = gr.g.node(it->second);
  const onnx::NodeProto *mid = nullptr;
  std::string dqOut = q.input(0);
  if ((p.domain().empty() || p.domain() == "ai.onnx") &&
      moves.count(p.op_type())) {
    if (gr.uses[q.input(0)] != 1 || p.input_size() < 1 || p.output_size() != 1)
      return false;
    mid = &p;
    dqOut = p.input(0);
  }
  const onnx::NodeProto *dq = gr.producerOf(dqOut, "DequantizeLinear");
  if (!dq)
    return false;
  int32_t type = gr.type(dq->input(0));
  int32_t qType = q.input_size() > 2 && !q.input(2).empty()
                      ? gr.type(q.input(2))
                      : TensorProto::UINT8;
  if (type != qType)
    return false;
  QParams a = quantParams(gr, *dq, type, 1, false);
  QParams b = quantParams(gr, q, type, 1, false);
  if (a.scale.empty() || b.scale.empty())
    return false;
  float sa = view(gr.constant(a.scale)).floats()[0];
  float sb = view(gr.constant(b.scale)).floats()[0];
  auto zeroPoint = [&](const QParams &qp) -> int64_t {
    const TensorProto *z = gr.constant(qp.zeroPoint);
    return z ? view(z).ints()[0] : 0;
  };
  if (sa != sb || !std::isnormal(sa) || zeroPoint(a) != zeroPoint(b))
    return false;
  onnx::NodeProto replacement =
      mid ? *mid : makeNode("Identity", {dq->input(0)}, q.output(0));
  replacement.set_input(0, dq->input(0));
  replacement.set_output(0, q.output(0));
  ++gr.uses[dq->input(0)];
  if (mid)
    dead.insert(gr.producer[q.input(0)]);
  if (--gr.uses[dqOut] == 0)
    dead.insert(gr.producer[dqOut]);
  *gr.g.mutable_node(qIndex) = std::move(replacement);
  return true;
}

/// Gather(DQ(x)) with a per-tensor DequantizeLinear becomes DQ(Gather(x)):
/// the two commute (DQ is elementwise with one scale and zero point), and
/// the gather then reads the 8-bit table instead of a dequantized copy of
/// all of it (a quantized embedding: 30,522 x 768 values dequantized per run
/// for 128 rows). The DQ stays where something else reads its output.
bool sinkGatherDQ(Graph &gr, int gatherIndex, std::set<int> &dead,
                  std::vector<onnx::NodeProto> &after) {
  const onnx::NodeProto &gather = gr.g.node(gatherIndex);
  if (gather.input_size() != 2 || gather.output_size() != 1)
    return false;
  const onnx::NodeProto *dq =
      gr.producerOf(gather.input(0), "DequantizeLinear");
  if (!dq || dq->input_size() < 2 || attrInt(*dq, "block_size", 0) != 0)
    return false;
  auto perTensor = [&](int i) {
    if (dq->input_size() <= i || dq->input(i).empty())
      return i == 2; // The zero point may be absent.
    const TensorProto *t = gr.constant(dq->input(i));
    return t && elements(*t) == 1;
  };
  if (!perTensor(1) || !perTensor(2))
    return false;
  std::string out = gather.output(0);
  std::string raw = gr.fresh(out + "_quantized");
  std::vector<std::string> dqIn(dq->input().begin(), dq->input().end());
  dqIn[0] = raw;
  onnx::NodeProto moved = makeNode("DequantizeLinear", dqIn, out);
  for (const auto &a : dq->attribute())
    *moved.add_attribute() = a;
  if (gr.uses[gather.input(0)] == 1)
    dead.insert(gr.producer[gather.input(0)]);
  onnx::NodeProto &g = *gr.g.mutable_node(gatherIndex);
  g.set_input(0, dq->input(0));
  g.set_output(0, raw);
  after.push_back(std::move(moved));
  return true;
}

} // namespace

int fuseQDQ(onnx::GraphProto &g) {
  Graph gr(g);
  std::set<int> dead;
  // Nodes that go before node i (a pattern's integer form, ending in the
  // node that replaced its QuantizeLinear).
  std::map<int, std::vector<onnx::NodeProto>> before, afterNode;
  int fused = 0;
  for (int i = 0; i < g.node_size(); ++i) {
    const onnx::NodeProto &n = g.node(i);
    if ((n.domain().empty() || n.domain() == "ai.onnx") &&
        n.op_type() == "QuantizeLinear" && n.input_size() >= 2) {
      std::vector<onnx::NodeProto> extra, next;
      if (fuseMatMul(gr, i, dead) || fuseGemm(gr, i, dead, extra) ||
          fuseConv(gr, i, dead, next) || dropQDQPair(gr, i, dead))
        ++fused;
      if (!extra.empty())
        before[i] = std::move(extra);
      if (!next.empty())
        afterNode[i] = std::move(next);
    } else if ((n.domain().empty() || n.domain() == "ai.onnx") &&
               n.op_type() == "Gather") {
      std::vector<onnx::NodeProto> next;
      if (sinkGatherDQ(gr, i, dead, next)) {
        ++fused;
        afterNode[i] = std::move(next);
      }
    }
  }
  if (!fused)
    return 0;
  google::protobuf::RepeatedPtrField<onnx::NodeProto> kept;
  for (int i = 0; i < g.node_size(); ++i) {
    for (onnx::NodeProto &e : before[i])
      *kept.Add() = std::move(e);
    if (!dead.count(i))
      *kept.Add() = std::move(*g.mutable_node(i));
    for (onnx::NodeProto &e : afterNode[i])
      *kept.Add() = std::move(e);
  }
  g.mutable_node()->Swap(&kept);
  return fused;
}

} // namespace mlir::dlc

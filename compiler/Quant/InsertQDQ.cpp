//===- InsertQDQ.cpp - which nodes run in int8, and their QDQ form --------===//
#include "compiler/Quant/InsertQDQ.h"
#include "compiler/Quant/GraphValues.h"

#include "compiler/Import/ONNX/FoldConstants.h"
#include "compiler/Import/ONNX/ImportContext.h"

#include "onnx/onnx_pb.h"

#include <algorithm>
#include <cmath>
#include <functional>

using namespace mlir::dlc;
using namespace mlir::dlc::quant;

namespace {

/// A constant scalar input `i` of `n` (Clip's bounds), if present.
std::optional<float> scalarInput(const Values &v, const onnx::NodeProto &n,
                                 int i) {
  if (n.input_size() <= i || n.input(i).empty())
    return std::nullopt;
  const TensorProto *t = v.floatConst(n.input(i));
  if (!t)
    return std::nullopt;
  ConstTensor c = ConstTensor::of(t);
  std::vector<float> f = c.floats();
  if (f.size() != 1)
    return std::nullopt;
  return f[0];
}

/// The Relu, or Clip(0, hi), that is the only reader of `out`: uint8
/// saturation at a zero point of 0 computes it (see insertQDQ).
const onnx::NodeProto *absorbableActivation(const onnx::GraphProto &g,
                                            const Values &v,
                                            const std::string &out) {
  auto it = v.consumers.find(out);
  if (it == v.consumers.end() || it->second.size() != 1 ||
      v.graphOutputs.count(out))
    return nullptr;
  const onnx::NodeProto &a = g.node(it->second[0]);
  if (!standard(a) || a.output_size() != 1 || a.input(0) != out)
    return nullptr;
  if (a.op_type() == "Relu")
    return &a;
  if (a.op_type() != "Clip")
    return nullptr;
  std::optional<float> lo = scalarInput(v, a, 1), hi = scalarInput(v, a, 2);
  if (const onnx::AttributeProto *m = attr(a, "min"))
    lo = m->f();
  if (const onnx::AttributeProto *m = attr(a, "max"))
    hi = m->f();
  return lo && hi && *lo == 0.0f && *hi > 0 ? &a : nullptr;
}

/// Why `n` cannot run in int8, or empty if it can; fills `item`.
std::string checkNode(const onnx::GraphProto &g, const Values &v,
                      const onnx::NodeProto &n, QuantItem &item) {
  const std::string &op = n.op_type();
  if (n.input_size() < 2 || n.output_size() != 1)
    return "unexpected operands";
  item.input = n.input(0);
  item.weight = n.input(1);
  item.rawOutput = n.output(0);
  if (n.input_size() > 2)
    item.bias = n.input(2);
  int rank = v.floatRank(item.input);
  const TensorProto *w = v.floatConst(item.weight);
  if (!w)
    return op == "MatMul" ? "both operands are computed at run time"
                          : "its weights are not a float constant";
  if (rank < 0)
    return "its input is not float with a static shape";
  if (op == "Conv") {
    if (w->dims_size() < 3 || rank != w->dims_size())
      return "weights of an unsupported rank";
    item.weightAxis = 0;
  } else if (op == "MatMul") {
    if (w->dims_size() != 2)
      return "its weights are not a matrix";
    if (rank < 2)
      return "its input is a vector";
    item.weightAxis = 1;
    item.bias.clear();
  } else { // Gemm
    if (attrInt(n, "transA", 0) != 0 || w->dims_size() != 2 || rank != 2)
      return "a transposed or non-matrix operand";
    for (const auto &a : n.attribute())
      if ((a.name() == "alpha" || a.name() == "beta") && a.f() != 1.0f)
        return "alpha or beta is not 1";
    item.weightAxis = attrInt(n, "transB", 0) ? 0 : 1;
  }
  if (!item.bias.empty()) {
    const TensorProto *b = v.floatConst(item.bias);
    int64_t channels = w->dims(item.weightAxis), count = 1;
    if (b)
      for (int64_t d : b->dims())
        count *= d;
    if (!b || count != channels)
      return "its bias is not a constant per output channel";
  }
  item.output = item.rawOutput;
  if (const onnx::NodeProto *a = absorbableActivation(g, v, item.rawOutput)) {
    item.output = a->output(0);
    item.absorbsActivation = true;
  }
  if (v.graphOutputs.count(item.output))
    return "its result is a model output (kept float)";
  if (v.floatRank(item.output) < 0)
    return "its result has no static float shape";
  return "";
}

} // namespace

std::pair<float, int> mlir::dlc::quant::uint8Params(float lo, float hi) {
  lo = std::min(lo, 0.0f);
  hi = std::max(hi, 0.0f);
  if (!(hi > lo) || !std::isfinite(hi - lo))
    return {1.0f, 0};
  float scale = (hi - lo) / 255.0f;
  if (!std::isnormal(scale))
    return {1.0f, 0};
  int zp = static_cast<int>(std::nearbyint(-lo / scale));
  return {scale, std::clamp(zp, 0, 255)};
}

int mlir::dlc::quant::foldWeightTransposes(onnx::GraphProto &g) {
  Values v(g);
  static const std::set<std::string> readers = {"Conv", "MatMul", "Gemm"};
  std::set<int> dead;
  std::vector<TensorProto> made;
  for (int i = 0; i < g.node_size(); ++i) {
    const onnx::NodeProto &n = g.node(i);
    if (!standard(n) || n.op_type() != "Transpose" || n.input_size() != 1 ||
        n.output_size() != 1 || v.graphOutputs.count(n.output(0)))
      continue;
    const TensorProto *w = v.floatConst(n.input(0));
    auto users = v.consumers.find(n.output(0));
    if (!w || users == v.consumers.end())
      continue;
    bool weightsOnly = llvm::all_of(users->second, [&](int u) {
      const onnx::NodeProto &r = g.node(u);
      return standard(r) && readers.count(r.op_type()) && r.input_size() > 1 &&
             r.input(1) == n.output(0) && r.input(0) != n.output(0);
    });
    if (!weightsOnly)
      continue;
    ConstTensor c = ConstTensor::of(w);
    int64_t rank = c.shape.size();
    std::vector<int64_t> perm;
    if (const onnx::AttributeProto *a = attr(n, "perm"))
      perm.assign(a->ints().begin(), a->ints().end());
    else
      for (int64_t d = rank - 1; d >= 0; --d)
        perm.push_back(d);
    if (int64_t(perm.size()) != rank)
      continue;
    std::vector<int64_t> outShape(rank), inStride(rank, 1);
    for (int64_t d = rank - 2; d >= 0; --d)
      inStride[d] = inStride[d + 1] * c.shape[d + 1];
    for (int64_t d = 0; d < rank; ++d)
      outShape[d] = c.shape[perm[d]];
    std::vector<float> in = c.floats(), out(in.size());
    std::vector<int64_t> idx(rank, 0);
    for (size_t o = 0; o < out.size(); ++o) {
      int64_t src = 0;
      for (int64_t d = 0; d < rank; ++d)
        src += idx[d] * inStride[perm[d]];
      out[o] = in[src];
      for (int64_t d = rank - 1; d >= 0; --d) {
        if (++idx[d] < outShape[d])
          break;
        idx[d] = 0;
      }
    }
    made.push_back(makeTensor(n.output(0), TensorProto::FLOAT, outShape,
                              rawOf(out)));
    dead.insert(i);
  }
  if (dead.empty())
    return 0;
  google::protobuf::RepeatedPtrField<onnx::NodeProto> kept;
  for (int i = 0; i < g.node_size(); ++i)
    if (!dead.count(i))
      *kept.Add() = g.node(i);
  g.mutable_node()->Swap(&kept);
  for (TensorProto &t : made)
    *g.add_initializer() = std::move(t);
  return static_cast<int>(dead.size());
}

QuantPlan mlir::dlc::quant::planInt8(const onnx::GraphProto &g,
                                     const std::set<std::string> &keepFloat) {
  Values v(g);
  QuantPlan plan;
  std::set<std::string> seen;
  auto addTensor = [&](const std::string &t) {
    if (seen.insert(t).second)
      plan.tensors.push_back(t);
  };
  static const std::set<std::string> quantizable = {"Conv", "MatMul", "Gemm"};
  static const std::set<std::string> heavy = {
      "ConvTranspose", "ConvInteger", "MatMulInteger", "QLinearConv",
      "QLinearMatMul", "Einsum", "LSTM", "GRU", "RNN"};
  for (const onnx::NodeProto &n : g.node()) {
    if (!standard(n) ||
        (!quantizable.count(n.op_type()) && !heavy.count(n.op_type())))
      continue;
    NodeDecision d{keyOf(n), n.op_type(), Precision::Float, ""};
    QuantItem item;
    item.key = d.key;
    if (heavy.count(n.op_type()))
      d.reason = n.op_type().find("Integer") != std::string::npos ||
                         n.op_type().rfind("QLinear", 0) == 0
                     ? "already quantized in the model"
                     : "no int8 kernel for this operator";
    else if (keepFloat.count(d.key))
      d.reason = "moved back to float by --accuracy-budget";
    else
      d.reason = checkNode(g, v, n, item);
    if (d.reason.empty()) {
      d.precision = Precision::Int8;
      // Depthwise: one group per input channel with one output each (the
      // weight's second dimension is 1); other groups run exactly in f32.
      int64_t group = n.op_type() == "Conv" ? attrInt(n, "group", 1) : 1;
      auto wIt = n.input_size() > 1 ? v.consts.find(n.input(1))
                                    : v.consts.end();
      const onnx::TensorProto *w =
          wIt != v.consts.end() ? wIt->second : nullptr;
      bool depthwise = group != 1 && w && w->dims_size() >= 2 &&
                       w->dims(0) == group && w->dims(1) == 1;
      d.reason = group == 1  ? "int8 kernel"
                 : depthwise ? "int8 depthwise kernel"
                             : "int8, run exactly on the f32 grouped "
                               "convolution (no int8 kernel for groups)";
      if (item.absorbsActivation)
        d.reason += "; requantization absorbs its " +
                    g.node(v.consumers.at(item.rawOutput)[0]).op_type();
      addTensor(item.input);
      addTensor(item.output);
      plan.items.push_back(item);
    }
    plan.decisions.push_back(std::move(d));
  }
  // Compute nodes in subgraphs (If branches, Loop and Scan bodies) stay
  // float: calibration sees only the main graph's values.
  std::function<void(const onnx::GraphProto &)> nested =
      [&](const onnx::GraphProto &sg) {
        for (const onnx::NodeProto &n : sg.node()) {
          if (standard(n) && quantizable.count(n.op_type()))
            plan.decisions.push_back({keyOf(n), n.op_type(), Precision::Float,
                                      "inside a subgraph (If, Loop, Scan)"});
          forEachSubgraph(n, nested);
        }
      };
  for (const onnx::NodeProto &n : g.node())
    forEachSubgraph(n, nested);
  return plan;
}

void mlir::dlc::quant::insertQDQ(
    onnx::GraphProto &g, const QuantPlan &plan,
    const std::map<std::string, std::pair<float, float>> &ranges,
    std::map<std::string, std::string> &dqNames) {
  Values v(g);
  NameSource fresh(g);
  auto addInit = [&](TensorProto t) { *g.add_initializer() = std::move(t); };

  // Activations: Q and DQ after the value's producer. `source` is what the
  // Q reads: the tensor itself, or the raw output under a dropped Relu/Clip.
  struct Pair {
    std::string source;
    std::vector<onnx::NodeProto> nodes;
  };
  std::map<std::string, Pair> pairs; // Keyed by the quantized tensor.
  std::map<std::string, float> scales;
  std::set<std::string> droppedActivations;
  for (const std::string &t : plan.tensors) {
    auto [lo, hi] = ranges.at(t);
    auto [scale, zp] = uint8Params(lo, hi);
    scales[t] = scale;
    std::string q = fresh(t + "_quantized"), dq = fresh(t + "_dequantized");
    std::string sName = fresh(t + "_scale"), zName = fresh(t + "_zero_point");
    addInit(makeTensor(sName, TensorProto::FLOAT, {}, rawOf(std::vector<float>{scale})));
    addInit(makeTensor(zName, TensorProto::UINT8, {},
                       std::string(1, static_cast<char>(zp))));
    Pair p{t, {}};
    p.nodes.push_back(makeNode("QuantizeLinear", {t, sName, zName}, q));
    p.nodes.push_back(makeNode("DequantizeLinear", {q, sName, zName}, dq));
    pairs[t] = std::move(p);
    dqNames[t] = dq;
  }
  // A Relu (or Clip from 0 to hi) before the Q is exact to drop when the
  // zero point is 0 and 255 * scale <= hi: Q(x) saturates to 0 for x < 0
  // and to 255 for x >= 255 * scale, as Q(activation(x)) does.
  for (const QuantItem &item : plan.items) {
    if (!item.absorbsActivation)
      continue;
    auto [lo, hi] = ranges.at(item.output);
    auto [scale, zp] = uint8Params(lo, hi);
    const onnx::NodeProto *act = nullptr;
    for (const auto &n : g.node())
      if (n.output_size() == 1 && n.output(0) == item.output)
        act = &n;
    std::optional<float> top =
        act->op_type() == "Clip" ? scalarInput(v, *act, 2) : std::nullopt;
    if (const onnx::AttributeProto *m = attr(*act, "max"))
      top = m->f();
    if (zp != 0 || (top && 255.0f * scale > *top))
      continue;
    pairs[item.output].source = item.rawOutput;
    pairs[item.output].nodes[0].set_input(0, item.rawOutput);
    droppedActivations.insert(item.output);
  }

  // Weights per output channel, symmetric int8 in [-127, 127]; biases int32
  // at input scale x weight scale (the product FuseQDQ checks for).
  std::map<std::string, std::string> weightOf, biasOf; // node key -> DQ value
  std::vector<onnx::NodeProto> constNodes;
  for (const QuantItem &item : plan.items) {
    const TensorProto *w = v.floatConst(item.weight);
    ConstTensor c = ConstTensor::of(w);
    std::vector<float> data = c.floats();
    int64_t channels = c.shape[item.weightAxis], inner = 1;
    for (size_t d = item.weightAxis + 1; d < c.shape.size(); ++d)
      inner *= c.shape[d];
    std::vector<float> wScale(channels, 0.0f);
    for (size_t i = 0; i < data.size(); ++i) {
      int64_t ch = (int64_t(i) / inner) % channels;
      wScale[ch] = std::max(wScale[ch], std::fabs(data[i]));
    }
    for (float &s : wScale)
      s = s > 0 && std::isnormal(s / 127.0f) ? s / 127.0f : 1.0f;
    std::vector<int8_t> wq(data.size());
    for (size_t i = 0; i < data.size(); ++i) {
      float q = std::nearbyint(data[i] / wScale[(int64_t(i) / inner) % channels]);
      wq[i] = static_cast<int8_t>(std::clamp(q, -127.0f, 127.0f));
    }
    std::string qName = fresh(item.weight + "_int8");
    std::string sName = fresh(item.weight + "_scale");
    std::string zName = fresh(item.weight + "_zero_point");
    std::string dq = fresh(item.weight + "_dequantized");
    addInit(makeTensor(qName, TensorProto::INT8, c.shape, rawOf(wq)));
    addInit(makeTensor(sName, TensorProto::FLOAT, {channels}, rawOf(wScale)));
    addInit(makeTensor(zName, TensorProto::INT8, {channels},
                       std::string(size_t(channels), '\0')));
    constNodes.push_back(makeNode("DequantizeLinear", {qName, sName, zName}, dq,
                                  item.weightAxis));
    weightOf[item.key] = dq;
    if (item.bias.empty())
      continue;
    const TensorProto *b = v.floatConst(item.bias);
    ConstTensor bc = ConstTensor::of(b);
    std::vector<float> bias = bc.floats();
    float xScale = scales.at(item.input);
    std::vector<float> bScale(channels);
    std::vector<int32_t> bq(channels);
    for (int64_t j = 0; j < channels; ++j) {
      bScale[j] = xScale * wScale[j];
      double q = std::nearbyint(double(bias[j]) / double(bScale[j]));
      bq[j] = static_cast<int32_t>(std::clamp(q, -2147483647.0, 2147483647.0));
    }
    std::string bqName = fresh(item.bias + "_int32");
    std::string bsName = fresh(item.bias + "_scale");
    std::string bdq = fresh(item.bias + "_dequantized");
    addInit(makeTensor(bqName, TensorProto::INT32, bc.shape, rawOf(bq)));
    addInit(makeTensor(bsName, TensorProto::FLOAT, {channels}, rawOf(bScale)));
    constNodes.push_back(
        makeNode("DequantizeLinear", {bqName, bsName}, bdq, 0));
    biasOf[item.key] = bdq;
  }

  // The new node list: constants' DQs first, graph inputs' pairs, then each
  // node followed by the pairs of the values it writes. Every original
  // reader of a quantized tensor reads its dequantized value instead.
  google::protobuf::RepeatedPtrField<onnx::NodeProto> nodes;
  for (auto &n : constNodes)
    *nodes.Add() = std::move(n);
  std::map<std::string, std::vector<const Pair *>> after; // by source
  for (const auto &[t, p] : pairs) {
    if (v.graphInputs.count(p.source))
      for (const auto &n : p.nodes)
        *nodes.Add() = n;
    else
      after[p.source].push_back(&p);
  }
  std::map<std::string, const QuantItem *> itemOf;
  for (const QuantItem &item : plan.items)
    itemOf[item.key] = &item;
  for (int i = 0; i < g.node_size(); ++i) {
    onnx::NodeProto n = g.node(i);
    if (n.output_size() == 1 && droppedActivations.count(n.output(0)))
      continue;
    for (int k = 0; k < n.input_size(); ++k)
      if (auto it = dqNames.find(n.input(k)); it != dqNames.end())
        n.set_input(k, it->second);
    if (auto it = itemOf.find(keyOf(g.node(i)));
        it != itemOf.end() && n.input_size() > 1 &&
        n.input(1) == it->second->weight) {
      n.set_input(1, weightOf[it->first]);
      if (!it->second->bias.empty())
        n.set_input(2, biasOf[it->first]);
    }
    std::vector<std::string> outs(n.output().begin(), n.output().end());
    *nodes.Add() = std::move(n);
    for (const std::string &o : outs)
      for (const Pair *p : after[o])
        for (const auto &pn : p->nodes)
          *nodes.Add() = pn;
  }
  g.mutable_node()->Swap(&nodes);

  // The float weights and biases that nothing reads any more.
  std::set<std::string> replaced;
  for (const QuantItem &item : plan.items) {
    replaced.insert(item.weight);
    replaced.insert(item.bias);
  }
  dropUnreadInitializers(g, replaced);
}

//===- InsertBF16.cpp - which nodes run in bf16, and their rounded form ---===//
#include "compiler/Quant/InsertBF16.h"
#include "compiler/Quant/GraphValues.h"

#include "compiler/Import/ONNX/ImportContext.h"

#include <cmath>
#include <cstring>
#include <functional>

using namespace mlir::dlc;
using namespace mlir::dlc::quant;

namespace {

const std::set<std::string> &bf16Ops() {
  static const std::set<std::string> ops = {"Conv", "ConvTranspose", "MatMul",
                                            "Gemm"};
  return ops;
}

bool isFloat(const Values &v, const std::string &name) {
  if (v.floatConst(name))
    return true;
  auto t = v.types.find(name);
  return t != v.types.end() && t->second == TensorProto::FLOAT;
}

onnx::NodeProto castTo(const std::string &in, const std::string &out,
                       int64_t to) {
  onnx::NodeProto n = makeNode("Cast", {in}, out);
  auto *a = n.add_attribute();
  a->set_name("to");
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(to);
  return n;
}

} // namespace

float mlir::dlc::quant::roundToBF16(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, 4);
  if (std::isnan(x))
    bits |= 0x00400000u; // Quiet, as a conversion makes it.
  else
    bits += 0x7fffu + ((bits >> 16) & 1u);
  bits &= 0xffff0000u;
  float r;
  std::memcpy(&r, &bits, 4);
  return r;
}

std::vector<NodeDecision>
mlir::dlc::quant::planBF16(const onnx::GraphProto &g,
                           const std::set<std::string> &exclude,
                           const std::string &reason) {
  Values v(g);
  std::vector<NodeDecision> out;
  for (const onnx::NodeProto &n : g.node()) {
    if (!standard(n) || !bf16Ops().count(n.op_type()))
      continue;
    NodeDecision d{keyOf(n), n.op_type(), Precision::Float, ""};
    if (exclude.count(d.key))
      continue;
    if (n.input_size() < 2 || n.output_size() < 1)
      d.reason = "unexpected operands";
    else if (!isFloat(v, n.input(0)) || !isFloat(v, n.input(1)))
      d.reason = "its operands are not float";
    else {
      d.precision = Precision::BF16;
      d.reason = reason;
    }
    out.push_back(std::move(d));
  }
  std::function<void(const onnx::GraphProto &)> nested =
      [&](const onnx::GraphProto &sg) {
        for (const onnx::NodeProto &n : sg.node()) {
          if (standard(n) && bf16Ops().count(n.op_type()))
            out.push_back({keyOf(n), n.op_type(), Precision::Float,
                           "inside a subgraph (If, Loop, Scan)"});
          forEachSubgraph(n, nested);
        }
      };
  for (const onnx::NodeProto &n : g.node())
    forEachSubgraph(n, nested);
  return out;
}

int mlir::dlc::quant::insertBF16(onnx::GraphProto &g,
                                 const std::set<std::string> &nodes) {
  if (nodes.empty())
    return 0;
  NameSource fresh(g);
  std::map<std::string, const TensorProto *> inits;
  for (const TensorProto &t : g.initializer())
    inits[t.name()] = &t;
  std::map<std::string, std::string> rounded; // operand -> its bf16 value
  std::vector<TensorProto> madeInits;
  google::protobuf::RepeatedPtrField<onnx::NodeProto> out;
  int operands = 0;
  for (const onnx::NodeProto &orig : g.node()) {
    onnx::NodeProto n = orig;
    if (nodes.count(keyOf(orig)))
      for (int k = 0; k < 2 && k < n.input_size(); ++k) {
        const std::string &in = orig.input(k);
        auto it = rounded.find(in);
        if (it == rounded.end()) {
          std::string name;
          if (auto c = inits.find(in);
              c != inits.end() && c->second->data_type() == TensorProto::FLOAT) {
            // Weights: rounded now, as a new initializer (a node that stays
            // float may read the original).
            ConstTensor ct = ConstTensor::of(c->second);
            std::vector<float> data = ct.floats();
            bool exact = true;
            for (float &x : data) {
              float r = roundToBF16(x);
              exact &= std::memcmp(&r, &x, 4) == 0;
              x = r;
            }
            name = in;
            if (!exact) {
              name = fresh(in + "_bf16");
              madeInits.push_back(
                  makeTensor(name, TensorProto::FLOAT, ct.shape, rawOf(data)));
            }
          } else {
            // Run-time values (and Constant nodes, which folding rounds):
            // a Cast pair before their first bf16 reader.
            std::string half = fresh(in + "_bf16");
            name = fresh(in + "_bf16_f32");
            *out.Add() = castTo(in, half, TensorProto::BFLOAT16);
            *out.Add() = castTo(half, name, TensorProto::FLOAT);
          }
          it = rounded.emplace(in, name).first;
          ++operands;
        }
        n.set_input(k, it->second);
      }
    *out.Add() = std::move(n);
  }
  g.mutable_node()->Swap(&out);
  for (TensorProto &t : madeInits)
    *g.add_initializer() = std::move(t);
  // The original weights nothing reads any more.
  std::set<std::string> replaced;
  for (const auto &[name, value] : rounded)
    replaced.insert(name);
  dropUnreadInitializers(g, replaced);
  return operands;
}

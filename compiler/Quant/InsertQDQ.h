//===- InsertQDQ.h - which nodes run in int8, and their QDQ form ----------===//
//
// Post-training quantization writes the float model as the QDQ form that
// quantizers (onnxruntime's, PyTorch's) write: activations through
// QuantizeLinear/DequantizeLinear pairs, weights and biases as integer
// initializers behind DequantizeLinear. The importer's QDQ rewrite
// (FuseQDQ) then turns each pattern into QLinearConv/QLinearMatMul/
// MatMulInteger, so a model quantized by dlc and one quantized by another
// tool take the same path to the integer kernels. Why this form rather
// than rewriting MLIR directly: the rewrite to integer operators exists,
// is checked against ONNX's reference, and keeps the one place where
// requantization is decided.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_COMPILER_QUANT_INSERTQDQ_H
#define DLC_COMPILER_QUANT_INSERTQDQ_H

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace onnx {
class GraphProto;
} // namespace onnx

namespace mlir::dlc::quant {

/// What a compute node's products run in.
enum class Precision { Float, BF16, Int8 };
inline const char *precisionName(Precision p) {
  return p == Precision::Int8 ? "int8" : p == Precision::BF16 ? "bf16" : "float";
}

/// The precision a compute node runs in, and why.
struct NodeDecision {
  std::string key;    // The node's name, or its first output's.
  std::string opType;
  Precision precision = Precision::Float;
  std::string reason;
};

/// One node that runs in int8.
struct QuantItem {
  std::string key;
  std::string input;  // The float activation it reads.
  std::string output; // The tensor whose range its output is quantized to:
                      // its own, or that of the Relu/Clip it absorbs.
  std::string rawOutput; // Its own output.
  std::string weight, bias;
  int weightAxis = 0; // The output-channel axis of the weights.
  bool absorbsActivation = false;
};

struct QuantPlan {
  std::vector<QuantItem> items;
  std::vector<NodeDecision> decisions;
  /// The float tensors whose ranges calibration measures, in graph order.
  std::vector<std::string> tensors;
};

/// Replaces each Transpose of a float initializer that only Conv, MatMul or
/// Gemm read (as their weights) by the transposed initializer, so that the
/// planner sees constant weights (exporters write PyTorch's Linear as
/// MatMul(x, Transpose(W))); the folder keeps large tensors as written.
/// Returns how many.
int foldWeightTransposes(onnx::GraphProto &g);

/// Decides, for each Conv, MatMul and Gemm of `g`, whether it runs in int8
/// (keys in `keepFloat` stay float: the accuracy budget moved them back).
QuantPlan planInt8(const onnx::GraphProto &g,
                   const std::set<std::string> &keepFloat);

/// Rewrites `g` into QDQ form: each planned activation through a uint8
/// QuantizeLinear/DequantizeLinear pair with its range's scale and zero
/// point, weights per output channel symmetric int8, biases int32 at
/// input scale x weight scale. A Relu, or a Clip from 0, that the output's
/// range makes redundant (uint8 saturation computes it exactly) is dropped.
/// `dqNames` gets, per tensor, the name of its dequantized value.
void insertQDQ(onnx::GraphProto &g, const QuantPlan &plan,
               const std::map<std::string, std::pair<float, float>> &ranges,
               std::map<std::string, std::string> &dqNames);

/// uint8 (scale, zero point) of the range [lo, hi] (lo <= 0 <= hi).
std::pair<float, int> uint8Params(float lo, float hi);

} // namespace mlir::dlc::quant

#endif // DLC_COMPILER_QUANT_INSERTQDQ_H

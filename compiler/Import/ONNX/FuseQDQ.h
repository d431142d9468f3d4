//===- FuseQDQ.h - QDQ patterns into integer ONNX operators ---------------===//
//
// Quantizers (onnxruntime's quantize_static, PyTorch's) write a quantized
// model as float operators between DequantizeLinear and QuantizeLinear
// nodes. Run as written, that is float arithmetic on dequantized values; the
// integer kernels need the integer form. This rewrite turns the patterns
// whose arithmetic has an exact integer operator into that operator, in the
// ModelProto, before import, as onnxruntime's graph optimizer does
// (QDQ selectors and actions):
//
//   DQ(a) -> MatMul <- DQ(constant 2-D b)  -> Q   =>   QLinearMatMul
//   DQ(a) -> Gemm <- DQ(constant b), DQ(int32 bias) -> Q
//       =>   MatMulInteger + Add + Cast + Mul + QuantizeLinear
//   DQ(x) -> Conv <- DQ(constant w), DQ(int32 bias) [-> Relu] -> Q
//       =>   QLinearConv [-> Max(y, y_zero_point)]
//   Gather(DQ(x), indices), DQ per tensor  =>  DQ(Gather(x, indices))
//   DQ(x) [-> Reshape/Transpose/Slice/...] -> Q, same scale and zero point
//       =>   x [-> the same op]
//
// The integer form rounds once (the int32 sum times a_scale * b_scale /
// y_scale, half to even) where the float form rounds the float sum; the two
// differ by one step where the sum lies within float rounding of a tie, as
// onnxruntime's optimized and unoptimized sessions do. Why on the ONNX graph
// rather than on MLIR's quant types: the patterns are explicit only around
// the float operator, before layout and fusion passes move their pieces,
// and the result is a standard operator whose semantics ONNX defines
// exactly, checkable against ONNX's reference.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_COMPILER_IMPORT_ONNX_FUSEQDQ_H
#define DLC_COMPILER_IMPORT_ONNX_FUSEQDQ_H

namespace onnx {
class GraphProto;
} // namespace onnx

namespace mlir::dlc {

/// Rewrites the QDQ patterns of `g` (the main graph, after constant
/// folding, with inferred types) into integer operators; returns how many.
int fuseQDQ(onnx::GraphProto &g);

} // namespace mlir::dlc

#endif // DLC_COMPILER_IMPORT_ONNX_FUSEQDQ_H

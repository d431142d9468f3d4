//===- InsertBF16.h - which nodes run in bf16, and their rounded form -----===//
//
// --precision=bf16 (and --accuracy-budget's bf16 fallback) runs matrix
// products and convolutions on bf16 operands with f32 accumulation, as
// AVX512-BF16's vdpbf16ps, AMX-BF16 and Arm's bfdot/bfmmla do. The rewrite
// states that in ONNX: each run-time operand goes through a Cast to
// BFLOAT16 and back (round to nearest even), and constant weights are
// rounded at compile time; biases, accumulation and everything else stay
// f32. Why this form rather than bf16 tensors: it is what the float
// kernels compute exactly on every target (the emulation the issue asks
// for "elsewhere"), onnxruntime can run the same model as a reference, and
// the rounding casts fuse into the producers' epilogues.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_COMPILER_QUANT_INSERTBF16_H
#define DLC_COMPILER_QUANT_INSERTBF16_H

#include "compiler/Quant/InsertQDQ.h"

namespace mlir::dlc::quant {

/// Decides, for each Conv, ConvTranspose, MatMul and Gemm of `g` not in
/// `exclude` (those run in int8), whether it runs in bf16: every one whose
/// two multiplied operands are float. `reason` is the reason given to the
/// nodes that do.
std::vector<NodeDecision> planBF16(const onnx::GraphProto &g,
                                   const std::set<std::string> &exclude,
                                   const std::string &reason);

/// Rewrites the nodes of `g` whose keys are in `nodes` to read their
/// multiplied operands rounded to bf16. Returns how many operands.
int insertBF16(onnx::GraphProto &g, const std::set<std::string> &nodes);

/// `x` rounded to the nearest bf16 (ties to even), as f32; NaN stays NaN.
float roundToBF16(float x);

} // namespace mlir::dlc::quant

#endif // DLC_COMPILER_QUANT_INSERTBF16_H

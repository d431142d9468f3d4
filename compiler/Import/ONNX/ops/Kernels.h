//===- Kernels.h - ops emitted as linalg.generic at import ----------------===//
//
// Operators whose indexing depends on data (GridSample, ScatterND, run-time
// Slice/Pad/Resize, ...) are emitted directly as one linalg.generic each.
// These helpers hold the loop-nest plumbing they share: the result loops,
// reduction loops appended after them, and filled initial values.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_COMPILER_IMPORT_ONNX_OPS_KERNELS_H
#define DLC_COMPILER_IMPORT_ONNX_OPS_KERNELS_H

#include "compiler/Import/ONNX/ImportContext.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"


namespace mlir::dlc {

/// A tensor of `type` holding `value` everywhere (linalg.fill).
Value filledTensor(ImportContext &c, RankedTensorType type, double value);
/// The same with the exact element value (integer extremes a double cannot
/// hold).
Value filledTensor(ImportContext &c, RankedTensorType type, TypedAttr value);

/// The body of a loopNest: `accs` are the current values of the results
/// (their initial values, then what the previous reduction step yielded);
/// loop positions come from linalg.index (results' dims first, then the
/// reduction loops in order). Returns the values to yield.
using LoopBody =
    function_ref<SmallVector<Value>(OpBuilder &, Location, ValueRange accs)>;

/// One linalg.generic with parallel loops over the shape of `inits[0]`
/// (every init has that shape) and reduction loops of `reduction` extents
/// after them. Returns its results.
SmallVector<Value> loopNest(ImportContext &c, ValueRange inits,
                            ArrayRef<int64_t> reduction, LoopBody body);

/// Inside a loopNest body: X[lead..., p_0, ..., p_k-1] of a float32 tensor
/// whose last k = coords.size() dims are spatial, at pixel coordinates
/// `coords` (f32 holding whole numbers), zero outside the image. Any
/// coordinate is safe: it is bounded (NaN included) before the integer
/// conversion and the read index is clamped into X.
Value readPixelOrZero(OpBuilder &b, Location l, Value x, ValueRange lead,
                      ValueRange coords);

/// Reads the pixel at whole-number coordinates, with the caller's rule for
/// positions outside the image.
using PixelRead = function_ref<Value(ArrayRef<Value> coords)>;

/// The 2^k weighted corner terms of (bi/tri)linear interpolation at pixel
/// coordinates `coords`: corner bits select floor(p_d) or floor(p_d) + 1,
/// the last coordinate's bit fastest. Their sum is the sample; RoiAlign's
/// max mode takes their maximum instead.
SmallVector<Value> linearTerms(OpBuilder &b, Location l, ValueRange coords,
                               PixelRead read);
/// Their sum, added pairwise (for 2-D in the order PyTorch's grid sampler
/// adds them).
Value linearSample(OpBuilder &b, Location l, ValueRange coords,
                   PixelRead read);

/// One elementwise linalg.generic from `x` to a tensor of `elem` of the same
/// shape, `fn` mapping each element (SmallTypes.cpp).
Value mapElements(ImportContext &c, Value x, Type elem,
                  function_ref<Value(OpBuilder &, Location, Value)> fn);

/// ONNX's small types (compiler/Import/ONNX/SmallTypes.h), stored one per
/// byte: the f32 values of small-float bit patterns `x` (i8) of `dtype`;
/// f32 `x` rounded to nearest-even into `dtype`'s patterns (i8), with
/// ONNX Cast's saturation rule; integer `x` wrapped into the 4- or 2-bit
/// integer `dtype` (i8, sign-extended when signed). SmallTypes.cpp.
Value decodeSmallFloat(ImportContext &c, Value x, int32_t dtype);
Value encodeSmallFloat(ImportContext &c, Value x, int32_t dtype,
                       bool saturate);
Value wrapSmallInt(ImportContext &c, Value x, int32_t dtype);

/// `x` of ONNX type `from` as ONNX type `to` (Cast's rules; Elementwise.cpp).
/// Null after an error.
Value castValue(ImportContext &c, Value x, int32_t from, int32_t to,
                RankedTensorType type, bool saturate);

/// Input `i`'s zero point if it is absent (0) or constant with one value
/// throughout (per-row or per-channel zero points that are all equal: a
/// per-channel quantizer's symmetric zeros); Quant.cpp.
std::optional<int64_t> scalarZeroPoint(ImportContext &c, unsigned i);

/// 8-bit input `i` as int8 for the integer kernels, `zp` its zero point:
/// uint8 becomes int8 by flipping the top bit (a - 128) and its zero point
/// moves by the same 128, which leaves a - zp unchanged (constants flip on
/// the host); Quant.cpp.
Value int8Operand(ImportContext &c, unsigned i, int64_t &zp);

/// QLinearConv's and QLinearMatMul's requantization multiplier
/// a_scale * b_scale / y_scale (inputs ai, bi, yi), b_scale along `axis` of
/// a rank-`rank` result; a_scale and y_scale per tensor. Computed in f32 in
/// the reference's order, at compile time when the three are constants (as
/// quantizers write them), so the kernel's epilogue multiplies by a
/// constant instead of dividing per element. Null if a_scale or y_scale is
/// not per tensor (the caller builds the general form); Quant.cpp.
Value requantMultiplier(ImportContext &c, unsigned ai, unsigned bi,
                        unsigned yi, int64_t rank, int64_t axis);

} // namespace mlir::dlc

#endif // DLC_COMPILER_IMPORT_ONNX_OPS_KERNELS_H

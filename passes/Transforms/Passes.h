//===- Passes.h - dlc transformation passes -------------------------------===//
//
// Declarations of dlc's same-level passes (generated from Passes.td) and the
// pattern populators they expose.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_PASSES_TRANSFORMS_PASSES_H
#define DLC_PASSES_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;
namespace dlc {

#define GEN_PASS_DECL
#include "passes/Transforms/Passes.h.inc"

/// Rewrites dlc.pad into tensor/linalg ops.
void populateLowerPadPatterns(RewritePatternSet &patterns);
/// Rewrites dlc.pool into tensor.pad + linalg.generic.
void populateLowerPoolPatterns(RewritePatternSet &patterns);
/// Rewrites dlc.unary into linalg.generic over math ops.
void populateLowerUnaryPatterns(RewritePatternSet &patterns);
/// Rewrites dlc.conv into linalg.generic.
void populateLowerConvPatterns(RewritePatternSet &patterns);
/// Rewrites strided memref.copy into linalg.copy.
void populateExpandStridedCopiesPatterns(RewritePatternSet &patterns);

#define GEN_PASS_REGISTRATION
#include "passes/Transforms/Passes.h.inc"

} // namespace dlc
} // namespace mlir

#endif // DLC_PASSES_TRANSFORMS_PASSES_H

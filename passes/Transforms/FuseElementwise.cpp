//===- FuseElementwise.cpp - elementwise fusion with a bounded body -------===//
//
// Upstream's linalg-fuse-elementwise-ops with one change: two generics fuse
// only while the fused body stays at most `max-body-ops` operations. Fusing
// a chain of n elementwise ops into one generic re-creates a body that grows
// by one op per step, so the upstream pass takes O(n^2) time on long chains
// (an unrolled Scan or Loop of a few thousand steps took minutes), and the
// one giant body then strains every later pass. Bodies of real models'
// fused chains (GELU, layer norm steps, requantize) stay far below the
// bound, so their kernels are unchanged. The rest of the pattern set is
// upstream's pass as it stands in LLVM 22 (reshape folding by expansion,
// canonicalization, constant folding); why not call it: it offers no hook
// for the control function.
//
//===----------------------------------------------------------------------===//
#include "passes/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::dlc {
#define GEN_PASS_DEF_FUSEELEMENTWISE
#include "passes/Transforms/Passes.h.inc"
} // namespace mlir::dlc

using namespace mlir;

namespace {

/// Operations in the body of a linalg op (its terminator excluded).
int64_t bodySize(Operation *op) {
  auto linalgOp = dyn_cast_or_null<linalg::LinalgOp>(op);
  if (!linalgOp || op->getNumRegions() == 0 || op->getRegion(0).empty())
    return 0;
  return int64_t(op->getRegion(0).front().getOperations().size()) - 1;
}

struct FuseElementwisePass
    : dlc::impl::FuseElementwiseBase<FuseElementwisePass> {
  using FuseElementwiseBase::FuseElementwiseBase;

  void runOnOperation() override {
    Operation *op = getOperation();
    MLIRContext *context = op->getContext();
    RewritePatternSet patterns(context);
    linalg::ControlFusionFn oneUse = [](OpOperand *fused) {
      Operation *producer = fused->get().getDefiningOp();
      return producer && producer->hasOneUse();
    };
    int64_t limit = maxBodyOps;
    // A producer fused into a consumer with reduction loops (a contraction
    // written as a generic) runs once per element of the reduction's other
    // operand: a scale is one multiply there, but a rounding to a narrower
    // float (--precision=bf16's casts) expands to integer code that then
    // sat in the matmul's inner loop (BERT's attention output projection
    // ran 2.6x slower). Such a producer stays a pass of its own, or joins
    // its own producer.
    linalg::ControlFusionFn bounded = [=](OpOperand *fused) {
      Operation *producer = fused->get().getDefiningOp();
      if (!producer || !producer->hasOneUse() ||
          bodySize(producer) + bodySize(fused->getOwner()) > limit)
        return false;
      auto consumer = dyn_cast<linalg::LinalgOp>(fused->getOwner());
      if (consumer && consumer.getNumReductionLoops() > 0 &&
          producer->getNumRegions() == 1 && !producer->getRegion(0).empty())
        for (Operation &op : producer->getRegion(0).front())
          if (isa<arith::TruncFOp>(op))
            return false;
      return true;
    };
    // Reshapes do not fold into integer matmuls and convolutions: folding
    // one generalizes the named op, and the int8 kernel strategy
    // (dlc-cpu-int-matmul-kernels) matches named ops (an int8 matmul behind
    // a Reshape ran as a plain loop nest). Float ones fold as upstream's do.
    linalg::ControlFusionFn reshapeFold = [](OpOperand *fused) {
      Operation *producer = fused->get().getDefiningOp();
      if (!producer || !producer->hasOneUse())
        return false;
      Operation *linalgSide = isa<linalg::LinalgOp>(fused->getOwner())
                                  ? fused->getOwner()
                                  : producer;
      auto named = dyn_cast<linalg::LinalgOp>(linalgSide);
      if (!named || isa<linalg::GenericOp>(linalgSide) ||
          !isa<linalg::ContractionOpInterface, linalg::ConvolutionOpInterface,
               linalg::QuantizedMatmulOp, linalg::QuantizedBatchMatmulOp>(
              linalgSide))
        return true;
      return !getElementTypeOrSelf(named.getDpsInputs()[0].getType())
                  .isInteger();
    };
    linalg::populateElementwiseOpsFusionPatterns(patterns, bounded);
    linalg::populateFoldReshapeOpsByExpansionPatterns(patterns, reshapeFold);
    tensor::populateBubbleUpExpandShapePatterns(patterns);
    affine::AffineApplyOp::getCanonicalizationPatterns(patterns, context);
    linalg::GenericOp::getCanonicalizationPatterns(patterns, context);
    tensor::ExpandShapeOp::getCanonicalizationPatterns(patterns, context);
    tensor::CollapseShapeOp::getCanonicalizationPatterns(patterns, context);
    context->getLoadedDialect<linalg::LinalgDialect>()
        ->getCanonicalizationPatterns(patterns);
    linalg::populateConstantFoldLinalgOperations(patterns, oneUse);
    (void)applyPatternsGreedily(op, std::move(patterns),
                                GreedyRewriteConfig().setUseTopDownTraversal());
  }
};

} // namespace

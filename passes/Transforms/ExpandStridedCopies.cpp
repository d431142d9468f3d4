//===- ExpandStridedCopies.cpp - strided memref.copy to linalg.copy -------===//
//
// MLIR lowers a memref.copy between non-contiguous views to a call into its
// C runner-utils library; dlc artifacts link against nothing, so such copies
// become linalg.copy (and then loops) instead.
//
//===----------------------------------------------------------------------===//
#include "passes/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::dlc {
#define GEN_PASS_DEF_EXPANDSTRIDEDCOPIES
#include "passes/Transforms/Passes.h.inc"
} // namespace mlir::dlc

using namespace mlir;

namespace {
struct ExpandStridedCopy : OpRewritePattern<memref::CopyOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(memref::CopyOp op,
                                PatternRewriter &rewriter) const override {
    auto isContiguous = [](Value v) {
      auto t = dyn_cast<MemRefType>(v.getType());
      return t && t.getLayout().isIdentity();
    };
    if (isContiguous(op.getSource()) && isContiguous(op.getTarget()))
      return failure();
    rewriter.replaceOpWithNewOp<linalg::CopyOp>(op, op.getSource(),
                                                op.getTarget());
    return success();
  }
};

struct ExpandStridedCopiesPass
    : dlc::impl::ExpandStridedCopiesBase<ExpandStridedCopiesPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    dlc::populateExpandStridedCopiesPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace

void mlir::dlc::populateExpandStridedCopiesPatterns(
    RewritePatternSet &patterns) {
  patterns.add<ExpandStridedCopy>(patterns.getContext());
}

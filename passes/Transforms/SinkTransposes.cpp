//===- SinkTransposes.cpp - move layout transposes below elementwise ops --===//
//
// The importer runs windowed ops (convolutions, pooling) channels-last and
// wraps each in NCHW <-> NHWC transposes; tosa-reduce-transposes then
// cancels the pairs, but only across chains of TOSA elementwise ops that end
// in constants, rank-1 reshapes or transposes. A quantized model puts more
// between two convolutions: DequantizeLinear / QuantizeLinear (dlc.div,
// scalar parameters reshaped from rank 0) around a residual Add. This pass
// moves a transpose below each elementwise op whose tensor operands are all
// the same transpose or broadcasts (operands with at most one dimension
// that is not 1, which a transpose only reshapes):
//
//   op(transpose_P(x), b) -> transpose_P(op(x, reshape(b)))
//
// so transposes travel down the chain until they meet their inverse (which
// canonicalization folds) or an op that needs the layout. An op never does
// more work for it: it reads the same elements in another order, and the
// transposes it replaces (one per operand) become one on its result. This is
// the sinking half of onnxruntime's transpose optimizer.
//
//===----------------------------------------------------------------------===//
#include "passes/Transforms/Passes.h"

#include "dialects/DLC/IR/DLCDialect.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/Dialect/Tosa/Utils/ConversionUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::dlc {
#define GEN_PASS_DEF_SINKTRANSPOSES
#include "passes/Transforms/Passes.h.inc"
} // namespace mlir::dlc

using namespace mlir;

namespace {

bool isElementwise(Operation *op) {
  return op->getNumResults() == 1 &&
         (op->hasTrait<OpTrait::tosa::TosaElementwiseOperator>() ||
          isa<tosa::MulOp, tosa::CastOp, dlc::DivOp, dlc::UnaryOp>(op));
}

/// At most one dimension larger than 1: any permutation of it is a reshape.
bool isBroadcastShaped(RankedTensorType t) {
  return t.hasStaticShape() &&
         llvm::count_if(t.getShape(), [](int64_t d) { return d != 1; }) <= 1;
}

struct SinkTranspose : RewritePattern {
  explicit SinkTranspose(MLIRContext *ctx)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, ctx) {}

  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (!isElementwise(op))
      return failure();
    auto resultType = dyn_cast<RankedTensorType>(op->getResult(0).getType());
    if (!resultType || !resultType.hasStaticShape())
      return failure();
    // The tensor operands (tosa.mul's shift is a parameter, not data).
    unsigned data = isa<tosa::MulOp>(op) ? 2 : op->getNumOperands();
    std::optional<SmallVector<int32_t>> perms;
    for (unsigned i = 0; i < data; ++i) {
      Value v = op->getOperand(i);
      auto t = dyn_cast<RankedTensorType>(v.getType());
      if (!t || t.getRank() != resultType.getRank())
        return failure();
      if (auto tr = v.getDefiningOp<tosa::TransposeOp>()) {
        SmallVector<int32_t> p(tr.getPerms());
        if (perms && *perms != p)
          return failure();
        perms = p;
        continue;
      }
      if (!isBroadcastShaped(t))
        return failure();
    }
    if (!perms)
      return failure();
    // The inverse permutation takes the operands back to the transposes'
    // inputs' layout.
    SmallVector<int32_t> inverse(perms->size());
    for (auto [i, p] : llvm::enumerate(*perms))
      inverse[p] = static_cast<int32_t>(i);
    SmallVector<Value> operands(op->getOperands());
    for (unsigned i = 0; i < data; ++i) {
      Value v = operands[i];
      if (auto tr = v.getDefiningOp<tosa::TransposeOp>()) {
        operands[i] = tr.getInput1();
        continue;
      }
      auto t = cast<RankedTensorType>(v.getType());
      SmallVector<int64_t> shape = tosa::applyTOSAPermutation(t.getShape(), inverse);
      if (SmallVector<int64_t>(t.getShape()) != shape)
        operands[i] = tosa::ReshapeOp::create(
            rewriter, op->getLoc(),
            RankedTensorType::get(shape, t.getElementType()), v,
            tosa::getTosaConstShape(rewriter, op->getLoc(), shape));
    }
    auto innerType = RankedTensorType::get(
        tosa::applyTOSAPermutation(resultType.getShape(), inverse),
        resultType.getElementType());
    Operation *inner = rewriter.create(op->getLoc(), op->getName().getIdentifier(),
                                       operands, innerType, op->getAttrs());
    rewriter.replaceOpWithNewOp<tosa::TransposeOp>(op, resultType,
                                                   inner->getResult(0), *perms);
    return success();
  }
};

struct SinkTransposesPass
    : dlc::impl::SinkTransposesBase<SinkTransposesPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    patterns.add<SinkTranspose>(ctx);
    tosa::TransposeOp::getCanonicalizationPatterns(patterns, ctx);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

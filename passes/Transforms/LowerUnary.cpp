//===- LowerUnary.cpp - dlc.unary to linalg.generic over math -------------===//
//
// One elementwise linalg.generic per dlc.unary, with the function spelled in
// the math dialect. Hyperbolic and inverse functions are then expanded by
// upstream math-expand-ops / polynomial approximation, so no libm call
// survives to the artifact.
//
//===----------------------------------------------------------------------===//
#include "passes/Transforms/Passes.h"

#include "dialects/DLC/IR/DLCDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::dlc {
#define GEN_PASS_DEF_LOWERUNARY
#include "passes/Transforms/Passes.h.inc"
} // namespace mlir::dlc

using namespace mlir;

namespace {

Value applyFn(OpBuilder &b, Location loc, StringRef fn, Value x) {
  auto ft = cast<FloatType>(x.getType());
  auto cst = [&](double v) {
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(ft, v));
  };
  if (fn == "sqrt") return math::SqrtOp::create(b, loc, x);
  if (fn == "tan") return math::TanOp::create(b, loc, x);
  if (fn == "asin") return math::AsinOp::create(b, loc, x);
  if (fn == "acos") return math::AcosOp::create(b, loc, x);
  if (fn == "atan") return math::AtanOp::create(b, loc, x);
  if (fn == "sinh") return math::SinhOp::create(b, loc, x);
  if (fn == "cosh") return math::CoshOp::create(b, loc, x);
  if (fn == "asinh") return math::AsinhOp::create(b, loc, x);
  if (fn == "acosh") return math::AcoshOp::create(b, loc, x);
  if (fn == "atanh") return math::AtanhOp::create(b, loc, x);
  Value inf = cst(INFINITY), ninf = cst(-INFINITY);
  Value pos = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, x, inf);
  Value neg = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, x, ninf);
  if (fn == "isposinf") return pos;
  if (fn == "isneginf") return neg;
  return arith::OrIOp::create(b, loc, pos, neg);
}

struct LowerUnaryPattern : OpRewritePattern<dlc::UnaryOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(dlc::UnaryOp op,
                                PatternRewriter &rewriter) const override {
    auto outType = op.getOutput().getType();
    if (!outType.hasStaticShape())
      return rewriter.notifyMatchFailure(op, "needs a static shape");
    Location loc = op.getLoc();
    int64_t rank = outType.getRank();
    Value init = tensor::EmptyOp::create(rewriter, loc, outType.getShape(),
                                         outType.getElementType());
    AffineMap id = rewriter.getMultiDimIdentityMap(rank);
    SmallVector<utils::IteratorType> iters(rank,
                                           utils::IteratorType::parallel);
    StringRef fn = op.getFn();
    auto generic = linalg::GenericOp::create(
        rewriter, loc, outType, ValueRange{op.getInput()}, ValueRange{init},
        ArrayRef<AffineMap>{id, id}, iters,
        [&](OpBuilder &b, Location l, ValueRange args) {
          linalg::YieldOp::create(b, l, applyFn(b, l, fn, args[0]));
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

/// Broadcasting map of an operand: size-1 dimensions read index 0.
AffineMap broadcastMap(RankedTensorType operand, RankedTensorType out,
                       MLIRContext *ctx) {
  SmallVector<AffineExpr> exprs;
  for (int64_t d = 0; d < out.getRank(); ++d)
    exprs.push_back(operand.getDimSize(d) == out.getDimSize(d)
                        ? getAffineDimExpr(d, ctx)
                        : getAffineConstantExpr(0, ctx));
  return AffineMap::get(out.getRank(), 0, exprs, ctx);
}

struct LowerDivPattern : OpRewritePattern<dlc::DivOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(dlc::DivOp op,
                                PatternRewriter &rewriter) const override {
    auto outType = op.getOutput().getType();
    if (!outType.hasStaticShape())
      return rewriter.notifyMatchFailure(op, "needs a static shape");
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    int64_t rank = outType.getRank();
    Value init = tensor::EmptyOp::create(rewriter, loc, outType.getShape(),
                                         outType.getElementType());
    SmallVector<AffineMap> maps{
        broadcastMap(op.getLhs().getType(), outType, ctx),
        broadcastMap(op.getRhs().getType(), outType, ctx),
        rewriter.getMultiDimIdentityMap(rank)};
    SmallVector<utils::IteratorType> iters(rank,
                                           utils::IteratorType::parallel);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, outType, ValueRange{op.getLhs(), op.getRhs()},
        ValueRange{init}, maps, iters,
        [](OpBuilder &b, Location l, ValueRange a) {
          linalg::YieldOp::create(
              b, l, arith::DivFOp::create(b, l, a[0], a[1]).getResult());
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

struct LowerUnaryPass : dlc::impl::LowerUnaryBase<LowerUnaryPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    dlc::populateLowerUnaryPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void mlir::dlc::populateLowerUnaryPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerUnaryPattern, LowerDivPattern>(patterns.getContext());
}

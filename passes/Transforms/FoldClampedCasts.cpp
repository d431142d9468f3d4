//===- FoldClampedCasts.cpp - float-to-int casts of clamped values --------===//
//
// tosa.cast from float to int32 lowers (tosa-to-linalg) to a saturating
// conversion: r = roundeven(x); select(r >= 2^31, INT_MAX,
// fptosi(max(r, -2^31))). Where x is itself a clamp to constant bounds
// well inside the integer type (what every quantization's saturateCast
// writes first: +-2^17), both checks are dead for numbers, and only NaN
// still reaches them (a NaN-propagating clamp lets NaN through, and the
// select turns it into INT_MAX, which the zero point's addition can wrap).
// The conversion becomes fptosi(roundeven(clamp(x))) with the clamp's inner
// bound NaN-ignoring (x < hi ? x : hi: NaN takes that bound), so NaN
// saturates like the numbers beyond it. Per vector this drops a max, a
// compare and a blend from every requantizing epilogue, of about 18
// instructions (x86), and the clamp stays one instruction per bound.
//
//===----------------------------------------------------------------------===//
#include "passes/Transforms/Passes.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace mlir::dlc {
#define GEN_PASS_DEF_FOLDCLAMPEDCASTS
#include "passes/Transforms/Passes.h.inc"
} // namespace mlir::dlc

using namespace mlir;

namespace {

/// A float constant, scalar or splat.
std::optional<double> floatConstant(Value v) {
  APFloat a(0.0);
  if (!matchPattern(v, m_ConstantFloat(&a)))
    return std::nullopt;
  return a.convertToDouble();
}

/// A binary float op `Op` with one constant operand: the other operand, the
/// constant's value and the constant itself.
struct Bounded {
  Value x;
  double value;
  Value bound;
};
template <typename Op> std::optional<Bounded> withConstant(Value v) {
  auto op = v.getDefiningOp<Op>();
  if (!op)
    return std::nullopt;
  if (std::optional<double> c = floatConstant(op.getRhs()))
    return Bounded{op.getLhs(), *c, op.getRhs()};
  if (std::optional<double> c = floatConstant(op.getLhs()))
    return Bounded{op.getRhs(), *c, op.getLhs()};
  return std::nullopt;
}

struct FoldClampedCast : OpRewritePattern<arith::SelectOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(arith::SelectOp sel,
                                PatternRewriter &rewriter) const override {
    // select(cmpf uge/oge (r, over), INT_MAX, fptosi(max(r, under))), with
    // r = roundeven(clamp(x, lo, hi)) and the clamp in either order.
    auto cmp = sel.getCondition().getDefiningOp<arith::CmpFOp>();
    auto conv = sel.getFalseValue().getDefiningOp<arith::FPToSIOp>();
    auto intType = dyn_cast<IntegerType>(getElementTypeOrSelf(sel.getType()));
    if (!cmp || !conv || !intType ||
        (cmp.getPredicate() != arith::CmpFPredicate::UGE &&
         cmp.getPredicate() != arith::CmpFPredicate::OGE))
      return failure();
    std::optional<double> over = floatConstant(cmp.getRhs());
    Value r = cmp.getLhs();
    auto round = r.getDefiningOp<math::RoundEvenOp>();
    if (!over || !round)
      return failure();
    double under = -INFINITY;
    if (conv.getIn() != r) {
      std::optional<Bounded> low =
          withConstant<arith::MaximumFOp>(conv.getIn());
      if (!low || low->x != r)
        return failure();
      under = low->value;
    }
    std::optional<Bounded> outer, inner;
    bool minInside = true;
    if ((outer = withConstant<arith::MaximumFOp>(round.getOperand())))
      inner = withConstant<arith::MinimumFOp>(outer->x);
    else if ((outer = withConstant<arith::MinimumFOp>(round.getOperand()))) {
      inner = withConstant<arith::MaximumFOp>(outer->x);
      minInside = false;
    }
    if (!outer || !inner)
      return failure();
    double lo = minInside ? outer->value : inner->value,
           hi = minInside ? inner->value : outer->value;
    // The clamped, rounded values convert exactly and never reach the
    // checks.
    double top = std::ldexp(1.0, intType.getWidth() - 1);
    if (!(lo <= hi) || !(lo > -top) || !(hi < top) || !(hi < *over) ||
        !(under <= lo))
      return failure();
    // The inner bound as x < hi ? x : hi (or x > lo ? x : lo): NaN fails
    // the ordered compare and takes the bound. This is the form of x86's
    // minps/maxps (one instruction) where arith.minnumf/maxnumf lowers to a
    // compare, a NaN test and a blend.
    Location loc = sel.getLoc();
    Value keep = arith::CmpFOp::create(
        rewriter, loc,
        minInside ? arith::CmpFPredicate::OLT : arith::CmpFPredicate::OGT,
        inner->x, inner->bound);
    Value first =
        arith::SelectOp::create(rewriter, loc, keep, inner->x, inner->bound);
    Value clamped =
        minInside
            ? arith::MaximumFOp::create(rewriter, loc, first, outer->bound)
                  .getResult()
            : arith::MinimumFOp::create(rewriter, loc, first, outer->bound)
                  .getResult();
    Value rounded = math::RoundEvenOp::create(rewriter, loc, clamped);
    rewriter.replaceOpWithNewOp<arith::FPToSIOp>(sel, sel.getType(), rounded);
    return success();
  }
};

struct FoldClampedCastsPass
    : dlc::impl::FoldClampedCastsBase<FoldClampedCastsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FoldClampedCast>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

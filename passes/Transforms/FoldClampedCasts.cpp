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
// With a constant zero point the rest of a quantization folds too: its
// saturation to the type (an integer max and min after adding the zero
// point) moves into that float clamp; the 8-bit round trip of a value that
// is known to fit (trunci, extsi and uint8's `& 255`, what a fused QDQ pair
// leaves) goes; and dequantizing a value that was just quantized gives the
// rounded value itself. In ResNet-50's int8 residual epilogues (two
// requantizations, two dequantizations, the add and Relu) this took about 37
// vector instructions per 16 outputs down to 25.
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

/// The constant `v` of float type `t` (scalar, or a splat of its shape).
Value floatLike(PatternRewriter &rewriter, Location loc, Type t, double v) {
  TypedAttr a = rewriter.getFloatAttr(getElementTypeOrSelf(t), v);
  if (auto st = dyn_cast<ShapedType>(t))
    a = DenseElementsAttr::get(st, a);
  return arith::ConstantOp::create(rewriter, loc, a);
}

/// clamp(x) with a NaN-ignoring inner bound: `x < inner ? x : inner` then
/// maximumf(outer) when the minimum is inside (NaN takes `inner`), or
/// `x > inner ? x : inner` then minimumf(outer).
Value nanIgnoringClamp(PatternRewriter &rewriter, Location loc, Value x,
                       Value inner, Value outer, bool minInside) {
  Value keep = arith::CmpFOp::create(
      rewriter, loc,
      minInside ? arith::CmpFPredicate::OLT : arith::CmpFPredicate::OGT, x,
      inner);
  Value first = arith::SelectOp::create(rewriter, loc, keep, x, inner);
  return minInside
             ? arith::MaximumFOp::create(rewriter, loc, first, outer).getResult()
             : arith::MinimumFOp::create(rewriter, loc, first, outer).getResult();
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
    Value clamped = nanIgnoringClamp(rewriter, loc, inner->x, inner->bound,
                                     outer->bound, minInside);
    Value rounded = math::RoundEvenOp::create(rewriter, loc, clamped);
    rewriter.replaceOpWithNewOp<arith::FPToSIOp>(sel, sel.getType(), rounded);
    return success();
  }
};

/// A float clamp as the pattern above writes it: `x < hi ? x : hi` then
/// maximumf(lo) (NaN takes hi), or `x > lo ? x : lo` then minimumf(hi) (NaN
/// takes lo). Its bounds are constants.
struct FloatClamp {
  Value x;
  double lo, hi;
  bool minInside;
};
std::optional<FloatClamp> matchFloatClamp(Value v) {
  std::optional<Bounded> outer;
  bool minInside = true;
  if (!(outer = withConstant<arith::MaximumFOp>(v))) {
    if (!(outer = withConstant<arith::MinimumFOp>(v)))
      return std::nullopt;
    minInside = false;
  }
  auto sel = outer->x.getDefiningOp<arith::SelectOp>();
  auto cmp = sel ? sel.getCondition().getDefiningOp<arith::CmpFOp>()
                 : arith::CmpFOp();
  if (!cmp ||
      cmp.getPredicate() != (minInside ? arith::CmpFPredicate::OLT
                                       : arith::CmpFPredicate::OGT) ||
      sel.getTrueValue() != cmp.getLhs() ||
      sel.getFalseValue() != cmp.getRhs())
    return std::nullopt;
  std::optional<double> inner = floatConstant(cmp.getRhs());
  if (!inner)
    return std::nullopt;
  FloatClamp c{cmp.getLhs(), minInside ? outer->value : *inner,
               minInside ? *inner : outer->value, minInside};
  if (!(c.lo <= c.hi) || c.lo != std::floor(c.lo) || c.hi != std::floor(c.hi))
    return std::nullopt;
  return c;
}

std::optional<int64_t> intConstant(Value v) {
  APInt a;
  if (!matchPattern(v, m_ConstantInt(&a)))
    return std::nullopt;
  return a.getSExtValue();
}

/// fptosi(roundeven(c)) of a float clamp c: the clamp, else nullopt.
std::optional<FloatClamp> roundedClamp(Value v) {
  auto conv = v.getDefiningOp<arith::FPToSIOp>();
  auto round = conv ? conv.getIn().getDefiningOp<math::RoundEvenOp>()
                    : math::RoundEvenOp();
  if (!round)
    return std::nullopt;
  return matchFloatClamp(round.getOperand());
}

/// The values an integer can take, where the ops that compute it bound it:
/// constants, rounded float clamps, adds, signed min/max, and the 8-bit
/// round trips below.
std::optional<std::pair<int64_t, int64_t>> intRange(Value v, int depth = 0) {
  if (depth > 8)
    return std::nullopt;
  if (std::optional<int64_t> c = intConstant(v))
    return std::make_pair(*c, *c);
  if (std::optional<FloatClamp> c = roundedClamp(v))
    return std::make_pair(int64_t(c->lo), int64_t(c->hi));
  Operation *op = v.getDefiningOp();
  if (!op || op->getNumOperands() != 2 ||
      !isa<arith::AddIOp, arith::MaxSIOp, arith::MinSIOp>(op))
    return std::nullopt;
  auto a = intRange(op->getOperand(0), depth + 1),
       b = intRange(op->getOperand(1), depth + 1);
  if (!a || !b)
    return std::nullopt;
  if (isa<arith::AddIOp>(op))
    return std::make_pair(a->first + b->first, a->second + b->second);
  if (isa<arith::MaxSIOp>(op))
    return std::make_pair(std::max(a->first, b->first),
                          std::max(a->second, b->second));
  return std::make_pair(std::min(a->first, b->first),
                        std::min(a->second, b->second));
}

/// clamp(fptosi(roundeven(c)) + z, L, H) with c a float clamp and z, L, H
/// integer constants -> fptosi(roundeven(c')) + z, c' clamping to
/// [max(lo, L - z), min(hi, H - z)]: the integer bounds move to the float
/// clamp (exact: the bounds are integers, and rounding and clamping to
/// integer bounds commute). NaN still takes c's inner bound, now inside
/// [L - z, H - z], as it took the integer clamp's bound before. The
/// quantization's saturation to the type then costs no integer min/max.
struct FoldIntClamp : OpRewritePattern<arith::MinSIOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(arith::MinSIOp minOp,
                                PatternRewriter &rewriter) const override {
    std::optional<int64_t> hiI = intConstant(minOp.getRhs());
    auto maxOp = minOp.getLhs().getDefiningOp<arith::MaxSIOp>();
    std::optional<int64_t> loI =
        maxOp ? intConstant(maxOp.getRhs()) : std::nullopt;
    auto add = maxOp ? maxOp.getLhs().getDefiningOp<arith::AddIOp>()
                     : arith::AddIOp();
    if (!hiI || !loI || !add)
      return failure();
    std::optional<int64_t> z = intConstant(add.getRhs());
    std::optional<FloatClamp> c = roundedClamp(add.getLhs());
    if (!z || !c)
      return failure();
    FloatClamp n = *c;
    n.lo = std::max(c->lo, double(*loI - *z));
    n.hi = std::min(c->hi, double(*hiI - *z));
    double limit = std::ldexp(1.0, 24);
    if (!(n.lo <= n.hi) || std::abs(n.lo) > limit || std::abs(n.hi) > limit ||
        (n.lo == c->lo && n.hi == c->hi))
      return failure();
    Location loc = minOp.getLoc();
    auto constant = [&](double v) {
      return floatLike(rewriter, loc, n.x.getType(), v);
    };
    Value r = math::RoundEvenOp::create(
        rewriter, loc,
        nanIgnoringClamp(rewriter, loc, n.x,
                         constant(n.minInside ? n.hi : n.lo),
                         constant(n.minInside ? n.lo : n.hi), n.minInside));
    Value i = arith::FPToSIOp::create(rewriter, loc, add.getType(), r);
    rewriter.replaceOpWithNewOp<arith::AddIOp>(minOp, i, add.getRhs());
    return success();
  }
};

/// An integer narrowed to 8 bits and widened back, where its range fits:
/// extsi(trunci(x)) with x in [-128, 127], and andi(extsi(trunci(x)), 255)
/// (uint8's zero extension) with x in [0, 255], are x.
struct FoldByteRoundTrip : OpRewritePattern<arith::ExtSIOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(arith::ExtSIOp ext,
                                PatternRewriter &rewriter) const override {
    auto trunc = ext.getIn().getDefiningOp<arith::TruncIOp>();
    if (!trunc || trunc.getIn().getType() != ext.getType() ||
        getElementTypeOrSelf(trunc.getType()).getIntOrFloatBitWidth() != 8)
      return failure();
    Value x = trunc.getIn();
    std::optional<std::pair<int64_t, int64_t>> r = intRange(x);
    if (!r)
      return failure();
    if (r->first >= -128 && r->second <= 127) {
      rewriter.replaceOp(ext, x);
      return success();
    }
    if (r->first < 0 || r->second > 255)
      return failure();
    bool replaced = false;
    for (Operation *u : llvm::make_early_inc_range(ext->getUsers()))
      if (auto a = dyn_cast<arith::AndIOp>(u))
        if (intConstant(a.getRhs()) == 255) {
          rewriter.replaceOp(a, x);
          replaced = true;
        }
    return success(replaced);
  }
};

/// sitofp(fptosi(roundeven(c)) + z) - z' with c a float clamp and z' the
/// float value of the integer constant z: roundeven(c) + 0.0 (exact: every
/// value involved is an integer below 2^24). What dequantizing a value that
/// was just quantized leaves once the clamps are folded.
struct FoldDequantizedRounding : OpRewritePattern<arith::SubFOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(arith::SubFOp sub,
                                PatternRewriter &rewriter) const override {
    auto toF = sub.getLhs().getDefiningOp<arith::SIToFPOp>();
    std::optional<double> zf = floatConstant(sub.getRhs());
    auto add = toF ? toF.getIn().getDefiningOp<arith::AddIOp>()
                   : arith::AddIOp();
    if (!add || !zf)
      return failure();
    std::optional<int64_t> z = intConstant(add.getRhs());
    std::optional<FloatClamp> c = roundedClamp(add.getLhs());
    double limit = std::ldexp(1.0, 24);
    if (!z || !c || double(*z) != *zf ||
        std::max(std::abs(c->lo), std::abs(c->hi)) + std::abs(*zf) >= limit ||
        getElementTypeOrSelf(sub.getType()) !=
            getElementTypeOrSelf(c->x.getType()))
      return failure();
    // + 0.0 turns roundeven's -0 (of a value in (-0.5, 0)) into the +0
    // that the integer subtraction gives; LLVM keeps it (x + 0.0 is not x
    // for x = -0).
    auto conv = add.getLhs().getDefiningOp<arith::FPToSIOp>();
    rewriter.replaceOpWithNewOp<arith::AddFOp>(
        sub, conv.getIn(),
        floatLike(rewriter, sub.getLoc(), sub.getType(), 0.0));
    return success();
  }
};

struct FoldClampedCastsPass
    : dlc::impl::FoldClampedCastsBase<FoldClampedCastsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FoldClampedCast, FoldIntClamp, FoldByteRoundTrip,
                 FoldDequantizedRounding>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

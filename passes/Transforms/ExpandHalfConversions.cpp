//===- ExpandHalfConversions.cpp - f16 <-> f32 without libgcc -------------===//
//
// x86-64 CPUs without F16C have no half-precision conversion instruction,
// and LLVM then calls __extendhfsf2/__truncsfhf2 from libgcc/compiler-rt,
// which a dlc artifact must not need. These patterns write the conversions
// as integer bit manipulation: exact for extension, round-to-nearest-even
// for truncation (subnormals through one float addition whose rounding
// does the work). f64 <-> f16 goes through f32; truncation can then round
// twice, which differs from a direct conversion only on exact ties of the
// intermediate float.
//
//===----------------------------------------------------------------------===//
#include "passes/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::dlc {
#define GEN_PASS_DEF_EXPANDHALFCONVERSIONS
#include "passes/Transforms/Passes.h.inc"
} // namespace mlir::dlc

using namespace mlir;

namespace {

/// `type` with element type `elem` (scalar or shaped).
Type withElement(Type type, Type elem) {
  if (auto shaped = dyn_cast<ShapedType>(type))
    return shaped.clone(elem);
  return elem;
}

struct Bits {
  PatternRewriter &b;
  Location l;
  Type type; // i32 or a shaped i32 type.
  Value c(int64_t v) {
    Type elem = getElementTypeOrSelf(type);
    TypedAttr attr = b.getIntegerAttr(elem, v);
    if (auto shaped = dyn_cast<ShapedType>(type))
      attr = DenseElementsAttr::get(shaped, attr);
    return arith::ConstantOp::create(b, l, type, attr);
  }
  Value andi(Value x, int64_t m) { return arith::AndIOp::create(b, l, x, c(m)); }
  Value ori(Value x, Value y) { return arith::OrIOp::create(b, l, x, y); }
  Value shl(Value x, int64_t s) { return arith::ShLIOp::create(b, l, x, c(s)); }
  Value shr(Value x, int64_t s) { return arith::ShRUIOp::create(b, l, x, c(s)); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, l, x, y); }
  Value cmp(arith::CmpIPredicate p, Value x, int64_t v) {
    return arith::CmpIOp::create(b, l, p, x, c(v));
  }
  Value sel(Value cond, Value x, Value y) {
    return arith::SelectOp::create(b, l, cond, x, y);
  }
};

/// arith.extf f16 -> f32 (or f64, through f32).
struct ExpandExtF : OpRewritePattern<arith::ExtFOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(arith::ExtFOp op,
                                PatternRewriter &rewriter) const override {
    Type srcType = op.getIn().getType();
    if (!getElementTypeOrSelf(srcType).isF16())
      return failure();
    Location l = op.getLoc();
    Type i16 = withElement(srcType, rewriter.getI16Type());
    Type i32 = withElement(srcType, rewriter.getI32Type());
    Type f32 = withElement(srcType, rewriter.getF32Type());
    Bits k{rewriter, l, i32};
    Value h = arith::ExtUIOp::create(
        rewriter, l, i32, arith::BitcastOp::create(rewriter, l, i16, op.getIn()));
    Value sign = k.shl(k.andi(h, 0x8000), 16);
    Value exp = k.andi(k.shr(h, 10), 0x1f);
    Value mant = k.andi(h, 0x3ff);
    // Normal: rebias the exponent (15 -> 127) and widen the mantissa.
    Value normal = k.ori(k.shl(k.add(exp, k.c(112)), 23), k.shl(mant, 13));
    // Inf/NaN: all-ones exponent, payload kept.
    Value special = k.ori(k.c(0x7f800000), k.shl(mant, 13));
    // Zero/subnormal: mant * 2^-24, exact in float arithmetic.
    Value sub = arith::MulFOp::create(
        rewriter, l, arith::UIToFPOp::create(rewriter, l, f32, mant),
        arith::ConstantOp::create(
            rewriter, l, f32,
            isa<ShapedType>(f32)
                ? TypedAttr(DenseElementsAttr::get(
                      cast<ShapedType>(f32),
                      rewriter.getF32FloatAttr(5.9604644775390625e-8f)))
                : TypedAttr(rewriter.getF32FloatAttr(5.9604644775390625e-8f))));
    Value subBits = arith::BitcastOp::create(rewriter, l, i32, sub);
    Value bits = k.sel(k.cmp(arith::CmpIPredicate::eq, exp, 0), subBits,
                       k.sel(k.cmp(arith::CmpIPredicate::eq, exp, 31), special,
                             normal));
    Value f = arith::BitcastOp::create(rewriter, l, f32, k.ori(bits, sign));
    if (getElementTypeOrSelf(op.getType()).isF32())
      rewriter.replaceOp(op, f);
    else
      rewriter.replaceOpWithNewOp<arith::ExtFOp>(op, op.getType(), f);
    return success();
  }
};

/// arith.truncf f32 (or f64, through f32) -> f16, round to nearest even.
struct ExpandTruncF : OpRewritePattern<arith::TruncFOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(arith::TruncFOp op,
                                PatternRewriter &rewriter) const override {
    if (!getElementTypeOrSelf(op.getType()).isF16())
      return failure();
    Location l = op.getLoc();
    Type resType = op.getType();
    Type i16 = withElement(resType, rewriter.getI16Type());
    Type i32 = withElement(resType, rewriter.getI32Type());
    Type f32 = withElement(resType, rewriter.getF32Type());
    Value in = op.getIn();
    if (!getElementTypeOrSelf(in.getType()).isF32())
      in = arith::TruncFOp::create(rewriter, l, f32, in);
    Bits k{rewriter, l, i32};
    Value x = arith::BitcastOp::create(rewriter, l, i32, in);
    Value sign = k.andi(k.shr(x, 16), 0x8000);
    Value ax = k.andi(x, 0x7fffffff);
    using P = arith::CmpIPredicate;
    // NaN stays quiet NaN (payload's top bits kept); >= 65520 becomes inf.
    Value nan = k.ori(k.c(0x7e00), k.andi(k.shr(ax, 13), 0x3ff));
    Value isNan = k.cmp(P::ugt, ax, 0x7f800000);
    Value overflow = k.cmp(P::uge, ax, 0x477ff000);
    // Normal: rebias (127 -> 15) and round the 13 dropped bits to even.
    Value normal = k.shr(
        k.add(k.add(ax, k.c(int32_t(0xc8000fff))), k.andi(k.shr(ax, 13), 1)), 13);
    // Subnormal: adding 0.5 makes the float unit 2^-24, one half-subnormal
    // step; the FPU's round-to-even does the rest.
    Value half = arith::ConstantOp::create(
        rewriter, l, f32,
        isa<ShapedType>(f32)
            ? TypedAttr(DenseElementsAttr::get(cast<ShapedType>(f32),
                                               rewriter.getF32FloatAttr(0.5f)))
            : TypedAttr(rewriter.getF32FloatAttr(0.5f)));
    Value shifted = arith::AddFOp::create(
        rewriter, l, arith::BitcastOp::create(rewriter, l, f32, ax), half);
    Value sub = arith::SubIOp::create(
        rewriter, l, arith::BitcastOp::create(rewriter, l, i32, shifted),
        k.c(0x3f000000));
    Value bits = k.sel(
        isNan, nan,
        k.sel(overflow, k.c(0x7c00),
              k.sel(k.cmp(P::uge, ax, 0x38800000), normal, sub)));
    Value h = arith::TruncIOp::create(rewriter, l, i16, k.ori(bits, sign));
    rewriter.replaceOpWithNewOp<arith::BitcastOp>(op, resType, h);
    return success();
  }
};

/// arith.sitofp/uitofp to f16 or bf16 -> to f32, then arith.truncf.
template <typename Op> struct SplitIntToHalf : OpRewritePattern<Op> {
  using OpRewritePattern<Op>::OpRewritePattern;
  LogicalResult matchAndRewrite(Op op, PatternRewriter &rewriter) const override {
    Type elem = getElementTypeOrSelf(op.getType());
    if (!elem.isF16() && !elem.isBF16())
      return failure();
    Type f32 = withElement(op.getType(), rewriter.getF32Type());
    Value wide = Op::create(rewriter, op.getLoc(), f32, op.getIn());
    rewriter.replaceOpWithNewOp<arith::TruncFOp>(op, op.getType(), wide);
    return success();
  }
};

struct ExpandHalfConversionsPass
    : dlc::impl::ExpandHalfConversionsBase<ExpandHalfConversionsPass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<SplitIntToHalf<arith::SIToFPOp>,
                 SplitIntToHalf<arith::UIToFPOp>>(&getContext());
    if (expandF16)
      patterns.add<ExpandExtF, ExpandTruncF>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

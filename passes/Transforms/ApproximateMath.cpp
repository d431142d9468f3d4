//===- ApproximateMath.cpp - inline polynomial approximations -------------===//
//
// Replaces math.exp/tanh/erf/log/... by MLIR's upstream polynomial
// approximations so the artifact needs nothing from libm: the code is
// self-contained for firmware builds and identical across C libraries.
//
//===----------------------------------------------------------------------===//
#include "passes/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Approximation.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/StringSet.h"

#include <cmath>
#include <type_traits>

namespace mlir::dlc {
#define GEN_PASS_DEF_APPROXIMATEMATH
#include "passes/Transforms/Passes.h.inc"
} // namespace mlir::dlc

using namespace mlir;

namespace {
/// math.fma -> contractable mulf + addf. The approximations are written with
/// fma; on a CPU without FMA instructions (x86-64 baseline) LLVM would call
/// libm's fmaf for it. A `contract` pair fuses where FMA exists and needs
/// nothing from libm where it does not.
struct FmaToContractedMulAdd : OpRewritePattern<math::FmaOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(math::FmaOp op,
                                PatternRewriter &rewriter) const override {
    auto flags = arith::FastMathFlagsAttr::get(
        getContext(), op.getFastmath() | arith::FastMathFlags::contract);
    Value mul = arith::MulFOp::create(rewriter, op.getLoc(), op.getA(),
                                      op.getB(), flags);
    rewriter.replaceOpWithNewOp<arith::AddFOp>(op, mul, op.getC(), flags);
    return success();
  }
};

/// A scalar or splat-vector float constant of `type`.
static Value floatConst(OpBuilder &b, Location loc, Type type, double v) {
  auto elem = cast<FloatType>(getElementTypeOrSelf(type));
  TypedAttr attr = b.getFloatAttr(elem, v);
  if (auto shaped = dyn_cast<ShapedType>(type))
    attr = DenseElementsAttr::get(shaped, attr);
  return arith::ConstantOp::create(b, loc, type, attr);
}

/// trunc(x) without libm: a float at or above 2^mantissa (or inf/NaN) is
/// already integral; below it the value round-trips through an integer.
/// copysign keeps -0.0 for x in (-1, 0). Exact, like the libm function.
static Value expandTrunc(OpBuilder &b, Location loc, Value x) {
  Type type = x.getType();
  auto elem = cast<FloatType>(getElementTypeOrSelf(type));
  Type intElem = b.getIntegerType(elem.getWidth());
  Type intType = intElem;
  if (auto shaped = dyn_cast<ShapedType>(type))
    intType = shaped.clone(intElem);
  Value limit = floatConst(b, loc, type, std::ldexp(1.0, elem.getFPMantissaWidth() - 1));
  Value small = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT,
                                      math::AbsFOp::create(b, loc, x), limit);
  Value asInt = arith::FPToSIOp::create(b, loc, intType, x);
  Value back = arith::SIToFPOp::create(b, loc, type, asInt);
  Value signed_ = math::CopySignOp::create(b, loc, back, x);
  return arith::SelectOp::create(b, loc, small, signed_, x);
}

/// math.trunc / math.floor on f32/f64 -> compare/convert/select. LLVM turns
/// llvm.trunc/llvm.floor into calls to truncf/floorf on CPUs without
/// rounding instructions (x86-64 before SSE4.1), and artifacts must not need
/// libm; upstream's math-expand-ops leaves both ops alone.
template <typename OpTy>
struct ExpandRounding : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    auto elem = dyn_cast<FloatType>(getElementTypeOrSelf(op.getType()));
    if (!elem || (elem.getWidth() != 32 && elem.getWidth() != 64))
      return failure();
    Location loc = op.getLoc();
    Value x = op.getOperand();
    Value t = expandTrunc(rewriter, loc, x);
    if (std::is_same_v<OpTy, math::FloorOp>) {
      // floor = trunc - 1 where truncation moved a negative value up.
      Value one = floatConst(rewriter, loc, x.getType(), 1.0);
      Value above = arith::CmpFOp::create(
          rewriter, loc, arith::CmpFPredicate::OLT, x, t);
      t = arith::SelectOp::create(rewriter, loc, above,
                                  arith::SubFOp::create(rewriter, loc, t, one),
                                  t);
    }
    rewriter.replaceOp(op, t);
    return success();
  }
};

/// f64 transcendental -> truncf, the f32 op, extf. The polynomial
/// approximations exist for f32 only and LLVM would otherwise call libm's
/// double functions (exp, log, ...), which artifacts must not need. Double
/// models thus get float accuracy for these functions (ONNX's tolerance for
/// them is 1e-3 relative), and exact arithmetic everywhere else.
struct NarrowF64Transcendental : RewritePattern {
  explicit NarrowF64Transcendental(MLIRContext *ctx)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, ctx) {}
  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    static const llvm::StringSet<> names = {
        "math.exp",   "math.exp2",  "math.expm1", "math.log",  "math.log1p",
        "math.log2",  "math.log10", "math.tanh",  "math.sinh", "math.cosh",
        "math.erf",   "math.erfc",  "math.sin",   "math.cos",  "math.tan",
        "math.asin",  "math.acos",  "math.atan",  "math.atan2", "math.asinh",
        "math.acosh", "math.atanh", "math.cbrt",  "math.powf", "math.rsqrt"};
    if (!names.contains(op->getName().getStringRef()) ||
        op->getNumResults() != 1)
      return failure();
    auto isF64 = [](Type t) { return getElementTypeOrSelf(t).isF64(); };
    if (!isF64(op->getResult(0).getType()) ||
        !llvm::all_of(op->getOperandTypes(), isF64))
      return failure();
    auto narrow = [&](Type t) -> Type {
      Type f32 = rewriter.getF32Type();
      if (auto shaped = dyn_cast<ShapedType>(t))
        return shaped.clone(f32);
      return f32;
    };
    SmallVector<Value> operands;
    for (Value v : op->getOperands())
      operands.push_back(arith::TruncFOp::create(rewriter, op->getLoc(),
                                                 narrow(v.getType()), v));
    OperationState state(op->getLoc(), op->getName());
    state.addOperands(operands);
    state.addTypes(narrow(op->getResult(0).getType()));
    state.addAttributes(op->getAttrs());
    Operation *narrowed = rewriter.create(state);
    rewriter.replaceOpWithNewOp<arith::ExtFOp>(
        op, op->getResult(0).getType(), narrowed->getResult(0));
    return success();
  }
};

struct ApproximateMathPass
    : dlc::impl::ApproximateMathBase<ApproximateMathPass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet narrow(&getContext());
    narrow.add<NarrowF64Transcendental>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(narrow))))
      return signalPassFailure();
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    RewritePatternSet fma(&getContext());
    fma.add<FmaToContractedMulAdd>(&getContext());
    if (!nativeRounding) {
      fma.add<ExpandRounding<math::TruncOp>, ExpandRounding<math::FloorOp>>(
          &getContext());
      // The approximations may round; these expand to trunc, handled above.
      math::populateExpansionPatterns(fma, {"ceil", "round", "roundeven"});
    } else {
      // round (half away from zero) has no instruction; it expands to trunc.
      math::populateExpansionPatterns(fma, {"round"});
    }
    if (failed(applyPatternsGreedily(getOperation(), std::move(fma))))
      signalPassFailure();
  }
};
} // namespace

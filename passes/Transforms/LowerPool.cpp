//===- LowerPool.cpp - dlc.pool to linalg.generic -------------------------===//
//
// One linalg.generic covers every pooling rank, stride and dilation: the
// loops run over [N, C, out..., window...] and read the padded input at
// out * stride + window * dilation. An average is then divided by a divisor
// tensor computed here at compile time (the valid window size at each output
// position), so count_include_pad and ceil_mode cost nothing at run time.
//
//===----------------------------------------------------------------------===//
#include "passes/Transforms/Passes.h"

#include "dialects/DLC/IR/DLCDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::dlc {
#define GEN_PASS_DEF_LOWERPOOL
#include "passes/Transforms/Passes.h.inc"
} // namespace mlir::dlc

using namespace mlir;

namespace {

struct LowerPoolPattern : OpRewritePattern<dlc::PoolOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(dlc::PoolOp op,
                                PatternRewriter &rewriter) const override {
    auto inType = op.getInput().getType();
    auto outType = op.getOutput().getType();
    if (!inType.hasStaticShape() || !outType.hasStaticShape())
      return rewriter.notifyMatchFailure(op, "needs static shapes");
    auto elt = dyn_cast<FloatType>(inType.getElementType());
    if (!elt)
      return rewriter.notifyMatchFailure(op, "needs a float element type");
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    bool isMax = op.getKind() == "max";
    int64_t k = inType.getRank() - 2;

    // Pad so that every window the output needs is in bounds.
    SmallVector<OpFoldResult> low(2, rewriter.getIndexAttr(0)),
        high(2, rewriter.getIndexAttr(0));
    SmallVector<int64_t> padded(inType.getShape());
    for (int64_t i = 0; i < k; ++i) {
      int64_t extent = (op.getKernel()[i] - 1) * op.getDilations()[i] + 1;
      int64_t need = (outType.getDimSize(2 + i) - 1) * op.getStrides()[i] +
                     extent - inType.getDimSize(2 + i) - op.getPadsLow()[i];
      int64_t hi = std::max<int64_t>(need, 0);
      low.push_back(rewriter.getIndexAttr(op.getPadsLow()[i]));
      high.push_back(rewriter.getIndexAttr(hi));
      padded[2 + i] += op.getPadsLow()[i] + hi;
    }
    APFloat neutral = isMax ? APFloat::getInf(elt.getFloatSemantics(), true)
                            : APFloat::getZero(elt.getFloatSemantics());
    Value padValue = arith::ConstantOp::create(
        rewriter, loc, rewriter.getFloatAttr(elt, neutral));
    Value input = tensor::PadOp::create(
        rewriter, loc, RankedTensorType::get(padded, elt), op.getInput(), low,
        high, padValue);

    // Loops: d0 = N, d1 = C, d2..d(k+1) = output, d(k+2)..d(2k+1) = window.
    int64_t loops = 2 + 2 * k;
    SmallVector<AffineExpr> inExprs{getAffineDimExpr(0, ctx),
                                    getAffineDimExpr(1, ctx)},
        winExprs, outExprs{getAffineDimExpr(0, ctx), getAffineDimExpr(1, ctx)};
    for (int64_t i = 0; i < k; ++i) {
      AffineExpr o = getAffineDimExpr(2 + i, ctx);
      AffineExpr w = getAffineDimExpr(2 + k + i, ctx);
      inExprs.push_back(o * op.getStrides()[i] + w * op.getDilations()[i]);
      winExprs.push_back(w);
      outExprs.push_back(o);
    }
    SmallVector<AffineMap> maps{AffineMap::get(loops, 0, inExprs, ctx),
                                AffineMap::get(loops, 0, winExprs, ctx),
                                AffineMap::get(loops, 0, outExprs, ctx)};
    SmallVector<utils::IteratorType> iters(2 + k,
                                           utils::IteratorType::parallel);
    iters.append(k, utils::IteratorType::reduction);
    Value window = tensor::EmptyOp::create(rewriter, loc, op.getKernel(), elt);
    Value init = linalg::FillOp::create(
                     rewriter, loc, padValue,
                     ValueRange{tensor::EmptyOp::create(
                         rewriter, loc, outType.getShape(), elt)})
                     .getResult(0);
    Value acc =
        linalg::GenericOp::create(
            rewriter, loc, outType, ValueRange{input, window}, ValueRange{init},
            maps, iters,
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value r = isMax ? Value(arith::MaximumFOp::create(b, l, args[0],
                                                                args[2]))
                              : Value(arith::AddFOp::create(b, l, args[0],
                                                            args[2]));
              linalg::YieldOp::create(b, l, r);
            })
            .getResult(0);
    if (isMax || op.getKind() == "sum") {
      rewriter.replaceOp(op, acc);
      return success();
    }

    // Divisor per output position: the product over dimensions of the
    // number of window taps that land on counted positions.
    SmallVector<int64_t> outSpatial(outType.getShape().drop_front(2));
    SmallVector<std::vector<int64_t>> counts(k);
    for (int64_t i = 0; i < k; ++i) {
      int64_t in = inType.getDimSize(2 + i), lo = op.getPadsLow()[i],
              hi = op.getPadsHigh()[i];
      int64_t first = op.getCountIncludePad() ? -lo : 0;
      int64_t last = op.getCountIncludePad() ? in + hi : in;
      for (int64_t o = 0; o < outSpatial[i]; ++o) {
        int64_t n = 0;
        for (int64_t w = 0; w < op.getKernel()[i]; ++w) {
          int64_t p = o * op.getStrides()[i] + w * op.getDilations()[i] - lo;
          n += p >= first && p < last;
        }
        counts[i].push_back(n);
      }
    }
    int64_t total = 1;
    for (int64_t d : outSpatial)
      total *= d;
    std::vector<float> recip(total);
    for (int64_t flat = 0; flat < total; ++flat) {
      int64_t rem = flat, n = 1;
      for (int64_t i = k - 1; i >= 0; --i) {
        n *= counts[i][rem % outSpatial[i]];
        rem /= outSpatial[i];
      }
      recip[flat] = n ? 1.0f / static_cast<float>(n) : 0.0f;
    }
    auto recipType = RankedTensorType::get(outSpatial, rewriter.getF32Type());
    Value scale = arith::ConstantOp::create(
        rewriter, loc, DenseElementsAttr::get(recipType, ArrayRef<float>(recip)));
    int64_t rank = outType.getRank();
    SmallVector<AffineExpr> scaleExprs;
    for (int64_t i = 0; i < k; ++i)
      scaleExprs.push_back(getAffineDimExpr(2 + i, ctx));
    AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
    SmallVector<AffineMap> divMaps{id, AffineMap::get(rank, 0, scaleExprs, ctx),
                                   id};
    SmallVector<utils::IteratorType> par(rank, utils::IteratorType::parallel);
    Value avg =
        linalg::GenericOp::create(
            rewriter, loc, outType, ValueRange{acc, scale},
            ValueRange{tensor::EmptyOp::create(rewriter, loc,
                                               outType.getShape(), elt)},
            divMaps, par,
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value s = args[1];
              if (s.getType() != elt)
                s = arith::TruncFOp::create(b, l, elt, s);
              linalg::YieldOp::create(b, l,
                                      arith::MulFOp::create(b, l, args[0], s)
                                          .getResult());
            })
            .getResult(0);
    rewriter.replaceOp(op, avg);
    return success();
  }
};

struct LowerPoolPass : dlc::impl::LowerPoolBase<LowerPoolPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    dlc::populateLowerPoolPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void mlir::dlc::populateLowerPoolPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerPoolPattern>(patterns.getContext());
}

//===- LowerPad.cpp - dlc.pad to tensor/linalg ----------------------------===//
//
// Lowers border-replicating padding (ONNX Pad reflect/edge/wrap) one dimension at a
// time: the two borders are computed by a linalg.generic that reads the input
// through a mirrored (reflect) or constant (edge) index map, then joined with
// tensor.concat. Upstream tensor.pad only pads with a constant.
//
//===----------------------------------------------------------------------===//
#include "passes/Transforms/Passes.h"

#include "dialects/DLC/IR/DLCDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::dlc {
#define GEN_PASS_DEF_LOWERPAD
#include "passes/Transforms/Passes.h.inc"
} // namespace mlir::dlc

using namespace mlir;

namespace {

/// Builds the `count`-wide border of `input` along `dim`. Border element i
/// reads input index `base + sign * i`.
static Value buildBorder(PatternRewriter &rewriter, Location loc, Value input,
                         int64_t dim, int64_t count, int64_t base,
                         int64_t sign) {
  auto inType = cast<RankedTensorType>(input.getType());
  SmallVector<int64_t> shape(inType.getShape());
  shape[dim] = count;
  auto outType = RankedTensorType::get(shape, inType.getElementType());
  Value init = tensor::EmptyOp::create(rewriter, loc, shape,
                                       inType.getElementType());
  int64_t rank = inType.getRank();
  MLIRContext *ctx = rewriter.getContext();
  SmallVector<AffineExpr> exprs;
  for (int64_t d = 0; d < rank; ++d)
    exprs.push_back(d == dim ? getAffineConstantExpr(base, ctx) +
                                   getAffineDimExpr(d, ctx) * sign
                             : getAffineDimExpr(d, ctx));
  AffineMap inMap = AffineMap::get(rank, 0, exprs, ctx);
  AffineMap outMap = AffineMap::getMultiDimIdentityMap(rank, ctx);
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      rewriter, loc, outType, ValueRange{input}, ValueRange{init},
      ArrayRef<AffineMap>{inMap, outMap}, iters,
      [](OpBuilder &b, Location l, ValueRange args) {
        linalg::YieldOp::create(b, l, args[0]);
      });
  return generic.getResult(0);
}

struct LowerPadPattern : OpRewritePattern<dlc::PadOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(dlc::PadOp op,
                                PatternRewriter &rewriter) const override {
    auto type = op.getInput().getType();
    if (!type.hasStaticShape())
      return rewriter.notifyMatchFailure(op, "needs a static shape");
    bool reflect = op.getMode() == "reflect";
    bool wrap = op.getMode() == "wrap";
    Value cur = op.getInput();
    Location loc = op.getLoc();
    for (int64_t d = 0; d < type.getRank(); ++d) {
      int64_t lo = op.getLow()[d], hi = op.getHigh()[d];
      if (lo == 0 && hi == 0)
        continue;
      int64_t n = type.getDimSize(d);
      SmallVector<Value> parts;
      // Left border element i is input[lo - i] (reflect) or input[0] (edge).
      // Wrap borders are slices of the far end: input[n - lo, n) on the
      // left, input[0, hi) on the right.
      auto slice = [&](int64_t start, int64_t size) -> Value {
        auto t = cast<RankedTensorType>(cur.getType());
        SmallVector<OpFoldResult> offsets(t.getRank(), rewriter.getIndexAttr(0)),
            sizes, strides(t.getRank(), rewriter.getIndexAttr(1));
        for (int64_t k = 0; k < t.getRank(); ++k)
          sizes.push_back(rewriter.getIndexAttr(k == d ? size : t.getDimSize(k)));
        offsets[d] = rewriter.getIndexAttr(start);
        return tensor::ExtractSliceOp::create(rewriter, loc, cur, offsets, sizes,
                                              strides);
      };
      if (lo > 0)
        parts.push_back(reflect ? buildBorder(rewriter, loc, cur, d, lo, lo, -1)
                        : wrap  ? slice(n - lo, lo)
                                : buildBorder(rewriter, loc, cur, d, lo, 0, 0));
      parts.push_back(cur);
      // Right border element j is input[n-2-j] (reflect) or input[n-1].
      if (hi > 0)
        parts.push_back(reflect
                            ? buildBorder(rewriter, loc, cur, d, hi, n - 2, -1)
                        : wrap ? slice(0, hi)
                               : buildBorder(rewriter, loc, cur, d, hi, n - 1, 0));
      cur = tensor::ConcatOp::create(rewriter, loc, d, parts);
    }
    rewriter.replaceOp(op, cur);
    return success();
  }
};

struct LowerPadPass : dlc::impl::LowerPadBase<LowerPadPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    dlc::populateLowerPadPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void mlir::dlc::populateLowerPadPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerPadPattern>(patterns.getContext());
}

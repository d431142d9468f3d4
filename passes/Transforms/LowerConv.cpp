//===- LowerConv.cpp - dlc.conv to linalg.generic -------------------------===//
//
// A grouped convolution becomes one linalg.generic on views that make the
// group its own dimension: input [N, G, C/G, S...], weight [G, F/G, C/G,
// K...], result [N, G, F/G, O...], iterating (n, g, f, o..., c, k...). The
// padded input is read at o * stride + k * dilation; the bias is added by a
// second elementwise generic after collapsing back to [N, F, O...].
//
// A depthwise tosa.depthwise_conv2d without channel multiplier becomes
// linalg's depthwise convolution in [N, H, W, C] (DepthwiseWithoutMultiplier).
//
//===----------------------------------------------------------------------===//
#include "passes/Transforms/Passes.h"

#include "dialects/DLC/IR/DLCDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::dlc {
#define GEN_PASS_DEF_LOWERCONV
#include "passes/Transforms/Passes.h.inc"
} // namespace mlir::dlc

using namespace mlir;

namespace {

/// Splits dimension `dim` of `v` into [groups, size / groups].
Value splitGroups(PatternRewriter &rewriter, Location loc, Value v,
                  int64_t dim, int64_t groups) {
  auto t = cast<RankedTensorType>(v.getType());
  SmallVector<int64_t> shape(t.getShape());
  int64_t size = shape[dim];
  shape[dim] = size / groups;
  shape.insert(shape.begin() + dim, groups);
  SmallVector<ReassociationIndices> reassoc;
  for (int64_t d = 0, o = 0; d < t.getRank(); ++d) {
    if (d == dim) {
      reassoc.push_back({o, o + 1});
      o += 2;
    } else {
      reassoc.push_back({o++});
    }
  }
  return tensor::ExpandShapeOp::create(
      rewriter, loc, RankedTensorType::get(shape, t.getElementType()), v,
      reassoc);
}

struct LowerConvPattern : OpRewritePattern<dlc::ConvOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(dlc::ConvOp op,
                                PatternRewriter &rewriter) const override {
    auto inType = op.getInput().getType();
    auto wType = op.getWeight().getType();
    auto outType = op.getOutput().getType();
    if (!inType.hasStaticShape() || !wType.hasStaticShape() ||
        !outType.hasStaticShape())
      return rewriter.notifyMatchFailure(op, "needs static shapes");
    auto elt = dyn_cast<FloatType>(outType.getElementType());
    if (!elt)
      return rewriter.notifyMatchFailure(op, "needs float data");
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    int64_t k = inType.getRank() - 2, g = op.getGroups();
    int64_t n = inType.getDimSize(0), f = wType.getDimSize(0);

    // Zero padding of the spatial dimensions.
    SmallVector<OpFoldResult> low(2, rewriter.getIndexAttr(0)),
        high(2, rewriter.getIndexAttr(0));
    SmallVector<int64_t> padded(inType.getShape());
    for (int64_t i = 0; i < k; ++i) {
      low.push_back(rewriter.getIndexAttr(op.getPadsLow()[i]));
      high.push_back(rewriter.getIndexAttr(op.getPadsHigh()[i]));
      padded[2 + i] += op.getPadsLow()[i] + op.getPadsHigh()[i];
    }
    Value zero =
        arith::ConstantOp::create(rewriter, loc, rewriter.getFloatAttr(elt, 0));
    Value input = tensor::PadOp::create(
        rewriter, loc, RankedTensorType::get(padded, elt), op.getInput(), low,
        high, zero);
    input = splitGroups(rewriter, loc, input, 1, g);
    Value weight = splitGroups(rewriter, loc, op.getWeight(), 0, g);

    // Loops: n, g, f, o1..ok, c, k1..kk.
    int64_t loops = 4 + 2 * k;
    auto dim = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
    int64_t cDim = 3 + k, kDim = 4 + k;
    SmallVector<AffineExpr> inE{dim(0), dim(1), dim(cDim)}, wE{dim(1), dim(2),
                                                               dim(cDim)},
        oE{dim(0), dim(1), dim(2)};
    for (int64_t i = 0; i < k; ++i) {
      inE.push_back(dim(3 + i) * op.getStrides()[i] +
                    dim(kDim + i) * op.getDilations()[i]);
      wE.push_back(dim(kDim + i));
      oE.push_back(dim(3 + i));
    }
    SmallVector<int64_t> grouped{n, g, f / g};
    grouped.append(outType.getShape().begin() + 2, outType.getShape().end());
    auto groupedType = RankedTensorType::get(grouped, elt);
    Value init = linalg::FillOp::create(
                     rewriter, loc, zero,
                     ValueRange{tensor::EmptyOp::create(rewriter, loc, grouped,
                                                        elt)})
                     .getResult(0);
    SmallVector<utils::IteratorType> iters(3 + k,
                                           utils::IteratorType::parallel);
    iters.append(1 + k, utils::IteratorType::reduction);
    Value acc =
        linalg::GenericOp::create(
            rewriter, loc, groupedType, ValueRange{input, weight},
            ValueRange{init},
            ArrayRef<AffineMap>{AffineMap::get(loops, 0, inE, ctx),
                                AffineMap::get(loops, 0, wE, ctx),
                                AffineMap::get(loops, 0, oE, ctx)},
            iters,
            [](OpBuilder &b, Location l, ValueRange a) {
              Value p = arith::MulFOp::create(b, l, a[0], a[1]);
              linalg::YieldOp::create(b, l,
                                      arith::AddFOp::create(b, l, a[2], p)
                                          .getResult());
            })
            .getResult(0);
    SmallVector<ReassociationIndices> collapse{{0}, {1, 2}};
    for (int64_t i = 0; i < k; ++i)
      collapse.push_back({3 + i});
    Value y = tensor::CollapseShapeOp::create(rewriter, loc, outType, acc,
                                              collapse);

    // Bias per output channel.
    int64_t rank = outType.getRank();
    AffineMap id = rewriter.getMultiDimIdentityMap(rank);
    AffineMap ch = AffineMap::get(rank, 0, {dim(1)}, ctx);
    Value bias = op.getBias();
    if (cast<RankedTensorType>(bias.getType()).getRank() != 1)
      bias = tensor::CollapseShapeOp::create(
          rewriter, loc, RankedTensorType::get({f}, elt), bias,
          SmallVector<ReassociationIndices>{
              llvm::to_vector(llvm::seq<int64_t>(
                  0, cast<RankedTensorType>(bias.getType()).getRank()))});
    SmallVector<utils::IteratorType> par(rank, utils::IteratorType::parallel);
    Value out =
        linalg::GenericOp::create(
            rewriter, loc, outType, ValueRange{y, bias},
            ValueRange{tensor::EmptyOp::create(rewriter, loc,
                                               outType.getShape(), elt)},
            ArrayRef<AffineMap>{id, ch, id}, par,
            [](OpBuilder &b, Location l, ValueRange a) {
              linalg::YieldOp::create(
                  b, l, arith::AddFOp::create(b, l, a[0], a[1]).getResult());
            })
            .getResult(0);
    rewriter.replaceOp(op, out);
    return success();
  }
};

/// tosa.depthwise_conv2d with one output per channel (float, or int8 with
/// int32 sums) as linalg.depthwise_conv_2d_nhwc_hwc(_q) and a bias add, all
/// in [N, H, W, C]. Upstream's lowering keeps the channel multiplier as a
/// fifth dimension ([N, H, W, C, 1]) and collapses it around the bias; the
/// reshape then sat between the convolution and its elementwise consumers,
/// and a consumer that reads per-channel or scalar operands (a
/// requantization) cannot be expanded to five dimensions, so it stayed a
/// pass of its own instead of the kernel's epilogue.
struct DepthwiseWithoutMultiplier
    : OpRewritePattern<tosa::DepthwiseConv2DOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tosa::DepthwiseConv2DOp op,
                                PatternRewriter &rewriter) const override {
    auto inType = dyn_cast<RankedTensorType>(op.getInput().getType());
    auto wType = dyn_cast<RankedTensorType>(op.getWeight().getType());
    auto bType = dyn_cast<RankedTensorType>(op.getBias().getType());
    auto outType = dyn_cast<RankedTensorType>(op.getType());
    if (!inType || !wType || !bType || !outType || !inType.hasStaticShape() ||
        !wType.hasStaticShape() || !bType.hasStaticShape() ||
        !outType.hasStaticShape() || wType.getDimSize(3) != 1 ||
        bType.getRank() != 1 || bType.getDimSize(0) != outType.getDimSize(3))
      return rewriter.notifyMatchFailure(op, "needs static shapes, one "
                                             "output per channel, a bias "
                                             "per channel");
    Type elt = inType.getElementType(), acc = outType.getElementType();
    bool quantized = elt.isInteger(8) && wType.getElementType().isInteger(8) &&
                     acc.isInteger(32) && bType.getElementType().isInteger(32);
    if (!quantized && !(elt.isF32() && wType.getElementType().isF32() &&
                        acc.isF32() && bType.getElementType().isF32()))
      return rewriter.notifyMatchFailure(op, "needs f32, or int8 to int32");
    FailureOr<int64_t> inZp = op.getInputZeroPoint(),
                       wZp = op.getWeightZeroPoint();
    if (failed(inZp) || failed(wZp) || (!quantized && (*inZp || *wZp)))
      return rewriter.notifyMatchFailure(op, "needs constant zero points");
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();

    // The input padded with its zero point.
    ArrayRef<int64_t> pad = op.getPad(); // top, bottom, left, right
    SmallVector<int64_t> padded(inType.getShape());
    padded[1] += pad[0] + pad[1];
    padded[2] += pad[2] + pad[3];
    Value input = op.getInput();
    if (llvm::any_of(pad, [](int64_t p) { return p != 0; })) {
      Value padValue = arith::ConstantOp::create(
          rewriter, loc,
          quantized ? rewriter.getIntegerAttr(elt, *inZp)
                    : TypedAttr(rewriter.getFloatAttr(elt, 0)));
      SmallVector<OpFoldResult> low, high;
      for (int64_t v : {int64_t(0), pad[0], pad[2], int64_t(0)})
        low.push_back(rewriter.getIndexAttr(v));
      for (int64_t v : {int64_t(0), pad[1], pad[3], int64_t(0)})
        high.push_back(rewriter.getIndexAttr(v));
      input = tensor::PadOp::create(rewriter, loc,
                                    RankedTensorType::get(padded, elt), input,
                                    low, high, padValue);
    }
    Value filter = tensor::CollapseShapeOp::create(
        rewriter, loc,
        RankedTensorType::get(wType.getShape().take_front(3),
                              wType.getElementType()),
        op.getWeight(), SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}});
    Value zero = arith::ConstantOp::create(rewriter, loc,
                                           rewriter.getZeroAttr(acc));
    Value init = linalg::FillOp::create(
                     rewriter, loc, zero,
                     ValueRange{tensor::EmptyOp::create(
                         rewriter, loc, outType.getShape(), acc)})
                     .getResult(0);
    auto attr = [&](ArrayRef<int64_t> v) {
      return DenseIntElementsAttr::get(
          RankedTensorType::get({2}, rewriter.getI64Type()), v);
    };
    auto strides = attr(op.getStride()), dilations = attr(op.getDilation());
    Value conv;
    if (quantized && (*inZp || *wZp)) {
      auto i32 = [&](int64_t v) -> Value {
        return arith::ConstantOp::create(rewriter, loc,
                                         rewriter.getI32IntegerAttr(v));
      };
      conv = linalg::DepthwiseConv2DNhwcHwcQOp::create(
                 rewriter, loc, TypeRange{outType},
                 ValueRange{input, filter, i32(*inZp), i32(*wZp)},
                 ValueRange{init}, strides, dilations)
                 .getResult(0);
    } else {
      conv = linalg::DepthwiseConv2DNhwcHwcOp::create(
                 rewriter, loc, TypeRange{outType}, ValueRange{input, filter},
                 ValueRange{init}, strides, dilations)
                 .getResult(0);
    }
    AffineMap id = rewriter.getMultiDimIdentityMap(4);
    AffineMap ch = AffineMap::get(4, 0, getAffineDimExpr(3, ctx), ctx);
    SmallVector<utils::IteratorType> par(4, utils::IteratorType::parallel);
    Value out =
        linalg::GenericOp::create(
            rewriter, loc, outType, ValueRange{conv, op.getBias()},
            ValueRange{tensor::EmptyOp::create(rewriter, loc,
                                               outType.getShape(), acc)},
            ArrayRef<AffineMap>{id, ch, id}, par,
            [&](OpBuilder &b, Location l, ValueRange a) {
              Value sum = quantized
                              ? arith::AddIOp::create(b, l, a[0], a[1])
                                    .getResult()
                              : arith::AddFOp::create(b, l, a[0], a[1])
                                    .getResult();
              linalg::YieldOp::create(b, l, sum);
            })
            .getResult(0);
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct LowerConvPass : dlc::impl::LowerConvBase<LowerConvPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    dlc::populateLowerConvPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void mlir::dlc::populateLowerConvPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerConvPattern, DepthwiseWithoutMultiplier>(
      patterns.getContext());
}

//===- DeformConv.cpp - ONNX DeformConv (opset 19) ------------------------===//
//
// Deformable 2-D convolution: each kernel tap (kh, kw) of output position
// (i, j) reads the input at its regular place moved by a learned, run-time
// offset (dy, dx), bilinearly interpolated with zeros outside the image,
// and weighted by an optional mask. offset is [N, offset_group * kH * kW
// * 2, oH, oW] (dy before dx), mask [N, offset_group * kH * kW, oH, oW];
// the input channels split into `group` convolution groups and
// `offset_group` offset groups. One linalg.generic over the output with
// (input channel of the group, kh, kw) as reduction loops.
//
//===----------------------------------------------------------------------===//
#include "compiler/Import/ONNX/ImportContext.h"
#include "compiler/Import/ONNX/ops/Kernels.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::dlc;

namespace {

LogicalResult importDeformConv(ImportContext &c) {
  RankedTensorType type = c.resultType(3);
  if (!type)
    return failure();
  Value x = c.input(0), w = c.input(1), offset = c.input(2);
  Value bias = c.hasInput(3) ? c.input(3) : Value();
  Value mask = c.hasInput(4) ? c.input(4) : Value();
  auto xt = cast<RankedTensorType>(x.getType());
  auto wt = cast<RankedTensorType>(w.getType());
  auto ot = cast<RankedTensorType>(offset.getType());
  if (xt.getRank() != 4 || wt.getRank() != 4 || ot.getRank() != 4 ||
      type.getRank() != 4)
    return c.fail("only 2-D deformable convolution (4-D X, W and offset) "
                  "is supported");
  Type f32 = c.b.getF32Type();
  if (xt.getElementType() != f32 || wt.getElementType() != f32 ||
      ot.getElementType() != f32 || type.getElementType() != f32)
    return c.fail("DeformConv supports float32 data only");
  int64_t n = xt.getDimSize(0), ic = xt.getDimSize(1), H = xt.getDimSize(2),
          W = xt.getDimSize(3), oc = wt.getDimSize(0), icpg = wt.getDimSize(1),
          kH = wt.getDimSize(2), kW = wt.getDimSize(3), oH = type.getDimSize(2),
          oW = type.getDimSize(3);
  int64_t group = c.attrInt("group", 1), og = c.attrInt("offset_group", 1);
  std::vector<int64_t> ks = c.attrInts("kernel_shape");
  auto pair = [&](llvm::StringRef name, int64_t count, int64_t dflt) {
    std::vector<int64_t> v = c.attrInts(name);
    return v.empty() ? std::vector<int64_t>(count, dflt) : v;
  };
  std::vector<int64_t> st = pair("strides", 2, 1), dil = pair("dilations", 2, 1),
                       pads = pair("pads", 4, 0);
  const int64_t limit = int64_t(1) << 31;
  auto bounded = [&](const std::vector<int64_t> &v, size_t size, int64_t lo) {
    return v.size() == size &&
           llvm::all_of(v, [&](int64_t e) { return e >= lo && e < limit; });
  };
  if (!bounded(st, 2, 1) || !bounded(dil, 2, 1) || !bounded(pads, 4, 0))
    return c.fail("strides and dilations need two values >= 1, pads four "
                  "values >= 0");
  if (!ks.empty() && (ks.size() != 2 || ks[0] != kH || ks[1] != kW))
    return c.fail("kernel_shape does not match the weights");
  if (group < 1 || og < 1 || group >= limit || og >= limit ||
      ic != icpg * group || oc % group || ic % og ||
      type.getDimSize(0) != n || type.getDimSize(1) != oc || kH < 1 || kW < 1)
    return c.fail("the channels of X, W and the result do not fit group " +
                  Twine(group) + " and offset_group " + Twine(og));
  int64_t taps = kH * kW;
  auto outExtent = [&](int64_t in, int64_t k, int64_t d) {
    return (in + pads[d] + pads[d + 2] - ((k - 1) * dil[d] + 1)) / st[d] + 1;
  };
  if (ot.getDimSize(0) != n || ot.getDimSize(1) != og * taps * 2 ||
      ot.getDimSize(2) != oH || ot.getDimSize(3) != oW ||
      outExtent(H, kH, 0) != oH || outExtent(W, kW, 1) != oW)
    return c.fail("offset or the result's shape does not match the "
                  "convolution");
  if (mask) {
    auto mt = cast<RankedTensorType>(mask.getType());
    if (mt.getShape() != ArrayRef<int64_t>{n, og * taps, oH, oW} ||
        mt.getElementType() != f32)
      return c.fail("mask must be float32 [N, offset_group * kH * kW, oH, oW]");
  }
  if (bias) {
    auto bt = cast<RankedTensorType>(bias.getType());
    if (bt.getShape() != ArrayRef<int64_t>{oc} || bt.getElementType() != f32)
      return c.fail("B must be float32 [output channels]");
  }
  int64_t ocpg = oc / group, icpog = ic / og;
  Value y = loopNest(
      c, filledTensor(c, type, 0.0), {icpg, kH, kW},
      [&](OpBuilder &b, Location l, ValueRange accs) -> SmallVector<Value> {
        auto idx = [&](int64_t d) { return linalg::IndexOp::create(b, l, d); };
        auto cst = [&](int64_t v) {
          return arith::ConstantIndexOp::create(b, l, v).getResult();
        };
        auto fc = [&](double v) {
          return arith::ConstantOp::create(b, l, f32, b.getF32FloatAttr(v))
              .getResult();
        };
        auto add = [&](Value p, Value q) {
          return arith::AddIOp::create(b, l, p, q).getResult();
        };
        auto mul = [&](Value p, int64_t q) {
          return arith::MulIOp::create(b, l, p, cst(q)).getResult();
        };
        auto fadd = [&](Value p, Value q) {
          return arith::AddFOp::create(b, l, p, q).getResult();
        };
        auto fmul = [&](Value p, Value q) {
          return arith::MulFOp::create(b, l, p, q).getResult();
        };
        auto toF = [&](Value i) {
          return arith::SIToFPOp::create(
                     b, l, f32,
                     arith::IndexCastOp::create(b, l, b.getI64Type(), i))
              .getResult();
        };
        Value bi = idx(0), o = idx(1), i = idx(2), j = idx(3), cg = idx(4),
              kh = idx(5), kw = idx(6);
        Value chan = add(mul(arith::DivUIOp::create(b, l, o, cst(ocpg)), icpg),
                         cg);
        Value ogIdx = arith::DivUIOp::create(b, l, chan, cst(icpog));
        Value tap = add(mul(ogIdx, taps), add(mul(kh, kW), kw));
        auto offsetAt = [&](int64_t t) {
          return tensor::ExtractOp::create(
                     b, l, offset,
                     ValueRange{bi, add(mul(tap, 2), cst(t)), i, j})
              .getResult();
        };
        // The sampling point: the regular tap position plus the offset.
        auto coord = [&](Value out, Value k, int64_t d, Value off) {
          Value base = add(mul(out, st[d]), mul(k, dil[d]));
          return fadd(arith::SubFOp::create(b, l, toF(base), fc(pads[d])), off);
        };
        Value h = coord(i, kh, 0, offsetAt(0)), ww = coord(j, kw, 1, offsetAt(1));
        // Clamped well outside the image (NaN goes to the low end), so the
        // integer conversions below stay in range; such points read zeros.
        auto clampF = [&](Value v, int64_t size) {
          return arith::MinNumFOp::create(
                     b, l, arith::MaxNumFOp::create(b, l, v, fc(-2)),
                     fc(double(size) + 1))
              .getResult();
        };
        h = clampF(h, H);
        ww = clampF(ww, W);
        Value v = linearSample(b, l, {h, ww}, [&](ArrayRef<Value> p) {
          return readPixelOrZero(b, l, x, {bi, chan}, p);
        });
        Value weight = tensor::ExtractOp::create(b, l, w, ValueRange{o, cg, kh, kw});
        v = fmul(v, weight);
        if (mask)
          v = fmul(v, tensor::ExtractOp::create(b, l, mask,
                                                ValueRange{bi, tap, i, j}));
        Value acc = accs[0];
        if (bias) { // Added once, with the first tap.
          Value first = arith::AndIOp::create(
              b, l,
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, cg, cst(0)),
              arith::AndIOp::create(
                  b, l,
                  arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, kh, cst(0)),
                  arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, kw, cst(0))));
          Value bv = tensor::ExtractOp::create(b, l, bias, ValueRange{o});
          v = arith::SelectOp::create(b, l, first, fadd(v, bv), v);
        }
        return {fadd(acc, v)};
      })[0];
  c.setOutput(0, y);
  return success();
}

} // namespace

void mlir::dlc::appendDeformConvHandlers(std::vector<OpHandler> &t) {
  t.push_back({"DeformConv", 19, importDeformConv});
}

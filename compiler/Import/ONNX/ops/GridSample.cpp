//===- GridSample.cpp - ONNX GridSample (2-D) -----------------------------===//
//
// Y[n, c, h, w] samples X[n, c] at the normalised location grid[n, h, w]
// with nearest, bilinear or bicubic interpolation and zeros, border or
// reflection padding. The grid is data, so every coordinate is computed at
// run time: one linalg.generic over Y whose body unnormalises the location,
// applies the padding rule and reads the taps with tensor.extract (indices
// always clamped into X, so hostile grids cannot read out of bounds). The
// arithmetic follows PyTorch's grid_sampler_2d, from which ONNX took the
// operator and its test data.
//
//===----------------------------------------------------------------------===//
#include "compiler/Import/ONNX/ImportContext.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::dlc;

namespace {

struct Sampler {
  OpBuilder &b;
  Location l;
  std::string padding;
  bool alignCorners;
  Type f32;

  Value c(double v) {
    return arith::ConstantOp::create(b, l, f32, b.getF32FloatAttr(v));
  }
  Value add(Value x, Value y) { return arith::AddFOp::create(b, l, x, y); }
  Value sub(Value x, Value y) { return arith::SubFOp::create(b, l, x, y); }
  Value mul(Value x, Value y) { return arith::MulFOp::create(b, l, x, y); }
  Value floor(Value x) { return math::FloorOp::create(b, l, x); }
  Value clamp(Value x, double lo, double hi) {
    return arith::MinimumFOp::create(b, l, arith::MaximumFOp::create(b, l, x, c(lo)), c(hi));
  }

  /// Normalised [-1, 1] -> pixel coordinate along a side of `size`.
  Value unnormalize(Value g, int64_t size) {
    if (alignCorners)
      return mul(mul(add(g, c(1)), c(0.5)), c(size - 1));
    return mul(sub(mul(add(g, c(1)), c(size)), c(1)), c(0.5));
  }

  /// Reflects x into [lo2/2, hi2/2] (bounds given doubled, as PyTorch).
  /// fmod is written out: artifacts must not call libm.
  Value reflect(Value x, double lo2, double hi2) {
    if (lo2 == hi2)
      return c(0);
    double lo = lo2 / 2, span = (hi2 - lo2) / 2;
    Value in = math::AbsFOp::create(b, l, sub(x, c(lo)));
    Value flips = floor(arith::DivFOp::create(b, l, in, c(span)));
    Value extra = sub(in, mul(flips, c(span)));
    Value half = mul(flips, c(0.5));
    Value even = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ,
                                       floor(half), half);
    return arith::SelectOp::create(b, l, even, add(extra, c(lo)),
                                   add(sub(c(span), extra), c(lo)));
  }

  /// The padding rule applied to a coordinate (PyTorch's
  /// compute_source_index after unnormalising; also per bicubic tap).
  Value pad(Value x, int64_t size) {
    if (padding == "border")
      return clamp(x, 0, size - 1);
    if (padding == "reflection") {
      x = alignCorners ? reflect(x, 0, 2.0 * (size - 1))
                       : reflect(x, -1, 2.0 * size - 1);
      return clamp(x, 0, size - 1);
    }
    return x;
  }
};

LogicalResult importGridSample(ImportContext &c) {
  RankedTensorType type = c.resultType(2);
  if (!type)
    return failure();
  Value x = c.input(0), grid = c.input(1);
  auto xt = cast<RankedTensorType>(x.getType());
  auto gt = cast<RankedTensorType>(grid.getType());
  if (xt.getRank() != 4 || gt.getRank() != 4 || gt.getDimSize(3) != 2)
    return c.fail("only 2-D sampling (X: NxCxHxW, grid: NxHoutxWoutx2) is "
                  "supported");
  if (!xt.getElementType().isF32() || !gt.getElementType().isF32())
    return c.fail("GridSample supports float32 data only");
  std::string mode = c.attrString("mode", "bilinear");
  std::string padding = c.attrString("padding_mode", "zeros");
  bool alignCorners = c.attrInt("align_corners", 0);
  if (mode != "bilinear" && mode != "nearest" && mode != "bicubic")
    return c.fail("unknown mode '" + mode + "'");
  if (padding != "zeros" && padding != "border" && padding != "reflection")
    return c.fail("unknown padding_mode '" + padding + "'");
  int64_t H = xt.getDimSize(2), W = xt.getDimSize(3);
  Type f32 = c.b.getF32Type();
  Value init = tensor::EmptyOp::create(c.b, type.getShape(), f32);
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(4, c.ctx)};
  SmallVector<utils::IteratorType> iters(4, utils::IteratorType::parallel);
  auto op = linalg::GenericOp::create(
      c.b, TypeRange{type}, ValueRange{}, ValueRange{init}, maps, iters,
      [&](OpBuilder &b, Location l, ValueRange) {
        Sampler s{b, l, padding, alignCorners, f32};
        Value n = linalg::IndexOp::create(b, l, 0);
        Value ch = linalg::IndexOp::create(b, l, 1);
        Value h = linalg::IndexOp::create(b, l, 2);
        Value w = linalg::IndexOp::create(b, l, 3);
        auto idx = [&](int64_t v) { return arith::ConstantIndexOp::create(b, l, v); };
        Value gx = tensor::ExtractOp::create(b, l, grid, ValueRange{n, h, w, idx(0)});
        Value gy = tensor::ExtractOp::create(b, l, grid, ValueRange{n, h, w, idx(1)});
        Value px = s.unnormalize(gx, W), py = s.unnormalize(gy, H);
        // X[n, c, iy, ix] for float pixel indices; 0 outside (zeros
        // padding) after the coordinate rules made the rest in range.
        auto fetch = [&](Value fy, Value fx) -> Value {
          // Bound (and de-NaN) before converting: fptosi of an out-of-range
          // float is poison, which no later clamp could repair.
          auto bound = [&](Value v, int64_t size) -> Value {
            v = arith::MaxNumFOp::create(b, l, v, s.c(-2));
            return arith::MinNumFOp::create(b, l, v, s.c(size + 1));
          };
          fy = bound(fy, H);
          fx = bound(fx, W);
          Value iy = arith::FPToSIOp::create(b, l, b.getI64Type(), fy);
          Value ix = arith::FPToSIOp::create(b, l, b.getI64Type(), fx);
          auto inside = [&](Value i, int64_t size) {
            return arith::AndIOp::create(
                b, l,
                arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, i,
                                      arith::ConstantIntOp::create(b, l, 0, 64)),
                arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, i,
                                      arith::ConstantIntOp::create(b, l, size, 64)));
          };
          Value ok = arith::AndIOp::create(b, l, inside(iy, H), inside(ix, W));
          auto clampIdx = [&](Value i, int64_t size) -> Value {
            i = arith::MaxSIOp::create(b, l, i, arith::ConstantIntOp::create(b, l, 0, 64));
            i = arith::MinSIOp::create(b, l, i,
                                       arith::ConstantIntOp::create(b, l, size - 1, 64));
            return arith::IndexCastOp::create(b, l, b.getIndexType(), i);
          };
          Value v = tensor::ExtractOp::create(
              b, l, x, ValueRange{n, ch, clampIdx(iy, H), clampIdx(ix, W)});
          return arith::SelectOp::create(b, l, ok, v, s.c(0));
        };
        Value result;
        if (mode == "nearest") {
          px = math::RoundEvenOp::create(b, l, s.pad(px, W));
          py = math::RoundEvenOp::create(b, l, s.pad(py, H));
          result = fetch(py, px);
        } else if (mode == "bilinear") {
          px = s.pad(px, W);
          py = s.pad(py, H);
          Value x0 = s.floor(px), y0 = s.floor(py);
          Value x1 = s.add(x0, s.c(1)), y1 = s.add(y0, s.c(1));
          Value wx1 = s.sub(px, x0), wy1 = s.sub(py, y0);
          Value wx0 = s.sub(s.c(1), wx1), wy0 = s.sub(s.c(1), wy1);
          result = s.add(s.add(s.mul(s.mul(wy0, wx0), fetch(y0, x0)),
                               s.mul(s.mul(wy0, wx1), fetch(y0, x1))),
                         s.add(s.mul(s.mul(wy1, wx0), fetch(y1, x0)),
                               s.mul(s.mul(wy1, wx1), fetch(y1, x1))));
        } else {
          // Bicubic (A = -0.75) on the unpadded coordinate; each of the
          // 4x4 taps applies the padding rule to its own position.
          auto coeffs = [&](Value t) {
            const double A = -0.75;
            auto near = [&](Value d) { // |d| <= 1
              return s.add(s.mul(s.mul(s.sub(s.mul(s.c(A + 2), d), s.c(A + 3)), d), d),
                           s.c(1));
            };
            auto far = [&](Value d) { // 1 < |d| < 2
              return s.sub(s.mul(s.add(s.mul(s.sub(s.mul(s.c(A), d), s.c(5 * A)), d),
                                       s.c(8 * A)),
                                 d),
                           s.c(4 * A));
            };
            return SmallVector<Value>{far(s.add(t, s.c(1))), near(t),
                                      near(s.sub(s.c(1), t)),
                                      far(s.sub(s.c(2), t))};
          };
          Value x0 = s.floor(px), y0 = s.floor(py);
          SmallVector<Value> cx = coeffs(s.sub(px, x0)), cy = coeffs(s.sub(py, y0));
          for (int i = 0; i < 4; ++i) {
            Value row;
            Value ty = s.pad(s.add(y0, s.c(i - 1)), H);
            for (int j = 0; j < 4; ++j) {
              Value tx = s.pad(s.add(x0, s.c(j - 1)), W);
              Value v = s.mul(cx[j], fetch(ty, tx));
              row = row ? s.add(row, v) : v;
            }
            Value v = s.mul(cy[i], row);
            result = result ? s.add(result, v) : v;
          }
        }
        linalg::YieldOp::create(b, l, result);
      });
  c.setOutput(0, op.getResult(0));
  return success();
}

} // namespace

void mlir::dlc::appendGridSampleHandlers(std::vector<OpHandler> &t) {
  t.push_back({"GridSample", 16, importGridSample});
}

//===- GridSample.cpp - ONNX GridSample, RoiAlign and AffineGrid ----------===//
//
// Y[n, c, (d,) h, w] samples X[n, c] at the normalised location
// grid[n, (d,) h, w] with nearest, (bi/tri)linear or (2-D) bicubic
// interpolation and zeros, border or reflection padding. The grid is data,
// so every coordinate is computed at run time: one linalg.generic over Y
// whose body unnormalises the location, applies the padding rule and reads
// the taps with tensor.extract (indices always clamped into X, so hostile
// grids cannot read out of bounds). The arithmetic follows PyTorch's
// grid_sampler_2d/3d, from which ONNX took the operator and its test data.
//
//===----------------------------------------------------------------------===//
#include "compiler/Import/ONNX/ops/Kernels.h"
#include "mlir/Dialect/Tosa/Utils/ConversionUtils.h"

#include <limits>

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
  /// Clamps into [lo, hi]; NaN becomes lo (maxnum/minnum drop NaN), so a
  /// NaN coordinate can never reach an index conversion.
  Value clamp(Value x, double lo, double hi) {
    return arith::MinNumFOp::create(b, l, arith::MaxNumFOp::create(b, l, x, c(lo)),
                                    c(hi));
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
  int64_t rank = xt.getRank(), k = rank - 2; // spatial dims
  if ((rank != 4 && rank != 5) || gt.getRank() != rank ||
      gt.getShape().back() != k || type.getRank() != rank)
    return c.fail("expects 2-D (X: NxCxHxW, grid: NxHoutxWoutx2) or 3-D "
                  "(X: NxCxDxHxW, grid: NxDoutxHoutxWoutx3) sampling");
  if (!xt.getElementType().isF32() || !gt.getElementType().isF32())
    return c.fail("GridSample supports float32 data only");
  // GridSample-20 renamed the modes (and made 'linear' the default).
  std::string mode = c.attrString("mode", c.opset >= 20 ? "linear" : "bilinear");
  if (mode == "linear")
    mode = "bilinear";
  else if (mode == "cubic")
    mode = "bicubic";
  std::string padding = c.attrString("padding_mode", "zeros");
  bool alignCorners = c.attrInt("align_corners", 0);
  if (mode != "bilinear" && mode != "nearest" && mode != "bicubic")
    return c.fail("unknown mode '" + mode + "'");
  if (mode == "bicubic" && k != 2)
    return c.fail("cubic mode samples 2-D images only (ONNX's rule)");
  if (padding != "zeros" && padding != "border" && padding != "reflection")
    return c.fail("unknown padding_mode '" + padding + "'");
  SmallVector<int64_t> size(xt.getShape().drop_front(2));
  Type f32 = c.b.getF32Type();
  Value init = tensor::EmptyOp::create(c.b, type.getShape(), f32);
  Value y = loopNest(c, init, {}, [&](OpBuilder &b, Location l,
                                      ValueRange) -> SmallVector<Value> {
        Sampler s{b, l, padding, alignCorners, f32};
        Value n = linalg::IndexOp::create(b, l, 0);
        Value ch = linalg::IndexOp::create(b, l, 1);
        SmallVector<Value> gidx{n};
        for (int64_t d = 0; d < k; ++d)
          gidx.push_back(linalg::IndexOp::create(b, l, 2 + d));
        gidx.push_back(Value());
        // Pixel coordinates in X's spatial order (grid[..., 0] is x, the
        // last spatial dim), unnormalised.
        SmallVector<Value> p(k);
        for (int64_t d = 0; d < k; ++d) {
          gidx.back() = arith::ConstantIndexOp::create(b, l, k - 1 - d);
          p[d] = s.unnormalize(tensor::ExtractOp::create(b, l, grid, gidx),
                               size[d]);
        }
        // X[n, c, ...] at float pixel indices; 0 outside (zeros padding)
        // after the coordinate rules made the rest in range.
        auto read = [&](ArrayRef<Value> at) {
          return readPixelOrZero(b, l, x, {n, ch}, at);
        };
        auto fetch = [&](Value fy, Value fx) { return read({fy, fx}); };
        SmallVector<Value> padded;
        if (mode != "bicubic")
          for (int64_t d = 0; d < k; ++d)
            padded.push_back(s.pad(p[d], size[d]));
        Value result;
        if (mode == "nearest") {
          for (Value &v : padded)
            v = math::RoundEvenOp::create(b, l, v);
          result = read(padded);
        } else if (mode == "bilinear") {
          result = linearSample(b, l, padded, read);
        } else {
          int64_t H = size[0], W = size[1];
          Value py = p[0], px = p[1];
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
        return {result};
      })[0];
  c.setOutput(0, y);
  return success();
}

/// RoiAlign (avg mode, fixed sampling_ratio): Y[r, c, ph, pw] averages
/// sampling_ratio^2 bilinear samples of X[batch_indices[r], c] inside bin
/// (ph, pw) of roi r, as Detectron's roi_align. One linalg.generic with the
/// sample grid as reduction loops; rois and batch indices are read at run
/// time (batch indices clamped into X).
LogicalResult importRoiAlign(ImportContext &c) {
  RankedTensorType type = c.resultType(3);
  if (!type)
    return failure();
  Value x = c.input(0), rois = c.input(1), batch = c.input(2);
  auto xt = cast<RankedTensorType>(x.getType());
  if (xt.getRank() != 4 || !xt.getElementType().isF32())
    return c.fail("X must be float32 [N, C, H, W]");
  std::string mode = c.attrString("mode", "avg");
  if (mode != "avg" && mode != "max")
    return c.fail("mode '" + mode + "' is not avg or max");
  // ONNX's max mode takes the largest of the four weighted corner terms of
  // each sample (not of the interpolated values), then over the samples.
  bool isMax = mode == "max";
  int64_t ratio = c.attrInt("sampling_ratio", 0);
  if (ratio <= 0)
    return c.fail("adaptive sampling (sampling_ratio 0) makes the sample "
                  "count data-dependent; set sampling_ratio > 0");
  bool halfPixel = c.attrString("coordinate_transformation_mode",
                                c.opset >= 16 ? "half_pixel"
                                              : "output_half_pixel") ==
                   "half_pixel";
  double scale = c.attrFloat("spatial_scale", 1.0f);
  int64_t N = xt.getDimSize(0), H = xt.getDimSize(2), W = xt.getDimSize(3);
  int64_t oh = type.getDimSize(2), ow = type.getDimSize(3);
  Type f32 = c.b.getF32Type();
  Value init = filledTensor(
      c, type, isMax ? -std::numeric_limits<double>::infinity() : 0.0);
  Value y = loopNest(c, init, {ratio, ratio}, [&](OpBuilder &b, Location l,
                                                  ValueRange accs)
                                                  -> SmallVector<Value> {
        Sampler s{b, l, "zeros", false, f32};
        auto idx = [&](int64_t d) { return linalg::IndexOp::create(b, l, d); };
        auto cidx = [&](int64_t v) { return arith::ConstantIndexOp::create(b, l, v); };
        auto toF = [&](Value i) {
          return arith::SIToFPOp::create(
              b, l, f32, arith::IndexCastOp::create(b, l, b.getI64Type(), i));
        };
        Value r = idx(0);
        auto roi = [&](int64_t k) {
          Value v = tensor::ExtractOp::create(b, l, rois, ValueRange{r, cidx(k)});
          return s.sub(s.mul(v, s.c(scale)), s.c(halfPixel ? 0.5 : 0.0));
        };
        Value x1 = roi(0), y1 = roi(1), x2 = roi(2), y2 = roi(3);
        Value rw = s.sub(x2, x1), rh = s.sub(y2, y1);
        if (!halfPixel) {
          rw = arith::MaximumFOp::create(b, l, rw, s.c(1));
          rh = arith::MaximumFOp::create(b, l, rh, s.c(1));
        }
        Value bw = arith::DivFOp::create(b, l, rw, s.c(ow));
        Value bh = arith::DivFOp::create(b, l, rh, s.c(oh));
        // Sample (iy, ix) of bin (ph, pw).
        auto at = [&](Value start, Value bin, Value p, Value i) {
          Value frac = arith::DivFOp::create(b, l, s.add(toF(i), s.c(0.5)),
                                             s.c(ratio));
          return s.add(start, s.add(s.mul(toF(p), bin), s.mul(frac, bin)));
        };
        Value y = at(y1, bh, idx(2), idx(4));
        Value xx = at(x1, bw, idx(3), idx(5));
        Value bi = tensor::ExtractOp::create(b, l, batch, r);
        bi = arith::IndexCastOp::create(b, l, b.getIndexType(), bi);
        bi = arith::MinSIOp::create(
            b, l, arith::MaxSIOp::create(b, l, bi, cidx(0)), cidx(N - 1));
        Value ch = idx(1);
        // Detectron's bilinear_interpolate: outside [-1, size] gives 0,
        // otherwise clamp to the last row/column.
        auto outside = [&](Value v, int64_t size) {
          return arith::OrIOp::create(
              b, l, arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, v, s.c(-1)),
              arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, v, s.c(size)));
        };
        Value skip = arith::OrIOp::create(b, l, outside(y, H), outside(xx, W));
        y = s.clamp(y, 0, H - 1);
        xx = s.clamp(xx, 0, W - 1);
        auto pix = [&](ArrayRef<Value> at) -> Value {
          auto toIdx = [&](Value f, int64_t size) -> Value {
            Value i = arith::FPToSIOp::create(b, l, b.getI64Type(), f);
            i = arith::MinSIOp::create(
                b, l, i, arith::ConstantIntOp::create(b, l, size - 1, 64));
            return arith::IndexCastOp::create(b, l, b.getIndexType(), i);
          };
          return tensor::ExtractOp::create(
              b, l, x, ValueRange{bi, ch, toIdx(at[0], H), toIdx(at[1], W)});
        };
        SmallVector<Value> t = linearTerms(b, l, {y, xx}, pix);
        Value t00 = t[0], t01 = t[1], t10 = t[2], t11 = t[3];
        if (isMax) {
          auto mx = [&](Value p, Value q) {
            return arith::MaximumFOp::create(b, l, p, q).getResult();
          };
          Value v = arith::SelectOp::create(
              b, l, skip, s.c(0), mx(mx(t00, t01), mx(t10, t11)));
          return {mx(accs[0], v)};
        }
        Value v = s.add(s.add(t00, t01), s.add(t10, t11));
        v = arith::SelectOp::create(b, l, skip, s.c(0), v);
        v = arith::DivFOp::create(b, l, v, s.c(ratio * ratio));
        return {s.add(accs[0], v)};
      })[0];
  c.setOutput(0, y);
  return success();
}

/// AffineGrid: the sampling grid of theta [N, k, k+1] (k = 2 or 3) over the
/// normalized coordinates of an output of spatial extent [(D,) H, W]:
/// grid[n, .., :] = theta[n] x (x_w, y_h, (z_d,) 1), one matmul against a
/// constant table of those homogeneous coordinates. The extents follow
/// from the static output shape, so a run-time `size` input is read there.
LogicalResult importAffineGrid(ImportContext &c) {
  RankedTensorType type = c.resultType(2);
  if (!type)
    return failure();
  Value theta = c.input(0);
  auto tt = cast<RankedTensorType>(theta.getType());
  int64_t k = type.getRank() - 2;
  if ((k != 2 && k != 3) || tt.getRank() != 3 || tt.getDimSize(1) != k ||
      tt.getDimSize(2) != k + 1 || type.getShape().back() != k ||
      type.getDimSize(0) != tt.getDimSize(0))
    return c.fail("expects theta [N, 2, 3] or [N, 3, 4] and a matching grid");
  if (!tt.getElementType().isF32())
    return c.fail("AffineGrid supports float32 data only");
  bool align = c.attrInt("align_corners", 0);
  int64_t n = tt.getDimSize(0), points = 1;
  SmallVector<int64_t> extent(type.getShape().drop_front().drop_back());
  for (int64_t e : extent)
    points *= e;
  // Coordinates [points, k + 1]: x from the last spatial axis first.
  auto coord = [&](int64_t i, int64_t size) {
    if (align)
      return size > 1 ? -1.0 + 2.0 * double(i) / double(size - 1) : -1.0;
    return -1.0 + (2.0 * double(i) + 1.0) / double(size);
  };
  std::vector<float> table(points * (k + 1));
  for (int64_t p = 0; p < points; ++p) {
    int64_t rest = p;
    for (int64_t d = k - 1; d >= 0; --d) { // d = spatial axis, W last.
      int64_t i = rest % extent[d];
      rest /= extent[d];
      table[p * (k + 1) + (k - 1 - d)] = float(coord(i, extent[d]));
    }
    table[p * (k + 1) + k] = 1.0f;
  }
  auto f32 = c.b.getF32Type();
  Value coords = c.constF32({1, points, k + 1}, table);
  if (n > 1)
    coords = tosa::TileOp::create(
        c.b, RankedTensorType::get({n, points, k + 1}, f32), coords,
        tosa::getTosaConstShape(c.b, {n, 1, 1}));
  Value y = tosa::MatMulOp::create(c.b, RankedTensorType::get({n, points, k}, f32),
                                   coords, c.transpose(theta, {0, 2, 1}));
  c.setOutput(0, c.reshape(y, type.getShape()));
  return success();
}

} // namespace

void mlir::dlc::appendGridSampleHandlers(std::vector<OpHandler> &t) {
  t.push_back({"GridSample", 16, importGridSample});
  t.push_back({"RoiAlign", 10, importRoiAlign});
  t.push_back({"AffineGrid", 20, importAffineGrid});
}

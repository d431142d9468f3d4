//===- Resize.cpp - ONNX Resize and Upsample ------------------------------===//
//
// With static shapes every Resize mode is a separable affine map: along each
// axis, out = M * in + b, where M's rows hold the nearest/linear/cubic
// weights of the ONNX coordinate transformation and b the extrapolation
// value of tf_crop_and_resize rows that fall outside the input. M is
// computed on the host exactly as the ONNX spec describes and applied as a
// matrix product per resized axis, so all modes share one lowering. Scales
// that arrive at run time instead compute the same weights in the kernel.
//
//===----------------------------------------------------------------------===//
#include "compiler/Import/ONNX/ImportContext.h"
#include "compiler/Import/ONNX/ops/Kernels.h"

#include <algorithm>
#include <cmath>

using namespace mlir;
using namespace mlir::dlc;

namespace {

struct ResizeAttrs {
  std::string mode = "nearest";
  std::string coord = "half_pixel";
  std::string nearest = "round_prefer_floor";
  double cubicA = -0.75;
  bool excludeOutside = false;
  double extrapolation = 0.0;
};

/// Weights for one output position given the fractional part `ratio`.
std::vector<double> coefficients(const ResizeAttrs &a, double ratio) {
  if (a.mode == "linear")
    return {1 - ratio, ratio};
  if (a.mode == "cubic") {
    double A = a.cubicA, r = ratio, s = 1 - ratio;
    return {((A * (r + 1) - 5 * A) * (r + 1) + 8 * A) * (r + 1) - 4 * A,
            ((A + 2) * r - (A + 3)) * r * r + 1,
            ((A + 2) * s - (A + 3)) * s * s + 1,
            ((A * (s + 1) - 5 * A) * (s + 1) + 8 * A) * (s + 1) - 4 * A};
  }
  if (ratio == 1.0) // On a grid point.
    return {0, 1};
  if (a.nearest == "round_prefer_ceil")
    return {double(ratio < 0.5), double(ratio >= 0.5)};
  if (a.nearest == "floor")
    return {1, 0};
  if (a.nearest == "ceil")
    return {0, 1};
  return {double(ratio <= 0.5), double(ratio > 0.5)};
}

/// The `n` integers nearest to x in [0, limit), ties to the smaller.
std::vector<int64_t> nearestIndexes(double x, int64_t n, int64_t limit) {
  std::vector<int64_t> cand;
  for (int64_t i = std::max<int64_t>(0, int64_t(std::floor(x)) - n);
       i <= std::min<int64_t>(limit - 1, int64_t(std::floor(x)) + n); ++i)
    cand.push_back(i);
  std::stable_sort(cand.begin(), cand.end(), [&](int64_t p, int64_t q) {
    double dp = std::fabs(x - p), dq = std::fabs(x - q);
    return dp != dq ? dp < dq : p < q;
  });
  cand.resize(std::min<size_t>(cand.size(), n));
  std::sort(cand.begin(), cand.end());
  return cand;
}

/// M (out x in, row-major) and b (out) for one axis. Returns false if the
/// map is the identity.
bool axisMap(const ResizeAttrs &a, int64_t in, int64_t out, double scale,
             double roiStart, double roiEnd, std::vector<double> &m,
             std::vector<double> &b) {
  m.assign(out * in, 0.0);
  b.assign(out, 0.0);
  // The spec's length_resized: in * scale, which with scales need not be an
  // integer (the ONNX reference and its test data use it unrounded).
  double len = in * scale;
  for (int64_t x = 0; x < out; ++x) {
    double xo;
    const std::string &t = a.coord;
    if (t == "align_corners")
      xo = len == 1 ? 0.0 : x * double(in - 1) / (len - 1);
    else if (t == "asymmetric")
      xo = x / scale;
    else if (t == "tf_half_pixel_for_nn")
      xo = (x + 0.5) / scale;
    else if (t == "pytorch_half_pixel")
      xo = len == 1 ? -0.5 : (x + 0.5) / scale - 0.5;
    else if (t == "tf_crop_and_resize") {
      xo = len == 1 ? (roiEnd - roiStart) * (in - 1) / 2.0
                    : x * (roiEnd - roiStart) * (in - 1) / (len - 1);
      xo += roiStart * (in - 1);
      if (xo < 0 || xo > in - 1) {
        b[x] = a.extrapolation;
        continue;
      }
    } else {
      xo = (x + 0.5) / scale - 0.5;
      if (t == "half_pixel_symmetric") // Centred when out != in * scale.
        xo += in / 2.0 * (1.0 - double(out) / len);
    }
    double fl = std::floor(xo);
    double ratio = xo == fl ? 1.0 : xo - fl;
    std::vector<double> coeffs = coefficients(a, ratio);
    int64_t n = coeffs.size(), pad = (n + 1) / 2;
    std::vector<int64_t> idx = nearestIndexes(xo + pad, n, in + 2 * pad);
    for (int64_t &i : idx)
      i -= pad;
    if (a.excludeOutside) {
      double sum = 0;
      for (int64_t k = 0; k < n; ++k) {
        if (idx[k] < 0 || idx[k] >= in)
          coeffs[k] = 0;
        sum += coeffs[k];
      }
      for (double &cf : coeffs)
        cf = sum ? cf / sum : 0;
    }
    for (int64_t k = 0; k < n; ++k)
      m[x * in + std::clamp<int64_t>(idx[k], 0, in - 1)] += coeffs[k];
  }
  if (in != out)
    return true;
  for (int64_t i = 0; i < out; ++i)
    for (int64_t j = 0; j < in; ++j)
      if (m[i * in + j] != (i == j ? 1.0 : 0.0) || b[i] != 0.0)
        return true;
  return false;
}

/// Applies the axis map: move `axis` last, multiply by M^T, add b, move back.
Value applyAxis(ImportContext &c, Value x, int64_t axis, int64_t out,
                const std::vector<double> &m, const std::vector<double> &b) {
  auto t = cast<RankedTensorType>(x.getType());
  int64_t rank = t.getRank(), in = t.getDimSize(axis);
  SmallVector<int32_t> perm, inv(rank);
  for (int64_t d = 0; d < rank; ++d)
    if (d != axis)
      perm.push_back(d);
  perm.push_back(axis);
  for (int64_t d = 0; d < rank; ++d)
    inv[perm[d]] = d;
  Value v = c.transpose(x, perm);
  auto vt = cast<RankedTensorType>(v.getType());
  int64_t rows = vt.getNumElements() / std::max<int64_t>(in, 1);
  std::vector<float> mt(in * out);
  for (int64_t i = 0; i < out; ++i)
    for (int64_t j = 0; j < in; ++j)
      mt[j * out + i] = float(m[i * in + j]);
  Type f = t.getElementType();
  Value y = tosa::MatMulOp::create(c.b, RankedTensorType::get({1, rows, out}, f),
                                   c.reshape(v, {1, rows, in}),
                                   c.constF32({1, in, out}, mt));
  if (llvm::any_of(b, [](double v) { return v != 0.0; })) {
    std::vector<float> bf(b.begin(), b.end());
    y = tosa::AddOp::create(c.b, y.getType(), y, c.constF32({1, 1, out}, bf));
  }
  SmallVector<int64_t> shape(vt.getShape());
  shape.back() = out;
  return c.transpose(c.reshape(y, shape), inv);
}

/// The output type and data input of a Resize/Upsample, checked for what
/// both lowerings support (f32 data, a known mode); null if not.
std::pair<RankedTensorType, Value> resizeOperands(ImportContext &c,
                                                  const ResizeAttrs &a) {
  RankedTensorType type = c.outputType(0);
  Value x = c.input(0);
  if (!type || !x)
    return {};
  if (!cast<RankedTensorType>(x.getType()).getElementType().isF32()) {
    (void)c.fail("Resize supports float32 data only");
    return {};
  }
  if (a.mode != "nearest" && a.mode != "linear" && a.mode != "cubic") {
    (void)c.fail("unknown mode '" + a.mode + "'");
    return {};
  }
  return {type, x};
}

LogicalResult resize(ImportContext &c, const ResizeAttrs &a,
                     std::vector<double> scales, std::vector<double> roi) {
  auto [type, x] = resizeOperands(c, a);
  if (!type)
    return failure();
  auto in = cast<RankedTensorType>(x.getType());
  int64_t rank = in.getRank();
  for (int64_t d = 0; d < rank; ++d) {
    int64_t inD = in.getDimSize(d), outD = type.getDimSize(d);
    if (inD == 0 && outD != 0)
      return c.fail("axis " + std::to_string(d) +
                    " is empty in the input but not in the output");
    double rs = roi.size() == size_t(2 * rank) ? roi[d] : 0.0;
    double re = roi.size() == size_t(2 * rank) ? roi[d + rank] : 1.0;
    double scale = d < int64_t(scales.size()) && scales[d] > 0
                       ? scales[d]
                       : double(outD) / double(inD);
    // Every coordinate mode maps x to x at scale 1 over the whole axis.
    if (inD == outD && scale == 1.0 && rs == 0.0 && re == 1.0)
      continue;
    // Each axis becomes a dense out x in interpolation matrix, built here.
    constexpr int64_t kMaxMap = int64_t(1) << 24;
    if (inD > 0 && outD > kMaxMap / inD)
      return c.fail("resizing axis " + std::to_string(d) + " from " +
                    std::to_string(inD) + " to " + std::to_string(outD) +
                    " needs a " + std::to_string(inD) + "x" +
                    std::to_string(outD) +
                    " interpolation map, above the 2^24 entries dlc builds");
    std::vector<double> m, b;
    if (axisMap(a, inD, outD, scale, rs, re, m, b))
      x = applyAxis(c, x, d, outD, m, b);
  }
  c.setOutput(0, x);
  return success();
}

/// Resize with run-time scales (or roi): the output shape is static (inferred or
/// declared) but the coordinate transformation needs the scale values, so
/// each axis becomes a linalg.generic that computes its source coordinate
/// and tap weights at run time, the same formulas axisMap() evaluates on the
/// host. Axes of size 1 in and out are the identity for every scale.
LogicalResult importResizeRuntime(ImportContext &c, const ResizeAttrs &a) {
  auto [type, x] = resizeOperands(c, a);
  if (!type)
    return failure();
  auto in = cast<RankedTensorType>(x.getType());
  int64_t rank = in.getRank();
  // Scales from the input, or out/in when the output shape came from sizes.
  Value scales = c.hasInput(2) && !c.constInput(2) ? c.input(2) : nullptr;
  // Resize-18 axes: scales and roi name only these axes; the others keep
  // scale 1 and the whole [0, 1] roi. pos[d] is axis d's entry, or -1.
  std::vector<int64_t> axes = c.attrInts("axes");
  SmallVector<int64_t> pos(rank, -1);
  if (axes.empty())
    for (int64_t d = 0; d < rank; ++d)
      pos[d] = d;
  for (size_t i = 0; i < axes.size(); ++i) {
    int64_t d = axes[i] < 0 ? axes[i] + rank : axes[i];
    if (d < 0 || d >= rank)
      return c.fail("axes entry " + std::to_string(axes[i]) + " out of range");
    pos[d] = i;
  }
  int64_t listed = axes.empty() ? rank : int64_t(axes.size());
  if (scales &&
      cast<RankedTensorType>(scales.getType()).getNumElements() != listed)
    return c.fail("scales must have one entry per resized axis");
  bool crop = a.coord == "tf_crop_and_resize";
  Value roi = crop ? c.input(1) : nullptr;
  if (crop && (!roi ||
               cast<RankedTensorType>(roi.getType()).getNumElements() !=
                   2 * listed))
    return c.fail("tf_crop_and_resize needs roi with 2 entries per resized "
                  "axis");
  Type f32 = c.b.getF32Type();
  auto fc = [&](OpBuilder &b, Location l, double v) -> Value {
    return arith::ConstantOp::create(b, l, f32, b.getF32FloatAttr(v));
  };
  for (int64_t d = 0; d < rank; ++d) {
    auto cur = cast<RankedTensorType>(x.getType());
    int64_t inD = cur.getDimSize(d), outD = type.getDimSize(d);
    if (inD == 1 && outD == 1)
      continue;
    auto element = [&](Value t, int64_t i) -> Value {
      return tensor::ExtractOp::create(
          c.b, t, ValueRange{arith::ConstantIndexOp::create(c.b, i)});
    };
    Value scale = scales && pos[d] >= 0
                      ? element(scales, pos[d])
                      : fc(c.b, c.b.getLoc(), double(outD) / double(inD));
    Value roiStart = !crop ? nullptr
                     : pos[d] >= 0 ? element(roi, pos[d])
                                   : fc(c.b, c.b.getLoc(), 0.0);
    Value roiEnd = !crop ? nullptr
                   : pos[d] >= 0 ? element(roi, pos[d] + listed)
                                 : fc(c.b, c.b.getLoc(), 1.0);
    SmallVector<int64_t> shape(cur.getShape());
    shape[d] = outD;
    Value init = tensor::EmptyOp::create(c.b, shape, f32);
    Value src = x;
    x = loopNest(c, init, {}, [&](OpBuilder &b, Location l,
                                  ValueRange) -> SmallVector<Value> {
          SmallVector<Value> idx;
          for (int64_t k = 0; k < rank; ++k)
            idx.push_back(linalg::IndexOp::create(b, l, k));
          Value xi = arith::SIToFPOp::create(
              b, l, f32,
              arith::IndexCastOp::create(b, l, b.getI64Type(), idx[d]));
          Value len = arith::MulFOp::create(b, l, fc(b, l, inD), scale);
          Value lenIsOne = arith::CmpFOp::create(
              b, l, arith::CmpFPredicate::OEQ, len, fc(b, l, 1.0));
          Value half = fc(b, l, 0.5);
          Value xh = arith::AddFOp::create(b, l, xi, half);
          Value xo;
          if (a.coord == "align_corners") {
            Value r = arith::DivFOp::create(
                b, l, arith::MulFOp::create(b, l, xi, fc(b, l, inD - 1)),
                arith::SubFOp::create(b, l, len, fc(b, l, 1.0)));
            xo = arith::SelectOp::create(b, l, lenIsOne, fc(b, l, 0.0), r);
          } else if (crop) {
            // roiStart*(in-1) + x*(roiEnd-roiStart)*(in-1)/(len-1).
            Value span = arith::MulFOp::create(
                b, l, arith::SubFOp::create(b, l, roiEnd, roiStart),
                fc(b, l, inD - 1));
            Value step = arith::DivFOp::create(
                b, l, span, arith::SubFOp::create(b, l, len, fc(b, l, 1.0)));
            Value mid = arith::MulFOp::create(b, l, span, half);
            xo = arith::SelectOp::create(
                b, l, lenIsOne, mid, arith::MulFOp::create(b, l, xi, step));
            xo = arith::AddFOp::create(
                b, l, xo,
                arith::MulFOp::create(b, l, roiStart, fc(b, l, inD - 1)));
          } else if (a.coord == "asymmetric") {
            xo = arith::DivFOp::create(b, l, xi, scale);
          } else if (a.coord == "tf_half_pixel_for_nn") {
            xo = arith::DivFOp::create(b, l, xh, scale);
          } else {
            xo = arith::SubFOp::create(
                b, l, arith::DivFOp::create(b, l, xh, scale), half);
            if (a.coord == "pytorch_half_pixel")
              xo = arith::SelectOp::create(b, l, lenIsOne, fc(b, l, -0.5), xo);
            if (a.coord == "half_pixel_symmetric") {
              // + in/2 * (1 - out / len): centred when out != in * scale.
              Value adj = arith::DivFOp::create(b, l, fc(b, l, double(outD)), len);
              xo = arith::AddFOp::create(
                  b, l, xo,
                  arith::MulFOp::create(
                      b, l, fc(b, l, inD / 2.0),
                      arith::SubFOp::create(b, l, fc(b, l, 1.0), adj)));
            }
          }
          Value fl = math::FloorOp::create(b, l, xo);
          Value r = arith::SubFOp::create(b, l, xo, fl);
          // Bound (and de-NaN) before converting: a zero or NaN scale must
          // give wrong numbers, not a poison index.
          Value bounded = arith::MinNumFOp::create(
              b, l, arith::MaxNumFOp::create(b, l, fl, fc(b, l, -4.0)),
              fc(b, l, inD + 4));
          Value i0 = arith::FPToSIOp::create(b, l, b.getI64Type(), bounded);
          // Taps (offset from floor(xo), weight).
          SmallVector<std::pair<int64_t, Value>> taps;
          if (a.mode == "nearest") {
            Value up;
            if (a.nearest == "floor")
              up = arith::ConstantIntOp::create(b, l, 0, 1);
            else if (a.nearest == "ceil")
              up = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, r,
                                         fc(b, l, 0.0));
            else if (a.nearest == "round_prefer_ceil")
              up = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGE, r,
                                         half);
            else
              up = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, r,
                                         half);
            i0 = arith::AddIOp::create(
                b, l, i0, arith::ExtUIOp::create(b, l, b.getI64Type(), up));
            taps.push_back({0, fc(b, l, 1.0)});
          } else if (a.mode == "linear") {
            taps.push_back(
                {0, arith::SubFOp::create(b, l, fc(b, l, 1.0), r)});
            taps.push_back({1, r});
          } else {
            // The cubic convolution kernel with coefficient A at distance t.
            auto kernel = [&](Value t, bool inner) -> Value {
              double A = a.cubicA;
              Value t2 = arith::MulFOp::create(b, l, t, t);
              Value t3 = arith::MulFOp::create(b, l, t2, t);
              auto term = [&](double k, Value v) {
                return arith::MulFOp::create(b, l, fc(b, l, k), v);
              };
              if (inner)
                return arith::AddFOp::create(
                    b, l,
                    arith::SubFOp::create(b, l, term(A + 2, t3),
                                          term(A + 3, t2)),
                    fc(b, l, 1.0));
              Value p = arith::AddFOp::create(
                  b, l,
                  arith::SubFOp::create(b, l, term(A, t3), term(5 * A, t2)),
                  term(8 * A, t));
              return arith::SubFOp::create(b, l, p, fc(b, l, 4 * A));
            };
            Value one = fc(b, l, 1.0), two = fc(b, l, 2.0);
            taps.push_back(
                {-1, kernel(arith::AddFOp::create(b, l, r, one), false)});
            taps.push_back({0, kernel(r, true)});
            taps.push_back(
                {1, kernel(arith::SubFOp::create(b, l, one, r), true)});
            taps.push_back(
                {2, kernel(arith::SubFOp::create(b, l, two, r), false)});
          }
          Value sum, wsum;
          for (auto [off, w] : taps) {
            Value j = arith::AddIOp::create(
                b, l, i0, arith::ConstantIntOp::create(b, l, off, 64));
            if (a.excludeOutside && a.mode == "cubic") {
              Value inside = arith::AndIOp::create(
                  b, l,
                  arith::CmpIOp::create(
                      b, l, arith::CmpIPredicate::sge, j,
                      arith::ConstantIntOp::create(b, l, 0, 64)),
                  arith::CmpIOp::create(
                      b, l, arith::CmpIPredicate::slt, j,
                      arith::ConstantIntOp::create(b, l, inD, 64)));
              w = arith::SelectOp::create(b, l, inside, w, fc(b, l, 0.0));
            }
            j = arith::MaxSIOp::create(
                b, l, j, arith::ConstantIntOp::create(b, l, 0, 64));
            j = arith::MinSIOp::create(
                b, l, j, arith::ConstantIntOp::create(b, l, inD - 1, 64));
            SmallVector<Value> at(idx);
            at[d] = arith::IndexCastOp::create(b, l, b.getIndexType(), j);
            Value v = arith::MulFOp::create(
                b, l, w, tensor::ExtractOp::create(b, l, src, at));
            sum = sum ? arith::AddFOp::create(b, l, sum, v) : v;
            wsum = wsum ? arith::AddFOp::create(b, l, wsum, w) : w;
          }
          if (a.excludeOutside && a.mode == "cubic")
            sum = arith::DivFOp::create(b, l, sum, wsum);
          if (crop) {
            Value outside = arith::OrIOp::create(
                b, l,
                arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, xo,
                                      fc(b, l, 0.0)),
                arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, xo,
                                      fc(b, l, inD - 1)));
            sum = arith::SelectOp::create(b, l, outside,
                                          fc(b, l, a.extrapolation), sum);
          }
          return {sum};
        })[0];
  }
  c.setOutput(0, x);
  return success();
}

std::vector<double> constDoubles(ImportContext &c, unsigned i) {
  std::vector<double> v;
  if (auto k = c.constInput(i))
    for (float f : k->floats())
      v.push_back(f);
  return v;
}

LogicalResult importResize(ImportContext &c) {
  ResizeAttrs a;
  a.mode = c.attrString("mode", "nearest");
  a.coord = c.attrString("coordinate_transformation_mode",
                         c.opset < 11 ? "asymmetric" : "half_pixel");
  a.nearest = c.attrString("nearest_mode", c.opset < 11 ? "floor" : "round_prefer_floor");
  a.cubicA = c.attrFloat("cubic_coeff_a", -0.75f);
  a.excludeOutside = c.attrInt("exclude_outside", 0);
  a.extrapolation = c.attrFloat("extrapolation_value", 0.0f);
  if (c.opset < 11) // Resize-10: (X, scales)
    return resize(c, a, constDoubles(c, 1), {});
  // Runtime sizes need nothing at run time: the (inferred or declared)
  // output shape is the sizes, and the scales follow from it. Runtime roi
  // matters only to tf_crop_and_resize, runtime scales to every mode.
  bool roiUsed = a.coord == "tf_crop_and_resize";
  if ((roiUsed && c.hasInput(1) && !c.constInput(1)) ||
      (c.hasInput(2) && !c.constInput(2)))
    return importResizeRuntime(c, a);
  std::vector<double> scales = constDoubles(c, 2),
                      roi = roiUsed ? constDoubles(c, 1) : std::vector<double>{};
  std::vector<int64_t> axes = c.attrInts("axes");
  if (!axes.empty()) {
    // Resize-18 axes: spread the listed axes' scales and roi over all axes
    // (scale 0 means "from the output shape" to resize()).
    auto t = cast<RankedTensorType>(c.input(0).getType());
    int64_t rank = t.getRank(), k = axes.size();
    std::vector<double> fullS(rank, 0.0), fullR;
    if (roi.size() == size_t(2 * k)) {
      fullR.assign(rank, 0.0);
      fullR.resize(2 * rank, 1.0);
    }
    for (int64_t i = 0; i < k; ++i) {
      int64_t d = axes[i] < 0 ? axes[i] + rank : axes[i];
      if (d < 0 || d >= rank)
        return c.fail("axes entry " + std::to_string(axes[i]) +
                      " out of range");
      if (size_t(i) < scales.size())
        fullS[d] = scales[i];
      if (!fullR.empty()) {
        fullR[d] = roi[i];
        fullR[d + rank] = roi[i + k];
      }
    }
    scales = scales.empty() ? scales : fullS;
    roi = fullR.empty() ? roi : fullR;
  }
  return resize(c, a, scales, roi);
}

/// Upsample-7/9: nearest (floor) or linear with asymmetric coordinates.
LogicalResult importUpsample(ImportContext &c) {
  ResizeAttrs a;
  a.mode = c.attrString("mode", "nearest");
  a.coord = "asymmetric";
  a.nearest = "floor";
  // Upsample-7 carries scales as an attribute; the output type has them.
  return resize(c, a, c.opset < 9 ? std::vector<double>{} : constDoubles(c, 1),
                {});
}

} // namespace

void mlir::dlc::appendResizeHandlers(std::vector<OpHandler> &t) {
  t.push_back({"Resize", 10, importResize});
  t.push_back({"Upsample", 7, importUpsample});
}

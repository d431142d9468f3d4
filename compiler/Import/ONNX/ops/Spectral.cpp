//===- Spectral.cpp - ONNX DFT and STFT -----------------------------------===//
//
// Both are one direct-sum kernel: a linalg.generic over the output
// [..., bin, re/im] with the signal sample n as a reduction loop,
// accumulating x[n] * exp(-+ 2 pi i k n / N). The phase is reduced exactly
// in integers ((k * n) mod N) before the polynomial sin/cos, so accuracy
// does not degrade with the transform length. STFT's frame step and frame
// length may arrive at run time (the frame count is the static output
// shape); the sample loop then runs over the whole signal, masked to the
// frame. O(N^2) per transform: fine for the short transforms of audio
// front ends, and there is no FFT library to call in a firmware artifact.
//
//===----------------------------------------------------------------------===//
#include "compiler/Import/ONNX/ops/Kernels.h"


using namespace mlir;
using namespace mlir::dlc;

namespace {

/// Reads sample n for the output position `out` (all output indices): the
/// real and imaginary parts and whether the sample exists.
struct Sample {
  Value re, im, valid;
};
using FetchFn =
    function_ref<Sample(OpBuilder &, Location, ArrayRef<Value> out, Value n)>;

/// out[..., k, c] = sum_{n < extent, valid} x[n] e^{-+2 pi i k n / N}
/// (divided by N when inverse). `binAxis` is k's output dimension; the last
/// output dimension is re/im. `length` is N as an index value.
Value directDFT(ImportContext &c, RankedTensorType type, int64_t binAxis,
                int64_t extent, Value length, bool inverse, FetchFn fetch) {
  int64_t rank = type.getRank();
  Type f32 = c.b.getF32Type();
  Value init = filledTensor(c, type, 0.0);
  return loopNest(c, init, {extent}, [&](OpBuilder &b, Location l,
                                         ValueRange accs) -> SmallVector<Value> {
        SmallVector<Value> out;
        for (int64_t d = 0; d < rank; ++d)
          out.push_back(linalg::IndexOp::create(b, l, d));
        Value n = linalg::IndexOp::create(b, l, rank);
        Sample s = fetch(b, l, out, n);
        auto f = [&](double v) {
          return arith::ConstantOp::create(b, l, f32, b.getF32FloatAttr(v));
        };
        auto toF32 = [&](Value idx) {
          return arith::SIToFPOp::create(
              b, l, f32, arith::IndexCastOp::create(b, l, b.getI64Type(), idx));
        };
        Value kn = arith::RemUIOp::create(
            b, l, arith::MulIOp::create(b, l, out[binAxis], n), length);
        Value nf = toF32(length);
        Value theta = arith::DivFOp::create(
            b, l, arith::MulFOp::create(b, l, toF32(kn), f(2 * 3.14159265358979323846)),
            nf);
        Value cs = math::CosOp::create(b, l, theta);
        Value sn = math::SinOp::create(b, l, theta);
        auto mul = [&](Value x, Value y) { return arith::MulFOp::create(b, l, x, y); };
        Value re, im;
        if (!inverse) {
          re = arith::AddFOp::create(b, l, mul(s.re, cs), mul(s.im, sn));
          im = arith::SubFOp::create(b, l, mul(s.im, cs), mul(s.re, sn));
        } else {
          re = arith::SubFOp::create(b, l, mul(s.re, cs), mul(s.im, sn));
          im = arith::AddFOp::create(b, l, mul(s.re, sn), mul(s.im, cs));
        }
        Value isRe = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq,
                                           out[rank - 1],
                                           arith::ConstantIndexOp::create(b, l, 0));
        Value v = arith::SelectOp::create(b, l, isRe, re, im);
        if (inverse)
          v = arith::DivFOp::create(b, l, v, nf);
        if (s.valid)
          v = arith::SelectOp::create(b, l, s.valid, v, f(0));
        return {arith::AddFOp::create(b, l, accs[0], v)};
      })[0];
}

/// x[idx] with idx clamped into x along `dim` (masked samples may point
/// past the end).
Value extractClamped(OpBuilder &b, Location l, Value x, SmallVector<Value> idx,
                     int64_t dim) {
  int64_t size = cast<RankedTensorType>(x.getType()).getDimSize(dim);
  Value last = arith::ConstantIndexOp::create(b, l, size - 1);
  idx[dim] = arith::MinUIOp::create(b, l, idx[dim], last);
  return tensor::ExtractOp::create(b, l, x, idx);
}

/// A compile-time or run-time integer scalar input as an index value.
Value indexScalar(ImportContext &c, unsigned i) {
  Value v = c.input(i);
  auto t = cast<RankedTensorType>(v.getType());
  SmallVector<Value> zeros(t.getRank(), arith::ConstantIndexOp::create(c.b, 0));
  Value s = tensor::ExtractOp::create(c.b, v, zeros);
  return arith::IndexCastOp::create(c.b, c.b.getIndexType(), s);
}

/// DFT along one axis (an attribute up to opset 19, input 2 since 20). A
/// run-time axis input makes one transform per signal axis the output
/// shape allows, chosen between by the axis value when the model runs.
LogicalResult importDFT(ImportContext &c) {
  RankedTensorType type = c.outputType(0);
  Value x = c.input(0);
  if (!type || !x)
    return failure();
  auto in = cast<RankedTensorType>(x.getType());
  int64_t rank = in.getRank();
  if (!in.getElementType().isF32())
    return c.fail("DFT supports float32 data only");
  if (in.getShape().back() > 2)
    return c.fail("DFT needs [..., 1|2] data");
  bool inverse = c.attrInt("inverse", 0);
  std::optional<int64_t> dftLength;
  if (c.hasInput(1)) {
    auto k = c.constInput(1);
    if (!k)
      return c.fail("dft_length must be a compile-time constant");
    dftLength = k->ints().at(0);
    if (*dftLength <= 0)
      return c.fail("dft_length must be positive");
  }
  bool complexIn = in.getShape().back() == 2;
  auto transform = [&](int64_t axis) {
    int64_t len = in.getDimSize(axis), n = dftLength.value_or(len);
    Value length = arith::ConstantIndexOp::create(c.b, n);
    return directDFT(c, type, axis, n, length, inverse,
                     [&](OpBuilder &b, Location l, ArrayRef<Value> out,
                         Value s) {
                       SmallVector<Value> idx(out);
                       idx[axis] = s;
                       idx[rank - 1] = arith::ConstantIndexOp::create(b, l, 0);
                       Sample r;
                       r.re = extractClamped(b, l, x, idx, axis);
                       if (complexIn) {
                         idx[rank - 1] = arith::ConstantIndexOp::create(b, l, 1);
                         r.im = extractClamped(b, l, x, idx, axis);
                       } else {
                         r.im = arith::ConstantOp::create(
                             b, l, b.getF32Type(), b.getF32FloatAttr(0));
                       }
                       if (n > len) // Zero padding to dft_length.
                         r.valid = arith::CmpIOp::create(
                             b, l, arith::CmpIPredicate::ult, s,
                             arith::ConstantIndexOp::create(b, l, len));
                       return r;
                     });
  };
  bool axisInput = c.opset >= 20 && c.hasInput(2);
  std::optional<ConstTensor> axisConst =
      axisInput ? c.constInput(2) : std::nullopt;
  if (!axisInput || axisConst) {
    int64_t axis = axisConst ? axisConst->ints().at(0) : c.attrInt("axis", 1);
    if (axis < 0)
      axis += rank;
    if (axis < 0 || axis >= rank - 1)
      return c.fail("axis must name a signal dimension of [..., 1|2] data");
    if (in.getDimSize(axis) < 1)
      return c.fail("the signal is empty");
    c.setOutput(0, transform(axis));
    return success();
  }
  // Run-time axis: the signal axes whose transform has the output's shape
  // (every one when the length is kept), selected by axis == d or d - rank.
  Value axisV = c.expandToRank(c.input(2), rank);
  auto at = cast<RankedTensorType>(axisV.getType());
  if (at.getNumElements() != 1)
    return c.fail("axis must be a scalar");
  auto boolT = at.clone(c.b.getI1Type());
  Value y;
  for (int64_t d = rank - 2; d >= 0; --d) {
    bool fits = in.getDimSize(d) > 0;
    for (int64_t e = 0; e + 1 < rank; ++e)
      if (e != d && type.getDimSize(e) != in.getDimSize(e))
        fits = false;
    if (!fits)
      continue;
    Value v = transform(d);
    if (!y) { // The last candidate is what any other axis value gets.
      y = v;
      continue;
    }
    auto is = [&](int64_t k) {
      return tosa::EqualOp::create(c.b, boolT, axisV, c.splat(at, k));
    };
    Value hit = tosa::LogicalOrOp::create(c.b, boolT, is(d), is(d - rank));
    y = tosa::SelectOp::create(c.b, type, hit, v, y);
  }
  if (!y)
    return c.fail("no signal axis gives the output's shape");
  c.setOutput(0, y);
  return success();
}

LogicalResult importSTFT(ImportContext &c) {
  RankedTensorType type = c.outputType(0);
  Value x = c.input(0);
  if (!type || !x)
    return failure();
  auto in = cast<RankedTensorType>(x.getType());
  if (in.getRank() != 3 || in.getShape().back() > 2 || type.getRank() != 4 ||
      !in.getElementType().isF32())
    return c.fail("the signal must be float32 [batch, length, 1|2]");
  if (!c.hasInput(1))
    return c.fail("frame_step is required");
  Value step = indexScalar(c, 1);
  Value window = c.hasInput(2) ? c.input(2) : nullptr;
  int64_t signalLen = in.getDimSize(1), extent = signalLen;
  Value length;
  if (window) {
    if (cast<RankedTensorType>(window.getType()).getRank() != 1)
      return c.fail("the window must be 1-D");
    extent = cast<RankedTensorType>(window.getType()).getDimSize(0);
    length = arith::ConstantIndexOp::create(c.b, extent);
  } else if (c.hasInput(3)) {
    // A zero frame length would divide by zero in the phase.
    Value one = arith::ConstantIndexOp::create(c.b, 1);
    length = arith::MaxUIOp::create(c.b, indexScalar(c, 3), one);
  } else {
    return c.fail("one of window and frame_length is required");
  }
  bool complexIn = in.getShape().back() == 2;
  Value signal = x;
  c.setOutput(0, directDFT(c, type, 2, extent, length, /*inverse=*/false,
                           [&](OpBuilder &b, Location l, ArrayRef<Value> out,
                               Value n) {
                             // signal[b, frame * step + n]
                             Value t = arith::AddIOp::create(
                                 b, l, arith::MulIOp::create(b, l, out[1], step), n);
                             SmallVector<Value> idx = {
                                 out[0], t, arith::ConstantIndexOp::create(b, l, 0)};
                             Sample r;
                             r.re = extractClamped(b, l, signal, idx, 1);
                             if (complexIn) {
                               idx[2] = arith::ConstantIndexOp::create(b, l, 1);
                               r.im = extractClamped(b, l, signal, idx, 1);
                             } else {
                               r.im = arith::ConstantOp::create(
                                   b, l, b.getF32Type(), b.getF32FloatAttr(0));
                             }
                             if (window) {
                               Value w = tensor::ExtractOp::create(b, l, window, n);
                               r.re = arith::MulFOp::create(b, l, r.re, w);
                               r.im = arith::MulFOp::create(b, l, r.im, w);
                             }
                             Value inFrame = arith::CmpIOp::create(
                                 b, l, arith::CmpIPredicate::ult, n, length);
                             Value inSignal = arith::CmpIOp::create(
                                 b, l, arith::CmpIPredicate::ult, t,
                                 arith::ConstantIndexOp::create(b, l, signalLen));
                             r.valid = arith::AndIOp::create(b, l, inFrame, inSignal);
                             return r;
                           }));
  return success();
}

} // namespace

void mlir::dlc::appendSpectralHandlers(std::vector<OpHandler> &t) {
  t.push_back({"DFT", 17, importDFT});
  t.push_back({"STFT", 17, importSTFT});
}

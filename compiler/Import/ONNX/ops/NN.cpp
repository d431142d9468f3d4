//===- NN.cpp - ONNX convolution and pooling ------------------------------===//
//
// Conv (groups, dilations, strides, pads, auto_pad; 1-D to 3-D),
// ConvTranspose, the quantized convolutions, MaxPool (with Indices) and
// AveragePool (any rank, as dlc.pool), the global pools and
// DepthToSpace/SpaceToDepth. ONNX is channels-first and TOSA's convolutions are
// channels-last, so each is wrapped in transposes (the graph phase cancels
// adjacent pairs); constant kernels are re-laid out on the host once.
//
//===----------------------------------------------------------------------===//
#include "compiler/Import/ONNX/ImportContext.h"
#include "compiler/Import/ONNX/ops/Kernels.h"

#include <limits>

#include "dialects/DLC/IR/DLCDialect.h"

#include "mlir/Dialect/Tosa/Utils/ConversionUtils.h"

#include <cmath>

using namespace mlir;
using namespace mlir::dlc;

namespace {

/// Window geometry of one spatial dimension after fitting ONNX's pads to the
/// output size shape inference computed: TOSA requires the padded extent to
/// match the output exactly, so surplus high padding is dropped and, where
/// that is not enough, the unused tail of the input is cropped.
struct Window {
  int64_t kernel, stride, dilation, padLo, padHi, crop = 0;
};

struct WindowAttrs {
  SmallVector<Window> dims;
  /// Per-dimension strides, dilations and low/high pads, for dlc ops.
  void arrays(SmallVector<int64_t> &strides, SmallVector<int64_t> &dilations,
              SmallVector<int64_t> &lo, SmallVector<int64_t> &hi) const {
    for (const Window &d : dims) {
      strides.push_back(d.stride);
      dilations.push_back(d.dilation);
      lo.push_back(d.padLo);
      hi.push_back(d.padHi);
    }
  }
  LogicalResult fit(ImportContext &c, ArrayRef<int64_t> inSpatial,
                    ArrayRef<int64_t> outSpatial) {
    for (size_t i = 0; i < dims.size(); ++i) {
      Window &w = dims[i];
      int64_t extent = (w.kernel - 1) * w.dilation + 1;
      int64_t needHi =
          (outSpatial[i] - 1) * w.stride + extent - inSpatial[i] - w.padLo;
      if (needHi < 0) {
        w.crop = -needHi;
        needHi = 0;
      }
      w.padHi = needHi;
      if (inSpatial[i] - w.crop + w.padLo + w.padHi < extent)
        return c.fail("window does not fit the input");
    }
    return success();
  }
};

/// Reads kernel_shape/strides/dilations/pads/auto_pad for `n` spatial dims.
FailureOr<WindowAttrs> readWindow(ImportContext &c, ArrayRef<int64_t> kernel,
                                  ArrayRef<int64_t> inSpatial) {
  size_t n = kernel.size();
  std::vector<int64_t> strides = c.attrInts("strides");
  std::vector<int64_t> dilations = c.attrInts("dilations");
  std::vector<int64_t> pads = c.attrInts("pads");
  std::string autoPad = c.attrString("auto_pad", "NOTSET");
  if (strides.empty())
    strides.assign(n, 1);
  if (dilations.empty())
    dilations.assign(n, 1);
  if (pads.empty())
    pads.assign(2 * n, 0);
  if (strides.size() != n || dilations.size() != n || pads.size() != 2 * n)
    return c.fail("strides/dilations/pads do not match the kernel rank");
  WindowAttrs w;
  for (size_t i = 0; i < n; ++i) {
    Window d{kernel[i], strides[i], dilations[i], pads[i], pads[i + n]};
    if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
      int64_t out = (inSpatial[i] + d.stride - 1) / d.stride;
      int64_t total = std::max<int64_t>(
          0, (out - 1) * d.stride + (d.kernel - 1) * d.dilation + 1 -
                 inSpatial[i]);
      d.padLo = autoPad == "SAME_UPPER" ? total / 2 : (total + 1) / 2;
      d.padHi = total - d.padLo;
    } else if (autoPad == "VALID") {
      d.padLo = d.padHi = 0;
    } else if (autoPad != "NOTSET") {
      return c.fail("unknown auto_pad '" + autoPad + "'");
    }
    if (d.stride < 1 || d.dilation < 1 || d.padLo < 0 || d.padHi < 0)
      return c.fail("invalid strides, dilations or pads");
    w.dims.push_back(d);
  }
  return w;
}

/// Channels-first to channels-last ([N, C, S...] -> [N, S..., C]), lifting
/// 1-D (NCL) to 2-D (NCL1) and cropping the unused tail that fitting the
/// window produced.
Value toChannelsLast(ImportContext &c, Value x, const WindowAttrs &w) {
  auto type = cast<RankedTensorType>(x.getType());
  if (type.getRank() == 3)
    x = c.reshape(x, {type.getDimSize(0), type.getDimSize(1),
                      type.getDimSize(2), 1});
  int32_t rank = cast<RankedTensorType>(x.getType()).getRank();
  SmallVector<int32_t> perm{0};
  for (int32_t i = 2; i < rank; ++i)
    perm.push_back(i);
  perm.push_back(1);
  x = c.transpose(x, perm);
  auto t = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> size(t.getShape()), start(rank, 0);
  for (size_t i = 0; i < w.dims.size(); ++i)
    size[1 + i] -= w.dims[i].crop;
  return c.slice(x, start, size);
}

/// Channels-last result back to the ONNX output type.
Value fromChannelsLast(ImportContext &c, Value y, RankedTensorType outType) {
  int32_t rank = cast<RankedTensorType>(y.getType()).getRank();
  SmallVector<int32_t> perm{0, rank - 1};
  for (int32_t i = 1; i < rank - 1; ++i)
    perm.push_back(i);
  return c.reshape(c.transpose(y, perm), outType.getShape());
}

SmallVector<int64_t> spatial(RankedTensorType t) {
  return SmallVector<int64_t>(t.getShape().drop_front(2));
}

/// Pads in TOSA order [d0 lo, d0 hi, d1 lo, ...]; a 1-D window gets a unit
/// second dimension.
SmallVector<int64_t> tosaPads(const WindowAttrs &w) {
  SmallVector<int64_t> pads;
  for (const Window &d : w.dims) {
    pads.push_back(d.padLo);
    pads.push_back(d.padHi);
  }
  if (w.dims.size() == 1)
    pads.append({0, 0});
  return pads;
}
SmallVector<int64_t> perDim(const WindowAttrs &w, int64_t Window::*field) {
  SmallVector<int64_t> v;
  for (const Window &d : w.dims)
    v.push_back(d.*field);
  if (w.dims.size() == 1)
    v.push_back(1);
  return v;
}

RankedTensorType channelsLastType(RankedTensorType t) {
  auto s = t.getShape();
  SmallVector<int64_t> shape{s[0]};
  shape.append(s.begin() + 2, s.end());
  if (s.size() == 3)
    shape.push_back(1);
  shape.push_back(s[1]);
  return RankedTensorType::get(shape, t.getElementType());
}

/// Permutes constant float values of `shape` on the host.
Value permutedConstant(ImportContext &c, const std::vector<float> &src,
                       ArrayRef<int64_t> shape, ArrayRef<int32_t> perm,
                       llvm::StringRef name) {
  std::vector<float> dst(src.size());
  size_t rank = shape.size();
  SmallVector<int64_t> inStride(rank, 1), outShape(rank), idx(rank, 0);
  for (int64_t i = rank - 2; i >= 0; --i)
    inStride[i] = inStride[i + 1] * shape[i + 1];
  for (size_t i = 0; i < rank; ++i)
    outShape[i] = shape[perm[i]];
  for (size_t n = 0; n < dst.size(); ++n) {
    int64_t off = 0;
    for (size_t i = 0; i < rank; ++i)
      off += idx[i] * inStride[perm[i]];
    dst[n] = src[off];
    for (int64_t i = rank - 1; i >= 0; --i) {
      if (++idx[i] < outShape[i])
        break;
      idx[i] = 0;
    }
  }
  return c.constBlob(outShape, std::move(dst), name);
}

/// The weight reshaped to `shape` and permuted: on the host if constant.
Value layoutWeight(ImportContext &c, unsigned input, ArrayRef<int64_t> shape,
                   ArrayRef<int32_t> perm) {
  auto k = c.constInput(input);
  if (k && k->dtype == onnx::TensorProto::FLOAT)
    return permutedConstant(c, k->floats(), shape, perm, c.node->input(input));
  return c.transpose(c.reshape(c.input(input), shape), perm);
}

/// A group-1 or depthwise convolution of f32 `x` ([N, C, S...], 1-D to
/// 3-D) as TOSA in channels-last; `weight(shape, perm)` gives the kernel
/// reshaped to `shape` and permuted by `perm` (on the host where constant).
/// Returns the channels-last result, which the caller takes back to ONNX's
/// layout (after requantizing, for the quantized forms).
FailureOr<Value> channelsLastConv(
    ImportContext &c, Value x, int64_t cout, ArrayRef<int64_t> kernel,
    WindowAttrs &win, int64_t group, Value bias, RankedTensorType outType,
    llvm::function_ref<Value(ArrayRef<int64_t>, ArrayRef<int32_t>)> weight) {
  auto xType = cast<RankedTensorType>(x.getType());
  int64_t cin = xType.getDimSize(1);
  if (failed(win.fit(c, spatial(xType), spatial(outType))))
    return failure();

  Value xl = toChannelsLast(c, x, win);
  // The kernel as [O, I/g, S...] (1-D lifted to 2-D) and its channels-last
  // permutation [O, S..., I/g].
  SmallVector<int64_t> wShape{cout, cin / group};
  wShape.append(kernel.begin(), kernel.end());
  if (kernel.size() == 1)
    wShape.push_back(1);
  int32_t wRank = wShape.size();
  SmallVector<int32_t> ohwi{0};
  for (int32_t i = 2; i < wRank; ++i)
    ohwi.push_back(i);
  ohwi.push_back(1);
  auto pad = c.b.getDenseI64ArrayAttr(tosaPads(win));
  auto stride = c.b.getDenseI64ArrayAttr(perDim(win, &Window::stride));
  auto dilation = c.b.getDenseI64ArrayAttr(perDim(win, &Window::dilation));
  auto acc = TypeAttr::get(c.b.getF32Type());
  RankedTensorType yType = channelsLastType(outType);
  bool is3D = wRank == 5;
  auto conv = [&](RankedTensorType t, Value in, Value w, Value b) -> Value {
    if (is3D)
      return tosa::Conv3DOp::create(c.b, t, in, w, b, pad, stride, dilation,
                                    acc);
    return tosa::Conv2DOp::create(c.b, t, in, w, b, pad, stride, dilation,
                                  acc);
  };
  if (group == 1)
    return conv(yType, xl, weight(wShape, ohwi), bias);
  // Depthwise: [C*M, 1, KH, KW] -> [KH, KW, C, M].
  int64_t m = cout / cin;
  Value wt = weight({cin, m, wShape[2], wShape[3]}, {2, 3, 0, 1});
  return Value(tosa::DepthwiseConv2DOp::create(c.b, yType, xl, wt, bias, pad,
                                               stride, dilation, acc));
}

LogicalResult importConv(ImportContext &c) {
  RankedTensorType outType = c.outputType(0);
  Value x = c.input(0);
  if (!outType || !x || !c.hasInput(1))
    return outType ? c.fail("X and W are required") : failure();
  auto xType = cast<RankedTensorType>(x.getType());
  // A constant kernel is only read on the host: never materialise it as is.
  auto wConst = c.constInput(1);
  auto wType = wConst ? RankedTensorType::get(wConst->shape, c.b.getF32Type())
                      : cast<RankedTensorType>(c.input(1).getType());
  int64_t rank = xType.getRank();
  if (rank < 3 || rank > 5 || wType.getRank() != rank)
    return c.fail("only 1-D, 2-D and 3-D convolutions are supported (input "
                  "rank " + std::to_string(rank) + ")");
  if (!xType.getElementType().isF32())
    return c.fail("Conv supports float32 data only");
  SmallVector<int64_t> kernel = spatial(wType);
  auto win = readWindow(c, kernel, spatial(xType));
  if (failed(win))
    return failure();
  int64_t group = c.attrInt("group", 1);
  int64_t cin = xType.getDimSize(1), cout = wType.getDimSize(0);
  if (group < 1 || cin % group || cout % group ||
      wType.getDimSize(1) != cin / group)
    return c.fail("channel counts do not match group=" +
                  std::to_string(group));
  bool depthwise = group == cin && wType.getRank() <= 4;
  if (group != 1 && !depthwise) {
    // TOSA has no grouped convolution: one dlc.conv in ONNX layout.
    SmallVector<int64_t> strides, dilations, lo, hi;
    win->arrays(strides, dilations, lo, hi);
    Value bias = c.hasInput(2) ? c.input(2)
                               : c.constF32({cout}, std::vector<float>(cout, 0));
    c.setOutput(0, ConvOp::create(c.b, outType, x, c.input(1), bias,
                                  c.b.getI64IntegerAttr(group),
                                  c.b.getDenseI64ArrayAttr(strides),
                                  c.b.getDenseI64ArrayAttr(dilations),
                                  c.b.getDenseI64ArrayAttr(lo),
                                  c.b.getDenseI64ArrayAttr(hi)));
    return success();
  }
  Value bias = c.hasInput(2) ? c.input(2)
                             : c.constF32({cout}, std::vector<float>(cout, 0));
  FailureOr<Value> y = channelsLastConv(
      c, x, cout, kernel, *win, group, bias, outType,
      [&](ArrayRef<int64_t> shape, ArrayRef<int32_t> perm) {
        return layoutWeight(c, 1, shape, perm);
      });
  if (failed(y))
    return failure();
  c.setOutput(0, fromChannelsLast(c, *y, outType));
  return success();
}

/// MaxPool and AveragePool of any rank, as dlc.pool in ONNX's own layout.
/// MaxPool's Indices output: the flat (row-major, or column-major over the
/// spatial dims with storage_order 1) input index of each window's first
/// maximum, from one linalg.generic reducing over the window.
Value maxPoolIndices(ImportContext &c, Value x, RankedTensorType idxType,
                     ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
                     ArrayRef<int64_t> dilations, ArrayRef<int64_t> lo,
                     bool columnMajor) {
  auto xt = cast<RankedTensorType>(x.getType());
  int64_t rank = xt.getRank(), ns = rank - 2;
  Type elem = xt.getElementType(), i64 = c.b.getI64Type();
  auto valType = RankedTensorType::get(idxType.getShape(), elem);
  Value initV = filledTensor(c, valType, -std::numeric_limits<double>::infinity());
  Value initI = filledTensor(c, idxType.clone(i64), 0);
  return loopNest(c, {initV, initI}, kernel, [&](OpBuilder &b, Location l,
                                                 ValueRange accs)
                                                 -> SmallVector<Value> {
        auto idx = [&](int64_t d) { return linalg::IndexOp::create(b, l, d); };
        auto cst = [&](int64_t v) { return arith::ConstantIndexOp::create(b, l, v); };
        SmallVector<Value> at = {idx(0), idx(1)};
        Value valid;
        for (int64_t d = 0; d < ns; ++d) {
          // o * stride - lo + k * dilation, compared in signed index space.
          Value p = arith::SubIOp::create(
              b, l,
              arith::AddIOp::create(
                  b, l, arith::MulIOp::create(b, l, idx(2 + d), cst(strides[d])),
                  arith::MulIOp::create(b, l, idx(rank + d), cst(dilations[d]))),
              cst(lo[d]));
          Value ok = arith::AndIOp::create(
              b, l, arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, p, cst(0)),
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, p,
                                    cst(xt.getDimSize(2 + d))));
          valid = valid ? arith::AndIOp::create(b, l, valid, ok) : ok;
          Value clamped = arith::MinSIOp::create(
              b, l, arith::MaxSIOp::create(b, l, p, cst(0)),
              cst(xt.getDimSize(2 + d) - 1));
          at.push_back(clamped);
        }
        Value v = tensor::ExtractOp::create(b, l, x, at);
        // Flat index: n, c, then spatial row- or column-major.
        Value flat = arith::AddIOp::create(
            b, l, arith::MulIOp::create(b, l, at[0], cst(xt.getDimSize(1))), at[1]);
        SmallVector<int64_t> order;
        for (int64_t d = 0; d < ns; ++d)
          order.push_back(columnMajor ? ns - 1 - d : d);
        for (int64_t d : order)
          flat = arith::AddIOp::create(
              b, l, arith::MulIOp::create(b, l, flat, cst(xt.getDimSize(2 + d))),
              at[2 + d]);
        Value better = arith::AndIOp::create(
            b, l, valid,
            arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, v, accs[0]));
        Value newV = arith::SelectOp::create(b, l, better, v, accs[0]);
        Value newI = arith::SelectOp::create(
            b, l, better, arith::IndexCastOp::create(b, l, i64, flat), accs[1]);
        return {newV, newI};
      })[1];
}

/// `kind`: "max", "avg" or, for LpPool, "sum" of |x|^p, then ^(1/p).
LogicalResult importPool(ImportContext &c, bool isMax,
                         llvm::StringRef kind = "") {
  RankedTensorType outType = c.outputType(0);
  Value x = c.input(0);
  if (!outType || !x)
    return failure();
  bool wantIndices = c.numOutputs() > 1 && !c.node->output(1).empty();
  RankedTensorType idxType = wantIndices ? c.outputType(1) : nullptr;
  if (wantIndices && !idxType)
    return failure();
  auto xType = cast<RankedTensorType>(x.getType());
  if (xType.getRank() < 3)
    return c.fail("expects an [N, C, spatial...] input");
  bool integer = !isa<FloatType>(xType.getElementType());
  if (integer && (!isMax || xType.getElementTypeBitWidth() > 16))
    return c.fail("integer pooling is supported for 8/16-bit MaxPool only");
  if (integer) {
    // Exact in f32; unsigned data is zero-extended.
    x = c.inputAsF32(0);
    xType = cast<RankedTensorType>(x.getType());
  }
  std::vector<int64_t> kernel = c.attrInts("kernel_shape");
  if (kernel.size() != static_cast<size_t>(xType.getRank() - 2))
    return c.fail("kernel_shape must have one entry per spatial dimension");
  auto win = readWindow(c, kernel, spatial(xType));
  if (failed(win))
    return failure();
  SmallVector<int64_t> strides, dilations, lo, hi;
  win->arrays(strides, dilations, lo, hi);
  bool countPad = !isMax && c.attrInt("count_include_pad", 0);
  int64_t lpP = kind == "sum" ? c.attrInt("p", 2) : 0;
  if (kind == "sum") {
    if (lpP < 1)
      return c.fail("p must be positive");
    auto t = cast<RankedTensorType>(x.getType());
    Value a = tosa::AbsOp::create(c.b, t, x);
    x = a;
    for (int64_t i = 1; i < lpP; ++i)
      x = c.mul(x, a, t);
  }
  // A 2-D max pool without dilation is TOSA's, in channels-last like the
  // convolutions, so the transposes between them cancel in the graph phase
  // instead of running as a strided copy on each side of the pool.
  if (isMax && kind.empty() && !integer && !wantIndices && xType.getRank() == 4 &&
      llvm::all_of(dilations, [](int64_t d) { return d == 1; }) &&
      llvm::all_of(win->dims,
                   [](const Window &d) {
                     return d.padLo < d.kernel && d.padHi < d.kernel;
                   }) &&
      succeeded(win->fit(c, spatial(xType), spatial(outType))) &&
      llvm::all_of(win->dims, [](const Window &d) {
        return d.padHi < d.kernel;
      })) {
    Value y = tosa::MaxPool2dOp::create(
        c.b, channelsLastType(outType),
        toChannelsLast(c, x, *win), c.b.getDenseI64ArrayAttr(kernel),
        c.b.getDenseI64ArrayAttr(perDim(*win, &Window::stride)),
        c.b.getDenseI64ArrayAttr(tosaPads(*win)));
    c.setOutput(0, fromChannelsLast(c, y, outType));
    return success();
  }
  auto poolType = RankedTensorType::get(outType.getShape(), xType.getElementType());
  Value pooled = PoolOp::create(c.b, poolType, x,
                                c.b.getStringAttr(!kind.empty() ? kind
                                                  : isMax       ? "max"
                                                                : "avg"),
                                c.b.getDenseI64ArrayAttr(kernel),
                                c.b.getDenseI64ArrayAttr(strides),
                                c.b.getDenseI64ArrayAttr(dilations),
                                c.b.getDenseI64ArrayAttr(lo),
                                c.b.getDenseI64ArrayAttr(hi),
                                c.b.getBoolAttr(countPad));
  if (integer) // Back through i32: truncation keeps unsigned values.
    pooled = tosa::CastOp::create(
        c.b, outType,
        tosa::CastOp::create(
            c.b, RankedTensorType::get(outType.getShape(), c.b.getI32Type()), pooled));
  if (lpP == 2) // The p-th root.
    pooled = UnaryOp::create(c.b, poolType, pooled, c.b.getStringAttr("sqrt"));
  else if (lpP > 2)
    pooled = tosa::PowOp::create(c.b, poolType, pooled,
                                 c.splat(poolType, 1.0 / double(lpP)));
  c.setOutput(0, pooled);
  if (wantIndices)
    c.setOutput(1, maxPoolIndices(c, x, idxType, kernel, strides, dilations, lo,
                                  c.attrInt("storage_order", 0)));
  return success();
}

LogicalResult importMaxPool(ImportContext &c) { return importPool(c, true); }
LogicalResult importAveragePool(ImportContext &c) {
  return importPool(c, false);
}
LogicalResult importLpPool(ImportContext &c) {
  return importPool(c, false, "sum");
}

/// GlobalAveragePool and GlobalMaxPool: reductions over the spatial dims in
/// channels-last, like the windowed ops, so that the NCHW transposes around
/// them cancel against their neighbours' (tosa-reduce-transposes) instead of
/// pulling the producer chain back to NCHW.
LogicalResult importGlobalPool(ImportContext &c, bool isMax) {
  RankedTensorType outType = c.resultType(1);
  if (!outType)
    return failure();
  Value x = c.input(0);
  auto xType = cast<RankedTensorType>(x.getType());
  int64_t rank = xType.getRank();
  if (rank < 3 || !xType.getElementType().isF32()) { // Reduce in place.
    int64_t count = 1;
    for (int64_t d = 2; d < rank; ++d) {
      count *= xType.getDimSize(d);
      x = isMax ? c.reduceMax(x, d) : c.reduceSum(x, d);
    }
    if (isMax) {
      c.setOutput(0, x);
      return success();
    }
    SmallVector<int64_t> ones(rank, 1);
    c.setOutput(0, c.mul(x, c.constF32(ones, {1.0f / float(count)}), outType));
    return success();
  }
  WindowAttrs none;
  for (int64_t i = 2; i < rank; ++i)
    none.dims.push_back(Window{1, 1, 1, 0, 0});
  Value xl = toChannelsLast(c, x, none);
  auto xlType = cast<RankedTensorType>(xl.getType());
  int64_t count = 1;
  for (int64_t d = 1; d + 1 < xlType.getRank(); ++d) {
    count *= xlType.getDimSize(d);
    xl = isMax ? c.reduceMax(xl, d) : c.reduceSum(xl, d);
  }
  if (!isMax) {
    auto t = cast<RankedTensorType>(xl.getType());
    SmallVector<int64_t> ones(t.getRank(), 1);
    xl = c.mul(xl, c.constF32(ones, {1.0f / float(count)}), t);
  }
  c.setOutput(0, fromChannelsLast(c, xl, outType));
  return success();
}

LogicalResult importGlobalAveragePool(ImportContext &c) {
  return importGlobalPool(c, false);
}

/// ConvInteger/QLinearConv as int8 x int8 accumulated exactly in int32 by
/// tosa.conv2d, channels-last like Conv (the int8 kernels run it): 8-bit
/// data, 1-D or 2-D, scalar constant zero points (uint8 flipped to int8, see
/// int8Operand); QLinearConv's int32 bias is the conv's bias. One group, or
/// one group per channel with one output each (depthwise, as
/// tosa.depthwise_conv2d: the int8 depthwise kernel runs it). The int32
/// result in channels-last layout ([N, H, W, F]; 1-D lifted), null where the
/// form does not apply, or failure after an error.
FailureOr<Value> int8Conv(ImportContext &c, bool qlinear, WindowAttrs win,
               RankedTensorType outType) {
  unsigned xi = 0, wi = qlinear ? 3 : 1, xzi = 2, wzi = qlinear ? 5 : 3;
  auto eightBit = [&](unsigned i) {
    int32_t dt = c.inputDType(i);
    return dt == onnx::TensorProto::INT8 || dt == onnx::TensorProto::UINT8;
  };
  auto xType = cast<RankedTensorType>(c.input(xi).getType());
  auto wType = cast<RankedTensorType>(c.input(wi).getType());
  std::optional<int64_t> xz = scalarZeroPoint(c, xzi),
                         wz = scalarZeroPoint(c, wzi);
  int64_t rank = xType.getRank(), group = c.attrInt("group", 1);
  bool depthwise = group != 1 && rank >= 3 && wType.getRank() == rank &&
                   group == xType.getDimSize(1) &&
                   group == wType.getDimSize(0) && wType.getDimSize(1) == 1;
  if ((group != 1 && !depthwise) || (rank != 3 && rank != 4) || !xz || !wz ||
      !eightBit(xi) || !eightBit(wi) || wType.getRank() != rank ||
      (qlinear && c.hasInput(8) &&
       c.inputDType(8) != onnx::TensorProto::INT32))
    return Value();
  if (failed(win.fit(c, spatial(xType), spatial(outType))))
    return failure();
  Value x = int8Operand(c, xi, *xz), w = int8Operand(c, wi, *wz);
  Value xl = toChannelsLast(c, x, win);
  SmallVector<int64_t> wShape(wType.getShape());
  if (rank == 3)
    wShape.push_back(1);
  // [F, C, KH, KW] as conv2d's [F, KH, KW, C]; depthwise [C, 1, KH, KW]
  // as depthwise_conv2d's [KH, KW, C, 1].
  Value wl = c.transpose(c.reshape(w, wShape),
                         depthwise ? ArrayRef<int32_t>{2, 3, 0, 1}
                                   : ArrayRef<int32_t>{0, 2, 3, 1});
  int64_t cout = wType.getDimSize(0);
  auto i32 = c.b.getI32Type(), i8 = c.b.getI8Type();
  Value bias =
      qlinear && c.hasInput(8)
          ? c.input(8)
          : tosa::ConstOp::create(
                c.b, RankedTensorType::get({cout}, i32),
                DenseElementsAttr::get(RankedTensorType::get({cout}, i32),
                                       c.b.getI32IntegerAttr(0)));
  auto zpConst = [&](int64_t v) -> Value {
    auto t = RankedTensorType::get({1}, i8);
    return tosa::ConstOp::create(
        c.b, t, DenseElementsAttr::get(t, c.b.getIntegerAttr(i8, v)));
  };
  auto i32Out = RankedTensorType::get(outType.getShape(), i32);
  if (depthwise)
    return Value(tosa::DepthwiseConv2DOp::create(
        c.b, channelsLastType(i32Out), xl, wl, bias, zpConst(*xz),
        zpConst(*wz), c.b.getDenseI64ArrayAttr(tosaPads(win)),
        c.b.getDenseI64ArrayAttr(perDim(win, &Window::stride)),
        c.b.getDenseI64ArrayAttr(perDim(win, &Window::dilation)),
        TypeAttr::get(i32)));
  Value y = tosa::Conv2DOp::create(
      c.b, channelsLastType(i32Out), xl, wl, bias, zpConst(*xz), zpConst(*wz),
      c.b.getDenseI64ArrayAttr(tosaPads(win)),
      c.b.getDenseI64ArrayAttr(perDim(win, &Window::stride)),
      c.b.getDenseI64ArrayAttr(perDim(win, &Window::dilation)),
      TypeAttr::get(i32));
  return y;
}

/// ConvInteger and QLinearConv: int8 data runs as an integer convolution
/// (int8Conv); other forms (groups, 3-D, per-channel zero points) convolve
/// the zero-point-centred operands in f32 through dlc.conv, exact while
/// every partial sum stays below 2^24. QLinearConv then requantizes.
LogicalResult quantConv(ImportContext &c, bool qlinear) {
  RankedTensorType outType = c.outputType(0);
  unsigned xi = 0, wi = qlinear ? 3 : 1;
  if (!outType || !c.input(xi) || !c.input(wi))
    return outType ? c.fail("x and w are required") : failure();
  auto xType = cast<RankedTensorType>(c.input(xi).getType());
  auto wType = cast<RankedTensorType>(c.input(wi).getType());
  int64_t rank = xType.getRank();
  auto win = readWindow(c, SmallVector<int64_t>(wType.getShape().drop_front(2)),
                        SmallVector<int64_t>(xType.getShape().drop_front(2)));
  if (failed(win))
    return failure();
  // QLinearConv's requantization of the f32 sums `acc` (channels along
  // `axis`): acc * (x_scale * w_scale / y_scale), w_scale per channel,
  // rounded half to even, + y_zero_point, saturated.
  auto requantize = [&](Value acc, int64_t axis, RankedTensorType type) {
    int64_t r = type.getRank();
    Value mult = requantMultiplier(c, 1, 4, 6, r, axis);
    if (!mult) {
      (void)c.fail("x_scale and y_scale must be scalars");
      return Value();
    }
    Value y = c.mul(acc, mult, cast<RankedTensorType>(acc.getType()));
    Value zp = c.hasInput(7) ? c.alongAxis(c.inputAsF32(7), r, axis) : Value();
    return c.saturateCast(y, zp, c.outputDType(0), type);
  };
  FailureOr<Value> exact = int8Conv(c, qlinear, *win, outType);
  if (failed(exact))
    return failure();
  if (*exact) {
    // Requantized in channels-last, so that the layout transposes between
    // consecutive convolutions meet on the int8 values and cancel, and the
    // requantization follows the convolution (the kernel's epilogue).
    auto lt = cast<RankedTensorType>(exact->getType());
    Value y = *exact;
    if (qlinear)
      y = requantize(
          tosa::CastOp::create(
              c.b, RankedTensorType::get(lt.getShape(), c.b.getF32Type()), y),
          lt.getRank() - 1,
          RankedTensorType::get(lt.getShape(), outType.getElementType()));
    if (!y)
      return failure();
    c.setOutput(0, fromChannelsLast(c, y, outType));
    return success();
  }
  int64_t group = c.attrInt("group", 1), cout = wType.getDimSize(0);
  auto centred = [&](unsigned v, unsigned zp, int64_t axis) {
    Value f = c.inputAsF32(v);
    if (!c.hasInput(zp))
      return f;
    return Value(tosa::SubOp::create(
        c.b, f.getType(), f, c.alongAxis(c.inputAsF32(zp), rank, axis)));
  };
  Value x = centred(xi, 2, 1);
  // Constant weights (and zero points) are centred here, exactly (small
  // integers), so the f32 convolution kernels get constant weights to pack.
  unsigned wzi = qlinear ? 5 : 3;
  std::optional<std::vector<float>> hostW;
  if (std::optional<ConstTensor> k = c.constInput(wi)) {
    std::optional<ConstTensor> z =
        c.hasInput(wzi) ? c.constInput(wzi) : std::nullopt;
    std::vector<int64_t> w = k->ints();
    std::vector<int64_t> zs = z ? z->ints() : std::vector<int64_t>{0};
    int64_t n = static_cast<int64_t>(w.size());
    if ((z || !c.hasInput(wzi)) && n == wType.getNumElements() &&
        n % cout == 0 &&
        (zs.size() == 1 || static_cast<int64_t>(zs.size()) == cout)) {
      hostW.emplace(n);
      for (int64_t i = 0; i < n; ++i)
        (*hostW)[i] = static_cast<float>(
            w[i] - zs[zs.size() == 1 ? 0 : i / (n / cout)]);
    }
  }
  Value bias = qlinear && c.hasInput(8)
                   ? c.inputAsF32(8)
                   : c.constF32({cout}, std::vector<float>(cout, 0));
  int64_t cin = xType.getDimSize(1);
  if (group < 1 || cin % group || cout % group ||
      wType.getDimSize(1) != cin / group)
    return c.fail("channel counts do not match group=" +
                  std::to_string(group));
  bool depthwise = group == cin && rank <= 4;
  if (hostW && (group == 1 || depthwise)) {
    // In channels-last like Conv (the f32 depthwise and convolution
    // kernels), requantized there so the layout transposes cancel.
    FailureOr<Value> acc = channelsLastConv(
        c, x, cout, SmallVector<int64_t>(wType.getShape().drop_front(2)), *win,
        group, bias,
        RankedTensorType::get(outType.getShape(), c.b.getF32Type()),
        [&](ArrayRef<int64_t> shape, ArrayRef<int32_t> perm) {
          return permutedConstant(c, *hostW, shape, perm, "centred_weights");
        });
    if (failed(acc))
      return failure();
    auto lt = cast<RankedTensorType>(acc->getType());
    auto yt = RankedTensorType::get(lt.getShape(), outType.getElementType());
    Value y = qlinear ? requantize(*acc, lt.getRank() - 1, yt)
                      : Value(tosa::CastOp::create(c.b, yt, *acc));
    if (!y)
      return failure();
    c.setOutput(0, fromChannelsLast(c, y, outType));
    return success();
  }
  Value w = hostW ? c.constBlob(wType.getShape(), std::move(*hostW),
                                "centred_weights")
                  : centred(wi, wzi, 0);
  SmallVector<int64_t> strides, dilations, lo, hi;
  win->arrays(strides, dilations, lo, hi);
  auto accType = RankedTensorType::get(outType.getShape(), c.b.getF32Type());
  Value acc = ConvOp::create(c.b, accType, x, w, bias,
                             c.b.getI64IntegerAttr(group),
                             c.b.getDenseI64ArrayAttr(strides),
                             c.b.getDenseI64ArrayAttr(dilations),
                             c.b.getDenseI64ArrayAttr(lo),
                             c.b.getDenseI64ArrayAttr(hi));
  Value y = qlinear ? requantize(acc, 1, outType)
                    : Value(tosa::CastOp::create(c.b, outType, acc));
  if (!y)
    return failure();
  c.setOutput(0, y);
  return success();
}
LogicalResult importConvInteger(ImportContext &c) { return quantConv(c, false); }
LogicalResult importQLinearConv(ImportContext &c) { return quantConv(c, true); }

/// ConvTranspose in any rank, with any weights: one linalg.generic over
/// (n, oc, out..., ic, k...) gathering x[n, ic, (o + pb - k*dil) / stride]
/// where that division is exact and in range. Used where the TOSA path
/// below cannot go (3-D, or dilated/grouped with run-time weights).
LogicalResult convTransposeDirect(ImportContext &c, RankedTensorType outType,
                                  ArrayRef<int64_t> strides,
                                  ArrayRef<int64_t> dil, ArrayRef<int64_t> pb,
                                  int64_t group) {
  Value x = c.input(0), w = c.input(1);
  auto xt = cast<RankedTensorType>(x.getType());
  auto wt = cast<RankedTensorType>(w.getType());
  int64_t rank = xt.getRank(), ns = rank - 2;
  int64_t cinG = xt.getDimSize(1) / group, coutG = wt.getDimSize(1);
  Type f32 = c.b.getF32Type();
  Value init = filledTensor(c, outType, 0.0);
  SmallVector<int64_t> reduction = {cinG};
  for (int64_t d = 0; d < ns; ++d)
    reduction.push_back(wt.getDimSize(2 + d));
  Value y = loopNest(c, init, reduction, [&](OpBuilder &b, Location l,
                                             ValueRange accs)
                                             -> SmallVector<Value> {
        auto idx = [&](int64_t d) { return linalg::IndexOp::create(b, l, d); };
        auto cst = [&](int64_t v) { return arith::ConstantIndexOp::create(b, l, v); };
        Value oc = idx(1), ic = idx(rank);
        Value g = arith::DivUIOp::create(b, l, oc, cst(coutG));
        Value ocg = arith::RemUIOp::create(b, l, oc, cst(coutG));
        Value icAll = arith::AddIOp::create(
            b, l, arith::MulIOp::create(b, l, g, cst(cinG)), ic);
        SmallVector<Value> xAt = {idx(0), icAll}, wAt = {icAll, ocg};
        Value valid;
        for (int64_t d = 0; d < ns; ++d) {
          Value k = idx(rank + 1 + d);
          // t = o + pb - k * dil; valid when t >= 0, t % stride == 0 and
          // t / stride < in.
          Value t = arith::SubIOp::create(
              b, l, arith::AddIOp::create(b, l, idx(2 + d), cst(pb[d])),
              arith::MulIOp::create(b, l, k, cst(dil[d])));
          Value i = arith::DivSIOp::create(b, l, t, cst(strides[d]));
          Value ok = arith::AndIOp::create(
              b, l,
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, t, cst(0)),
              arith::CmpIOp::create(
                  b, l, arith::CmpIPredicate::eq,
                  arith::RemSIOp::create(b, l, t, cst(strides[d])), cst(0)));
          ok = arith::AndIOp::create(
              b, l, ok,
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, i,
                                    cst(xt.getDimSize(2 + d))));
          valid = valid ? arith::AndIOp::create(b, l, valid, ok) : ok;
          xAt.push_back(arith::MinSIOp::create(
              b, l, arith::MaxSIOp::create(b, l, i, cst(0)),
              cst(xt.getDimSize(2 + d) - 1)));
          wAt.push_back(k);
        }
        Value prod = arith::MulFOp::create(
            b, l, tensor::ExtractOp::create(b, l, x, xAt),
            tensor::ExtractOp::create(b, l, w, wAt));
        Value zero = arith::ConstantOp::create(b, l, f32, b.getF32FloatAttr(0));
        prod = arith::SelectOp::create(b, l, valid, prod, zero);
        return {arith::AddFOp::create(b, l, accs[0], prod)};
      })[0];
  if (c.hasInput(2)) // The bias along the channels.
    y = tosa::AddOp::create(c.b, outType, y, c.alongAxis(c.input(2), rank, 1));
  c.setOutput(0, y);
  return success();
}

/// ConvTranspose (1-D/2-D) as tosa.transpose_conv2d, one per group. ONNX pads
/// become negative TOSA out_pad (a crop) and output_padding extra rows at
/// the end; dilation is applied by spreading a constant kernel on the host.
/// Other cases take convTransposeDirect.
LogicalResult importConvTranspose(ImportContext &c) {
  RankedTensorType outType = c.outputType(0);
  Value x = c.input(0);
  if (!outType || !x || !c.hasInput(1))
    return outType ? c.fail("X and W are required") : failure();
  auto xType = cast<RankedTensorType>(x.getType());
  int64_t rank = xType.getRank();
  if (rank < 3)
    return c.fail("expects an [N, C, spatial...] input");
  if (!xType.getElementType().isF32())
    return c.fail("ConvTranspose supports float32 data only");
  auto wConst = c.constInput(1);
  auto wType = wConst ? RankedTensorType::get(wConst->shape, c.b.getF32Type())
                      : cast<RankedTensorType>(c.input(1).getType());
  size_t nsp = rank - 2;
  int64_t group = c.attrInt("group", 1);
  int64_t cin = xType.getDimSize(1), coutG = wType.getDimSize(1);
  int64_t cout = coutG * group;
  if (group < 1 || cin % group || wType.getDimSize(0) != cin ||
      outType.getDimSize(1) != cout || wType.getRank() != rank)
    return c.fail("channel counts do not match group=" + std::to_string(group));
  auto get = [&](const char *name, int64_t dflt, size_t n) {
    std::vector<int64_t> v = c.attrInts(name);
    if (v.empty())
      v.assign(n, dflt);
    return v;
  };
  std::vector<int64_t> strides = get("strides", 1, nsp),
                       dil = get("dilations", 1, nsp),
                       outPadding = get("output_padding", 0, nsp),
                       pads = get("pads", 0, 2 * nsp);
  if (strides.size() != nsp || dil.size() != nsp || outPadding.size() != nsp ||
      pads.size() != 2 * nsp)
    return c.fail("strides/dilations/pads do not match the kernel rank");
  std::string autoPad = c.attrString("auto_pad", "NOTSET");
  bool derivePads = autoPad != "NOTSET" || c.hasAttr("output_shape");
  SmallVector<int64_t> kEff, outPad, padBegin;
  for (size_t i = 0; i < nsp; ++i) {
    int64_t k = wType.getDimSize(2 + i);
    kEff.push_back((k - 1) * dil[i] + 1);
    int64_t total = strides[i] * (xType.getDimSize(2 + i) - 1) + outPadding[i] +
                    kEff[i] - outType.getDimSize(2 + i);
    int64_t pb = pads[i], pe = pads[i + nsp];
    if (derivePads) {
      // A requested output larger than the full result grows at the end.
      pb = total < 0 ? 0 : autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
      pe = total - pb;
    } else if (pb + pe != total) {
      return c.fail("pads do not match the inferred output shape");
    }
    padBegin.push_back(pb);
    outPad.push_back(-pb);
    outPad.push_back(outPadding[i] - pe);
  }
  bool dilated = llvm::any_of(dil, [](int64_t d) { return d != 1; });
  if (nsp > 2 || ((dilated || group > 1) && !wConst))
    return convTransposeDirect(c, outType, strides, dil, padBegin, group);
  if (nsp == 1) {
    kEff.push_back(1);
    outPad.append({0, 0});
    strides.push_back(1);
  }

  int64_t cinG = cin / group;
  // Per-group kernels as [Cout/g, KH_eff, KW_eff, Cin/g].
  auto groupKernel = [&](int64_t g) -> Value {
    if (!wConst)
      return c.transpose(c.reshape(c.input(1), {cin, coutG, kEff[0], kEff[1]}),
                         {1, 2, 3, 0});
    std::vector<float> src = wConst->floats();
    int64_t kh = wType.getDimSize(2), kw = nsp > 1 ? wType.getDimSize(3) : 1;
    int64_t dh = dil[0], dw = nsp > 1 ? dil[1] : 1;
    std::vector<float> dst(coutG * kEff[0] * kEff[1] * cinG, 0.0f);
    for (int64_t ic = 0; ic < cinG; ++ic)
      for (int64_t oc = 0; oc < coutG; ++oc)
        for (int64_t y = 0; y < kh; ++y)
          for (int64_t z = 0; z < kw; ++z)
            dst[((oc * kEff[0] + y * dh) * kEff[1] + z * dw) * cinG + ic] =
                src[(((g * cinG + ic) * coutG + oc) * kh + y) * kw + z];
    return c.constBlob({coutG, kEff[0], kEff[1], cinG}, std::move(dst),
                       c.node->input(1));
  };
  WindowAttrs none;
  for (size_t i = 0; i < nsp; ++i)
    none.dims.push_back(Window{1, 1, 1, 0, 0});
  Value xl = toChannelsLast(c, x, none);
  auto xlType = cast<RankedTensorType>(xl.getType());
  Value bias = c.hasInput(2) ? c.input(2)
                             : c.constF32({cout}, std::vector<float>(cout, 0));
  RankedTensorType yType = channelsLastType(outType);
  SmallVector<Value> parts;
  for (int64_t g = 0; g < group; ++g) {
    Value xg = c.slice(xl, {0, 0, 0, g * cinG},
                       {xlType.getDimSize(0), xlType.getDimSize(1),
                        xlType.getDimSize(2), cinG});
    SmallVector<int64_t> partShape(yType.getShape());
    partShape.back() = coutG;
    parts.push_back(tosa::TransposeConv2DOp::create(
        c.b, RankedTensorType::get(partShape, yType.getElementType()), xg,
        groupKernel(g), c.slice(bias, {g * coutG}, {coutG}),
        c.b.getDenseI64ArrayAttr(outPad),
        c.b.getDenseI64ArrayAttr({strides[0], strides[1]}),
        TypeAttr::get(c.b.getF32Type())));
  }
  Value y = parts.size() == 1 ? parts[0]
                              : Value(tosa::ConcatOp::create(
                                    c.b, yType, parts, c.b.getI32IntegerAttr(3)));
  c.setOutput(0, fromChannelsLast(c, y, outType));
  return success();
}

LogicalResult importGlobalMaxPool(ImportContext &c) {
  return importGlobalPool(c, true);
}

/// DepthToSpace (DCR/CRD) and SpaceToDepth: a reshape, a 6-D transpose and a
/// reshape.
LogicalResult importDepthToSpace(ImportContext &c) {
  RankedTensorType type = c.resultType(1);
  if (!type)
    return failure();
  auto in = cast<RankedTensorType>(c.input(0).getType());
  if (in.getRank() != 4)
    return c.fail("expects a 4-D input");
  int64_t b = c.attrInt("blocksize", 0), n = in.getDimSize(0),
          ch = in.getDimSize(1), h = in.getDimSize(2), w = in.getDimSize(3);
  int64_t bb = 0;
  if (b < 1 || __builtin_mul_overflow(b, b, &bb) || ch % bb)
    return c.fail("channels must be a multiple of blocksize^2");
  bool crd = c.attrString("mode", "DCR") == "CRD";
  Value v = crd ? c.reshape(c.input(0), {n, ch / bb, b, b, h, w})
                : c.reshape(c.input(0), {n, b, b, ch / bb, h, w});
  v = crd ? c.transpose(v, {0, 1, 4, 2, 5, 3})
          : c.transpose(v, {0, 3, 4, 1, 5, 2});
  c.setOutput(0, c.reshape(v, type.getShape()));
  return success();
}

LogicalResult importSpaceToDepth(ImportContext &c) {
  RankedTensorType type = c.resultType(1);
  if (!type)
    return failure();
  auto in = cast<RankedTensorType>(c.input(0).getType());
  if (in.getRank() != 4)
    return c.fail("expects a 4-D input");
  int64_t b = c.attrInt("blocksize", 0), n = in.getDimSize(0),
          ch = in.getDimSize(1), h = in.getDimSize(2), w = in.getDimSize(3);
  if (b < 1 || h % b || w % b)
    return c.fail("spatial dimensions must be multiples of blocksize");
  // DCR (the default) puts the block offset outermost in the output
  // channel, CRD (opset 28) the input channel.
  std::string mode = c.attrString("mode", "DCR");
  if (mode != "DCR" && mode != "CRD")
    return c.fail("mode '" + mode + "' is not DCR or CRD");
  Value v = c.reshape(c.input(0), {n, ch, h / b, b, w / b, b});
  v = mode == "CRD" ? c.transpose(v, {0, 1, 3, 5, 2, 4})
                    : c.transpose(v, {0, 3, 5, 1, 2, 4});
  c.setOutput(0, c.reshape(v, type.getShape()));
  return success();
}

} // namespace

void mlir::dlc::appendNNHandlers(std::vector<OpHandler> &t) {
  t.push_back({"Conv", 1, importConv});
  t.push_back({"ConvTranspose", 1, importConvTranspose});
  t.push_back({"ConvInteger", 10, importConvInteger});
  t.push_back({"QLinearConv", 10, importQLinearConv});
  t.push_back({"MaxPool", 1, importMaxPool});
  t.push_back({"AveragePool", 1, importAveragePool});
  t.push_back({"LpPool", 1, importLpPool});
  t.push_back({"GlobalAveragePool", 1, importGlobalAveragePool});
  t.push_back({"DepthToSpace", 1, importDepthToSpace});
  t.push_back({"GlobalMaxPool", 1, importGlobalMaxPool});
  t.push_back({"SpaceToDepth", 1, importSpaceToDepth});
}

//===- NN.cpp - ONNX convolution, pooling and normalisation ---------------===//
//
// Conv (groups, dilations, strides, pads, auto_pad; 1-D and 2-D), MaxPool,
// AveragePool, GlobalAveragePool and inference BatchNormalization. ONNX is
// NCHW and TOSA's windowed ops are NHWC, so each op is wrapped in transposes
// (the graph phase cancels adjacent pairs); constant kernels are re-laid out
// on the host once instead of at every run.
//
//===----------------------------------------------------------------------===//
#include "compiler/Import/ONNX/ImportContext.h"

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

/// NCHW value to NHWC, optionally lifting 1-D (NCL) to 2-D (NCL1) and
/// cropping the unused tail that fitting the window produced.
Value toNHWC(ImportContext &c, Value x, const WindowAttrs &w) {
  auto type = cast<RankedTensorType>(x.getType());
  if (type.getRank() == 3)
    x = c.reshape(x, {type.getDimSize(0), type.getDimSize(1),
                      type.getDimSize(2), 1});
  x = c.transpose(x, {0, 2, 3, 1});
  auto t = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> size(t.getShape());
  for (size_t i = 0; i < w.dims.size(); ++i)
    size[1 + i] -= w.dims[i].crop;
  return c.slice(x, {0, 0, 0, 0}, size);
}

/// NHWC result back to the ONNX output type (NCHW or NCL).
Value fromNHWC(ImportContext &c, Value y, RankedTensorType outType) {
  y = c.transpose(y, {0, 3, 1, 2});
  return c.reshape(y, outType.getShape());
}

SmallVector<int64_t> spatial(RankedTensorType t) {
  return SmallVector<int64_t>(t.getShape().drop_front(2));
}

/// Pads in TOSA order [top, bottom, left, right]; a 1-D window gets a unit
/// second dimension.
SmallVector<int64_t> tosaPads(const WindowAttrs &w) {
  if (w.dims.size() == 1)
    return {w.dims[0].padLo, w.dims[0].padHi, 0, 0};
  return {w.dims[0].padLo, w.dims[0].padHi, w.dims[1].padLo, w.dims[1].padHi};
}
SmallVector<int64_t> pair(const WindowAttrs &w, int64_t Window::*field) {
  if (w.dims.size() == 1)
    return {w.dims[0].*field, 1};
  return {w.dims[0].*field, w.dims[1].*field};
}

RankedTensorType nhwcType(RankedTensorType nchw) {
  auto s = nchw.getShape();
  if (s.size() == 3)
    return RankedTensorType::get({s[0], s[2], 1, s[1]},
                                 nchw.getElementType());
  return RankedTensorType::get({s[0], s[2], s[3], s[1]},
                               nchw.getElementType());
}

/// Permutes a constant 4-D float tensor on the host.
Value permutedConstant(ImportContext &c, const ConstTensor &k,
                       ArrayRef<int64_t> shape4, ArrayRef<int32_t> perm,
                       llvm::StringRef name) {
  std::vector<float> src = k.floats(), dst(src.size());
  int64_t outShape[4], inStride[4] = {shape4[1] * shape4[2] * shape4[3],
                                      shape4[2] * shape4[3], shape4[3], 1};
  for (int i = 0; i < 4; ++i)
    outShape[i] = shape4[perm[i]];
  int64_t idx = 0;
  for (int64_t a = 0; a < outShape[0]; ++a)
    for (int64_t b = 0; b < outShape[1]; ++b)
      for (int64_t d = 0; d < outShape[2]; ++d)
        for (int64_t e = 0; e < outShape[3]; ++e) {
          int64_t o[4] = {a, b, d, e}, off = 0;
          for (int i = 0; i < 4; ++i)
            off += o[i] * inStride[perm[i]];
          dst[idx++] = src[off];
        }
  return c.constBlob(ArrayRef<int64_t>(outShape, 4), std::move(dst), name);
}

/// The weight as a 4-D tensor in `perm` order: host-permuted if constant.
Value layoutWeight(ImportContext &c, unsigned input, ArrayRef<int64_t> shape4,
                   ArrayRef<int32_t> perm) {
  auto k = c.constInput(input);
  if (k && k->dtype == onnx::TensorProto::FLOAT)
    return permutedConstant(c, *k, shape4, perm, c.node->input(input));
  return c.transpose(c.reshape(c.input(input), shape4), perm);
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
  if (xType.getRank() != 3 && xType.getRank() != 4)
    return c.fail("only 1-D and 2-D convolutions are supported (input rank " +
                  std::to_string(xType.getRank()) + ")");
  if (!xType.getElementType().isF32())
    return c.fail("Conv supports float32 data only");
  SmallVector<int64_t> kernel = spatial(wType);
  auto win = readWindow(c, kernel, spatial(xType));
  if (failed(win) || failed(win->fit(c, spatial(xType), spatial(outType))))
    return failure();
  int64_t group = c.attrInt("group", 1);
  int64_t cin = xType.getDimSize(1), cout = wType.getDimSize(0);
  if (group < 1 || cin % group || cout % group ||
      wType.getDimSize(1) != cin / group)
    return c.fail("channel counts do not match group=" +
                  std::to_string(group));

  Value xh = toNHWC(c, x, *win);
  int64_t kh = kernel[0], kw = kernel.size() > 1 ? kernel[1] : 1;
  SmallVector<int64_t> shape4 = {cout, cin / group, kh, kw};
  Value bias = c.hasInput(2) ? c.input(2)
                             : c.constF32({cout}, std::vector<float>(cout, 0));
  auto pad = c.b.getDenseI64ArrayAttr(tosaPads(*win));
  auto stride = c.b.getDenseI64ArrayAttr(pair(*win, &Window::stride));
  auto dilation = c.b.getDenseI64ArrayAttr(pair(*win, &Window::dilation));
  auto acc = TypeAttr::get(c.b.getF32Type());
  RankedTensorType yType = nhwcType(outType);
  Value y;
  if (group == 1) {
    Value wt = layoutWeight(c, 1, shape4, {0, 2, 3, 1}); // OHWI
    y = tosa::Conv2DOp::create(c.b, yType, xh, wt, bias, pad, stride,
                               dilation, acc);
  } else if (group == cin) {
    // Depthwise: [C*M, 1, KH, KW] -> [KH, KW, C, M].
    int64_t m = cout / cin;
    Value wt = layoutWeight(c, 1, {cin, m, kh, kw}, {2, 3, 0, 1});
    y = tosa::DepthwiseConv2DOp::create(c.b, yType, xh, wt, bias, pad, stride,
                                        dilation, acc);
  } else {
    // General groups: one convolution per group, joined on channels.
    Value wt = layoutWeight(c, 1, shape4, {0, 2, 3, 1});
    auto xhType = cast<RankedTensorType>(xh.getType());
    int64_t cg = cin / group, og = cout / group;
    SmallVector<Value> parts;
    for (int64_t g = 0; g < group; ++g) {
      Value xg = c.slice(xh, {0, 0, 0, g * cg},
                         {xhType.getDimSize(0), xhType.getDimSize(1),
                          xhType.getDimSize(2), cg});
      Value wg = c.slice(wt, {g * og, 0, 0, 0}, {og, kh, kw, cg});
      Value bg = c.slice(bias, {g * og}, {og});
      auto partType = RankedTensorType::get(
          {yType.getDimSize(0), yType.getDimSize(1), yType.getDimSize(2), og},
          yType.getElementType());
      parts.push_back(tosa::Conv2DOp::create(c.b, partType, xg, wg, bg, pad,
                                             stride, dilation, acc));
    }
    y = tosa::ConcatOp::create(c.b, yType, parts, c.b.getI32IntegerAttr(3));
  }
  c.setOutput(0, fromNHWC(c, y, outType));
  return success();
}

LogicalResult importPool(ImportContext &c, bool isMax) {
  RankedTensorType outType = c.outputType(0);
  Value x = c.input(0);
  if (!outType || !x)
    return failure();
  if (c.numOutputs() > 1 && !c.node->output(1).empty())
    return c.fail("the Indices output is not supported");
  auto xType = cast<RankedTensorType>(x.getType());
  if (xType.getRank() != 3 && xType.getRank() != 4)
    return c.fail("only 1-D and 2-D pooling is supported (input rank " +
                  std::to_string(xType.getRank()) + ")");
  std::vector<int64_t> kernel = c.attrInts("kernel_shape");
  if (kernel.size() != static_cast<size_t>(xType.getRank() - 2))
    return c.fail("kernel_shape must have one entry per spatial dimension");
  auto win = readWindow(c, kernel, spatial(xType));
  if (failed(win))
    return failure();
  for (const Window &d : win->dims)
    if (d.dilation != 1)
      return c.fail("dilated pooling is not supported");
  // count_include_pad: pad with zeros explicitly so TOSA counts them.
  if (!isMax && c.attrInt("count_include_pad", 0)) {
    SmallVector<int64_t> padding(2 * xType.getRank(), 0), shape(
                                                             xType.getShape());
    for (size_t i = 0; i < win->dims.size(); ++i) {
      padding[2 * (i + 2)] = win->dims[i].padLo;
      padding[2 * (i + 2) + 1] = win->dims[i].padHi;
      shape[i + 2] += win->dims[i].padLo + win->dims[i].padHi;
      win->dims[i].padLo = win->dims[i].padHi = 0;
    }
    auto padType = RankedTensorType::get(shape, xType.getElementType());
    x = tosa::PadOp::create(c.b, padType, x,
                            tosa::getTosaConstShape(c.b, padding),
                            c.constF32({1}, {0.0f}));
    xType = padType;
  }
  if (failed(win->fit(c, spatial(xType), spatial(outType))))
    return failure();
  Value xh = toNHWC(c, x, *win);
  auto kernelAttr = c.b.getDenseI64ArrayAttr(pair(*win, &Window::kernel));
  auto stride = c.b.getDenseI64ArrayAttr(pair(*win, &Window::stride));
  auto pad = c.b.getDenseI64ArrayAttr(tosaPads(*win));
  RankedTensorType yType = nhwcType(outType);
  Value y = isMax ? Value(tosa::MaxPool2dOp::create(c.b, yType, xh, kernelAttr,
                                                    stride, pad))
                  : Value(tosa::AvgPool2dOp::create(
                        c.b, yType, xh, kernelAttr, stride, pad,
                        TypeAttr::get(c.b.getF32Type())));
  c.setOutput(0, fromNHWC(c, y, outType));
  return success();
}

LogicalResult importMaxPool(ImportContext &c) { return importPool(c, true); }
LogicalResult importAveragePool(ImportContext &c) {
  return importPool(c, false);
}

LogicalResult importGlobalAveragePool(ImportContext &c) {
  RankedTensorType outType = c.outputType(0);
  Value x = c.input(0);
  if (!outType || !x)
    return failure();
  auto xType = cast<RankedTensorType>(x.getType());
  int64_t count = 1;
  for (int64_t d = 2; d < xType.getRank(); ++d) {
    count *= xType.getDimSize(d);
    x = c.reduceSum(x, d);
  }
  SmallVector<int64_t> ones(xType.getRank(), 1);
  c.setOutput(0, c.mul(x, c.constF32(ones, {1.0f / float(count)}), outType));
  return success();
}

LogicalResult importBatchNorm(ImportContext &c) {
  RankedTensorType outType = c.outputType(0);
  if (!outType)
    return failure();
  for (unsigned i = 0; i < 5; ++i)
    if (!c.hasInput(i))
      return c.fail("input " + std::to_string(i) + " is missing");
  if (c.attrInt("training_mode", 0))
    return c.fail("training_mode=1 is not supported by an inference compiler");
  for (size_t i = 1; i < c.numOutputs(); ++i)
    if (!c.node->output(i).empty())
      return c.fail("training outputs (running mean/var) are not supported");
  float eps = c.attrFloat("epsilon", 1e-5f);
  int64_t rank = outType.getRank(), channels = outType.getDimSize(1);
  SmallVector<int64_t> bshape(rank, 1);
  bshape[1] = channels;
  auto bType = RankedTensorType::get(bshape, outType.getElementType());
  auto scale = c.constInput(1), bias = c.constInput(2), mean = c.constInput(3),
       var = c.constInput(4);
  Value a, b;
  if (scale && bias && mean && var) {
    // Fold to y = x * a + b on the host.
    auto s = scale->floats(), bi = bias->floats(), m = mean->floats(),
         v = var->floats();
    if (s.size() != size_t(channels) || bi.size() != s.size() ||
        m.size() != s.size() || v.size() != s.size())
      return c.fail("parameter sizes do not match the channel count");
    std::vector<float> av(channels), bv(channels);
    for (int64_t i = 0; i < channels; ++i) {
      av[i] = s[i] / std::sqrt(v[i] + eps);
      bv[i] = bi[i] - m[i] * av[i];
    }
    a = c.constF32(bshape, av);
    b = c.constF32(bshape, bv);
  } else {
    auto param = [&](unsigned i) { return c.reshape(c.input(i), bshape); };
    Value veps = tosa::AddOp::create(c.b, bType, param(4),
                                     c.constF32(SmallVector<int64_t>(rank, 1),
                                                {eps}));
    Value inv = tosa::RsqrtOp::create(c.b, bType, veps);
    a = c.mul(param(1), inv, bType);
    b = tosa::SubOp::create(c.b, bType, param(2), c.mul(param(3), a, bType));
  }
  Value y = c.mul(c.input(0), a, outType);
  c.setOutput(0, tosa::AddOp::create(c.b, outType, y, b));
  return success();
}

} // namespace

void mlir::dlc::appendNNHandlers(std::vector<OpHandler> &t) {
  t.push_back({"Conv", 1, importConv});
  t.push_back({"MaxPool", 1, importMaxPool});
  t.push_back({"AveragePool", 1, importAveragePool});
  t.push_back({"GlobalAveragePool", 1, importGlobalAveragePool});
  t.push_back({"BatchNormalization", 1, importBatchNorm});
}

//===- Tensor.cpp - ONNX data-movement operators --------------------------===//
//
// Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Concat, Pad, Identity,
// Dropout (inference: identity), Constant, Shape, Size, ConstantOfShape,
// Expand, Tile, Slice, Split, CastLike, Gather and Range. Shape-changing ops take their
// result shape from ONNX shape inference, so every opset's way of passing the
// shape (attribute or input) is handled by the ONNX library once.
//
//===----------------------------------------------------------------------===//
#include "compiler/Import/ONNX/ImportContext.h"
#include "compiler/Import/ONNX/ops/Kernels.h"
#include "compiler/Import/ONNX/ops/RuntimeParams.h"

#include "dialects/DLC/IR/DLCDialect.h"
#include "mlir/Dialect/Tosa/Utils/ConversionUtils.h"

using namespace mlir;
using namespace mlir::dlc;

namespace {

/// Any op whose result is its input with the inferred output shape.
LogicalResult importReshapeLike(ImportContext &c) {
  RankedTensorType type = c.outputType(0);
  Value x = c.input(0);
  if (!type || !x)
    return type ? c.fail("input 0 is missing") : failure();
  auto inType = cast<RankedTensorType>(x.getType());
  if (inType.getNumElements() != type.getNumElements())
    return c.fail("cannot reshape " + std::to_string(inType.getNumElements()) +
                  " elements into " + std::to_string(type.getNumElements()));
  c.setOutput(0, c.reshape(x, type.getShape()));
  return success();
}

LogicalResult importIdentity(ImportContext &c) {
  // Sequences are compile-time lists (opset 14+ Identity takes them; an
  // unrolled Loop hands its carried sequences on this way too).
  if (const std::vector<Value> *seq = c.sequenceInput(0)) {
    c.setSequenceOutput(0, *seq);
    return success();
  }
  Value x = c.input(0);
  if (!x)
    return c.fail("input 0 is missing");
  c.setOutput(0, x);
  return success();
}

/// Dropout at inference is the identity with an all-true mask. In training
/// mode it is random, unless the ratio is 0.
LogicalResult importDropout(ImportContext &c) {
  if (c.hasInput(2)) {
    auto training = c.constInput(2);
    bool ratioZero = false;
    if (auto r = c.constInput(1))
      ratioZero = r->floats().at(0) == 0.0f;
    // Training mode (or a mode only known at run time) drops at random.
    if ((!training || training->ints().at(0)) && !ratioZero)
      return importDropoutRuntime(c);
  }
  if (failed(importIdentity(c)))
    return failure();
  if (c.numOutputs() > 1 && !c.node->output(1).empty()) {
    RankedTensorType mask = c.outputType(1);
    if (!mask)
      return failure();
    c.setOutput(1, tosa::ConstOp::create(
                       c.b, mask, DenseElementsAttr::get(mask, true)));
  }
  return success();
}

LogicalResult importConstant(ImportContext &c) {
  const onnx::TensorProto *t = c.attrTensor("value");
  if (!t) {
    onnx::TensorProto made;
    const auto &attrs = c.node->attribute();
    if (attrs.empty())
      return c.fail("has no value");
    const onnx::AttributeProto &a = attrs[0];
    if (a.name() == "value_float") {
      made.set_data_type(onnx::TensorProto::FLOAT);
      made.add_float_data(a.f());
    } else if (a.name() == "value_floats") {
      made.set_data_type(onnx::TensorProto::FLOAT);
      made.add_dims(a.floats_size());
      for (float f : a.floats())
        made.add_float_data(f);
    } else if (a.name() == "value_int") {
      made.set_data_type(onnx::TensorProto::INT64);
      made.add_int64_data(a.i());
    } else if (a.name() == "value_ints") {
      made.set_data_type(onnx::TensorProto::INT64);
      made.add_dims(a.ints_size());
      for (int64_t i : a.ints())
        made.add_int64_data(i);
    } else {
      return c.fail("attribute '" + a.name() + "' is not supported");
    }
    t = &c.own(std::move(made));
  }
  c.addConstant(c.node->output(0), *t);
  return success();
}

LogicalResult importTranspose(ImportContext &c) {
  RankedTensorType type = c.outputType(0);
  Value x = c.input(0);
  if (!type || !x)
    return failure();
  int64_t rank = type.getRank();
  std::vector<int64_t> perm = c.attrInts("perm");
  if (perm.empty())
    for (int64_t i = rank - 1; i >= 0; --i)
      perm.push_back(i);
  if (static_cast<int64_t>(perm.size()) != rank)
    return c.fail("perm has the wrong length");
  SmallVector<int32_t> p(perm.begin(), perm.end());
  c.setOutput(0, c.transpose(x, p));
  return success();
}

LogicalResult importConcat(ImportContext &c) {
  RankedTensorType type = c.outputType(0);
  if (!type)
    return failure();
  int64_t axis = c.attrInt("axis", 0);
  if (axis < 0)
    axis += type.getRank();
  if (axis < 0 || axis >= type.getRank())
    return c.fail("axis out of range");
  SmallVector<Value> inputs;
  for (unsigned i = 0; i < c.numInputs(); ++i) {
    Value v = c.input(i);
    if (!v)
      return c.fail("input " + std::to_string(i) + " is missing");
    // Empty operands contribute nothing; TOSA rejects zero-sized tensors.
    if (cast<RankedTensorType>(v.getType()).getNumElements() != 0)
      inputs.push_back(v);
  }
  if (inputs.size() == 1) {
    c.setOutput(0, inputs[0]);
    return success();
  }
  c.setOutput(0, tosa::ConcatOp::create(c.b, type, inputs,
                                        c.b.getI32IntegerAttr(axis)));
  return success();
}

LogicalResult importPad(ImportContext &c) {
  RankedTensorType type = c.outputType(0);
  Value x = c.input(0);
  if (!type || !x)
    return failure();
  auto inType = cast<RankedTensorType>(x.getType());
  int64_t rank = inType.getRank();
  std::vector<int64_t> pads;
  float value = 0.0f;
  if (c.opset < 11) {
    pads = c.attrInts("pads");
    value = c.attrFloat("value", 0.0f);
  } else {
    auto k = c.constInput(1);
    if (!k || (c.hasInput(2) && !c.constInput(2)))
      return importPadRuntime(c, c.attrString("mode", "constant"));
    pads = k->ints();
    if (c.hasInput(2))
      value = c.constInput(2)->floats().at(0);
    if (c.opset >= 18 && c.hasInput(3)) { // Pads for the listed axes only.
      auto axesIn = c.constInput(3);
      if (!axesIn)
        return c.fail("axes must be a compile-time constant");
      std::vector<int64_t> axes = axesIn->ints();
      if (pads.size() != 2 * axes.size())
        return c.fail("pads must have 2 entries per axis");
      std::vector<int64_t> full(2 * rank, 0);
      for (size_t i = 0; i < axes.size(); ++i) {
        int64_t a = axes[i] < 0 ? axes[i] + rank : axes[i];
        if (a < 0 || a >= rank)
          return c.fail("axis " + std::to_string(axes[i]) + " is out of range");
        full[a] = pads[i];
        full[a + rank] = pads[i + axes.size()];
      }
      pads = full;
    }
  }
  if (static_cast<int64_t>(pads.size()) != 2 * rank)
    return c.fail("pads must have 2 * rank entries");
  std::string mode = c.attrString("mode", "constant");

  // Negative pads crop: slice first, then pad the rest.
  SmallVector<int64_t> start(rank, 0), size(inType.getShape());
  SmallVector<int64_t> lo(rank), hi(rank);
  for (int64_t d = 0; d < rank; ++d) {
    lo[d] = pads[d];
    hi[d] = pads[d + rank];
    if (lo[d] < 0) {
      start[d] = -lo[d];
      size[d] += lo[d];
      lo[d] = 0;
    }
    if (hi[d] < 0) {
      size[d] += hi[d];
      hi[d] = 0;
    }
  }
  x = c.slice(x, start, size);
  SmallVector<int64_t> outShape(size);
  for (int64_t d = 0; d < rank; ++d)
    outShape[d] += lo[d] + hi[d];
  auto outType = RankedTensorType::get(outShape, inType.getElementType());
  if (outType != type)
    return c.fail("padded shape does not match the inferred output shape");
  if (llvm::all_of(lo, [](int64_t v) { return v == 0; }) &&
      llvm::all_of(hi, [](int64_t v) { return v == 0; })) {
    c.setOutput(0, x);
    return success();
  }
  if (mode == "reflect" || mode == "edge" || mode == "wrap") {
    for (int64_t d = 0; d < rank; ++d)
      if ((mode == "reflect" && (lo[d] >= size[d] || hi[d] >= size[d])) ||
          (mode == "wrap" && (lo[d] > size[d] || hi[d] > size[d])))
        return c.fail(mode + " pads of axis " + std::to_string(d) +
                      " exceed what its size allows");
    c.setOutput(0, PadOp::create(c.b, outType, x,
                                 c.b.getDenseI64ArrayAttr(lo),
                                 c.b.getDenseI64ArrayAttr(hi),
                                 c.b.getStringAttr(mode)));
    return success();
  }
  if (mode != "constant")
    return c.fail("unknown mode '" + mode + "'");
  if (!inType.getElementType().isF32())
    return c.fail("constant Pad supports float32 data only");
  SmallVector<int64_t> padding;
  for (int64_t d = 0; d < rank; ++d) {
    padding.push_back(lo[d]);
    padding.push_back(hi[d]);
  }
  c.setOutput(0, tosa::PadOp::create(c.b, outType, x,
                                     tosa::getTosaConstShape(c.b, padding),
                                     c.constF32({1}, {value})));
  return success();
}

onnx::TensorProto int64Tensor(ArrayRef<int64_t> dims,
                              ArrayRef<int64_t> values) {
  onnx::TensorProto t;
  t.set_data_type(onnx::TensorProto::INT64);
  for (int64_t d : dims)
    t.add_dims(d);
  for (int64_t v : values)
    t.add_int64_data(v);
  return t;
}

/// Shape: a compile-time constant, since every shape is static.
LogicalResult importShape(ImportContext &c) {
  Value x = c.input(0);
  if (!x)
    return c.fail("input 0 is missing");
  auto shape = cast<RankedTensorType>(x.getType()).getShape();
  int64_t rank = shape.size();
  int64_t start = c.attrInt("start", 0), end = c.attrInt("end", rank);
  if (start < 0)
    start += rank;
  if (end < 0)
    end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, start, rank);
  SmallVector<int64_t> dims(shape.begin() + start, shape.begin() + end);
  c.setConstantOutput(0, int64Tensor({int64_t(dims.size())}, dims));
  return success();
}

LogicalResult importSize(ImportContext &c) {
  Value x = c.input(0);
  if (!x)
    return c.fail("input 0 is missing");
  c.setConstantOutput(
      0, int64Tensor({}, {cast<RankedTensorType>(x.getType()).getNumElements()}));
  return success();
}

/// ConstantOfShape: the shape is the inferred output type; the fill value
/// comes from the `value` attribute (default float 0).
LogicalResult importConstantOfShape(ImportContext &c) {
  RankedTensorType type = c.outputType(0);
  if (!type)
    return failure();
  const onnx::TensorProto *v = c.attrTensor("value");
  double fill = 0;
  if (v) {
    ConstTensor k{v, {}, v->data_type()};
    auto f = k.floats();
    if (f.size() != 1)
      return c.fail("value must hold one element");
    fill = f[0];
  }
  Attribute elt = isa<FloatType>(type.getElementType())
                      ? Attribute(c.b.getFloatAttr(type.getElementType(), fill))
                      : Attribute(c.b.getIntegerAttr(type.getElementType(),
                                                     int64_t(fill)));
  c.setOutput(0, tosa::ConstOp::create(c.b, type,
                                       DenseElementsAttr::get(type, elt)));
  return success();
}

/// Broadcasts `x` to `type` with tosa.tile (any element type).
Value broadcastTo(ImportContext &c, Value x, RankedTensorType type) {
  x = c.expandToRank(x, type.getRank());
  auto t = cast<RankedTensorType>(x.getType());
  if (t == type)
    return x;
  SmallVector<int64_t> mult;
  for (int64_t d = 0; d < type.getRank(); ++d)
    mult.push_back(t.getDimSize(d) == type.getDimSize(d)
                       ? 1
                       : type.getDimSize(d) / std::max<int64_t>(t.getDimSize(d), 1));
  return tosa::TileOp::create(c.b, type, x,
                              tosa::getTosaConstShape(c.b, mult));
}

LogicalResult importExpand(ImportContext &c) {
  RankedTensorType type = c.resultType(1);
  if (!type)
    return failure();
  c.setOutput(0, broadcastTo(c, c.input(0), type));
  return success();
}

LogicalResult importTile(ImportContext &c) {
  RankedTensorType type = c.resultType(1);
  if (!type)
    return failure();
  auto in = cast<RankedTensorType>(c.input(0).getType());
  SmallVector<int64_t> mult;
  for (int64_t d = 0; d < type.getRank(); ++d)
    mult.push_back(in.getDimSize(d) ? type.getDimSize(d) / in.getDimSize(d) : 1);
  c.setOutput(0, tosa::TileOp::create(c.b, type, c.input(0),
                                      tosa::getTosaConstShape(c.b, mult)));
  return success();
}

/// Slice with compile-time starts/ends/axes/steps (attributes before opset
/// 10, inputs after), any non-zero step.
LogicalResult importSlice(ImportContext &c) {
  RankedTensorType type = c.resultType(1);
  if (!type)
    return failure();
  Value x = c.input(0);
  auto in = cast<RankedTensorType>(x.getType());
  int64_t rank = in.getRank();
  std::vector<int64_t> starts, ends, axes, steps;
  if (c.opset < 10) {
    starts = c.attrInts("starts");
    ends = c.attrInts("ends");
    axes = c.attrInts("axes");
  } else {
    std::vector<int64_t> *dst[] = {&starts, &ends, &axes, &steps};
    for (unsigned i = 1; i <= 4; ++i) {
      if (!c.hasInput(i))
        continue;
      auto k = c.constInput(i);
      if (!k)
        return importSliceRuntime(c);
      *dst[i - 1] = k->ints();
    }
  }
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back(i);
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (starts.size() != ends.size() || axes.size() != starts.size() ||
      steps.size() != starts.size())
    return c.fail("starts, ends, axes and steps must have equal lengths");
  // Per axis: optionally reverse (negative step), then take every
  // |step|-th element from `begin`.
  Value y = x;
  for (size_t i = 0; i < starts.size(); ++i) {
    int64_t a = axes[i] < 0 ? axes[i] + rank : axes[i];
    if (a < 0 || a >= rank)
      return c.fail("axis out of range");
    auto yt = cast<RankedTensorType>(y.getType());
    int64_t n = yt.getDimSize(a), st = steps[i];
    if (st == 0)
      return c.fail("Slice step 0 is invalid");
    int64_t b = starts[i], e = ends[i];
    if (b < 0)
      b += n;
    if (e < 0)
      e += n;
    int64_t count;
    if (st > 0) {
      b = std::clamp<int64_t>(b, 0, n);
      e = std::clamp<int64_t>(e, 0, n);
      count = std::max<int64_t>(0, (e - b + st - 1) / st);
    } else {
      b = std::clamp<int64_t>(b, 0, n - 1);
      e = std::clamp<int64_t>(e, -1, n - 1);
      count = std::max<int64_t>(0, (b - e - st - 1) / (-st));
      y = tosa::ReverseOp::create(c.b, yt, y, c.b.getI32IntegerAttr(a));
      b = n - 1 - b;
      st = -st;
    }
    if (count == 0)
      return c.fail("empty slices are not supported");
    // Elements b, b+st, ...: slice count*st (padding the tail if needed),
    // view as [count, st] and keep column 0.
    int64_t span = (count - 1) * st + 1;
    SmallVector<int64_t> start(rank, 0), size(yt.getShape());
    start[a] = b;
    size[a] = span;
    y = c.slice(y, start, size);
    if (st > 1) {
      auto t = cast<RankedTensorType>(y.getType());
      SmallVector<int64_t> padding(2 * rank, 0), padded(t.getShape());
      padding[2 * a + 1] = count * st - span;
      padded[a] = count * st;
      if (count * st != span)
        y = tosa::PadOp::create(c.b, t.clone(padded), y,
                                tosa::getTosaConstShape(c.b, padding),
                                c.splat(RankedTensorType::get({1}, t.getElementType()), 0));
      SmallVector<int64_t> split(padded);
      split[a] = count;
      split.insert(split.begin() + a + 1, st);
      y = c.reshape(y, split);
      SmallVector<int64_t> s0(rank + 1, 0), sz(split);
      sz[a + 1] = 1;
      y = c.slice(y, s0, sz);
      SmallVector<int64_t> out(padded);
      out[a] = count;
      y = c.reshape(y, out);
    }
  }
  if (cast<RankedTensorType>(y.getType()) != type)
    return c.fail("sliced shape does not match the inferred output shape");
  c.setOutput(0, y);
  return success();
}

/// Split into the inferred output shapes along `axis`.
LogicalResult importSplit(ImportContext &c) {
  Value x = c.input(0);
  if (!x)
    return c.fail("input 0 is missing");
  auto in = cast<RankedTensorType>(x.getType());
  int64_t axis = c.attrInt("axis", 0);
  if (axis < 0)
    axis += in.getRank();
  if (axis < 0 || axis >= in.getRank())
    return c.fail("axis out of range");
  int64_t offset = 0;
  for (unsigned i = 0; i < c.numOutputs(); ++i) {
    RankedTensorType t = c.outputType(i);
    if (!t)
      return failure();
    if (t.getRank() != in.getRank())
      return c.fail("output " + std::to_string(i) + " has rank " +
                    std::to_string(t.getRank()) + ", the input " +
                    std::to_string(in.getRank()));
    SmallVector<int64_t> begin(in.getRank(), 0);
    begin[axis] = offset;
    offset += t.getDimSize(axis);
    c.setOutput(i, c.slice(x, begin, t.getShape()));
  }
  if (offset != in.getDimSize(axis))
    return c.fail("split sizes do not add up to the dimension");
  return success();
}

LogicalResult importCastLike(ImportContext &c) {
  RankedTensorType type = c.resultType(2);
  if (!type)
    return failure();
  Value y = castValue(c, c.input(0), c.inputDType(0), c.inputDType(1), type,
                      c.attrInt("saturate", 1) != 0);
  if (!y)
    return failure();
  c.setOutput(0, y);
  return success();
}

/// Gather along `axis` as tosa.gather on [outer, axis, inner] views.
LogicalResult importGather(ImportContext &c) {
  RankedTensorType type = c.resultType(2);
  if (!type)
    return failure();
  Value data = c.input(0), indices = c.input(1);
  auto dType = cast<RankedTensorType>(data.getType());
  auto iType = cast<RankedTensorType>(indices.getType());
  int64_t rank = dType.getRank();
  int64_t axis = c.attrInt("axis", 0);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= rank)
    return c.fail("axis out of range");
  auto shape = dType.getShape();
  int64_t outer = 1, inner = 1, k = shape[axis];
  for (int64_t d = 0; d < axis; ++d)
    outer *= shape[d];
  for (int64_t d = axis + 1; d < rank; ++d)
    inner *= shape[d];
  int64_t w = std::max<int64_t>(iType.getNumElements(), 1);
  // Negative indices count from the end: fold on the host when constant.
  Value idx;
  if (auto kIdx = c.constInput(1)) {
    std::vector<int32_t> v;
    for (int64_t i : kIdx->ints()) {
      if (i < -k || i >= k)
        return c.fail("index " + std::to_string(i) +
                      " is out of range for an axis of size " +
                      std::to_string(k));
      v.push_back(static_cast<int32_t>(i < 0 ? i + k : i));
    }
    auto t = RankedTensorType::get({1, w}, c.b.getI32Type());
    idx = tosa::ConstOp::create(c.b, t,
                                DenseElementsAttr::get(t, ArrayRef<int32_t>(v)));
  } else {
    auto i32 = RankedTensorType::get(iType.getShape(), c.b.getI32Type());
    idx = iType.getElementType().isInteger(32)
              ? indices
              : Value(tosa::CastOp::create(c.b, i32, indices));
    auto boolType = RankedTensorType::get(iType.getShape(), c.b.getI1Type());
    Value neg = tosa::GreaterOp::create(c.b, boolType, c.splat(i32, 0), idx);
    idx = tosa::SelectOp::create(
        c.b, i32, neg, tosa::AddOp::create(c.b, i32, idx, c.splat(i32, k)), idx);
    // An index out of range at run time must not read outside the data:
    // clamp it into the axis (ONNX leaves the result undefined).
    idx = tosa::ClampOp::create(c.b, i32, idx, c.b.getI32IntegerAttr(0),
                                c.b.getI32IntegerAttr(int32_t(std::max<int64_t>(k - 1, 0))));
    idx = c.reshape(idx, {1, w});
  }
  if (outer > 1) {
    auto tiled = RankedTensorType::get({outer, w}, c.b.getI32Type());
    idx = tosa::TileOp::create(c.b, tiled, idx,
                               tosa::getTosaConstShape(c.b, {outer, 1}));
  }
  Value values = c.reshape(data, {outer, k, inner});
  auto outType = RankedTensorType::get({outer, w, inner}, dType.getElementType());
  Value y = tosa::GatherOp::create(c.b, outType, values, idx);
  c.setOutput(0, c.reshape(y, type.getShape()));
  return success();
}

/// Range with compile-time start/limit/delta: a constant.
LogicalResult importRange(ImportContext &c) {
  RankedTensorType type = c.outputType(0);
  if (!type)
    return failure();
  auto s = c.constInput(0), l = c.constInput(1), d = c.constInput(2);
  if (!s || !l || !d)
    return importRangeRuntime(c);
  double start = s->floats().at(0), delta = d->floats().at(0);
  int64_t n = type.getDimSize(0);
  if (isa<FloatType>(type.getElementType())) {
    std::vector<float> v;
    for (int64_t i = 0; i < n; ++i)
      v.push_back(static_cast<float>(start + i * delta));
    c.setOutput(0, tosa::ConstOp::create(
                       c.b, type, DenseElementsAttr::get(type, ArrayRef<float>(v))));
    return success();
  }
  SmallVector<APInt> v;
  unsigned width = type.getElementTypeBitWidth();
  int64_t is = s->ints().at(0), id = d->ints().at(0);
  for (int64_t i = 0; i < n; ++i)
    v.push_back(APInt(width, static_cast<uint64_t>(is + i * id), true, true));
  c.setOutput(0, tosa::ConstOp::create(c.b, type, DenseElementsAttr::get(type, v)));
  return success();
}

/// CenterCropPad: each dimension cut or zero-padded about its centre to
/// the target extent (the floor of half the difference goes before). The
/// targets follow from the static output shape, so a run-time `shape`
/// input is read there.
LogicalResult importCenterCropPad(ImportContext &c) {
  RankedTensorType type = c.resultType(2);
  if (!type)
    return failure();
  Value x = c.input(0);
  auto in = cast<RankedTensorType>(x.getType());
  int64_t rank = in.getRank();
  if (type.getRank() != rank)
    return c.fail("the output's rank differs from the input's");
  std::vector<int64_t> axes = c.attrInts("axes");
  SmallVector<bool> listed(rank, !c.hasAttr("axes"));
  for (int64_t a : axes) {
    if (a < -rank || a >= rank)
      return c.fail("axis " + Twine(a) + " is out of range");
    listed[a < 0 ? a + rank : a] = true;
  }
  SmallVector<int64_t> start(rank, 0), kept(rank), padding(2 * rank, 0);
  for (int64_t d = 0; d < rank; ++d) {
    int64_t from = in.getDimSize(d), to = type.getDimSize(d);
    if (!listed[d] && from != to)
      return c.fail("dimension " + Twine(d) + " is not among the axes but "
                    "changes size");
    kept[d] = std::min(from, to);
    if (to < from)
      start[d] = (from - to) / 2;
    else {
      padding[2 * d] = (to - from) / 2;
      padding[2 * d + 1] = to - from - padding[2 * d];
    }
  }
  if (llvm::is_contained(kept, 0)) { // Nothing kept: all padding.
    c.setOutput(0, filledTensor(c, type, 0.0));
    return success();
  }
  Value y = c.slice(x, start, kept);
  if (llvm::any_of(padding, [](int64_t p) { return p != 0; }))
    y = tosa::PadOp::create(
        c.b, type, y, tosa::getTosaConstShape(c.b, padding),
        c.splat(RankedTensorType::get({1}, type.getElementType()), 0));
  c.setOutput(0, y);
  return success();
}

} // namespace

void mlir::dlc::appendTensorHandlers(std::vector<OpHandler> &t) {
  t.push_back({"Reshape", 5, importReshapeLike});
  t.push_back({"Flatten", 1, importReshapeLike});
  t.push_back({"Squeeze", 1, importReshapeLike});
  t.push_back({"Unsqueeze", 1, importReshapeLike});
  t.push_back({"Identity", 1, importIdentity});
  t.push_back({"Dropout", 1, importDropout});
  t.push_back({"Constant", 1, importConstant});
  t.push_back({"Transpose", 1, importTranspose});
  t.push_back({"Concat", 4, importConcat});
  t.push_back({"Pad", 2, importPad});
  t.push_back({"Shape", 1, importShape});
  t.push_back({"CenterCropPad", 18, importCenterCropPad});
  t.push_back({"Size", 1, importSize});
  t.push_back({"ConstantOfShape", 9, importConstantOfShape});
  t.push_back({"Expand", 8, importExpand});
  t.push_back({"Tile", 6, importTile});
  t.push_back({"Slice", 1, importSlice});
  t.push_back({"Split", 2, importSplit});
  t.push_back({"CastLike", 15, importCastLike});
  t.push_back({"Gather", 1, importGather});
  t.push_back({"Range", 11, importRange});
  t.push_back({"ReverseSequence", 10, importReverseSequence});
}

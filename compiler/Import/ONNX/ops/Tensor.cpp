//===- Tensor.cpp - ONNX data-movement operators --------------------------===//
//
// Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Concat, Pad, Identity,
// Dropout (inference: identity) and Constant. Shape-changing ops take their
// result shape from ONNX shape inference, so every opset's way of passing the
// shape (attribute or input) is handled by the ONNX library once.
//
//===----------------------------------------------------------------------===//
#include "compiler/Import/ONNX/ImportContext.h"

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
  Value x = c.input(0);
  if (!x)
    return c.fail("input 0 is missing");
  c.setOutput(0, x);
  return success();
}

LogicalResult importDropout(ImportContext &c) {
  if (c.numOutputs() > 1 && !c.node->output(1).empty())
    return c.fail("the mask output is not supported");
  return importIdentity(c);
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
    if (!k)
      return c.fail("pads must be a compile-time constant");
    pads = k->ints();
    if (c.hasInput(2)) {
      auto v = c.constInput(2);
      if (!v)
        return c.fail("constant_value must be a compile-time constant");
      value = v->floats().at(0);
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
  if (mode == "reflect" || mode == "edge") {
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
}

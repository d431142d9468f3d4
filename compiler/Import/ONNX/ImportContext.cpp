//===- ImportContext.cpp - helpers shared by ONNX op handlers -------------===//
//
// Value/constant bookkeeping for one graph and the TOSA building blocks that
// spell out TOSA's operand conventions (shape operands, zero points, the mul
// shift) in one place so handlers read like the ONNX spec.
//
//===----------------------------------------------------------------------===//
#include "compiler/Import/ONNX/ImportContext.h"
#include "compiler/Import/ONNX/Validate.h"
#include "compiler/Import/ONNX/SmallTypes.h"
#include "compiler/Import/ONNX/ops/Kernels.h"

#include "onnx/defs/schema.h"
#include "onnx/shape_inference/implementation.h"

#include "mlir/Dialect/Tosa/Utils/ConversionUtils.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include "onnx/defs/tensor_proto_util.h"

#include <cmath>

using namespace mlir;
using namespace mlir::dlc;

Type mlir::dlc::onnxElementType(MLIRContext *ctx, int32_t dtype) {
  switch (dtype) {
  case onnx::TensorProto::FLOAT: return Float32Type::get(ctx);
  case onnx::TensorProto::DOUBLE: return Float64Type::get(ctx);
  case onnx::TensorProto::FLOAT16: return Float16Type::get(ctx);
  case onnx::TensorProto::BFLOAT16: return BFloat16Type::get(ctx);
  case onnx::TensorProto::INT8: return IntegerType::get(ctx, 8);
  // Signless like TOSA's integers: wrap-around add/sub/mul do not depend on
  // signedness; ops that do (div, max, compare) check the ONNX type.
  case onnx::TensorProto::UINT8: return IntegerType::get(ctx, 8);
  case onnx::TensorProto::UINT16: return IntegerType::get(ctx, 16);
  case onnx::TensorProto::UINT32: return IntegerType::get(ctx, 32);
  case onnx::TensorProto::UINT64: return IntegerType::get(ctx, 64);
  case onnx::TensorProto::INT16: return IntegerType::get(ctx, 16);
  case onnx::TensorProto::INT32: return IntegerType::get(ctx, 32);
  case onnx::TensorProto::INT64: return IntegerType::get(ctx, 64);
  case onnx::TensorProto::BOOL: return IntegerType::get(ctx, 1);
  // float8/float4 bit patterns and 4/2-bit integers, one per byte
  // (SmallTypes.h); only Cast/CastLike and Q/DQ interpret them.
  case onnx::TensorProto::FLOAT8E4M3FN:
  case onnx::TensorProto::FLOAT8E4M3FNUZ:
  case onnx::TensorProto::FLOAT8E5M2:
  case onnx::TensorProto::FLOAT8E5M2FNUZ:
  case onnx::TensorProto::UINT4:
  case onnx::TensorProto::INT4:
  case onnx::TensorProto::FLOAT4E2M1:
  case onnx::TensorProto::FLOAT8E8M0:
  case onnx::TensorProto::UINT2:
  case onnx::TensorProto::INT2:
    return IntegerType::get(ctx, 8);
  default: return nullptr;
  }
}

bool mlir::dlc::isReasonableSize(RankedTensorType type, int64_t maxBytes) {
  int64_t bytes = std::max<int64_t>(1, type.getElementTypeBitWidth() / 8);
  for (int64_t d : type.getShape()) {
    if (d < 0 || (d > 0 && bytes > maxBytes / d))
      return false;
    bytes *= std::max<int64_t>(d, 1);
  }
  return bytes <= maxBytes;
}

//===----------------------------------------------------------------------===//
// ConstTensor
//===----------------------------------------------------------------------===//

ConstTensor ConstTensor::of(const onnx::TensorProto *t) {
  ConstTensor c;
  c.proto = t;
  c.shape.assign(t->dims().begin(), t->dims().end());
  c.dtype = t->data_type();
  return c;
}

int64_t ConstTensor::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::vector<float> ConstTensor::floats() const {
  if (dtype == onnx::TensorProto::FLOAT)
    return onnx::ParseData<float>(proto);
  if (dtype == onnx::TensorProto::DOUBLE) {
    auto d = onnx::ParseData<double>(proto);
    return std::vector<float>(d.begin(), d.end());
  }
  auto i = ints();
  return std::vector<float>(i.begin(), i.end());
}

std::vector<int64_t> ConstTensor::ints() const {
  switch (dtype) {
  case onnx::TensorProto::INT64: return onnx::ParseData<int64_t>(proto);
  case onnx::TensorProto::INT32: {
    auto v = onnx::ParseData<int32_t>(proto);
    return std::vector<int64_t>(v.begin(), v.end());
  }
  case onnx::TensorProto::FLOAT: {
    auto v = onnx::ParseData<float>(proto);
    return std::vector<int64_t>(v.begin(), v.end());
  }
  default: {
    // int8/uint8/int16/uint16/bool are stored in int32_data, uint32/uint64
    // in uint64_data, or all of them as little-endian raw bytes of their
    // own width (Validate.cpp checked the byte count against the shape).
    bool wide = dtype == onnx::TensorProto::UINT32 ||
                dtype == onnx::TensorProto::UINT64;
    std::vector<int64_t> out;
    if (proto->has_raw_data()) {
      unsigned bytes = dtype == onnx::TensorProto::INT16 ||
                               dtype == onnx::TensorProto::UINT16
                           ? 2
                       : dtype == onnx::TensorProto::UINT32 ? 4
                       : dtype == onnx::TensorProto::UINT64 ? 8
                                                            : 1;
      bool isSigned = dtype == onnx::TensorProto::INT8 ||
                      dtype == onnx::TensorProto::INT16;
      const std::string &raw = proto->raw_data();
      for (size_t at = 0; at + bytes <= raw.size(); at += bytes) {
        uint64_t v = 0;
        for (unsigned i = 0; i < bytes; ++i)
          v |= uint64_t(static_cast<unsigned char>(raw[at + i])) << (8 * i);
        if (isSigned && bytes < 8 && (v >> (8 * bytes - 1)) & 1)
          v |= ~uint64_t(0) << (8 * bytes); // Sign-extend.
        out.push_back(static_cast<int64_t>(v));
      }
    } else if (wide) {
      for (uint64_t v : proto->uint64_data())
        out.push_back(static_cast<int64_t>(v));
    } else {
      for (int32_t v : proto->int32_data())
        out.push_back(v);
    }
    return out;
  }
  }
}

//===----------------------------------------------------------------------===//
// ImportContext
//===----------------------------------------------------------------------===//

ImportContext::ImportContext(MLIRContext *ctx, const onnx::GraphProto &graph,
                             int64_t opset, llvm::StringRef modelPath)
    : ctx(ctx), b(UnknownLoc::get(ctx), ctx), opset(opset), graph(graph),
      modelPath(modelPath.str()) {}

void ImportContext::setNode(const onnx::NodeProto &n) {
  node = &n;
  std::string name = !n.name().empty() ? n.name()
                     : n.output_size() ? n.output(0)
                                       : n.op_type();
  b.setLoc(NameLoc::get(StringAttr::get(ctx, name),
                        FileLineColLoc::get(ctx, modelPath, 0, 0)));
}

LogicalResult ImportContext::fail(const llvm::Twine &msg) {
  std::string firstOut;
  for (const auto &o : node->output())
    if (firstOut.empty())
      firstOut = o;
  std::string who = !node->name().empty() ? "node '" + node->name() + "'"
                    : !firstOut.empty()
                        ? "the node producing '" + firstOut + "'"
                        : "a node";
  return emitError(b.getLoc())
         << who << " (" << node->op_type() << "): " << msg;
}

size_t ImportContext::numInputs() const { return node->input_size(); }
size_t ImportContext::numOutputs() const { return node->output_size(); }

bool ImportContext::hasInput(unsigned i) const {
  return static_cast<int>(i) < node->input_size() && !node->input(i).empty();
}

Value ImportContext::input(unsigned i) {
  if (!hasInput(i))
    return nullptr;
  return lookup(node->input(i));
}

std::optional<ConstTensor> ImportContext::constInput(unsigned i) const {
  if (!hasInput(i))
    return std::nullopt;
  return lookupConstant(node->input(i));
}

RankedTensorType ImportContext::outputType(unsigned i) {
  auto it = types.find(node->output(i));
  RankedTensorType t =
      it == types.end() ? nullptr : staticType(*it->second);
  if (!t) {
    (void)fail("cannot determine a static shape for output '" +
               node->output(i) + "'" +
               (inferenceNote.empty()
                    ? std::string()
                    : " (ONNX shape inference: " + inferenceNote + ")"));
    return nullptr;
  }
  if (!isReasonableSize(t, limits.maxTensorBytes)) {
    std::string s;
    llvm::raw_string_ostream os(s);
    os << t;
    (void)fail("output '" + node->output(i) + "' of type " + s +
               " exceeds the largest supported tensor");
    return nullptr;
  }
  return t;
}

void ImportContext::setOutput(unsigned i, Value v) {
  if (static_cast<int>(i) < node->output_size() && !node->output(i).empty())
    values[node->output(i)] = v;
}

RankedTensorType ImportContext::resultType(unsigned requiredInputs) {
  for (unsigned i = 0; i < requiredInputs; ++i)
    if (!input(i))
      return (void)fail("input " + std::to_string(i) + " is missing"),
             nullptr;
  return outputType(0);
}

void ImportContext::setConstantOutput(unsigned i, onnx::TensorProto t) {
  if (static_cast<int>(i) >= node->output_size() || node->output(i).empty())
    return;
  t.set_name(node->output(i));
  addConstant(node->output(i), own(std::move(t)));
}

/// The ONNX element type code of an MLIR element type (signless integers
/// read as signed), 0 if none.
static int32_t onnxDType(Type t) {
  if (t.isF32()) return onnx::TensorProto::FLOAT;
  if (t.isF64()) return onnx::TensorProto::DOUBLE;
  if (t.isF16()) return onnx::TensorProto::FLOAT16;
  if (t.isBF16()) return onnx::TensorProto::BFLOAT16;
  if (t.isInteger(1)) return onnx::TensorProto::BOOL;
  if (t.isInteger(8)) return onnx::TensorProto::INT8;
  if (t.isInteger(16)) return onnx::TensorProto::INT16;
  if (t.isInteger(32)) return onnx::TensorProto::INT32;
  if (t.isInteger(64)) return onnx::TensorProto::INT64;
  return 0;
}

void ImportContext::inferSubgraphTypes(const onnx::GraphProto &g,
                                       llvm::ArrayRef<Type> inputTypes) {
  onnx::ModelProto m;
  m.set_ir_version(onnx::IR_VERSION);
  auto *op = m.add_opset_import();
  op->set_domain("");
  op->set_version(opset);
  *m.mutable_graph() = g;
  onnx::GraphProto *mg = m.mutable_graph();
  for (int i = 0; i < mg->input_size() && i < int(inputTypes.size()); ++i) {
    auto t = dyn_cast<RankedTensorType>(inputTypes[i]);
    if (!t)
      continue;
    auto *tt = mg->mutable_input(i)->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnxDType(t.getElementType()));
    auto *shape = tt->mutable_shape();
    shape->clear_dim();
    for (int64_t d : t.getShape())
      shape->add_dim()->set_dim_value(d);
  }
  try {
    onnx::ShapeInferenceOptions opts(/*check_type=*/false, /*error_mode=*/0,
                                     /*data_prop=*/!hasLongVector(m.graph()));
    onnx::shape_inference::InferShapes(m, onnx::OpSchemaRegistry::Instance(),
                                       opts);
  } catch (const std::exception &) {
    return; // Handlers report the types they still miss.
  }
  inferredSubgraphs.push_back(std::move(m));
  const onnx::GraphProto &inferred = inferredSubgraphs.back().graph();
  for (const auto &vi : inferred.value_info())
    addValueInfo(vi);
  for (const auto &vi : inferred.output())
    if (staticType(vi.type()))
      addValueInfo(vi);
}

const onnx::GraphProto *ImportContext::attrGraph(llvm::StringRef name) const {
  for (const auto &a : node->attribute())
    if (a.name() == name && a.has_g())
      return &a.g();
  return nullptr;
}

bool ImportContext::hasAttr(llvm::StringRef name) const {
  for (const auto &a : node->attribute())
    if (a.name() == name)
      return true;
  return false;
}

static const onnx::AttributeProto *findAttr(const onnx::NodeProto *node,
                                            llvm::StringRef name) {
  for (const auto &a : node->attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

int64_t ImportContext::attrInt(llvm::StringRef name, int64_t dflt) const {
  auto *a = findAttr(node, name);
  return a ? a->i() : dflt;
}

float ImportContext::attrFloat(llvm::StringRef name, float dflt) const {
  auto *a = findAttr(node, name);
  return a ? a->f() : dflt;
}

std::string ImportContext::attrString(llvm::StringRef name,
                                      llvm::StringRef dflt) const {
  auto *a = findAttr(node, name);
  return a ? a->s() : dflt.str();
}

std::vector<int64_t> ImportContext::attrInts(llvm::StringRef name) const {
  auto *a = findAttr(node, name);
  if (!a)
    return {};
  return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}

const onnx::TensorProto *
ImportContext::attrTensor(llvm::StringRef name) const {
  auto *a = findAttr(node, name);
  return a && a->has_t() ? &a->t() : nullptr;
}

const std::vector<Value> *ImportContext::sequenceInput(unsigned i) const {
  if (!hasInput(i))
    return nullptr;
  auto it = sequences.find(node->input(i));
  return it == sequences.end() ? nullptr : &it->second;
}

void ImportContext::setSequenceOutput(unsigned i, std::vector<Value> elements) {
  sequences[node->output(i)] = std::move(elements);
}

Value ImportContext::lookup(const std::string &name) {
  if (name.empty())
    return nullptr;
  auto it = values.find(name);
  if (it != values.end())
    return it->second;
  if (auto c = lookupConstant(name)) {
    Value v = materialize(*c, name);
    values[name] = v;
    return v;
  }
  return nullptr;
}

void ImportContext::addConstant(const std::string &name,
                                const onnx::TensorProto &t) {
  constants[name] = &t;
}

const onnx::TensorProto &ImportContext::own(onnx::TensorProto t) {
  owned.push_back(std::move(t));
  return owned.back();
}

std::optional<ConstTensor>
ImportContext::lookupConstant(const std::string &name) const {
  auto it = constants.find(name);
  if (it == constants.end())
    return std::nullopt;
  ConstTensor c;
  c.proto = it->second;
  c.dtype = c.proto->data_type();
  c.shape.assign(c.proto->dims().begin(), c.proto->dims().end());
  return c;
}

void ImportContext::addValueInfo(const onnx::ValueInfoProto &vi) {
  types[vi.name()] = &vi.type();
}

RankedTensorType ImportContext::knownType(const std::string &name) const {
  auto it = types.find(name);
  return it == types.end() ? nullptr : staticType(*it->second);
}

RankedTensorType ImportContext::staticType(const onnx::TypeProto &type) const {
  if (!type.has_tensor_type() || !type.tensor_type().has_shape())
    return nullptr;
  Type elt = onnxElementType(ctx, type.tensor_type().elem_type());
  if (!elt)
    return nullptr;
  SmallVector<int64_t> shape;
  for (const auto &d : type.tensor_type().shape().dim()) {
    if (!d.has_dim_value() || d.dim_value() < 0)
      return nullptr;
    shape.push_back(d.dim_value());
  }
  return RankedTensorType::get(shape, elt);
}

//===----------------------------------------------------------------------===//
// TOSA building blocks
//===----------------------------------------------------------------------===//

/// Blob names are derived from tensor names so that output is deterministic.
static std::string blobName(llvm::StringRef name, unsigned counter) {
  std::string out = "w" + std::to_string(counter) + "_";
  for (char c : name)
    out += (isalnum(static_cast<unsigned char>(c)) ? c : '_');
  return out;
}

template <typename T>
static DenseElementsAttr denseFrom(RankedTensorType type,
                                   const std::vector<int64_t> &v) {
  std::vector<T> cast(v.begin(), v.end());
  return DenseElementsAttr::get(type, llvm::ArrayRef<T>(cast));
}

Value ImportContext::materialize(const ConstTensor &t, llvm::StringRef name) {
  Type elt = onnxElementType(ctx, t.dtype);
  if (!elt) {
    (void)fail("constant '" + name + "' has an unsupported data type");
    return nullptr;
  }
  auto type = RankedTensorType::get(t.shape, elt);
  if (t.numElements() == 0) // TOSA constants hold at least one element.
    return tensor::EmptyOp::create(b, t.shape, elt);
  ElementsAttr attr;
  bool isF32 = t.dtype == onnx::TensorProto::FLOAT;
  // Large float weights stored as raw bytes are referenced in place; small
  // ones become dense attributes so TOSA's folders can see them.
  if (isF32 && t.proto->has_raw_data() && t.numElements() > 64 &&
      t.proto->raw_data().size() == size_t(t.numElements()) * 4) {
    const std::string &raw = t.proto->raw_data();
    auto blob = UnmanagedAsmResourceBlob::allocateInferAlign(
        llvm::ArrayRef<float>(reinterpret_cast<const float *>(raw.data()),
                              t.numElements()));
    attr = DenseResourceElementsAttr::get(type, blobName(name, blobCounter++),
                                          std::move(blob));
  } else if (isF32 || t.dtype == onnx::TensorProto::DOUBLE ||
             t.dtype == onnx::TensorProto::FLOAT16 ||
             t.dtype == onnx::TensorProto::BFLOAT16) {
    std::vector<float> f = t.floats();
    if (elt.isF32()) {
      attr = DenseElementsAttr::get(type, llvm::ArrayRef<float>(f));
    } else {
      SmallVector<APFloat> vals;
      for (float x : f) {
        APFloat ap(x);
        bool lost;
        ap.convert(cast<FloatType>(elt).getFloatSemantics(),
                   APFloat::rmNearestTiesToEven, &lost);
        vals.push_back(ap);
      }
      attr = DenseElementsAttr::get(type, vals);
    }
  } else {
    std::vector<int64_t> v = t.ints();
    unsigned width = elt.getIntOrFloatBitWidth();
    if (width == 1) {
      std::vector<bool> bits(v.begin(), v.end());
      SmallVector<bool> sb(bits.begin(), bits.end());
      attr = DenseElementsAttr::get(type, llvm::ArrayRef<bool>(sb));
    } else {
      SmallVector<APInt> vals;
      for (int64_t x : v)
        vals.push_back(APInt(width, static_cast<uint64_t>(x),
                             /*isSigned=*/true, /*implicitTrunc=*/true));
      attr = DenseElementsAttr::get(type, vals);
    }
  }
  if (static_cast<int64_t>(attr.getNumElements()) != t.numElements()) {
    (void)fail("constant '" + name + "' holds the wrong number of elements");
    return nullptr;
  }
  return tosa::ConstOp::create(b, type, attr);
}

Value ImportContext::constF32(llvm::ArrayRef<int64_t> shape,
                              llvm::ArrayRef<float> values) {
  auto type = RankedTensorType::get(shape, b.getF32Type());
  DenseElementsAttr attr =
      values.size() == 1 ? DenseElementsAttr::get(type, values[0])
                         : DenseElementsAttr::get(type, values);
  return tosa::ConstOp::create(b, type, attr);
}

Value ImportContext::constBlob(llvm::ArrayRef<int64_t> shape,
                               std::vector<float> values,
                               llvm::StringRef name) {
  auto type = RankedTensorType::get(shape, b.getF32Type());
  auto blob = HeapAsmResourceBlob::allocateAndCopyInferAlign(
      llvm::ArrayRef<float>(values));
  auto attr = DenseResourceElementsAttr::get(
      type, blobName(name, blobCounter++), std::move(blob));
  return tosa::ConstOp::create(b, type, attr);
}

Value ImportContext::reshape(Value v, llvm::ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getShape() == shape)
    return v;
  auto out = RankedTensorType::get(shape, type.getElementType());
  return tosa::ReshapeOp::create(b, out, v, tosa::getTosaConstShape(b, shape));
}

Value ImportContext::transpose(Value v, llvm::ArrayRef<int32_t> perms) {
  auto type = cast<RankedTensorType>(v.getType());
  SmallVector<int64_t> shape;
  bool identity = true;
  for (size_t i = 0; i < perms.size(); ++i) {
    shape.push_back(type.getDimSize(perms[i]));
    identity &= perms[i] == static_cast<int32_t>(i);
  }
  if (identity)
    return v;
  auto out = RankedTensorType::get(shape, type.getElementType());
  return tosa::TransposeOp::create(b, out, v, perms);
}

Value ImportContext::expandToRank(Value v, int64_t rank) {
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getRank() >= rank)
    return v;
  SmallVector<int64_t> shape(rank - type.getRank(), 1);
  shape.append(type.getShape().begin(), type.getShape().end());
  return reshape(v, shape);
}

Value ImportContext::mul(Value a, Value c, RankedTensorType resultType) {
  int64_t rank = resultType.getRank();
  auto shiftType = RankedTensorType::get({1}, b.getI8Type());
  Value shift = tosa::ConstOp::create(
      b, shiftType, DenseElementsAttr::get(shiftType, b.getI8IntegerAttr(0)));
  return tosa::MulOp::create(b, resultType, expandToRank(a, rank),
                             expandToRank(c, rank), shift);
}

Value ImportContext::slice(Value v, llvm::ArrayRef<int64_t> start,
                           llvm::ArrayRef<int64_t> size) {
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getShape() == size)
    return v;
  auto out = RankedTensorType::get(size, type.getElementType());
  if (out.getNumElements() == 0) // TOSA has no empty tensors.
    return tensor::EmptyOp::create(b, size, type.getElementType());
  return tosa::SliceOp::create(b, out, v, tosa::getTosaConstShape(b, start),
                               tosa::getTosaConstShape(b, size));
}

template <typename OpTy>
static Value reduceKeepDim(ImplicitLocOpBuilder &b, Value v, int64_t axis) {
  auto type = cast<RankedTensorType>(v.getType());
  SmallVector<int64_t> shape(type.getShape());
  shape[axis] = 1;
  return OpTy::create(b, type.clone(shape), v, b.getI32IntegerAttr(axis));
}

Value ImportContext::reduceMax(Value v, int64_t axis) {
  return reduceKeepDim<tosa::ReduceMaxOp>(b, v, axis);
}

Value ImportContext::reduceMin(Value v, int64_t axis) {
  return reduceKeepDim<tosa::ReduceMinOp>(b, v, axis);
}

Value ImportContext::reduceSum(Value v, int64_t axis) {
  auto type = cast<RankedTensorType>(v.getType());
  SmallVector<int64_t> shape(type.getShape());
  shape[axis] = 1;
  auto out = RankedTensorType::get(shape, type.getElementType());
  return tosa::ReduceSumOp::create(b, out, v, b.getI32IntegerAttr(axis));
}

Value ImportContext::splat(RankedTensorType type, double value) {
  SmallVector<int64_t> ones(type.getRank(), 1);
  auto t = RankedTensorType::get(ones, type.getElementType());
  Attribute elt;
  if (auto ft = dyn_cast<FloatType>(type.getElementType()))
    elt = b.getFloatAttr(ft, value);
  else // Saturating: a double at or past 2^63 has no int64 value.
    elt = b.getIntegerAttr(type.getElementType(),
                           std::isnan(value)   ? 0
                           : value >= 0x1p63   ? INT64_MAX
                           : value < -0x1p63   ? INT64_MIN
                                               : static_cast<int64_t>(value));
  return tosa::ConstOp::create(b, t, DenseElementsAttr::get(t, elt));
}

Value ImportContext::splat(RankedTensorType type, TypedAttr value) {
  SmallVector<int64_t> ones(type.getRank(), 1);
  auto t = RankedTensorType::get(ones, type.getElementType());
  return tosa::ConstOp::create(b, t, DenseElementsAttr::get(t, value));
}

TypedAttr ImportContext::extreme(Type elem, int32_t dtype, bool highest) {
  if (auto ft = dyn_cast<FloatType>(elem))
    return b.getFloatAttr(
        elem, APFloat::getInf(ft.getFloatSemantics(), /*Negative=*/!highest));
  unsigned w = elem.getIntOrFloatBitWidth();
  bool isUnsigned = isUnsignedDType(dtype);
  APInt v = highest ? (isUnsigned ? APInt::getMaxValue(w)
                                  : APInt::getSignedMaxValue(w))
                    : (isUnsigned ? APInt::getMinValue(w)
                                  : APInt::getSignedMinValue(w));
  return b.getIntegerAttr(elem, v);
}

Value ImportContext::roundEven(Value x) {
  auto type = cast<RankedTensorType>(x.getType());
  auto bt = RankedTensorType::get(type.getShape(), b.getI1Type());
  Value fl = tosa::FloorOp::create(b, type, x);
  Value frac = tosa::SubOp::create(b, type, x, fl);
  Value half = splat(type, 0.5);
  Value above = tosa::GreaterOp::create(b, bt, frac, half);
  Value tie = tosa::EqualOp::create(b, bt, frac, half);
  Value halfFl = tosa::FloorOp::create(b, type, mul(fl, half, type));
  Value odd = tosa::LogicalNotOp::create(
      b, bt, tosa::EqualOp::create(b, bt, mul(halfFl, splat(type, 2), type), fl));
  Value up = tosa::LogicalOrOp::create(b, bt, above,
                                       tosa::LogicalAndOp::create(b, bt, tie, odd));
  return tosa::SelectOp::create(
      b, type, up, tosa::AddOp::create(b, type, fl, splat(type, 1)), fl);
}

static int32_t dtypeOf(const onnx::TypeProto *t) {
  return t && t->has_tensor_type() ? t->tensor_type().elem_type() : 0;
}

int32_t ImportContext::inputDType(unsigned i) const {
  if (!hasInput(i))
    return 0;
  if (auto k = lookupConstant(node->input(i)))
    return k->dtype;
  auto it = types.find(node->input(i));
  return it == types.end() ? 0 : dtypeOf(it->second);
}

int32_t ImportContext::outputDType(unsigned i) const {
  auto it = types.find(node->output(i));
  return it == types.end() ? 0 : dtypeOf(it->second);
}

/// Input `i` as its values when it is a constant of at most 4096 uint8 or
/// uint16 values, widened to T.
template <typename T>
std::optional<std::vector<T>>
ImportContext::smallUnsignedConstant(unsigned i) {
  std::optional<ConstTensor> k = constInput(i);
  if (!k || k->numElements() > 4096 ||
      (k->dtype != onnx::TensorProto::UINT8 &&
       k->dtype != onnx::TensorProto::UINT16))
    return std::nullopt;
  std::vector<int64_t> v = k->ints();
  if (static_cast<int64_t>(v.size()) != k->numElements())
    return std::nullopt;
  unsigned width = cast<RankedTensorType>(input(i).getType())
                       .getElementTypeBitWidth();
  std::vector<T> out;
  for (int64_t x : v)
    out.push_back(static_cast<T>(x & ((int64_t(1) << width) - 1)));
  return out;
}

Value ImportContext::inputAsF32(unsigned i) {
  Value v = input(i);
  auto t = cast<RankedTensorType>(v.getType());
  auto f32 = RankedTensorType::get(t.getShape(), b.getF32Type());
  if (t.getElementType().isF32())
    return v;
  if (isa<FloatType>(t.getElementType()))
    return tosa::CastOp::create(b, f32, v);
  int32_t dt = inputDType(i);
  if (::dlc::small::isSmallFloat(dt)) // float8/float4 bit patterns.
    return decodeSmallFloat(*this, v, dt);
  unsigned width = t.getElementTypeBitWidth();
  if ((dt == onnx::TensorProto::UINT8 || dt == onnx::TensorProto::UINT16) &&
      width < 32) {
    // A small constant (a zero point) becomes a constant: TOSA folds no
    // bitwise_and, and the requantizing epilogues want their zero points
    // as numbers.
    if (std::optional<std::vector<float>> k = smallUnsignedConstant<float>(i))
      return constF32(t.getShape(), *k);
    auto i32 = RankedTensorType::get(t.getShape(), b.getI32Type());
    Value w = tosa::CastOp::create(b, i32, v);
    w = tosa::BitwiseAndOp::create(b, i32, w,
                                   splat(i32, (int64_t(1) << width) - 1));
    return tosa::CastOp::create(b, f32, w);
  }
  return tosa::CastOp::create(b, f32, v);
}

Value ImportContext::inputAsI32(unsigned i) {
  Value v = input(i);
  auto t = cast<RankedTensorType>(v.getType());
  auto i32 = RankedTensorType::get(t.getShape(), b.getI32Type());
  if (t == i32)
    return v;
  unsigned width = t.getElementTypeBitWidth();
  if (isUnsignedDType(inputDType(i)) && width < 32)
    if (std::optional<std::vector<int32_t>> k =
            smallUnsignedConstant<int32_t>(i))
      return tosa::ConstOp::create(
          b, i32,
          k->size() == 1 ? DenseElementsAttr::get(i32, (*k)[0])
                         : DenseElementsAttr::get(i32, ArrayRef<int32_t>(*k)));
  Value w = tosa::CastOp::create(b, i32, v);
  if (isUnsignedDType(inputDType(i)) && width < 32)
    w = tosa::BitwiseAndOp::create(b, i32, w,
                                   splat(i32, (int64_t(1) << width) - 1));
  return w;
}

Value ImportContext::saturateCast(Value x, Value zeroPoint, int32_t dtype,
                                  RankedTensorType type) {
  auto t = cast<RankedTensorType>(x.getType());
  double lo = 0, hi = 255;
  switch (dtype) {
  case onnx::TensorProto::INT8: lo = -128; hi = 127; break;
  case onnx::TensorProto::UINT16: hi = 65535; break;
  case onnx::TensorProto::INT16: lo = -32768; hi = 32767; break;
  case onnx::TensorProto::INT32: lo = -2147483648.0; hi = 2147483647.0; break;
  case onnx::TensorProto::INT4: lo = -8; hi = 7; break;
  case onnx::TensorProto::UINT4: hi = 15; break;
  case onnx::TensorProto::INT2: lo = -2; hi = 1; break;
  case onnx::TensorProto::UINT2: hi = 3; break;
  default: break;
  }
  auto i32 = RankedTensorType::get(t.getShape(), b.getI32Type());
  if (hi - lo <= 65535) {
    // Types of 16 bits or fewer: tosa.cast rounds half to even itself, so
    // the rounding is the cast's. x is first limited to +-2^17, which
    // saturates alike for every zero point of these types; the zero point
    // is added and the range applied in int32. Exactly rint(x) + zp
    // saturated, in a few instructions per vector (this is the int8
    // kernels' requantization epilogue).
    Value w = tosa::CastOp::create(
        b, i32,
        tosa::ClampOp::create(b, t, x, b.getF32FloatAttr(-131072.0f),
                              b.getF32FloatAttr(131072.0f)));
    if (zeroPoint) {
      auto zt = cast<RankedTensorType>(zeroPoint.getType());
      w = tosa::AddOp::create(
          b, i32, w,
          tosa::CastOp::create(
              b, RankedTensorType::get(zt.getShape(), b.getI32Type()),
              zeroPoint));
    }
    w = tosa::ClampOp::create(b, i32, w,
                              b.getI32IntegerAttr(static_cast<int32_t>(lo)),
                              b.getI32IntegerAttr(static_cast<int32_t>(hi)));
    if (type.getElementType().isInteger(32))
      return w;
    return tosa::CastOp::create(b, type, w);
  }
  Value y = roundEven(x);
  if (zeroPoint)
    y = tosa::AddOp::create(b, t, y, zeroPoint);
  y = tosa::ClampOp::create(b, t, y, b.getF32FloatAttr(lo), b.getF32FloatAttr(hi));
  Value w = tosa::CastOp::create(b, i32, y);
  if (type.getElementType().isInteger(32))
    return w;
  // Truncation keeps the low bits: 200 as i32 becomes uint8 200 (i8 -56).
  return tosa::CastOp::create(b, type, w);
}

Value ImportContext::alongAxis(Value param, int64_t rank, int64_t axis) {
  auto t = cast<RankedTensorType>(param.getType());
  if (t.getNumElements() == 1)
    return reshape(param, SmallVector<int64_t>(rank, 1));
  SmallVector<int64_t> shape(rank, 1);
  shape[axis] = t.getNumElements();
  return reshape(param, shape);
}

Value ImportContext::iota(int64_t rank, int64_t axis, int64_t n) {
  SmallVector<int64_t> shape(rank, 1);
  shape[axis] = n;
  std::vector<int32_t> values(n);
  for (int64_t i = 0; i < n; ++i)
    values[i] = static_cast<int32_t>(i);
  auto type = RankedTensorType::get(shape, b.getI32Type());
  return tosa::ConstOp::create(
      b, type, DenseElementsAttr::get(type, ArrayRef<int32_t>(values)));
}

Value ImportContext::coerce2D(Value x, int64_t axis) {
  auto t = cast<RankedTensorType>(x.getType());
  int64_t outer = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= t.getDimSize(d);
  return reshape(x, {outer, t.getNumElements() / std::max<int64_t>(outer, 1)});
}

LogicalResult ImportContext::softmaxFamilyInput(int64_t rank, Value &x,
                                                int64_t &axis) {
  bool legacy = opset < 13;
  axis = attrInt("axis", legacy ? 1 : -1);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= rank)
    return fail("axis out of range");
  x = input(0);
  if (legacy) {
    x = coerce2D(x, axis);
    axis = 1;
  }
  return success();
}

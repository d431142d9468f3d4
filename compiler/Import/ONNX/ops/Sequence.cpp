//===- Sequence.cpp - ONNX sequence operators as compile-time lists ------===//
//
// A static-shape program has no run-time lists, but most sequence use in
// models is structural: build a list of tensors, pick or concatenate
// elements at constant positions. The importer therefore keeps a sequence
// as a list of SSA tensors (ImportContext::setSequenceOutput); every op
// here rearranges that list or reads from it, and positions must be
// compile-time constants. Sequences crossing the graph boundary (sequence
// inputs/outputs) stay unsupported: the model ABI carries tensors only.
//
//===----------------------------------------------------------------------===//
#include "compiler/Import/ONNX/ImportContext.h"

using namespace mlir;
using namespace mlir::dlc;

namespace {

const std::vector<Value> *sequenceArg(ImportContext &c, unsigned i) {
  const std::vector<Value> *seq = c.sequenceInput(i);
  if (!seq)
    (void)c.fail("input " + std::to_string(i) +
                 " is not a sequence known at compile time");
  return seq;
}

/// The constant position input `i`, normalised against `size` (insert
/// positions may equal `size`). Fails on a runtime or out-of-range value.
std::optional<int64_t> position(ImportContext &c, unsigned i, int64_t size,
                                bool forInsert) {
  auto k = c.constInput(i);
  if (!k || k->numElements() != 1) {
    (void)c.fail("the position must be a compile-time scalar");
    return std::nullopt;
  }
  int64_t p = k->ints().at(0);
  if (p < 0)
    p += size;
  if (p < 0 || p > size || (p == size && !forInsert)) {
    (void)c.fail("position " + std::to_string(k->ints().at(0)) +
                 " is out of range for a sequence of " + std::to_string(size));
    return std::nullopt;
  }
  return p;
}

LogicalResult importSequenceEmpty(ImportContext &c) {
  c.setSequenceOutput(0, {});
  return success();
}

LogicalResult importSequenceConstruct(ImportContext &c) {
  std::vector<Value> elems;
  for (unsigned i = 0; i < c.numInputs(); ++i)
    elems.push_back(c.input(i));
  c.setSequenceOutput(0, std::move(elems));
  return success();
}

LogicalResult importSequenceInsert(ImportContext &c) {
  const std::vector<Value> *seq = sequenceArg(c, 0);
  if (!seq)
    return failure();
  std::vector<Value> elems = *seq;
  int64_t at = elems.size();
  if (c.hasInput(2)) {
    auto p = position(c, 2, elems.size(), /*forInsert=*/true);
    if (!p)
      return failure();
    at = *p;
  }
  elems.insert(elems.begin() + at, c.input(1));
  c.setSequenceOutput(0, std::move(elems));
  return success();
}

LogicalResult importSequenceErase(ImportContext &c) {
  const std::vector<Value> *seq = sequenceArg(c, 0);
  if (!seq)
    return failure();
  std::vector<Value> elems = *seq;
  if (elems.empty())
    return c.fail("erasing from an empty sequence");
  int64_t at = elems.size() - 1;
  if (c.hasInput(1)) {
    auto p = position(c, 1, elems.size(), /*forInsert=*/false);
    if (!p)
      return failure();
    at = *p;
  }
  elems.erase(elems.begin() + at);
  c.setSequenceOutput(0, std::move(elems));
  return success();
}

LogicalResult importSequenceAt(ImportContext &c) {
  const std::vector<Value> *seq = sequenceArg(c, 0);
  if (!seq)
    return failure();
  auto p = position(c, 1, seq->size(), /*forInsert=*/false);
  if (!p)
    return failure();
  Value v = (*seq)[*p];
  if (!v)
    return c.fail("the element's shape depends on a runtime split");
  c.setOutput(0, v);
  return success();
}

LogicalResult importSequenceLength(ImportContext &c) {
  const std::vector<Value> *seq = sequenceArg(c, 0);
  if (!seq)
    return failure();
  onnx::TensorProto t;
  t.set_data_type(onnx::TensorProto::INT64);
  t.add_int64_data(static_cast<int64_t>(seq->size()));
  c.setConstantOutput(0, std::move(t));
  return success();
}

LogicalResult importConcatFromSequence(ImportContext &c) {
  // The type comes from the elements: shape inference cannot see them.
  const std::vector<Value> *seq = sequenceArg(c, 0);
  if (!seq)
    return failure();
  if (seq->empty())
    return c.fail("concatenating an empty sequence");
  bool newAxis = c.attrInt("new_axis", 0);
  int64_t axis = c.attrInt("axis", 0);
  auto first = cast<RankedTensorType>((*seq)[0].getType());
  int64_t rank = first.getRank() + (newAxis ? 1 : 0);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= rank)
    return c.fail("axis out of range");
  SmallVector<Value> parts;
  SmallVector<int64_t> outShape;
  for (Value v : *seq) {
    SmallVector<int64_t> shape(cast<RankedTensorType>(v.getType()).getShape());
    if (newAxis) {
      shape.insert(shape.begin() + axis, 1);
      v = c.reshape(v, shape);
    }
    if (outShape.empty()) {
      outShape = shape;
    } else {
      for (int64_t d = 0; d < rank; ++d)
        if (d != axis && shape[d] != outShape[d])
          return c.fail("sequence elements differ outside the axis");
      outShape[axis] += shape[axis];
    }
    parts.push_back(v);
  }
  auto type = RankedTensorType::get(outShape, first.getElementType());
  c.setOutput(0, parts.size() == 1
                     ? parts[0]
                     : Value(tosa::ConcatOp::create(c.b, type, parts,
                                                    c.b.getI32IntegerAttr(axis))));
  return success();
}

LogicalResult importSplitToSequence(ImportContext &c) {
  Value x = c.input(0);
  if (!x)
    return c.fail("input 0 is missing");
  auto in = cast<RankedTensorType>(x.getType());
  int64_t rank = in.getRank();
  int64_t axis = c.attrInt("axis", 0);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= rank)
    return c.fail("axis out of range");
  int64_t dim = in.getDimSize(axis);
  std::vector<int64_t> sizes;
  bool squeeze = false;
  if (!c.hasInput(1)) {
    sizes.assign(dim, 1);
    squeeze = !c.attrInt("keepdims", 1);
  } else if (auto k = c.constInput(1)) {
    std::vector<int64_t> v = k->ints();
    if (k->shape.empty()) { // A scalar chunk size; the last may be shorter.
      if (v.at(0) <= 0)
        return c.fail("split must be positive");
      for (int64_t left = dim; left > 0; left -= v[0])
        sizes.push_back(std::min(left, v[0]));
    } else {
      sizes = v;
    }
  } else {
    // Runtime split lengths: the count is the split's length, but the
    // elements' shapes are unknown; only SequenceLength may use them.
    auto st = cast<RankedTensorType>(c.input(1).getType());
    if (st.getRank() != 1)
      return c.fail("a runtime split must be 1-D");
    c.setSequenceOutput(0, std::vector<Value>(st.getDimSize(0)));
    return success();
  }
  std::vector<Value> elems;
  int64_t offset = 0;
  for (int64_t n : sizes) {
    SmallVector<int64_t> begin(rank, 0), size(in.getShape());
    begin[axis] = offset;
    size[axis] = n;
    offset += n;
    if (n < 0 || offset > dim)
      return c.fail("split sizes exceed the dimension");
    Value part = c.slice(x, begin, size);
    if (squeeze) {
      size.erase(size.begin() + axis);
      part = c.reshape(part, size);
    }
    elems.push_back(part);
  }
  if (offset != dim)
    return c.fail("split sizes do not add up to the dimension");
  c.setSequenceOutput(0, std::move(elems));
  return success();
}

} // namespace

void mlir::dlc::appendSequenceHandlers(std::vector<OpHandler> &t) {
  t.push_back({"SequenceEmpty", 11, importSequenceEmpty});
  t.push_back({"SequenceConstruct", 11, importSequenceConstruct});
  t.push_back({"SequenceInsert", 11, importSequenceInsert});
  t.push_back({"SequenceErase", 11, importSequenceErase});
  t.push_back({"SequenceAt", 11, importSequenceAt});
  t.push_back({"SequenceLength", 11, importSequenceLength});
  t.push_back({"ConcatFromSequence", 11, importConcatFromSequence});
  t.push_back({"SplitToSequence", 11, importSplitToSequence});
}

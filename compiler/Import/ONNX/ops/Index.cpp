//===- Index.cpp - ONNX index-driven operators ----------------------------===//
//
// GatherElements and Trilu. GatherElements compares the indices against an
// iota of the gathered axis (a one-hot select and a sum), so runtime indices
// need no gather primitive; Trilu selects through a mask built on the host.
//
//===----------------------------------------------------------------------===//
#include "compiler/Import/ONNX/ImportContext.h"
#include "compiler/Import/ONNX/ops/Kernels.h"

#include "mlir/Dialect/Tosa/Utils/ConversionUtils.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::dlc;

namespace {

LogicalResult importGatherElements(ImportContext &c) {
  RankedTensorType type = c.resultType(2);
  if (!type)
    return failure();
  Value data = c.input(0), indices = c.input(1);
  auto dt = cast<RankedTensorType>(data.getType());
  auto it = cast<RankedTensorType>(indices.getType());
  int64_t rank = dt.getRank();
  int64_t axis = c.attrInt("axis", 0);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= rank || it.getRank() != rank)
    return c.fail("axis out of range or rank mismatch");
  int64_t k = dt.getDimSize(axis);
  // data restricted to the index extent on the other axes, with a unit
  // dimension inserted before the gathered one: [.., 1, K, ..].
  SmallVector<int64_t> size(it.getShape());
  size[axis] = k;
  data = c.slice(data, SmallVector<int64_t>(rank, 0), size);
  SmallVector<int64_t> dShape(size);
  dShape.insert(dShape.begin() + axis, 1);
  data = c.reshape(data, dShape);
  // indices [.., S, 1, ..] as i32 with negatives wrapped.
  auto i32 = c.b.getI32Type();
  auto iT = RankedTensorType::get(it.getShape(), i32);
  Value idx = tosa::CastOp::create(c.b, iT, indices);
  auto bT = RankedTensorType::get(it.getShape(), c.b.getI1Type());
  Value neg = tosa::GreaterOp::create(c.b, bT, c.splat(iT, 0), idx);
  idx = tosa::SelectOp::create(c.b, iT, neg,
                               tosa::AddOp::create(c.b, iT, idx, c.splat(iT, k)),
                               idx);
  SmallVector<int64_t> iShape(it.getShape());
  iShape.insert(iShape.begin() + axis + 1, 1);
  idx = c.reshape(idx, iShape);
  Value iotaV = c.iota(rank + 1, axis + 1, k);
  SmallVector<int64_t> full(iShape);
  full[axis + 1] = k;
  auto fullB = RankedTensorType::get(full, c.b.getI1Type());
  auto fullT = RankedTensorType::get(full, dt.getElementType());
  Value onehot = tosa::EqualOp::create(c.b, fullB, idx, iotaV);
  Value sel = tosa::SelectOp::create(c.b, fullT, onehot, data,
                                     c.splat(fullT, 0));
  c.setOutput(0, c.reshape(c.reduceSum(sel, axis + 1), type.getShape()));
  return success();
}

/// Trilu keeps x where (j - i) >= k (upper) or <= k (lower); k may be a
/// runtime scalar, so the comparison runs against a host-built j - i table.
LogicalResult importTrilu(ImportContext &c) {
  RankedTensorType type = c.resultType(1);
  if (!type)
    return failure();
  int64_t rank = type.getRank();
  if (rank < 2)
    return c.fail("expects a rank >= 2 input");
  bool upper = c.attrInt("upper", 1);
  int64_t n = type.getDimSize(rank - 2), m = type.getDimSize(rank - 1);
  SmallVector<int64_t> shape(rank, 1);
  shape[rank - 2] = n;
  shape[rank - 1] = m;
  auto i32 = c.b.getI32Type();
  std::vector<int32_t> diff;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < m; ++j)
      diff.push_back(static_cast<int32_t>(j - i));
  auto dt = RankedTensorType::get(shape, i32);
  Value diffV = tosa::ConstOp::create(
      c.b, dt, DenseElementsAttr::get(dt, ArrayRef<int32_t>(diff)));
  Value k = c.splat(dt, 0);
  if (c.hasInput(1)) {
    Value kin = c.input(1);
    auto kt = cast<RankedTensorType>(kin.getType());
    kin = c.reshape(kin, SmallVector<int64_t>(kt.getRank() ? 1 : 0, 1));
    k = c.expandToRank(
        tosa::CastOp::create(
            c.b,
            RankedTensorType::get(cast<RankedTensorType>(kin.getType()).getShape(),
                                  i32),
            kin),
        rank);
  }
  auto mt = RankedTensorType::get(shape, c.b.getI1Type());
  Value mask = upper ? tosa::GreaterEqualOp::create(c.b, mt, diffV, k)
                     : tosa::GreaterEqualOp::create(c.b, mt, k, diffV);
  c.setOutput(0, tosa::SelectOp::create(c.b, type, mask, c.input(0),
                                        c.splat(type, 0)));
  return success();
}

/// OneHot: compare (wrapped) indices with an iota of `depth` inserted at
/// `axis`, then select between the off and on values.
LogicalResult importOneHot(ImportContext &c) {
  RankedTensorType type = c.resultType(3);
  if (!type)
    return failure();
  int64_t rank = type.getRank();
  int64_t axis = c.attrInt("axis", -1);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= rank)
    return c.fail("axis out of range");
  int64_t depth = type.getDimSize(axis);
  auto it = cast<RankedTensorType>(c.input(0).getType());
  auto vt = cast<RankedTensorType>(c.input(2).getType());
  // The output is the indices' shape with the depth inserted at `axis`, and
  // values holds (off, on).
  if (it.getRank() + 1 != rank)
    return c.fail("the output's rank must be the indices' rank + 1");
  for (int64_t d = 0; d < it.getRank(); ++d)
    if (it.getDimSize(d) != type.getDimSize(d < axis ? d : d + 1))
      return c.fail("the output's shape must be the indices' shape with the "
                    "depth inserted at axis");
  if (vt.getRank() != 1 || vt.getDimSize(0) != 2)
    return c.fail("values must be a 1-D tensor of 2 elements (off, on)");
  auto i32 = c.b.getI32Type();
  auto iT = RankedTensorType::get(it.getShape(), i32);
  Value idx = isa<FloatType>(it.getElementType())
                  ? Value(tosa::CastOp::create(
                        c.b, iT, tosa::FloorOp::create(c.b, it, c.input(0))))
                  : Value(tosa::CastOp::create(c.b, iT, c.input(0)));
  auto bT = RankedTensorType::get(it.getShape(), c.b.getI1Type());
  Value neg = tosa::GreaterOp::create(c.b, bT, c.splat(iT, 0), idx);
  idx = tosa::SelectOp::create(
      c.b, iT, neg, tosa::AddOp::create(c.b, iT, idx, c.splat(iT, depth)), idx);
  SmallVector<int64_t> ishape(it.getShape());
  ishape.insert(ishape.begin() + axis, 1);
  idx = c.reshape(idx, ishape);
  Value iotaV = c.iota(rank, axis, depth);
  Value hot = tosa::EqualOp::create(
      c.b, RankedTensorType::get(type.getShape(), c.b.getI1Type()), idx, iotaV);
  SmallVector<int64_t> ones(rank, 1);
  Value off = c.reshape(c.slice(c.input(2), {0}, {1}), ones);
  Value on = c.reshape(c.slice(c.input(2), {1}, {1}), ones);
  c.setOutput(0, tosa::SelectOp::create(c.b, type, hot, on, off));
  return success();
}

/// EyeLike: a host-built constant with ones on diagonal k.
LogicalResult importEyeLike(ImportContext &c) {
  RankedTensorType type = c.resultType(1);
  if (!type || type.getRank() != 2)
    return type ? c.fail("expects a 2-D input") : failure();
  int64_t k = c.attrInt("k", 0), n = type.getDimSize(0), m = type.getDimSize(1);
  SmallVector<Attribute> vals;
  Type elt = type.getElementType();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < m; ++j) {
      double v = j - i == k ? 1.0 : 0.0;
      vals.push_back(isa<FloatType>(elt) ? Attribute(c.b.getFloatAttr(elt, v))
                                          : Attribute(c.b.getIntegerAttr(elt, int64_t(v))));
    }
  c.setOutput(0, tosa::ConstOp::create(c.b, type,
                                       DenseElementsAttr::get(type, vals)));
  return success();
}

/// Integer indices as i32 with negative values wrapped by `bound`.
Value wrappedIndices(ImportContext &c, Value indices, int64_t bound) {
  auto it = cast<RankedTensorType>(indices.getType());
  auto i32 = RankedTensorType::get(it.getShape(), c.b.getI32Type());
  Value idx = tosa::CastOp::create(c.b, i32, indices);
  auto bt = RankedTensorType::get(it.getShape(), c.b.getI1Type());
  Value neg = tosa::GreaterOp::create(c.b, bt, c.splat(i32, 0), idx);
  return tosa::SelectOp::create(
      c.b, i32, neg, tosa::AddOp::create(c.b, i32, idx, c.splat(i32, bound)), idx);
}

/// ScatterElements (and the older Scatter): for each data position along
/// `axis`, the updates whose index hits it, found by a one-hot compare;
/// reduction none/add/mul/max/min (max/min fill the misses with the
/// reduction's identity, so data keeps its value where no update lands).
LogicalResult importScatterElements(ImportContext &c) {
  RankedTensorType type = c.resultType(3);
  if (!type)
    return failure();
  Value data = c.input(0);
  auto ut = cast<RankedTensorType>(c.input(2).getType());
  if (cast<RankedTensorType>(data.getType()).getShape() != type.getShape() ||
      cast<RankedTensorType>(c.input(1).getType()).getShape() !=
          ut.getShape() ||
      ut.getRank() != type.getRank())
    return c.fail("data must have the result's shape, and indices and "
                  "updates one shape of the same rank");
  int64_t rank = type.getRank(), axis = c.attrInt("axis", 0);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= rank)
    return c.fail("axis out of range");
  std::string red = c.attrString("reduction", "none");
  if (red != "none" && red != "add" && red != "mul" && red != "max" &&
      red != "min")
    return c.fail("reduction '" + red + "' is not supported");
  int64_t k = type.getDimSize(axis);
  Type elt = type.getElementType();
  // idx/updates [.., S, 1, ..]; iota [1.., 1, K, ..]; hit [.., S, K, ..].
  SmallVector<int64_t> ushape(ut.getShape());
  ushape.insert(ushape.begin() + axis + 1, 1);
  Value idx = c.reshape(wrappedIndices(c, c.input(1), k), ushape);
  Value upd = c.reshape(c.input(2), ushape);
  Value iotaV = c.iota(rank + 1, axis + 1, k);
  SmallVector<int64_t> full(ushape);
  full[axis + 1] = k;
  auto fullT = RankedTensorType::get(full, elt);
  Value hit = tosa::EqualOp::create(
      c.b, RankedTensorType::get(full, c.b.getI1Type()), idx, iotaV);
  bool isMul = red == "mul", isMax = red == "max", isMin = red == "min";
  if ((isMax || isMin) && isUnsignedDType(c.inputDType(0)))
    return c.fail("reduction '" + red + "' of unsigned data is not supported");
  // The value a miss contributes: the identity of the reduction.
  TypedAttr missValue =
      isMax || isMin ? c.extreme(elt, c.inputDType(0), /*highest=*/isMin)
      : isa<FloatType>(elt) ? TypedAttr(c.b.getFloatAttr(elt, isMul ? 1 : 0))
                            : TypedAttr(c.b.getIntegerAttr(elt, isMul ? 1 : 0));
  Value picked = tosa::SelectOp::create(c.b, fullT, hit, upd,
                                        c.splat(fullT, missValue));
  Value count = tosa::SelectOp::create(c.b, fullT, hit, c.splat(fullT, 1),
                                       c.splat(fullT, 0));
  auto reduceAxis = [&](Value v, bool combine) {
    auto t = cast<RankedTensorType>(v.getType());
    SmallVector<int64_t> sh(t.getShape());
    sh[axis] = 1;
    auto ax = c.b.getI32IntegerAttr(axis);
    Value r = !combine ? c.reduceSum(v, axis)
              : isMul  ? Value(tosa::ReduceProductOp::create(c.b, t.clone(sh), v, ax))
              : isMax  ? Value(tosa::ReduceMaxOp::create(c.b, t.clone(sh), v, ax))
              : isMin  ? Value(tosa::ReduceMinOp::create(c.b, t.clone(sh), v, ax))
                       : c.reduceSum(v, axis);
    sh.erase(sh.begin() + axis);
    return c.reshape(r, sh);
  };
  Value scattered = reduceAxis(picked, true);
  Value hits = reduceAxis(count, false);
  // Back to the data's shape on the other axes (updates may cover less).
  auto grow = [&](Value v, TypedAttr fill) {
    auto t = cast<RankedTensorType>(v.getType());
    if (t.getShape() == type.getShape())
      return v;
    SmallVector<int64_t> padding;
    for (int64_t d = 0; d < rank; ++d) {
      padding.push_back(0);
      padding.push_back(type.getDimSize(d) - t.getDimSize(d));
    }
    return Value(tosa::PadOp::create(
        c.b, type, v, tosa::getTosaConstShape(c.b, padding),
        c.splat(RankedTensorType::get({1}, elt), fill)));
  };
  scattered = grow(scattered, missValue);
  hits = grow(hits, c.b.getZeroAttr(elt));
  Value y;
  if (isMax)
    y = tosa::MaximumOp::create(c.b, type, data, scattered);
  else if (isMin)
    y = tosa::MinimumOp::create(c.b, type, data, scattered);
  else if (red == "add")
    y = tosa::AddOp::create(c.b, type, data, scattered);
  else if (isMul)
    y = c.mul(data, scattered, type);
  else {
    Value any = tosa::GreaterOp::create(
        c.b, RankedTensorType::get(type.getShape(), c.b.getI1Type()), hits,
        c.splat(type, 0));
    y = tosa::SelectOp::create(c.b, type, any, scattered, data);
  }
  c.setOutput(0, y);
  return success();
}

/// ScatterND: one linalg.generic over (data dims, update k), k a reduction
/// in update order: each element takes update k where k's index tuple
/// names its leading coordinates (later updates win for "none", add/mul/
/// max/min accumulate). O(elements x updates), which suits the small update lists
/// ScatterND sees in models; the indices are data, read at run time.
LogicalResult importScatterND(ImportContext &c) {
  RankedTensorType type = c.resultType(3);
  if (!type)
    return failure();
  std::string red = c.attrString("reduction", "none");
  if (red != "none" && red != "add" && red != "mul" && red != "max" &&
      red != "min")
    return c.fail("reduction '" + red + "' is not supported");
  bool isUnsigned = isUnsignedDType(c.inputDType(0));
  auto it = cast<RankedTensorType>(c.input(1).getType());
  int64_t rank = type.getRank(), q = it.getShape().back();
  if (it.getRank() < 1 || q > rank)
    return c.fail("index tuples are longer than the data rank");
  int64_t k = it.getNumElements() / std::max<int64_t>(q, 1);
  Value indices = c.reshape(c.input(1), {k, q});
  SmallVector<int64_t> ushape = {k};
  for (int64_t d = q; d < rank; ++d)
    ushape.push_back(type.getDimSize(d));
  Value updates = c.reshape(c.input(2), ushape);
  Type elem = type.getElementType();
  bool isFloat = isa<FloatType>(elem);
  Value y = loopNest(c, c.input(0), {k}, [&](OpBuilder &b, Location l,
                                              ValueRange accs)
                                              -> SmallVector<Value> {
        Value kk = linalg::IndexOp::create(b, l, rank);
        Value match;
        for (int64_t j = 0; j < q; ++j) {
          Value v = tensor::ExtractOp::create(
              b, l, indices, ValueRange{kk, arith::ConstantIndexOp::create(b, l, j)});
          v = arith::IndexCastOp::create(b, l, b.getIndexType(), v);
          // Negative indices count from the end.
          Value dim = arith::ConstantIndexOp::create(b, l, type.getDimSize(j));
          Value neg = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, v,
                                            arith::ConstantIndexOp::create(b, l, 0));
          v = arith::SelectOp::create(b, l, neg, arith::AddIOp::create(b, l, v, dim), v);
          Value eq = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, v,
                                           linalg::IndexOp::create(b, l, j));
          match = match ? arith::AndIOp::create(b, l, match, eq) : eq;
        }
        SmallVector<Value> at = {kk};
        for (int64_t d = q; d < rank; ++d)
          at.push_back(linalg::IndexOp::create(b, l, d));
        Value u = tensor::ExtractOp::create(b, l, updates, at);
        Value acc = accs[0];
        Value next = u;
        if (red == "add")
          next = isFloat ? Value(arith::AddFOp::create(b, l, acc, u))
                         : Value(arith::AddIOp::create(b, l, acc, u));
        else if (red == "mul")
          next = isFloat ? Value(arith::MulFOp::create(b, l, acc, u))
                         : Value(arith::MulIOp::create(b, l, acc, u));
        else if (red == "max")
          next = isFloat      ? Value(arith::MaximumFOp::create(b, l, acc, u))
                 : isUnsigned ? Value(arith::MaxUIOp::create(b, l, acc, u))
                              : Value(arith::MaxSIOp::create(b, l, acc, u));
        else if (red == "min")
          next = isFloat      ? Value(arith::MinimumFOp::create(b, l, acc, u))
                 : isUnsigned ? Value(arith::MinUIOp::create(b, l, acc, u))
                              : Value(arith::MinSIOp::create(b, l, acc, u));
        return {match ? Value(arith::SelectOp::create(b, l, match, next, acc))
                      : next};
      })[0];
  c.setOutput(0, y);
  return success();
}

/// TensorScatter (opset 24, a KV-cache update): along `axis`, batch row b
/// of the cache takes the update's positions 0..s-1 at write_indices[b]
/// onward (wrapping around the cache in "circular" mode; positions past
/// its end are dropped in "linear" mode). One linalg.generic over the
/// cache, each element reading the update position it receives, if any.
LogicalResult importTensorScatter(ImportContext &c) {
  RankedTensorType type = c.resultType(2);
  if (!type)
    return failure();
  Value past = c.input(0), update = c.input(1);
  auto ut = cast<RankedTensorType>(update.getType());
  int64_t rank = type.getRank(), axis = c.attrInt("axis", -2);
  if (axis < 0)
    axis += rank;
  if (axis < 1 || axis >= rank || ut.getRank() != rank)
    return c.fail("axis must name a non-batch dimension of the cache, "
                  "and the update must have the cache's rank");
  for (int64_t d = 0; d < rank; ++d)
    if (d == axis ? ut.getDimSize(d) > type.getDimSize(d)
                  : ut.getDimSize(d) != type.getDimSize(d))
      return c.fail("the update's shape does not fit the cache's");
  std::string mode = c.attrString("mode", "linear");
  if (mode != "linear" && mode != "circular")
    return c.fail("mode '" + mode + "' is not linear or circular");
  Value writes = c.hasInput(2) ? c.input(2) : Value();
  if (writes) {
    auto wt = cast<RankedTensorType>(writes.getType());
    if (wt.getRank() != 1 || wt.getDimSize(0) != type.getDimSize(0) ||
        !wt.getElementType().isInteger())
      return c.fail("write_indices must be integers, one per batch row");
  }
  int64_t length = type.getDimSize(axis), seq = ut.getDimSize(axis);
  Value y = loopNest(c, past, {}, [&](OpBuilder &b, Location l,
                                      ValueRange accs) -> SmallVector<Value> {
    auto index = [&](int64_t v) {
      return arith::ConstantIndexOp::create(b, l, v).getResult();
    };
    Value pos = linalg::IndexOp::create(b, l, axis);
    if (writes) {
      Value w = tensor::ExtractOp::create(
          b, l, writes, ValueRange{linalg::IndexOp::create(b, l, 0)});
      pos = arith::SubIOp::create(
          b, l, pos, arith::IndexCastOp::create(b, l, b.getIndexType(), w));
    }
    if (mode == "circular") { // pos mod length, into [0, length).
      Value r = arith::RemSIOp::create(b, l, pos, index(length));
      Value neg = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, r,
                                        index(0));
      pos = arith::SelectOp::create(
          b, l, neg, arith::AddIOp::create(b, l, r, index(length)), r);
    }
    Value valid = arith::AndIOp::create(
        b, l,
        arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, pos, index(0)),
        arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, pos,
                              index(seq)));
    SmallVector<Value> at;
    for (int64_t d = 0; d < rank; ++d)
      at.push_back(d == axis ? Value(arith::SelectOp::create(b, l, valid, pos,
                                                             index(0)))
                             : Value(linalg::IndexOp::create(b, l, d)));
    Value u = tensor::ExtractOp::create(b, l, update, at);
    return {arith::SelectOp::create(b, l, valid, u, accs[0])};
  })[0];
  c.setOutput(0, y);
  return success();
}

/// GatherND: the index tuples become linear offsets into the indexed
/// dimensions, then one tosa.gather per batch.
LogicalResult importGatherND(ImportContext &c) {
  RankedTensorType type = c.resultType(2);
  if (!type)
    return failure();
  auto dt = cast<RankedTensorType>(c.input(0).getType());
  auto it = cast<RankedTensorType>(c.input(1).getType());
  int64_t rank = dt.getRank();
  if (rank < 1 || it.getRank() < 1)
    return c.fail("data and indices must have rank 1 or more");
  int64_t b = c.attrInt("batch_dims", 0), q = it.getDimSize(it.getRank() - 1);
  if (b < 0 || b >= std::min<int64_t>(rank, it.getRank()))
    return c.fail("batch_dims must be non-negative and below the ranks of "
                  "data and indices");
  for (int64_t d = 0; d < b; ++d)
    if (dt.getDimSize(d) != it.getDimSize(d))
      return c.fail("the batch dimensions of data and indices differ");
  if (q < 1 || b + q > rank)
    return c.fail("index tuples must hold 1 to rank - batch_dims entries");
  int64_t batch = 1, indexed = 1, inner = 1;
  for (int64_t d = 0; d < b; ++d)
    batch *= dt.getDimSize(d);
  for (int64_t d = b; d < b + q; ++d)
    indexed *= dt.getDimSize(d);
  for (int64_t d = b + q; d < rank; ++d)
    inner *= dt.getDimSize(d);
  int64_t tuples = it.getNumElements() / std::max<int64_t>(q * batch, 1);
  if (batch * tuples * inner != type.getNumElements())
    return c.fail("the result's shape does not match data and indices");
  // linear = sum_j wrap(idx[..., j]) * stride_j
  Value idx = c.reshape(c.input(1), {batch * tuples, q});
  auto i32 = c.b.getI32Type();
  Value lin;
  int64_t stride = 1;
  for (int64_t j = q - 1; j >= 0; --j) {
    Value col = wrappedIndices(c, c.slice(idx, {0, j}, {batch * tuples, 1}),
                               dt.getDimSize(b + j));
    auto ct = RankedTensorType::get({batch * tuples, 1}, i32);
    Value term = stride == 1 ? col : c.mul(col, c.splat(ct, stride), ct);
    lin = lin ? Value(tosa::AddOp::create(c.b, ct, lin, term)) : term;
    stride *= dt.getDimSize(b + j);
  }
  lin = c.reshape(lin, {batch, tuples});
  Value values = c.reshape(c.input(0), {batch, indexed, inner});
  Value y = tosa::GatherOp::create(
      c.b, RankedTensorType::get({batch, tuples, inner}, dt.getElementType()),
      values, lin);
  c.setOutput(0, c.reshape(y, type.getShape()));
  return success();
}

/// TopK by k rounds: the extreme of what is left along `axis`, and the
/// lowest index holding it that no earlier round took (ONNX's tie rule);
/// taken positions are then filled with the opposite extreme. Unsigned
/// integers compare with the sign bit flipped (signed order). k is the
/// output's static extent along `axis` (checked against a constant K).
LogicalResult importTopK(ImportContext &c) {
  RankedTensorType vType = c.outputType(0);
  RankedTensorType iType = c.outputType(1);
  Value x = c.input(0);
  if (!vType || !iType || !x)
    return failure();
  auto xt = cast<RankedTensorType>(x.getType());
  Type elt = xt.getElementType();
  if (elt.isInteger(1))
    return c.fail("TopK of boolean data is not supported");
  int64_t rank = xt.getRank(), axis = c.attrInt("axis", -1);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= rank)
    return c.fail("axis out of range");
  int64_t k = vType.getDimSize(axis), n = xt.getDimSize(axis);
  if (auto kc = c.constInput(1))
    if (kc->ints().at(0) != k)
      return c.fail("K does not match the inferred output shape");
  if (k < 1 || k > n)
    return c.fail("K out of range");
  bool largest = c.attrInt("largest", 1);
  int32_t dtype = isa<FloatType>(elt) ? 0 : c.inputDType(0);
  Value signBit;
  if (isUnsignedDType(dtype)) {
    unsigned w = elt.getIntOrFloatBitWidth();
    signBit = c.splat(xt, c.b.getIntegerAttr(elt, APInt::getSignMask(w)));
    x = tosa::BitwiseXorOp::create(c.b, xt, x, signBit);
    dtype = 0; // Now in signed order.
  }
  Value fill = c.splat(xt, c.extreme(elt, dtype, /*highest=*/!largest));
  SmallVector<int64_t> kept(xt.getShape());
  kept[axis] = 1;
  auto i32 = c.b.getI32Type();
  auto idxT = RankedTensorType::get(xt.getShape(), i32);
  Value iotaV = c.iota(rank, axis, n);
  Value none = c.splat(idxT, n);
  auto boolT = RankedTensorType::get(xt.getShape(), c.b.getI1Type());
  auto ax = c.b.getI32IntegerAttr(axis);
  Value cur = x, taken;
  SmallVector<Value> vals, idxs;
  for (int64_t i = 0; i < k; ++i) {
    Value val =
        largest ? Value(tosa::ReduceMaxOp::create(c.b, xt.clone(kept), cur, ax))
                : Value(tosa::ReduceMinOp::create(c.b, xt.clone(kept), cur, ax));
    Value hit = tosa::EqualOp::create(c.b, boolT, cur, val);
    if (taken)
      hit = tosa::LogicalAndOp::create(
          c.b, boolT, hit, tosa::LogicalNotOp::create(c.b, boolT, taken));
    Value idx = tosa::ReduceMinOp::create(
        c.b, idxT.clone(kept),
        tosa::SelectOp::create(c.b, idxT, hit, iotaV, none), ax);
    if (signBit)
      val = tosa::BitwiseXorOp::create(c.b, xt.clone(kept), val, signBit);
    vals.push_back(val);
    idxs.push_back(idx);
    if (i + 1 < k) {
      Value hot = tosa::EqualOp::create(c.b, boolT, idx, iotaV);
      taken = taken ? Value(tosa::LogicalOrOp::create(c.b, boolT, taken, hot))
                    : hot;
      cur = tosa::SelectOp::create(c.b, xt, hot, fill, cur);
    }
  }
  auto join = [&](ArrayRef<Value> parts, Type elt) -> Value {
    if (parts.size() == 1)
      return parts[0];
    SmallVector<int64_t> shape(kept);
    shape[axis] = k;
    return tosa::ConcatOp::create(c.b, RankedTensorType::get(shape, elt), parts,
                                  c.b.getI32IntegerAttr(axis));
  };
  c.setOutput(0, join(vals, elt));
  c.setOutput(1, tosa::CastOp::create(c.b, iType, join(idxs, i32)));
  return success();
}

/// MaxUnpool: values go to the flat positions their indices name; one-hot
/// against an iota of the output's flat positions.
LogicalResult importMaxUnpool(ImportContext &c) {
  RankedTensorType outType = c.resultType(2);
  if (!outType)
    return failure();
  auto vt = cast<RankedTensorType>(c.input(0).getType());
  // Indices address the default unpooled shape; an explicit output_shape
  // only pads it at the end.
  std::vector<int64_t> kernel = c.attrInts("kernel_shape"),
                       strides = c.attrInts("strides"), pads = c.attrInts("pads");
  if (vt.getRank() < 3 || outType.getRank() != vt.getRank() ||
      kernel.size() < size_t(vt.getRank() - 2))
    return c.fail("needs an input of rank 3 or more, a kernel_shape per "
                  "spatial axis and a result of the input's rank");
  size_t sp = vt.getRank() - 2;
  SmallVector<int64_t> shape(vt.getShape().take_front(2));
  for (size_t i = 0; i < sp; ++i) {
    int64_t s = i < strides.size() ? strides[i] : 1;
    int64_t p = 0, d = 0, kp = 0;
    bool bad = s < 1 || kernel[i] < 1 ||
               (pads.size() == 2 * sp &&
                __builtin_add_overflow(pads[i], pads[i + sp], &p)) ||
               __builtin_mul_overflow(vt.getDimSize(2 + i) - 1, s, &d) ||
               __builtin_sub_overflow(kernel[i], p, &kp) ||
               __builtin_add_overflow(d, kp, &d);
    if (bad || d < 1 || d > outType.getDimSize(2 + i))
      return c.fail("kernel_shape, strides and pads give an unpooled shape "
                    "outside the result's");
    shape.push_back(d);
  }
  RankedTensorType type = outType.clone(shape);
  int64_t total = type.getNumElements();
  int64_t m = vt.getNumElements(), cells = 0;
  if (__builtin_mul_overflow(m, total, &cells) || cells > (int64_t(1) << 26))
    return c.fail("too large for the one-hot formulation");
  Value vals = c.reshape(c.input(0), {m, 1});
  Value idx = c.reshape(wrappedIndices(c, c.input(1), total), {m, 1});
  Value iotaV = c.iota(2, 1, total);
  auto ft = RankedTensorType::get({m, total}, vt.getElementType());
  Value hot = tosa::EqualOp::create(
      c.b, RankedTensorType::get({m, total}, c.b.getI1Type()), idx, iotaV);
  Value y = c.reduceSum(tosa::SelectOp::create(c.b, ft, hot, vals, c.splat(ft, 0)), 0);
  y = c.reshape(y, type.getShape());
  if (type != outType) {
    SmallVector<int64_t> padding;
    for (int64_t d = 0; d < type.getRank(); ++d) {
      padding.push_back(0);
      padding.push_back(outType.getDimSize(d) - type.getDimSize(d));
    }
    y = tosa::PadOp::create(c.b, outType, y, tosa::getTosaConstShape(c.b, padding),
                            c.splat(RankedTensorType::get({1}, type.getElementType()), 0));
  }
  c.setOutput(0, y);
  return success();
}

/// Determinant of [.., n, n] for n <= 3 by cofactor expansion.
LogicalResult importDet(ImportContext &c) {
  RankedTensorType type = c.resultType(1);
  if (!type)
    return failure();
  Value x = c.input(0);
  auto xt = cast<RankedTensorType>(x.getType());
  int64_t rank = xt.getRank();
  if (rank < 2)
    return c.fail("the input must be a matrix or a stack of them");
  int64_t n = xt.getDimSize(rank - 1);
  if (n != xt.getDimSize(rank - 2) || n < 1 || n > 3)
    return c.fail("only square matrices of 1x1 to 3x3 are supported");
  int64_t batch = xt.getNumElements() / (n * n);
  if (batch != type.getNumElements())
    return c.fail("the result's shape does not match the input's batch");
  Value flat = c.reshape(x, {batch, n * n});
  auto colT = RankedTensorType::get({batch, 1}, xt.getElementType());
  auto e = [&](int64_t i, int64_t j) { return c.slice(flat, {0, i * n + j}, {batch, 1}); };
  auto mul = [&](Value a, Value b) { return c.mul(a, b, colT); };
  auto sub = [&](Value a, Value b) { return Value(tosa::SubOp::create(c.b, colT, a, b)); };
  auto add = [&](Value a, Value b) { return Value(tosa::AddOp::create(c.b, colT, a, b)); };
  Value d;
  if (n == 1)
    d = e(0, 0);
  else if (n == 2)
    d = sub(mul(e(0, 0), e(1, 1)), mul(e(0, 1), e(1, 0)));
  else
    d = add(sub(mul(e(0, 0), sub(mul(e(1, 1), e(2, 2)), mul(e(1, 2), e(2, 1)))),
                mul(e(0, 1), sub(mul(e(1, 0), e(2, 2)), mul(e(1, 2), e(2, 0))))),
            mul(e(0, 2), sub(mul(e(1, 0), e(2, 1)), mul(e(1, 1), e(2, 0)))));
  c.setOutput(0, c.reshape(d, type.getShape()));
  return success();
}

/// Blackman/Hann/Hamming windows: host constants of the output's length.
template <int Kind>
LogicalResult importWindow(ImportContext &c) {
  RankedTensorType type = c.outputType(0);
  if (!type || type.getRank() != 1)
    return type ? c.fail("expects a 1-D output") : failure();
  int64_t n = type.getDimSize(0);
  bool periodic = c.attrInt("periodic", 1);
  double denom = periodic ? double(n) : double(n - 1);
  SmallVector<Attribute> vals;
  for (int64_t i = 0; i < n; ++i) {
    double t = denom > 0 ? 2 * M_PI * i / denom : 0.0, v;
    if (Kind == 0)
      v = 0.42 - 0.5 * std::cos(t) + 0.08 * std::cos(2 * t);
    else if (Kind == 1)
      v = 0.5 - 0.5 * std::cos(t);
    else
      v = 25.0 / 46.0 - (21.0 / 46.0) * std::cos(t);
    Type elt = type.getElementType();
    vals.push_back(isa<FloatType>(elt) ? Attribute(c.b.getFloatAttr(elt, v))
                                        : Attribute(c.b.getIntegerAttr(elt, int64_t(v))));
  }
  c.setOutput(0, tosa::ConstOp::create(c.b, type, DenseElementsAttr::get(type, vals)));
  return success();
}

} // namespace

void mlir::dlc::appendIndexHandlers(std::vector<OpHandler> &t) {
  t.push_back({"GatherElements", 11, importGatherElements});
  t.push_back({"Trilu", 14, importTrilu});
  t.push_back({"OneHot", 9, importOneHot});
  t.push_back({"EyeLike", 9, importEyeLike});
  t.push_back({"ScatterElements", 11, importScatterElements});
  t.push_back({"ScatterND", 11, importScatterND});
  t.push_back({"Scatter", 9, importScatterElements});
  t.push_back({"GatherND", 11, importGatherND});
  t.push_back({"TopK", 1, importTopK});
  t.push_back({"TensorScatter", 24, importTensorScatter});
  t.push_back({"MaxUnpool", 9, importMaxUnpool});
  t.push_back({"Det", 11, importDet});
  t.push_back({"BlackmanWindow", 17, importWindow<0>});
  t.push_back({"HannWindow", 17, importWindow<1>});
  t.push_back({"HammingWindow", 17, importWindow<2>});
}

//===- Quant.cpp - ONNX quantization operators ----------------------------===//
//
// QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear, MatMulInteger,
// QLinearMatMul, ConvInteger and QLinearConv with the ONNX reference's exact
// integer results. The integer matmuls accumulate in int32 on int8 operands
// where the zero points allow (see IntMatmulOperands); the convolutions
// subtract zero points and accumulate in f32 (exact while sums stay below
// 2^24). Requantization divides, rounds half to even and saturates.
//
//===----------------------------------------------------------------------===//
#include "compiler/Import/ONNX/ImportContext.h"
#include "compiler/Import/ONNX/SmallTypes.h"
#include "compiler/Import/ONNX/ops/Kernels.h"

#include "dialects/DLC/IR/DLCDialect.h"
#include "mlir/Dialect/Tosa/Utils/ConversionUtils.h"

using namespace mlir;
using namespace mlir::dlc;

namespace {

RankedTensorType asF32(RankedTensorType t) {
  return RankedTensorType::get(t.getShape(), Float32Type::get(t.getContext()));
}

int64_t axisOf(ImportContext &c, int64_t rank) {
  int64_t axis = c.attrInt("axis", 1);
  return axis < 0 ? axis + rank : axis;
}

/// A scale or zero point (input `i`) shaped to broadcast against `x` of
/// shape `shape`: per tensor, per axis, or (opset 21's block_size) blocked,
/// where the parameter has x's rank and one entry per `block_size` run
/// along `axis`: each entry is repeated block_size times and the tail cut
/// to x's extent. Null after an error.
Value quantParam(ImportContext &c, unsigned i, ArrayRef<int64_t> shape,
                 int64_t axis) {
  Value p = c.inputAsF32(i);
  int64_t rank = shape.size(), block = c.attrInt("block_size", 0);
  auto pt = cast<RankedTensorType>(p.getType());
  if (block <= 0 || pt.getNumElements() == 1)
    return c.alongAxis(p, rank, axis);
  auto bad = [&](const Twine &why) {
    (void)c.fail("blocked scale or zero point: " + why);
    return Value();
  };
  if (pt.getRank() != rank || axis < 0 || axis >= rank)
    return bad("it must have the input's rank");
  int64_t nb = pt.getDimSize(axis), n = shape[axis];
  for (int64_t d = 0; d < rank; ++d)
    if (d != axis && pt.getDimSize(d) != shape[d])
      return bad("it must match the input outside the blocked axis");
  int64_t need = n == 0 ? 0 : (n - 1) / block + 1; // ceil, no overflow.
  if (nb != need)
    return bad("the blocked axis holds " + Twine(nb) + " entries where " +
               Twine(n) + " elements in blocks of " + Twine(block) +
               " need " + Twine(need));
  // One block covers the axis when block_size >= n: repeat n times only.
  block = std::min(block, std::max<int64_t>(n, 1));
  SmallVector<int64_t> split(pt.getShape()), mult(rank + 1, 1);
  split.insert(split.begin() + axis + 1, 1);
  mult[axis + 1] = block;
  SmallVector<int64_t> tiled(split);
  tiled[axis + 1] = block;
  Value v = tosa::TileOp::create(c.b, pt.clone(tiled), c.reshape(p, split),
                                 tosa::getTosaConstShape(c.b, mult));
  SmallVector<int64_t> flat(pt.getShape());
  flat[axis] = nb * block;
  v = c.reshape(v, flat);
  SmallVector<int64_t> start(rank, 0);
  return c.slice(v, start, shape);
}

LogicalResult importQuantizeLinear(ImportContext &c) {
  RankedTensorType type = c.resultType(2);
  if (!type)
    return failure();
  int64_t rank = type.getRank(), axis = axisOf(c, rank);
  Value x = c.inputAsF32(0);
  auto ft = cast<RankedTensorType>(x.getType());
  Value scale = quantParam(c, 1, ft.getShape(), axis);
  Value zp = c.hasInput(2) ? quantParam(c, 2, ft.getShape(), axis) : Value();
  if (!scale || (c.hasInput(2) && !zp))
    return failure();
  Value q = DivOp::create(c.b, ft, x, scale);
  int32_t dtype = c.outputDType(0);
  if (::dlc::small::isSmallFloat(dtype)) {
    // float8/float4: x / scale (+ zero point) rounded by the format itself,
    // with Cast's saturation rule.
    if (dtype == ::dlc::small::kF8E8M0)
      return c.fail("QuantizeLinear to FLOAT8E8M0 is not supported");
    if (zp)
      q = tosa::AddOp::create(c.b, ft, q, zp);
    c.setOutput(0, encodeSmallFloat(c, q, dtype, c.attrInt("saturate", 1) != 0));
    return success();
  }
  c.setOutput(0, c.saturateCast(q, zp, dtype ? dtype : onnx::TensorProto::UINT8,
                                type));
  return success();
}

LogicalResult importDequantizeLinear(ImportContext &c) {
  RankedTensorType type = c.resultType(2);
  if (!type)
    return failure();
  int64_t rank = type.getRank(), axis = axisOf(c, rank);
  Value x = c.inputAsF32(0);
  ArrayRef<int64_t> shape = cast<RankedTensorType>(x.getType()).getShape();
  if (c.hasInput(2)) {
    Value zp = quantParam(c, 2, shape, axis);
    if (!zp)
      return failure();
    x = tosa::SubOp::create(c.b, x.getType(), x, zp);
  }
  Value scale = quantParam(c, 1, shape, axis);
  if (!scale)
    return failure();
  // In f32, then to the output's type (the scale's: f16, bf16).
  auto ft = cast<RankedTensorType>(x.getType());
  Value y = c.mul(x, scale, ft.clone(type.getShape()));
  c.setOutput(0, type.getElementType() == ft.getElementType()
                     ? y
                     : Value(tosa::CastOp::create(c.b, type, y)));
  return success();
}

/// scale = (max(0, max x) - min(0, min x)) / 255, zp = sat(round(-min /
/// scale)), y = sat(round(x / scale) + zp): uint8 per the ONNX definition.
LogicalResult importDynamicQuantizeLinear(ImportContext &c) {
  RankedTensorType type = c.resultType(1);
  if (!type)
    return failure();
  Value x = c.input(0);
  auto xt = cast<RankedTensorType>(x.getType());
  int64_t rank = xt.getRank();
  // Over the tensor seen as one row: a contiguous, vectorized reduction
  // (reducing dimension by dimension read the outer ones with a stride).
  auto reduceAll = [&](bool isMax) {
    Value flat = c.reshape(x, {1, xt.getNumElements()});
    Value v = isMax ? c.reduceMax(flat, 1) : c.reduceMin(flat, 1);
    return c.reshape(v, SmallVector<int64_t>(rank, 1));
  };
  auto one = RankedTensorType::get(SmallVector<int64_t>(rank, 1), c.b.getF32Type());
  Value hi = tosa::MaximumOp::create(c.b, one, reduceAll(true), c.splat(one, 0));
  Value lo = tosa::MinimumOp::create(c.b, one, reduceAll(false), c.splat(one, 0));
  Value scale = DivOp::create(c.b, one, tosa::SubOp::create(c.b, one, hi, lo),
                              c.splat(one, 255));
  Value negMin = tosa::NegateOp::create(c.b, one, lo);
  auto i8one = RankedTensorType::get(SmallVector<int64_t>(rank, 1), type.getElementType());
  Value zp = c.saturateCast(DivOp::create(c.b, one, negMin, scale), Value(),
                            onnx::TensorProto::UINT8, i8one);
  Value zpF = tosa::BitwiseAndOp::create(
      c.b, RankedTensorType::get(SmallVector<int64_t>(rank, 1), c.b.getI32Type()),
      tosa::CastOp::create(c.b, RankedTensorType::get(SmallVector<int64_t>(rank, 1),
                                                      c.b.getI32Type()), zp),
      c.splat(RankedTensorType::get(SmallVector<int64_t>(rank, 1), c.b.getI32Type()), 255));
  zpF = tosa::CastOp::create(c.b, one, zpF);
  Value q = DivOp::create(c.b, xt, x, scale);
  c.setOutput(0, c.saturateCast(q, zpF, onnx::TensorProto::UINT8, type));
  if (c.numOutputs() > 1)
    c.setOutput(1, c.reshape(scale, {}));
  if (c.numOutputs() > 2)
    c.setOutput(2, c.reshape(zp, {}));
  return success();
}

/// The integer matmuls' operands must be matrices or stacks of them; checked
/// before their zero points are placed along the row and column axes.
bool matrixOperands(ImportContext &c, RankedTensorType at,
                    RankedTensorType bt) {
  if (at.getRank() >= 2 && bt.getRank() >= 2)
    return true;
  (void)c.fail("the operands must be matrices (or stacks of them) with "
               "matching inner dimensions");
  return false;
}

/// The operands of an integer matmul as tosa.matmul takes them. 8-bit data
/// with scalar compile-time zero points stays 8-bit: int8 with the zero
/// points as tosa.matmul's own (uint8 becomes int8 by flipping the top bit,
/// a - 128, and its zero point moves by the same 128, which leaves a - zp
/// unchanged), so the product is int8 x int8 accumulated in int32, the form
/// integer kernels (VNNI, dotprod) take. Anything else (per-row or
/// per-column zero points, zero points known only at run time) is centred in
/// int32 first. Either way the int32 result is exact, as the reference's.
struct IntMatmulOperands {
  Value a, b;
  int64_t aZp = 0, bZp = 0;
  /// A run-time scalar zero point of A (int32, in A's int8 domain), taken
  /// out of the product: sum_k (a - za)(b - zb) = sum_k a (b - zb) -
  /// za * colSums[n], with colSums = sum_k (b - zb) of the constant B.
  Value aZpDyn;
  std::vector<int32_t> colSums;
};

IntMatmulOperands intMatmulOperands(ImportContext &c, unsigned ai,
                                    unsigned azi, unsigned bi, unsigned bzi) {
  auto eightBit = [&](unsigned i) {
    int32_t dt = c.inputDType(i);
    return dt == onnx::TensorProto::INT8 || dt == onnx::TensorProto::UINT8;
  };
  std::optional<int64_t> az = scalarZeroPoint(c, azi),
                         bz = scalarZeroPoint(c, bzi);
  IntMatmulOperands r;
  // A zero point known only at run time (DynamicQuantizeLinear's, in
  // dynamically quantized models) against constant 2-D weights: A stays
  // 8-bit with a zero point of 0 in the product, and the zero point's share
  // is subtracted after it.
  std::optional<ConstTensor> bConst =
      eightBit(bi) ? c.constInput(bi) : std::nullopt;
  bool dynamicA = !az && eightBit(ai) && bz && bConst &&
                  bConst->shape.size() == 2 &&
                  cast<RankedTensorType>(c.input(azi).getType())
                          .getNumElements() == 1;
  if (dynamicA)
    az = 0;
  if (eightBit(ai) && eightBit(bi) && az && bz) {
    r.aZp = *az;
    r.a = int8Operand(c, ai, r.aZp);
    r.bZp = *bz;
    r.b = int8Operand(c, bi, r.bZp);
    if (dynamicA) {
      // The flip moved A's constant zero point (0 or -128); the run-time
      // one moves with it.
      int64_t shift = r.aZp;
      r.aZp = 0;
      auto one = RankedTensorType::get({1}, c.b.getI32Type());
      r.aZpDyn = c.reshape(c.inputAsI32(azi), {1});
      if (shift)
        r.aZpDyn = tosa::AddOp::create(c.b, one, r.aZpDyn, c.splat(one, shift));
      int64_t k = bConst->shape[0], n = bConst->shape[1];
      std::vector<int64_t> vals = bConst->ints();
      r.colSums.assign(n, 0);
      int64_t zb = *bz;
      for (int64_t i = 0; i < k; ++i)
        for (int64_t j = 0; j < n; ++j)
          r.colSums[j] += static_cast<int32_t>(vals[i * n + j] - zb);
    }
    return r;
  }
  // a_zp is per row of A, b_zp per column of B.
  auto centred = [&](unsigned i, unsigned zi, bool rows) {
    Value v = c.inputAsI32(i);
    if (!c.hasInput(zi))
      return v;
    auto t = cast<RankedTensorType>(v.getType());
    int64_t axis = t.getRank() - (rows ? 2 : 1);
    return Value(tosa::SubOp::create(
        c.b, t, v, c.alongAxis(c.inputAsI32(zi), t.getRank(), axis)));
  };
  r.a = centred(ai, azi, true);
  r.b = centred(bi, bzi, false);
  return r;
}

/// [.., M, K] x [.., K, N] accumulated in int32 for the integer matmuls: a
/// 2-D right operand is shared by every row, otherwise the batches must be
/// equal.
FailureOr<Value> matmulI32(ImportContext &c, const IntMatmulOperands &o) {
  Value a = o.a, b = o.b;
  auto at = cast<RankedTensorType>(a.getType());
  auto bt = cast<RankedTensorType>(b.getType());
  if (at.getRank() < 2 || bt.getRank() < 2 ||
      at.getDimSize(at.getRank() - 1) != bt.getDimSize(bt.getRank() - 2))
    return c.fail("the operands must be matrices (or stacks of them) with "
                  "matching inner dimensions");
  int64_t k = at.getDimSize(at.getRank() - 1), n = bt.getDimSize(bt.getRank() - 1);
  SmallVector<int64_t> shape(at.getShape());
  shape.back() = n;
  Type elt = at.getElementType();
  auto zp = [&](int64_t z) {
    return *tosa::createZeroPointTensor(c.b, c.b.getLoc(), elt, z);
  };
  auto product = [&](int64_t batch, int64_t rows) {
    auto t = RankedTensorType::get({batch, rows, n}, c.b.getI32Type());
    Value y = tosa::MatMulOp::create(c.b, t, c.reshape(a, {batch, rows, k}),
                                     c.reshape(b, {batch, k, n}), zp(o.aZp),
                                     zp(o.bZp));
    if (o.aZpDyn) { // y - za * colSums, in int32 (wrapping as the sums do).
      auto st = RankedTensorType::get({1, 1, n}, c.b.getI32Type());
      Value sums = tosa::ConstOp::create(
          c.b, st, DenseElementsAttr::get(st, ArrayRef<int32_t>(o.colSums)));
      Value corr = c.mul(c.reshape(o.aZpDyn, {1, 1, 1}), sums, st);
      y = tosa::SubOp::create(c.b, t, y, corr);
    }
    return c.reshape(y, shape);
  };
  if (bt.getRank() == 2)
    return product(1, at.getNumElements() / std::max<int64_t>(k, 1));
  if (at.getRank() != bt.getRank() ||
      at.getShape().drop_back(2) != bt.getShape().drop_back(2))
    return c.fail("batch dimensions must match");
  int64_t m = at.getDimSize(at.getRank() - 2);
  return product(at.getNumElements() / std::max<int64_t>(m * k, 1), m);
}

/// a * b with the broadcast shape of the two as result.
Value mulBroadcast(ImportContext &c, Value a, Value b) {
  auto at = cast<RankedTensorType>(a.getType());
  auto bt = cast<RankedTensorType>(b.getType());
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < at.getRank(); ++d)
    shape.push_back(std::max(at.getDimSize(d), bt.getDimSize(d)));
  return c.mul(a, b, at.clone(shape));
}

LogicalResult importMatMulInteger(ImportContext &c) {
  RankedTensorType type = c.resultType(2);
  if (!type)
    return failure();
  auto at = cast<RankedTensorType>(c.input(0).getType());
  auto bt = cast<RankedTensorType>(c.input(1).getType());
  if (!matrixOperands(c, at, bt))
    return failure();
  auto y = matmulI32(c, intMatmulOperands(c, 0, 2, 1, 3));
  if (failed(y))
    return failure();
  Value v = c.reshape(*y, type.getShape());
  if (v.getType() != type)
    v = tosa::CastOp::create(c.b, type, v);
  c.setOutput(0, v);
  return success();
}

LogicalResult importQLinearMatMul(ImportContext &c) {
  RankedTensorType type = c.resultType(8);
  if (!type)
    return failure();
  auto at = cast<RankedTensorType>(c.input(0).getType());
  auto bt = cast<RankedTensorType>(c.input(3).getType());
  if (!matrixOperands(c, at, bt))
    return failure();
  auto accOr = matmulI32(c, intMatmulOperands(c, 0, 2, 3, 5));
  if (failed(accOr))
    return failure();
  auto ft = asF32(type);
  Value acc = tosa::CastOp::create(c.b, ft, c.reshape(*accOr, type.getShape()));
  int64_t rank = type.getRank();
  // acc * (a_scale * b_scale / y_scale), as the reference computes it.
  if (Value m = requantMultiplier(c, 1, 4, 6, rank, rank - 1)) {
    c.setOutput(0, c.saturateCast(
                       c.mul(acc, m, ft),
                       c.alongAxis(c.inputAsF32(7), rank, rank - 1),
                       c.outputDType(0), type));
    return success();
  }
  Value mult = mulBroadcast(c, c.alongAxis(c.inputAsF32(1), rank, rank - 2),
                            c.alongAxis(c.inputAsF32(4), rank, rank - 1));
  Value ys = c.alongAxis(c.inputAsF32(6), rank, rank - 1);
  auto mt = cast<RankedTensorType>(mult.getType());
  auto yt = cast<RankedTensorType>(ys.getType());
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d)
    shape.push_back(std::max(mt.getDimSize(d), yt.getDimSize(d)));
  mult = DivOp::create(c.b, mt.clone(shape), mult, ys);
  Value y = c.mul(acc, mult, ft);
  c.setOutput(0, c.saturateCast(y, c.alongAxis(c.inputAsF32(7), rank, rank - 1),
                                c.outputDType(0), type));
  return success();
}

} // namespace

std::optional<int64_t> mlir::dlc::scalarZeroPoint(ImportContext &c,
                                                  unsigned i) {
  if (!c.hasInput(i))
    return 0;
  auto zp = c.constInput(i);
  if (!zp || zp->numElements() < 1)
    return std::nullopt;
  std::vector<int64_t> v = zp->ints();
  if (v.empty() || llvm::any_of(v, [&](int64_t x) { return x != v[0]; }))
    return std::nullopt;
  return v[0];
}

Value mlir::dlc::int8Operand(ImportContext &c, unsigned i, int64_t &zp) {
  Value v = c.input(i);
  if (c.inputDType(i) != onnx::TensorProto::UINT8)
    return v;
  auto t = cast<RankedTensorType>(v.getType());
  zp -= 128;
  // Constant weights flip here, so the kernels see a constant.
  if (std::optional<ConstTensor> k = c.constInput(i)) {
    std::vector<int8_t> flipped;
    flipped.reserve(t.getNumElements());
    for (int64_t u : k->ints())
      flipped.push_back(static_cast<int8_t>(u - 128));
    if (static_cast<int64_t>(flipped.size()) == t.getNumElements())
      return tosa::ConstOp::create(
          c.b, t, DenseElementsAttr::get(t, ArrayRef<int8_t>(flipped)));
  }
  return tosa::BitwiseXorOp::create(
      c.b, t, v, c.splat(t, c.b.getIntegerAttr(t.getElementType(), -128)));
}

Value mlir::dlc::requantMultiplier(ImportContext &c, unsigned ai, unsigned bi,
                                   unsigned yi, int64_t rank, int64_t axis) {
  auto perTensor = [&](unsigned i) {
    auto t = cast<RankedTensorType>(c.input(i).getType());
    return t.getNumElements() == 1;
  };
  if (!perTensor(ai) || !perTensor(yi))
    return Value();
  std::optional<ConstTensor> as = c.constInput(ai), bs = c.constInput(bi),
                             ys = c.constInput(yi);
  if (as && bs && ys && as->numElements() == 1 && ys->numElements() == 1 &&
      bs->numElements() >= 1) {
    // f32 arithmetic, correctly rounded step by step, as numpy evaluates
    // the reference's expression.
    float a = as->floats()[0], y = ys->floats()[0];
    std::vector<float> m;
    for (float v : bs->floats())
      m.push_back(a * v / y);
    SmallVector<int64_t> shape(rank, 1);
    if (m.size() > 1)
      shape[axis] = static_cast<int64_t>(m.size());
    return c.constF32(shape, m);
  }
  Value bt = c.alongAxis(c.inputAsF32(bi), rank, axis);
  auto t = cast<RankedTensorType>(bt.getType());
  return DivOp::create(
      c.b, t, c.mul(c.alongAxis(c.inputAsF32(ai), rank, axis), bt, t),
      c.alongAxis(c.inputAsF32(yi), rank, axis));
}

void mlir::dlc::appendQuantHandlers(std::vector<OpHandler> &t) {
  t.push_back({"QuantizeLinear", 10, importQuantizeLinear});
  t.push_back({"DequantizeLinear", 10, importDequantizeLinear});
  t.push_back({"DynamicQuantizeLinear", 11, importDynamicQuantizeLinear});
  t.push_back({"MatMulInteger", 10, importMatMulInteger});
  t.push_back({"QLinearMatMul", 10, importQLinearMatMul});
}

//===- Math.cpp - ONNX elementwise, activation and matrix operators -------===//
//
// Add/Sub/Mul/Div with numpy broadcasting, activations (Relu, LeakyRelu,
// Clip, Sigmoid, Tanh), Softmax, Gemm and MatMul, as TOSA.
// Broadcasting is made explicit by reshaping operands to the result rank;
// TOSA then broadcasts unit dimensions itself.
//
//===----------------------------------------------------------------------===//
#include "compiler/Import/ONNX/ImportContext.h"
#include "compiler/Import/ONNX/ops/Kernels.h"

#include "dialects/DLC/IR/DLCDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/Utils/ConversionUtils.h"
#include "onnx/onnx_pb.h"

#include <cmath>
#include <limits>
#include <numeric>

using namespace mlir;
using namespace mlir::dlc;

namespace {

/// Runs the shared prologue of a handler: every listed input present and a
/// static output type known.
RankedTensorType prologue(ImportContext &c, unsigned requiredInputs) {
  for (unsigned i = 0; i < requiredInputs; ++i)
    if (!c.input(i))
      return (void)c.fail("input " + std::to_string(i) + " is missing"),
             nullptr;
  return c.outputType(0);
}

/// The second operand of a binary op at the result rank. Before opset 7,
/// broadcasting was opt-in (broadcast=1) and aligned B at `axis` instead of
/// at the trailing dimensions.
Value secondOperand(ImportContext &c, int64_t rank) {
  Value rhs = c.input(1);
  auto t = cast<RankedTensorType>(rhs.getType());
  if (c.opset < 7 && c.attrInt("broadcast", 0) && c.hasAttr("axis")) {
    int64_t axis = c.attrInt("axis", 0);
    if (axis < 0)
      axis += rank;
    SmallVector<int64_t> shape(axis, 1);
    shape.append(t.getShape().begin(), t.getShape().end());
    shape.resize(rank, 1);
    return c.reshape(rhs, shape);
  }
  return c.expandToRank(rhs, rank);
}

template <typename OpTy>
LogicalResult binary(ImportContext &c) {
  RankedTensorType type = prologue(c, 2);
  if (!type)
    return failure();
  int64_t rank = type.getRank();
  c.setOutput(0, OpTy::create(c.b, type, c.expandToRank(c.input(0), rank),
                              secondOperand(c, rank)));
  return success();
}

LogicalResult importMul(ImportContext &c) {
  RankedTensorType type = prologue(c, 2);
  if (!type)
    return failure();
  c.setOutput(0, c.mul(c.input(0), secondOperand(c, type.getRank()), type));
  return success();
}

LogicalResult importDiv(ImportContext &c) {
  RankedTensorType type = prologue(c, 2);
  if (!type)
    return failure();
  int64_t rank = type.getRank();
  Value lhs = c.expandToRank(c.input(0), rank);
  Value rhs = secondOperand(c, rank);
  if (isa<FloatType>(type.getElementType())) {
    // TOSA has no float divide; dlc.div keeps x / y correctly rounded.
    c.setOutput(0, DivOp::create(c.b, type, lhs, rhs));
    return success();
  }
  if (type.getElementTypeBitWidth() > 32) {
    // 64-bit integers: TOSA divides only i32, so one elementwise generic
    // (truncating like C; a zero divisor gives 0 rather than a trap, and
    // INT64_MIN / -1 wraps).
    bool isUnsigned = c.inputDType(0) == onnx::TensorProto::UINT64;
    auto map = [&](Value v) {
      SmallVector<AffineExpr> e;
      auto vt = cast<RankedTensorType>(v.getType());
      for (int64_t d = 0; d < rank; ++d)
        e.push_back(vt.getDimSize(d) == 1 && type.getDimSize(d) != 1
                        ? c.b.getAffineConstantExpr(0)
                        : c.b.getAffineDimExpr(d));
      return AffineMap::get(rank, 0, e, c.b.getContext());
    };
    Value init = tensor::EmptyOp::create(c.b, type.getShape(),
                                         type.getElementType());
    auto g = linalg::GenericOp::create(
        c.b, TypeRange{type}, ValueRange{lhs, rhs}, ValueRange{init},
        ArrayRef<AffineMap>{map(lhs), map(rhs),
                            c.b.getMultiDimIdentityMap(rank)},
        SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
        [&](OpBuilder &nb, Location l, ValueRange a) {
          Type t = a[0].getType();
          auto k = [&](int64_t v) {
            return arith::ConstantOp::create(nb, l, t, nb.getIntegerAttr(t, v));
          };
          Value zero = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq,
                                             a[1], k(0));
          Value minus1 = arith::CmpIOp::create(
              nb, l, arith::CmpIPredicate::eq, a[1], k(-1));
          Value safe = arith::SelectOp::create(
              nb, l,
              isUnsigned ? zero
                         : arith::OrIOp::create(nb, l, zero, minus1).getResult(),
              k(1), a[1]);
          Value q = isUnsigned
                        ? arith::DivUIOp::create(nb, l, a[0], safe).getResult()
                        : arith::DivSIOp::create(nb, l, a[0], safe).getResult();
          if (!isUnsigned)
            q = arith::SelectOp::create(
                nb, l, minus1, arith::SubIOp::create(nb, l, k(0), a[0]), q);
          q = arith::SelectOp::create(nb, l, zero, k(0), q);
          linalg::YieldOp::create(nb, l, q);
        });
    c.setOutput(0, g.getResult(0));
    return success();
  }
  if (!type.getElementType().isInteger(32)) {
    // 8/16-bit integers divide exactly in f32 (unsigned zero-extended).
    auto ft = RankedTensorType::get(type.getShape(), c.b.getF32Type());
    Value a = c.expandToRank(c.inputAsF32(0), rank);
    Value b = c.expandToRank(c.inputAsF32(1), rank);
    Value q = DivOp::create(c.b, ft, a, b);
    auto bt = RankedTensorType::get(type.getShape(), c.b.getI1Type());
    Value neg = tosa::GreaterOp::create(c.b, bt, c.splat(ft, 0), q);
    q = tosa::SelectOp::create(c.b, ft, neg, tosa::CeilOp::create(c.b, ft, q),
                               tosa::FloorOp::create(c.b, ft, q));
    c.setOutput(0, tosa::CastOp::create(
                       c.b, type,
                       tosa::CastOp::create(
                           c.b, RankedTensorType::get(type.getShape(), c.b.getI32Type()), q)));
    return success();
  }
  c.setOutput(0, tosa::IntDivOp::create(c.b, type, lhs, rhs));
  return success();
}

template <typename OpTy>
LogicalResult unary(ImportContext &c) {
  RankedTensorType type = prologue(c, 1);
  if (!type)
    return failure();
  c.setOutput(0, OpTy::create(c.b, type, c.input(0)));
  return success();
}

/// min/max bounds as attributes of the element type; infinities for floats.
Attribute bound(ImportContext &c, Type elt, std::optional<double> v,
                bool upper) {
  if (auto ft = dyn_cast<FloatType>(elt)) {
    APFloat f = v ? APFloat(*v) : APFloat::getInf(APFloat::IEEEdouble(), !upper);
    bool lost;
    f.convert(ft.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
    return c.b.getFloatAttr(elt, f);
  }
  unsigned w = elt.getIntOrFloatBitWidth();
  bool isUnsigned = elt.isUnsignedInteger();
  APInt lim = upper ? (isUnsigned ? APInt::getMaxValue(w)
                                  : APInt::getSignedMaxValue(w))
                    : (isUnsigned ? APInt::getMinValue(w)
                                  : APInt::getSignedMinValue(w));
  if (v)
    lim = APInt(w, static_cast<uint64_t>(static_cast<int64_t>(*v)), true,
                true);
  return c.b.getIntegerAttr(elt, lim);
}

Value clamp(ImportContext &c, Value x, RankedTensorType type,
            std::optional<double> lo, std::optional<double> hi) {
  Type elt = type.getElementType();
  return tosa::ClampOp::create(c.b, type, x, bound(c, elt, lo, false),
                               bound(c, elt, hi, true));
}

LogicalResult importRelu(ImportContext &c) {
  RankedTensorType type = prologue(c, 1);
  if (!type)
    return failure();
  c.setOutput(0, clamp(c, c.input(0), type, 0.0, std::nullopt));
  return success();
}

LogicalResult importLeakyRelu(ImportContext &c) {
  RankedTensorType type = prologue(c, 1);
  if (!type)
    return failure();
  float alpha = c.attrFloat("alpha", 0.01f);
  Value x = c.input(0);
  int64_t rank = type.getRank();
  SmallVector<int64_t> ones(rank, 1);
  Value zero = c.constF32(ones, {0.0f});
  auto boolType = RankedTensorType::get(type.getShape(), c.b.getI1Type());
  Value positive = tosa::GreaterEqualOp::create(c.b, boolType, x, zero);
  Value scaled = c.mul(x, c.constF32(ones, {alpha}), type);
  c.setOutput(0, tosa::SelectOp::create(c.b, type, positive, x, scaled));
  return success();
}

/// Clip-6: bounds are attributes.
LogicalResult importClip6(ImportContext &c) {
  RankedTensorType type = prologue(c, 1);
  if (!type)
    return failure();
  std::optional<double> lo, hi;
  if (c.hasAttr("min"))
    lo = c.attrFloat("min", 0);
  if (c.hasAttr("max"))
    hi = c.attrFloat("max", 0);
  c.setOutput(0, clamp(c, c.input(0), type, lo, hi));
  return success();
}

/// Clip-11+: bounds are optional inputs, usually constants.
LogicalResult importClip11(ImportContext &c) {
  RankedTensorType type = prologue(c, 1);
  if (!type)
    return failure();
  std::optional<double> lo, hi;
  Value x = c.input(0);
  for (unsigned i : {1u, 2u}) {
    if (!c.hasInput(i))
      continue;
    if (auto k = c.constInput(i)) {
      auto vals = k->floats();
      if (vals.size() != 1)
        return c.fail("Clip bounds must be scalars");
      (i == 1 ? lo : hi) = vals[0];
      continue;
    }
    // A runtime bound: maximum/minimum with the broadcast scalar.
    Value bnd = c.expandToRank(c.input(i), type.getRank());
    x = i == 1 ? Value(tosa::MaximumOp::create(c.b, type, x, bnd))
               : Value(tosa::MinimumOp::create(c.b, type, x, bnd));
  }
  c.setOutput(0, (lo || hi) ? clamp(c, x, type, lo, hi) : x);
  return success();
}

/// Numerically stable softmax over `axis`: exp(x - max) / sum.
Value softmax(ImportContext &c, Value x, int64_t axis) {
  auto type = cast<RankedTensorType>(x.getType());
  Value max = c.reduceMax(x, axis);
  auto redType = cast<RankedTensorType>(max.getType());
  Value shifted = tosa::SubOp::create(c.b, type, x, max);
  Value e = tosa::ExpOp::create(c.b, type, shifted);
  Value sum = c.reduceSum(e, axis);
  Value inv = tosa::ReciprocalOp::create(c.b, redType, sum);
  return c.mul(e, inv, type);
}

LogicalResult importSoftmax(ImportContext &c) {
  RankedTensorType type = prologue(c, 1);
  if (!type)
    return failure();
  Value x;
  int64_t axis;
  if (failed(c.softmaxFamilyInput(type.getRank(), x, axis)))
    return failure();
  c.setOutput(0, c.reshape(softmax(c, x, axis), type.getShape()));
  return success();
}

/// A 2-D transposed copy of a constant, made on the host so that weights
/// are not transposed at every run.
Value transposedConstant2D(ImportContext &c, const ConstTensor &k,
                           llvm::StringRef name) {
  int64_t rows = k.shape[0], cols = k.shape[1];
  std::vector<float> src = k.floats(), dst(src.size());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t col = 0; col < cols; ++col)
      dst[col * rows + r] = src[r * cols + col];
  return c.constBlob({cols, rows}, std::move(dst), name);
}

LogicalResult importGemm(ImportContext &c) {
  RankedTensorType type = prologue(c, 2);
  if (!type)
    return failure();
  if (!isa<FloatType>(type.getElementType()))
    return c.fail("Gemm supports floating-point data only");
  bool transA = c.attrInt("transA", 0), transB = c.attrInt("transB", 0);
  float alpha = c.attrFloat("alpha", 1.0f), beta = c.attrFloat("beta", 1.0f);
  for (unsigned i : {0u, 1u})
    if (cast<RankedTensorType>(c.input(i).getType()).getRank() != 2)
      return c.fail("input " + std::to_string(i) + " must be a matrix");
  Value a = c.input(0);
  if (transA)
    a = c.transpose(a, {1, 0});
  Value bv;
  auto kb = c.constInput(1);
  if (transB && kb && kb->shape.size() == 2 &&
      kb->dtype == onnx::TensorProto::FLOAT)
    bv = transposedConstant2D(c, *kb, c.node->input(1));
  else
    bv = transB ? c.transpose(c.input(1), {1, 0}) : c.input(1);
  auto aType = cast<RankedTensorType>(a.getType());
  auto bType = cast<RankedTensorType>(bv.getType());
  int64_t m = aType.getDimSize(0), k = aType.getDimSize(1),
          n = bType.getDimSize(1);
  if (bType.getDimSize(0) != k ||
      aType.getElementType() != bType.getElementType() ||
      aType.getElementType() != type.getElementType() ||
      type.getShape() != ArrayRef<int64_t>{m, n})
    return c.fail("the operands' shapes and element types do not make a "
                  "matrix product of the result's type");
  auto mmType = RankedTensorType::get({1, m, n}, type.getElementType());
  Value y = tosa::MatMulOp::create(c.b, mmType, c.reshape(a, {1, m, k}),
                                   c.reshape(bv, {1, k, n}));
  y = c.reshape(y, {m, n});
  if (alpha != 1.0f)
    y = c.mul(y, c.constF32({1, 1}, {alpha}), type);
  if (c.hasInput(2) && beta != 0.0f) {
    Value cv = c.expandToRank(c.input(2), 2);
    if (beta != 1.0f)
      cv = c.mul(cv, c.constF32({1, 1}, {beta}),
                 cast<RankedTensorType>(cv.getType()));
    y = tosa::AddOp::create(c.b, type, y, cv);
  }
  c.setOutput(0, y);
  return success();
}

LogicalResult importMatMul(ImportContext &c) {
  RankedTensorType type = prologue(c, 2);
  if (!type)
    return failure();
  Value a = c.input(0), bv = c.input(1);
  auto aType = cast<RankedTensorType>(a.getType());
  auto bType = cast<RankedTensorType>(bv.getType());
  if (aType.getRank() < 1 || bType.getRank() < 1)
    return c.fail("MatMul's operands must have rank 1 or more");
  Type elt = type.getElementType();
  RankedTensorType resultType = type;
  if (elt.isBF16()) {
    // bf16 products accumulate in f32 (rounding the running sum to bf16 at
    // every step would lose most of its bits); one rounding at the end.
    elt = c.b.getF32Type();
    a = tosa::CastOp::create(c.b, aType.clone(elt), a);
    bv = tosa::CastOp::create(c.b, bType.clone(elt), bv);
    aType = aType.clone(elt);
    bType = bType.clone(elt);
    type = type.clone(elt);
  }
  // numpy promotion of 1-D operands.
  if (aType.getRank() == 1)
    a = c.reshape(a, {1, aType.getDimSize(0)});
  if (bType.getRank() == 1)
    bv = c.reshape(bv, {bType.getDimSize(0), 1});
  aType = cast<RankedTensorType>(a.getType());
  bType = cast<RankedTensorType>(bv.getType());
  int64_t m = aType.getDimSize(aType.getRank() - 2);
  int64_t k = aType.getDimSize(aType.getRank() - 1);
  int64_t n = bType.getDimSize(bType.getRank() - 1);
  auto batchOf = [](RankedTensorType t) {
    return SmallVector<int64_t>(t.getShape().drop_back(2));
  };
  SmallVector<int64_t> ba = batchOf(aType), bb = batchOf(bType);
  auto prod = [](ArrayRef<int64_t> s) {
    return std::accumulate(s.begin(), s.end(), int64_t(1),
                           std::multiplies<int64_t>());
  };
  // What the result's type says must agree with the operands (a model's
  // declared types may contradict them where ONNX's inference gave up).
  bool batchesAgree = true;
  int64_t batchCount = 1;
  for (size_t i = 0; i < std::max(ba.size(), bb.size()); ++i) {
    int64_t x = i < ba.size() ? ba[ba.size() - 1 - i] : 1;
    int64_t y = i < bb.size() ? bb[bb.size() - 1 - i] : 1;
    batchesAgree &= x == y || x == 1 || y == 1;
    batchCount *= std::max(x, y);
  }
  if (aType.getElementType() != elt || bType.getElementType() != elt ||
      k != bType.getDimSize(bType.getRank() - 2) || !batchesAgree ||
      batchCount * m * n != type.getNumElements())
    return c.fail("the operands' element types and shapes do not make a "
                  "matrix product of the result's type");
  // [B, M, K] x [B, K, N]: tosa.matmul for floats; integers (int32, int64
  // and their unsigned forms, which TOSA's matmul does not take) as
  // linalg.batch_matmul, wrapping like numpy (the bits of a product and a
  // sum modulo 2^n are the same signed or unsigned).
  auto batchMatmul = [&](RankedTensorType mmType, Value a3, Value b3) -> Value {
    if (isa<FloatType>(elt))
      return tosa::MatMulOp::create(c.b, mmType, a3, b3);
    Value zero = arith::ConstantOp::create(c.b, c.b.getZeroAttr(elt));
    Value init = linalg::FillOp::create(
                     c.b, ValueRange{zero},
                     ValueRange{tensor::EmptyOp::create(c.b, mmType.getShape(),
                                                        elt)})
                     .getResult(0);
    return linalg::BatchMatmulOp::create(c.b, TypeRange{mmType},
                                         ValueRange{a3, b3}, ValueRange{init})
        .getResult(0);
  };
  Value y;
  if (prod(bb) == 1) {
    // Shared right operand: fold the batch into the rows.
    int64_t rows = prod(ba) * m;
    auto mmType = RankedTensorType::get({1, rows, n}, elt);
    y = batchMatmul(mmType, c.reshape(a, {1, rows, k}),
                    c.reshape(bv, {1, k, n}));
  } else {
    // Broadcast both batches to the result's batch with tosa.tile.
    size_t rank = std::max(ba.size(), bb.size());
    SmallVector<int64_t> batch(rank, 1);
    auto pad = [&](SmallVector<int64_t> s) {
      s.insert(s.begin(), rank - s.size(), 1);
      return s;
    };
    ba = pad(ba);
    bb = pad(bb);
    for (size_t i = 0; i < rank; ++i)
      batch[i] = std::max(ba[i], bb[i]);
    auto broadcast = [&](Value v, SmallVector<int64_t> vb, int64_t r,
                         int64_t col) {
      SmallVector<int64_t> shape(vb), mult;
      shape.push_back(r);
      shape.push_back(col);
      v = c.reshape(v, shape);
      bool needed = false;
      for (size_t i = 0; i < rank; ++i) {
        mult.push_back(vb[i] == batch[i] ? 1 : batch[i]);
        needed |= vb[i] != batch[i];
      }
      mult.push_back(1);
      mult.push_back(1);
      if (needed) {
        SmallVector<int64_t> full(batch);
        full.push_back(r);
        full.push_back(col);
        v = tosa::TileOp::create(c.b, RankedTensorType::get(full, elt), v,
                                 tosa::getTosaConstShape(c.b, mult));
      }
      return c.reshape(v, {prod(batch), r, col});
    };
    Value a3 = broadcast(a, ba, m, k), b3 = broadcast(bv, bb, k, n);
    auto mmType = RankedTensorType::get({prod(batch), m, n}, elt);
    y = batchMatmul(mmType, a3, b3);
  }
  y = c.reshape(y, type.getShape());
  if (type != resultType)
    y = tosa::CastOp::create(c.b, resultType, y);
  c.setOutput(0, y);
  return success();
}

/// CumSum of `x0` along `axis` as a matrix product with a triangular 0/1
/// matrix (the axis moved last); integers are summed in f32, exact below
/// 2^24.
Value cumsumAlong(ImportContext &c, Value x0, RankedTensorType type,
                  int64_t axis, bool exclusive, bool reverse) {
  int64_t rank = type.getRank();
  SmallVector<int32_t> perm, inv(rank);
  for (int64_t d = 0; d < rank; ++d)
    if (d != axis)
      perm.push_back(d);
  perm.push_back(axis);
  for (int64_t d = 0; d < rank; ++d)
    inv[perm[d]] = d;
  Type f32 = c.b.getF32Type();
  Value x = x0;
  if (type.getElementType() != f32)
    x = tosa::CastOp::create(c.b, RankedTensorType::get(type.getShape(), f32), x);
  x = c.transpose(x, perm);
  int64_t n = type.getDimSize(axis);
  int64_t rows = type.getNumElements() / std::max<int64_t>(n, 1);
  auto permuted = cast<RankedTensorType>(x.getType());
  auto back = [&](Value y) {
    y = c.transpose(c.reshape(y, permuted.getShape()), inv);
    if (type.getElementType() != f32)
      y = tosa::CastOp::create(c.b, type, y);
    return y;
  };
  // Short axes: one product with the n x n triangular matrix (one exact dot
  // per element). Long ones: a constant of n^2 floats is too large (65,536
  // would be 16 GB), so log2(n) rounds of "add the sequence shifted by
  // 2^k" (Hillis-Steele) instead.
  if (n > 1024) {
    auto t = RankedTensorType::get({rows, n}, f32);
    Value v = c.reshape(x, {rows, n});
    auto shift = [&](Value u, int64_t s) -> Value {
      auto zt = RankedTensorType::get({rows, s}, f32);
      Value kept = c.slice(u, {0, 0}, {rows, n - s});
      Value zeros = tosa::ConstOp::create(
          c.b, zt, DenseElementsAttr::get(zt, c.b.getF32FloatAttr(0)));
      return tosa::ConcatOp::create(c.b, t, ValueRange{zeros, kept},
                                    c.b.getI32IntegerAttr(1));
    };
    if (reverse)
      v = tosa::ReverseOp::create(c.b, t, v, c.b.getI32IntegerAttr(1));
    if (exclusive)
      v = shift(v, 1);
    for (int64_t s = 1; s < n; s *= 2)
      v = tosa::AddOp::create(c.b, t, v, shift(v, s));
    if (reverse)
      v = tosa::ReverseOp::create(c.b, t, v, c.b.getI32IntegerAttr(1));
    return back(v);
  }
  std::vector<float> m(n * n, 0.0f);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) {
      bool take = reverse ? (exclusive ? i > j : i >= j)
                          : (exclusive ? i < j : i <= j);
      m[i * n + j] = take ? 1.0f : 0.0f;
    }
  Value y = tosa::MatMulOp::create(
      c.b, RankedTensorType::get({1, rows, n}, f32), c.reshape(x, {1, rows, n}),
      c.constF32({1, n, n}, m));
  return back(y);
}

/// CumProd of `x` along `axis`: one generic whose reduction loop j runs
/// over the axis and multiplies in x[.., j, ..] where j is taken (j <= i,
/// or j < i exclusive, mirrored when reversed); exact in the element type.
Value cumprodAlong(ImportContext &c, Value x, RankedTensorType type,
                   int64_t axis, bool exclusive, bool reverse) {
  int64_t rank = type.getRank(), n = type.getDimSize(axis);
  Type elt = type.getElementType();
  Value init = filledTensor(c, type, 1.0);
  return loopNest(c, init, {n}, [&](OpBuilder &b, Location l,
                                    ValueRange acc) -> SmallVector<Value> {
    SmallVector<Value> at;
    for (int64_t d = 0; d < rank; ++d)
      at.push_back(linalg::IndexOp::create(b, l, d));
    Value i = at[axis], j = linalg::IndexOp::create(b, l, rank);
    at[axis] = j;
    Value v = tensor::ExtractOp::create(b, l, x, at);
    auto pred = reverse ? (exclusive ? arith::CmpIPredicate::ugt
                                     : arith::CmpIPredicate::uge)
                        : (exclusive ? arith::CmpIPredicate::ult
                                     : arith::CmpIPredicate::ule);
    Value take = arith::CmpIOp::create(b, l, pred, j, i);
    TypedAttr oneAttr = isa<FloatType>(elt) ? TypedAttr(b.getFloatAttr(elt, 1.0))
                                            : TypedAttr(b.getIntegerAttr(elt, 1));
    Value one = arith::ConstantOp::create(b, l, elt, oneAttr);
    v = arith::SelectOp::create(b, l, take, v, one);
    Value r = isa<FloatType>(elt)
                  ? arith::MulFOp::create(b, l, acc[0], v).getResult()
                  : arith::MulIOp::create(b, l, acc[0], v).getResult();
    return {r};
  })[0];
}

using CumulativeFn = Value (*)(ImportContext &, Value, RankedTensorType,
                               int64_t, bool, bool);

/// CumSum/CumProd; a runtime axis computes every axis and selects the
/// requested one.
LogicalResult cumulative(ImportContext &c, CumulativeFn along) {
  RankedTensorType type = c.resultType(2);
  if (!type)
    return failure();
  int64_t rank = type.getRank();
  if (rank < 1 ||
      cast<RankedTensorType>(c.input(0).getType()).getShape() !=
          type.getShape())
    return c.fail("the input must have rank 1 or more and the result's shape");
  bool exclusive = c.attrInt("exclusive", 0), reverse = c.attrInt("reverse", 0);
  if (auto axisC = c.constInput(1)) {
    int64_t axis = axisC->ints().at(0);
    if (axis < 0)
      axis += rank;
    if (axis < 0 || axis >= rank)
      return c.fail("axis out of range");
    c.setOutput(0, along(c, c.input(0), type, axis, exclusive, reverse));
    return success();
  }
  auto i32 = RankedTensorType::get(SmallVector<int64_t>(rank, 1), c.b.getI32Type());
  Value axis = c.input(1);
  auto at = cast<RankedTensorType>(axis.getType());
  axis = tosa::CastOp::create(c.b, RankedTensorType::get(at.getShape(), c.b.getI32Type()), axis);
  axis = c.reshape(axis, SmallVector<int64_t>(rank, 1));
  auto bt = RankedTensorType::get(SmallVector<int64_t>(rank, 1), c.b.getI1Type());
  Value neg = tosa::GreaterOp::create(c.b, bt, c.splat(i32, 0), axis);
  axis = tosa::SelectOp::create(
      c.b, i32, neg, tosa::AddOp::create(c.b, i32, axis, c.splat(i32, rank)), axis);
  Value y = along(c, c.input(0), type, 0, exclusive, reverse);
  for (int64_t d = 1; d < rank; ++d) {
    Value is = tosa::EqualOp::create(c.b, bt, axis, c.splat(i32, d));
    y = tosa::SelectOp::create(
        c.b, type, is, along(c, c.input(0), type, d, exclusive, reverse), y);
  }
  c.setOutput(0, y);
  return success();
}

LogicalResult importCumSum(ImportContext &c) {
  return cumulative(c, cumsumAlong);
}
LogicalResult importCumProd(ImportContext &c) {
  return cumulative(c, cumprodAlong);
}

} // namespace

void mlir::dlc::appendMathHandlers(std::vector<OpHandler> &t) {
  t.push_back({"Add", 1, binary<tosa::AddOp>});
  t.push_back({"Sub", 1, binary<tosa::SubOp>});
  t.push_back({"Mul", 1, importMul});
  t.push_back({"Div", 1, importDiv});
  t.push_back({"Relu", 6, importRelu});
  t.push_back({"LeakyRelu", 6, importLeakyRelu});
  t.push_back({"Clip", 6, importClip6});
  t.push_back({"Clip", 11, importClip11});
  t.push_back({"Sigmoid", 6, unary<tosa::SigmoidOp>});
  t.push_back({"Tanh", 6, unary<tosa::TanhOp>});
  t.push_back({"Softmax", 1, importSoftmax});
  t.push_back({"Gemm", 1, importGemm});
  t.push_back({"MatMul", 1, importMatMul});
  t.push_back({"CumSum", 11, importCumSum});
  t.push_back({"CumProd", 26, importCumProd});
}

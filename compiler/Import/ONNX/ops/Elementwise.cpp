//===- Elementwise.cpp - ONNX unary, comparison, logic and activations ----===//
//
// The elementwise long tail of ONNX as TOSA: unary math, variadic Max/Min/
// Sum/Mean, Pow, comparisons, boolean logic, Where, Cast, and activation
// functions written as the formulas of the ONNX spec. Operands are reshaped
// to the result rank; TOSA broadcasts unit dimensions.
//
//===----------------------------------------------------------------------===//
#include "compiler/Import/ONNX/ImportContext.h"
#include "compiler/Import/ONNX/SmallTypes.h"
#include "compiler/Import/ONNX/ops/Kernels.h"

#include "dialects/DLC/IR/DLCDialect.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/Utils/ConversionUtils.h"

using namespace mlir;
using namespace mlir::dlc;

namespace {

Value at(ImportContext &c, unsigned i, int64_t rank) {
  return c.expandToRank(c.input(i), rank);
}

RankedTensorType withElement(RankedTensorType t, Type elt) {
  return RankedTensorType::get(t.getShape(), elt);
}

template <typename OpTy>
LogicalResult unaryOp(ImportContext &c) {
  RankedTensorType type = c.resultType(1);
  if (!type)
    return failure();
  c.setOutput(0, OpTy::create(c.b, type, c.input(0)));
  return success();
}

LogicalResult importNeg(ImportContext &c) {
  RankedTensorType type = c.resultType(1);
  if (!type)
    return failure();
  if (isa<FloatType>(type.getElementType()))
    c.setOutput(0, tosa::NegateOp::create(c.b, type, c.input(0)));
  else // 0 - x keeps integer wrap-around semantics.
    c.setOutput(0, tosa::SubOp::create(c.b, type, c.splat(type, 0),
                                       c.input(0)));
  return success();
}

/// Math functions TOSA lacks, as dlc.unary.
template <const char *Fn>
LogicalResult mathUnary(ImportContext &c) {
  RankedTensorType type = c.resultType(1);
  if (!type)
    return failure();
  if (!isa<FloatType>(type.getElementType()))
    return c.fail("expects floating-point data");
  c.setOutput(0, UnaryOp::create(c.b, type, c.input(0), c.b.getStringAttr(Fn)));
  return success();
}
constexpr char kSqrt[] = "sqrt", kTan[] = "tan", kAsin[] = "asin",
               kAcos[] = "acos", kAtan[] = "atan", kSinh[] = "sinh",
               kCosh[] = "cosh", kAsinh[] = "asinh", kAcosh[] = "acosh",
               kAtanh[] = "atanh";

LogicalResult importIsInf(ImportContext &c) {
  RankedTensorType type = c.resultType(1);
  if (!type)
    return failure();
  bool pos = c.attrInt("detect_positive", 1), neg = c.attrInt("detect_negative", 1);
  if (!pos && !neg) {
    c.setOutput(0, tosa::ConstOp::create(c.b, type,
                                         DenseElementsAttr::get(type, false)));
    return success();
  }
  const char *fn = pos && neg ? "isinf" : pos ? "isposinf" : "isneginf";
  c.setOutput(0, UnaryOp::create(c.b, type, c.input(0), c.b.getStringAttr(fn)));
  return success();
}

/// Folds a variadic op pairwise (Max, Min, Sum; Mean divides afterwards).
template <typename OpTy>
LogicalResult variadic(ImportContext &c, bool mean = false) {
  RankedTensorType type = c.resultType(1);
  if (!type)
    return failure();
  int64_t rank = type.getRank();
  Value acc = at(c, 0, rank);
  for (unsigned i = 1; i < c.numInputs(); ++i) {
    if (!c.input(i))
      return c.fail("input " + std::to_string(i) + " is missing");
    auto accType = cast<RankedTensorType>(acc.getType());
    auto inType = cast<RankedTensorType>(at(c, i, rank).getType());
    SmallVector<int64_t> shape;
    for (int64_t d = 0; d < rank; ++d)
      shape.push_back(std::max(accType.getDimSize(d), inType.getDimSize(d)));
    acc = OpTy::create(c.b, withElement(type, type.getElementType())
                                .clone(shape),
                       acc, at(c, i, rank));
  }
  if (cast<RankedTensorType>(acc.getType()) != type) {
    // A single input smaller than the result: broadcast with a tile.
    auto accType = cast<RankedTensorType>(acc.getType());
    SmallVector<int64_t> mult;
    for (int64_t d = 0; d < rank; ++d) {
      int64_t from = accType.getDimSize(d), to = type.getDimSize(d);
      if (from != to && from != 1)
        return c.fail("the inputs do not broadcast to the result's shape");
      mult.push_back(from == to ? 1 : to);
    }
    acc = tosa::TileOp::create(c.b, type, acc,
                               tosa::getTosaConstShape(c.b, mult));
  }
  if (mean)
    acc = c.mul(acc, c.splat(type, 1.0 / c.numInputs()), type);
  c.setOutput(0, acc);
  return success();
}
/// Max/Min of unsigned integers (signless in the IR): flipping the sign bit
/// maps unsigned order onto signed order, so compare flipped values.
template <typename OpTy>
LogicalResult minMax(ImportContext &c) {
  int32_t dt = c.inputDType(0);
  if (!isUnsignedDType(dt) || dt == onnx::TensorProto::BOOL)
    return variadic<OpTy>(c);
  RankedTensorType type = c.resultType(1);
  if (!type)
    return failure();
  int64_t rank = type.getRank();
  unsigned width = type.getElementTypeBitWidth();
  auto flip = [&](Value v) {
    auto t = cast<RankedTensorType>(v.getType());
    SmallVector<int64_t> ones(t.getRank(), 1);
    auto st = t.clone(ones);
    Value bit = tosa::ConstOp::create(
        c.b, st, DenseElementsAttr::get(st, APInt::getSignMask(width)));
    return Value(tosa::BitwiseXorOp::create(c.b, t, v, bit));
  };
  Value acc = flip(at(c, 0, rank));
  for (unsigned i = 1; i < c.numInputs(); ++i) {
    Value v = flip(at(c, i, rank));
    auto a = cast<RankedTensorType>(acc.getType());
    auto b = cast<RankedTensorType>(v.getType());
    SmallVector<int64_t> shape;
    for (int64_t d = 0; d < rank; ++d)
      shape.push_back(std::max(a.getDimSize(d), b.getDimSize(d)));
    acc = OpTy::create(c.b, type.clone(shape), acc, v);
  }
  c.setOutput(0, flip(acc));
  return success();
}
LogicalResult importMax(ImportContext &c) { return minMax<tosa::MaximumOp>(c); }
LogicalResult importMin(ImportContext &c) { return minMax<tosa::MinimumOp>(c); }
LogicalResult importSum(ImportContext &c) { return variadic<tosa::AddOp>(c); }
LogicalResult importMean(ImportContext &c) {
  return variadic<tosa::AddOp>(c, /*mean=*/true);
}

LogicalResult importPow(ImportContext &c) {
  RankedTensorType type = c.resultType(2);
  if (!type)
    return failure();
  // Integer powers are computed in f32 (exact while results fit 24 bits).
  int64_t rank = type.getRank();
  Type f32 = c.b.getF32Type();
  Type elt = isa<FloatType>(type.getElementType()) ? type.getElementType() : f32;
  auto asElt = [&](Value v) {
    auto t = cast<RankedTensorType>(v.getType());
    return t.getElementType() == elt
               ? v
               : Value(tosa::CastOp::create(c.b, withElement(t, elt), v));
  };
  Value z = tosa::PowOp::create(c.b, withElement(type, elt),
                                asElt(at(c, 0, rank)), asElt(at(c, 1, rank)));
  if (elt != type.getElementType()) // TOSA's cast rounds to nearest.
    z = tosa::CastOp::create(c.b, type, z);
  c.setOutput(0, z);
  return success();
}

/// Comparisons; `swap` turns Less into Greater with swapped operands.
template <typename OpTy, bool swap = false>
LogicalResult compare(ImportContext &c) {
  RankedTensorType type = c.resultType(2);
  if (!type)
    return failure();
  int64_t rank = type.getRank();
  Value a = at(c, 0, rank), b = at(c, 1, rank);
  c.setOutput(0, swap ? OpTy::create(c.b, type, b, a)
                      : OpTy::create(c.b, type, a, b));
  return success();
}

template <typename OpTy>
LogicalResult logical(ImportContext &c) {
  RankedTensorType type = c.resultType(2);
  if (!type)
    return failure();
  int64_t rank = type.getRank();
  c.setOutput(0, OpTy::create(c.b, type, at(c, 0, rank), at(c, 1, rank)));
  return success();
}

LogicalResult importWhere(ImportContext &c) {
  RankedTensorType type = c.resultType(3);
  if (!type)
    return failure();
  int64_t rank = type.getRank();
  c.setOutput(0, tosa::SelectOp::create(c.b, type, at(c, 0, rank),
                                        at(c, 1, rank), at(c, 2, rank)));
  return success();
}

/// trunc(x) for floats: floor above zero, ceil below.
Value truncF(ImportContext &c, Value x, RankedTensorType t) {
  auto bt = withElement(t, c.b.getI1Type());
  Value neg = tosa::GreaterOp::create(c.b, bt, c.splat(t, 0), x);
  return tosa::SelectOp::create(c.b, t, neg, tosa::CeilOp::create(c.b, t, x),
                                tosa::FloorOp::create(c.b, t, x));
}

} // namespace

/// `x` (of ONNX type `from`, input 0 of the node) as ONNX type `to`, of
/// `type`; null (after an error) if unsupported. Honours the ONNX types,
/// since unsigned integers are signless in the IR: unsigned sources
/// zero-extend, unsigned 8/16-bit destinations wrap through i32, and float
/// -> integer truncates toward zero as ONNX does (TOSA's cast rounds to
/// nearest). float8/float4 go through f32 and 4/2-bit integers through i32
/// (SmallTypes.cpp); `saturate` is Cast-19's rule for float8.
Value mlir::dlc::castValue(ImportContext &c, Value x, int32_t from,
                           int32_t to, RankedTensorType type, bool saturate) {
  namespace small = ::dlc::small;
  auto inType = cast<RankedTensorType>(x.getType());
  if (inType == type && from == to)
    return x;
  auto f32Type = withElement(type, c.b.getF32Type());
  if (small::isSmallFloat(from)) {
    Value f = decodeSmallFloat(c, x, from);
    return to == onnx::TensorProto::FLOAT
               ? f
               : castValue(c, f, onnx::TensorProto::FLOAT, to, type, saturate);
  }
  if (small::isSmallInt(from)) // Values stored as i8 (unsigned ones fit).
    from = onnx::TensorProto::INT8;
  if (small::isSmallFloat(to)) {
    if (to == small::kF8E8M0) {
      (void)c.fail("Cast to FLOAT8E8M0 is not supported");
      return nullptr;
    }
    Value f = castValue(c, x, from, onnx::TensorProto::FLOAT, f32Type, true);
    return f ? encodeSmallFloat(c, f, to, saturate) : nullptr;
  }
  if (small::isSmallInt(to)) {
    Value i = castValue(c, x, from, onnx::TensorProto::INT32,
                        withElement(type, c.b.getI32Type()), true);
    return i ? wrapSmallInt(c, i, to) : nullptr;
  }
  bool fromUnsigned =
      from == onnx::TensorProto::UINT8 || from == onnx::TensorProto::UINT16;
  bool toUnsigned =
      to == onnx::TensorProto::UINT8 || to == onnx::TensorProto::UINT16;
  if (fromUnsigned) {
    x = c.inputAsF32(0);
    inType = cast<RankedTensorType>(x.getType());
  }
  Type dst = type.getElementType();
  if (isa<FloatType>(inType.getElementType()) && dst.isInteger() &&
      !dst.isInteger(1)) {
    x = truncF(c, x, inType);
    if (toUnsigned) {
      auto i32 = withElement(inType, c.b.getI32Type());
      return tosa::CastOp::create(c.b, type, tosa::CastOp::create(c.b, i32, x));
    }
  }
  return cast<RankedTensorType>(x.getType()) == type
             ? x
             : Value(tosa::CastOp::create(c.b, type, x));
}

namespace {

LogicalResult importCast(ImportContext &c) {
  RankedTensorType type = c.resultType(1);
  if (!type)
    return failure();
  Value y = castValue(c, c.input(0), c.inputDType(0), c.outputDType(0), type,
                      c.attrInt("saturate", 1) != 0);
  if (!y)
    return failure();
  c.setOutput(0, y);
  return success();
}

LogicalResult importNot(ImportContext &c) {
  return unaryOp<tosa::LogicalNotOp>(c);
}

// --- Activations, as the formulas of the ONNX spec -------------------------

Value gt0(ImportContext &c, Value x, RankedTensorType type) {
  return tosa::GreaterOp::create(c.b, withElement(type, c.b.getI1Type()), x,
                                 c.splat(type, 0));
}

/// alpha * (exp(x) - 1)
Value expm1Scaled(ImportContext &c, Value x, RankedTensorType type,
                  double alpha) {
  Value e = tosa::SubOp::create(c.b, type, tosa::ExpOp::create(c.b, type, x),
                                c.splat(type, 1));
  return c.mul(e, c.splat(type, alpha), type);
}

LogicalResult importElu(ImportContext &c) {
  RankedTensorType type = c.resultType(1);
  if (!type)
    return failure();
  Value x = c.input(0);
  double alpha = c.attrFloat("alpha", 1.0f);
  c.setOutput(0, tosa::SelectOp::create(c.b, type, gt0(c, x, type), x,
                                        expm1Scaled(c, x, type, alpha)));
  return success();
}

LogicalResult importSelu(ImportContext &c) {
  RankedTensorType type = c.resultType(1);
  if (!type)
    return failure();
  Value x = c.input(0);
  double alpha = c.attrFloat("alpha", 1.67326319217681884765625f);
  double gamma = c.attrFloat("gamma", 1.05070102214813232421875f);
  Value y = tosa::SelectOp::create(c.b, type, gt0(c, x, type), x,
                                   expm1Scaled(c, x, type, alpha));
  c.setOutput(0, c.mul(y, c.splat(type, gamma), type));
  return success();
}

LogicalResult importCelu(ImportContext &c) {
  RankedTensorType type = c.resultType(1);
  if (!type)
    return failure();
  Value x = c.input(0);
  double alpha = c.attrFloat("alpha", 1.0f);
  Value scaled = c.mul(x, c.splat(type, 1.0 / alpha), type);
  Value neg = tosa::MinimumOp::create(c.b, type, c.splat(type, 0),
                                      expm1Scaled(c, scaled, type, alpha));
  Value pos = tosa::MaximumOp::create(c.b, type, c.splat(type, 0), x);
  c.setOutput(0, tosa::AddOp::create(c.b, type, pos, neg));
  return success();
}

LogicalResult importPRelu(ImportContext &c) {
  RankedTensorType type = c.resultType(2);
  if (!type)
    return failure();
  Value x = c.input(0);
  Value slope = at(c, 1, type.getRank());
  // Exporters of early opsets emit a 1-D per-channel slope that numpy rules
  // cannot broadcast; the only meaning it can have is channel-wise.
  auto st = cast<RankedTensorType>(c.input(1).getType());
  int64_t rank = type.getRank();
  if (st.getRank() == 1 && rank >= 2 && st.getDimSize(0) != 1 &&
      st.getDimSize(0) != type.getDimSize(rank - 1) &&
      st.getDimSize(0) == type.getDimSize(1)) {
    SmallVector<int64_t> shape(rank, 1);
    shape[1] = st.getDimSize(0);
    slope = c.reshape(c.input(1), shape);
  }
  Value scaled = c.mul(x, slope, type);
  c.setOutput(0, tosa::SelectOp::create(c.b, type, gt0(c, x, type), x, scaled));
  return success();
}

LogicalResult importThresholdedRelu(ImportContext &c) {
  RankedTensorType type = c.resultType(1);
  if (!type)
    return failure();
  Value x = c.input(0);
  Value above = tosa::GreaterOp::create(
      c.b, withElement(type, c.b.getI1Type()), x,
      c.splat(type, c.attrFloat("alpha", 1.0f)));
  c.setOutput(0, tosa::SelectOp::create(c.b, type, above, x,
                                        c.splat(type, 0)));
  return success();
}

/// clamp(alpha * x + beta, 0, 1)
Value hardSigmoid(ImportContext &c, Value x, RankedTensorType type,
                  double alpha, double beta) {
  Value y = tosa::AddOp::create(c.b, type, c.mul(x, c.splat(type, alpha), type),
                                c.splat(type, beta));
  return tosa::ClampOp::create(c.b, type, y, c.b.getF32FloatAttr(0),
                               c.b.getF32FloatAttr(1));
}

LogicalResult importHardSigmoid(ImportContext &c) {
  RankedTensorType type = c.resultType(1);
  if (!type)
    return failure();
  c.setOutput(0, hardSigmoid(c, c.input(0), type, c.attrFloat("alpha", 0.2f),
                             c.attrFloat("beta", 0.5f)));
  return success();
}

LogicalResult importHardSwish(ImportContext &c) {
  RankedTensorType type = c.resultType(1);
  if (!type)
    return failure();
  Value x = c.input(0);
  c.setOutput(0, c.mul(x, hardSigmoid(c, x, type, 1.0 / 6, 0.5), type));
  return success();
}

LogicalResult importSoftplus(ImportContext &c) {
  RankedTensorType type = c.resultType(1);
  if (!type)
    return failure();
  // log(1 + exp(x)) = max(x, 0) + log(1 + exp(-|x|)), stable for large |x|.
  Value x = c.input(0);
  Value negAbs = tosa::NegateOp::create(c.b, type,
                                        tosa::AbsOp::create(c.b, type, x));
  Value l = tosa::LogOp::create(
      c.b, type,
      tosa::AddOp::create(c.b, type, c.splat(type, 1),
                          tosa::ExpOp::create(c.b, type, negAbs)));
  c.setOutput(0, tosa::AddOp::create(
                     c.b, type,
                     tosa::MaximumOp::create(c.b, type, x, c.splat(type, 0)),
                     l));
  return success();
}

LogicalResult importSoftsign(ImportContext &c) {
  RankedTensorType type = c.resultType(1);
  if (!type)
    return failure();
  Value x = c.input(0);
  Value d = tosa::AddOp::create(c.b, type, c.splat(type, 1),
                                tosa::AbsOp::create(c.b, type, x));
  c.setOutput(0, c.mul(x, tosa::ReciprocalOp::create(c.b, type, d), type));
  return success();
}

LogicalResult importSign(ImportContext &c) {
  RankedTensorType type = c.resultType(1);
  if (!type)
    return failure();
  Value x = c.input(0);
  auto boolType = withElement(type, c.b.getI1Type());
  Value pos = tosa::GreaterOp::create(c.b, boolType, x, c.splat(type, 0));
  Value neg = tosa::GreaterOp::create(c.b, boolType, c.splat(type, 0), x);
  Value y = tosa::SelectOp::create(c.b, type, neg, c.splat(type, -1),
                                   c.splat(type, 0));
  c.setOutput(0, tosa::SelectOp::create(c.b, type, pos, c.splat(type, 1), y));
  return success();
}

LogicalResult importIsNaN(ImportContext &c) {
  RankedTensorType type = c.resultType(1);
  if (!type)
    return failure();
  Value x = c.input(0);
  Value same = tosa::EqualOp::create(c.b, type, x, x);
  c.setOutput(0, tosa::LogicalNotOp::create(c.b, type, same));
  return success();
}

/// Shrink: x + bias below -lambd, x - bias above lambd, else 0.
LogicalResult importShrink(ImportContext &c) {
  RankedTensorType type = c.resultType(1);
  if (!type)
    return failure();
  Value x = c.input(0);
  double lambd = c.attrFloat("lambd", 0.5f), bias = c.attrFloat("bias", 0.0f);
  auto bt = withElement(type, c.b.getI1Type());
  Value below = tosa::GreaterOp::create(c.b, bt, c.splat(type, -lambd), x);
  Value above = tosa::GreaterOp::create(c.b, bt, x, c.splat(type, lambd));
  Value y = tosa::SelectOp::create(
      c.b, type, above, tosa::SubOp::create(c.b, type, x, c.splat(type, bias)),
      c.splat(type, 0));
  c.setOutput(0, tosa::SelectOp::create(
                     c.b, type, below,
                     tosa::AddOp::create(c.b, type, x, c.splat(type, bias)), y));
  return success();
}

/// Mod: fmod=1 keeps the dividend's sign (C fmod); fmod=0 the divisor's
/// (Python %). Integers go through 32-bit division.
LogicalResult importMod(ImportContext &c) {
  RankedTensorType type = c.resultType(2);
  if (!type)
    return failure();
  int64_t rank = type.getRank();
  bool fmod = c.attrInt("fmod", 0);
  Value a = at(c, 0, rank), b = at(c, 1, rank);
  auto bt = withElement(type, c.b.getI1Type());
  RankedTensorType work = type;
  if (!isa<FloatType>(type.getElementType()) &&
      !type.getElementType().isInteger(32)) {
    work = withElement(type, c.b.getI32Type());
    auto to32 = [&](Value v) {
      auto t = cast<RankedTensorType>(v.getType());
      return tosa::CastOp::create(c.b, withElement(t, c.b.getI32Type()), v);
    };
    a = to32(a);
    b = to32(b);
  }
  // The broadcast shape of a and b is the result shape.
  Value q;
  if (isa<FloatType>(work.getElementType()))
    q = truncF(c, c.mul(a, tosa::ReciprocalOp::create(c.b, b.getType(), b), work),
               work);
  else
    q = tosa::IntDivOp::create(c.b, work, a, b);
  Value r = tosa::SubOp::create(c.b, work, a, c.mul(q, b, work));
  bool isFloat = isa<FloatType>(work.getElementType());
  if (isFloat) {
    // A finite a over an infinite b leaves a (a - 0 * inf would be NaN);
    // an infinite or NaN a, or a zero b, gives NaN.
    double inf = std::numeric_limits<double>::infinity();
    auto absT = [&](Value v) {
      return tosa::AbsOp::create(c.b, v.getType(), v);
    };
    auto abt = withElement(cast<RankedTensorType>(b.getType()), c.b.getI1Type());
    Value bInf = tosa::EqualOp::create(c.b, abt, absT(b), c.splat(work, inf));
    Value aFinite = tosa::GreaterOp::create(
        c.b, withElement(cast<RankedTensorType>(a.getType()), c.b.getI1Type()),
        c.splat(work, inf), absT(a));
    Value bZero = tosa::EqualOp::create(c.b, abt, b, c.splat(work, 0.0));
    Value defined = tosa::LogicalAndOp::create(
        c.b, bt, aFinite, tosa::LogicalNotOp::create(c.b, abt, bZero));
    r = tosa::SelectOp::create(
        c.b, work, defined,
        tosa::SelectOp::create(c.b, work, bInf, a, r),
        c.splat(work, std::numeric_limits<double>::quiet_NaN()));
  }
  if (!fmod) {
    Value nonzero = tosa::LogicalNotOp::create(
        c.b, bt, tosa::EqualOp::create(c.b, bt, r, c.splat(work, 0)));
    Value rNeg = tosa::GreaterOp::create(c.b, bt, c.splat(work, 0), r);
    Value bNeg = tosa::GreaterOp::create(c.b, withElement(
        cast<RankedTensorType>(b.getType()), c.b.getI1Type()), c.splat(work, 0), b);
    Value differ = tosa::LogicalXorOp::create(c.b, bt, rNeg, bNeg);
    Value fix = tosa::LogicalAndOp::create(c.b, bt, nonzero, differ);
    r = tosa::SelectOp::create(c.b, work, fix,
                               tosa::AddOp::create(c.b, work, r, b), r);
    if (isFloat) // A zero remainder takes the divisor's sign.
      r = tosa::SelectOp::create(
          c.b, work, tosa::LogicalNotOp::create(c.b, bt, nonzero),
          tosa::SelectOp::create(c.b, work, bNeg, c.splat(work, -0.0),
                                 c.splat(work, 0.0)),
          r);
  }
  c.setOutput(0, work == type ? r : Value(tosa::CastOp::create(c.b, type, r)));
  return success();
}

LogicalResult importRound(ImportContext &c) {
  RankedTensorType type = c.resultType(1);
  if (!type)
    return failure();
  c.setOutput(0, c.roundEven(c.input(0)));
  return success();
}

/// BitCast-26: the same bits as another type of the same width. The
/// 8-bit-and-wider types reinterpret their storage; the 4- and 2-bit types
/// (one per byte) keep their low bits, sign-extended for INT4/INT2.
LogicalResult importBitCast(ImportContext &c) {
  namespace small = ::dlc::small;
  RankedTensorType type = c.resultType(1);
  if (!type)
    return failure();
  Value x = c.input(0);
  int32_t to = c.outputDType(0);
  auto in = cast<RankedTensorType>(x.getType());
  if (small::storedBits(to) < 8) {
    Value wide = tosa::CastOp::create(
        c.b, withElement(in, c.b.getI32Type()), x); // Sign-extends.
    int32_t as = small::isSignedSmallInt(to)       ? to
                 : small::storedBits(to) == 2 ? int32_t(small::kUInt2)
                                              : int32_t(small::kUInt4);
    c.setOutput(0, wrapSmallInt(c, wide, as));
    return success();
  }
  if (in.getElementType() == type.getElementType()) {
    c.setOutput(0, x);
    return success();
  }
  // A bool is stored as one byte holding 0 or 1, so it reinterprets as an
  // 8-bit integer of that value (and such a byte as a bool).
  bool fromBool = in.getElementType().isInteger(1),
       toBool = type.getElementType().isInteger(1);
  if ((fromBool && type.getElementTypeBitWidth() == 8) ||
      (toBool && in.getElementTypeBitWidth() == 8 &&
       in.getElementType().isInteger())) {
    c.setOutput(0, tosa::CastOp::create(c.b, type, x));
    return success();
  }
  if (fromBool || toBool ||
      in.getElementTypeBitWidth() != type.getElementTypeBitWidth())
    return c.fail("BitCast needs types of the same width");
  c.setOutput(0, mapElements(c, x, type.getElementType(),
                             [&](OpBuilder &b, Location l, Value v) {
                               return arith::BitcastOp::create(
                                          b, l, type.getElementType(), v)
                                   .getResult();
                             }));
  return success();
}

/// BitShift. Shift amounts outside [0, width) shift every bit out: 0, or
/// for a right shift of signed data the sign fill (BitShift-28 allows the
/// signed types, whose right shift is arithmetic). Read as signed, an
/// unsigned amount of width or more is negative or at least width, so one
/// range test covers both.
LogicalResult importBitShift(ImportContext &c) {
  RankedTensorType type = c.resultType(2);
  if (!type)
    return failure();
  int64_t rank = type.getRank();
  Value a = at(c, 0, rank), b = at(c, 1, rank);
  bool left = c.attrString("direction", "") == "LEFT";
  bool arithmetic = !left && !isUnsignedDType(c.inputDType(0));
  int64_t width = type.getElementTypeBitWidth();
  auto bType = cast<RankedTensorType>(b.getType());
  auto boolType = withElement(bType, c.b.getI1Type());
  Value inRange = tosa::LogicalAndOp::create(
      c.b, boolType,
      tosa::GreaterEqualOp::create(c.b, boolType, b, c.splat(bType, 0)),
      tosa::GreaterOp::create(c.b, boolType, c.splat(bType, width), b));
  if (arithmetic) {
    Value amount = tosa::SelectOp::create(c.b, bType, inRange, b,
                                          c.splat(bType, width - 1));
    c.setOutput(0, tosa::ArithmeticRightShiftOp::create(c.b, type, a, amount,
                                                        false));
    return success();
  }
  Value shifted =
      left ? Value(tosa::LogicalLeftShiftOp::create(c.b, type, a, b))
           : Value(tosa::LogicalRightShiftOp::create(c.b, type, a, b));
  c.setOutput(0, tosa::SelectOp::create(c.b, type, inRange, shifted,
                                        c.splat(type, 0)));
  return success();
}

} // namespace

void mlir::dlc::appendElementwiseHandlers(std::vector<OpHandler> &t) {
  t.push_back({"Abs", 6, unaryOp<tosa::AbsOp>});
  t.push_back({"Neg", 6, importNeg});
  t.push_back({"Exp", 6, unaryOp<tosa::ExpOp>});
  t.push_back({"Log", 6, unaryOp<tosa::LogOp>});
  t.push_back({"Reciprocal", 6, unaryOp<tosa::ReciprocalOp>});
  t.push_back({"Floor", 6, unaryOp<tosa::FloorOp>});
  t.push_back({"Ceil", 6, unaryOp<tosa::CeilOp>});
  t.push_back({"Erf", 9, unaryOp<tosa::ErfOp>});
  t.push_back({"Sin", 7, unaryOp<tosa::SinOp>});
  t.push_back({"Cos", 7, unaryOp<tosa::CosOp>});
  t.push_back({"Sqrt", 6, mathUnary<kSqrt>});
  t.push_back({"Tan", 7, mathUnary<kTan>});
  t.push_back({"Asin", 7, mathUnary<kAsin>});
  t.push_back({"Acos", 7, mathUnary<kAcos>});
  t.push_back({"Atan", 7, mathUnary<kAtan>});
  t.push_back({"Sinh", 9, mathUnary<kSinh>});
  t.push_back({"Cosh", 9, mathUnary<kCosh>});
  t.push_back({"Asinh", 9, mathUnary<kAsinh>});
  t.push_back({"Acosh", 9, mathUnary<kAcosh>});
  t.push_back({"Atanh", 9, mathUnary<kAtanh>});
  t.push_back({"IsInf", 10, importIsInf});
  t.push_back({"Max", 6, importMax});
  t.push_back({"Min", 6, importMin});
  t.push_back({"Sum", 6, importSum});
  t.push_back({"Mean", 6, importMean});
  t.push_back({"Pow", 1, importPow});
  t.push_back({"Equal", 7, compare<tosa::EqualOp>});
  t.push_back({"Greater", 7, compare<tosa::GreaterOp>});
  t.push_back({"GreaterOrEqual", 12, compare<tosa::GreaterEqualOp>});
  t.push_back({"Less", 7, compare<tosa::GreaterOp, true>});
  t.push_back({"LessOrEqual", 12, compare<tosa::GreaterEqualOp, true>});
  t.push_back({"Not", 1, importNot});
  t.push_back({"And", 7, logical<tosa::LogicalAndOp>});
  t.push_back({"Or", 7, logical<tosa::LogicalOrOp>});
  t.push_back({"Xor", 7, logical<tosa::LogicalXorOp>});
  t.push_back({"BitwiseAnd", 18, logical<tosa::BitwiseAndOp>});
  t.push_back({"BitwiseOr", 18, logical<tosa::BitwiseOrOp>});
  t.push_back({"BitwiseXor", 18, logical<tosa::BitwiseXorOp>});
  t.push_back({"BitwiseNot", 18, unaryOp<tosa::BitwiseNotOp>});
  t.push_back({"BitCast", 26, importBitCast});
  t.push_back({"Where", 9, importWhere});
  t.push_back({"Cast", 6, importCast});
  t.push_back({"Elu", 6, importElu});
  t.push_back({"Selu", 6, importSelu});
  t.push_back({"Celu", 12, importCelu});
  t.push_back({"PRelu", 1, importPRelu});
  t.push_back({"ThresholdedRelu", 10, importThresholdedRelu});
  t.push_back({"HardSigmoid", 6, importHardSigmoid});
  t.push_back({"HardSwish", 14, importHardSwish});
  t.push_back({"Softplus", 1, importSoftplus});
  t.push_back({"Softsign", 1, importSoftsign});
  t.push_back({"Sign", 9, importSign});
  t.push_back({"IsNaN", 9, importIsNaN});
  t.push_back({"Mod", 10, importMod});
  t.push_back({"Round", 11, importRound});
  t.push_back({"Shrink", 9, importShrink});
  t.push_back({"BitShift", 11, importBitShift});
}

//===- Reduce.cpp - ONNX reductions, arg-reductions and LogSoftmax --------===//
//
// Every Reduce* operator is one of a few reductions (sum, max, min, product)
// with a pre-map (abs, square) and a post-map (scale, sqrt, log), so one
// routine covers them. Axes come from the attribute or, from the opset that
// moved them there, a constant input.
//
//===----------------------------------------------------------------------===//
#include "compiler/Import/ONNX/ImportContext.h"
#include "compiler/Import/ONNX/ops/Kernels.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <numeric>

using namespace mlir;
using namespace mlir::dlc;

namespace {

enum class Reduction { Sum, Mean, Max, Min, Prod, L1, L2, SumSquare, LogSum,
                       LogSumExp };

/// Normalised axes of a reduction, or failure. Empty means "none" when
/// noop_with_empty_axes is set and "all" otherwise (already expanded).
FailureOr<SmallVector<int64_t>>
reductionAxes(ImportContext &c, int64_t rank, int axesInputSince,
              bool sizeOneIsIdentity, bool &identity,
              SmallVector<SmallVector<int64_t>> *candidates = nullptr) {
  std::vector<int64_t> axes = c.attrInts("axes");
  identity = false;
  if (c.opset >= axesInputSince && c.hasInput(1)) {
    auto k = c.constInput(1);
    if (!k) {
      // Runtime axes with keepdims: the static output type says which
      // dimensions shrink to 1 (reducing a size-1 dimension changes
      // nothing), so the reduction is still fully determined.
      RankedTensorType out = c.knownType(c.node->output(0));
      auto in = cast<RankedTensorType>(c.input(0).getType());
      if (!c.attrInt("keepdims", 1) && out && candidates) {
        // Without keepdims the removed dimensions are any k (the static
        // length of axes) whose removal leaves the output shape: every
        // such set is a candidate, chosen between at run time.
        auto axesType = cast<RankedTensorType>(c.input(1).getType());
        int64_t k = axesType.getNumElements();
        if (k < 1 || rank - k != out.getRank() || rank > 16)
          return c.fail("axes must be a compile-time constant");
        for (uint32_t mask = 0; mask < (1u << rank); ++mask) {
          if (llvm::popcount(mask) != k)
            continue;
          SmallVector<int64_t> kept, set;
          for (int64_t d = 0; d < rank; ++d)
            (mask >> d & 1 ? set : kept).push_back(in.getDimSize(d));
          if (ArrayRef<int64_t>(kept) != out.getShape())
            continue;
          set.clear();
          for (int64_t d = 0; d < rank; ++d)
            if (mask >> d & 1)
              set.push_back(d);
          candidates->push_back(set);
        }
        if (candidates->empty())
          return c.fail("axes must be a compile-time constant");
        return candidates->front();
      }
      if (!c.attrInt("keepdims", 1) || !out || out.getRank() != rank)
        return c.fail("axes must be a compile-time constant");
      SmallVector<int64_t> derived;
      for (int64_t d = 0; d < rank; ++d)
        if (out.getDimSize(d) != in.getDimSize(d)) {
          if (out.getDimSize(d) != 1)
            return c.fail("axes must be a compile-time constant");
          derived.push_back(d);
        }
      if (derived.empty()) {
        // Nothing shrinks: a no-op, or a reduction over size-1 axes, which
        // is the identity only for sum/mean/max/min/prod.
        if (!sizeOneIsIdentity)
          return c.fail("axes must be a compile-time constant");
        identity = true;
      }
      return derived;
    }
    axes = k->ints();
  }
  SmallVector<int64_t> out;
  if (axes.empty()) {
    if (c.opset >= axesInputSince && c.attrInt("noop_with_empty_axes", 0)) {
      identity = true;
      return out;
    }
    for (int64_t i = 0; i < rank; ++i)
      out.push_back(i);
    return out;
  }
  for (int64_t a : axes) {
    if (a < 0)
      a += rank;
    if (a < 0 || a >= rank)
      return c.fail("axis out of range");
    if (!llvm::is_contained(out, a))
      out.push_back(a);
  }
  return out;
}

Value reduceAll(ImportContext &c, Value x, ArrayRef<int64_t> axes,
                Reduction r) {
  auto boolType = cast<RankedTensorType>(x.getType());
  bool isBool = boolType.getElementType().isInteger(1);
  if (isBool) // Max is any, Min is all: the same reductions on 0/1 bytes.
    x = tosa::CastOp::create(c.b, boolType.clone(c.b.getI8Type()), x);
  for (int64_t a : axes) {
    auto t = cast<RankedTensorType>(x.getType());
    SmallVector<int64_t> shape(t.getShape());
    shape[a] = 1;
    auto out = t.clone(shape);
    auto axis = c.b.getI32IntegerAttr(a);
    switch (r) {
    case Reduction::Max: x = tosa::ReduceMaxOp::create(c.b, out, x, axis); break;
    case Reduction::Min: x = tosa::ReduceMinOp::create(c.b, out, x, axis); break;
    case Reduction::Prod:
      x = tosa::ReduceProductOp::create(c.b, out, x, axis);
      break;
    default: x = tosa::ReduceSumOp::create(c.b, out, x, axis); break;
    }
  }
  if (isBool)
    x = tosa::CastOp::create(
        c.b, cast<RankedTensorType>(x.getType()).clone(c.b.getI1Type()), x);
  return x;
}

Value reduceOver(ImportContext &c, Value x, ArrayRef<int64_t> axes,
                 Reduction r, RankedTensorType type);

/// What reduction `r` gives over no elements (ONNX's empty-set rule): the
/// identity of its combining step, mapped by its post-map (so LogSum and
/// LogSumExp give log(0) = -inf, Mean 0/0 = NaN). Integers use the extremes
/// of their ONNX type, booleans false for Max and true for Min.
TypedAttr emptySetValue(ImportContext &c, Reduction r, Type elem,
                        int32_t dtype) {
  if (r == Reduction::Max || r == Reduction::Min)
    return c.extreme(elem, dtype, /*highest=*/r == Reduction::Min);
  if (auto ft = dyn_cast<FloatType>(elem)) {
    const llvm::fltSemantics &sem = ft.getFloatSemantics();
    APFloat v = APFloat::getZero(sem);
    if (r == Reduction::Prod)
      v = APFloat::getOne(sem);
    else if (r == Reduction::LogSum || r == Reduction::LogSumExp)
      v = APFloat::getInf(sem, /*Negative=*/true);
    else if (r == Reduction::Mean)
      v = APFloat::getNaN(sem);
    return c.b.getFloatAttr(elem, v);
  }
  return c.b.getIntegerAttr(elem, r == Reduction::Prod ? 1 : 0);
}

LogicalResult reduce(ImportContext &c, Reduction r, int axesInputSince) {
  RankedTensorType type = c.resultType(1);
  if (!type)
    return failure();
  Value x = c.input(0);
  auto inType = cast<RankedTensorType>(x.getType());
  bool identity;
  bool plain = r == Reduction::Sum || r == Reduction::Mean ||
               r == Reduction::Max || r == Reduction::Min ||
               r == Reduction::Prod;
  SmallVector<SmallVector<int64_t>> candidates;
  auto axes = reductionAxes(c, inType.getRank(), axesInputSince, plain,
                            identity, &candidates);
  if (failed(axes))
    return failure();
  if (identity) {
    c.setOutput(0, x);
    return success();
  }
  if (inType.getNumElements() == 0) {
    c.setOutput(0, filledTensor(c, type,
                                emptySetValue(c, r, type.getElementType(),
                                              c.inputDType(0))));
    return success();
  }
  if (candidates.size() > 1) {
    // Run-time axes that the shapes do not pin down: one reduction per
    // candidate, selected by comparing the axes input with each.
    Value axesIn = c.input(1);
    auto axesType = cast<RankedTensorType>(axesIn.getType());
    int64_t rank = inType.getRank();
    SmallVector<Value> given;
    for (int64_t j = 0; j < axesType.getNumElements(); ++j) {
      SmallVector<Value> at(axesType.getRank(),
                            arith::ConstantIndexOp::create(c.b, 0));
      if (!at.empty())
        at.back() = arith::ConstantIndexOp::create(c.b, j);
      Value a = tensor::ExtractOp::create(c.b, axesIn, at);
      if (!a.getType().isInteger(64))
        a = arith::ExtSIOp::create(c.b, c.b.getI64Type(), a);
      Value neg = arith::CmpIOp::create(
          c.b, arith::CmpIPredicate::slt, a,
          arith::ConstantIntOp::create(c.b, c.b.getI64Type(), 0));
      given.push_back(arith::SelectOp::create(
          c.b, neg,
          arith::AddIOp::create(
              c.b, a, arith::ConstantIntOp::create(c.b, c.b.getI64Type(), rank)),
          a));
    }
    Value y;
    for (const SmallVector<int64_t> &set : candidates) {
      Value v = reduceOver(c, x, set, r, type);
      if (!y) {
        y = v;
        continue;
      }
      Value match = arith::ConstantIntOp::create(c.b, c.b.getI1Type(), 1);
      for (int64_t d : set) {
        Value any = arith::ConstantIntOp::create(c.b, c.b.getI1Type(), 0);
        for (Value g : given)
          any = arith::OrIOp::create(
              c.b, any,
              arith::CmpIOp::create(
                  c.b, arith::CmpIPredicate::eq, g,
                  arith::ConstantIntOp::create(c.b, c.b.getI64Type(), d)));
        match = arith::AndIOp::create(c.b, match, any);
      }
      auto condType = RankedTensorType::get(
          SmallVector<int64_t>(type.getRank(), 1), c.b.getI1Type());
      Value cond = tensor::FromElementsOp::create(c.b, condType, match);
      y = tosa::SelectOp::create(c.b, type, cond, v, y);
    }
    c.setOutput(0, y);
    return success();
  }
  c.setOutput(0, reduceOver(c, x, *axes, r, type));
  return success();
}

/// The reduction `r` of `x` over `axes`, reshaped to `type`.
Value reduceOver(ImportContext &c, Value x, ArrayRef<int64_t> axes,
                 Reduction r, RankedTensorType type) {
  auto inType = cast<RankedTensorType>(x.getType());
  int64_t count = 1;
  for (int64_t a : axes)
    count *= inType.getDimSize(a);
  if (r == Reduction::L1)
    x = tosa::AbsOp::create(c.b, inType, x);
  if (r == Reduction::L2 || r == Reduction::SumSquare)
    x = c.mul(x, x, inType);
  Value y;
  if (r == Reduction::LogSumExp) {
    // log(sum(exp(x - max))) + max, stable for large inputs.
    Value m = reduceAll(c, x, axes, Reduction::Max);
    Value e = tosa::ExpOp::create(c.b, inType,
                                  tosa::SubOp::create(c.b, inType, x, m));
    Value s = reduceAll(c, e, axes, Reduction::Sum);
    y = tosa::AddOp::create(c.b, s.getType(),
                            tosa::LogOp::create(c.b, s.getType(), s), m);
  } else {
    y = reduceAll(c, x, axes, r);
  }
  auto yType = cast<RankedTensorType>(y.getType());
  if (r == Reduction::Mean)
    y = c.mul(y, c.splat(yType, 1.0 / count), yType);
  if (r == Reduction::L2)
    y = tosa::ReciprocalOp::create(c.b, yType,
                                   tosa::RsqrtOp::create(c.b, yType, y));
  if (r == Reduction::LogSum)
    y = tosa::LogOp::create(c.b, yType, y);
  return c.reshape(y, type.getShape());
}

template <Reduction R, int Since>
LogicalResult reduceOp(ImportContext &c) {
  return reduce(c, R, Since);
}

/// ArgMax/ArgMin via tosa.argmax (first index on ties); select_last_index
/// reverses the axis first; ArgMin negates.
LogicalResult argReduce(ImportContext &c, bool isMin) {
  RankedTensorType type = c.resultType(1);
  if (!type)
    return failure();
  Value x = c.input(0);
  auto inType = cast<RankedTensorType>(x.getType());
  int64_t rank = inType.getRank();
  int64_t axis = c.attrInt("axis", 0);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= rank)
    return c.fail("axis out of range");
  bool last = c.attrInt("select_last_index", 0);
  if (isMin) {
    if (!isa<FloatType>(inType.getElementType()))
      return c.fail("integer ArgMin is not supported");
    x = tosa::NegateOp::create(c.b, inType, x);
  }
  if (last)
    x = tosa::ReverseOp::create(c.b, inType, x, c.b.getI32IntegerAttr(axis));
  SmallVector<int64_t> reduced;
  for (int64_t d = 0; d < rank; ++d)
    if (d != axis)
      reduced.push_back(inType.getDimSize(d));
  auto idxType = RankedTensorType::get(reduced, c.b.getI32Type());
  Value idx = tosa::ArgMaxOp::create(c.b, idxType, x,
                                     c.b.getI32IntegerAttr(axis));
  if (last)
    idx = tosa::SubOp::create(
        c.b, idxType, c.splat(idxType, inType.getDimSize(axis) - 1), idx);
  auto castType = RankedTensorType::get(reduced, type.getElementType());
  c.setOutput(0, c.reshape(tosa::CastOp::create(c.b, castType, idx),
                           type.getShape()));
  return success();
}
LogicalResult importArgMax(ImportContext &c) { return argReduce(c, false); }
LogicalResult importArgMin(ImportContext &c) { return argReduce(c, true); }

LogicalResult importLogSoftmax(ImportContext &c) {
  RankedTensorType type = c.resultType(1);
  if (!type)
    return failure();
  Value x;
  int64_t axis;
  if (failed(c.softmaxFamilyInput(type.getRank(), x, axis)))
    return failure();
  // x - max - log(sum(exp(x - max)))
  auto t = cast<RankedTensorType>(x.getType());
  Value m = reduceAll(c, x, {axis}, Reduction::Max);
  Value shifted = tosa::SubOp::create(c.b, t, x, m);
  Value s = reduceAll(c, tosa::ExpOp::create(c.b, t, shifted), {axis},
                      Reduction::Sum);
  Value y = tosa::SubOp::create(c.b, t, shifted,
                                tosa::LogOp::create(c.b, s.getType(), s));
  c.setOutput(0, c.reshape(y, type.getShape()));
  return success();
}

/// Hardmax: a one-hot of the first maximum along `axis` (before opset 13, of
/// the input coerced to 2-D at `axis`).
LogicalResult importHardmax(ImportContext &c) {
  RankedTensorType type = c.resultType(1);
  if (!type)
    return failure();
  Value x;
  int64_t axis;
  if (failed(c.softmaxFamilyInput(type.getRank(), x, axis)))
    return failure();
  auto xt = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> reduced, kept(xt.getShape());
  for (int64_t d = 0; d < xt.getRank(); ++d)
    if (d != axis)
      reduced.push_back(xt.getDimSize(d));
  kept[axis] = 1;
  auto i32 = c.b.getI32Type();
  Value idx = tosa::ArgMaxOp::create(c.b, RankedTensorType::get(reduced, i32),
                                     x, c.b.getI32IntegerAttr(axis));
  idx = c.reshape(idx, kept);
  int64_t k = xt.getDimSize(axis);
  Value iotaV = c.iota(xt.getRank(), axis, k);
  Value hot = tosa::EqualOp::create(
      c.b, RankedTensorType::get(xt.getShape(), c.b.getI1Type()), idx, iotaV);
  Value y = tosa::SelectOp::create(c.b, xt, hot, c.splat(xt, 1), c.splat(xt, 0));
  c.setOutput(0, c.reshape(y, type.getShape()));
  return success();
}

} // namespace

void mlir::dlc::appendReduceHandlers(std::vector<OpHandler> &t) {
  t.push_back({"ReduceSum", 1, reduceOp<Reduction::Sum, 13>});
  t.push_back({"ReduceMean", 1, reduceOp<Reduction::Mean, 18>});
  t.push_back({"ReduceMax", 1, reduceOp<Reduction::Max, 18>});
  t.push_back({"ReduceMin", 1, reduceOp<Reduction::Min, 18>});
  t.push_back({"ReduceProd", 1, reduceOp<Reduction::Prod, 18>});
  t.push_back({"ReduceL1", 1, reduceOp<Reduction::L1, 18>});
  t.push_back({"ReduceL2", 1, reduceOp<Reduction::L2, 18>});
  t.push_back({"ReduceSumSquare", 1, reduceOp<Reduction::SumSquare, 18>});
  t.push_back({"ReduceLogSum", 1, reduceOp<Reduction::LogSum, 18>});
  t.push_back({"ReduceLogSumExp", 1, reduceOp<Reduction::LogSumExp, 18>});
  t.push_back({"ArgMax", 1, importArgMax});
  t.push_back({"ArgMin", 1, importArgMin});
  t.push_back({"LogSoftmax", 1, importLogSoftmax});
  t.push_back({"Hardmax", 1, importHardmax});
}

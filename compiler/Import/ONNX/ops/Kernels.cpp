//===- Kernels.cpp - ops emitted as linalg.generic at import --------------===//
//
// The loop-nest plumbing of Kernels.h. A reduction loop's extent must come
// from an operand's shape, so loopNest adds one uninitialised operand of the
// reduction shape that the body never reads (bufferization gives it no
// storage worth mentioning: it is only a shape).
//
//===----------------------------------------------------------------------===//
#include "compiler/Import/ONNX/ops/Kernels.h"

using namespace mlir;
using namespace mlir::dlc;

Value mlir::dlc::filledTensor(ImportContext &c, RankedTensorType type,
                              double value) {
  Type elem = type.getElementType();
  return filledTensor(c, type,
                      isa<FloatType>(elem)
                          ? TypedAttr(c.b.getFloatAttr(elem, value))
                          : TypedAttr(c.b.getIntegerAttr(elem, int64_t(value))));
}

Value mlir::dlc::filledTensor(ImportContext &c, RankedTensorType type,
                              TypedAttr value) {
  Value v = arith::ConstantOp::create(c.b, type.getElementType(), value);
  Value empty =
      tensor::EmptyOp::create(c.b, type.getShape(), type.getElementType());
  return linalg::FillOp::create(c.b, ValueRange{v}, ValueRange{empty})
      .getResult(0);
}

SmallVector<Value> mlir::dlc::loopNest(ImportContext &c, ValueRange inits,
                                       ArrayRef<int64_t> reduction,
                                       LoopBody body) {
  auto outType = cast<RankedTensorType>(inits[0].getType());
  int64_t rank = outType.getRank(), nred = reduction.size();
  int64_t loops = rank + nred;
  SmallVector<AffineExpr> outE, redE;
  for (int64_t d = 0; d < rank; ++d)
    outE.push_back(getAffineDimExpr(d, c.ctx));
  for (int64_t d = 0; d < nred; ++d)
    redE.push_back(getAffineDimExpr(rank + d, c.ctx));
  SmallVector<Value> ins;
  SmallVector<AffineMap> maps;
  if (nred) {
    ins.push_back(tensor::EmptyOp::create(c.b, reduction, c.b.getI8Type()));
    maps.push_back(AffineMap::get(loops, 0, redE, c.ctx));
  }
  for (size_t i = 0; i < inits.size(); ++i)
    maps.push_back(AffineMap::get(loops, 0, outE, c.ctx));
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  iters.append(nred, utils::IteratorType::reduction);
  SmallVector<Type> types;
  for (Value v : inits)
    types.push_back(v.getType());
  auto op = linalg::GenericOp::create(
      c.b, types, ins, inits, maps, iters,
      [&](OpBuilder &b, Location l, ValueRange args) {
        SmallVector<Value> out = body(b, l, args.drop_front(ins.size()));
        linalg::YieldOp::create(b, l, out);
      });
  return SmallVector<Value>(op.getResults());
}

Value mlir::dlc::readPixelOrZero(OpBuilder &b, Location l, Value x,
                                 ValueRange lead, ValueRange coords) {
  auto shape = cast<RankedTensorType>(x.getType()).getShape();
  Type f32 = b.getF32Type(), i64 = b.getI64Type();
  auto fc = [&](double v) {
    return arith::ConstantOp::create(b, l, f32, b.getF32FloatAttr(v));
  };
  auto ic = [&](int64_t v) { return arith::ConstantIntOp::create(b, l, v, 64); };
  Value ok;
  SmallVector<Value> at(lead);
  size_t first = shape.size() - coords.size();
  for (size_t d = 0; d < coords.size(); ++d) {
    int64_t size = shape[first + d];
    // fptosi of an out-of-range float is poison, which no later clamp
    // could repair: bound first (maxnum/minnum send NaN to the low end).
    Value f = arith::MinNumFOp::create(
        b, l, arith::MaxNumFOp::create(b, l, coords[d], fc(-2)),
        fc(double(size) + 1));
    Value i = arith::FPToSIOp::create(b, l, i64, f);
    Value inside = arith::AndIOp::create(
        b, l, arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, i, ic(0)),
        arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, i, ic(size)));
    ok = ok ? arith::AndIOp::create(b, l, ok, inside).getResult() : inside;
    i = arith::MinSIOp::create(b, l, arith::MaxSIOp::create(b, l, i, ic(0)),
                               ic(size - 1));
    at.push_back(arith::IndexCastOp::create(b, l, b.getIndexType(), i));
  }
  Value v = tensor::ExtractOp::create(b, l, x, at);
  return arith::SelectOp::create(b, l, ok, v, fc(0));
}

SmallVector<Value> mlir::dlc::linearTerms(OpBuilder &b, Location l,
                                          ValueRange coords, PixelRead read) {
  Type f32 = b.getF32Type();
  Value one = arith::ConstantOp::create(b, l, f32, b.getF32FloatAttr(1));
  size_t k = coords.size();
  // Per coordinate: the two neighbours and their weights (the far
  // neighbour's weight is the fraction).
  SmallVector<Value> lo, hi, wLo, wHi;
  for (Value p : coords) {
    Value p0 = math::FloorOp::create(b, l, p);
    Value frac = arith::SubFOp::create(b, l, p, p0);
    lo.push_back(p0);
    hi.push_back(arith::AddFOp::create(b, l, p0, one));
    wHi.push_back(frac);
    wLo.push_back(arith::SubFOp::create(b, l, one, frac));
  }
  SmallVector<Value> terms;
  for (size_t corner = 0; corner < (size_t(1) << k); ++corner) {
    SmallVector<Value> at;
    Value w;
    for (size_t d = 0; d < k; ++d) {
      bool far = (corner >> (k - 1 - d)) & 1;
      at.push_back(far ? hi[d] : lo[d]);
      Value wd = far ? wHi[d] : wLo[d];
      w = w ? arith::MulFOp::create(b, l, w, wd).getResult() : wd;
    }
    terms.push_back(arith::MulFOp::create(b, l, w, read(at)));
  }
  return terms;
}

Value mlir::dlc::linearSample(OpBuilder &b, Location l, ValueRange coords,
                              PixelRead read) {
  SmallVector<Value> t = linearTerms(b, l, coords, read);
  while (t.size() > 1) {
    SmallVector<Value> next;
    for (size_t i = 0; i < t.size(); i += 2)
      next.push_back(arith::AddFOp::create(b, l, t[i], t[i + 1]));
    t = std::move(next);
  }
  return t[0];
}

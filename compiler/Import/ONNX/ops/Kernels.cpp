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

Value mlir::dlc::readPixelOrZero(OpBuilder &b, Location l, Value x, Value n,
                                 Value ch, Value fy, Value fx) {
  auto shape = cast<RankedTensorType>(x.getType()).getShape();
  Type f32 = b.getF32Type(), i64 = b.getI64Type();
  auto fc = [&](double v) {
    return arith::ConstantOp::create(b, l, f32, b.getF32FloatAttr(v));
  };
  auto ic = [&](int64_t v) { return arith::ConstantIntOp::create(b, l, v, 64); };
  Value ok, at[2];
  Value coords[2] = {fy, fx};
  for (int d = 0; d < 2; ++d) {
    int64_t size = shape[2 + d];
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
    at[d] = arith::IndexCastOp::create(b, l, b.getIndexType(), i);
  }
  Value v = tensor::ExtractOp::create(b, l, x, ValueRange{n, ch, at[0], at[1]});
  return arith::SelectOp::create(b, l, ok, v, fc(0));
}

std::array<Value, 4> mlir::dlc::bilinearTerms(OpBuilder &b, Location l,
                                              Value y, Value x,
                                              PixelRead read) {
  Type f32 = b.getF32Type();
  Value one = arith::ConstantOp::create(b, l, f32, b.getF32FloatAttr(1));
  auto sub = [&](Value p, Value q) {
    return arith::SubFOp::create(b, l, p, q).getResult();
  };
  auto mul = [&](Value p, Value q) {
    return arith::MulFOp::create(b, l, p, q).getResult();
  };
  Value y0 = math::FloorOp::create(b, l, y), x0 = math::FloorOp::create(b, l, x);
  Value y1 = arith::AddFOp::create(b, l, y0, one),
        x1 = arith::AddFOp::create(b, l, x0, one);
  Value ly = sub(y, y0), lx = sub(x, x0);
  Value hy = sub(one, ly), hx = sub(one, lx);
  return {mul(mul(hy, hx), read(y0, x0)), mul(mul(hy, lx), read(y0, x1)),
          mul(mul(ly, hx), read(y1, x0)), mul(mul(ly, lx), read(y1, x1))};
}

Value mlir::dlc::bilinearSample(OpBuilder &b, Location l, Value y, Value x,
                                PixelRead read) {
  std::array<Value, 4> t = bilinearTerms(b, l, y, x, read);
  auto add = [&](Value p, Value q) {
    return arith::AddFOp::create(b, l, p, q).getResult();
  };
  return add(add(t[0], t[1]), add(t[2], t[3]));
}

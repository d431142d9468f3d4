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

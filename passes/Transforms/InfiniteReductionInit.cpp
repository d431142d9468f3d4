//===- InfiniteReductionInit.cpp - max/min reductions start at +-inf ------===//
//
// Upstream's tosa-to-linalg starts a float max reduction at -FLT_MAX (and a
// min at +FLT_MAX), so the max of a row that is all -inf comes out as
// -FLT_MAX. ONNX (and attention's fully-masked-row guards, which test the
// max of a mask row against -inf) need -inf. Starting at the infinity is
// exact for every input: it is the identity of max/min.
//
//===----------------------------------------------------------------------===//
#include "passes/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace mlir::dlc {
#define GEN_PASS_DEF_INFINITEREDUCTIONINIT
#include "passes/Transforms/Passes.h.inc"
} // namespace mlir::dlc

using namespace mlir;

namespace {
struct InfiniteReductionInitPass
    : dlc::impl::InfiniteReductionInitBase<InfiniteReductionInitPass> {
  void runOnOperation() override {
    getOperation().walk([](linalg::ReduceOp reduce) {
      Block &body = reduce.getCombiner().front();
      if (reduce.getNumDpsInits() != 1 || body.getOperations().size() != 2)
        return;
      Operation &combiner = body.front();
      bool isMax = isa<arith::MaximumFOp, arith::MaxNumFOp>(combiner);
      bool isMin = isa<arith::MinimumFOp, arith::MinNumFOp>(combiner);
      if (!isMax && !isMin)
        return;
      auto fill = reduce.getDpsInits()[0].getDefiningOp<linalg::FillOp>();
      if (!fill)
        return;
      auto cst = fill.getInputs()[0].getDefiningOp<arith::ConstantOp>();
      auto value = cst ? dyn_cast<FloatAttr>(cst.getValue()) : nullptr;
      if (!value)
        return;
      const llvm::fltSemantics &sem = value.getValue().getSemantics();
      if (value.getValue() != APFloat::getLargest(sem, /*Negative=*/isMax))
        return;
      OpBuilder b(reduce);
      Value inf = arith::ConstantOp::create(
          b, reduce.getLoc(),
          FloatAttr::get(value.getType(), APFloat::getInf(sem, isMax)));
      Value init = linalg::FillOp::create(b, reduce.getLoc(), ValueRange{inf},
                                          ValueRange{fill.getOutputs()[0]})
                       .getResult(0);
      reduce.getDpsInitsMutable()[0].set(init);
    });
  }
};
} // namespace

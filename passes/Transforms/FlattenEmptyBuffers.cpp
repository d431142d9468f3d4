//===- FlattenEmptyBuffers.cpp - zero-element arguments as memref<0xT> ----===//
//
// ONNX allows tensors with a zero dimension (Trilu or Reshape on empty
// data). A memref such as memref<3x0x5xi64> has no static strides, so the
// bare-pointer calling convention of the model ABI refuses it and the
// function stays unconverted. Such buffers hold no data: passing them as
// memref<0xT> and reshaping at the boundary changes nothing at run time.
//
//===----------------------------------------------------------------------===//
#include "passes/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace mlir::dlc {
#define GEN_PASS_DEF_FLATTENEMPTYBUFFERS
#include "passes/Transforms/Passes.h.inc"
} // namespace mlir::dlc

using namespace mlir;

namespace {

/// memref<0xT> for a zero-element memref of rank != 1, else null.
MemRefType flatType(Type t) {
  auto m = dyn_cast<MemRefType>(t);
  if (!m || !m.hasStaticShape() || m.getNumElements() != 0 || m.getRank() == 1)
    return nullptr;
  return MemRefType::get({0}, m.getElementType(), MemRefLayoutAttrInterface(),
                         m.getMemorySpace());
}

SmallVector<ReassociationIndices> allInOne(int64_t rank) {
  ReassociationIndices all;
  for (int64_t d = 0; d < rank; ++d)
    all.push_back(d);
  return {all};
}

struct FlattenEmptyBuffersPass
    : dlc::impl::FlattenEmptyBuffersBase<FlattenEmptyBuffersPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    for (func::FuncOp fn : module.getOps<func::FuncOp>()) {
      if (fn.isExternal())
        continue;
      Block &entry = fn.getBody().front();
      OpBuilder b = OpBuilder::atBlockBegin(&entry);
      SmallVector<Type> inputs(fn.getArgumentTypes());
      for (BlockArgument arg : entry.getArguments()) {
        auto orig = dyn_cast<MemRefType>(arg.getType());
        MemRefType flat = orig ? flatType(orig) : nullptr;
        if (!flat)
          continue;
        arg.setType(flat);
        inputs[arg.getArgNumber()] = flat;
        // A rank-0 memref has one element, so orig has rank >= 2 here.
        auto expanded = memref::ExpandShapeOp::create(
            b, fn.getLoc(), orig, arg, allInOne(orig.getRank()));
        arg.replaceAllUsesExcept(expanded.getResult(), expanded);
      }
      fn.setType(FunctionType::get(&getContext(), inputs,
                                   fn.getResultTypes()));
    }
    module.walk([](func::CallOp call) {
      OpBuilder b(call);
      for (OpOperand &operand : call->getOpOperands())
        if (auto flat = flatType(operand.get().getType())) {
          auto orig = cast<MemRefType>(operand.get().getType());
          operand.set(memref::CollapseShapeOp::create(
              b, call.getLoc(), flat, operand.get(),
              allInOne(orig.getRank())));
        }
    });
  }
};

} // namespace

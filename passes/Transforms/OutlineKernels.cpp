//===- OutlineKernels.cpp - one function per kernel -----------------------===//
//
// After memory planning, every top-level linalg op (and copy) of the entry
// function moves into its own private function. LLVM's optimiser is
// superlinear in function size, so a 100-layer network compiled as one
// function takes minutes; as ~one function per layer it is linear. The views
// an op reads and writes are rebuilt inside its kernel from their roots
// (arguments, the workspace, globals), so every kernel argument is a plain
// identity-layout buffer the bare-pointer calling convention accepts.
//
//===----------------------------------------------------------------------===//
#include "passes/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::dlc {
#define GEN_PASS_DEF_OUTLINEKERNELS
#include "passes/Transforms/Passes.h.inc"
} // namespace mlir::dlc

using namespace mlir;

namespace {

/// Ops that only compute addresses or constants: cloned into kernels.
bool isCloneable(Operation *op) {
  return op->hasTrait<OpTrait::ConstantLike>() ||
         isa<ViewLikeOpInterface, memref::GetGlobalOp, memref::CastOp,
             memref::ExpandShapeOp, memref::CollapseShapeOp>(op);
}

struct OutlineKernelsPass
    : dlc::impl::OutlineKernelsBase<OutlineKernelsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    unsigned counter = 0;
    SmallVector<func::FuncOp> funcs(module.getOps<func::FuncOp>());
    for (func::FuncOp func : funcs) {
      if (func.isExternal() || func.isPrivate())
        continue;
      Block &entry = func.getBody().front();
      SmallVector<Operation *> kernels;
      for (Operation &op : entry)
        if (isa<linalg::LinalgOp, memref::CopyOp>(op))
          kernels.push_back(&op);
      for (Operation *op : kernels)
        outline(op, func, symbols, counter);
    }
  }

  void outline(Operation *op, func::FuncOp parent, SymbolTable &symbols,
               unsigned &counter) {
    // Values the kernel needs: its operands and captures, traced back
    // through cloneable ops to roots (block arguments or other results).
    SetVector<Value> needed(op->operand_begin(), op->operand_end());
    SetVector<Value> captured;
    getUsedValuesDefinedAbove(op->getRegions(), captured);
    needed.insert(captured.begin(), captured.end());
    SetVector<Operation *> cloned;
    SetVector<Value> roots;
    SmallVector<Value> work(needed.begin(), needed.end());
    while (!work.empty()) {
      Value v = work.pop_back_val();
      Operation *def = v.getDefiningOp();
      if (def && isCloneable(def)) {
        if (cloned.insert(def))
          for (Value o : def->getOperands())
            work.push_back(o);
        continue;
      }
      roots.insert(v);
    }
    // Clone in the entry block's order.
    SmallVector<Operation *> order(cloned.begin(), cloned.end());
    llvm::sort(order, [](Operation *a, Operation *b) {
      return a->isBeforeInBlock(b);
    });

    OpBuilder b = OpBuilder::atBlockEnd(parent->getBlock());
    SmallVector<Type> argTypes;
    for (Value r : roots)
      argTypes.push_back(r.getType());
    std::string name =
        (parent.getSymName() + "_kernel" + llvm::Twine(counter++)).str();
    auto kernel = func::FuncOp::create(b, op->getLoc(), name,
                                       b.getFunctionType(argTypes, {}));
    kernel.setPrivate();
    // Kept out of line through LLVM: inlining would rebuild one huge function.
    kernel->setAttr("passthrough", b.getArrayAttr({b.getStringAttr("noinline")}));
    symbols.insert(kernel);
    Block *body = kernel.addEntryBlock();
    IRMapping map;
    for (auto [r, arg] : llvm::zip(roots, body->getArguments()))
      map.map(r, arg);
    OpBuilder kb = OpBuilder::atBlockEnd(body);
    for (Operation *c : order)
      kb.clone(*c, map);
    kb.clone(*op, map);
    func::ReturnOp::create(kb, op->getLoc());

    OpBuilder cb(op);
    func::CallOp::create(cb, op->getLoc(), kernel, roots.getArrayRef());
    op->erase();
  }
};

} // namespace

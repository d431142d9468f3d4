//===- OutlineKernels.cpp - one function per kernel -----------------------===//
//
// After memory planning, every top-level linalg op, copy and loop nest (the
// target's tiled kernels) of the entry
// function moves into its own private function. LLVM's optimiser is
// superlinear in function size, so a 100-layer network compiled as one
// function takes minutes; as ~one function per layer it is linear. The views
// an op reads and writes are rebuilt inside its kernel from their roots
// (arguments, the workspace, globals), so every kernel argument is a plain
// identity-layout buffer the bare-pointer calling convention accepts.
//
//===----------------------------------------------------------------------===//
#include "passes/Transforms/Passes.h"

#include "dialects/DLC/IR/DLCDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallPtrSet.h"

#include <functional>

namespace mlir::dlc {
#define GEN_PASS_DEF_OUTLINEKERNELS
#include "passes/Transforms/Passes.h.inc"
} // namespace mlir::dlc

using namespace mlir;

namespace {

/// Ops that only compute addresses, indices or constants: cloned into
/// kernels (an index computed from a sequence loop's induction variable
/// travels into a step's kernels as that variable).
bool isCloneable(Operation *op) {
  bool indexMath = op->getNumRegions() == 0 && op->getNumResults() > 0 &&
                   isPure(op) &&
                   llvm::all_of(op->getResultTypes(),
                                [](Type t) { return t.isIndex(); });
  return indexMath || op->hasTrait<OpTrait::ConstantLike>() ||
         isa<ViewLikeOpInterface, memref::GetGlobalOp, memref::CastOp,
             memref::ExpandShapeOp, memref::CollapseShapeOp>(op);
}

/// What a kernel computes and how many arithmetic operations it does, for
/// profiles: the target's loop nests say it themselves (dlc.kernel,
/// dlc.flops); a linalg op is named by its kind and shape and does the ops of
/// its body once per iteration.
std::pair<std::string, int64_t> describe(ArrayRef<Operation *> ops) {
  Operation *op = ops.front();
  if (auto name = op->getAttrOfType<StringAttr>("dlc.kernel")) {
    auto flops = op->getAttrOfType<IntegerAttr>("dlc.flops");
    return {name.str(), flops ? flops.getInt() : 0};
  }
  // A linalg op tiled into a loop (dlc-cpu-parallelize-kernels): the op,
  // once per trip.
  int64_t trips = 1;
  if (auto loop = dyn_cast<scf::ForOp>(op)) {
    linalg::LinalgOp inner;
    loop.walk([&](linalg::LinalgOp l) {
      inner = l;
      return WalkResult::interrupt();
    });
    std::optional<int64_t> lb = getConstantIntValue(loop.getLowerBound()),
                           ub = getConstantIntValue(loop.getUpperBound()),
                           step = getConstantIntValue(loop.getStep());
    if (inner && lb && ub && step && *step > 0) {
      trips = (*ub - *lb + *step - 1) / *step;
      op = inner;
    }
  }
  std::string d;
  llvm::raw_string_ostream os(d);
  int64_t flops = 0;
  if (auto lin = dyn_cast<linalg::LinalgOp>(op)) {
    os << op->getName().stripDialect();
    if (lin.getNumReductionLoops())
      os << " (reduction)";
    int64_t iterations = 1;
    for (int64_t r : lin.getStaticLoopRanges())
      iterations *= ShapedType::isDynamic(r) ? 1 : r;
    int64_t bodyOps = 0;
    if (Block *body = lin.getBlock())
      bodyOps = std::distance(body->without_terminator().begin(),
                              body->without_terminator().end());
    flops = trips * iterations * bodyOps;
    if (!lin->getOperands().empty())
      if (auto t = dyn_cast<ShapedType>(lin->getOperands().back().getType()))
        if (t.hasStaticShape()) {
          os << " ";
          llvm::interleave(t.getShape(), os, "x");
        }
    if (trips > 1)
      os << " x " << trips << " tiles";
  } else if (isa<memref::CopyOp>(op)) {
    os << "copy";
  } else {
    os << "loop nest";
  }
  return {d, flops};
}

/// Ops that stay in the entry function: allocation, calls, the return.
bool staysInParent(Operation *op) {
  return isCloneable(op) || op->hasTrait<OpTrait::IsTerminator>() ||
         isa<func::CallOp, memref::AllocOp, memref::DeallocOp>(op);
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
      // A linalg op, a copy or a loop nest (a target's kernel) is a kernel
      // by itself. Any other run of code (what canonicalization leaves of a
      // loop nest whose outer loops had one trip: an inner loop with results
      // and the straight-line code using them) is one kernel up to the next
      // op that stays in the parent or is a kernel by itself; cloneable ops
      // in between stay outside and are cloned in.
      outlineBlock(func.getBody().front(), func, symbols, counter);
    }
  }

  /// Groups `block`'s ops into kernels and outlines them. A recurrent
  /// layer's loop over time steps (dlc.sequence) stays where it is and its
  /// body is grouped the same way, so each step calls its kernels.
  void outlineBlock(Block &block, func::FuncOp func, SymbolTable &symbols,
                    unsigned &counter) {
    SmallVector<SmallVector<Operation *>> kernels;
    SmallVector<Block *> nested;
    bool open = false;
    for (Operation &op : block) {
      auto loop = dyn_cast<scf::ForOp>(op);
      if (loop && loop->hasAttr(dlc::kSequenceLoopAttr)) {
        nested.push_back(loop.getBody());
        open = false;
      } else if (isa<linalg::LinalgOp, memref::CopyOp>(op) ||
                 (loop && loop.getNumResults() == 0)) {
        kernels.push_back({&op});
        open = false;
      } else if (isCloneable(&op)) {
        continue;
      } else if (staysInParent(&op)) {
        open = false;
      } else {
        if (!open)
          kernels.emplace_back();
        kernels.back().push_back(&op);
        open = true;
      }
    }
    for (ArrayRef<Operation *> ops : kernels)
      outline(ops, func, symbols, counter);
    for (Block *b : nested)
      outlineBlock(*b, func, symbols, counter);
  }

  void outline(ArrayRef<Operation *> ops, func::FuncOp parent,
               SymbolTable &symbols, unsigned &counter) {
    SmallPtrSet<Operation *, 16> inKernel(ops.begin(), ops.end());
    // A value the group defines and code after it uses: cannot move.
    Block *block = ops.front()->getBlock();
    for (Operation *op : ops)
      for (Value r : op->getResults())
        for (Operation *user : r.getUsers())
          if (!inKernel.contains(block->findAncestorOpInBlock(*user)))
            return;
    // Values the kernel needs: its operands and captures, traced back
    // through cloneable ops to roots (block arguments or other results).
    SetVector<Value> needed;
    for (Operation *op : ops) {
      for (Value v : op->getOperands())
        if (!inKernel.contains(v.getDefiningOp()))
          needed.insert(v);
      SetVector<Value> captured;
      getUsedValuesDefinedAbove(op->getRegions(), captured);
      for (Value v : captured)
        if (!inKernel.contains(v.getDefiningOp()))
          needed.insert(v);
    }
    // Cloneable producers in dependence order (they may lie in enclosing
    // blocks too, for a kernel inside a sequence loop), found depth first.
    SetVector<Operation *> cloned;
    SetVector<Value> roots;
    std::function<void(Value)> trace = [&](Value v) {
      Operation *def = v.getDefiningOp();
      if (!def || !isCloneable(def)) {
        roots.insert(v);
        return;
      }
      if (cloned.contains(def))
        return;
      for (Value o : def->getOperands())
        trace(o);
      cloned.insert(def);
    };
    for (Value v : needed)
      trace(v);
    ArrayRef<Operation *> order = cloned.getArrayRef();

    // A lone loop marked parallel (independent iterations, from lower bound
    // 0 with step 1) takes its iteration range as two trailing arguments;
    // the LLVM emitter runs such a kernel through the run's parallel_for.
    Operation *first = ops.front();
    auto loop = dyn_cast<scf::ForOp>(first);
    bool parallel = ops.size() == 1 && loop && loop->hasAttr("dlc.parallel") &&
                    loop.getNumResults() == 0 &&
                    matchPattern(loop.getLowerBound(), m_Zero()) &&
                    matchPattern(loop.getStep(), m_One());
    OpBuilder b = OpBuilder::atBlockEnd(parent->getBlock());
    SmallVector<Type> argTypes;
    for (Value r : roots)
      argTypes.push_back(r.getType());
    if (parallel)
      argTypes.append(2, b.getIndexType());
    std::string name =
        (parent.getSymName() + "_kernel" + llvm::Twine(counter++)).str();
    auto kernel = func::FuncOp::create(b, first->getLoc(), name,
                                       b.getFunctionType(argTypes, {}));
    kernel.setPrivate();
    // Kept out of line through LLVM: inlining would rebuild one huge function.
    auto [what, flops] = describe(ops);
    SmallVector<Attribute> passthrough{
        b.getStringAttr("noinline"),
        b.getArrayAttr({b.getStringAttr("dlc-kernel"), b.getStringAttr(what)}),
        b.getArrayAttr({b.getStringAttr("dlc-flops"),
                        b.getStringAttr(std::to_string(flops))})};
    if (parallel)
      passthrough.push_back(b.getArrayAttr(
          {b.getStringAttr("dlc-parallel"), b.getStringAttr("1")}));
    kernel->setAttr("passthrough", b.getArrayAttr(passthrough));
    symbols.insert(kernel);
    Block *body = kernel.addEntryBlock();
    IRMapping map;
    for (auto [r, arg] : llvm::zip(roots, body->getArguments()))
      map.map(r, arg);
    OpBuilder kb = OpBuilder::atBlockEnd(body);
    for (Operation *c : order)
      kb.clone(*c, map);
    for (Operation *op : ops)
      kb.clone(*op, map);
    SmallVector<Value> callArgs(roots.begin(), roots.end());
    if (parallel) {
      auto cloned = cast<scf::ForOp>(body->getOperations().back());
      unsigned n = body->getNumArguments();
      cloned.setLowerBound(body->getArgument(n - 2));
      cloned.setUpperBound(body->getArgument(n - 1));
      callArgs.push_back(loop.getLowerBound());
      callArgs.push_back(loop.getUpperBound());
    }
    func::ReturnOp::create(kb, first->getLoc());

    OpBuilder cb(first);
    func::CallOp::create(cb, first->getLoc(), kernel, callArgs);
    for (Operation *op : llvm::reverse(ops))
      op->erase();
  }
};

} // namespace

//===- PlanMemory.cpp - static workspace planning -------------------------===//
//
// Replaces the intermediate allocations of a bufferized function by views into
// one caller-provided workspace. Live ranges are intervals over the entry
// block's op order; placement is greedy first-fit, largest buffer first, which
// is what TFLite's arena planner and IREE's stream packing do as well, and is
// within a few percent of optimal on feed-forward networks.
//
//===----------------------------------------------------------------------===//
#include "passes/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"
#include "mlir/Interfaces/DataLayoutInterfaces.h"

#include <algorithm>

namespace mlir::dlc {
#define GEN_PASS_DEF_PLANMEMORY
#include "passes/Transforms/Passes.h.inc"
} // namespace mlir::dlc

using namespace mlir;

namespace {

struct Buffer {
  memref::AllocOp alloc;
  int64_t start = 0, end = 0; // Inclusive live range over entry-block ops.
  int64_t size = 0;
  int64_t offset = -1;
};

/// Index of the entry-block op that contains `op`.
static int64_t topLevelIndex(Operation *op, Block &entry,
                             const DenseMap<Operation *, int64_t> &index) {
  Operation *top = entry.findAncestorOpInBlock(*op);
  return top ? index.lookup(top) : 0;
}

/// Visits every use of `root` and of the memrefs computed from it until
/// `visit` returns true; returns whether it did. Any op that takes the
/// buffer and yields a memref is treated as an alias (conservative).
static bool anyAliasUse(Value root,
                        llvm::function_ref<bool(OpOperand &)> visit) {
  SmallVector<Value> work{root};
  DenseSet<Value> seen;
  while (!work.empty()) {
    Value v = work.pop_back_val();
    if (!seen.insert(v).second)
      continue;
    for (OpOperand &use : v.getUses()) {
      if (visit(use))
        return true;
      for (Value r : use.getOwner()->getResults())
        if (isa<BaseMemRefType>(r.getType()))
          work.push_back(r);
    }
  }
  return false;
}

/// Last entry-block position at which `root` or anything viewing it is used
/// (aliases as anyAliasUse: it can only lengthen a live range).
static int64_t lastUse(Value root, Block &entry,
                       const DenseMap<Operation *, int64_t> &index) {
  int64_t last = 0;
  anyAliasUse(root, [&](OpOperand &use) {
    Operation *user = use.getOwner();
    if (!isa<memref::DeallocOp>(user)) // Erased; not a use of the bytes.
      last = std::max(last, topLevelIndex(user, entry, index));
    return false;
  });
  return last;
}

/// Whether `alloc` or a view of it is yielded out of the region it lives in
/// (an scf.yield, not the function's return).
static bool escapesRegion(memref::AllocOp alloc) {
  return anyAliasUse(alloc, [](OpOperand &use) {
    Operation *user = use.getOwner();
    return user->hasTrait<OpTrait::ReturnLike>() && !isa<func::ReturnOp>(user);
  });
}

struct PlanMemoryPass : dlc::impl::PlanMemoryBase<PlanMemoryPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    Block &entry = func.getBody().front();
    DenseMap<Operation *, int64_t> index;
    int64_t pos = 0;
    for (Operation &op : entry)
      index[&op] = pos++;

    DataLayout layout = DataLayout::closest(func);
    SmallVector<Buffer> buffers;
    SmallVector<Operation *> deallocs;
    WalkResult walk = func.walk([&](Operation *op) -> WalkResult {
      if (isa<memref::DeallocOp>(op)) {
        deallocs.push_back(op);
        return WalkResult::advance();
      }
      auto alloc = dyn_cast<memref::AllocOp>(op);
      if (!alloc)
        return WalkResult::advance();
      MemRefType type = alloc.getType();
      if (!type.hasStaticShape() || !type.getLayout().isIdentity()) {
        alloc.emitError("cannot place a dynamically shaped or strided "
                        "allocation in the static workspace");
        return WalkResult::interrupt();
      }
      // An allocation inside a loop (a recurrent layer's time steps) is live
      // for the whole top-level op that holds it, and each iteration reuses
      // its slot; so it must not carry a value out of its iteration.
      if (alloc->getBlock() != &entry && escapesRegion(alloc)) {
        alloc.emitError("cannot place an allocation that a loop carries "
                        "out of its iteration in the static workspace");
        return WalkResult::interrupt();
      }
      Buffer b;
      b.alloc = alloc;
      b.start = topLevelIndex(alloc, entry, index);
      b.end = std::max(b.start, lastUse(alloc, entry, index));
      int64_t bytes = static_cast<int64_t>(
          layout.getTypeSize(type.getElementType()).getFixedValue());
      b.size = std::max<int64_t>(1, bytes * type.getNumElements());
      b.size = llvm::alignTo(b.size, alignment);
      buffers.push_back(b);
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();
    for (Operation *op : deallocs)
      op->erase();

    // First-fit, largest first; ties by start so the result is deterministic.
    SmallVector<Buffer *> order;
    for (Buffer &b : buffers)
      order.push_back(&b);
    std::stable_sort(order.begin(), order.end(), [](Buffer *a, Buffer *b) {
      if (a->size != b->size)
        return a->size > b->size;
      return a->start < b->start;
    });
    int64_t total = 0;
    SmallVector<Buffer *> placed;
    for (Buffer *b : order) {
      SmallVector<Buffer *> live;
      for (Buffer *p : placed)
        if (p->start <= b->end && b->start <= p->end)
          live.push_back(p);
      llvm::sort(live, [](Buffer *x, Buffer *y) { return x->offset < y->offset; });
      int64_t offset = 0;
      for (Buffer *p : live) {
        if (offset + b->size <= p->offset)
          break;
        offset = std::max(offset, p->offset + p->size);
      }
      b->offset = offset;
      total = std::max(total, offset + b->size);
      placed.push_back(b);
    }

    OpBuilder builder(func.getContext());
    Type wsType = MemRefType::get({total}, builder.getI8Type());
    unsigned wsIndex = func.getNumArguments();
    if (failed(func.insertArgument(wsIndex, wsType,
                                   builder.getDictionaryAttr({}),
                                   func.getLoc())))
      return signalPassFailure();
    Value workspace = func.getArgument(wsIndex);
    for (Buffer &b : buffers) {
      builder.setInsertionPoint(b.alloc);
      Location loc = b.alloc.getLoc();
      Value offset = arith::ConstantIndexOp::create(builder, loc, b.offset);
      Value view = memref::ViewOp::create(builder, loc, b.alloc.getType(),
                                          workspace, offset, ValueRange{});
      b.alloc.replaceAllUsesWith(view);
      b.alloc.erase();
    }
    func->setAttr("dlc.workspace_size", builder.getI64IntegerAttr(total));
  }
};

} // namespace

//===- BoundInsertChains.cpp - bounded tensor.insert_slice chains ---------===//
//
// See Passes.td (BoundInsertChains) for the contract. A chain is split into
// boxes only where the inserted regions tile the box exactly, so the result
// is equal element for element; anything else is left as it is.
//
//===----------------------------------------------------------------------===//
#include "passes/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"

namespace mlir::dlc {
#define GEN_PASS_DEF_BOUNDINSERTCHAINS
#include "passes/Transforms/Passes.h.inc"
} // namespace mlir::dlc

using namespace mlir;

namespace {

/// The static region of one insert; nullopt if any part is dynamic or a
/// stride is not 1.
struct Region {
  SmallVector<int64_t> offsets, sizes;
};
std::optional<Region> regionOf(tensor::InsertSliceOp op) {
  if (!op.hasUnitStride() || !op.getSourceType().hasStaticShape())
    return std::nullopt;
  Region r;
  for (OpFoldResult o : op.getMixedOffsets()) {
    std::optional<int64_t> c = getConstantIntValue(o);
    if (!c)
      return std::nullopt;
    r.offsets.push_back(*c);
  }
  for (OpFoldResult s : op.getMixedSizes()) {
    std::optional<int64_t> c = getConstantIntValue(s);
    if (!c)
      return std::nullopt;
    r.sizes.push_back(*c);
  }
  return r;
}

/// If `ops` insert regions equal in all dimensions but one and contiguous
/// along it, in order, returns that dimension and the box they cover.
std::optional<std::pair<int64_t, Region>>
boxOf(MutableArrayRef<tensor::InsertSliceOp> ops) {
  SmallVector<Region> rs;
  for (auto op : ops) {
    std::optional<Region> r = regionOf(op);
    if (!r || r->offsets.size() != ops.front().getType().getShape().size())
      return std::nullopt;
    rs.push_back(*r);
  }
  if (rs.size() == 1)
    return std::make_pair(int64_t(0), rs.front()); // Its own box.
  int64_t rank = rs.front().offsets.size(), axis = -1;
  for (int64_t d = 0; d < rank; ++d)
    for (const Region &r : rs)
      if (r.offsets[d] != rs.front().offsets[d] ||
          r.sizes[d] != rs.front().sizes[d]) {
        if (axis >= 0 && axis != d)
          return std::nullopt;
        axis = d;
      }
  if (axis < 0)
    return std::nullopt; // All the same region: nothing to tile.
  for (size_t i = 1; i < rs.size(); ++i)
    if (rs[i].offsets[axis] != rs[i - 1].offsets[axis] + rs[i - 1].sizes[axis])
      return std::nullopt;
  Region box = rs.front();
  box.sizes[axis] = rs.back().offsets[axis] + rs.back().sizes[axis] -
                    box.offsets[axis];
  return std::make_pair(axis, box);
}

/// Follows single-use insert_slice chains from a tensor.empty.
SmallVector<tensor::InsertSliceOp> chainFrom(tensor::InsertSliceOp head) {
  SmallVector<tensor::InsertSliceOp> chain{head};
  while (chain.back()->hasOneUse()) {
    auto next = dyn_cast<tensor::InsertSliceOp>(*chain.back()->user_begin());
    if (!next || next.getDest() != chain.back().getResult())
      break;
    chain.push_back(next);
  }
  return chain;
}

struct BoundInsertChainsPass
    : dlc::impl::BoundInsertChainsBase<BoundInsertChainsPass> {
  using Base::Base;

  /// Rewrites one chain; true if anything changed.
  bool split(MutableArrayRef<tensor::InsertSliceOp> chain) {
    int64_t g = std::max<int64_t>(group, 2);
    if (int64_t(chain.size()) <= g)
      return false;
    // Check every group first so a chain is split entirely or not at all.
    SmallVector<std::pair<int64_t, Region>> boxes;
    for (size_t i = 0; i < chain.size(); i += g) {
      auto box = boxOf(chain.slice(i, std::min<size_t>(g, chain.size() - i)));
      if (!box)
        return false;
      boxes.push_back(*box);
    }
    Value outer = chain.front().getDest();
    auto type = cast<RankedTensorType>(outer.getType());
    for (size_t k = 0; k < boxes.size(); ++k) {
      auto [axis, box] = boxes[k];
      MutableArrayRef<tensor::InsertSliceOp> ops =
          chain.slice(k * g, std::min<size_t>(g, chain.size() - k * g));
      OpBuilder b(ops.back());
      Location loc = ops.back().getLoc();
      Value inner = tensor::EmptyOp::create(b, loc, box.sizes,
                                            type.getElementType());
      for (tensor::InsertSliceOp op : ops) {
        Region r = *regionOf(op);
        SmallVector<int64_t> offs(r.offsets.size(), 0);
        offs[axis] = r.offsets[axis] - box.offsets[axis];
        SmallVector<int64_t> ones(offs.size(), 1);
        inner = tensor::InsertSliceOp::create(
            b, op.getLoc(), op.getSource(), inner,
            getAsIndexOpFoldResult(b.getContext(), offs),
            getAsIndexOpFoldResult(b.getContext(), r.sizes),
            getAsIndexOpFoldResult(b.getContext(), ones));
      }
      SmallVector<int64_t> ones(box.offsets.size(), 1);
      outer = tensor::InsertSliceOp::create(
          b, loc, inner, outer,
          getAsIndexOpFoldResult(b.getContext(), box.offsets),
          getAsIndexOpFoldResult(b.getContext(), box.sizes),
          getAsIndexOpFoldResult(b.getContext(), ones));
    }
    chain.back().getResult().replaceAllUsesWith(outer);
    for (tensor::InsertSliceOp op : llvm::reverse(chain))
      op->erase();
    return true;
  }

  void runOnOperation() override {
    bool changed = true;
    while (changed) {
      changed = false;
      SmallVector<SmallVector<tensor::InsertSliceOp>> chains;
      getOperation().walk([&](tensor::InsertSliceOp op) {
        if (op.getDest().getDefiningOp<tensor::EmptyOp>())
          chains.push_back(chainFrom(op));
      });
      for (auto &chain : chains)
        changed |= split(chain);
    }
  }
};
} // namespace

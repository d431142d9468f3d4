//===- VectorizeKernels.cpp - vector code for the remaining linalg ops ----===//
//
// What the contraction kernels leave (softmax and normalization steps,
// activations that found no contraction to fuse into, broadcasts, fills,
// copies) reached LLVM as scalar loop nests, and LLVM vectorized few of them:
// their operands live in one workspace buffer, so it cannot prove that a
// load and a store do not overlap, and it picked outer loops for the rest
// (scatters). This pass states the vectorization in MLIR instead: every loop
// but the innermost runs by 1, the innermost (contiguous in every operand
// that uses it) by a multiple of the vector width, with vector reads, the
// body's arithmetic on vectors and vector writes.
//
//===----------------------------------------------------------------------===//
#include "targets/CPU/Lanewise.h"
#include "targets/CPU/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::dlc {
#define GEN_PASS_DEF_VECTORIZEKERNELS
#include "targets/CPU/Passes.h.inc"
} // namespace mlir::dlc

using namespace mlir;

namespace {

/// How many dimensions of `v` come after dimension `pos`, if all of them
/// have size 1 (0 when there are none, or one is not a unit dimension).
unsigned trailingUnitDims(Value v, unsigned pos) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  if (!t || pos >= t.getRank())
    return 0;
  for (int64_t d = pos + 1; d < t.getRank(); ++d)
    if (t.getDimSize(d) != 1)
      return 0;
  return t.getRank() - pos - 1;
}

/// Input `src` with map `map` as read along loop `inner`: when unit
/// dimensions follow the loop's dimension, they are folded into it by a
/// collapse_shape (a view) and dropped from the map, so that a 1-D vector
/// access reads along the loop. Call outside the loops.
std::pair<Value, AffineMap> foldTrailingUnitDims(OpBuilder &b, Location loc,
                                                 Value src, AffineMap map,
                                                 unsigned inner) {
  std::optional<unsigned> at =
      map.getResultPosition(getAffineDimExpr(inner, map.getContext()));
  if (!at || *at + 1 == map.getNumResults() ||
      trailingUnitDims(src, *at) == 0)
    return {src, map};
  auto t = cast<RankedTensorType>(src.getType());
  SmallVector<ReassociationIndices> groups;
  for (unsigned d = 0; d < *at; ++d)
    groups.push_back({static_cast<int64_t>(d)});
  ReassociationIndices last;
  for (int64_t d = *at; d < t.getRank(); ++d)
    last.push_back(d);
  groups.push_back(last);
  Value collapsed = tensor::CollapseShapeOp::create(b, loc, src, groups);
  return {collapsed, map.getSliceMap(0, *at + 1)};
}

/// The vector length along loop `inner` of `op` (its innermost), or 0 if it
/// does not vectorize along it: every operand that uses the loop must have
/// it as its last dimension (the contiguous one), an operand that does not
/// use it is broadcast, all elements are 8 bits or wider, and the extent is
/// a multiple of the length: up to four vectors, or a half or quarter
/// vector for narrow rows (e.g. 24 channels: 8 lanes).
int64_t vectorLength(linalg::LinalgOp op, unsigned inner, int64_t lanes) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  for (OpOperand &operand : op->getOpOperands()) {
    AffineMap map = op.getMatchingIndexingMap(&operand);
    if (!map.isProjectedPermutation(/*allowZeroInResults=*/true))
      return 0;
    // Sub-byte elements (i1 tensors are stored a byte each) would be read
    // and written as packed bits by vector accesses.
    Type elt = getElementTypeOrSelf(operand.get().getType());
    if (!elt.isIntOrFloat() || elt.getIntOrFloatBitWidth() < 8)
      return 0;
    if (!map.isFunctionOfDim(inner))
      continue;
    // The loop must be the operand's last dimension (a 1-D vector access
    // reads along the last dimension). An input may have unit dimensions
    // after it: it is read through a collapse_shape that folds them away
    // (trailingUnitDims); an output may not.
    std::optional<unsigned> at =
        map.getResultPosition(getAffineDimExpr(inner, op.getContext()));
    if (!at || (*at + 1 != map.getNumResults() &&
                (op.isDpsInit(&operand) ||
                 trailingUnitDims(operand.get(), *at) == 0)))
      return 0;
  }
  int64_t extent = ranges[inner];
  for (int64_t v : {4 * lanes, 2 * lanes, lanes, lanes / 2, lanes / 4})
    if (v >= 4 && extent % v == 0)
      return v;
  return 0;
}

/// The innermost loop of `op` that has more than one iteration (the loops
/// after it all have one), or the last loop.
unsigned innerLoop(linalg::LinalgOp op) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  unsigned inner = ranges.size() - 1;
  while (inner > 0 && ranges[inner] == 1)
    --inner;
  return inner;
}

/// The vector length for an all-parallel op's innermost loop, or 0.
int64_t innerVectorLength(linalg::LinalgOp op, int64_t lanes) {
  if (!op.hasPureTensorSemantics() || op.hasDynamicShape() ||
      op.getNumLoops() == 0 || op.getNumReductionLoops() != 0)
    return 0;
  return vectorLength(op, innerLoop(op), lanes);
}

/// Whether the body of `op` is scalar arithmetic this pass can apply to
/// vectors lane by lane (no linalg.index, no region-carrying ops).
bool hasLanewiseBody(linalg::LinalgOp op) {
  for (Operation &inner : op.getBlock()->without_terminator()) {
    if (inner.getNumRegions() || inner.getNumResults() != 1 ||
        isa<linalg::IndexOp>(inner) ||
        !isa<arith::ArithDialect, math::MathDialect>(inner.getDialect()))
      return false;
    for (Type t : inner.getResultTypes())
      if (!t.isIntOrIndexOrFloat() || t.isIndex())
        return false;
  }
  return true;
}

/// The indices an operand with indexing map `map` is read at, given the
/// loops' induction variables (a constant-0 result reads index 0).
SmallVector<Value> mapIndices(OpBuilder &b, Location loc, AffineMap map,
                              ArrayRef<Value> ivs) {
  SmallVector<Value> at;
  for (AffineExpr e : map.getResults())
    at.push_back(isa<AffineDimExpr>(e)
                     ? ivs[cast<AffineDimExpr>(e).getPosition()]
                     : arith::ConstantIndexOp::create(b, loc, 0).getResult());
  return at;
}

/// A `v`-lane vector of operand `src` (indexing map `map`) at the loops'
/// position: read along loop `inner` when the operand uses it, else its
/// element there (or the scalar itself) broadcast to every lane.
Value readLanes(OpBuilder &b, Location loc, Value src, AffineMap map,
                ArrayRef<Value> ivs, unsigned inner, int64_t v) {
  Type elt = getElementTypeOrSelf(src.getType());
  VectorType vt = VectorType::get({v}, elt);
  if (!isa<RankedTensorType>(src.getType())) // A scalar input.
    return vector::BroadcastOp::create(b, loc, vt, src);
  if (map.isFunctionOfDim(inner))
    return vector::TransferReadOp::create(
        b, loc, vt, src, mapIndices(b, loc, map, ivs),
        ub::PoisonOp::create(b, loc, elt), ArrayRef<bool>{true});
  return vector::BroadcastOp::create(
      b, loc, vt,
      tensor::ExtractOp::create(b, loc, src, mapIndices(b, loc, map, ivs)));
}

/// Rewrites `op` as a loop nest over its outer loops (by 1) and its innermost
/// loop (by `v`), whose body reads a `v`-lane vector from every operand that
/// uses the innermost loop (broadcasting a scalar from the others), applies
/// the body's ops to vectors and writes one vector per output. Stated
/// directly rather than through tiling + linalg::vectorize: the tiles would
/// keep leading unit dims (1x..x1xv), which LLVM 22's unit-dim patterns do
/// not drop on tensors, and n-D vectors do not lower to single accesses.
void vectorizeOp(RewriterBase &b, linalg::LinalgOp op, int64_t v) {
  Location loc = op.getLoc();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  unsigned n = ranges.size(), inner = innerLoop(op);
  auto idx = [&](int64_t x) {
    return arith::ConstantIndexOp::create(b, loc, x).getResult();
  };
  SmallVector<Value> ivs;
  SmallVector<scf::ForOp> loops;
  SmallVector<Value> outs(op.getDpsInits().begin(), op.getDpsInits().end());
  b.setInsertionPoint(op);
  SmallVector<std::pair<Value, AffineMap>> inputs;
  for (OpOperand *operand : op.getDpsInputOperands())
    inputs.push_back(foldTrailingUnitDims(
        b, loc, operand->get(), op.getMatchingIndexingMap(operand), inner));
  for (unsigned d = 0; d < n; ++d) {
    auto f = scf::ForOp::create(b, loc, idx(0), idx(ranges[d]),
                                idx(d == inner ? v : 1), outs);
    b.setInsertionPointToStart(f.getBody());
    ivs.push_back(f.getInductionVar());
    outs.assign(f.getRegionIterArgs().begin(), f.getRegionIterArgs().end());
    loops.push_back(f);
  }
  Block *body = op.getBlock();
  IRMapping map;
  for (OpOperand &operand : op->getOpOperands()) {
    unsigned i = operand.getOperandNumber();
    Value arg = body->getArgument(i);
    if (arg.use_empty())
      continue;
    auto [src, m] =
        op.isDpsInit(&operand)
            ? std::make_pair(outs[i - op.getNumDpsInputs()],
                             op.getMatchingIndexingMap(&operand))
            : inputs[i];
    map.map(arg, readLanes(b, loc, src, m, ivs, inner, v));
  }
  auto vectorOf = [&](Value x) {
    return dlc::lanewiseValue(b, loc, map, x, v);
  };
  dlc::applyLanewise(b, loc, *body, map, v);
  auto yield = cast<linalg::YieldOp>(body->getTerminator());
  SmallVector<Value> written;
  for (auto [i, out] : llvm::enumerate(outs)) {
    AffineMap m = op.getIndexingMapMatchingResult(op->getResult(i));
    written.push_back(vector::TransferWriteOp::create(
                          b, loc, vectorOf(yield.getOperand(i)), out,
                          mapIndices(b, loc, m, ivs), ArrayRef<bool>{true})
                          .getResult());
  }
  for (int d = n - 1; d >= 0; --d) {
    b.setInsertionPointToEnd(loops[d].getBody());
    scf::YieldOp::create(b, loc, written);
    written.assign(loops[d].getResults().begin(), loops[d].getResults().end());
  }
  b.replaceOp(op, written);
}

/// The vector kind of a float reduction's combining op, if it is one.
std::optional<vector::CombiningKind> combiningKind(Operation *op) {
  if (isa<arith::AddFOp>(op))
    return vector::CombiningKind::ADD;
  if (isa<arith::MulFOp>(op))
    return vector::CombiningKind::MUL;
  if (isa<arith::MaximumFOp>(op))
    return vector::CombiningKind::MAXIMUMF;
  if (isa<arith::MinimumFOp>(op))
    return vector::CombiningKind::MINIMUMF;
  if (isa<arith::MaxNumFOp>(op))
    return vector::CombiningKind::MAXNUMF;
  if (isa<arith::MinNumFOp>(op))
    return vector::CombiningKind::MINNUMF;
  return std::nullopt;
}

/// For a reduction along the innermost loop only (a softmax's max and sum,
/// a normalization's mean and variance) whose body is lanewise arithmetic
/// ending in one float combining op with the output: that op, else null.
Operation *innerReductionCombiner(linalg::GenericOp op) {
  if (!op.hasPureTensorSemantics() || op.hasDynamicShape() ||
      op.getNumDpsInits() != 1 || op.getNumLoops() < 1)
    return nullptr;
  // One reduction loop of more than one iteration, the innermost such loop.
  unsigned inner = innerLoop(op);
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  for (auto [d, it] : llvm::enumerate(op.getIteratorTypesArray()))
    if (it == utils::IteratorType::reduction && ranges[d] > 1 && d != inner)
      return nullptr;
  if (op.getIteratorTypesArray()[inner] != utils::IteratorType::reduction)
    return nullptr;
  Block *body = op.getBlock();
  Value out = body->getArguments().back();
  auto yield = cast<linalg::YieldOp>(body->getTerminator());
  Operation *comb = yield.getOperand(0).getDefiningOp();
  if (!comb || comb->getBlock() != body || !combiningKind(comb) ||
      !out.hasOneUse() || *out.getUsers().begin() != comb ||
      comb->getOperand(0) == comb->getOperand(1) ||
      !comb->getResult(0).hasOneUse())
    return nullptr;
  return comb;
}

/// Rewrites a reduction along the innermost loop as a loop nest over the
/// other loops whose body reduces the row with a `v`-lane vector
/// accumulator (starting at the combining op's neutral element), then
/// combines the lanes in order with the output's initial value
/// (vector.reduction). The row's sum is thus reassociated: lane j adds
/// elements j, j + v, ... in order; the result is the same on every run.
void vectorizeReduction(RewriterBase &b, linalg::GenericOp op, Operation *comb,
                        int64_t v) {
  Location loc = op.getLoc();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  unsigned n = ranges.size(), inner = innerLoop(op);
  auto idx = [&](int64_t x) {
    return arith::ConstantIndexOp::create(b, loc, x).getResult();
  };
  b.setInsertionPoint(op);
  SmallVector<std::pair<Value, AffineMap>> inputs;
  for (OpOperand *operand : op.getDpsInputOperands())
    inputs.push_back(foldTrailingUnitDims(
        b, loc, operand->get(), op.getMatchingIndexingMap(operand), inner));
  SmallVector<Value> ivs(n);
  SmallVector<scf::ForOp> loops;
  Value out = op.getDpsInits()[0];
  for (unsigned d = 0; d < n; ++d) { // The other loops, outside (by 1).
    if (d == inner)
      continue;
    auto f = scf::ForOp::create(b, loc, idx(0), idx(ranges[d]), idx(1),
                                ValueRange{out});
    b.setInsertionPointToStart(f.getBody());
    ivs[d] = f.getInductionVar();
    out = f.getRegionIterArgs()[0];
    loops.push_back(f);
  }
  Type elt = getElementTypeOrSelf(out.getType());
  VectorType vt = VectorType::get({v}, elt);
  AffineMap outMap = op.getIndexingMapMatchingResult(op->getResult(0));
  Value init =
      tensor::ExtractOp::create(b, loc, out, mapIndices(b, loc, outMap, ivs));
  Value neutral = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(vt, *arith::getNeutralElement(comb)));
  auto k = scf::ForOp::create(b, loc, idx(0), idx(ranges[inner]), idx(v),
                              ValueRange{neutral});
  b.setInsertionPointToStart(k.getBody());
  ivs[inner] = k.getInductionVar();
  Block *body = op.getBlock();
  IRMapping map;
  for (OpOperand *operand : op.getDpsInputOperands()) {
    unsigned i = operand->getOperandNumber();
    Value arg = body->getArgument(i);
    if (!arg.use_empty())
      map.map(arg, readLanes(b, loc, inputs[i].first, inputs[i].second, ivs,
                             inner, v));
  }
  map.map(body->getArguments().back(), k.getRegionIterArgs()[0]);
  dlc::applyLanewise(b, loc, *body, map, v);
  scf::YieldOp::create(b, loc, map.lookup(comb->getResult(0)));
  b.setInsertionPointAfter(k);
  Value r = vector::ReductionOp::create(b, loc, *combiningKind(comb),
                                        k.getResult(0), init);
  Value written =
      tensor::InsertOp::create(b, loc, r, out, mapIndices(b, loc, outMap, ivs))
          .getResult();
  for (int d = static_cast<int>(loops.size()) - 1; d >= 0; --d) {
    b.setInsertionPointToEnd(loops[d].getBody());
    scf::YieldOp::create(b, loc, written);
    written = loops[d].getResult(0);
  }
  b.replaceOp(op, written);
}

struct VectorizeKernelsPass
    : dlc::impl::VectorizeKernelsBase<VectorizeKernelsPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    int64_t lanes = std::max<int64_t>(1, vectorBits / 32);
    SmallVector<std::pair<linalg::LinalgOp, int64_t>> ops;
    func.walk([&](linalg::LinalgOp op) {
      if (!isa<linalg::GenericOp, linalg::FillOp, linalg::CopyOp,
               linalg::MapOp, linalg::TransposeOp, linalg::BroadcastOp>(
              op.getOperation()) ||
          !hasLanewiseBody(op))
        return;
      if (int64_t v = innerVectorLength(op, lanes))
        ops.push_back({op, v});
    });
    SmallVector<std::tuple<linalg::GenericOp, Operation *, int64_t>> reds;
    func.walk([&](linalg::GenericOp op) {
      Operation *comb = innerReductionCombiner(op);
      if (!comb || !hasLanewiseBody(op))
        return;
      if (int64_t v = vectorLength(op, innerLoop(op), lanes))
        reds.push_back({op, comb, v});
    });
    IRRewriter rewriter(&getContext());
    for (auto [op, v] : ops)
      vectorizeOp(rewriter, op, v);
    for (auto [op, comb, v] : reds)
      vectorizeReduction(rewriter, op, comb, v);
  }
};

} // namespace

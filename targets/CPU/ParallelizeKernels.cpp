//===- ParallelizeKernels.cpp - parallel tile loops for linalg kernels ----===//
//
// The contraction kernels carry their own parallel tile loop; everything else
// (elementwise maps, softmax and norm reductions, transposes, pooling) would
// run on one thread and bound the speed-up of a second core. Tiling each such
// op by 1 along its outermost parallel loop gives the same parallel loop form,
// so the rest of the pipeline (outlining, env->parallel_for) is shared.
//
//===----------------------------------------------------------------------===//
#include "targets/CPU/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::dlc {
#define GEN_PASS_DEF_PARALLELIZEKERNELS
#include "targets/CPU/Passes.h.inc"
} // namespace mlir::dlc

using namespace mlir;

namespace {

struct ParallelizeKernelsPass
    : dlc::impl::ParallelizeKernelsBase<ParallelizeKernelsPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    SmallVector<linalg::LinalgOp> ops;
    for (Operation &op : func.getBody().front())
      if (auto lin = dyn_cast<linalg::LinalgOp>(op))
        if (lin.hasPureTensorSemantics() && !lin.hasDynamicShape())
          ops.push_back(lin);
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : ops) {
      SmallVector<int64_t> ranges = op.getStaticLoopRanges();
      int64_t total = 1;
      for (int64_t r : ranges)
        total *= r;
      if (total < minElements)
        continue;
      SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
      int64_t dim = -1;
      for (int64_t d = 0; d < static_cast<int64_t>(ranges.size()); ++d)
        if (iters[d] == utils::IteratorType::parallel && ranges[d] >= 2) {
          dim = d;
          break;
        }
      if (dim < 0)
        continue;
      SmallVector<OpFoldResult> sizes(ranges.size(), rewriter.getIndexAttr(0));
      sizes[dim] = rewriter.getIndexAttr(1);
      scf::SCFTilingOptions options;
      options.setTileSizes(sizes);
      rewriter.setInsertionPoint(op);
      FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
          rewriter, cast<TilingInterface>(op.getOperation()), options);
      if (failed(tiled) || tiled->loops.size() != 1)
        continue;
      tiled->loops.front()->setAttr("dlc.parallel", rewriter.getUnitAttr());
      rewriter.replaceOp(op, tiled->replacements);
    }
  }
};

} // namespace

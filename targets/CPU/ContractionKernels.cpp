//===- ContractionKernels.cpp - tiled conv/matmul kernels with epilogues --===//
//
// The CPU kernel strategy for the hot contractions: convolutions (dense and
// depthwise) and matrix products become one register-tiled, explicitly
// vectorized loop nest each, with their elementwise consumer applied to the
// accumulators before the single write of the output, and constant weights
// packed into panels at compile time.
//
// Why emitted by hand instead of through upstream tiling + vectorization: the
// shape of the micro-kernel (mr rows x nv vectors of accumulators carried in
// registers over the whole reduction, the reduction as the kernel's own nested
// loops over (kh, kw*c) for convolutions) is what reaches the FMA peak, and
// stating it directly keeps the generated code and its register budget
// predictable per target; linalg's tile-and-vectorize would need the same
// decisions spelled as a transform script plus conv-specific decompositions.
// The same emitter serves AVX-512, SSE2 and NEON: only the lane count and the
// register budget change.
//
//===----------------------------------------------------------------------===//
#include "targets/CPU/Contraction.h"
#include "targets/CPU/Passes.h"

namespace mlir::dlc {
#define GEN_PASS_DEF_CONTRACTIONKERNELS
#include "targets/CPU/Passes.h.inc"
} // namespace mlir::dlc

using namespace mlir;
using namespace mlir::dlc::cpu;

namespace {

struct ContractionKernelsPass
    : dlc::impl::ContractionKernelsBase<ContractionKernelsPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    int64_t lanes = std::max<int64_t>(1, vectorBits / 32);
    SmallVector<Operation *> ops;
    func.walk([&](Operation *op) {
      // Only contractions: the epilogues, reshapes and fills that rewriting
      // erases are never in this list.
      auto g = dyn_cast<linalg::GenericOp>(op);
      SmallVector<Operation *> prologue;
      if ((g && g.getNumDpsInputs() == 2 && g.getNumDpsInits() == 1 &&
           g.getRegion().front().getNumArguments() == 3 &&
           isContractionBody(g.getRegion().front(), prologue)) ||
          isa<linalg::BatchMatmulOp, linalg::MatmulOp,
              linalg::Conv2DNhwcFhwcOp, linalg::DepthwiseConv2DNhwcHwcOp,
              linalg::DepthwiseConv2DNhwcHwcQOp,
              linalg::DepthwiseConv2DNhwcHwcmOp,
              linalg::DepthwiseConv2DNhwcHwcmQOp>(op))
        ops.push_back(op);
    });
    if (bf16Dot != "none" && bf16Dot != "vdpbf16ps" && bf16Dot != "bfdot" &&
        bf16Dot != "bfmmla") {
      func.emitError("unknown bf16-dot '") << bf16Dot << "'";
      return signalPassFailure();
    }
    // Which left-hand sides hold bf16 values, seen before any kernel
    // replaces their producers.
    llvm::SmallPtrSet<Operation *, 16> bf16Lhs;
    if (bf16Dot != "none")
      for (Operation *op : ops)
        if (isBF16Exact(op->getOperand(0)))
          bf16Lhs.insert(op);
    unsigned counter = 0;
    for (Operation *op : ops) {
      std::optional<Contraction> c = matchContraction(op);
      if (!c)
        continue;
      Value result = op->getResult(0);
      std::optional<Epilogue> epi =
          matchEpilogue(result, c->batch * c->m, c->n);
      Operation *last = epi ? epi->op.getOperation() : op;
      std::optional<PadTarget> pad;
      if (findVecDim(cast<RankedTensorType>(last->getResult(0).getType())
                         .getShape(),
                     c->n) ==
          cast<RankedTensorType>(last->getResult(0).getType()).getRank() - 1)
        pad = matchPadTarget(last->getResult(0));
      OpBuilder b(last);
      KernelEmitter emitter(b, op->getLoc(), *c, epi, pad, lanes, registers,
                            rowGroups);
      if (bf16Dot != "none")
        emitter.useBF16Pairs(bf16Dot, bf16Lhs.count(op));
      emitter.storeBF16Weights(bf16Weights);
      std::vector<float> filter;
      if (const WinogradVariant *v = winograd ? winogradVariant(*c) : nullptr)
        if (constantValues(c->rhs, filter))
          emitter.useWinograd(*v, std::move(filter));
      Value replacement = emitter.emit(func.getSymName(), counter);
      if (pad) {
        pad->op.getResult().replaceAllUsesWith(replacement);
        pad->op.erase();
      } else {
        last->getResult(0).replaceAllUsesWith(replacement);
      }
      if (epi) {
        epi->op.erase();
        for (Operation *r : llvm::reverse(epi->reshapes))
          r->erase();
      }
      Operation *init = c->init.getDefiningOp();
      Operation *lhsDef = op->getOperand(0).getDefiningOp();
      op->erase();
      // The input crop that the kernel reads through in place.
      if (isa_and_nonnull<tensor::ExtractSliceOp>(lhsDef) &&
          lhsDef->use_empty())
        lhsDef->erase();
      // The fill or bias broadcast that only fed the accumulators.
      if (init && init->use_empty() && isa<linalg::LinalgOp>(init))
        init->erase();
    }
  }
};

} // namespace


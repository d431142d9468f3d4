//===- KernelEmitter.cpp - the register-tiled contraction loop nest -------===//
//
// Writes one contraction with its epilogue as a loop nest on tensors: tiles of
// rows x vectors of output channels, accumulators held in registers over the
// (cache-blocked) reduction, constant weights packed at compile time, one
// write per output vector. Targets differ only in lanes and registers.
//
//===----------------------------------------------------------------------===//
#include "targets/CPU/Contraction.h"
#include "targets/CPU/Lanewise.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <algorithm>
#include <map>

using namespace mlir;

namespace mlir::dlc::cpu {

int64_t KernelEmitter::slideRows(int64_t nv) const {
  int64_t most = std::clamp<int64_t>((registers - c.kw - 2) / nv, 1,
                                     std::min<int64_t>(8, c.ow));
  // Relative costs per vector: a product 1, an int8 load 2 (load, widen,
  // convert) and a float one 1/2 (it folds into the FMA when not reused),
  // the epilogue its op count.
  int64_t epiOps = 0;
  if (epi) {
    linalg::GenericOp g = epi->op;
    epiOps = std::distance(g.getRegion().front().without_terminator().begin(),
                           g.getRegion().front().without_terminator().end());
  }
  double load = c.int8 ? 2.0 : 0.5;
  int64_t best = 1;
  double bestCost = 0;
  for (int64_t mr = 1; mr <= most; ++mr) {
    int64_t blocks = (c.ow + mr - 1) / mr;
    int64_t loads = (mr - 1) * c.sw + (c.kw - 1) * c.dw + 1;
    double cost = double(blocks) *
                  (double(c.kh) * (double(mr * c.kw) + load * double(loads)) +
                   double(mr * (epiOps + 1)));
    if (mr == 1 || cost <= bestCost) {
      best = mr;
      bestCost = cost;
    }
  }
  return best;
}

SmallVector<Segment> KernelEmitter::segments() const {
  int64_t nvMax = registers >= 32 ? 4 : 2;
  int64_t vecs = (c.n + lanes - 1) / lanes;
  int64_t nv = std::min(nvMax, vecs);
  int64_t nr = nv * lanes;
  SmallVector<Segment> segs;
  // bfmmla works on row pairs.
  auto rowsFor = [&](int64_t nv) {
    int64_t mr = tileRows(nv);
    return pairK == 4 ? std::max<int64_t>(2, mr & ~int64_t(1)) : mr;
  };
  int64_t full = c.n / nr;
  if (full)
    segs.push_back({0, full, nv, rowsFor(nv), 0, true});
  int64_t rest = c.n - full * nr;
  if (rest) {
    int64_t nvt = (rest + lanes - 1) / lanes;
    segs.push_back({full * nr, 1, nvt, rowsFor(nvt), full * c.k * nr,
                    rest % lanes == 0});
  }
  return segs;
}

/// Packs the constant right-hand side as [panel][k][nv * lanes] per segment,
/// zero-padded past N. Returns null if it is not a constant.
Value KernelEmitter::packWeights(ArrayRef<Segment> segs, StringRef name) {
  std::vector<float> src;
  if (!constantValues(c.rhs, src))
    return nullptr;
  // Element (k, n): [K][N] for matrices, [N][K] for filters (F, KH, KW, C),
  // or what a generic contraction's map says.
  bool filter = c.kind == Contraction::Conv;
  auto offset = [&](int64_t k, int64_t n) {
    return c.rhsOffset ? c.rhsOffset(k, n) : filter ? n * c.k + k : k * c.n + n;
  };
  // Separate right-hand sides (a batch matmul's [B][K][N]) are packed one
  // after another.
  if (c.batch > 1 && !isa<linalg::BatchMatmulOp>(c.op))
    return nullptr;
  packedPerBatch = 0;
  for (const Segment &s : segs)
    packedPerBatch += s.panels * c.k * s.nv * lanes;
  int64_t total = packedPerBatch * c.batch;
  bool bf16Values = llvm::none_of(src, [](float x) {
    return llvm::bit_cast<uint32_t>(x) & 0xffffu;
  });
  if (!bf16Values)
    pairK = 0; // The bf16 instructions need bf16 weights.
  halfWeights = pairK == 0 && bf16Weights && bf16Values;
  // Where element (k, column j of panel p) of segment s goes. f32:
  // [panel][k][nr]. bf16 dot products: [panel][k / 2][nr][2], a k pair of
  // each column in one 32-bit lane. bfmmla: [panel][k / 4][nr / 2][2][4],
  // per column pair its two columns' 4 k (the instruction's 2x4 operand).
  auto slot = [&](const Segment &s, int64_t p, int64_t k, int64_t j) {
    int64_t nr = s.nv * lanes;
    if (pairK == 0)
      return s.packedBase + (p * c.k + k) * nr + j;
    int64_t at = pairK == 4 ? (j / 2) * 8 + (j % 2) * 4 + k % 4
                            : j * 2 + k % 2;
    return s.packedBase + (p * c.k + k - k % pairK) * nr + at;
  };
  std::vector<float> packedData(total, 0.0f);
  for (int64_t bt = 0; bt < c.batch; ++bt)
    for (const Segment &s : segs) {
      int64_t nr = s.nv * lanes;
      for (int64_t p = 0; p < s.panels; ++p)
        for (int64_t k = 0; k < c.k; ++k)
          for (int64_t j = 0; j < nr; ++j) {
            int64_t n = s.col0 + p * nr + j;
            if (n < c.n)
              packedData[bt * packedPerBatch + slot(s, p, k, j)] =
                  src[bt * c.k * c.n + offset(k, n)];
          }
    }
  if (pairK || halfWeights) {
    // bf16 values, stored as bf16: half the bytes to read every run.
    std::vector<uint16_t> bits(total);
    for (int64_t i = 0; i < total; ++i)
      bits[i] = static_cast<uint16_t>(llvm::bit_cast<uint32_t>(packedData[i]) >>
                                      16);
    auto type = RankedTensorType::get({total}, b.getBF16Type());
    auto blob = HeapAsmResourceBlob::allocateAndCopyInferAlign(
        ArrayRef<uint16_t>(bits));
    return arith::ConstantOp::create(
        b, loc, DenseResourceElementsAttr::get(type, name, std::move(blob)));
  }
  auto type = RankedTensorType::get({total}, b.getF32Type());
  auto blob = HeapAsmResourceBlob::allocateAndCopyInferAlign(
      ArrayRef<float>(packedData));
  auto attr = DenseResourceElementsAttr::get(type, name, std::move(blob));
  return arith::ConstantOp::create(b, loc, attr);
}

/// An epilogue operand of the output's size and type (a residual) that no
/// later op reads can hold the output: the kernel then reads each of its
/// elements just before overwriting it, in place. Writing into lines it has
/// just read saves the output's read-for-ownership traffic, a third of what
/// a residual 1x1 convolution moves through L3 (onnxruntime fuses its Sum
/// into a convolution the same way). Not for blocked reductions, whose
/// partial sums go through the output, nor for inputs of the function, which
/// belong to the caller.
/// The tensor whose buffer `v` shares, through reshapes and casts.
static Value aliasRoot(Value v) {
  while (Operation *d = v.getDefiningOp()) {
    if (!isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp, tensor::CastOp>(d))
      break;
    v = d->getOperand(0);
  }
  return v;
}

/// Whether an op after `at` in its block reads `v`, directly or through
/// reshapes and casts of it (`skip` and `at` itself excepted).
static bool readAfter(Value v, Operation *at, Operation *skip) {
  for (OpOperand &use : v.getUses()) {
    Operation *user = at->getBlock()->findAncestorOpInBlock(*use.getOwner());
    if (!user)
      return true;
    if (user == at || user == skip)
      continue;
    if (isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp, tensor::CastOp>(
            user)) {
      if (readAfter(user->getResult(0), at, skip))
        return true;
      continue;
    }
    if (!user->isBeforeInBlock(at))
      return true;
  }
  return false;
}

int64_t KernelEmitter::inPlaceOperand(ArrayRef<Segment> segs) const {
  // A sliding depthwise kernel's last block of a row recomputes pixels of
  // the one before, which would read an operand it has overwritten.
  if (!epi || pad || slides())
    return -1;
  for (const Segment &s : segs)
    if (blockRows(s))
      return -1;
  linalg::GenericOp g = epi->op;
  Operation *epiOp = g.getOperation();
  for (auto [i, reader] : llvm::enumerate(epiReaders)) {
    if (!reader || !reader->flat)
      continue;
    auto t = cast<RankedTensorType>(reader->source.getType());
    if (t.getElementType() != outElt ||
        t.getShape() != ArrayRef<int64_t>{c.batch * c.m, c.n})
      continue;
    // The buffer must be a fresh intermediate of this function...
    Value root = aliasRoot(epiOp->getOperand(i));
    Operation *def = root.getDefiningOp();
    if (!def || def->getBlock() != epiOp->getBlock() ||
        isa<arith::ConstantOp, tensor::ExtractSliceOp, tensor::InsertSliceOp>(
            def))
      continue;
    // ... that this kernel reads only here: not as the contraction's
    // operands (they are read while the output is written), not in another
    // epilogue slot...
    bool shared = llvm::any_of(
        ValueRange{c.lhs, c.rhs, c.init},
        [&](Value x) { return aliasRoot(x) == root; });
    for (auto [j, x] : llvm::enumerate(epiOp->getOperands()))
      shared |= j != i && aliasRoot(x) == root;
    // ... and that no later op reads (one-shot bufferization would then
    // write out of place).
    if (!shared &&
        !readAfter(root, epiOp, reader->source.getDefiningOp()))
      return i;
  }
  return -1;
}

Value KernelEmitter::emit(StringRef blobPrefix, unsigned &blobCounter) {
  vt = VectorType::get({lanes}, b.getF32Type());
  auto lhsType = cast<RankedTensorType>(c.lhs.getType());
  outShape = cast<RankedTensorType>(c.op->getResult(0).getType()).getShape();
  outVecDim = findVecDim(outShape, c.n);

  // Operand views, outside the loops.
  if (c.kind == Contraction::Depthwise) {
    lhsFlat = tensor::CollapseShapeOp::create(
        b, loc, RankedTensorType::get({lhsType.getNumElements() / c.c, c.c},
                                      lhsType.getElementType()),
        c.lhs, SmallVector<ReassociationIndices>{{0, 1, 2}, {3}});
    auto wType = RankedTensorType::get({c.kh * c.kw, c.c}, b.getF32Type());
    rhsView = c.int8 ? arith::ConstantOp::create(
                           b, loc, DenseElementsAttr::get(
                                       wType, ArrayRef<float>(c.intWeights)))
                           .getResult()
                     : tensor::CollapseShapeOp::create(
                           b, loc, wType, c.rhs,
                           cast<RankedTensorType>(c.rhs.getType()).getRank() ==
                                   3
                               ? SmallVector<ReassociationIndices>{{0, 1}, {2}}
                               : SmallVector<ReassociationIndices>{{0, 1},
                                                                   {2, 3}})
                           .getResult();
  } else {
    ReassociationIndices all;
    for (int64_t i = 0; i < lhsType.getRank(); ++i)
      all.push_back(i);
    lhsFlat = tensor::CollapseShapeOp::create(
        b, loc, RankedTensorType::get({lhsType.getNumElements()},
                                      b.getF32Type()),
        c.lhs, SmallVector<ReassociationIndices>{all});
  }
  pairK = bf16Group();
  SmallVector<Segment> segs = segments();
  if (c.kind != Contraction::Depthwise) {
    if (winogradFilter.empty())
      packed = packWeights(
          segs, (blobPrefix + "_packed" + Twine(blobCounter)).str());
    if (!winogradFilter.empty()) {
      // The filter is transformed and packed by emitWinograd.
    } else if (packed) {
      ++blobCounter;
      packedBuf = bufferization::ToBufferOp::create(
          b, loc,
          MemRefType::get(cast<RankedTensorType>(packed.getType()).getShape(),
                          cast<RankedTensorType>(packed.getType())
                              .getElementType()),
          packed, /*read_only=*/true);
    } else {
      pairK = 0; // No weights to pack in the instruction's layout.
      // A run-time right-hand side as [batch * K, N].
      auto t = cast<RankedTensorType>(c.rhs.getType());
      rhsView = c.rhs;
      if (!c.rhsReassoc.empty())
        rhsView = tensor::CollapseShapeOp::create(
            b, loc,
            RankedTensorType::get({t.getNumElements() / c.n, c.n},
                                  b.getF32Type()),
            c.rhs, c.rhsReassoc);
      else if (t.getRank() == 3)
        rhsView = tensor::CollapseShapeOp::create(
            b, loc,
            RankedTensorType::get({t.getDimSize(0) * c.k, c.n},
                                  b.getF32Type()),
            c.rhs, SmallVector<ReassociationIndices>{{0, 1}, {2}});
    }
  }

  // The accumulators' initial value: a fill, a broadcast bias, or a tensor.
  Operation *initDef = c.init.getDefiningOp();
  if (c.int8) {
    // Per channel, broadcast along the rows (the init is a zero fill).
    auto t = RankedTensorType::get({c.n}, b.getF32Type());
    initReader = OperandReader::make(
        b, loc,
        arith::ConstantOp::create(
            b, loc, DenseElementsAttr::get(t, ArrayRef<float>(c.intInit))),
        AffineMap::get(outShape.size(), 0, b.getAffineDimExpr(outVecDim)),
        outVecDim);
  } else if (auto fill = dyn_cast_or_null<linalg::FillOp>(initDef)) {
    initScalar = fill.getInputs()[0];
  } else if (auto g = dyn_cast_or_null<linalg::GenericOp>(initDef);
             g && g.getNumDpsInputs() == 1 && g.getNumReductionLoops() == 0 &&
             g.getIndexingMapsArray().back().isIdentity() &&
             g.getRegion().front().getNumArguments() == 2 &&
             isa<linalg::YieldOp>(g.getRegion().front().front()) &&
             g.getRegion().front().front().getOperand(0) ==
                 g.getRegion().front().getArgument(0) &&
             isF32Static(g.getDpsInputs()[0]) &&
             succeeded(vectorPosition(
                 g.getIndexingMapsArray()[0],
                 cast<RankedTensorType>(g.getDpsInputs()[0].getType())
                     .getShape(),
                 outVecDim))) {
    initReader = OperandReader::make(b, loc, g.getDpsInputs()[0],
                                     g.getIndexingMapsArray()[0], outVecDim);
  } else {
    initReader = OperandReader::make(
        b, loc, c.init,
        b.getMultiDimIdentityMap(outShape.size()), outVecDim);
  }
  if (epi) {
    for (OpOperand *in : epi->op.getDpsInputOperands()) {
      if (in->getOperandNumber() == epi->accOperand) {
        epiReaders.push_back(std::nullopt);
        continue;
      }
      epiReaders.push_back(OperandReader::make(
          b, loc, in->get(), epi->op.getMatchingIndexingMap(in),
          findVecDim(cast<RankedTensorType>(epi->op.getResult(0).getType())
                         .getShape(),
                     c.n)));
    }
  }

  outElt = epi ? cast<RankedTensorType>(epi->op.getResult(0).getType())
                    .getElementType()
         : c.int8 ? Type(b.getI32Type())
                  : Type(b.getF32Type());
  Value out;
  if (pad) {
    out = paddedBuffer(b, loc, *pad);
  } else if (winogradFilter.empty() &&
             (inPlace = inPlaceOperand(segs)) >= 0) {
    out = epiReaders[inPlace]->source;
  } else {
    out = tensor::EmptyOp::create(
        b, loc, ArrayRef<int64_t>{c.batch * c.m, c.n}, outElt);
  }
  if (!winogradFilter.empty())
    out = emitWinograd(out, blobPrefix, blobCounter);
  else
    for (const Segment &s : segs)
      out = emitSegment(s, out);
  if (pad)
    return out;

  // Back to the replaced value's shape: rows, then columns + unit dims.
  auto finalType = cast<RankedTensorType>(
      epi ? epi->op.getResult(0).getType() : c.op->getResult(0).getType());
  ArrayRef<int64_t> shape = finalType.getShape();
  int64_t vd = findVecDim(shape, c.n);
  if (shape.size() == 2 && vd == 1)
    return out;
  ReassociationIndices rows, cols;
  for (int64_t i = 0; i < static_cast<int64_t>(shape.size()); ++i)
    (i < vd ? rows : cols).push_back(i);
  return tensor::ExpandShapeOp::create(
      b, loc, finalType, out, SmallVector<ReassociationIndices>{rows, cols});
}

SmallVector<KernelEmitter::Level> KernelEmitter::reductionLevels() const {
  SmallVector<Level> levels;
  switch (c.kind) {
  case Contraction::Gemm:
    levels.push_back({c.k, 1, 1});
    break;
  case Contraction::Conv:
    levels.push_back({c.kh, c.dh * c.w * c.c, c.kw * c.c});
    if (c.dw == 1) { // (kw, c) is contiguous in the input row.
      levels.push_back({c.kw * c.c, 1, 1});
    } else {
      levels.push_back({c.kw, c.dw * c.c, c.c});
      levels.push_back({c.c, 1, 1});
    }
    break;
  case Contraction::Depthwise:
    levels.push_back({c.kh, c.dh * c.w, c.kw});
    levels.push_back({c.kw, c.dw, 1});
    break;
  }
  return levels;
}

// Cache blocking of the reduction: when a panel's weights (K x nv vectors)
// overflow L1, the innermost reduction level is split into blocks sized so
// that one block of the panel (outer levels x block x nr floats) stays in L1
// while every row block of the tile reuses it; partial sums go through the
// output. Only for packed weights and an f32 output.
int64_t KernelEmitter::blockRows(const Segment &s) const {
  constexpr int64_t kL1Bytes = 32 * 1024;
  int64_t nr = s.nv * lanes;
  SmallVector<Level> levels = reductionLevels();
  int64_t outer = c.k / levels.back().extent;
  int64_t kcBlock = kL1Bytes / (outer * nr * 4);
  bool blocked = packed && outElt.isF32() && c.k * nr * 4 > 2 * kL1Bytes &&
                 kcBlock >= 8 && levels.back().extent >= 2 * kcBlock;
  if (pairK)
    kcBlock -= kcBlock % pairK; // Whole k groups per block.
  return blocked ? kcBlock : 0;
}

int64_t KernelEmitter::bf16Group() const {
  // Groups of consecutive k: the innermost reduction level must hold whole
  // groups, with one constant right-hand side (packWeights drops to f32
  // when the weights are not bf16 values).
  if (bf16Dot.empty() || !winogradFilter.empty() ||
      c.kind == Contraction::Depthwise || c.batch != 1 ||
      !c.lhsPrologue.empty() || !bf16Lhs)
    return 0;
  int64_t extent = reductionLevels().back().extent;
  // bfmmla needs row pairs: a single row runs on bfdot.
  if (bf16Dot == "bfmmla" && extent % 4 == 0 && c.m >= 2)
    return 4;
  return extent % 2 == 0 ? 2 : 0;
}

SmallVector<Value> KernelEmitter::swapBlocks(ArrayRef<Value> v, int64_t mr,
                                             int64_t nv, bool toBlocks) {
  // Rows 2P, 2P+1 of vector j (columns 4j..4j+3) and the blocks of column
  // pairs (4j, 4j+1), (4j+2, 4j+3), [r0c0 r0c1 r1c0 r1c1], are the same two
  // shuffles of each other.
  SmallVector<Value> out(mr * nv);
  for (int64_t p = 0; p < mr / 2; ++p)
    for (int64_t j = 0; j < nv; ++j) {
      int64_t rows[2] = {2 * p * nv + j, (2 * p + 1) * nv + j};
      int64_t blocks[2] = {(p * nv + j) * 2, (p * nv + j) * 2 + 1};
      int64_t *from = toBlocks ? rows : blocks, *to = toBlocks ? blocks : rows;
      out[to[0]] = vector::ShuffleOp::create(b, loc, v[from[0]], v[from[1]],
                                             ArrayRef<int64_t>{0, 1, 4, 5});
      out[to[1]] = vector::ShuffleOp::create(b, loc, v[from[0]], v[from[1]],
                                             ArrayRef<int64_t>{2, 3, 6, 7});
    }
  return out;
}

Value KernelEmitter::pairDot(Value acc, Value a, Value bv) {
  // Dot: acc[i] + a[2i] * b[2i] + a[2i+1] * b[2i+1]. bfmmla: the 2x2 block
  // acc + A B^T of two 2x4 operands. f32 accumulation.
  StringRef name = bf16Dot == "vdpbf16ps" ? "llvm.x86.avx512bf16.dpbf16ps.512"
                   : pairK == 4           ? "llvm.aarch64.neon.bfmmla"
                                          : "llvm.aarch64.neon.bfdot.v4f32.v8bf16";
  return LLVM::CallIntrinsicOp::create(b, loc, vt, b.getStringAttr(name),
                                       ValueRange{acc, a, bv})
      .getOperation()
      ->getResult(0);
}

Value KernelEmitter::emitSegment(const Segment &s, Value out) {
  int64_t nv = s.nv, mr = s.mr, nr = nv * lanes;
  SmallVector<Level> levels = reductionLevels();

  int64_t kcBlock = blockRows(s);
  bool blocked = kcBlock > 0;

  // One loop over all tiles, ordered (batch, row group, chunk of row
  // blocks, panel, row block of the chunk). The runtime gives each thread a
  // contiguous share of the loop, so a thread computes whole row groups
  // (pixels, for convolutions) across all panels: the rows it writes here
  // are the rows it reads in the next kernel, from its own core's cache,
  // where a split by panels would make every core read the other's
  // channels. Within a chunk, row blocks are fastest so that consecutive
  // tiles reuse a weight panel (chunks: below). The weights
  // are streamed once per group, so there are as few groups as threads are
  // expected (`rowGroups`; measured on 2 cores, 2 groups beat both 1 and 7
  // on a chain of 1x1 convolutions), each with at least 3 row blocks, and
  // only when the weights fit in half of a 2 MB L2: larger weights (the
  // late layers of a CNN, big projections) would come from L3 once per
  // group, which cost more on one thread than the locality won on two.
  // With blocking, a tile is a (group, panel) pair running the group's row
  // blocks per reduction block. Tiles write disjoint outputs: the loop is
  // marked parallel.
  constexpr int64_t kL2Bytes = 2 * 1024 * 1024;
  // Sliding depthwise blocks stay within an output row (slides).
  bool slide = slides() && !blocked;
  int64_t blocksPerLine = (c.ow + mr - 1) / mr;
  int64_t blocks = slide ? c.m / c.ow * blocksPerLine : (c.m + mr - 1) / mr;
  int64_t groups = c.k * s.panels * nr * 4 * c.batch <= kL2Bytes / 2
                       ? std::clamp<int64_t>(blocks / 3, 1, rowGroups)
                       : 1;
  int64_t per = (blocks + groups - 1) / groups, perChunk = blocks;
  groups = (blocks + per - 1) / per;
  // Within a group, row blocks run in chunks, each over every panel before
  // the next chunk starts, when the weights stay in L2: the chunk's output
  // rows (and a residual read beside them) are then completed within a
  // short time, as whole cache lines, instead of one panel's columns of
  // every row of the group per pass, which left partly written lines
  // for L3 (measured on ResNet-50's 56x56 1x1 convolutions with a residual
  // add: 9 % faster with 128 KB chunks of output + residual; 32 KB and 512 KB
  // gained less).
  constexpr int64_t kChunkBytes = 128 * 1024;
  int64_t chunk = per;
  if (!blocked && s.panels > 1 &&
      c.k * s.panels * nr * 4 * c.batch <= kL2Bytes / 2)
    chunk = std::clamp<int64_t>(kChunkBytes / (mr * c.n * 4 * 2), 1, per);
  if (blocked) { // A tile per (group, panel): `per` row blocks each.
    perChunk = per;
    blocks = groups;
    per = 1;
    chunk = 1;
  }
  auto tLoop = beginFor(c.batch * s.panels * blocks, 1, out);
  tLoop->setAttr(kParallelAttr, b.getUnitAttr());
  // For profiles: what the kernel computes and its share of the arithmetic.
  int64_t width = std::min(c.n, s.col0 + s.panels * nr) - s.col0;
  int64_t epiOps = 0;
  if (epi)
    epiOps = std::distance(
        epi->op.getRegion().front().without_terminator().begin(),
        epi->op.getRegion().front().without_terminator().end());
  tLoop->setAttr("dlc.flops", b.getI64IntegerAttr(c.batch * c.m * width *
                                                  (2 * c.k + epiOps)));
  tLoop->setAttr("dlc.kernel", b.getStringAttr(describe(epiOps)));
  Value t = tLoop.getInductionVar();
  // Tile t = (batch, row group, chunk, panel, block in chunk). The last
  // group and the last chunk of a group may be shorter, so each level
  // decomposes with its own sizes: every decomposition divides by
  // constants and selects pick the one that applies.
  Value u = rem(t, s.panels * blocks);
  Value bIv = div(t, s.panels * blocks);
  int64_t lastPer = blocks - (groups - 1) * per;
  Value lead = idx((groups - 1) * s.panels * per);
  Value inLast = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, u,
                                       lead);
  Value w = arith::SubIOp::create(b, loc, u, lead);
  // (panel, block in group, position in chunk) of tile v of a group of
  // `size` row blocks, in chunks of `chunk`.
  auto inGroupOf = [&](Value v, int64_t size) {
    int64_t cs = std::min(chunk, size);
    int64_t chunks = (size + cs - 1) / cs, lastCs = size - (chunks - 1) * cs;
    Value cLead = idx((chunks - 1) * s.panels * cs);
    Value inLastChunk = arith::CmpIOp::create(
        b, loc, arith::CmpIPredicate::uge, v, cLead);
    Value x = arith::SubIOp::create(b, loc, v, cLead);
    Value r = rem(v, s.panels * cs);
    Value pnl = arith::SelectOp::create(b, loc, inLastChunk, div(x, lastCs),
                                        div(r, cs));
    Value pos = arith::SelectOp::create(b, loc, inLastChunk, rem(x, lastCs),
                                        rem(r, cs));
    Value first = arith::SelectOp::create(b, loc, inLastChunk,
                                          idx((chunks - 1) * cs),
                                          mul(div(v, s.panels * cs), cs));
    return std::make_tuple(pnl, add(first, pos), pos);
  };
  auto [pA, blkA, posA] = inGroupOf(rem(u, s.panels * per), per);
  auto [pB, blkB, posB] = inGroupOf(w, lastPer);
  Value panel = arith::SelectOp::create(b, loc, inLast, pB, pA);
  Value inGroup = arith::SelectOp::create(b, loc, inLast, posB, posA);
  // (Clamped although always in range: the bound lets LLVM prove that most
  // rows of a block need no clamping, which keeps their bases out of the
  // reduction loop.)
  Value blockIdx = arith::MinUIOp::create(
      b, loc,
      arith::SelectOp::create(b, loc, inLast,
                              add(idx((groups - 1) * per), blkB),
                              add(mul(div(u, s.panels * per), per), blkA)),
      idx(blocks - 1));
  if (slide) {
    // Tiles (line, panel, x block), x blocks fastest: neighbouring tiles
    // share input columns. (The weights are a few KB: the matmul's groups
    // and chunks, and their index arithmetic per tile, buy nothing here.)
    panel = rem(div(t, blocksPerLine), s.panels);
    blockIdx = add(mul(div(t, s.panels * blocksPerLine), blocksPerLine),
                   rem(t, blocksPerLine));
  }
  Value col0 = add(idx(s.col0), mul(panel, nr));
  Value panelBase = add(add(idx(s.packedBase), mul(panel, c.k * nr)),
                        mul(bIv, packedPerBatch));
  // The distance from this panel's weights to the next panel's (the panel
  // after the last is the first: the next group starts there).
  Value toNextPanel = arith::SubIOp::create(
      b, loc, mul(rem(add(panel, idx(1)), s.panels), c.k * nr),
      mul(panel, c.k * nr));
  // With separate right-hand sides, the last group's last panel is
  // followed by the next batch's first panel.
  if (packed && c.batch > 1) {
    Value lastPanel = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                            panel, idx(s.panels - 1));
    Value moreBatches = arith::CmpIOp::create(
        b, loc, arith::CmpIPredicate::ult, bIv, idx(c.batch - 1));
    Value jump = arith::AndIOp::create(
        b, loc, arith::AndIOp::create(b, loc, lastPanel, inLast), moreBatches);
    toNextPanel = arith::SelectOp::create(
        b, loc, jump,
        arith::SubIOp::create(b, loc, idx(packedPerBatch),
                              mul(panel, c.k * nr)),
        toNextPanel);
  }

  // Software prefetch of the weights the next reduction block (or panel)
  // will read. Weights stream from DRAM once per run (a network's weights
  // do not stay cached between runs), and a block's weights are consumed in
  // a burst by its first row block, then reused from L1 by the others: the
  // hardware prefetcher, which runs only a few lines ahead, leaves that
  // first row block waiting on memory (measured: ResNet-50's 7x7-map layers
  // ran at 45 % of peak in the network against 77 % with warm weights).
  // So the first row blocks of a block each fetch one cache line of every
  // weight row of the next block, into L2 (locality 2), while they compute:
  // the whole next block arrives during this one. The other row blocks
  // prefetch their own line again (an L1 hit), which keeps the reduction
  // loop free of conditions. `rb` is the row block's position in the block
  // or panel, `delta` the distance to the weights to fetch.
  constexpr int64_t kLineFloats = 16;
  int64_t linesPerK = std::max<int64_t>(1, nr / kLineFloats);
  auto prefetchBase = [&](Value rb, Value delta) -> Value {
    if (!packedBuf)
      return nullptr;
    Value active = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                         rb, idx(linesPerK));
    Value off = arith::SelectOp::create(
        b, loc, active, add(delta, mul(rb, kLineFloats)), idx(0));
    return add(panelBase, off);
  };
  SmallVector<Value> cols;
  for (int64_t j = 0; j < nv; ++j)
    cols.push_back(add(col0, idx(j * lanes)));
  // A depthwise input vector (pixel `at`, channels from `col`) as f32: int8
  // is widened and converted as it is loaded.
  auto loadLhs = [&](Value at, Value col, bool inBounds) -> Value {
    if (!c.int8)
      return vector::TransferReadOp::create(
          b, loc, vt, lhsFlat, ValueRange{at, col},
          arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0)),
          ArrayRef<bool>{inBounds});
    Value x = vector::TransferReadOp::create(
        b, loc, VectorType::get({lanes}, b.getI8Type()), lhsFlat,
        ValueRange{at, col},
        arith::ConstantOp::create(b, loc, b.getI8IntegerAttr(0)),
        ArrayRef<bool>{inBounds});
    return arith::SIToFPOp::create(
        b, loc, vt,
        arith::ExtSIOp::create(b, loc, VectorType::get({lanes}, b.getI32Type()),
                               x));
  };

  // Per row of a block: its global row (clamped: a partial block recomputes
  // the last row, writing the same values) and its left-hand-side base.
  auto rowsOf = [&](Value mb, SmallVector<Value> &rows,
                    SmallVector<Value> &aBase) {
    for (int64_t r = 0; r < mr; ++r) {
      Value row =
          arith::MinSIOp::create(b, loc, add(mb, idx(r)), idx(c.m - 1));
      rows.push_back(add(mul(bIv, c.m), row));
      if (c.kind == Contraction::Gemm) {
        aBase.push_back(mul(rows.back(), c.k));
        continue;
      }
      Value n = div(row, c.oh * c.ow), pix = rem(row, c.oh * c.ow);
      Value y = mul(div(pix, c.ow), c.sh), x = mul(rem(pix, c.ow), c.sw);
      Value base = add(mul(add(mul(n, c.h), y), c.w), x); // Input pixel.
      aBase.push_back(c.kind == Contraction::Conv ? mul(base, c.c) : base);
    }
  };

  // The accumulators' initial values.
  auto initAccs = [&](ArrayRef<Value> rows) {
    SmallVector<Value> accs;
    for (int64_t r = 0; r < mr; ++r) {
      SmallVector<Value> rowIdx =
          delinearize(rows[r], outShape.take_front(outVecDim));
      for (int64_t j = 0; j < nv; ++j)
        accs.push_back(
            initScalar
                ? vector::BroadcastOp::create(b, loc, vt, initScalar)
                      .getResult()
                : initReader->read(b, loc, rows[r], rowIdx, cols[j], vt,
                                   s.inBounds));
    }
    return accs;
  };

  // The reduction over [kLo, kHi) of the innermost level (all of it when
  // null), accumulating into `in`.
  auto reduceAll = [&](ArrayRef<Value> aBase, ValueRange init, Value kLo,
                       Value kHi, Value pfBase) {
    std::function<SmallVector<Value>(size_t, Value, Value, ValueRange)>
        reduce = [&](size_t level, Value aOff, Value kOff,
                     ValueRange in) -> SmallVector<Value> {
      SmallVector<Value> acc(in.begin(), in.end());
      if (level == levels.size()) {
        if (pfBase)
          memref::PrefetchOp::create(b, loc, packedBuf,
                                     ValueRange{add(pfBase, mul(kOff, nr))},
                                     /*isWrite=*/false, /*localityHint=*/2,
                                     /*isDataCache=*/true);
        SmallVector<Value> bv;
        if (pairK) {
          Value zero = arith::ConstantOp::create(
              b, loc, b.getFloatAttr(b.getBF16Type(), 0.0));
          // Row r's bf16 values at k .. k + g - 1: exact in bf16, they are
          // the high halves of the f32 words (a shuffle, not a rounding).
          auto values = [&](int64_t r, int64_t g) -> Value {
            Value x = vector::TransferReadOp::create(
                b, loc, VectorType::get({g}, b.getF32Type()), lhsFlat,
                ValueRange{add(aBase[r], aOff)},
                arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0)),
                ArrayRef<bool>{true});
            Value halves = vector::BitCastOp::create(
                b, loc, VectorType::get({2 * g}, b.getBF16Type()), x);
            SmallVector<int64_t> odd;
            for (int64_t e = 0; e < g; ++e)
              odd.push_back(2 * e + 1);
            return vector::ShuffleOp::create(b, loc, halves, halves, odd);
          };
          auto pairT = VectorType::get({2 * lanes}, b.getBF16Type());
          auto weights = [&](int64_t at) -> Value {
            return vector::TransferReadOp::create(
                b, loc, pairT, packed,
                ValueRange{add(panelBase, add(mul(kOff, nr), idx(at)))}, zero,
                ArrayRef<bool>{true});
          };
          if (pairK == 4) {
            // bfmmla: per row pair, its 2x4 values against each column
            // pair's 2x4 weights, into that 2x2 block.
            for (int64_t j = 0; j < 2 * nv; ++j)
              bv.push_back(weights(j * 8));
            for (int64_t p = 0; p < mr / 2; ++p) {
              Value av = vector::ShuffleOp::create(
                  b, loc, values(2 * p, 4), values(2 * p + 1, 4),
                  ArrayRef<int64_t>{0, 1, 2, 3, 4, 5, 6, 7});
              for (int64_t q = 0; q < 2 * nv; ++q)
                acc[p * 2 * nv + q] = pairDot(acc[p * 2 * nv + q], av, bv[q]);
            }
            return acc;
          }
          for (int64_t j = 0; j < nv; ++j)
            bv.push_back(weights(j * 2 * lanes));
          auto oneI = VectorType::get({1}, b.getI32Type());
          auto lanesI = VectorType::get({lanes}, b.getI32Type());
          for (int64_t r = 0; r < mr; ++r) {
            // The pair (k, k+1) broadcast to every lane.
            Value word = vector::ExtractOp::create(
                b, loc, vector::BitCastOp::create(b, loc, oneI, values(r, 2)),
                ArrayRef<int64_t>{0});
            Value av = vector::BitCastOp::create(
                b, loc, pairT,
                vector::BroadcastOp::create(b, loc, lanesI, word));
            for (int64_t j = 0; j < nv; ++j)
              acc[r * nv + j] = pairDot(acc[r * nv + j], av, bv[j]);
          }
          return acc;
        }
        for (int64_t j = 0; j < nv; ++j) {
          if (packed && halfWeights) {
            Value at = add(panelBase, add(mul(kOff, nr), idx(j * lanes)));
            bv.push_back(arith::ExtFOp::create(
                b, loc, vt,
                vector::TransferReadOp::create(
                    b, loc, VectorType::get({lanes}, b.getBF16Type()), packed,
                    ValueRange{at},
                    arith::ConstantOp::create(
                        b, loc, b.getFloatAttr(b.getBF16Type(), 0.0)),
                    ArrayRef<bool>{true})
                    .getResult()));
          } else if (packed) {
            Value at = add(panelBase, add(mul(kOff, nr), idx(j * lanes)));
            bv.push_back(vector::TransferReadOp::create(
                b, loc, vt, packed, ValueRange{at},
                arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0)),
                ArrayRef<bool>{true}));
          } else {
            Value row = c.kind == Contraction::Depthwise
                            ? kOff
                            : add(mul(bIv, c.k), kOff);
            bv.push_back(vector::TransferReadOp::create(
                b, loc, vt, rhsView, ValueRange{row, cols[j]},
                arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0)),
                ArrayRef<bool>{s.inBounds}));
          }
        }
        for (int64_t r = 0; r < mr; ++r) {
          Value at = add(aBase[r], aOff);
          if (c.kind == Contraction::Depthwise) {
            for (int64_t j = 0; j < nv; ++j) {
              Value x = loadLhs(at, cols[j], s.inBounds);
              acc[r * nv + j] =
                  vector::FMAOp::create(b, loc, x, bv[j], acc[r * nv + j]);
            }
            continue;
          }
          Value a =
              tensor::ExtractOp::create(b, loc, lhsFlat, ValueRange{at});
          if (!c.lhsPrologue.empty()) {
            IRMapping map;
            map.map(c.lhsPrologue.front()->getBlock()->getArgument(0), a);
            for (Operation *op : c.lhsPrologue)
              b.clone(*op, map);
            a = map.lookup(c.lhsPrologue.back()->getResult(0));
          }
          Value av = vector::BroadcastOp::create(b, loc, vt, a);
          for (int64_t j = 0; j < nv; ++j)
            acc[r * nv + j] =
                vector::FMAOp::create(b, loc, av, bv[j], acc[r * nv + j]);
        }
        return acc;
      }
      const Level &l = levels[level];
      bool innermost = level + 1 == levels.size();
      bool inner = innermost && kLo;
      Value step = idx(innermost && pairK ? pairK : 1);
      auto f = inner ? scf::ForOp::create(b, loc, kLo, kHi, step, acc)
                     : scf::ForOp::create(b, loc, idx(0), idx(l.extent),
                                          step, acc);
      b.setInsertionPointToStart(f.getBody());
      Value iv = f.getInductionVar();
      SmallVector<Value> res =
          reduce(level + 1, add(aOff, mul(iv, l.aStride)),
                 add(kOff, mul(iv, l.kStride)), f.getRegionIterArgs());
      endFor(f, res);
      return SmallVector<Value>(f.getResults());
    };
    if (pairK != 4)
      return reduce(0, idx(0), idx(0), init);
    SmallVector<Value> in(init.begin(), init.end());
    return swapBlocks(
        reduce(0, idx(0), idx(0), swapBlocks(in, mr, nv, true)), mr, nv,
        false);
  };

  // Writes the accumulators, through the epilogue when `final`.
  auto writeOut = [&](Value o, ArrayRef<Value> rows, ArrayRef<Value> accs,
                      bool final, Value mb = nullptr) {
    SmallVector<SmallVector<Value>> epiRowIdx;
    if (epi && final) {
      auto shape =
          cast<RankedTensorType>(epi->op.getResult(0).getType()).getShape();
      int64_t epiVd = findVecDim(shape, c.n);
      for (int64_t r = 0; r < mr; ++r)
        epiRowIdx.push_back(delinearize(rows[r], shape.take_front(epiVd)));
    }
    auto writeRow = [&](Value o, int64_t r) {
      for (int64_t j = 0; j < nv; ++j) {
        Value v = accs[r * nv + j];
        if (c.int8) // Exact integer sums, back to int32.
          v = arith::FPToSIOp::create(
              b, loc, VectorType::get({lanes}, b.getI32Type()), v);
        if (epi && final) {
          Block &body = epi->op.getRegion().front();
          IRMapping map;
          for (auto [i, reader] : llvm::enumerate(epiReaders)) {
            // The operand being overwritten is read from the output as it
            // is now: this element is still the operand's own.
            std::optional<OperandReader> current = reader;
            if (static_cast<int64_t>(i) == inPlace)
              current->source = o;
            map.map(body.getArgument(i),
                    current ? current->read(b, loc, rows[r], epiRowIdx[r],
                                            cols[j], vt, s.inBounds)
                            : v);
          }
          dlc::applyLanewise(b, loc, body, map, lanes);
          v = dlc::lanewiseValue(b, loc, map,
                                 body.getTerminator()->getOperand(0), lanes);
        }
        o = vector::TransferWriteOp::create(b, loc, v, o,
                                            outIndices(rows[r], cols[j]),
                                            ArrayRef<bool>{s.inBounds})
                .getResult();
      }
      return o;
    };
    for (int64_t r = 0; r < mr; ++r) {
      // In place, a partial block's clamped rows (repeats of the last row)
      // are skipped: a repeat would read the row it has just overwritten.
      if (inPlace < 0 || !mb || c.m % mr == 0 || r < c.m % mr) {
        o = writeRow(o, r);
        continue;
      }
      Value real = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                         add(mb, idx(r)), idx(c.m));
      auto guard = scf::IfOp::create(b, loc, TypeRange{o.getType()}, real,
                                     /*else=*/true);
      b.setInsertionPointToStart(&guard.getThenRegion().front());
      scf::YieldOp::create(b, loc, writeRow(o, r));
      b.setInsertionPointToStart(&guard.getElseRegion().front());
      scf::YieldOp::create(b, loc, o);
      b.setInsertionPointAfter(guard);
      o = guard.getResult(0);
    }
    return o;
  };

  // The sliding depthwise reduction (slides): per filter row, per column
  // vector, each input column of the block loaded once and multiplied into
  // every (pixel, tap) that reads it.
  auto slideReduce = [&](Value base, ValueRange init) {
    auto kyLoop = beginFor(c.kh, 1, init);
    Value ky = kyLoop.getInductionVar();
    SmallVector<Value> acc(kyLoop.getRegionIterArgs());
    Value rowBase = add(base, mul(ky, c.dh * c.w));
    // (pixel, tap) pairs per input column offset, in column order.
    std::map<int64_t, SmallVector<std::pair<int64_t, int64_t>>> readers;
    for (int64_t r = 0; r < mr; ++r)
      for (int64_t kx = 0; kx < c.kw; ++kx)
        readers[r * c.sw + kx * c.dw].push_back({r, kx});
    for (int64_t j = 0; j < nv; ++j) {
      SmallVector<Value> wv;
      for (int64_t kx = 0; kx < c.kw; ++kx)
        wv.push_back(vector::TransferReadOp::create(
            b, loc, vt, rhsView,
            ValueRange{add(mul(ky, c.kw), idx(kx)), cols[j]},
            arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0)),
            ArrayRef<bool>{s.inBounds}));
      for (auto &[off, users] : readers) {
        Value x = loadLhs(add(rowBase, idx(off)), cols[j], s.inBounds);
        for (auto [r, kx] : users)
          acc[r * nv + j] =
              vector::FMAOp::create(b, loc, x, wv[kx], acc[r * nv + j]);
      }
    }
    endFor(kyLoop, acc);
    return SmallVector<Value>(kyLoop.getResults());
  };

  Value o = tLoop.getRegionIterArgs()[0];
  if (slide) {
    // Block = (line, x block): pixels x0 .. x0 + mr - 1 of one output row,
    // the last block of a row shifted back to end at its last pixel.
    Value line = div(blockIdx, blocksPerLine);
    Value x0 = arith::MinUIOp::create(
        b, loc, mul(rem(blockIdx, blocksPerLine), mr), idx(c.ow - mr));
    SmallVector<Value> rows;
    for (int64_t r = 0; r < mr; ++r)
      rows.push_back(add(add(mul(line, c.ow), x0), idx(r)));
    Value n = div(line, c.oh), y = mul(rem(line, c.oh), c.sh);
    Value base = add(mul(add(mul(n, c.h), y), c.w), mul(x0, c.sw));
    SmallVector<Value> accs = slideReduce(base, initAccs(rows));
    o = writeOut(o, rows, accs, /*final=*/true);
    endFor(tLoop, o);
    return tLoop.getResult(0);
  }
  if (!blocked) {
    SmallVector<Value> rows, aBase;
    Value mb = mul(blockIdx, mr);
    rowsOf(mb, rows, aBase);
    SmallVector<Value> accs =
        reduceAll(aBase, initAccs(rows), nullptr, nullptr,
                  prefetchBase(inGroup, toNextPanel));
    o = writeOut(o, rows, accs, /*final=*/true, mb);
    endFor(tLoop, o);
    return tLoop.getResult(0);
  }

  // Blocked: for each block of the innermost level, every row block.
  int64_t inner = levels.back().extent;
  auto kLoop = beginFor(inner, kcBlock, o);
  Value kLo = kLoop.getInductionVar();
  Value kHi = arith::MinSIOp::create(b, loc, add(kLo, idx(kcBlock)),
                                     idx(inner));
  Value first = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, kLo,
                                      idx(0));
  Value last = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, kHi,
                                     idx(inner));
  Value mLo = mul(blockIdx, perChunk * mr);
  Value mHi =
      arith::MinSIOp::create(b, loc, add(mLo, idx(perChunk * mr)), idx(c.m));
  auto mLoop = scf::ForOp::create(b, loc, mLo, mHi, idx(mr),
                                  kLoop.getRegionIterArgs()[0]);
  b.setInsertionPointToStart(mLoop.getBody());
  Value om = mLoop.getRegionIterArgs()[0];
  SmallVector<Value> rows, aBase;
  rowsOf(mLoop.getInductionVar(), rows, aBase);
  SmallVector<Type> accTypes(mr * nv, vt);
  auto start = scf::IfOp::create(b, loc, accTypes, first, /*else=*/true);
  b.setInsertionPointToStart(&start.getThenRegion().front());
  scf::YieldOp::create(b, loc, initAccs(rows));
  b.setInsertionPointToStart(&start.getElseRegion().front());
  SmallVector<Value> partial;
  for (int64_t r = 0; r < mr; ++r)
    for (int64_t j = 0; j < nv; ++j)
      partial.push_back(vector::TransferReadOp::create(
          b, loc, vt, om, outIndices(rows[r], cols[j]),
          arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0)),
          ArrayRef<bool>{s.inBounds}));
  scf::YieldOp::create(b, loc, partial);
  b.setInsertionPointAfter(start);
  // The next block of this panel when it is a whole one; else the first
  // block of the next panel (its rows are this block's, shifted by kLo).
  Value nextWhole = arith::CmpIOp::create(
      b, loc, arith::CmpIPredicate::sle, add(kLo, idx(2 * kcBlock)),
      idx(inner));
  Value delta = arith::SelectOp::create(
      b, loc, nextWhole, idx(kcBlock * nr),
      arith::SubIOp::create(b, loc, toNextPanel, mul(kLo, nr)));
  Value rb = div(arith::SubIOp::create(b, loc, mLoop.getInductionVar(), mLo),
                 mr);
  SmallVector<Value> accs = reduceAll(aBase, start.getResults(), kLo, kHi,
                                      prefetchBase(rb, delta));
  auto finish = scf::IfOp::create(b, loc, TypeRange{om.getType()}, last,
                                  /*else=*/true);
  b.setInsertionPointToStart(&finish.getThenRegion().front());
  scf::YieldOp::create(b, loc, writeOut(om, rows, accs, /*final=*/true));
  b.setInsertionPointToStart(&finish.getElseRegion().front());
  scf::YieldOp::create(b, loc, writeOut(om, rows, accs, /*final=*/false));
  b.setInsertionPointAfter(finish);
  endFor(mLoop, finish.getResult(0));
  endFor(kLoop, mLoop.getResult(0));
  endFor(tLoop, kLoop.getResult(0));
  return tLoop.getResult(0);
}

Value KernelEmitter::finishVector(Value o, Value row, Value col, Value acc,
                                  bool inBounds) {
  SmallVector<Value> rowIdx =
      delinearize(row, outShape.take_front(outVecDim));
  Value v = arith::AddFOp::create(
      b, loc, acc,
      initScalar ? vector::BroadcastOp::create(b, loc, vt, initScalar)
                       .getResult()
                 : initReader->read(b, loc, row, rowIdx, col, vt, inBounds));
  if (epi) {
    auto shape =
        cast<RankedTensorType>(epi->op.getResult(0).getType()).getShape();
    SmallVector<Value> epiRowIdx =
        delinearize(row, shape.take_front(findVecDim(shape, c.n)));
    Block &body = epi->op.getRegion().front();
    IRMapping map;
    for (auto [i, reader] : llvm::enumerate(epiReaders))
      map.map(body.getArgument(i),
              reader ? reader->read(b, loc, row, epiRowIdx, col, vt, inBounds)
                     : v);
    dlc::applyLanewise(b, loc, body, map, lanes);
    v = dlc::lanewiseValue(b, loc, map, body.getTerminator()->getOperand(0),
                           lanes);
  }
  return vector::TransferWriteOp::create(b, loc, v, o, outIndices(row, col),
                                         ArrayRef<bool>{inBounds})
      .getResult();
}

} // namespace mlir::dlc::cpu

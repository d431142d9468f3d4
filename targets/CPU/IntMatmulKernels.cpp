//===- IntMatmulKernels.cpp - int8 x int8 -> int32 matmul kernels ---------===//
//
// The CPU kernel strategy for integer matrix products (what MatMulInteger,
// QLinearMatMul and the quantize phase produce): linalg.quantized_matmul /
// quantized_batch_matmul of int8 by a constant int8 matrix, accumulated
// exactly in int32, as a register-tiled loop nest over the target's integer
// dot-product instruction:
//
//   vpdpbusd  (AVX-512 VNNI, AVX-VNNI) 4 products of u8 x s8 per 32-bit lane
//   sdot      (armv8.2 dotprod) 4 products of s8 x s8 per lane
//   smmla     (armv8.6 i8mm) a 2x8 by 8x2 s8 product into 2x2 int32: 32
//             products per instruction, twice sdot's
//   pmaddwd   (SSE2 / AVX2 / AVX-512BW) 2 products of s16 x s16 per lane
//   generic   the same pairs as extsi / muli / addi (other CPUs)
//
// Zero points leave the inner loop: with Bc = B - zb (exact, at compile
// time), sum_k (a - za)(b - zb) = sum_k a' Bc - corr[n], where a' is A as the
// instruction takes it. The 16-bit forms centre A (a - za, exact in int16)
// in a pre-pass and need no correction; the 8-bit forms take A as it is (s8
// for sdot, flipped to u8 = a + 128 for vpdpbusd) and subtract
// (za + offset) * colsum(Bc)[n], with the column sums computed at compile
// time and za possibly known only at run time. They need Bc in int8 (always
// so for symmetric weights, zb = 0); otherwise the 16-bit form runs.
//
// Why not the f32 emitter (KernelEmitter) with another element type: the
// reduction runs in groups of 2 or 4 consecutive k per lane, which changes
// the packing, the left-hand reads (one 32-bit broadcast per group) and the
// K tail (the pre-pass pads A to whole groups, so the kernel never reads
// past a row); the f32 kernel's convolution levels and Winograd do not apply.
//
//===----------------------------------------------------------------------===//
#include "targets/CPU/Contraction.h"
#include "targets/CPU/Lanewise.h"
#include "targets/CPU/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/StringSwitch.h"

namespace mlir::dlc {
#define GEN_PASS_DEF_INTMATMULKERNELS
#include "targets/CPU/Passes.h.inc"
} // namespace mlir::dlc

using namespace mlir;
using namespace mlir::dlc::cpu;

namespace {

enum class Dot { Generic, Pmaddwd, Vpdpbusd, Sdot, Smmla };

/// Packed weights up to this size run row-block-major (a quarter of a
/// typical 512 KiB-2 MiB L2, leaving room for the rows and the output).
constexpr int64_t kRowMajorWeightBytes = 128 * 1024;
/// Filters with more taps gather their window in a loop over the taps.
constexpr int64_t kUnrolledTaps = 49;

/// One matched integer product: out[r, n] = init[r, n] + sum_k (A[r, k] -
/// za) * (B[k, n] - zb) over the rows r of every batch.
struct IntMatmul {
  linalg::LinalgOp op;
  Value lhs, lhsZp, init; // lhsZp: null for 0.
  std::vector<int8_t> rhs; // [K][N]
  int64_t rhsZp = 0;
  int64_t rows = 0, k = 0, n = 0;
  // A convolution (linalg.conv_2d_nhwc_fhwc(_q)): lhs is the (padded) NHWC
  // input [nb, h, w, c], the rows are the output pixels (b, oy, ox) and k
  // runs over the window as (ky, kx, c), the filter's FHWC order.
  bool conv = false;
  int64_t h = 0, w = 0, c = 0, kh = 1, kw = 1, sh = 1, sw = 1, dh = 1, dw = 1,
          oh = 0, ow = 0;
};

/// An int8 convolution with a constant filter: linalg.conv_2d_nhwc_fhwc_q
/// (what tosa.conv2d with zero points lowers to) or conv_2d_nhwc_fhwc on
/// int8 (zero points of 0), accumulating in int32.
std::optional<IntMatmul> matchIntConv(Operation *op) {
  bool quantized = isa<linalg::Conv2DNhwcFhwcQOp>(op);
  if (!quantized && !isa<linalg::Conv2DNhwcFhwcOp>(op))
    return std::nullopt;
  auto lop = cast<linalg::LinalgOp>(op);
  IntMatmul m;
  m.op = lop;
  m.conv = true;
  m.lhs = lop.getDpsInputs()[0];
  m.init = lop.getDpsInits()[0];
  Value filter = lop.getDpsInputs()[1];
  auto it = dyn_cast<RankedTensorType>(m.lhs.getType());
  auto ft = dyn_cast<RankedTensorType>(filter.getType());
  auto ot = dyn_cast<RankedTensorType>(m.init.getType());
  if (!it || !ft || !ot || !it.hasStaticShape() || !ft.hasStaticShape() ||
      !ot.hasStaticShape() || !it.getElementType().isInteger(8) ||
      !ft.getElementType().isInteger(8) || !ot.getElementType().isInteger(32))
    return std::nullopt;
  std::optional<int64_t> zb = std::optional<int64_t>(0);
  if (quantized) {
    m.lhsZp = lop.getDpsInputs()[2];
    if (!m.lhsZp.getType().isInteger(32))
      return std::nullopt;
    zb = constantInt(lop.getDpsInputs()[3]);
  }
  std::vector<int8_t> fhwc;
  if (!zeroPointRange(zb) ||
      !zeroPointRange(m.lhsZp ? constantInt(m.lhsZp) : std::optional<int64_t>(0)) ||
      !constantValues(filter, fhwc))
    return std::nullopt;
  m.rhsZp = *zb;
  auto attrAt = [](DenseIntElementsAttr a, int64_t i) {
    return (*(a.getValues<int64_t>().begin() + i));
  };
  auto st = op->getAttrOfType<DenseIntElementsAttr>("strides");
  auto dl = op->getAttrOfType<DenseIntElementsAttr>("dilations");
  if (!st || !dl)
    return std::nullopt;
  ArrayRef<int64_t> in = it.getShape(), f = ft.getShape(), o = ot.getShape();
  m.h = in[1];
  m.w = in[2];
  m.c = in[3];
  m.kh = f[1];
  m.kw = f[2];
  m.sh = attrAt(st, 0);
  m.sw = attrAt(st, 1);
  m.dh = attrAt(dl, 0);
  m.dw = attrAt(dl, 1);
  m.oh = o[1];
  m.ow = o[2];
  m.rows = o[0] * o[1] * o[2];
  m.k = f[1] * f[2] * f[3];
  m.n = f[0];
  if (m.rows == 0 || m.k == 0 || m.n == 0)
    return std::nullopt;
  // The filter [N][K] as the kernels' right-hand side [K][N].
  m.rhs.resize(m.k * m.n);
  for (int64_t nn = 0; nn < m.n; ++nn)
    for (int64_t kk = 0; kk < m.k; ++kk)
      m.rhs[kk * m.n + nn] = fhwc[nn * m.k + kk];
  return m;
}

std::optional<IntMatmul> matchIntMatmul(Operation *op) {
  if (std::optional<IntMatmul> conv = matchIntConv(op))
    return conv;
  auto lop = dyn_cast<linalg::LinalgOp>(op);
  // The quantized ops, or plain ones (what zero points of 0 lower to) with
  // signed extension of int8 operands.
  bool quantized =
      isa<linalg::QuantizedMatmulOp, linalg::QuantizedBatchMatmulOp>(op);
  auto signedCast = [](auto named) {
    return named.getCast() == linalg::TypeFn::cast_signed;
  };
  bool plain = false;
  if (auto mm = dyn_cast<linalg::MatmulOp>(op))
    plain = signedCast(mm) && mm.getIndexingMapsArray() ==
                                  mm.getDefaultIndexingMaps(op->getContext());
  if (auto bm = dyn_cast<linalg::BatchMatmulOp>(op))
    plain = signedCast(bm) && bm.getIndexingMapsArray() ==
                                  bm.getDefaultIndexingMaps(op->getContext());
  if (!lop || (!quantized && !plain) || lop.getDpsInputs().size() < 2)
    return std::nullopt;
  auto rt = dyn_cast<RankedTensorType>(lop.getDpsInputs()[1].getType());
  if (!rt || !rt.getElementType().isInteger(8))
    return std::nullopt;
  IntMatmul m;
  m.op = lop;
  m.lhs = lop.getDpsInputs()[0];
  m.init = lop.getDpsInits()[0];
  if (quantized) {
    m.lhsZp = lop.getDpsInputs()[2];
    if (!m.lhsZp.getType().isInteger(32))
      return std::nullopt;
  }
  auto at = dyn_cast<RankedTensorType>(m.lhs.getType());
  auto bt = dyn_cast<RankedTensorType>(lop.getDpsInputs()[1].getType());
  auto ct = dyn_cast<RankedTensorType>(m.init.getType());
  if (!at || !bt || !ct || !at.hasStaticShape() || !bt.hasStaticShape() ||
      !ct.hasStaticShape() || !at.getElementType().isInteger(8) ||
      !ct.getElementType().isInteger(32) || op->getNumResults() != 1 ||
      !isa<RankedTensorType>(op->getResult(0).getType()))
    return std::nullopt;
  // One right-hand side shared by every row: [K, N] or [1, K, N] (the
  // importer folds a shared matrix's batches into the rows).
  bool batched = isa<linalg::QuantizedBatchMatmulOp, linalg::BatchMatmulOp>(op);
  if (batched && (bt.getDimSize(0) != 1 || at.getDimSize(0) != 1))
    return std::nullopt;
  std::optional<int64_t> zb =
      quantized ? constantInt(lop.getDpsInputs()[3]) : std::optional<int64_t>(0);
  // B - zb is packed as int16 at the widest: zero points of 8-bit data.
  if (!zeroPointRange(zb) || !constantValues(lop.getDpsInputs()[1], m.rhs))
    return std::nullopt;
  if (std::optional<int64_t> za =
          m.lhsZp ? constantInt(m.lhsZp) : std::optional<int64_t>(0);
      za && !zeroPointRange(za))
    return std::nullopt;
  m.rhsZp = *zb;
  m.rows = at.getDimSize(at.getRank() - 2);
  m.k = at.getDimSize(at.getRank() - 1);
  m.n = bt.getDimSize(bt.getRank() - 1);
  if (m.rows == 0 || m.k == 0 || m.n == 0)
    return std::nullopt;
  return m;
}

/// The 1-D tensor of `n` values that `init` broadcasts along every
/// dimension but the last (what a convolution's bias becomes), or null.
Value rowBroadcastSource(Value init, int64_t n) {
  auto g = init.getDefiningOp<linalg::GenericOp>();
  if (!g || g.getNumDpsInputs() != 1 || g.getNumDpsInits() != 1)
    return Value();
  Block *body = g.getBody();
  if (body->getTerminator()->getOperand(0) != body->getArgument(0))
    return Value();
  Value src = g.getDpsInputOperand(0)->get();
  auto st = dyn_cast<RankedTensorType>(src.getType());
  AffineMap in = g.getIndexingMapsArray()[0], out = g.getIndexingMapsArray()[1];
  if (!st || st.getRank() != 1 || st.getDimSize(0) != n ||
      !out.isIdentity() || in.getNumResults() != 1 ||
      in.getResult(0) != getAffineDimExpr(in.getNumDims() - 1, g.getContext()))
    return Value();
  return src;
}

/// Where `v` is uint8 data flipped to int8 (x xor -128: what the importer
/// writes for uint8 activations, which vpdpbusd then flips back), the
/// uint8 data: the input of an elementwise linalg.generic that only flips
/// it, or `v` itself after dropping the trailing flip of a generic that
/// computes it (the requantization of the producer) and has no other
/// reader. Null otherwise; `v`'s producer is changed only when non-null.
Value peelFlip(Value v) {
  auto g = v.getDefiningOp<linalg::GenericOp>();
  if (!g || g->getNumResults() != 1 || g.getNumDpsInits() != 1 ||
      g.getNumReductionLoops() != 0 ||
      !g.getMatchingIndexingMap(g.getDpsInitOperand(0)).isIdentity())
    return Value();
  auto yield = cast<linalg::YieldOp>(g.getBody()->getTerminator());
  auto x = yield.getOperand(0).getDefiningOp<arith::XOrIOp>();
  if (!x)
    return Value();
  auto isFlip = [](Value c) {
    APInt i;
    return matchPattern(c, m_ConstantInt(&i)) && i.getBitWidth() == 8 &&
           i.getSExtValue() == -128;
  };
  Value inner = isFlip(x.getRhs())   ? x.getLhs()
                : isFlip(x.getLhs()) ? x.getRhs()
                                     : Value();
  if (!inner)
    return Value();
  if (auto arg = dyn_cast<BlockArgument>(inner);
      arg && arg.getOwner() == g.getBody() &&
      arg.getArgNumber() < g.getNumDpsInputs()) {
    OpOperand *in = g.getDpsInputOperand(arg.getArgNumber());
    if (g.getMatchingIndexingMap(in).isIdentity() &&
        in->get().getType() == v.getType())
      return in->get();
  }
  if (!v.hasOneUse() || !g.getRegionOutputArgs()[0].use_empty())
    return Value();
  yield->setOperand(0, inner);
  return v;
}

class IntMatmulEmitter : LoopBuilder {
public:
  IntMatmulEmitter(OpBuilder &b, Location loc, const IntMatmul &m, Dot dot,
                   int64_t lanes, int64_t registers,
                   std::optional<Epilogue> epi, std::optional<PadTarget> pad)
      : LoopBuilder(b, loc), m(m), dot(dot), lanes(lanes), registers(registers),
        epi(std::move(epi)), pad(std::move(pad)) {}

  Value emit(StringRef blobName);

private:
  Value intConst(Type t, int64_t v) {
    return arith::ConstantOp::create(b, loc, b.getIntegerAttr(t, v));
  }
  Value prepareLhs(Value lhs);
  Value packRhs(StringRef name);
  /// acc + the group products of `a` (one group broadcast to every lane)
  /// and `bv` (a group per lane).
  Value dotStep(Value acc, Value a, Value bv);
  /// smmla's k loop over one tile; returns `init` plus the sums, per (row,
  /// column vector) as the other forms' accumulators.
  SmallVector<Value> smmlaLoop(Value ap, Value packed, Value panelBase,
                               ArrayRef<Value> rows, int64_t nv, int64_t groups,
                               ArrayRef<Value> init);

  const IntMatmul &m;
  Dot dot;
  int64_t lanes, registers;
  /// The elementwise consumer applied to the accumulators before the write
  /// (the requantization, a dynamic scale and bias).
  std::optional<Epilogue> epi;
  /// The next convolution's pad, written into (as the f32 kernels do).
  std::optional<PadTarget> pad;
  int64_t group = 2, kp = 0, nr = 0, panels = 0;
  Type elt;    // Of the prepared A and the products: i16 or i8.
  Type stored; // Of the packed B: i8 when B - zb fits, else elt.
  Value lhsZp; // The op's, or 0.
  bool u8Lhs = false; // A holds a + 128 as u8 already (peelFlip).
  std::vector<int32_t> colSums;
};

/// A as the instruction takes it, [rows, Kp] with K padded to whole groups:
/// a - za in int16, the int8 value itself (sdot), or a + 128 as u8
/// (vpdpbusd). Padding contributes nothing: it meets zero-padded weights.
Value IntMatmulEmitter::prepareLhs(Value lhs) {
  int64_t chunk = lanes * 4; // int8 elements per step.
  auto i8v = VectorType::get({chunk}, b.getI8Type());
  auto outV = VectorType::get({chunk}, elt);
  Value za = lhsZp;
  Value za8 = arith::TruncIOp::create(b, loc, b.getI8Type(), za);
  Value zaV = group == 2 ? vector::BroadcastOp::create(
                               b, loc, outV,
                               arith::TruncIOp::create(b, loc, elt, za))
                         : Value();
  Value flip = dot == Dot::Vpdpbusd && !u8Lhs
                   ? arith::ConstantOp::create(
                         b, loc, DenseElementsAttr::get(
                                     i8v, b.getIntegerAttr(b.getI8Type(), -128)))
                   : Value();
  // Copies `len` elements of `lhs` from `at` (the last index runs) into row
  // `row` of `o` from column `col`. The tail step reads past `len` as za
  // and writes a whole chunk: what lands past the segment is overwritten by
  // the next segment, or lies in the padding past K (or past Kp, masked).
  // `col` is the segment's first column: a constant, or (colV) a loop's
  // value, for a segment that ends at or before K.
  auto copy = [&](Value o, SmallVector<Value> at, Value row, int64_t col,
                  int64_t len, Value colV = {}) {
    Value colIdx = colV ? colV : idx(col);
    int64_t end = colV ? m.k : col + len; // A bound of the segment's end.
    Value first = at.back();
    auto step = [&](Value o, Value off, bool inBounds) {
      at.back() = add(first, off);
      Value v = vector::TransferReadOp::create(b, loc, i8v, lhs, at, za8,
                                               ArrayRef<bool>{inBounds});
      if (group == 2)
        v = arith::SubIOp::create(b, loc,
                                  arith::ExtSIOp::create(b, loc, outV, v), zaV);
      else if (flip)
        v = arith::XOrIOp::create(b, loc, v, flip);
      return vector::TransferWriteOp::create(
                 b, loc, v, o, ValueRange{row, add(off, colIdx)},
                 ArrayRef<bool>{inBounds && end <= kp})
          .getResult();
    };
    int64_t whole = len / chunk * chunk;
    if (whole) {
      auto loop = beginFor(whole, chunk, o);
      Value w = step(loop.getRegionIterArgs()[0], loop.getInductionVar(), true);
      endFor(loop, w);
      o = loop.getResult(0);
    }
    if (whole < len || end < kp) // The tail, masked to the source.
      o = step(o, idx(whole), false);
    return o;
  };
  Value out = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{m.rows, kp}, elt);
  if (!m.conv) {
    auto rowLoop = beginFor(m.rows, 1, out);
    rowLoop->setAttr(kParallelAttr, b.getUnitAttr());
    Value row = rowLoop.getInductionVar();
    endFor(rowLoop, copy(rowLoop.getRegionIterArgs()[0], {row, idx(0)}, row,
                         0, m.k));
    return rowLoop.getResult(0);
  }
  // A convolution's rows gather its window (im2col): one segment of c
  // channels per tap, in the filter's (ky, kx, c) order.
  bool rowSegments = m.dw == 1 && m.kw > 1 && m.kh * m.kw <= kUnrolledTaps;
  if (rowSegments) { // The input as [image, y, x * c] (copy reads `lhs`).
    auto t = cast<RankedTensorType>(lhs.getType());
    lhs = tensor::CollapseShapeOp::create(
        b, loc,
        RankedTensorType::get({t.getDimSize(0), m.h, m.w * m.c},
                              t.getElementType()),
        lhs, ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}});
  }
  auto lineLoop = beginFor(m.rows / m.ow, 1, out); // (image, oy)
  lineLoop->setAttr(kParallelAttr, b.getUnitAttr());
  Value line = lineLoop.getInductionVar();
  Value img = div(line, m.oh), oy = rem(line, m.oh);
  auto xLoop = beginFor(m.ow, 1, lineLoop.getRegionIterArgs()[0]);
  Value ox = xLoop.getInductionVar();
  Value row = add(mul(line, m.ow), ox);
  Value o = xLoop.getRegionIterArgs()[0];
  if (rowSegments) {
    // Undilated filter rows: a window row's kw pixels are kw * c
    // consecutive elements of the input row, one segment per filter row
    // (a 7x7 filter on 3 channels: 7 copies of 21 elements, not 49 of 3).
    for (int64_t ky = 0; ky < m.kh; ++ky)
      o = copy(o,
               {img, add(mul(oy, m.sh), idx(ky * m.dh)),
                mul(ox, m.sw * m.c)},
               row, ky * m.kw * m.c, m.kw * m.c);
  } else if (m.kh * m.kw <= kUnrolledTaps) {
    for (int64_t ky = 0; ky < m.kh; ++ky)
      for (int64_t kx = 0; kx < m.kw; ++kx)
        o = copy(o,
                 {img, add(mul(oy, m.sh), idx(ky * m.dh)),
                  add(mul(ox, m.sw), idx(kx * m.dw)), idx(0)},
                 row, (ky * m.kw + kx) * m.c, m.c);
  } else {
    // Long filters (audio front ends: hundreds of taps) loop over the taps
    // instead of unrolling them: the IR stays small.
    auto tapLoop = beginFor(m.kh * m.kw, 1, o);
    Value tap = tapLoop.getInductionVar();
    Value ky = div(tap, m.kw), kx = rem(tap, m.kw);
    Value w = copy(tapLoop.getRegionIterArgs()[0],
                   {img, add(mul(oy, m.sh), mul(ky, m.dh)),
                    add(mul(ox, m.sw), mul(kx, m.dw)), idx(0)},
                   row, 0, m.c, mul(tap, m.c));
    endFor(tapLoop, w);
    o = tapLoop.getResult(0);
  }
  endFor(xLoop, o);
  endFor(lineLoop, xLoop.getResult(0));
  return lineLoop.getResult(0);
}

/// B - zb packed as [panel][K / group][nr][group] (nr = nv * lanes columns
/// per panel), zero past K and N; records the column sums.
Value IntMatmulEmitter::packRhs(StringRef name) {
  int64_t groups = kp / group;
  std::vector<int16_t> packed16;
  std::vector<int8_t> packed8;
  int64_t total = panels * groups * nr * group;
  bool wide = stored.isInteger(16);
  (wide ? (void)packed16.assign(total, 0) : packed8.assign(total, 0));
  colSums.assign(panels * nr, 0);
  for (int64_t kk = 0; kk < m.k; ++kk)
    for (int64_t col = 0; col < m.n; ++col) {
      int64_t v = int64_t(m.rhs[kk * m.n + col]) - m.rhsZp;
      int64_t p = col / nr, j = col % nr;
      int64_t at = ((p * groups + kk / group) * nr + j) * group + kk % group;
      if (wide)
        packed16[at] = static_cast<int16_t>(v);
      else
        packed8[at] = static_cast<int8_t>(v);
      colSums[col] += static_cast<int32_t>(v);
    }
  auto type = RankedTensorType::get({total}, stored);
  auto blob = wide ? HeapAsmResourceBlob::allocateAndCopyInferAlign(
                               ArrayRef<int16_t>(packed16))
                         : HeapAsmResourceBlob::allocateAndCopyInferAlign(
                               ArrayRef<int8_t>(packed8));
  return arith::ConstantOp::create(
      b, loc, DenseResourceElementsAttr::get(type, name, std::move(blob)));
}

Value IntMatmulEmitter::dotStep(Value acc, Value a, Value bv) {
  auto accT = cast<VectorType>(acc.getType());
  auto pairT = VectorType::get({lanes * group}, elt);
  // The broadcast groups as the instruction's element type.
  auto groups = [&] { return vector::BitCastOp::create(b, loc, pairT, a); };
  auto call = [&](StringRef name, Type result, ValueRange args) {
    return LLVM::CallIntrinsicOp::create(b, loc, result, b.getStringAttr(name),
                                         args)
        .getOperation()
        ->getResult(0);
  };
  switch (dot) {
  case Dot::Vpdpbusd: // acc + u8(a) . s8(b), 4 per lane.
    // 512 bits: AVX512-VNNI; 256: AVX-VNNI (VEX) or AVX512-VNNI + VL.
    return call(lanes == 16 ? "llvm.x86.avx512.vpdpbusd.512"
                            : "llvm.x86.avx512.vpdpbusd.256",
                accT, {acc, groups(), bv});
  case Dot::Sdot:
    return call("llvm.aarch64.neon.sdot.v4i32.v16i8", accT, {acc, groups(), bv});
  case Dot::Pmaddwd: {
    StringRef name = lanes == 16  ? "llvm.x86.avx512.pmaddw.d.512"
                     : lanes == 8 ? "llvm.x86.avx2.pmadd.wd"
                                  : "llvm.x86.sse2.pmadd.wd";
    return arith::AddIOp::create(b, loc, acc,
                                 call(name, accT, {groups(), bv}));
  }
  case Dot::Generic: {
    auto wide = VectorType::get({lanes * 2}, b.getI32Type());
    Value prod = arith::MulIOp::create(
        b, loc, arith::ExtSIOp::create(b, loc, wide, groups()),
        arith::ExtSIOp::create(b, loc, wide, bv));
    auto halves = vector::DeinterleaveOp::create(b, loc, prod);
    return arith::AddIOp::create(
        b, loc, acc,
        arith::AddIOp::create(b, loc, halves.getRes1(), halves.getRes2()));
  }
  }
  llvm_unreachable("dot kind");
}

SmallVector<Value> IntMatmulEmitter::smmlaLoop(Value ap, Value packed,
                                               Value panelBase,
                                               ArrayRef<Value> rows, int64_t nv,
                                               int64_t groups,
                                               ArrayRef<Value> init) {
  // Accumulator (p, c) holds rows 2p, 2p+1 by columns 2c, 2c+1 as
  // [r0c0, r0c1, r1c0, r1c1]; they start at 0 and the init joins after the
  // loop, in row layout.
  int64_t pairs = rows.size() / 2, colPairs = 2 * nv;
  auto vt = VectorType::get({4}, b.getI32Type());
  auto v16 = VectorType::get({16}, b.getI8Type());
  auto v8 = VectorType::get({8}, b.getI8Type());
  Value zeroV = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(vt, b.getI32IntegerAttr(0)));
  SmallVector<Value> zeros(pairs * colPairs, zeroV);
  auto kLoop = beginFor(groups, 1, zeros);
  Value g = kLoop.getInductionVar();
  SmallVector<Value> acc(kLoop.getRegionIterArgs());
  Value zero8 = intConst(b.getI8Type(), 0);
  SmallVector<Value> bv;
  for (int64_t c = 0; c < colPairs; ++c)
    bv.push_back(vector::TransferReadOp::create(
        b, loc, v16, packed,
        ValueRange{add(panelBase, add(mul(g, nr * 8), idx(c * 16)))}, zero8,
        ArrayRef<bool>{true}));
  SmallVector<int64_t> concat;
  for (int64_t i = 0; i < 16; ++i)
    concat.push_back(i);
  for (int64_t p = 0; p < pairs; ++p) {
    Value half[2];
    for (int64_t h = 0; h < 2; ++h)
      half[h] = vector::TransferReadOp::create(
          b, loc, v8, ap, ValueRange{rows[2 * p + h], mul(g, 8)}, zero8,
          ArrayRef<bool>{true});
    Value a = vector::ShuffleOp::create(b, loc, half[0], half[1], concat);
    for (int64_t c = 0; c < colPairs; ++c)
      acc[p * colPairs + c] =
          LLVM::CallIntrinsicOp::create(
              b, loc, vt, b.getStringAttr("llvm.aarch64.neon.smmla.v4i32.v16i8"),
              ValueRange{acc[p * colPairs + c], a, bv[c]})
              .getOperation()
              ->getResult(0);
  }
  endFor(kLoop, acc);
  SmallVector<Value> out;
  for (size_t r = 0; r < rows.size(); ++r)
    for (int64_t j = 0; j < nv; ++j) {
      int64_t p = r / 2;
      Value lo = kLoop.getResult(p * colPairs + 2 * j);
      Value hi = kLoop.getResult(p * colPairs + 2 * j + 1);
      Value row = vector::ShuffleOp::create(
          b, loc, lo, hi,
          r % 2 ? ArrayRef<int64_t>{2, 3, 6, 7} : ArrayRef<int64_t>{0, 1, 4, 5});
      out.push_back(arith::AddIOp::create(b, loc, init[r * nv + j], row));
    }
  return out;
}

Value IntMatmulEmitter::emit(StringRef blobName) {
  // The 8-bit forms need B - zb in int8; the 16-bit forms keep it in int8
  // when it fits too (half the bytes, sign-extended as it is loaded).
  bool fits = llvm::all_of(m.rhs, [&](int8_t v) {
    int64_t c = int64_t(v) - m.rhsZp;
    return c >= -128 && c <= 127;
  });
  if (!fits && (dot == Dot::Vpdpbusd || dot == Dot::Sdot || dot == Dot::Smmla))
    dot = dot == Dot::Vpdpbusd ? Dot::Pmaddwd : Dot::Generic;
  lhsZp = m.lhsZp ? m.lhsZp : intConst(b.getI32Type(), 0);
  // smmla's groups are 8 k deep: a 16-byte operand holds two rows (or two
  // columns) of 8, and B's [panel][K / 8][nr][8] packing puts a column
  // pair's 16 bytes together.
  group = dot == Dot::Smmla                               ? 8
          : dot == Dot::Vpdpbusd || dot == Dot::Sdot ? 4
                                                          : 2;
  elt = group == 2 ? Type(b.getI16Type()) : Type(b.getI8Type());
  stored = fits ? Type(b.getI8Type()) : elt;
  kp = (m.k + group - 1) / group * group;
  int64_t nv = std::min<int64_t>(registers >= 32 ? 4 : 2,
                                 (m.n + lanes - 1) / lanes);
  nr = nv * lanes;
  panels = (m.n + nr - 1) / nr;
  // Accumulators, the B vectors, the broadcast group and a product.
  int64_t mr = std::clamp<int64_t>((registers - nv - 2) / nv, 1, 8);
  mr = std::min(mr, m.rows);
  // smmla: row pairs by column pairs, 2 x 2 per accumulator; 4 row pairs by
  // 2 nv column pairs (16 accumulators at nv = 2) with their operands fit
  // the 32 registers.
  if (dot == Dot::Smmla)
    mr = 2 * std::min<int64_t>(4, (m.rows + 1) / 2);
  int64_t groups = kp / group;

  // [lead..., last] as [rows, last].
  auto rowsByLast = [](int64_t rank) {
    ReassociationIndices lead, last{rank - 1};
    for (int64_t d = 0; d + 1 < rank; ++d)
      lead.push_back(d);
    return SmallVector<ReassociationIndices>{lead, last};
  };
  // uint8 data that the importer flipped to int8 goes to vpdpbusd as it
  // was (the flip and its undoing both disappear).
  Value lhs = m.lhs;
  if (dot == Dot::Vpdpbusd)
    if (Value u8 = peelFlip(m.lhs)) {
      lhs = u8;
      u8Lhs = true;
    }
  // A needs no pre-pass where the instruction takes its bytes as they are
  // and its rows are whole groups: a matrix, or a 1x1 stride-1 convolution's
  // unpadded input (a pixel's channels are a row).
  bool asIs = dot == Dot::Sdot || dot == Dot::Smmla ||
              (dot == Dot::Vpdpbusd && u8Lhs);
  bool inPlace = asIs && m.k % group == 0 &&
                 (!m.conv || (m.kh == 1 && m.kw == 1 && m.sh == 1 &&
                              m.sw == 1 && m.oh == m.h && m.ow == m.w));
  auto lhsT = cast<RankedTensorType>(lhs.getType());
  Value lhs2d = lhsT.getRank() == 2 || (m.conv && !inPlace)
                    ? lhs
                    : tensor::CollapseShapeOp::create(
                          b, loc,
                          RankedTensorType::get({m.rows, m.k}, b.getI8Type()),
                          lhs, rowsByLast(lhsT.getRank()))
                          .getResult();
  auto initT = cast<RankedTensorType>(m.init.getType());
  Value init2d = initT.getRank() == 2
                     ? m.init
                     : tensor::CollapseShapeOp::create(
                           b, loc,
                           RankedTensorType::get({m.rows, m.n}, b.getI32Type()),
                           m.init, rowsByLast(initT.getRank()))
                           .getResult();
  Value packed = packRhs(blobName);
  Value ap = inPlace ? lhs2d : prepareLhs(lhs2d);
  auto vt = VectorType::get({lanes}, b.getI32Type());
  Value sums;
  if (group >= 4) {
    auto t = RankedTensorType::get({panels * nr}, b.getI32Type());
    sums = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(t, ArrayRef<int32_t>(colSums)));
  }
  // -(za + 128) or -za per column sum: the 8-bit forms' correction.
  Value corrScale;
  if (group >= 4) {
    Value za = lhsZp;
    if (dot == Dot::Vpdpbusd)
      za = arith::AddIOp::create(b, loc, za, intConst(b.getI32Type(), 128));
    corrScale = vector::BroadcastOp::create(
        b, loc, vt,
        arith::SubIOp::create(b, loc, intConst(b.getI32Type(), 0), za));
  }

  // With an epilogue, the kernel writes the epilogue's result.
  Type outElt = b.getI32Type();
  SmallVector<std::optional<OperandReader>> epiReaders;
  ArrayRef<int64_t> epiShape;
  int64_t epiVd = 0;
  if (epi) {
    auto et = cast<RankedTensorType>(epi->op.getResult(0).getType());
    outElt = et.getElementType();
    epiShape = et.getShape();
    epiVd = findVecDim(epiShape, m.n);
    for (OpOperand *in : epi->op.getDpsInputOperands())
      epiReaders.push_back(
          in->getOperandNumber() == epi->accOperand
              ? std::nullopt
              : std::optional<OperandReader>(OperandReader::make(
                    b, loc, in->get(), epi->op.getMatchingIndexingMap(in),
                    epiVd)));
  }
  Value out = pad ? paddedBuffer(b, loc, *pad)
                  : tensor::EmptyOp::create(
                        b, loc, ArrayRef<int64_t>{m.rows, m.n}, outElt)
                        .getResult();
  // Tile order. Weights that fit in L2 with room to spare go row-block
  // major: a block's rows stay in L1 across every panel, and the output
  // (and the epilogue's other operands) is written and read row by row,
  // each cache line once. Larger weights go panel-major: a panel's weights
  // (K x nr) stay in L1 while every row block reuses them. A thread's
  // share is a range of tiles either way.
  int64_t blocks = (m.rows + mr - 1) / mr;
  int64_t weightBytes =
      panels * groups * nr * group * (stored.isInteger(8) ? 1 : 2);
  bool rowMajor = weightBytes <= kRowMajorWeightBytes;
  auto tLoop = beginFor(panels * blocks, 1, out);
  tLoop->setAttr(kParallelAttr, b.getUnitAttr());
  tLoop->setAttr("dlc.flops", b.getI64IntegerAttr(2 * m.rows * m.n * m.k));
  static const char *names[] = {"generic", "pmaddwd", "vpdpbusd", "sdot",
                                "smmla"};
  std::string what =
      m.conv ? ("int8 conv " + Twine(m.kh) + "x" + Twine(m.kw) + "/" +
                Twine(m.sh) + " " + Twine(m.h) + "x" + Twine(m.w) + "x" +
                Twine(m.c) + " -> " + Twine(m.oh) + "x" + Twine(m.ow) + "x" +
                Twine(m.n))
                   .str()
             : ("int8 matmul " + Twine(m.rows) + "x" + Twine(m.k) + " * " +
                Twine(m.k) + "x" + Twine(m.n))
                   .str();
  tLoop->setAttr("dlc.kernel",
                 b.getStringAttr(what + " (" + names[static_cast<int>(dot)] +
                                 ")"));
  Value t = tLoop.getInductionVar();
  Value panel = rowMajor ? rem(t, panels) : div(t, blocks);
  Value block = rowMajor ? div(t, panels) : rem(t, blocks);
  Value col0 = mul(panel, nr);
  SmallVector<Value> rows, cols;
  for (int64_t r = 0; r < mr; ++r) // A partial block recomputes the last row.
    rows.push_back(arith::MinSIOp::create(b, loc, add(mul(block, mr), idx(r)),
                                          idx(m.rows - 1)));
  for (int64_t j = 0; j < nv; ++j)
    cols.push_back(add(col0, idx(j * lanes)));
  bool inBounds = m.n % nr == 0;
  Value zero32 = intConst(b.getI32Type(), 0);
  // The accumulators start from the op's init: a fill's value, a bias
  // broadcast along the rows read per column (a convolution's: the
  // broadcast is never materialized), or read.
  Value fillValue, colInit;
  if (auto fill = m.init.getDefiningOp<linalg::FillOp>())
    fillValue = fill.getInputs()[0];
  else
    colInit = rowBroadcastSource(m.init, m.n);
  SmallVector<Value> colInits;
  for (int64_t j = 0; colInit && j < nv; ++j)
    colInits.push_back(vector::TransferReadOp::create(
        b, loc, vt, colInit, ValueRange{cols[j]}, zero32,
        ArrayRef<bool>{inBounds}));
  // The 8-bit forms' correction per column vector, shared by the rows.
  SmallVector<Value> corr;
  for (int64_t j = 0; sums && j < nv; ++j)
    corr.push_back(arith::MulIOp::create(
        b, loc,
        vector::TransferReadOp::create(b, loc, vt, sums, ValueRange{cols[j]},
                                       zero32, ArrayRef<bool>{true}),
        corrScale));
  SmallVector<Value> accs;
  for (int64_t r = 0; r < mr; ++r)
    for (int64_t j = 0; j < nv; ++j) {
      Value acc =
          fillValue ? vector::BroadcastOp::create(b, loc, vt, fillValue)
                          .getResult()
          : colInit ? colInits[j]
                    : vector::TransferReadOp::create(
                    b, loc, vt, init2d, ValueRange{rows[r], cols[j]}, zero32,
                    ArrayRef<bool>{inBounds})
                    .getResult();
      if (!corr.empty())
        acc = arith::AddIOp::create(b, loc, acc, corr[j]);
      accs.push_back(acc);
    }
  Value panelBase = mul(panel, groups * nr * group);
  // Weights too large for L2 reuse (panel-major) stream from memory once
  // per run. As in the f32 kernels, the first row blocks of a panel each
  // fetch one cache line of every k group of the next panel into L2 while
  // they compute, so the next panel is there when its first row block
  // starts; the other row blocks (and the last panel) fetch their own line
  // again, an L1 hit, which keeps the k loop free of conditions.
  // Offsets are in elements of the packed weights (int8 or int16). With
  // narrow vectors a group's weights are part of a line, which the first
  // row block fetches for every group it holds.
  constexpr int64_t kLineBytes = 64;
  int64_t eltBytes = stored.isInteger(8) ? 1 : 2;
  int64_t linesPerGroup =
      std::max<int64_t>(1, nr * group * eltBytes / kLineBytes);
  Value packedBuf, pfBase;
  if (!rowMajor && panels > 1 && dot != Dot::Smmla) {
    packedBuf = bufferization::ToBufferOp::create(
        b, loc,
        MemRefType::get(cast<RankedTensorType>(packed.getType()).getShape(),
                        stored),
        packed, /*read_only=*/true);
    Value active = arith::AndIOp::create(
        b, loc,
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, block,
                              idx(linesPerGroup)),
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, panel,
                              idx(panels - 1)));
    pfBase = add(panelBase,
                 arith::SelectOp::create(
                     b, loc, active,
                     add(idx(groups * nr * group),
                         mul(block, kLineBytes / eltBytes)),
                     idx(0)));
  }
  // The sums per (row, column vector), in row layout.
  SmallVector<Value> sumsOut;
  if (dot == Dot::Smmla) {
    sumsOut = smmlaLoop(ap, packed, panelBase, rows, nv, groups, accs);
  } else {
    auto kLoop = beginFor(groups, 1, accs);
    Value g = kLoop.getInductionVar();
    SmallVector<Value> acc(kLoop.getRegionIterArgs());
    if (pfBase)
      memref::PrefetchOp::create(b, loc, packedBuf,
                                 ValueRange{add(pfBase, mul(g, nr * group))},
                                 /*isWrite=*/false, /*localityHint=*/2,
                                 /*isDataCache=*/true);
    Value zeroElt = intConst(elt, 0), zeroStored = intConst(stored, 0);
    SmallVector<Value> bv;
    for (int64_t j = 0; j < nv; ++j) {
      Value v = vector::TransferReadOp::create(
          b, loc, VectorType::get({lanes * group}, stored), packed,
          ValueRange{add(panelBase, add(mul(g, nr * group), idx(j * lanes * group)))},
          zeroStored, ArrayRef<bool>{true});
      if (stored != elt) // int8 weights for the 16-bit products.
        v = arith::ExtSIOp::create(b, loc, VectorType::get({lanes * group}, elt),
                                   v);
      bv.push_back(v);
    }
    auto groupT = VectorType::get({group}, elt);
    for (int64_t r = 0; r < mr; ++r) {
      Value a = vector::TransferReadOp::create(
          b, loc, groupT, ap, ValueRange{rows[r], mul(g, group)}, zeroElt,
          ArrayRef<bool>{true});
      Value a32 = vector::ExtractOp::create(
          b, loc,
          vector::BitCastOp::create(b, loc, VectorType::get({1}, b.getI32Type()),
                                    a),
          ArrayRef<int64_t>{0});
      Value av = vector::BroadcastOp::create(b, loc, vt, a32);
      for (int64_t j = 0; j < nv; ++j)
        acc[r * nv + j] = dotStep(acc[r * nv + j], av, bv[j]);
    }
    endFor(kLoop, acc);
    for (int64_t i = 0; i < mr * nv; ++i)
      sumsOut.push_back(kLoop.getResult(i));
  }
  Value o = tLoop.getRegionIterArgs()[0];
  for (int64_t r = 0; r < mr; ++r) {
    SmallVector<Value> epiRowIdx, outIdx{rows[r]};
    if (epi)
      epiRowIdx = delinearize(rows[r], epiShape.take_front(epiVd));
    if (pad) { // The row's place inside the padded tensor.
      outIdx = delinearize(rows[r], pad->rowShape);
      for (auto [i, v] : llvm::enumerate(outIdx))
        v = add(v, idx(pad->low[i]));
    }
    outIdx.push_back(Value());
    for (int64_t j = 0; j < nv; ++j) {
      Value v = sumsOut[r * nv + j];
      if (epi) {
        Block &body = epi->op.getRegion().front();
        IRMapping map;
        for (auto [i, reader] : llvm::enumerate(epiReaders))
          map.map(body.getArgument(i),
                  reader ? reader->read(b, loc, rows[r], epiRowIdx, cols[j],
                                        vt, inBounds)
                         : v);
        dlc::applyLanewise(b, loc, body, map, lanes);
        v = dlc::lanewiseValue(b, loc, map,
                               body.getTerminator()->getOperand(0), lanes);
      }
      outIdx.back() = cols[j];
      o = vector::TransferWriteOp::create(b, loc, v, o, outIdx,
                                          ArrayRef<bool>{inBounds})
              .getResult();
    }
  }
  endFor(tLoop, o);
  Value result = tLoop.getResult(0);
  if (pad)
    return result;
  auto resT = cast<RankedTensorType>(
      epi ? epi->op.getResult(0).getType() : m.op->getResult(0).getType());
  if (resT.getRank() == 2 && (!epi || epiVd == 1))
    return result;
  ReassociationIndices rowDims, colDims;
  int64_t vd = epi ? epiVd : resT.getRank() - 1;
  for (int64_t i = 0; i < resT.getRank(); ++i)
    (i < vd ? rowDims : colDims).push_back(i);
  return tensor::ExpandShapeOp::create(
      b, loc, resT, result, SmallVector<ReassociationIndices>{rowDims, colDims});
}

struct IntMatmulKernelsPass
    : dlc::impl::IntMatmulKernelsBase<IntMatmulKernelsPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    int64_t lanes = std::max<int64_t>(1, vectorBits / 32);
    Dot kind = llvm::StringSwitch<Dot>(dot)
                   .Case("pmaddwd", Dot::Pmaddwd)
                   .Case("vpdpbusd", Dot::Vpdpbusd)
                   .Case("sdot", Dot::Sdot)
                   .Case("smmla", Dot::Smmla)
                   .Default(Dot::Generic);
    // The instructions' widths: vpdpbusd 8 or 16 lanes, sdot 4, pmaddwd 4,
    // 8 or 16.
    if ((kind == Dot::Vpdpbusd && lanes != 8 && lanes != 16) ||
        ((kind == Dot::Sdot || kind == Dot::Smmla) && lanes != 4) ||
        (kind == Dot::Pmaddwd && lanes != 4 && lanes != 8 && lanes != 16))
      kind = Dot::Generic;
    SmallVector<Operation *> ops;
    func.walk([&](Operation *op) {
      if (isa<linalg::QuantizedMatmulOp, linalg::QuantizedBatchMatmulOp,
              linalg::MatmulOp, linalg::BatchMatmulOp, linalg::Conv2DNhwcFhwcOp,
              linalg::Conv2DNhwcFhwcQOp>(op))
        ops.push_back(op);
    });
    unsigned counter = 0;
    for (Operation *op : ops) {
      std::optional<IntMatmul> m = matchIntMatmul(op);
      if (!m)
        continue;
      // The elementwise consumer (requantization, scale and bias) is
      // applied to the accumulators; the kernel goes where it was, after
      // everything it reads.
      std::optional<Epilogue> epi =
          matchEpilogue(op->getResult(0), m->rows, m->n);
      Operation *last = epi ? epi->op.getOperation() : op;
      // A pad of the result's rows (the next depthwise convolution's halo)
      // is written into, when the columns are the result's last dimension.
      auto lastT = cast<RankedTensorType>(last->getResult(0).getType());
      std::optional<PadTarget> pad;
      if (lastT.getRank() > 2 &&
          findVecDim(lastT.getShape(), m->n) == lastT.getRank() - 1)
        pad = matchPadTarget(last->getResult(0));
      OpBuilder b(last);
      IntMatmulEmitter emitter(b, op->getLoc(), *m, kind, lanes, registers,
                               epi, pad);
      Value v = emitter.emit(
          (func.getSymName() + "_int8_packed" + Twine(counter++)).str());
      if (pad) {
        pad->op.getResult().replaceAllUsesWith(v);
        pad->op.erase();
      } else {
        last->getResult(0).replaceAllUsesWith(v);
      }
      if (epi) {
        epi->op.erase();
        for (Operation *r : llvm::reverse(epi->reshapes))
          r->erase();
      }
      op->erase();
    }
  }
};

} // namespace

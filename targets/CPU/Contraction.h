//===- Contraction.h - the CPU kernels' contractions and their emitter ---===//
//
// What dlc-cpu-contraction-kernels works on: a matched contraction (matrix
// product or convolution, ContractionMatch.cpp), the elementwise epilogue and
// pad it absorbs, and the emitter that writes its register-tiled loop nest
// (KernelEmitter.cpp; Winograd.cpp for the F(m x m, 3x3) form).
//
//===----------------------------------------------------------------------===//
#ifndef DLC_TARGETS_CPU_CONTRACTION_H
#define DLC_TARGETS_CPU_CONTRACTION_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"

#include <functional>
#include <optional>
#include <vector>

namespace mlir::dlc::cpu {

/// Marks a loop whose iterations write disjoint data and may run on any
/// thread (dlc-outline-kernels turns it into a parallel kernel).
constexpr llvm::StringLiteral kParallelAttr = "dlc.parallel";

/// The innermost non-unit dimension of `shape`, which must have size `n`
/// (the output channels), or -1.
int64_t findVecDim(ArrayRef<int64_t> shape, int64_t n);

/// The product of `s` (1 for none).
int64_t product(ArrayRef<int64_t> s);

/// Whether `v` is a statically shaped f32 tensor.
bool isF32Static(Value v);

/// One contraction: out[b, m, n] = init + sum_k A(b, m, k) * B(b, k, n).
struct Contraction {
  enum Kind { Gemm, Conv, Depthwise } kind;
  Operation *op;
  Value lhs, rhs, init;
  int64_t batch = 1; // Separate right-hand sides (batch_matmul).
  int64_t m = 0, n = 0, k = 0; // Rows per batch, columns, reduction.
  // Convolution geometry on the (already padded) NHWC input.
  int64_t h = 0, w = 0, c = 0, kh = 1, kw = 1, sh = 1, sw = 1, dh = 1,
          dw = 1, oh = 0, ow = 0;
  bool pointwise = false; // A 1x1 convolution run as a matrix product.
  /// Row-major offset of element (k, n) in a constant right-hand side.
  std::function<int64_t(int64_t, int64_t)> rhsOffset;
  /// How a run-time right-hand side collapses to [batch * K, N].
  SmallVector<ReassociationIndices> rhsReassoc;
  /// Scalar ops applied to each left-hand element before the product (a
  /// scale folded into the contraction), in order; their block is the
  /// contraction's body, whose first argument is the element.
  SmallVector<Operation *> lhsPrologue;
  /// An int8 depthwise convolution (depthwise_conv_2d_nhwc_hwcm(_q) on int8,
  /// int32 result): the input is read as int8 and converted as it is
  /// loaded, the products and sums run in f32 lanes, exact (matchContraction
  /// bounds the taps so that every partial sum is an integer below 2^24),
  /// and the sums convert back to int32 before the epilogue. Zero points
  /// leave the loop: sum (x - za)(w - zw) = sum x (w - zw) - za colSum, so
  /// the weights are `intWeights` ([tap][channel], w - zw) and the
  /// accumulators start at `intInit` (-za colSum per channel); the padding,
  /// which holds za, contributes nothing.
  bool int8 = false;
  std::vector<float> intWeights, intInit;
};

/// Whether `body` computes out + f(lhs) * rhs with f a chain of scalar
/// arith/math ops on the left-hand element (and values from outside);
/// collects the chain.
bool isContractionBody(Block &body, SmallVector<Operation *> &prologue);

/// `op` (linalg matmul, batch_matmul, NHWC conv, depthwise conv or a
/// contraction-shaped generic) as a Contraction the kernels can run, or none.
std::optional<Contraction> matchContraction(Operation *op);

/// The elementwise consumer fused into a contraction's output write.
struct Epilogue {
  linalg::GenericOp op;
  unsigned accOperand = 0;
  SmallVector<Operation *> reshapes;
};

/// The elementwise consumer of `result` (a [rows, n] contraction result,
/// seen through reshapes) that the kernel can apply to its accumulators.
std::optional<Epilogue> matchEpilogue(Value result, int64_t rows, int64_t n);

/// Where an operand's indexing map puts the vector dimension (-1: it does
/// not use it, so it is broadcast across the vector); fails if the operand
/// cannot be read as vectors (a transposed or non-unit trailing access).
FailureOr<int64_t> vectorPosition(AffineMap map, ArrayRef<int64_t> shape,
                                  int64_t vecDim);

/// Row-major values of a constant f32 (int8) tensor, seen through reshapes
/// and transposes, or false.
bool constantValues(Value v, std::vector<float> &out);
bool constantValues(Value v, std::vector<int8_t> &out);

/// The value of an integer arith.constant, or none.
std::optional<int64_t> constantInt(Value v);
/// `v` in [-255, 255] (an 8-bit zero point, possibly shifted by a flip).
inline bool zeroPointRange(std::optional<int64_t> v) {
  return v && *v >= -255 && *v <= 255;
}

/// Whether every element of `v` is a bf16 value held in f32: `v` comes,
/// through reshapes, copies, transposes and zero pads, from an elementwise
/// op that yields an extension from bf16 (what --precision=bf16's rounding
/// casts lower to).
bool isBF16Exact(Value v);

/// A column range of the output processed with `nv` vectors per panel.
struct Segment {
  int64_t col0, panels, nv, mr;
  int64_t packedBase; // Element offset of its panels in the packed weights.
  bool inBounds;      // Every vector lies inside the N columns.
};

/// Reads an operand of an elementwise op as vectors along the output
/// channels (or as a broadcast scalar), given the op's iteration indices.
struct OperandReader {
  Value source;
  AffineMap map;
  int64_t pos = -1; // Position of the vector dimension in the results.
  bool flat = false; // Read as [rows, N] at the flat row.

  /// Prepares reading `v` (an elementwise op's operand with indexing `map`),
  /// whose dimension `vecDim` of the op is the vectorized one.
  static OperandReader make(OpBuilder &b, Location loc, Value v,
                            AffineMap map, int64_t vecDim);
  /// The vector at output row `row` (its indices `rowIdx`), column `col`.
  Value read(OpBuilder &b, Location loc, Value row, ArrayRef<Value> rowIdx,
             Value col, VectorType vt, bool inBounds) const;
};

/// A constant-value tensor.pad that is the only reader of a kernel's result
/// and pads only its rows' dimensions (the next convolution's halo): the
/// kernel then writes straight into the interior of the padded tensor,
/// instead of writing its output and copying it in.
struct PadTarget {
  tensor::PadOp op;
  Value value;
  SmallVector<int64_t> low;
  SmallVector<int64_t> rowShape; // The unpadded row dimensions.
};

/// The pad that `result` can be written into (PadTarget), or none.
std::optional<PadTarget> matchPadTarget(Value result);
/// The padded tensor with its border filled, for a kernel to write the
/// interior of (shared by the f32 and int8 emitters).
Value paddedBuffer(OpBuilder &b, Location loc, const PadTarget &pad);

// Winograd F(m x m, 3x3) (Lavin and Gray, "Fast Algorithms for
// Convolutional Neural Networks", 2016): a stride-1 3x3 convolution computed
// per m x m output tile from an (m+2) x (m+2) input tile as
// Y = A^T [U . V] A, with V = B^T d B the input tile transformed,
// U = G g G^T the filter transformed at compile time, and the (m+2)^2
// products U . V summed over input channels as (m+2)^2 matrix products
// [tiles x C] x [C x F]. F(4x4, 3x3) needs 36 multiplications per tile and
// channel pair where the direct form needs 144, F(2x2, 3x3) 16 where it
// needs 36. The matrix products run through the register-tiled kernel
// (KernelEmitter), the transforms are vector code along the channels.
// onnxruntime's CPU provider (MLAS) computes 3x3 convolutions directly; this is
// where dlc does less arithmetic.
struct WinogradVariant {
  int64_t m, a;          // Outputs and inputs per tile side (a = m + 2).
  const double *bt;      // B^T, a x a.
  const double *g;       // G, a x 3.
  const double *at;      // A^T, m x a.
  ArrayRef<double> row(const double *mat, int64_t i) const {
    return ArrayRef<double>(mat + i * a, a);
  }
};

/// The Winograd variant a convolution runs as, or null for the direct
/// form: stride 1, no dilation, 3x3, at least 32 input and output channels
/// (below that the transforms cost more than the products save) and 8x8
/// outputs. A network's weights come from DRAM on every run and the
/// transformed filter is (m+2)^2 / 9 times the filter, so F(4x4, 3x3) is
/// used while its filter stays within 4 MB (up to 128 x 128 channels),
/// F(2x2, 3x3) while its filter does (256 x 256), and beyond that (the
/// 512-channel layers of ResNet-50) the extra weight traffic would cost
/// more than the arithmetic saved.
const WinogradVariant *winogradVariant(const Contraction &c);

/// Index arithmetic and scf.for loops on tensors, for the kernel emitters.
class LoopBuilder {
protected:
  LoopBuilder(OpBuilder &b, Location loc) : b(b), loc(loc) {}
  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value mul(Value x, int64_t k) {
    return k == 1 ? x : arith::MulIOp::create(b, loc, x, idx(k)).getResult();
  }
  Value div(Value x, int64_t k) {
    return arith::DivUIOp::create(b, loc, x, idx(k));
  }
  Value rem(Value x, int64_t k) {
    return arith::RemUIOp::create(b, loc, x, idx(k));
  }
  /// A loop from 0 to `ub` by `step`; the builder moves into its body.
  scf::ForOp beginFor(int64_t ub, int64_t step, ValueRange inits) {
    auto f = scf::ForOp::create(b, loc, idx(0), idx(ub), idx(step), inits);
    b.setInsertionPointToStart(f.getBody());
    return f;
  }
  void endFor(scf::ForOp f, ValueRange yields) {
    scf::YieldOp::create(b, loc, yields);
    b.setInsertionPointAfter(f);
  }
  /// Row-major indices of `flat` over `shape`.
  SmallVector<Value> delinearize(Value flat, ArrayRef<int64_t> shape) {
    SmallVector<Value> out(shape.size());
    for (int64_t i = shape.size() - 1; i >= 0; --i) {
      out[i] = i == 0 ? flat : rem(flat, shape[i]);
      if (i > 0)
        flat = div(flat, shape[i]);
    }
    return out;
  }

  OpBuilder &b;
  Location loc;
};

/// Emits one contraction with its epilogue (and pad) as a register-tiled loop
/// nest on tensors; `lanes` and `registers` come from the target.
class KernelEmitter : LoopBuilder {
public:
  KernelEmitter(OpBuilder &b, Location loc, const Contraction &c,
                std::optional<Epilogue> epi, std::optional<PadTarget> pad,
                int64_t lanes, int64_t registers, int64_t rowGroups)
      : LoopBuilder(b, loc), c(c), epi(epi), pad(pad), lanes(lanes),
        registers(registers), rowGroups(std::max<int64_t>(rowGroups, 1)) {}

  /// Emits the kernel and returns the value replacing the epilogue's result
  /// (or the contraction's when there is none).
  Value emit(StringRef blobPrefix, unsigned &blobCounter);
  /// Computes the convolution as Winograd `variant` (winogradVariant) with
  /// `filter`, its constant values as [F][3][3][C].
  void useWinograd(const WinogradVariant &variant, std::vector<float> filter) {
    wino = &variant;
    winogradFilter = std::move(filter);
  }
  /// Computes the products on bf16 values with `dot` ("vdpbf16ps", "bfdot",
  /// or "bfmmla", which falls back to bfdot where a kernel cannot use it)
  /// when the left-hand side holds bf16 values (`lhsExact`: the caller
  /// knows); the emitter checks the weights and the shape (see bf16Group).
  void useBF16Pairs(StringRef dot, bool lhsExact) {
    bf16Dot = dot.str();
    bf16Lhs = lhsExact;
  }
  /// Whether weights that are all bf16 values are stored as bf16.
  void storeBF16Weights(bool on) { bf16Weights = on; }


private:
  std::string describe(int64_t epiOps) const {
    std::string d;
    llvm::raw_string_ostream os(d);
    auto shape = [&](ArrayRef<int64_t> v) {
      llvm::interleave(v, os, "x");
    };
    if (c.int8)
      os << "int8 ";
    switch (c.kind) {
    case Contraction::Conv:
    case Contraction::Depthwise:
      os << (c.kind == Contraction::Conv ? "conv " : "depthwise conv ") << c.kh
         << "x" << c.kw << "/" << c.sh << " ";
      shape(cast<RankedTensorType>(c.lhs.getType()).getShape());
      os << " -> " << c.n;
      break;
    case Contraction::Gemm:
      if (c.pointwise) {
        os << "conv 1x1/1 ";
        shape(cast<RankedTensorType>(c.lhs.getType()).getShape());
        os << " -> " << c.n;
        break;
      }
      os << "matmul ";
      if (c.batch > 1)
        os << c.batch << " x ";
      os << c.m << "x" << c.k << " * " << c.k << "x" << c.n;
      break;
    }
    if (pairK)
      os << " bf16";
    if (epiOps)
      os << " + " << epiOps << " epilogue op(s)";
    return d;
  }
  /// Rows per register tile: as many as the registers allow (at most 8),
  /// or one or two fewer when that pads the rows (M, rounded up to whole
  /// blocks) by over 5% less: the last block recomputes clamped rows, so
  /// M = 49 (a 7x7 map) runs 50 rows with 5-row blocks instead of 54.
  int64_t tileRows(int64_t nv) const {
    if (slides())
      return slideRows(nv);
    int64_t most = std::max<int64_t>(
        1, std::min<int64_t>({(registers - nv - 1) / nv, 8, c.m}));
    auto padded = [&](int64_t mr) { return (c.m + mr - 1) / mr * mr; };
    int64_t best = most;
    for (int64_t mr = most - 1; mr >= std::max<int64_t>(1, most - 2); --mr)
      if (padded(mr) * 100 < padded(best) * 95)
        best = mr;
    return best;
  }
  SmallVector<Segment> segments() const;
  /// Whether the depthwise kernel slides its window along output rows: a
  /// row block is `mr` consecutive pixels of one output row, so the input
  /// columns of neighbouring pixels' taps are loaded (and, for int8,
  /// converted) once per block instead of once per pixel and tap: (mr - 1)
  /// * sw + (kw - 1) * dw + 1 loads per filter row for mr * kw products.
  bool slides() const {
    return c.kind == Contraction::Depthwise && c.kw <= 16 && c.ow >= 2;
  }
  /// Pixels per sliding row block (see slides): the count whose blocks
  /// cover an output row at the least estimated cost (products, loads and
  /// epilogue, the last block of a row overlapping its neighbour), within
  /// the registers (accumulators, one vector's kw weights, a temporary).
  int64_t slideRows(int64_t nv) const;
  /// The reduction as nested loops: (extent, lhs stride, k stride); the
  /// innermost level has k stride 1.
  struct Level {
    int64_t extent, aStride, kStride;
  };
  SmallVector<Level> reductionLevels() const;
  /// Rows of the innermost reduction level per cache block, or 0 when the
  /// segment's reduction is not blocked.
  int64_t blockRows(const Segment &s) const;
  Value packWeights(ArrayRef<Segment> segs, StringRef name);
  Value emitSegment(const Segment &s, Value out);
  Value emitWinograd(Value out, StringRef blobPrefix, unsigned &blobCounter);
  /// sum_k coefs[k] * xs[k] as vector ops (no op for a zero coefficient,
  /// an add or subtract for +-1).
  Value lincomb(ArrayRef<Value> xs, ArrayRef<double> coefs);
  /// M X M^T for the Winograd transforms: X is a x a (row-major vectors), M
  /// the `rows` x a matrix `mat` (B^T for the input, A^T for the output).
  SmallVector<Value> sandwich(ArrayRef<Value> x, const double *mat,
                              int64_t rows);
  /// Adds the accumulators' initial value to `acc`, applies the epilogue and
  /// writes the vector at output (row, col).
  Value finishVector(Value o, Value row, Value col, Value acc, bool inBounds);
  const WinogradVariant *wino = nullptr;
  std::vector<float> winogradFilter; // Non-empty: Winograd.
  /// bf16: the instruction asked for (useBF16Pairs), and the k group this
  /// kernel runs (0: f32). 2, a dot product: weights packed as
  /// [panel][k/2][nr][2] bf16, the left-hand pair broadcast. 4, bfmmla:
  /// weights as [panel][k/4][nr/2][2][4] (column pairs), the accumulators
  /// 2x2 blocks of (row pair, column pair) within the reduction. The
  /// innermost reduction steps by the group.
  std::string bf16Dot;
  bool bf16Lhs = false;
  int64_t pairK = 0;
  /// Packed weights that are all bf16 values (--precision=bf16's) are
  /// stored as bf16 and extended in the reduction loop where no bf16
  /// instruction takes them: half the bytes in the artifact and read per
  /// run, at no measured cost (docs/quantization.md).
  bool bf16Weights = true, halfWeights = false;
  int64_t bf16Group() const;
  Value pairDot(Value acc, Value a, Value bv);
  /// Row-layout accumulators [r][j] of a tile to bfmmla's blocks
  /// (`toBlocks`) or back.
  SmallVector<Value> swapBlocks(ArrayRef<Value> v, int64_t mr, int64_t nv,
                                bool toBlocks);
  /// Elements of one batch's packed weights.
  int64_t packedPerBatch = 0;

  const Contraction &c;
  std::optional<Epilogue> epi;
  std::optional<PadTarget> pad;
  int64_t lanes, registers, rowGroups;
  /// Where output element (row, col) lives: [row, col] of the [rows, N]
  /// result, or its place inside the padded tensor.
  SmallVector<Value> outIndices(Value row, Value col) {
    if (!pad)
      return {row, col};
    SmallVector<Value> at = delinearize(row, pad->rowShape);
    for (auto [i, v] : llvm::enumerate(at))
      v = add(v, idx(pad->low[i]));
    at.push_back(col);
    return at;
  }
  VectorType vt;
  Value lhsFlat, rhsView, packed;
  /// The packed weights as a read-only buffer, for prefetches.
  Value packedBuf;
  std::optional<OperandReader> initReader;
  Value initScalar;
  SmallVector<std::optional<OperandReader>> epiReaders;
  ArrayRef<int64_t> outShape; // The contraction's result shape.
  Type outElt;                // The kernel's output element type.
  /// The epilogue operand whose buffer the kernel writes its output into,
  /// or -1 (see inPlaceOperand).
  int64_t inPlace = -1;
  int64_t inPlaceOperand(ArrayRef<Segment> segs) const;
  int64_t outVecDim = 0;
};

} // namespace mlir::dlc::cpu

#endif // DLC_TARGETS_CPU_CONTRACTION_H

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
#include "targets/CPU/Lanewise.h"
#include "targets/CPU/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <algorithm>
#include <functional>

namespace mlir::dlc {
#define GEN_PASS_DEF_CONTRACTIONKERNELS
#include "targets/CPU/Passes.h.inc"
} // namespace mlir::dlc

using namespace mlir;

namespace {

/// Marks a loop whose iterations write disjoint data and may run on any
/// thread (dlc-outline-kernels turns it into a parallel kernel).
constexpr llvm::StringLiteral kParallelAttr = "dlc.parallel";

/// The innermost non-unit dimension of `shape`, which must have size `n`
/// (the output channels), or -1.
int64_t findVecDim(ArrayRef<int64_t> shape, int64_t n) {
  if (shape.empty())
    return -1;
  int64_t d = shape.size() - 1;
  if (n != 1)
    while (d > 0 && shape[d] == 1)
      --d;
  return shape[d] == n ? d : -1;
}

int64_t product(ArrayRef<int64_t> s) {
  int64_t p = 1;
  for (int64_t v : s)
    p *= v;
  return p;
}

bool isF32Static(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && t.hasStaticShape() && t.getElementType().isF32();
}

/// Whether `v` is a constant f32 tensor seen through reshapes/transposes.
bool isConstant(Value v) {
  Operation *def = v.getDefiningOp();
  if (auto c = dyn_cast_or_null<arith::ConstantOp>(def))
    return isa<DenseElementsAttr, DenseF32ResourceElementsAttr>(c.getValue());
  if (isa_and_nonnull<tensor::CollapseShapeOp, tensor::ExpandShapeOp,
                      linalg::TransposeOp>(def))
    return isConstant(def->getOperand(0));
  return false;
}

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
};

/// Whether `body` computes out + f(lhs) * rhs with f a chain of scalar
/// arith/math ops on the left-hand element (and values from outside);
/// collects the chain.
bool isContractionBody(Block &body, SmallVector<Operation *> &prologue) {
  Value lhs = body.getArgument(0), rhs = body.getArgument(1),
        out = body.getArgument(2);
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  auto add = yield.getValues()[0].getDefiningOp<arith::AddFOp>();
  if (!add)
    return false;
  Value prod = add.getLhs() == out ? add.getRhs() : add.getLhs();
  if ((add.getLhs() == out) == (add.getRhs() == out))
    return false;
  auto mul = prod.getDefiningOp<arith::MulFOp>();
  if (!mul || mul->getBlock() != &body)
    return false;
  Value scaled = mul.getRhs() == rhs ? mul.getLhs() : mul.getRhs();
  if (mul.getLhs() != rhs && mul.getRhs() != rhs)
    return false;
  prologue.clear();
  for (Operation &op : body.without_terminator()) {
    if (&op == add.getOperation() || &op == mul.getOperation())
      continue;
    Dialect *d = op.getDialect();
    if (!d || (d->getNamespace() != "arith" && d->getNamespace() != "math") ||
        op.getNumResults() != 1 || op.getNumRegions())
      return false;
    for (Value v : op.getOperands())
      if (v == rhs || v == out ||
          (v.getParentBlock() == &body && isa<BlockArgument>(v) && v != lhs))
        return false;
    prologue.push_back(&op);
  }
  if (prologue.empty())
    return scaled == lhs;
  return scaled == prologue.back()->getResult(0);
}

/// A contraction written as a linalg.generic (Einsum-like imports, batched
/// MatMul with broadcasting): recognised by its contraction dimensions, with
/// the operand layouts the kernel reads directly. Dimensions of extent 1 are
/// ignored. The output must be [batch..., m..., n], the left-hand side
/// [batch..., m..., k...] (both row-major, so rows and the reduction are
/// contiguous), and the right-hand side [batch..., k..., n] or a constant of
/// any layout (it is packed).
std::optional<Contraction> matchGenericContraction(linalg::GenericOp g) {
  SmallVector<Operation *> prologue;
  if (g.getNumDpsInputs() != 2 || g.getNumDpsInits() != 1 ||
      !isContractionBody(g.getRegion().front(), prologue))
    return std::nullopt;
  FailureOr<linalg::ContractionDimensions> dims =
      linalg::inferContractionDims(g);
  if (failed(dims))
    return std::nullopt;
  SmallVector<int64_t> ranges = g.getStaticLoopRanges();
  auto nonUnit = [&](ArrayRef<unsigned> ds) {
    SmallVector<unsigned> out;
    for (unsigned d : ds)
      if (ranges[d] != 1)
        out.push_back(d);
    return out;
  };
  SmallVector<unsigned> batch = nonUnit(dims->batch), m = nonUnit(dims->m),
                        n = nonUnit(dims->n), k = nonUnit(dims->k);
  if (n.size() != 1 || k.empty())
    return std::nullopt;
  // The non-unit iteration dimensions an operand's map reads, in order.
  auto sequence = [&](AffineMap map) -> std::optional<SmallVector<unsigned>> {
    SmallVector<unsigned> out;
    for (AffineExpr e : map.getResults()) {
      if (auto d = dyn_cast<AffineDimExpr>(e)) {
        if (ranges[d.getPosition()] != 1)
          out.push_back(d.getPosition());
      } else if (!isa<AffineConstantExpr>(e)) {
        return std::nullopt;
      }
    }
    return out;
  };
  SmallVector<AffineMap> maps = g.getIndexingMapsArray();
  auto a = sequence(maps[0]), bs = sequence(maps[1]), o = sequence(maps[2]);
  if (!a || !bs || !o)
    return std::nullopt;
  bool rhsBatched = llvm::any_of(batch, [&](unsigned d) {
    return llvm::is_contained(*bs, d);
  });
  auto product = [&](ArrayRef<unsigned> ds) {
    int64_t p = 1;
    for (unsigned d : ds)
      p *= ranges[d];
    return p;
  };
  // Output: [batch..., m..., n] with every batch dimension first.
  size_t nb = rhsBatched ? batch.size() : 0;
  if (o->size() != batch.size() + m.size() + 1 || o->back() != n[0])
    return std::nullopt;
  SmallVector<unsigned> batchOrd(o->begin(), o->begin() + nb);
  SmallVector<unsigned> rowOrd(o->begin(), o->end() - 1); // batch + m.
  for (unsigned d : batchOrd)
    if (!llvm::is_contained(batch, d))
      return std::nullopt;
  // Left-hand side: the output's rows, then the reduction.
  if (a->size() != rowOrd.size() + k.size() ||
      !std::equal(rowOrd.begin(), rowOrd.end(), a->begin()))
    return std::nullopt;
  SmallVector<unsigned> kOrd(a->begin() + rowOrd.size(), a->end());
  Contraction c;
  c.kind = Contraction::Gemm;
  c.op = g;
  c.lhsPrologue = prologue;
  c.lhs = g.getDpsInputs()[0];
  c.rhs = g.getDpsInputs()[1];
  c.init = g.getDpsInits()[0];
  c.batch = product(batchOrd);
  c.m = product(rowOrd) / c.batch;
  c.n = ranges[n[0]];
  c.k = product(kOrd);
  auto rhsType = cast<RankedTensorType>(c.rhs.getType());
  if (isConstant(c.rhs) && !rhsBatched) {
    // Any layout: element (k, n) through the map and row-major strides.
    SmallVector<int64_t> strides(rhsType.getRank(), 1);
    for (int64_t i = rhsType.getRank() - 2; i >= 0; --i)
      strides[i] = strides[i + 1] * rhsType.getDimSize(i + 1);
    SmallVector<int64_t> kSizes;
    for (unsigned d : kOrd)
      kSizes.push_back(ranges[d]);
    AffineMap map = maps[1];
    unsigned nDim = n[0];
    c.rhsOffset = [=](int64_t kk, int64_t nn) {
      SmallVector<int64_t> val(ranges.size(), 0);
      for (int64_t i = kOrd.size() - 1; i >= 0; --i) {
        val[kOrd[i]] = kk % kSizes[i];
        kk /= kSizes[i];
      }
      val[nDim] = nn;
      int64_t off = 0;
      for (auto [p, e] : llvm::enumerate(map.getResults()))
        off += (isa<AffineDimExpr>(e)
                    ? val[cast<AffineDimExpr>(e).getPosition()]
                    : cast<AffineConstantExpr>(e).getValue()) *
               strides[p];
      return off;
    };
    return c;
  }
  // Run-time: [batch..., k..., n] collapsed to [batch * K, N].
  SmallVector<unsigned> want(batchOrd);
  want.append(kOrd.begin(), kOrd.end());
  want.push_back(n[0]);
  if (*bs != want)
    return std::nullopt;
  int64_t pn = -1;
  for (auto [p, e] : llvm::enumerate(maps[1].getResults()))
    if (auto d = dyn_cast<AffineDimExpr>(e); d && d.getPosition() == n[0])
      pn = p;
  if (pn < 1)
    return std::nullopt;
  ReassociationIndices lead, tail;
  for (int64_t i = 0; i < rhsType.getRank(); ++i)
    (i < pn ? lead : tail).push_back(i);
  c.rhsReassoc = {lead, tail};
  return c;
}

std::optional<Contraction> matchContraction(Operation *op) {
  for (Value v : op->getOperands())
    if (!isF32Static(v))
      return std::nullopt;
  if (auto g = dyn_cast<linalg::GenericOp>(op))
    return matchGenericContraction(g);
  Contraction c;
  c.op = op;
  auto strides = [](DenseIntElementsAttr a, int64_t i) {
    return a.getValues<int64_t>()[i];
  };
  if (isa<linalg::BatchMatmulOp, linalg::MatmulOp>(op)) {
    // A matmul is a batch matmul of one: [B, M, K] x [B, K, N].
    auto lin = cast<linalg::LinalgOp>(op);
    if (lin.hasUserDefinedMaps())
      return std::nullopt;
    SmallVector<int64_t> a(
        cast<RankedTensorType>(lin.getDpsInputs()[0].getType()).getShape());
    SmallVector<int64_t> b(
        cast<RankedTensorType>(lin.getDpsInputs()[1].getType()).getShape());
    if (a.size() == 2) {
      a.insert(a.begin(), 1);
      b.insert(b.begin(), 1);
    }
    if (a[0] != b[0] && b[0] != 1)
      return std::nullopt;
    c.kind = Contraction::Gemm;
    c.lhs = lin.getDpsInputs()[0];
    c.rhs = lin.getDpsInputs()[1];
    c.init = lin.getDpsInits()[0];
    // One right-hand side: all batches are rows.
    c.batch = b[0] == 1 ? 1 : b[0];
    c.m = b[0] == 1 ? a[0] * a[1] : a[1];
    c.k = a[2];
    c.n = b[2];
    return c;
  }
  auto conv = dyn_cast<linalg::Conv2DNhwcFhwcOp>(op);
  auto dwc = dyn_cast<linalg::DepthwiseConv2DNhwcHwcmOp>(op);
  if (!conv && !dwc)
    return std::nullopt;
  auto lin = cast<linalg::LinalgOp>(op);
  auto in = cast<RankedTensorType>(lin.getDpsInputs()[0].getType()).getShape();
  auto f = cast<RankedTensorType>(lin.getDpsInputs()[1].getType()).getShape();
  auto out = cast<RankedTensorType>(lin.getDpsInits()[0].getType()).getShape();
  DenseIntElementsAttr st = conv ? conv.getStrides() : dwc.getStrides();
  DenseIntElementsAttr dl = conv ? conv.getDilations() : dwc.getDilations();
  c.lhs = lin.getDpsInputs()[0];
  c.rhs = lin.getDpsInputs()[1];
  c.init = lin.getDpsInits()[0];
  c.h = in[1];
  c.w = in[2];
  c.c = in[3];
  c.sh = strides(st, 0);
  c.sw = strides(st, 1);
  c.dh = strides(dl, 0);
  c.dw = strides(dl, 1);
  c.oh = out[1];
  c.ow = out[2];
  c.m = out[0] * out[1] * out[2];
  if (conv) {
    // A constant filter is packed; a run-time one would be read strided.
    if (!isConstant(c.rhs))
      return std::nullopt;
    c.kind = Contraction::Conv;
    c.kh = f[1];
    c.kw = f[2];
    c.n = f[0];
    c.k = f[1] * f[2] * f[3];
    if (c.kh == 1 && c.kw == 1 && c.sh == 1 && c.sw == 1 && c.h == c.oh &&
        c.w == c.ow) {
      // Pointwise: a matrix product of the pixels with the filter's
      // transpose, rows contiguous in the input.
      c.kind = Contraction::Gemm;
      c.pointwise = true;
      int64_t k = c.k;
      c.rhsOffset = [k](int64_t kk, int64_t nn) { return nn * k + kk; };
    }
  } else {
    if (f[3] != 1) // Channel multiplier.
      return std::nullopt;
    c.kind = Contraction::Depthwise;
    c.kh = f[0];
    c.kw = f[1];
    c.n = c.c;
    c.k = c.kh * c.kw;
  }
  // An input cropped at its end (the rows and columns a strided window never
  // reaches) is read in place: the kernel addresses pixels through the
  // source's geometry, so the crop is never copied out.
  if (c.kind != Contraction::Gemm)
    if (auto crop = c.lhs.getDefiningOp<tensor::ExtractSliceOp>()) {
      ArrayRef<int64_t> src = crop.getSourceType().getShape();
      if (crop.getSourceType().hasStaticShape() && src.size() == 4 &&
          llvm::all_of(crop.getStaticOffsets(),
                       [](int64_t o) { return o == 0; }) &&
          llvm::all_of(crop.getStaticStrides(),
                       [](int64_t s) { return s == 1; }) &&
          crop.getType().getRank() == 4 && src[0] == in[0] &&
          src[3] == in[3]) {
        c.lhs = crop.getSource();
        c.h = src[1];
        c.w = src[2];
      }
    }
  return c;
}

/// The elementwise consumer fused into a contraction's output write.
struct Epilogue {
  linalg::GenericOp op;
  unsigned accOperand = 0;
  SmallVector<Operation *> reshapes;
};

bool isScalarIntOrFloat(Type t) { return isa<IntegerType, FloatType>(t); }

/// Where an operand's indexing map puts the vector dimension (-1: it does
/// not use it, so it is broadcast across the vector); fails if the operand
/// cannot be read as vectors (a transposed or non-unit trailing access).
FailureOr<int64_t> vectorPosition(AffineMap map, ArrayRef<int64_t> shape,
                                  int64_t vecDim) {
  int64_t pos = -1;
  for (auto [i, e] : llvm::enumerate(map.getResults())) {
    if (auto d = dyn_cast<AffineDimExpr>(e)) {
      if (d.getPosition() == vecDim) {
        if (pos >= 0)
          return failure();
        pos = i;
      }
      continue;
    }
    if (!isa<AffineConstantExpr>(e))
      return failure();
  }
  if (pos >= 0)
    for (int64_t i = pos + 1; i < static_cast<int64_t>(shape.size()); ++i)
      if (shape[i] != 1)
        return failure();
  return pos;
}

bool isVectorizableBody(Block &body) {
  for (Operation &op : body.without_terminator()) {
    Dialect *d = op.getDialect();
    if (!d || (d->getNamespace() != "arith" && d->getNamespace() != "math"))
      return false;
    if (op.getNumRegions() || op.getNumResults() != 1)
      return false;
    for (Type t : op.getResultTypes())
      if (!isScalarIntOrFloat(t))
        return false;
    for (Type t : op.getOperandTypes())
      if (!isScalarIntOrFloat(t))
        return false;
  }
  return true;
}

std::optional<Epilogue> matchEpilogue(Value result, int64_t rows, int64_t n) {
  Epilogue e;
  Value v = result;
  while (v.hasOneUse()) {
    Operation *user = *v.getUsers().begin();
    if (isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(user)) {
      e.reshapes.push_back(user);
      v = user->getResult(0);
      continue;
    }
    auto g = dyn_cast<linalg::GenericOp>(user);
    if (!g || g.getNumResults() != 1 || g.getNumDpsInits() != 1 ||
        g.getNumReductionLoops() != 0)
      return std::nullopt;
    auto type = dyn_cast<RankedTensorType>(g.getResult(0).getType());
    if (!type || !type.hasStaticShape() ||
        !isScalarIntOrFloat(type.getElementType()))
      return std::nullopt;
    ArrayRef<int64_t> shape = type.getShape();
    int64_t vd = findVecDim(shape, n);
    if (vd < 1 || product(shape.take_front(vd)) != rows)
      return std::nullopt;
    if (!g.getIndexingMapsArray().back().isIdentity())
      return std::nullopt;
    Block &body = g.getRegion().front();
    if (!body.getArguments().back().use_empty() || !isVectorizableBody(body))
      return std::nullopt;
    int uses = 0;
    for (OpOperand *in : g.getDpsInputOperands()) {
      AffineMap map = g.getMatchingIndexingMap(in);
      auto t = dyn_cast<RankedTensorType>(in->get().getType());
      if (!t || !t.hasStaticShape())
        return std::nullopt;
      if (in->get() == v) {
        if (!map.isIdentity() || t.getShape() != shape)
          return std::nullopt;
        e.accOperand = in->getOperandNumber();
        ++uses;
        continue;
      }
      if (failed(vectorPosition(map, t.getShape(), vd)))
        return std::nullopt;
    }
    if (uses != 1)
      return std::nullopt;
    e.op = g;
    return e;
  }
  return std::nullopt;
}

/// Row-major values of a constant f32 tensor, seen through reshapes and
/// transposes, or false.
bool constantValues(Value v, std::vector<float> &out) {
  Operation *def = v.getDefiningOp();
  if (!def)
    return false;
  if (auto c = dyn_cast<arith::ConstantOp>(def)) {
    if (auto d = dyn_cast<DenseElementsAttr>(c.getValue())) {
      if (!d.getElementType().isF32())
        return false;
      auto vals = d.getValues<float>();
      out.assign(vals.begin(), vals.end());
      return true;
    }
    if (auto r = dyn_cast<DenseF32ResourceElementsAttr>(c.getValue())) {
      std::optional<ArrayRef<float>> data = r.tryGetAsArrayRef();
      if (!data || static_cast<int64_t>(data->size()) !=
                       cast<ShapedType>(r.getType()).getNumElements())
        return false;
      out.assign(data->begin(), data->end());
      return true;
    }
    return false;
  }
  if (isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(def))
    return constantValues(def->getOperand(0), out);
  if (auto t = dyn_cast<linalg::TransposeOp>(def)) {
    std::vector<float> src;
    if (!constantValues(t.getInput(), src))
      return false;
    auto inShape = cast<RankedTensorType>(t.getInput().getType()).getShape();
    ArrayRef<int64_t> perm = t.getPermutation();
    int64_t rank = inShape.size();
    SmallVector<int64_t> inStride(rank, 1), outShape(rank);
    for (int64_t i = rank - 2; i >= 0; --i)
      inStride[i] = inStride[i + 1] * inShape[i + 1];
    for (int64_t i = 0; i < rank; ++i)
      outShape[i] = inShape[perm[i]];
    out.resize(src.size());
    SmallVector<int64_t> idx(rank, 0);
    for (size_t flat = 0; flat < src.size(); ++flat) {
      int64_t off = 0;
      for (int64_t i = 0; i < rank; ++i)
        off += idx[i] * inStride[perm[i]];
      out[flat] = src[off];
      for (int64_t i = rank - 1; i >= 0; --i) {
        if (++idx[i] < outShape[i])
          break;
        idx[i] = 0;
      }
    }
    return true;
  }
  return false;
}

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

  static OperandReader make(OpBuilder &b, Location loc, Value v,
                            AffineMap map, int64_t vecDim) {
    OperandReader r;
    r.map = map;
    auto t = cast<RankedTensorType>(v.getType());
    r.pos = *vectorPosition(map, t.getShape(), vecDim);
    r.source = v;
    if (map.isIdentity() && vecDim >= 1) {
      // The whole tensor, as the kernel's [rows, N]: read at the flat row.
      ReassociationIndices rows, cols;
      for (int64_t i = 0; i < t.getRank(); ++i)
        (i < vecDim ? rows : cols).push_back(i);
      r.flat = true;
      r.source = tensor::CollapseShapeOp::create(
          b, loc,
          RankedTensorType::get({product(t.getShape().take_front(vecDim)),
                                 product(t.getShape().drop_front(vecDim))},
                                t.getElementType()),
          v, SmallVector<ReassociationIndices>{rows, cols});
      return r;
    }
    if (r.pos >= 0 && r.pos + 1 < t.getRank()) {
      // Drop the unit dimensions after the vector one.
      SmallVector<ReassociationIndices> re;
      for (int64_t i = 0; i < r.pos; ++i)
        re.push_back({i});
      ReassociationIndices last;
      for (int64_t i = r.pos; i < t.getRank(); ++i)
        last.push_back(i);
      re.push_back(last);
      SmallVector<int64_t> shape(t.getShape().take_front(r.pos + 1));
      r.source = tensor::CollapseShapeOp::create(
          b, loc, RankedTensorType::get(shape, t.getElementType()), v, re);
    }
    return r;
  }

  Value read(OpBuilder &b, Location loc, Value row, ArrayRef<Value> rowIdx,
             Value col, VectorType vt, bool inBounds) const {
    if (flat)
      return vector::TransferReadOp::create(
          b, loc,
          VectorType::get(vt.getShape(),
                          cast<RankedTensorType>(source.getType())
                              .getElementType()),
          source, ValueRange{row, col},
          arith::ConstantOp::create(
              b, loc,
              b.getZeroAttr(
                  cast<RankedTensorType>(source.getType()).getElementType())),
          ArrayRef<bool>{inBounds});
    SmallVector<Value> idx;
    int64_t count = pos >= 0 ? pos + 1 : map.getNumResults();
    for (int64_t i = 0; i < count; ++i) {
      AffineExpr e = map.getResult(i);
      if (auto d = dyn_cast<AffineDimExpr>(e)) {
        unsigned p = d.getPosition();
        idx.push_back(p < rowIdx.size() ? rowIdx[p]
                      : i == pos        ? col
                                        : arith::ConstantIndexOp::create(b, loc, 0));
      } else {
        idx.push_back(arith::ConstantIndexOp::create(
            b, loc, cast<AffineConstantExpr>(e).getValue()));
      }
    }
    Type elt = cast<RankedTensorType>(source.getType()).getElementType();
    VectorType type = VectorType::get(vt.getShape(), elt);
    if (pos >= 0) {
      Value pad = arith::ConstantOp::create(b, loc, b.getZeroAttr(elt));
      return vector::TransferReadOp::create(b, loc, type, source, idx, pad,
                                            ArrayRef<bool>{inBounds});
    }
    Value s = tensor::ExtractOp::create(b, loc, source, idx);
    return vector::BroadcastOp::create(b, loc, type, s);
  }
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

std::optional<PadTarget> matchPadTarget(Value result) {
  if (!result.hasOneUse())
    return std::nullopt;
  auto pad = dyn_cast<tensor::PadOp>(*result.getUsers().begin());
  if (!pad || !pad.getConstantPaddingValue() ||
      !pad.getResultType().hasStaticShape() || !pad.getLow().empty() ||
      !pad.getHigh().empty())
    return std::nullopt;
  auto type = cast<RankedTensorType>(result.getType());
  int64_t rank = type.getRank();
  if (rank < 2 || pad.getStaticLow()[rank - 1] != 0 ||
      pad.getStaticHigh()[rank - 1] != 0)
    return std::nullopt;
  PadTarget t;
  t.op = pad;
  t.value = pad.getConstantPaddingValue();
  t.low.assign(pad.getStaticLow().begin(), pad.getStaticLow().end());
  t.rowShape.assign(type.getShape().begin(), type.getShape().end() - 1);
  return t;
}

// Winograd F(m x m, 3x3) (Lavin and Gray, "Fast Algorithms for
// Convolutional Neural Networks", 2016): a stride-1 3x3 convolution computed
// per m x m output tile from an (m+2) x (m+2) input tile as
// Y = A^T [U . V] A, with V = B^T d B the input tile transformed,
// U = G g G^T the filter transformed at compile time, and the (m+2)^2
// products U . V summed over input channels as (m+2)^2 matrix products
// [tiles x C] x [C x F]. F(4x4, 3x3) needs 36 multiplications per tile and
// channel pair where the direct form needs 144, F(2x2, 3x3) 16 where it
// needs 36. The matrix products run through the register-tiled kernel
// above, the transforms are vector code along the channels. onnxruntime's
// CPU provider (MLAS) computes 3x3 convolutions directly; this is where dlc
// does less arithmetic.
struct WinogradVariant {
  int64_t m, a;          // Outputs and inputs per tile side (a = m + 2).
  const double *bt;      // B^T, a x a.
  const double *g;       // G, a x 3.
  const double *at;      // A^T, m x a.
  ArrayRef<double> row(const double *mat, int64_t i) const {
    return ArrayRef<double>(mat + i * a, a);
  }
};
constexpr double kBT4[] = {4, 0, -5, 0,  1, 0, 0, -4, -4, 1, 1, 0,
                           0, 4, -4, -1, 1, 0, 0, -2, -1, 2, 1, 0,
                           0, 2, -1, -2, 1, 0, 0, 4,  0,  -5, 0, 1};
constexpr double kG4[] = {1.0 / 4,  0,         0,        -1.0 / 6, -1.0 / 6,
                          -1.0 / 6, -1.0 / 6,  1.0 / 6,  -1.0 / 6, 1.0 / 24,
                          1.0 / 12, 1.0 / 6,   1.0 / 24, -1.0 / 12, 1.0 / 6,
                          0,        0,         1};
constexpr double kAT4[] = {1, 1, 1,  1, 1,  0, 0, 1, -1, 2, -2, 0,
                           0, 1, 1,  4, 4,  0, 0, 1, -1, 8, -8, 1};
constexpr double kBT2[] = {1, 0, -1, 0, 0, 1, 1, 0, 0, -1, 1, 0, 0, 1, 0, -1};
constexpr double kG2[] = {1, 0, 0, 0.5, 0.5, 0.5, 0.5, -0.5, 0.5, 0, 0, 1};
constexpr double kAT2[] = {1, 1, 1, 0, 0, 1, -1, -1};
constexpr WinogradVariant kF4{4, 6, kBT4, kG4, kAT4};
constexpr WinogradVariant kF2{2, 4, kBT2, kG2, kAT2};

/// The Winograd variant a convolution runs as, or null for the direct
/// form: stride 1, no dilation, 3x3, at least 32 input and output channels
/// (below that the transforms cost more than the products save) and 8x8
/// outputs. A network's weights come from DRAM on every run and the
/// transformed filter is (m+2)^2 / 9 times the filter, so F(4x4, 3x3) is
/// used while its filter stays within 4 MB (up to 128 x 128 channels),
/// F(2x2, 3x3) while its filter does (256 x 256), and beyond that (the
/// 512-channel layers of ResNet-50) the extra weight traffic would cost
/// more than the arithmetic saved.
const WinogradVariant *winogradVariant(const Contraction &c) {
  constexpr int64_t kMaxTransformedBytes = int64_t(9) << 19; // 4.5 MB.
  if (c.kind != Contraction::Conv || c.kh != 3 || c.kw != 3 || c.sh != 1 ||
      c.sw != 1 || c.dh != 1 || c.dw != 1 || c.c < 32 || c.n < 32 ||
      c.oh < 8 || c.ow < 8 || !c.lhsPrologue.empty())
    return nullptr;
  for (const WinogradVariant *v : {&kF4, &kF2})
    if (v->a * v->a * c.c * c.n * 4 <= kMaxTransformedBytes)
      return v;
  return nullptr;
}

class KernelEmitter {
public:
  KernelEmitter(OpBuilder &b, Location loc, const Contraction &c,
                std::optional<Epilogue> epi, std::optional<PadTarget> pad,
                int64_t lanes, int64_t registers, int64_t rowGroups)
      : b(b), loc(loc), c(c), epi(epi), pad(pad), lanes(lanes),
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

private:
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
  std::string describe(int64_t epiOps) const {
    std::string d;
    llvm::raw_string_ostream os(d);
    auto shape = [&](ArrayRef<int64_t> v) {
      llvm::interleave(v, os, "x");
    };
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
    if (epiOps)
      os << " + " << epiOps << " epilogue op(s)";
    return d;
  }
  /// Rows per register tile: as many as the registers allow (at most 8),
  /// or one or two fewer when that pads the rows (M, rounded up to whole
  /// blocks) by over 5% less: the last block recomputes clamped rows, so
  /// M = 49 (a 7x7 map) runs 50 rows with 5-row blocks instead of 54.
  int64_t tileRows(int64_t nv) const {
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
  /// Elements of one batch's packed weights.
  int64_t packedPerBatch = 0;

  OpBuilder &b;
  Location loc;
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

SmallVector<Segment> KernelEmitter::segments() const {
  int64_t nvMax = registers >= 32 ? 4 : 2;
  int64_t vecs = (c.n + lanes - 1) / lanes;
  int64_t nv = std::min(nvMax, vecs);
  int64_t nr = nv * lanes;
  SmallVector<Segment> segs;
  int64_t full = c.n / nr;
  if (full)
    segs.push_back({0, full, nv, tileRows(nv), 0, true});
  int64_t rest = c.n - full * nr;
  if (rest) {
    int64_t nvt = (rest + lanes - 1) / lanes;
    segs.push_back({full * nr, 1, nvt, tileRows(nvt), full * c.k * nr,
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
  std::vector<float> packedData(total, 0.0f);
  for (int64_t bt = 0; bt < c.batch; ++bt)
    for (const Segment &s : segs) {
      int64_t nr = s.nv * lanes;
      for (int64_t p = 0; p < s.panels; ++p)
        for (int64_t k = 0; k < c.k; ++k)
          for (int64_t j = 0; j < nr; ++j) {
            int64_t n = s.col0 + p * nr + j;
            if (n >= c.n)
              continue;
            packedData[bt * packedPerBatch + s.packedBase +
                       (p * c.k + k) * nr + j] =
                src[bt * c.k * c.n + offset(k, n)];
          }
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
Value aliasRoot(Value v) {
  while (Operation *d = v.getDefiningOp()) {
    if (!isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp, tensor::CastOp>(d))
      break;
    v = d->getOperand(0);
  }
  return v;
}

/// Whether an op after `at` in its block reads `v`, directly or through
/// reshapes and casts of it (`skip` and `at` itself excepted).
bool readAfter(Value v, Operation *at, Operation *skip) {
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
  if (!epi || pad)
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
                                      b.getF32Type()),
        c.lhs, SmallVector<ReassociationIndices>{{0, 1, 2}, {3}});
    rhsView = tensor::CollapseShapeOp::create(
        b, loc, RankedTensorType::get({c.kh * c.kw, c.c}, b.getF32Type()),
        c.rhs, SmallVector<ReassociationIndices>{{0, 1}, {2, 3}});
  } else {
    ReassociationIndices all;
    for (int64_t i = 0; i < lhsType.getRank(); ++i)
      all.push_back(i);
    lhsFlat = tensor::CollapseShapeOp::create(
        b, loc, RankedTensorType::get({lhsType.getNumElements()},
                                      b.getF32Type()),
        c.lhs, SmallVector<ReassociationIndices>{all});
  }
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
                          b.getF32Type()),
          packed, /*read_only=*/true);
    } else {
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
  if (auto fill = dyn_cast_or_null<linalg::FillOp>(initDef)) {
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
              : b.getF32Type();
  Value out;
  if (pad) {
    // The kernel writes the whole interior: only the border is filled, one
    // slab per padded side (extract, fill, insert: in place after
    // bufferization), each slab restricted to the interior of the dims
    // before it so that no element is written twice. The buffer is an
    // alloc_tensor, not a tensor.empty: CSE would merge identical empties
    // and their identical border fills across kernels, and bufferization
    // would then copy the shared padded buffer for the second writer.
    RankedTensorType padType = pad->op.getResultType();
    ArrayRef<int64_t> shape = padType.getShape();
    ArrayRef<int64_t> lo = pad->op.getStaticLow(), hi = pad->op.getStaticHigh();
    out = bufferization::AllocTensorOp::create(b, loc, padType, ValueRange{});
    SmallVector<int64_t> offsets(shape.size(), 0), sizes(shape);
    SmallVector<int64_t> strides(shape.size(), 1);
    for (size_t d = 0; d < shape.size(); ++d) {
      for (bool high : {false, true}) {
        int64_t extent = high ? hi[d] : lo[d];
        if (extent == 0)
          continue;
        SmallVector<int64_t> off(offsets), sz(sizes);
        off[d] = high ? shape[d] - extent : 0;
        sz[d] = extent;
        MLIRContext *ctx = b.getContext();
        SmallVector<OpFoldResult> o = getAsIndexOpFoldResult(ctx, off),
                                  z = getAsIndexOpFoldResult(ctx, sz),
                                  st = getAsIndexOpFoldResult(ctx, strides);
        auto slab = tensor::ExtractSliceOp::create(b, loc, out, o, z, st);
        Value filled =
            linalg::FillOp::create(b, loc, pad->value, slab.getResult())
                .getResult(0);
        out = tensor::InsertSliceOp::create(b, loc, filled, out, o, z, st);
      }
      offsets[d] = lo[d];
      sizes[d] = shape[d] - lo[d] - hi[d];
    }
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
  return blocked ? kcBlock : 0;
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
  int64_t blocks = (c.m + mr - 1) / mr;
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
        for (int64_t j = 0; j < nv; ++j) {
          if (packed) {
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
              Value x = vector::TransferReadOp::create(
                  b, loc, vt, lhsFlat, ValueRange{at, cols[j]},
                  arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0)),
                  ArrayRef<bool>{s.inBounds});
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
      bool inner = level + 1 == levels.size() && kLo;
      auto f = inner ? scf::ForOp::create(b, loc, kLo, kHi, idx(1), acc)
                     : scf::ForOp::create(b, loc, idx(0), idx(l.extent),
                                          idx(1), acc);
      b.setInsertionPointToStart(f.getBody());
      Value iv = f.getInductionVar();
      SmallVector<Value> res =
          reduce(level + 1, add(aOff, mul(iv, l.aStride)),
                 add(kOff, mul(iv, l.kStride)), f.getRegionIterArgs());
      endFor(f, res);
      return SmallVector<Value>(f.getResults());
    };
    return reduce(0, idx(0), idx(0), init);
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

  Value o = tLoop.getRegionIterArgs()[0];
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

Value KernelEmitter::lincomb(ArrayRef<Value> xs, ArrayRef<double> coefs) {
  auto splat = [&](double v) -> Value {
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(
                    vt, ArrayRef<Attribute>{
                            b.getF32FloatAttr(static_cast<float>(v))}));
  };
  Value acc;
  for (auto [x, cf] : llvm::zip_equal(xs, coefs)) {
    if (cf == 0)
      continue;
    if (!acc)
      acc = cf == 1    ? x
            : cf == -1 ? arith::NegFOp::create(b, loc, x).getResult()
                       : arith::MulFOp::create(b, loc, splat(cf), x)
                             .getResult();
    else if (cf == 1)
      acc = arith::AddFOp::create(b, loc, acc, x);
    else if (cf == -1)
      acc = arith::SubFOp::create(b, loc, acc, x);
    else
      acc = vector::FMAOp::create(b, loc, splat(cf), x, acc);
  }
  return acc ? acc : splat(0);
}

SmallVector<Value> KernelEmitter::sandwich(ArrayRef<Value> x,
                                           const double *mat, int64_t rows) {
  int64_t a = wino->a;
  SmallVector<Value> t(rows * a), y(rows * rows);
  for (int64_t i = 0; i < rows; ++i) // M X, along the columns.
    for (int64_t j = 0; j < a; ++j) {
      SmallVector<Value> column;
      for (int64_t k = 0; k < a; ++k)
        column.push_back(x[k * a + j]);
      t[i * a + j] = lincomb(column, wino->row(mat, i));
    }
  for (int64_t i = 0; i < rows; ++i) // (M X) M^T, along the rows.
    for (int64_t j = 0; j < rows; ++j)
      y[i * rows + j] =
          lincomb(ArrayRef<Value>(t).slice(i * a, a), wino->row(mat, j));
  return y;
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

Value KernelEmitter::emitWinograd(Value out, StringRef blobPrefix,
                                  unsigned &blobCounter) {
  const WinogradVariant &w = *wino;
  const int64_t m = w.m, a = w.a, aa = a * a;
  Type f32 = b.getF32Type();
  int64_t images = c.m / (c.oh * c.ow);
  int64_t tilesY = (c.oh + m - 1) / m, tilesX = (c.ow + m - 1) / m;
  int64_t tiles = images * tilesY * tilesX;
  int64_t cVecs = (c.c + lanes - 1) / lanes, fVecs = (c.n + lanes - 1) / lanes;
  bool cIn = c.c % lanes == 0, fIn = c.n % lanes == 0;
  Value zero = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(vt, ArrayRef<Attribute>{
                                             b.getF32FloatAttr(0)}));
  auto describeStep = [&](scf::ForOp loop, StringRef what, int64_t flops) {
    std::string d;
    llvm::raw_string_ostream os(d);
    os << "winograd " << what << " " << m << "x" << m << "/3x3 " << c.oh
       << "x" << c.ow << "x" << c.c << " -> " << c.n;
    loop->setAttr(kParallelAttr, b.getUnitAttr());
    loop->setAttr("dlc.kernel", b.getStringAttr(d));
    loop->setAttr("dlc.flops", b.getI64IntegerAttr(flops));
  };
  // Nonzero entries of a rows x a matrix: the terms of one application.
  auto terms = [&](const double *mat, int64_t rows) {
    return std::count_if(mat, mat + rows * a, [](double v) { return v != 0; });
  };
  auto tileOf = [&](Value t) {
    return delinearize(t, {images, tilesY, tilesX});
  };

  // 1. Each tile's a x a input, transformed, one vector of channels at a
  // time: V[xi * tiles + t, c]. Input pixels past the (padded) input's end
  // are read as zeros: they feed only the outputs past the end of a partial
  // last tile, which are not written, but must not be garbage.
  Value v = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{aa * tiles, c.c},
                                    f32);
  auto tLoop = beginFor(tiles, 1, v);
  describeStep(tLoop, "input", tiles * c.c * 2 * 2 * a * terms(w.bt, a));
  SmallVector<Value> tileAt = tileOf(tLoop.getInductionVar());
  auto cLoop = beginFor(cVecs, 1, tLoop.getRegionIterArgs()[0]);
  Value ch = mul(cLoop.getInductionVar(), lanes);
  bool rowGuard = m * (tilesY - 1) + a > c.h;
  bool colGuard = m * (tilesX - 1) + a > c.w;
  // Input row (column) i of the tile, clamped into the input when the last
  // tile reaches past it, and whether it lies inside.
  auto coord = [&](Value tile, int64_t i, int64_t extent, bool guard) {
    Value p = add(mul(tile, m), idx(i));
    Value in = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, p,
                                     idx(extent));
    if (guard)
      p = arith::MinUIOp::create(b, loc, p, idx(extent - 1));
    return std::pair{p, in};
  };
  SmallVector<Value> d(aa);
  for (int64_t i = 0; i < a; ++i) {
    auto [y, yOk] = coord(tileAt[1], i, c.h, rowGuard);
    for (int64_t j = 0; j < a; ++j) {
      auto [x, xOk] = coord(tileAt[2], j, c.w, colGuard);
      Value at = add(mul(add(mul(add(mul(tileAt[0], c.h), y), c.w), x), c.c),
                     ch);
      Value e = vector::TransferReadOp::create(
          b, loc, vt, lhsFlat, ValueRange{at},
          arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0)),
          ArrayRef<bool>{cIn});
      Value ok = rowGuard && colGuard
                     ? arith::AndIOp::create(b, loc, yOk, xOk).getResult()
                 : rowGuard ? yOk
                 : colGuard ? xOk
                            : Value();
      d[i * a + j] = ok ? arith::SelectOp::create(b, loc, ok, e, zero) : e;
    }
  }
  SmallVector<Value> transformed = sandwich(d, w.bt, a); // B^T d B
  Value vAcc = cLoop.getRegionIterArgs()[0];
  for (int64_t i = 0; i < a; ++i)
    for (int64_t j = 0; j < a; ++j) {
      Value e = transformed[i * a + j];
      vAcc = vector::TransferWriteOp::create(
                 b, loc, e, vAcc,
                 ValueRange{add(idx((i * a + j) * tiles),
                                tLoop.getInductionVar()),
                            ch},
                 ArrayRef<bool>{cIn})
                 .getResult();
    }
  endFor(cLoop, vAcc);
  endFor(tLoop, cLoop.getResult(0));
  v = tLoop.getResult(0);

  // 2. The a^2 products [tiles x C] x [C x F] with the filter transformed
  // at compile time (U[xi][c][f] = (G g G^T)[xi], in double), as a batch
  // matmul through the register-tiled kernel (weights packed there).
  std::vector<float> u(aa * c.c * c.n);
  std::vector<double> gg(a * 3);
  for (int64_t f = 0; f < c.n; ++f)
    for (int64_t ci = 0; ci < c.c; ++ci) {
      std::fill(gg.begin(), gg.end(), 0.0); // G g
      for (int64_t r = 0; r < a; ++r)
        for (int64_t j = 0; j < 3; ++j)
          for (int64_t i = 0; i < 3; ++i)
            gg[r * 3 + j] += w.g[r * 3 + i] *
                             winogradFilter[((f * 3 + i) * 3 + j) * c.c + ci];
      for (int64_t r = 0; r < a; ++r)
        for (int64_t e = 0; e < a; ++e) {
          double sum = 0;
          for (int64_t j = 0; j < 3; ++j)
            sum += gg[r * 3 + j] * w.g[e * 3 + j];
          u[((r * a + e) * c.c + ci) * c.n + f] = static_cast<float>(sum);
        }
    }
  auto uType = RankedTensorType::get({aa, c.c, c.n}, f32);
  Value uConst = arith::ConstantOp::create(
      b, loc,
      DenseResourceElementsAttr::get(
          uType, (blobPrefix + "_winograd" + Twine(blobCounter++)).str(),
          HeapAsmResourceBlob::allocateAndCopyInferAlign(ArrayRef<float>(u))));
  Value v3 = tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get({aa, tiles, c.c}, f32), v,
      SmallVector<ReassociationIndices>{{0, 1}, {2}});
  auto mType = RankedTensorType::get({aa, tiles, c.n}, f32);
  Value mEmpty = tensor::EmptyOp::create(b, loc, mType.getShape(), f32);
  auto fill = linalg::FillOp::create(
      b, loc, ValueRange{arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0))},
      ValueRange{mEmpty});
  auto bm = linalg::BatchMatmulOp::create(b, loc, TypeRange{mType},
                                          ValueRange{v3, uConst},
                                          ValueRange{fill.getResult(0)});
  std::optional<Contraction> gc = matchContraction(bm);
  assert(gc && "a static f32 batch matmul always matches");
  KernelEmitter gemm(b, loc, *gc, std::nullopt, std::nullopt, lanes, registers,
                     rowGroups);
  Value prod = gemm.emit(blobPrefix, blobCounter);
  bm->erase();
  fill->erase();
  uConst.getDefiningOp()->erase();
  prod = tensor::CollapseShapeOp::create(
      b, loc, RankedTensorType::get({aa * tiles, c.n}, f32), prod,
      SmallVector<ReassociationIndices>{{0, 1}, {2}});

  // 3. Each tile's a^2 products, transformed back to its m x m outputs,
  // plus the accumulators' initial value (the bias), through the epilogue,
  // into the output; outputs past the end of a partial last tile are
  // skipped.
  auto oLoop = beginFor(tiles, 1, out);
  describeStep(oLoop, "output", tiles * c.n * 2 * (a + m) * terms(w.at, m));
  tileAt = tileOf(oLoop.getInductionVar());
  auto fLoop = beginFor(fVecs, 1, oLoop.getRegionIterArgs()[0]);
  Value col = mul(fLoop.getInductionVar(), lanes);
  SmallVector<Value> pv(aa);
  for (int64_t xi = 0; xi < aa; ++xi)
    pv[xi] = vector::TransferReadOp::create(
        b, loc, vt, prod,
        ValueRange{add(idx(xi * tiles), oLoop.getInductionVar()), col},
        arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0)),
        ArrayRef<bool>{fIn});
  SmallVector<Value> y = sandwich(pv, w.at, m); // A^T P A
  Value o = fLoop.getRegionIterArgs()[0];
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < m; ++j) {
      Value acc = y[i * m + j];
      Value y = add(mul(tileAt[1], m), idx(i));
      Value x = add(mul(tileAt[2], m), idx(j));
      Value row = add(mul(add(mul(tileAt[0], c.oh), y), c.ow), x);
      bool guardY = c.oh % m && i >= c.oh % m;
      bool guardX = c.ow % m && j >= c.ow % m;
      if (!guardY && !guardX) {
        o = finishVector(o, row, col, acc, fIn);
        continue;
      }
      Value ok;
      for (auto [guarded, pos, extent] :
           {std::tuple{guardY, y, c.oh}, std::tuple{guardX, x, c.ow}}) {
        if (!guarded)
          continue;
        Value in = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                         pos, idx(extent));
        ok = ok ? arith::AndIOp::create(b, loc, ok, in).getResult() : in;
      }
      auto guard = scf::IfOp::create(b, loc, TypeRange{o.getType()}, ok,
                                     /*else=*/true);
      b.setInsertionPointToStart(&guard.getThenRegion().front());
      scf::YieldOp::create(b, loc, finishVector(o, row, col, acc, fIn));
      b.setInsertionPointToStart(&guard.getElseRegion().front());
      scf::YieldOp::create(b, loc, o);
      b.setInsertionPointAfter(guard);
      o = guard.getResult(0);
    }
  endFor(fLoop, o);
  endFor(oLoop, fLoop.getResult(0));
  return oLoop.getResult(0);
}

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
              linalg::Conv2DNhwcFhwcOp, linalg::DepthwiseConv2DNhwcHwcmOp>(
              op))
        ops.push_back(op);
    });
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
      if (isa_and_nonnull<tensor::ExtractSliceOp>(lhsDef) && lhsDef->use_empty())
        lhsDef->erase();
      // The fill or bias broadcast that only fed the accumulators.
      if (init && init->use_empty() && isa<linalg::LinalgOp>(init))
        init->erase();
    }
  }
};

} // namespace

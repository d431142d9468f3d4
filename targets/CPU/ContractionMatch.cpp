//===- ContractionMatch.cpp - contractions, epilogues and pads matched ----===//
//
// Recognises what dlc-cpu-contraction-kernels turns into a kernel: the
// contraction (linalg named ops and contraction-shaped generics), the
// elementwise consumer fused into its output write, and the pad it writes
// into; reads constant weights for packing.
//
//===----------------------------------------------------------------------===//
#include "targets/CPU/Contraction.h"

#include "mlir/IR/Matchers.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

using namespace mlir;

namespace mlir::dlc::cpu {

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
static bool isConstant(Value v) {
  Operation *def = v.getDefiningOp();
  if (auto c = dyn_cast_or_null<arith::ConstantOp>(def))
    return isa<DenseElementsAttr, DenseF32ResourceElementsAttr>(c.getValue());
  if (isa_and_nonnull<tensor::CollapseShapeOp, tensor::ExpandShapeOp,
                      linalg::TransposeOp>(def))
    return isConstant(def->getOperand(0));
  return false;
}
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
static std::optional<Contraction> matchGenericContraction(linalg::GenericOp g) {
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
std::optional<int64_t> constantInt(Value v) {
  IntegerAttr attr;
  if (auto c = v.getDefiningOp<arith::ConstantOp>())
    attr = dyn_cast<IntegerAttr>(c.getValue());
  return attr ? std::optional<int64_t>(attr.getInt()) : std::nullopt;
}

/// linalg's depthwise convolutions without zero points: [KH, KW, C] filters,
/// or [KH, KW, C, M] ones (matched with M = 1).
static bool isDepthwise(Operation *op) {
  return isa<linalg::DepthwiseConv2DNhwcHwcOp,
             linalg::DepthwiseConv2DNhwcHwcmOp>(op);
}

/// An int8 depthwise convolution with a constant filter and constant zero
/// points (Contraction::int8).
static std::optional<Contraction> matchInt8Depthwise(Operation *op) {
  bool quantized = isa<linalg::DepthwiseConv2DNhwcHwcQOp,
                       linalg::DepthwiseConv2DNhwcHwcmQOp>(op);
  if (!quantized && !isDepthwise(op))
    return std::nullopt;
  auto lin = cast<linalg::LinalgOp>(op);
  Value x = lin.getDpsInputs()[0], filter = lin.getDpsInputs()[1];
  auto it = dyn_cast<RankedTensorType>(x.getType());
  auto ft = dyn_cast<RankedTensorType>(filter.getType());
  auto ot = dyn_cast<RankedTensorType>(lin.getDpsInits()[0].getType());
  if (!it || !ft || !ot || !it.hasStaticShape() || !ft.hasStaticShape() ||
      !ot.hasStaticShape() || !it.getElementType().isInteger(8) ||
      !ft.getElementType().isInteger(8) || !ot.getElementType().isInteger(32) ||
      (ft.getRank() == 4 && ft.getDimSize(3) != 1))
    return std::nullopt;
  std::optional<int64_t> za = 0, zw = 0;
  if (quantized) {
    za = constantInt(lin.getDpsInputs()[2]);
    zw = constantInt(lin.getDpsInputs()[3]);
  }
  // The accumulators start from the zero points' share (intInit), so the
  // init must be zero (what tosa.depthwise_conv2d lowers to; the bias is an
  // elementwise consumer).
  auto fill = lin.getDpsInits()[0].getDefiningOp<linalg::FillOp>();
  std::optional<int64_t> start =
      fill ? constantInt(fill.getInputs()[0]) : std::nullopt;
  std::vector<int8_t> w;
  if (!start || *start != 0 || !zeroPointRange(za) || !zeroPointRange(zw) ||
      !constantValues(filter, w))
    return std::nullopt;
  int64_t taps = ft.getDimSize(0) * ft.getDimSize(1), ch = ft.getDimSize(2);
  Contraction c;
  c.int8 = true;
  c.intWeights.resize(taps * ch);
  c.intInit.assign(ch, 0);
  for (int64_t j = 0; j < ch; ++j) {
    // Exact in f32 while every partial sum is an integer below 2^24: the
    // start, |za colSum|, plus at most 128 |w - zw| per tap. 3x3 and 5x5
    // filters are far inside; a channel past it runs as plain loops.
    int64_t colSum = 0, absSum = 0;
    for (int64_t t = 0; t < taps; ++t) {
      int64_t v = int64_t(w[t * ch + j]) - *zw;
      c.intWeights[t * ch + j] = float(v);
      colSum += v;
      absSum += v < 0 ? -v : v;
    }
    if (std::abs(*za * colSum) + 128 * absSum >= (int64_t(1) << 24))
      return std::nullopt;
    c.intInit[j] = float(-*za * colSum);
  }
  return c;
}

std::optional<Contraction> matchContraction(Operation *op) {
  std::optional<Contraction> int8Dw = matchInt8Depthwise(op);
  if (!int8Dw)
    for (Value v : op->getOperands())
      if (!isF32Static(v))
        return std::nullopt;
  if (auto g = dyn_cast<linalg::GenericOp>(op))
    return matchGenericContraction(g);
  Contraction c = int8Dw ? *int8Dw : Contraction();
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
  if (!conv && !int8Dw && !isDepthwise(op))
    return std::nullopt;
  auto lin = cast<linalg::LinalgOp>(op);
  auto in = cast<RankedTensorType>(lin.getDpsInputs()[0].getType()).getShape();
  auto f = cast<RankedTensorType>(lin.getDpsInputs()[1].getType()).getShape();
  auto out = cast<RankedTensorType>(lin.getDpsInits()[0].getType()).getShape();
  auto st = op->getAttrOfType<DenseIntElementsAttr>("strides");
  auto dl = op->getAttrOfType<DenseIntElementsAttr>("dilations");
  if (!st || !dl)
    return std::nullopt;
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
    if (f.size() == 4 && f[3] != 1) // Channel multiplier.
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

static bool isScalarIntOrFloat(Type t) {
  return isa<IntegerType, FloatType>(t);
}
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

static bool isVectorizableBody(Block &body) {
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
/// Row-major values of a constant tensor of T (f32 or int8), seen through
/// reshapes and transposes.
template <typename T>
static bool constantElements(Value v, std::vector<T> &out) {
  Operation *def = v.getDefiningOp();
  if (!def)
    return false;
  if (auto c = dyn_cast<arith::ConstantOp>(def)) {
    auto matches = [](Type t) {
      if constexpr (std::is_same_v<T, float>)
        return t.isF32();
      else
        return t.isInteger(8);
    };
    if (auto d = dyn_cast<DenseElementsAttr>(c.getValue())) {
      if (!matches(d.getElementType()))
        return false;
      auto vals = d.getValues<T>();
      out.assign(vals.begin(), vals.end());
      return true;
    }
    using Resource =
        std::conditional_t<std::is_same_v<T, float>,
                           DenseF32ResourceElementsAttr,
                           DenseI8ResourceElementsAttr>;
    if (auto r = dyn_cast<Resource>(c.getValue())) {
      std::optional<ArrayRef<T>> data = r.tryGetAsArrayRef();
      if (!data || static_cast<int64_t>(data->size()) !=
                       cast<ShapedType>(r.getType()).getNumElements())
        return false;
      out.assign(data->begin(), data->end());
      return true;
    }
    return false;
  }
  if (isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(def))
    return constantElements(def->getOperand(0), out);
  if (auto t = dyn_cast<linalg::TransposeOp>(def)) {
    std::vector<T> src;
    if (!constantElements(t.getInput(), src))
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
bool constantValues(Value v, std::vector<float> &out) {
  return constantElements(v, out);
}

bool isBF16Exact(Value v) {
  for (int depth = 0; depth < 16; ++depth) {
    Operation *def = v.getDefiningOp();
    if (!def)
      return false;
    if (isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp, tensor::CastOp,
            tensor::ExtractSliceOp, linalg::TransposeOp, linalg::CopyOp>(
            def)) {
      v = def->getOperand(0);
      continue;
    }
    if (auto pad = dyn_cast<tensor::PadOp>(def)) {
      // A constant pad of zero (a convolution's halo).
      auto cst = pad.getConstantPaddingValue();
      FloatAttr f;
      if (!cst || !matchPattern(cst, m_Constant(&f)) ||
          !f.getValue().isZero())
        return false;
      v = pad.getSource();
      continue;
    }
    auto g = dyn_cast<linalg::GenericOp>(def);
    if (!g)
      return false;
    unsigned result = cast<OpResult>(v).getResultNumber();
    Value yielded = g.getRegion().front().getTerminator()->getOperand(result);
    if (auto ext = yielded.getDefiningOp<arith::ExtFOp>())
      return ext.getIn().getType().isBF16();
    // A copy or transpose of an input.
    auto arg = dyn_cast<BlockArgument>(yielded);
    if (!arg || arg.getOwner() != &g.getRegion().front() ||
        arg.getArgNumber() >= g.getNumDpsInputs())
      return false;
    v = g.getDpsInputs()[arg.getArgNumber()];
  }
  return false;
}
bool constantValues(Value v, std::vector<int8_t> &out) {
  return constantElements(v, out);
}
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

/// The padded tensor a kernel writes into (PadTarget): only its border is
/// filled, one slab per padded side (extract, fill, insert: in place after
/// bufferization), each slab restricted to the interior of the dims before
/// it so that no element is written twice; the kernel writes the interior.
/// The buffer is an alloc_tensor, not a tensor.empty: CSE would merge
/// identical empties and their identical border fills across kernels, and
/// bufferization would then copy the shared padded buffer for the second
/// writer.
Value paddedBuffer(OpBuilder &b, Location loc,
                   const PadTarget &padTarget) {
  const PadTarget *pad = &padTarget;
  tensor::PadOp op = pad->op;
  Value out;
  RankedTensorType padType = op.getResultType();
  ArrayRef<int64_t> shape = padType.getShape();
  ArrayRef<int64_t> lo = op.getStaticLow(), hi = op.getStaticHigh();
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
  return out;
}

OperandReader OperandReader::make(OpBuilder &b, Location loc, Value v,
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

Value OperandReader::read(OpBuilder &b, Location loc, Value row,
                          ArrayRef<Value> rowIdx, Value col, VectorType vt,
                          bool inBounds) const {
  if (flat)
    return vector::TransferReadOp::create(
        b, loc,
        VectorType::get(
            vt.getShape(),
            cast<RankedTensorType>(source.getType()).getElementType()),
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

} // namespace mlir::dlc::cpu

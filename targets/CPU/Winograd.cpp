//===- Winograd.cpp - 3x3 convolutions as Winograd F(m x m, 3x3) ----------===//
//
// The Winograd form of the contraction kernels (see WinogradVariant in
// Contraction.h): the variant choice, the transforms as vector code along
// the channels, and the products through the register-tiled kernel.
//
//===----------------------------------------------------------------------===//
#include "targets/CPU/Contraction.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <algorithm>

using namespace mlir;

namespace mlir::dlc::cpu {

namespace {
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
} // namespace

// See the declaration for the choice of variant.
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
      b, loc,
      ValueRange{arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0))},
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

} // namespace mlir::dlc::cpu

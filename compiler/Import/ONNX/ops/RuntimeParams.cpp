//===- RuntimeParams.cpp - ops whose parameters arrive at run time -------===//
//
// Slice starts/steps/axes, Pad pads and Range start/delta may be graph
// inputs rather than constants. dlc compiles static shapes, so it needs the
// output shape at compile time: when shape inference cannot give it, the
// model's declared output type does (graph outputs and value_info). The
// parameters themselves are then read at run time: each op becomes one
// gather, a linalg.generic over the static output whose body computes the
// source index from the runtime scalars and reads it with tensor.extract.
// Every source index is clamped into the input, so parameters that disagree
// with the declared shape give wrong numbers, never out-of-bounds reads.
//
// These are emitted as linalg at import time because TOSA has no
// data-dependent indexing short of tosa.gather on [N, K, C] layouts, which
// would take one reshape/tile/gather chain per axis.
//
//===----------------------------------------------------------------------===//
#include "compiler/Import/ONNX/ops/RuntimeParams.h"
#include "compiler/Import/ONNX/ops/Kernels.h"

using namespace mlir;
using namespace mlir::dlc;

namespace {

/// Element `k` of the 1-D runtime tensor `v`, as i64 (or the float type).
Value scalarAt(ImportContext &c, Value v, int64_t k, bool asI64 = true) {
  Value idx = arith::ConstantIndexOp::create(c.b, k);
  auto t = cast<RankedTensorType>(v.getType());
  SmallVector<Value> indices(t.getRank(), arith::ConstantIndexOp::create(c.b, 0));
  if (t.getRank())
    indices.back() = idx;
  Value s = tensor::ExtractOp::create(c.b, v, indices);
  Type elem = s.getType();
  if (!asI64 || isa<FloatType>(elem))
    return s;
  auto i64 = c.b.getI64Type();
  if (elem.getIntOrFloatBitWidth() < 64)
    return arith::ExtSIOp::create(c.b, i64, s);
  return s;
}

Value constI64(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIntOp::create(b, loc, v, 64);
}

Value clampI64(OpBuilder &b, Location loc, Value v, int64_t lo, int64_t hi) {
  v = arith::MaxSIOp::create(b, loc, v, constI64(b, loc, lo));
  return arith::MinSIOp::create(b, loc, v, constI64(b, loc, hi));
}

/// out[i] = in[source(d, i)...] (or `fill` where `valid` says so) over the
/// static output type. `source` returns the i64 source index along `d`
/// given every output index `i` (as i64).
using SourceFn = function_ref<Value(OpBuilder &, Location, int64_t d,
                                    ArrayRef<Value> i, Value &valid)>;

Value gather(ImportContext &c, Value x, RankedTensorType outType,
             SourceFn source, Value fill = nullptr) {
  auto in = cast<RankedTensorType>(x.getType());
  int64_t rank = outType.getRank();
  Value init = tensor::EmptyOp::create(c.b, outType.getShape(),
                                       outType.getElementType());
  return loopNest(c, init, {}, [&](OpBuilder &nb, Location loc,
                                   ValueRange) -> SmallVector<Value> {
        SmallVector<Value> idx, out;
        Value allValid;
        for (int64_t d = 0; d < rank; ++d)
          out.push_back(arith::IndexCastOp::create(
              nb, loc, nb.getI64Type(), linalg::IndexOp::create(nb, loc, d)));
        for (int64_t d = 0; d < rank; ++d) {
          Value valid;
          Value s = source(nb, loc, d, out, valid);
          if (valid)
            allValid = allValid ? arith::AndIOp::create(nb, loc, allValid, valid)
                                : valid;
          s = clampI64(nb, loc, s, 0, std::max<int64_t>(in.getDimSize(d) - 1, 0));
          idx.push_back(arith::IndexCastOp::create(nb, loc, nb.getIndexType(), s));
        }
        Value v = tensor::ExtractOp::create(nb, loc, x, idx);
        if (fill && allValid)
          v = arith::SelectOp::create(nb, loc, allValid, v, fill);
        return {v};
      })[0];
}

} // namespace

LogicalResult mlir::dlc::importSliceRuntime(ImportContext &c) {
  RankedTensorType type = c.outputType(0);
  Value x = c.input(0);
  if (!type || !x)
    return failure();
  auto in = cast<RankedTensorType>(x.getType());
  int64_t rank = in.getRank();
  if (type.getRank() != rank)
    return c.fail("the declared output rank differs from the input's");
  Value starts = c.input(1);
  auto startsType = cast<RankedTensorType>(starts.getType());
  if (startsType.getRank() != 1)
    return c.fail("starts must be 1-D");
  int64_t n = startsType.getDimSize(0);
  Value axes = c.hasInput(3) ? c.input(3) : nullptr;
  Value steps = c.hasInput(4) ? c.input(4) : nullptr;
  // Per output axis d: the start and step of the entry whose axis is d.
  SmallVector<Value> start(rank), step(rank);
  Location loc = c.b.getLoc();
  for (int64_t d = 0; d < rank; ++d) {
    start[d] = constI64(c.b, loc, 0);
    step[d] = constI64(c.b, loc, 1);
  }
  for (int64_t k = 0; k < n; ++k) {
    Value s = scalarAt(c, starts, k);
    Value st = steps ? scalarAt(c, steps, k) : constI64(c.b, loc, 1);
    Value a = axes ? scalarAt(c, axes, k) : constI64(c.b, loc, k);
    Value neg = arith::CmpIOp::create(c.b, arith::CmpIPredicate::slt, a,
                                      constI64(c.b, loc, 0));
    a = arith::SelectOp::create(
        c.b, neg, arith::AddIOp::create(c.b, a, constI64(c.b, loc, rank)), a);
    for (int64_t d = 0; d < rank; ++d) {
      Value is = arith::CmpIOp::create(c.b, arith::CmpIPredicate::eq, a,
                                       constI64(c.b, loc, d));
      start[d] = arith::SelectOp::create(c.b, is, s, start[d]);
      step[d] = arith::SelectOp::create(c.b, is, st, step[d]);
    }
  }
  // ONNX: negative starts count from the end, then clamp to [0, dim] for
  // positive steps and [0, dim - 1] for negative ones.
  for (int64_t d = 0; d < rank; ++d) {
    int64_t dim = in.getDimSize(d);
    Value s = start[d];
    Value neg = arith::CmpIOp::create(c.b, arith::CmpIPredicate::slt, s,
                                      constI64(c.b, loc, 0));
    s = arith::SelectOp::create(
        c.b, neg, arith::AddIOp::create(c.b, s, constI64(c.b, loc, dim)), s);
    Value back = arith::CmpIOp::create(c.b, arith::CmpIPredicate::slt, step[d],
                                       constI64(c.b, loc, 0));
    start[d] = arith::SelectOp::create(c.b, back,
                                       clampI64(c.b, loc, s, 0, dim - 1),
                                       clampI64(c.b, loc, s, 0, dim));
  }
  c.setOutput(0, gather(c, x, type,
                        [&](OpBuilder &nb, Location l, int64_t d,
                            ArrayRef<Value> i, Value &) {
                          return arith::AddIOp::create(
                              nb, l, start[d],
                              arith::MulIOp::create(nb, l, i[d], step[d]));
                        }));
  return success();
}

LogicalResult mlir::dlc::importPadRuntime(ImportContext &c,
                                          llvm::StringRef mode) {
  RankedTensorType type = c.outputType(0);
  Value x = c.input(0);
  if (!type || !x)
    return failure();
  auto in = cast<RankedTensorType>(x.getType());
  int64_t rank = in.getRank();
  if (mode != "constant" && mode != "edge" && mode != "reflect" &&
      mode != "wrap")
    return c.fail("unknown mode '" + mode.str() + "'");
  Value pads = c.input(1);
  int64_t numPads = cast<RankedTensorType>(pads.getType()).getNumElements();
  // The declared output fixes begin + end; only the begin pads move data.
  SmallVector<Value> lo;
  if (c.opset >= 18 && c.hasInput(3)) {
    // Pad-18 axes: pads[i] is the begin pad of axis axes[i] (negative
    // counts from the end); other axes are not padded.
    Value axes = c.input(3);
    int64_t k = cast<RankedTensorType>(axes.getType()).getNumElements();
    if (numPads != 2 * k)
      return c.fail("pads must have 2 entries per axis");
    Value zero = constI64(c.b, c.b.getLoc(), 0);
    lo.assign(rank, zero);
    for (int64_t i = 0; i < k; ++i) {
      Value a = scalarAt(c, axes, i);
      Value neg = arith::CmpIOp::create(c.b, arith::CmpIPredicate::slt, a,
                                        zero);
      a = arith::SelectOp::create(
          c.b, neg,
          arith::AddIOp::create(c.b, a,
                                constI64(c.b, c.b.getLoc(), rank)),
          a);
      Value p = scalarAt(c, pads, i);
      for (int64_t d = 0; d < rank; ++d) {
        Value is = arith::CmpIOp::create(
            c.b, arith::CmpIPredicate::eq, a,
            constI64(c.b, c.b.getLoc(), d));
        lo[d] = arith::SelectOp::create(c.b, is, p, lo[d]);
      }
    }
  } else {
    if (numPads != 2 * rank)
      return c.fail("pads must have 2 * rank entries");
    for (int64_t d = 0; d < rank; ++d)
      lo.push_back(scalarAt(c, pads, d));
  }
  Value fill;
  if (mode == "constant") {
    Type elem = in.getElementType();
    if (c.hasInput(2)) {
      Value v = c.input(2);
      auto vt = cast<RankedTensorType>(v.getType());
      SmallVector<Value> zeros(vt.getRank(),
                               arith::ConstantIndexOp::create(c.b, 0));
      fill = tensor::ExtractOp::create(c.b, v, zeros);
    } else {
      fill = arith::ConstantOp::create(c.b, elem, c.b.getZeroAttr(elem));
    }
  }
  c.setOutput(0, gather(c, x, type,
                        [&](OpBuilder &nb, Location l, int64_t d,
                            ArrayRef<Value> i, Value &valid) -> Value {
                          int64_t n = in.getDimSize(d);
                          Value s = arith::SubIOp::create(nb, l, i[d], lo[d]);
                          if (mode == "reflect") {
                            // -s below 0, 2(n-1) - s above n-1.
                            Value neg = arith::CmpIOp::create(
                                nb, l, arith::CmpIPredicate::slt, s,
                                constI64(nb, l, 0));
                            s = arith::SelectOp::create(
                                nb, l, neg,
                                arith::SubIOp::create(nb, l, constI64(nb, l, 0), s),
                                s);
                            Value over = arith::CmpIOp::create(
                                nb, l, arith::CmpIPredicate::sgt, s,
                                constI64(nb, l, n - 1));
                            s = arith::SelectOp::create(
                                nb, l, over,
                                arith::SubIOp::create(
                                    nb, l, constI64(nb, l, 2 * (n - 1)), s),
                                s);
                          } else if (mode == "wrap") {
                            // Pad-19 wrap: ((s mod n) + n) mod n.
                            Value nn = constI64(nb, l, n);
                            s = arith::RemSIOp::create(
                                nb, l,
                                arith::AddIOp::create(
                                    nb, l, arith::RemSIOp::create(nb, l, s, nn),
                                    nn),
                                nn);
                          } else if (mode == "constant") {
                            Value ge = arith::CmpIOp::create(
                                nb, l, arith::CmpIPredicate::sge, s,
                                constI64(nb, l, 0));
                            Value lt = arith::CmpIOp::create(
                                nb, l, arith::CmpIPredicate::slt, s,
                                constI64(nb, l, n));
                            valid = arith::AndIOp::create(nb, l, ge, lt);
                          }
                          return s; // edge: the clamp in gather().
                        },
                        fill));
  return success();
}

LogicalResult mlir::dlc::importRangeRuntime(ImportContext &c) {
  RankedTensorType type = c.outputType(0);
  if (!type)
    return failure();
  if (type.getRank() != 1)
    return c.fail("Range output must be 1-D");
  Value start = scalarAt(c, c.input(0), 0, /*asI64=*/false);
  Value delta = scalarAt(c, c.input(2), 0, /*asI64=*/false);
  Type elem = type.getElementType();
  Value init = tensor::EmptyOp::create(c.b, type.getShape(), elem);
  Value y = loopNest(c, init, {}, [&](OpBuilder &nb, Location l,
                                      ValueRange) -> SmallVector<Value> {
        Value i = linalg::IndexOp::create(nb, l, 0);
        Value v;
        if (isa<FloatType>(elem)) {
          Value fi = arith::SIToFPOp::create(
              nb, l, elem,
              arith::IndexCastOp::create(nb, l, nb.getI64Type(), i));
          v = arith::AddFOp::create(nb, l, start,
                                    arith::MulFOp::create(nb, l, fi, delta));
        } else {
          Value ii = arith::IndexCastOp::create(nb, l, elem, i);
          v = arith::AddIOp::create(nb, l, start,
                                    arith::MulIOp::create(nb, l, ii, delta));
        }
        return {v};
      })[0];
  c.setOutput(0, y);
  return success();
}

LogicalResult mlir::dlc::importReverseSequence(ImportContext &c) {
  RankedTensorType type = c.resultType(2);
  if (!type)
    return failure();
  Value x = c.input(0), lens = c.input(1);
  int64_t batchAxis = c.attrInt("batch_axis", 1);
  int64_t timeAxis = c.attrInt("time_axis", 0);
  if (type.getRank() < 2 || batchAxis + timeAxis != 1 || batchAxis < 0 ||
      timeAxis < 0)
    return c.fail("batch_axis and time_axis must be 0 and 1 in some order");
  // out[b, t] = x[b, t < len[b] ? len[b] - 1 - t : t], len read per row.
  c.setOutput(
      0, gather(c, x, type,
                [&](OpBuilder &nb, Location l, int64_t d, ArrayRef<Value> i,
                    Value &) -> Value {
                  if (d != timeAxis)
                    return i[d];
                  Value b = arith::IndexCastOp::create(nb, l, nb.getIndexType(),
                                                       i[batchAxis]);
                  Value len = tensor::ExtractOp::create(nb, l, lens, b);
                  if (len.getType() != nb.getI64Type())
                    len = arith::ExtSIOp::create(nb, l, nb.getI64Type(), len);
                  Value inside = arith::CmpIOp::create(
                      nb, l, arith::CmpIPredicate::slt, i[d], len);
                  Value rev = arith::SubIOp::create(
                      nb, l, arith::SubIOp::create(nb, l, len, constI64(nb, l, 1)),
                      i[d]);
                  return arith::SelectOp::create(nb, l, inside, rev, i[d]);
                }));
  return success();
}

LogicalResult mlir::dlc::importDropoutRuntime(ImportContext &c) {
  RankedTensorType type = c.outputType(0);
  Value x = c.input(0);
  if (!type || !x)
    return failure();
  Type elem = type.getElementType();
  if (!isa<FloatType>(elem))
    return c.fail("Dropout expects floating-point data");
  bool wantMask = c.numOutputs() > 1 && !c.node->output(1).empty();
  RankedTensorType maskType =
      RankedTensorType::get(type.getShape(), c.b.getI1Type());
  Value ratio = c.hasInput(1) ? scalarAt(c, c.input(1), 0, /*asI64=*/false)
                              : arith::ConstantOp::create(
                                    c.b, elem, c.b.getFloatAttr(elem, 0.5));
  if (ratio.getType() != elem)
    ratio = arith::TruncFOp::create(c.b, elem, ratio);
  Value training = scalarAt(c, c.input(2), 0, /*asI64=*/false);
  if (training.getType() != c.b.getI1Type())
    training = arith::TruncIOp::create(c.b, c.b.getI1Type(), training);
  uint32_t seed = static_cast<uint32_t>(c.attrInt("seed", 0));
  int64_t rank = type.getRank();
  SmallVector<AffineMap> maps(3, AffineMap::getMultiDimIdentityMap(rank, c.ctx));
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  Value initY = tensor::EmptyOp::create(c.b, type.getShape(), elem);
  Value initM = tensor::EmptyOp::create(c.b, type.getShape(), c.b.getI1Type());
  auto op = linalg::GenericOp::create(
      c.b, TypeRange{type, maskType}, ValueRange{x}, ValueRange{initY, initM},
      maps, iters, [&](OpBuilder &b, Location l, ValueRange args) {
        Type i32 = b.getI32Type();
        auto k = [&](uint32_t v) {
          return arith::ConstantIntOp::create(b, l, static_cast<int32_t>(v), 32);
        };
        // Row-major element number, then a murmur3-style finalizer: the
        // same model and seed drop the same elements on every target.
        Value lin = arith::ConstantIndexOp::create(b, l, 0);
        for (int64_t d = 0; d < rank; ++d)
          lin = arith::AddIOp::create(
              b, l,
              arith::MulIOp::create(
                  b, l, lin, arith::ConstantIndexOp::create(b, l, type.getDimSize(d))),
              linalg::IndexOp::create(b, l, d));
        Value h = arith::XOrIOp::create(
            b, l, arith::IndexCastOp::create(b, l, i32, lin), k(seed * 0x9e3779b9u));
        auto mix = [&](Value v, uint32_t shift, uint32_t mul) {
          v = arith::XOrIOp::create(b, l, v, arith::ShRUIOp::create(b, l, v, k(shift)));
          return mul ? Value(arith::MulIOp::create(b, l, v, k(mul))) : v;
        };
        h = mix(h, 16, 0x85ebca6bu);
        h = mix(h, 13, 0xc2b2ae35u);
        h = mix(h, 16, 0);
        // Uniform in [0, 1) from the top 24 bits.
        Value u = arith::UIToFPOp::create(
            b, l, b.getF32Type(), arith::ShRUIOp::create(b, l, h, k(8)));
        u = arith::MulFOp::create(
            b, l, u,
            arith::ConstantOp::create(b, l, b.getF32Type(),
                                      b.getF32FloatAttr(1.0f / 16777216.0f)));
        Value r = ratio;
        if (!elem.isF32())
          u = arith::TruncFOp::create(b, l, elem, u);
        Value keep = arith::OrIOp::create(
            b, l, arith::XOrIOp::create(b, l, training,
                                        arith::ConstantIntOp::create(b, l, 1, 1)),
            arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGE, u, r));
        Value one = arith::ConstantOp::create(b, l, elem, b.getFloatAttr(elem, 1.0));
        Value scale = arith::SelectOp::create(
            b, l, training,
            arith::DivFOp::create(b, l, one, arith::SubFOp::create(b, l, one, r)),
            one);
        Value zero = arith::ConstantOp::create(b, l, elem, b.getFloatAttr(elem, 0.0));
        Value y = arith::SelectOp::create(
            b, l, keep, arith::MulFOp::create(b, l, args[0], scale), zero);
        linalg::YieldOp::create(b, l, ValueRange{y, keep});
      });
  c.setOutput(0, op.getResult(0));
  if (wantMask) {
    RankedTensorType declared = c.outputType(1);
    if (!declared)
      return failure();
    c.setOutput(1, op.getResult(1));
  }
  return success();
}

//===- RNN.cpp - ONNX RNN, GRU and LSTM -----------------------------------===//
//
// Recurrent layers are one scf.for over their static sequence length per
// direction. The input projection of all time steps is one matrix product per
// direction; each step adds the recurrent product and applies the gate
// equations of the ONNX spec (activations, clip, peepholes, linear_before_reset,
// input_forget). sequence_lens masks finished batch entries.
//
//===----------------------------------------------------------------------===//
#include "compiler/Import/ONNX/ImportContext.h"
#include "dialects/DLC/IR/DLCDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/Utils/ConversionUtils.h"

#include <cmath>

using namespace mlir;
using namespace mlir::dlc;

namespace {

enum class Cell { RNN, GRU, LSTM };

struct Activation {
  std::string name;
  float alpha = 0, beta = 0;
};

/// 2-D matrix product a [m,k] x b [k,n] through tosa.matmul.
Value matmul2d(ImportContext &c, Value a, Value b) {
  auto at = cast<RankedTensorType>(a.getType());
  auto bt = cast<RankedTensorType>(b.getType());
  int64_t m = at.getDimSize(0), k = at.getDimSize(1), n = bt.getDimSize(1);
  Value y = tosa::MatMulOp::create(
      c.b, RankedTensorType::get({1, m, n}, at.getElementType()),
      c.reshape(a, {1, m, k}), c.reshape(b, {1, k, n}));
  return c.reshape(y, {m, n});
}

FailureOr<Value> activate(ImportContext &c, const Activation &f, Value x) {
  auto t = cast<RankedTensorType>(x.getType());
  auto bt = RankedTensorType::get(t.getShape(), c.b.getI1Type());
  const std::string &n = f.name;
  if (n == "Sigmoid")
    return Value(tosa::SigmoidOp::create(c.b, t, x));
  if (n == "Tanh")
    return Value(tosa::TanhOp::create(c.b, t, x));
  if (n == "Relu")
    return Value(tosa::MaximumOp::create(c.b, t, x, c.splat(t, 0)));
  if (n == "LeakyRelu") {
    Value pos = tosa::GreaterOp::create(c.b, bt, x, c.splat(t, 0));
    return Value(tosa::SelectOp::create(c.b, t, pos, x,
                                        c.mul(x, c.splat(t, f.alpha), t)));
  }
  if (n == "ThresholdedRelu") {
    Value pos = tosa::GreaterOp::create(c.b, bt, x, c.splat(t, f.alpha));
    return Value(tosa::SelectOp::create(c.b, t, pos, x, c.splat(t, 0)));
  }
  if (n == "ScaledTanh")
    return c.mul(tosa::TanhOp::create(c.b, t, c.mul(x, c.splat(t, f.beta), t)),
                 c.splat(t, f.alpha), t);
  if (n == "HardSigmoid") {
    Value y = tosa::AddOp::create(c.b, t, c.mul(x, c.splat(t, f.alpha), t),
                                  c.splat(t, f.beta));
    return Value(tosa::ClampOp::create(c.b, t, y, c.b.getF32FloatAttr(0),
                                       c.b.getF32FloatAttr(1)));
  }
  if (n == "Affine")
    return Value(tosa::AddOp::create(c.b, t, c.mul(x, c.splat(t, f.alpha), t),
                                     c.splat(t, f.beta)));
  if (n == "Elu") {
    Value pos = tosa::GreaterOp::create(c.b, bt, x, c.splat(t, 0));
    Value e = tosa::SubOp::create(c.b, t, tosa::ExpOp::create(c.b, t, x),
                                  c.splat(t, 1));
    return Value(tosa::SelectOp::create(c.b, t, pos, x,
                                        c.mul(e, c.splat(t, f.alpha), t)));
  }
  if (n == "Softsign") {
    Value d = tosa::AddOp::create(c.b, t, c.splat(t, 1),
                                  tosa::AbsOp::create(c.b, t, x));
    return c.mul(x, tosa::ReciprocalOp::create(c.b, t, d), t);
  }
  if (n == "Softplus")
    return Value(tosa::LogOp::create(
        c.b, t, tosa::AddOp::create(c.b, t, c.splat(t, 1),
                                    tosa::ExpOp::create(c.b, t, x))));
  return failure();
}

LogicalResult importRecurrent(ImportContext &c, Cell cell) {
  Value x = c.input(0), w = c.input(1), r = c.input(2);
  if (!x || !w || !r)
    return c.fail("X, W and R are required");
  int64_t hidden = c.attrInt("hidden_size", 0);
  std::string direction = c.attrString("direction", "forward");
  int64_t dirs = direction == "bidirectional" ? 2 : 1;
  int64_t gates = cell == Cell::LSTM ? 4 : cell == Cell::GRU ? 3 : 1;
  bool layout = c.attrInt("layout", 0);
  auto xt = cast<RankedTensorType>(x.getType());
  if (!xt.getElementType().isF32())
    return c.fail("recurrent layers support float32 only");
  auto wt = cast<RankedTensorType>(w.getType()),
       rt = cast<RankedTensorType>(r.getType());
  if (xt.getRank() != 3 || wt.getRank() != 3 || rt.getRank() != 3)
    return c.fail("X, W and R must have rank 3");
  if (layout)
    x = c.transpose(x, {1, 0, 2});
  xt = cast<RankedTensorType>(x.getType());
  int64_t seq = xt.getDimSize(0), batch = xt.getDimSize(1),
          inSize = xt.getDimSize(2);
  if (hidden <= 0 && !c.hasAttr("hidden_size"))
    hidden = rt.getDimSize(2);
  int64_t dirsR = direction == "bidirectional" ? 2 : 1;
  if (hidden <= 0 || rt.getDimSize(2) != hidden ||
      rt.getDimSize(1) != gates * hidden || wt.getDimSize(1) != gates * hidden ||
      wt.getDimSize(2) != inSize || wt.getDimSize(0) != dirsR ||
      rt.getDimSize(0) != dirsR)
    return c.fail("W and R must be [directions, " + std::to_string(gates) +
                  " x hidden_size, input_size / hidden_size] with hidden_size "
                  "> 0");
  float clip = c.attrFloat("clip", 0.0f);
  bool hasClip = c.hasAttr("clip");
  bool lbr = c.attrInt("linear_before_reset", 0);
  bool inputForget = c.attrInt("input_forget", 0);

  // Activations: per direction, f, g (and h for LSTM).
  int64_t perDir = cell == Cell::LSTM ? 3 : cell == Cell::GRU ? 2 : 1;
  std::vector<Activation> acts;
  {
    const onnx::AttributeProto *names = nullptr, *alphas = nullptr,
                               *betas = nullptr;
    for (const auto &a : c.node->attribute()) {
      if (a.name() == "activations") names = &a;
      if (a.name() == "activation_alpha") alphas = &a;
      if (a.name() == "activation_beta") betas = &a;
    }
    const char *defaults[] = {"Sigmoid", "Tanh", "Tanh"};
    for (int64_t i = 0; i < perDir * dirs; ++i) {
      Activation a;
      if (names && i < names->strings_size())
        a.name = names->strings(i);
      else
        a.name = cell == Cell::RNN ? "Tanh" : defaults[i % perDir];
      // Default parameters per the ONNX activation definitions.
      if (a.name == "LeakyRelu") a.alpha = 0.01f;
      if (a.name == "ThresholdedRelu" || a.name == "Elu") a.alpha = 1.0f;
      if (a.name == "HardSigmoid") { a.alpha = 0.2f; a.beta = 0.5f; }
      if (a.name == "ScaledTanh" || a.name == "Affine") { a.alpha = 1.0f; a.beta = 0.0f; }
      if (alphas && i < alphas->floats_size()) a.alpha = alphas->floats(i);
      if (betas && i < betas->floats_size()) a.beta = betas->floats(i);
      acts.push_back(a);
    }
  }

  auto f32 = xt.getElementType();
  auto mat = [&](int64_t m, int64_t n) {
    return RankedTensorType::get({m, n}, f32);
  };
  Value seqLens;
  if (c.hasInput(4))
    seqLens = c.input(4);
  auto bhT = mat(batch, hidden);
  auto boolBH = RankedTensorType::get({batch, hidden}, c.b.getI1Type());

  // Y [seq, directions, batch, hidden], written by each direction's loop.
  Value y;
  if (c.numOutputs() > 0 && !c.node->output(0).empty())
    y = tensor::EmptyOp::create(c.b, {seq, dirs, batch, hidden}, f32);
  Value lens; // sequence_lens as [batch, 1] i32
  if (seqLens) {
    auto lt = cast<RankedTensorType>(seqLens.getType());
    lens = tosa::CastOp::create(
        c.b, RankedTensorType::get(lt.getShape(), c.b.getI32Type()), seqLens);
    lens = c.reshape(lens, {batch, 1});
  }
  SmallVector<Value> lastH, lastC;
  for (int64_t d = 0; d < dirs; ++d) {
    bool reverse = direction == "reverse" || d == 1;
    if (reverse && seqLens)
      return c.fail("sequence_lens with reverse direction is not supported");
    Value wd = c.reshape(c.slice(w, {d, 0, 0}, {1, gates * hidden, inSize}),
                         {gates * hidden, inSize});
    Value rd = c.reshape(c.slice(r, {d, 0, 0}, {1, gates * hidden, hidden}),
                         {gates * hidden, hidden});
    Value wT = c.transpose(wd, {1, 0}), rT = c.transpose(rd, {1, 0});
    // Input projections of every step at once: [seq*batch, gates*hidden].
    Value xw = matmul2d(c, c.reshape(x, {seq * batch, inSize}), wT);
    Value wb, rb;
    if (c.hasInput(3)) {
      Value bd = c.reshape(c.slice(c.input(3), {d, 0}, {1, 2 * gates * hidden}),
                           {1, 2 * gates * hidden});
      wb = c.slice(bd, {0, 0}, {1, gates * hidden});
      rb = c.slice(bd, {0, gates * hidden}, {1, gates * hidden});
      xw = tosa::AddOp::create(c.b, xw.getType(), xw, wb);
    }
    Value h = c.hasInput(5)
                  ? c.reshape(c.slice(c.input(5), {d, 0, 0}, {1, batch, hidden}),
                              {batch, hidden})
                  : c.splat(bhT, 0);
    if (!c.hasInput(5))
      h = tosa::TileOp::create(c.b, bhT, h,
                               tosa::getTosaConstShape(c.b, {batch, hidden}));
    Value cs;
    if (cell == Cell::LSTM) {
      cs = c.hasInput(6)
               ? c.reshape(c.slice(c.input(6), {d, 0, 0}, {1, batch, hidden}),
                           {batch, hidden})
               : Value(tosa::TileOp::create(
                     c.b, bhT, c.splat(bhT, 0),
                     tosa::getTosaConstShape(c.b, {batch, hidden})));
    }
    Value peep;
    if (cell == Cell::LSTM && c.hasInput(7))
      peep = c.reshape(c.slice(c.input(7), {d, 0}, {1, 3 * hidden}),
                       {1, 3 * hidden});
    const Activation &fA = acts[d * perDir], &gA = acts[d * perDir + std::min<int64_t>(1, perDir - 1)];
    const Activation &hA = acts[d * perDir + perDir - 1];
    auto gate = [&](Value v, int64_t k) {
      return c.slice(v, {0, k * hidden}, {batch, hidden});
    };
    auto clipped = [&](Value v) {
      if (!hasClip)
        return v;
      return Value(tosa::ClampOp::create(c.b, v.getType(), v,
                                         c.b.getF32FloatAttr(-clip),
                                         c.b.getF32FloatAttr(clip)));
    };
    // One scf.for over the time steps, carrying H (and C) and the output Y.
    // Unrolling made a GRU over 1,000 steps 50,000 ops (minutes in LLVM);
    // the loop is one step's ops whatever the sequence length. The new
    // state is materialized into the carried one so that bufferization
    // keeps each carried value in one buffer across iterations (no
    // allocation escapes an iteration; dlc-plan-memory relies on it).
    auto idx = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(c.b, v);
    };
    SmallVector<Value> inits{h};
    if (cs)
      inits.push_back(cs);
    if (y)
      inits.push_back(y);
    auto loop = scf::ForOp::create(c.b, idx(0), idx(seq), idx(1), inits);
    loop->setAttr(kSequenceLoopAttr, c.b.getUnitAttr());
    {
      OpBuilder::InsertionGuard guard(c.b);
      c.b.setInsertionPointToStart(loop.getBody());
      ValueRange carried = loop.getRegionIterArgs();
      h = carried[0];
      if (cs)
        cs = carried[1];
      Value yIt = y ? carried.back() : Value();
      Value s = loop.getInductionVar();
      Value t = reverse ? Value(arith::SubIOp::create(c.b, idx(seq - 1), s)) : s;
      Value row = arith::MulIOp::create(c.b, t, idx(batch));
      Value xg = tensor::ExtractSliceOp::create(
          c.b, mat(batch, gates * hidden), xw,
          ArrayRef<OpFoldResult>{row, c.b.getIndexAttr(0)},
          ArrayRef<OpFoldResult>{c.b.getIndexAttr(batch),
                                 c.b.getIndexAttr(gates * hidden)},
          ArrayRef<OpFoldResult>{c.b.getIndexAttr(1), c.b.getIndexAttr(1)});
      Value hr = matmul2d(c, h, rT);
      if (rb)
        hr = tosa::AddOp::create(c.b, hr.getType(), hr, rb);
      Value hNew, cNew;
      auto act = [&](const Activation &a, Value v) -> FailureOr<Value> {
        return activate(c, a, clipped(v));
      };
      if (cell == Cell::RNN) {
        auto hv = act(fA, tosa::AddOp::create(c.b, bhT, xg, hr));
        if (failed(hv))
          return c.fail("unsupported activation");
        hNew = *hv;
      } else if (cell == Cell::GRU) {
        Value z0 = tosa::AddOp::create(c.b, bhT, gate(xg, 0), gate(hr, 0));
        Value r0 = tosa::AddOp::create(c.b, bhT, gate(xg, 1), gate(hr, 1));
        auto z = act(fA, z0), rr = act(fA, r0);
        if (failed(z) || failed(rr))
          return c.fail("unsupported activation");
        Value hh;
        if (lbr) {
          hh = tosa::AddOp::create(c.b, bhT, gate(xg, 2), c.mul(*rr, gate(hr, 2), bhT));
        } else {
          Value rh = c.mul(*rr, h, bhT);
          Value rhr = matmul2d(c, rh, c.slice(rT, {0, 2 * hidden}, {hidden, hidden}));
          if (rb)
            rhr = tosa::AddOp::create(c.b, bhT, rhr,
                                      c.slice(rb, {0, 2 * hidden}, {1, hidden}));
          hh = tosa::AddOp::create(c.b, bhT, gate(xg, 2), rhr);
        }
        auto ht = act(gA, hh);
        if (failed(ht))
          return c.fail("unsupported activation");
        // H = (1 - z) * h~ + z * H
        Value oneMinus = tosa::SubOp::create(c.b, bhT, c.splat(bhT, 1), *z);
        hNew = tosa::AddOp::create(c.b, bhT, c.mul(oneMinus, *ht, bhT),
                                   c.mul(*z, h, bhT));
      } else {
        Value pre = tosa::AddOp::create(c.b, mat(batch, 4 * hidden), xg, hr);
        auto withPeep = [&](Value v, int64_t k, Value state) {
          if (!peep)
            return v;
          Value p = c.slice(peep, {0, k * hidden}, {1, hidden});
          return Value(tosa::AddOp::create(c.b, bhT, v, c.mul(state, p, bhT)));
        };
        auto i = act(fA, withPeep(gate(pre, 0), 0, cs));
        auto fg = act(fA, withPeep(gate(pre, 2), 2, cs));
        auto cc = act(gA, gate(pre, 3));
        if (failed(i) || failed(fg) || failed(cc))
          return c.fail("unsupported activation");
        Value fv = inputForget
                       ? Value(tosa::SubOp::create(c.b, bhT, c.splat(bhT, 1), *i))
                       : *fg;
        cNew = tosa::AddOp::create(c.b, bhT, c.mul(fv, cs, bhT),
                                   c.mul(*i, *cc, bhT));
        auto o = act(fA, withPeep(gate(pre, 1), 1, cNew));
        auto hc = activate(c, hA, cNew);
        if (failed(o) || failed(hc))
          return c.fail("unsupported activation");
        hNew = c.mul(*o, *hc, bhT);
      }
      Value yv = hNew;
      if (lens) {
        // Entries whose sequence ended keep their state and output zeros.
        Value tI32 = arith::IndexCastOp::create(c.b, c.b.getI32Type(), t);
        Value tT = tensor::FromElementsOp::create(
            c.b, RankedTensorType::get({1, 1}, c.b.getI32Type()),
            ValueRange{tI32});
        Value live = tosa::GreaterOp::create(
            c.b, RankedTensorType::get({batch, 1}, c.b.getI1Type()), lens, tT);
        live = tosa::TileOp::create(c.b, boolBH, live,
                                    tosa::getTosaConstShape(c.b, {1, hidden}));
        yv = tosa::SelectOp::create(c.b, bhT, live, hNew, c.splat(bhT, 0));
        hNew = tosa::SelectOp::create(c.b, bhT, live, hNew, h);
        if (cNew)
          cNew = tosa::SelectOp::create(c.b, bhT, live, cNew, cs);
      }
      // Every read of the carried state is above this point.
      SmallVector<Value> next{
          bufferization::MaterializeInDestinationOp::create(c.b, hNew, h)
              .getResult()};
      if (cs)
        next.push_back(
            bufferization::MaterializeInDestinationOp::create(c.b, cNew, cs)
                .getResult());
      if (yIt) {
        SmallVector<OpFoldResult> off{t, c.b.getIndexAttr(d),
                                      c.b.getIndexAttr(0), c.b.getIndexAttr(0)};
        SmallVector<OpFoldResult> size{
            c.b.getIndexAttr(1), c.b.getIndexAttr(1), c.b.getIndexAttr(batch),
            c.b.getIndexAttr(hidden)};
        SmallVector<OpFoldResult> one(4, c.b.getIndexAttr(1));
        next.push_back(tensor::InsertSliceOp::create(
            c.b, c.reshape(yv, {1, 1, batch, hidden}), yIt, off, size, one));
      }
      scf::YieldOp::create(c.b, next);
    }
    h = loop.getResult(0);
    if (cs)
      cs = loop.getResult(1);
    if (y)
      y = loop.getResults().back();
    lastH.push_back(c.reshape(h, {1, batch, hidden}));
    if (cs)
      lastC.push_back(c.reshape(cs, {1, batch, hidden}));
  }

  auto concat = [&](ArrayRef<Value> parts, int32_t axis) -> Value {
    if (parts.size() == 1)
      return parts[0];
    SmallVector<int64_t> shape(cast<RankedTensorType>(parts[0].getType()).getShape());
    shape[axis] = 0;
    for (Value p : parts)
      shape[axis] += cast<RankedTensorType>(p.getType()).getDimSize(axis);
    return tosa::ConcatOp::create(c.b, RankedTensorType::get(shape, f32), parts,
                                  c.b.getI32IntegerAttr(axis));
  };
  if (y) {
    if (layout)
      y = c.transpose(y, {2, 0, 1, 3});
    c.setOutput(0, y);
  }
  Value yh = concat(lastH, 0);
  if (c.numOutputs() > 1 && !c.node->output(1).empty())
    c.setOutput(1, layout ? c.transpose(yh, {1, 0, 2}) : yh);
  if (cell == Cell::LSTM && c.numOutputs() > 2 && !c.node->output(2).empty()) {
    Value yc = concat(lastC, 0);
    c.setOutput(2, layout ? c.transpose(yc, {1, 0, 2}) : yc);
  }
  return success();
}

LogicalResult importRNN(ImportContext &c) { return importRecurrent(c, Cell::RNN); }
LogicalResult importGRU(ImportContext &c) { return importRecurrent(c, Cell::GRU); }
LogicalResult importLSTM(ImportContext &c) { return importRecurrent(c, Cell::LSTM); }

} // namespace

void mlir::dlc::appendRNNHandlers(std::vector<OpHandler> &t) {
  t.push_back({"RNN", 1, importRNN});
  t.push_back({"GRU", 1, importGRU});
  t.push_back({"LSTM", 1, importLSTM});
}

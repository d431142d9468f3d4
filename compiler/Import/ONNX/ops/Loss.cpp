//===- Loss.cpp - ONNX loss operators -------------------------------------===//
//
// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss. The class pick
// input[n, target[n, ...], ...] is a one-hot select against an iota of the
// class axis followed by a sum over it, which handles runtime targets,
// ignore_index and per-class weights with plain TOSA.
//
//===----------------------------------------------------------------------===//
#include "compiler/Import/ONNX/ImportContext.h"

#include "mlir/Dialect/Tosa/Utils/ConversionUtils.h"

using namespace mlir;
using namespace mlir::dlc;

namespace {

/// log_softmax over axis 1.
Value logSoftmaxAxis1(ImportContext &c, Value x) {
  auto t = cast<RankedTensorType>(x.getType());
  Value m = c.reduceMax(x, 1);
  auto rt = cast<RankedTensorType>(m.getType());
  Value sh = tosa::SubOp::create(c.b, t, x, m);
  Value s = c.reduceSum(tosa::ExpOp::create(c.b, t, sh), 1);
  return tosa::SubOp::create(c.b, t, sh, tosa::LogOp::create(c.b, rt, s));
}

/// The NLL loss of log-probabilities `logp` [N, C, d...] for `target`
/// [N, d...], with optional class weights; sets output 0.
LogicalResult nll(ImportContext &c, Value logp, Value target, Value weight) {
  RankedTensorType outType = c.outputType(0);
  if (!outType)
    return failure();
  auto lt = cast<RankedTensorType>(logp.getType());
  auto tt = cast<RankedTensorType>(target.getType());
  int64_t rank = lt.getRank();
  if (rank < 2 || tt.getRank() != rank - 1 ||
      tt.getDimSize(0) != lt.getDimSize(0) ||
      !llvm::equal(tt.getShape().drop_front(), lt.getShape().drop_front(2)))
    return c.fail("the target's shape must be the input's without its class "
                  "dimension (input [N, C, d...], target [N, d...])");
  int64_t classes = lt.getDimSize(1);
  Type f = lt.getElementType();
  // target [N, d...] -> i32 [N, 1, d...]
  SmallVector<int64_t> tshape(tt.getShape());
  tshape.insert(tshape.begin() + 1, 1);
  auto i32 = c.b.getI32Type();
  Value tgt = tosa::CastOp::create(
      c.b, RankedTensorType::get(tt.getShape(), i32), target);
  tgt = c.reshape(tgt, tshape);
  Value iotaV = c.iota(rank, 1, classes);
  auto maskType = RankedTensorType::get(lt.getShape(), c.b.getI1Type());
  Value onehot = tosa::EqualOp::create(c.b, maskType, tgt, iotaV);
  auto pick = [&](Value v) {
    Value sel = tosa::SelectOp::create(c.b, lt, onehot, v, c.splat(lt, 0));
    return c.reshape(c.reduceSum(sel, 1), tt.getShape());
  };
  auto vt = RankedTensorType::get(tt.getShape(), f);
  Value picked = pick(logp);
  Value w = c.splat(vt, 1);
  if (weight)
    w = pick(tosa::TileOp::create(
        c.b, lt, c.alongAxis(weight, rank, 1),
        tosa::getTosaConstShape(c.b, [&] {
          SmallVector<int64_t> m(lt.getShape());
          m[1] = 1;
          return m;
        }())));
  // Targets run as int32: an ignore_index outside int32 matches no target
  // that has a class (and would wrap if converted).
  int64_t ignoreIndex = c.attrInt("ignore_index", 0);
  if (c.hasAttr("ignore_index") && ignoreIndex >= INT32_MIN &&
      ignoreIndex <= INT32_MAX) {
    auto it = RankedTensorType::get(tshape, i32);
    auto bt = RankedTensorType::get(tshape, c.b.getI1Type());
    Value ignored = tosa::EqualOp::create(c.b, bt, tgt,
                                          c.splat(it, double(ignoreIndex)));
    Value keep = tosa::LogicalNotOp::create(c.b, bt, ignored);
    keep = c.reshape(keep, tt.getShape());
    Value wFull = cast<RankedTensorType>(w.getType()) == vt
                      ? w
                      : Value(tosa::TileOp::create(
                            c.b, vt, w,
                            tosa::getTosaConstShape(
                                c.b, SmallVector<int64_t>(tt.getShape()))));
    w = tosa::SelectOp::create(c.b, vt, keep, wFull, c.splat(vt, 0));
  }
  Value loss = tosa::NegateOp::create(c.b, vt, c.mul(picked, w, vt));
  std::string reduction = c.attrString("reduction", "mean");
  if (reduction == "none") {
    c.setOutput(0, loss);
    return success();
  }
  auto sumAll = [&](Value v) {
    auto t = cast<RankedTensorType>(v.getType());
    if (t.getRank() == 0)
      return v;
    for (int64_t d = 0; d < t.getRank(); ++d)
      v = c.reduceSum(v, d);
    return c.reshape(v, {});
  };
  Value total = sumAll(loss);
  if (reduction == "sum") {
    c.setOutput(0, total);
    return success();
  }
  if (reduction != "mean")
    return c.fail("unknown reduction '" + reduction + "'");
  auto wt = cast<RankedTensorType>(w.getType());
  Value denom = wt == vt ? sumAll(w)
                         : sumAll(tosa::TileOp::create(
                               c.b, vt, w,
                               tosa::getTosaConstShape(
                                   c.b, SmallVector<int64_t>(tt.getShape()))));
  auto scalar = RankedTensorType::get({}, f);
  c.setOutput(0, c.mul(total, tosa::ReciprocalOp::create(c.b, scalar, denom),
                       scalar));
  return success();
}

LogicalResult importNLL(ImportContext &c) {
  if (!c.input(0) || !c.input(1))
    return c.fail("input and target are required");
  return nll(c, c.input(0), c.input(1), c.hasInput(2) ? c.input(2) : Value());
}

LogicalResult importSCE(ImportContext &c) {
  if (!c.input(0) || !c.input(1))
    return c.fail("scores and labels are required");
  Value logp = logSoftmaxAxis1(c, c.input(0));
  if (failed(nll(c, logp, c.input(1), c.hasInput(2) ? c.input(2) : Value())))
    return failure();
  if (c.numOutputs() > 1 && !c.node->output(1).empty())
    c.setOutput(1, logp);
  return success();
}

} // namespace

void mlir::dlc::appendLossHandlers(std::vector<OpHandler> &t) {
  t.push_back({"NegativeLogLikelihoodLoss", 12, importNLL});
  t.push_back({"SoftmaxCrossEntropyLoss", 12, importSCE});
}

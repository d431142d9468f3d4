//===- Norm.cpp - ONNX normalisation operators ----------------------------===//
//
// BatchNormalization (inference, and training mode with batch statistics),
// LayerNormalization, InstanceNormalization, MeanVarianceNormalization and
// LRN (a dlc.pool average over channels), as TOSA reductions and
// elementwise ops.
//
//===----------------------------------------------------------------------===//
#include "compiler/Import/ONNX/ImportContext.h"
#include "dialects/DLC/IR/DLCDialect.h"

#include <cmath>

using namespace mlir;
using namespace mlir::dlc;

namespace {

/// BatchNormalization-14+ with training_mode=1: normalise with the batch's
/// own mean and (biased) variance and emit the updated running statistics.
LogicalResult importBatchNormTraining(ImportContext &c,
                                      RankedTensorType outType) {
  float eps = c.attrFloat("epsilon", 1e-5f);
  float momentum = c.attrFloat("momentum", 0.9f);
  Value x = c.input(0);
  int64_t rank = outType.getRank(), channels = outType.getDimSize(1);
  int64_t count = outType.getNumElements() / channels;
  SmallVector<int64_t> bshape(rank, 1), ones(rank, 1);
  bshape[1] = channels;
  auto bType = RankedTensorType::get(bshape, outType.getElementType());
  auto mean = [&](Value v) {
    for (int64_t d = 0; d < rank; ++d)
      if (d != 1)
        v = c.reduceSum(v, d);
    return c.mul(v, c.constF32(ones, {1.0f / float(count)}), bType);
  };
  Value mu = mean(x);
  Value centered = tosa::SubOp::create(c.b, outType, x, mu);
  Value var = mean(c.mul(centered, centered, outType));
  Value inv = tosa::RsqrtOp::create(
      c.b, bType, tosa::AddOp::create(c.b, bType, var, c.constF32(ones, {eps})));
  auto param = [&](unsigned i) { return c.reshape(c.input(i), bshape); };
  Value y = c.mul(c.mul(centered, inv, outType), param(1), outType);
  c.setOutput(0, tosa::AddOp::create(c.b, outType, y, param(2)));
  // running = input_running * momentum + current * (1 - momentum).
  auto blend = [&](unsigned input, Value current) {
    Value a = c.mul(param(input), c.constF32(ones, {momentum}), bType);
    Value b = c.mul(current, c.constF32(ones, {1.0f - momentum}), bType);
    return c.reshape(tosa::AddOp::create(c.b, bType, a, b), {channels});
  };
  if (c.numOutputs() > 1 && !c.node->output(1).empty())
    c.setOutput(1, blend(3, mu));
  if (c.numOutputs() > 2 && !c.node->output(2).empty())
    c.setOutput(2, blend(4, var));
  return success();
}

LogicalResult importBatchNorm(ImportContext &c) {
  RankedTensorType outType = c.outputType(0);
  if (!outType)
    return failure();
  for (unsigned i = 0; i < 5; ++i)
    if (!c.hasInput(i))
      return c.fail("input " + std::to_string(i) + " is missing");
  if (c.attrInt("training_mode", 0))
    return importBatchNormTraining(c, outType);
  for (size_t i = 1; i < c.numOutputs(); ++i)
    if (!c.node->output(i).empty())
      return c.fail("running mean/var outputs need training_mode=1");
  float eps = c.attrFloat("epsilon", 1e-5f);
  int64_t rank = outType.getRank(), channels = outType.getDimSize(1);
  SmallVector<int64_t> bshape(rank, 1);
  bshape[1] = channels;
  auto bType = RankedTensorType::get(bshape, outType.getElementType());
  auto scale = c.constInput(1), bias = c.constInput(2), mean = c.constInput(3),
       var = c.constInput(4);
  Value a, b;
  if (scale && bias && mean && var) {
    // Fold to y = x * a + b on the host.
    auto s = scale->floats(), bi = bias->floats(), m = mean->floats(),
         v = var->floats();
    if (s.size() != size_t(channels) || bi.size() != s.size() ||
        m.size() != s.size() || v.size() != s.size())
      return c.fail("parameter sizes do not match the channel count");
    std::vector<float> av(channels), bv(channels);
    for (int64_t i = 0; i < channels; ++i) {
      av[i] = s[i] / std::sqrt(v[i] + eps);
      bv[i] = bi[i] - m[i] * av[i];
    }
    a = c.constF32(bshape, av);
    b = c.constF32(bshape, bv);
  } else {
    auto param = [&](unsigned i) { return c.reshape(c.input(i), bshape); };
    Value veps = tosa::AddOp::create(c.b, bType, param(4),
                                     c.constF32(SmallVector<int64_t>(rank, 1),
                                                {eps}));
    Value inv = tosa::RsqrtOp::create(c.b, bType, veps);
    a = c.mul(param(1), inv, bType);
    b = tosa::SubOp::create(c.b, bType, param(2), c.mul(param(3), a, bType));
  }
  Value y = c.mul(c.input(0), a, outType);
  c.setOutput(0, tosa::AddOp::create(c.b, outType, y, b));
  return success();
}

/// LayerNormalization-17: normalise over dims [axis, rank).
LogicalResult importLayerNorm(ImportContext &c) {
  RankedTensorType type = c.resultType(2);
  if (!type)
    return failure();
  Value x = c.input(0);
  int64_t rank = type.getRank();
  int64_t axis = c.attrInt("axis", -1);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= rank)
    return c.fail("axis out of range");
  float eps = c.attrFloat("epsilon", 1e-5f);
  double count = 1; // In double: see normalize().
  for (int64_t d = axis; d < rank; ++d)
    count *= double(type.getDimSize(d));
  auto meanOf = [&](Value v) {
    for (int64_t d = axis; d < rank; ++d)
      v = c.reduceSum(v, d);
    auto t = cast<RankedTensorType>(v.getType());
    return c.mul(v, c.splat(t, 1.0 / count), t);
  };
  Value mean = meanOf(x);
  Value centered = tosa::SubOp::create(c.b, type, x, mean);
  Value var = meanOf(c.mul(centered, centered, type));
  auto st = cast<RankedTensorType>(var.getType());
  Value inv = tosa::RsqrtOp::create(
      c.b, st, tosa::AddOp::create(c.b, st, var, c.splat(st, eps)));
  Value y = c.mul(c.mul(centered, inv, type), c.expandToRank(c.input(1), rank),
                  type);
  if (c.hasInput(2))
    y = tosa::AddOp::create(c.b, type, y, c.expandToRank(c.input(2), rank));
  c.setOutput(0, y);
  for (unsigned i : {1u, 2u}) {
    if (c.numOutputs() <= i || c.node->output(i).empty())
      continue;
    RankedTensorType t = c.outputType(i);
    if (!t)
      return failure();
    c.setOutput(i, c.reshape(i == 1 ? mean : inv, t.getShape()));
  }
  return success();
}

/// (x - mean) * rsqrt(var + eps) over `axes`, keeping dims.
Value normalize(ImportContext &c, Value x, ArrayRef<int64_t> axes, float eps) {
  auto type = cast<RankedTensorType>(x.getType());
  // In double: the axes of an empty tensor may multiply past int64.
  double count = 1;
  for (int64_t a : axes)
    count *= double(type.getDimSize(a));
  auto meanOf = [&](Value v) {
    for (int64_t a : axes)
      v = c.reduceSum(v, a);
    auto t = cast<RankedTensorType>(v.getType());
    return c.mul(v, c.splat(t, 1.0 / count), t);
  };
  Value centered = tosa::SubOp::create(c.b, type, x, meanOf(x));
  Value var = meanOf(c.mul(centered, centered, type));
  auto st = cast<RankedTensorType>(var.getType());
  Value inv = tosa::RsqrtOp::create(
      c.b, st, tosa::AddOp::create(c.b, st, var, c.splat(st, eps)));
  return c.mul(centered, inv, type);
}

LogicalResult importInstanceNorm(ImportContext &c) {
  RankedTensorType type = c.resultType(3);
  if (!type)
    return failure();
  int64_t rank = type.getRank();
  if (rank < 2)
    return c.fail("the input must have rank 2 or more ([N, C, ...])");
  SmallVector<int64_t> axes, cshape(rank, 1);
  for (int64_t d = 2; d < rank; ++d)
    axes.push_back(d);
  cshape[1] = type.getDimSize(1);
  Value y = normalize(c, c.input(0), axes, c.attrFloat("epsilon", 1e-5f));
  y = c.mul(y, c.reshape(c.input(1), cshape), type);
  c.setOutput(0, tosa::AddOp::create(c.b, type, y, c.reshape(c.input(2), cshape)));
  return success();
}

LogicalResult importMeanVarianceNorm(ImportContext &c) {
  RankedTensorType type = c.resultType(1);
  if (!type)
    return failure();
  std::vector<int64_t> axes = c.attrInts("axes");
  if (!c.hasAttr("axes"))
    axes = {0, 2, 3};
  int64_t rank = type.getRank();
  if (cast<RankedTensorType>(c.input(0).getType()).getShape() != type.getShape())
    return c.fail("the input's shape differs from the result's");
  SmallVector<int64_t> norm;
  for (int64_t a : axes) {
    int64_t axis = a < 0 ? a + rank : a;
    if (axis < 0 || axis >= rank || llvm::is_contained(norm, axis))
      return c.fail("axes must be distinct dimensions of the rank-" +
                    std::to_string(rank) + " input");
    norm.push_back(axis);
  }
  // The ONNX function body's epsilon.
  c.setOutput(0, normalize(c, c.input(0), norm, 1e-9f));
  return success();
}

/// LRN: x / (bias + alpha / size * sum of squares over a channel window)^beta,
/// the window sum being an average pool (counting pads) times its size.
LogicalResult importLRN(ImportContext &c) {
  RankedTensorType type = c.resultType(1);
  if (!type)
    return failure();
  int64_t size = c.attrInt("size", 0);
  if (size < 1 || type.getRank() < 3)
    return c.fail("needs size >= 1 and an [N, C, ...] input");
  float alpha = c.attrFloat("alpha", 1e-4f), beta = c.attrFloat("beta", 0.75f),
        bias = c.attrFloat("bias", 1.0f);
  Value x = c.input(0);
  int64_t n = type.getDimSize(0), ch = type.getDimSize(1);
  int64_t rest = type.getNumElements() / std::max<int64_t>(n * ch, 1);
  Value sq = c.reshape(c.mul(x, x, type), {n, 1, ch, rest});
  auto pooledType = RankedTensorType::get({n, 1, ch, rest}, type.getElementType());
  int64_t lo = (size - 1) / 2, hi = size - 1 - lo;
  Value avg = PoolOp::create(c.b, pooledType, sq, c.b.getStringAttr("avg"),
                             c.b.getDenseI64ArrayAttr({size, 1}),
                             c.b.getDenseI64ArrayAttr({1, 1}),
                             c.b.getDenseI64ArrayAttr({1, 1}),
                             c.b.getDenseI64ArrayAttr({lo, 0}),
                             c.b.getDenseI64ArrayAttr({hi, 0}),
                             c.b.getBoolAttr(true));
  Value sum = c.reshape(avg, type.getShape());
  Value base = tosa::AddOp::create(c.b, type, c.splat(type, bias),
                                   c.mul(sum, c.splat(type, alpha), type));
  Value den = tosa::PowOp::create(c.b, type, base, c.splat(type, beta));
  c.setOutput(0, c.mul(x, tosa::ReciprocalOp::create(c.b, type, den), type));
  return success();
}

/// LpNormalization: x / ||x||_p along `axis` (p = 1: sum of |x|; p = 2:
/// the square root of the sum of squares); a zero norm gives 0 rather than
/// 0/0, as ONNX's tests expect.
LogicalResult importLpNormalization(ImportContext &c) {
  RankedTensorType type = c.resultType(1);
  if (!type)
    return failure();
  if (!isa<FloatType>(type.getElementType()))
    return c.fail("LpNormalization supports floating-point data only");
  Value x = c.input(0);
  int64_t rank = type.getRank(), axis = c.attrInt("axis", -1);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= rank)
    return c.fail("axis out of range");
  int64_t p = c.attrInt("p", 2);
  if (p != 1 && p != 2)
    return c.fail("p must be 1 or 2");
  Value a = p == 1 ? Value(tosa::AbsOp::create(c.b, type, x))
                   : c.mul(x, x, type);
  Value norm = c.reduceSum(a, axis);
  auto nt = cast<RankedTensorType>(norm.getType());
  if (p == 2)
    norm = tosa::ReciprocalOp::create(c.b, nt,
                                      tosa::RsqrtOp::create(c.b, nt, norm));
  Value zero = tosa::EqualOp::create(
      c.b, RankedTensorType::get(nt.getShape(), c.b.getI1Type()), norm,
      c.splat(nt, 0));
  Value y = DivOp::create(c.b, type, x, norm);
  c.setOutput(0, tosa::SelectOp::create(c.b, type, zero, c.splat(type, 0), y));
  return success();
}

} // namespace

void mlir::dlc::appendNormHandlers(std::vector<OpHandler> &t) {
  t.push_back({"BatchNormalization", 1, importBatchNorm});
  t.push_back({"LayerNormalization", 17, importLayerNorm});
  t.push_back({"InstanceNormalization", 6, importInstanceNorm});
  t.push_back({"MeanVarianceNormalization", 9, importMeanVarianceNorm});
  t.push_back({"LRN", 1, importLRN});
  t.push_back({"LpNormalization", 1, importLpNormalization});
}

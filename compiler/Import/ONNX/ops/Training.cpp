//===- Training.cpp - ai.onnx.preview.training optimizer steps ------------===//
//
// Adagrad, Adam and Momentum (with its Nesterov mode): one optimizer step
// over n tensors at once, inputs R (learning rate), T (step count), then n
// of each of X, G and the optimizer's state, outputs n of X_new and of each
// new state. Elementwise TOSA, as ONNX's reference states each formula;
// R and T are run-time scalars.
//
//===----------------------------------------------------------------------===//
#include "compiler/Import/ONNX/ImportContext.h"
#include "compiler/Import/ONNX/ops/Kernels.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>

using namespace mlir;
using namespace mlir::dlc;

namespace {

/// Elementwise arithmetic on tensors of one element type and rank whose
/// shapes broadcast (scalars as all-ones shapes).
struct Step {
  ImportContext &c;
  Type elt;
  int64_t rank;

  RankedTensorType typeOf(Value a, Value b) {
    auto sa = cast<RankedTensorType>(a.getType()).getShape(),
         sb = cast<RankedTensorType>(b.getType()).getShape();
    SmallVector<int64_t> s;
    for (int64_t d = 0; d < rank; ++d)
      s.push_back(std::max(sa[d], sb[d]));
    return RankedTensorType::get(s, elt);
  }
  Value k(double v) {
    return c.splat(RankedTensorType::get(SmallVector<int64_t>(rank, 1), elt),
                   v);
  }
  Value add(Value a, Value b) {
    return tosa::AddOp::create(c.b, typeOf(a, b), a, b);
  }
  Value sub(Value a, Value b) {
    return tosa::SubOp::create(c.b, typeOf(a, b), a, b);
  }
  Value mul(Value a, Value b) { return c.mul(a, b, typeOf(a, b)); }
  Value div(Value a, Value b) {
    return mul(a, tosa::ReciprocalOp::create(c.b, b.getType(), b));
  }
  Value sqrt(Value a) {
    return mapElements(c, a, elt, [](OpBuilder &b, Location l, Value v) {
      return math::SqrtOp::create(b, l, v).getResult();
    });
  }
  /// base^t for a constant base and the run-time step count t.
  Value pow(double base, Value t) {
    return tosa::ExpOp::create(c.b, t.getType(), mul(t, k(std::log(base))));
  }
  Value select(Value cond, Value a, Value b) {
    return tosa::SelectOp::create(c.b, typeOf(a, b), cond, a, b);
  }
};

/// The shared frame: `groups` tensors per updated parameter (X, G and the
/// states), `body` mapping (step, r, t, t > 0, the group's inputs) to its
/// outputs (X_new, then the new states).
using OptimizerBody = function_ref<SmallVector<Value>(
    Step &, Value r, Value t, Value tPositive, ArrayRef<Value> in)>;

LogicalResult optimizer(ImportContext &c, int64_t groups, OptimizerBody body) {
  int64_t inputs = c.numInputs();
  if (inputs < 2 + groups || (inputs - 2) % groups)
    return c.fail("expects R, T and " + Twine(groups) +
                  " inputs per optimized tensor");
  for (int64_t i = 0; i < inputs; ++i)
    if (!c.hasInput(i))
      return c.fail("input " + Twine(i) + " is missing (none is optional)");
  int64_t n = (inputs - 2) / groups;
  // X_new and one new state per state input: groups - 1 outputs each.
  if (int64_t(c.numOutputs()) != (groups - 1) * n)
    return c.fail("expects " + Twine((groups - 1) * n) + " outputs for " +
                  Twine(n) + " optimized tensor(s)");
  for (int64_t j = 0; j < n; ++j) {
    RankedTensorType type = c.outputType(j);
    if (!type)
      return failure();
    Type elt = type.getElementType();
    if (!isa<FloatType>(elt))
      return c.fail("optimizes floating-point tensors only");
    int64_t rank = type.getRank();
    Step s{c, elt, rank};
    auto scalar = [&](unsigned i) -> Value {
      if (!c.input(i))
        return Value();
      Value v = c.expandToRank(c.input(i), rank);
      auto vt = cast<RankedTensorType>(v.getType());
      if (vt.getNumElements() != 1)
        return Value();
      return vt.getElementType() == elt
                 ? v
                 : Value(tosa::CastOp::create(c.b, vt.clone(elt), v));
    };
    Value r = scalar(0), t = scalar(1);
    if (!r || !t)
      return c.fail("R and T must be scalars");
    auto boolT =
        RankedTensorType::get(SmallVector<int64_t>(rank, 1), c.b.getI1Type());
    Value tPositive = tosa::GreaterOp::create(c.b, boolT, t, s.k(0));
    SmallVector<Value> in;
    for (int64_t g = 0; g < groups; ++g) {
      Value v = c.input(2 + g * n + j);
      if (!v)
        return failure();
      auto vt = cast<RankedTensorType>(v.getType());
      if (vt.getRank() > rank || vt.getElementType() != elt)
        return c.fail("input " + Twine(2 + g * n + j) +
                      " does not match its output's rank and type");
      in.push_back(c.expandToRank(v, rank));
    }
    SmallVector<Value> out = body(s, r, t, tPositive, in);
    for (size_t o = 0; o < out.size(); ++o) {
      RankedTensorType ot = c.outputType(o * n + j);
      if (!ot)
        return failure();
      if (cast<RankedTensorType>(out[o].getType()) != ot)
        return c.fail("an update's shape does not match its output's");
      c.setOutput(o * n + j, out[o]);
    }
  }
  return success();
}

LogicalResult importAdagrad(ImportContext &c) {
  double decay = c.attrFloat("decay_factor", 0), eps = c.attrFloat("epsilon", 0),
         norm = c.attrFloat("norm_coefficient", 0);
  return optimizer(c, 3, [&](Step &s, Value r, Value t, Value,
                             ArrayRef<Value> in) -> SmallVector<Value> {
    Value x = in[0], g = in[1], h = in[2];
    Value rate = s.div(r, s.add(s.k(1), s.mul(t, s.k(decay))));
    Value gReg = s.add(s.mul(s.k(norm), x), g);
    Value hNew = s.add(h, s.mul(gReg, gReg));
    Value xNew = s.sub(
        x, s.div(s.mul(rate, gReg), s.add(s.sqrt(hNew), s.k(eps))));
    return {xNew, hNew};
  });
}

LogicalResult importAdam(ImportContext &c) {
  double alpha = c.attrFloat("alpha", 0.9f), beta = c.attrFloat("beta", 0.999f),
         eps = c.attrFloat("epsilon", 1e-6f),
         norm = c.attrFloat("norm_coefficient", 0),
         post = c.attrFloat("norm_coefficient_post", 0);
  return optimizer(c, 4, [&](Step &s, Value r, Value t, Value tPositive,
                             ArrayRef<Value> in) -> SmallVector<Value> {
    Value x = in[0], g = in[1], v = in[2], h = in[3];
    Value gReg = s.add(s.mul(s.k(norm), x), g);
    Value vNew = s.add(s.mul(s.k(alpha), v), s.mul(s.k(1 - alpha), gReg));
    Value hNew =
        s.add(s.mul(s.k(beta), h), s.mul(s.k(1 - beta), s.mul(gReg, gReg)));
    // The bias correction applies from the first step on (t > 0).
    Value corrected =
        s.div(s.mul(r, s.sqrt(s.sub(s.k(1), s.pow(beta, t)))),
              s.sub(s.k(1), s.pow(alpha, t)));
    Value rate = s.select(tPositive, corrected, r);
    Value xNew = s.sub(x, s.mul(rate, s.div(vNew, s.add(s.sqrt(hNew), s.k(eps)))));
    return {s.mul(s.k(1 - post), xNew), vNew, hNew};
  });
}

LogicalResult importMomentum(ImportContext &c) {
  for (const char *a : {"alpha", "beta", "norm_coefficient", "mode"})
    if (!c.hasAttr(a))
      return c.fail(Twine("attribute '") + a + "' is required");
  double alpha = c.attrFloat("alpha", 0), beta = c.attrFloat("beta", 0),
         norm = c.attrFloat("norm_coefficient", 0);
  std::string mode = c.attrString("mode", "");
  if (mode != "standard" && mode != "nesterov")
    return c.fail("mode '" + mode + "' is not standard or nesterov");
  return optimizer(c, 3, [&](Step &s, Value r, Value, Value tPositive,
                             ArrayRef<Value> in) -> SmallVector<Value> {
    Value x = in[0], g = in[1], v = in[2];
    Value gReg = s.add(s.mul(s.k(norm), x), g);
    Value betaNow = s.select(tPositive, s.k(beta), s.k(1)); // 1 on step 0.
    Value vNew = s.add(s.mul(s.k(alpha), v), s.mul(betaNow, gReg));
    Value dir = mode == "standard" ? vNew
                                   : s.add(gReg, s.mul(s.k(alpha), vNew));
    return {s.sub(x, s.mul(r, dir)), vNew};
  });
}

} // namespace

void mlir::dlc::appendTrainingHandlers(std::vector<OpHandler> &t) {
  const char *domain = "ai.onnx.preview.training";
  t.push_back({"Adagrad", 1, importAdagrad, domain});
  t.push_back({"Adam", 1, importAdam, domain});
  t.push_back({"Momentum", 1, importMomentum, domain});
}

//===- ML.cpp - ai.onnx.ml operators --------------------------------------===//
//
// The classic-ML domain that scikit-learn converters write: Binarizer and
// ArrayFeatureExtractor here; TreeEnsemble in TreeEnsemble.cpp.
//
//===----------------------------------------------------------------------===//
#include "compiler/Import/ONNX/ImportContext.h"
#include "mlir/Dialect/Tosa/Utils/ConversionUtils.h"

using namespace mlir;
using namespace mlir::dlc;

namespace {

/// Binarizer: 1 where x > threshold, else 0, in x's type.
LogicalResult importBinarizer(ImportContext &c) {
  RankedTensorType type = c.resultType(1);
  if (!type)
    return failure();
  Value x = c.input(0);
  if (!x)
    return c.fail("input 0 is missing");
  auto boolT = RankedTensorType::get(type.getShape(), c.b.getI1Type());
  Value above = tosa::GreaterOp::create(
      c.b, boolT, x, c.splat(type, c.attrFloat("threshold", 0)));
  c.setOutput(0, tosa::SelectOp::create(c.b, type, above, c.splat(type, 1),
                                        c.splat(type, 0)));
  return success();
}

/// ArrayFeatureExtractor: x's last axis gathered at the run-time indices y
/// (flattened); a 1-D x is read as one row.
LogicalResult importArrayFeatureExtractor(ImportContext &c) {
  RankedTensorType type = c.resultType(2);
  if (!type)
    return failure();
  Value x = c.input(0), y = c.input(1);
  if (!x || !y)
    return c.fail("expects the data and the indices");
  auto xt = cast<RankedTensorType>(x.getType());
  auto yt = cast<RankedTensorType>(y.getType());
  if (xt.getRank() < 1 || xt.getShape().back() < 1 ||
      !yt.getElementType().isInteger())
    return c.fail("expects data of rank 1 or more and integer indices");
  int64_t n = xt.getShape().back(), rows = xt.getNumElements() / n;
  int64_t k = yt.getNumElements();
  if (type.getNumElements() != rows * k)
    return c.fail("the output's shape does not match the input and indices");
  // tosa.gather: values [1, rows, n] viewed as [rows, n, 1], indices [rows, k].
  Value values = c.reshape(x, {rows, n, 1});
  // Indices are data: clamped into the row, so none reads outside it.
  auto i32 = RankedTensorType::get({1, k}, c.b.getI32Type());
  Value idx = tosa::ClampOp::create(
      c.b, i32, tosa::CastOp::create(c.b, i32, c.reshape(y, {1, k})),
      c.b.getI32IntegerAttr(0), c.b.getI32IntegerAttr(int32_t(std::min<int64_t>(n - 1, INT32_MAX))));
  if (rows > 1)
    idx = tosa::TileOp::create(
        c.b, RankedTensorType::get({rows, k}, c.b.getI32Type()), idx,
        tosa::getTosaConstShape(c.b, {rows, 1}));
  Value g = tosa::GatherOp::create(
      c.b, RankedTensorType::get({rows, k, 1}, xt.getElementType()), values,
      idx);
  c.setOutput(0, c.reshape(g, type.getShape()));
  return success();
}

} // namespace

void mlir::dlc::appendMLHandlers(std::vector<OpHandler> &t) {
  const char *domain = "ai.onnx.ml";
  t.push_back({"Binarizer", 1, importBinarizer, domain});
  t.push_back({"ArrayFeatureExtractor", 1, importArrayFeatureExtractor, domain});
}

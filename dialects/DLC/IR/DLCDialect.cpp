//===- DLCDialect.cpp - the dlc dialect -----------------------------------===//
//
// Registers the `dlc` operations and implements their verifiers.
//
//===----------------------------------------------------------------------===//
#include "dialects/DLC/IR/DLCDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace mlir::dlc;

#include "dialects/DLC/IR/DLCOpsDialect.cpp.inc"

void DLCDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/DLC/IR/DLCOps.cpp.inc"
      >();
}

LogicalResult PadOp::verify() {
  auto inType = getInput().getType();
  auto outType = getOutput().getType();
  int64_t rank = inType.getRank();
  if (static_cast<int64_t>(getLow().size()) != rank ||
      static_cast<int64_t>(getHigh().size()) != rank)
    return emitOpError("expects low and high to have one entry per dimension");
  if (getMode() != "reflect" && getMode() != "edge" && getMode() != "wrap")
    return emitOpError("expects mode \"reflect\", \"edge\" or \"wrap\", got \"")
           << getMode() << "\"";
  for (int64_t d = 0; d < rank; ++d) {
    int64_t lo = getLow()[d], hi = getHigh()[d];
    if (lo < 0 || hi < 0)
      return emitOpError("expects non-negative padding");
    int64_t in = inType.getDimSize(d);
    if (getMode() == "reflect" && (lo >= in || hi >= in))
      return emitOpError("reflect padding must be smaller than dimension ")
             << d << " (size " << in << ")";
    if (getMode() == "wrap" && (lo > in || hi > in))
      return emitOpError("wrap padding must not exceed dimension ")
             << d << " (size " << in << ")";
    if (outType.getDimSize(d) != in + lo + hi)
      return emitOpError("result dimension ")
             << d << " must be " << in + lo + hi;
  }
  return success();
}

LogicalResult PoolOp::verify() {
  auto inType = getInput().getType();
  auto outType = getOutput().getType();
  int64_t rank = inType.getRank(), k = rank - 2;
  if (k < 1)
    return emitOpError("expects [N, C, spatial...] input");
  if (getKind() != "max" && getKind() != "avg" && getKind() != "sum")
    return emitOpError("expects kind \"max\", \"avg\" or \"sum\", got \"")
           << getKind() << "\"";
  for (ArrayRef<int64_t> a : {getKernel(), getStrides(), getDilations(),
                              getPadsLow(), getPadsHigh()})
    if (static_cast<int64_t>(a.size()) != k)
      return emitOpError("expects ") << k << " window entries per attribute";
  if (outType.getRank() != rank || outType.getDimSize(0) != inType.getDimSize(0) ||
      outType.getDimSize(1) != inType.getDimSize(1))
    return emitOpError("result must keep N and C");
  for (int64_t i = 0; i < k; ++i) {
    if (getKernel()[i] < 1 || getStrides()[i] < 1 || getDilations()[i] < 1 ||
        getPadsLow()[i] < 0 || getPadsHigh()[i] < 0)
      return emitOpError("window attributes out of range");
    int64_t extent = (getKernel()[i] - 1) * getDilations()[i] + 1;
    int64_t in = inType.getDimSize(2 + i);
    int64_t floorOut =
        (in + getPadsLow()[i] + getPadsHigh()[i] - extent) / getStrides()[i] + 1;
    int64_t out = outType.getDimSize(2 + i);
    // ceil_mode adds at most one window beyond the floor result.
    if (out < 1 || out < floorOut || out > floorOut + 1)
      return emitOpError("result spatial dimension ")
             << i << " (" << out << ") does not match the window";
  }
  return success();
}

LogicalResult ConvOp::verify() {
  auto in = getInput().getType(), w = getWeight().getType(),
       out = getOutput().getType();
  int64_t rank = in.getRank(), k = rank - 2, g = getGroups();
  if (k < 1 || w.getRank() != rank || out.getRank() != rank)
    return emitOpError("expects [N, C, spatial...] operands of equal rank");
  for (ArrayRef<int64_t> a :
       {getStrides(), getDilations(), getPadsLow(), getPadsHigh()})
    if (static_cast<int64_t>(a.size()) != k)
      return emitOpError("expects ") << k << " window entries per attribute";
  if (g < 1 || in.getDimSize(1) % g || w.getDimSize(0) % g ||
      w.getDimSize(1) * g != in.getDimSize(1))
    return emitOpError("channel counts do not match groups = ") << g;
  if (out.getDimSize(1) != w.getDimSize(0) ||
      getBias().getType().getNumElements() != w.getDimSize(0))
    return emitOpError("result channels must match the weight and bias");
  for (int64_t i = 0; i < k; ++i) {
    int64_t extent = (w.getDimSize(2 + i) - 1) * getDilations()[i] + 1;
    int64_t o = (in.getDimSize(2 + i) + getPadsLow()[i] + getPadsHigh()[i] -
                 extent) / getStrides()[i] + 1;
    if (o != out.getDimSize(2 + i))
      return emitOpError("result spatial dimension ")
             << i << " must be " << o;
  }
  return success();
}

LogicalResult DivOp::verify() {
  auto out = getOutput().getType();
  if (!isa<FloatType>(out.getElementType()))
    return emitOpError("expects floating-point operands");
  for (auto t : {getLhs().getType(), getRhs().getType()}) {
    if (t.getRank() != out.getRank() ||
        t.getElementType() != out.getElementType())
      return emitOpError("operands must have the result's rank and type");
    for (int64_t d = 0; d < out.getRank(); ++d)
      if (t.getDimSize(d) != out.getDimSize(d) && t.getDimSize(d) != 1)
        return emitOpError("operand dimension ")
               << d << " neither matches nor broadcasts";
  }
  return success();
}

LogicalResult UnaryOp::verify() {
  static const char *const fns[] = {"sqrt",  "tan",   "asin",     "acos",
                                    "atan",  "sinh",  "cosh",     "asinh",
                                    "acosh", "atanh", "isinf",    "isposinf",
                                    "isneginf"};
  if (!llvm::is_contained(fns, getFn()))
    return emitOpError("unknown function \"") << getFn() << "\"";
  if (!isa<FloatType>(getInput().getType().getElementType()))
    return emitOpError("expects a floating-point input");
  bool predicate = getFn().starts_with("is");
  Type want = predicate ? IntegerType::get(getContext(), 1)
                        : getInput().getType().getElementType();
  if (getOutput().getType().getElementType() != want)
    return emitOpError("result element type must be ") << want;
  return success();
}

#define GET_OP_CLASSES
#include "dialects/DLC/IR/DLCOps.cpp.inc"

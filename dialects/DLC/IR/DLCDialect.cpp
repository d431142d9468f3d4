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
  if (getMode() != "reflect" && getMode() != "edge")
    return emitOpError("expects mode \"reflect\" or \"edge\", got \"")
           << getMode() << "\"";
  for (int64_t d = 0; d < rank; ++d) {
    int64_t lo = getLow()[d], hi = getHigh()[d];
    if (lo < 0 || hi < 0)
      return emitOpError("expects non-negative padding");
    int64_t in = inType.getDimSize(d);
    if (getMode() == "reflect" && (lo >= in || hi >= in))
      return emitOpError("reflect padding must be smaller than dimension ")
             << d << " (size " << in << ")";
    if (outType.getDimSize(d) != in + lo + hi)
      return emitOpError("result dimension ")
             << d << " must be " << in + lo + hi;
  }
  return success();
}

#define GET_OP_CLASSES
#include "dialects/DLC/IR/DLCOps.cpp.inc"

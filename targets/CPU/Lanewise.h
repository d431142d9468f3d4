//===- Lanewise.h - a linalg body applied to vectors, lane by lane --------===//
//
// The CPU kernels (contraction epilogues, dlc-cpu-vectorize-kernels) run the
// scalar body of a linalg op on whole vectors: each arith/math op is
// recreated with vector operands and result, values from outside the body
// are broadcast, and constants stay scalar and are broadcast too.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_TARGETS_CPU_LANEWISE_H
#define DLC_TARGETS_CPU_LANEWISE_H

#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"

namespace mlir::dlc {

/// `x` as a `lanes`-wide vector: its mapped value, or a broadcast of it.
inline Value lanewiseValue(OpBuilder &b, Location loc, IRMapping &map,
                           Value x, int64_t lanes) {
  if (Value m = map.lookupOrNull(x))
    return m;
  return vector::BroadcastOp::create(
      b, loc, VectorType::get({lanes}, x.getType()), x);
}

/// Applies every op of `body` but its terminator to `lanes`-wide vectors,
/// in order; `map` must hold the vector values of the block arguments the
/// body reads, and receives the vector value of every op's result.
inline void applyLanewise(OpBuilder &b, Location loc, Block &body,
                          IRMapping &map, int64_t lanes) {
  for (Operation &op : body.without_terminator()) {
    if (op.getNumOperands() == 0) { // Constants stay scalar.
      Operation *c = b.clone(op);
      map.map(op.getResult(0),
              lanewiseValue(b, loc, map, c->getResult(0), lanes));
      continue;
    }
    OperationState st(loc, op.getName());
    for (Value x : op.getOperands())
      st.addOperands(lanewiseValue(b, loc, map, x, lanes));
    st.addTypes(VectorType::get({lanes}, op.getResult(0).getType()));
    st.propertiesAttr = op.getPropertiesAsAttribute();
    st.addAttributes(llvm::to_vector(op.getDiscardableAttrs()));
    map.map(op.getResult(0), b.create(st)->getResult(0));
  }
}

} // namespace mlir::dlc

#endif // DLC_TARGETS_CPU_LANEWISE_H

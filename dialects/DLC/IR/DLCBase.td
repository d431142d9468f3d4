// The `dlc` dialect: graph-level operations that TOSA has no equivalent for.
// The importer emits TOSA wherever TOSA can express an ONNX operator exactly
// and reaches for `dlc` ops only for the remainder, so that upstream TOSA
// canonicalisation and lowering do most of the work.
#ifndef DLC_BASE_TD
#define DLC_BASE_TD

include "mlir/IR/OpBase.td"

def DLC_Dialect : Dialect {
  let name = "dlc";
  let summary = "Graph-level operations of the dlc compiler";
  let cppNamespace = "::mlir::dlc";
}

class DLC_Op<string mnemonic, list<Trait> traits = []>
    : Op<DLC_Dialect, mnemonic, traits>;

#endif // DLC_BASE_TD

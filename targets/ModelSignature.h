//===- ModelSignature.h - what a compiled model exposes -------------------===//
//
// The inputs, outputs and memory needs of a compiled model, as recorded in
// the versioned ABI descriptor (runtime/include/dlc/model_abi.h) and in the
// firmware header. Extracted from the imported function's argument
// attributes before bufferization rewrites its signature.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_TARGETS_MODELSIGNATURE_H
#define DLC_TARGETS_MODELSIGNATURE_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir::dlc {

struct TensorSignature {
  std::string name;
  int32_t dtype = 0; // ONNX TensorProto::DataType code.
  std::vector<int64_t> shape;
  uint64_t sizeBytes = 0;
};

struct ModelSignature {
  std::string name; // Symbol prefix, e.g. "model" -> model_run.
  std::vector<TensorSignature> inputs, outputs;
  uint64_t workspaceSize = 0;
  uint64_t workspaceAlign = 64;
};

/// Attribute names the importer puts on the entry function's arguments and
/// results.
constexpr const char *kNameAttr = "dlc.name";
constexpr const char *kDTypeAttr = "dlc.dtype";
constexpr const char *kWorkspaceSizeAttr = "dlc.workspace_size";
constexpr const char *kEntryName = "main_graph";

/// Reads the signature off the imported entry function.
ModelSignature extractSignature(func::FuncOp entry, llvm::StringRef name);

/// Size in bytes of one element of the ONNX data type `dtype`, 0 if unknown.
int64_t dtypeSize(int32_t dtype);

} // namespace mlir::dlc

#endif // DLC_TARGETS_MODELSIGNATURE_H

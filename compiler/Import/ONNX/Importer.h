//===- Importer.h - ONNX to MLIR ------------------------------------------===//
//
// Entry points of the ONNX importer: load a model (binary .onnx or textual
// .onnxtext), run the ONNX checker and shape inference, and build a module
// with one `main_graph` function of TOSA and dlc ops.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_COMPILER_IMPORT_ONNX_IMPORTER_H
#define DLC_COMPILER_IMPORT_ONNX_IMPORTER_H

#include "compiler/Pipeline/CompilerOptions.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <memory>
#include <string>

namespace onnx {
class ModelProto;
} // namespace onnx

namespace mlir::dlc {

/// A loaded model. Weight blobs in the imported IR point into it, so it must
/// outlive the module.
struct OnnxModel {
  std::unique_ptr<onnx::ModelProto> proto;
  std::string path;
  /// What strict ONNX shape inference objected to, when the model was
  /// accepted leniently; the importer adds it to "no static shape" errors.
  std::string inferenceNote;
  /// What is left of --max-unrolled-nodes after the Loops the loader
  /// unrolled; Scan, unrolled at import, draws on the rest.
  int64_t unrollBudget = 0;
  OnnxModel();
  ~OnnxModel();
};

/// Reads, checks and shape-infers `path`. On failure returns null and sets
/// `error` to one line naming the file and the reason.
std::unique_ptr<OnnxModel> loadOnnxModel(llvm::StringRef path,
                                         const CompilerOptions &options,
                                         std::string &error);

/// As loadOnnxModel, from the file's contents; `path` names the model in
/// messages, decides text (.onnxtext) or binary, and anchors external data.
std::unique_ptr<OnnxModel> loadOnnxModelFromBytes(llvm::StringRef bytes,
                                                  llvm::StringRef path,
                                                  const CompilerOptions &options,
                                                  std::string &error);

/// After a pass rewrote a loaded model's graph (post-training quantization
/// inserts QuantizeLinear/DequantizeLinear pairs): rewrites its QDQ
/// patterns into integer operators, infers shapes again and checks node
/// types, as loading does. On failure returns false and sets `error`.
bool finishRewrittenModel(OnnxModel &model, std::string &error);

/// Imports the model. Reports every problem (all unsupported operators at
/// once) through MLIR diagnostics and returns null on failure.
OwningOpRef<ModuleOp> importOnnxModel(MLIRContext *context,
                                      const OnnxModel &model,
                                      const CompilerOptions &options);

/// The operator types the importer has a handler for at `opset`.
std::vector<std::string> supportedOperators(int64_t opset);

} // namespace mlir::dlc

#endif // DLC_COMPILER_IMPORT_ONNX_IMPORTER_H

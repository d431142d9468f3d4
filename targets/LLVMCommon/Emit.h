//===- Emit.h - LLVM IR to artifacts --------------------------------------===//
//
// Shared by every backend whose host code goes through LLVM: translation of
// the LLVM dialect, the model ABI descriptor, optimisation, object emission,
// and linking with lld.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_TARGETS_LLVMCOMMON_EMIT_H
#define DLC_TARGETS_LLVMCOMMON_EMIT_H

#include "targets/ModelSignature.h"
#include "targets/Target.h"

#include "mlir/IR/BuiltinOps.h"

namespace llvm {
class Module;
} // namespace llvm

namespace mlir::dlc {

/// Adds the versioned descriptor (`dlc_model_query`) and the `<name>_run`
/// entry to `module`, which already holds the bare-pointer `main_graph`.
/// Everything else becomes internal.
void emitModelABI(llvm::Module &module, const ModelSignature &signature,
                  bool exportQuery);

/// Writes `data` to `path` through a temporary file renamed into place, so
/// a failure never leaves a partial file; "-" writes to stdout.
LogicalResult writeOutputFile(Location loc, llvm::StringRef path,
                              llvm::StringRef data);

/// Translates `module`, optimises it for `desc`, and writes `kind` to
/// `outputPath` atomically.
LogicalResult emitWithLLVM(ModuleOp module, const ModelSignature &signature,
                           const TargetDesc &desc,
                           const CompilerOptions &options, ArtifactKind kind,
                           llvm::StringRef outputPath);

} // namespace mlir::dlc

#endif // DLC_TARGETS_LLVMCOMMON_EMIT_H

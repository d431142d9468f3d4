//===- Pipeline.h - the dlc compilation pipeline --------------------------===//
//
// One function runs a whole compilation; the per-phase pass lists are exposed
// so that dlc-opt and tests can run a single phase.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_COMPILER_PIPELINE_PIPELINE_H
#define DLC_COMPILER_PIPELINE_PIPELINE_H

#include "compiler/Pipeline/CompilerOptions.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringRef.h"

#include <optional>

namespace mlir::dlc {

/// Parses `--emit=` names: import, graph, kernels, memory, llvm, llvmir, asm,
/// obj, so.
std::optional<Phase> parsePhase(llvm::StringRef name);

/// Phase 2: graph-level simplification on TOSA.
void buildGraphPipeline(OpPassManager &pm);
/// Phase 4: TOSA/dlc to linalg on tensors.
void buildKernelPipeline(OpPassManager &pm);
/// Phase 5: bufferization and static workspace planning.
void buildMemoryPipeline(OpPassManager &pm);

/// Compiles `inputPath` (.onnx or .onnxtext) and writes what `options.emit`
/// asks for to `outputPath` ("-" for stdout, textual phases only). Errors are
/// reported through the context's diagnostic handler; on failure no output
/// file is written.
LogicalResult compileModel(MLIRContext &context, const CompilerOptions &options,
                           llvm::StringRef inputPath,
                           llvm::StringRef outputPath);

} // namespace mlir::dlc

#endif // DLC_COMPILER_PIPELINE_PIPELINE_H

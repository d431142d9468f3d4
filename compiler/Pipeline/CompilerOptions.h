//===- CompilerOptions.h - every knob of a compilation --------------------===//
//
// The one options struct the driver fills from its command line and every
// phase reads. Libraries never define their own global flags.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_COMPILER_PIPELINE_COMPILEROPTIONS_H
#define DLC_COMPILER_PIPELINE_COMPILEROPTIONS_H

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace mlir::dlc {

/// Where the pipeline stops and what it writes.
enum class Phase {
  Import,  // TOSA + dlc ops on tensors, straight from ONNX.
  Graph,   // After graph-level simplification.
  Kernels, // linalg on tensors.
  Memory,  // Bufferized, every intermediate placed in the workspace.
  LLVM,    // LLVM dialect.
  LLVMIR,  // LLVM IR text, ABI descriptor included.
  Asm,     // Target assembly.
  Object,  // Relocatable object.
  Library, // Final artifact (.so), the default.
};

struct CompilerOptions {
  std::string target = "host";
  std::string cpu;      // -mcpu= override.
  std::string features; // -mattr= override.
  std::string name = "model";
  Phase emit = Phase::Library;
  int optLevel = 3;
  /// --input-shape name=1x3x224x224 pins (symbolic) input dimensions.
  std::map<std::string, std::vector<int64_t>> inputShapes;
  /// --dim name=N pins the symbolic dimension `name` (dim_param) wherever
  /// a graph input uses it.
  std::map<std::string, int64_t> dims;
  /// --report=<file.json>: the memory contract (see docs/cli.md).
  std::string reportPath;
  /// --max-ram / --max-flash budgets in bytes; 0 means no budget.
  uint64_t maxRam = 0;
  uint64_t maxFlash = 0;
};

} // namespace mlir::dlc

#endif // DLC_COMPILER_PIPELINE_COMPILEROPTIONS_H

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

/// Bounds on what a model may ask of the compiler, checked before anything
/// is allocated for it (docs/reliability.md). Each has a flag to raise it.
struct ImportLimits {
  /// --max-tensor-bytes: the largest tensor, constant or computed.
  int64_t maxTensorBytes = int64_t(1) << 34;
  /// --max-rank: the most dimensions of a tensor; a shape-valued input
  /// (Reshape's shape, Slice's starts, Pad's pads, ...) may hold at most
  /// twice this many elements.
  int64_t maxRank = 32;
  /// --max-operands: the most inputs or outputs of one node.
  int64_t maxOperands = 4096;
  /// --max-unrolled-nodes: the most nodes that unrolling Loops with a
  /// compile-time trip count and Scans may write, all of them together.
  int64_t maxUnrolledNodes = 20000;
};

/// Post-training quantization (docs/quantization.md): --quantize=int8 with
/// --calibration=DIR builds an instrumented float model, runs it in-process
/// over the samples, and compiles the model with integer kernels.
struct QuantizeOptions {
  /// --quantize: empty (off) or "int8".
  std::string mode;
  /// --precision=bf16: every conv and matmul that does not run in int8 runs
  /// on bf16-rounded operands with f32 accumulation (docs/quantization.md);
  /// the accuracy budget then moves int8 layers to bf16, not float.
  bool bf16 = false;
  /// --calibration=DIR: the samples (backend-test layout or .npy files).
  std::string calibrationDir;
  /// --calibrate=minmax|percentile=P|entropy.
  enum class Method { MinMax, Percentile, Entropy } method = Method::MinMax;
  double percentile = 99.99;
  /// --accuracy-check=DIR: held-out samples for the accuracy table.
  std::string accuracyDir;
  /// --accuracy-budget=<dB>: the least SQNR of every output; int8 layers go
  /// back to float (bf16 with --precision=bf16), most sensitive first,
  /// until it holds. 0 means no budget.
  double accuracyBudgetDb = 0;
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
  /// --input-value name=v[,v...] makes a graph input a constant of the
  /// model (its values in row-major order; its shape must be static once
  /// pinned): a sample rate or a mode flag that selects an If branch.
  std::map<std::string, std::vector<double>> inputValues;
  /// --report=<file.json>: the memory contract (see docs/cli.md).
  std::string reportPath;
  /// --max-ram / --max-flash budgets in bytes; 0 means no budget.
  uint64_t maxRam = 0;
  uint64_t maxFlash = 0;
  ImportLimits limits;
  QuantizeOptions quantize;
};

} // namespace mlir::dlc

#endif // DLC_COMPILER_PIPELINE_COMPILEROPTIONS_H

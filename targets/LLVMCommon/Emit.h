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

#include <map>
#include <string>
#include <vector>

namespace llvm {
class Module;
} // namespace llvm

namespace mlir::dlc {

struct CompilerOptions;

/// Direct calls between the functions a module defines, by name.
using CallGraph = std::map<std::string, std::vector<std::string>>;

/// The memory contract of one compiled model (docs/cli.md, --report).
struct ArtifactStats {
  uint64_t workspaceBytes = 0; // Planned intermediates (caller-provided).
  uint64_t weightBytes = 0;    // Constant tensors (part of rodata).
  uint64_t codeBytes = 0;      // Executable sections.
  uint64_t readOnlyBytes = 0;  // rodata: weights + ABI descriptor.
  uint64_t dataBytes = 0;      // Writable initialised data.
  uint64_t bssBytes = 0;
  uint64_t ioBytes = 0;        // Input + output buffers (caller-provided).
  uint64_t maxStackBytes = 0;  // Deepest call chain of <name>_run.
  bool stackBounded = false;
  uint64_t ramBytes() const {
    return workspaceBytes + maxStackBytes + dataBytes + bssBytes;
  }
  uint64_t flashBytes() const { return codeBytes + readOnlyBytes + dataBytes; }
};

CallGraph collectCallGraph(const llvm::Module &module);
/// Bytes of constant globals other than the ABI descriptor's.
uint64_t constantDataBytes(const llvm::Module &module);
/// Measures an object file; `stackUsage` is LLVM's -fstack-usage text.
ArtifactStats measureArtifact(llvm::StringRef objectData,
                              llvm::StringRef stackUsage,
                              const CallGraph &graph, llvm::StringRef entry,
                              const ModelSignature &signature,
                              uint64_t weightBytes);
/// Fails, naming the budget and the need, when --max-ram/--max-flash are
/// exceeded.
LogicalResult checkBudgets(Location loc, const ArtifactStats &stats,
                           const CompilerOptions &options);
std::string reportJSON(const ArtifactStats &stats,
                       const ModelSignature &signature,
                       const TargetDesc &target);
/// The `<name>.h` of a firmware object; `stats` adds the stack macro.
std::string firmwareHeader(const ModelSignature &signature,
                           const TargetDesc &target,
                           const ArtifactStats *stats);

/// Adds the versioned descriptor (`dlc_model_query`) and the `<name>_run`
/// entry to `module`, which already holds the bare-pointer `main_graph`.
/// Everything else becomes internal.
/// A kernel of the artifact, in run order (dlc_kernel_desc_t).
struct KernelInfo {
  std::string name;
  uint64_t flops = 0;
};

/// Prepends the `env` parameter to the entry function, routes calls to
/// kernels marked "dlc-parallel" through env->parallel_for, and brackets
/// every kernel call with env->kernel_event (Parallel.cpp). Returns the
/// kernels in call order.
std::vector<KernelInfo> lowerKernelCalls(llvm::Module &module);

void emitModelABI(llvm::Module &module, const ModelSignature &signature,
                  bool exportQuery, const std::vector<KernelInfo> &kernels);

/// Writes `data` to `path` through a temporary file renamed into place, so
/// a failure never leaves a partial file; "-" writes to stdout.
LogicalResult writeOutputFile(Location loc, llvm::StringRef path,
                              llvm::StringRef data);

/// Translates `module`, optimises it for `desc`, and writes `kind` to
/// `outputPath` atomically. An Object whose path ends in `.a` is written as
/// a one-member archive; Objects also get `<name>.h` next to them.
LogicalResult emitWithLLVM(ModuleOp module, const ModelSignature &signature,
                           const TargetDesc &desc,
                           const CompilerOptions &options, ArtifactKind kind,
                           llvm::StringRef outputPath);

} // namespace mlir::dlc

#endif // DLC_TARGETS_LLVMCOMMON_EMIT_H

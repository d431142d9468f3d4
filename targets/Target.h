//===- Target.h - code generation targets ---------------------------------===//
//
// The backend interface and the registry of `-target=` names. A target owns
// everything after the target-independent phases: lowering kernels to its
// code, and writing the artifact (shared object, object, archive).
//
//===----------------------------------------------------------------------===//
#ifndef DLC_TARGETS_TARGET_H
#define DLC_TARGETS_TARGET_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringRef.h"

#include <memory>
#include <string>
#include <vector>

namespace mlir::dlc {

struct CompilerOptions;
struct ModelSignature;

/// What a `-target=` name resolves to: an LLVM triple, a CPU and features.
struct TargetDesc {
  std::string name;
  std::string triple;
  std::string cpu;
  std::string features;
  std::string description;
  /// Widest vectors the loop vectorizer should use, in bits (0: the CPU's
  /// default; Skylake-SP's default is 256 even with AVX-512).
  unsigned preferVectorWidth = 0;
};

/// The artifact kinds a backend can write, chosen by the output extension or
/// by `--emit`.
enum class ArtifactKind { SharedObject, Object, Assembly, LLVMIR };

class Target {
public:
  virtual ~Target() = default;
  const TargetDesc &desc() const { return desc_; }

  /// Adds the target's kernel strategy: passes that run on each function at
  /// the kernels phase, on tensors, before bufferization and memory planning
  /// (tiling, packing of constant weights, vectorization). Default: none.
  virtual void buildKernelPipeline(OpPassManager &pm) const {}

  /// Adds the passes that lower bufferized, memory-planned linalg/memref IR
  /// to the LLVM dialect (or the target's own dialects).
  virtual void buildLoweringPipeline(OpPassManager &pm) const = 0;

  /// Translates the lowered module and writes the artifact to `outputPath`
  /// atomically: on failure no file is left behind.
  virtual LogicalResult emit(ModuleOp module, const ModelSignature &signature,
                             const CompilerOptions &options, ArtifactKind kind,
                             llvm::StringRef outputPath) const = 0;

protected:
  explicit Target(TargetDesc desc) : desc_(std::move(desc)) {}
  TargetDesc desc_;
};

/// Looks up a `-target=` name, applying `-mcpu=`/`-mattr=` overrides.
/// Returns null and fills `error` for an unknown name.
std::unique_ptr<Target> createTarget(llvm::StringRef name, llvm::StringRef cpu,
                                     llvm::StringRef features,
                                     std::string &error);

/// The names `-target=` accepts, with a one-line description each.
std::vector<TargetDesc> listTargets();

} // namespace mlir::dlc

#endif // DLC_TARGETS_TARGET_H

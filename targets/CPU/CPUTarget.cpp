//===- CPUTarget.cpp - CPU backend ----------------------------------------===//
//
// The CPU lowering: linalg -> scf loops -> LLVM dialect with the bare-pointer
// calling convention (every buffer is one pointer, which is what the model
// ABI's run entry passes), then LLVM codegen for the target's CPU/features.
//
//===----------------------------------------------------------------------===//
#include "targets/CPU/CPUTarget.h"

#include "targets/LLVMCommon/Emit.h"

#include "mlir/Pass/PassRegistry.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/TargetParser/Triple.h"

using namespace mlir;
using namespace mlir::dlc;

namespace {
class CPUTarget : public Target {
public:
  explicit CPUTarget(TargetDesc desc) : Target(std::move(desc)) {}

  /// Whether the CPU converts f16 <-> f32 in hardware (all AArch64; x86
  /// with F16C). Without it LLVM would call libgcc's __extendhfsf2.
  bool hasHalfConversions() const {
    llvm::Triple triple(desc_.triple);
    if (!triple.isX86())
      return true;
    llvm::InitializeAllTargetInfos();
    llvm::InitializeAllTargets();
    llvm::InitializeAllTargetMCs();
    std::string error;
    const llvm::Target *target =
        llvm::TargetRegistry::lookupTarget(triple, error);
    if (!target)
      return false;
    std::unique_ptr<llvm::MCSubtargetInfo> sti(target->createMCSubtargetInfo(
        triple, desc_.cpu, desc_.features));
    return sti && sti->checkFeatures("+f16c");
  }

  void buildLoweringPipeline(OpPassManager &pm) const override {
    // Pass names as in mlir-opt, so each step can be replayed with dlc-opt.
    // Without hardware f16 conversions, f16 math and arithmetic run in f32
    // and the conversions become integer code, so no artifact calls libgcc.
    std::string half =
        hasHalfConversions()
            ? ""
            : "math-extend-to-supported-types{target-type=f32},"
              "arith-emulate-unsupported-floats{source-types=f16 "
              "target-type=f32},dlc-expand-half-conversions,";
    std::string pipeline =
        "dlc-flatten-empty-buffers,"
        "func.func(convert-linalg-to-loops,math-expand-ops," + half +
        "dlc-approximate-math,lower-affine,convert-scf-to-cf,"
        "canonicalize),"
        "expand-strided-metadata,lower-affine,finalize-memref-to-llvm,"
        "convert-math-to-llvm,arith-expand{include-bf16=1},convert-arith-to-llvm,convert-cf-to-llvm,"
        "convert-func-to-llvm{use-bare-ptr-memref-call-conv=1},"
        "convert-ub-to-llvm,reconcile-unrealized-casts,canonicalize";
    if (failed(parsePassPipeline(pipeline, pm)))
      llvm::report_fatal_error("dlc: malformed CPU lowering pipeline");
  }

  LogicalResult emit(ModuleOp module, const ModelSignature &signature,
                     const CompilerOptions &options, ArtifactKind kind,
                     llvm::StringRef outputPath) const override {
    return emitWithLLVM(module, signature, desc_, options, kind, outputPath);
  }
};
} // namespace

std::unique_ptr<Target> mlir::dlc::createCPUTarget(TargetDesc desc) {
  return std::make_unique<CPUTarget>(std::move(desc));
}

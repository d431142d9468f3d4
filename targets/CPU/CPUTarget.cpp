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
#include "llvm/Support/CommandLine.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/TargetParser/Triple.h"

using namespace mlir;
using namespace mlir::dlc;

namespace {
/// A driver flag (every tool linking the CPU target has it): whether 3x3
/// convolutions may run as Winograd F(4x4, 3x3) or F(2x2, 3x3) where it
/// pays. Off gives the direct form (for comparisons).
llvm::cl::opt<bool> winogradConvs(
    "winograd",
    llvm::cl::desc("Run stride-1 3x3 convolutions with 32+ channels as "
                   "Winograd F(4x4,3x3) / F(2x2,3x3) on CPU targets "
                   "(default on)"),
    llvm::cl::init(true));

/// A driver flag: whether --precision=bf16's contractions use AVX512-BF16's
/// vdpbf16ps on x86. Off by default because it measured slower than the
/// FMA kernels on the same rounded values (which give the same products):
/// on a Sapphire Rapids-class Xeon, 68-86 GFLOP/s for vdpbf16ps against
/// 172-177 for vfmadd231ps (a microbenchmark of 12 independent chains),
/// and ResNet-50 bf16 ran in 103 ms against 47 ms for fp32
/// (docs/performance.md, 2026-12-08).
llvm::cl::opt<bool> x86Bf16Dot(
    "x86-bf16-dot",
    llvm::cl::desc("Run --precision=bf16 contractions on AVX512-BF16's "
                   "vdpbf16ps where the CPU has it (default off: slower "
                   "than the FMA kernels on the CPUs measured)"),
    llvm::cl::init(false));

class CPUTarget : public Target {
public:
  explicit CPUTarget(TargetDesc desc) : Target(std::move(desc)) {}

  /// Whether the target's CPU has every feature in `features` ("+f16c").
  bool hasFeatures(llvm::StringRef features) const {
    llvm::Triple triple(desc_.triple);
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
    return sti && sti->checkFeatures(features);
  }

  /// Whether the CPU converts f16 <-> f32 in hardware (all AArch64; x86
  /// with F16C). Without it LLVM would call libgcc's __extendhfsf2.
  bool hasHalfConversions() const {
    return !llvm::Triple(desc_.triple).isX86() || hasFeatures("+f16c");
  }

  /// Whether the CPU rounds floats to integral values in one instruction
  /// (all AArch64: frint*; x86 with SSE4.1: roundps). Without it LLVM would
  /// call libm's floorf/roundevenf, so the rounding ops expand to converts.
  bool hasNativeRounding() const {
    return !llvm::Triple(desc_.triple).isX86() || hasFeatures("+sse4.1");
  }

  /// The vector registers the kernels are tiled for: AVX-512 has 32 of 512
  /// bits, AVX/AVX2 16 of 256, SSE2 16 of 128; AArch64 NEON 32 of 128.
  std::pair<int64_t, int64_t> vectorRegisters() const {
    if (!llvm::Triple(desc_.triple).isX86())
      return {128, 32};
    if (hasFeatures("+avx512f"))
      return {512, 32};
    if (hasFeatures("+avx,+fma"))
      return {256, 16};
    return {128, 16};
  }

  /// The integer dot-product instruction of the int8 kernels for a vector
  /// width of `bits`: VNNI's vpdpbusd (512-bit with AVX512-VNNI, 256-bit
  /// with AVX-VNNI), Arm's smmla (i8mm) or sdot, x86's pmaddwd (every x86-64 has it at 128
  /// bits; 256 needs AVX2, 512 AVX-512BW), or portable vector code.
  std::string intDot(int64_t bits) const {
    if (!llvm::Triple(desc_.triple).isX86())
      return hasFeatures("+i8mm")      ? "smmla"
             : hasFeatures("+dotprod") ? "sdot"
                                       : "generic";
    if (bits == 512)
      return hasFeatures("+avx512vnni,+avx512bw") ? "vpdpbusd"
             : hasFeatures("+avx512bw")           ? "pmaddwd"
                                                  : "generic";
    if (bits == 256)
      return hasFeatures("+avxvnni") ? "vpdpbusd"
             : hasFeatures("+avx2")  ? "pmaddwd"
                                     : "generic";
    return "pmaddwd";
  }

  /// The bf16 instruction of --precision=bf16's contractions: AVX512-BF16's
  /// vdpbf16ps (512-bit, with --x86-bf16-dot), armv8.6's bfmmla (bfdot for single rows and
  /// odd groups); elsewhere none, and the f32 kernels compute on the rounded
  /// values (the same products, with the sum's own rounding).
  std::string bf16Dot(int64_t bits) const {
    if (!llvm::Triple(desc_.triple).isX86())
      return hasFeatures("+bf16") ? "bfmmla" : "none";
    return bits == 512 && x86Bf16Dot && hasFeatures("+avx512bf16")
               ? "vdpbf16ps"
               : "none";
  }

  void buildKernelPipeline(OpPassManager &pm) const override {
    auto [bits, regs] = vectorRegisters();
    std::string pipeline =
        "func.func(dlc-cpu-int-matmul-kernels{vector-bits=" +
        std::to_string(bits) + " registers=" + std::to_string(regs) +
        " dot=" + intDot(bits) + "},"
        "dlc-cpu-contraction-kernels{vector-bits=" +
        std::to_string(bits) + " registers=" + std::to_string(regs) +
        " winograd=" + (winogradConvs ? "1" : "0") +
        " bf16-dot=" + bf16Dot(bits) + "},dlc-cpu-parallelize-kernels,dlc-cpu-vectorize-kernels{vector-bits=" +
        std::to_string(bits) + "},canonicalize,cse)";
    if (failed(parsePassPipeline(pipeline, pm)))
      llvm::report_fatal_error("dlc: malformed CPU kernel pipeline");
  }

  void buildLoweringPipeline(OpPassManager &pm) const override {
    // Pass names as in mlir-opt, so each step can be replayed with dlc-opt.
    // Without hardware f16 conversions, f16 math and arithmetic run in f32
    // and the conversions become integer code, so no artifact calls libgcc.
    // bf16 arithmetic always runs in f32 (LLVM would otherwise promote it
    // itself and call __truncsfbf2 for every rounding); arith-expand below
    // turns the bf16 conversions into integer code.
    std::string half =
        hasHalfConversions()
            ? "math-extend-to-supported-types{target-type=f32 "
              "extra-types=f16},"
              "arith-emulate-unsupported-floats{source-types=bf16 "
              "target-type=f32},"
            : "math-extend-to-supported-types{target-type=f32},"
              "arith-emulate-unsupported-floats{source-types=f16,bf16 "
              "target-type=f32},dlc-expand-half-conversions,";
    // Every upstream math expansion, except that rounding ops stay for
    // CPUs that have instructions for them.
    std::string expand =
        hasNativeRounding()
            ? "math-expand-ops{ops=ctlz,sinh,cosh,tan,tanh,asinh,acosh,atanh,"
              "fma,exp2,powf,fpowi,round,rsqrt,clampf},"
            : "math-expand-ops,";
    std::string pipeline =
        "dlc-flatten-empty-buffers,"
        "func.func(convert-linalg-to-loops," + expand + half +
        "dlc-approximate-math{native-rounding=" +
        (hasNativeRounding() ? "1" : "0") +
        "},lower-affine,convert-scf-to-cf,"
        "canonicalize),"
        "func.func(convert-vector-to-scf{full-unroll=1},lower-affine,"
        "convert-scf-to-cf),"
        "expand-strided-metadata,lower-affine,convert-vector-to-llvm,"
        "finalize-memref-to-llvm,"
        "convert-math-to-llvm,"
        // Integers converted straight to f16/bf16 (canonicalization's
        // exact truncf(sitofp)) go through f32 and truncf, which
        // arith-expand writes as integer code.
        "func.func(dlc-expand-half-conversions{expand-f16=" +
        (hasHalfConversions() ? "0" : "1") +
        "}),arith-expand{include-bf16=1},convert-arith-to-llvm,convert-cf-to-llvm,"
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

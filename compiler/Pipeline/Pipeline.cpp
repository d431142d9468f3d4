//===- Pipeline.cpp - the dlc compilation pipeline, in one place ----------===//
//
// import -> graph -> kernels -> memory -> target lowering -> artifact.
// Each phase is a pass list written with mlir-opt names, so any step can be
// replayed with `dlc-opt`, and `--emit=<phase>` stops after it.
//
//===----------------------------------------------------------------------===//
#include "compiler/Pipeline/Pipeline.h"

#include "compiler/Import/ONNX/Importer.h"
#include "compiler/Quant/PTQ.h"
#include "targets/LLVMCommon/Emit.h"
#include "targets/ModelSignature.h"
#include "targets/Target.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/raw_ostream.h"

#include <functional>

using namespace mlir;
using namespace mlir::dlc;

std::optional<Phase> mlir::dlc::parsePhase(llvm::StringRef name) {
  return llvm::StringSwitch<std::optional<Phase>>(name)
      .Case("import", Phase::Import)
      .Case("graph", Phase::Graph)
      .Case("kernels", Phase::Kernels)
      .Case("memory", Phase::Memory)
      .Case("llvm", Phase::LLVM)
      .Case("llvmir", Phase::LLVMIR)
      .Case("asm", Phase::Asm)
      .Case("obj", Phase::Object)
      .Case("so", Phase::Library)
      .Default(std::nullopt);
}

static void addPipeline(OpPassManager &pm, llvm::StringRef text) {
  if (failed(parsePassPipeline(text, pm)))
    llvm::report_fatal_error("dlc: malformed pass pipeline: " + text);
}

void mlir::dlc::buildGraphPipeline(OpPassManager &pm) {
  // Cancels the NCHW<->NHWC transposes the importer wraps around windowed ops.
  addPipeline(pm, "func.func(canonicalize,cse,dlc-sink-transposes,"
                  "tosa-reduce-transposes,"
                  "canonicalize,cse)");
}

void mlir::dlc::buildKernelPipeline(OpPassManager &pm) {
  addPipeline(pm, "func.func(tosa-optional-decompositions,canonicalize,"
                  "tosa-make-broadcastable,dlc-lower-conv,"
                  "tosa-to-linalg-named,canonicalize,"
                  "tosa-to-linalg,dlc-infinite-reduction-init,tosa-to-arith,"
                  "tosa-to-tensor,dlc-lower-pad,"
                  "dlc-lower-pool,dlc-lower-unary,"
                  "canonicalize,dlc-fuse-elementwise,cse,"
                  "dlc-fold-clamped-casts,canonicalize)");
}

void mlir::dlc::buildMemoryPipeline(OpPassManager &pm) {
  addPipeline(pm,
              "func.func(dlc-distinct-results,dlc-bound-insert-chains),"
              "one-shot-bufferize{bufferize-function-boundaries=1 "
              "function-boundary-type-conversion=identity-layout-map},"
              "buffer-results-to-out-params{hoist-static-allocs=1 "
              "modify-public-functions=1},"
              "func.func(cse,canonicalize,dlc-plan-memory,dlc-expand-strided-copies,"
              "canonicalize),dlc-outline-kernels");
}

static LogicalResult printModule(ModuleOp module, llvm::StringRef outputPath) {
  std::string text;
  llvm::raw_string_ostream os(text);
  module.print(os);
  return writeOutputFile(module.getLoc(), outputPath, text);
}

/// Phases 1 (import, from the loaded model) to 7.
static LogicalResult compileLoaded(MLIRContext &context,
                                   const CompilerOptions &options,
                                   OnnxModel &model,
                                   llvm::StringRef outputPath) {
  Location loc = FileLineColLoc::get(&context, model.path, 0, 0);
  std::string error;
  std::unique_ptr<Target> target =
      createTarget(options.target, options.cpu, options.features, error);
  if (!target)
    return emitError(loc) << error;
  OwningOpRef<ModuleOp> module = importOnnxModel(&context, model, options);
  if (!module || failed(verify(*module)))
    return failure();
  if (options.emit == Phase::Import)
    return printModule(*module, outputPath);
  auto entry = module->lookupSymbol<func::FuncOp>(kEntryName);
  ModelSignature signature = extractSignature(entry, options.name);
  // The signature now lives in `signature`; LLVM translation would warn
  // about the argument attributes that carried it.
  for (unsigned i = 0; i < entry.getNumArguments(); ++i)
    entry.setArgAttrs(i, ArrayRef<NamedAttribute>{});
  for (unsigned i = 0; i < entry.getNumResults(); ++i)
    entry.setResultAttrs(i, ArrayRef<NamedAttribute>{});

  // 2-5. graph, kernels (target-independent lowering, then the target's
  // kernel strategy), memory.
  struct Step {
    Phase phase;
    std::function<void(OpPassManager &)> build;
  };
  Step steps[] = {
      {Phase::Graph, buildGraphPipeline},
      {Phase::Kernels,
       [&](OpPassManager &pm) {
         buildKernelPipeline(pm);
         target->buildKernelPipeline(pm);
       }},
      {Phase::Memory, buildMemoryPipeline}};
  for (Step &step : steps) {
    PassManager pm(&context);
    step.build(pm);
    if (failed(pm.run(*module)))
      return failure();
    if (options.emit == step.phase)
      return printModule(*module, outputPath);
  }
  entry = module->lookupSymbol<func::FuncOp>(kEntryName);
  if (auto ws = entry->getAttrOfType<IntegerAttr>(kWorkspaceSizeAttr))
    signature.workspaceSize = ws.getInt();

  // 6. target lowering.
  PassManager pm(&context);
  target->buildLoweringPipeline(pm);
  if (failed(pm.run(*module)))
    return failure();
  if (options.emit == Phase::LLVM)
    return printModule(*module, outputPath);

  // 7. artifact.
  ArtifactKind kind = options.emit == Phase::LLVMIR ? ArtifactKind::LLVMIR
                      : options.emit == Phase::Asm  ? ArtifactKind::Assembly
                      : options.emit == Phase::Object
                          ? ArtifactKind::Object
                          : ArtifactKind::SharedObject;
  if ((outputPath.ends_with(".o") || outputPath.ends_with(".a")) &&
      options.emit == Phase::Library)
    kind = ArtifactKind::Object;
  return target->emit(*module, signature, options, kind, outputPath);
}

LogicalResult mlir::dlc::compileModel(MLIRContext &context,
                                      const CompilerOptions &options,
                                      llvm::StringRef inputPath,
                                      llvm::StringRef outputPath) {
  Location loc = FileLineColLoc::get(&context, inputPath, 0, 0);
  std::string error;
  if (!createTarget(options.target, options.cpu, options.features, error))
    return emitError(loc) << error;
  // 1. load: checker, shape inference, folding, QDQ patterns.
  std::unique_ptr<OnnxModel> model = loadOnnxModel(inputPath, options, error);
  if (!model)
    return emitError(loc) << error;
  if (options.quantize.mode.empty() && !options.quantize.bf16)
    return compileLoaded(context, options, *model, outputPath);

  // 3. quantize (post-training int8, bf16): the float model's calibration
  // and measuring builds run through the same pipeline, for the host,
  // before the artifact's.
  quant::QuantReport report;
  auto compile = [&](OnnxModel &m, const CompilerOptions &o,
                     llvm::StringRef out) {
    return compileLoaded(context, o, m, out);
  };
  // A host .so with no report or budgets is byte for byte the build that
  // quantization measures: it is written from there, not compiled again.
  bool hostSo = options.target == "host" && options.cpu.empty() &&
                options.features.empty() && options.emit == Phase::Library &&
                options.reportPath.empty() && !options.maxRam &&
                !options.maxFlash && outputPath != "-" &&
                !outputPath.ends_with(".o") && !outputPath.ends_with(".a");
  bool written = false;
  if (failed(quant::quantizeModel(loc, options, *model, compile, report,
                                  hostSo ? outputPath : llvm::StringRef(),
                                  &written)) ||
      (!written && failed(compileLoaded(context, options, *model, outputPath))))
    return failure();
  quant::printReport(report, outputPath == "-" ? llvm::errs() : llvm::outs());
  if (!options.reportPath.empty())
    return quant::addReportSection(loc, report, options.reportPath);
  return success();
}

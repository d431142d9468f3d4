//===- Emit.cpp - LLVM IR to objects and shared objects -------------------===//
//
// Translation to LLVM IR, O3, object emission with the target's
// TargetMachine, and linking with lld. Every file is written to a temporary
// next to its destination and renamed into place, so a failed compile never
// leaves a partial artifact.
//
//===----------------------------------------------------------------------===//
#include "targets/LLVMCommon/Emit.h"

#include "compiler/Pipeline/CompilerOptions.h"

#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Object/ArchiveWriter.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"

using namespace mlir;
using namespace mlir::dlc;

LogicalResult mlir::dlc::writeOutputFile(Location loc, llvm::StringRef path,
                                         llvm::StringRef data) {
  if (path == "-") {
    llvm::outs() << data;
    llvm::outs().flush();
    return success();
  }
  auto temp = llvm::sys::fs::TempFile::create(path + ".tmp-%%%%%%");
  if (!temp) {
    emitError(loc) << "cannot create a file next to '" << path
                   << "': " << llvm::toString(temp.takeError());
    return failure();
  }
  {
    llvm::raw_fd_ostream os(temp->FD, /*shouldClose=*/false);
    os << data;
    os.flush();
    if (os.has_error()) {
      os.clear_error();
      consumeError(temp->discard());
      return emitError(loc) << "cannot write '" << path << "'";
    }
  }
  if (llvm::Error err = temp->keep(path)) {
    emitError(loc) << "cannot write '" << path
                   << "': " << llvm::toString(std::move(err));
    return failure();
  }
  return success();
}

static void optimize(llvm::Module &module, llvm::TargetMachine &tm,
                     int optLevel) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder pb(&tm);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::OptimizationLevel level = optLevel <= 0   ? llvm::OptimizationLevel::O0
                                  : optLevel == 1 ? llvm::OptimizationLevel::O1
                                  : optLevel == 2 ? llvm::OptimizationLevel::O2
                                                  : llvm::OptimizationLevel::O3;
  llvm::ModulePassManager mpm = level == llvm::OptimizationLevel::O0
                                    ? pb.buildO0DefaultPipeline(level)
                                    : pb.buildPerModuleDefaultPipeline(level);
  mpm.run(module, mam);
}

/// Links a relocatable object into a shared object with lld (a separate
/// process: Debian ships lld's driver but not its libraries).
static LogicalResult linkShared(Location loc, llvm::StringRef objData,
                                llvm::StringRef outputPath) {
  llvm::SmallString<128> objPath, soPath;
  int fd;
  if (llvm::sys::fs::createTemporaryFile("dlc", "o", fd, objPath))
    return emitError(loc) << "cannot create a temporary object file";
  llvm::FileRemover removeObj(objPath);
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os << objData;
  }
  if (llvm::sys::fs::createTemporaryFile("dlc", "so", soPath))
    return emitError(loc) << "cannot create a temporary file";
  llvm::FileRemover removeSo(soPath);

  std::string lld = DLC_LLD_PATH;
  if (auto found = llvm::sys::findProgramByName("ld.lld-22"))
    if (!llvm::sys::fs::exists(lld))
      lld = *found;
  llvm::SmallVector<llvm::StringRef> args = {
      lld, "-shared", "--hash-style=gnu", "--build-id=none", "-z", "noexecstack",
      "-z", "relro", "-z", "now", "-O2", "--gc-sections", "-o", soPath, objPath};
  std::string errMsg;
  int rc = llvm::sys::ExecuteAndWait(lld, args, std::nullopt, {}, 0, 0,
                                     &errMsg);
  if (rc != 0)
    return emitError(loc) << "linking with '" << lld << "' failed"
                          << (errMsg.empty() ? "" : ": " + errMsg);
  auto buf = llvm::MemoryBuffer::getFile(soPath);
  if (!buf)
    return emitError(loc) << "cannot read the linked shared object";
  return writeOutputFile(loc, outputPath, (*buf)->getBuffer());
}

LogicalResult mlir::dlc::emitWithLLVM(ModuleOp module,
                                      const ModelSignature &signature,
                                      const TargetDesc &desc,
                                      const CompilerOptions &options,
                                      ArtifactKind kind,
                                      llvm::StringRef outputPath) {
  Location loc = module.getLoc();
  llvm::InitializeAllTargetInfos();
  llvm::InitializeAllTargets();
  llvm::InitializeAllTargetMCs();
  llvm::InitializeAllAsmPrinters();

  llvm::Triple triple(desc.triple);
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return emitError(loc) << "no LLVM backend for '" << desc.triple
                          << "': " << error;
  bool wantStats = !options.reportPath.empty() || options.maxRam ||
                   options.maxFlash;
  bool binary =
      kind == ArtifactKind::Object || kind == ArtifactKind::SharedObject;
  if (wantStats && !binary)
    return emitError(loc) << "--report, --max-ram and --max-flash need a .so, "
                             ".o or .a output";
  // LLVM writes each function's frame size here (clang's -fstack-usage);
  // the firmware header and the memory report need the deepest stack.
  llvm::SmallString<128> stackUsagePath;
  std::optional<llvm::FileRemover> removeStackUsage;
  bool wantStack = wantStats || kind == ArtifactKind::Object;
  if (wantStack) {
    if (llvm::sys::fs::createTemporaryFile("dlc", "su", stackUsagePath))
      return emitError(loc) << "cannot create a temporary file";
    removeStackUsage.emplace(stackUsagePath);
  }
  llvm::TargetOptions targetOptions;
  targetOptions.StackUsageOutput = stackUsagePath.str().str();
  std::unique_ptr<llvm::TargetMachine> tm(target->createTargetMachine(
      triple, desc.cpu, desc.features, targetOptions, llvm::Reloc::PIC_,
      llvm::CodeModel::Small,
      options.optLevel >= 3 ? llvm::CodeGenOptLevel::Aggressive
                            : llvm::CodeGenOptLevel::Default));
  if (!tm)
    return emitError(loc) << "cannot create a target machine for '"
                          << desc.name << "'";

  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, llvmContext, "dlc");
  if (!llvmModule)
    return emitError(loc) << "translation to LLVM IR failed";
  llvmModule->setTargetTriple(triple);
  llvmModule->setDataLayout(tm->createDataLayout());
  std::vector<KernelInfo> kernels = lowerKernelCalls(*llvmModule);
  emitModelABI(*llvmModule, signature,
               /*exportQuery=*/kind == ArtifactKind::SharedObject ||
                   kind == ArtifactKind::LLVMIR, kernels);
  for (llvm::Function &fn : *llvmModule) {
    if (fn.isDeclaration())
      continue;
    fn.addFnAttr("target-cpu", desc.cpu);
    if (!desc.features.empty())
      fn.addFnAttr("target-features", desc.features);
    fn.addFnAttr(llvm::Attribute::NoUnwind);
    if (desc.preferVectorWidth)
      fn.addFnAttr("prefer-vector-width",
                   std::to_string(desc.preferVectorWidth));
  }
  if (llvm::verifyModule(*llvmModule, &llvm::errs()))
    return emitError(loc) << "generated LLVM IR is invalid";
  uint64_t weightBytes = constantDataBytes(*llvmModule);
  optimize(*llvmModule, *tm, options.optLevel);
  CallGraph callGraph = collectCallGraph(*llvmModule);

  llvm::SmallString<0> buffer;
  if (kind == ArtifactKind::LLVMIR) {
    llvm::raw_svector_ostream os(buffer);
    llvmModule->print(os, nullptr);
    return writeOutputFile(loc, outputPath, buffer);
  }
  {
    llvm::raw_svector_ostream os(buffer);
    llvm::legacy::PassManager pm;
    auto fileType = kind == ArtifactKind::Assembly
                        ? llvm::CodeGenFileType::AssemblyFile
                        : llvm::CodeGenFileType::ObjectFile;
    if (tm->addPassesToEmitFile(pm, os, nullptr, fileType))
      return emitError(loc) << "target cannot emit this file type";
    pm.run(*llvmModule);
  }
  ArtifactStats stats;
  if (wantStack) {
    auto stackUsage = llvm::MemoryBuffer::getFile(stackUsagePath);
    stats = measureArtifact(buffer,
                            stackUsage ? (*stackUsage)->getBuffer() : "",
                            callGraph, signature.name + "_run", signature,
                            weightBytes);
  }
  if (failed(checkBudgets(loc, stats, options)))
    return failure();
  if (!options.reportPath.empty() &&
      failed(writeOutputFile(loc, options.reportPath,
                             reportJSON(stats, signature, desc))))
    return failure();
  if (kind == ArtifactKind::SharedObject)
    return linkShared(loc, buffer, outputPath);
  if (kind != ArtifactKind::Object)
    return writeOutputFile(loc, outputPath, buffer);

  // Firmware object: <name>.h next to it, and an archive for `.a`.
  llvm::SmallString<128> headerPath = llvm::sys::path::parent_path(outputPath);
  llvm::sys::path::append(headerPath, signature.name + ".h");
  if (failed(writeOutputFile(loc, headerPath,
                             firmwareHeader(signature, desc, &stats))))
    return failure();
  if (!outputPath.ends_with(".a"))
    return writeOutputFile(loc, outputPath, buffer);
  std::string member = signature.name + ".o";
  llvm::NewArchiveMember obj(llvm::MemoryBufferRef(buffer, member));
  auto archive = llvm::writeArchiveToBuffer(
      {std::move(obj)}, llvm::SymtabWritingMode::NormalSymtab,
      llvm::object::Archive::K_GNU, /*Deterministic=*/true, /*Thin=*/false);
  if (!archive)
    return emitError(loc) << "cannot build the archive: "
                          << llvm::toString(archive.takeError());
  return writeOutputFile(loc, outputPath, (*archive)->getBuffer());
}

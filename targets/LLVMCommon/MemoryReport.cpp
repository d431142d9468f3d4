//===- MemoryReport.cpp - the memory contract of an artifact --------------===//
//
// What a firmware engineer budgets against: RAM (the planned workspace plus
// the deepest stack) and flash (code plus read-only data). Code and data
// sizes come from the object's sections; stack use from LLVM's per-function
// frame sizes (the -fstack-usage output of the AsmPrinter) summed along the
// deepest path of the call graph, which dlc's generated code keeps acyclic.
// `--report` writes the figures as JSON; `--max-ram`/`--max-flash` fail the
// compile before any artifact is written.
//
//===----------------------------------------------------------------------===//
#include "targets/LLVMCommon/Emit.h"

#include "compiler/Pipeline/CompilerOptions.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/Module.h"
#include "llvm/Object/ELFObjectFile.h"
#include "llvm/Object/ObjectFile.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

using namespace mlir;
using namespace mlir::dlc;

/// Return address and alignment slack per call level; LLVM's frame size does
/// not count the return address x86 pushes.
static constexpr uint64_t kCallOverhead = 16;

CallGraph mlir::dlc::collectCallGraph(const llvm::Module &module) {
  // An indirect call may reach any function passed as a call argument (the
  // parallel kernels' tasks, run through parallel_for or directly).
  std::vector<std::string> passed;
  for (const llvm::Function &fn : module)
    for (const llvm::BasicBlock &bb : fn)
      for (const llvm::Instruction &inst : bb)
        if (auto *call = llvm::dyn_cast<llvm::CallBase>(&inst))
          for (const llvm::Use &arg : call->args())
            if (auto *f = llvm::dyn_cast<llvm::Function>(arg.get()))
              if (!f->isDeclaration())
                passed.push_back(f->getName().str());
  CallGraph graph;
  for (const llvm::Function &fn : module) {
    if (fn.isDeclaration())
      continue;
    std::vector<std::string> &callees = graph[fn.getName().str()];
    for (const llvm::BasicBlock &bb : fn)
      for (const llvm::Instruction &inst : bb)
        if (auto *call = llvm::dyn_cast<llvm::CallBase>(&inst)) {
          if (const llvm::Function *f = call->getCalledFunction()) {
            if (!f->isDeclaration() && !f->isIntrinsic())
              callees.push_back(f->getName().str());
          } else if (!call->isInlineAsm()) {
            callees.insert(callees.end(), passed.begin(), passed.end());
          }
        }
  }
  return graph;
}

uint64_t mlir::dlc::constantDataBytes(const llvm::Module &module) {
  uint64_t bytes = 0;
  const llvm::DataLayout &dl = module.getDataLayout();
  for (const llvm::GlobalVariable &g : module.globals())
    if (g.isConstant() && g.hasInitializer() &&
        !g.getName().starts_with("dlc."))
      bytes += dl.getTypeAllocSize(g.getValueType());
  return bytes;
}

namespace {
struct FrameSizes {
  llvm::StringMap<uint64_t> bytes;
  llvm::StringSet<> dynamic;
};

/// Parses "<module>:<function>\t<bytes>\t<static|dynamic[,bounded]>" lines.
FrameSizes parseStackUsage(llvm::StringRef text) {
  FrameSizes frames;
  llvm::SmallVector<llvm::StringRef> lines;
  text.split(lines, '\n', -1, false);
  for (llvm::StringRef line : lines) {
    llvm::SmallVector<llvm::StringRef, 3> fields;
    line.split(fields, '\t');
    uint64_t size;
    if (fields.size() != 3 || fields[1].getAsInteger(10, size))
      continue;
    llvm::StringRef fn = fields[0].rsplit(':').second;
    frames.bytes[fn] = size;
    if (fields[2] != "static")
      frames.dynamic.insert(fn);
  }
  return frames;
}

/// Deepest stack from `fn` down; false on a cycle or a dynamic frame.
bool deepest(llvm::StringRef fn, const CallGraph &graph,
             const FrameSizes &frames, llvm::StringMap<uint64_t> &memo,
             llvm::StringSet<> &active, uint64_t &out) {
  if (auto it = memo.find(fn); it != memo.end()) {
    out = it->second;
    return true;
  }
  if (frames.dynamic.contains(fn) || !active.insert(fn).second)
    return false;
  uint64_t below = 0;
  if (auto it = graph.find(fn.str()); it != graph.end())
    for (const std::string &callee : it->second) {
      uint64_t d;
      if (!deepest(callee, graph, frames, memo, active, d))
        return false;
      below = std::max(below, d + kCallOverhead);
    }
  active.erase(fn);
  auto frame = frames.bytes.find(fn);
  out = below + (frame == frames.bytes.end() ? 0 : frame->second);
  memo[fn] = out;
  return true;
}
} // namespace

/// .data.rel.ro holds constants with pointers (the ABI descriptor): written
/// only by the loader's relocation, read-only after, in flash on firmware.
static bool isRelroSection(const llvm::object::SectionRef &section) {
  auto name = section.getName();
  if (!name) {
    llvm::consumeError(name.takeError());
    return false;
  }
  return name->starts_with(".data.rel.ro");
}

ArtifactStats mlir::dlc::measureArtifact(llvm::StringRef objectData,
                                         llvm::StringRef stackUsage,
                                         const CallGraph &graph,
                                         llvm::StringRef entry,
                                         const ModelSignature &signature,
                                         uint64_t weightBytes) {
  ArtifactStats stats;
  stats.workspaceBytes = signature.workspaceSize;
  stats.weightBytes = weightBytes;
  for (const TensorSignature &t : signature.inputs)
    stats.ioBytes += t.sizeBytes;
  for (const TensorSignature &t : signature.outputs)
    stats.ioBytes += t.sizeBytes;

  auto object = llvm::object::ObjectFile::createObjectFile(
      llvm::MemoryBufferRef(objectData, "dlc.o"));
  if (object) {
    for (const llvm::object::SectionRef &section : (*object)->sections()) {
      auto elf = llvm::object::ELFSectionRef(section);
      if (!(elf.getFlags() & llvm::ELF::SHF_ALLOC))
        continue;
      uint64_t size = section.getSize();
      if (section.isText())
        stats.codeBytes += size;
      else if (section.isBSS())
        stats.bssBytes += size;
      else if ((elf.getFlags() & llvm::ELF::SHF_WRITE) &&
               !isRelroSection(section))
        stats.dataBytes += size;
      else
        stats.readOnlyBytes += size;
    }
  } else {
    llvm::consumeError(object.takeError());
  }

  FrameSizes frames = parseStackUsage(stackUsage);
  llvm::StringMap<uint64_t> memo;
  llvm::StringSet<> active;
  stats.stackBounded =
      deepest(entry, graph, frames, memo, active, stats.maxStackBytes);
  if (stats.stackBounded)
    stats.maxStackBytes += kCallOverhead; // The caller's call into `entry`.
  return stats;
}

LogicalResult mlir::dlc::checkBudgets(Location loc, const ArtifactStats &s,
                                      const CompilerOptions &options) {
  if (options.maxRam) {
    if (!s.stackBounded)
      return emitError(loc) << "cannot check --max-ram=" << options.maxRam
                            << ": the model's stack use is not bounded";
    if (s.ramBytes() > options.maxRam)
      return emitError(loc)
             << "the model needs " << s.ramBytes()
             << " bytes of RAM (workspace " << s.workspaceBytes << " + stack "
             << s.maxStackBytes << " + data " << s.dataBytes + s.bssBytes
             << "), over the --max-ram budget of " << options.maxRam
             << " bytes";
  }
  if (options.maxFlash && s.flashBytes() > options.maxFlash)
    return emitError(loc) << "the model needs " << s.flashBytes()
                          << " bytes of flash (code " << s.codeBytes
                          << " + read-only data " << s.readOnlyBytes
                          << " + data " << s.dataBytes
                          << "), over the --max-flash budget of "
                          << options.maxFlash << " bytes";
  return success();
}

std::string mlir::dlc::reportJSON(const ArtifactStats &s,
                                  const ModelSignature &signature,
                                  const TargetDesc &target) {
  llvm::json::Object stack{{"max_bytes", s.stackBounded
                                             ? llvm::json::Value(s.maxStackBytes)
                                             : llvm::json::Value(nullptr)},
                           {"bounded", s.stackBounded}};
  llvm::json::Object report{
      {"model", signature.name},
      {"target", target.name},
      {"triple", target.triple},
      {"ram_bytes", s.stackBounded ? llvm::json::Value(s.ramBytes())
                                   : llvm::json::Value(nullptr)},
      {"flash_bytes", s.flashBytes()},
      {"workspace_bytes", s.workspaceBytes},
      {"workspace_align", signature.workspaceAlign},
      {"stack", std::move(stack)},
      {"weight_bytes", s.weightBytes},
      {"code_bytes", s.codeBytes},
      {"rodata_bytes", s.readOnlyBytes},
      {"data_bytes", s.dataBytes},
      {"bss_bytes", s.bssBytes},
      {"io_bytes", s.ioBytes},
  };
  std::string text;
  llvm::raw_string_ostream os(text);
  os << llvm::formatv("{0:2}", llvm::json::Value(std::move(report))) << "\n";
  return text;
}

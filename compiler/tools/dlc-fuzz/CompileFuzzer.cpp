//===- CompileFuzzer.cpp - libFuzzer target: the whole compile ------------===//
//
// The bytes are an ONNX model, compiled as `dlc model.onnx -o model.o`
// would compile it: import, the graph, kernel and memory phases, LLVM code
// generation, an object file. Models that fail anywhere must fail with an
// error; any crash, sanitizer report or hang is a finding. Tensors are
// limited to 1 MB so that one execution stays well under a second (the
// size limits themselves are the import target's business). Runs in the
// current folder (utils/fuzz.sh gives it a scratch one): the model is
// written there, since the pipeline reads models from files, under a name
// of the process's own.
//
//===----------------------------------------------------------------------===//
#include "compiler/InitAll.h"
#include "compiler/Pipeline/Pipeline.h"
#include "compiler/tools/dlc-fuzz/ModelMutator.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <unistd.h>

using namespace mlir;

extern "C" size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t maxSize);

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size,
                                          size_t maxSize, unsigned seed) {
  return ::dlc::fuzz::mutateBytes(data, size, maxSize, seed, LLVMFuzzerMutate);
}

static DialectRegistry &registry() {
  static DialectRegistry *r = [] {
    auto *reg = new DialectRegistry;
    mlir::dlc::registerAllDialects(*reg);
    mlir::dlc::registerAllPasses();
    return reg;
  }();
  return *r;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // Per process: libFuzzer's fork mode runs several jobs in one folder (a
  // shared object file rewritten under another job's mapping is a SIGBUS).
  static const std::string name = "fuzz" + std::to_string(getpid());
  static const std::string inPath = name + ".onnx", outPath = name + ".o",
                           header = name + ".h"; // Written beside the object.
  const char *in = inPath.c_str(), *out = outPath.c_str();
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(in, ec);
    if (ec)
      return 0;
    os.write(reinterpret_cast<const char *>(data), size);
  }
  mlir::dlc::CompilerOptions options;
  options.emit = mlir::dlc::Phase::Object;
  options.name = name;
  options.limits.maxTensorBytes = int64_t(1) << 20;
  MLIRContext context(registry());
  context.printOpOnDiagnostic(false);
  ScopedDiagnosticHandler quiet(&context, [](Diagnostic &) { return success(); });
  (void)mlir::dlc::compileModel(context, options, in, out);
  llvm::sys::fs::remove(out);
  llvm::sys::fs::remove(header);
  return 0;
}

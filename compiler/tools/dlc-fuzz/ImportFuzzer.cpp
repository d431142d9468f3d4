//===- ImportFuzzer.cpp - libFuzzer target: load, check, import -----------===//
//
// The bytes are an ONNX model: it is loaded (validation, the ONNX checker,
// shape inference, function expansion, constant folding) and imported to
// MLIR, which must then verify. Any crash, sanitizer report or hang is a
// finding; so is a module that imports but fails the verifier (the user
// would see raw verifier output), reported by aborting unless
// DLC_FUZZ_NO_VERIFY is set.
//
//===----------------------------------------------------------------------===//
#include "compiler/Import/ONNX/Importer.h"
#include "compiler/tools/dlc-fuzz/ModelMutator.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

using namespace mlir;

extern "C" size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t maxSize);

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size,
                                          size_t maxSize, unsigned seed) {
  return ::dlc::fuzz::mutateBytes(data, size, maxSize, seed, LLVMFuzzerMutate);
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mlir::dlc::CompilerOptions options;
  // Models may legitimately ask for large tensors; the fuzzer's memory
  // limit should only ever see the compiler's own waste.
  options.limits.maxTensorBytes = int64_t(1) << 26;
  std::string error;
  std::unique_ptr<mlir::dlc::OnnxModel> model = mlir::dlc::loadOnnxModelFromBytes(
      llvm::StringRef(reinterpret_cast<const char *>(data), size), "fuzz.onnx",
      options, error);
  if (!model)
    return 0;
  MLIRContext context; // importOnnxModel loads the dialects it builds.
  context.printOpOnDiagnostic(false);
  ScopedDiagnosticHandler quiet(&context, [](Diagnostic &) { return success(); });
  OwningOpRef<ModuleOp> module = mlir::dlc::importOnnxModel(&context, *model, options);
  static bool strict = !std::getenv("DLC_FUZZ_NO_VERIFY");
  if (strict && module && failed(verify(*module))) {
    llvm::errs() << "imported module fails the verifier\n";
    std::abort();
  }
  return 0;
}

//===- InitAll.cpp - the one registration site ----------------------------===//
//
// Upstream dialects, their external interface models (bufferization,
// conversion to LLVM) and passes, plus dlc's own dialect and passes.
//
//===----------------------------------------------------------------------===//
#include "compiler/InitAll.h"

#include "dialects/DLC/IR/DLCDialect.h"
#include "passes/Transforms/Passes.h"
#include "targets/CPU/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"

void mlir::dlc::registerAllDialects(DialectRegistry &registry) {
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::registerBuiltinDialectTranslation(registry);
  mlir::registerLLVMDialectTranslation(registry);
  registry.insert<DLCDialect>();
}

void mlir::dlc::registerAllPasses() {
  mlir::registerAllPasses();
  mlir::dlc::registerTransformsPasses();
  mlir::dlc::registerCPUPasses();
}

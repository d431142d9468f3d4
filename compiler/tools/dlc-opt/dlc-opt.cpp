//===- dlc-opt.cpp - mlir-opt with dlc's dialects and passes --------------===//
//
// The driver of the lit tests: parses MLIR, runs the named passes, prints.
//
//===----------------------------------------------------------------------===//
#include "compiler/InitAll.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  mlir::dlc::registerAllDialects(registry);
  mlir::dlc::registerAllPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "dlc optimizer driver\n", registry));
}

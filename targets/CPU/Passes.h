//===- Passes.h - the CPU target's kernel-strategy passes -----------------===//
//
// Declarations generated from targets/CPU/Passes.td.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_TARGETS_CPU_PASSES_H
#define DLC_TARGETS_CPU_PASSES_H

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::dlc {

#define GEN_PASS_DECL
#include "targets/CPU/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "targets/CPU/Passes.h.inc"

} // namespace mlir::dlc

#endif // DLC_TARGETS_CPU_PASSES_H

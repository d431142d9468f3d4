//===- CPUTarget.h - CPU backend (x86-64, later armv8) --------------------===//
//
// Lowers planned linalg/memref IR through scf and the LLVM dialect, and
// writes objects and shared objects with LLVM's TargetMachine and lld.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_TARGETS_CPU_CPUTARGET_H
#define DLC_TARGETS_CPU_CPUTARGET_H

#include "targets/Target.h"

namespace mlir::dlc {
std::unique_ptr<Target> createCPUTarget(TargetDesc desc);
} // namespace mlir::dlc

#endif // DLC_TARGETS_CPU_CPUTARGET_H

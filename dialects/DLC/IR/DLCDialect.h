//===- DLCDialect.h - the dlc dialect -------------------------------------===//
//
// Declares the `dlc` dialect and its operations (generated from DLCOps.td).
//
//===----------------------------------------------------------------------===//
#ifndef DLC_DIALECTS_DLC_IR_DLCDIALECT_H
#define DLC_DIALECTS_DLC_IR_DLCDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/DLC/IR/DLCOpsDialect.h.inc"

#define GET_OP_CLASSES
#include "dialects/DLC/IR/DLCOps.h.inc"

namespace mlir::dlc {
/// Marks an scf.for over the time steps of a recurrent layer (the importer).
/// Its body holds whole kernels: dlc-outline-kernels keeps the loop in the
/// entry function and outlines the kernels inside it.
constexpr const char *kSequenceLoopAttr = "dlc.sequence";
} // namespace mlir::dlc

#endif // DLC_DIALECTS_DLC_IR_DLCDIALECT_H

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

#endif // DLC_DIALECTS_DLC_IR_DLCDIALECT_H

//===- RuntimeParams.h - ops whose parameters arrive at run time ----------===//
//
// The run-time-parameter variants of Slice, Pad, Range and ReverseSequence, used by their
// handlers when a parameter is a graph input rather than a constant. Each
// needs the output shape statically (inferred or declared in the model).
//
//===----------------------------------------------------------------------===//
#ifndef DLC_COMPILER_IMPORT_ONNX_OPS_RUNTIMEPARAMS_H
#define DLC_COMPILER_IMPORT_ONNX_OPS_RUNTIMEPARAMS_H

#include "compiler/Import/ONNX/ImportContext.h"

namespace mlir::dlc {

/// Slice-10+ with runtime starts/axes/steps (ends follow from the shape).
LogicalResult importSliceRuntime(ImportContext &c);
/// Pad-11+ with runtime pads (and constant_value).
LogicalResult importPadRuntime(ImportContext &c, llvm::StringRef mode);
/// Range with runtime start/delta (limit follows from the shape).
LogicalResult importRangeRuntime(ImportContext &c);
/// Dropout with run-time ratio/training_mode: a counter-based hash of the
/// element index (and the seed attribute) decides each element.
LogicalResult importDropoutRuntime(ImportContext &c);
/// ReverseSequence: reverses each batch row's first sequence_lens[b] steps.
LogicalResult importReverseSequence(ImportContext &c);

} // namespace mlir::dlc

#endif // DLC_COMPILER_IMPORT_ONNX_OPS_RUNTIMEPARAMS_H

//===- PTQ.h - post-training quantization driver --------------------------===//
//
// dlc model.onnx --quantize=int8 --calibration=DIR: plans which nodes run
// in int8 (InsertQDQ.h), builds an instrumented float version of the model
// for the host, runs it in this process over the calibration samples,
// picks each activation's range (Calibration.h), writes the model's QDQ
// form, and measures the quantized build against the float one on the
// calibration set and an optional held-out set. Under an accuracy budget,
// the fewest layers, those that add the most noise first, go back to float
// (or bf16) so that every output meets it. --precision=bf16 runs the other convs and
// matmuls on bf16-rounded operands (InsertBF16.h), alone or beside int8.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_COMPILER_QUANT_PTQ_H
#define DLC_COMPILER_QUANT_PTQ_H

#include "compiler/Import/ONNX/Importer.h"
#include "compiler/Pipeline/CompilerOptions.h"
#include "compiler/Quant/InsertQDQ.h"

#include "mlir/IR/Location.h"
#include "mlir/Support/LogicalResult.h"
#include "llvm/Support/raw_ostream.h"

#include <functional>

namespace mlir::dlc::quant {

/// Compiles a loaded model to `outputPath` (the pipeline after loading).
using CompileFn = std::function<LogicalResult(
    OnnxModel &, const CompilerOptions &, llvm::StringRef outputPath)>;

/// Agreement of one model output with the float build over a sample set.
struct OutputMetrics {
  std::string name, set;
  double sqnrDb = 0;   // 10 log10(sum ref^2 / sum (q - ref)^2); inf if exact.
  double maxAbsError = 0;
  int64_t top1Agree = 0, top1Rows = 0; // argmax over the last axis; rows 0
                                       // when the last axis has one entry.
};

struct QuantReport {
  bool int8 = false, bf16 = false; // What ran: --quantize, --precision.
  std::string method;              // Calibration (int8 only).
  size_t calibrationSamples = 0, heldOutSamples = 0;
  std::vector<NodeDecision> decisions;
  std::vector<OutputMetrics> outputs;
  /// Layers the accuracy budget moved out of int8, to `movedTo`.
  std::vector<std::string> moved;
  Precision movedTo = Precision::Float;
};

/// Rewrites `model` into its quantized form. Errors go to the context's
/// diagnostics at `loc`. With `artifactPath` set (the artifact is a host
/// .so, exactly what the measuring build is), the measured build is written
/// there and `wroteArtifact` set: the compile need not run again.
LogicalResult quantizeModel(Location loc, const CompilerOptions &options,
                            OnnxModel &model, const CompileFn &compile,
                            QuantReport &report,
                            llvm::StringRef artifactPath = {},
                            bool *wroteArtifact = nullptr);

/// The report as a table (precision per compute node, then accuracy).
void printReport(const QuantReport &report, llvm::raw_ostream &os);

/// Adds the report as the "quantization" section of the JSON memory report
/// at `path` (written by the compile).
LogicalResult addReportSection(Location loc, const QuantReport &report,
                               llvm::StringRef path);

} // namespace mlir::dlc::quant

#endif // DLC_COMPILER_QUANT_PTQ_H

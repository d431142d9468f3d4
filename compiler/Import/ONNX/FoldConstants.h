//===- FoldConstants.h - host-side folding of ONNX shape computations -----===//
//
// Exported models compute shapes at run time (Shape -> Gather -> Concat ->
// Reshape). With static shapes these subgraphs are constants: this pass
// evaluates them on the ModelProto, replaces them by initializers and lets
// ONNX shape inference see the results, as onnx-simplifier does.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_COMPILER_IMPORT_ONNX_FOLDCONSTANTS_H
#define DLC_COMPILER_IMPORT_ONNX_FOLDCONSTANTS_H

#include <cstdint>
#include <string>

namespace onnx {
class AttributeProto;
class ModelProto;
class NodeProto;
} // namespace onnx

namespace mlir::dlc {

/// Folds every node whose inputs are compile-time constants (or, for Shape
/// and Size, whose input shape is static) and whose results are small, then
/// re-runs shape inference, until nothing changes; when nothing folds,
/// unrolls Loops whose trip count is known (UnrollLoops.h; at most
/// `maxUnrolledNodes` nodes written in all), and when none is left, gives
/// values of unknown shape the static shape of their shape-preserving
/// consumer's output (inference runs only forward) and goes on. Returns the number of
/// nodes folded; on an evaluation error sets `error` and returns -1.
/// Node `n`'s attribute `name`, or null; its integer value, or `d`.
const onnx::AttributeProto *attr(const onnx::NodeProto &n, const char *name);
int64_t attrInt(const onnx::NodeProto &n, const char *name, int64_t d);

int foldConstantSubgraphs(onnx::ModelProto &model, std::string &error,
                          int64_t maxUnrolledNodes);

} // namespace mlir::dlc

#endif // DLC_COMPILER_IMPORT_ONNX_FOLDCONSTANTS_H

//===- UnrollLoops.h - ONNX Loop with a compile-time trip count -----------===//
//
// An ahead-of-time compiler for static shapes runs a Loop whose trip count
// M is known when compiling by writing its body out M times, each copy with
// its iteration number as a constant. Written into the ModelProto before the
// folder's next sweep, the copies fold like any other node (a Slice at the
// iteration number gets constant bounds) and ONNX's inference types each
// iteration on its own (loop-carried values may change shape).
//
//===----------------------------------------------------------------------===//
#ifndef DLC_COMPILER_IMPORT_ONNX_UNROLLLOOPS_H
#define DLC_COMPILER_IMPORT_ONNX_UNROLLLOOPS_H

#include <cstdint>
#include <optional>
#include <string>

namespace onnx {
class GraphProto;
class NodeProto;
} // namespace onnx

namespace mlir::dlc {

/// The nodes of `g`, its subgraphs' included (what unrolling `g` once
/// writes, for the --max-unrolled-nodes budget Loop and Scan share).
int64_t countSubgraphNodes(const onnx::GraphProto &g);

/// Why `loop` cannot be unrolled, or "" if it can: `trips` is M if known at
/// compile time, `cond` the initial condition if known (an absent one is
/// true), `nodeBudget` how many more nodes unrolling may create
/// (--max-unrolled-nodes). A body that computes its own condition is
/// unrolled with the condition carried as data (later iterations select
/// the old values), unless the loop has scan outputs: their length would
/// then depend on data.
std::string whyNotUnrollable(const onnx::NodeProto &loop,
                             std::optional<int64_t> trips,
                             std::optional<bool> cond, int64_t nodeBudget);

/// Replaces every Loop node of `g` (the main graph) that can be unrolled by
/// its unrolled body; `opset` is the model's ai.onnx opset (the form of the
/// Unsqueeze nodes it writes). Subtracts the nodes written from
/// `nodeBudget`. Returns the number of loops unrolled.
int unrollStaticLoops(onnx::GraphProto &g, int64_t opset, int64_t &nodeBudget);

} // namespace mlir::dlc

#endif // DLC_COMPILER_IMPORT_ONNX_UNROLLLOOPS_H

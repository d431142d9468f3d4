//===- Validate.h - a model's contents checked before they are used -------===//
//
// A model file is untrusted input. Before the ONNX checker, shape inference
// or any importer code reads a tensor, these checks bound what the model may
// ask for (CompilerOptions::limits) and make every tensor's bytes agree with
// its shape, so later readers may index them without further checks.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_COMPILER_IMPORT_ONNX_VALIDATE_H
#define DLC_COMPILER_IMPORT_ONNX_VALIDATE_H

#include "compiler/Pipeline/CompilerOptions.h"

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

namespace onnx {
class GraphProto;
class ModelProto;
class NodeProto;
class TensorProto;
} // namespace onnx

namespace mlir::dlc {

/// The product of `dims`, or nullopt if a dimension is negative or the
/// product overflows int64.
std::optional<int64_t> checkedElementCount(llvm::ArrayRef<int64_t> dims);

/// Calls `fn` on every tensor the graph holds: initializers and tensor
/// attributes of its nodes, in nested subgraphs too. `where` says which
/// (e.g. "initializer 'w'", "attribute 'value' of the node producing 'c'").
/// Stops at, and returns, the first error `fn` reports (non-empty string).
std::string forEachTensor(
    onnx::GraphProto &graph,
    const std::function<std::string(onnx::TensorProto &, const std::string &where)>
        &fn);

/// Checks the model against `limits` and every tensor's contents against
/// its type and shape (data stored outside the model must be loaded into
/// it first). On failure returns false and sets `error` to one line.
bool validateModel(onnx::ModelProto &model, const ImportLimits &limits,
                   std::string &error);

/// Checks every main-graph node's input element types against its ONNX
/// schema's type constraints (the checker does not, and shape inference
/// only with check_type): a handler may then rely on them.
bool checkNodeTypes(const onnx::ModelProto &model, std::string &error);

/// The same check for one node, `elemType(i)` giving input i's ONNX element
/// type (0 if unknown): the importer runs it on subgraph nodes (Scan, Loop
/// and If bodies), whose types are known only once they are imported.
/// Returns the error, or "".
std::string checkNodeInputTypes(const onnx::NodeProto &node,
                                const std::map<std::string, int64_t> &opsets,
                                const std::function<int32_t(int)> &elemType);

/// True if a value with a dimension above 2^22 is declared anywhere in `g`
/// (its subgraphs and sequence element types included). ONNX's data propagation represents every 1-D value
/// of known length as a shape with one object per element (a float[2^31]
/// input took 24 GB); no shape is that long, so such graphs are inferred
/// without it.
bool hasLongVector(const onnx::GraphProto &g);

} // namespace mlir::dlc

#endif // DLC_COMPILER_IMPORT_ONNX_VALIDATE_H

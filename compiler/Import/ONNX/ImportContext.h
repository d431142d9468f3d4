//===- ImportContext.h - what an ONNX op handler sees ---------------------===//
//
// The state of one graph import and the helpers every handler shares: access
// to the node's inputs, attributes and inferred output types, compile-time
// constants, and small TOSA building blocks (reshape, transpose, broadcasting
// to equal rank) that encode TOSA's operand conventions once.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_COMPILER_IMPORT_ONNX_IMPORTCONTEXT_H
#define DLC_COMPILER_IMPORT_ONNX_IMPORTCONTEXT_H

#include "compiler/Pipeline/CompilerOptions.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "llvm/ADT/StringMap.h"

#include "onnx/onnx_pb.h"

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mlir::dlc {

/// True if `type` is static and at most `maxBytes` large (the limit
/// --max-tensor-bytes sets); larger shapes are rejected with a message
/// rather than overflowing size computations downstream.
bool isReasonableSize(RankedTensorType type, int64_t maxBytes);

/// Maps an ONNX element type code to an MLIR type; null if unsupported.
Type onnxElementType(MLIRContext *ctx, int32_t dtype);

/// Whether the ONNX element type is unsigned (bool counts: 0 < 1). Integers
/// are signless in the IR, so ops whose meaning depends on it ask this.
inline bool isUnsignedDType(int32_t dtype) {
  return dtype == onnx::TensorProto::UINT8 ||
         dtype == onnx::TensorProto::UINT16 ||
         dtype == onnx::TensorProto::UINT32 ||
         dtype == onnx::TensorProto::UINT64 || dtype == onnx::TensorProto::BOOL;
}

/// A compile-time tensor: an initializer or the value of a Constant node.
struct ConstTensor {
  /// A view of `t` (shape and type from the proto).
  static ConstTensor of(const onnx::TensorProto *t);
  const onnx::TensorProto *proto = nullptr;
  std::vector<int64_t> shape;
  int32_t dtype = 0;
  std::vector<float> floats() const;
  std::vector<int64_t> ints() const;
  int64_t numElements() const;
};

class ImportContext {
public:
  ImportContext(MLIRContext *ctx, const onnx::GraphProto &graph,
                int64_t opset, llvm::StringRef modelPath);

  MLIRContext *ctx;
  ImplicitLocOpBuilder b;
  int64_t opset;
  /// Every domain's imported opset ("" for ai.onnx), for operators of
  /// other domains (ai.onnx.ml, ai.onnx.preview.training).
  std::map<std::string, int64_t> opsets;
  /// The limits; `limits.maxUnrolledNodes` is what is left to unroll, and
  /// the Scan handler draws on it.
  ImportLimits limits;
  /// ONNX's objection under strict inference, added to "no static shape".
  std::string inferenceNote;

  // --- The node being imported -------------------------------------------
  const onnx::NodeProto *node = nullptr;
  void setNode(const onnx::NodeProto &n);
  /// Reports "node 'NAME' (OpType): msg" and returns failure.
  LogicalResult fail(const llvm::Twine &msg);

  size_t numInputs() const;
  bool hasInput(unsigned i) const;
  /// The value of input `i`, materialising constants as tosa.const.
  Value input(unsigned i);
  /// Input `i` if it is known at compile time.
  std::optional<ConstTensor> constInput(unsigned i) const;
  /// The inferred, static type of output `i`; reports and returns null if
  /// shape inference left it unknown.
  RankedTensorType outputType(unsigned i);
  void setOutput(unsigned i, Value v);
  size_t numOutputs() const;

  bool hasAttr(llvm::StringRef name) const;
  int64_t attrInt(llvm::StringRef name, int64_t dflt) const;
  float attrFloat(llvm::StringRef name, float dflt) const;
  std::string attrString(llvm::StringRef name, llvm::StringRef dflt) const;
  std::vector<int64_t> attrInts(llvm::StringRef name) const;
  const onnx::TensorProto *attrTensor(llvm::StringRef name) const;

  /// Imports a subgraph's nodes at the current insertion point (set by the
  /// driver; If inlines both branches with it).
  std::function<LogicalResult(const onnx::GraphProto &)> importSubgraph;
  /// Runs ONNX shape inference on subgraph `g` with its inputs typed as
  /// `inputTypes` and records the inferred types (Scan bodies carry none).
  void inferSubgraphTypes(const onnx::GraphProto &g,
                          llvm::ArrayRef<Type> inputTypes);
  /// The graph-valued attribute `name`, or null.
  const onnx::GraphProto *attrGraph(llvm::StringRef name) const;

  // --- Sequences ----------------------------------------------------------
  /// Sequence values exist only at compile time: a list of tensors whose
  /// length and positions are known when the graph is imported (runtime
  /// positions are rejected). Null if input `i` is not a known sequence.
  const std::vector<Value> *sequenceInput(unsigned i) const;
  void setSequenceOutput(unsigned i, std::vector<Value> elements);
  bool isSequence(const std::string &name) const {
    return sequences.count(name) != 0;
  }

  // --- Graph state used by the driver ------------------------------------
  void bindValue(const std::string &name, Value v) { values[name] = v; }
  /// Drops what is known about `name` (value, constant, sequence), so an
  /// unrolled loop body can rebind its names every iteration.
  void forget(const std::string &name) {
    values.erase(name);
    constants.erase(name);
    sequences.erase(name);
  }
  Value lookup(const std::string &name);
  void addConstant(const std::string &name, const onnx::TensorProto &t);
  /// Keeps a tensor built during import alive for the whole import.
  const onnx::TensorProto &own(onnx::TensorProto t);
  std::optional<ConstTensor> lookupConstant(const std::string &name) const;
  void addValueInfo(const onnx::ValueInfoProto &vi);
  RankedTensorType staticType(const onnx::TypeProto &type) const;
  /// The static type shape inference gave `name`, or null.
  RankedTensorType knownType(const std::string &name) const;

  /// Checks that inputs 0..required-1 are present and returns the static
  /// type of output 0 (reporting and returning null otherwise).
  RankedTensorType resultType(unsigned requiredInputs);
  /// Registers a compile-time tensor as the value of output `i`, so later
  /// nodes (Reshape shapes, Slice bounds, ...) can read it on the host.
  void setConstantOutput(unsigned i, onnx::TensorProto t);

  // --- TOSA building blocks ----------------------------------------------
  /// A tosa.const holding `t`. Float data is referenced, not copied, through
  /// a dense_resource blob when the proto stores raw bytes.
  Value materialize(const ConstTensor &t, llvm::StringRef name);
  /// A tosa.const of the given type and float values (a splat for one).
  Value constF32(llvm::ArrayRef<int64_t> shape, llvm::ArrayRef<float> values);
  template <typename T>
  std::optional<std::vector<T>> smallUnsignedConstant(unsigned i);
  /// A blob-backed f32 constant owning `values` (for weights rewritten at
  /// import time, e.g. transposed convolution kernels).
  Value constBlob(llvm::ArrayRef<int64_t> shape, std::vector<float> values,
                  llvm::StringRef name);
  Value reshape(Value v, llvm::ArrayRef<int64_t> shape);
  Value transpose(Value v, llvm::ArrayRef<int32_t> perms);
  /// Prepends unit dimensions up to `rank` (numpy broadcasting).
  Value expandToRank(Value v, int64_t rank);
  Value mul(Value a, Value b, RankedTensorType resultType);
  Value slice(Value v, llvm::ArrayRef<int64_t> start,
              llvm::ArrayRef<int64_t> size);
  Value reduceSum(Value v, int64_t axis);
  Value reduceMax(Value v, int64_t axis);
  Value reduceMin(Value v, int64_t axis);
  /// A scalar of `type`'s element type broadcastable to `type`'s rank.
  Value splat(RankedTensorType type, double value);
  /// The same for an exact element value.
  Value splat(RankedTensorType type, TypedAttr value);
  /// The highest (or lowest) value of `elem` read as ONNX type `dtype`:
  /// +-inf for floats, the integer extremes otherwise.
  TypedAttr extreme(Type elem, int32_t dtype, bool highest);
  /// Round half to even (ONNX Round, QuantizeLinear) on floats.
  Value roundEven(Value x);
  /// The ONNX element type of input `i` (0 if unknown). Needed because
  /// unsigned integers are signless in the IR.
  int32_t inputDType(unsigned i) const;
  int32_t outputDType(unsigned i) const;
  /// Integer (or float) input `i` as f32, zero-extending unsigned data.
  Value inputAsF32(unsigned i);
  /// Integer input `i` (32 bits or fewer) as i32, zero-extending unsigned
  /// data.
  Value inputAsI32(unsigned i);
  /// Rounds, adds `zeroPoint` (f32), saturates to the range of the ONNX
  /// integer type `dtype` and casts to `type`.
  Value saturateCast(Value x, Value zeroPoint, int32_t dtype,
                     RankedTensorType type);
  /// `x` viewed as 2-D [prod(dims < axis), prod(dims >= axis)] (the
  /// pre-opset-13 Softmax/LogSoftmax/Hardmax coercion).
  Value coerce2D(Value x, int64_t axis);
  /// Input 0 of a Softmax-family op and the axis to work on: before opset 13
  /// the default axis is 1 and the input is coerced to 2-D, after it the
  /// default is -1. The caller reshapes its result to the output type.
  LogicalResult softmaxFamilyInput(int64_t rank, Value &x, int64_t &axis);
  /// An i32 constant 0..n-1 laid along `axis` of an otherwise all-ones
  /// shape of `rank` dimensions (for one-hot compares).
  Value iota(int64_t rank, int64_t axis, int64_t n);
  /// A per-tensor (scalar) or per-axis (1-D) parameter shaped to broadcast
  /// against a rank-`rank` tensor along `axis`.
  Value alongAxis(Value param, int64_t rank, int64_t axis);

private:
  const onnx::GraphProto &graph;
  std::string modelPath;
  llvm::StringMap<Value> values;
  llvm::StringMap<std::vector<Value>> sequences;
  llvm::StringMap<const onnx::TensorProto *> constants;
  llvm::StringMap<const onnx::TypeProto *> types;
  unsigned blobCounter = 0;
  std::deque<onnx::TensorProto> owned;
  std::deque<onnx::ModelProto> inferredSubgraphs;
};

/// One handler per ONNX operator and opset range.
using HandlerFn = LogicalResult (*)(ImportContext &ctx);

struct OpHandler {
  const char *opType;
  int sinceVersion; // First opset (of its domain) this handler applies to.
  HandlerFn fn;
  const char *domain = ""; // "" is ai.onnx.
};

/// The handler for `opType` of `domain` at that domain's `opset`, or null.
HandlerFn lookupHandler(llvm::StringRef opType, int64_t opset,
                        llvm::StringRef domain = "");
/// The handler for `node` under the model's `opsets` (domain -> version,
/// "" for ai.onnx), or null.
HandlerFn lookupHandler(const onnx::NodeProto &node,
                        const std::map<std::string, int64_t> &opsets);
/// Domain -> imported opset version of `model` ("ai.onnx" read as "").
std::map<std::string, int64_t> modelOpsets(const onnx::ModelProto &model);
std::vector<std::string> handledOperators(int64_t opset);

// Handler families, one file each (ops/*.cpp).
void appendMathHandlers(std::vector<OpHandler> &table);
void appendNNHandlers(std::vector<OpHandler> &table);
void appendTensorHandlers(std::vector<OpHandler> &table);
void appendElementwiseHandlers(std::vector<OpHandler> &table);
void appendReduceHandlers(std::vector<OpHandler> &table);
void appendLossHandlers(std::vector<OpHandler> &table);
void appendIndexHandlers(std::vector<OpHandler> &table);
void appendResizeHandlers(std::vector<OpHandler> &table);
void appendRNNHandlers(std::vector<OpHandler> &table);
void appendQuantHandlers(std::vector<OpHandler> &table);
void appendEinsumHandlers(std::vector<OpHandler> &table);
void appendSequenceHandlers(std::vector<OpHandler> &table);
void appendGridSampleHandlers(std::vector<OpHandler> &table);
void appendSpectralHandlers(std::vector<OpHandler> &table);
void appendControlFlowHandlers(std::vector<OpHandler> &table);
void appendNormHandlers(std::vector<OpHandler> &table);
void appendMLHandlers(std::vector<OpHandler> &table);
void appendCol2ImHandlers(std::vector<OpHandler> &table);
void appendDeformConvHandlers(std::vector<OpHandler> &table);
void appendTrainingHandlers(std::vector<OpHandler> &table);
void appendTreeEnsembleHandlers(std::vector<OpHandler> &table);

} // namespace mlir::dlc

#endif // DLC_COMPILER_IMPORT_ONNX_IMPORTCONTEXT_H

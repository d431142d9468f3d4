//===- Importer.cpp - ONNX model to a TOSA/dlc module ---------------------===//
//
// Loads a model with the ONNX library (binary protobuf or the textual
// .onnxtext syntax), validates it with onnx::checker, infers shapes with ONNX
// shape inference, then walks the topologically sorted graph calling one
// opset-versioned handler per node. Every unsupported operator is reported
// before any IR is built.
//
//===----------------------------------------------------------------------===//
#include "compiler/Import/ONNX/Importer.h"

#include "compiler/Import/ONNX/FoldConstants.h"
#include "compiler/Import/ONNX/FuseQDQ.h"
#include "compiler/Import/ONNX/ImportContext.h"
#include "compiler/Import/ONNX/Validate.h"
#include "dialects/DLC/IR/DLCDialect.h"
#include "targets/ModelSignature.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include "onnx/checker.h"
#include "onnx/defs/parser.h"
#include "onnx/inliner/inliner.h"
#include "onnx/shape_inference/implementation.h"

#include <algorithm>
#include <set>

using namespace mlir;
using namespace mlir::dlc;

OnnxModel::OnnxModel() : proto(std::make_unique<onnx::ModelProto>()) {}
OnnxModel::~OnnxModel() = default;

//===----------------------------------------------------------------------===//
// Handler table
//===----------------------------------------------------------------------===//

static const std::vector<OpHandler> &handlerTable() {
  static const std::vector<OpHandler> table = [] {
    std::vector<OpHandler> t;
    appendMathHandlers(t);
    appendNNHandlers(t);
    appendTensorHandlers(t);
    appendElementwiseHandlers(t);
    appendReduceHandlers(t);
    appendLossHandlers(t);
    appendIndexHandlers(t);
    appendResizeHandlers(t);
    appendRNNHandlers(t);
    appendQuantHandlers(t);
    appendEinsumHandlers(t);
    appendSequenceHandlers(t);
    appendGridSampleHandlers(t);
    appendSpectralHandlers(t);
    appendControlFlowHandlers(t);
    appendNormHandlers(t);
    appendMLHandlers(t);
    appendCol2ImHandlers(t);
    appendDeformConvHandlers(t);
    appendTrainingHandlers(t);
    appendTreeEnsembleHandlers(t);
    return t;
  }();
  return table;
}

HandlerFn mlir::dlc::lookupHandler(llvm::StringRef opType, int64_t opset,
                                   llvm::StringRef domain) {
  const OpHandler *best = nullptr;
  for (const OpHandler &h : handlerTable())
    if (opType == h.opType && domain == h.domain && h.sinceVersion <= opset &&
        (!best || h.sinceVersion > best->sinceVersion))
      best = &h;
  return best ? best->fn : nullptr;
}

static llvm::StringRef canonicalDomain(llvm::StringRef domain) {
  return domain == "ai.onnx" ? "" : domain;
}

HandlerFn mlir::dlc::lookupHandler(
    const onnx::NodeProto &node, const std::map<std::string, int64_t> &opsets) {
  llvm::StringRef domain = canonicalDomain(node.domain());
  auto it = opsets.find(domain.str());
  if (it == opsets.end())
    return nullptr; // A node of a domain the model does not import.
  return lookupHandler(node.op_type(), it->second, domain);
}

std::map<std::string, int64_t>
mlir::dlc::modelOpsets(const onnx::ModelProto &model) {
  std::map<std::string, int64_t> opsets;
  for (const auto &o : model.opset_import())
    opsets[canonicalDomain(o.domain()).str()] = o.version();
  if (!opsets.count(""))
    opsets[""] = 1;
  return opsets;
}

std::vector<std::string> mlir::dlc::handledOperators(int64_t opset) {
  std::vector<std::string> ops;
  // Other domains' operators are listed by qualified name, whatever their
  // (separately numbered) opset.
  for (const OpHandler &h : handlerTable()) {
    std::string name =
        *h.domain ? std::string(h.domain) + "." + h.opType : h.opType;
    if ((*h.domain || h.sinceVersion <= opset) &&
        std::find(ops.begin(), ops.end(), name) == ops.end())
      ops.push_back(name);
  }
  std::sort(ops.begin(), ops.end());
  return ops;
}

std::vector<std::string> mlir::dlc::supportedOperators(int64_t opset) {
  return handledOperators(opset);
}

//===----------------------------------------------------------------------===//
// Loading
//===----------------------------------------------------------------------===//

static int64_t defaultOpset(const onnx::ModelProto &model) {
  for (const auto &o : model.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx")
      return o.version();
  return 1;
}

/// Reads tensors stored outside the model (ONNX external data) into
/// raw_data: initializers and tensor attributes (Constant values), in
/// subgraphs too. Locations must be relative, resolve inside the model's own
/// folder and name a regular file: a model file must not be able to make
/// the compiler read anything else on the machine, or block on a FIFO.
static bool loadExternalData(onnx::ModelProto &proto, llvm::StringRef modelPath,
                             std::string &error) {
  llvm::SmallString<256> dir(modelPath);
  llvm::sys::path::remove_filename(dir);
  if (dir.empty())
    dir = ".";
  llvm::SmallString<256> realDir;
  if (llvm::sys::fs::real_path(dir, realDir)) {
    error = "cannot resolve the folder of '" + modelPath.str() + "'";
    return false;
  }
  auto load = [&](onnx::TensorProto &t, const std::string &where) -> std::string {
    if (t.data_location() != onnx::TensorProto::EXTERNAL)
      return "";
    std::string location;
    uint64_t offset = 0;
    int64_t length = -1;
    for (const auto &kv : t.external_data()) {
      if (kv.key() == "location")
        location = kv.value();
      else if (kv.key() == "offset")
        offset = std::strtoull(kv.value().c_str(), nullptr, 10);
      else if (kv.key() == "length")
        length = std::strtoll(kv.value().c_str(), nullptr, 10);
    }
    std::string what = where + ": external data ";
    if (location.empty() || llvm::sys::path::is_absolute(location))
      return what + "location '" + location +
             "' must be a path relative to the model's folder";
    llvm::SmallString<256> full(dir);
    llvm::sys::path::append(full, location);
    llvm::SmallString<256> real;
    if (llvm::sys::fs::real_path(full, real))
      return what + "file '" + location + "' not found next to the model";
    llvm::StringRef inside(real);
    if (!inside.starts_with(realDir) ||
        (inside.size() > realDir.size() &&
         !llvm::sys::path::is_separator(inside[realDir.size()])))
      return what + "location '" + location +
             "' escapes the model's folder; refusing to read it";
    llvm::sys::fs::file_status st;
    if (llvm::sys::fs::status(real, st) ||
        st.type() != llvm::sys::fs::file_type::regular_file)
      return what + "location '" + location + "' is not a regular file";
    uint64_t size = st.getSize();
    if (offset > size || (length >= 0 && uint64_t(length) > size - offset))
      return what + "offset/length lie outside '" + location + "'";
    uint64_t n = length >= 0 ? uint64_t(length) : size - offset;
    auto buf = llvm::MemoryBuffer::getFileSlice(real, n, offset);
    if (!buf)
      return what + "cannot read '" + location + "'";
    t.set_raw_data((*buf)->getBufferStart(), (*buf)->getBufferSize());
    t.clear_external_data();
    t.set_data_location(onnx::TensorProto::DEFAULT);
    return "";
  };
  error = forEachTensor(*proto.mutable_graph(), load);
  return error.empty();
}

/// Expands every main-graph node of the default domain that dlc has no
/// handler for but that ONNX defines as a function of other operators (its
/// schema's function body, or one built from the node's input types): newer
/// opsets define e.g. Attention, RMSNormalization, RotaryEmbedding, Gelu,
/// Swish and CenterCropPad that way, so each runs as the composition of the
/// operators dlc does handle. Repeats while bodies bring further such nodes.
static bool inlineFunctionOps(onnx::ModelProto &proto, llvm::StringRef path,
                              std::string &error) {
  int64_t opset = defaultOpset(proto);
  for (int round = 0; round < 8; ++round) {
    std::set<std::string> ops;
    for (const auto &node : proto.graph().node()) {
      if ((!node.domain().empty() && node.domain() != "ai.onnx") ||
          lookupHandler(node.op_type(), opset))
        continue;
      const onnx::OpSchema *schema =
          onnx::OpSchemaRegistry::Schema(node.op_type(), int(opset), "");
      if (schema &&
          (schema->HasFunction() || schema->HasContextDependentFunction()))
        ops.insert(node.op_type());
    }
    if (ops.empty())
      return true;
    // Attributes the node leaves at the schema's default are spelled out:
    // a body refers to its attributes by name (Swish's Constant takes
    // @alpha), and the inliner binds only those the node states, leaving a
    // reference to an unstated one empty.
    for (auto &node : *proto.mutable_graph()->mutable_node()) {
      if (!ops.count(node.op_type()) ||
          (!node.domain().empty() && node.domain() != "ai.onnx"))
        continue;
      const onnx::OpSchema *schema =
          onnx::OpSchemaRegistry::Schema(node.op_type(), int(opset), "");
      for (const auto &[name, attr] : schema->attributes()) {
        if (attr.default_value.type() == onnx::AttributeProto::UNDEFINED)
          continue;
        bool stated = false;
        for (const auto &a : node.attribute())
          stated |= a.name() == name;
        if (!stated) {
          onnx::AttributeProto *a = node.add_attribute();
          *a = attr.default_value;
          a->set_name(name);
        }
      }
    }
    onnx::inliner::FunctionIdVector ids;
    for (const std::string &op : ops)
      ids.push_back({"", op});
    // The inliner looks up the type of every input name of a node whose body
    // depends on its input types, omitted optional inputs ("") included,
    // and asserts when it finds none: a typed placeholder for "" stands in
    // while it runs (the body builders test omission by the empty name).
    auto *placeholder = proto.mutable_graph()->add_value_info();
    placeholder->mutable_type()->mutable_tensor_type()->set_elem_type(
        onnx::TensorProto::FLOAT);
    auto dropPlaceholder = [&] {
      auto *vis = proto.mutable_graph()->mutable_value_info();
      for (int i = vis->size() - 1; i >= 0; --i)
        if (vis->Get(i).name().empty())
          vis->DeleteSubrange(i, 1);
    };
    try {
      auto set = onnx::inliner::FunctionIdSet::Create(std::move(ids));
      onnx::inliner::InlineSelectedFunctions(proto, *set,
                                             onnx::OpSchemaRegistry::Instance());
      dropPlaceholder();
    } catch (const std::exception &e) {
      dropPlaceholder();
      error = "'" + path.str() + "': expanding " + *ops.begin() +
              " into its ONNX function body failed: " + e.what();
      return false;
    }
  }
  return true;
}

/// --input-value: each named input becomes an initializer of its declared
/// (pinned) shape and type and leaves the run's inputs, so the model's
/// folding sees it (an If on a sample rate keeps one branch).
static bool freezeInputs(onnx::ModelProto &proto,
                         const std::map<std::string, std::vector<double>> &values,
                         std::string &error) {
  onnx::GraphProto &g = *proto.mutable_graph();
  for (const auto &[name, v] : values) {
    int at = -1;
    for (int i = 0; i < g.input_size(); ++i)
      if (g.input(i).name() == name)
        at = i;
    if (at < 0) {
      error = "--input-value names '" + name + "', which is not a model input";
      return false;
    }
    const onnx::TypeProto &type = g.input(at).type();
    int64_t count = 1;
    onnx::TensorProto t;
    t.set_name(name);
    bool known = type.has_tensor_type() && type.tensor_type().has_shape();
    for (int d = 0; known && d < type.tensor_type().shape().dim_size(); ++d) {
      const auto &dim = type.tensor_type().shape().dim(d);
      known = dim.has_dim_value() && dim.dim_value() >= 0 &&
              dim.dim_value() <= int64_t(v.size());
      if (known) {
        t.add_dims(dim.dim_value());
        count *= dim.dim_value();
      }
    }
    if (!known || count != int64_t(v.size())) {
      error = "--input-value gives " + std::to_string(v.size()) +
              " value(s) for input '" + name +
              "', which needs a static shape with as many elements (pin it "
              "with --input-shape)";
      return false;
    }
    int32_t dtype = type.tensor_type().elem_type();
    t.set_data_type(dtype);
    for (double x : v) {
      switch (dtype) {
      case onnx::TensorProto::FLOAT: t.add_float_data(float(x)); break;
      case onnx::TensorProto::DOUBLE: t.add_double_data(x); break;
      case onnx::TensorProto::INT64: t.add_int64_data(int64_t(x)); break;
      case onnx::TensorProto::INT32:
      case onnx::TensorProto::INT16:
      case onnx::TensorProto::INT8:
      case onnx::TensorProto::UINT16:
      case onnx::TensorProto::UINT8:
      case onnx::TensorProto::BOOL:
        t.add_int32_data(int32_t(x));
        break;
      default:
        error = "--input-value: input '" + name +
                "' has an element type that cannot be given as numbers here";
        return false;
      }
    }
    g.mutable_input()->DeleteSubrange(at, 1);
    for (int i = 0; i < g.initializer_size(); ++i)
      if (g.initializer(i).name() == name) {
        g.mutable_initializer()->DeleteSubrange(i, 1);
        break;
      }
    *g.add_initializer() = std::move(t);
  }
  return true;
}

/// STFT nodes in the form ONNX's inference reads right: `onesided` spelled
/// out when absent (the schema's default is 1, which ONNX 1.23's inference
/// ignores and gives all `n` bins where a one-sided transform has n/2+1),
/// and a real signal given as [batch, length], as onnxruntime accepts and
/// PyTorch's exporters write for torch.stft, given its trailing [.., 1] by
/// an Unsqueeze (inference would read the missing axis as complex). Stale
/// types are dropped for inference to recompute. Subgraphs too; a signal's
/// rank comes from the types its graph holds, so this runs again once
/// inference and folding gave them. Returns whether it changed the graph.
static bool completeStftNodes(onnx::GraphProto &g,
                              const std::map<std::string, int> &outer = {}) {
  std::map<std::string, int> rank = outer;
  auto note = [&](const onnx::ValueInfoProto &vi) {
    if (vi.type().has_tensor_type() && vi.type().tensor_type().has_shape())
      rank[vi.name()] = vi.type().tensor_type().shape().dim_size();
  };
  for (const auto &vi : g.input()) note(vi);
  for (const auto &vi : g.value_info()) note(vi);
  for (const auto &t : g.initializer())
    rank[t.name()] = t.dims_size();
  google::protobuf::RepeatedPtrField<onnx::NodeProto> nodes;
  bool changed = false;
  bool changedInside = false;
  for (auto &n : *g.mutable_node())
    for (auto &a : *n.mutable_attribute()) {
      if (a.has_g())
        changedInside |= completeStftNodes(*a.mutable_g(), rank);
      for (auto &sg : *a.mutable_graphs())
        changedInside |= completeStftNodes(sg, rank);
    }
  for (const auto &n : g.node()) {
    bool stft = n.op_type() == "STFT" && n.input_size() > 0 &&
                (n.domain().empty() || n.domain() == "ai.onnx");
    if (!stft) {
      *nodes.Add() = n;
      continue;
    }
    onnx::NodeProto node = n;
    bool sided = false;
    for (const auto &a : n.attribute())
      sided |= a.name() == "onesided";
    if (!sided) {
      onnx::AttributeProto *a = node.add_attribute();
      a->set_name("onesided");
      a->set_type(onnx::AttributeProto::INT);
      a->set_i(1);
      changed = true;
    }
    auto r = rank.find(n.input(0));
    if (r == rank.end() || r->second != 2) {
      *nodes.Add() = node;
      continue;
    }
    std::string axes = n.input(0) + "_stft_axes", sig = n.input(0) + "_stft_signal";
    onnx::NodeProto *c = nodes.Add();
    c->set_op_type("Constant");
    c->add_output(axes);
    onnx::AttributeProto *a = c->add_attribute();
    a->set_name("value");
    a->set_type(onnx::AttributeProto::TENSOR);
    a->mutable_t()->set_data_type(onnx::TensorProto::INT64);
    a->mutable_t()->add_dims(1);
    a->mutable_t()->add_int64_data(-1);
    onnx::NodeProto *u = nodes.Add();
    u->set_op_type("Unsqueeze");
    u->add_input(n.input(0));
    u->add_input(axes);
    u->add_output(sig);
    onnx::NodeProto *s = nodes.Add();
    *s = node;
    s->set_input(0, sig);
    changed = true;
  }
  if (!changed)
    return changedInside;
  g.mutable_node()->Swap(&nodes);
  g.clear_value_info();
  return true;
}


static std::unique_ptr<OnnxModel>
loadOnnxModelUnguarded(llvm::StringRef bytes, llvm::StringRef path,
                       const CompilerOptions &options, std::string &error) {
  auto model = std::make_unique<OnnxModel>();
  model->path = path.str();
  onnx::ModelProto &proto = *model->proto;
  if (path.ends_with(".onnxtext")) {
    // Lines starting with '//' or '#' are comments (lit RUN/CHECK lines);
    // they are blanked so parser positions still match the file's lines.
    std::string text = bytes.str();
    size_t pos = 0;
    while (pos < text.size()) {
      size_t end = text.find('\n', pos);
      if (end == std::string::npos)
        end = text.size();
      size_t first = text.find_first_not_of(" \t", pos);
      if (first < end && (text.compare(first, 2, "//") == 0 || text[first] == '#'))
        std::fill(text.begin() + first, text.begin() + end, ' ');
      pos = end + 1;
    }
    auto status = onnx::OnnxParser::Parse(proto, text.c_str());
    if (!status.IsOK()) {
      error = "'" + path.str() + "' is not valid ONNX text: " +
              status.ErrorMessage();
      return nullptr;
    }
  } else if (bytes.size() > INT32_MAX ||
             !proto.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    error = "'" + path.str() +
            "' is not a valid ONNX model (malformed or truncated protobuf)";
    return nullptr;
  }
  if (!proto.has_graph()) {
    error = "'" + path.str() + "' holds no graph";
    return nullptr;
  }

  // Pin input dimensions before shape inference so it propagates them.
  for (const auto &[name, dims] : options.inputShapes) {
    onnx::ValueInfoProto *vi = nullptr;
    for (auto &in : *proto.mutable_graph()->mutable_input())
      if (in.name() == name)
        vi = &in;
    if (!vi) {
      error = "--input-shape names '" + name + "', which is not a model input";
      return nullptr;
    }
    auto *shape = vi->mutable_type()->mutable_tensor_type()->mutable_shape();
    shape->clear_dim();
    for (int64_t d : dims)
      shape->add_dim()->set_dim_value(d);
  }

  // --dim: a named symbolic dimension, in every input that uses it.
  for (const auto &[name, value] : options.dims) {
    bool used = false;
    for (auto &in : *proto.mutable_graph()->mutable_input()) {
      if (!in.type().has_tensor_type() ||
          !in.type().tensor_type().has_shape())
        continue;
      for (auto &d : *in.mutable_type()->mutable_tensor_type()
                          ->mutable_shape()->mutable_dim())
        if (d.has_dim_param() && d.dim_param() == name) {
          d.set_dim_value(value);
          used = true;
        }
    }
    if (!used) {
      error = "--dim names '" + name +
              "', which no model input has as a symbolic dimension";
      return nullptr;
    }
  }

  if (!freezeInputs(proto, options.inputValues, error))
    return nullptr;
  if (!loadExternalData(proto, path, error))
    return nullptr;
  if (!validateModel(proto, options.limits, error)) {
    error = "'" + path.str() + "': " + error;
    return nullptr;
  }
  try {
    onnx::checker::check_model(proto);
  } catch (const std::exception &e) {
    error = "'" + path.str() + "' failed the ONNX checker: " + e.what();
    return nullptr;
  }
  // ONNX shape inference with data propagation; `after` names the step
  // that came before it in the error.
  auto inferShapes = [&](llvm::StringRef after, bool strict = false) {
    try {
      onnx::ShapeInferenceOptions opts(/*check_type=*/false,
                                       /*error_mode=*/strict ? 1 : 0,
                                       /*data_prop=*/!hasLongVector(proto.graph()));
      onnx::shape_inference::InferShapes(
          proto, onnx::OpSchemaRegistry::Instance(), opts);
      return true;
    } catch (const std::exception &e) {
      error = "shape inference failed on '" + path.str() + "'" + after.str() +
              ": " + e.what();
      return false;
    }
  };
  // The model as given is first inferred strictly, as onnxruntime loads it.
  // Declared types that contradict what a node computes end the compile
  // with ONNX's reason, before a handler relies on either. Other objections
  // (ONNX's inference has gaps of its own, e.g. in some function bodies)
  // are kept for the message of a later failure, and inference reruns
  // leniently.
  completeStftNodes(*proto.mutable_graph());
  bool strictOk = inferShapes("", /*strict=*/true);
  if (!strictOk) {
    if (error.find("differ") != std::string::npos)
      return nullptr;
    model->inferenceNote = error.substr(error.find(": ") + 2);
    error.clear();
  }
  if (!(strictOk || inferShapes("")) || !inlineFunctionOps(proto, path, error))
    return nullptr;
  completeStftNodes(*proto.mutable_graph());
  if (!inferShapes(" after expanding function operators"))
    return nullptr;
  // A signal's rank may be known only once its shape computation folded.
  int64_t unrollBudget = options.limits.maxUnrolledNodes;
  int folded = foldConstantSubgraphs(proto, error, unrollBudget);
  if (folded >= 0 && completeStftNodes(*proto.mutable_graph()))
    folded = inferShapes(" after completing STFT signals")
                 ? foldConstantSubgraphs(proto, error, unrollBudget)
                 : -1;
  model->unrollBudget = unrollBudget;
  // Rewritten QDQ patterns introduce values without types: inferred again.
  if (folded >= 0 && fuseQDQ(*proto.mutable_graph()) > 0 &&
      !inferShapes(" after rewriting QDQ patterns"))
    return nullptr;
  if (folded < 0 || !checkNodeTypes(proto, error)) {
    error = "'" + path.str() + "': " + error;
    return nullptr;
  }
  return model;
}

bool mlir::dlc::finishRewrittenModel(OnnxModel &model, std::string &error) {
  onnx::ModelProto &proto = *model.proto;
  try {
    // The rewrite reads the new values' types; it adds values of its own.
    onnx::ShapeInferenceOptions opts(/*check_type=*/false, /*error_mode=*/0,
                                     /*data_prop=*/!hasLongVector(proto.graph()));
    onnx::shape_inference::InferShapes(proto, onnx::OpSchemaRegistry::Instance(),
                                       opts);
    if (fuseQDQ(*proto.mutable_graph()) > 0)
      onnx::shape_inference::InferShapes(
          proto, onnx::OpSchemaRegistry::Instance(), opts);
  } catch (const std::exception &e) {
    error = "'" + model.path + "': shape inference failed after quantizing: " +
            e.what();
    return false;
  }
  if (!checkNodeTypes(proto, error)) {
    error = "'" + model.path + "': " + error;
    return false;
  }
  return true;
}

std::unique_ptr<OnnxModel>
mlir::dlc::loadOnnxModel(llvm::StringRef path, const CompilerOptions &options,
                         std::string &error) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/true);
  if (!buffer) {
    error = "cannot open '" + path.str() + "': " + buffer.getError().message();
    return nullptr;
  }
  return loadOnnxModelFromBytes((*buffer)->getBuffer(), path, options, error);
}

std::unique_ptr<OnnxModel>
mlir::dlc::loadOnnxModelFromBytes(llvm::StringRef bytes, llvm::StringRef path,
                                  const CompilerOptions &options,
                                  std::string &error) {
  // The boundary for the ONNX library's exceptions (checker, inference,
  // inliner, tensor parsing): a model it rejects in a way the steps above
  // did not anticipate still ends in one message.
  try {
    return loadOnnxModelUnguarded(bytes, path, options, error);
  } catch (const std::bad_alloc &) {
    error = "'" + path.str() + "': out of memory while loading the model";
  } catch (const std::exception &e) {
    error = "'" + path.str() + "': the ONNX library rejected the model: " +
            e.what();
  }
  return nullptr;
}

//===----------------------------------------------------------------------===//
// Import
//===----------------------------------------------------------------------===//

/// Explains why a graph input or output has no static type.
static std::string describeNonStatic(const onnx::ValueInfoProto &vi) {
  const auto &type = vi.type();
  if (!type.has_tensor_type())
    return "is not a tensor";
  if (type.tensor_type().elem_type() == onnx::TensorProto::STRING)
    return "has element type string, which is not supported";
  if (!type.tensor_type().has_shape())
    return "has an unknown rank";
  int i = 0;
  for (const auto &d : type.tensor_type().shape().dim()) {
    if (!d.has_dim_value())
      return "has symbolic dimension " + std::to_string(i) +
             (d.has_dim_param() ? " ('" + d.dim_param() + "')" : "") +
             "; pin it with --input-shape " + vi.name() + "=...";
    ++i;
  }
  return "has an unsupported element type";
}

/// True (and outputs bound to tensor.empty) if every output of `node` is a
/// statically known tensor with zero elements.
static bool producesOnlyEmptyTensors(ImportContext &ictx,
                                     const onnx::NodeProto &node) {
  SmallVector<RankedTensorType> types;
  for (const auto &name : node.output()) {
    if (name.empty())
      continue;
    RankedTensorType t = ictx.knownType(name);
    if (!t || t.getNumElements() != 0)
      return false;
    types.push_back(t);
  }
  if (types.empty())
    return false;
  unsigned k = 0;
  for (int i = 0; i < node.output_size(); ++i)
    if (!node.output(i).empty()) {
      RankedTensorType t = types[k++];
      ictx.setOutput(i, tensor::EmptyOp::create(ictx.b, t.getShape(),
                                                t.getElementType()));
    }
  return true;
}

/// Windowed operators, before their handler builds anything: window
/// attributes in range, padded extents within the tensor limit (a pad of
/// 2^31 would otherwise overflow the lowering's offsets or loop for hours),
/// and, for pooling, pads smaller than the window as onnxruntime requires
/// (a window wholly in padding has nothing to pool).
static LogicalResult checkWindow(ImportContext &c) {
  static const llvm::StringMap<int> weightInput = {
      {"Conv", 1}, {"ConvInteger", 1}, {"QLinearConv", 3}, {"DeformConv", 1},
      {"ConvTranspose", 1}, {"MaxPool", -1}, {"AveragePool", -1},
      {"LpPool", -1}};
  const onnx::NodeProto &node = *c.node;
  auto it = weightInput.find(node.op_type());
  if (it == weightInput.end() || node.input_size() == 0)
    return success();
  RankedTensorType in = c.knownType(node.input(0));
  if (!in)
    return success(); // The handler reports what it needs.
  if (in.getRank() < 3)
    return c.fail("input '" + node.input(0) + "' has rank " +
                  std::to_string(in.getRank()) +
                  "; it needs N, C and at least one spatial dimension");
  size_t n = in.getRank() - 2;
  std::vector<int64_t> kernel = c.attrInts("kernel_shape");
  if (kernel.empty() && it->second >= 0 && it->second < node.input_size()) {
    SmallVector<int64_t> wShape;
    bool known = true;
    if (RankedTensorType w = c.knownType(node.input(it->second)))
      wShape.assign(w.getShape().begin(), w.getShape().end());
    else if (auto k = c.constInput(it->second))
      wShape.assign(k->shape.begin(), k->shape.end());
    else
      known = false;
    if (known && wShape.size() != size_t(in.getRank()))
      return c.fail("the weight has rank " + std::to_string(wShape.size()) +
                    ", the input " + std::to_string(in.getRank()));
    if (wShape.size() == size_t(in.getRank()))
      kernel.assign(wShape.begin() + 2, wShape.end());
  }
  std::vector<int64_t> pads = c.attrInts("pads"), dil = c.attrInts("dilations"),
                       strides = c.attrInts("strides");
  constexpr int64_t kMaxWindow = int64_t(1) << 31;
  for (auto [name, v, lo] :
       {std::tuple{"kernel_shape", &kernel, 1}, {"pads", &pads, 0},
        {"dilations", &dil, 1}, {"strides", &strides, 1}})
    for (int64_t x : *v)
      if (x < lo || x >= kMaxWindow)
        return c.fail(std::string(name) + " value " + std::to_string(x) +
                      " must lie in [" + std::to_string(lo) + ", 2^31)");
  bool isPool = it->second < 0;
  bool isTransposed = node.op_type() == "ConvTranspose";
  std::vector<int64_t> padded(in.getShape().begin(), in.getShape().end());
  for (size_t i = 0; i < n; ++i) {
    int64_t d = i < dil.size() ? dil[i] : 1;
    int64_t k = i < kernel.size() ? kernel[i] : 1;
    int64_t extent = (k - 1) * d + 1; // < 2^62: both below 2^31.
    int64_t pb = pads.size() == 2 * n ? pads[i] : 0;
    int64_t pe = pads.size() == 2 * n ? pads[i + n] : 0;
    if (isPool && (pb >= extent || pe >= extent))
      return c.fail("pads (" + std::to_string(pb) + ", " + std::to_string(pe) +
                    ") along spatial axis " + std::to_string(i) +
                    " must be smaller than the window (" +
                    std::to_string(extent) + ")");
    if (!isTransposed)
      padded[2 + i] += pb + pe;
    else if (i < strides.size())
      padded[2 + i] = (padded[2 + i] - 1) * strides[i] + extent;
  }
  auto t = RankedTensorType::get(padded, in.getElementType());
  if (!isReasonableSize(t, c.limits.maxTensorBytes))
    return c.fail("the padded input would have shape " +
                  llvm::join(llvm::map_range(padded, [](int64_t x) {
                               return std::to_string(x);
                             }),
                             "x") +
                  ", above the largest supported tensor (" +
                  std::to_string(c.limits.maxTensorBytes) +
                  " bytes, --max-tensor-bytes)");
  return success();
}

/// Operators whose handlers index the channel (and spatial) dimensions of
/// input 0 need at least this rank; ONNX's inference does not always say.
static LogicalResult checkMinRank(ImportContext &c) {
  static const llvm::StringMap<int64_t> minRank = {
      {"BatchNormalization", 2}, {"InstanceNormalization", 2},
      {"GroupNormalization", 2}, {"LRN", 3},
      {"GlobalAveragePool", 3},  {"GlobalMaxPool", 3},
      {"GlobalLpPool", 3},       {"SpaceToDepth", 4},
      {"DepthToSpace", 4},       {"MaxRoiPool", 4},
      {"RoiAlign", 4}};
  auto it = minRank.find(c.node->op_type());
  if (it == minRank.end() || c.node->input_size() == 0)
    return success();
  RankedTensorType in = c.knownType(c.node->input(0));
  if (in && in.getRank() < it->second)
    return c.fail("input '" + c.node->input(0) + "' has rank " +
                  std::to_string(in.getRank()) + "; it needs at least " +
                  std::to_string(it->second));
  return success();
}

/// Imports the nodes of `graph` (the model's, or a subgraph inlined by
/// If) at the current insertion point.
static LogicalResult importNodes(ImportContext &ictx,
                                 const onnx::GraphProto &graph, int64_t opset,
                                 bool subgraph) {
  for (const auto &node : graph.node()) {
    ictx.setNode(node);
    HandlerFn fn = lookupHandler(node, ictx.opsets);
    if (!fn) // Subgraph nodes are not in the up-front check.
      return ictx.fail("unsupported operator at opset " +
                       std::to_string(opset));
    // Nor in the up-front schema type check: their types are known now.
    if (subgraph)
      if (std::string e = checkNodeInputTypes(
              node, ictx.opsets, [&](int i) { return ictx.inputDType(i); });
          !e.empty())
        return emitError(ictx.b.getLoc()) << e;
    // A node whose outputs are all empty computes nothing: its results are
    // empty tensors (TOSA has no zero-sized tensors, so its ops are skipped).
    if (producesOnlyEmptyTensors(ictx, node))
      continue;
    try {
      if (failed(checkWindow(ictx)) || failed(checkMinRank(ictx)) ||
          failed(fn(ictx)))
        return failure();
    } catch (const std::exception &e) {
      // The ONNX library reports malformed tensors by throwing.
      return ictx.fail(e.what());
    }
    for (int i = 0; i < node.output_size(); ++i)
      if (!node.output(i).empty() && !ictx.isSequence(node.output(i)) &&
          !ictx.lookup(node.output(i)))
        return ictx.fail("produced no value for output '" + node.output(i) +
                         "'");
  }
  return success();
}

/// Checks every tensor the import built, intermediates included (a Tile or
/// Pad handler may compute a shape nobody declared), against the limits;
/// reports the first offender by the node it came from.
static LogicalResult checkImportedTypes(func::FuncOp func,
                                        const ImportLimits &limits) {
  WalkResult r = func.walk([&](Operation *op) {
    for (Type t : op->getResultTypes()) {
      auto rt = dyn_cast<RankedTensorType>(t);
      if (!rt || !rt.hasStaticShape())
        continue;
      bool rankOk = rt.getRank() <= limits.maxRank;
      if (rankOk && isReasonableSize(rt, limits.maxTensorBytes))
        continue;
      std::string who = "a node";
      if (auto nl = dyn_cast<NameLoc>(op->getLoc()))
        who = "the node '" + nl.getName().str() + "'";
      InFlightDiagnostic d = emitError(op->getLoc()) << who << " computes a tensor of type " << rt;
      if (!rankOk)
        d << ", above the rank limit of " << limits.maxRank << " (--max-rank)";
      else
        d << ", above the largest supported tensor (" << limits.maxTensorBytes
          << " bytes, --max-tensor-bytes)";
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return failure(r.wasInterrupted());
}

static OwningOpRef<ModuleOp> importOnnxModelUnguarded(MLIRContext *context,
                                                      const OnnxModel &model,
                                                      const CompilerOptions &options) {
  context->loadDialect<func::FuncDialect, tosa::TosaDialect, DLCDialect,
                      tensor::TensorDialect, arith::ArithDialect,
                      linalg::LinalgDialect, math::MathDialect,
                      scf::SCFDialect, bufferization::BufferizationDialect>();
  const onnx::ModelProto &proto = *model.proto;
  const onnx::GraphProto &graph = proto.graph();
  int64_t opset = defaultOpset(proto);
  std::map<std::string, int64_t> opsets = modelOpsets(proto);
  Location fileLoc = FileLineColLoc::get(context, model.path, 0, 0);

  // Every unsupported operator, at once.
  std::vector<std::string> unsupported;
  for (const auto &node : graph.node()) {
    bool known = lookupHandler(node, opsets);
    if (!known)
      unsupported.push_back(
          "'" + (node.name().empty() ? node.output(0) : node.name()) + "' (" +
          (node.domain().empty() ? "" : node.domain() + ".") +
          node.op_type() + ")");
  }
  if (!unsupported.empty()) {
    auto diag = emitError(fileLoc) << unsupported.size()
                                   << " unsupported operator node(s) at opset "
                                   << opset << ": ";
    llvm::interleaveComma(unsupported, diag);
    return nullptr;
  }

  ImportContext ictx(context, graph, opset, model.path);
  ictx.opsets = opsets;
  ictx.limits = options.limits;
  ictx.inferenceNote = model.inferenceNote;
  ictx.limits.maxUnrolledNodes = model.unrollBudget;
  std::set<std::string> initNames;
  for (const auto &init : graph.initializer()) {
    initNames.insert(init.name());
    ictx.addConstant(init.name(), init);
  }
  for (const auto &vi : graph.value_info())
    ictx.addValueInfo(vi);
  for (const auto &vi : graph.output())
    ictx.addValueInfo(vi);
  for (const auto &vi : graph.input())
    ictx.addValueInfo(vi);

  OpBuilder builder(context);
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  SmallVector<Type> argTypes, resultTypes;
  SmallVector<const onnx::ValueInfoProto *> inputs;
  for (const auto &vi : graph.input()) {
    if (initNames.count(vi.name()))
      continue;
    RankedTensorType t = ictx.staticType(vi.type());
    if (!t) {
      emitError(fileLoc) << "input '" << vi.name() << "' "
                         << describeNonStatic(vi);
      return nullptr;
    }
    if (!isReasonableSize(t, options.limits.maxTensorBytes)) {
      emitError(fileLoc) << "input '" << vi.name() << "' of type " << t
                         << " exceeds the largest supported tensor ("
                         << options.limits.maxTensorBytes
                         << " bytes, --max-tensor-bytes)";
      return nullptr;
    }
    argTypes.push_back(t);
    inputs.push_back(&vi);
  }
  for (const auto &vi : graph.output()) {
    RankedTensorType t = ictx.staticType(vi.type());
    // A tensor output whose dimensions shape inference left symbolic (it
    // does not look through sequences) takes the imported value's type.
    if (!t && !(vi.type().has_tensor_type() &&
                vi.type().tensor_type().has_shape() &&
                vi.type().tensor_type().elem_type() !=
                    onnx::TensorProto::STRING)) {
      emitError(fileLoc) << "output '" << vi.name() << "' "
                         << describeNonStatic(vi);
      return nullptr;
    }
    resultTypes.push_back(t);
  }

  builder.setInsertionPointToEnd(module->getBody());
  auto func = func::FuncOp::create(builder, fileLoc, kEntryName,
                                   builder.getFunctionType(argTypes,
                                                           resultTypes));
  auto ioAttrs = [&](const onnx::ValueInfoProto &vi) {
    return builder.getDictionaryAttr(
        {builder.getNamedAttr(kNameAttr, builder.getStringAttr(vi.name())),
         builder.getNamedAttr(
             kDTypeAttr,
             builder.getI32IntegerAttr(vi.type().tensor_type().elem_type()))});
  };
  Block *entry = func.addEntryBlock();
  for (size_t i = 0; i < inputs.size(); ++i) {
    func.setArgAttrs(i, ioAttrs(*inputs[i]));
    ictx.bindValue(inputs[i]->name(), entry->getArgument(i));
  }
  for (int i = 0; i < graph.output_size(); ++i)
    func.setResultAttrs(i, ioAttrs(graph.output(i)));

  ictx.b.setInsertionPointToEnd(entry);
  ictx.importSubgraph = [&](const onnx::GraphProto &g) {
    return importNodes(ictx, g, opset, /*subgraph=*/true);
  };
  if (failed(importNodes(ictx, graph, opset, /*subgraph=*/false)) ||
      failed(checkImportedTypes(func, options.limits)))
    return nullptr;

  SmallVector<Value> results;
  for (int i = 0; i < graph.output_size(); ++i) {
    Value v = ictx.lookup(graph.output(i).name());
    if (!resultTypes[i]) {
      auto t = v ? dyn_cast<RankedTensorType>(v.getType()) : nullptr;
      if (!t || !t.hasStaticShape()) {
        emitError(fileLoc) << "output '" << graph.output(i).name() << "' "
                           << describeNonStatic(graph.output(i));
        return nullptr;
      }
      resultTypes[i] = t;
    }
    if (!v || v.getType() != resultTypes[i]) {
      emitError(fileLoc) << "graph output '" << graph.output(i).name()
                         << "' has type "
                         << (v ? v.getType() : Type()) << ", expected "
                         << resultTypes[i];
      return nullptr;
    }
    results.push_back(v);
  }
  ictx.b.setLoc(fileLoc);
  func::ReturnOp::create(ictx.b, results);
  func.setType(builder.getFunctionType(argTypes, resultTypes));
  // Handlers trust the types shape inference settled on; where the model
  // declares types that contradict what its nodes compute, the built ops do
  // not verify. Say so once, naming the node, instead of the verifier's
  // wording alone.
  std::string first;
  Location where = fileLoc;
  {
    ScopedDiagnosticHandler capture(context, [&](Diagnostic &d) {
      if (first.empty() && d.getSeverity() == DiagnosticSeverity::Error) {
        first = d.str();
        where = d.getLocation();
      }
      return success();
    });
    if (succeeded(verify(*module)))
      return module;
  }
  emitError(where) << "the node's computed types contradict the types the "
                      "model declares (" << first << ")";
  return nullptr;
}

OwningOpRef<ModuleOp> mlir::dlc::importOnnxModel(MLIRContext *context,
                                                 const OnnxModel &model,
                                                 const CompilerOptions &options) {
  // Handlers read constants through the ONNX library, which throws on
  // malformed data; validateModel should have caught that, but no exception
  // may end the process.
  try {
    return importOnnxModelUnguarded(context, model, options);
  } catch (const std::bad_alloc &) {
    emitError(FileLineColLoc::get(context, model.path, 0, 0))
        << "out of memory while importing the model";
  } catch (const std::exception &e) {
    emitError(FileLineColLoc::get(context, model.path, 0, 0))
        << "malformed model contents: " << e.what();
  }
  return nullptr;
}

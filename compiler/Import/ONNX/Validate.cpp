//===- Validate.cpp - a model's contents checked before they are used -----===//
//
// Why dlc's own checks and not only the ONNX checker's: the checker accepts
// raw data longer than the shape needs, leaves element counts that overflow
// to the readers, and knows nothing of what the compiler can allocate. The
// ONNX library also reads tensors with no bounds checks of its own
// (onnx::ParseData), so everything it reads must be consistent first.
//
//===----------------------------------------------------------------------===//

#include "compiler/Import/ONNX/Validate.h"
#include "compiler/Import/ONNX/SmallTypes.h"

#include "onnx/defs/data_type_utils.h"
#include "onnx/defs/schema.h"
#include "onnx/onnx_pb.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/MathExtras.h"

#include <deque>
#include <cstring>
#include <map>
#include <set>

using namespace mlir;
using onnx::TensorProto;

std::optional<int64_t>
mlir::dlc::checkedElementCount(llvm::ArrayRef<int64_t> dims) {
  int64_t n = 1;
  for (int64_t d : dims)
    if (d < 0 || llvm::MulOverflow(n, d, n))
      return std::nullopt;
  return n;
}

/// How messages name a node: by its name, else by its first output.
static std::string describeNode(const onnx::NodeProto &node) {
  return !node.name().empty() ? "node '" + node.name() + "'"
         : node.output_size() ? "the node producing '" + node.output(0) + "'"
                              : "a " + node.op_type() + " node";
}

std::string mlir::dlc::forEachTensor(
    onnx::GraphProto &graph,
    const std::function<std::string(TensorProto &, const std::string &)> &fn) {
  for (auto &t : *graph.mutable_initializer())
    if (std::string e = fn(t, "initializer '" + t.name() + "'"); !e.empty())
      return e;
  for (auto &node : *graph.mutable_node()) {
    std::string who = describeNode(node);
    for (auto &a : *node.mutable_attribute()) {
      std::string where = "attribute '" + a.name() + "' of " + who;
      if (a.has_t())
        if (std::string e = fn(*a.mutable_t(), where); !e.empty())
          return e;
      for (auto &t : *a.mutable_tensors())
        if (std::string e = fn(t, where); !e.empty())
          return e;
      if (a.has_g())
        if (std::string e = forEachTensor(*a.mutable_g(), fn); !e.empty())
          return e;
      for (auto &g : *a.mutable_graphs())
        if (std::string e = forEachTensor(g, fn); !e.empty())
          return e;
    }
  }
  return "";
}

/// Bytes per element as stored in raw_data, in eighths (4- and 2-bit types
/// pack); 0 for types with no raw form (strings) or unknown codes.
static int64_t rawEighths(int32_t dtype) {
  switch (dtype) {
  case TensorProto::BOOL: case TensorProto::INT8: case TensorProto::UINT8:
    return 8;
  case TensorProto::INT16: case TensorProto::UINT16:
  case TensorProto::FLOAT16: case TensorProto::BFLOAT16:
    return 16;
  case TensorProto::FLOAT: case TensorProto::INT32: case TensorProto::UINT32:
    return 32;
  case TensorProto::DOUBLE: case TensorProto::INT64: case TensorProto::UINT64:
  case TensorProto::COMPLEX64:
    return 64;
  case TensorProto::COMPLEX128:
    return 128;
  default:
    return ::dlc::small::isSmallType(dtype)
               ? ::dlc::small::storedBits(dtype)
               : 0;
  }
}

/// The number of entries the typed field of `t` holds, and how many
/// elements one entry may carry (4- and 2-bit types may pack several).
static std::pair<int64_t, int64_t> typedEntries(const TensorProto &t) {
  switch (t.data_type()) {
  case TensorProto::FLOAT: return {t.float_data_size(), 1};
  case TensorProto::COMPLEX64: return {t.float_data_size() / 2, 1};
  case TensorProto::DOUBLE: return {t.double_data_size(), 1};
  case TensorProto::COMPLEX128: return {t.double_data_size() / 2, 1};
  case TensorProto::INT64: return {t.int64_data_size(), 1};
  case TensorProto::UINT32: case TensorProto::UINT64:
    return {t.uint64_data_size(), 1};
  case TensorProto::STRING: return {t.string_data_size(), 1};
  default:
    return {t.int32_data_size(),
            8 / std::max(1, ::dlc::small::storedBits(t.data_type()))};
  }
}

static bool hasTypedData(const TensorProto &t) {
  return t.float_data_size() || t.double_data_size() || t.int32_data_size() ||
         t.int64_data_size() || t.uint64_data_size() || t.string_data_size();
}

/// The tensor type inside `t`, through sequence and optional wrappers;
/// null for maps and unset types.
static const onnx::TypeProto_Tensor *tensorTypeOf(const onnx::TypeProto &t) {
  for (const onnx::TypeProto *p = &t;;) {
    if (p->has_tensor_type())
      return &p->tensor_type();
    if (p->has_sequence_type() && p->sequence_type().has_elem_type())
      p = &p->sequence_type().elem_type();
    else if (p->has_optional_type() && p->optional_type().has_elem_type())
      p = &p->optional_type().elem_type();
    else
      return nullptr;
  }
}

/// Checks one tensor's type, shape and data; "" if it is consistent.
static std::string checkTensor(const TensorProto &t, const std::string &where,
                               const mlir::dlc::ImportLimits &limits) {
  int32_t dtype = t.data_type();
  if (!TensorProto::DataType_IsValid(dtype) ||
      dtype == TensorProto::UNDEFINED)
    return where + " has data type " + std::to_string(dtype) +
           ", which ONNX does not define";
  if (t.dims_size() > limits.maxRank)
    return where + " has rank " + std::to_string(t.dims_size()) +
           ", above the limit of " + std::to_string(limits.maxRank) +
           " (--max-rank)";
  std::vector<int64_t> dims(t.dims().begin(), t.dims().end());
  for (int64_t d : dims)
    if (d < 0)
      return where + " has a negative dimension (" + std::to_string(d) + ")";
  std::optional<int64_t> count = mlir::dlc::checkedElementCount(dims);
  int64_t eighths = rawEighths(dtype);
  int64_t perElement = std::max<int64_t>(1, eighths / 8);
  if (!count || *count > limits.maxTensorBytes / perElement)
    return where + " has " +
           (count ? std::to_string(*count) : std::string("more than 2^63")) +
           " elements, above the largest supported tensor (" +
           std::to_string(limits.maxTensorBytes) +
           " bytes, --max-tensor-bytes)";
  if (t.data_location() == TensorProto::EXTERNAL)
    return ""; // Read (and checked) when the model's external data loads.
  if (t.has_raw_data()) {
    if (hasTypedData(t))
      return where + " holds both raw_data and typed data";
    if (eighths == 0)
      return where + " of this data type cannot use raw_data";
    int64_t need = (*count * eighths + 7) / 8;
    if (int64_t(t.raw_data().size()) != need)
      return where + " holds " + std::to_string(t.raw_data().size()) +
             " bytes of raw_data; its shape and type need " +
             std::to_string(need);
    return "";
  }
  auto [entries, perEntry] = typedEntries(t);
  bool ok = entries == *count ||
            (perEntry > 1 && entries == (*count + perEntry - 1) / perEntry);
  if (!ok)
    return where + " holds " + std::to_string(entries) +
           " values; its shape needs " + std::to_string(*count);
  return "";
}

/// Inputs that hold a shape, or per-dimension values (at most 2 x rank of
/// them): a long one would make shape inference build one object per
/// element.
/// Whether an Einsum equation is well formed before ONNX's inference reads
/// it: letters, ',', spaces, at most one "->", dots only as one "..." per
/// term, and one left-hand term per input. Returns the reason, or "".
static std::string checkEinsumEquation(const std::string &eq, int inputs) {
  if (!llvm::all_of(eq, [](char ch) {
        return llvm::isAlpha(ch) || llvm::StringRef(",.-> ").contains(ch);
      }))
    return "the equation may hold only letters, ',', '.', '->' and spaces";
  llvm::StringRef s(eq);
  auto [lhs, rhs] = s.split("->");
  bool arrow = lhs.size() != s.size();
  if (lhs.find_first_of("->") != llvm::StringRef::npos ||
      (arrow && rhs.find_first_of(",->") != llvm::StringRef::npos))
    return "the equation may hold '-' and '>' only as one '->', with no ','"
           " after it";
  llvm::SmallVector<llvm::StringRef> terms;
  lhs.split(terms, ',');
  int in = static_cast<int>(terms.size());
  if (arrow)
    terms.push_back(rhs);
  for (llvm::StringRef t : terms) {
    size_t dots = t.count('.');
    if (dots && (dots != 3 || t.find("...") == llvm::StringRef::npos))
      return "a term of the equation may hold '.' only as one '...'";
  }
  if (in != inputs)
    return "the equation has " + std::to_string(in) + " input term(s) for " +
           std::to_string(inputs) + " input(s)";
  return "";
}

static const llvm::StringMap<std::vector<int>> &shapeInputs() {
  static const llvm::StringMap<std::vector<int>> m = {
      {"Reshape", {1}},        {"Expand", {1}},    {"ConstantOfShape", {0}},
      {"Tile", {1}},           {"Slice", {1, 2, 3, 4}}, {"Pad", {1, 3}},
      {"Resize", {1, 2, 3}},   {"Squeeze", {1}},   {"Unsqueeze", {1}},
      {"CenterCropPad", {1, 2}}, {"Col2Im", {1, 2}}, {"ReduceSum", {1}},
      {"ReduceMean", {1}},     {"ReduceMax", {1}}, {"ReduceMin", {1}},
      {"ReduceProd", {1}},     {"ReduceL1", {1}},  {"ReduceL2", {1}},
      {"ReduceLogSum", {1}},   {"ReduceLogSumExp", {1}},
      {"ReduceSumSquare", {1}}};
  return m;
}

static std::string checkGraph(const onnx::GraphProto &g,
                              const mlir::dlc::ImportLimits &limits) {
  // Element counts of the graph's constants, for shape-valued inputs.
  llvm::StringMap<int64_t> constCount;
  auto count = [](const TensorProto &t) -> int64_t {
    return mlir::dlc::checkedElementCount(
               std::vector<int64_t>(t.dims().begin(), t.dims().end()))
        .value_or(INT64_MAX);
  };
  for (const auto &t : g.initializer())
    constCount[t.name()] = count(t);
  auto rankOf = [&](const onnx::ValueInfoProto &vi) -> std::string {
    const onnx::TypeProto_Tensor *tt = tensorTypeOf(vi.type());
    if (tt && tt->has_shape() && tt->shape().dim_size() > limits.maxRank)
      return "'" + vi.name() + "' is declared with rank " +
             std::to_string(tt->shape().dim_size()) +
             ", above the limit of " + std::to_string(limits.maxRank) +
             " (--max-rank)";
    return "";
  };
  for (const auto *list : {&g.input(), &g.output(), &g.value_info()})
    for (const auto &vi : *list)
      if (std::string e = rankOf(vi); !e.empty())
        return e;
  for (const auto &node : g.node()) {
    std::string who = describeNode(node) + " (" + node.op_type() + ")";
    if (node.input_size() > limits.maxOperands ||
        node.output_size() > limits.maxOperands)
      return who + " has " +
             std::to_string(std::max(node.input_size(), node.output_size())) +
             " operands, above the limit of " +
             std::to_string(limits.maxOperands) + " (--max-operands)";
    if (node.op_type() == "Constant" && node.output_size() == 1) {
      for (const auto &a : node.attribute()) {
        if (a.has_t())
          constCount[node.output(0)] = count(a.t());
        else if (a.ints_size() || a.floats_size())
          constCount[node.output(0)] = a.ints_size() + a.floats_size();
      }
    }
    // ONNX's inference of some operators indexes with an axis before
    // checking it (LayerNormalization's axis; GatherND's batch_dims, which
    // it never checks for a negative value).
    for (const auto &a : node.attribute()) {
      bool axis = a.name() == "axis" || a.name() == "axes";
      if (!axis && a.name() != "batch_dims")
        continue;
      for (int64_t v : a.has_i() ? std::vector<int64_t>{a.i()}
                                 : std::vector<int64_t>(a.ints().begin(),
                                                        a.ints().end()))
        if (v < (axis ? -limits.maxRank : 0) || v >= limits.maxRank)
          return who + ": attribute '" + a.name() + "' value " +
                 std::to_string(v) + " is beyond any rank up to " +
                 std::to_string(limits.maxRank) + " (--max-rank)" +
                 (axis ? "" : " or negative");
    }
    // ONNX's Einsum inference indexes a table by the equation's letters and
    // trusts its structure (a '-' not followed by '>' segfaulted it).
    if (node.op_type() == "Einsum")
      for (const auto &a : node.attribute())
        if (a.name() == "equation")
          if (std::string e = checkEinsumEquation(a.s(), node.input_size());
              !e.empty())
            return who + ": " + e;
    auto it = shapeInputs().find(node.op_type());
    if (it != shapeInputs().end())
      for (int i : it->second) {
        if (i >= node.input_size())
          continue;
        auto c = constCount.find(node.input(i));
        if (c != constCount.end() && c->second > 2 * limits.maxRank)
          return who + ": input '" + node.input(i) + "' holds " +
                 std::to_string(c->second) +
                 " per-dimension values, more than twice the rank limit of " +
                 std::to_string(limits.maxRank) + " (--max-rank)";
      }
    for (const auto &a : node.attribute()) {
      if (a.has_g())
        if (std::string e = checkGraph(a.g(), limits); !e.empty())
          return e;
      for (const auto &sub : a.graphs())
        if (std::string e = checkGraph(sub, limits); !e.empty())
          return e;
    }
  }
  return "";
}

bool mlir::dlc::validateModel(onnx::ModelProto &model,
                              const ImportLimits &limits, std::string &error) {
  // Opsets newer than the ONNX library's: its schemas would silently stand
  // in for operator versions it has never seen.
  const auto &ranges = onnx::OpSchemaRegistry::DomainToVersionRange::Instance()
                           .Map();
  for (const auto &o : model.opset_import()) {
    std::string domain = o.domain() == "ai.onnx" ? "" : o.domain();
    auto r = ranges.find(domain);
    if (r == ranges.end())
      continue; // Nodes of unknown domains are reported as unsupported.
    if (o.version() < 1 || o.version() > r->second.second) {
      error = "opset " + std::to_string(o.version()) + " of domain '" +
              (domain.empty() ? "ai.onnx" : domain) +
              "' is outside the range this dlc knows (1-" +
              std::to_string(r->second.second) + ")";
      return false;
    }
  }
  // A negative declared dimension means nothing in ONNX (some exporters
  // write -1 for "unknown"); ONNX's own shape inference indexes with it.
  // It becomes an unknown dimension, which --input-shape/--dim can pin.
  auto *g = model.mutable_graph();
  for (auto *list : {g->mutable_input(), g->mutable_output(),
                     g->mutable_value_info()})
    for (auto &vi : *list)
      if (vi.type().has_tensor_type() && vi.type().tensor_type().has_shape())
        for (auto &d : *vi.mutable_type()->mutable_tensor_type()
                            ->mutable_shape()->mutable_dim())
          if (d.has_dim_value() && d.dim_value() < 0)
            d.clear_dim_value();
  std::set<std::string> outputs;
  for (const auto &o : model.graph().output())
    if (!outputs.insert(o.name()).second) {
      error = "graph output '" + o.name() + "' is listed twice";
      return false;
    }
  if (model.graph().output_size() == 0) {
    error = "the graph has no outputs";
    return false;
  }
  error = checkGraph(model.graph(), limits);
  if (error.empty())
    error = forEachTensor(
        *model.mutable_graph(),
        [&](TensorProto &t, const std::string &where) -> std::string {
          return checkTensor(t, where, limits);
        });
  return error.empty();
}

std::string mlir::dlc::checkNodeInputTypes(
    const onnx::NodeProto &node, const std::map<std::string, int64_t> &opsets,
    const std::function<int32_t(int)> &elemType) {
  std::string domain = node.domain() == "ai.onnx" ? "" : node.domain();
  auto version = opsets.find(domain);
  if (version == opsets.end())
    return ""; // Reported as unsupported.
  const onnx::OpSchema *schema = onnx::OpSchemaRegistry::Schema(
      node.op_type(), int(version->second), domain);
  if (!schema || schema->inputs().empty())
    return "";
  const auto &formals = schema->inputs();
  std::string who = describeNode(node);
  // Type parameter -> the first type bound to it, and by which formal.
  std::map<std::string, std::pair<onnx::DataType, size_t>> bound;
  for (int i = 0; i < node.input_size(); ++i) {
    size_t f = std::min<size_t>(i, formals.size() - 1);
    // Only optional inputs may be omitted ("").
    if (node.input(i).empty() &&
        formals[f].GetOption() !=
            onnx::OpSchema::FormalParameterOption::Optional)
      return who + " (" + node.op_type() + "): required input " +
             std::to_string(i) + " ('" + formals[f].GetName() + "') is empty";
    if (node.input(i).empty() ||
        (size_t(i) >= formals.size() &&
         formals.back().GetOption() !=
             onnx::OpSchema::FormalParameterOption::Variadic))
      continue;
    int32_t elem = elemType(i);
    if (elem == 0)
      continue;
    onnx::DataType dt;
    try {
      onnx::TypeProto t;
      t.mutable_tensor_type()->set_elem_type(elem);
      dt = onnx::Utils::DataTypeUtils::ToType(t);
    } catch (const std::exception &) {
      continue;
    }
    // Inputs that share a type parameter (MatMul's A and B are both T)
    // must agree.
    auto [b, fresh] = bound.insert({formals[f].GetTypeStr(), {dt, f}});
    if (!fresh && b->second.first != dt &&
        (b->second.second != f || formals[f].GetIsHomogeneous()))
      return who + " (" + node.op_type() + "): input " + std::to_string(i) +
             " ('" + node.input(i) + "') has type " + *dt + ", but an " +
             "earlier input of the same type parameter " +
             formals[f].GetTypeStr() + " has " + *b->second.first;
    const auto &allowed = formals[f].GetTypes();
    if (allowed.empty() || allowed.count(dt))
      continue;
    return who + " (" + node.op_type() + "): input " + std::to_string(i) +
           " ('" + node.input(i) + "') has type " + *dt + ", which " +
           node.op_type() + "-" + std::to_string(schema->SinceVersion()) +
           " does not accept";
  }
  return "";
}

bool mlir::dlc::checkNodeTypes(const onnx::ModelProto &model,
                               std::string &error) {
  // Every imported domain's opset: the ai.onnx.ml and training operators
  // have ONNX schemas too.
  std::map<std::string, int64_t> opsets = {{"", 1}};
  for (const auto &o : model.opset_import())
    opsets[o.domain() == "ai.onnx" ? "" : o.domain()] = o.version();
  const onnx::GraphProto &g = model.graph();
  std::map<std::string, int32_t> types; // value -> tensor element type
  for (const auto &t : g.initializer())
    types[t.name()] = t.data_type();
  for (const auto *list : {&g.input(), &g.value_info(), &g.output()})
    for (const auto &vi : *list)
      types[vi.name()] =
          vi.type().has_tensor_type() ? vi.type().tensor_type().elem_type() : 0;
  for (const auto &node : g.node()) {
    error = checkNodeInputTypes(node, opsets, [&](int i) {
      auto it = types.find(node.input(i));
      return it == types.end() ? 0 : it->second;
    });
    if (!error.empty())
      return false;
  }
  return true;
}

/// True if a value with a dimension above 2^22 is declared anywhere in `g`. ONNX's
/// data propagation represents any 1-D value of known length as a shape
/// with one object per element (a float[2^31] input took 24 GB); no shape
/// is that long, so such models are inferred without it.
bool mlir::dlc::hasLongVector(const onnx::GraphProto &g) {
  constexpr int64_t kLongest = int64_t(1) << 22;
  for (const auto *list : {&g.input(), &g.value_info(), &g.output()})
    for (const auto &vi : *list)
      if (const onnx::TypeProto_Tensor *tt = tensorTypeOf(vi.type());
          tt && tt->has_shape() &&
          llvm::any_of(tt->shape().dim(), [&](const auto &d) {
            return d.dim_value() > kLongest;
          }))
        return true;
  for (const auto &t : g.initializer())
    if (t.dims_size() == 1 && t.dims(0) > kLongest)
      return true;
  // A small constant that gives a shape (Reshape's, Expand's, ...) a
  // dimension that long: inference would give that dimension to a value
  // and propagate it (a Reshape to 2^61 ran data propagation out of memory).
  std::map<std::string, const onnx::TensorProto *> constants;
  for (const auto &t : g.initializer())
    constants[t.name()] = &t;
  for (const auto &n : g.node())
    if (n.op_type() == "Constant" && n.output_size() == 1)
      for (const auto &a : n.attribute())
        if (a.name() == "value" && a.has_t())
          constants[n.output(0)] = &a.t();
  static const std::map<std::string, int> shapeInput = {
      {"Reshape", 1}, {"Expand", 1}, {"ConstantOfShape", 0}, {"Tile", 1}};
  for (const auto &n : g.node()) {
    auto s = shapeInput.find(n.op_type());
    if (s == shapeInput.end() || n.input_size() <= s->second)
      continue;
    auto c = constants.find(n.input(s->second));
    if (c == constants.end() || c->second->data_type() != onnx::TensorProto::INT64)
      continue;
    const onnx::TensorProto &t = *c->second;
    const std::string &raw = t.raw_data();
    for (int64_t k = 0, e = t.has_raw_data() ? int64_t(raw.size() / 8)
                                              : t.int64_data_size();
         k < e && k < 64; ++k) {
      int64_t v;
      if (t.has_raw_data())
        std::memcpy(&v, raw.data() + 8 * k, 8);
      else
        v = t.int64_data(k);
      if (v > kLongest)
        return true;
    }
  }
  for (const auto &n : g.node())
    for (const auto &a : n.attribute()) {
      if (a.has_g() && hasLongVector(a.g()))
        return true;
      for (const auto &sub : a.graphs())
        if (hasLongVector(sub))
          return true;
    }
  return false;
}


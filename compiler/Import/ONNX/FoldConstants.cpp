//===- FoldConstants.cpp - host-side folding of ONNX shape computations ---===//
//
// A small numpy-like evaluator over ONNX tensors, applied to nodes whose
// inputs are all known: the shape-computation subgraphs of exported models,
// small Constant nodes, and their arithmetic. Results replace the nodes as
// initializers; ONNX shape inference then runs again, so later Reshape/Expand
// /ConstantOfShape outputs get static types. Only small tensors are folded:
// this never duplicates weights.
//
//===----------------------------------------------------------------------===//
#include "compiler/Import/ONNX/FoldConstants.h"
#include "compiler/Import/ONNX/UnrollLoops.h"
#include "compiler/Import/ONNX/Validate.h"

#include "onnx/defs/schema.h"
#include "onnx/defs/tensor_proto_util.h"
#include "onnx/onnx_pb.h"
#include "onnx/shape_inference/implementation.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <set>

using namespace mlir::dlc;
using onnx::TensorProto;

const onnx::AttributeProto *mlir::dlc::attr(const onnx::NodeProto &n,
                                            const char *name) {
  for (const auto &a : n.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}
int64_t mlir::dlc::attrInt(const onnx::NodeProto &n, const char *name,
                           int64_t d) {
  auto *a = attr(n, name);
  return a ? a->i() : d;
}

namespace {

constexpr int64_t kMaxFoldElements = 1 << 16;
/// The largest outer-scope constant copied into a subgraph that reads it:
/// shape-like parameters (pads, axes, shapes), never weights.
constexpr int64_t kMaxCopiedElements = 256;

bool isFloatType(int32_t t) {
  return t == TensorProto::FLOAT || t == TensorProto::DOUBLE;
}
bool isIntType(int32_t t) {
  switch (t) {
  case TensorProto::INT8: case TensorProto::INT16: case TensorProto::INT32:
  case TensorProto::INT64: case TensorProto::UINT8: case TensorProto::UINT16:
  case TensorProto::UINT32: case TensorProto::UINT64: case TensorProto::BOOL:
    return true;
  default:
    return false;
  }
}

/// The element count of shape `s`; INT64_MAX (never folded) when a
/// dimension is negative or the product overflows.
int64_t product(const std::vector<int64_t> &s) {
  return mlir::dlc::checkedElementCount(s).value_or(INT64_MAX);
}

/// A float as an integer, truncated and saturated (NaN as INT64_MIN), so
/// that a huge float index, count or cast fails later range checks instead
/// of being undefined behaviour.
int64_t saturate(double v) {
  if (!(v > -9.2e18))
    return INT64_MIN;
  return v < 9.2e18 ? int64_t(v) : INT64_MAX;
}

/// A host tensor: integers (and bools) exactly in `i`, floats in `f`.
struct HT {
  int32_t dtype = 0;
  std::vector<int64_t> shape;
  std::vector<int64_t> i;
  std::vector<double> f;
  bool isFloat() const { return isFloatType(dtype); }
  int64_t size() const { return product(shape); }
  double get(size_t k) const { return isFloat() ? f[k] : double(i[k]); }
  /// Element k as an integer (floats through saturate()).
  int64_t geti(size_t k) const { return isFloat() ? saturate(f[k]) : i[k]; }
  static HT make(int32_t dtype, std::vector<int64_t> shape) {
    HT t;
    t.dtype = dtype;
    t.shape = std::move(shape);
    (t.isFloat() ? (void)t.f.resize(t.size()) : (void)t.i.resize(t.size()));
    return t;
  }
  void set(size_t k, double v) {
    if (isFloat())
      f[k] = v;
    else
      i[k] = dtype == TensorProto::BOOL ? (v != 0) : saturate(v);
  }
};

std::optional<HT> fromProto(const TensorProto &p) {
  HT t;
  t.dtype = p.data_type();
  t.shape.assign(p.dims().begin(), p.dims().end());
  if (t.size() > kMaxFoldElements || p.data_location() == TensorProto::EXTERNAL)
    return std::nullopt;
  try {
    switch (t.dtype) {
    case TensorProto::FLOAT: {
      auto v = onnx::ParseData<float>(&p);
      t.f.assign(v.begin(), v.end());
      break;
    }
    case TensorProto::DOUBLE: {
      auto v = onnx::ParseData<double>(&p);
      t.f.assign(v.begin(), v.end());
      break;
    }
    case TensorProto::INT64: t.i = onnx::ParseData<int64_t>(&p); break;
    case TensorProto::INT32: {
      auto v = onnx::ParseData<int32_t>(&p);
      t.i.assign(v.begin(), v.end());
      break;
    }
    case TensorProto::UINT64: case TensorProto::UINT32: {
      // No ParseData instantiation exists for unsigned types.
      if (p.has_raw_data()) {
        size_t w = t.dtype == TensorProto::UINT64 ? 8 : 4;
        const std::string &raw = p.raw_data();
        for (size_t k = 0; k + w <= raw.size(); k += w) {
          uint64_t v = 0;
          std::memcpy(&v, raw.data() + k, w);
          t.i.push_back(int64_t(v));
        }
      } else {
        for (uint64_t v : p.uint64_data())
          t.i.push_back(int64_t(v));
      }
      break;
    }
    case TensorProto::INT8: case TensorProto::UINT8: case TensorProto::BOOL:
    case TensorProto::INT16: case TensorProto::UINT16: {
      if (p.has_raw_data()) {
        const std::string &raw = p.raw_data();
        size_t w = (t.dtype == TensorProto::INT16 || t.dtype == TensorProto::UINT16) ? 2 : 1;
        for (size_t k = 0; k + w <= raw.size(); k += w) {
          int64_t v = 0;
          if (w == 1)
            v = t.dtype == TensorProto::INT8 ? int64_t(int8_t(raw[k]))
                                             : int64_t(uint8_t(raw[k]));
          else {
            uint16_t u = uint8_t(raw[k]) | (uint16_t(uint8_t(raw[k + 1])) << 8);
            v = t.dtype == TensorProto::INT16 ? int64_t(int16_t(u)) : int64_t(u);
          }
          t.i.push_back(v);
        }
      } else {
        for (int32_t v : p.int32_data())
          t.i.push_back(v);
      }
      break;
    }
    default:
      return std::nullopt;
    }
  } catch (const std::exception &) {
    return std::nullopt;
  }
  if (int64_t(t.isFloat() ? t.f.size() : t.i.size()) != t.size())
    return std::nullopt;
  return t;
}

TensorProto toProto(const HT &t, const std::string &name) {
  TensorProto p;
  p.set_name(name);
  p.set_data_type(t.dtype);
  for (int64_t d : t.shape)
    p.add_dims(d);
  for (int64_t k = 0; k < t.size(); ++k) {
    switch (t.dtype) {
    case TensorProto::FLOAT: p.add_float_data(float(t.f[k])); break;
    case TensorProto::DOUBLE: p.add_double_data(t.f[k]); break;
    case TensorProto::INT64: p.add_int64_data(t.i[k]); break;
    case TensorProto::UINT32: case TensorProto::UINT64:
      p.add_uint64_data(uint64_t(t.i[k]));
      break;
    default: p.add_int32_data(int32_t(t.i[k])); break;
    }
  }
  return p;
}

std::vector<int64_t> attrInts(const onnx::NodeProto &n, const char *name) {
  auto *a = attr(n, name);
  return a ? std::vector<int64_t>(a->ints().begin(), a->ints().end())
           : std::vector<int64_t>{};
}

std::vector<int64_t> strides(const std::vector<int64_t> &s) {
  std::vector<int64_t> st(s.size(), 1);
  for (int64_t d = int64_t(s.size()) - 2; d >= 0; --d)
    st[d] = st[d + 1] * s[d + 1];
  return st;
}

/// numpy broadcasting of any number of inputs; calls fn(outIndex, inIndices).
bool broadcast(const std::vector<const HT *> &ins, std::vector<int64_t> &out,
               const std::function<void(int64_t, const std::vector<int64_t> &)> &fn) {
  size_t rank = 0;
  for (auto *t : ins)
    rank = std::max(rank, t->shape.size());
  out.assign(rank, 1);
  for (auto *t : ins)
    for (size_t d = 0; d < t->shape.size(); ++d) {
      int64_t &o = out[rank - t->shape.size() + d];
      int64_t v = t->shape[d];
      if (o != v && o != 1 && v != 1)
        return false;
      if (v != 1)
        o = v;
    }
  if (product(out) > kMaxFoldElements)
    return false;
  std::vector<int64_t> ost = strides(out), idx(ins.size());
  for (int64_t k = 0; k < product(out); ++k) {
    for (size_t j = 0; j < ins.size(); ++j) {
      const auto &s = ins[j]->shape;
      std::vector<int64_t> st = strides(s);
      int64_t lin = 0;
      for (size_t d = 0; d < s.size(); ++d) {
        int64_t coord = (k / ost[rank - s.size() + d]) % out[rank - s.size() + d];
        lin += (s[d] == 1 ? 0 : coord) * st[d];
      }
      idx[j] = lin;
    }
    fn(k, idx);
  }
  return true;
}

using Inputs = std::vector<const HT *>;
using Eval = std::function<bool(const onnx::NodeProto &, const Inputs &,
                                int64_t opset, std::vector<HT> &)>;

Eval binary(std::function<double(double, double)> ff,
            std::function<int64_t(int64_t, int64_t)> fi, bool toBool = false) {
  return [=](const onnx::NodeProto &, const Inputs &in, int64_t,
             std::vector<HT> &out) {
    if (in.size() != 2 || !in[0] || !in[1])
      return false;
    bool fl = in[0]->isFloat() || in[1]->isFloat();
    HT r;
    r.dtype = toBool ? int32_t(TensorProto::BOOL) : in[0]->dtype;
    std::vector<int64_t> shape;
    std::vector<std::pair<int64_t, double>> vals;
    if (!broadcast(in, shape, [&](int64_t k, const std::vector<int64_t> &ix) {
          double v = fl ? ff(in[0]->get(ix[0]), in[1]->get(ix[1]))
                        : double(fi(in[0]->i[ix[0]], in[1]->i[ix[1]]));
          vals.push_back({k, v});
        }))
      return false;
    r = HT::make(r.dtype, shape);
    if (!fl && !r.isFloat()) {
      // Recompute exactly in integers (doubles lose int64 precision).
      broadcast(in, shape, [&](int64_t k, const std::vector<int64_t> &ix) {
        r.i[k] = fi(in[0]->i[ix[0]], in[1]->i[ix[1]]);
        if (r.dtype == TensorProto::BOOL)
          r.i[k] = r.i[k] != 0;
      });
    } else {
      for (auto &[k, v] : vals)
        r.set(k, v);
    }
    out.push_back(std::move(r));
    return true;
  };
}

Eval unary(std::function<double(double)> fn) {
  return [=](const onnx::NodeProto &, const Inputs &in, int64_t,
             std::vector<HT> &out) {
    if (in.empty() || !in[0])
      return false;
    HT r = HT::make(in[0]->dtype, in[0]->shape);
    for (int64_t k = 0; k < r.size(); ++k)
      r.set(k, fn(in[0]->get(k)));
    out.push_back(std::move(r));
    return true;
  };
}

/// Axes from the attribute or (from `since`) input 1.
std::optional<std::vector<int64_t>> axesOf(const onnx::NodeProto &n,
                                           const Inputs &in, int64_t opset,
                                           int64_t since) {
  if (opset >= since) {
    if (in.size() > 1 && in[1]) {
      std::vector<int64_t> a;
      for (int64_t k = 0; k < in[1]->size(); ++k)
        a.push_back(in[1]->geti(k));
      return a;
    }
    if (in.size() > 1)
      return std::nullopt;
    return std::vector<int64_t>{};
  }
  return attrInts(n, "axes");
}

HT reshaped(const HT &t, std::vector<int64_t> shape) {
  HT r = t;
  r.shape = std::move(shape);
  return r;
}

const std::map<std::string, Eval> &evaluators() {
  static const std::map<std::string, Eval> table = [] {
    std::map<std::string, Eval> m;
    m["Identity"] = [](auto &, const Inputs &in, int64_t, auto &out) {
      out.push_back(*in[0]);
      return true;
    };
    m["Add"] = binary(std::plus<double>(), std::plus<int64_t>());
    m["Sub"] = binary(std::minus<double>(), std::minus<int64_t>());
    m["Mul"] = binary(std::multiplies<double>(), std::multiplies<int64_t>());
    m["Div"] = binary(std::divides<double>(), [](int64_t a, int64_t b) {
      return b ? a / b : 0;
    });
    m["Equal"] = binary([](double a, double b) { return double(a == b); },
                        [](int64_t a, int64_t b) { return int64_t(a == b); }, true);
    m["Less"] = binary([](double a, double b) { return double(a < b); },
                       [](int64_t a, int64_t b) { return int64_t(a < b); }, true);
    m["Greater"] = binary([](double a, double b) { return double(a > b); },
                          [](int64_t a, int64_t b) { return int64_t(a > b); }, true);
    m["And"] = binary([](double a, double b) { return double(a && b); },
                      [](int64_t a, int64_t b) { return int64_t(a && b); }, true);
    m["Or"] = binary([](double a, double b) { return double(a || b); },
                     [](int64_t a, int64_t b) { return int64_t(a || b); }, true);
    m["Max"] = binary([](double a, double b) { return std::max(a, b); },
                      [](int64_t a, int64_t b) { return std::max(a, b); });
    m["Min"] = binary([](double a, double b) { return std::min(a, b); },
                      [](int64_t a, int64_t b) { return std::min(a, b); });
    m["GreaterOrEqual"] = binary(
        [](double a, double b) { return double(a >= b); },
        [](int64_t a, int64_t b) { return int64_t(a >= b); }, true);
    m["LessOrEqual"] = binary(
        [](double a, double b) { return double(a <= b); },
        [](int64_t a, int64_t b) { return int64_t(a <= b); }, true);
    m["Xor"] = binary([](double a, double b) { return double(!a != !b); },
                      [](int64_t a, int64_t b) { return int64_t(!a != !b); },
                      true);
    m["Pow"] = binary([](double a, double b) { return std::pow(a, b); },
                      [](int64_t a, int64_t b) {
                        int64_t r = 1;
                        for (int64_t k = 0; k < b && k < 64; ++k)
                          r *= a;
                        return b < 0 ? 0 : r;
                      });
    // Mod: fmod = 0 takes the divisor's sign (integers only, as Python's
    // %), fmod = 1 the dividend's (C's fmod).
    m["Mod"] = [](const onnx::NodeProto &n, const Inputs &in, int64_t opset,
                  std::vector<HT> &out) {
      bool cStyle = attrInt(n, "fmod", 0) != 0;
      return binary(
          [=](double a, double b) {
            double r = std::fmod(a, b);
            return !cStyle && r != 0 && ((r < 0) != (b < 0)) ? r + b : r;
          },
          [=](int64_t a, int64_t b) {
            if (!b)
              return int64_t(0);
            int64_t r = a % b;
            return !cStyle && r != 0 && ((r < 0) != (b < 0)) ? r + b : r;
          })(n, in, opset, out);
    };
    m["Sign"] = unary([](double v) { return double((v > 0) - (v < 0)); });
    m["Neg"] = unary([](double v) { return -v; });
    m["Abs"] = unary([](double v) { return std::fabs(v); });
    m["Sqrt"] = unary([](double v) { return std::sqrt(v); });
    m["Floor"] = unary([](double v) { return std::floor(v); });
    m["Ceil"] = unary([](double v) { return std::ceil(v); });
    // (Range's function body clamps its trip count with Relu.)
    m["Relu"] = unary([](double v) { return v > 0 ? v : 0.0; });
    // Half to even, as ONNX Round (nearbyint in the default rounding mode).
    m["Round"] = unary([](double v) { return std::nearbyint(v); });
    m["Cos"] = unary([](double v) { return std::cos(v); });
    m["Sin"] = unary([](double v) { return std::sin(v); });
    m["Exp"] = unary([](double v) { return std::exp(v); });
    m["Log"] = unary([](double v) { return std::log(v); });
    m["Reciprocal"] = unary([](double v) { return 1.0 / v; });
    m["Not"] = unary([](double v) { return double(v == 0); });
    m["Where"] = [](auto &, const Inputs &in, int64_t, auto &out) {
      if (in.size() != 3 || !in[0] || !in[1] || !in[2])
        return false;
      std::vector<int64_t> shape;
      std::vector<std::array<int64_t, 4>> picks;
      if (!broadcast(in, shape, [&](int64_t k, const std::vector<int64_t> &ix) {
            picks.push_back({k, in[0]->i[ix[0]] ? 1 : 2, ix[1], ix[2]});
          }))
        return false;
      HT r = HT::make(in[1]->dtype, shape);
      for (auto &p : picks) {
        const HT *src = in[p[1]];
        int64_t at = p[1] == 1 ? p[2] : p[3];
        if (r.isFloat())
          r.f[p[0]] = src->get(at);
        else
          r.i[p[0]] = src->i[at];
      }
      out.push_back(std::move(r));
      return true;
    };
    m["Cast"] = [](const onnx::NodeProto &n, const Inputs &in, int64_t,
                   auto &out) {
      int32_t to = int32_t(attrInt(n, "to", 0));
      if (!isFloatType(to) && !isIntType(to))
        return false;
      HT r = HT::make(to, in[0]->shape);
      for (int64_t k = 0; k < r.size(); ++k) {
        if (r.isFloat())
          r.f[k] = in[0]->get(k);
        else if (in[0]->isFloat())
          r.i[k] = to == TensorProto::BOOL ? in[0]->f[k] != 0
                                           : saturate(in[0]->f[k]);
        else
          r.i[k] = to == TensorProto::BOOL ? in[0]->i[k] != 0 : in[0]->i[k];
      }
      out.push_back(std::move(r));
      return true;
    };
    m["CastLike"] = [](const onnx::NodeProto &n, const Inputs &in,
                       int64_t opset, auto &out) {
      if (in.size() != 2 || !in[1])
        return false;
      onnx::NodeProto cast;
      cast.set_op_type("Cast");
      auto *to = cast.add_attribute();
      to->set_name("to");
      to->set_type(onnx::AttributeProto::INT);
      to->set_i(in[1]->dtype);
      return evaluators().at("Cast")(cast, {in[0]}, opset, out);
    };
    m["Unsqueeze"] = [](const onnx::NodeProto &n, const Inputs &in,
                        int64_t opset, auto &out) {
      auto axes = axesOf(n, in, opset, 13);
      if (!axes)
        return false;
      int64_t rank = in[0]->shape.size() + axes->size();
      std::vector<int64_t> shape(rank, 0);
      std::set<int64_t> at;
      for (int64_t a : *axes)
        at.insert(a < 0 ? a + rank : a);
      if (at.empty() || at.size() != axes->size() || *at.begin() < 0 ||
          *at.rbegin() >= rank)
        return false;
      for (int64_t d = 0, s = 0; d < rank; ++d)
        shape[d] = at.count(d) ? 1 : in[0]->shape[s++];
      out.push_back(reshaped(*in[0], shape));
      return true;
    };
    m["Squeeze"] = [](const onnx::NodeProto &n, const Inputs &in,
                      int64_t opset, auto &out) {
      auto axes = axesOf(n, in, opset, 13);
      if (!axes)
        return false;
      int64_t rank = in[0]->shape.size();
      std::set<int64_t> at;
      for (int64_t a : *axes)
        at.insert(a < 0 ? a + rank : a);
      for (int64_t a : at)
        if (a < 0 || a >= rank || in[0]->shape[a] != 1)
          return false;
      std::vector<int64_t> shape;
      for (int64_t d = 0; d < rank; ++d)
        if (!(at.empty() ? in[0]->shape[d] == 1 : at.count(d) > 0))
          shape.push_back(in[0]->shape[d]);
      out.push_back(reshaped(*in[0], shape));
      return true;
    };
    m["Reshape"] = [](const onnx::NodeProto &n, const Inputs &in, int64_t,
                      auto &out) {
      if (in.size() < 2 || !in[1])
        return false;
      std::vector<int64_t> shape;
      int64_t infer = -1, known = 1;
      bool allowZero = attrInt(n, "allowzero", 0);
      for (int64_t k = 0; k < in[1]->size(); ++k) {
        int64_t d = in[1]->i[k];
        if (d == 0 && !allowZero)
          d = k < int64_t(in[0]->shape.size()) ? in[0]->shape[k] : 1;
        if (d == -1 && infer < 0)
          infer = k;
        else if (d < 0 || __builtin_mul_overflow(known, d, &known))
          return false; // A second -1, another negative, an overflow.
        shape.push_back(d);
      }
      if (infer >= 0)
        shape[infer] = known ? in[0]->size() / known : 0;
      if (product(shape) != in[0]->size())
        return false;
      out.push_back(reshaped(*in[0], shape));
      return true;
    };
    m["Concat"] = [](const onnx::NodeProto &n, const Inputs &in, int64_t,
                     auto &out) {
      int64_t rank = in[0]->shape.size();
      int64_t axis = attrInt(n, "axis", 0);
      if (axis < 0)
        axis += rank;
      if (axis < 0 || axis >= rank)
        return false;
      std::vector<int64_t> shape = in[0]->shape;
      shape[axis] = 0;
      for (auto *t : in) {
        if (!t || int64_t(t->shape.size()) != rank || t->dtype != in[0]->dtype)
          return false;
        shape[axis] += t->shape[axis];
      }
      HT r = HT::make(in[0]->dtype, shape);
      int64_t outer = 1;
      for (int64_t d = 0; d < axis; ++d)
        outer *= shape[d];
      int64_t k = 0;
      for (int64_t o = 0; o < outer; ++o)
        for (auto *t : in) {
          int64_t chunk = t->size() / std::max<int64_t>(outer, 1);
          for (int64_t j = 0; j < chunk; ++j, ++k)
            r.isFloat() ? (void)(r.f[k] = t->f[o * chunk + j])
                        : (void)(r.i[k] = t->i[o * chunk + j]);
        }
      out.push_back(std::move(r));
      return true;
    };
    m["Gather"] = [](const onnx::NodeProto &n, const Inputs &in, int64_t,
                     auto &out) {
      const HT &d = *in[0], &ix = *in[1];
      int64_t rank = d.shape.size(), axis = attrInt(n, "axis", 0);
      if (axis < 0)
        axis += rank;
      if (axis < 0 || axis >= rank)
        return false;
      std::vector<int64_t> shape(d.shape.begin(), d.shape.begin() + axis);
      shape.insert(shape.end(), ix.shape.begin(), ix.shape.end());
      shape.insert(shape.end(), d.shape.begin() + axis + 1, d.shape.end());
      int64_t outer = 1, inner = 1, k = d.shape[axis];
      for (int64_t a = 0; a < axis; ++a)
        outer *= d.shape[a];
      for (int64_t a = axis + 1; a < rank; ++a)
        inner *= d.shape[a];
      HT r = HT::make(d.dtype, shape);
      int64_t w = 0;
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t j = 0; j < ix.size(); ++j) {
          int64_t at = ix.geti(j);
          if (at < 0)
            at += k;
          if (at < 0 || at >= k)
            return false;
          for (int64_t q = 0; q < inner; ++q, ++w) {
            int64_t src = (o * k + at) * inner + q;
            d.isFloat() ? (void)(r.f[w] = d.f[src]) : (void)(r.i[w] = d.i[src]);
          }
        }
      out.push_back(std::move(r));
      return true;
    };
    m["Slice"] = [](const onnx::NodeProto &n, const Inputs &in, int64_t opset,
                    auto &out) {
      const HT &d = *in[0];
      int64_t rank = d.shape.size();
      std::vector<int64_t> starts, ends, axes, steps;
      if (opset < 10) {
        starts = attrInts(n, "starts");
        ends = attrInts(n, "ends");
        axes = attrInts(n, "axes");
      } else {
        std::vector<int64_t> *dst[] = {&starts, &ends, &axes, &steps};
        for (size_t j = 1; j < in.size() && j <= 4; ++j) {
          if (!in[j])
            return false;
          for (int64_t k = 0; k < in[j]->size(); ++k)
            dst[j - 1]->push_back(in[j]->geti(k));
        }
      }
      if (axes.empty())
        for (size_t k = 0; k < starts.size(); ++k)
          axes.push_back(k);
      if (steps.empty())
        steps.assign(starts.size(), 1);
      if (ends.size() != starts.size() || axes.size() != starts.size() ||
          steps.size() != starts.size())
        return false;
      std::vector<int64_t> b(rank, 0), st(rank, 1), shape = d.shape;
      for (size_t k = 0; k < starts.size(); ++k) {
        int64_t a = axes[k] < 0 ? axes[k] + rank : axes[k];
        if (a < 0 || a >= rank)
          return false;
        int64_t dim = d.shape[a], s = steps[k];
        if (s == 0)
          return false;
        int64_t lo = starts[k] < 0 ? starts[k] + dim : starts[k];
        int64_t hi = ends[k] < 0 ? ends[k] + dim : ends[k];
        if (s > 0) {
          lo = std::clamp<int64_t>(lo, 0, dim);
          hi = std::clamp<int64_t>(hi, 0, dim);
          shape[a] = std::max<int64_t>(0, (hi - lo + s - 1) / s);
        } else {
          lo = std::clamp<int64_t>(lo, 0, dim - 1);
          hi = std::clamp<int64_t>(hi, -1, dim - 1);
          shape[a] = std::max<int64_t>(0, (lo - hi + (-s) - 1) / (-s));
        }
        b[a] = lo;
        st[a] = s;
      }
      HT r = HT::make(d.dtype, shape);
      std::vector<int64_t> ost = strides(shape), ist = strides(d.shape);
      for (int64_t k = 0; k < r.size(); ++k) {
        int64_t src = 0;
        for (int64_t a = 0; a < rank; ++a)
          src += (b[a] + ((k / ost[a]) % shape[a]) * st[a]) * ist[a];
        d.isFloat() ? (void)(r.f[k] = d.f[src]) : (void)(r.i[k] = d.i[src]);
      }
      out.push_back(std::move(r));
      return true;
    };
    m["Range"] = [](auto &, const Inputs &in, int64_t, auto &out) {
      double s = in[0]->get(0), l = in[1]->get(0), dl = in[2]->get(0);
      if (dl == 0)
        return false;
      double steps = std::ceil((l - s) / dl); // NaN fails the check.
      if (!(steps <= double(kMaxFoldElements)))
        return false;
      int64_t count = steps > 0 ? int64_t(steps) : 0;
      HT r = HT::make(in[0]->dtype, {count});
      for (int64_t k = 0; k < count; ++k) {
        if (r.isFloat()) {
          r.f[k] = s + k * dl;
          continue;
        }
        int64_t offset = 0;
        if (__builtin_mul_overflow(k, in[2]->geti(0), &offset) ||
            __builtin_add_overflow(in[0]->geti(0), offset, &r.i[k]))
          return false;
      }
      out.push_back(std::move(r));
      return true;
    };
    m["ConstantOfShape"] = [](const onnx::NodeProto &n, const Inputs &in,
                              int64_t, auto &out) {
      std::vector<int64_t> shape;
      if (in[0]->isFloat()) // ONNX wants int64; not folded.
        return false;
      for (int64_t k = 0; k < in[0]->size(); ++k)
        shape.push_back(in[0]->i[k]);
      if (product(shape) > kMaxFoldElements)
        return false;
      HT fill = HT::make(TensorProto::FLOAT, {});
      if (auto *v = attr(n, "value")) {
        auto t = fromProto(v->t());
        if (!t || t->size() != 1)
          return false;
        fill = *t;
      }
      HT r = HT::make(fill.dtype, shape);
      for (int64_t k = 0; k < r.size(); ++k)
        r.isFloat() ? (void)(r.f[k] = fill.f[0]) : (void)(r.i[k] = fill.i[0]);
      out.push_back(std::move(r));
      return true;
    };
    m["Expand"] = [](auto &, const Inputs &in, int64_t, auto &out) {
      HT target = HT::make(TensorProto::INT64, {});
      std::vector<int64_t> shape;
      for (int64_t k = 0; k < in[1]->size(); ++k)
        shape.push_back(in[1]->i[k]);
      // The target shape stands in as a tensor of ones: only a small one.
      if (in[1]->isFloat() || product(shape) > kMaxFoldElements)
        return false;
      HT ones = HT::make(in[0]->dtype, shape);
      std::vector<int64_t> outShape;
      std::vector<std::pair<int64_t, int64_t>> picks;
      if (!broadcast({in[0], &ones}, outShape,
                     [&](int64_t k, const std::vector<int64_t> &ix) {
                       picks.push_back({k, ix[0]});
                     }))
        return false;
      HT r = HT::make(in[0]->dtype, outShape);
      for (auto [k, src] : picks)
        r.isFloat() ? (void)(r.f[k] = in[0]->f[src]) : (void)(r.i[k] = in[0]->i[src]);
      out.push_back(std::move(r));
      return true;
    };
    // Exporters transpose pad lists ([begin..., end...] from per-axis
    // pairs) before a Pad.
    m["Transpose"] = [](auto &n, const Inputs &in, int64_t, auto &out) {
      const HT &x = *in[0];
      int64_t rank = x.shape.size();
      std::vector<int64_t> perm = attrInts(n, "perm");
      if (perm.empty())
        for (int64_t d = rank - 1; d >= 0; --d)
          perm.push_back(d);
      std::vector<bool> seen(rank, false);
      if (int64_t(perm.size()) != rank)
        return false;
      for (int64_t p : perm) {
        if (p < 0 || p >= rank || seen[p])
          return false;
        seen[p] = true;
      }
      std::vector<int64_t> shape(rank);
      for (int64_t d = 0; d < rank; ++d)
        shape[d] = x.shape[perm[d]];
      HT r = HT::make(x.dtype, shape);
      std::vector<int64_t> src = strides(x.shape), ix(rank, 0);
      for (int64_t k = 0; k < r.size(); ++k) {
        int64_t off = 0;
        for (int64_t d = 0; d < rank; ++d)
          off += ix[d] * src[perm[d]];
        r.isFloat() ? (void)(r.f[k] = x.f[off]) : (void)(r.i[k] = x.i[off]);
        for (int64_t d = rank - 1; d >= 0 && ++ix[d] == shape[d]; --d)
          ix[d] = 0;
      }
      out.push_back(std::move(r));
      return true;
    };
    return m;
  }();
  return table;
}

int64_t defaultOpset(const onnx::ModelProto &m) {
  for (const auto &o : m.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx")
      return o.version();
  return 1;
}

/// Static shapes of every value shape inference knows fully.
std::map<std::string, std::vector<int64_t>> staticShapes(const onnx::GraphProto &g) {
  std::map<std::string, std::vector<int64_t>> shapes;
  auto add = [&](const onnx::ValueInfoProto &vi) {
    if (!vi.type().has_tensor_type() || !vi.type().tensor_type().has_shape())
      return;
    std::vector<int64_t> s;
    for (const auto &d : vi.type().tensor_type().shape().dim()) {
      if (!d.has_dim_value())
        return;
      s.push_back(d.dim_value());
    }
    shapes[vi.name()] = s;
  };
  for (const auto &vi : g.input()) add(vi);
  for (const auto &vi : g.value_info()) add(vi);
  for (const auto &vi : g.output()) add(vi);
  for (const auto &t : g.initializer())
    shapes[t.name()] = std::vector<int64_t>(t.dims().begin(), t.dims().end());
  return shapes;
}

/// The constants and static shapes visible in one graph: its own, then its
/// enclosing graphs' (a subgraph sees outer-scope values by name, and its
/// own inputs and node outputs shadow them).
struct Scope {
  const Scope *parent = nullptr;
  /// Constant tensors by name, parsed on first use: initializers, and in
  /// subgraphs Constant nodes' values (weights there too, so lazily).
  std::map<std::string, const TensorProto *> protos;
  mutable std::map<std::string, std::optional<HT>> known;
  /// Local names that are not constants: graph inputs, node outputs.
  std::set<std::string> local;
  std::map<std::string, std::vector<int64_t>> shapes;

  const HT *lookup(const std::string &name) const {
    auto it = known.find(name);
    if (it != known.end())
      return it->second ? &*it->second : nullptr;
    auto p = protos.find(name);
    if (p != protos.end()) {
      it = known.emplace(name, fromProto(*p->second)).first;
      return it->second ? &*it->second : nullptr;
    }
    if (local.count(name) || !parent)
      return nullptr;
    return parent->lookup(name);
  }
  const std::vector<int64_t> *shape(const std::string &name) const {
    auto it = shapes.find(name);
    if (it != shapes.end())
      return &it->second;
    if (local.count(name) || protos.count(name) || !parent)
      return nullptr;
    return parent->shape(name);
  }
};

/// Appends `name = Constant<value>` to `nodes` (`suffix` makes its node name).
void addConstantNode(google::protobuf::RepeatedPtrField<onnx::NodeProto> &nodes,
                     const std::string &name, const TensorProto &value,
                     const char *suffix) {
  onnx::NodeProto *c = nodes.Add();
  c->set_op_type("Constant");
  c->set_name(name + suffix);
  c->add_output(name);
  onnx::AttributeProto *a = c->add_attribute();
  a->set_name("value");
  a->set_type(onnx::AttributeProto::TENSOR);
  *a->mutable_t() = value;
  a->mutable_t()->set_name(name);
}

/// Evaluates `node` if its inputs are known; returns whether `out` holds
/// its (small) results.
bool evaluate(const onnx::NodeProto &node, const Scope &scope, int64_t opset,
              bool foldShapes, std::vector<HT> &out) {
  const std::string &op = node.op_type();
  if ((op == "Shape" || op == "Size") && node.input_size() == 1) {
    const std::vector<int64_t> *s = foldShapes ? scope.shape(node.input(0)) : nullptr;
    if (!s)
      return false;
    const std::vector<int64_t> &dims = *s;
    if (op == "Size") {
      HT r = HT::make(TensorProto::INT64, {});
      r.i[0] = product(dims);
      out.push_back(r);
    } else {
      int64_t rank = dims.size();
      int64_t b = attrInt(node, "start", 0), e = attrInt(node, "end", rank);
      b = std::clamp<int64_t>(b < 0 ? b + rank : b, 0, rank);
      e = std::clamp<int64_t>(e < 0 ? e + rank : e, b, rank);
      HT r = HT::make(TensorProto::INT64, {e - b});
      for (int64_t k = b; k < e; ++k)
        r.i[k - b] = dims[k];
      out.push_back(r);
    }
  } else if (op == "Constant") {
    auto *v = attr(node, "value");
    if (!v)
      return false;
    auto t = fromProto(v->t());
    if (!t)
      return false;
    out.push_back(*t);
  } else {
    auto ev = evaluators().find(op);
    if (ev == evaluators().end())
      return false;
    Inputs ins;
    bool all = true;
    for (const auto &name : node.input()) {
      if (name.empty()) {
        ins.push_back(nullptr);
        continue;
      }
      const HT *t = scope.lookup(name);
      all &= t != nullptr;
      ins.push_back(t);
    }
    if (!all || ins.empty() || !ins[0])
      return false;
    try {
      if (!ev->second(node, ins, opset, out))
        return false;
    } catch (const std::exception &) {
      return false;
    }
  }
  if (out.size() != size_t(node.output_size()))
    return false;
  for (const HT &t : out)
    if (t.size() > kMaxFoldElements)
      return false;
  return true;
}

/// One sweep over `g` and, recursively, the subgraphs of its nodes (If
/// branches, Loop and Scan bodies, with `g`'s constants in scope); returns
/// the number of nodes folded. In the main graph folded nodes become
/// initializers; in a subgraph, Constant nodes in place (a branch's
/// initializers would need every consumer of subgraphs to read them). Shape
/// and Size fold in If branches but not in loop bodies, whose values may
/// change shape from one iteration to the next.
int sweep(onnx::GraphProto &g, int64_t opset, const Scope *parent,
          bool foldShapes) {
  bool top = parent == nullptr;
  Scope scope;
  scope.parent = parent;
  for (const auto &t : g.initializer())
    scope.protos[t.name()] = &t;
  for (const auto &vi : g.input())
    if (!scope.protos.count(vi.name()))
      scope.local.insert(vi.name());
  for (const auto &n : g.node()) {
    bool constant = !top && n.op_type() == "Constant" && n.output_size() == 1 &&
                    (n.domain().empty() || n.domain() == "ai.onnx");
    const onnx::AttributeProto *v = constant ? attr(n, "value") : nullptr;
    for (const auto &o : n.output())
      if (v && v->has_t())
        scope.protos[o] = &v->t();
      else
        scope.local.insert(o);
  }
  scope.shapes = staticShapes(g);
  // ONNX's inference of a subgraph sees the outer scope's types but not its
  // values, so a Pad or Reshape in a branch whose pads or shape is an outer
  // initializer gets no static type. Small outer constants a subgraph reads
  // are copied into it as Constant nodes of the same name (same value, so
  // the shadowing changes nothing).
  if (!top) {
    std::vector<std::string> copies;
    std::set<std::string> seen;
    for (const auto &n : g.node())
      for (const auto &name : n.input())
        if (!name.empty() && !scope.protos.count(name) &&
            !scope.local.count(name) && seen.insert(name).second)
          if (const HT *t = parent->lookup(name);
              t && t->size() <= kMaxCopiedElements)
            copies.push_back(name);
    if (!copies.empty()) {
      google::protobuf::RepeatedPtrField<onnx::NodeProto> nodes;
      for (const std::string &name : copies)
        addConstantNode(nodes, name, toProto(*parent->lookup(name), name),
                        "_outer");
      for (const auto &n : g.node())
        *nodes.Add() = n;
      g.mutable_node()->Swap(&nodes);
      return copies.size(); // Pointers into g are stale: sweep again.
    }
  }

  std::vector<bool> folded(g.node_size(), false);
  std::vector<std::pair<std::string, HT>> results;
  int count = 0;
  for (int n = 0; n < g.node_size(); ++n) {
    const onnx::NodeProto &node = g.node(n);
    if ((!node.domain().empty() && node.domain() != "ai.onnx") ||
        (!top && node.op_type() == "Constant"))
      continue;
    std::vector<HT> out;
    if (!evaluate(node, scope, opset, foldShapes, out))
      continue;
    folded[n] = true;
    ++count;
    for (int k = 0; k < node.output_size(); ++k) {
      scope.local.erase(node.output(k));
      scope.known[node.output(k)] = out[k];
      results.push_back({node.output(k), out[k]});
    }
  }
  // An If whose condition is now known is replaced by its taken branch, so
  // that inference sees one branch's shapes (the two may differ) and the
  // values it computes fold too.
  std::vector<const onnx::GraphProto *> taken(g.node_size(), nullptr);
  std::set<std::string> defined;
  for (const auto &t : g.initializer())
    defined.insert(t.name());
  for (const auto &vi : g.input())
    defined.insert(vi.name());
  for (const auto &node : g.node())
    defined.insert(node.output().begin(), node.output().end());
  for (int n = 0; n < g.node_size(); ++n) {
    const onnx::NodeProto &node = g.node(n);
    if (folded[n] || node.op_type() != "If" || node.input_size() != 1 ||
        (!node.domain().empty() && node.domain() != "ai.onnx"))
      continue;
    const HT *cond = scope.lookup(node.input(0));
    if (!cond || cond->size() != 1)
      continue;
    const onnx::AttributeProto *a =
        attr(node, cond->get(0) != 0 ? "then_branch" : "else_branch");
    if (!a || !a->has_g() || a->g().output_size() != node.output_size())
      continue;
    bool clash = false; // Inlined names must not collide with this graph's.
    for (const auto &t : a->g().initializer())
      clash |= defined.count(t.name()) != 0;
    for (const auto &bn : a->g().node())
      for (const auto &o : bn.output())
        clash |= defined.count(o) != 0;
    if (!clash) {
      taken[n] = &a->g();
      ++count;
    }
  }
  for (int n = 0; n < g.node_size(); ++n) {
    if (folded[n] || taken[n])
      continue;
    onnx::NodeProto &node = *g.mutable_node(n);
    bool loop = node.op_type() == "Loop" || node.op_type() == "Scan";
    for (auto &a : *node.mutable_attribute()) {
      if (a.has_g())
        count += sweep(*a.mutable_g(), opset, &scope, foldShapes && !loop);
      for (auto &sg : *a.mutable_graphs())
        count += sweep(sg, opset, &scope, foldShapes && !loop);
    }
  }
  if (results.empty() && std::none_of(taken.begin(), taken.end(),
                                      [](auto *t) { return t; }))
    return count;
  google::protobuf::RepeatedPtrField<onnx::NodeProto> kept;
  size_t r = 0;
  for (int n = 0; n < g.node_size(); ++n) {
    if (const onnx::GraphProto *branch = taken[n]) {
      for (const auto &t : branch->initializer())
        addConstantNode(kept, t.name(), t, "_taken");
      for (const auto &bn : branch->node())
        *kept.Add() = bn;
      for (int k = 0; k < branch->output_size(); ++k) {
        if (g.node(n).output(k).empty())
          continue;
        onnx::NodeProto *id = kept.Add();
        id->set_op_type("Identity");
        id->set_name(g.node(n).name() + "_taken" + std::to_string(k));
        id->add_input(branch->output(k).name());
        id->add_output(g.node(n).output(k));
      }
      for (const auto &vi : branch->value_info())
        *g.add_value_info() = vi;
      continue;
    }
    if (!folded[n]) {
      *kept.Add() = g.node(n);
      continue;
    }
    for (int k = 0; k < g.node(n).output_size(); ++k, ++r)
      if (!top)
        addConstantNode(kept, results[r].first,
                        toProto(results[r].second, results[r].first), "_folded");
  }
  g.mutable_node()->Swap(&kept);
  if (top)
    for (auto &[name, t] : results)
      *g.add_initializer() = toProto(t, name);
  // Stale value_info for folded names would disagree with nothing, but drop
  // it so inference re-derives types from the initializers.
  std::set<std::string> names;
  for (auto &res : results)
    names.insert(res.first);
  google::protobuf::RepeatedPtrField<onnx::ValueInfoProto> vis;
  for (const auto &vi : g.value_info())
    if (!names.count(vi.name()))
      *vis.Add() = vi;
  g.mutable_value_info()->Swap(&vis);
  return count;
}

/// Ops whose output has the shape of their input 0 (elementwise on one
/// tensor, or with scalar/broadcast-free parameters).
bool keepsInputShape(const std::string &op) {
  static const std::set<std::string> ops = {
      "Identity", "Cast", "CastLike", "Abs", "Neg", "Sqrt", "Exp", "Log",
      "Relu", "Sigmoid", "Tanh", "Erf", "Floor", "Ceil", "Round", "Sign",
      "Reciprocal", "Not", "Softplus", "Softsign", "LeakyRelu", "Elu",
      "Selu", "HardSigmoid", "HardSwish", "Clip", "Sin", "Cos", "Softmax",
      "LogSoftmax"};
  return ops.count(op) != 0;
}

/// Backward shape propagation: ONNX inference only runs forward, so a value
/// whose shape depends on run-time data (a ReduceSum with axes from a graph
/// input, as ONNX's own function expansions write) stays unknown even when
/// the shape-preserving chain after it ends in a declared graph output.
/// Gives such a value (typed, of unknown or partial shape) the static shape
/// of its consumer's output. Returns the number of values given a shape.
int propagateShapesBackward(onnx::GraphProto &g) {
  auto shapes = staticShapes(g);
  std::map<std::string, onnx::ValueInfoProto *> infos;
  for (auto &vi : *g.mutable_value_info())
    infos[vi.name()] = &vi;
  int count = 0;
  for (int n = g.node_size() - 1; n >= 0; --n) {
    const onnx::NodeProto &node = g.node(n);
    if ((!node.domain().empty() && node.domain() != "ai.onnx") ||
        !keepsInputShape(node.op_type()) || node.input_size() < 1 ||
        node.output_size() < 1)
      continue;
    auto out = shapes.find(node.output(0));
    if (out == shapes.end() || shapes.count(node.input(0)))
      continue;
    auto vi = infos.find(node.input(0));
    if (vi == infos.end() || !vi->second->type().has_tensor_type())
      continue;
    auto *tt = vi->second->mutable_type()->mutable_tensor_type();
    if (tt->has_shape() && tt->shape().dim_size() != int(out->second.size()))
      continue;
    tt->mutable_shape()->clear_dim();
    for (int64_t d : out->second)
      tt->mutable_shape()->add_dim()->set_dim_value(d);
    shapes[node.input(0)] = out->second;
    ++count;
  }
  return count;
}

} // namespace

int mlir::dlc::foldConstantSubgraphs(onnx::ModelProto &model,
                                     std::string &error,
                                     int64_t maxUnrolledNodes) {
  int total = 0;
  for (int iter = 0; iter < 32; ++iter) {
    int n = sweep(*model.mutable_graph(), defaultOpset(model), nullptr, true);
    // Loops whose trip count is now known are written out; nested ones
    // reach the main graph, and are unrolled, one sweep later.
    if (!n)
      n = unrollStaticLoops(*model.mutable_graph(), defaultOpset(model),
                            maxUnrolledNodes);
    if (!n)
      n = propagateShapesBackward(*model.mutable_graph());
    if (!n)
      break;
    total += n;
    try {
      onnx::ShapeInferenceOptions opts(false, 0, !mlir::dlc::hasLongVector(model.graph()));
      onnx::shape_inference::InferShapes(
          model, onnx::OpSchemaRegistry::Instance(), opts);
    } catch (const std::exception &e) {
      error = std::string("shape inference failed after constant folding: ") +
              e.what();
      return -1;
    }
  }
  return total;
}

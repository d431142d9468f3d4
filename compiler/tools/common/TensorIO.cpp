//===- TensorIO.cpp - tensors for the command-line tools ------------------===//
//
// TensorProto files through the ONNX library's own parser (onnx::ParseData
// handles every storage field), converted to the dense layout the model ABI
// uses.
//
//===----------------------------------------------------------------------===//
#include "compiler/tools/common/TensorIO.h"
#include "compiler/Import/ONNX/SmallTypes.h"

#include "llvm/Support/MathExtras.h"

#include "onnx/defs/tensor_proto_util.h"
#include "onnx/onnx_pb.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

using namespace dlc::tools;

static int64_t elementSize(int32_t dtype) {
  switch (dtype) {
  case 1: case 6: case 12: return 4;
  case 2: case 3: case 9: return 1;
  case 4: case 5: case 10: case 16: return 2;
  case 7: case 11: case 13: return 8;
  default: return dlc::small::isSmallType(dtype) ? 1 : 0;
  }
}

/// ONNX packs 4- and 2-bit elements (first element in the low bits); the
/// model ABI holds one per byte (signed integers sign-extended).
static void unpackSmall(int32_t dtype, const std::string &packed, int64_t n,
                        std::vector<char> &out) {
  int bits = dlc::small::storedBits(dtype);
  out.assign(n, 0);
  for (int64_t i = 0; i < n && (i * bits) / 8 < int64_t(packed.size()); ++i) {
    unsigned v = (uint8_t(packed[(i * bits) / 8]) >> ((i * bits) % 8)) &
                 ((1u << bits) - 1);
    if (dlc::small::isSignedSmallInt(dtype) && (v >> (bits - 1)))
      v |= ~0u << bits;
    out[i] = char(v);
  }
}

static std::string packSmall(int32_t dtype, const std::vector<char> &data) {
  int bits = dlc::small::storedBits(dtype);
  std::string packed((data.size() * bits + 7) / 8, '\0');
  for (size_t i = 0; i < data.size(); ++i)
    packed[(i * bits) / 8] |= char((uint8_t(data[i]) & ((1u << bits) - 1))
                                   << ((i * bits) % 8));
  return packed;
}

template <typename T>
static void pack(const std::vector<T> &v, std::vector<char> &out) {
  out.resize(v.size() * sizeof(T));
  if (!v.empty())
    std::memcpy(out.data(), v.data(), out.size());
}

bool dlc::tools::readTensorFile(const std::string &path, HostTensor &out,
                                std::string &error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot open '" + path + "'";
    return false;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return parseTensor(ss.str(), "'" + path + "'", out, error);
}

bool dlc::tools::parseTensor(const std::string &bytes, const std::string &what,
                             HostTensor &out, std::string &error) {
  onnx::TensorProto t;
  if (!t.ParseFromString(bytes)) {
    error = what + " is not a valid TensorProto";
    return false;
  }
  out.name = t.name();
  out.dtype = t.data_type();
  out.shape.assign(t.dims().begin(), t.dims().end());
  int64_t esize = elementSize(out.dtype);
  if (!esize) {
    error = what + " has unsupported data type " + std::to_string(out.dtype);
    return false;
  }
  // Sizes are checked before anything is allocated: a file must not make
  // the tool reserve more than it holds.
  int64_t n = 1, bytesNeeded = 0;
  for (int64_t d : out.shape)
    if (d < 0 || llvm::MulOverflow(n, d, n)) {
      error = what + " has an invalid shape";
      return false;
    }
  if (llvm::MulOverflow(n, esize, bytesNeeded)) {
    error = what + " is too large";
    return false;
  }
  int bits = dlc::small::storedBits(out.dtype);
  auto entries = [&]() -> int64_t {
    switch (out.dtype) {
    case 1: return t.float_data_size();
    case 11: return t.double_data_size();
    case 7: return t.int64_data_size();
    case 12: case 13: return t.uint64_data_size();
    default: return t.int32_data_size();
    }
  };
  int64_t perByte = 8 / std::max(bits, 1); // Packed elements per byte.
  int64_t stored = bits < 8 ? n / perByte + (n % perByte != 0)
                   : t.has_raw_data() ? bytesNeeded
                                      : n;
  int64_t held = t.has_raw_data() ? int64_t(t.raw_data().size()) : entries();
  if (held != stored) {
    error = what + " holds " + std::to_string(held) +
            (t.has_raw_data() ? " bytes" : " values") + ", its shape needs " +
            std::to_string(stored);
    return false;
  }
  try {
    if (bits < 8) {
      std::string packed = t.raw_data();
      if (!t.has_raw_data()) // One packed byte per int32_data entry.
        for (int32_t v : t.int32_data())
          packed.push_back(char(v));
      unpackSmall(out.dtype, packed, n, out.data);
    } else if (t.has_raw_data()) {
      out.data.assign(t.raw_data().begin(), t.raw_data().end());
    } else {
      switch (out.dtype) {
      case 1: pack(onnx::ParseData<float>(&t), out.data); break;
      case 11: pack(onnx::ParseData<double>(&t), out.data); break;
      case 6: pack(onnx::ParseData<int32_t>(&t), out.data); break;
      case 7: pack(onnx::ParseData<int64_t>(&t), out.data); break;
      case 12: case 13: { // uint32/uint64 live in uint64_data.
        std::vector<uint64_t> v(t.uint64_data().begin(), t.uint64_data().end());
        if (out.dtype == 13) {
          pack(v, out.data);
        } else {
          std::vector<uint32_t> w(v.begin(), v.end());
          pack(w, out.data);
        }
        break;
      }
      default: {
        // Narrow types live in int32_data.
        out.data.resize(n * esize);
        for (int64_t i = 0; i < n && i < t.int32_data_size(); ++i) {
          int32_t v = t.int32_data(i);
          std::memcpy(out.data.data() + i * esize, &v, esize);
        }
      }
      }
    }
  } catch (const std::exception &e) {
    error = what + ": " + e.what();
    return false;
  }
  if (static_cast<int64_t>(out.data.size()) != bytesNeeded) {
    error = what + " holds " + std::to_string(out.data.size()) +
            " bytes, expected " + std::to_string(bytesNeeded);
    return false;
  }
  return true;
}

bool dlc::tools::writeTensorFile(const std::string &path, const HostTensor &t,
                                 std::string &error) {
  onnx::TensorProto p;
  p.set_name(t.name);
  p.set_data_type(t.dtype);
  for (int64_t d : t.shape)
    p.add_dims(d);
  p.set_raw_data(dlc::small::storedBits(t.dtype) < 8
                     ? packSmall(t.dtype, t.data)
                     : std::string(t.data.begin(), t.data.end()));
  std::ofstream os(path, std::ios::binary);
  if (!os || !p.SerializeToOstream(&os)) {
    error = "cannot write '" + path + "'";
    return false;
  }
  return true;
}

std::string dlc::tools::shapeString(const std::vector<int64_t> &shape) {
  if (shape.empty())
    return "scalar";
  std::string s;
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? "x" : "") + std::to_string(shape[i]);
  return s;
}

std::string dlc::tools::shapeString(const dlc_tensor_desc_t &desc) {
  return shapeString(std::vector<int64_t>(desc.shape, desc.shape + desc.rank));
}

bool dlc::tools::matchesDesc(const HostTensor &t, const dlc_tensor_desc_t &desc,
                             std::string &error) {
  std::vector<int64_t> want(desc.shape, desc.shape + desc.rank);
  // The ONNX test generator stores bfloat16 data as uint16.
  bool bf16AsU16 = desc.dtype == 16 && t.dtype == 4;
  if (t.dtype != desc.dtype && !bf16AsU16) {
    error = "'" + std::string(desc.name) + "' has data type " +
            std::to_string(t.dtype) + ", the model expects " +
            std::to_string(desc.dtype);
    return false;
  }
  if (t.shape != want) {
    error = "'" + std::string(desc.name) + "' has shape " +
            shapeString(t.shape) + ", the model expects " + shapeString(want);
    return false;
  }
  return true;
}

static double valueAt(const HostTensor &t, size_t i) {
  const char *p = t.data.data();
  if (dlc::small::isSmallFloat(t.dtype))
    return dlc::small::decodeFloat(t.dtype, uint8_t(p[i]));
  if (dlc::small::isSmallInt(t.dtype))
    return dlc::small::isSignedSmallInt(t.dtype) ? double(int8_t(p[i]))
                                                 : double(uint8_t(p[i]));
  switch (t.dtype) {
  case 1: { float v; std::memcpy(&v, p + 4 * i, 4); return v; }
  case 11: { double v; std::memcpy(&v, p + 8 * i, 8); return v; }
  case 6: { int32_t v; std::memcpy(&v, p + 4 * i, 4); return v; }
  case 7: { int64_t v; std::memcpy(&v, p + 8 * i, 8); return double(v); }
  case 3: return static_cast<int8_t>(p[i]);
  case 2: case 9: return static_cast<uint8_t>(p[i]);
  case 5: { int16_t v; std::memcpy(&v, p + 2 * i, 2); return v; }
  case 4: { uint16_t v; std::memcpy(&v, p + 2 * i, 2); return v; }
  case 12: { uint32_t v; std::memcpy(&v, p + 4 * i, 4); return v; }
  case 13: { uint64_t v; std::memcpy(&v, p + 8 * i, 8); return double(v); }
  case 16: { // bfloat16: the high half of a float.
    uint16_t h; std::memcpy(&h, p + 2 * i, 2);
    uint32_t bits = uint32_t(h) << 16; float f; std::memcpy(&f, &bits, 4);
    return f;
  }
  default: return 0;
  }
}

bool dlc::tools::allClose(const HostTensor &actual, const HostTensor &given,
                          double rtol, double atol, std::string &error,
                          double maxRel) {
  HostTensor expected = given;
  if (actual.dtype == 16 && given.dtype == 4)
    expected.dtype = 16; // bfloat16 stored as uint16 by the ONNX tests.
  bool bf16 = actual.dtype == 16;
  if (actual.dtype != expected.dtype || actual.shape != expected.shape) {
    error = "expected " + shapeString(expected.shape) + " of type " +
            std::to_string(expected.dtype) + ", got " +
            shapeString(actual.shape) + " of type " +
            std::to_string(actual.dtype);
    return false;
  }
  bool exact = expected.dtype != 1 && expected.dtype != 11 && !bf16;
  if (bf16)
    rtol = std::max(rtol, kBf16Rtol);
  size_t n = expected.data.size() / std::max<int64_t>(1, elementSize(expected.dtype));
  size_t bad = 0, first = 0;
  double worst = 0;
  if (maxRel > 0 && !exact) {
    double maxRef = 0, maxErr = 0;
    for (size_t i = 0; i < n; ++i) {
      double a = valueAt(actual, i), e = valueAt(expected, i);
      maxRef = std::max(maxRef, std::fabs(e));
      double d = std::fabs(a - e);
      maxErr = std::max(maxErr, std::isnan(d) ? INFINITY : d);
    }
    if (maxErr <= maxRel * maxRef)
      return true;
    std::ostringstream os;
    os << "max abs error " << maxErr << " exceeds " << maxRel
       << " x max |reference| (" << maxRef << ")";
    error = os.str();
    return false;
  }
  for (size_t i = 0; i < n; ++i) {
    double a = valueAt(actual, i), e = valueAt(expected, i);
    if (std::isnan(a) && std::isnan(e))
      continue;
    double diff = std::fabs(a - e);
    bool ok = exact ? a == e : diff <= atol + rtol * std::fabs(e);
    if (std::isinf(e) && a == e)
      ok = true;
    if (!ok) {
      if (!bad++)
        first = i;
      worst = std::max(worst, std::isnan(diff) ? INFINITY : diff);
    }
  }
  if (!bad)
    return true;
  std::ostringstream os;
  os << bad << " of " << n << " elements differ; first at index " << first
     << ": got " << valueAt(actual, first) << ", expected "
     << valueAt(expected, first) << "; max abs error " << worst;
  error = os.str();
  return false;
}

dlc::tools::HostTensor dlc::tools::tensorFor(const dlc_tensor_desc_t &d) {
  HostTensor t;
  t.name = d.name ? d.name : "";
  t.dtype = d.dtype;
  t.shape.assign(d.shape, d.shape + d.rank);
  t.data.assign(d.size_bytes, 0);
  return t;
}

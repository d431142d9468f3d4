//===- Calibration.cpp - samples, in-process runs and activation ranges ---===//
#include "compiler/Quant/Calibration.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>

using namespace mlir::dlc::quant;
using ::dlc::tools::matchesDesc;
using ::dlc::tools::parseTensor;

//===----------------------------------------------------------------------===//
// Samples
//===----------------------------------------------------------------------===//

/// Parses a .npy file (format versions 1-3: magic, header length, a Python
/// dict literal with descr, fortran_order and shape, then the raw data).
/// Written here because the format is small and numpy is not a dependency of
/// the compiler.
static bool parseNpy(llvm::StringRef bytes, const std::string &what,
                     HostTensor &out, std::string &error) {
  auto bad = [&](const std::string &why) {
    error = "'" + what + "' is not a readable .npy file: " + why;
    return false;
  };
  if (bytes.size() < 10 || !bytes.starts_with("\x93NUMPY"))
    return bad("no NUMPY magic");
  unsigned major = static_cast<unsigned char>(bytes[6]);
  size_t lenBytes = major == 1 ? 2 : 4;
  if (major < 1 || major > 3 || bytes.size() < 8 + lenBytes)
    return bad("unknown format version " + std::to_string(major));
  size_t headerLen = 0;
  for (size_t i = 0; i < lenBytes; ++i)
    headerLen |= size_t(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
  size_t dataStart = 8 + lenBytes + headerLen;
  if (dataStart > bytes.size())
    return bad("truncated header");
  llvm::StringRef header = bytes.slice(8 + lenBytes, dataStart);
  auto field = [&](llvm::StringRef key) -> llvm::StringRef {
    size_t at = header.find("'" + key.str() + "'");
    if (at == llvm::StringRef::npos)
      return {};
    llvm::StringRef rest = header.drop_front(at + key.size() + 2).ltrim();
    return rest.consume_front(":") ? rest.ltrim() : llvm::StringRef();
  };
  llvm::StringRef descr = field("descr");
  if (!descr.consume_front("'"))
    return bad("no descr");
  descr = descr.take_until([](char c) { return c == '\''; });
  static const std::map<std::string, std::pair<int32_t, int>> types = {
      {"<f4", {DLC_DTYPE_FLOAT32, 4}}, {"<f8", {DLC_DTYPE_FLOAT64, 8}},
      {"<f2", {DLC_DTYPE_FLOAT16, 2}}, {"<i8", {DLC_DTYPE_INT64, 8}},
      {"<i4", {DLC_DTYPE_INT32, 4}},   {"<i2", {DLC_DTYPE_INT16, 2}},
      {"|i1", {DLC_DTYPE_INT8, 1}},    {"|u1", {DLC_DTYPE_UINT8, 1}},
      {"|b1", {DLC_DTYPE_BOOL, 1}}};
  auto type = types.find(descr.str());
  if (type == types.end())
    return bad("element type '" + descr.str() +
               "' is not supported (little-endian numbers or bool)");
  if (field("fortran_order").starts_with("True"))
    return bad("Fortran order is not supported; save a C-ordered array");
  llvm::StringRef shape = field("shape");
  if (!shape.consume_front("("))
    return bad("no shape");
  shape = shape.take_until([](char c) { return c == ')'; });
  out.shape.clear();
  int64_t elements = 1;
  llvm::SmallVector<llvm::StringRef> dims;
  shape.split(dims, ',', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef d : dims) {
    int64_t v;
    if (d.trim().empty())
      continue;
    if (d.trim().getAsInteger(10, v) || v < 0 || v > (int64_t(1) << 40) ||
        (v && elements > (int64_t(1) << 40) / v))
      return bad("malformed shape");
    out.shape.push_back(v);
    elements *= v;
  }
  out.dtype = type->second.first;
  uint64_t size = uint64_t(elements) * type->second.second;
  if (bytes.size() - dataStart < size)
    return bad("holds fewer values than its shape");
  out.data.assign(bytes.data() + dataStart, bytes.data() + dataStart + size);
  return true;
}

static bool readTensor(const std::string &path, HostTensor &out,
                       std::string &error) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false);
  if (!buffer) {
    error = "cannot read '" + path + "': " + buffer.getError().message();
    return false;
  }
  llvm::StringRef bytes = (*buffer)->getBuffer();
  if (llvm::StringRef(path).ends_with(".npy"))
    return parseNpy(bytes, path, out, error);
  return parseTensor(bytes.str(), "'" + path + "'", out, error);
}

/// float64 data for a float32 input (numpy's default) converts.
static void convertToInput(HostTensor &t, const dlc_tensor_desc_t &desc) {
  if (t.dtype != DLC_DTYPE_FLOAT64 || desc.dtype != DLC_DTYPE_FLOAT32)
    return;
  size_t n = t.data.size() / 8;
  std::vector<char> data(n * 4);
  for (size_t i = 0; i < n; ++i) {
    double d;
    std::memcpy(&d, t.data.data() + 8 * i, 8);
    float f = static_cast<float>(d);
    std::memcpy(data.data() + 4 * i, &f, 4);
  }
  t.data = std::move(data);
  t.dtype = DLC_DTYPE_FLOAT32;
}

static std::vector<std::string> listDir(const std::string &dir, bool dirs,
                                        llvm::StringRef suffix) {
  std::vector<std::string> names;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    bool isDir = llvm::sys::fs::is_directory(it->path());
    if (isDir == dirs && llvm::StringRef(it->path()).ends_with(suffix))
      names.push_back(it->path());
  }
  std::sort(names.begin(), names.end());
  return names;
}

/// Splits `t`, samples stacked along its first dimension, into `out[k]`
/// (appending; `out` grows as needed) for input `k` of shape `desc`.
static bool splitStacked(const HostTensor &t, const dlc_tensor_desc_t &desc,
                         size_t k, size_t numInputs, size_t first,
                         std::vector<Sample> &out, const std::string &what,
                         std::string &error) {
  int64_t batch = desc.rank ? desc.shape[0] : 1;
  bool sameTail = desc.rank > 0 && int64_t(t.shape.size()) == desc.rank &&
                  std::equal(t.shape.begin() + 1, t.shape.end(),
                             desc.shape + 1) &&
                  batch > 0 && t.shape[0] % batch == 0;
  if (!sameTail) {
    error = "'" + what + "' has shape " + ::dlc::tools::shapeString(t.shape) +
            ", which is not samples of input '" + desc.name + "' (" +
            ::dlc::tools::shapeString(desc) + ") stacked along dimension 0";
    return false;
  }
  size_t count = t.shape[0] / batch, bytes = desc.size_bytes;
  if (t.dtype != desc.dtype || t.data.size() != count * bytes) {
    error = "'" + what + "' holds elements of type " + std::to_string(t.dtype) +
            "; input '" + desc.name + "' has type " +
            std::to_string(desc.dtype) + " (ONNX TensorProto codes)";
    return false;
  }
  for (size_t s = 0; s < count; ++s) {
    if (out.size() <= first + s)
      out.resize(first + s + 1, Sample(numInputs));
    HostTensor &dst = out[first + s][k];
    dst.name = desc.name;
    dst.dtype = t.dtype;
    dst.shape.assign(desc.shape, desc.shape + desc.rank);
    dst.data.assign(t.data.begin() + s * bytes,
                    t.data.begin() + (s + 1) * bytes);
  }
  return true;
}

bool mlir::dlc::quant::readSamples(const std::string &dir,
                                   const dlc_model_desc_t &desc,
                                   std::vector<Sample> &out,
                                   std::string &error) {
  out.clear();
  if (!llvm::sys::fs::is_directory(dir)) {
    error = "calibration directory '" + dir + "' does not exist";
    return false;
  }
  size_t numInputs = desc.num_inputs;
  std::vector<std::string> sampleDirs = listDir(dir, true, "");
  if (!sampleDirs.empty()) {
    for (const std::string &sd : sampleDirs) {
      Sample sample(numInputs);
      for (size_t k = 0; k < numInputs; ++k) {
        std::string base = sd + "/input_" + std::to_string(k);
        std::string path = llvm::sys::fs::exists(base + ".pb") ? base + ".pb"
                                                                : base + ".npy";
        if (!llvm::sys::fs::exists(path)) {
          error = "sample '" + sd + "' has no input_" + std::to_string(k) +
                  ".pb or .npy (input '" + desc.inputs[k].name + "')";
          return false;
        }
        HostTensor &t = sample[k];
        if (!readTensor(path, t, error))
          return false;
        convertToInput(t, desc.inputs[k]);
        t.name = desc.inputs[k].name;
        if (!matchesDesc(t, desc.inputs[k], error)) {
          error = "'" + path + "': " + error;
          return false;
        }
      }
      out.push_back(std::move(sample));
    }
  } else {
    std::vector<std::string> files = listDir(dir, false, ".npy");
    for (size_t k = 0; k < numInputs; ++k) {
      std::vector<std::string> mine;
      if (numInputs == 1) {
        mine = files;
      } else {
        std::string own = dir + "/" + desc.inputs[k].name + ".npy";
        if (llvm::sys::fs::exists(own))
          mine.push_back(own);
      }
      if (mine.empty()) {
        error = "'" + dir + "' has no sample directories (*/input_K.pb) and " +
                "no .npy file for input '" + desc.inputs[k].name + "'";
        return false;
      }
      size_t count = 0;
      for (const std::string &f : mine) {
        HostTensor t;
        if (!readTensor(f, t, error))
          return false;
        convertToInput(t, desc.inputs[k]);
        if (!splitStacked(t, desc.inputs[k], k, numInputs, count, out, f,
                          error))
          return false;
        count += t.shape[0] / std::max<int64_t>(1, desc.inputs[k].shape[0]);
      }
      if (k > 0 && count != out.size()) {
        error = "the .npy files in '" + dir + "' hold different numbers of "
                "samples for different inputs";
        return false;
      }
    }
  }
  if (out.empty()) {
    error = "'" + dir + "' holds no samples";
    return false;
  }
  return true;
}

//===----------------------------------------------------------------------===//
// In-process runs
//===----------------------------------------------------------------------===//

std::unique_ptr<LoadedModel> LoadedModel::load(const std::string &path,
                                               std::string &error) {
  std::unique_ptr<LoadedModel> m(new LoadedModel);
  char err[512] = "";
  if (dlc_model_load(path.c_str(), &m->model_, err, sizeof(err)) != DLC_OK) {
    error = "cannot load the calibration build: " + std::string(err);
    return nullptr;
  }
  m->desc_ = dlc_model_describe(m->model_);
  // One thread: the statistics, and so the artifact, must not depend on how
  // a run splits its work.
  if (dlc_session_create(m->model_, nullptr, 0, &m->session_) != DLC_OK) {
    error = "cannot create a session for the calibration build";
    return nullptr;
  }
  return m;
}

LoadedModel::~LoadedModel() {
  if (session_)
    dlc_session_destroy(session_);
  if (model_)
    dlc_model_unload(model_);
}

bool LoadedModel::run(const Sample &in, std::vector<HostTensor> &out,
                      std::string &error) {
  std::vector<const void *> ins;
  for (const HostTensor &t : in)
    ins.push_back(t.data.data());
  out.resize(desc_->num_outputs);
  std::vector<void *> outs;
  for (uint32_t i = 0; i < desc_->num_outputs; ++i) {
    out[i] = ::dlc::tools::tensorFor(desc_->outputs[i]);
    outs.push_back(out[i].data.data());
  }
  dlc_status_t st = dlc_session_run(session_, ins.data(), outs.data());
  if (st != DLC_OK) {
    error = std::string("a calibration run failed: ") + dlc_status_string(st);
    return false;
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Statistics and ranges
//===----------------------------------------------------------------------===//

void TensorStats::observeRange(const float *data, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    float v = data[i];
    if (!std::isfinite(v))
      continue;
    if (!seen_ || v < min_)
      min_ = v;
    if (!seen_ || v > max_)
      max_ = v;
    seen_ = true;
  }
}

void TensorStats::startHistogram(bool absolute) {
  absolute_ = absolute;
  hist_.assign(kBins, 0.0);
  histLo_ = absolute ? 0.0 : double(min_);
  double hi = absolute ? std::max(std::fabs(double(min_)), std::fabs(double(max_)))
                       : double(max_);
  histWidth_ = (hi - histLo_) / kBins;
}

void TensorStats::observeHistogram(const float *data, size_t n) {
  if (!(histWidth_ > 0))
    return;
  for (size_t i = 0; i < n; ++i) {
    double v = data[i];
    if (!std::isfinite(v))
      continue;
    if (absolute_)
      v = std::fabs(v);
    int64_t b = static_cast<int64_t>((v - histLo_) / histWidth_);
    hist_[std::clamp<int64_t>(b, 0, kBins - 1)] += 1;
  }
}

/// The narrowest [lo, hi] holding all but (100 - P)% of the values at each
/// end, from the histogram of x.
std::pair<float, float> TensorStats::percentileRange(double percentile) const {
  double total = 0;
  for (double c : hist_)
    total += c;
  double tail = total * (100.0 - percentile) / 100.0;
  int lo = 0, hi = kBins - 1;
  for (double cum = 0; lo < kBins - 1 && cum + hist_[lo] <= tail; ++lo)
    cum += hist_[lo];
  for (double cum = 0; hi > 0 && cum + hist_[hi] <= tail; --hi)
    cum += hist_[hi];
  return {float(histLo_ + lo * histWidth_),
          float(histLo_ + (hi + 1) * histWidth_)};
}

/// TensorRT's entropy calibration: the threshold t whose quantized
/// distribution (values beyond t clipped into the last bin, then merged
/// into `levels` levels) loses the least information, KL(P || Q), about
/// the histogram of |x|. `levels` is 128 for a signed tensor (one side of
/// the uint8 range around its middle zero point), 256 for a non-negative
/// one.
std::pair<float, float> TensorStats::entropyRange() const {
  bool nonNegative = min_ >= 0;
  int levels = nonNegative ? 256 : 128;
  double bestKL = std::numeric_limits<double>::infinity();
  int best = kBins;
  std::vector<double> p, q;
  for (int i = levels; i <= kBins; ++i) {
    p.assign(hist_.begin(), hist_.begin() + i);
    for (int j = i; j < kBins; ++j)
      p[i - 1] += hist_[j];
    // Q: hist_[0, i) merged into `levels` chunks, each chunk's count spread
    // over its non-empty bins.
    q.assign(i, 0.0);
    for (int l = 0; l < levels; ++l) {
      int b0 = int(int64_t(l) * i / levels), b1 = int(int64_t(l + 1) * i / levels);
      double sum = 0;
      int nonEmpty = 0;
      for (int b = b0; b < b1; ++b) {
        sum += hist_[b];
        nonEmpty += hist_[b] > 0;
      }
      for (int b = b0; b < b1; ++b)
        if (hist_[b] > 0)
          q[b] = sum / nonEmpty;
    }
    double pSum = 0, qSum = 0;
    for (int b = 0; b < i; ++b) {
      pSum += p[b];
      qSum += q[b];
    }
    if (pSum <= 0 || qSum <= 0)
      continue;
    double kl = 0;
    for (int b = 0; b < i; ++b) {
      if (p[b] <= 0)
        continue;
      double pb = p[b] / pSum;
      // A bin Q leaves empty (the clipped tail) gets a small floor, as
      // TensorRT's smoothing does.
      double qb = std::max(q[b] / qSum, 1e-12);
      kl += pb * std::log(pb / qb);
    }
    if (kl < bestKL) {
      bestKL = kl;
      best = i;
    }
  }
  float t = float(best * histWidth_);
  return {nonNegative ? 0.0f : -t, t};
}

std::pair<float, float>
TensorStats::range(const QuantizeOptions &options) const {
  std::pair<float, float> r{min_, max_};
  if (!hist_.empty() && histWidth_ > 0) {
    if (options.method == QuantizeOptions::Method::Percentile)
      r = percentileRange(options.percentile);
    else if (options.method == QuantizeOptions::Method::Entropy)
      r = entropyRange();
    r.first = std::max(r.first, min_);
    r.second = std::min(r.second, max_);
  }
  return {std::min(r.first, 0.0f), std::max(r.second, 0.0f)};
}

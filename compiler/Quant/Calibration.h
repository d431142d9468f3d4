//===- Calibration.h - samples, in-process runs and activation ranges -----===//
//
// What post-training quantization needs at compile time: the calibration
// samples read from a directory, a compiled model run inside the compiler
// (the runtime loads the instrumented build as any artifact), and the
// statistics that pick each activation's range (docs/quantization.md).
//
//===----------------------------------------------------------------------===//
#ifndef DLC_COMPILER_QUANT_CALIBRATION_H
#define DLC_COMPILER_QUANT_CALIBRATION_H

#include "compiler/Pipeline/CompilerOptions.h"
#include "compiler/tools/common/TensorIO.h"

#include "dlc/runtime.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace mlir::dlc::quant {

using ::dlc::tools::HostTensor;

/// One sample: a tensor per model input, in the artifact's input order.
using Sample = std::vector<HostTensor>;

/// Reads the samples in `dir`, checked against the inputs `desc` describes:
///  - one directory per sample holding input_K.pb or input_K.npy (the ONNX
///    backend-test layout; K is the input's position), or
///  - .npy files holding samples stacked along the first dimension: one
///    file per input named after it (<name>.npy), or, for a one-input
///    model, any number of files, read in name order.
/// float64 .npy data converts to a float32 input.
bool readSamples(const std::string &dir, const dlc_model_desc_t &desc,
                 std::vector<Sample> &out, std::string &error);

/// A compiled model (.so) loaded into this process, with one session.
class LoadedModel {
public:
  static std::unique_ptr<LoadedModel> load(const std::string &path,
                                           std::string &error);
  ~LoadedModel();
  const dlc_model_desc_t &desc() const { return *desc_; }
  /// Runs one sample; `out` gets one tensor per model output.
  bool run(const Sample &in, std::vector<HostTensor> &out, std::string &error);

private:
  LoadedModel() = default;
  dlc_model_t *model_ = nullptr;
  dlc_session_t *session_ = nullptr;
  const dlc_model_desc_t *desc_ = nullptr;
};

/// Running statistics of one float tensor over the calibration set. The
/// histogram pass needs the range of the min/max pass, so calibration runs
/// the samples twice for percentile and entropy.
class TensorStats {
public:
  static constexpr int kBins = 2048;
  void observeRange(const float *data, size_t n);
  /// Starts the histogram pass over the range the first pass found: of |x|
  /// (`absolute`, for entropy) or of x (for percentiles).
  void startHistogram(bool absolute);
  void observeHistogram(const float *data, size_t n);
  /// The range [lo, hi] (lo <= 0 <= hi) the method picks.
  std::pair<float, float> range(const QuantizeOptions &options) const;
  /// Whether any finite value was observed.
  bool seen() const { return seen_; }
  float min() const { return min_; }
  float max() const { return max_; }

private:
  float min_ = 0, max_ = 0;
  bool seen_ = false;
  /// |x| in kBins bins over [0, max(|min|, |max|)] for entropy; x over
  /// [min, max] for percentiles.
  std::vector<double> hist_;
  bool absolute_ = false;
  double histLo_ = 0, histWidth_ = 0;
  std::pair<float, float> percentileRange(double percentile) const;
  std::pair<float, float> entropyRange() const;
};

} // namespace mlir::dlc::quant

#endif // DLC_COMPILER_QUANT_CALIBRATION_H

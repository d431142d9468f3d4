//===- TensorIO.h - tensors for the command-line tools --------------------===//
//
// Reading and writing ONNX TensorProto (.pb) files as dense host buffers,
// checking them against a model's ABI descriptor, and comparing results with
// the tolerances all numeric tests share.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_COMPILER_TOOLS_COMMON_TENSORIO_H
#define DLC_COMPILER_TOOLS_COMMON_TENSORIO_H

#include "dlc/model_abi.h"

#include <cstdint>
#include <string>
#include <vector>

namespace dlc::tools {

/// The tolerances of every numeric comparison (numpy.allclose semantics:
/// |actual - expected| <= atol + rtol * |expected|). The ONNX backend suite
/// uses rtol 1e-3; atol is 1e-5 rather than 1e-7 because dlc inlines
/// polynomial approximations of exp/tanh/erf instead of calling libm.
constexpr double kDefaultRtol = 1e-3;
constexpr double kDefaultAtol = 1e-5;
/// bfloat16 outputs are compared with rtol 2^-7, one unit in the last place
/// of its 8-bit significand: a chain of bf16 ops rounds after every op, so
/// a different (equally valid) order of an f32 accumulation can move the
/// result by one bf16 step.
constexpr double kBf16Rtol = 1.0 / 128;

struct HostTensor {
  std::string name;
  int32_t dtype = 0;
  std::vector<int64_t> shape;
  std::vector<char> data; // Dense, row-major.
};

/// Reads a TensorProto file. Returns false and sets `error` on failure.
bool readTensorFile(const std::string &path, HostTensor &out,
                    std::string &error);
/// Parses a serialized TensorProto; `what` names it in errors. Shape, type
/// and stored size are checked against each other before anything is
/// allocated.
bool parseTensor(const std::string &bytes, const std::string &what,
                 HostTensor &out, std::string &error);
/// Writes a TensorProto file.
bool writeTensorFile(const std::string &path, const HostTensor &t,
                     std::string &error);

/// A zero-filled tensor of the shape and type `desc` describes (an output
/// buffer for a run).
HostTensor tensorFor(const dlc_tensor_desc_t &desc);

/// Checks dtype and shape against the model's description of the tensor.
bool matchesDesc(const HostTensor &t, const dlc_tensor_desc_t &desc,
                 std::string &error);

/// Compares `actual` to `expected`; on mismatch `error` names the first bad
/// element and the largest error. With maxRel > 0 the criterion is instead
/// max |actual - expected| <= maxRel * max |expected| (whole-tensor).
bool allClose(const HostTensor &actual, const HostTensor &expected,
              double rtol, double atol, std::string &error,
              double maxRel = 0);

std::string shapeString(const std::vector<int64_t> &shape);
std::string shapeString(const dlc_tensor_desc_t &desc);

} // namespace dlc::tools

#endif // DLC_COMPILER_TOOLS_COMMON_TENSORIO_H

//===- TensorFuzzer.cpp - libFuzzer target: the tools' tensor files -------===//
//
// The bytes are a TensorProto file as dlc-run and dlc-check read it (inputs
// and reference outputs of the backend-test layout): parsed, checked and
// unpacked into a dense host tensor. Any crash, sanitizer report, hang or
// allocation beyond the file's own contents is a finding.
//
//===----------------------------------------------------------------------===//
#include "compiler/tools/common/TensorIO.h"

#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  dlc::tools::HostTensor t;
  std::string error;
  (void)dlc::tools::parseTensor(
      std::string(reinterpret_cast<const char *>(data), size), "fuzz.pb", t,
      error);
  return 0;
}

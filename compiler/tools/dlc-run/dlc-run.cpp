//===- dlc-run.cpp - run a compiled model on TensorProto inputs -----------===//
//
//   dlc-run model.so --input x.pb [--input y.pb | --input name=y.pb]
//           [--output-dir out/] [--repeat N] [--threads N]
//
// Loads the model through the C runtime, checks every input against the
// model's descriptor, runs it, prints each output's shape and leading values
// and the latency, and writes output_K.pb files when asked.
//
//===----------------------------------------------------------------------===//
#include "compiler/tools/common/TensorIO.h"
#include "dlc/runtime.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <sys/stat.h>
#include <vector>

using namespace dlc::tools;

static int usage() {
  std::fprintf(stderr,
               "usage: dlc-run model.so --input x.pb [--input name=y.pb ...] "
               "[--output-dir DIR] [--repeat N] [--threads N]\n");
  return 2;
}

static int fail(const std::string &msg) {
  std::fprintf(stderr, "dlc-run: error: %s\n", msg.c_str());
  return 1;
}

int main(int argc, char **argv) {
  std::string modelPath, outDir;
  std::vector<std::string> inputSpecs;
  int repeat = 10, threads = 1;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char *flag) -> const char * {
      size_t n = std::strlen(flag);
      if (a.compare(0, n, flag) == 0 && a.size() > n && a[n] == '=')
        return argv[i] + n + 1;
      if (a == flag && i + 1 < argc)
        return argv[++i];
      return nullptr;
    };
    if (const char *v = value("--input"))
      inputSpecs.push_back(v);
    else if (const char *v = value("--output-dir"))
      outDir = v;
    else if (const char *v = value("--repeat"))
      repeat = std::max(1, std::atoi(v));
    else if (const char *v = value("--threads"))
      threads = std::max(1, std::atoi(v));
    else if (a == "-h" || a == "--help")
      return usage(), 0;
    else if (!a.empty() && a[0] != '-' && modelPath.empty())
      modelPath = a;
    else
      return usage();
  }
  if (modelPath.empty())
    return usage();

  char err[512] = "";
  dlc_model_t *model = nullptr;
  if (dlc_model_load(modelPath.c_str(), &model, err, sizeof(err)) != DLC_OK)
    return fail("cannot load '" + modelPath + "': " + err);
  const dlc_model_desc_t *desc = dlc_model_describe(model);

  if (inputSpecs.size() != desc->num_inputs)
    return fail("the model has " + std::to_string(desc->num_inputs) +
                " input(s), " + std::to_string(inputSpecs.size()) +
                " given");
  std::vector<HostTensor> inputs(desc->num_inputs);
  std::vector<bool> given(desc->num_inputs, false);
  for (size_t k = 0; k < inputSpecs.size(); ++k) {
    std::string spec = inputSpecs[k], path = spec;
    int index = static_cast<int>(k);
    size_t eq = spec.find('=');
    if (eq != std::string::npos) {
      index = dlc_model_find_input(model, spec.substr(0, eq).c_str());
      if (index < 0)
        return fail("the model has no input named '" + spec.substr(0, eq) +
                    "'");
      path = spec.substr(eq + 1);
    }
    if (given[index])
      return fail("input '" + std::string(desc->inputs[index].name) +
                  "' given twice");
    given[index] = true;
    std::string error;
    if (!readTensorFile(path, inputs[index], error) ||
        !matchesDesc(inputs[index], desc->inputs[index], error))
      return fail("input " + error);
  }

  std::vector<HostTensor> outputs(desc->num_outputs);
  std::vector<const void *> in;
  std::vector<void *> out;
  for (auto &t : inputs)
    in.push_back(t.data.data());
  for (uint32_t i = 0; i < desc->num_outputs; ++i) {
    const dlc_tensor_desc_t &d = desc->outputs[i];
    outputs[i].name = d.name;
    outputs[i].dtype = d.dtype;
    outputs[i].shape.assign(d.shape, d.shape + d.rank);
    outputs[i].data.resize(d.size_bytes);
    out.push_back(outputs[i].data.data());
  }

  dlc_session_t *session = nullptr;
  if (dlc_session_create(model, nullptr, &session) != DLC_OK)
    return fail("cannot create a session");
  if (dlc_session_set_num_threads(session, threads) != DLC_OK)
    return fail("cannot start " + std::to_string(threads) + " threads");
  std::vector<double> times;
  for (int r = 0; r < repeat + 1; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    dlc_status_t st = dlc_session_run(session, in.data(), out.data());
    auto t1 = std::chrono::steady_clock::now();
    if (st != DLC_OK)
      return fail(std::string("run failed: ") + dlc_status_string(st));
    if (r > 0) // The first run warms caches and pages in weights.
      times.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  std::sort(times.begin(), times.end());

  for (uint32_t i = 0; i < desc->num_outputs; ++i) {
    const HostTensor &t = outputs[i];
    std::printf("output %u '%s' %s:", i, t.name.c_str(),
                shapeString(t.shape).c_str());
    if (t.dtype == DLC_DTYPE_FLOAT32) {
      const float *f = reinterpret_cast<const float *>(t.data.data());
      size_t n = t.data.size() / 4;
      for (size_t k = 0; k < std::min<size_t>(n, 8); ++k)
        std::printf(" %.6g", f[k]);
      if (n > 8)
        std::printf(" ...");
      if (n > 1) {
        size_t best = std::max_element(f, f + n) - f;
        std::printf("  (argmax %zu)", best);
      }
    }
    std::printf("\n");
    if (!outDir.empty()) {
      mkdir(outDir.c_str(), 0755);
      std::string error;
      if (!writeTensorFile(outDir + "/output_" + std::to_string(i) + ".pb", t,
                           error))
        return fail(error);
    }
  }
  std::printf("latency: median %.4g ms, min %.4g ms over %d runs "
              "(workspace %llu bytes)\n",
              times[times.size() / 2], times.front(), repeat,
              static_cast<unsigned long long>(desc->workspace_size));
  dlc_session_destroy(session);
  dlc_model_unload(model);
  return 0;
}

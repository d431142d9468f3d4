//===- dlc-run.cpp - run a compiled model on TensorProto inputs -----------===//
//
//   dlc-run model.so --input x.pb [--input y.pb | --input name=y.pb]
//           [--output-dir out/] [--repeat N] [--threads N] [--profile]
//
// Loads the model through the C runtime, checks every input against the
// model's descriptor, runs it, prints each output's shape and leading values
// and the latency, and writes output_K.pb files when asked. --profile times
// every kernel through the run's kernel_event hook and prints each kernel's
// time, share, GFLOP/s and percent of the measured per-core FMA peak.
//
//===----------------------------------------------------------------------===//
#include "compiler/tools/common/TensorIO.h"
#include "dlc/runtime.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <sys/stat.h>
#include <vector>

using namespace dlc::tools;

namespace {
/// Per-kernel wall time of every call, from the run's kernel_event calls.
/// A kernel's figure is the median call times its calls per run: on a shared
/// machine a mean is dominated by the runs another process interrupted.
struct Profiler {
  std::vector<std::vector<double>> calls; // ms
  std::vector<std::chrono::steady_clock::time_point> start;
  static void event(void *self, uint32_t kernel, uint32_t end) {
    auto *p = static_cast<Profiler *>(self);
    auto now = std::chrono::steady_clock::now();
    if (kernel >= p->calls.size())
      return;
    if (!end)
      p->start[kernel] = now;
    else
      p->calls[kernel].push_back(
          std::chrono::duration<double, std::milli>(now - p->start[kernel])
              .count());
  }
  /// Median milliseconds per run of kernel `k`.
  double perRun(uint32_t k, int runs) const {
    std::vector<double> v = calls[k];
    if (v.empty() || runs <= 0)
      return 0;
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    return v[v.size() / 2] * static_cast<double>(v.size()) / runs;
  }
};

/// This core's fp32 FMA peak in GFLOP/s, measured with independent FMA
/// chains on the widest vectors the CPU has (0 if unknown).
#if defined(__x86_64__)
typedef float v16f __attribute__((vector_size(64)));
typedef float v8f __attribute__((vector_size(32)));
template <typename V, int Lanes> static double fmaPeak() {
  V acc[12], a, c;
  for (int i = 0; i < Lanes; ++i) {
    a[i] = 0.999999f;
    c[i] = 1e-7f;
  }
  for (V &v : acc)
    v = a;
  const long iters = 20000000;
  auto t0 = std::chrono::steady_clock::now();
  for (long i = 0; i < iters; ++i)
    for (V &v : acc)
      v = v * a + c;
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                           t0)
                 .count();
  volatile float sink = 0;
  for (V &v : acc)
    sink = sink + v[0];
  return iters * 12.0 * Lanes * 2 / s / 1e9;
}
__attribute__((target("avx512f,fma"))) static double peak512() {
  return fmaPeak<v16f, 16>();
}
__attribute__((target("avx2,fma"))) static double peak256() {
  return fmaPeak<v8f, 8>();
}
static double measurePeak() {
  if (__builtin_cpu_supports("avx512f"))
    return peak512();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    return peak256();
  return 0;
}
#else
static double measurePeak() { return 0; }
#endif

void printProfile(const dlc_model_desc_t *desc, const Profiler &prof,
                  int runs, int threads, const std::vector<double> &times) {
  double peak = measurePeak();
  std::vector<double> ms(desc->num_kernels);
  double sum = 0;
  for (uint32_t k = 0; k < ms.size(); ++k)
    sum += ms[k] = prof.perRun(k, runs);
  std::vector<uint32_t> order(desc->num_kernels);
  for (uint32_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t a, uint32_t b) { return ms[a] > ms[b]; });
  std::printf("profile: %u kernels, %d timed runs, %d thread(s); per-core "
              "fp32 FMA peak %.0f GFLOP/s (measured now)\n",
              desc->num_kernels, runs, threads, peak);
  std::printf("%10s %7s %9s %7s  %s\n", "ms/run", "share", "GFLOP/s",
              "%peak", "kernel");
  for (uint32_t k : order) {
    double gflops = ms[k] > 0 ? desc->kernels[k].flops / (ms[k] * 1e6) : 0;
    std::printf("%10.3f %6.1f%% ", ms[k], sum > 0 ? 100 * ms[k] / sum : 0);
    if (desc->kernels[k].flops && peak > 0)
      std::printf("%9.1f %6.0f%%", gflops, 100 * gflops / (peak * threads));
    else if (desc->kernels[k].flops)
      std::printf("%9.1f %7s", gflops, "-");
    else
      std::printf("%9s %7s", "-", "-");
    std::printf("  #%u %s\n", k, desc->kernels[k].name);
  }
  double median = times.empty() ? 0 : times[times.size() / 2];
  std::printf("kernels %.3f ms (sum of medians) of a %.3f ms median run\n",
              sum, median);
}
} // namespace

static int usage() {
  std::fprintf(stderr,
               "usage: dlc-run model.so --input x.pb [--input name=y.pb ...] "
               "[--output-dir DIR] [--repeat N] [--threads N] [--profile]\n");
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
  bool profile = false;
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
    else if (a == "--profile")
      profile = true;
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
  // Unloaded on every way out (leak-free under LeakSanitizer).
  std::unique_ptr<dlc_model_t, void (*)(dlc_model_t *)> modelOwner(
      model, [](dlc_model_t *m) { dlc_model_unload(m); });
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
    outputs[i] = tensorFor(desc->outputs[i]);
    out.push_back(outputs[i].data.data());
  }

  dlc_session_t *session = nullptr;
  if (dlc_session_create(model, nullptr, 0, &session) != DLC_OK)
    return fail("cannot create a session");
  std::unique_ptr<dlc_session_t, void (*)(dlc_session_t *)> sessionOwner(
      session, [](dlc_session_t *s) { dlc_session_destroy(s); });
  if (dlc_session_set_num_threads(session, threads) != DLC_OK)
    return fail("cannot start " + std::to_string(threads) + " threads");
  Profiler prof;
  prof.calls.assign(desc->num_kernels, {});
  prof.start.assign(desc->num_kernels, {});
  std::vector<double> times;
  for (int r = 0; r < repeat + 1; ++r) {
    if (profile && r == 1) // After the warm-up run.
      dlc_session_set_profiler(session, Profiler::event, &prof);
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
  if (profile)
    printProfile(desc, prof, repeat, threads, times);
  return 0;
}

//===- dlc-bench.cpp - dlc against onnxruntime, in one run ----------------===//
//
//   dlc-bench model.onnx [-target=host] [--input-shape ...] [--dim ...]
//             [--threads N] [--runs N] [--min-time S] [--python PATH]
//             [--dlc-flag=FLAG ...]   (passed to dlc, e.g. --winograd=0)
//             [--peer-model PATH]     (what onnxruntime runs; default: the
//                                      model itself)
//
// --peer-model compares dlc's own quantization with another tool's: dlc
// compiles model.onnx with --dlc-flag=--quantize=int8 ..., onnxruntime runs
// the model its quantizer wrote from the same calibration data.
//
// Compiles the model with dlc, makes seeded inputs from the artifact's
// descriptor, times dlc's artifact and onnxruntime's CPU execution provider on
// the same inputs in the same run, interleaved in rounds of ~0.25 s each so
// that a drifting machine affects both alike (each round after a 100 ms
// pause, so that neither peer's spinning idle threads slow the other's
// round; warm-up, then at least --runs runs and --min-time seconds), and
// prints
//
//   dlc X ms, onnxruntime Y ms, ratio X/Y
//
// (medians; minima beside them) and whether the outputs agree: per output,
// max |dlc - onnxruntime| <= 1e-3 * max |onnxruntime|. onnxruntime runs in
// the Python of the benchmark venv (utils/bench-env.sh); it is a peer for
// measurement only, never a dependency of dlc or its runtime.
//
//===----------------------------------------------------------------------===//
#include "compiler/tools/common/Exec.h"
#include "compiler/tools/common/TensorIO.h"
#include "dlc/runtime.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace dlc::tools;

namespace {

/// The tolerance of the agreement check, per output.
constexpr double kMaxRel = 1e-3;

/// onnxruntime's side: loads the same inputs, times sessions.run the same way,
/// writes its outputs and prints "median_ms min_ms runs".
const char *kOrtScript = R"PY(
import sys, time, os
import numpy as np, onnx, onnxruntime as ort
from onnx import numpy_helper
model, indir, outdir, threads = sys.argv[1:5]
so = ort.SessionOptions()
so.intra_op_num_threads = int(threads)
so.inter_op_num_threads = 1
so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
sess = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
feeds = {}
for i, inp in enumerate(sess.get_inputs()):
    t = onnx.TensorProto()
    with open(os.path.join(indir, "input_%d.pb" % i), "rb") as f:
        t.ParseFromString(f.read())
    feeds[inp.name] = numpy_helper.to_array(t)
for _ in range(3):
    outs = sess.run(None, feeds)
print("ready", ort.__version__, flush=True)
for line in sys.stdin:
    n = int(line)
    if n <= 0:
        break
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        outs = sess.run(None, feeds)
        times.append((time.perf_counter() - t0) * 1e3)
    print(" ".join("%.6f" % t for t in times), flush=True)
for i, o in enumerate(outs):
    with open(os.path.join(outdir, "output_%d.pb" % i), "wb") as f:
        f.write(numpy_helper.from_array(np.asarray(o)).SerializeToString())
)PY";

int usage() {
  std::fprintf(stderr,
               "usage: dlc-bench model.onnx [-target=T] [--input-shape ...] "
               "[--dim ...] [--threads N] [--runs N] [--min-time S] "
               "[--python PATH] [--keep DIR] [--dlc-flag=FLAG ...] "
               "[--peer-model PATH]\n");
  return 2;
}

int fail(const std::string &msg) {
  std::fprintf(stderr, "dlc-bench: error: %s\n", msg.c_str());
  return 1;
}

std::string selfDir() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0)
    return ".";
  buf[n] = 0;
  std::string s(buf);
  return s.substr(0, s.rfind('/'));
}

/// Runs `args` with stdout to `out` (if not empty); returns the exit code,
/// or 128 + signal.
int run(const std::vector<std::string> &args, const std::string &out) {
  pid_t pid = fork();
  if (pid == 0) {
    if (!out.empty()) {
      FILE *f = std::fopen(out.c_str(), "w");
      if (f)
        dup2(fileno(f), 1);
    }
    execOrExit(args);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

size_t dtypeBytes(int32_t dtype) {
  switch (dtype) {
  case DLC_DTYPE_UINT8: case DLC_DTYPE_INT8: case DLC_DTYPE_BOOL: return 1;
  case DLC_DTYPE_INT16: case DLC_DTYPE_FLOAT16: case DLC_DTYPE_BFLOAT16:
    return 2;
  case DLC_DTYPE_FLOAT32: case DLC_DTYPE_INT32: return 4;
  case DLC_DTYPE_INT64: case DLC_DTYPE_FLOAT64: return 8;
  default: return 0;
  }
}

/// onnxruntime in a child Python process that answers "N\n" with N run
/// times, one line, until "0\n".
class OrtPeer {
public:
  bool start(const std::vector<std::string> &args, std::string &version) {
    int toChild[2], fromChild[2];
    if (pipe(toChild) || pipe(fromChild))
      return false;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(toChild[0], 0);
      dup2(fromChild[1], 1);
      close(toChild[1]);
      close(fromChild[0]);
      execOrExit(args);
    }
    close(toChild[0]);
    close(fromChild[1]);
    in_ = fdopen(toChild[1], "w");
    out_ = fdopen(fromChild[0], "r");
    std::string line;
    if (!readLine(line) || line.compare(0, 6, "ready ") != 0)
      return false;
    version = line.substr(6);
    return true;
  }
  bool runs(int n, std::vector<double> &times) {
    std::fprintf(in_, "%d\n", n);
    std::fflush(in_);
    std::string line;
    if (!readLine(line))
      return false;
    const char *p = line.c_str();
    char *end;
    for (int i = 0; i < n; ++i, p = end) {
      double t = std::strtod(p, &end);
      if (end == p)
        return false;
      times.push_back(t);
    }
    return true;
  }
  bool finish() {
    std::fprintf(in_, "0\n");
    std::fclose(in_);
    int status = 0;
    waitpid(pid_, &status, 0);
    std::fclose(out_);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }

private:
  bool readLine(std::string &line) {
    line.clear();
    int c;
    while ((c = std::fgetc(out_)) != EOF && c != '\n')
      line.push_back(static_cast<char>(c));
    return c == '\n';
  }
  pid_t pid_ = -1;
  FILE *in_ = nullptr, *out_ = nullptr;
};

/// Seeded inputs: floats uniform in [-1, 1), integers in [0, 100) (valid
/// token ids for any vocabulary of at least 100), booleans 0/1.
HostTensor makeInput(const dlc_tensor_desc_t &d, uint64_t seed) {
  HostTensor t;
  t.name = d.name ? d.name : "";
  t.dtype = d.dtype;
  t.shape.assign(d.shape, d.shape + d.rank);
  t.data.assign(d.size_bytes, 0);
  uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
  auto next = [&]() { // splitmix64
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  };
  size_t bytes = dtypeBytes(d.dtype);
  size_t n = bytes ? d.size_bytes / bytes : 0;
  for (size_t i = 0; i < n; ++i) {
    uint64_t r = next();
    char *p = t.data.data() + i * bytes;
    switch (d.dtype) {
    case DLC_DTYPE_FLOAT32: {
      float f = static_cast<float>((r >> 40) * (1.0 / (1ull << 24))) * 2 - 1;
      std::memcpy(p, &f, 4);
      break;
    }
    case DLC_DTYPE_FLOAT64: {
      double f = (r >> 11) * (1.0 / (1ull << 53)) * 2 - 1;
      std::memcpy(p, &f, 8);
      break;
    }
    case DLC_DTYPE_BOOL:
      *p = r & 1;
      break;
    default: { // Integers, little-endian.
      uint64_t v = r % 100;
      std::memcpy(p, &v, bytes);
    }
    }
  }
  return t;
}

} // namespace

int main(int argc, char **argv) {
  std::string model, target = "host", python, keep, peerModel;
  std::vector<std::string> dlcFlags;
  int threads = 1, runs = 20;
  double minTime = 2.0;
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
    if (const char *v = value("-target"))
      target = v;
    else if (const char *v = value("--threads"))
      threads = std::max(1, std::atoi(v));
    else if (const char *v = value("--runs"))
      runs = std::max(1, std::atoi(v));
    else if (const char *v = value("--min-time"))
      minTime = std::atof(v);
    else if (const char *v = value("--python"))
      python = v;
    else if (const char *v = value("--keep"))
      keep = v;
    else if (const char *v = value("--input-shape"))
      dlcFlags.push_back(std::string("--input-shape=") + v);
    else if (const char *v = value("--dim"))
      dlcFlags.push_back(std::string("--dim=") + v);
    else if (const char *v = value("--peer-model"))
      peerModel = v;
    else if (const char *v = value("--dlc-flag")) // Passed to dlc as is.
      dlcFlags.push_back(v);
    else if (a == "-h" || a == "--help")
      return usage(), 0;
    else if (!a.empty() && a[0] != '-' && model.empty())
      model = a;
    else
      return usage();
  }
  if (model.empty())
    return usage();
  if (python.empty()) {
    const char *env = std::getenv("DLC_BENCH_PYTHON");
    const char *home = std::getenv("HOME");
    python = env ? env
                 : std::string(home ? home : ".") +
                       "/.cache/dlc/bench-venv/bin/python";
  }
  if (access(python.c_str(), X_OK) != 0)
    return fail("no benchmark python at '" + python +
                "': run utils/bench-env.sh (or pass --python)");

  std::string dir = keep;
  if (dir.empty()) {
    char tmpl[] = "/tmp/dlc-bench-XXXXXX";
    if (!mkdtemp(tmpl))
      return fail("cannot make a temporary folder");
    dir = tmpl;
  } else {
    mkdir(dir.c_str(), 0755);
  }
  std::string so = dir + "/model.so";

  // 1. Compile.
  std::vector<std::string> args = {selfDir() + "/dlc", model,
                                   "-target=" + target};
  args.insert(args.end(), dlcFlags.begin(), dlcFlags.end());
  args.insert(args.end(), {"-o", so});
  auto c0 = std::chrono::steady_clock::now();
  if (int rc = run(args, ""))
    return fail("dlc failed (exit " + std::to_string(rc) + ")");
  double compileS = std::chrono::duration<double>(
                        std::chrono::steady_clock::now() - c0)
                        .count();

  // 2. Seeded inputs, written for onnxruntime too.
  char err[512] = "";
  dlc_model_t *m = nullptr;
  if (dlc_model_load(so.c_str(), &m, err, sizeof(err)) != DLC_OK)
    return fail(std::string("cannot load the artifact: ") + err);
  const dlc_model_desc_t *desc = dlc_model_describe(m);
  std::string inDir = dir + "/inputs", ortDir = dir + "/onnxruntime";
  mkdir(inDir.c_str(), 0755);
  mkdir(ortDir.c_str(), 0755);
  std::vector<HostTensor> inputs;
  std::vector<const void *> in;
  for (uint32_t i = 0; i < desc->num_inputs; ++i) {
    inputs.push_back(makeInput(desc->inputs[i], i + 1));
    std::string error;
    if (!writeTensorFile(inDir + "/input_" + std::to_string(i) + ".pb",
                         inputs.back(), error))
      return fail(error);
  }
  for (HostTensor &t : inputs)
    in.push_back(t.data.data());
  std::vector<HostTensor> outputs(desc->num_outputs);
  std::vector<void *> out;
  for (uint32_t i = 0; i < desc->num_outputs; ++i) {
    outputs[i] = tensorFor(desc->outputs[i]);
    out.push_back(outputs[i].data.data());
  }

  // 3. dlc: warm-up, then timed runs.
  dlc_session_t *session = nullptr;
  if (dlc_session_create(m, nullptr, 0, &session) != DLC_OK)
    return fail("cannot create a session");
  if (dlc_session_set_num_threads(session, threads) != DLC_OK)
    return fail("cannot start " + std::to_string(threads) + " threads");
  for (int i = 0; i < 3; ++i)
    if (dlc_session_run(session, in.data(), out.data()) != DLC_OK)
      return fail("the artifact's run failed");
  // 4. Both peers, interleaved: rounds of ~0.25 s of dlc runs, then as many
  // onnxruntime runs (a Python process that stays up between rounds), so
  // that both see the same machine when its speed drifts.
  OrtPeer peer;
  std::string version;
  if (!peer.start({python, "-c", kOrtScript,
                   peerModel.empty() ? model : peerModel, inDir, ortDir,
                   std::to_string(threads)},
                  version))
    return fail("onnxruntime did not start (run utils/bench-env.sh?)");
  std::vector<double> times, ortTimes;
  auto runDlc = [&]() {
    auto t0 = std::chrono::steady_clock::now();
    dlc_session_run(session, in.data(), out.data());
    times.push_back(std::chrono::duration<double, std::milli>(
                        std::chrono::steady_clock::now() - t0)
                        .count());
  };
  // Each peer's idle pool threads spin for a while after its last run
  // (onnxruntime's for about 60 ms, measured here; dlc's for up to about
  // 10 ms) before they sleep, so a round that started at once would share
  // the cores with the other peer's spinning threads for its first runs:
  // dlc at 2 threads measured 66 ms inside dlc-bench against 43 ms alone.
  // Every round starts after a pause that outlasts both spins.
  auto settle = [] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  };
  runDlc();
  int chunk = std::clamp(static_cast<int>(250.0 / std::max(times[0], 1e-3)),
                         1, 200);
  times.clear();
  auto start = std::chrono::steady_clock::now();
  while (static_cast<int>(std::min(times.size(), ortTimes.size())) < runs ||
         (std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                        start)
                  .count() < minTime &&
          times.size() < 2000)) {
    settle();
    for (int i = 0; i < chunk; ++i)
      runDlc();
    settle();
    if (!peer.runs(chunk, ortTimes))
      return fail("onnxruntime failed during the runs");
  }
  if (!peer.finish())
    return fail("onnxruntime failed writing its outputs");
  auto stats = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return std::make_pair(v[v.size() / 2], v.front());
  };
  auto [dlcMedian, dlcMin] = stats(times);
  auto [ortMedian, ortMin] = stats(ortTimes);
  size_t dlcRuns = times.size();
  int ortRuns = static_cast<int>(ortTimes.size());

  // 5. Agreement.
  bool agree = true;
  for (uint32_t i = 0; i < desc->num_outputs; ++i) {
    HostTensor ref;
    std::string error;
    if (!readTensorFile(ortDir + "/output_" + std::to_string(i) + ".pb", ref,
                        error) ||
        !allClose(outputs[i], ref, 0, 0, error, kMaxRel)) {
      agree = false;
      std::printf("output %u '%s' differs: %s\n", i, outputs[i].name.c_str(),
                  error.c_str());
    }
  }

  std::printf("compile %.1f s, target %s, threads %d, onnxruntime %s\n",
              compileS, target.c_str(), threads, version.c_str());
  std::printf("dlc %.3f ms (min %.3f, %zu runs), onnxruntime %.3f ms (min "
              "%.3f, %d runs), ratio %.3f\n",
              dlcMedian, dlcMin, dlcRuns, ortMedian, ortMin, ortRuns,
              dlcMedian / ortMedian);
  std::printf("dlc %.3f ms, onnxruntime %.3f ms, ratio %.2f\n", dlcMedian,
              ortMedian, dlcMedian / ortMedian);
  std::printf("outputs %s (max |dlc - onnxruntime| <= %g * max "
              "|onnxruntime| per output)\n",
              agree ? "agree" : "DIFFER", kMaxRel);
  dlc_session_destroy(session);
  dlc_model_unload(m);
  if (keep.empty())
    run({"rm", "-rf", dir}, "");
  return agree ? 0 : 1;
}

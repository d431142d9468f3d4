//===- dlc-check.cpp - compile, run and compare ONNX backend-test folders -===//
//
//   dlc-check [-target=x86-64] [dlc flags...] [--rtol=R] [--atol=A] DIR...
//
// Each DIR holds model.onnx and test_data_set_N/{input,output}_K.pb. The
// model is compiled by the dlc next to this tool (unknown flags are passed
// on), then every data set runs in dlc-runner, the C runner next to this
// tool, as a child process: a crash fails only that folder, and the artifact
// is loaded into a process that links nothing but libc, so a stray libm
// dependency fails the check instead of being satisfied by this tool's own
// libraries. A model built for another architecture (e.g. -target=armv8)
// runs in the runner cross-built for it (bin/<triple>/dlc-runner) under
// qemu-user. TensorProto parsing and comparison stay here. Prints one PASS/FAIL line
// per folder and a closing "N passed, N failed" line; exits 0 only if all
// passed.
//
//===----------------------------------------------------------------------===//
#include "compiler/tools/common/Exec.h"
#include "compiler/tools/common/TensorIO.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <set>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

using namespace dlc::tools;

namespace {

bool exists(const std::string &p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0;
}

std::vector<std::string> listDir(const std::string &dir,
                                 const std::string &prefix) {
  std::vector<std::string> out;
  if (DIR *d = opendir(dir.c_str())) {
    while (dirent *e = readdir(d))
      if (std::strncmp(e->d_name, prefix.c_str(), prefix.size()) == 0)
        out.push_back(e->d_name);
    closedir(d);
  }
  // Natural order: test_data_set_2 before test_data_set_10.
  std::sort(out.begin(), out.end(), [](const std::string &a,
                                       const std::string &b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;
  });
  return out;
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

std::string firstErrorLine(const std::string &logPath) {
  FILE *f = std::fopen(logPath.c_str(), "r");
  if (!f)
    return "no diagnostics";
  char line[2048];
  std::string first, error;
  while (std::fgets(line, sizeof(line), f)) {
    std::string l(line);
    while (!l.empty() && (l.back() == '\n' || l.back() == '\r'))
      l.pop_back();
    if (first.empty() && !l.empty())
      first = l;
    if (error.empty() && l.find("error:") != std::string::npos)
      error = l;
  }
  std::fclose(f);
  std::string r = error.empty() ? first : error;
  return r.empty() ? "no diagnostics" : r;
}

/// How to run an artifact: dlc-runner for its architecture, directly or
/// under qemu-user.
struct CrossRunner {
  std::string runner; // dlc-runner built for that architecture.
  std::string qemu;   // qemu-user binary; empty for the host.
  std::string sysroot;
  std::string describe() const { return qemu.empty() ? "dlc-runner" : qemu; }
};

/// The ELF e_machine of `path`, or -1.
int elfMachine(const std::string &path) {
  unsigned char h[20];
  FILE *f = std::fopen(path.c_str(), "rb");
  if (!f)
    return -1;
  size_t n = std::fread(h, 1, sizeof(h), f);
  std::fclose(f);
  if (n != sizeof(h) || std::memcmp(h, "\x7f" "ELF", 4) != 0)
    return -1;
  return h[18] | (h[19] << 8); // Little-endian: every target dlc has.
}

#if defined(__x86_64__)
constexpr int kHostMachine = 62; // EM_X86_64
#elif defined(__aarch64__)
constexpr int kHostMachine = 183; // EM_AARCH64
#else
constexpr int kHostMachine = -1;
#endif

/// Runs `argv` with stdout and stderr going to `log`; returns the wait status.
int runLogged(const std::vector<std::string> &args, const std::string &log) {
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, 2);
      dup2(fd, 1);
    }
    alarm(600); // Survives exec: bounds a compile or a run that hangs.
    execOrExit(args);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

/// Runs dlc; returns "" on success or the reason.
std::string compile(const std::string &dlc, const std::vector<std::string> &flags,
                    const std::string &model, const std::string &so,
                    const std::string &log) {
  std::vector<std::string> args = {dlc, model};
  args.insert(args.end(), flags.begin(), flags.end());
  args.insert(args.end(), {"-o", so});
  int status = runLogged(args, log);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return "";
  if (WIFSIGNALED(status))
    return "compile: dlc crashed (signal " + std::to_string(WTERMSIG(status)) +
           ")";
  return "compile: " + firstErrorLine(log);
}

std::string readFile(const std::string &path) {
  std::string out;
  if (FILE *f = std::fopen(path.c_str(), "rb")) {
    char buf[65536];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0)
      out.append(buf, n);
    std::fclose(f);
  }
  return out;
}

/// One tensor line of dlc-runner's output: "input|output K DTYPE DIMS NAME".
struct RunnerDesc {
  int32_t dtype = 0;
  std::vector<int64_t> shape;
  std::string name;
  dlc_tensor_desc_t view() const {
    dlc_tensor_desc_t d{};
    d.name = name.c_str();
    d.dtype = dtype;
    d.rank = static_cast<int32_t>(shape.size());
    d.shape = shape.data();
    return d;
  }
};

/// Parses dlc-runner's descriptor lines into `in`/`out`.
void parseRunnerDescs(const std::string &text, std::vector<RunnerDesc> &in,
                      std::vector<RunnerDesc> &out) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos)
      end = text.size();
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    char kind[8], dims[1024];
    unsigned idx;
    int dtype, nameAt = 0;
    if (std::sscanf(line.c_str(), "%7s %u %d %1023s %n", kind, &idx, &dtype,
                    dims, &nameAt) != 4)
      continue;
    std::vector<RunnerDesc> &list = std::strcmp(kind, "input") == 0 ? in : out;
    if (idx != list.size())
      continue;
    RunnerDesc d;
    d.dtype = dtype;
    d.name = nameAt ? line.substr(nameAt) : "";
    if (std::strcmp(dims, "-") != 0)
      for (char *p = dims; *p;) {
        d.shape.push_back(std::strtoll(p, &p, 10));
        if (*p == 'x')
          ++p;
        else
          break;
      }
    list.push_back(d);
  }
}

/// Runs one test data set through dlc-runner under qemu. Returns "" on
/// success or the reason.
std::string runSet(const CrossRunner &cross, const std::string &so,
                        const std::string &tmp,
                        const std::vector<HostTensor> &in,
                        std::vector<HostTensor> &got) {
  std::string error;
  for (size_t i = 0; i < in.size(); ++i) {
    const std::vector<char> &bytes = in[i].data;
    std::string path = tmp + "/input_" + std::to_string(i) + ".bin";
    FILE *f = std::fopen(path.c_str(), "wb");
    if (!f || std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size()) {
      if (f)
        std::fclose(f);
      return "cannot write " + path;
    }
    std::fclose(f);
  }
  std::string log = tmp + "/runner.log";
  std::vector<std::string> args = {cross.runner, so, tmp};
  if (!cross.qemu.empty())
    args.insert(args.begin(), {cross.qemu, "-L", cross.sysroot});
  int status = runLogged(args, log);
  std::string text = readFile(log);
  std::vector<RunnerDesc> inDesc, outDesc;
  parseRunnerDescs(text, inDesc, outDesc);
  for (size_t i = 0; i < in.size() && i < inDesc.size(); ++i) {
    dlc_tensor_desc_t d = inDesc[i].view();
    if (!matchesDesc(in[i], d, error))
      return "input " + error;
  }
  if (WIFSIGNALED(status))
    return "run: crashed in " + cross.describe() + " (signal " +
           std::to_string(WTERMSIG(status)) + ")";
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    size_t at = text.find("error");
    if (at == std::string::npos)
      at = text.rfind('\n', text.size() > 1 ? text.size() - 2 : 0);
    at = at == std::string::npos ? 0 : at;
    std::string why = text.substr(at, text.find('\n', at + 1) - at);
    while (!why.empty() && (why.front() == '\n' || why.front() == ' '))
      why.erase(0, 1);
    return "run in " + cross.describe() + ": " + (why.empty() ? "failed" : why);
  }
  if (outDesc.size() != got.size())
    return "the model has " + std::to_string(outDesc.size()) + " outputs";
  for (size_t i = 0; i < got.size(); ++i) {
    got[i].dtype = outDesc[i].dtype;
    got[i].shape = outDesc[i].shape;
    std::string bytes = readFile(tmp + "/output_" + std::to_string(i) + ".bin");
    got[i].data.assign(bytes.begin(), bytes.end());
  }
  return "";
}

/// Runs every test_data_set_* of `dir` through dlc-runner under qemu.
std::string runSets(const CrossRunner &cross, const std::string &dir,
                         const std::string &so, const std::string &tmp,
                         double rtol, double atol, double maxRel,
                         const std::set<std::string> &frozen) {
  std::vector<std::string> sets = listDir(dir, "test_data_set_");
  if (sets.empty())
    return "no test_data_set_* folders";
  for (const std::string &set : sets) {
    std::string base = dir + "/" + set + "/", error;
    size_t nIn = listDir(base, "input_").size();
    size_t nOut = listDir(base, "output_").size();
    std::vector<HostTensor> in(nIn), expect(nOut), got(nOut);
    for (size_t i = 0; i < nIn; ++i)
      if (!readTensorFile(base + "input_" + std::to_string(i) + ".pb", in[i],
                          error))
        return set + ": input " + error;
    // Inputs the compile made constants (--input-value) are not run inputs.
    in.erase(std::remove_if(in.begin(), in.end(),
                            [&](const HostTensor &t) {
                              return !t.name.empty() && frozen.count(t.name);
                            }),
             in.end());
    for (size_t i = 0; i < nOut; ++i)
      if (!readTensorFile(base + "output_" + std::to_string(i) + ".pb",
                          expect[i], error))
        return set + ": " + error;
    std::string r = runSet(cross, so, tmp, in, got);
    if (!r.empty())
      return set + ": " + r;
    for (size_t i = 0; i < nOut; ++i)
      if (!allClose(got[i], expect[i], rtol, atol, error, maxRel))
        return set + ": output " + std::to_string(i) + ": " + error;
  }
  return "";
}

/// Picks the runner for an artifact for ELF machine `machine`: the host's
/// dlc-runner, or the aarch64 one under qemu-aarch64.
bool pickRunner(int machine, CrossRunner &cross, std::string &reason) {
  if (machine == kHostMachine) {
    cross.runner = selfDir() + "/dlc-runner";
  } else if (machine == 183) {
    cross.runner = selfDir() + "/aarch64-linux-gnu/dlc-runner";
    cross.qemu = "qemu-aarch64";
    const char *sysroot = std::getenv("DLC_QEMU_LD_PREFIX");
    cross.sysroot = sysroot ? sysroot : "/usr/aarch64-linux-gnu";
  } else {
    reason = "cannot run an artifact for ELF machine " +
             std::to_string(machine) + " on this host";
    return false;
  }
  if (!exists(cross.runner)) {
    reason = "no " + cross.runner +
             (cross.qemu.empty() ? "" : " (dlc was built without aarch64-linux-gnu-gcc)");
    return false;
  }
  return true;
}

std::string checkFolder(const std::string &dlc,
                        const std::vector<std::string> &flags,
                        const std::string &dir, double rtol, double atol,
                        double maxRel) {
  std::string model = dir + "/model.onnx";
  if (!exists(model))
    return "no model.onnx";
  char tmpl[] = "/tmp/dlc-check-XXXXXX";
  if (!mkdtemp(tmpl))
    return "cannot create a temporary folder";
  std::string tmp = tmpl, so = tmp + "/model.so", log = tmp + "/dlc.log";
  std::string reason = compile(dlc, flags, model, so, log);
  CrossRunner runner;
  if (reason.empty() && pickRunner(elfMachine(so), runner, reason)) {
    // --input-value=name=... makes `name` a constant of the artifact.
    std::set<std::string> frozen;
    for (const std::string &f : flags)
      if (f.rfind("--input-value=", 0) == 0)
        frozen.insert(f.substr(14, f.find('=', 14) - 14));
    reason = runSets(runner, dir, so, tmp, rtol, atol, maxRel, frozen);
    for (const std::string &f : listDir(tmp, "input_"))
      unlink((tmp + "/" + f).c_str());
    for (const std::string &f : listDir(tmp, "output_"))
      unlink((tmp + "/" + f).c_str());
    unlink((tmp + "/runner.log").c_str());
  }
  unlink(so.c_str());
  unlink(log.c_str());
  rmdir(tmp.c_str());
  return reason;
}

} // namespace

int main(int argc, char **argv) {
  double rtol = kDefaultRtol, atol = kDefaultAtol, maxRel = 0;
  std::string dlc = selfDir() + "/dlc";
  std::vector<std::string> flags, dirs;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--rtol=", 0) == 0)
      rtol = std::atof(a.c_str() + 7);
    else if (a.rfind("--atol=", 0) == 0)
      atol = std::atof(a.c_str() + 7);
    else if (a.rfind("--max-rel=", 0) == 0)
      maxRel = std::atof(a.c_str() + 10);
    else if (a.rfind("--dlc=", 0) == 0)
      dlc = a.substr(6);
    else if (a == "-h" || a == "--help") {
      std::printf("usage: dlc-check [dlc flags...] [--rtol=R] [--atol=A] "
                  "[--max-rel=R] DIR...\n  defaults: rtol %g, atol %g; "
                  "--max-rel: max|err| <= R * max|reference| per tensor\n",
                  kDefaultRtol, kDefaultAtol);
      return 0;
    } else if (!a.empty() && a[0] == '-')
      flags.push_back(a);
    else
      dirs.push_back(a);
  }
  if (dirs.empty()) {
    std::fprintf(stderr, "dlc-check: error: no test folders given\n");
    return 2;
  }
  int passed = 0, failed = 0;
  for (std::string dir : dirs) {
    while (dir.size() > 1 && dir.back() == '/')
      dir.pop_back();
    std::string reason = checkFolder(dlc, flags, dir, rtol, atol, maxRel);
    if (reason.empty()) {
      ++passed;
      std::printf("PASS %s\n", dir.c_str());
    } else {
      ++failed;
      std::printf("FAIL %s: %s\n", dir.c_str(), reason.c_str());
    }
    std::fflush(stdout);
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}

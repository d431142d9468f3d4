//===- dlc-check.cpp - compile, run and compare ONNX backend-test folders -===//
//
//   dlc-check [-target=x86-64] [dlc flags...] [--rtol=R] [--atol=A] DIR...
//
// Each DIR holds model.onnx and test_data_set_N/{input,output}_K.pb. The
// model is compiled by the dlc next to this tool (unknown flags are passed
// on), then run in a child process, so a crash in one model is reported as
// that folder's failure, not the end of the run. Prints one PASS/FAIL line
// per folder and a closing "N passed, N failed" line; exits 0 only if all
// passed.
//
//===----------------------------------------------------------------------===//
#include "compiler/tools/common/TensorIO.h"
#include "dlc/runtime.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
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

/// Runs dlc; returns "" on success or the reason.
std::string compile(const std::string &dlc, const std::vector<std::string> &flags,
                    const std::string &model, const std::string &so,
                    const std::string &log) {
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, 2);
      dup2(fd, 1);
    }
    std::vector<char *> argv;
    argv.push_back(const_cast<char *>(dlc.c_str()));
    argv.push_back(const_cast<char *>(model.c_str()));
    for (const std::string &f : flags)
      argv.push_back(const_cast<char *>(f.c_str()));
    argv.push_back(const_cast<char *>("-o"));
    argv.push_back(const_cast<char *>(so.c_str()));
    argv.push_back(nullptr);
    execv(dlc.c_str(), argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return "";
  if (WIFSIGNALED(status))
    return "compile: dlc crashed (signal " + std::to_string(WTERMSIG(status)) +
           ")";
  return "compile: " + firstErrorLine(log);
}

/// Runs every test_data_set_* of `dir` against the compiled model. Returns
/// "" on success or the reason. Called in a child process.
std::string runSets(const std::string &dir, const std::string &so, double rtol,
                    double atol, double maxRel) {
  char err[512] = "";
  dlc_model_t *model = nullptr;
  if (dlc_model_load(so.c_str(), &model, err, sizeof(err)) != DLC_OK)
    return std::string("load: ") + err;
  const dlc_model_desc_t *desc = dlc_model_describe(model);
  dlc_session_t *session = nullptr;
  if (dlc_session_create(model, nullptr, &session) != DLC_OK)
    return "cannot create a session";
  std::vector<std::string> sets = listDir(dir, "test_data_set_");
  if (sets.empty())
    return "no test_data_set_* folders";
  for (const std::string &set : sets) {
    std::string base = dir + "/" + set + "/";
    size_t nIn = listDir(base, "input_").size();
    size_t nOut = listDir(base, "output_").size();
    if (nIn != desc->num_inputs || nOut != desc->num_outputs)
      return set + ": " + std::to_string(nIn) + " inputs/" +
             std::to_string(nOut) + " outputs, the model has " +
             std::to_string(desc->num_inputs) + "/" +
             std::to_string(desc->num_outputs);
    std::vector<HostTensor> in(nIn), expect(nOut), got(nOut);
    std::vector<const void *> inPtr;
    std::vector<void *> outPtr;
    std::string error;
    for (size_t i = 0; i < nIn; ++i) {
      if (!readTensorFile(base + "input_" + std::to_string(i) + ".pb", in[i],
                          error) ||
          !matchesDesc(in[i], desc->inputs[i], error))
        return set + ": input " + error;
      inPtr.push_back(in[i].data.data());
    }
    for (size_t i = 0; i < nOut; ++i) {
      if (!readTensorFile(base + "output_" + std::to_string(i) + ".pb",
                          expect[i], error))
        return set + ": " + error;
      const dlc_tensor_desc_t &d = desc->outputs[i];
      got[i].dtype = d.dtype;
      got[i].shape.assign(d.shape, d.shape + d.rank);
      got[i].data.resize(d.size_bytes);
      outPtr.push_back(got[i].data.data());
    }
    if (dlc_session_run(session, inPtr.data(), outPtr.data()) != DLC_OK)
      return set + ": run failed";
    for (size_t i = 0; i < nOut; ++i)
      if (!allClose(got[i], expect[i], rtol, atol, error, maxRel))
        return set + ": output " + std::to_string(i) + " '" +
               desc->outputs[i].name + "': " + error;
  }
  dlc_session_destroy(session);
  dlc_model_unload(model);
  return "";
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
  if (reason.empty()) {
    int fds[2];
    if (pipe(fds) != 0)
      return "pipe failed";
    pid_t pid = fork();
    if (pid == 0) {
      close(fds[0]);
      alarm(600);
      std::string r = runSets(dir, so, rtol, atol, maxRel);
      if (write(fds[1], r.data(), r.size()) < 0)
        _exit(3);
      _exit(r.empty() ? 0 : 1);
    }
    close(fds[1]);
    std::string msg;
    char buf[1024];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof(buf))) > 0)
      msg.append(buf, n);
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status))
      reason = "run: crashed (signal " + std::to_string(WTERMSIG(status)) + ")";
    else if (WEXITSTATUS(status) != 0)
      reason = msg.empty() ? "run failed" : msg;
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

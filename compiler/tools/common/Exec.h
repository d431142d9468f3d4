//===- Exec.h - replace a forked child with a command ---------------------===//
//
// Shared by the tools that run dlc or a peer in a child process (dlc-check,
// dlc-bench).
//
//===----------------------------------------------------------------------===//
#ifndef DLC_TOOLS_COMMON_EXEC_H
#define DLC_TOOLS_COMMON_EXEC_H

#include <string>
#include <unistd.h>
#include <vector>

namespace dlc::tools {

/// In a forked child: becomes `args` (searched on PATH), or exits 127.
[[noreturn]] inline void execOrExit(const std::vector<std::string> &args) {
  std::vector<char *> argv;
  for (const std::string &a : args)
    argv.push_back(const_cast<char *>(a.c_str()));
  argv.push_back(nullptr);
  execvp(argv[0], argv.data());
  _exit(127);
}

} // namespace dlc::tools

#endif // DLC_TOOLS_COMMON_EXEC_H

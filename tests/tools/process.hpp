// Child processes for the end-to-end tests of orgctl and the REST example: run a program to
// completion with its stdout, stderr and exit code, or start a server and stop it. Every wait
// is bounded, and a started server is stopped by its destructor (SIGTERM, then SIGKILL), so a
// failing test leaves nothing running.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace orgkit::test {

/// What a finished program left.
struct Finished {
  int exit_code = -1;  ///< -1 if it was killed (by a signal or the timeout).
  std::string out;
  std::string err;
};

/// Runs `program` with `args` (stdin from `input`), waiting at most `timeout`.
Finished run_program(const std::string& program, const std::vector<std::string>& args,
                     std::chrono::seconds timeout = std::chrono::seconds(60),
                     const std::string& input = {});

/// As run_program, but with stderr on a pseudo-terminal (what a person at a terminal sees):
/// `err` is what was written there. For output that a program shows only on a terminal.
Finished run_with_terminal_stderr(const std::string& program, const std::vector<std::string>& args,
                                  std::chrono::seconds timeout = std::chrono::seconds(60));

/// A running program with its stdout readable line by line.
class Running {
 public:
  Running(const std::string& program, const std::vector<std::string>& args);
  ~Running();  // stop()
  Running(const Running&) = delete;
  Running& operator=(const Running&) = delete;

  /// The next line of its stdout, or "" if none came within `timeout` (or it ended).
  std::string read_line(std::chrono::milliseconds timeout);

  /// SIGTERM, then SIGKILL if it has not ended within `grace`; returns its exit code (-1 if
  /// killed). Idempotent.
  int stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));

  /// Waits up to `timeout` for it to end by itself; its exit code, or nullopt-like -2.
  int wait(std::chrono::milliseconds timeout);

  [[nodiscard]] pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int exit_code_ = -2;
  std::string buffer_;
};

}  // namespace orgkit::test

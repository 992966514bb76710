// posix_spawn with pipes, and bounded waits. Pipes are created close-on-exec, so a child
// inherits only the ends dup2'ed onto its stdin, stdout and stderr: a server started by one
// test can never hold another pipe open and keep a reader from seeing its end.
#include "tools/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace orgkit::test {

namespace {

using clock_type = std::chrono::steady_clock;

struct Pipe {
  int read = -1;
  int write = -1;
  Pipe() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    read = fds[0];
    write = fds[1];
  }
};

pid_t spawn(const std::string& program, const std::vector<std::string>& args, int in, int out,
            int err) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (in >= 0) posix_spawn_file_actions_adddup2(&actions, in, 0);
  posix_spawn_file_actions_adddup2(&actions, out, 1);
  if (err >= 0) posix_spawn_file_actions_adddup2(&actions, err, 2);
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(program.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + program);
  return pid;
}

int exit_code_of(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }

// Waits for `pid` until `deadline`; its exit code, or -2 if it is still running.
int wait_until(pid_t pid, clock_type::time_point deadline) {
  for (;;) {
    int status = 0;
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return exit_code_of(status);
    if (r < 0 && errno != EINTR) return -1;
    if (clock_type::now() >= deadline) return -2;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace

Finished run_program(const std::string& program, const std::vector<std::string>& args,
                     std::chrono::seconds timeout, const std::string& input) {
  Pipe in, out, err;
  const pid_t pid = spawn(program, args, in.read, out.write, err.write);
  close(in.read);
  close(out.write);
  close(err.write);
  if (!input.empty()) (void)!write(in.write, input.data(), input.size());
  close(in.write);
  Finished f;
  const auto deadline = clock_type::now() + timeout;
  pollfd fds[2] = {{out.read, POLLIN, 0}, {err.read, POLLIN, 0}};
  int open_fds = 2;
  while (open_fds > 0 && clock_type::now() < deadline) {
    if (poll(fds, 2, 100) <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP)) == 0) continue;
      char buf[4096];
      const ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        (i == 0 ? f.out : f.err).append(buf, static_cast<std::size_t>(n));
      } else {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& p : fds) {
    if (p.fd >= 0) close(p.fd);
  }
  f.exit_code = wait_until(pid, deadline);
  if (f.exit_code == -2) {  // the timeout: kill it and reap it
    kill(pid, SIGKILL);
    (void)wait_until(pid, clock_type::now() + std::chrono::seconds(5));
    f.exit_code = -1;
  }
  return f;
}

Finished run_with_terminal_stderr(const std::string& program, const std::vector<std::string>& args,
                                  std::chrono::seconds timeout) {
  const int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) {
    throw std::runtime_error("no pseudo-terminal");
  }
  const int slave = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) throw std::runtime_error("cannot open the pseudo-terminal");
  Pipe out;
  const pid_t pid = spawn(program, args, -1, out.write, slave);
  close(out.write);
  close(slave);
  Finished f;
  const auto deadline = clock_type::now() + timeout;
  pollfd fds[2] = {{out.read, POLLIN, 0}, {master, POLLIN, 0}};
  int open_fds = 2;
  while (open_fds > 0 && clock_type::now() < deadline) {
    if (poll(fds, 2, 100) <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      char buf[4096];
      const ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        (i == 0 ? f.out : f.err).append(buf, static_cast<std::size_t>(n));
      } else {  // EOF, or EIO once the terminal's last writer has gone
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& p : fds) {
    if (p.fd >= 0) close(p.fd);
  }
  f.exit_code = wait_until(pid, deadline);
  if (f.exit_code == -2) {
    kill(pid, SIGKILL);
    (void)wait_until(pid, clock_type::now() + std::chrono::seconds(5));
    f.exit_code = -1;
  }
  return f;
}

Running::Running(const std::string& program, const std::vector<std::string>& args) {
  Pipe out;
  pid_ = spawn(program, args, -1, out.write, -1);  // stderr stays the test's: its log
  close(out.write);
  out_fd_ = out.read;
}

Running::~Running() { stop(); }

std::string Running::read_line(std::chrono::milliseconds timeout) {
  const auto deadline = clock_type::now() + timeout;
  for (;;) {
    const auto nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return line;
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
    if (left.count() <= 0 || out_fd_ < 0) return {};
    pollfd p{out_fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[1024];
    const ssize_t n = read(out_fd_, buf, sizeof buf);
    if (n <= 0) {
      close(out_fd_);
      out_fd_ = -1;
      return {};
    }
    buffer_.append(buf, static_cast<std::size_t>(n));
  }
}

int Running::wait(std::chrono::milliseconds timeout) {
  if (pid_ > 0 && exit_code_ == -2) {
    exit_code_ = wait_until(pid_, clock_type::now() + timeout);
  }
  return exit_code_;
}

int Running::stop(std::chrono::milliseconds grace) {
  if (pid_ > 0 && exit_code_ == -2) {
    kill(pid_, SIGTERM);
    exit_code_ = wait_until(pid_, clock_type::now() + grace);
    if (exit_code_ == -2) {
      kill(pid_, SIGKILL);
      (void)wait_until(pid_, clock_type::now() + std::chrono::seconds(5));
      exit_code_ = -1;
    }
  }
  if (out_fd_ >= 0) {
    close(out_fd_);
    out_fd_ = -1;
  }
  return exit_code_;
}

}  // namespace orgkit::test

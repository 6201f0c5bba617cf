// Driver of the net_echo_10k test: starts the echo server example and the 10k client as two
// separate processes, and always kills the server at the end.
//
//   echo_10k_driver SERVER_BINARY CLIENT_BINARY [CONNECTIONS] [DEADLINE_SECONDS]
//
// 1. runs `SERVER --port 0 --workers 2` with stdout on a pipe and reads "listening on
//    127.0.0.1:PORT" from it (10 s deadline);
// 2. runs `CLIENT --port PORT --connections N` and waits for it until the deadline;
// 3. kills the server by PID (SIGKILL) whatever happened, and exits 0 only if the client exited
//    0 in time and the server was still running. Both children get PR_SET_PDEATHSIG, so that
//    they die with the driver if CTest kills it.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

pid_t spawn(const std::vector<std::string>& args, int stdout_fd) {
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (stdout_fd >= 0) ::dup2(stdout_fd, STDOUT_FILENO);
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  ::execv(argv[0], argv.data());
  std::perror("execv");
  ::_exit(127);
}

// Waits for `pid` until `deadline`; returns the wait status, or -1 on timeout.
int wait_until(pid_t pid, Clock::time_point deadline) {
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (Clock::now() >= deadline) return -1;
    ::usleep(20'000);
  }
}

std::string vm_line(pid_t pid, const char* key) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind(key, 0) == 0) return line;
  }
  return "?";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: echo_10k_driver SERVER CLIENT [CONNECTIONS] [DEADLINE_S]\n");
    return 2;
  }
  const std::string server = argv[1], client = argv[2];
  const std::string connections = argc > 3 ? argv[3] : "10000";
  const int deadline_s = argc > 4 ? std::atoi(argv[4]) : 120;
  const auto t0 = Clock::now();

  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) < 0) return std::perror("pipe2"), 1;
  const pid_t srv = spawn({server, "--port", "0", "--workers", "2"}, pipefd[1]);
  ::close(pipefd[1]);
  int rc = 1;
  std::string out;
  std::string port;
  // Read the port line.
  const auto start_deadline = Clock::now() + std::chrono::seconds(10);
  while (port.empty() && Clock::now() < start_deadline) {
    pollfd p{pipefd[0], POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buf[256];
    ssize_t n = ::read(pipefd[0], buf, sizeof buf);
    if (n <= 0) break;  // the server exited
    out.append(buf, static_cast<std::size_t>(n));
    const std::string prefix = "listening on 127.0.0.1:";
    auto at = out.find(prefix);
    auto nl = at == std::string::npos ? std::string::npos : out.find('\n', at);
    if (nl != std::string::npos) port = out.substr(at + prefix.size(), nl - at - prefix.size());
  }
  if (port.empty()) {
    std::fprintf(stderr, "echo_10k_driver: no 'listening on' line from the server (got '%s')\n",
                 out.c_str());
  } else {
    std::printf("server pid %d listening on port %s\n", srv, port.c_str());
    std::fflush(stdout);
    const pid_t cli = spawn({client, "--port", port, "--connections", connections}, -1);
    const int status = wait_until(cli, t0 + std::chrono::seconds(deadline_s));
    if (status == -1) {
      std::fprintf(stderr, "echo_10k_driver: client still running after %d s: killed\n",
                   deadline_s);
      ::kill(cli, SIGKILL);
      ::waitpid(cli, nullptr, 0);
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      rc = 0;
    } else {
      std::fprintf(stderr, "echo_10k_driver: client failed (status 0x%x)\n", status);
    }
    std::printf("server %s, %s\n", vm_line(srv, "VmHWM").c_str(), vm_line(srv, "VmRSS").c_str());
  }
  // The server must have survived the whole run.
  int status = 0;
  if (::waitpid(srv, &status, WNOHANG) == srv) {
    std::fprintf(stderr, "echo_10k_driver: the server exited early (status 0x%x)\n", status);
    rc = 1;
  } else {
    ::kill(srv, SIGKILL);
    ::waitpid(srv, nullptr, 0);
  }
  ::close(pipefd[0]);
  std::printf("echo_10k_driver: %s in %.1f s\n", rc == 0 ? "passed" : "FAILED",
              std::chrono::duration<double>(Clock::now() - t0).count());
  return rc;
}

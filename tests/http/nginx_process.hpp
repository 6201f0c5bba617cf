// nginx as a test peer for http::Client: started in the foreground from a generated
// configuration in a temporary prefix, on loopback ports picked free, and killed by its PID
// (SIGTERM, then waited for) when the object goes away.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

namespace strata::test {

class NginxProcess {
 public:
  static bool installed() { return std::system("command -v nginx >/dev/null 2>&1") == 0; }

  // A port free on 127.0.0.1 right now: bind, read, close (nginx binds it right after).
  static std::uint16_t free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
      throw std::runtime_error("free_port: bind");
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
  }

  NginxProcess() {
    char tmpl[] = "/tmp/strata-client-nginx-XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp");
    dir_ = tmpl;
    std::filesystem::create_directory(dir_ + "/www");
  }
  NginxProcess(const NginxProcess&) = delete;
  NginxProcess& operator=(const NginxProcess&) = delete;
  ~NginxProcess() {
    stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // The prefix: www/ is the document root the caller fills.
  const std::string& dir() const noexcept { return dir_; }

  // Writes nginx.conf with `servers` (server blocks) inside its http block and starts nginx.
  void start(const std::string& servers) {
    std::ofstream(dir_ + "/nginx.conf")
        << (::geteuid() == 0 ? "user root;\n" : "")  // workers must read the 0700 temp dir
        << "daemon off;\nworker_processes 1;\npid " << dir_ << "/nginx.pid;\nerror_log " << dir_
        << "/error.log;\nevents { worker_connections 64; }\nhttp {\n  access_log " << dir_
        << "/access.log;\n  client_body_temp_path " << dir_ << "/tmp_body;\n  proxy_temp_path "
        << dir_ << "/tmp_proxy;\n  fastcgi_temp_path " << dir_ << "/tmp_fcgi;\n  uwsgi_temp_path "
        << dir_ << "/tmp_uwsgi;\n  scgi_temp_path " << dir_
        << "/tmp_scgi;\n  keepalive_timeout 30s;\n"
        << servers << "}\n";
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork");
    if (pid_ == 0) {
      const std::string conf = dir_ + "/nginx.conf";
      ::execlp("nginx", "nginx", "-p", dir_.c_str(), "-c", conf.c_str(), "-e",
               (dir_ + "/error.log").c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }

  // Blocks until 127.0.0.1:port accepts connections (nginx is up), at most `limit`; false if
  // it did not (nginx exited, or is still not listening).
  bool wait_listening(std::uint16_t port,
                      std::chrono::milliseconds limit = std::chrono::seconds(5)) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      int status = 0;
      if (pid_ <= 0) return false;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;  // exited (a bad configuration: see error_log())
        return false;
      }
      const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      a.sin_port = htons(port);
      const bool up = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
      ::close(fd);
      if (up) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  // nginx's error log (for failure messages).
  std::string error_log() const {
    std::ifstream in(dir_ + "/error.log");
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }

  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  std::string dir_;
  pid_t pid_ = -1;
};

}  // namespace strata::test

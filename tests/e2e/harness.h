// Black-box test harness: runs the real exporter binary as a child process
// against fake APIs on loopback, talks to it over HTTP, and reads /metrics
// the way Prometheus does. Shares no code with the exporter.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "tests/e2e/metrics_text.h"  // ParseMetrics

namespace ele::e2e {

struct HttpResult {
  long status = 0;  // 0: could not connect
  std::string body;
  std::map<std::string, std::string> headers;  // lowercased names
  double seconds = 0;                           // from start to the end of the body
};

struct HttpOptions {
  std::string user_password;
  std::string ca_file, cert_file, key_file;  // https: the CA to trust, a client certificate
  long timeout_ms = 10'000;
  bool gzip = false;
};

HttpResult HttpGet(const std::string& url, const std::string& user_password = "");
HttpResult HttpPost(const std::string& url, const std::string& user_password = "");
HttpResult HttpGetWith(const std::string& url, const HttpOptions& options);

// A temporary directory removed at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string Write(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

class ExporterProcess {
 public:
  // Starts the binary with `args`, stderr and stdout to `log_path`, and the
  // given extra environment. When the first of `args` is not a flag, it is
  // the program to run (a wrapper that goes on to exec the exporter).
  ExporterProcess(std::vector<std::string> args, std::string log_path, std::map<std::string, std::string> env = {});
  ~ExporterProcess();  // SIGKILL if still running
  ExporterProcess(const ExporterProcess&) = delete;
  ExporterProcess& operator=(const ExporterProcess&) = delete;

  // Waits until the log names the listening address; false if the process
  // exited first or the wait timed out.
  bool WaitForAddress(std::chrono::seconds timeout = std::chrono::seconds(30));
  std::string url(const std::string& path) const { return "http://" + address_ + path; }
  // Every listening address the log names, "127.0.0.1:PORT".
  const std::vector<std::string>& addresses() const { return addresses_; }
  void Signal(int signal) const;
  // Waits for exit; the exit code, or -1 on timeout, or 128+signal.
  int Wait(std::chrono::seconds timeout = std::chrono::seconds(30));
  std::string Log() const;
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  std::string log_path_;
  std::string address_;
  std::vector<std::string> addresses_;
  bool exited_ = false;
  int exit_code_ = -1;
};

// Runs the exporter to completion (e.g. --config.check); returns exit code and output.
int RunToCompletion(const std::vector<std::string>& args, std::string* output, std::map<std::string, std::string> env = {});

// Polls `condition` every 100 ms until it holds or `timeout` passes.
bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

// Pipes `input` into a shell command; returns exit code, stdout+stderr in *output.
int RunWithInput(const std::string& command, const std::string& input, std::string* output);

std::string ExporterBinary();

}  // namespace ele::e2e

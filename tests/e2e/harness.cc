#include "tests/e2e/harness.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

extern char** environ;

namespace ele::e2e {
namespace {

size_t Collect(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

size_t CollectHeader(char* data, size_t size, size_t n, void* out) {
  std::string line(data, size * n);
  const size_t colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ')) value.erase(0, 1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
    (*static_cast<std::map<std::string, std::string>*>(out))[name] = value;
  }
  return size * n;
}

HttpResult Perform(const std::string& url, bool post, const HttpOptions& options) {
  HttpResult result;
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, options.timeout_ms);
  if (!options.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options.ca_file.c_str());
  if (!options.cert_file.empty()) curl_easy_setopt(curl, CURLOPT_SSLCERT, options.cert_file.c_str());
  if (!options.key_file.empty()) curl_easy_setopt(curl, CURLOPT_SSLKEY, options.key_file.c_str());
  if (options.gzip) curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "gzip");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &result.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, CollectHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &result.headers);
  if (post) curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "");
  if (!options.user_password.empty()) curl_easy_setopt(curl, CURLOPT_USERPWD, options.user_password.c_str());
  if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
  curl_easy_getinfo(curl, CURLINFO_TOTAL_TIME, &result.seconds);
  curl_easy_cleanup(curl);
  return result;
}

std::vector<char*> Argv(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  return argv;
}

std::vector<std::string> Environment(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    if (!extra.contains(entry.substr(0, entry.find('=')))) env.push_back(entry);
  }
  for (const auto& [k, v] : extra) env.push_back(k + "=" + v);
  return env;
}

}  // namespace

HttpResult HttpGet(const std::string& url, const std::string& user_password) {
  HttpOptions options;
  options.user_password = user_password;
  return Perform(url, false, options);
}

HttpResult HttpPost(const std::string& url, const std::string& user_password) {
  HttpOptions options;
  options.user_password = user_password;
  return Perform(url, true, options);
}

HttpResult HttpGetWith(const std::string& url, const HttpOptions& options) { return Perform(url, false, options); }

TempDir::TempDir() {
  char tmpl[] = "/tmp/ele-e2e-XXXXXX";
  path_ = mkdtemp(tmpl);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::Write(const std::string& name, const std::string& content) const {
  const std::string file = path_ + "/" + name;
  std::ofstream(file, std::ios::binary) << content;
  return file;
}

std::string ExporterBinary() { return ELE_EXPORTER_BINARY; }

ExporterProcess::ExporterProcess(std::vector<std::string> args, std::string log_path, std::map<std::string, std::string> env)
    : log_path_(std::move(log_path)) {
  if (args.empty() || args.front().starts_with("--")) args.insert(args.begin(), ExporterBinary());
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  auto argv = Argv(args);
  const auto env_strings = Environment(env);
  auto envp = Argv(env_strings);
  if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), envp.data()) != 0) pid_ = -1;
  posix_spawn_file_actions_destroy(&actions);
}

ExporterProcess::~ExporterProcess() {
  if (pid_ > 0 && !exited_) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

std::string ExporterProcess::Log() const {
  std::ifstream in(log_path_);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool ExporterProcess::WaitForAddress(std::chrono::seconds timeout) {
  // One address, or several separated by commas.
  static const std::regex kAddress(R"(address=((127\.0\.0\.1:[0-9]+,?)+))");
  return WaitFor(
      [&] {
        std::smatch m;
        const std::string log = Log();
        if (std::regex_search(log, m, kAddress)) {
          std::stringstream list(m[1].str());
          for (std::string one; std::getline(list, one, ',');) addresses_.push_back(one);
          address_ = addresses_.front();
          return true;
        }
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
          exited_ = true;
          exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
          return true;
        }
        return false;
      },
      timeout) && !address_.empty();
}

void ExporterProcess::Signal(int signal) const {
  if (pid_ > 0 && !exited_) ::kill(pid_, signal);
}

int ExporterProcess::Wait(std::chrono::seconds timeout) {
  if (exited_) return exit_code_;
  WaitFor(
      [&] {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) != pid_) return false;
        exited_ = true;
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return true;
      },
      timeout);
  return exited_ ? exit_code_ : -1;
}

int RunToCompletion(const std::vector<std::string>& args, std::string* output, std::map<std::string, std::string> env) {
  TempDir dir;
  ExporterProcess process(args, dir.path() + "/out.log", std::move(env));
  const int code = process.Wait(std::chrono::seconds(30));
  *output = process.Log();
  return code;
}

bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

int RunWithInput(const std::string& command, const std::string& input, std::string* output) {
  TempDir dir;
  const std::string in_file = dir.Write("input", input);
  const std::string out_file = dir.path() + "/output";
  const int status = std::system((command + " < " + in_file + " > " + out_file + " 2>&1").c_str());
  std::ifstream in(out_file);
  std::stringstream s;
  s << in.rdbuf();
  *output = s.str();
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace ele::e2e

// The web config as the server applies it: basic auth users, extra headers
// and TLS. As exporter-toolkit does, a change to the file applies without a
// restart: the file is looked at (at most once a second, when a request or
// a handshake needs the settings) and read again when it changed. A changed
// file that is not valid, or whose TLS files cannot be used, is refused with
// one log line and the settings in force stay; the next change is tried
// again. Turning TLS on or off changes what a port speaks and takes a
// restart.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "exporter/base/error.h"
#include "exporter/config/web_config.h"
#include "exporter/server/file_stamp.h"
#include "exporter/server/tls_credentials.h"

namespace ele {

// One reading of the web config, shared by the requests and handshakes that
// started under it.
struct WebSettings {
  std::shared_ptr<BasicAuthChecker> auth;
  std::map<std::string, std::string> headers;
  std::shared_ptr<TlsCredentials> tls;  // null on a plain HTTP port
};

class LiveWebConfig {
 public:
  // `initial` as read from `path` at start (path empty: no file, nothing to
  // re-read). Loads the TLS files; the error is one line naming the file.
  static Result<std::unique_ptr<LiveWebConfig>> Start(const WebConfig& initial, std::string path);

  // The settings in force, after reading the file again if it changed.
  // Never blocks behind another thread's reading: that one publishes.
  std::shared_ptr<const WebSettings> Current();
  bool serves_tls() const { return serves_tls_; }

 private:
  LiveWebConfig(std::string path, bool serves_tls) : path_(std::move(path)), serves_tls_(serves_tls) {}
  static Result<std::shared_ptr<const WebSettings>> Build(const WebConfig& config);
  void ReloadIfChanged();
  Result<std::shared_ptr<const WebSettings>> Reload() const;

  const std::string path_;
  const bool serves_tls_;
  std::atomic<std::shared_ptr<const WebSettings>> current_;
  std::mutex reload_mutex_;
  std::chrono::steady_clock::time_point last_check_{};  // under reload_mutex_
  FileStamp stamp_, failed_stamp_;                       // under reload_mutex_
  // Replaced settings, freed a while later: a handshake that began with one
  // may still be reading its certificate.
  std::vector<std::pair<std::chrono::steady_clock::time_point, std::shared_ptr<const WebSettings>>> retired_;
};

}  // namespace ele

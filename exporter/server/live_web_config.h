// The web config as the server applies it: basic auth users, extra headers
// and TLS. As exporter-toolkit does, a change to the file applies without a
// restart: the file is looked at (at most once a second, when a request or
// a connection needs the settings) and read again when it changed. A changed
// file that is not valid, or whose TLS files cannot be used, is refused with
// a log line and the settings in force stay; it is tried again every few
// seconds (the certificate it names may not be there yet) and at its next
// change. Turning TLS on or off changes what a port speaks and takes a
// restart.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "exporter/base/error.h"
#include "exporter/config/web_config.h"
#include "exporter/server/file_stamp.h"
#include "exporter/server/tls_credentials.h"

namespace ele {

// One reading of the web config. A connection keeps the one it started
// under for its TLS handshake; a request takes the one in force.
struct WebSettings {
  std::shared_ptr<BasicAuthChecker> auth;
  std::map<std::string, std::string> headers;
  std::shared_ptr<TlsCredentials> tls;  // null on a plain HTTP port
};

class LiveWebConfig {
 public:
  // `initial` as read from `path` when the file had `stamp` (taken before
  // the read, so a change since is seen); path empty: nothing to re-read.
  // Loads the TLS files; the error is one line naming the file.
  static Result<std::unique_ptr<LiveWebConfig>> Start(const WebConfig& initial, std::string path, FileStamp stamp);

  // The settings in force, after reading the file again if it changed.
  // Never blocks behind another thread's reading: that one publishes.
  std::shared_ptr<const WebSettings> Current();
  bool serves_tls() const { return serves_tls_; }

 private:
  LiveWebConfig(std::string path, bool serves_tls) : path_(std::move(path)), serves_tls_(serves_tls) {}
  // Keeps `previous`'s users, and so the credentials it has checked, when
  // they are unchanged: a new bcrypt for every scraper after each edit of
  // the file would queue them on the slow-work threads.
  static Result<std::shared_ptr<const WebSettings>> Build(const WebConfig& config, const WebSettings* previous);
  void ReloadIfChanged();
  Result<std::shared_ptr<const WebSettings>> Reload() const;

  const std::string path_;
  const bool serves_tls_;
  std::atomic<std::shared_ptr<const WebSettings>> current_;
  std::mutex reload_mutex_;
  std::chrono::steady_clock::time_point last_check_{}, last_failure_{};  // under reload_mutex_
  FileStamp stamp_, failed_stamp_;                                        // under reload_mutex_
  std::string failure_;                                                   // under reload_mutex_: last logged
};

}  // namespace ele

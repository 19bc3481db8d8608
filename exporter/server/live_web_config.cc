#include "exporter/server/live_web_config.h"

#include "exporter/base/logger.h"

namespace ele {
namespace {

constexpr auto kRecheckEvery = std::chrono::seconds(1);
constexpr auto kRetryFailedEvery = std::chrono::seconds(5);

}  // namespace

Result<std::unique_ptr<LiveWebConfig>> LiveWebConfig::Start(const WebConfig& initial, std::string path, FileStamp stamp) {
  auto settings = Build(initial, nullptr);
  if (!settings) return std::unexpected(settings.error());
  auto live = std::unique_ptr<LiveWebConfig>(new LiveWebConfig(std::move(path), initial.tls.has_value()));
  live->current_.store(std::move(*settings));
  live->stamp_ = stamp;
  live->last_check_ = std::chrono::steady_clock::now();
  return live;
}

Result<std::shared_ptr<const WebSettings>> LiveWebConfig::Build(const WebConfig& config, const WebSettings* previous) {
  auto settings = std::make_shared<WebSettings>();
  const bool same_users = previous != nullptr && previous->auth->users() == config.basic_auth_users;
  settings->auth = same_users ? previous->auth : std::make_shared<BasicAuthChecker>(config.basic_auth_users);
  settings->headers = config.headers;
  if (config.tls) {
    auto tls = TlsCredentials::Load(*config.tls);
    if (!tls) return std::unexpected(tls.error());
    settings->tls = std::move(*tls);
  }
  return settings;
}

std::shared_ptr<const WebSettings> LiveWebConfig::Current() {
  if (!path_.empty()) ReloadIfChanged();
  return current_.load();
}

void LiveWebConfig::ReloadIfChanged() {
  std::unique_lock lock(reload_mutex_, std::try_to_lock);
  if (!lock.owns_lock()) return;  // another thread is looking
  const auto now = std::chrono::steady_clock::now();
  if (now - last_check_ < kRecheckEvery) return;
  last_check_ = now;
  const FileStamp stamp = StampOf(path_);
  if (stamp == stamp_) return;
  if (stamp == failed_stamp_ && now - last_failure_ < kRetryFailedEvery) return;
  auto settings = Reload();
  if (!settings) {
    // A file caught half written, or a certificate it names not there yet:
    // tried again, and logged again when the reason changes.
    if (stamp != failed_stamp_ || settings.error().message != failure_) {
      LogWarn("web config changed but cannot be used; the settings in force stay (users taken out of the file too)",
              {{"file", path_}, {"error", settings.error().message}});
    }
    failed_stamp_ = stamp;
    failure_ = settings.error().message;
    last_failure_ = now;
    return;
  }
  stamp_ = stamp;
  failed_stamp_ = {};
  current_.store(std::move(*settings));
  LogInfo("web config reloaded", {{"file", path_}});
}

Result<std::shared_ptr<const WebSettings>> LiveWebConfig::Reload() const {
  auto config = LoadWebConfigFile(path_);
  if (!config) return std::unexpected(config.error());
  if (config->tls.has_value() != serves_tls_) {
    return Fail(std::string(serves_tls_ ? "turning TLS off" : "turning TLS on") +
                " changes what the port speaks: restart the exporter for it");
  }
  return Build(*config, current_.load().get());
}

}  // namespace ele

#include "exporter/server/live_web_config.h"

#include "exporter/base/logger.h"

namespace ele {
namespace {

constexpr auto kRecheckEvery = std::chrono::seconds(1);
constexpr auto kKeepRetired = std::chrono::minutes(5);  // longer than any handshake may last

}  // namespace

Result<std::unique_ptr<LiveWebConfig>> LiveWebConfig::Start(const WebConfig& initial, std::string path) {
  auto settings = Build(initial);
  if (!settings) return std::unexpected(settings.error());
  auto live = std::unique_ptr<LiveWebConfig>(new LiveWebConfig(std::move(path), initial.tls.has_value()));
  live->current_.store(std::move(*settings));
  live->stamp_ = StampOf(live->path_);
  live->last_check_ = std::chrono::steady_clock::now();
  return live;
}

Result<std::shared_ptr<const WebSettings>> LiveWebConfig::Build(const WebConfig& config) {
  auto settings = std::make_shared<WebSettings>();
  settings->auth = std::make_shared<BasicAuthChecker>(config.basic_auth_users);
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
  std::erase_if(retired_, [&](const auto& retired) { return now - retired.first > kKeepRetired; });
  const FileStamp stamp = StampOf(path_);
  if (stamp == stamp_ || stamp == failed_stamp_) return;
  auto settings = Reload();
  if (!settings) {
    // Often a file caught half written: the next change is tried again.
    LogWarn("web config changed but cannot be used; the settings in force stay",
            {{"file", path_}, {"error", settings.error().message}});
    failed_stamp_ = stamp;
    return;
  }
  stamp_ = stamp;
  retired_.emplace_back(now, current_.exchange(std::move(*settings)));
  LogInfo("web config reloaded", {{"file", path_}});
}

Result<std::shared_ptr<const WebSettings>> LiveWebConfig::Reload() const {
  auto config = LoadWebConfigFile(path_);
  if (!config) return std::unexpected(config.error());
  if (config->tls.has_value() != serves_tls_) {
    return Fail(std::string(serves_tls_ ? "turning TLS off" : "turning TLS on") +
                " changes what the port speaks: restart the exporter for it");
  }
  return Build(*config);
}

}  // namespace ele

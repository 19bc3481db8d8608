#include "exporter/server/tls_credentials.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "exporter/base/logger.h"

namespace ele {
namespace {

constexpr unsigned kMaxChain = 16;
constexpr auto kRecheckEvery = std::chrono::seconds(1);
constexpr auto kKeepRetired = std::chrono::minutes(5);  // longer than any handshake may last

Result<std::string> ReadWhole(const std::string& key, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail("tls_server_config." + key + ": cannot read " + path + ": " + std::strerror(errno));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

gnutls_datum_t Datum(const std::string& text) {
  return gnutls_datum_t{reinterpret_cast<unsigned char*>(const_cast<char*>(text.data())), static_cast<unsigned>(text.size())};
}

Error TlsError(const std::string& what, int rc) { return Error{"tls_server_config: " + what + ": " + gnutls_strerror(rc)}; }

}  // namespace

struct TlsCredentials::KeyPair {
  std::vector<gnutls_pcert_st> certs;
  gnutls_privkey_t key = nullptr;
  ~KeyPair() {
    for (auto& cert : certs) gnutls_pcert_deinit(&cert);
    if (key != nullptr) gnutls_privkey_deinit(key);
  }
};

struct TlsCredentials::TrustList {
  gnutls_x509_trust_list_t list = nullptr;
  ~TrustList() {
    if (list != nullptr) gnutls_x509_trust_list_deinit(list, 1);
  }
};

namespace {

// GnuTLS checks that the key belongs to the certificate only when it loads
// them into credentials; this does that once, for the message.
Result<void> CheckKeyMatches(const std::string& cert_pem, const std::string& key_pem, const TlsServerConfig& config) {
  gnutls_certificate_credentials_t check = nullptr;
  gnutls_certificate_allocate_credentials(&check);
  const gnutls_datum_t cert = Datum(cert_pem), key = Datum(key_pem);
  const int rc = gnutls_certificate_set_x509_key_mem2(check, &cert, &key, GNUTLS_X509_FMT_PEM, nullptr, 0);
  gnutls_certificate_free_credentials(check);
  if (rc < 0) return std::unexpected(TlsError(config.cert_file + " with " + config.key_file, rc));
  return {};
}

}  // namespace

Result<std::unique_ptr<TlsCredentials>> TlsCredentials::Load(const TlsServerConfig& config) {
  auto credentials = std::unique_ptr<TlsCredentials>(new TlsCredentials(config));
  if (auto read = credentials->ReadFiles(); !read) return std::unexpected(read.error());
  const std::string priorities = credentials->Priorities();
  int rc = gnutls_priority_init(&credentials->priority_, priorities.c_str(), nullptr);
  if (rc >= 0) {
    // Set on a session once here, so one that cannot be is refused now
    // rather than leaving each connection on the library's wider default.
    gnutls_session_t probe = nullptr;
    gnutls_init(&probe, GNUTLS_SERVER);
    rc = gnutls_priority_set(probe, credentials->priority_);
    gnutls_deinit(probe);
  }
  if (rc < 0) return std::unexpected(TlsError("min_version " + config.min_version + ", max_version " + config.max_version + " (" + priorities + ")", rc));
  credentials->stamps_ = credentials->Stamps();
  credentials->last_check_ = std::chrono::steady_clock::now();
  return credentials;
}

TlsCredentials::~TlsCredentials() {
  if (priority_ != nullptr) gnutls_priority_deinit(priority_);
}

Result<void> TlsCredentials::ReadFiles() {
  auto cert_pem = ReadWhole("cert_file", config_.cert_file);
  if (!cert_pem) return std::unexpected(cert_pem.error());
  auto key_pem = ReadWhole("key_file", config_.key_file);
  if (!key_pem) return std::unexpected(key_pem.error());
  if (auto match = CheckKeyMatches(*cert_pem, *key_pem, config_); !match) return match;
  auto pair = std::make_shared<KeyPair>();
  pair->certs.resize(kMaxChain);
  unsigned count = kMaxChain;
  const gnutls_datum_t cert = Datum(*cert_pem), key = Datum(*key_pem);
  if (int rc = gnutls_pcert_list_import_x509_raw(pair->certs.data(), &count, &cert, GNUTLS_X509_FMT_PEM, 0); rc < 0) {
    pair->certs.clear();
    return std::unexpected(TlsError(config_.cert_file, rc));
  }
  pair->certs.resize(count);
  gnutls_privkey_init(&pair->key);
  if (int rc = gnutls_privkey_import_x509_raw(pair->key, &key, GNUTLS_X509_FMT_PEM, nullptr, 0); rc < 0) {
    return std::unexpected(TlsError(config_.key_file, rc));
  }
  std::shared_ptr<TrustList> trust;
  if (!config_.client_ca_file.empty()) {
    trust = std::make_shared<TrustList>();
    gnutls_x509_trust_list_init(&trust->list, 0);
    const int added = gnutls_x509_trust_list_add_trust_file(trust->list, config_.client_ca_file.c_str(), nullptr, GNUTLS_X509_FMT_PEM, 0, 0);
    if (added <= 0) {
      return Fail("tls_server_config.client_ca_file: " + config_.client_ca_file + ": " +
                  (added < 0 ? gnutls_strerror(added) : "no PEM certificate in the file"));
    }
  }
  std::lock_guard lock(mutex_);
  if (key_pair_) retired_.emplace_back(std::chrono::steady_clock::now(), key_pair_);
  key_pair_ = std::move(pair);
  trust_ = std::move(trust);
  return {};
}

std::vector<FileStamp> TlsCredentials::Stamps() const {
  return {StampOf(config_.cert_file), StampOf(config_.key_file), StampOf(config_.client_ca_file)};
}

void TlsCredentials::ReloadIfChanged() {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mutex_);
    if (now - last_check_ < kRecheckEvery) return;
    last_check_ = now;
    std::erase_if(retired_, [&](const auto& retired) { return now - retired.first > kKeepRetired; });
  }
  std::lock_guard reloading(reload_mutex_);
  const std::vector<FileStamp> stamps = Stamps();
  if (stamps == stamps_ || stamps == failed_stamps_) return;
  if (auto read = ReadFiles(); !read) {
    // Often a rotation caught half way (certificate written, key not yet):
    // the next change of the files is tried again.
    LogWarn("TLS files changed but cannot be used; the previous certificate is still served", {{"error", read.error().message}});
    failed_stamps_ = stamps;
    return;
  }
  stamps_ = stamps;
  LogInfo("TLS certificate reloaded", {{"cert_file", config_.cert_file}});
}

std::string TlsCredentials::Priorities() const {
  std::string priorities = "NORMAL:-VERS-ALL";
  for (const auto& [name, gnutls] : {std::pair{"TLS10", "VERS-TLS1.0"}, {"TLS11", "VERS-TLS1.1"}, {"TLS12", "VERS-TLS1.2"}, {"TLS13", "VERS-TLS1.3"}}) {
    if (config_.min_version <= name && name <= config_.max_version) priorities += std::string(":+") + gnutls;
  }
  return priorities;
}

int TlsCredentials::Retrieve(gnutls_pcert_st** certs, unsigned int* count, gnutls_privkey_t* key) {
  ReloadIfChanged();
  std::lock_guard lock(mutex_);
  *certs = key_pair_->certs.data();
  *count = static_cast<unsigned>(key_pair_->certs.size());
  *key = key_pair_->key;
  return 0;
}

void TlsCredentials::ConfigureSession(gnutls_session_t session, gnutls_certificate_verify_function* verify) const {
  gnutls_priority_set(session, priority_);
  switch (config_.client_auth) {
    case ClientAuth::kNone:
      return;
    case ClientAuth::kRequest:
      return gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUEST);
    case ClientAuth::kRequireAny:
      return gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUIRE);
    case ClientAuth::kVerifyIfGiven:
      gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUEST);
      return gnutls_session_set_verify_function(session, verify);
    case ClientAuth::kRequireAndVerify:
      gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUIRE);
      return gnutls_session_set_verify_function(session, verify);
  }
}

int TlsCredentials::VerifyPeer(gnutls_session_t session) {
  unsigned count = 0;
  const gnutls_datum_t* peers = gnutls_certificate_get_peers(session, &count);
  if (peers == nullptr || count == 0) return config_.client_auth == ClientAuth::kRequireAndVerify ? -1 : 0;
  std::shared_ptr<TrustList> trust;
  {
    std::lock_guard lock(mutex_);
    trust = trust_;
  }
  std::vector<gnutls_x509_crt_t> chain(count, nullptr);
  bool imported = true;
  for (unsigned i = 0; i < count; ++i) {
    gnutls_x509_crt_init(&chain[i]);
    imported = imported && gnutls_x509_crt_import(chain[i], &peers[i], GNUTLS_X509_FMT_DER) >= 0;
  }
  unsigned status = GNUTLS_CERT_INVALID;
  // Like Go's crypto/tls: the client certificate must be for client auth.
  gnutls_typed_vdata_st purpose{GNUTLS_DT_KEY_PURPOSE_OID, reinterpret_cast<unsigned char*>(const_cast<char*>(GNUTLS_KP_TLS_WWW_CLIENT)), 0};
  if (imported && trust) gnutls_x509_trust_list_verify_crt2(trust->list, chain.data(), count, &purpose, 1, 0, &status, nullptr);
  for (auto crt : chain) gnutls_x509_crt_deinit(crt);
  return status == 0 ? 0 : -1;
}

}  // namespace ele

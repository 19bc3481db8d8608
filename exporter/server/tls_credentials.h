// TLS for the web server from `tls_server_config`, as exporter-toolkit does
// it: the certificate chain and key, the client CA, and the client
// certificate policy. The files are read again when they change (checked at
// most once a second, at a handshake), so a rotated certificate is served
// without a restart; a rotation that leaves unreadable or mismatched files
// keeps the previous certificate and logs why.
#pragma once

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "exporter/base/error.h"
#include "exporter/config/web_config.h"
#include "exporter/server/file_stamp.h"

namespace ele {

class TlsCredentials {
 public:
  // Reads the files; the error is one line naming the file at fault.
  static Result<std::unique_ptr<TlsCredentials>> Load(const TlsServerConfig& config);
  ~TlsCredentials();

  // For gnutls_certificate_retrieve_function2: the current chain and key.
  int Retrieve(gnutls_pcert_st** certs, unsigned int* count, gnutls_privkey_t* key);
  // Per connection, before its handshake: allow min_version..max_version, ask
  // for a client certificate as client_auth_type says, and check it with
  // `verify` during the handshake.
  void ConfigureSession(gnutls_session_t session, gnutls_certificate_verify_function* verify) const;
  // 0 to accept the client's certificate (or its absence), -1 to fail the handshake.
  int VerifyPeer(gnutls_session_t session);

 private:
  struct KeyPair;
  struct TrustList;
  explicit TlsCredentials(TlsServerConfig config) : config_(std::move(config)) {}
  // GnuTLS priority string for min_version..max_version.
  std::string Priorities() const;
  Result<void> ReadFiles();
  std::vector<FileStamp> Stamps() const;
  void ReloadIfChanged();

  TlsServerConfig config_;
  gnutls_priority_t priority_ = nullptr;  // Priorities(), parsed once
  std::mutex reload_mutex_;  // one reader of the files at a time
  std::mutex mutex_;
  std::shared_ptr<KeyPair> key_pair_;  // under mutex_
  std::shared_ptr<TrustList> trust_;   // under mutex_; null without client_ca_file
  // Replaced key pairs, freed a while later: a handshake that started with
  // one may still be reading it.
  std::vector<std::pair<std::chrono::steady_clock::time_point, std::shared_ptr<KeyPair>>> retired_;
  std::vector<FileStamp> stamps_, failed_stamps_;  // under reload_mutex_
  std::chrono::steady_clock::time_point last_check_{};  // under mutex_
};

}  // namespace ele

// Certificates for the TLS tests, made with Debian's openssl command: a CA,
// and server and client certificates it signs.
#pragma once

#include <string>

namespace ele::e2e {

struct CertificateFiles {
  std::string cert, key;
};

// A self-signed CA in DIR/NAME.crt and DIR/NAME.key.
CertificateFiles MakeCa(const std::string& dir, const std::string& name);
// A certificate signed by `ca` for 127.0.0.1 (server) or for client auth.
CertificateFiles MakeCertificate(const std::string& dir, const std::string& name, const CertificateFiles& ca, bool client);

}  // namespace ele::e2e

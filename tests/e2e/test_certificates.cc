#include "tests/e2e/test_certificates.h"

#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace ele::e2e {
namespace {

void Run(const std::string& command) {
  if (std::system((command + " >/dev/null 2>&1").c_str()) != 0) throw std::runtime_error("failed: " + command);
}

}  // namespace

CertificateFiles MakeCa(const std::string& dir, const std::string& name) {
  const CertificateFiles ca{dir + "/" + name + ".crt", dir + "/" + name + ".key"};
  Run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=" + name + " -keyout " +
      ca.key + " -out " + ca.cert);
  return ca;
}

CertificateFiles MakeCertificate(const std::string& dir, const std::string& name, const CertificateFiles& ca, bool client) {
  const std::string base = dir + "/" + name;
  const CertificateFiles out{base + ".crt", base + ".key"};
  std::ofstream(base + ".ext") << (client ? "extendedKeyUsage=clientAuth\n"
                                          : "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n");
  Run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=" + name + " -keyout " + out.key +
      " -out " + base + ".csr");
  Run("openssl x509 -req -in " + base + ".csr -CA " + ca.cert + " -CAkey " + ca.key + " -CAcreateserial -days 2 -extfile " +
      base + ".ext -out " + out.cert);
  return out;
}

}  // namespace ele::e2e

#include "exporter/config/web_config.h"

#include <gtest/gtest.h>

namespace ele {
namespace {

// bcrypt of "s3cret-pass" at cost 4 (cheap for tests).
constexpr const char* kHash = "$2b$04$.lKWt/B8XMUpNOYCS.77eefDBvLiWyF87T82toECERQ/XMMFYgiNi";

TEST(WebConfigTest, ReadsBasicAuthUsers) {
  auto web = LoadWebConfigText(std::string("basic_auth_users:\n  alice: ") + kHash + "\n", "web.yml");
  ASSERT_TRUE(web.has_value()) << web.error();
  EXPECT_TRUE(web->auth_enabled());
  EXPECT_EQ(web->basic_auth_users.at("alice"), kHash);
}

TEST(WebConfigTest, EmptyFileMeansNoAuth) {
  auto web = LoadWebConfigText("", "web.yml");
  ASSERT_TRUE(web.has_value());
  EXPECT_FALSE(web->auth_enabled());
}

TEST(WebConfigTest, ReadsTlsServerConfigWithPathsBesideTheFile) {
  auto web = LoadWebConfigText(
      "tls_server_config:\n  cert_file: a.crt\n  key_file: /etc/keys/a.key\n  client_ca_file: ca.crt\n"
      "  client_auth_type: RequireAndVerifyClientCert\n  min_version: TLS13\n",
      "/etc/exporter/web.yml");
  ASSERT_TRUE(web.has_value()) << web.error().message;
  ASSERT_TRUE(web->tls.has_value());
  EXPECT_EQ(web->tls->cert_file, "/etc/exporter/a.crt");
  EXPECT_EQ(web->tls->key_file, "/etc/keys/a.key");
  EXPECT_EQ(web->tls->client_ca_file, "/etc/exporter/ca.crt");
  EXPECT_EQ(web->tls->client_auth, ClientAuth::kRequireAndVerify);
  EXPECT_EQ(web->tls->min_version, "TLS13");
  EXPECT_EQ(web->tls->max_version, "TLS13");
}

TEST(WebConfigTest, ReadsTlsAsExporterToolkitDoes) {
  auto alias = LoadWebConfigText("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequireClientCert\n"
                                 "  client_ca_file: ca\nhttp_server_config:\n  http2: false\n", "web.yml");
  ASSERT_TRUE(alias.has_value()) << alias.error().message;
  EXPECT_EQ(alias->tls->client_auth, ClientAuth::kRequireAny) << "the older name, and a CA without verifying";
  auto empty = LoadWebConfigText("tls_server_config:\n  client_auth_type: \"\"\n", "web.yml");
  ASSERT_TRUE(empty.has_value()) << empty.error().message;
  EXPECT_FALSE(empty->tls.has_value()) << "no certificate and no key: plain HTTP";
}

TEST(WebConfigTest, BadTlsSettingsAreOneLine) {
  const std::pair<const char*, const char*> cases[] = {
      {"tls_server_config:\n  cert_file: a.crt\n", "web.yml:2: tls_server_config: needs both cert_file and key_file"},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: SSL3\n",
       "web.yml:4: tls_server_config.min_version: expected TLS10, TLS11, TLS12 or TLS13"},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequireAndVerifyClientCert\n",
       "web.yml:2: tls_server_config.client_auth_type: verifying client certificates needs client_ca_file"},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: c\n",
       "web.yml:2: tls_server_config.client_ca_file: a client CA is configured without a client_auth_type "
       "(use VerifyClientCertIfGiven or RequireAndVerifyClientCert)"},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: [x]\n",
       "web.yml:4: tls_server_config.cipher_suites: not supported by this exporter (GnuTLS's defaults for the allowed TLS versions "
       "are used; certificates come from files)"},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  bogus: 1\n", "web.yml:4: tls_server_config.bogus: unknown key"},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS13\n  max_version: TLS12\n",
       "web.yml:2: tls_server_config: min_version TLS13 is above max_version TLS12 (min_version is TLS12 unless set)"},
  };
  for (const auto& [text, error] : cases) {
    auto web = LoadWebConfigText(text, "web.yml");
    ASSERT_FALSE(web.has_value()) << text;
    EXPECT_EQ(web.error().message, error);
  }
}

TEST(WebConfigTest, RefusesPlainPasswordsAndUnknownKeys) {
  auto plain = LoadWebConfigText("basic_auth_users:\n  alice: hunter2\n", "web.yml");
  ASSERT_FALSE(plain.has_value());
  EXPECT_EQ(plain.error(), "web.yml:2: basic_auth_users.alice: not a bcrypt hash (expected $2y$..., 60 characters; make one with `htpasswd -nBC 10 USER`)");
  auto unknown = LoadWebConfigText("basic_auth:\n  alice: x\n", "web.yml");
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error(), "web.yml:1: basic_auth: unknown key");
}

TEST(BasicAuthTest, ChecksBcryptAndRemembersSuccess) {
  BasicAuthChecker checker(std::map<std::string, std::string>{{"alice", kHash}});
  EXPECT_FALSE(checker.KnownGood("alice", "s3cret-pass"));
  EXPECT_TRUE(checker.Check("alice", "s3cret-pass"));
  EXPECT_TRUE(checker.KnownGood("alice", "s3cret-pass"));
  EXPECT_TRUE(checker.Check("alice", "s3cret-pass"));  // from the cache
  EXPECT_FALSE(checker.Check("alice", "s3cret-pas"));
  EXPECT_FALSE(checker.Check("alice", ""));
  EXPECT_FALSE(checker.KnownGood("alice", "s3cret-pas"));
  EXPECT_FALSE(checker.Check("bob", "s3cret-pass"));
}

TEST(BasicAuthTest, DecodesHeader) {
  std::string user, password;
  ASSERT_TRUE(DecodeBasicAuth("Basic YWxpY2U6czNjcmV0LXBhc3M=", &user, &password));  // alice:s3cret-pass
  EXPECT_EQ(user, "alice");
  EXPECT_EQ(password, "s3cret-pass");
  EXPECT_FALSE(DecodeBasicAuth("Bearer abc", &user, &password));
  EXPECT_FALSE(DecodeBasicAuth("Basic !!!", &user, &password));
  EXPECT_FALSE(DecodeBasicAuth("Basic YWxpY2U=", &user, &password)) << "no colon";
}

}  // namespace
}  // namespace ele

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

TEST(WebConfigTest, RefusesTlsAndPointsToAProxy) {
  auto web = LoadWebConfigText("tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n", "web.yml");
  ASSERT_FALSE(web.has_value());
  EXPECT_EQ(web.error(),
            "web.yml:2: tls_server_config: TLS is not supported in-process (Debian's civetweb crashes with OpenSSL 3); "
            "terminate TLS in a reverse proxy (nginx, envoy, a Kubernetes ingress) in front of the exporter");
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
  EXPECT_TRUE(checker.Check("alice", "s3cret-pass"));
  EXPECT_TRUE(checker.Check("alice", "s3cret-pass"));  // from the cache
  EXPECT_FALSE(checker.Check("alice", "s3cret-pas"));
  EXPECT_FALSE(checker.Check("alice", ""));
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

// The examples under deploy/: valid YAML, a Prometheus config promtool
// accepts, shard configs the exporter accepts with every account in exactly
// one shard, and Kubernetes manifests that keep one non-root pod per shard.
#include <gtest/gtest.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "tests/e2e/harness.h"

namespace ele::e2e {
namespace {

const std::string kDeploy = std::string(ELE_SOURCE_DIR) + "/deploy";

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> YamlFiles() {
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(kDeploy)) {
    const auto ext = entry.path().extension();
    if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml")) out.push_back(entry.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(DeployFilesTest, EveryYamlFileParses) {
  const auto files = YamlFiles();
  ASSERT_GE(files.size(), 10u);
  for (const auto& file : files) {
    try {
      const auto docs = YAML::LoadAllFromFile(file);
      EXPECT_FALSE(docs.empty()) << file;
      for (const auto& doc : docs) EXPECT_TRUE(doc.IsMap()) << file;
    } catch (const YAML::Exception& e) {
      ADD_FAILURE() << file << ": " << e.what();
    }
  }
}

TEST(DeployFilesTest, PromtoolAcceptsThePrometheusConfig) {
  if (::access("/usr/bin/promtool", X_OK) != 0) GTEST_SKIP() << "promtool is not installed";
  std::string output;
  EXPECT_EQ(RunWithInput("/usr/bin/promtool check config " + kDeploy + "/prometheus/prometheus.yml", "", &output), 0) << output;
}

// Each shard's config is valid for the exporter (token files and the state
// directory moved to a temporary directory), and no account is in two shards.
TEST(DeployFilesTest, ShardConfigsAreValidAndShareNoAccount) {
  const std::string k8s = kDeploy + "/kubernetes";
  const YAML::Node kustomization = YAML::LoadFile(k8s + "/kustomization.yaml");
  TempDir dir;
  std::set<std::string> accounts;
  int shards = 0;
  for (const auto& generator : kustomization["configMapGenerator"]) {
    ++shards;
    const std::string file = generator["files"][0].as<std::string>();
    const std::string source = k8s + "/" + file.substr(file.find('=') + 1);
    std::string config = std::regex_replace(ReadText(source), std::regex("/run/secrets/email-logs-exporter"), dir.path());
    config = std::regex_replace(config, std::regex("/var/lib/email_logs_exporter"), dir.path());
    const YAML::Node parsed = YAML::Load(config);
    for (const char* provider : {"jetemail", "mailtrap"}) {
      for (const auto& account : parsed[provider]) {
        if (account["api_token_file"]) dir.Write(std::filesystem::path(account["api_token_file"].as<std::string>()).filename(), "token\n");
        const std::string key = std::string(provider) + "/" +
                                (account["account_id"] ? account["account_id"].as<std::string>() : account["name"].as<std::string>());
        EXPECT_TRUE(accounts.insert(key).second) << key << " is configured in two shards";
      }
    }
    std::string output;
    EXPECT_EQ(RunToCompletion({"--config.check", "--config.file=" + dir.Write("config.yaml", config)}, &output), 0) << source << "\n" << output;
  }
  EXPECT_GE(shards, 2);
}

TEST(DeployFilesTest, KubernetesDeploymentsRunOneNonRootPodPerShard) {
  const std::string k8s = kDeploy + "/kubernetes";
  const YAML::Node kustomization = YAML::LoadFile(k8s + "/kustomization.yaml");
  std::set<std::string> generated;
  for (const auto& generator : kustomization["configMapGenerator"]) generated.insert(generator["name"].as<std::string>());
  std::set<std::string> claims;
  for (const auto& doc : YAML::LoadAllFromFile(k8s + "/pvc.yaml")) claims.insert(doc["metadata"]["name"].as<std::string>());
  int deployments = 0;
  for (const auto& resource : kustomization["resources"]) {
    for (const auto& doc : YAML::LoadAllFromFile(k8s + "/" + resource.as<std::string>())) {
      ASSERT_TRUE(doc["apiVersion"] && doc["kind"] && doc["metadata"]["name"]) << resource;
      if (doc["kind"].as<std::string>() != "Deployment") continue;
      ++deployments;
      const std::string name = doc["metadata"]["name"].as<std::string>();
      EXPECT_EQ(doc["spec"]["replicas"].as<int>(), 1) << name;
      EXPECT_EQ(doc["spec"]["strategy"]["type"].as<std::string>(), "Recreate") << name;
      const YAML::Node pod = doc["spec"]["template"]["spec"];
      EXPECT_TRUE(pod["securityContext"]["runAsNonRoot"].as<bool>()) << name;
      const YAML::Node container = pod["containers"][0];
      EXPECT_TRUE(container["securityContext"]["readOnlyRootFilesystem"].as<bool>()) << name;
      EXPECT_FALSE(container["securityContext"]["allowPrivilegeEscalation"].as<bool>()) << name;
      EXPECT_EQ(container["livenessProbe"]["httpGet"]["path"].as<std::string>(), "/-/healthy") << name;
      EXPECT_EQ(container["readinessProbe"]["httpGet"]["path"].as<std::string>(), "/-/ready") << name;
      for (const auto& volume : pod["volumes"]) {
        if (volume["configMap"]) {
          EXPECT_TRUE(generated.contains(volume["configMap"]["name"].as<std::string>())) << name;
        }
        if (volume["persistentVolumeClaim"]) {
          EXPECT_TRUE(claims.contains(volume["persistentVolumeClaim"]["claimName"].as<std::string>())) << name;
        }
        if (volume["secret"]) {
          EXPECT_EQ(volume["secret"]["secretName"].as<std::string>(), "email-logs-exporter-tokens") << name;
        }
      }
    }
  }
  EXPECT_EQ(deployments, static_cast<int>(generated.size())) << "one Deployment per shard config";
}

TEST(DeployFilesTest, SystemdUnitRunsUnprivilegedWithStateDirectoryAndReload) {
  const std::string unit = ReadText(kDeploy + "/systemd/email-logs-exporter.service");
  for (const char* line : {"DynamicUser=yes", "StateDirectory=email_logs_exporter", "ExecReload=/bin/kill -HUP $MAINPID",
                           "NoNewPrivileges=yes", "ProtectSystem=strict", "CapabilityBoundingSet=\n"}) {
    EXPECT_NE(unit.find(line), std::string::npos) << line;
  }
}

}  // namespace
}  // namespace ele::e2e

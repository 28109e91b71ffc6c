// The manifests of deploy/ (Dockerfile, docker-compose.yaml, k8s/, systemd/) checked with what
// runs on a build machine. Each container's files are laid out in a temporary root as the
// image (Dockerfile COPY) and the manifest's mounts put them, then the binary checks the config
// at the path the command line names; the command line itself must parse; probe, health-check
// and scrape ports must be the config's admin and metrics ports.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/testing/temp_dir.h"

namespace touchstream::testing {
namespace {

namespace fs = std::filesystem;

const std::string kBinary = TOUCHSTREAM_BINARY;
const fs::path kDeploy = fs::path(TOUCHSTREAM_SOURCE_DIR) / "deploy";

struct Output {
  int exit_code;
  std::string text;  // stdout and stderr
};

Output Shell(const std::string& command) {
  std::string text;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) text.append(buffer, n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text};
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Join(const std::vector<std::string>& args) {
  std::string out;
  for (const auto& a : args) out += (out.empty() ? "" : " ") + a;
  return out;
}

// The value of `--config` in a command line ("" when absent).
std::string ConfigArg(const std::vector<std::string>& args) {
  for (size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == "--config") return args[i + 1];
  }
  return "";
}

// The port of "host:port" in the config's `section.address`.
int PortOf(const fs::path& config, const std::string& section) {
  const std::string address = YAML::LoadFile(config.string())[section]["address"].as<std::string>();
  return std::stoi(address.substr(address.rfind(':') + 1));
}

class DeployTest : public ::testing::Test {
 protected:
  // Places host `from` at `container_path` inside the container root (a symlink).
  void Mount(const fs::path& from, const std::string& container_path) {
    const fs::path at = root_ / fs::path(container_path).relative_path();
    fs::create_directories(at.parent_path());
    fs::remove_all(at);
    fs::create_symlink(fs::canonical(from), at);
  }

  // The files the Dockerfile copies into the image (COPY without --from), at their paths.
  void LayOutImage() {
    std::istringstream dockerfile(ReadFile(kDeploy / "Dockerfile"));
    const std::regex copy(R"(^COPY\s+(\S+)\s+(/\S+)\s*$)");
    int copies = 0;
    for (std::string line; std::getline(dockerfile, line);) {
      std::smatch m;
      if (!std::regex_match(line, m, copy)) continue;
      Mount(fs::path(TOUCHSTREAM_SOURCE_DIR) / m[1].str(), m[2].str());
      ++copies;
    }
    ASSERT_EQ(copies, 2) << "the rule packs and the default config";
  }

  // The command line parses (--help stops after parsing, exit 0) and the config it names, as
  // laid out in root_, passes `touchstream config check`. Returns the config's host path.
  fs::path CheckCommand(const std::vector<std::string>& args) {
    Output help = Shell(kBinary + " " + Join(args) + " --help");
    EXPECT_EQ(help.exit_code, 0) << Join(args) << ": " << help.text;
    const std::string config = ConfigArg(args);
    EXPECT_FALSE(config.empty()) << Join(args);
    const fs::path at = root_ / fs::path(config).relative_path();
    Output check = Shell(kBinary + " config check --config " + at.string());
    EXPECT_EQ(check.exit_code, 0) << check.text;
    EXPECT_NE(check.text.find(": OK, 7 rules"), std::string::npos) << check.text;
    return at;
  }

  test::TempDir temp_{"touchstream-deploy"};
  const fs::path root_ = temp_.path() / "root";
};

// The image alone: its CMD and default config; the HEALTHCHECK asks /healthz on the config's
// admin port.
TEST_F(DeployTest, Dockerfile) {
  LayOutImage();
  const std::string dockerfile = ReadFile(kDeploy / "Dockerfile");
  EXPECT_NE(dockerfile.find("FROM debian:bookworm-slim AS build"), std::string::npos);
  EXPECT_NE(dockerfile.find("RUN deploy/setup.sh"), std::string::npos);
  EXPECT_NE(dockerfile.find("\nUSER touchstream"), std::string::npos);
  // A host build directory in the context would clash with the image's CMake cache.
  EXPECT_NE(ReadFile(fs::path(TOUCHSTREAM_SOURCE_DIR) / ".dockerignore").find("\nbuild/\n"),
            std::string::npos);
  std::smatch cmd;
  ASSERT_TRUE(std::regex_search(dockerfile, cmd, std::regex(R"(\nCMD \[(.*)\])")));
  YAML::Node args = YAML::Load("[" + cmd[1].str() + "]");
  const fs::path config = CheckCommand(args.as<std::vector<std::string>>());
  EXPECT_NE(dockerfile.find("curl -fsS http://127.0.0.1:" +
                            std::to_string(PortOf(config, "admin")) + "/healthz"),
            std::string::npos);
}

// The runtime stage installs the Debian package of every shared library the binary needs
// (readelf's NEEDED, owner by dpkg -S), beyond those of debian:bookworm-slim itself.
TEST_F(DeployTest, DockerfileInstallsTheLibrariesTheBinaryNeeds) {
#if defined(__SANITIZE_ADDRESS__)  // gcc
  GTEST_SKIP() << "the image builds the release binary; this sanitizer build links other "
                  "libraries (libasan, libubsan, and what --as-needed would drop)";
#elif defined(__has_feature)  // clang
#if __has_feature(address_sanitizer)
  GTEST_SKIP() << "the image builds the release binary; this sanitizer build links other "
                  "libraries (libasan, libubsan, and what --as-needed would drop)";
#endif
#endif
  if (Shell("command -v dpkg && command -v readelf").exit_code != 0) {
    GTEST_SKIP() << "dpkg or readelf (binutils) missing: not a Debian build machine";
  }
  const std::string dockerfile = ReadFile(kDeploy / "Dockerfile");
  std::istringstream runtime(dockerfile.substr(dockerfile.rfind("\nFROM ")));
  const std::set<std::string> runtime_words{std::istream_iterator<std::string>(runtime),
                                            std::istream_iterator<std::string>()};
  const std::set<std::string> in_base_image = {"libc6", "libgcc-s1", "libstdc++6"};
  Output needed = Shell("readelf -d " + kBinary);
  ASSERT_EQ(needed.exit_code, 0) << needed.text;
  const std::regex library(R"(\(NEEDED\)\s+Shared library: \[([^\]]+)\])");
  int libraries = 0;
  for (std::sregex_iterator it(needed.text.begin(), needed.text.end(), library), end; it != end;
       ++it) {
    const std::string name = (*it)[1].str();
    Output owner = Shell("dpkg -S '*/" + name + "'");
    ASSERT_EQ(owner.exit_code, 0) << name << ": " << owner.text;
    // "package[:arch]: path" a line (a library may be in several packages, e.g. multilib).
    std::istringstream lines(owner.text);
    std::vector<std::string> packages;
    bool installed = false;
    for (std::string line; std::getline(lines, line);) {
      const std::string package = line.substr(0, line.find_first_of(":"));
      packages.push_back(package);
      installed = installed || in_base_image.count(package) || runtime_words.count(package);
    }
    ++libraries;
    EXPECT_TRUE(installed) << name << " is in Debian package(s) " << Join(packages)
                           << ", which the runtime stage of deploy/Dockerfile does not install";
  }
  EXPECT_GE(libraries, 8);
}

// docker-compose.yaml: the touchstream service's mounts over the image, its command, its ports.
TEST_F(DeployTest, Compose) {
  LayOutImage();
  const YAML::Node compose = YAML::LoadFile((kDeploy / "docker-compose.yaml").string());
  const YAML::Node service = compose["services"]["touchstream"];
  ASSERT_TRUE(service.IsMap());
  for (const auto& volume : service["volumes"]) {
    const std::string spec = volume.as<std::string>();
    if (spec.rfind("./", 0) != 0) continue;  // named volumes
    const size_t colon = spec.find(':');
    const std::string container = spec.substr(colon + 1, spec.find(':', colon + 1) - colon - 1);
    Mount(kDeploy / spec.substr(0, colon), container);
  }
  const fs::path config = CheckCommand(service["command"].as<std::vector<std::string>>());
  const auto ports = service["ports"].as<std::vector<std::string>>();
  for (const char* section : {"admin", "metrics"}) {
    const std::string port = std::to_string(PortOf(config, section));
    EXPECT_NE(std::find(ports.begin(), ports.end(), port + ":" + port), ports.end()) << section;
  }
  EXPECT_EQ(YAML::LoadFile(config.string())["kafka"]["bootstrap_servers"].as<std::string>(),
            "kafka:9092");
  for (const char* name : {"kafka", "topics", "prometheus", "grafana"}) {
    EXPECT_TRUE(compose["services"][name].IsMap()) << name;
  }
  EXPECT_NE(
      ReadFile(kDeploy / "docker-compose.yaml").find("KAFKA_PROCESS_ROLES: broker,controller"),
      std::string::npos);
}

// k8s/: the StatefulSet's container over the image with the ConfigMap mounted; probes on the
// admin port, scrape annotations on the metrics port, a volume per pod holding state.dir.
TEST_F(DeployTest, Kubernetes) {
  LayOutImage();
  const YAML::Node config_map = YAML::LoadFile((kDeploy / "k8s/configmap.yaml").string());
  const YAML::Node set = YAML::LoadFile((kDeploy / "k8s/statefulset.yaml").string());
  ASSERT_EQ(set["kind"].as<std::string>(), "StatefulSet");
  const YAML::Node pod = set["spec"]["template"]["spec"];
  const YAML::Node container = pod["containers"][0];
  std::string state_mount;
  for (const auto& mount : container["volumeMounts"]) {
    const std::string name = mount["name"].as<std::string>();
    if (name == "state") state_mount = mount["mountPath"].as<std::string>();
    if (name != "config") continue;
    const std::string key = mount["subPath"].as<std::string>();
    fs::create_directories(temp_.path() / "configmap");
    std::ofstream(temp_.path() / "configmap" / key) << config_map["data"][key].as<std::string>();
    Mount(temp_.path() / "configmap" / key, mount["mountPath"].as<std::string>());
  }
  const fs::path config = CheckCommand(container["args"].as<std::vector<std::string>>());
  const YAML::Node engine = YAML::LoadFile(config.string());

  std::map<std::string, int> ports;
  for (const auto& port : container["ports"]) {
    ports[port["name"].as<std::string>()] = port["containerPort"].as<int>();
  }
  EXPECT_EQ(ports["admin"], PortOf(config, "admin"));
  EXPECT_EQ(ports["metrics"], PortOf(config, "metrics"));
  EXPECT_EQ(container["readinessProbe"]["httpGet"]["path"].as<std::string>(), "/readyz");
  EXPECT_EQ(container["livenessProbe"]["httpGet"]["path"].as<std::string>(), "/healthz");
  EXPECT_EQ(container["readinessProbe"]["httpGet"]["port"].as<std::string>(), "admin");
  EXPECT_EQ(container["livenessProbe"]["httpGet"]["port"].as<std::string>(), "admin");
  EXPECT_EQ(set["spec"]["template"]["metadata"]["annotations"]["prometheus.io/port"].as<int>(),
            PortOf(config, "metrics"));
  // A graceful stop flushes the outbox for up to 30 s.
  EXPECT_GE(pod["terminationGracePeriodSeconds"].as<int>(), 45);
  // One persistent volume per pod, holding state.dir.
  EXPECT_EQ(set["spec"]["volumeClaimTemplates"][0]["metadata"]["name"].as<std::string>(), "state");
  const std::string state_dir = engine["state"]["dir"].as<std::string>();
  EXPECT_FALSE(state_mount.empty());
  EXPECT_EQ(state_dir.rfind(state_mount + "/", 0), 0u) << state_dir << " under " << state_mount;

  const YAML::Node service = YAML::LoadFile((kDeploy / "k8s/service.yaml").string());
  EXPECT_EQ(service["spec"]["clusterIP"].as<std::string>(), "None");
  EXPECT_EQ(set["spec"]["serviceName"].as<std::string>(),
            service["metadata"]["name"].as<std::string>());
  const YAML::Node pdb = YAML::LoadFile((kDeploy / "k8s/pdb.yaml").string());
  EXPECT_EQ(pdb["kind"].as<std::string>(), "PodDisruptionBudget");
  using Labels = std::map<std::string, std::string>;
  EXPECT_EQ(pdb["spec"]["selector"]["matchLabels"].as<Labels>(),
            set["spec"]["selector"]["matchLabels"].as<Labels>());
}

// systemd/touchstream.service: systemd-analyze verify finds nothing to say (with ExecStart's
// binary path pointed at the build's), and its command lines parse.
TEST_F(DeployTest, SystemdUnit) {
  const std::string unit = ReadFile(kDeploy / "systemd/touchstream.service");
  std::istringstream lines(unit);
  int commands = 0;
  for (std::string line; std::getline(lines, line);) {
    for (const std::string key : {"ExecStart=", "ExecStartPre="}) {
      if (line.rfind(key, 0) != 0) continue;
      std::istringstream words(line.substr(key.size()));
      std::vector<std::string> args;
      for (std::string w; words >> w;) args.push_back(w);
      ASSERT_EQ(args.front(), "/usr/local/bin/touchstream");
      args.erase(args.begin());
      Output help = Shell(kBinary + " " + Join(args) + " --help");
      EXPECT_EQ(help.exit_code, 0) << line << ": " << help.text;
      ++commands;
    }
  }
  EXPECT_EQ(commands, 2);
  if (Shell("command -v systemd-analyze").exit_code != 0) {
    GTEST_SKIP() << "systemd-analyze is not installed (Debian package systemd): unit not verified";
  }
  std::string copy = std::regex_replace(unit, std::regex("/usr/local/bin/touchstream"), kBinary);
  const fs::path path = temp_.path() / "touchstream.service";
  std::ofstream(path) << copy;
  Output verify = Shell("systemd-analyze verify " + path.string());
  EXPECT_EQ(verify.exit_code, 0) << verify.text;
  EXPECT_EQ(verify.text, "") << "warnings";
}

}  // namespace
}  // namespace touchstream::testing

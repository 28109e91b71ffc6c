#include "tests/fault/process_harness.h"

#include <fcntl.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "connectors/kafka_common.h"
#include "connectors/partition_reader.h"

extern char** environ;

namespace touchstream::testing {
namespace {

constexpr int kKafkaTimeoutMs = 10000;

// posix_spawn file actions, destroyed with the object.
class FileActions {
 public:
  FileActions() { posix_spawn_file_actions_init(&actions_); }
  ~FileActions() { posix_spawn_file_actions_destroy(&actions_); }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;
  posix_spawn_file_actions_t* get() { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
};

std::string YamlQuoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

const std::string& TouchstreamBinary() {
  static const std::string binary = TOUCHSTREAM_BINARY;
  return binary;
}

EngineProcess::EngineProcess(const std::vector<std::string>& args,
                             const std::filesystem::path& stdout_path,
                             const std::filesystem::path& stderr_path) {
  FileActions actions;
  posix_spawn_file_actions_addopen(actions.get(), 1, stdout_path.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_addopen(actions.get(), 2, stderr_path.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  std::vector<std::string> argv_text = {TouchstreamBinary()};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_text) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int err =
      posix_spawn(&pid_, TouchstreamBinary().c_str(), actions.get(), nullptr, argv.data(), environ);
  if (err != 0) {
    ADD_FAILURE() << "posix_spawn " << TouchstreamBinary() << ": " << std::strerror(err);
    pid_ = -1;
    return;
  }
  reaped_ = false;
}

EngineProcess::~EngineProcess() {
  Kill9();
}

bool EngineProcess::Reap(int options) {
  if (reaped_) return true;
  int status = 0;
  const pid_t done = waitpid(pid_, &status, options);
  if (done == pid_) {
    status_ = status;
    reaped_ = true;
  } else if (done < 0 && errno != EINTR) {
    reaped_ = true;  // not our child any more: nothing to reap
  }
  return reaped_;
}

bool EngineProcess::Running() {
  return !Reap(WNOHANG);
}

void EngineProcess::Kill9() {
  if (!Running()) return;
  kill(pid_, SIGKILL);
  while (!Reap(0)) {
  }
}

std::optional<int> EngineProcess::Terminate(std::chrono::milliseconds timeout) {
  if (Running()) {
    kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (Running() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (Running()) {
      ADD_FAILURE() << "pid " << pid_ << " did not exit within " << timeout.count()
                    << " ms of SIGTERM; killed";
      Kill9();
      return std::nullopt;
    }
  }
  return exit_code();
}

std::optional<int> EngineProcess::Wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (Running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (Running()) {
    ADD_FAILURE() << "pid " << pid_ << " still running after " << timeout.count() << " ms; killed";
    Kill9();
    return std::nullopt;
  }
  return exit_code();
}

std::optional<int> EngineProcess::exit_code() const {
  if (!reaped_ || pid_ < 0 || !WIFEXITED(status_)) return std::nullopt;
  return WEXITSTATUS(status_);
}

void WriteRunConfig(const std::filesystem::path& path, const RunConfig& config) {
  std::ostringstream yaml;
  yaml << "kafka:\n"
       << "  bootstrap_servers: " << YamlQuoted(config.bootstrap_servers) << "\n"
       << "  group_id: " << YamlQuoted(config.group_id) << "\n"
       << "  input_topics: [" << YamlQuoted(config.input_topic) << "]\n"
       << "  consumer:\n";
  for (const auto& [key, value] : config.consumer) {
    yaml << "    " << key << ": " << YamlQuoted(value) << "\n";
  }
  if (config.consumer.empty()) yaml << "    {}\n";
  yaml << "output:\n"
       << "  format: json\n"
       << "  default_topic: " << YamlQuoted(config.actions_topic) << "\n"
       << "  dead_letter_topic: " << YamlQuoted(config.dead_letter_topic) << "\n"
       << "  actions_dead_letter_topic: " << YamlQuoted(config.dead_letter_topic + ".actions")
       << "\n"
       << "state:\n"
       << "  dir: " << YamlQuoted(config.state_dir) << "\n"
       << "  cache_customers: 100000\n";
  if (!config.changelog_topic.empty()) {
    yaml << "  changelog_topic: " << YamlQuoted(config.changelog_topic) << "\n";
  }
  yaml << "processing:\n"
       << "  commit_interval_ms: " << config.commit_interval_ms << "\n"
       << "  rules_watch_interval_ms: 0\n"
       << "rules: [";
  for (size_t i = 0; i < config.rules_paths.size(); ++i) {
    yaml << (i > 0 ? ", " : "") << YamlQuoted(config.rules_paths[i]);
  }
  yaml << "]\n"
       << "metrics: {address: \"\"}\n"
       << "admin: {address: " << (config.admin ? "\"127.0.0.1:0\"" : "\"\"") << "}\n"
       << config.extra_yaml;
  std::ofstream out(path);
  out << yaml.str();
  out.close();
  if (!out) ADD_FAILURE() << "cannot write " << path;
}

Status WaitCommittedToEnd(const std::string& bootstrap, const std::string& group,
                          const std::string& topic, std::chrono::milliseconds timeout) {
  auto reader = connectors::PartitionReader::Create({bootstrap, {}, kKafkaTimeoutMs});
  if (!reader.ok()) return reader.status();
  auto partitions = (*reader)->PartitionCount(topic, kKafkaTimeoutMs);
  if (!partitions.ok()) return partitions.status();
  connectors::RdKafkaConfPtr conf(rd_kafka_conf_new());
  if (Status s = connectors::SetConf(
          conf.get(),
          {{"bootstrap.servers", bootstrap}, {"group.id", group}, {"enable.auto.commit", "false"}});
      !s.ok()) {
    return s;
  }
  auto consumer = connectors::NewClient(RD_KAFKA_CONSUMER, std::move(conf));
  if (!consumer.ok()) return consumer.status();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string behind;
  while (true) {
    behind.clear();
    connectors::RdKafkaListPtr list(rd_kafka_topic_partition_list_new(*partitions));
    for (int32_t p = 0; p < *partitions; ++p) {
      rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p);
    }
    const rd_kafka_resp_err_t err = rd_kafka_committed(consumer->get(), list.get(), 2000);
    for (int32_t p = 0; p < *partitions; ++p) {
      auto marks = (*reader)->Watermarks(topic, p, kKafkaTimeoutMs);
      const int64_t committed = err == RD_KAFKA_RESP_ERR_NO_ERROR ? list->elems[p].offset : -1;
      const int64_t end = marks.ok() ? marks->second : -1;
      if (end < 0 || committed != end) {
        behind += " " + topic + "[" + std::to_string(p) + "] committed " +
                  std::to_string(committed) + " of " + std::to_string(end) + ";";
      }
    }
    if (behind.empty()) return Status::Ok();
    if (std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return Status::Unavailable("group " + group + " behind after " + std::to_string(timeout.count()) +
                             " ms:" + behind);
}

Result<std::map<std::string, v1::CustomerState>> ExportState(
    const std::filesystem::path& config_path, const std::filesystem::path& log_dir,
    const std::string& name) {
  const auto out = log_dir / (name + ".jsonl");
  const auto err = log_dir / (name + ".err");
  std::filesystem::remove(out);
  EngineProcess process({"state", "export", "--config", config_path.string()}, out, err);
  const std::optional<int> code = process.Wait(std::chrono::seconds(60));
  if (code != 0) {
    return Status::Internal("touchstream state export --config " + config_path.string() +
                            " failed; see " + err.string());
  }
  std::map<std::string, v1::CustomerState> states;
  std::ifstream in(out);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    v1::CustomerState state;
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = false;
    const auto parsed = google::protobuf::util::JsonStringToMessage(line, &state, options);
    if (!parsed.ok()) {
      return Status::InvalidArgument(out.string() + ":" + std::to_string(number) + ": " +
                                     std::string(parsed.message()));
    }
    states[state.customer_id()] = std::move(state);
  }
  return states;
}

void ClearUncomparedFields(v1::CustomerState* state) {
  for (auto& [rule, attribution] : *state->mutable_impact_attributions()) {
    attribution.clear_decided_ms();
  }
  state->mutable_last_input()->clear_topic();
}

Result<std::map<std::string, int>> ActionIdCounts(const std::string& bootstrap,
                                                  const std::string& topic) {
  auto reader = connectors::PartitionReader::Create({bootstrap, {}, kKafkaTimeoutMs});
  if (!reader.ok()) return reader.status();
  auto partitions = (*reader)->PartitionCount(topic, kKafkaTimeoutMs);
  if (!partitions.ok()) return partitions.status();
  std::map<std::string, int> counts;
  int64_t without_id = 0;
  for (int32_t p = 0; p < *partitions; ++p) {
    auto marks = (*reader)->Watermarks(topic, p, kKafkaTimeoutMs);
    if (!marks.ok()) return marks.status();
    if (marks->second <= marks->first) continue;
    auto end = (*reader)->ReadToEnd(topic, p, 0, [&](const connectors::SourceRecord& record) {
      for (const auto& [name, value] : record.headers) {
        if (name == "touchstream.id") {
          ++counts[value];
          return;
        }
      }
      ++without_id;
    });
    if (!end.ok()) return end.status();
  }
  if (without_id > 0) {
    return Status::InvalidArgument(std::to_string(without_id) + " messages on " + topic +
                                   " without a touchstream.id header");
  }
  return counts;
}

Result<int64_t> TopicEndOffsets(const std::string& bootstrap, const std::string& topic) {
  auto reader = connectors::PartitionReader::Create({bootstrap, {}, kKafkaTimeoutMs});
  if (!reader.ok()) return reader.status();
  auto partitions = (*reader)->PartitionCount(topic, kKafkaTimeoutMs);
  if (!partitions.ok()) return partitions.status();
  int64_t sum = 0;
  for (int32_t p = 0; p < *partitions; ++p) {
    auto marks = (*reader)->Watermarks(topic, p, kKafkaTimeoutMs);
    if (!marks.ok()) return marks.status();
    sum += marks->second;
  }
  return sum;
}

int HttpGet(int port, const std::string& path, std::string* body) {
  // The status on the last line, after the body.
  const std::string command =
      "curl -s -m 5 -w '\\n%{http_code}' 'http://127.0.0.1:" + std::to_string(port) + path + "'";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return -1;
  std::string out;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  pclose(pipe);
  const size_t last = out.rfind('\n');
  if (last == std::string::npos) return -1;
  if (body != nullptr) *body = out.substr(0, last);
  const int status = std::atoi(out.c_str() + last + 1);
  return status > 0 ? status : -1;
}

std::vector<std::string> WaitForLine(const std::filesystem::path& path, const std::string& needle,
                                     std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    std::vector<std::string> lines;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
      if (line.find(needle) != std::string::npos) lines.push_back(line);
    }
    if (!lines.empty() || std::chrono::steady_clock::now() > deadline) return lines;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace touchstream::testing

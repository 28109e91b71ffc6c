#include "external_clients.h"

#include <gtest/gtest.h>
#include <stdio.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/testing/temp_dir.h"

namespace touchstream::testing {

namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

std::vector<KeyedMessage> SplitKeyed(const std::string& text) {
  std::vector<KeyedMessage> messages;
  for (const auto& line : Lines(text)) {
    const auto tab = line.find('\t');
    if (tab == std::string::npos) continue;
    messages.push_back({line.substr(0, tab), line.substr(tab + 1)});
  }
  return messages;
}

}  // namespace

std::string RunShell(const std::string& command) {
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    ADD_FAILURE() << "cannot run: " << command;
    return output;
  }
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
  const int status = pclose(pipe);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "command failed: " << command << "\n"
      << output;
  return output;
}

void KcatProduce(const std::string& bootstrap, const std::string& topic,
                 const std::vector<KeyedMessage>& messages, int32_t partition) {
  const test::TempDir dir("kcat-in");
  const std::filesystem::path file = dir.File(topic);
  {
    std::ofstream out(file);
    for (const auto& m : messages) out << m.key << "\t" << m.value << "\n";
  }
  const std::string placement = partition >= 0 ? " -p " + std::to_string(partition) : "";
  RunShell("timeout 30 kcat -b " + bootstrap + " -P -t " + topic + placement + " -K '\t' -l " +
           file.string() + " 2>&1");
}

std::vector<KeyedMessage> KcatConsumeAll(const std::string& bootstrap, const std::string& topic) {
  return SplitKeyed(RunShell("timeout 30 kcat -b " + bootstrap + " -C -t " + topic +
                             " -o beginning -e -q -f '%k\\t%s\\n'"));
}

std::vector<std::pair<std::string, std::string>> KcatConsumeHeaders(const std::string& bootstrap,
                                                                    const std::string& topic) {
  std::vector<std::pair<std::string, std::string>> result;
  for (const auto& m : SplitKeyed(RunShell("timeout 30 kcat -b " + bootstrap + " -C -t " + topic +
                                           " -o beginning -e -q -f '%h\\t%s\\n'"))) {
    result.emplace_back(m.key, m.value);
  }
  return result;
}

std::vector<KeyedMessage> PythonConsumeAll(const std::string& bootstrap, const std::string& topic) {
  const std::string script =
      "import sys\n"
      "from kafka import KafkaConsumer\n"
      "c = KafkaConsumer(sys.argv[2], bootstrap_servers=sys.argv[1], "
      "auto_offset_reset='earliest',\n"
      "                  enable_auto_commit=False, consumer_timeout_ms=5000, api_version=(2, 5, "
      "0))\n"
      "for m in c:\n"
      "    print((m.key or b'').decode() + '\\t' + m.value.decode())\n";
  const test::TempDir dir("consume");
  const std::filesystem::path file = dir.File("consume.py");
  {
    std::ofstream out(file);
    out << script;
  }
  auto messages = SplitKeyed(
      RunShell("timeout 60 /usr/bin/python3 " + file.string() + " " + bootstrap + " " + topic));
  return messages;
}

}  // namespace touchstream::testing

// Independent Kafka clients for integration tests: kcat and kafka-python (/usr/bin/python3),
// run as child processes with a timeout, so that what the engine produces and consumes is
// checked by software that shares no code with it.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace touchstream::testing {

struct KeyedMessage {
  std::string key;
  std::string value;
};

// Runs a shell command; returns its stdout. Fails the current test on a non-zero exit.
std::string RunShell(const std::string& command);

// Produces messages with kcat (one per line; values must not contain newlines or tabs), placed
// by kcat's partitioner (consistent_random), or all on `partition` when it is not negative.
void KcatProduce(const std::string& bootstrap, const std::string& topic,
                 const std::vector<KeyedMessage>& messages, int32_t partition = -1);

// Every message of a topic, from the beginning, read with kcat.
std::vector<KeyedMessage> KcatConsumeAll(const std::string& bootstrap, const std::string& topic);

// Every message of a topic with its headers rendered by kcat ("k=v,k=v"), read with kcat.
std::vector<std::pair<std::string, std::string>> KcatConsumeHeaders(const std::string& bootstrap,
                                                                    const std::string& topic);

// Every message of a topic, from the beginning, read with kafka-python.
std::vector<KeyedMessage> PythonConsumeAll(const std::string& bootstrap, const std::string& topic);

}  // namespace touchstream::testing

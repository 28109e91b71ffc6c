// JSON Lines files: one JSON document per line (events for replay, actions and decisions
// written by the file sinks). The reader and writer own their file; neither is thread safe.
#pragma once

#include <fstream>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace touchstream::connectors {

class JsonlReader {
 public:
  // IOError naming the path when the file cannot be opened.
  static Result<std::unique_ptr<JsonlReader>> Open(const std::string& path);

  // Stores the next line that is not blank (whitespace only), without its line ending, in
  // *line; false at end of file (or on a read error: see status()).
  bool Next(std::string* line);
  // The 1-based number of the last line returned by Next (0 before the first).
  int line_number() const { return returned_line_; }
  const std::string& path() const { return path_; }
  // Ok, or IOError naming the path if reading failed before the end of the file.
  Status status() const;

 private:
  JsonlReader(std::string path, std::ifstream in) : path_(std::move(path)), in_(std::move(in)) {}

  const std::string path_;
  std::ifstream in_;
  int lines_read_ = 0;
  int returned_line_ = 0;
};

class JsonlWriter {
 public:
  // Creates or truncates the file; IOError naming the path on failure.
  static Result<std::unique_ptr<JsonlWriter>> Open(const std::string& path);

  // Appends `line` and a newline. InvalidArgument if `line` contains a newline (it would
  // split the document); IOError naming the path when writing fails.
  Status Write(std::string_view line);
  // Pushes buffered lines to the operating system; IOError naming the path on failure.
  Status Flush();

 private:
  JsonlWriter(std::string path, std::ofstream out) : path_(std::move(path)), out_(std::move(out)) {}

  const std::string path_;
  std::ofstream out_;
};

}  // namespace touchstream::connectors

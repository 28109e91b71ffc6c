#include "connectors/jsonl.h"

#include <cerrno>
#include <cstring>

namespace touchstream::connectors {
namespace {

bool IsBlank(std::string_view line) {
  return line.find_first_not_of(" \t\r\f\v") == std::string_view::npos;
}

Status IOErrorFor(const std::string& what, const std::string& path) {
  return Status::IOError(what + " " + path + ": " + std::strerror(errno));
}

}  // namespace

Result<std::unique_ptr<JsonlReader>> JsonlReader::Open(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) return IOErrorFor("cannot open", path);
  return std::unique_ptr<JsonlReader>(new JsonlReader(path, std::move(in)));
}

bool JsonlReader::Next(std::string* line) {
  while (std::getline(in_, *line)) {
    ++lines_read_;
    if (!line->empty() && line->back() == '\r') line->pop_back();
    if (IsBlank(*line)) continue;
    returned_line_ = lines_read_;
    return true;
  }
  return false;
}

Status JsonlReader::status() const {
  if (in_.bad()) {
    return Status::IOError("read error in " + path_ + " after line " + std::to_string(lines_read_));
  }
  return Status::Ok();
}

Result<std::unique_ptr<JsonlWriter>> JsonlWriter::Open(const std::string& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out.is_open()) return IOErrorFor("cannot create", path);
  return std::unique_ptr<JsonlWriter>(new JsonlWriter(path, std::move(out)));
}

Status JsonlWriter::Write(std::string_view line) {
  if (line.find('\n') != std::string_view::npos) {
    return Status::InvalidArgument("JSON line for " + path_ + " contains a newline");
  }
  out_.write(line.data(), static_cast<std::streamsize>(line.size()));
  out_.put('\n');
  if (!out_) return Status::IOError("write failed: " + path_);
  return Status::Ok();
}

Status JsonlWriter::Flush() {
  out_.flush();
  if (!out_) return Status::IOError("flush failed: " + path_);
  return Status::Ok();
}

}  // namespace touchstream::connectors

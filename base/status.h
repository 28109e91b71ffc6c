// Status and Result<T>: the one error vocabulary of Touchstream's data path.
//
// A Status is a plain value: ok, or a code plus a human-readable message that names what
// failed and where (file, line, key, topic/partition/offset). Callers test ok() and return
// early; exceptions are caught at the edges where a library throws (YAML, Beast).
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace touchstream {

class Status {
 public:
  enum class Code {
    kOk,
    kInvalidArgument,
    kNotFound,
    kCorruption,
    kIOError,
    kUnavailable,
    kInternal
  };

  // An ok status.
  Status() = default;

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string message) {
    return {Code::kInvalidArgument, std::move(message)};
  }
  static Status NotFound(std::string message) { return {Code::kNotFound, std::move(message)}; }
  static Status Corruption(std::string message) { return {Code::kCorruption, std::move(message)}; }
  static Status IOError(std::string message) { return {Code::kIOError, std::move(message)}; }
  static Status Unavailable(std::string message) {
    return {Code::kUnavailable, std::move(message)};
  }
  static Status Internal(std::string message) { return {Code::kInternal, std::move(message)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "OK", or "<code name>: <message>".
  std::string ToString() const;

 private:
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  Code code_ = Code::kOk;
  std::string message_;
};

// Either a value or a non-ok Status. Accessing value() of an error is a programming error
// (asserted in debug builds).
template <typename T>
class Result {
 public:
  Result(T value) : data_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : data_(std::move(status)) {
    assert(!std::get<Status>(data_).ok());
  }  // NOLINT

  bool ok() const { return std::holds_alternative<T>(data_); }
  // Ok status when a value is held.
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(data_); }

  T& value() & {
    assert(ok());
    return std::get<T>(data_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<T>(data_);
  }
  T&& value() && {
    assert(ok());
    return std::get<T>(std::move(data_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace touchstream

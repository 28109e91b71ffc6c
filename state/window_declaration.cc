#include "state/window_declaration.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <vector>

#include "base/duration.h"
#include "base/text_match.h"
#include "state/window_aggregate.h"

namespace touchstream::state {

namespace {

using Kind = v1::WindowState::Kind;

struct KindName {
  std::string_view name;
  Kind kind;
};
constexpr KindName kKinds[] = {
    {"count", v1::WindowState::COUNT},       {"sum", v1::WindowState::SUM},
    {"min", v1::WindowState::MIN},           {"max", v1::WindowState::MAX},
    {"avg", v1::WindowState::AVG},           {"average", v1::WindowState::AVG},
    {"distinct", v1::WindowState::DISTINCT},
};

// A tiny cursor over the declaration text.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  void SkipSpaces() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool AtEnd() {
    SkipSpaces();
    return pos_ == text_.size();
  }
  bool Consume(char c) {
    SkipSpaces();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  // A run of characters other than spaces and the delimiters in `stop`.
  std::string_view Word(std::string_view stop = "().") {
    SkipSpaces();
    const size_t start = pos_;
    while (pos_ < text_.size() && !std::isspace(static_cast<unsigned char>(text_[pos_])) &&
           stop.find(text_[pos_]) == std::string_view::npos) {
      ++pos_;
    }
    return text_.substr(start, pos_ - start);
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

bool ValidPart(std::string_view s) {
  return !s.empty() && s.size() <= 128 && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == ':';
  });
}

int64_t DefaultBucket(int64_t window_ms) {
  for (const int64_t bucket : {kMsPerDay, int64_t{3'600'000}, int64_t{60'000}, int64_t{1000}}) {
    if (window_ms % bucket == 0 && window_ms / bucket >= 7 &&
        window_ms / bucket <= kMaxWindowBuckets) {
      return bucket;
    }
  }
  return 0;
}

Status Invalid(std::string message) {
  return Status::InvalidArgument(std::move(message));
}

}  // namespace

bool ParseConfigDuration(std::string_view text, int64_t* ms) {
  const Result<int64_t> parsed = ParseDuration(text);
  if (!parsed.ok() || *parsed <= 0) return false;
  *ms = *parsed;
  return true;
}

std::string FormatConfigDuration(int64_t ms) {
  if (ms <= 0) return std::to_string(ms) + "ms";
  std::string out;
  for (const int64_t unit_ms : {kMsPerDay, int64_t{3'600'000}, int64_t{60'000}, int64_t{1000}}) {
    if (ms >= unit_ms) {
      out += std::to_string(ms / unit_ms);
      out += unit_ms == kMsPerDay   ? "d"
             : unit_ms == 3'600'000 ? "h"
             : unit_ms == 60'000    ? "m"
                                    : "s";
      ms %= unit_ms;
    }
  }
  if (ms > 0) out += std::to_string(ms) + "ms";
  return out;
}

std::string_view WindowKindName(Kind kind) {
  for (const KindName& k : kKinds) {
    if (k.kind == kind) return k.name;
  }
  return "unspecified";
}

Status ValidateAggregateName(std::string_view name) {
  const bool ok =
      !name.empty() && name.size() <= 64 && !std::isdigit(static_cast<unsigned char>(name[0])) &&
      std::all_of(name.begin(), name.end(),
                  [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
  if (ok) return Status::Ok();
  return Invalid("invalid aggregate name '" + std::string(name) +
                 "' (use letters, digits and '_', not starting with a digit, at most 64 bytes)");
}

std::string WindowDeclaration::ToString() const {
  std::string out(WindowKindName(kind));
  out += "(" + event_type;
  if (!property.empty()) out += "." + property;
  out += ") over " + FormatConfigDuration(window_ms) + " bucket " + FormatConfigDuration(bucket_ms);
  if (kind == v1::WindowState::DISTINCT) out += " limit " + std::to_string(distinct_limit);
  return out;
}

uint32_t WindowDeclaration::Fingerprint() const {
  const uint64_t h = Fnv1a64(ToString());
  return static_cast<uint32_t>(h ^ (h >> 32));
}

Result<WindowDeclaration> ParseWindowDeclaration(std::string_view name, std::string_view text) {
  if (Status s = ValidateAggregateName(name); !s.ok()) return s;
  WindowDeclaration d;
  d.name = std::string(name);
  Scanner in(text);
  const std::string_view kind = in.Word();
  if (kind.empty()) {
    return Invalid("expected a declaration like 'sum(purchase.amount) over 90d', got '" +
                   std::string(text) + "'");
  }
  const KindName* found = nullptr;
  for (const KindName& k : kKinds) {
    if (k.name == kind) found = &k;
  }
  if (found == nullptr) {
    std::string message = "unknown kind '" + std::string(kind) + "'";
    std::vector<std::string_view> names;
    for (const KindName& k : kKinds) names.push_back(k.name);
    const std::string_view best = ClosestMatch(kind, names);
    if (!best.empty()) {
      message += " (did you mean '" + std::string(best) + "'?)";
    } else {
      message += " (expected count, sum, min, max, avg or distinct)";
    }
    return Invalid(message);
  }
  d.kind = found->kind;
  if (!in.Consume('(')) return Invalid("expected '(' after '" + std::string(kind) + "'");
  if (in.Consume('*')) {
    d.event_type = "*";
  } else {
    d.event_type = std::string(in.Word());
    if (!ValidPart(d.event_type)) {
      return Invalid("expected an event type in " + std::string(kind) + "(...), e.g. " +
                     std::string(kind) + "(purchase.amount)");
    }
  }
  if (in.Consume('.')) {
    d.property = std::string(in.Word());
    if (!ValidPart(d.property)) return Invalid("expected a property name after '.'");
  }
  if (!in.Consume(')')) return Invalid("expected ')' after the event type and property");
  if (d.property.empty() && d.kind != v1::WindowState::COUNT) {
    return Invalid(std::string(kind) + " needs a property: " + std::string(kind) + "(" +
                   d.event_type + ".<property>)");
  }
  if (in.Word() != "over") return Invalid("expected 'over <duration>' after ')', e.g. over 90d");
  const std::string_view window = in.Word();
  if (!ParseConfigDuration(window, &d.window_ms)) {
    return Invalid("invalid duration '" + std::string(window) + "' (use e.g. 90d, 12h, 30m)");
  }
  bool bucket_given = false;
  bool limit_given = false;
  while (!in.AtEnd()) {
    const std::string_view option = in.Word();
    const std::string_view value = in.Word();
    if (option == "bucket" && !bucket_given) {
      bucket_given = true;
      if (!ParseConfigDuration(value, &d.bucket_ms)) {
        return Invalid("invalid bucket duration '" + std::string(value) +
                       "' (use e.g. 1d, 1h, 15m)");
      }
    } else if (option == "limit" && !limit_given && d.kind == v1::WindowState::DISTINCT) {
      limit_given = true;
      int64_t limit = 0;
      const bool digits = !value.empty() && value.size() <= 6 &&
                          std::all_of(value.begin(), value.end(), [](char c) {
                            return std::isdigit(static_cast<unsigned char>(c));
                          });
      if (digits) limit = std::stoll(std::string(value));
      if (limit < 1 || limit > kMaxDistinctLimit) {
        return Invalid("limit must be an integer from 1 to " + std::to_string(kMaxDistinctLimit) +
                       ", got '" + std::string(value) + "'");
      }
      d.distinct_limit = static_cast<int32_t>(limit);
    } else if (option == "limit" && d.kind != v1::WindowState::DISTINCT) {
      return Invalid("'limit' applies to distinct only");
    } else {
      return Invalid("unexpected '" + std::string(option) +
                     "' (after the window, only 'bucket <duration>' and, for distinct, "
                     "'limit <n>' may follow)");
    }
  }
  if (!bucket_given) {
    d.bucket_ms = DefaultBucket(d.window_ms);
    if (d.bucket_ms == 0) {
      return Invalid("no default bucket fits a window of " + FormatConfigDuration(d.window_ms) +
                     "; add 'bucket <duration>' (the window must be 1 to " +
                     std::to_string(kMaxWindowBuckets) + " whole buckets)");
    }
  }
  if (d.window_ms % d.bucket_ms != 0) {
    return Invalid("window " + FormatConfigDuration(d.window_ms) +
                   " is not a multiple of the bucket " + FormatConfigDuration(d.bucket_ms));
  }
  if (d.window_ms / d.bucket_ms > kMaxWindowBuckets) {
    return Invalid("window " + FormatConfigDuration(d.window_ms) + " holds " +
                   std::to_string(d.window_ms / d.bucket_ms) + " buckets of " +
                   FormatConfigDuration(d.bucket_ms) + "; at most " +
                   std::to_string(kMaxWindowBuckets) + " (use a wider bucket)");
  }
  return d;
}

}  // namespace touchstream::state

#include "rules/source.h"

#include <algorithm>

namespace touchstream::rules {

std::string Diagnostic::ToString() const {
  if (line <= 0) return file + ": error: " + message;
  std::string out =
      file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": error: " + message;
  if (source_line.empty()) return out;
  out += "\n" + source_line + "\n";
  // Keep tabs so the caret lines up under tab-indented text.
  for (int i = 0; i + 1 < column && i < static_cast<int>(source_line.size()); ++i) {
    out += source_line[i] == '\t' ? '\t' : ' ';
  }
  out += '^';
  return out;
}

SourceFile::SourceFile(std::string name, std::string_view text) : name_(std::move(name)) {
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines_.emplace_back(line);
    start = end + 1;
  }
}

std::string_view SourceFile::Line(int line) const {
  if (line < 1 || line > line_count()) return {};
  return lines_[line - 1];
}

ExprLocation::ExprLocation(int line, int column) {
  segments_.push_back({0, line, column});
}

namespace {

// Length of the common prefix of `value` (from `from`) and `text`.
int MatchLength(std::string_view value, int from, std::string_view text) {
  int n = 0;
  while (from + n < static_cast<int>(value.size()) && n < static_cast<int>(text.size()) &&
         value[from + n] == text[n]) {
    ++n;
  }
  return n;
}

int Indentation(std::string_view line) {
  int n = 0;
  while (n < static_cast<int>(line.size()) && (line[n] == ' ' || line[n] == '\t')) ++n;
  return n;
}

}  // namespace

ExprLocation ExprLocation::ForScalar(const SourceFile& file, int mark_line, int mark_column,
                                     std::string_view value) {
  ExprLocation location;
  const int line = mark_line + 1;
  std::string_view text = file.Line(line);
  const char indicator = mark_column < static_cast<int>(text.size()) ? text[mark_column] : ' ';
  int first_line = line;
  int first_column = mark_column;  // 0-based
  const bool block = indicator == '|' || indicator == '>';
  if (block) {
    // Block scalar: content starts on the next non-blank line, at its indentation.
    first_line = line + 1;
    while (first_line <= file.line_count() &&
           Indentation(file.Line(first_line)) == static_cast<int>(file.Line(first_line).size())) {
      ++first_line;
    }
    first_column = Indentation(file.Line(first_line));
  } else if (indicator == '"' || indicator == '\'') {
    first_column = mark_column + 1;
  }
  location.segments_.push_back({0, first_line, first_column + 1});
  // Follow the value across further lines while the text matches.
  int offset = MatchLength(
      value, 0,
      file.Line(first_line).substr(std::min<size_t>(first_column, file.Line(first_line).size())));
  for (int l = first_line + 1; l <= file.line_count() && offset < static_cast<int>(value.size());
       ++l) {
    if (value[offset] == '\n' || value[offset] == ' ') ++offset;  // the folded line break
    std::string_view next = file.Line(l);
    if (Indentation(next) == static_cast<int>(next.size())) continue;  // blank line
    // Block scalars keep indentation beyond the block's own; other styles fold it away.
    const int indent = block ? std::min(first_column, Indentation(next)) : Indentation(next);
    const int matched = MatchLength(value, offset, next.substr(indent));
    if (matched == 0) break;
    location.segments_.push_back({offset, l, indent + 1});
    offset += matched;
  }
  return location;
}

ExprLocation ExprLocation::Sub(int offset) const {
  ExprLocation sub;
  int line = 0, column = 0;
  Map(offset, &line, &column);
  sub.segments_.push_back({0, line, column});
  for (const Segment& s : segments_) {
    if (s.value_offset > offset)
      sub.segments_.push_back({s.value_offset - offset, s.line, s.column});
  }
  return sub;
}

void ExprLocation::Map(int offset, int* line, int* column) const {
  const Segment* best = &segments_.front();
  for (const Segment& s : segments_) {
    if (s.value_offset <= offset) best = &s;
  }
  *line = best->line;
  *column = best->column + (offset - best->value_offset);
}

void DiagnosticSink::Error(int line, int column, std::string message) {
  Diagnostic d;
  d.file = file_->name();
  d.line = line;
  d.column = column;
  d.message = std::move(message);
  d.source_line = std::string(file_->Line(line));
  out_->push_back(std::move(d));
}

void DiagnosticSink::ErrorAt(const ExprLocation& location, int offset, std::string message) {
  int line = 0, column = 0;
  location.Map(offset, &line, &column);
  Error(line, column, std::move(message));
}

}  // namespace touchstream::rules

// Source positions and diagnostics: where in a rule file something is, and how an error about
// it is printed (compiler style: "file:line:col: error: message", the line, a caret).
//
// Expressions live inside YAML scalars. An ExprLocation maps a byte offset within the scalar's
// value to a line and column of the file: single-line plain and quoted scalars map exactly
// (column of the scalar plus the offset; escape sequences in double-quoted scalars shift
// later columns by the length of the escape). Multi-line scalars (block `|` / `>`, folded
// plain or quoted) are mapped by matching each value line against the following file lines
// after their indentation; where the text does not match (escapes, folded blank lines) the
// position falls back to the last matching line.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/text_match.h"

namespace touchstream::rules {

// One error in a rule file. line and column are 1-based; 0 means "the whole file".
struct Diagnostic {
  std::string file;
  int line = 0;
  int column = 0;
  std::string message;
  // The text of the line the error is on (without the newline), empty when unknown.
  std::string source_line;

  // "file:line:col: error: message\n<source_line>\n<caret under column>", or
  // "file: error: message" when there is no position.
  std::string ToString() const;
};

// The text of one rule file split into lines, for quoting lines in diagnostics.
class SourceFile {
 public:
  SourceFile(std::string name, std::string_view text);

  const std::string& name() const { return name_; }
  // Line text by 1-based number; empty for a number out of range.
  std::string_view Line(int line) const;
  int line_count() const { return static_cast<int>(lines_.size()); }

 private:
  std::string name_;
  std::vector<std::string> lines_;
};

// Maps offsets within an expression (the value of one YAML scalar) to file positions.
class ExprLocation {
 public:
  // The expression starts at 1-based (line, column) and continues on the same line.
  ExprLocation(int line, int column);
  // For the value of a YAML scalar whose node starts at 0-based (mark_line, mark_column), as
  // yaml-cpp reports it; the style (plain, quoted, block) is read from the file text there.
  static ExprLocation ForScalar(const SourceFile& file, int mark_line, int mark_column,
                                std::string_view value);

  // The expression-relative location of text starting at `offset` within this one (used for
  // {{ }} placeholders in templates).
  ExprLocation Sub(int offset) const;

  // 1-based file position of a byte offset within the expression.
  void Map(int offset, int* line, int* column) const;

 private:
  struct Segment {
    int value_offset;  // first byte of the value on this file line
    int line;          // 1-based
    int column;        // 1-based column of value_offset
  };
  ExprLocation() = default;
  std::vector<Segment> segments_;
};

// Collects diagnostics about one file; positions are turned into file:line:col and quoted.
class DiagnosticSink {
 public:
  DiagnosticSink(const SourceFile* file, std::vector<Diagnostic>* out) : file_(file), out_(out) {}

  void Error(int line, int column, std::string message);
  // An error at `offset` within the expression located by `location`.
  void ErrorAt(const ExprLocation& location, int offset, std::string message);
  const SourceFile& file() const { return *file_; }
  size_t error_count() const { return out_->size(); }

 private:
  const SourceFile* file_;
  std::vector<Diagnostic>* out_;
};

using touchstream::ClosestMatch;  // base/text_match.h

}  // namespace touchstream::rules

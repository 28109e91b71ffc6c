#include "tests/docs/markdown.h"

#include <cctype>
#include <map>
#include <regex>

namespace touchstream::docs {
namespace {

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    lines.push_back(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return lines;
}

bool IsFence(std::string_view line) {
  return line.substr(0, 3) == "```";
}

std::string Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

// The line with `code spans` blanked out, so that links inside them are not seen.
std::string WithoutCodeSpans(std::string_view line) {
  std::string out(line);
  bool in_code = false;
  for (char& c : out) {
    if (c == '`') {
      in_code = !in_code;
    } else if (in_code) {
      c = ' ';
    }
  }
  return out;
}

std::string Slug(std::string_view heading) {
  std::string slug;
  for (const char c : heading) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_') {
      slug += static_cast<char>(std::tolower(u));
    } else if (c == ' ') {
      slug += '-';
    } else if (u >= 0x80) {
      slug += c;  // GitHub keeps non-ASCII letters; the docs' headings have none that matter
    }
  }
  return slug;
}

}  // namespace

std::vector<CodeBlock> FencedBlocks(std::string_view markdown) {
  std::vector<CodeBlock> blocks;
  const std::vector<std::string_view> lines = SplitLines(markdown);
  std::string last_text_line;  // the nearest non-blank line outside code, for the fragment mark
  for (size_t i = 0; i < lines.size(); ++i) {
    if (!IsFence(lines[i])) {
      if (!Trim(lines[i]).empty()) last_text_line = Trim(lines[i]);
      continue;
    }
    CodeBlock block;
    block.info = Trim(lines[i].substr(3));
    block.fence_line = static_cast<int>(i) + 1;
    block.fragment = last_text_line == "<!-- fragment -->";
    for (++i; i < lines.size() && !IsFence(lines[i]); ++i) {
      block.text.append(lines[i]).append("\n");
    }
    blocks.push_back(std::move(block));
    last_text_line.clear();
  }
  return blocks;
}

std::vector<Link> Links(std::string_view markdown) {
  static const std::regex kLink(R"(\]\(([^)\s]+)\))");
  std::vector<Link> links;
  bool in_fence = false;
  int line_number = 0;
  for (const std::string_view line : SplitLines(markdown)) {
    ++line_number;
    if (IsFence(line)) {
      in_fence = !in_fence;
      continue;
    }
    if (in_fence) continue;
    const std::string text = WithoutCodeSpans(line);
    for (std::sregex_iterator it(text.begin(), text.end(), kLink), end; it != end; ++it) {
      links.push_back({(*it)[1].str(), line_number});
    }
  }
  return links;
}

std::set<std::string> HeadingAnchors(std::string_view markdown) {
  std::set<std::string> anchors;
  std::map<std::string, int> seen;
  bool in_fence = false;
  for (const std::string_view line : SplitLines(markdown)) {
    if (IsFence(line)) {
      in_fence = !in_fence;
      continue;
    }
    if (in_fence || line.empty() || line.front() != '#') continue;
    const size_t text_start = line.find_first_not_of('#');
    if (text_start == std::string_view::npos || line[text_start] != ' ') continue;
    const std::string slug = Slug(Trim(line.substr(text_start)));
    const int repeat = seen[slug]++;
    anchors.insert(repeat == 0 ? slug : slug + "-" + std::to_string(repeat));
  }
  return anchors;
}

}  // namespace touchstream::docs

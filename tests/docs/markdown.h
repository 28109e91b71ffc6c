// A small Markdown reader for checking the documentation: fenced code blocks and relative
// links, with their line numbers, and the anchors GitHub gives headings. Only what the docs
// use: ``` fences (no ~~~, no indented code), [text](target) links outside code.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace touchstream::docs {

struct CodeBlock {
  std::string info;       // the fence's info string: "yaml", "sh", "" ...
  int fence_line = 0;     // 1-based line of the opening fence
  std::string text;       // the lines between the fences, each ending in '\n'
  bool fragment = false;  // the nearest non-blank line above the fence is <!-- fragment -->
};

struct Link {
  std::string target;  // as written: "docs/rules.md#triggers", "#limits", "https://..."
  int line = 0;        // 1-based
};

// Every fenced code block, in file order. An unclosed fence runs to the end of the text.
std::vector<CodeBlock> FencedBlocks(std::string_view markdown);

// Every inline link [text](target) outside fenced code blocks and `code spans`.
std::vector<Link> Links(std::string_view markdown);

// The anchors of the headings outside code blocks, as GitHub makes them: lower case, spaces to
// '-', everything but letters, digits, '-' and '_' dropped; repeats get "-1", "-2", ...
std::set<std::string> HeadingAnchors(std::string_view markdown);

}  // namespace touchstream::docs

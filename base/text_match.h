// Suggestions for misspelled names ("did you mean 'spend_90d'?"), shared by the rule checker
// and the configuration readers.
#pragma once

#include <string_view>
#include <vector>

namespace touchstream {

// The candidate closest to `word` by edit distance when it is close enough to be a likely
// typo (distance at most max(1, size/3)), else empty.
std::string_view ClosestMatch(std::string_view word,
                              const std::vector<std::string_view>& candidates);

}  // namespace touchstream

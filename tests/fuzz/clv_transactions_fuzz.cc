// Fuzzes the transaction readers of `clv fit` (state/clv_fit.h): the same bytes are read as a
// CDNOW file and as JSON Lines; each gives transactions or an error naming the file and line,
// never a crash.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "state/clv_fit.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using touchstream::state::TransactionFormat;
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (TransactionFormat format : {TransactionFormat::kCdnow, TransactionFormat::kJsonl}) {
    std::istringstream in(text);
    const auto read = touchstream::state::ReadTransactions(in, "fuzz.txt", format);
    if (!read.ok()) {
      FUZZ_CHECK(read.status().message().starts_with("fuzz.txt:"),
                 "a bad transaction file is named in the error");
    }
  }
  return 0;
}

// TempDir: a fresh, empty directory under the system temp dir (std::filesystem's
// temp_directory_path, i.e. $TMPDIR or /tmp), removed with all its contents when destroyed.
//
// The directory name is "<prefix>.XXXXXX", made unique by mkdtemp, so tests running in
// parallel (ctest -j) never share one. Not copyable or movable: the object owns the directory.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace touchstream::test {

class TempDir {
 public:
  // Creates the directory. Throws std::filesystem::filesystem_error (naming the pattern and
  // the OS error) when it cannot be created, so a test fails at once instead of writing to "".
  explicit TempDir(std::string_view prefix = "touchstream-test");
  // Removes the directory and everything in it; errors are ignored (nothing to report to).
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // The directory, absolute, never empty.
  const std::filesystem::path& path() const { return path_; }
  // path()/name as a string (the file need not exist).
  std::string File(std::string_view name) const;

 private:
  std::filesystem::path path_;
};

}  // namespace touchstream::test

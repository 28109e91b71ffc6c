#include "tests/testing/temp_dir.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace touchstream::test {
namespace {

// A TempDir exists while alive, is empty, and is removed with its contents when destroyed.
TEST(TestingTempDirTest, CreatesAnEmptyDirectoryAndRemovesItWithItsContents) {
  std::filesystem::path path;
  {
    TempDir dir("temp-dir-test");
    path = dir.path();
    ASSERT_TRUE(std::filesystem::is_directory(path));
    EXPECT_TRUE(std::filesystem::is_empty(path));
    EXPECT_EQ(path.filename().string().rfind("temp-dir-test.", 0), 0u) << path;
    std::filesystem::create_directory(path / "sub");
    std::ofstream(dir.File("sub/file.txt")) << "x";
    EXPECT_EQ(dir.File("a.txt"), (path / "a.txt").string());
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

// Two TempDirs never share a directory.
TEST(TestingTempDirTest, EachInstanceGetsItsOwnDirectory) {
  TempDir a;
  TempDir b;
  EXPECT_NE(a.path(), b.path());
}

}  // namespace
}  // namespace touchstream::test

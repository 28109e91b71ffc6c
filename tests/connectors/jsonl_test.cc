#include "connectors/jsonl.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/testing/temp_dir.h"

namespace touchstream::connectors {
namespace {

using test::TempDir;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Lines written come back in order, each with its file line number, skipping blank lines and
// stripping CRLF endings.
TEST(ConnectorsJsonlTest, ReaderSkipsBlankLinesAndCountsLineNumbers) {
  TempDir dir;
  const std::string path = dir.File("events.jsonl");
  std::ofstream(path, std::ios::binary) << "{\"a\":1}\n\n   \n{\"b\":2}\r\n\t\n{\"c\":3}";
  Result<std::unique_ptr<JsonlReader>> reader = JsonlReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ((*reader)->path(), path);
  EXPECT_EQ((*reader)->line_number(), 0);
  std::string line;
  ASSERT_TRUE((*reader)->Next(&line));
  EXPECT_EQ(line, "{\"a\":1}");
  EXPECT_EQ((*reader)->line_number(), 1);
  ASSERT_TRUE((*reader)->Next(&line));
  EXPECT_EQ(line, "{\"b\":2}");
  EXPECT_EQ((*reader)->line_number(), 4);
  ASSERT_TRUE((*reader)->Next(&line));
  EXPECT_EQ(line, "{\"c\":3}");
  EXPECT_EQ((*reader)->line_number(), 6);
  EXPECT_FALSE((*reader)->Next(&line));
  EXPECT_EQ((*reader)->line_number(), 6);
  EXPECT_TRUE((*reader)->status().ok());
}

// The writer truncates, terminates each line, and its output reads back.
TEST(ConnectorsJsonlTest, WriterTruncatesAndRoundTrips) {
  TempDir dir;
  const std::string path = dir.File("out.jsonl");
  std::ofstream(path) << "old content\n";
  Result<std::unique_ptr<JsonlWriter>> writer = JsonlWriter::Open(path);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  ASSERT_TRUE((*writer)->Write(R"({"x":1})").ok());
  ASSERT_TRUE((*writer)->Write(R"({"y":"two"})").ok());
  ASSERT_TRUE((*writer)->Flush().ok());
  EXPECT_EQ(ReadFile(path), "{\"x\":1}\n{\"y\":\"two\"}\n");

  Result<std::unique_ptr<JsonlReader>> reader = JsonlReader::Open(path);
  ASSERT_TRUE(reader.ok());
  std::string line;
  ASSERT_TRUE((*reader)->Next(&line));
  ASSERT_TRUE((*reader)->Next(&line));
  EXPECT_EQ(line, R"({"y":"two"})");
  EXPECT_EQ((*reader)->line_number(), 2);
  EXPECT_FALSE((*reader)->Next(&line));
}

// A line with an embedded newline is refused (it would become two documents).
TEST(ConnectorsJsonlTest, WriterRefusesEmbeddedNewline) {
  TempDir dir;
  Result<std::unique_ptr<JsonlWriter>> writer = JsonlWriter::Open(dir.File("out.jsonl"));
  ASSERT_TRUE(writer.ok());
  const Status status = (*writer)->Write("{\n}");
  EXPECT_EQ(status.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(status.message(), "JSON line for " + dir.File("out.jsonl") + " contains a newline");
}

// Opening a missing file, or creating one in a missing directory, is an IOError naming it.
TEST(ConnectorsJsonlTest, OpenErrorsNameThePath) {
  TempDir dir;
  const std::string missing = dir.File("missing.jsonl");
  const Status read = JsonlReader::Open(missing).status();
  EXPECT_EQ(read.code(), Status::Code::kIOError);
  EXPECT_EQ(read.message(), "cannot open " + missing + ": No such file or directory");
  const std::string nowhere = dir.File("no/such/dir.jsonl");
  const Status write = JsonlWriter::Open(nowhere).status();
  EXPECT_EQ(write.code(), Status::Code::kIOError);
  EXPECT_EQ(write.message(), "cannot create " + nowhere + ": No such file or directory");
}

}  // namespace
}  // namespace touchstream::connectors

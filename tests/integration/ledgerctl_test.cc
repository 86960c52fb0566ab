// The ledgerctl command as a process, against a real ledgerd: what it
// prints for append and read (one JSON line per event or entry), and its
// exit statuses: 0 for success and help, 2 for usage errors, 1 with one
// line on stderr for a refusal or a server that is not there.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "clients/ledger_client.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/integration/ledgerd_process.h"
#include "tests/integration/programs.h"
#include "tests/integration/read_entries.h"
#include "tests/ledger/test_util.h"

namespace ledger {
namespace {

namespace pb = google::protobuf;
using ::ledger::testing::ExitedWith;
using ::ledger::testing::LedgerdProcess;
using ::ledger::testing::Lines;
using ::ledger::testing::ProcessOutput;
using ::ledger::testing::ReadEntries;
using ::ledger::testing::RunLedgerctl;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::StartsWith;

// Parses one line of ledgerctl's output as a JSON object.
pb::Struct ParseJsonLine(const std::string& line) {
  pb::Struct object;
  EXPECT_TRUE(pb::util::JsonStringToMessage(line, &object).ok())
      << "not a JSON object: " << line;
  return object;
}

// The string value of `key` in `object` ("" when absent or not a string).
std::string Field(const pb::Struct& object, const std::string& key) {
  auto it = object.fields().find(key);
  return it == object.fields().end() ? "" : it->second.string_value();
}

// Runs ledgerctl against a ledgerd serving a database in the test's
// directory.
class LedgerctlTest : public ::ledger::testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    ASSERT_OK_AND_ASSIGN(ledgerd_, LedgerdProcess::Start(PathIn("db")));
    client_ = std::make_unique<LedgerClient>(ledgerd_->address());
  }

  void TearDown() override {
    client_.reset();
    if (ledgerd_ != nullptr) {
      EXPECT_OK(ledgerd_->Stop());
    }
    ledgerd_.reset();
    TempDirTest::TearDown();
  }

  // Runs `ledgerctl --server ADDRESS ARGS...`.
  absl::StatusOr<ProcessOutput> Ledgerctl(const std::vector<std::string>& args) {
    std::vector<std::string> all = {"--server", ledgerd_->address()};
    all.insert(all.end(), args.begin(), args.end());
    return RunLedgerctl(all);
  }

  // Appends one event with a google.protobuf.Struct payload {"n": n}.
  void AppendStruct(const std::string& stream, const std::string& event_id, int n) {
    pb::Struct payload;
    (*payload.mutable_fields())["n"].set_number_value(n);
    v1::AppendRequest request;
    request.set_stream(stream);
    v1::EventData* e = request.add_events();
    e->set_event_id(event_id);
    e->mutable_payload()->PackFrom(payload);
    ASSERT_OK(client_->Append(request).status());
  }

  void WriteFile(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    ASSERT_TRUE(out.good()) << "cannot write " << path;
  }

  std::unique_ptr<LedgerdProcess> ledgerd_;
  std::unique_ptr<LedgerClient> client_;
};

TEST_F(LedgerctlTest, AppendPrintsOneJsonLineWithSequenceAndStreamVersion) {
  ASSERT_OK_AND_ASSIGN(
      ProcessOutput first,
      Ledgerctl({"append", "--stream", "case/1", "--type", "google.protobuf.Struct",
                 "--data", R"({"note": "first"})", "--event-id", "ev-1"}));
  EXPECT_THAT(first, ExitedWith(0));
  EXPECT_EQ(first.out,
            "{\"sequence\":\"0\",\"stream_version\":\"1\",\"event_id\":\"ev-1\","
            "\"duplicate\":false}\n");
  EXPECT_EQ(first.err, "");

  ASSERT_OK_AND_ASSIGN(
      ProcessOutput second,
      Ledgerctl({"append", "--stream", "case/1", "--type", "google.protobuf.Struct",
                 "--data", R"({"note": "second"})", "--event-id", "ev-2"}));
  EXPECT_THAT(second, ExitedWith(0));
  ASSERT_THAT(Lines(second.out), SizeIs(1));
  pb::Struct line = ParseJsonLine(Lines(second.out)[0]);
  EXPECT_EQ(Field(line, "sequence"), "1");
  EXPECT_EQ(Field(line, "stream_version"), "2");
  EXPECT_EQ(Field(line, "event_id"), "ev-2");

  ASSERT_OK_AND_ASSIGN(std::vector<v1::Entry> entries, ReadEntries(*client_));
  ASSERT_THAT(entries, SizeIs(2));
  EXPECT_EQ(entries[1].payload().type_url(),
            "type.googleapis.com/google.protobuf.Struct");
  pb::Struct payload;
  ASSERT_TRUE(entries[1].payload().UnpackTo(&payload));
  EXPECT_EQ(payload.fields().at("note").string_value(), "second");
}

TEST_F(LedgerctlTest, AppendFromJsonlFileAppendsEveryLine) {
  const std::string file = PathIn("events.jsonl");
  ASSERT_NO_FATAL_FAILURE(WriteFile(
      file,
      R"({"stream": "case/1", "type": "google.protobuf.Struct", "data": {"n": 1}, "event_id": "f-1"})"
      "\n"
      R"({"stream": "case/2", "type": "google.protobuf.Struct", "data": {"n": 2}, "event_id": "f-2"})"
      "\n\n"
      R"({"stream": "case/1", "type": "google.protobuf.Struct", "data": {"n": 3}, "event_id": "f-3"})"
      "\n"));

  ASSERT_OK_AND_ASSIGN(ProcessOutput r, Ledgerctl({"append", "--file", file}));

  EXPECT_THAT(r, ExitedWith(0));
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_THAT(lines, SizeIs(3));
  const std::vector<std::string> versions = {"1", "1", "2"};
  for (size_t i = 0; i < lines.size(); ++i) {
    pb::Struct line = ParseJsonLine(lines[i]);
    EXPECT_EQ(Field(line, "sequence"), absl::StrCat(i));
    EXPECT_EQ(Field(line, "stream_version"), versions[i]);
    EXPECT_EQ(Field(line, "event_id"), absl::StrCat("f-", i + 1));
  }
  ASSERT_OK_AND_ASSIGN(std::vector<v1::Entry> entries, ReadEntries(*client_));
  EXPECT_THAT(entries, SizeIs(3));
}

TEST_F(LedgerctlTest, PipelinedAppendFromFileAnswersEveryLineAndReportsTheRefused) {
  // 300 events on two streams, each line naming the exact version its
  // stream must be at; line 101 expects a version its stream is not at.
  std::string text;
  std::map<std::string, int> version;
  for (int i = 0; i < 300; ++i) {
    const std::string stream = i % 3 == 0 ? "case/a" : "case/b";
    int expect = version[stream];
    if (i == 100) expect += 5;  // refused
    absl::StrAppend(&text, R"({"stream": ")", stream,
                    R"(", "type": "google.protobuf.Struct", "data": {"n": )", i,
                    R"(}, "event_id": "p-)", i, R"(", "expect": )", expect, "}\n");
    if (i != 100) ++version[stream];
  }
  const std::string file = PathIn("events.jsonl");
  ASSERT_NO_FATAL_FAILURE(WriteFile(file, text));

  ASSERT_OK_AND_ASSIGN(ProcessOutput r, Ledgerctl({"append", "--file", file, "--pipelined"}));

  EXPECT_THAT(r, ExitedWith(1));
  EXPECT_THAT(r.err, HasSubstr(absl::StrCat(file, ":101: FAILED_PRECONDITION")));
  EXPECT_THAT(r.err, HasSubstr("299 of 300 events appended; 1 append (1 event) refused"));
  // Every other line was appended, in file order, after the refused one too.
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_THAT(lines, SizeIs(299));
  int n = 0;
  for (int i = 0; i < 300; ++i) {
    if (i == 100) continue;
    pb::Struct line = ParseJsonLine(lines[n]);
    EXPECT_EQ(Field(line, "event_id"), absl::StrCat("p-", i));
    EXPECT_EQ(Field(line, "sequence"), absl::StrCat(n));
    ++n;
  }
  ASSERT_OK_AND_ASSIGN(std::vector<v1::Entry> entries, ReadEntries(*client_));
  EXPECT_THAT(entries, SizeIs(299));

  // Sent again, every line is a retry of a recorded event but the refused
  // one, which is refused again.
  ASSERT_OK_AND_ASSIGN(r, Ledgerctl({"append", "--file", file, "--pipelined"}));
  EXPECT_THAT(r, ExitedWith(1));
  EXPECT_THAT(r.err, HasSubstr(absl::StrCat(file, ":101: ")));
  ASSERT_OK_AND_ASSIGN(entries, ReadEntries(*client_));
  EXPECT_THAT(entries, SizeIs(299));

  ASSERT_OK_AND_ASSIGN(r, Ledgerctl({"append", "--stream", "case/c", "--type",
                                     "google.protobuf.Struct", "--data", "{}",
                                     "--pipelined"}));
  EXPECT_THAT(r, ExitedWith(2));
  EXPECT_THAT(r.err, HasSubstr("--pipelined needs --file"));
}

TEST_F(LedgerctlTest, ReadPrintsOneJsonLinePerEntry) {
  ASSERT_NO_FATAL_FAILURE(AppendStruct("case/1", "r-0", 0));
  ASSERT_NO_FATAL_FAILURE(AppendStruct("case/2", "r-1", 1));
  ASSERT_NO_FATAL_FAILURE(AppendStruct("case/1", "r-2", 2));

  ASSERT_OK_AND_ASSIGN(ProcessOutput r, Ledgerctl({"read"}));

  EXPECT_THAT(r, ExitedWith(0));
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_THAT(lines, SizeIs(3));
  for (size_t i = 0; i < lines.size(); ++i) {
    SCOPED_TRACE(lines[i]);
    pb::Struct line = ParseJsonLine(lines[i]);
    EXPECT_EQ(Field(line, "sequence"), absl::StrCat(i));
    EXPECT_EQ(Field(line, "event_id"), absl::StrCat("r-", i));
    EXPECT_EQ(Field(line, "stream"), i == 1 ? "case/2" : "case/1");
  }
}

TEST_F(LedgerctlTest, ReadStreamPrintsOnlyThatStreamsEntries) {
  ASSERT_NO_FATAL_FAILURE(AppendStruct("case/1", "s-0", 0));
  ASSERT_NO_FATAL_FAILURE(AppendStruct("case/2", "s-1", 1));
  ASSERT_NO_FATAL_FAILURE(AppendStruct("case/1", "s-2", 2));

  ASSERT_OK_AND_ASSIGN(ProcessOutput r, Ledgerctl({"read", "--stream", "case/1"}));

  EXPECT_THAT(r, ExitedWith(0));
  std::vector<std::string> sequences;
  std::vector<std::string> versions;
  for (const std::string& line : Lines(r.out)) {
    pb::Struct object = ParseJsonLine(line);
    EXPECT_EQ(Field(object, "stream"), "case/1");
    sequences.push_back(Field(object, "sequence"));
    versions.push_back(Field(object, "stream_version"));
  }
  EXPECT_THAT(sequences, ElementsAre("0", "2"));
  EXPECT_THAT(versions, ElementsAre("1", "2"));
}

TEST_F(LedgerctlTest, RefusedAppendExitsOneWithOneLineNamingTheCode) {
  ASSERT_OK_AND_ASSIGN(
      ProcessOutput r,
      Ledgerctl({"append", "--stream", "case/1", "--type", "google.protobuf.Struct",
                 "--data", R"({"n": 1})", "--event-id", "x-1", "--expect", "7"}));

  EXPECT_THAT(r, ExitedWith(1));
  EXPECT_EQ(r.out, "");
  ASSERT_THAT(Lines(r.err), SizeIs(1)) << r.err;
  EXPECT_THAT(r.err, HasSubstr("FAILED_PRECONDITION"));
  EXPECT_THAT(r.err, HasSubstr("version 0"));
}

// A TCP port on 127.0.0.1 that is bound but never listened on, so a
// connection to it is refused; nothing else can take it while this lives.
class UnservedPort {
 public:
  UnservedPort() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    EXPECT_GE(fd_, 0) << "socket: " << std::strerror(errno);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0)
        << "bind: " << std::strerror(errno);
    socklen_t len = sizeof(addr);
    EXPECT_EQ(getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len), 0)
        << "getsockname: " << std::strerror(errno);
    address_ = absl::StrCat("127.0.0.1:", ntohs(addr.sin_port));
  }
  ~UnservedPort() {
    if (fd_ >= 0) close(fd_);
  }
  UnservedPort(const UnservedPort&) = delete;
  UnservedPort& operator=(const UnservedPort&) = delete;

  const std::string& address() const { return address_; }

 private:
  int fd_ = -1;
  std::string address_;
};

// ledgerctl's help, usage errors and an absent server: no ledgerd running.
class LedgerctlWithoutServerTest : public ::testing::Test {};

TEST_F(LedgerctlWithoutServerTest, HelpExitsZero) {
  ASSERT_OK_AND_ASSIGN(ProcessOutput main_help, RunLedgerctl({"--help"}));
  EXPECT_THAT(main_help, ExitedWith(0));
  EXPECT_THAT(main_help.out, StartsWith("usage: ledgerctl"));
  EXPECT_THAT(main_help.out, HasSubstr("append"));

  ASSERT_OK_AND_ASSIGN(ProcessOutput append_help, RunLedgerctl({"help", "append"}));
  EXPECT_THAT(append_help, ExitedWith(0));
  EXPECT_THAT(append_help.out, StartsWith("usage: ledgerctl append"));
}

TEST_F(LedgerctlWithoutServerTest, UsageErrorExitsTwo) {
  ASSERT_OK_AND_ASSIGN(ProcessOutput missing_type,
                       RunLedgerctl({"append", "--stream", "case/1", "--data", "{}"}));
  EXPECT_THAT(missing_type, ExitedWith(2));
  EXPECT_THAT(missing_type.err, HasSubstr("--type is required"));
  EXPECT_EQ(missing_type.out, "");

  ASSERT_OK_AND_ASSIGN(ProcessOutput unknown, RunLedgerctl({"frobnicate"}));
  EXPECT_THAT(unknown, ExitedWith(2));
  EXPECT_THAT(unknown.err, HasSubstr("unknown command 'frobnicate'"));

  ASSERT_OK_AND_ASSIGN(ProcessOutput bad_expect,
                       RunLedgerctl({"append", "--stream", "case/1", "--type",
                                     "google.protobuf.Struct", "--data", "{}",
                                     "--expect", "sometimes"}));
  EXPECT_THAT(bad_expect, ExitedWith(2));
}

TEST_F(LedgerctlWithoutServerTest, ServerNotRunningExitsOne) {
  UnservedPort port;

  ASSERT_OK_AND_ASSIGN(ProcessOutput read,
                       RunLedgerctl({"--server", port.address(), "read"}));
  EXPECT_THAT(read, ExitedWith(1));
  ASSERT_THAT(Lines(read.err), SizeIs(1)) << read.err;
  EXPECT_THAT(read.err, HasSubstr("UNAVAILABLE"));
  EXPECT_THAT(read.err, HasSubstr(port.address()));

  ASSERT_OK_AND_ASSIGN(
      ProcessOutput append,
      RunLedgerctl({"--server", port.address(), "append", "--stream", "case/1",
                    "--type", "google.protobuf.Struct", "--data", "{}"}));
  EXPECT_THAT(append, ExitedWith(1));
  ASSERT_THAT(Lines(append.err), SizeIs(1)) << append.err;
  EXPECT_THAT(append.err, HasSubstr("UNAVAILABLE"));
  EXPECT_THAT(append.out, IsEmpty());
}

}  // namespace
}  // namespace ledger

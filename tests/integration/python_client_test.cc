// The Python client end to end: clients/python/example.py, run by the
// python3 that has Debian's grpcio and protobuf, against a real ledgerd,
// with the modules generated at build time (target python_client_gen).
// A missing interpreter, module or generated file fails the test with the
// remedy in the message; it never skips.
#include <google/protobuf/util/json_util.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "clients/ledger_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "involvement/v1/events.pb.h"
#include "involvement/v1/views.pb.h"
#include "tests/integration/ledgerd_process.h"
#include "tests/integration/process.h"
#include "tests/integration/programs.h"
#include "tests/integration/read_entries.h"
#include "tests/ledger/test_util.h"

namespace ledger {
namespace {

namespace iv1 = involvement::v1;
using ::ledger::testing::ExitedWith;
using ::ledger::testing::LedgerdProcess;
using ::ledger::testing::Lines;
using ::ledger::testing::ProcessOutput;
using ::ledger::testing::ReadEntries;
using ::ledger::testing::RunProcess;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

// Set by CMake: the interpreter (LEDGER_PYTHON3), the example script and
// the directory of the generated modules.
constexpr char kPython3[] = PYTHON3_PATH;
constexpr char kExample[] = PYTHON_EXAMPLE_PATH;
constexpr char kGenDir[] = PYTHON_GEN_DIR;
constexpr char kAppendStreamScript[] = PYTHON_APPEND_STREAM_PATH;

constexpr char kInstall[] =
    "apt-get install -y python3-grpcio python3-grpc-tools python3-protobuf "
    "(bash tools/dev.sh build installs them)";

class PythonClientTest : public ::ledger::testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    ASSERT_NO_FATAL_FAILURE(CheckPython());
    ASSERT_OK_AND_ASSIGN(ledgerd_, LedgerdProcess::Start(PathIn("db")));
  }
  void TearDown() override {
    ledgerd_.reset();
    TempDirTest::TearDown();
  }

  // The interpreter runs, imports gRPC and protobuf, and the generated
  // modules are there.
  static void CheckPython() {
    ASSERT_TRUE(std::filesystem::exists(kPython3))
        << kPython3 << " does not exist: " << kInstall;
    absl::StatusOr<ProcessOutput> check = RunProcess(
        {kPython3, "-c", "import grpc, google.protobuf"}, ::ledger::testing::kProgramTimeout);
    ASSERT_OK(check.status()) << "cannot run " << kPython3;
    ASSERT_THAT(*check, ExitedWith(0))
        << kPython3 << " cannot import grpc and google.protobuf: " << kInstall;
    const std::string module = std::string(kGenDir) + "/ledger/v1/ledger_pb2_grpc.py";
    ASSERT_TRUE(std::filesystem::exists(module))
        << module << " is missing: build the python_client_gen target "
        << "(cmake --build build)";
  }

  absl::StatusOr<ProcessOutput> RunExample(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {kPython3, kExample, "--server",
                                     ledgerd_->address(), "--gen", kGenDir};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProcess(argv, ::ledger::testing::kProgramTimeout);
  }

  std::unique_ptr<LedgerdProcess> ledgerd_;
};

TEST_F(PythonClientTest, ExampleRecordsARecommendationAndPrintsItsRow) {
  ASSERT_OK_AND_ASSIGN(
      ProcessOutput run,
      RunExample({"--as-of", "2026-12-01", "--id", "R-PY-E2E"}));
  ASSERT_THAT(run, ExitedWith(0));
  EXPECT_THAT(run.out, HasSubstr("\"recommendation_id\": \"R-PY-E2E\""));
  EXPECT_THAT(run.out, HasSubstr("\"status\": \"RECOMMENDATION_STATUS_AWAITING_RESPONSE\""));

  // The printed row is the view's RecommendationRow in protobuf's JSON.
  iv1::RecommendationRow row;
  const auto parsed = google::protobuf::util::JsonStringToMessage(run.out, &row);
  ASSERT_TRUE(parsed.ok()) << parsed.ToString() << "; stdout: " << run.out;
  EXPECT_EQ(row.recommendation_id(), "R-PY-E2E");
  EXPECT_EQ(row.status(), iv1::RECOMMENDATION_STATUS_AWAITING_RESPONSE);
  EXPECT_EQ(row.from_body(), iv1::BODY_SUAG);
  EXPECT_EQ(row.to(), iv1::ADDRESSEE_BOARD);
  EXPECT_FALSE(row.overdue());

  // The event landed, typed, in its stream; the row names its sequence.
  LedgerClient client(ledgerd_->address());
  ASSERT_OK_AND_ASSIGN(std::vector<v1::Entry> entries, ReadEntries(client));
  ASSERT_THAT(entries, SizeIs(1));
  const v1::Entry& entry = entries[0];
  EXPECT_EQ(entry.stream(), "recommendation/R-PY-E2E");
  EXPECT_EQ(entry.stream_version(), 1u);
  EXPECT_EQ(entry.event_id(), "R-PY-E2E/made");
  EXPECT_EQ(entry.payload().type_url(),
            "type.googleapis.com/involvement.v1.RecommendationMade");
  iv1::RecommendationMade made;
  ASSERT_TRUE(entry.payload().UnpackTo(&made));
  EXPECT_EQ(made.recommendation_id(), "R-PY-E2E");
  EXPECT_EQ(made.made_on().year(), 2026);
  EXPECT_EQ(made.made_on().month(), 12);
  EXPECT_EQ(made.made_on().day(), 1);
  EXPECT_THAT(row.sequences(), ElementsAre(entry.sequence()));

  // Running it again is an idempotent retry: the same row, nothing added.
  ASSERT_OK_AND_ASSIGN(
      ProcessOutput again,
      RunExample({"--as-of", "2026-12-01", "--id", "R-PY-E2E"}));
  ASSERT_THAT(again, ExitedWith(0));
  EXPECT_THAT(again.err, HasSubstr("already recorded"));
  EXPECT_EQ(again.out, run.out);
  ASSERT_OK_AND_ASSIGN(entries, ReadEntries(client));
  EXPECT_THAT(entries, SizeIs(1));
}

TEST_F(PythonClientTest, AppendStreamYieldsEveryAnswerInOrder) {
  // 200 notes on one call, each expecting its stream's exact version; the
  // 51st expects a wrong one. Run twice: the second run is all retries but
  // the refused one.
  const std::string client_dir = std::filesystem::path(kExample).parent_path().string();
  std::vector<std::string> expected;
  for (int i = 0, n = 0; i < 200; ++i) {
    if (i == 50) {
      expected.push_back("refused FAILED_PRECONDITION");
      continue;
    }
    expected.push_back(absl::StrCat("ok ", n, " ", n + 1));
    ++n;
  }
  for (const bool retry : {false, true}) {
    SCOPED_TRACE(retry ? "second run" : "first run");
    ASSERT_OK_AND_ASSIGN(
        ProcessOutput run,
        RunProcess({kPython3, kAppendStreamScript, "--server", ledgerd_->address(), "--gen",
                    kGenDir, "--client-dir", client_dir, "--stream", "notes/py",
                    "--count", "200", "--bad", "50"},
                   ::ledger::testing::kProgramTimeout));
    ASSERT_THAT(run, ExitedWith(0)) << run.err;
    std::vector<std::string> lines = absl::StrSplit(run.out, '\n', absl::SkipEmpty());
    std::vector<std::string> want = expected;
    if (retry) {
      for (std::string& line : want) {
        if (absl::StartsWith(line, "ok ")) line += " duplicate";
      }
    }
    EXPECT_EQ(lines, want);
  }
  LedgerClient client(ledgerd_->address());
  ASSERT_OK_AND_ASSIGN(std::vector<v1::Entry> entries, ReadEntries(client));
  ASSERT_THAT(entries, SizeIs(199));
  EXPECT_EQ(entries[50].event_id(), "notes/py/51");
}

TEST_F(PythonClientTest, ExampleReportsAServerErrorOnOneLine) {
  // A stream name may not contain spaces: INVALID_ARGUMENT from the server.
  ASSERT_OK_AND_ASSIGN(ProcessOutput run, RunExample({"--id", "R PY"}));
  ASSERT_THAT(run, ExitedWith(1));
  EXPECT_EQ(run.out, "");
  ASSERT_THAT(Lines(run.err), SizeIs(1)) << run.err;
  EXPECT_THAT(run.err, HasSubstr("INVALID_ARGUMENT"));
}

}  // namespace
}  // namespace ledger

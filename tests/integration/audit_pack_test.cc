// The audit pack end to end: the demo organisation loaded into a real
// ledgerd, `ledgerctl audit-pack --year 2025` run twice into two
// directories gives the same files byte for byte, one evidence bundle per
// compliance finding as of the pack's date, and a bundle that verifies
// offline with the pack's own verifier key. A non-empty DIR is refused.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/ledgerd_process.h"
#include "tests/integration/programs.h"
#include "tests/ledger/test_util.h"

namespace ledger {
namespace {

using ::ledger::testing::ExitedWith;
using ::ledger::testing::kProgramTimeout;
using ::ledger::testing::LedgerdProcess;
using ::ledger::testing::ProcessOutput;
using ::ledger::testing::ReadFile;
using ::ledger::testing::RunLedgerctl;
using ::ledger::testing::RunProcess;
using ::testing::HasSubstr;

// Every regular file under `dir`, by relative path, with its bytes.
std::map<std::string, std::string> Files(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    out[std::filesystem::relative(e.path(), dir).string()] = ReadFile(e.path());
  }
  return out;
}

class AuditPackTest : public ::ledger::testing::TempDirTest {};

TEST_F(AuditPackTest, DemoPackIsDeterministicAndVerifies) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<LedgerdProcess> ledgerd,
                       LedgerdProcess::Start(PathIn("db")));
  ASSERT_OK_AND_ASSIGN(ProcessOutput load,
                       RunProcess({LEDGER_DEMO_PATH, "--server", ledgerd->address()},
                                  kProgramTimeout));
  ASSERT_THAT(load, ExitedWith(0));

  const std::string a = PathIn("pack-a");
  const std::string b = PathIn("pack-b");
  for (const std::string& dir : {a, b}) {
    ASSERT_OK_AND_ASSIGN(ProcessOutput run,
                         RunLedgerctl({"--server", ledgerd->address(), "audit-pack", "--year",
                                       "2025", "--out", dir}));
    ASSERT_THAT(run, ExitedWith(0));
  }
  const std::map<std::string, std::string> files_a = Files(a);
  const std::map<std::string, std::string> files_b = Files(b);
  ASSERT_EQ(files_a.size(), files_b.size());
  for (const auto& [name, bytes] : files_a) {
    auto it = files_b.find(name);
    ASSERT_NE(it, files_b.end()) << name;
    EXPECT_EQ(it->second, bytes) << name;
  }
  for (const char* name : {"checkpoint.txt", "verifier-key.txt", "compliance.json",
                           "indicators.json", "recommendations.json", "complaints.json",
                           "SUMMARY.md"}) {
    EXPECT_EQ(files_a.count(name), 1u) << name;
  }

  // One bundle per finding of the server's compliance view as of the
  // pack's default date.
  ASSERT_OK_AND_ASSIGN(ProcessOutput compliance,
                       RunLedgerctl({"--server", ledgerd->address(), "compliance", "--as-of",
                                     "2025-12-31", "--json"}));
  ASSERT_THAT(compliance, ExitedWith(0));
  google::protobuf::Struct view;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(compliance.out, &view).ok());
  const int findings = view.fields().at("findings").list_value().values_size();
  ASSERT_GT(findings, 0);
  std::string first_bundle;
  int bundles = 0;
  for (const auto& [name, bytes] : files_a) {
    if (name.rfind("evidence/", 0) != 0) continue;
    ++bundles;
    if (first_bundle.empty()) first_bundle = name;
  }
  EXPECT_EQ(bundles, findings);
  EXPECT_EQ(first_bundle.rfind("evidence/001-", 0), 0u) << first_bundle;

  // The summary names the checkpoint; a bundle verifies with the pack's key.
  const std::string checkpoint = files_a.at("checkpoint.txt");
  EXPECT_THAT(files_a.at("SUMMARY.md"), HasSubstr("# Audit pack"));
  EXPECT_THAT(files_a.at("SUMMARY.md"), HasSubstr("ledgerctl verify-bundle"));
  const std::string vkey(absl::StripSuffix(files_a.at("verifier-key.txt"), "\n"));
  ASSERT_OK_AND_ASSIGN(ProcessOutput verify,
                       RunLedgerctl({"verify-bundle", absl::StrCat(a, "/", first_bundle),
                                     "--vkey", vkey, "--as-of", "2025-12-31"}));
  EXPECT_THAT(verify, ExitedWith(0));
  EXPECT_THAT(files_a.at(first_bundle), HasSubstr("\"tree_size\""));

  // A non-empty DIR is refused with a usage error.
  ASSERT_OK_AND_ASSIGN(ProcessOutput again,
                       RunLedgerctl({"--server", ledgerd->address(), "audit-pack", "--year",
                                     "2025", "--out", a}));
  EXPECT_THAT(again, ExitedWith(2));
  EXPECT_EQ(Files(a), files_a);
  ASSERT_OK(ledgerd->Stop());
}

}  // namespace
}  // namespace ledger

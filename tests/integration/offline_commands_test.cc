// ledgerctl's offline commands as processes, on the RFC 6962 reference
// tree (tests/ledger/testdata/rfc6962/reference_8leaf.json): merkle-root,
// verify-inclusion, verify-consistency, and verify-checkpoint on a note a
// real ledgerd signed. Exit 0 valid, 1 invalid, 2 usage.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "clients/ledger_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/ledgerd_process.h"
#include "tests/integration/programs.h"
#include "tests/ledger/test_util.h"

namespace ledger {
namespace {

using ::ledger::testing::ExitedWith;
using ::ledger::testing::kLedgerctlPath;
using ::ledger::testing::kProgramTimeout;
using ::ledger::testing::LedgerdProcess;
using ::ledger::testing::MakeAppendRequest;
using ::ledger::testing::ProcessOutput;
using ::ledger::testing::RunLedgerctl;
using ::ledger::testing::RunProcess;
using ::testing::HasSubstr;

// The reference tree of 8 leaves.
constexpr char kRoot8[] = "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328";
constexpr char kLeaf0[] = "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d";
constexpr char kPath0[] =
    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7,"
    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e,"
    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4";

// Runs `ledgerctl ARGS` with `input` on stdin, through the shell.
absl::StatusOr<ProcessOutput> CtlWithInput(const std::string& input,
                                           const std::string& args) {
  return RunProcess({"/bin/sh", "-c",
                     absl::StrCat("printf '%s' \"$0\" | ", kLedgerctlPath, " ", args), input},
                    kProgramTimeout);
}

TEST(OfflineCommandsTest, MerkleRootOfTheReferenceLeaves) {
  ASSERT_OK_AND_ASSIGN(ProcessOutput r,
                       CtlWithInput("\n00\n10\n2021\n3031\n40414243\n5051525354555657\n"
                                    "606162636465666768696a6b6c6d6e6f\n",
                                    "merkle-root"));
  EXPECT_THAT(r, ExitedWith(0));
  EXPECT_EQ(r.out, absl::StrCat(kRoot8, "\n"));
  ASSERT_OK_AND_ASSIGN(ProcessOutput empty, CtlWithInput("", "merkle-root"));
  EXPECT_EQ(empty.out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n");
  ASSERT_OK_AND_ASSIGN(ProcessOutput bad, CtlWithInput("zz\n", "merkle-root"));
  EXPECT_THAT(bad, ExitedWith(2));
}

TEST(OfflineCommandsTest, VerifyInclusionValidInvalidAndUsage) {
  ASSERT_OK_AND_ASSIGN(ProcessOutput ok,
                       RunLedgerctl({"verify-inclusion", "--leaf-hash", kLeaf0, "--index", "0",
                                     "--size", "8", "--root", kRoot8, "--proof", kPath0}));
  EXPECT_THAT(ok, ExitedWith(0));
  ASSERT_OK_AND_ASSIGN(ProcessOutput wrong_index,
                       RunLedgerctl({"verify-inclusion", "--leaf-hash", kLeaf0, "--index", "1",
                                     "--size", "8", "--root", kRoot8, "--proof", kPath0}));
  EXPECT_THAT(wrong_index, ExitedWith(1));
  EXPECT_THAT(wrong_index.err, HasSubstr("INVALID"));
  ASSERT_OK_AND_ASSIGN(ProcessOutput short_proof,
                       RunLedgerctl({"verify-inclusion", "--leaf-hash", kLeaf0, "--index", "0",
                                     "--size", "8", "--root", kRoot8}));
  EXPECT_THAT(short_proof, ExitedWith(1));
  ASSERT_OK_AND_ASSIGN(ProcessOutput not_hex,
                       RunLedgerctl({"verify-inclusion", "--leaf-hash", "xyz", "--index", "0",
                                     "--size", "8", "--root", kRoot8}));
  EXPECT_THAT(not_hex, ExitedWith(2));
  ASSERT_OK_AND_ASSIGN(ProcessOutput missing, RunLedgerctl({"verify-inclusion", "--index", "0"}));
  EXPECT_THAT(missing, ExitedWith(2));
}

TEST(OfflineCommandsTest, VerifyConsistencyValidAndInvalid) {
  ASSERT_OK_AND_ASSIGN(ProcessOutput ok,
                       RunLedgerctl({"verify-consistency", "--size1", "1", "--size2", "8",
                                     "--root1", kLeaf0, "--root2", kRoot8, "--proof", kPath0}));
  EXPECT_THAT(ok, ExitedWith(0));
  ASSERT_OK_AND_ASSIGN(ProcessOutput swapped,
                       RunLedgerctl({"verify-consistency", "--size1", "1", "--size2", "8",
                                     "--root1", kRoot8, "--root2", kLeaf0, "--proof", kPath0}));
  EXPECT_THAT(swapped, ExitedWith(1));
  ASSERT_OK_AND_ASSIGN(ProcessOutput shrink,
                       RunLedgerctl({"verify-consistency", "--size1", "8", "--size2", "1",
                                     "--root1", kRoot8, "--root2", kLeaf0}));
  EXPECT_THAT(shrink, ExitedWith(1));
}

class VerifyCheckpointCommandTest : public ::ledger::testing::TempDirTest {};

TEST_F(VerifyCheckpointCommandTest, NoteFromARealServerVerifiesOffline) {
  const std::string dir = PathIn("");
  std::string note, vkey;
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<LedgerdProcess> ledgerd,
                         LedgerdProcess::Start(dir + "/db"));
    {
      LedgerClient client(ledgerd->address());
      ASSERT_OK(client.Append(MakeAppendRequest("s", "e", 4)).status());
    }
    ASSERT_OK_AND_ASSIGN(ProcessOutput cp,
                         RunLedgerctl({"--server", ledgerd->address(), "checkpoint"}));
    ASSERT_OK_AND_ASSIGN(ProcessOutput key,
                         RunLedgerctl({"--server", ledgerd->address(), "public-key"}));
    note = cp.out;
    vkey = key.out.substr(0, key.out.find('\n'));
    ASSERT_OK(ledgerd->Stop());
  }
  // Offline: the server is gone.
  ASSERT_OK_AND_ASSIGN(ProcessOutput ok,
                       CtlWithInput(note, absl::StrCat("verify-checkpoint --vkey '", vkey, "'")));
  EXPECT_THAT(ok, ExitedWith(0));
  EXPECT_THAT(ok.out, HasSubstr("size 4\n"));
  std::string altered = note;
  altered[altered.find('\n') + 1] = '5';  // the size line: 4 -> 5
  ASSERT_OK_AND_ASSIGN(ProcessOutput bad,
                       CtlWithInput(altered, absl::StrCat("verify-checkpoint --vkey '", vkey, "'")));
  EXPECT_THAT(bad, ExitedWith(1));
  ASSERT_OK_AND_ASSIGN(ProcessOutput no_key, CtlWithInput(note, "verify-checkpoint"));
  EXPECT_THAT(no_key, ExitedWith(2));
}

}  // namespace
}  // namespace ledger

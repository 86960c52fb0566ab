// Tests of signed notes and checkpoints: the golang.org/x/mod/sumdb/note
// example verifies with our parser and verifier (tests/ledger/testdata),
// a changed byte anywhere fails, and our own signatures round-trip.
#include "ledger/signed_note.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/ledger/test_util.h"

namespace ledger {
namespace {

using ::ledger::testing::IsOk;
using ::ledger::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kTestData = LEDGER_TESTDATA_DIR;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// From sumdb_note_example.json (golang.org/x/mod/sumdb/note package doc).
constexpr char kExampleVkey[] =
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";

class SumdbExampleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    note_ = ReadFile(kTestData + "/signed-note/sumdb_note_example.txt");
    ASSERT_FALSE(note_.empty());
    ASSERT_OK_AND_ASSIGN(key_, ParseVerifierKey(kExampleVkey));
  }
  std::string note_;
  VerifierKey key_;
};

TEST_F(SumdbExampleTest, VerifierKeyParses) {
  EXPECT_EQ(key_.name, "PeterNeumann");
  EXPECT_EQ(key_.key_id, 0xc74f20a3u);
  EXPECT_EQ(key_.public_key.size(), 32u);
  EXPECT_EQ(FormatVerifierKey(key_), kExampleVkey);
}

TEST_F(SumdbExampleTest, NoteVerifiesAndReturnsText) {
  ASSERT_OK_AND_ASSIGN(std::string text, VerifyNote(note_, key_));
  EXPECT_EQ(text,
            "If you think cryptography is the answer to your problem,\n"
            "then you don't know what your problem is.\n");
}

TEST_F(SumdbExampleTest, EveryChangedByteFails) {
  for (size_t i = 0; i < note_.size(); ++i) {
    std::string bad = note_;
    bad[i] ^= 0x01;
    EXPECT_THAT(VerifyNote(bad, key_), Not(IsOk())) << "byte " << i;
  }
}

TEST_F(SumdbExampleTest, OtherKeyFindsNoSignature) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<NoteSigner> other, NoteSigner::Generate("PeterNeumann"));
  EXPECT_THAT(VerifyNote(note_, other->verifier_key()),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST(VerifierKeyTest, RejectsMalformedKeys) {
  const std::string good = kExampleVkey;
  for (const std::string& bad : {
           std::string(""), std::string("PeterNeumann"),
           std::string("PeterNeumann+c74f20a3"),
           std::string("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
           std::string("PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
           std::string("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
           std::string("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10"),
           std::string("PeterNeumann+c74f20a3+Apc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
           std::string("PeterNeumann+c74f20a3+!!!"), good + "+x"}) {
    EXPECT_THAT(ParseVerifierKey(bad), StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
}

TEST(NoteSignerTest, SignedNoteRoundTrips) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<NoteSigner> signer, NoteSigner::Generate("example.org/log"));
  ASSERT_OK_AND_ASSIGN(std::string note, signer->Sign("hello\nworld\n"));
  ASSERT_OK_AND_ASSIGN(VerifierKey parsed,
                       ParseVerifierKey(FormatVerifierKey(signer->verifier_key())));
  ASSERT_OK_AND_ASSIGN(std::string text, VerifyNote(note, parsed));
  EXPECT_EQ(text, "hello\nworld\n");
  EXPECT_THAT(note, HasSubstr("\n\n\xE2\x80\x94 example.org/log "));
}

TEST(NoteSignerTest, RefusesTextThatIsNotLines) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<NoteSigner> signer, NoteSigner::Generate("n"));
  EXPECT_THAT(signer->Sign("no newline"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(signer->Sign("a\n\nb\n"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(NoteSigner::Generate("has space"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(NoteSignerTest, ExtraSignaturesFromOtherKeysAreIgnored) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<NoteSigner> a, NoteSigner::Generate("a"));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<NoteSigner> b, NoteSigner::Generate("b"));
  ASSERT_OK_AND_ASSIGN(std::string na, a->Sign("text\n"));
  ASSERT_OK_AND_ASSIGN(std::string nb, b->Sign("text\n"));
  const std::string both = na + nb.substr(nb.find("\n\n") + 2);
  EXPECT_OK(VerifyNote(both, a->verifier_key()));
  EXPECT_OK(VerifyNote(both, b->verifier_key()));
}

class SigningKeyFileTest : public ::ledger::testing::TempDirTest {};

TEST_F(SigningKeyFileTest, CreatedWithMode0600AndReloadedTheSame) {
  const std::string path = PathIn("signing.key");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<NoteSigner> first, NoteSigner::LoadOrCreate(path, "log"));
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<NoteSigner> again, NoteSigner::LoadOrCreate(path, "log"));
  EXPECT_EQ(FormatVerifierKey(first->verifier_key()),
            FormatVerifierKey(again->verifier_key()));
  ASSERT_OK_AND_ASSIGN(std::string note, again->Sign("x\n"));
  EXPECT_OK(VerifyNote(note, first->verifier_key()));
}

TEST_F(SigningKeyFileTest, KeyReadableByOthersIsRefused) {
  const std::string path = PathIn("signing.key");
  ASSERT_OK(NoteSigner::LoadOrCreate(path, "log").status());
  ASSERT_EQ(chmod(path.c_str(), 0644), 0);
  EXPECT_THAT(NoteSigner::LoadOrCreate(path, "log"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(SigningKeyFileTest, GarbageKeyFileIsRefused) {
  const std::string path = PathIn("signing.key");
  { std::ofstream(path) << "not a key"; }
  ASSERT_EQ(chmod(path.c_str(), 0600), 0);
  EXPECT_THAT(NoteSigner::LoadOrCreate(path, "log"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(CheckpointTest, GoldenBodiesParseAndFormatBack) {
  // From checkpoint_examples.txt (golang/mod TestFormatTree golden).
  const std::string body =
      "go.sum database tree\n123456789012\n"
      "TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n";
  ASSERT_OK_AND_ASSIGN(Checkpoint c, ParseCheckpoint(body));
  EXPECT_EQ(c.origin, "go.sum database tree");
  EXPECT_EQ(c.size, 123456789012u);
  EXPECT_EQ(c.root, LeafHash("hello world"));
  EXPECT_EQ(FormatCheckpoint(c), body);
  // With extension lines (transparency-dev/formats), root of other length
  // is refused since ours are SHA-256.
  EXPECT_THAT(ParseCheckpoint("Moon Log\n4027504\naXQncyBhIHJvb3QgaGFzaA==\n6086d1a9\nWaxing gibbous\n"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(CheckpointTest, MalformedBodiesAreInvalidArgument) {
  const std::string root = "TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=";
  for (const std::string& bad : {
           std::string(""), "origin\n12\n" + root, "\n12\n" + root + "\n",
           "origin\n012\n" + root + "\n", "origin\n-1\n" + root + "\n",
           "origin\n99999999999999999999999\n" + root + "\n",
           std::string("origin\n12\nnot base64\n"), "origin\n12\n" + root + "\n\n",
           std::string("origin\n12\n")}) {
    EXPECT_THAT(ParseCheckpoint(bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
}

TEST(CheckpointTest, SignedCheckpointVerifies) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<NoteSigner> s, NoteSigner::Generate("example.org/log"));
  Checkpoint c{"example.org/log", 42, LeafHash("x"), {}};
  ASSERT_OK_AND_ASSIGN(std::string note, s->Sign(FormatCheckpoint(c)));
  ASSERT_OK_AND_ASSIGN(Checkpoint back, VerifyCheckpoint(note, s->verifier_key()));
  EXPECT_EQ(back.size, 42u);
  EXPECT_EQ(back.root, c.root);
}

}  // namespace
}  // namespace ledger

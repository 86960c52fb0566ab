// Shared pieces of the ledger_core tests: status matchers and assertion
// macros, a fixture that gives each test its own temporary directory, and
// builders for AppendRequests.
#ifndef LEDGER_TESTS_LEDGER_TEST_UTIL_H_
#define LEDGER_TESTS_LEDGER_TEST_UTIL_H_

#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/v1/ledger.pb.h"

namespace ledger::testing {

inline const absl::Status& StatusOf(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& s) {
  return s.status();
}

// Matches an OK absl::Status or absl::StatusOr.
MATCHER(IsOk, negation ? "is not OK" : "is OK") {
  const absl::Status& s = ::ledger::testing::StatusOf(arg);
  *result_listener << "whose status is " << s;
  return s.ok();
}

// Matches a Status or StatusOr whose code is `code`.
MATCHER_P(StatusIs, code, "") {
  const absl::Status& s = ::ledger::testing::StatusOf(arg);
  *result_listener << "whose status is " << s;
  return s.code() == code;
}

// Matches a Status or StatusOr whose code is `code` and whose message
// matches `message_matcher`.
MATCHER_P2(StatusIs, code, message_matcher, "") {
  const absl::Status& s = ::ledger::testing::StatusOf(arg);
  *result_listener << "whose status is " << s;
  if (s.code() != code) return false;
  return ::testing::ExplainMatchResult(message_matcher, std::string(s.message()),
                                       result_listener);
}

#define LEDGER_TEST_CONCAT_INNER_(a, b) a##b
#define LEDGER_TEST_CONCAT_(a, b) LEDGER_TEST_CONCAT_INNER_(a, b)

#define ASSERT_OK(expr) ASSERT_THAT((expr), ::ledger::testing::IsOk())
#define EXPECT_OK(expr) EXPECT_THAT((expr), ::ledger::testing::IsOk())

// Asserts that `rexpr` (a StatusOr) is OK and moves its value into `lhs`,
// which may be a declaration. Only in functions returning void.
#define ASSERT_OK_AND_ASSIGN(lhs, rexpr)                                    \
  ASSERT_OK_AND_ASSIGN_IMPL_(LEDGER_TEST_CONCAT_(ledger_statusor_, __LINE__), \
                             lhs, rexpr)
#define ASSERT_OK_AND_ASSIGN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                               \
  ASSERT_TRUE(statusor.ok()) << statusor.status();       \
  lhs = std::move(statusor).value()

// Gives each test a fresh directory under /tmp, removed recursively after
// the test. Fixtures that open databases in it must close them in their
// own TearDown before calling this one.
class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string name = "/tmp/ledger_core_test.XXXXXX";
    char* made = mkdtemp(name.data());
    ASSERT_NE(made, nullptr) << "mkdtemp: " << std::strerror(errno);
    dir_ = made;
  }

  void TearDown() override {
    if (dir_.empty()) return;
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    EXPECT_FALSE(ec) << "cannot remove " << dir_ << ": " << ec.message();
  }

  // A path inside the test's directory (not created).
  std::string PathIn(std::string_view name) const {
    return absl::StrCat(dir_, "/", std::string(name));
  }

  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

// The bytes of the file at `path` (empty when it cannot be read).
inline std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline constexpr std::string_view kTestTypeUrl =
    "type.googleapis.com/ledger.test.v1.TestEvent";

inline google::protobuf::Any MakePayload(std::string_view value) {
  google::protobuf::Any any;
  any.set_type_url(std::string(kTestTypeUrl));
  any.set_value(std::string(value));
  return any;
}

// One event whose payload value names the event, so every event differs.
inline ledger::v1::EventData MakeEvent(std::string_view event_id) {
  ledger::v1::EventData e;
  e.set_event_id(std::string(event_id));
  *e.mutable_payload() =
      MakePayload(absl::StrCat("payload of ", std::string(event_id)));
  return e;
}

// A request appending one event per id to `stream`; expected version unset.
inline ledger::v1::AppendRequest MakeAppendRequest(
    std::string_view stream, const std::vector<std::string>& event_ids) {
  ledger::v1::AppendRequest req;
  req.set_stream(std::string(stream));
  for (const std::string& id : event_ids) *req.add_events() = MakeEvent(id);
  return req;
}

// A request appending `n` events with ids "<id_prefix>-0" .. "<id_prefix>-<n-1>".
inline ledger::v1::AppendRequest MakeAppendRequest(std::string_view stream,
                                                   std::string_view id_prefix,
                                                   int n) {
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) {
    ids.push_back(absl::StrCat(std::string(id_prefix), "-", i));
  }
  return MakeAppendRequest(stream, ids);
}

}  // namespace ledger::testing

#endif  // LEDGER_TESTS_LEDGER_TEST_UTIL_H_

// Hostile and broken clients against a real ledgerd: a flood of malformed
// appends and reads, raw garbage on the port, connections opened and
// abandoned, subscriptions cancelled mid-stream and calls whose deadline
// has passed, all while a well-behaved client appends and reads. The good
// client sees no error, the server keeps serving, nothing bad is recorded,
// and the database verifies. Subscriptions are bounded.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "clients/ledger_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/ledgerd_process.h"
#include "tests/integration/programs.h"
#include "tests/integration/read_entries.h"
#include "tests/ledger/test_util.h"

namespace ledger {
namespace {

using ::ledger::testing::ExitedWith;
using ::ledger::testing::LedgerdProcess;
using ::ledger::testing::MakeAppendRequest;
using ::ledger::testing::ProcessOutput;
using ::ledger::testing::ReadEntries;
using ::ledger::testing::RunLedgerVerify;
using ::testing::IsEmpty;

// A TCP connection to `address` (127.0.0.1:PORT); -1 on failure.
int Connect(const std::string& address) {
  std::vector<std::string> parts = absl::StrSplit(address, ':');
  int port = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[1], &port)) return -1;
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Malformed append number `i`: each is refused before anything is written.
v1::AppendRequest BadAppend(int i, std::mt19937& random) {
  v1::AppendRequest r = MakeAppendRequest("flood/x", {absl::StrCat("bad-", i)});
  switch (i % 8) {
    case 0:  // a stream name with a space
      r.set_stream("flood/has space");
      break;
    case 1:  // no stream
      r.clear_stream();
      break;
    case 2:  // an event too large
      r.mutable_events(0)->mutable_payload()->set_value(std::string(300 * 1024, 'x'));
      break;
    case 3:  // no event id
      r.mutable_events(0)->clear_event_id();
      break;
    case 4:  // a payload of random bytes in a domain stream
    {
      r.set_stream("recommendation/R-FLOOD");
      r.mutable_events(0)->mutable_payload()->set_type_url(
          "type.googleapis.com/involvement.v1.RecommendationMade");
      std::string junk(64, '\0');
      for (char& c : junk) c = static_cast<char>(random() & 0xff);
      r.mutable_events(0)->mutable_payload()->set_value(junk);
      break;
    }
    case 5:  // an impossible expected version
      r.mutable_expected_version()->set_exact(1000000);
      break;
    case 6:  // a control character in the stream name
      r.set_stream(std::string("flood/\x01", 7));
      break;
    default:  // no payload type
      r.mutable_events(0)->mutable_payload()->clear_type_url();
      break;
  }
  return r;
}

class HostileInputTest : public ::ledger::testing::TempDirTest {};

TEST_F(HostileInputTest, AFloodOfBadRequestsLeavesTheServerServingGoodOnes) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<LedgerdProcess> ledgerd,
                       LedgerdProcess::Start(PathIn("db")));
  const std::string address = ledgerd->address();
  std::atomic<bool> stop{false};

  // The good client: appends and reads back, throughout.
  std::vector<std::string> good_errors;
  std::atomic<int> good_appends{0};
  std::thread good([&] {
    ClientOptions o;
    o.own_connection = true;
    LedgerClient client(address, o);
    for (int i = 0; !stop.load() || i < 50; ++i) {
      absl::StatusOr<v1::AppendResponse> r =
          client.Append(MakeAppendRequest("good/stream", {absl::StrCat("good-", i)}));
      if (!r.ok()) {
        good_errors.push_back(std::string(r.status().message()));
        continue;
      }
      good_appends.fetch_add(1);
      v1::ReadRequest read;
      read.set_stream("good/stream");
      read.set_from(r->events(0).stream_version());
      int seen = 0;
      absl::Status s = client.Read(read, [&](const v1::Entry&) {
        ++seen;
        return true;
      });
      if (!s.ok() || seen != 1) good_errors.push_back(absl::StrCat("read: ", s.message()));
    }
  });

  // Bad appends and reads from four threads.
  std::atomic<int> refused{0};
  std::vector<std::string> unexpected;
  std::mutex mu;
  std::vector<std::thread> flood;
  for (int t = 0; t < 4; ++t) {
    flood.emplace_back([&, t] {
      std::mt19937 random(static_cast<uint32_t>(t));
      ClientOptions o;
      o.own_connection = true;
      LedgerClient client(address, o);
      for (int i = t; i < 400; i += 4) {
        absl::StatusOr<v1::AppendResponse> r = client.Append(BadAppend(i, random));
        const absl::StatusCode code = r.status().code();
        if (code == absl::StatusCode::kInvalidArgument ||
            code == absl::StatusCode::kFailedPrecondition ||
            code == absl::StatusCode::kResourceExhausted) {
          refused.fetch_add(1);
        } else {
          std::lock_guard<std::mutex> lock(mu);
          unexpected.push_back(absl::StrCat("bad append ", i, ": ", r.status().ToString()));
        }
        v1::ReadRequest read;
        read.set_stream(std::string("bad\nstream"));
        absl::Status s = client.Read(read, [](const v1::Entry&) { return true; });
        if (s.code() != absl::StatusCode::kInvalidArgument) {
          std::lock_guard<std::mutex> lock(mu);
          unexpected.push_back(absl::StrCat("bad read: ", s.ToString()));
        }
      }
    });
  }

  // Raw garbage on the port, and connections opened and left idle.
  std::vector<int> idle;
  std::mt19937 random(7);
  for (int i = 0; i < 40; ++i) {
    const int fd = Connect(address);
    ASSERT_GE(fd, 0);
    if (i % 2 == 0) {
      std::string junk(1 + random() % 4096, '\0');
      for (char& c : junk) c = static_cast<char>(random() & 0xff);
      if (i % 4 == 0) junk = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + junk;  // a preface, then junk
      (void)!write(fd, junk.data(), junk.size());
      close(fd);
    } else {
      idle.push_back(fd);
    }
  }

  // Subscriptions cancelled mid-stream, and appends past their deadline.
  for (int i = 0; i < 20; ++i) {
    LedgerClient client(address);
    v1::SubscribeRequest sub;
    int entries = 0;
    ASSERT_OK(client.Subscribe(
        sub, [&](const v1::Entry&) { return ++entries < 3; },
        [](uint64_t) { return false; }));
  }
  {
    ClientOptions o;
    o.timeout = absl::Nanoseconds(1);
    LedgerClient late(address, o);
    for (int i = 0; i < 20; ++i) {
      absl::StatusOr<v1::AppendResponse> r =
          late.Append(MakeAppendRequest("late/stream", {absl::StrCat("late-", i)}));
      // gRPC may round so tiny a deadline up and let a quick append
      // through; either way the call ends cleanly.
      EXPECT_THAT(r.status().code(), ::testing::AnyOf(absl::StatusCode::kDeadlineExceeded,
                                                       absl::StatusCode::kOk))
          << r.status();
    }
  }

  for (std::thread& t : flood) t.join();
  stop.store(true);
  good.join();
  for (int fd : idle) close(fd);

  EXPECT_THAT(good_errors, IsEmpty());
  EXPECT_THAT(unexpected, IsEmpty());
  EXPECT_GE(good_appends.load(), 50);
  EXPECT_EQ(refused.load(), 400);

  // Still serving; only the good events were recorded.
  {
    LedgerClient client(address);
    EXPECT_OK(client.HealthCheck());
    ASSERT_OK_AND_ASSIGN(std::vector<v1::Entry> log, ReadEntries(client));
    // Appends whose caller stopped waiting may or may not have landed (as
    // with any timeout, a retry with the same ids settles it); nothing of
    // the flood did.
    size_t good_entries = 0;
    for (const v1::Entry& e : log) {
      EXPECT_THAT(e.stream(), ::testing::AnyOf("good/stream", "late/stream")) << e.sequence();
      if (e.stream() == "good/stream") ++good_entries;
    }
    EXPECT_EQ(good_entries, static_cast<size_t>(good_appends.load()));
  }
  ASSERT_OK(ledgerd->Stop());
  ASSERT_OK_AND_ASSIGN(ProcessOutput verify, RunLedgerVerify(PathIn("db")));
  EXPECT_THAT(verify, ExitedWith(0));
}

TEST_F(HostileInputTest, SubscriptionsAreBoundedAndFreedWhenCancelled) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<LedgerdProcess> ledgerd,
                       LedgerdProcess::Start(PathIn("db"), {"--max-subscriptions", "3"}));
  const std::string address = ledgerd->address();

  // Three subscriptions that stay open until told to stop.
  std::atomic<bool> release{false};
  std::atomic<int> caught_up{0};
  std::vector<std::thread> holders;
  for (int i = 0; i < 3; ++i) {
    holders.emplace_back([&] {
      ClientOptions o;
      o.own_connection = true;
      LedgerClient client(address, o);
      v1::SubscribeRequest sub;
      absl::Status s = client.Subscribe(
          sub, [&](const v1::Entry&) { return !release.load(); },
          [&](uint64_t) {
            caught_up.fetch_add(1);
            return true;
          });
      (void)s;
    });
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (caught_up.load() < 3 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
  ASSERT_EQ(caught_up.load(), 3);

  // A fourth is refused.
  {
    LedgerClient client(address);
    v1::SubscribeRequest sub;
    absl::Status s = client.Subscribe(
        sub, [](const v1::Entry&) { return false; }, [](uint64_t) { return false; });
    EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
  }

  // Once they end (an append wakes them; each then cancels), there is room.
  release.store(true);
  {
    LedgerClient client(address);
    ASSERT_OK(client.Append(MakeAppendRequest("wake/up", {"wake-1"})).status());
  }
  for (std::thread& t : holders) t.join();
  absl::Status again;
  const absl::Time until = absl::Now() + absl::Seconds(30);
  do {
    LedgerClient client(address);
    v1::SubscribeRequest sub;
    again = client.Subscribe(
        sub, [](const v1::Entry&) { return true; }, [](uint64_t) { return false; });
    if (again.ok()) break;
    absl::SleepFor(absl::Milliseconds(20));  // the server notices cancellations promptly
  } while (absl::Now() < until);
  EXPECT_OK(again);
  ASSERT_OK(ledgerd->Stop());
}

}  // namespace
}  // namespace ledger

// LedgerService end to end: a real ledgerd process on 127.0.0.1, reached
// through LedgerClient. Appends are read back by sequence and by stream and
// survive a restart byte for byte; retries, conflicts, malformed and
// oversized requests get the documented codes and leave the server
// serving; Subscribe catches up, marks it, then follows live appends.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "clients/ledger_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/entry.h"
#include "ledger/hash.h"
#include "tests/integration/ledgerd_process.h"
#include "tests/integration/read_entries.h"
#include "tests/ledger/test_util.h"

namespace ledger {
namespace {

using ::ledger::testing::LedgerdProcess;
using ::ledger::testing::MakeAppendRequest;
using ::ledger::testing::MakeEvent;
using ::ledger::testing::MakePayload;
using ::ledger::testing::ReadEntries;
using ::ledger::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr auto kWait = std::chrono::seconds(60);

class LedgerServiceEndToEndTest : public ::ledger::testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    ASSERT_NO_FATAL_FAILURE(StartLedgerd());
  }

  void TearDown() override {
    client_.reset();
    if (ledgerd_ != nullptr) {
      EXPECT_OK(ledgerd_->Stop());
    }
    ledgerd_.reset();
    TempDirTest::TearDown();
  }

  void StartLedgerd() {
    ASSERT_OK_AND_ASSIGN(ledgerd_, LedgerdProcess::Start(PathIn("db")));
    client_ = std::make_unique<LedgerClient>(ledgerd_->address());
  }

  // Stops ledgerd with SIGTERM (it must exit 0) and starts it again on the
  // same database.
  void RestartLedgerd() {
    client_.reset();
    ASSERT_OK(ledgerd_->Stop());
    ledgerd_.reset();
    StartLedgerd();
  }

  // Appends one event to `stream`, which must succeed.
  void AppendOne(const std::string& stream, const std::string& event_id) {
    ASSERT_OK(client_->Append(MakeAppendRequest(stream, {event_id})).status());
  }

  // Every entry in the log, in order.
  std::vector<v1::Entry> ReadAll() {
    absl::StatusOr<std::vector<v1::Entry>> entries = ReadEntries(*client_);
    EXPECT_OK(entries);
    return entries.value_or(std::vector<v1::Entry>());
  }

  std::vector<std::string> SerializedLog() {
    std::vector<std::string> bytes;
    for (const v1::Entry& e : ReadAll()) bytes.push_back(SerializeEntry(e));
    return bytes;
  }

  std::unique_ptr<LedgerdProcess> ledgerd_;
  std::unique_ptr<LedgerClient> client_;
};

std::vector<uint64_t> Sequences(const std::vector<v1::Entry>& entries) {
  std::vector<uint64_t> out;
  for (const v1::Entry& e : entries) out.push_back(e.sequence());
  return out;
}

std::vector<uint64_t> StreamVersions(const std::vector<v1::Entry>& entries) {
  std::vector<uint64_t> out;
  for (const v1::Entry& e : entries) out.push_back(e.stream_version());
  return out;
}

TEST_F(LedgerServiceEndToEndTest, AppendsAreReadBackBySequenceAndByStream) {
  ASSERT_OK_AND_ASSIGN(v1::AppendResponse first,
                       client_->Append(MakeAppendRequest("case/1", {"a1", "a2"})));
  ASSERT_THAT(first.events(), SizeIs(2));
  EXPECT_EQ(first.events(0).sequence(), 0u);
  EXPECT_EQ(first.events(0).stream_version(), 1u);
  EXPECT_EQ(first.events(1).sequence(), 1u);
  EXPECT_EQ(first.events(1).stream_version(), 2u);
  EXPECT_FALSE(first.duplicate());
  ASSERT_OK_AND_ASSIGN(v1::AppendResponse second,
                       client_->Append(MakeAppendRequest("case/2", {"b1"})));
  EXPECT_EQ(second.events(0).sequence(), 2u);
  EXPECT_EQ(second.events(0).stream_version(), 1u);
  ASSERT_OK_AND_ASSIGN(v1::AppendResponse third,
                       client_->Append(MakeAppendRequest("case/1", {"a3"})));
  EXPECT_EQ(third.events(0).sequence(), 3u);
  EXPECT_EQ(third.events(0).stream_version(), 3u);
  EXPECT_EQ(third.log_size(), 4u);

  std::vector<v1::Entry> all = ReadAll();
  ASSERT_THAT(all, SizeIs(4));
  const std::vector<std::string> ids = {"a1", "a2", "b1", "a3"};
  const std::vector<std::string> streams = {"case/1", "case/1", "case/2", "case/1"};
  std::string prev_hash(32, '\0');
  for (size_t i = 0; i < all.size(); ++i) {
    SCOPED_TRACE(absl::StrCat("entry ", i));
    EXPECT_EQ(all[i].sequence(), i);
    EXPECT_EQ(all[i].event_id(), ids[i]);
    EXPECT_EQ(all[i].stream(), streams[i]);
    EXPECT_EQ(all[i].payload().SerializeAsString(),
              MakeEvent(ids[i]).payload().SerializeAsString());
    EXPECT_TRUE(all[i].has_recorded_at());
    EXPECT_EQ(all[i].prev_hash(), prev_hash);
    prev_hash = std::string(AsBytes(LeafHash(SerializeEntry(all[i]))));
  }

  v1::ReadRequest middle;
  middle.set_from(1);
  middle.set_limit(2);
  ASSERT_OK_AND_ASSIGN(std::vector<v1::Entry> two, ReadEntries(*client_, middle));
  EXPECT_THAT(Sequences(two), ElementsAre(1, 2));

  v1::ReadRequest by_stream;
  by_stream.set_stream("case/1");
  ASSERT_OK_AND_ASSIGN(std::vector<v1::Entry> case1, ReadEntries(*client_, by_stream));
  EXPECT_THAT(Sequences(case1), ElementsAre(0, 1, 3));
  EXPECT_THAT(StreamVersions(case1), ElementsAre(1, 2, 3));

  by_stream.set_from(2);
  ASSERT_OK_AND_ASSIGN(std::vector<v1::Entry> later, ReadEntries(*client_, by_stream));
  EXPECT_THAT(StreamVersions(later), ElementsAre(2, 3));
}

TEST_F(LedgerServiceEndToEndTest, RestartKeepsEntriesAndAppendsContinueTheChain) {
  ASSERT_OK(client_->Append(MakeAppendRequest("case/1", "one", 3)).status());
  ASSERT_OK(client_->Append(MakeAppendRequest("case/2", "two", 2)).status());
  const std::vector<std::string> before = SerializedLog();
  ASSERT_THAT(before, SizeIs(5));

  ASSERT_NO_FATAL_FAILURE(RestartLedgerd());

  EXPECT_EQ(SerializedLog(), before);
  ASSERT_OK_AND_ASSIGN(v1::AppendResponse next,
                       client_->Append(MakeAppendRequest("case/1", {"after-restart"})));
  EXPECT_EQ(next.events(0).sequence(), 5u);
  EXPECT_EQ(next.events(0).stream_version(), 4u);
  std::vector<v1::Entry> all = ReadAll();
  ASSERT_THAT(all, SizeIs(6));
  EXPECT_EQ(all[5].prev_hash(), std::string(AsBytes(LeafHash(before[4]))));
}

TEST_F(LedgerServiceEndToEndTest, RetryWithSameIdAndContentReturnsOriginalPosition) {
  const v1::AppendRequest request = MakeAppendRequest("case/1", {"r1", "r2"});
  ASSERT_OK_AND_ASSIGN(v1::AppendResponse original, client_->Append(request));
  ASSERT_NO_FATAL_FAILURE(AppendOne("case/1", "other"));

  ASSERT_OK_AND_ASSIGN(v1::AppendResponse retry, client_->Append(request));

  EXPECT_TRUE(retry.duplicate());
  ASSERT_THAT(retry.events(), SizeIs(2));
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(retry.events(i).sequence(), original.events(i).sequence());
    EXPECT_EQ(retry.events(i).stream_version(), original.events(i).stream_version());
    EXPECT_EQ(retry.events(i).event_id(), original.events(i).event_id());
  }
  EXPECT_THAT(ReadAll(), SizeIs(3));
}

TEST_F(LedgerServiceEndToEndTest, SameIdWithOtherContentIsAlreadyExists) {
  ASSERT_NO_FATAL_FAILURE(AppendOne("case/1", "once"));
  v1::AppendRequest other = MakeAppendRequest("case/1", {"once"});
  *other.mutable_events(0)->mutable_payload() = MakePayload("something else");

  EXPECT_THAT(client_->Append(other),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("once")));

  EXPECT_THAT(ReadAll(), SizeIs(1));
  ASSERT_NO_FATAL_FAILURE(AppendOne("case/1", "afterwards"));
}

TEST_F(LedgerServiceEndToEndTest, WrongExpectedVersionIsFailedPreconditionNamingCurrentVersion) {
  ASSERT_OK(client_->Append(MakeAppendRequest("case/1", "v", 2)).status());

  v1::AppendRequest exact = MakeAppendRequest("case/1", {"exact-5"});
  exact.mutable_expected_version()->set_exact(5);
  EXPECT_THAT(client_->Append(exact),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("version 2")));
  v1::AppendRequest none = MakeAppendRequest("case/1", {"none"});
  none.mutable_expected_version()->mutable_no_stream();
  EXPECT_THAT(client_->Append(none),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("version 2")));
  v1::AppendRequest exists = MakeAppendRequest("case/new", {"exists"});
  exists.mutable_expected_version()->mutable_stream_exists();
  EXPECT_THAT(client_->Append(exists),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("version 0")));

  v1::AppendRequest right = MakeAppendRequest("case/1", {"exact-2"});
  right.mutable_expected_version()->set_exact(2);
  ASSERT_OK_AND_ASSIGN(v1::AppendResponse r, client_->Append(right));
  EXPECT_EQ(r.events(0).stream_version(), 3u);
}

TEST_F(LedgerServiceEndToEndTest, MalformedRequestsAreInvalidArgumentNamingTheField) {
  struct Case {
    std::string name;
    v1::AppendRequest request;
    std::string field;
  };
  std::vector<Case> cases;
  cases.push_back({"missing stream", MakeAppendRequest("", {"e1"}), "stream:"});
  {
    v1::AppendRequest r = MakeAppendRequest("case/1", {"e2"});
    r.mutable_events(0)->clear_event_id();
    cases.push_back({"missing event id", r, "events[0].event_id:"});
  }
  {
    v1::AppendRequest r = MakeAppendRequest("case/1", {"e3"});
    r.mutable_events(0)->mutable_payload()->clear_type_url();
    cases.push_back({"missing payload type", r, "events[0].payload.type_url:"});
  }
  cases.push_back(
      {"bad stream characters", MakeAppendRequest("case one", {"e4"}), "stream:"});
  cases.push_back({"zero events", MakeAppendRequest("case/1", {}), "events:"});

  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].name);
    EXPECT_THAT(client_->Append(cases[i].request),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr(cases[i].field)));
    ASSERT_NO_FATAL_FAILURE(AppendOne("case/good", absl::StrCat("good-", i)));
  }
  EXPECT_THAT(ReadAll(), SizeIs(cases.size()));
}

TEST_F(LedgerServiceEndToEndTest, OversizedRequestsAreRefusedAndTheServerKeepsServing) {
  v1::AppendRequest big_event = MakeAppendRequest("case/1", {"big"});
  big_event.mutable_events(0)->mutable_payload()->set_value(
      std::string(256 * 1024 + 1, 'x'));
  EXPECT_THAT(client_->Append(big_event),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("events[0]")));
  ASSERT_NO_FATAL_FAILURE(AppendOne("case/1", "after-big-event"));

  v1::AppendRequest many = MakeAppendRequest("case/1", "many", 10001);
  EXPECT_THAT(client_->Append(many),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("10000")));
  ASSERT_NO_FATAL_FAILURE(AppendOne("case/1", "after-many"));

  // The limit itself is allowed.
  ASSERT_OK_AND_ASSIGN(v1::AppendResponse most, client_->Append(MakeAppendRequest(
                                                    "case/1", "most", 10000)));
  EXPECT_EQ(most.log_size(), 10002u);
}

TEST_F(LedgerServiceEndToEndTest, SubscribeSeesCatchUpThenCaughtUpMarkerThenLiveEntries) {
  ASSERT_OK(client_->Append(MakeAppendRequest("case/1", "old", 3)).status());

  std::mutex mu;
  std::vector<std::string> seen;  // guarded by mu
  std::promise<void> caught_up;
  std::promise<absl::Status> finished;
  LedgerClient subscriber_client(ledgerd_->address());
  std::thread subscriber([&] {
    int entries = 0;
    bool marked = false;
    absl::Status s = subscriber_client.Subscribe(
        v1::SubscribeRequest(),
        [&](const v1::Entry& e) {
          std::lock_guard<std::mutex> lock(mu);
          seen.push_back(absl::StrCat("entry ", e.sequence(), " ", e.event_id()));
          return ++entries < 5;
        },
        [&](uint64_t log_size) {
          std::lock_guard<std::mutex> lock(mu);
          seen.push_back(absl::StrCat("caught up at ", log_size));
          if (!marked) caught_up.set_value();
          marked = true;
          return true;
        });
    finished.set_value(s);
  });

  const bool was_caught_up =
      caught_up.get_future().wait_for(kWait) == std::future_status::ready;
  EXPECT_TRUE(was_caught_up) << "no caught-up marker";
  if (was_caught_up) {
    EXPECT_OK(client_->Append(MakeAppendRequest("case/2", {"live-0"})).status());
    EXPECT_OK(client_->Append(MakeAppendRequest("case/1", {"live-1"})).status());
  }
  std::future<absl::Status> done = finished.get_future();
  if (done.wait_for(kWait) != std::future_status::ready) {
    ADD_FAILURE() << "the subscription did not deliver the live entries";
    // Stopping the server ends the subscription, so the thread can be joined.
    client_.reset();
    EXPECT_OK(ledgerd_->Stop());
    ledgerd_.reset();
  }
  subscriber.join();

  EXPECT_OK(done.get());
  EXPECT_THAT(seen, ElementsAre("entry 0 old-0", "entry 1 old-1", "entry 2 old-2",
                                "caught up at 3", "entry 3 live-0",
                                "entry 4 live-1"));
}

// Each answer of an AppendStream call, as a string: "ok SEQ VERSION" (with
// " duplicate"), or the refusal's code and message.
std::string Describe(const absl::StatusOr<v1::AppendResponse>& r) {
  if (!r.ok()) {
    return absl::StrCat(absl::StatusCodeToString(r.status().code()), ": ",
                        r.status().message());
  }
  std::string out = "ok";
  for (const v1::AppendedEvent& e : r->events()) {
    absl::StrAppend(&out, " ", e.sequence(), " ", e.stream_version());
  }
  if (r->duplicate()) out += " duplicate";
  return out;
}

// Sends `requests` on one AppendStream call, at most `ahead` unanswered.
absl::Status StreamAll(LedgerClient& client, const std::vector<v1::AppendRequest>& requests,
                       std::vector<absl::StatusOr<v1::AppendResponse>>* answers,
                       size_t ahead = 64) {
  size_t next = 0;
  return client.AppendStream(
      [&](v1::AppendRequest* out) {
        if (next == requests.size()) return false;
        *out = requests[next++];
        return true;
      },
      [&](absl::StatusOr<v1::AppendResponse> r) { answers->push_back(std::move(r)); },
      ahead);
}

TEST_F(LedgerServiceEndToEndTest, AppendStreamAnswersEveryRequestInOrderOnceRecorded) {
  ASSERT_NO_FATAL_FAILURE(AppendOne("case/other", "before"));
  // Each request names the exact version its stream must be at, so a
  // request handed to the writer out of order would be refused. 600
  // requests: the server stops reading 64 ahead of its answers, and the
  // second call sends one at a time.
  constexpr int kRequests = 600;
  for (const size_t ahead : {size_t{64}, size_t{1}}) {
    SCOPED_TRACE(absl::StrCat("at most ", ahead, " ahead"));
    const std::string stream = absl::StrCat("case/ahead-", ahead);
    std::vector<v1::AppendRequest> requests;
    for (int i = 0; i < kRequests; ++i) {
      v1::AppendRequest r = MakeAppendRequest(stream, {absl::StrCat(stream, "/", i)});
      r.mutable_expected_version()->set_exact(i);
      requests.push_back(std::move(r));
    }
    ASSERT_OK_AND_ASSIGN(v1::GetCheckpointResponse before, client_->GetCheckpoint());
    std::vector<absl::StatusOr<v1::AppendResponse>> answers;
    ASSERT_OK(StreamAll(*client_, requests, &answers, ahead));

    ASSERT_THAT(answers, SizeIs(kRequests));
    for (int i = 0; i < kRequests; ++i) {
      ASSERT_EQ(Describe(answers[i]),
                absl::StrCat("ok ", before.tree_size() + i, " ", i + 1))
          << "answer " << i;
    }
    v1::ReadRequest by_stream;
    by_stream.set_stream(stream);
    ASSERT_OK_AND_ASSIGN(std::vector<v1::Entry> recorded, ReadEntries(*client_, by_stream));
    ASSERT_THAT(recorded, SizeIs(kRequests));
    for (int i = 0; i < kRequests; ++i) {
      EXPECT_EQ(recorded[i].event_id(), requests[i].events(0).event_id());
    }
  }
  // Answers come once durable: a restart keeps everything answered.
  const std::vector<std::string> log = SerializedLog();
  ASSERT_NO_FATAL_FAILURE(RestartLedgerd());
  EXPECT_EQ(SerializedLog(), log);
}

TEST_F(LedgerServiceEndToEndTest, AppendStreamAnswersARefusedRequestAndGoesOn) {
  std::vector<v1::AppendRequest> requests;
  requests.push_back(MakeAppendRequest("case/1", {"s1", "s2"}));
  {
    v1::AppendRequest conflict = MakeAppendRequest("case/1", {"conflict"});
    conflict.mutable_expected_version()->set_exact(7);
    requests.push_back(conflict);
  }
  requests.push_back(MakeAppendRequest("case one", {"bad-stream"}));
  requests.push_back(MakeAppendRequest("case/1", {"s1", "s2"}));  // a retry
  {
    v1::AppendRequest other = MakeAppendRequest("case/1", {"s1"});
    *other.mutable_events(0)->mutable_payload() = MakePayload("something else");
    requests.push_back(other);
  }
  requests.push_back(MakeAppendRequest("case/2", {"s3"}));

  std::vector<absl::StatusOr<v1::AppendResponse>> answers;
  ASSERT_OK(StreamAll(*client_, requests, &answers));

  ASSERT_THAT(answers, SizeIs(6));
  EXPECT_EQ(Describe(answers[0]), "ok 0 1 1 2");
  EXPECT_THAT(answers[1], StatusIs(absl::StatusCode::kFailedPrecondition,
                                   HasSubstr("version 2")));
  EXPECT_THAT(answers[2], StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("stream:")));
  EXPECT_EQ(Describe(answers[3]), "ok 0 1 1 2 duplicate");
  EXPECT_THAT(answers[4], StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("s1")));
  EXPECT_EQ(Describe(answers[5]), "ok 2 1");
  EXPECT_EQ(answers[5]->log_size(), 3u);
  std::vector<std::string> ids;
  for (const v1::Entry& e : ReadAll()) ids.push_back(e.event_id());
  EXPECT_THAT(ids, ElementsAre("s1", "s2", "s3"));
}

TEST_F(LedgerServiceEndToEndTest, AppendStreamWithLargeRequestsStaysWithinItsWindow) {
  // 40 requests of about 1 MiB: past the 4 MiB the server reads ahead of
  // its answers, so it stops reading until answers have gone out.
  std::vector<v1::AppendRequest> requests;
  for (int i = 0; i < 40; ++i) {
    v1::AppendRequest r = MakeAppendRequest("case/big", absl::StrCat("big-", i), 4);
    for (v1::EventData& e : *r.mutable_events()) {
      e.mutable_payload()->set_value(std::string(250 * 1024, static_cast<char>('a' + i % 26)));
    }
    requests.push_back(std::move(r));
  }
  std::vector<absl::StatusOr<v1::AppendResponse>> answers;
  ASSERT_OK(StreamAll(*client_, requests, &answers, 40));
  ASSERT_THAT(answers, SizeIs(40));
  for (int i = 0; i < 40; ++i) {
    ASSERT_OK(answers[i].status()) << "answer " << i;
    EXPECT_EQ(answers[i]->events(0).sequence(), 4u * i);
  }
  EXPECT_THAT(ReadAll(), SizeIs(160));
}

TEST_F(LedgerServiceEndToEndTest, StoppingTheServerEndsAnIdleAppendStream) {
  // A client that sent two requests and then waits without closing its
  // side: on SIGTERM ledgerd stops reading the call's requests and ends it
  // with UNAVAILABLE, after the two answers; a request the client offers
  // after that is not recorded.
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  int sent = 0;
  std::vector<absl::StatusOr<v1::AppendResponse>> answers;
  std::promise<void> two_answered;
  LedgerClient streamer(ledgerd_->address());
  std::thread t([&] {
    absl::Status s = streamer.AppendStream(
        [&](v1::AppendRequest* out) {
          if (sent < 2) {
            *out = MakeAppendRequest("case/idle", {absl::StrCat("idle-", sent++)});
            return true;
          }
          if (sent == 3) return false;
          // A third request, offered once the server has gone: it cannot
          // be sent, and the call says why.
          std::unique_lock<std::mutex> lock(mu);
          cv.wait(lock, [&] { return release; });
          *out = MakeAppendRequest("case/idle", {absl::StrCat("idle-", sent++)});
          return true;
        },
        [&](absl::StatusOr<v1::AppendResponse> r) {
          answers.push_back(std::move(r));
          if (answers.size() == 2) two_answered.set_value();
        });
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("shutting down")));
  });
  const bool answered =
      two_answered.get_future().wait_for(kWait) == std::future_status::ready;
  EXPECT_TRUE(answered);
  client_.reset();
  EXPECT_OK(ledgerd_->Stop());
  ledgerd_.reset();
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  t.join();
  ASSERT_THAT(answers, SizeIs(2));
  EXPECT_EQ(Describe(answers[0]), "ok 0 1");
  EXPECT_EQ(Describe(answers[1]), "ok 1 2");
  ASSERT_NO_FATAL_FAILURE(StartLedgerd());
  EXPECT_THAT(ReadAll(), SizeIs(2));
}

}  // namespace
}  // namespace ledger

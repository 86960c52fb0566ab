// Tests of GroupCommitWriter over a real RocksDB store in a temporary
// directory: what an append stores, the hash chain, idempotent retries,
// expected versions, request checks, the validator hook, the injected clock,
// restarts, and many concurrent appenders.
#include "ledger/group_commit_writer.h"

#include <algorithm>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/entry.h"
#include "ledger/hash.h"
#include "ledger/keys.h"
#include "ledger/store.h"
#include "ledger/verifier.h"
#include "tests/ledger/test_util.h"

namespace ledger {
namespace {

using ::ledger::testing::IsOk;
using ::ledger::testing::MakeAppendRequest;
using ::ledger::testing::MakeEvent;
using ::ledger::testing::MakePayload;
using ::ledger::testing::StatusIs;
using ::ledger::v1::AppendRequest;
using ::ledger::v1::AppendResponse;
using ::ledger::v1::Entry;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::AllOf;
using ::testing::HasSubstr;

// Matches a message that mentions the number `n` on its own (not as part of
// a longer number), whatever the wording around it.
::testing::Matcher<const std::string&> MentionsNumber(uint64_t n) {
  return ::testing::ContainsRegex(absl::StrCat("(^|[^0-9])", n, "([^0-9]|$)"));
}

absl::Time TimeOf(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

// 2026-01-01T00:00:00.123456Z
const absl::Time kT0 = absl::FromUnixMicros(1767225600123456);

// A clock the test sets; the writer reads it on its own thread.
class FakeClock {
 public:
  void Set(absl::Time t) {
    std::lock_guard<std::mutex> lock(mu_);
    now_ = t;
  }
  absl::Time Now() const {
    std::lock_guard<std::mutex> lock(mu_);
    return now_;
  }

 private:
  mutable std::mutex mu_;
  absl::Time now_ = kT0;
};

class GroupCommitWriterTest : public ::ledger::testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    options_.clock = [this] { return clock_.Now(); };
  }

  void TearDown() override {
    CloseLedger();
    TempDirTest::TearDown();
  }

  std::string DbPath() const { return PathIn("ledger"); }

  // Opens the store and starts a writer with options_.
  void OpenLedger() {
    ASSERT_OK_AND_ASSIGN(store_,
                         LedgerStore::Open(DbPath(), LedgerStore::Mode::kReadWrite));
    ASSERT_OK_AND_ASSIGN(writer_, GroupCommitWriter::Start(store_.get(), options_));
  }

  void CloseLedger() {
    writer_.reset();
    store_.reset();
  }

  absl::StatusOr<AppendResponse> Append(const AppendRequest& request,
                                        std::string_view actor = "tester") {
    return writer_->Append(request, actor);
  }

  // Appends and expects success; returns the response (empty on failure).
  AppendResponse MustAppend(const AppendRequest& request) {
    absl::StatusOr<AppendResponse> resp = Append(request);
    EXPECT_OK(resp) << request.ShortDebugString();
    return resp.ok() ? *resp : AppendResponse();
  }

  // Appends an event to another stream and then `request`, whose response
  // goes to `original`, and reopens the ledger, so that nothing is staged:
  // a retry is then checked against the stored entries.
  void AppendAndReopen(const AppendRequest& request, AppendResponse* original) {
    MustAppend(MakeAppendRequest("other", "x", 1));
    *original = MustAppend(request);
    CloseLedger();
    ASSERT_NO_FATAL_FAILURE(OpenLedger());
  }

  // Resends `request`: it must be answered as a duplicate with the
  // positions of `original`.
  void ExpectRetryGetsOriginalPositions(const AppendRequest& request,
                                        const AppendResponse& original) {
    absl::StatusOr<AppendResponse> retry = Append(request);
    ASSERT_OK(retry);
    EXPECT_TRUE(retry->duplicate());
    ASSERT_EQ(retry->events_size(), original.events_size());
    for (int i = 0; i < original.events_size(); ++i) {
      EXPECT_EQ(retry->events(i).sequence(), original.events(i).sequence()) << i;
      EXPECT_EQ(retry->events(i).stream_version(), original.events(i).stream_version()) << i;
    }
  }

  std::string EntryBytes(uint64_t sequence) {
    absl::StatusOr<std::string> bytes = store_->GetEntryBytes(sequence);
    EXPECT_OK(bytes) << "sequence " << sequence;
    return bytes.value_or("");
  }

  Entry ReadEntry(uint64_t sequence) {
    absl::StatusOr<Entry> e = ParseStoredEntry(EntryBytes(sequence));
    EXPECT_OK(e) << "sequence " << sequence;
    return e.value_or(Entry());
  }

  // Number of entries actually stored (not the head's claim).
  uint64_t StoredEntryCount() {
    uint64_t n = 0;
    std::unique_ptr<rocksdb::Iterator> it = store_->NewIterator(store_->entries());
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
    EXPECT_TRUE(it->status().ok());
    return n;
  }

  VerifyReport Verify() {
    LedgerVerifier verifier(store_.get());
    absl::StatusOr<VerifyReport> report = verifier.Run();
    EXPECT_OK(report);
    VerifyReport failed;
    failed.intact = false;
    failed.reason = "Run failed";
    return report.value_or(failed);
  }

  GroupCommitWriter::Options options_;
  FakeClock clock_;
  std::unique_ptr<LedgerStore> store_;
  std::unique_ptr<GroupCommitWriter> writer_;
};

TEST_F(GroupCommitWriterTest, AppendOneEventAndReadItBack) {
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  AppendRequest req;
  req.set_stream("recommendation/R-2026-014");
  ledger::v1::EventData* ev = req.add_events();
  ev->set_event_id("made-1");
  *ev->mutable_payload() = MakePayload("recommendation text");
  ev->mutable_occurred_at()->set_seconds(1767000000);
  ev->set_correlation_id("corr");
  ev->set_causation_id("cause");

  absl::StatusOr<AppendResponse> resp = Append(req, "alice");
  ASSERT_OK(resp);
  ASSERT_EQ(resp->events_size(), 1);
  EXPECT_EQ(resp->events(0).sequence(), 0u);
  EXPECT_EQ(resp->events(0).stream_version(), 1u);
  EXPECT_EQ(resp->events(0).event_id(), "made-1");
  EXPECT_FALSE(resp->duplicate());
  EXPECT_EQ(resp->log_size(), 1u);
  EXPECT_EQ(writer_->CommittedSize(), 1u);

  const std::string bytes = EntryBytes(0);
  ASSERT_OK_AND_ASSIGN(Entry e, ParseStoredEntry(bytes));
  EXPECT_EQ(e.sequence(), 0u);
  EXPECT_EQ(e.stream(), "recommendation/R-2026-014");
  EXPECT_EQ(e.stream_version(), 1u);
  EXPECT_EQ(e.event_id(), "made-1");
  EXPECT_EQ(e.payload().type_url(), ev->payload().type_url());
  EXPECT_EQ(e.payload().value(), "recommendation text");
  EXPECT_TRUE(e.has_occurred_at());
  EXPECT_EQ(e.occurred_at().seconds(), 1767000000);
  EXPECT_EQ(e.occurred_at().nanos(), 0);
  EXPECT_EQ(TimeOf(e.recorded_at()), kT0);
  EXPECT_EQ(e.actor(), "alice");
  EXPECT_EQ(e.prev_hash(), std::string(32, '\0'));
  EXPECT_EQ(e.correlation_id(), "corr");
  EXPECT_EQ(e.causation_id(), "cause");

  ASSERT_OK_AND_ASSIGN(LogHead head, store_->ReadHead());
  EXPECT_EQ(head.size, 1u);
  EXPECT_EQ(head.last_leaf_hash, LeafHash(bytes));
  ASSERT_OK_AND_ASSIGN(uint64_t seq, store_->StreamSequence(e.stream(), 1));
  EXPECT_EQ(seq, 0u);
  ASSERT_OK_AND_ASSIGN(std::optional<EventIdRecord> rec,
                       store_->LookupEventId("made-1"));
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->sequence, 0u);
  EXPECT_EQ(rec->stream_version, 1u);
}

TEST_F(GroupCommitWriterTest, UnsetOccurredAtStaysUnset) {
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  MustAppend(MakeAppendRequest("s", "e", 1));
  EXPECT_FALSE(ReadEntry(0).has_occurred_at());
}

TEST_F(GroupCommitWriterTest, EntriesChainByPrevHash) {
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  AppendResponse a = MustAppend(MakeAppendRequest("alpha", "a", 1));
  AppendResponse b = MustAppend(MakeAppendRequest("beta", "b", 3));
  AppendResponse c = MustAppend(MakeAppendRequest("alpha", "c", 2));

  ASSERT_EQ(b.events_size(), 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(b.events(i).sequence(), 1u + i);
    EXPECT_EQ(b.events(i).stream_version(), 1u + i);
    EXPECT_EQ(b.events(i).event_id(), absl::StrCat("b-", i));
  }
  ASSERT_EQ(c.events_size(), 2);
  EXPECT_EQ(c.events(0).sequence(), 4u);
  EXPECT_EQ(c.events(0).stream_version(), 2u);
  EXPECT_EQ(c.events(1).sequence(), 5u);
  EXPECT_EQ(c.events(1).stream_version(), 3u);
  EXPECT_EQ(c.log_size(), 6u);

  Hash prev = kZeroHash;
  for (uint64_t seq = 0; seq < 6; ++seq) {
    const std::string bytes = EntryBytes(seq);
    ASSERT_OK_AND_ASSIGN(Entry e, ParseStoredEntry(bytes));
    EXPECT_EQ(e.sequence(), seq);
    EXPECT_EQ(e.prev_hash(), AsBytes(prev)) << "sequence " << seq;
    prev = LeafHash(bytes);
  }
  ASSERT_OK_AND_ASSIGN(LogHead head, store_->ReadHead());
  EXPECT_EQ(head.size, 6u);
  EXPECT_EQ(head.last_leaf_hash, prev);
  ASSERT_OK_AND_ASSIGN(uint64_t alpha, store_->StreamVersion("alpha"));
  EXPECT_EQ(alpha, 3u);
  EXPECT_TRUE(Verify().intact);
}

TEST_F(GroupCommitWriterTest, RetryReturnsOriginalPositions) {
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  MustAppend(MakeAppendRequest("other", "x", 1));
  const AppendRequest req = MakeAppendRequest("s", "e", 2);
  AppendResponse first = MustAppend(req);
  MustAppend(MakeAppendRequest("s", "later", 1));
  ASSERT_EQ(writer_->CommittedSize(), 4u);

  absl::StatusOr<AppendResponse> retry = Append(req);
  ASSERT_OK(retry);
  EXPECT_TRUE(retry->duplicate());
  EXPECT_FALSE(first.duplicate());
  ASSERT_EQ(retry->events_size(), 2);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(retry->events(i).sequence(), first.events(i).sequence());
    EXPECT_EQ(retry->events(i).stream_version(), first.events(i).stream_version());
    EXPECT_EQ(retry->events(i).event_id(), first.events(i).event_id());
  }
  EXPECT_EQ(retry->events(0).sequence(), 1u);
  EXPECT_EQ(retry->log_size(), 4u);
  EXPECT_EQ(writer_->CommittedSize(), 4u);
  EXPECT_EQ(StoredEntryCount(), 4u);
}

TEST_F(GroupCommitWriterTest, SameIdWithOtherContentIsAlreadyExists) {
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  const AppendRequest req = MakeAppendRequest("s", "e", 1);
  MustAppend(req);

  AppendRequest other_payload = req;
  other_payload.mutable_events(0)->mutable_payload()->set_value("changed");
  EXPECT_THAT(Append(other_payload),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("e-0")));

  AppendRequest other_stream = req;
  other_stream.set_stream("t");
  EXPECT_THAT(Append(other_stream), StatusIs(absl::StatusCode::kAlreadyExists));

  AppendRequest with_time = req;
  with_time.mutable_events(0)->mutable_occurred_at()->set_seconds(5);
  EXPECT_THAT(Append(with_time), StatusIs(absl::StatusCode::kAlreadyExists));

  AppendRequest with_correlation = req;
  with_correlation.mutable_events(0)->set_correlation_id("c");
  EXPECT_THAT(Append(with_correlation), StatusIs(absl::StatusCode::kAlreadyExists));

  EXPECT_EQ(StoredEntryCount(), 1u);
  ASSERT_OK_AND_ASSIGN(uint64_t t_version, store_->StreamVersion("t"));
  EXPECT_EQ(t_version, 0u);
}

TEST_F(GroupCommitWriterTest, PartiallyDuplicatedRequestIsAlreadyExists) {
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  MustAppend(MakeAppendRequest("s", {"a"}));

  EXPECT_THAT(Append(MakeAppendRequest("s", {"a", "b"})),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(Append(MakeAppendRequest("s", {"b", "a"})),
              StatusIs(absl::StatusCode::kAlreadyExists));

  EXPECT_EQ(StoredEntryCount(), 1u);
  ASSERT_OK_AND_ASSIGN(std::optional<EventIdRecord> b, store_->LookupEventId("b"));
  EXPECT_FALSE(b.has_value()) << "the new event of a rejected request was recorded";
}

TEST_F(GroupCommitWriterTest, ExpectedNoStreamOnExistingStreamFails) {
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  MustAppend(MakeAppendRequest("s", "e", 3));
  AppendRequest req = MakeAppendRequest("s", "f", 1);
  req.mutable_expected_version()->mutable_no_stream();
  EXPECT_THAT(Append(req),
              StatusIs(absl::StatusCode::kFailedPrecondition, MentionsNumber(3)));
  EXPECT_EQ(StoredEntryCount(), 3u);
}

TEST_F(GroupCommitWriterTest, ExpectedStreamExistsOnNewStreamFails) {
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  MustAppend(MakeAppendRequest("other", "e", 2));
  AppendRequest req = MakeAppendRequest("s", "f", 1);
  req.mutable_expected_version()->mutable_stream_exists();
  EXPECT_THAT(Append(req),
              StatusIs(absl::StatusCode::kFailedPrecondition, MentionsNumber(0)));
  EXPECT_EQ(StoredEntryCount(), 2u);
}

TEST_F(GroupCommitWriterTest, ExpectedExactVersionMismatchFails) {
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  MustAppend(MakeAppendRequest("s", "e", 3));
  AppendRequest req = MakeAppendRequest("s", "f", 1);
  req.mutable_expected_version()->set_exact(7);
  EXPECT_THAT(Append(req),
              StatusIs(absl::StatusCode::kFailedPrecondition, MentionsNumber(3)));
  req.mutable_expected_version()->set_exact(2);
  EXPECT_THAT(Append(req),
              StatusIs(absl::StatusCode::kFailedPrecondition, MentionsNumber(3)));
  req.mutable_expected_version()->set_exact(0);
  EXPECT_THAT(Append(req),
              StatusIs(absl::StatusCode::kFailedPrecondition, MentionsNumber(3)));
  EXPECT_EQ(StoredEntryCount(), 3u);
}

TEST_F(GroupCommitWriterTest, ExpectedVersionsThatHoldSucceed) {
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  AppendRequest req = MakeAppendRequest("s", "a", 1);
  req.mutable_expected_version()->mutable_no_stream();
  MustAppend(req);

  req = MakeAppendRequest("s", "b", 2);
  req.mutable_expected_version()->mutable_stream_exists();
  MustAppend(req);

  req = MakeAppendRequest("s", "c", 1);
  req.mutable_expected_version()->set_exact(3);
  AppendResponse resp = MustAppend(req);
  ASSERT_EQ(resp.events_size(), 1);
  EXPECT_EQ(resp.events(0).stream_version(), 4u);

  req = MakeAppendRequest("s", "d", 1);
  req.mutable_expected_version()->mutable_any();
  MustAppend(req);

  // exact 0 is the same as no_stream.
  req = MakeAppendRequest("t", "e", 1);
  req.mutable_expected_version()->set_exact(0);
  MustAppend(req);
  EXPECT_EQ(writer_->CommittedSize(), 6u);
}

TEST_F(GroupCommitWriterTest, RetryAfterExpectedVersionMovedIsStillDuplicate) {
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  AppendRequest req = MakeAppendRequest("s", "first", 2);
  req.mutable_expected_version()->mutable_no_stream();
  AppendResponse original = MustAppend(req);
  MustAppend(MakeAppendRequest("s", "second", 1));

  absl::StatusOr<AppendResponse> retry = Append(req);
  ASSERT_OK(retry);
  EXPECT_TRUE(retry->duplicate());
  ASSERT_EQ(retry->events_size(), 2);
  EXPECT_EQ(retry->events(0).sequence(), original.events(0).sequence());
  EXPECT_EQ(retry->events(1).sequence(), original.events(1).sequence());
  EXPECT_EQ(retry->events(1).stream_version(), 2u);
  EXPECT_EQ(StoredEntryCount(), 3u);
}

TEST_F(GroupCommitWriterTest, MalformedRequestsAreInvalidArgumentNamingTheField) {
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  struct Case {
    std::string name;
    AppendRequest request;
    std::string field;
  };
  std::vector<Case> cases;
  {
    AppendRequest r = MakeAppendRequest("", "e", 1);
    cases.push_back({"empty stream", r, "stream"});
  }
  {
    AppendRequest r = MakeAppendRequest("has space", "e", 1);
    cases.push_back({"stream with a space", r, "stream"});
  }
  {
    AppendRequest r = MakeAppendRequest(std::string(201, 's'), "e", 1);
    cases.push_back({"stream too long", r, "stream"});
  }
  {
    AppendRequest r;
    r.set_stream("s");
    cases.push_back({"no events", r, "events"});
  }
  {
    AppendRequest r = MakeAppendRequest("s", "e", 2);
    r.mutable_events(1)->clear_event_id();
    cases.push_back({"missing event_id", r, "events[1].event_id"});
  }
  {
    AppendRequest r = MakeAppendRequest("s", "e", 1);
    r.mutable_events(0)->set_event_id(std::string(129, 'i'));
    cases.push_back({"event_id too long", r, "events[0].event_id"});
  }
  {
    AppendRequest r = MakeAppendRequest("s", "e", 1);
    r.mutable_events(0)->clear_payload();
    cases.push_back({"missing payload", r, "events[0].payload"});
  }
  {
    AppendRequest r = MakeAppendRequest("s", "e", 1);
    r.mutable_events(0)->mutable_payload()->clear_type_url();
    cases.push_back({"missing type_url", r, "events[0].payload.type_url"});
  }
  {
    AppendRequest r = MakeAppendRequest("s", "e", 1);
    r.mutable_events(0)->mutable_payload()->set_type_url("NoSlash");
    cases.push_back({"type_url without a slash", r, "events[0].payload.type_url"});
  }
  {
    AppendRequest r = MakeAppendRequest("s", {"x", "y", "x"});
    cases.push_back({"duplicate id in request", r, "events[2].event_id"});
  }
  {
    AppendRequest r = MakeAppendRequest("s", "e", 1);
    r.mutable_events(0)->mutable_occurred_at()->set_nanos(-1);
    cases.push_back({"bad occurred_at", r, "events[0].occurred_at"});
  }
  {
    AppendRequest r = MakeAppendRequest("s", "e", 1);
    r.mutable_events(0)->set_correlation_id("a b");
    cases.push_back({"bad correlation_id", r, "events[0].correlation_id"});
  }
  {
    AppendRequest r = MakeAppendRequest("s", "e", 1);
    r.mutable_events(0)->set_causation_id(std::string(129, 'c'));
    cases.push_back({"causation_id too long", r, "events[0].causation_id"});
  }
  for (const Case& c : cases) {
    EXPECT_THAT(Append(c.request),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.field)))
        << c.name;
  }
  EXPECT_EQ(writer_->CommittedSize(), 0u);
  EXPECT_EQ(StoredEntryCount(), 0u);
}

TEST_F(GroupCommitWriterTest, PayloadWithEmptyValueIsInvalidArgument) {
  // ledger.proto, EventData.payload: "Required: the typed event (type_url
  // and value both non-empty)."
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  AppendRequest r = MakeAppendRequest("s", "e", 1);
  r.mutable_events(0)->mutable_payload()->clear_value();
  EXPECT_THAT(Append(r), StatusIs(absl::StatusCode::kInvalidArgument,
                                  HasSubstr("events[0].payload")));
  EXPECT_EQ(StoredEntryCount(), 0u);
}

TEST_F(GroupCommitWriterTest, OversizedEventIsInvalidArgument) {
  ASSERT_NO_FATAL_FAILURE(OpenLedger());  // default limits: 256 KiB per event
  AppendRequest r = MakeAppendRequest("s", "e", 2);
  r.mutable_events(1)->mutable_payload()->set_value(std::string(257 * 1024, 'v'));
  EXPECT_THAT(Append(r), StatusIs(absl::StatusCode::kInvalidArgument,
                                  HasSubstr("events[1]")));
  EXPECT_EQ(StoredEntryCount(), 0u);

  // Just under the limit is accepted.
  r.mutable_events(1)->mutable_payload()->set_value(std::string(255 * 1024, 'v'));
  EXPECT_OK(Append(r));
}

TEST_F(GroupCommitWriterTest, TooManyEventsIsResourceExhausted) {
  ASSERT_NO_FATAL_FAILURE(OpenLedger());  // default limit: 10000 events per request
  EXPECT_THAT(Append(MakeAppendRequest("s", "e", 10001)),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("10000")));
  EXPECT_EQ(StoredEntryCount(), 0u);
}

TEST_F(GroupCommitWriterTest, EventCountLimitIsConfigurable) {
  options_.limits.max_events_per_request = 4;
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  EXPECT_THAT(Append(MakeAppendRequest("s", "e", 5)),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_OK(Append(MakeAppendRequest("s", "f", 4)));
  EXPECT_EQ(StoredEntryCount(), 4u);
}

TEST_F(GroupCommitWriterTest, OversizedRequestIsResourceExhausted) {
  options_.limits.max_request_bytes = 1000;
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  AppendRequest r = MakeAppendRequest("s", "e", 3);
  for (auto& e : *r.mutable_events()) {
    e.mutable_payload()->set_value(std::string(400, 'v'));
  }
  EXPECT_THAT(Append(r), StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(StoredEntryCount(), 0u);
}

// Records what it was shown; rejects proposals carrying kForbidden.
class RecordingValidator : public AppendValidator {
 public:
  static constexpr char kForbidden[] = "forbidden";

  struct Call {
    std::string stream;
    uint64_t current_version = 0;
    std::vector<Entry> proposed;
    std::vector<std::string> history_ids;
    std::vector<uint64_t> history_versions;
  };

  absl::Status Validate(const ProposedAppend& append,
                        const StreamHistory& history) override {
    Call call;
    call.stream = std::string(append.stream);
    call.current_version = append.current_version;
    call.proposed = *append.entries;
    absl::Status read = history.ForEach([&call](const Entry& e) {
      call.history_ids.push_back(e.event_id());
      call.history_versions.push_back(e.stream_version());
      return absl::OkStatus();
    });
    if (on_validate) on_validate(call);
    {
      std::lock_guard<std::mutex> lock(mu_);
      calls_.push_back(call);
    }
    if (!read.ok()) return read;
    for (const Entry& e : call.proposed) {
      if (e.payload().value() == kForbidden) {
        return absl::FailedPreconditionError(
            "rule no-forbidden-payloads: the payload is forbidden");
      }
    }
    return absl::OkStatus();
  }

  std::vector<Call> calls() const {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }

  // Called on the writer thread during Validate; may block.
  std::function<void(const Call&)> on_validate;

 private:
  mutable std::mutex mu_;
  std::vector<Call> calls_;
};

TEST_F(GroupCommitWriterTest, ValidatorRejectionIsReturnedAndNothingIsWritten) {
  RecordingValidator validator;
  options_.validator = &validator;
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  MustAppend(MakeAppendRequest("s", "ok", 1));

  AppendRequest bad = MakeAppendRequest("s", "bad", 2);
  bad.mutable_events(1)->mutable_payload()->set_value(RecordingValidator::kForbidden);
  EXPECT_THAT(Append(bad), StatusIs(absl::StatusCode::kFailedPrecondition,
                                    "rule no-forbidden-payloads: the payload is forbidden"));
  EXPECT_EQ(writer_->CommittedSize(), 1u);
  EXPECT_EQ(StoredEntryCount(), 1u);
  ASSERT_OK_AND_ASSIGN(std::optional<EventIdRecord> rec,
                       store_->LookupEventId("bad-0"));
  EXPECT_FALSE(rec.has_value());

  // The stream continues as if the rejected append never happened.
  AppendResponse next = MustAppend(MakeAppendRequest("s", "next", 1));
  ASSERT_EQ(next.events_size(), 1);
  EXPECT_EQ(next.events(0).sequence(), 1u);
  EXPECT_EQ(next.events(0).stream_version(), 2u);
  EXPECT_TRUE(Verify().intact);
}

TEST_F(GroupCommitWriterTest, ValidatorSeesStreamHistoryAndCompleteProposal) {
  RecordingValidator validator;
  options_.validator = &validator;
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  MustAppend(MakeAppendRequest("s", "a", 2));
  MustAppend(MakeAppendRequest("other", "o", 1));
  MustAppend(MakeAppendRequest("s", "b", 1));
  MustAppend(MakeAppendRequest("s", "c", 2));

  const std::vector<RecordingValidator::Call> calls = validator.calls();
  ASSERT_EQ(calls.size(), 4u);
  EXPECT_EQ(calls[0].stream, "s");
  EXPECT_EQ(calls[0].current_version, 0u);
  EXPECT_THAT(calls[0].history_ids, ElementsAre());
  EXPECT_EQ(calls[1].stream, "other");
  EXPECT_THAT(calls[1].history_ids, ElementsAre());
  EXPECT_EQ(calls[2].current_version, 2u);
  EXPECT_THAT(calls[2].history_ids, ElementsAre("a-0", "a-1"));

  const RecordingValidator::Call& last = calls[3];
  EXPECT_EQ(last.current_version, 3u);
  EXPECT_THAT(last.history_ids, ElementsAre("a-0", "a-1", "b-0"));
  EXPECT_THAT(last.history_versions, ElementsAre(1, 2, 3));
  ASSERT_EQ(last.proposed.size(), 2u);
  // The proposed entries are exactly what was then stored.
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(SerializeEntry(last.proposed[i]), EntryBytes(4 + i)) << i;
  }
  EXPECT_EQ(last.proposed[0].stream_version(), 4u);
  EXPECT_EQ(last.proposed[0].actor(), "tester");
  EXPECT_EQ(last.proposed[0].prev_hash(), AsBytes(LeafHash(EntryBytes(3))));
}

// Holds the writer thread inside the validation of an append to stream
// "gate", so that appends from other threads queue behind it; released, the
// writer usually drains them as one group. Tests using it assert what must
// hold whatever the grouping turns out to be.
class WriterGate {
 public:
  // For RecordingValidator::on_validate (runs on the writer thread).
  void OnValidate(const RecordingValidator::Call& call) {
    if (call.stream != "gate") return;
    std::unique_lock<std::mutex> lock(mu_);
    held_ = true;
    cv_.notify_all();
    cv_.wait(lock, [this] { return open_; });
  }

  // Blocks until the writer is held inside the gate's validation.
  void WaitUntilHeld() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return held_; });
  }

  // Called by each caller thread just before it appends.
  void CallerStarting() {
    std::lock_guard<std::mutex> lock(mu_);
    ++callers_;
    cv_.notify_all();
  }

  // Releases the writer once `n` callers have started.
  void OpenWhenCallersStarted(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this, n] { return callers_ == n; });
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool held_ = false;
  bool open_ = false;
  int callers_ = 0;
};

// A ledger whose writer the tests hold inside the validation of an
// append to the stream "gate" while callers queue behind it.
class GatedWriterTest : public GroupCommitWriterTest {
 protected:
  // Opens the ledger with validator_, which stops at gate_.
  void OpenGatedLedger() {
    validator_.on_validate = [this](const RecordingValidator::Call& call) {
      gate_.OnValidate(call);
    };
    options_.validator = &validator_;
    OpenLedger();
  }

  // Appends each of `requests` from a thread of its own while the writer
  // is held at the gate, so that usually all of them are queued when it is
  // let go and are staged in one group. Their results, in request order.
  std::vector<absl::StatusOr<AppendResponse>> AppendBehindGate(
      const std::vector<AppendRequest>& requests) {
    std::thread holder([&] { EXPECT_OK(Append(MakeAppendRequest("gate", "g", 1))); });
    gate_.WaitUntilHeld();
    std::vector<absl::StatusOr<AppendResponse>> results(requests.size(),
                                                        absl::UnknownError("not run"));
    std::vector<std::thread> callers;
    for (size_t i = 0; i < requests.size(); ++i) {
      callers.emplace_back([&, i] {
        gate_.CallerStarting();
        results[i] = Append(requests[i]);
      });
    }
    gate_.OpenWhenCallersStarted(static_cast<int>(requests.size()));
    holder.join();
    for (std::thread& t : callers) t.join();
    return results;
  }

  RecordingValidator validator_;
  WriterGate gate_;
};

TEST_F(GatedWriterTest, ValidatorSeesEarlierAppendsOfConcurrentCallers) {
  // Later appends of one group must see the earlier ones, staged but not
  // yet written; whatever the grouping, each validation must see every
  // earlier event of its stream.
  ASSERT_NO_FATAL_FAILURE(OpenGatedLedger());
  MustAppend(MakeAppendRequest("shared", "before", 1));

  constexpr int kCallers = 6;
  std::vector<AppendRequest> requests;
  for (int i = 0; i < kCallers; ++i) {
    requests.push_back(MakeAppendRequest("shared", absl::StrCat("c", i), 1 + i % 2));
  }
  for (const auto& result : AppendBehindGate(requests)) EXPECT_OK(result);

  // Event ids of "shared" in version order, from the store.
  ASSERT_OK_AND_ASSIGN(uint64_t version, store_->StreamVersion("shared"));
  EXPECT_EQ(version, 1u + 3 * 1 + 3 * 2);
  std::vector<std::string> ids;
  for (uint64_t v = 1; v <= version; ++v) {
    ASSERT_OK_AND_ASSIGN(uint64_t seq, store_->StreamSequence("shared", v));
    ids.push_back(ReadEntry(seq).event_id());
  }
  int shared_calls = 0;
  for (const RecordingValidator::Call& call : validator_.calls()) {
    if (call.stream != "shared") continue;
    ++shared_calls;
    ASSERT_FALSE(call.proposed.empty());
    const uint64_t before = call.proposed[0].stream_version() - 1;
    EXPECT_EQ(call.current_version, before);
    ASSERT_LE(before, ids.size());
    EXPECT_THAT(call.history_ids,
                ElementsAreArray(ids.begin(), ids.begin() + before))
        << "validating " << call.proposed[0].event_id();
  }
  EXPECT_EQ(shared_calls, 1 + kCallers);
  EXPECT_TRUE(Verify().intact);
}

TEST_F(GatedWriterTest, ConcurrentRetriesOfOneRequestAreRecordedOnce) {
  // Retries racing each other (usually in one group) must land once: one
  // caller appends, the others get the same positions as duplicates.
  ASSERT_NO_FATAL_FAILURE(OpenGatedLedger());

  constexpr int kCallers = 8;
  const std::vector<absl::StatusOr<AppendResponse>> results = AppendBehindGate(
      std::vector<AppendRequest>(kCallers, MakeAppendRequest("s", "retried", 3)));

  int originals = 0;
  for (int i = 0; i < kCallers; ++i) {
    ASSERT_OK(results[i]) << "caller " << i;
    if (!results[i]->duplicate()) ++originals;
    ASSERT_EQ(results[i]->events_size(), 3);
    for (int j = 0; j < 3; ++j) {
      EXPECT_EQ(results[i]->events(j).sequence(), results[0]->events(j).sequence());
      EXPECT_EQ(results[i]->events(j).stream_version(), 1u + j);
    }
  }
  EXPECT_EQ(originals, 1);
  EXPECT_EQ(writer_->CommittedSize(), 4u);
  EXPECT_EQ(StoredEntryCount(), 4u);
  ASSERT_OK_AND_ASSIGN(uint64_t version, store_->StreamVersion("s"));
  EXPECT_EQ(version, 3u);
  EXPECT_TRUE(Verify().intact);
}

TEST_F(GatedWriterTest, ConcurrentSameIdsWithOtherContentAreAlreadyExists) {
  // Callers racing with one event id but not all with the same content
  // (usually in one group, so each later one is compared with the entry
  // staged before it, not with a stored one): the first staged lands, the
  // same content again is its duplicate, any other content is refused.
  ASSERT_NO_FATAL_FAILURE(OpenGatedLedger());

  constexpr int kCallers = 8;
  std::vector<AppendRequest> requests(kCallers, MakeAppendRequest("s", "raced", 1));
  requests[1].mutable_events(0)->mutable_payload()->set_value("changed");
  requests[3].mutable_events(0)->mutable_occurred_at()->set_seconds(5);
  requests[5].mutable_events(0)->set_correlation_id("c");
  requests[7].set_stream("t");
  const std::vector<absl::StatusOr<AppendResponse>> results =
      AppendBehindGate(requests);

  int original = -1;
  for (int i = 0; i < kCallers; ++i) {
    if (results[i].ok() && !results[i]->duplicate()) {
      ASSERT_EQ(original, -1) << "callers " << original << " and " << i << " both appended";
      original = i;
    }
  }
  ASSERT_NE(original, -1);
  const std::string recorded = requests[original].SerializeAsString();
  for (int i = 0; i < kCallers; ++i) {
    if (requests[i].SerializeAsString() == recorded) {
      ASSERT_OK(results[i]) << "caller " << i;
      EXPECT_EQ(results[i]->events(0).sequence(), results[original]->events(0).sequence());
    } else {
      EXPECT_THAT(results[i], StatusIs(absl::StatusCode::kAlreadyExists,
                                       HasSubstr("with different content")))
          << "caller " << i;
    }
  }
  EXPECT_EQ(writer_->CommittedSize(), 2u);
  EXPECT_EQ(StoredEntryCount(), 2u);
  EXPECT_TRUE(Verify().intact);
}

TEST_F(GroupCommitWriterTest, ClockGoingBackwardsKeepsRecordedAtNonDecreasing) {
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  const std::vector<absl::Time> clock_readings = {
      kT0 + absl::Seconds(10), kT0 + absl::Seconds(5), kT0,
      kT0 + absl::Seconds(20), absl::UnixEpoch() - absl::Hours(1),
      kT0 + absl::Seconds(20) + absl::Microseconds(1)};
  const std::vector<absl::Time> expected = {
      kT0 + absl::Seconds(10), kT0 + absl::Seconds(10), kT0 + absl::Seconds(10),
      kT0 + absl::Seconds(20), kT0 + absl::Seconds(20),
      kT0 + absl::Seconds(20) + absl::Microseconds(1)};
  for (size_t i = 0; i < clock_readings.size(); ++i) {
    clock_.Set(clock_readings[i]);
    MustAppend(MakeAppendRequest("s", absl::StrCat("e", i), 1));
  }
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(TimeOf(ReadEntry(i).recorded_at()), expected[i]) << "sequence " << i;
  }
  EXPECT_TRUE(Verify().intact);
}

TEST_F(GroupCommitWriterTest, ClockBehindTheLogAfterRestartKeepsRecordedAt) {
  clock_.Set(kT0 + absl::Hours(1));
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  MustAppend(MakeAppendRequest("s", "before", 1));
  CloseLedger();

  clock_.Set(kT0);  // the new process's clock is an hour behind
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  MustAppend(MakeAppendRequest("s", "after", 1));
  EXPECT_EQ(TimeOf(ReadEntry(1).recorded_at()), kT0 + absl::Hours(1));
  EXPECT_TRUE(Verify().intact);
}

TEST_F(GroupCommitWriterTest, RestartContinuesSequencesAndChain) {
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  const AppendRequest early = MakeAppendRequest("s", "early", 2);
  AppendResponse original = MustAppend(early);
  MustAppend(MakeAppendRequest("t", "t", 1));
  const std::string last_before = EntryBytes(2);
  CloseLedger();

  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  EXPECT_EQ(writer_->CommittedSize(), 3u);
  AppendResponse resp = MustAppend(MakeAppendRequest("s", "late", 2));
  ASSERT_EQ(resp.events_size(), 2);
  EXPECT_EQ(resp.events(0).sequence(), 3u);
  EXPECT_EQ(resp.events(0).stream_version(), 3u);
  EXPECT_EQ(resp.events(1).sequence(), 4u);
  EXPECT_EQ(resp.log_size(), 5u);
  EXPECT_EQ(ReadEntry(3).prev_hash(), AsBytes(LeafHash(last_before)));

  // Idempotency survives the restart.
  absl::StatusOr<AppendResponse> retry = Append(early);
  ASSERT_OK(retry);
  EXPECT_TRUE(retry->duplicate());
  EXPECT_EQ(retry->events(1).sequence(), original.events(1).sequence());

  AppendRequest exact = MakeAppendRequest("s", "exact", 1);
  exact.mutable_expected_version()->set_exact(4);
  MustAppend(exact);

  VerifyReport report = Verify();
  EXPECT_TRUE(report.intact) << report.reason;
  EXPECT_EQ(report.entries, 6u);
}

TEST_F(GroupCommitWriterTest, RetryAfterRestartIsComparedWithTheStoredEntry) {
  // After a restart nothing is staged: a retry is checked against the
  // entry its event-id record points to.
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  AppendRequest req = MakeAppendRequest("s", "e", 2);
  req.mutable_events(1)->set_causation_id("cause");
  AppendResponse original;
  ASSERT_NO_FATAL_FAILURE(AppendAndReopen(req, &original));
  EXPECT_EQ(original.events(1).stream_version(), 2u);
  ASSERT_NO_FATAL_FAILURE(ExpectRetryGetsOriginalPositions(req, original));

  AppendRequest changed = req;
  changed.mutable_events(1)->set_causation_id("another-cause");
  EXPECT_THAT(Append(changed),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("events[1]")));
  AppendRequest elsewhere = req;
  elsewhere.set_stream("other");
  EXPECT_THAT(Append(elsewhere), StatusIs(absl::StatusCode::kAlreadyExists));

  // A record that points at another event is damage, not a retry.
  rocksdb::WriteBatch batch;
  batch.Put(store_->event_ids(), "e-1", EncodeEventIdRecord({0, 1}));
  ASSERT_OK(store_->Write(&batch, true));
  EXPECT_THAT(Append(req), StatusIs(absl::StatusCode::kDataLoss,
                                    HasSubstr("which holds another event")));
  batch.Clear();
  batch.Put(store_->event_ids(), "e-1", EncodeEventIdRecord({99, 2}));
  ASSERT_OK(store_->Write(&batch, true));
  EXPECT_THAT(Append(req), StatusIs(absl::StatusCode::kDataLoss,
                                    HasSubstr("which is not stored")));
  EXPECT_EQ(StoredEntryCount(), 3u);
}

TEST_F(GroupCommitWriterTest, LargeRetryIsCheckedEventByEventInRequestOrder) {
  // A retry of many stored events reads their entries in one lookup; the
  // answer is still the one an event-by-event check in request order gives.
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  const AppendRequest req = MakeAppendRequest("s", "e", 100);
  AppendResponse original;
  ASSERT_NO_FATAL_FAILURE(AppendAndReopen(req, &original));
  ASSERT_EQ(original.events_size(), 100);
  ASSERT_NO_FATAL_FAILURE(ExpectRetryGetsOriginalPositions(req, original));

  rocksdb::WriteBatch batch;
  batch.Put(store_->event_ids(), "e-70", EncodeEventIdRecord({0, 1}));
  ASSERT_OK(store_->Write(&batch, true));
  EXPECT_THAT(Append(req), StatusIs(absl::StatusCode::kDataLoss,
                                    AllOf(HasSubstr("'e-70'"), HasSubstr("another event"))));
  // A changed event before the damaged record is answered first.
  AppendRequest changed = req;
  changed.mutable_events(30)->set_causation_id("another-cause");
  EXPECT_THAT(Append(changed),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("events[30]")));
  // Of two damaged records, the first in the request is named.
  batch.Clear();
  batch.Put(store_->event_ids(), "e-50", EncodeEventIdRecord({999, 51}));
  ASSERT_OK(store_->Write(&batch, true));
  EXPECT_THAT(Append(req), StatusIs(absl::StatusCode::kDataLoss,
                                    AllOf(HasSubstr("'e-50'"), HasSubstr("not stored"))));
  EXPECT_EQ(StoredEntryCount(), 101u);
}

TEST_F(GroupCommitWriterTest, AppendAfterShutdownIsUnavailable) {
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  MustAppend(MakeAppendRequest("s", "e", 1));
  writer_->Shutdown();
  writer_->Shutdown();  // idempotent
  EXPECT_TRUE(writer_->stopping());
  EXPECT_THAT(Append(MakeAppendRequest("s", "f", 1)),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(StoredEntryCount(), 1u);
}

TEST_F(GroupCommitWriterTest, WaitForSizeAboveReturnsCommittedSize) {
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  EXPECT_EQ(writer_->WaitForSizeAbove(0, absl::ZeroDuration()), 0u);
  MustAppend(MakeAppendRequest("s", "e", 3));
  EXPECT_EQ(writer_->WaitForSizeAbove(2, absl::Hours(1)), 3u);
  EXPECT_EQ(writer_->WaitForSizeAbove(0, absl::Hours(1)), 3u);
}

TEST_F(GroupCommitWriterTest, ManyThreadsAppendConcurrently) {
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  constexpr int kThreads = 16;
  constexpr int kAppendsPerThread = 200;
  constexpr int kBatch = 5;

  struct Ack {
    std::string event_id;
    std::string stream;
    uint64_t sequence;
    uint64_t version;
  };
  std::vector<std::vector<Ack>> acks(kThreads);
  std::vector<std::vector<std::string>> errors(kThreads);

  auto run = [&](int t) {
    const std::string own = absl::StrCat("own/", t);
    uint64_t own_version = 0;
    for (int i = 0; i < kAppendsPerThread; ++i) {
      // i % 4: 0 shared single (expect any), 1 own batch (exact),
      //        2 own single (exact), 3 shared batch (no expectation).
      const bool to_own = i % 4 == 1 || i % 4 == 2;
      const int n = (i % 4 == 1 || i % 4 == 3) ? kBatch : 1;
      const std::string stream = to_own ? own : absl::StrCat("shared/", i % 3);
      AppendRequest req = MakeAppendRequest(stream, absl::StrCat("t", t, "-", i), n);
      if (to_own) {
        req.mutable_expected_version()->set_exact(own_version);
      } else if (i % 4 == 0) {
        req.mutable_expected_version()->mutable_any();
      }
      absl::StatusOr<AppendResponse> resp = writer_->Append(req, "load");
      if (!resp.ok()) {
        errors[t].push_back(absl::StrCat(stream, " #", i, ": ", resp.status().ToString()));
        continue;
      }
      if (resp->events_size() != n || resp->duplicate()) {
        errors[t].push_back(absl::StrCat("bad response ", resp->ShortDebugString()));
        continue;
      }
      for (int j = 0; j < n; ++j) {
        const auto& ev = resp->events(j);
        if (ev.sequence() != resp->events(0).sequence() + j ||
            ev.stream_version() != resp->events(0).stream_version() + j ||
            ev.event_id() != req.events(j).event_id() ||
            resp->log_size() <= ev.sequence()) {
          errors[t].push_back(absl::StrCat("not contiguous ", resp->ShortDebugString()));
        }
        if (to_own && ev.stream_version() != own_version + 1 + j) {
          errors[t].push_back(absl::StrCat("own version ", resp->ShortDebugString()));
        }
        acks[t].push_back({ev.event_id(), stream, ev.sequence(), ev.stream_version()});
      }
      if (to_own) own_version += n;
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back(run, t);
  for (std::thread& th : threads) th.join();

  for (int t = 0; t < kThreads; ++t) {
    EXPECT_THAT(errors[t], ElementsAre()) << "thread " << t;
  }

  std::vector<Ack> all;
  for (const auto& a : acks) all.insert(all.end(), a.begin(), a.end());
  const uint64_t n = all.size();
  constexpr uint64_t kExpected =
      kThreads * (kAppendsPerThread / 2 * 1 + kAppendsPerThread / 2 * kBatch);
  ASSERT_EQ(n, kExpected);
  EXPECT_EQ(writer_->CommittedSize(), n);
  ASSERT_OK_AND_ASSIGN(LogHead head, store_->ReadHead());
  EXPECT_EQ(head.size, n);

  // Sequences are dense and unique.
  std::vector<uint64_t> sequences;
  for (const Ack& a : all) sequences.push_back(a.sequence);
  std::sort(sequences.begin(), sequences.end());
  for (uint64_t i = 0; i < n; ++i) {
    ASSERT_EQ(sequences[i], i) << "sequences are not 0..N-1 without repeats";
  }

  // Every acknowledged event is where it was acknowledged.
  std::map<std::string, std::vector<std::pair<uint64_t, uint64_t>>> by_stream;
  for (const Ack& a : all) {
    const Entry e = ReadEntry(a.sequence);
    EXPECT_EQ(e.event_id(), a.event_id);
    EXPECT_EQ(e.stream(), a.stream);
    EXPECT_EQ(e.stream_version(), a.version);
    EXPECT_EQ(e.sequence(), a.sequence);
    by_stream[a.stream].emplace_back(a.version, a.sequence);
  }

  // Stream versions are dense, and the index agrees.
  EXPECT_EQ(by_stream.size(), static_cast<size_t>(kThreads + 3));
  for (auto& [stream, versions] : by_stream) {
    std::sort(versions.begin(), versions.end());
    for (size_t i = 0; i < versions.size(); ++i) {
      ASSERT_EQ(versions[i].first, i + 1) << stream;
      ASSERT_OK_AND_ASSIGN(uint64_t seq, store_->StreamSequence(stream, i + 1));
      EXPECT_EQ(seq, versions[i].second) << stream << " v" << i + 1;
    }
    ASSERT_OK_AND_ASSIGN(uint64_t current, store_->StreamVersion(stream));
    EXPECT_EQ(current, versions.size()) << stream;
  }
  ASSERT_OK_AND_ASSIGN(uint64_t own0, store_->StreamVersion("own/0"));
  EXPECT_EQ(own0, kAppendsPerThread / 4 * (1 + kBatch));

  VerifyReport report = Verify();
  EXPECT_TRUE(report.intact) << report.reason;
  EXPECT_EQ(report.entries, n);
}

}  // namespace
}  // namespace ledger

namespace ledger {
namespace {

// A validator that says it never reads history, and counts its calls; with
// `read_anyway` it reads it all the same.
class HistoryFreeValidator : public AppendValidator {
 public:
  absl::Status Validate(const ProposedAppend&, const StreamHistory& history) override {
    ++calls;
    if (!read_anyway) return absl::OkStatus();
    return history.ForEach([](const Entry&) { return absl::OkStatus(); });
  }
  bool NeedsHistory(std::string_view) const override { return false; }
  bool read_anyway = false;
  int calls = 0;
};

TEST_F(GroupCommitWriterTest, ValidatorThatNeedsNoHistoryIsStillAskedAndMayNotReadIt) {
  HistoryFreeValidator validator;
  options_.validator = &validator;
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  MustAppend(MakeAppendRequest("s", "a", 2));
  MustAppend(MakeAppendRequest("s", "b", 1));
  EXPECT_EQ(validator.calls, 2);
  EXPECT_EQ(writer_->CommittedSize(), 3u);

  // Breaking its word is refused, not answered from a partial history.
  validator.read_anyway = true;
  EXPECT_THAT(Append(MakeAppendRequest("s", "c", 1)),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("NeedsHistory")));
  EXPECT_EQ(writer_->CommittedSize(), 3u);
  EXPECT_TRUE(Verify().intact);
}

}  // namespace
}  // namespace ledger

#include "ledger/group_commit_writer.h"

#include <pthread.h>

#include <chrono>
#include <cstring>
#include <future>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "ledger/entry.h"
#include "ledger/entry_view.h"
#include "ledger/status_macros.h"

namespace ledger {

using ledger::v1::AppendRequest;
using ledger::v1::AppendResponse;
using ledger::v1::Entry;

// A queued append; owned by the writer from AppendAsync until `done` has
// been called.
struct GroupCommitWriter::Pending {
  const AppendRequest* request;
  std::string actor;
  AppendDone done;
};

// Copies of byte strings that stay where they are until the arena goes:
// the group's event ids, which its index of event ids is keyed by. Blocks
// of 4 KiB, one of its own for anything larger.
class ByteArena {
 public:
  std::string_view Copy(std::string_view bytes) {
    if (bytes.size() > kBlock / 4) {
      large_.emplace_back(new char[bytes.size()]);
      std::memcpy(large_.back().get(), bytes.data(), bytes.size());
      return {large_.back().get(), bytes.size()};
    }
    if (blocks_.empty() || kBlock - used_ < bytes.size()) {
      blocks_.emplace_back(new char[kBlock]);
      used_ = 0;
    }
    char* at = blocks_.back().get() + used_;
    if (!bytes.empty()) std::memcpy(at, bytes.data(), bytes.size());
    used_ += bytes.size();
    return {at, bytes.size()};
  }

 private:
  static constexpr size_t kBlock = 4 << 10;
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::vector<std::unique_ptr<char[]>> large_;
  size_t used_ = 0;
};

// What the group staged so far, on top of what the store holds.
struct GroupCommitWriter::GroupState {
  uint64_t next_sequence = 0;
  Hash last_hash{};
  CompactRange tree;
  absl::Time last_recorded;
  std::unordered_map<std::string, uint64_t> stream_versions;
  // The group's event ids (copies in `arena`), each with where its
  // entry's bytes are in the group's write batch, for a retry in a later
  // request of this group or the next to be compared with. The entry's
  // content digest is computed only then: for every event it would cost a
  // tenth of the stager's time.
  struct StagedEventId {
    EventIdRecord record;
    size_t entry_offset;  // in batch->Data()
    size_t entry_size;
  };
  absl::flat_hash_map<absl::string_view, StagedEventId> event_ids;
  ByteArena arena;
  // The group's write batch. It is not changed once the group has been
  // staged, until the group after next stages into it (NextBatch): by then
  // nothing looks this group's events up.
  const rocksdb::WriteBatch* batch = nullptr;
  // Only kept when a validator needs to see the stream's history: the
  // entries of each stream that may not be durable yet. The first
  // `inherited` are the in-flight group's (for streams both groups touch),
  // the rest this group's.
  struct StagedStream {
    size_t inherited = 0;
    std::vector<Entry> entries;
  };
  std::unordered_map<std::string, StagedStream> staged_by_stream;
  // The group being written while this one is staged, or null.
  const GroupState* parent = nullptr;
  // The tree nodes the group's batch stores, offered to the store's cache
  // of the tree's upper levels once the batch is durable.
  std::vector<TreeTopCache::Node> stored_nodes;

  // An event staged in this group or the one being written: its record,
  // and its entry's bytes (valid until this group's batch next grows).
  struct Found {
    EventIdRecord record;
    std::string_view entry;
  };
  std::optional<Found> FindEventId(std::string_view id) const {
    const absl::string_view key(id.data(), id.size());
    for (const GroupState* g = this; g != nullptr; g = g->parent) {
      if (auto it = g->event_ids.find(key); it != g->event_ids.end()) {
        const StagedEventId& e = it->second;
        return Found{e.record,
                     std::string_view(g->batch->Data()).substr(e.entry_offset, e.entry_size)};
      }
    }
    return std::nullopt;
  }
};

// A staged group on its way to the committer.
struct GroupCommitWriter::StagedGroup {
  std::deque<Pending*> group;
  std::vector<absl::StatusOr<AppendResponse>> results;
  rocksdb::WriteBatch* batch = nullptr;  // one of the writer's two
  GroupState state;
  LogHead head;      // the log's head once the batch is written
  std::string note;  // its signed checkpoint (empty without a signer)
};

namespace {

// The stream's stored entries, then those staged earlier in this group.
class GroupStreamHistory : public StreamHistory {
 public:
  // `kept` false: the validator said it would not read this stream's
  // history, and the group's earlier entries of it were not kept.
  GroupStreamHistory(const LedgerStore* store, std::string_view stream, bool kept,
                     uint64_t stored_version, const std::vector<Entry>* staged)
      : store_(store),
        stream_(stream),
        kept_(kept),
        stored_version_(stored_version),
        staged_(staged) {}

  absl::Status ForEach(
      const std::function<absl::Status(const Entry&)>& visit) const override {
    if (!kept_) {
      return absl::InternalError(absl::StrCat(
          "the validator read the history of ", std::string(stream_),
          " after saying it would not (NeedsHistory)"));
    }
    for (uint64_t v = 1; v <= stored_version_; ++v) {
      ASSIGN_OR_RETURN(uint64_t seq, store_->StreamSequence(stream_, v));
      ASSIGN_OR_RETURN(std::string bytes, store_->GetEntryBytes(seq));
      ASSIGN_OR_RETURN(Entry e, ParseStoredEntry(bytes));
      RETURN_IF_ERROR(visit(e));
    }
    if (staged_ != nullptr) {
      for (const Entry& e : *staged_) RETURN_IF_ERROR(visit(e));
    }
    return absl::OkStatus();
  }

 private:
  const LedgerStore* store_;
  std::string_view stream_;
  bool kept_;
  uint64_t stored_version_;
  const std::vector<Entry>* staged_;
};

void SetTimestamp(absl::Time t, google::protobuf::Timestamp* ts) {
  const int64_t micros = absl::ToUnixMicros(t);
  ts->set_seconds(micros / 1000000 - (micros % 1000000 < 0 ? 1 : 0));
  ts->set_nanos(static_cast<int32_t>(((micros % 1000000) + 1000000) % 1000000) *
                1000);
}

// How long the stager waits, after the first request of a group arrives,
// for as many as its previous group held.
// Short: 16 unary clients ran at about 8,400 appends/s with 2 ms and
// 10,000 to 11,000 with 50 to 500 us (docs/performance.md, item 6).
constexpr auto kGroupFillWait = std::chrono::microseconds(100);
// Queued events below which the stager waits for the group being written
// before it takes the next.
constexpr size_t kOverlapEvents = 256;
// Stream versions the stager remembers before it starts afresh.
constexpr size_t kStreamVersionCacheLimit = 1 << 16;

absl::Status CheckExpectedVersion(const AppendRequest& req, uint64_t current) {
  const auto& ev = req.expected_version();
  switch (ev.expectation_case()) {
    case ledger::v1::ExpectedVersion::EXPECTATION_NOT_SET:
    case ledger::v1::ExpectedVersion::kAny:
      return absl::OkStatus();
    case ledger::v1::ExpectedVersion::kNoStream:
      if (current == 0) return absl::OkStatus();
      return absl::FailedPreconditionError(
          absl::StrCat("wrong expected version: stream ", req.stream(),
                       " is at version ", current, "; expected no stream"));
    case ledger::v1::ExpectedVersion::kStreamExists:
      if (current > 0) return absl::OkStatus();
      return absl::FailedPreconditionError(
          absl::StrCat("wrong expected version: stream ", req.stream(),
                       " is at version 0 (does not exist); expected an "
                       "existing stream"));
    case ledger::v1::ExpectedVersion::kExact:
      if (current == ev.exact()) return absl::OkStatus();
      return absl::FailedPreconditionError(absl::StrCat(
          "wrong expected version: stream ", req.stream(), " is at version ",
          current, "; expected version ", ev.exact()));
  }
  return absl::InvalidArgumentError("expected_version: unknown expectation");
}

}  // namespace

GroupCommitWriter::GroupCommitWriter(LedgerStore* store, Options options)
    : store_(store), options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<GroupCommitWriter>> GroupCommitWriter::Start(
    LedgerStore* store, Options options) {
  std::unique_ptr<GroupCommitWriter> w(
      new GroupCommitWriter(store, std::move(options)));
  RETURN_IF_ERROR(w->LoadState());
  if (w->options_.signer != nullptr) {
    // Sign the tree as it stands at start, unless the stored checkpoint
    // already covers it under this origin and key.
    ASSIGN_OR_RETURN(std::optional<std::string> stored,
                     store->GetMeta(kMetaCheckpointKey));
    absl::StatusOr<Checkpoint> current =
        stored.has_value()
            ? VerifyCheckpoint(*stored, w->options_.signer->verifier_key())
            : absl::NotFoundError("no checkpoint");
    // Never sign over a log that contradicts our own last signature: one
    // shorter than it (truncated) or with another root at its size
    // (rewritten). The operator must investigate with ledger-verify.
    if (current.ok() && current->size > w->head_.size) {
      return absl::DataLossError(absl::StrCat(
          "the log holds ", w->head_.size, " entries but its last signed "
          "checkpoint covers ", current->size, " (truncated?); run ledger-verify"));
    }
    if (current.ok() && current->size > 0) {
      const SubtreeReader read = [store](int level, uint64_t index) {
        return store->GetNode(level, index);
      };
      absl::StatusOr<Hash> root = RangeHash(0, current->size, read);
      if (!root.ok() || *root != current->root) {
        return absl::DataLossError(absl::StrCat(
            "the stored tree of ", current->size, " entries does not have the "
            "root of the log's last signed checkpoint (rewritten?); run "
            "ledger-verify"));
      }
    }
    if (current.ok() && current->size == w->head_.size &&
        current->origin == w->options_.origin && current->root == w->tree_.Root()) {
      w->checkpoint_ = {w->head_.size, *stored};
    } else {
      w->checkpoint_.size = w->head_.size;
      RETURN_IF_ERROR(w->SignCheckpoint(w->tree_, &w->checkpoint_.note));
      rocksdb::WriteBatch batch;
      batch.Put(store->meta(), std::string(kMetaCheckpointKey), w->checkpoint_.note);
      RETURN_IF_ERROR(store->Write(&batch, /*sync=*/true));
    }
  }
  w->committed_size_.store(w->head_.size);
  w->commit_thread_ = std::thread([p = w.get()] {
    pthread_setname_np(pthread_self(), "ledger-commit");
    p->RunCommitter();
  });
  w->thread_ = std::thread([p = w.get()] {
    pthread_setname_np(pthread_self(), "ledger-stage");
    p->Run();
  });
  return w;
}

GroupCommitWriter::~GroupCommitWriter() { Shutdown(); }

absl::Status GroupCommitWriter::LoadState() {
  ASSIGN_OR_RETURN(head_, store_->ReadHead());
  last_recorded_ = absl::UnixEpoch();
  if (head_.size > 0) {
    ASSIGN_OR_RETURN(std::string bytes, store_->GetEntryBytes(head_.size - 1));
    ASSIGN_OR_RETURN(Entry last, ParseStoredEntry(bytes));
    last_recorded_ = TimeOf(last.recorded_at());
  }
  LedgerStore* store = store_;
  absl::StatusOr<CompactRange> tree = CompactRange::Load(
      head_.size,
      [store](int level, uint64_t index) { return store->GetNode(level, index); });
  if (!tree.ok()) {
    return absl::DataLossError(absl::StrCat(
        "cannot load the Merkle tree of ", head_.size,
        " entries; run ledger-verify: ", tree.status().message()));
  }
  tree_ = std::move(*tree);
  return absl::OkStatus();
}

absl::Status GroupCommitWriter::Recover() {
  stream_version_cache_.clear();
  in_flight_.reset();
  RETURN_IF_ERROR(store_->Resume());
  RETURN_IF_ERROR(LoadState());
  // The failed batch carried its own signed checkpoint: if it landed, the
  // stored checkpoint is of the new head; if not, the old one still is.
  if (options_.signer != nullptr) {
    ASSIGN_OR_RETURN(std::optional<std::string> stored, store_->GetMeta(kMetaCheckpointKey));
    absl::StatusOr<Checkpoint> c =
        stored.has_value() ? VerifyCheckpoint(*stored, options_.signer->verifier_key())
                           : absl::NotFoundError("no checkpoint");
    if (!c.ok() || c->size != head_.size || c->root != tree_.Root()) {
      return absl::DataLossError(
          "after recovery the stored checkpoint does not match the log; restart ledgerd "
          "and run ledger-verify");
    }
    std::lock_guard<std::mutex> lock(checkpoint_mu_);
    checkpoint_ = {head_.size, *stored};
  }
  {
    std::lock_guard<std::mutex> lock(growth_mu_);
    committed_size_.store(head_.size);
  }
  growth_cv_.notify_all();
  return absl::OkStatus();
}

absl::Status GroupCommitWriter::SignCheckpoint(const CompactRange& tree,
                                               std::string* note) const {
  Checkpoint c{options_.origin, tree.size(), tree.Root(), {}};
  ASSIGN_OR_RETURN(*note, options_.signer->Sign(FormatCheckpoint(c)));
  return absl::OkStatus();
}

GroupCommitWriter::SignedCheckpoint GroupCommitWriter::LatestCheckpoint() const {
  std::lock_guard<std::mutex> lock(checkpoint_mu_);
  return checkpoint_;
}

void GroupCommitWriter::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    stopping_.store(true);
  }
  queue_cv_.notify_all();
  {
    std::lock_guard<std::mutex> lock(growth_mu_);
  }
  growth_cv_.notify_all();
  // The stager commits what is queued and waits for the committer.
  if (thread_.joinable()) thread_.join();
  {
    std::lock_guard<std::mutex> lock(commit_mu_);
    committer_stop_ = true;
  }
  commit_cv_.notify_all();
  if (commit_thread_.joinable()) commit_thread_.join();
}

absl::StatusOr<AppendResponse> GroupCommitWriter::Append(
    const AppendRequest& request, std::string_view actor) {
  std::promise<absl::StatusOr<AppendResponse>> promise;
  std::future<absl::StatusOr<AppendResponse>> result = promise.get_future();
  AppendAsync(request, actor, [&promise](absl::StatusOr<AppendResponse> r) {
    promise.set_value(std::move(r));
  });
  return result.get();
}

void GroupCommitWriter::AppendAsync(const AppendRequest& request, std::string_view actor,
                                    AppendDone done) {
  if (absl::Status bad = CheckAppendRequest(request, options_.limits); !bad.ok()) {
    done(std::move(bad));
    return;
  }
  auto p = std::make_unique<Pending>(Pending{&request, std::string(actor), std::move(done)});
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    if (!stopping_.load()) {
      queue_.push_back(p.get());
      queued_events_ += static_cast<size_t>(request.events_size());
      // The stager waits for a first request, then for fill_target_ of them.
      wake = queue_.size() == 1 || queue_.size() == fill_target_;
      p.release();
    }
  }
  if (p != nullptr) {
    p->done(absl::UnavailableError("ledger is shutting down"));
    return;
  }
  if (wake) queue_cv_.notify_one();
}

uint64_t GroupCommitWriter::WaitForSizeAbove(uint64_t size,
                                             absl::Duration timeout) const {
  std::unique_lock<std::mutex> lock(growth_mu_);
  growth_cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [&] {
    return committed_size_.load() > size || stopping_.load();
  });
  return committed_size_.load();
}

bool GroupCommitWriter::TakeGroup(std::deque<Pending*>& group) {
  std::unique_lock<std::mutex> lock(queue_mu_);
  queue_cv_.wait(lock, [&] { return !queue_.empty() || stopping_.load(); });
  if (queue_.empty()) return false;  // stopping, and everything queued is done
  if (queue_.size() < fill_target_ && !stopping_.load()) {
    queue_cv_.wait_for(lock, kGroupFillWait, [&] {
      return queue_.size() >= fill_target_ || stopping_.load();
    });
  }
  if (queued_events_ < kOverlapEvents) {
    // Few events: staging them alongside the group being written would
    // save little and cost a signature and an fdatasync of their own;
    // let them join whatever else arrives while it is written.
    lock.unlock();
    {
      std::unique_lock<std::mutex> commit_lock(commit_mu_);
      commit_cv_.wait(commit_lock, [&] { return !committing_; });
    }
    lock.lock();
  }
  group.swap(queue_);
  queued_events_ = 0;
  fill_target_ = std::max(group.size(), fill_target_ / 2);
  return true;
}

void GroupCommitWriter::Run() {
  std::deque<Pending*> group;
  while (TakeGroup(group)) {
    StageGroup(group);
    group.clear();
  }
  // A failed last write has answered its callers already.
  WaitForCommitterIdle().IgnoreError();
}

absl::Status GroupCommitWriter::WaitForCommitterIdle() {
  std::unique_lock<std::mutex> lock(commit_mu_);
  commit_cv_.wait(lock, [&] { return !committing_; });
  absl::Status failure = std::move(commit_failure_);
  commit_failure_ = absl::OkStatus();
  return failure;
}

void GroupCommitWriter::RunCommitter() {
  for (;;) {
    std::shared_ptr<StagedGroup> staged;
    {
      std::unique_lock<std::mutex> lock(commit_mu_);
      commit_cv_.wait(lock, [&] { return handed_ != nullptr || committer_stop_; });
      if (handed_ == nullptr) return;
      staged = std::move(handed_);
      handed_ = nullptr;
    }
    absl::Status written = CommitStaged(*staged);
    staged.reset();
    {
      std::lock_guard<std::mutex> lock(commit_mu_);
      committing_ = false;
      if (!written.ok()) commit_failure_ = std::move(written);
    }
    commit_cv_.notify_all();
  }
}

namespace {

// Answers each caller of `group` with its result; after a durable write,
// successful ones carry the log's size.
template <typename Group>
void Answer(Group& group, std::vector<absl::StatusOr<AppendResponse>>& results,
            uint64_t log_size) {
  for (size_t i = 0; i < group.size(); ++i) {
    if (results[i].ok()) results[i]->set_log_size(log_size);
    std::unique_ptr<std::remove_pointer_t<typename Group::value_type>> p(group[i]);
    p->done(std::move(results[i]));
  }
}

// Replaces every successful result: the group was not (or may not have
// been) written.
void RefuseAll(std::vector<absl::StatusOr<AppendResponse>>& results,
               const std::string& message) {
  // One status of its own per caller: a Status shares its message between
  // copies through a reference count, and these go to other threads.
  for (auto& r : results) {
    if (r.ok()) r = absl::UnavailableError(message);
  }
}

}  // namespace

absl::Status GroupCommitWriter::CommitStaged(StagedGroup& staged) {
  absl::Status written = store_->Write(staged.batch, /*sync=*/true);
  if (!written.ok()) {
    RefuseAll(staged.results,
              absl::StrCat("storage write failed; the append was not acknowledged (it may "
                           "or may not be recorded); retry with the same event ids: ",
                           written.message()));
    Answer(staged.group, staged.results, 0);
    return written;
  }
  store_->KeepTreeNodes(staged.state.stored_nodes);
  if (options_.signer != nullptr) {
    std::lock_guard<std::mutex> lock(checkpoint_mu_);
    checkpoint_ = {staged.head.size, std::move(staged.note)};
  }
  {
    std::lock_guard<std::mutex> lock(growth_mu_);
    committed_size_.store(staged.head.size);
  }
  growth_cv_.notify_all();
  {
    // Callers in this group, and those queued meanwhile, are the load: the
    // stager waits for as many before it takes the next group.
    std::lock_guard<std::mutex> lock(queue_mu_);
    fill_target_ = staged.group.size() + queue_.size();
  }
  Answer(staged.group, staged.results, staged.head.size);
  return absl::OkStatus();
}

rocksdb::WriteBatch* GroupCommitWriter::NextBatch() {
  // Group k stages into batches_[k % 2]. Group k-2's batch is free by now:
  // group k-1 was handed to the committer (or refused) only after k-2's
  // write had finished (WaitForCommitterIdle).
  rocksdb::WriteBatch& batch = batches_[next_batch_];
  next_batch_ ^= 1;
  if (batch.Data().capacity() > kBatchBufferKeep) {
    batch = rocksdb::WriteBatch();  // let an unusually large buffer go
  } else {
    batch.Clear();
  }
  return &batch;
}

void GroupCommitWriter::StageGroup(std::deque<Pending*>& group) {
  if (!failure_.ok()) {
    // Storage failed before (a full disk, an I/O error): try to recover
    // first; until it does, every append fails and nothing is acknowledged.
    WaitForCommitterIdle().IgnoreError();
    if (absl::Status recovered = Recover(); !recovered.ok()) {
      const std::string refused = absl::StrCat(
          "storage is failing; nothing was recorded; retry later with the same event ids (",
          failure_.message(), "; recovery: ", recovered.message(), ")");
      for (Pending* p : group) {
        std::unique_ptr<Pending> owned(p);
        owned->done(absl::UnavailableError(refused));
      }
      return;
    }
    failure_ = absl::OkStatus();
  }
  auto staged = std::make_shared<StagedGroup>();
  staged->batch = NextBatch();
  staged->group.swap(group);
  GroupState& fresh = staged->state;
  fresh.next_sequence = head_.size;
  fresh.last_hash = head_.last_leaf_hash;
  fresh.tree = tree_;
  fresh.last_recorded = last_recorded_;
  fresh.parent = in_flight_ ? &in_flight_->state : nullptr;
  fresh.batch = staged->batch;
  staged->results.reserve(staged->group.size());
  size_t events = 0;
  for (const Pending* p : staged->group) events += static_cast<size_t>(p->request->events_size());
  fresh.event_ids.reserve(events);
  for (Pending* p : staged->group) {
    staged->results.push_back(Stage(*p, staged->state, *staged->batch));
  }
  GroupState& state = staged->state;
  const bool writes = state.next_sequence != head_.size;
  absl::Status signed_ok = absl::OkStatus();
  if (writes) {
    staged->head = LogHead{state.next_sequence, state.last_hash};
    staged->batch->Put(store_->meta(), std::string(kMetaHeadKey), EncodeLogHead(staged->head));
    if (options_.signer != nullptr) {
      signed_ok = SignCheckpoint(state.tree, &staged->note);
      if (signed_ok.ok()) {
        staged->batch->Put(store_->meta(), std::string(kMetaCheckpointKey), staged->note);
      }
    }
  }

  // The group in flight must be durable before this one, built on it, is
  // handed on or answered.
  if (absl::Status previous = WaitForCommitterIdle(); !previous.ok()) {
    failure_ = previous;
    RefuseAll(staged->results,
              absl::StrCat("storage write failed; nothing of this append was recorded; retry "
                           "with the same event ids: ",
                           previous.message()));
    // Errors found in checks against the failed group are not to be
    // trusted either: refuse those too.
    for (auto& r : staged->results) {
      if (r.status().code() != absl::StatusCode::kUnavailable) {
        r = absl::UnavailableError(absl::StrCat(
            "storage write failed before this append was checked; retry: ",
            previous.message()));
      }
    }
    Answer(staged->group, staged->results, 0);
    in_flight_.reset();
    return;
  }
  state.parent = nullptr;  // what it pointed at is durable now
  if (!signed_ok.ok()) {
    RefuseAll(staged->results,
              absl::StrCat("cannot sign the checkpoint; nothing was recorded; retry: ",
                           signed_ok.message()));
    Answer(staged->group, staged->results, 0);
    in_flight_.reset();
    return;
  }
  if (!writes) {
    // Only refusals and retries of durable appends: nothing to write.
    Answer(staged->group, staged->results, head_.size);
    in_flight_.reset();
    return;
  }
  head_ = staged->head;
  tree_ = state.tree;
  last_recorded_ = state.last_recorded;
  if (stream_version_cache_.size() + state.stream_versions.size() > kStreamVersionCacheLimit) {
    stream_version_cache_.clear();
  }
  for (const auto& [stream, version] : state.stream_versions) {
    stream_version_cache_[stream] = version;
  }
  in_flight_ = staged;
  {
    std::lock_guard<std::mutex> lock(commit_mu_);
    handed_ = std::move(staged);
    committing_ = true;
  }
  commit_cv_.notify_all();
}

absl::StatusOr<AppendResponse> GroupCommitWriter::Stage(
    const Pending& p, GroupState& state, rocksdb::WriteBatch& batch) {
  const AppendRequest& req = *p.request;
  const std::string& stream = req.stream();
  const int n = req.events_size();

  // Idempotency first: a retry of a committed append must succeed even
  // though its expected version no longer holds.
  // Ids staged in this group or the one in flight, then the rest from the
  // store in one lookup.
  std::vector<std::optional<EventIdRecord>>& records = records_scratch_;
  records.assign(n, std::nullopt);
  // The content digests of the staged ones (a stored one's is read from
  // its entry when needed: only retries get that far).
  std::vector<std::optional<Hash>>& staged_digests = digests_scratch_;
  staged_digests.assign(n, std::nullopt);
  std::vector<std::string_view>& unstaged = ids_scratch_;
  std::vector<int>& unstaged_index = index_scratch_;
  unstaged.clear();
  unstaged_index.clear();
  for (int i = 0; i < n; ++i) {
    const std::string& id = req.events(i).event_id();
    if (const std::optional<GroupState::Found> staged = state.FindEventId(id);
        staged.has_value()) {
      records[i] = staged->record;
      StoredEntryView view;
      if (absl::Status read = view.Read(staged->entry); !read.ok()) {
        // The stager serialised these bytes itself.
        return absl::InternalError(absl::StrCat("staged entry does not parse: ", read.message()));
      }
      staged_digests[i] = EventContentDigest(view.content());
    } else {
      unstaged.push_back(id);
      unstaged_index.push_back(i);
    }
  }
  // Ids found in the store (a retry): their entries' digests, in request
  // order, the entries read in one lookup.
  std::vector<absl::StatusOr<Hash>> stored_digests;
  if (!unstaged.empty()) {
    std::vector<std::optional<EventIdRecord>>& stored = stored_scratch_;
    RETURN_IF_ERROR(store_->LookupEventIds(unstaged, &stored));
    std::vector<std::string_view> ids;
    std::vector<EventIdRecord> recs;
    for (size_t k = 0; k < unstaged.size(); ++k) {
      records[unstaged_index[k]] = stored[k];
      if (stored[k].has_value()) {
        ids.push_back(unstaged[k]);
        recs.push_back(*stored[k]);
      }
    }
    if (!recs.empty()) store_->RecordedContentDigests(ids, recs, &stored_digests);
  }
  std::vector<EventIdRecord> found;
  int first_new = -1;
  size_t next_stored = 0;
  for (int i = 0; i < n; ++i) {
    const auto& e = req.events(i);
    const std::optional<EventIdRecord>& rec = records[i];
    if (!rec.has_value()) {
      if (first_new < 0) first_new = i;
      continue;
    }
    Hash recorded;
    if (staged_digests[i].has_value()) {
      recorded = *staged_digests[i];
    } else {
      ASSIGN_OR_RETURN(recorded, std::move(stored_digests[next_stored]));
      ++next_stored;
    }
    if (recorded != EventContentDigest(stream, e)) {
      return absl::AlreadyExistsError(absl::StrCat(
          "events[", i, "].event_id: '", e.event_id(),
          "' was already recorded at sequence ", rec->sequence,
          " with different content"));
    }
    found.push_back(*rec);
  }
  if (!found.empty()) {
    if (first_new >= 0) {
      return absl::AlreadyExistsError(absl::StrCat(
          "events[", first_new, "].event_id: '", req.events(first_new).event_id(),
          "' is new but other events of this request were already recorded "
          "(first at sequence ", found[0].sequence,
          "); resend the original request unchanged or use new event ids"));
    }
    AppendResponse resp;
    resp.set_duplicate(true);
    for (int i = 0; i < n; ++i) {
      auto* out = resp.add_events();
      out->set_sequence(found[i].sequence);
      out->set_stream_version(found[i].stream_version);
      out->set_event_id(req.events(i).event_id());
    }
    return resp;
  }

  uint64_t current;
  if (auto it = state.stream_versions.find(stream);
      it != state.stream_versions.end()) {
    current = it->second;
  } else if (auto cached = stream_version_cache_.find(stream);
             cached != stream_version_cache_.end()) {
    current = cached->second;
  } else {
    ASSIGN_OR_RETURN(current, store_->StreamVersion(stream));
  }
  RETURN_IF_ERROR(CheckExpectedVersion(req, current));

  absl::Time recorded = std::max(options_.clock(), state.last_recorded);
  // Reused from request to request, so that their buffers are too.
  std::vector<Entry>& entries = entries_scratch_;
  entries.resize(n);
  std::vector<std::string>& bytes = bytes_scratch_;
  if (bytes.size() < static_cast<size_t>(n)) bytes.resize(n);
  std::vector<Hash> leaves(n);
  Hash prev = state.last_hash;
  for (int i = 0; i < n; ++i) {
    const auto& in = req.events(i);
    Entry& e = entries[i];
    e.Clear();
    e.set_sequence(state.next_sequence + i);
    e.set_stream(stream);
    e.set_stream_version(current + 1 + i);
    e.set_event_id(in.event_id());
    *e.mutable_payload() = in.payload();
    if (in.has_occurred_at()) *e.mutable_occurred_at() = in.occurred_at();
    SetTimestamp(recorded, e.mutable_recorded_at());
    e.set_actor(p.actor);
    e.set_prev_hash(AsBytes(prev).data(), prev.size());
    e.set_correlation_id(in.correlation_id());
    e.set_causation_id(in.causation_id());
    SerializeEntryTo(e, &bytes[i]);
    leaves[i] = LeafHash(bytes[i]);
    prev = leaves[i];
  }

  std::vector<Entry>* staged = nullptr;
  if (options_.validator != nullptr) {
    const bool needs_history = options_.validator->NeedsHistory(stream);
    if (needs_history) {
      auto [slot, first_in_group] = state.staged_by_stream.try_emplace(stream);
      staged = &slot->second.entries;
      if (first_in_group && state.parent != nullptr) {
        // The in-flight group's own entries of this stream may not be
        // durable yet (what it inherited from the group before it is).
        if (auto it = state.parent->staged_by_stream.find(stream);
            it != state.parent->staged_by_stream.end()) {
          const auto& theirs = it->second.entries;
          staged->assign(theirs.begin() + static_cast<std::ptrdiff_t>(it->second.inherited),
                         theirs.end());
          slot->second.inherited = staged->size();
        }
      }
    }
    GroupStreamHistory history(store_, stream, needs_history,
                               needs_history ? current - staged->size() : 0, staged);
    ProposedAppend proposal{stream, current, &entries};
    RETURN_IF_ERROR(options_.validator->Validate(proposal, history));
  }

  AppendResponse resp;
  // Keys and values built in buffers reused from event to event.
  std::string& stream_key = stream_key_scratch_;
  std::string& value = value_scratch_;
  for (int i = 0; i < n; ++i) {
    const Entry& e = entries[i];
    const EventIdRecord rec{e.sequence(), e.stream_version()};
    batch.Put(store_->entries(), EntryKey(e.sequence()), bytes[i]);
    // A record in a write batch ends with its value.
    const size_t entry_offset = batch.GetDataSize() - bytes[i].size();
    stream_key.clear();
    AppendStreamIndexKey(&stream_key, stream, e.stream_version());
    value.clear();
    AppendBigEndian64(&value, e.sequence());
    batch.Put(store_->streams(), stream_key, value);
    value.clear();
    AppendEventIdRecord(&value, rec);
    batch.Put(store_->event_ids(), e.event_id(), value);
    state.tree.Append(leaves[i], [&](int level, uint64_t index, const Hash& h) {
      store_->PutNode(&batch, level, index, h);
      if (level >= kLowestStoredNodeLevel) state.stored_nodes.push_back({level, index, h});
    });
    const std::string_view id = state.arena.Copy(e.event_id());
    state.event_ids[absl::string_view(id.data(), id.size())] = {rec, entry_offset,
                                                              bytes[i].size()};
    auto* out = resp.add_events();
    out->set_sequence(e.sequence());
    out->set_stream_version(e.stream_version());
    out->set_event_id(e.event_id());
  }
  state.stream_versions[stream] = current + n;
  state.next_sequence += n;
  state.last_hash = prev;
  state.last_recorded = recorded;
  if (staged != nullptr) {
    for (Entry& e : entries) staged->push_back(std::move(e));
  }
  return resp;
}

}  // namespace ledger

// ledger-microbench: Google Benchmark micro-benchmarks of the ledger's
// hashing, tree and proof code, entry encoding, and the involvement fold
// and views. Proof generation reads a real RocksDB store holding the tree
// nodes of LEDGER_BENCH_TREE_SIZE leaves (default 1,000,000), built once in
// a temporary directory and removed at exit: one read per node, and (the
// *Batched ones, as the server does) one batch per proof. The fold and the
// views run over the demo organisation's events (tools/demo_organisation.h,
// the history ledger-demo appends; LEDGER_BENCH_DEMO_YEARS years, default
// 2), turned into the entries the server would store. The retry benches
// append 200 requests of 1,000 events through the real writer into another
// temporary store, then resend them whole.
//
//   build/bin/ledger-microbench [--benchmark_filter=REGEX] [...]
#include <stdlib.h>

#include <benchmark/benchmark.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/wrappers.pb.h"
#include "ledger/entry.h"
#include "ledger/group_commit_writer.h"
#include "ledger/hash.h"
#include "ledger/keys.h"
#include "ledger/merkle.h"
#include "ledger/store.h"
#include "ledger/stored_proofs.h"
#include "projections/civil_date.h"
#include "projections/domain_fold.h"
#include "projections/indicator_views.h"
#include "projections/policy.h"
#include "projections/views.h"
#include "tools/demo_organisation.h"

namespace ledger {
namespace {

uint64_t TreeSize() {
  const char* env = std::getenv("LEDGER_BENCH_TREE_SIZE");
  return env != nullptr ? std::strtoull(env, nullptr, 10) : 1000000;
}

// A store with the tree of TreeSize() leaves: stand-in entries (the bytes
// "leaf I", which is all a proof reads of an entry: the low levels of the
// tree are hashed from them) and the stored nodes, and the roots at a few
// sizes for the verification benches.
class TreeFixture {
 public:
  static TreeFixture& Get() {
    static TreeFixture fixture;  // destroyed at exit, removing its files
    return fixture;
  }
  const LedgerStore& store() const { return *store_; }
  uint64_t size() const { return size_; }
  SubtreeReader Reader() const {
    return [this](int level, uint64_t index) { return store_->GetNode(level, index); };
  }
  Hash LeafAt(uint64_t i) const { return LeafHash(absl::StrCat("leaf ", i)); }
  const Hash& root() const { return root_; }
  ~TreeFixture() {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

 private:
  TreeFixture() : size_(TreeSize()) {
    std::string tmpl = "/tmp/ledger-microbench.XXXXXX";
    dir_ = mkdtemp(tmpl.data());
    std::fprintf(stderr, "building a tree of %llu leaves in %s ...\n",
                 static_cast<unsigned long long>(size_), dir_.c_str());
    store_ = *LedgerStore::Open(dir_ + "/db", LedgerStore::Mode::kReadWrite);
    CompactRange tree;
    rocksdb::WriteBatch batch;
    for (uint64_t i = 0; i < size_; ++i) {
      batch.Put(store_->entries(), EntryKey(i), absl::StrCat("leaf ", i));
      tree.Append(LeafAt(i), [&](int level, uint64_t index, const Hash& h) {
        store_->PutNode(&batch, level, index, h);
      });
      if (batch.Count() > 100000) {
        (void)store_->Write(&batch, false);
        batch.Clear();
      }
    }
    (void)store_->Write(&batch, true);
    root_ = tree.Root();
    store_->db()->CompactRange(rocksdb::CompactRangeOptions(), store_->nodes(),
                               nullptr, nullptr);
    store_->db()->CompactRange(rocksdb::CompactRangeOptions(), store_->entries(),
                               nullptr, nullptr);
  }

  uint64_t size_;
  std::string dir_;
  std::unique_ptr<LedgerStore> store_;
  Hash root_;
};

void BM_LeafHash300Bytes(benchmark::State& state) {
  const std::string entry(300, 'x');
  for (auto _ : state) benchmark::DoNotOptimize(LeafHash(entry));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LeafHash300Bytes);

void BM_TreeAppend(benchmark::State& state) {
  CompactRange tree;
  const Hash leaf = LeafHash("leaf");
  int nodes = 0;
  for (auto _ : state) {
    tree.Append(leaf, [&nodes](int, uint64_t, const Hash&) { ++nodes; });
  }
  benchmark::DoNotOptimize(nodes);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TreeAppend);

// An entry as the server stores it: a 300-byte payload and every envelope
// field set.
v1::Entry SampleEntry() {
  v1::Entry e;
  e.set_sequence(123456);
  e.set_stream("recommendation/R-2026-014");
  e.set_stream_version(3);
  e.set_event_id("evt-0001-aaaa-bbbb-cccc");
  e.mutable_payload()->set_type_url("type.googleapis.com/google.protobuf.BytesValue");
  e.mutable_payload()->set_value(std::string(300, 'p'));
  e.mutable_occurred_at()->set_seconds(1767225600);
  e.mutable_recorded_at()->set_seconds(1767225601);
  e.mutable_recorded_at()->set_nanos(123456789);
  e.set_actor("anonymous");
  e.set_prev_hash(std::string(32, '\1'));
  return e;
}

void BM_EntrySerialize(benchmark::State& state) {
  const v1::Entry e = SampleEntry();
  for (auto _ : state) benchmark::DoNotOptimize(SerializeEntry(e));
  state.SetItemsProcessed(state.iterations());
  state.counters["entry_bytes"] = static_cast<double>(SerializeEntry(e).size());
}
BENCHMARK(BM_EntrySerialize);

// Parsing includes the check that the bytes are canonical (a second
// serialization and a compare).
void BM_ParseStoredEntry(benchmark::State& state) {
  const std::string bytes = SerializeEntry(SampleEntry());
  for (auto _ : state) benchmark::DoNotOptimize(ParseStoredEntry(bytes));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseStoredEntry);

void BM_EntrySerializeAndParse(benchmark::State& state) {
  const v1::Entry e = SampleEntry();
  for (auto _ : state) {
    std::string bytes = SerializeEntry(e);
    benchmark::DoNotOptimize(ParseStoredEntry(bytes));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EntrySerializeAndParse);

// Serialize, hash and parse: what an append and a verification each cost
// per entry besides I/O.
void BM_EntryLeafHash(benchmark::State& state) {
  const std::string bytes = SerializeEntry(SampleEntry());
  for (auto _ : state) benchmark::DoNotOptimize(LeafHash(bytes));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EntryLeafHash);

// Times `proof(fixture, rng)`, a proof of random leaves or sizes of the
// fixture's tree.
template <typename Proof>
void ProofBenchmark(benchmark::State& state, uint64_t seed, Proof proof) {
  const TreeFixture& f = TreeFixture::Get();
  std::mt19937_64 rng(seed);
  for (auto _ : state) benchmark::DoNotOptimize(proof(f, rng));
  state.counters["tree_size"] = static_cast<double>(f.size());
}

void BM_InclusionProofFromStore(benchmark::State& state) {
  ProofBenchmark(state, 1, [](const TreeFixture& f, std::mt19937_64& rng) {
    return InclusionProof(rng() % f.size(), f.size(), f.Reader());
  });
}
BENCHMARK(BM_InclusionProofFromStore)->Unit(benchmark::kMicrosecond);

void BM_ConsistencyProofFromStore(benchmark::State& state) {
  ProofBenchmark(state, 2, [](const TreeFixture& f, std::mt19937_64& rng) {
    return ConsistencyProof(1 + rng() % (f.size() - 1), f.size(), f.Reader());
  });
}
BENCHMARK(BM_ConsistencyProofFromStore)->Unit(benchmark::kMicrosecond);

// As the server answers them: each proof's nodes read in one MultiGet.
void BM_InclusionProofFromStoreBatched(benchmark::State& state) {
  ProofBenchmark(state, 1, [](const TreeFixture& f, std::mt19937_64& rng) {
    return StoredInclusionProof(f.store(), rng() % f.size(), f.size());
  });
}
BENCHMARK(BM_InclusionProofFromStoreBatched)->Unit(benchmark::kMicrosecond);

void BM_ConsistencyProofFromStoreBatched(benchmark::State& state) {
  ProofBenchmark(state, 2, [](const TreeFixture& f, std::mt19937_64& rng) {
    return StoredConsistencyProof(f.store(), 1 + rng() % (f.size() - 1), f.size());
  });
}
BENCHMARK(BM_ConsistencyProofFromStoreBatched)->Unit(benchmark::kMicrosecond);

void BM_VerifyInclusion(benchmark::State& state) {
  const TreeFixture& f = TreeFixture::Get();
  const uint64_t index = f.size() / 3;
  const std::vector<std::string> proof =
      ProofBytes(*InclusionProof(index, f.size(), f.Reader()));
  const Hash leaf = f.LeafAt(index);
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        VerifyInclusion(AsBytes(leaf), index, f.size(), AsBytes(f.root()), proof));
  }
  state.counters["tree_size"] = static_cast<double>(f.size());
}
BENCHMARK(BM_VerifyInclusion)->Unit(benchmark::kMicrosecond);

void BM_VerifyConsistency(benchmark::State& state) {
  const TreeFixture& f = TreeFixture::Get();
  const uint64_t size1 = f.size() / 3 + 7;
  const Hash root1 = *RangeHash(0, size1, f.Reader());
  const std::vector<std::string> proof =
      ProofBytes(*ConsistencyProof(size1, f.size(), f.Reader()));
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        VerifyConsistency(size1, f.size(), AsBytes(root1), AsBytes(f.root()), proof));
  }
  state.counters["tree_size"] = static_cast<double>(f.size());
}
BENCHMARK(BM_VerifyConsistency)->Unit(benchmark::kMicrosecond);

// A ledger of kRetryRequests appends of kRetryBatch events each (300-byte
// payloads), written through the real writer, for retries: a client that
// timed out resends its whole request, and each of its event ids is then
// checked against the entry its record points to.
constexpr int kRetryRequests = 200;
constexpr int kRetryBatch = 1000;

class RetryFixture {
 public:
  static RetryFixture& Get() {
    static RetryFixture fixture;  // destroyed at exit, removing its files
    return fixture;
  }
  GroupCommitWriter& writer() { return *writer_; }
  const LedgerStore& store() const { return *store_; }
  const v1::AppendRequest& request(int i) const { return requests_[i]; }
  ~RetryFixture() {
    writer_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

 private:
  RetryFixture() {
    std::string tmpl = "/tmp/ledger-microbench.XXXXXX";
    dir_ = mkdtemp(tmpl.data());
    std::fprintf(stderr, "appending %d x %d events in %s ...\n", kRetryRequests, kRetryBatch,
                 dir_.c_str());
    store_ = *LedgerStore::Open(dir_ + "/db", LedgerStore::Mode::kReadWrite);
    writer_ = *GroupCommitWriter::Start(store_.get(), GroupCommitWriter::Options{});
    std::mt19937_64 rng(3);
    for (int r = 0; r < kRetryRequests; ++r) {
      v1::AppendRequest req;
      req.set_stream(absl::StrCat("stream-", r % 16));
      for (int i = 0; i < kRetryBatch; ++i) {
        v1::EventData* e = req.add_events();
        e->set_event_id(absl::StrCat("evt-", r, "-", i));
        std::string payload(300, '\0');
        for (char& c : payload) c = static_cast<char>(rng());
        google::protobuf::BytesValue value;
        value.set_value(payload);
        e->mutable_payload()->PackFrom(value);
      }
      if (!writer_->Append(req, "bench").ok()) std::abort();
      requests_.push_back(std::move(req));
    }
    // Retried requests are read from tables, as an older one would be.
    rocksdb::FlushOptions flush;
    flush.wait = true;
    for (rocksdb::ColumnFamilyHandle* family : {store_->entries(), store_->event_ids()}) {
      if (!store_->db()->Flush(flush, family).ok()) std::abort();
    }
  }

  std::string dir_;
  std::unique_ptr<LedgerStore> store_;
  std::unique_ptr<GroupCommitWriter> writer_;
  std::vector<v1::AppendRequest> requests_;
};

// A retry of a whole stored request of kRetryBatch events through the
// writer: every id looked up, every entry read and compared (real time:
// the work is on the writer's thread).
void BM_RetryOfStoredRequest(benchmark::State& state) {
  RetryFixture& f = RetryFixture::Get();
  std::mt19937_64 rng(4);
  for (auto _ : state) {
    absl::StatusOr<v1::AppendResponse> r =
        f.writer().Append(f.request(static_cast<int>(rng() % kRetryRequests)), "bench");
    if (!r.ok() || !r->duplicate()) state.SkipWithError("the retry was not a duplicate");
  }
  state.SetItemsProcessed(state.iterations() * kRetryBatch);
}
BENCHMARK(BM_RetryOfStoredRequest)->UseRealTime()->Unit(benchmark::kMicrosecond);

// The step of a retry that reads the stored entries: one point read per
// event (Arg 0) or one MultiGet for the request (Arg 1, as the writer does).
void BM_RecordedContentDigests(benchmark::State& state) {
  RetryFixture& f = RetryFixture::Get();
  const bool batched = state.range(0) == 1;
  std::mt19937_64 rng(5);
  std::vector<std::string_view> ids;
  std::vector<EventIdRecord> recs;
  std::vector<absl::StatusOr<Hash>> digests;
  for (auto _ : state) {
    const v1::AppendRequest& req = f.request(static_cast<int>(rng() % kRetryRequests));
    ids.clear();
    for (const v1::EventData& e : req.events()) ids.push_back(e.event_id());
    std::vector<std::optional<EventIdRecord>> found;
    if (!f.store().LookupEventIds(ids, &found).ok()) std::abort();
    recs.clear();
    for (const auto& rec : found) recs.push_back(*rec);
    if (batched) {
      f.store().RecordedContentDigests(ids, recs, &digests);
      benchmark::DoNotOptimize(digests);
    } else {
      for (size_t i = 0; i < ids.size(); ++i) {
        benchmark::DoNotOptimize(f.store().RecordedContentDigest(ids[i], recs[i]));
      }
    }
  }
  state.SetItemsProcessed(state.iterations() * kRetryBatch);
}
BENCHMARK(BM_RecordedContentDigests)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

// The demo organisation's history as stored entries (sequence, stream
// version, ids, payloads, times), its stream index for corrections, and
// the state folded from it, built once.
class DemoFixture {
 public:
  static DemoFixture& Get() {
    static DemoFixture fixture;
    return fixture;
  }
  const std::vector<v1::Entry>& entries() const { return entries_; }
  uint64_t domain_events() const { return entries_.size(); }
  const involvement::v1::DomainState& state() const { return state_; }
  const involvement::ViewQuery& query() const { return query_; }
  const involvement::Policy& policy() const { return policy_; }
  involvement::StreamReader Reader() const {
    return [this](const std::string& stream,
                  const std::function<absl::Status(const v1::Entry&)>& visit) {
      auto it = by_stream_.find(stream);
      if (it == by_stream_.end()) return absl::OkStatus();
      for (uint64_t seq : it->second) {
        if (absl::Status s = visit(entries_[seq]); !s.ok()) return s;
      }
      return absl::OkStatus();
    };
  }

 private:
  DemoFixture() {
    demo::DemoOptions options;
    if (const char* env = std::getenv("LEDGER_BENCH_DEMO_YEARS")) {
      options.years = std::max(1, std::min(10, std::atoi(env)));
    }
    const demo::DemoHistory history = demo::BuildDemoHistory(options);
    std::map<std::string, uint64_t> versions;
    for (const v1::AppendRequest& request : history.appends) {
      for (const v1::EventData& event : request.events()) {
        v1::Entry& e = entries_.emplace_back();
        e.set_sequence(entries_.size() - 1);
        e.set_stream(request.stream());
        e.set_stream_version(++versions[request.stream()]);
        e.set_event_id(event.event_id());
        *e.mutable_payload() = event.payload();
        *e.mutable_occurred_at() = event.occurred_at();
        e.mutable_recorded_at()->set_seconds(1767225600 + e.sequence());
        e.set_actor("bench");
        e.set_prev_hash(std::string(32, '\0'));
        by_stream_[e.stream()].push_back(e.sequence());
      }
    }
    std::fprintf(stderr, "demo organisation: %zu events over %d years\n", entries_.size(),
                 options.years);
    for (const v1::Entry& e : entries_) {
      if (absl::Status s = involvement::FoldEntry(e, state_, Reader()); !s.ok()) {
        std::fprintf(stderr, "folding the demo failed: %s\n", s.ToString().c_str());
        std::abort();
      }
    }
    query_.as_of = *involvement::CivilDate::FromYmd(history.end.year(), history.end.month(),
                                                    history.end.day());
  }

  std::vector<v1::Entry> entries_;
  std::map<std::string, std::vector<uint64_t>> by_stream_;
  involvement::v1::DomainState state_;
  involvement::ViewQuery query_;
  involvement::Policy policy_;
};

// The view rebuild: every demo event folded into a fresh state.
void BM_FoldDemoEvents(benchmark::State& state) {
  const DemoFixture& f = DemoFixture::Get();
  const involvement::StreamReader reader = f.Reader();
  for (auto _ : state) {
    involvement::v1::DomainState s;
    for (const v1::Entry& e : f.entries()) {
      if (absl::Status st = involvement::FoldEntry(e, s, reader); !st.ok()) {
        state.SkipWithError(st.ToString().c_str());
        return;
      }
    }
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(f.entries().size()));
  state.counters["events"] = static_cast<double>(f.entries().size());
}
BENCHMARK(BM_FoldDemoEvents)->Unit(benchmark::kMillisecond);

// The same, from the stored bytes: parse (with its canonical check) and
// fold, as the server's projection runner does when it rebuilds.
void BM_ParseAndFoldDemoEvents(benchmark::State& state) {
  const DemoFixture& f = DemoFixture::Get();
  const involvement::StreamReader reader = f.Reader();
  std::vector<std::string> stored;
  for (const v1::Entry& e : f.entries()) stored.push_back(SerializeEntry(e));
  v1::Entry e;  // reused, as ledgerd's projection does
  for (auto _ : state) {
    involvement::v1::DomainState s;
    for (const std::string& bytes : stored) {
      absl::Status st = ParseStoredEntryInto(bytes, &e);
      if (st.ok()) st = involvement::FoldEntry(e, s, reader);
      if (!st.ok()) {
        state.SkipWithError(st.ToString().c_str());
        return;
      }
    }
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(stored.size()));
}
BENCHMARK(BM_ParseAndFoldDemoEvents)->Unit(benchmark::kMillisecond);

// Each view computed from the folded demo state, as of the demo's last day.
template <typename Compute>
void RunView(benchmark::State& state, Compute compute) {
  const DemoFixture& f = DemoFixture::Get();
  for (auto _ : state) benchmark::DoNotOptimize(compute(f));
  state.counters["state_bytes"] = static_cast<double>(f.state().ByteSizeLong());
}

void BM_RecommendationsView(benchmark::State& state) {
  RunView(state, [](const DemoFixture& f) {
    return involvement::RecommendationsViewOf(f.state(), f.query(), f.policy());
  });
}
BENCHMARK(BM_RecommendationsView)->Unit(benchmark::kMicrosecond);

void BM_YouSaidWeDidView(benchmark::State& state) {
  RunView(state, [](const DemoFixture& f) {
    return involvement::YouSaidWeDidViewOf(f.state(), f.query(), f.policy());
  });
}
BENCHMARK(BM_YouSaidWeDidView)->Unit(benchmark::kMicrosecond);

void BM_BodiesView(benchmark::State& state) {
  RunView(state, [](const DemoFixture& f) {
    return involvement::BodiesViewOf(f.state(), f.query(), f.policy());
  });
}
BENCHMARK(BM_BodiesView)->Unit(benchmark::kMicrosecond);

void BM_ComplaintsView(benchmark::State& state) {
  RunView(state, [](const DemoFixture& f) {
    return involvement::ComplaintsViewOf(f.state(), f.query(), f.policy());
  });
}
BENCHMARK(BM_ComplaintsView)->Unit(benchmark::kMicrosecond);

void BM_ComplianceView(benchmark::State& state) {
  RunView(state, [](const DemoFixture& f) {
    return involvement::ComplianceViewOf(f.state(), f.query(), f.policy());
  });
}
BENCHMARK(BM_ComplianceView)->Unit(benchmark::kMicrosecond);

void BM_RecruitmentView(benchmark::State& state) {
  RunView(state, [](const DemoFixture& f) {
    return involvement::RecruitmentViewOf(f.state(), f.query());
  });
}
BENCHMARK(BM_RecruitmentView)->Unit(benchmark::kMicrosecond);

void BM_IndicatorsView(benchmark::State& state) {
  RunView(state, [](const DemoFixture& f) {
    return involvement::IndicatorsViewOf(f.state(), f.query(), 0);
  });
}
BENCHMARK(BM_IndicatorsView)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace ledger

BENCHMARK_MAIN();

// ledger-microbench: Google Benchmark micro-benchmarks of the ledger's
// hashing, tree and proof code. Proof generation reads a real RocksDB
// store holding the tree nodes of LEDGER_BENCH_TREE_SIZE leaves (default
// 1,000,000), built once in a temporary directory and removed at exit.
//
//   build/bin/ledger-microbench [--benchmark_filter=REGEX] [...]
#include <stdlib.h>

#include <benchmark/benchmark.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ledger/entry.h"
#include "ledger/hash.h"
#include "ledger/keys.h"
#include "ledger/merkle.h"
#include "ledger/store.h"

namespace ledger {
namespace {

uint64_t TreeSize() {
  const char* env = std::getenv("LEDGER_BENCH_TREE_SIZE");
  return env != nullptr ? std::strtoull(env, nullptr, 10) : 1000000;
}

// A store with the tree nodes of TreeSize() leaves (no entries: proofs read
// only nodes), and the roots at a few sizes for the verification benches.
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
      tree.Append(LeafAt(i), [&](int level, uint64_t index, const Hash& h) {
        batch.Put(store_->nodes(), NodeKey(level, index), AsBytes(h));
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

void BM_EntrySerializeAndParse(benchmark::State& state) {
  v1::Entry e;
  e.set_sequence(123456);
  e.set_stream("recommendation/R-2026-014");
  e.set_stream_version(3);
  e.set_event_id("evt-0001-aaaa-bbbb-cccc");
  e.mutable_payload()->set_type_url("type.googleapis.com/google.protobuf.BytesValue");
  e.mutable_payload()->set_value(std::string(300, 'p'));
  e.set_actor("anonymous");
  e.set_prev_hash(std::string(32, '\1'));
  for (auto _ : state) {
    std::string bytes = SerializeEntry(e);
    benchmark::DoNotOptimize(ParseStoredEntry(bytes));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EntrySerializeAndParse);

void BM_InclusionProofFromStore(benchmark::State& state) {
  const TreeFixture& f = TreeFixture::Get();
  std::mt19937_64 rng(1);
  for (auto _ : state) {
    benchmark::DoNotOptimize(InclusionProof(rng() % f.size(), f.size(), f.Reader()));
  }
  state.counters["tree_size"] = static_cast<double>(f.size());
}
BENCHMARK(BM_InclusionProofFromStore)->Unit(benchmark::kMicrosecond);

void BM_ConsistencyProofFromStore(benchmark::State& state) {
  const TreeFixture& f = TreeFixture::Get();
  std::mt19937_64 rng(2);
  for (auto _ : state) {
    benchmark::DoNotOptimize(ConsistencyProof(1 + rng() % (f.size() - 1), f.size(), f.Reader()));
  }
  state.counters["tree_size"] = static_cast<double>(f.size());
}
BENCHMARK(BM_ConsistencyProofFromStore)->Unit(benchmark::kMicrosecond);

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

}  // namespace
}  // namespace ledger

BENCHMARK_MAIN();

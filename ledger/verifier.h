// LedgerVerifier: the offline auditor's check of a whole database. It
// recomputes every leaf hash and the prev_hash chain, checks each entry
// against its key, its stream's version order and the recorded head, and
// checks that the stream and event-id indexes hold exactly what the entries
// imply. It reads only; it never trusts an index to find an entry.
//
// Run splits the log into chunks of consecutive entries and checks them on
// several threads (ledger/chunk_scheduler.h, ledger/entry_chunk.h), then
// links them in order on the calling thread; the report is the one a
// single in-order pass would give.
//
// Thread safety: one Run at a time per verifier.
#ifndef LEDGER_VERIFIER_H_
#define LEDGER_VERIFIER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "ledger/hash.h"
#include "ledger/store.h"

namespace ledger {

struct VerifyReport {
  uint64_t entries = 0;  // entries scanned
  bool intact = true;
  // When not intact: the first bad sequence (if one can be named) and why.
  std::optional<uint64_t> bad_sequence;
  std::string reason;
  // When intact: the tree root at each size asked for that the log reaches.
  std::map<uint64_t, Hash> roots;
  // When intact: the size of the stored checkpoint that was checked (its
  // signature against the stored verifier key, its root against the
  // rebuilt tree); nullopt when the database holds none.
  std::optional<uint64_t> checkpoint_size;
};

struct VerifierOptions {
  // Threads checking chunks; 0 means one per hardware thread, or four per
  // hardware thread when the store reads past the file cache
  // (LedgerStore::reads_direct).
  unsigned threads = 0;
  // Entries per chunk, as a power of two (0 to 30). Tests make it small so
  // that a small log spans many chunks.
  int chunk_level = 14;
};

class LedgerVerifier {
 public:
  // `store` must outlive the verifier.
  explicit LedgerVerifier(const LedgerStore* store,
                          VerifierOptions options = VerifierOptions())
      : store_(store), options_(options) {}

  // Checks the whole database: entries, chain, indexes, the stored Merkle
  // tree nodes (rebuilt from the entries and compared) and the latest
  // stored checkpoint. Returns a report (intact or not); returns an error
  // status only when the database cannot be read. `root_sizes` names tree
  // sizes whose roots the report should give. `progress`, if set, is called
  // now and then with (entries checked, entries expected).
  [[nodiscard]] absl::StatusOr<VerifyReport> Run(
      const std::function<void(uint64_t, uint64_t)>& progress = nullptr,
      const std::set<uint64_t>& root_sizes = {});

 private:
  const LedgerStore* store_;
  const VerifierOptions options_;
};

}  // namespace ledger

#endif  // LEDGER_VERIFIER_H_

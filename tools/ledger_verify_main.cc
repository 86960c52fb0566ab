// ledger-verify: the offline auditor's check of a ledger database. Opens
// RocksDB read-only (so it may run beside a live ledgerd), recomputes every
// leaf hash and the prev_hash chain, and checks the stream and event-id
// indexes against the entries.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "clients/command_line.h"
#include "ledger/signed_note.h"
#include "ledger/store.h"
#include "ledger/verifier.h"

namespace {

constexpr char kUsage[] =
    "usage: ledger-verify --db DIR [--checkpoint FILE --vkey KEYLINE]\n"
    "\n"
    "Checks a ledger database offline, without trusting the server: opens it\n"
    "read-only (safe while ledgerd is running; it checks the state on disk at\n"
    "the moment it opens), recomputes every entry's leaf hash and the\n"
    "prev_hash chain, checks sequences, stream versions and recorded_at\n"
    "order, and checks the stream and event-id indexes against the entries.\n"
    "It rebuilds the Merkle tree from the entries and compares every stored\n"
    "tree node, and checks the latest stored checkpoint: its signature\n"
    "against the verifier key stored with the log, its root against the\n"
    "rebuilt tree.\n"
    "\n"
    "  --db DIR           the database directory (as given to ledgerd --db)\n"
    "  --checkpoint FILE  a signed checkpoint the auditor kept (from\n"
    "                     ledgerctl checkpoint or ledgerctl audit): its\n"
    "                     signature must verify with --vkey, and the\n"
    "                     database's tree at its size must have its root;\n"
    "                     this catches a log truncated or rewritten since\n"
    "  --vkey KEYLINE     the log's verifier key line, as the auditor pinned\n"
    "                     it (NAME+KEYID+KEY); required with --checkpoint\n"
    "  --help             show this help\n"
    "\n"
    "Exit status: 0 intact, 1 tampered (the first bad sequence and the reason\n"
    "are printed on stderr), 2 usage error or the database cannot be read.\n"
    "A progress bar is drawn on stderr when it is a terminal.\n";

int UsageError(const std::string& problem) {
  std::cerr << "ledger-verify: " << problem << "\n\n" << kUsage;
  return 2;
}

// Redraws one line on a terminal, at most ten times a second.
class ProgressBar {
 public:
  void Update(uint64_t done, uint64_t total) {
    auto now = std::chrono::steady_clock::now();
    if (drawn_ && done < total && now - last_ < std::chrono::milliseconds(100)) {
      return;
    }
    last_ = now;
    drawn_ = true;
    constexpr int kWidth = 40;
    const double frac =
        total == 0 ? 1.0 : std::min(1.0, static_cast<double>(done) / total);
    const int filled = static_cast<int>(frac * kWidth);
    std::string bar(filled, '#');
    bar.append(kWidth - filled, '.');
    std::fprintf(stderr, "\rverifying [%s] %5.1f%% %llu/%llu entries",
                 bar.c_str(), frac * 100, static_cast<unsigned long long>(done),
                 static_cast<unsigned long long>(total));
    std::fflush(stderr);
  }
  void Finish() {
    if (drawn_) std::fputc('\n', stderr);
  }

 private:
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace

int main(int argc, char** argv) {
  ledger::CommandLine cl({"db", "checkpoint", "vkey"}, {"help"});
  if (absl::Status s = cl.Parse(argc, argv, 1); !s.ok()) {
    return UsageError(std::string(s.message()));
  }
  if (cl.Has("help")) {
    std::cout << kUsage;
    return 0;
  }
  std::optional<std::string> db = cl.Get("db");
  if (!db.has_value() || db->empty()) return UsageError("--db is required");
  if (cl.Has("checkpoint") != cl.Has("vkey")) {
    return UsageError("--checkpoint and --vkey go together");
  }

  // The auditor's own checkpoint, checked before the database is read.
  std::optional<ledger::Checkpoint> kept;
  if (cl.Has("checkpoint")) {
    absl::StatusOr<ledger::VerifierKey> key = ledger::ParseVerifierKey(*cl.Get("vkey"));
    if (!key.ok()) return UsageError(absl::StrCat("--vkey: ", key.status().message()));
    std::ifstream in(*cl.Get("checkpoint"), std::ios::binary);
    std::stringstream note;
    note << in.rdbuf();
    if (!in) {
      std::cerr << "ledger-verify: cannot read " << *cl.Get("checkpoint") << "\n";
      return 2;
    }
    absl::StatusOr<ledger::Checkpoint> c = ledger::VerifyCheckpoint(note.str(), *key);
    if (!c.ok()) {
      std::cerr << "ledger-verify: INVALID: checkpoint " << *cl.Get("checkpoint")
                << ": " << c.status().message() << "\n";
      return 1;
    }
    kept = *c;
  }

  absl::StatusOr<std::unique_ptr<ledger::LedgerStore>> store =
      ledger::LedgerStore::Open(*db, ledger::LedgerStore::Mode::kReadOnlyScan);
  if (!store.ok()) {
    std::cerr << "ledger-verify: " << store.status().message() << "\n";
    return 2;
  }

  const bool tty = isatty(STDERR_FILENO) == 1;
  ProgressBar bar;
  const auto start = std::chrono::steady_clock::now();
  ledger::LedgerVerifier verifier(store->get());
  std::set<uint64_t> sizes;
  if (kept.has_value()) sizes.insert(kept->size);
  absl::StatusOr<ledger::VerifyReport> report = verifier.Run(
      tty ? [&bar](uint64_t done, uint64_t total) { bar.Update(done, total); }
          : std::function<void(uint64_t, uint64_t)>(),
      sizes);
  bar.Finish();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  if (!report.ok()) {
    std::cerr << "ledger-verify: cannot read " << *db << ": "
              << report.status().message() << "\n";
    return 2;
  }
  if (!report->intact) {
    if (report->bad_sequence.has_value()) {
      std::cerr << "ledger-verify: TAMPERED: sequence " << *report->bad_sequence
                << ": " << report->reason << "\n";
    } else {
      std::cerr << "ledger-verify: TAMPERED: " << report->reason << "\n";
    }
    return 1;
  }
  if (kept.has_value()) {
    auto root = report->roots.find(kept->size);
    if (root == report->roots.end()) {
      std::cerr << "ledger-verify: TAMPERED: sequence " << report->entries
                << ": the auditor's checkpoint covers " << kept->size
                << " entries but the database holds only " << report->entries
                << " (the log was truncated)\n";
      return 1;
    }
    if (root->second != kept->root) {
      std::cerr << "ledger-verify: TAMPERED: the database's tree of "
                << kept->size << " entries has root "
                << ledger::HexEncode(root->second)
                << ", not the auditor's checkpoint root "
                << ledger::HexEncode(kept->root)
                << " (entries before " << kept->size << " were rewritten)\n";
      return 1;
    }
  }
  std::cout << absl::StrFormat(
      "ledger-verify: intact: %d entries; chain, indexes and Merkle tree "
      "check (%.2f s, %.0f entries/s)\n",
      report->entries, seconds,
      seconds > 0 ? static_cast<double>(report->entries) / seconds : 0.0);
  if (report->checkpoint_size.has_value()) {
    std::cout << "ledger-verify: stored checkpoint of " << *report->checkpoint_size
              << " entries is signed and matches the tree\n";
  }
  if (kept.has_value()) {
    std::cout << "ledger-verify: auditor's checkpoint of " << kept->size
              << " entries (" << kept->origin << ") matches the database\n";
  }
  return 0;
}

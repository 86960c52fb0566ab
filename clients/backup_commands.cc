// ledgerctl backup and restore: a consistent copy of a serving ledger's
// database fetched over the Backup RPC, and its offline check and restore
// into a new database directory. docs/operations.md describes both.
#include "clients/backup_commands.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "clients/cli_common.h"
#include "clients/command_line.h"
#include "clients/ledger_client.h"
#include "ledger/keys.h"
#include "ledger/store.h"
#include "ledger/verifier.h"

namespace ledger {

namespace {

namespace fs = std::filesystem;

constexpr char kBackupUsage[] =
    "usage: ledgerctl backup --out DIR\n"
    "\n"
    "Takes a consistent copy of the serving ledger's database (a RocksDB\n"
    "checkpoint, taken while appends go on; it holds whole group commits\n"
    "only) and writes it into DIR, which must not exist or be empty:\n"
    "  DIR/db/              a complete ledger database\n"
    "  DIR/checkpoint.txt   the signed checkpoint stored in the copy\n"
    "  DIR/BACKUP.txt       what it is: entries, server, time\n"
    "It is written as DIR.partial, synced, then renamed, so DIR is complete\n"
    "or absent. The signing key is not included: keep a copy of ledgerd's\n"
    "key file (DB.key) apart, as a secret. Restore with `ledgerctl restore`.\n"
    "\n"
    "Exit 0 written, 1 server or write error, 2 usage error.\n";

constexpr char kRestoreUsage[] =
    "usage: ledgerctl restore --from DIR --db NEWDB\n"
    "\n"
    "Offline: checks the backup in DIR (written by `ledgerctl backup`) as\n"
    "ledger-verify does (every entry, hash, index, tree node and the stored\n"
    "checkpoint's signature and root) and that DIR/checkpoint.txt is the\n"
    "checkpoint stored in it, then copies it to NEWDB, which must not exist\n"
    "(written as NEWDB.partial, synced, then renamed). Serve it with\n"
    "  ledgerd --db NEWDB --signing-key ORIGINAL_DB.key\n"
    "`ledgerctl audit` against the restored server then shows that it is\n"
    "consistent with every checkpoint issued before the backup.\n"
    "\n"
    "Exit 0 restored, 1 the backup does not verify or cannot be copied,\n"
    "2 usage error.\n";

// A file name the server may send: no path separators, not "." or "..".
bool SafeFileName(const std::string& name) {
  if (name.empty() || name == "." || name == ".." || name.size() > 255) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// fsyncs a file or directory; false on failure.
bool SyncPath(const fs::path& path, bool directory) {
  const int fd = open(path.c_str(), directory ? (O_RDONLY | O_DIRECTORY) : O_RDONLY);
  if (fd < 0) return false;
  const bool ok = fsync(fd) == 0;
  close(fd);
  return ok;
}

bool WriteWholeFile(const fs::path& path, const std::string& content) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << content;
  f.close();
  return static_cast<bool>(f) && SyncPath(path, false);
}

bool EmptyOrAbsent(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return true;
  return fs::is_directory(dir, ec) && fs::is_empty(dir, ec);
}

int Backup(const ServerConnection& server, int argc, char** argv, int first) {
  CommandLine cl({"server", "out"}, {"help"});
  if (absl::Status s = cl.Parse(argc, argv, first); !s.ok()) {
    return UsageError(std::string(s.message()), kBackupUsage);
  }
  if (cl.Has("help")) {
    std::cout << kBackupUsage;
    return 0;
  }
  if (!cl.Has("out")) return UsageError("--out is required", kBackupUsage);
  const fs::path out(*cl.Get("out"));
  if (out.filename().empty()) return UsageError("--out: expected a directory name", kBackupUsage);
  if (!EmptyOrAbsent(out)) {
    return UsageError(absl::StrCat("--out: ", out.string(), " exists and is not an empty directory"),
                      kBackupUsage);
  }
  const std::string address = cl.GetOr("server", server.address);
  const fs::path partial = out.string() + ".partial";
  std::error_code ec;
  fs::remove_all(partial, ec);
  const fs::path db = partial / "db";
  if (!fs::create_directories(db, ec) || ec) {
    std::cerr << "ledgerctl: backup: cannot create " << db.string() << ": " << ec.message() << "\n";
    return 1;
  }
  auto fail = [&](const std::string& why) {
    std::error_code ignored;
    fs::remove_all(partial, ignored);
    std::cerr << "ledgerctl: backup: " << why << "\n";
    return 1;
  };

  const bool progress = isatty(STDERR_FILENO) != 0;
  ClientOptions options = server.options;
  options.timeout = absl::Hours(24);  // a large database takes a while
  LedgerClient client(address, options);
  std::optional<uint64_t> tree_size;
  std::string checkpoint;
  std::set<std::string> done;
  std::string current;  // the file being written
  std::ofstream file;
  uint64_t written = 0, total = 0;
  std::string problem;
  absl::Status s = client.Backup([&](const v1::BackupChunk& c) {
    if (!tree_size.has_value()) {
      tree_size = c.tree_size();
      checkpoint = c.checkpoint();
    }
    if (!SafeFileName(c.file()) || done.count(c.file()) > 0) {
      problem = absl::StrCat("the server sent an unusable file name '", c.file(), "'");
      return false;
    }
    if (c.file() != current) {
      if (!current.empty()) {
        problem = absl::StrCat("the server started ", c.file(), " before finishing ", current);
        return false;
      }
      current = c.file();
      written = 0;
      file.open(db / current, std::ios::binary | std::ios::trunc);
      if (!file) {
        problem = absl::StrCat("cannot create ", (db / current).string());
        return false;
      }
    }
    if (c.offset() != written) {
      problem = absl::StrCat("the server sent ", c.file(), " out of order");
      return false;
    }
    file.write(c.data().data(), static_cast<std::streamsize>(c.data().size()));
    written += c.data().size();
    total += c.data().size();
    if (!file) {
      problem = absl::StrCat("cannot write ", (db / current).string(), " (disk full?)");
      return false;
    }
    if (c.last()) {
      file.close();
      if (!file || !SyncPath(db / current, false)) {
        problem = absl::StrCat("cannot write ", (db / current).string());
        return false;
      }
      done.insert(current);
      current.clear();
    }
    if (progress) {
      std::cerr << absl::StrFormat("\rbackup: %d files, %.1f MiB", done.size(),
                                   static_cast<double>(total) / (1 << 20))
                << std::flush;
    }
    return true;
  });
  if (progress) std::cerr << "\n";
  if (!problem.empty()) return fail(problem);
  if (!s.ok()) {
    std::error_code ignored;
    fs::remove_all(partial, ignored);
    return ServerError("backup", s, address);
  }
  if (!current.empty() || done.empty() || !tree_size.has_value()) {
    return fail("the server ended the backup before every file was complete");
  }
  if (!SyncPath(db, true)) return fail(absl::StrCat("cannot sync ", db.string()));
  if (!WriteWholeFile(partial / "checkpoint.txt", checkpoint)) {
    return fail("cannot write checkpoint.txt");
  }
  const std::string about = absl::StrCat(
      "Involvement Ledger backup\n", "entries: ", *tree_size, "\n", "server: ", address, "\n",
      "taken: ", absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone()), "\n",
      "files: ", done.size(), " (", total, " bytes) in db/\n",
      "restore: ledgerctl restore --from THIS_DIR --db NEWDB\n",
      "the signing key is not included\n");
  if (!WriteWholeFile(partial / "BACKUP.txt", about)) return fail("cannot write BACKUP.txt");
  if (!SyncPath(partial, true)) return fail(absl::StrCat("cannot sync ", partial.string()));
  if (fs::exists(out, ec)) fs::remove(out, ec);  // empty, checked above
  fs::rename(partial, out, ec);
  if (ec) return fail(absl::StrCat("cannot rename to ", out.string(), ": ", ec.message()));
  SyncPath(out.parent_path().empty() ? fs::path(".") : out.parent_path(), true);
  std::cerr << "backup of " << *tree_size << " entries (" << done.size() << " files, " << total
            << " bytes) in " << out.string() << "\n";
  return 0;
}

int Restore(const ServerConnection&, int argc, char** argv, int first) {
  CommandLine cl({"from", "db"}, {"help"});
  if (absl::Status s = cl.Parse(argc, argv, first); !s.ok()) {
    return UsageError(std::string(s.message()), kRestoreUsage);
  }
  if (cl.Has("help")) {
    std::cout << kRestoreUsage;
    return 0;
  }
  if (!cl.Has("from")) return UsageError("--from is required", kRestoreUsage);
  if (!cl.Has("db")) return UsageError("--db is required", kRestoreUsage);
  const fs::path from(*cl.Get("from"));
  const fs::path target(*cl.Get("db"));
  std::error_code ec;
  if (target.filename().empty()) return UsageError("--db: expected a directory name", kRestoreUsage);
  if (fs::exists(target, ec)) {
    return UsageError(absl::StrCat("--db: ", target.string(), " exists; restore makes a new database"),
                      kRestoreUsage);
  }
  const fs::path db = from / "db";
  std::ifstream note_file(from / "checkpoint.txt", std::ios::binary);
  if (!fs::is_directory(db, ec) || !note_file) {
    return UsageError(absl::StrCat(from.string(), " is not a backup (no db/ or checkpoint.txt)"),
                      kRestoreUsage);
  }
  std::string note;
  for (char buf[4096]; note_file.read(buf, sizeof buf) || note_file.gcount() > 0;) {
    note.append(buf, static_cast<size_t>(note_file.gcount()));
  }

  {
    absl::StatusOr<std::unique_ptr<LedgerStore>> store =
        LedgerStore::Open(db.string(), LedgerStore::Mode::kReadOnlyScan);
    if (!store.ok()) return Invalid(absl::StrCat("the backup cannot be opened: ", store.status().message()));
    absl::StatusOr<std::optional<std::string>> stored = (*store)->GetMeta(kMetaCheckpointKey);
    if (!stored.ok()) return Invalid(std::string(stored.status().message()));
    if (stored->value_or("") != note) {
      return Invalid("checkpoint.txt is not the checkpoint stored in the backup");
    }
    LedgerVerifier verifier(store->get());
    const bool progress = isatty(STDERR_FILENO) != 0;
    absl::StatusOr<VerifyReport> report = verifier.Run([&](uint64_t n, uint64_t of) {
      if (progress) std::cerr << "\rrestore: verifying " << n << "/" << of << std::flush;
    });
    if (progress) std::cerr << "\n";
    if (!report.ok()) return Invalid(absl::StrCat("the backup cannot be read: ", report.status().message()));
    if (!report->intact) {
      return Invalid(absl::StrCat("the backup does not verify",
                                  report->bad_sequence.has_value()
                                      ? absl::StrCat(" at sequence ", *report->bad_sequence)
                                      : std::string(),
                                  ": ", report->reason));
    }
    std::cerr << "backup verified: " << report->entries << " entries, checkpoint of "
              << report->checkpoint_size.value_or(0) << "\n";
  }

  const fs::path partial = target.string() + ".partial";
  fs::remove_all(partial, ec);
  fs::create_directories(partial, ec);
  auto fail = [&](const std::string& why) {
    std::error_code ignored;
    fs::remove_all(partial, ignored);
    std::cerr << "ledgerctl: restore: " << why << "\n";
    return 1;
  };
  if (ec) return fail(absl::StrCat("cannot create ", partial.string(), ": ", ec.message()));
  for (const fs::directory_entry& e : fs::directory_iterator(db, ec)) {
    if (!e.is_regular_file()) continue;
    const fs::path to = partial / e.path().filename();
    fs::copy_file(e.path(), to, ec);
    if (ec || !SyncPath(to, false)) {
      return fail(absl::StrCat("cannot copy ", e.path().string(), ": ", ec.message()));
    }
  }
  if (ec) return fail(absl::StrCat("cannot list ", db.string(), ": ", ec.message()));
  if (!SyncPath(partial, true)) return fail(absl::StrCat("cannot sync ", partial.string()));
  fs::rename(partial, target, ec);
  if (ec) return fail(absl::StrCat("cannot rename to ", target.string(), ": ", ec.message()));
  SyncPath(target.parent_path().empty() ? fs::path(".") : target.parent_path(), true);
  std::cerr << "restored into " << target.string() << "; serve it with ledgerd --db "
            << target.string() << " --signing-key ORIGINAL_DB.key\n";
  return 0;
}

}  // namespace

const std::vector<CliCommand>& BackupCommands() {
  static const std::vector<CliCommand> kCommands = {
      {"backup", "copy the serving database, consistently, into a directory", kBackupUsage,
       Backup},
      {"restore", "verify a backup offline and restore it as a new database", kRestoreUsage,
       Restore},
  };
  return kCommands;
}

}  // namespace ledger

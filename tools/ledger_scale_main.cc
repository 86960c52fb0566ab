// ledger-scale: builds a database of N entries through the real append
// path (a child ledgerd, batched Append RPCs from K clients over gRPC on
// 127.0.0.1) and reports what DESIGN.md's "Performance targets" say about
// a large log: proof latency at that size (over RPC, and generated in this
// process from the database once the server has stopped), ledger-verify's
// rate, restart time, the server's resident memory as the log grows (it
// must stay flat), and bytes on disk per entry.
//
// The child processes are this program's own: ledgerd and ledger-verify
// from the directory this program is in (or --ledgerd / --ledger-verify).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <google/protobuf/any.pb.h>
#include <google/protobuf/wrappers.pb.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "clients/command_line.h"
#include "clients/ledger_client.h"
#include "ledger/store.h"
#include "ledger/stored_proofs.h"
#include "ledger/v1/ledger.pb.h"
#include "tools/bench_figures.h"

namespace {

using ledger::bench::JsonFigures;
using ledger::bench::LatencySummary;
using ledger::bench::ResidentMemorySampler;
using Clock = std::chrono::steady_clock;

constexpr char kUsage[] =
    "usage: ledger-scale [--entries N] [--db DIR] [--clients K] [--batch B]\n"
    "                    [--payload-bytes P] [--proof-rpcs Q] [--keep]\n"
    "                    [--ledgerd PATH] [--ledger-verify PATH] [--json]\n"
    "\n"
    "Builds a ledger of N entries through the real append path and measures\n"
    "it at that size. In order:\n"
    "\n"
    "  1. starts ledgerd as a child process (--db DIR --listen 127.0.0.1:0)\n"
    "     on a new database and times its start;\n"
    "  2. appends N events (google.protobuf.BytesValue payloads of P bytes)\n"
    "     from K clients, each on its own connection and its own stream,\n"
    "     B events per Append RPC, printing progress on stderr every 5 s;\n"
    "     the server's resident memory (VmRSS) is sampled every 100 ms and\n"
    "     recorded when 10%, 50% and 100% of the entries are appended,\n"
    "     with the peak, median and 90th percentile of each stretch's\n"
    "     samples (0-10%, 10-50%, 50-100%);\n"
    "  3. at the final size, Q inclusion proofs of random leaves and Q\n"
    "     consistency proofs from random sizes, one at a time from one\n"
    "     client, and Q health checks for the RPC floor: p50/p99 latency;\n"
    "  4. stops ledgerd (SIGTERM) and sums the bytes of every file of the\n"
    "     database (the signing key excluded): bytes on disk per entry, and\n"
    "     of them RocksDB's write-ahead logs and tables (measured again\n"
    "     after step 7, as reopening may flush or compact);\n"
    "  5. generates proofs in this process as the server does, without gRPC,\n"
    "     from the database opened read-only, in two states (a kernel may page\n"
    "     out file pages left untouched for a while, so without this the\n"
    "     figures would depend on timing): from the disk, the first\n"
    "     min(Q, 1000) inclusion proofs after opening, with the tables first\n"
    "     dropped from the system's file cache (posix_fadvise) and RocksDB's\n"
    "     block cache empty; then from memory, with every table read into the\n"
    "     file cache, the tree's upper levels read into memory as ledgerd\n"
    "     reads them once it serves (timed), and 10,000 proofs run unmeasured\n"
    "     to fill the block cache, Q inclusion and Q consistency proofs:\n"
    "     p50/p99 latency. Also\n"
    "     reports how much of the tables the file cache held at the stop, and\n"
    "     the latency of 1,000 random 16 KiB reads of the tables that bypass\n"
    "     it (O_DIRECT);\n"
    "  6. runs ledger-verify --db DIR on it twice: entries/s of the full\n"
    "     offline check (wall time of the process), first with the tables\n"
    "     dropped from the file cache, then with them read into it (where\n"
    "     the file system allows, ledger-verify reads past the file cache,\n"
    "     so the two should agree);\n"
    "  7. restarts ledgerd on it and times the start until it prints\n"
    "     \"listening on\", checks the log size it serves, and stops it;\n"
    "     then restarts it once more, timed the same way (the first restart\n"
    "     may replay RocksDB's write-ahead log; the second finds it empty).\n"
    "\n"
    "Figures are taken on whatever else the machine is doing; run it on a\n"
    "quiet machine for figures to compare.\n"
    "\n"
    "  --entries N          entries to append (default: 10000000; at least 100)\n"
    "  --db DIR             where to build the database; must not exist yet\n"
    "                       (missing parents are made), and is kept, with\n"
    "                       ledgerd's log beside it as DIR.ledgerd.log\n"
    "                       (default: a new directory under $TMPDIR or /tmp,\n"
    "                       removed at the end unless --keep)\n"
    "  --clients K          concurrent appending clients (default: 4)\n"
    "  --batch B            events per Append RPC (default: 1000; at most\n"
    "                       10000, the server's limit)\n"
    "  --payload-bytes P    each event's payload value size, as ledger-bench's\n"
    "                       (default: 300)\n"
    "  --proof-rpcs Q       proofs of each kind, over RPC and in this process,\n"
    "                       and health checks (default: 2000)\n"
    "  --keep               keep the temporary database (its path is printed)\n"
    "  --ledgerd PATH       the ledgerd to run (default: next to this program)\n"
    "  --ledger-verify PATH the ledger-verify to run (default: likewise)\n"
    "  --json               print one JSON object instead of the report\n"
    "  --help               show this help\n"
    "\n"
    "--json members: entries, clients, batch, payload_bytes, db,\n"
    "first_start_seconds, append_seconds, append_events_per_sec,\n"
    "server_rss_start_kib, server_rss_10pct_kib, server_rss_50pct_kib,\n"
    "server_rss_100pct_kib, server_rss_peak_to_10pct_kib,\n"
    "server_rss_peak_to_50pct_kib, server_rss_peak_to_100pct_kib,\n"
    "server_rss_p50_to_10pct_kib, server_rss_p50_to_50pct_kib,\n"
    "server_rss_p50_to_100pct_kib, server_rss_p90_to_10pct_kib,\n"
    "server_rss_p90_to_50pct_kib, server_rss_p90_to_100pct_kib,\n"
    "server_rss_min_kib, server_rss_max_kib,\n"
    "server_rss_samples, proof_tree_size, inclusion_p50_us,\n"
    "inclusion_p99_us, inclusion_max_us, inclusion_proofs_per_sec,\n"
    "consistency_p50_us, consistency_p99_us, consistency_max_us,\n"
    "consistency_proofs_per_sec, health_p50_us, health_p99_us,\n"
    "stop_seconds, bytes_on_disk, bytes_per_entry, wal_bytes, sst_bytes,\n"
    "tables_cached_at_stop_bytes, tables_cached_after_drop_bytes,\n"
    "disk_read_p50_us, disk_read_p99_us (0 if not measured),\n"
    "store_open_seconds, store_inclusion_cold_proofs,\n"
    "store_inclusion_cold_p50_us, store_inclusion_cold_p99_us (from the disk),\n"
    "tables_cached_warm_bytes, tree_cache_nodes, tree_cache_lowest_level,\n"
    "tree_cache_seconds,\n"
    "store_inclusion_p50_us, store_inclusion_p99_us, store_inclusion_max_us,\n"
    "store_consistency_p50_us, store_consistency_p99_us,\n"
    "store_consistency_max_us, verify_cold_seconds, verify_cold_entries_per_sec (the\n"
    "tables dropped from the file cache), verify_seconds, verify_entries,\n"
    "verify_entries_per_sec (the tables read into it),\n"
    "restart_seconds, restart_server_rss_kib, restart_log_size,\n"
    "bytes_per_entry_after_restart, wal_bytes_after_restart,\n"
    "sst_bytes_after_restart, second_restart_seconds.\n"
    "\n"
    "Exit status: 0 done, 1 a step failed (named on stderr, with ledgerd's\n"
    "log when it is the cause), 2 usage error.\n";

constexpr absl::Duration kStartTimeout = absl::Minutes(10);
constexpr absl::Duration kStopTimeout = absl::Minutes(5);
constexpr absl::Duration kVerifyTimeout = absl::Hours(2);
// Proofs from the disk, the first after opening the database in this
// process with its tables dropped from the system's file cache.
constexpr uint64_t kColdProofs = 1000;
// Proofs run unmeasured before those from memory, for RocksDB's block
// caches to fill: until they are full, new blocks take new heap pages, and
// the page faults show in the tail (at 10M entries, about 6,000 proofs).
constexpr uint64_t kFillProofs = 10000;
// Random reads of the table files timed for the disk's own latency.
constexpr int kDiskReads = 1000;

int UsageError(const std::string& problem) {
  std::cerr << "ledger-scale: " << problem << "\n\n" << kUsage;
  return 2;
}

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// A child process with stdout in a pipe and stderr appended to a log file.
// Every wait is bounded and ends as soon as what it waits for happens.
class ChildProcess {
 public:
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Start(
      const std::vector<std::string>& argv, const std::string& stderr_path) {
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) return absl::InternalError("pipe2 failed");
    const int err = open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (err < 0) {
      close(out[0]);
      close(out[1]);
      return absl::NotFoundError(absl::StrCat("cannot open ", stderr_path));
    }
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const pid_t pid = fork();
    if (pid < 0) return absl::InternalError("fork failed");
    if (pid == 0) {
      dup2(out[1], STDOUT_FILENO);
      dup2(err, STDERR_FILENO);
      const int devnull = open("/dev/null", O_RDONLY);
      if (devnull >= 0) dup2(devnull, STDIN_FILENO);
      execv(args[0], args.data());
      _exit(127);
    }
    close(out[1]);
    close(err);
    return std::unique_ptr<ChildProcess>(new ChildProcess(pid, out[0]));
  }

  ~ChildProcess() {
    if (!reaped_) {
      kill(pid_, SIGKILL);
      int status;
      waitpid(pid_, &status, 0);
    }
    close(out_fd_);
  }

  pid_t pid() const { return pid_; }

  // Reads stdout until a line starting with `prefix`; returns it.
  absl::StatusOr<std::string> WaitForLine(const std::string& prefix, absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    for (;;) {
      size_t nl;
      while ((nl = out_.find('\n')) != std::string::npos) {
        std::string line = out_.substr(0, nl);
        out_.erase(0, nl + 1);
        if (absl::StartsWith(line, prefix)) return line;
      }
      if (!ReadSome(deadline)) {
        return absl::DeadlineExceededError(
            absl::StrCat("no line starting \"", prefix, "\" within ",
                         absl::FormatDuration(timeout), eof_ ? " (its output ended)" : ""));
      }
    }
  }

  // Waits for stdout to close and the process to exit; its exit code, or
  // 128 + the signal that ended it.
  absl::StatusOr<int> Wait(absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (!eof_) {
      if (!ReadSome(deadline) && !eof_) {
        return absl::DeadlineExceededError(
            absl::StrCat("still running after ", absl::FormatDuration(timeout)));
      }
    }
    int status = 0;
    if (waitpid(pid_, &status, 0) != pid_) return absl::InternalError("waitpid failed");
    reaped_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  // Everything read from stdout and not yet consumed by WaitForLine.
  const std::string& out() const { return out_; }

 private:
  ChildProcess(pid_t pid, int out_fd) : pid_(pid), out_fd_(out_fd) {}

  // Reads what stdout has, waiting until `deadline`; false on timeout or
  // end of output.
  bool ReadSome(absl::Time deadline) {
    if (eof_) return false;
    const int64_t ms = std::max<int64_t>(0, absl::ToInt64Milliseconds(deadline - absl::Now()));
    pollfd p{out_fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(std::min<int64_t>(ms, 1 << 30))) <= 0) return false;
    char buf[4096];
    const ssize_t n = read(out_fd_, buf, sizeof buf);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    out_.append(buf, static_cast<size_t>(n));
    return true;
  }

  const pid_t pid_;
  const int out_fd_;
  std::string out_;
  bool eof_ = false;
  bool reaped_ = false;
};

struct ScaleConfig {
  uint64_t entries = 10000000;
  uint64_t clients = 4;
  uint64_t batch = 1000;
  uint64_t payload_bytes = 300;
  uint64_t proof_rpcs = 2000;
  std::string db;
  bool keep = false;
  bool json = false;
  std::string ledgerd;
  std::string ledger_verify;
};

// A running ledgerd of ours and the address it listens on.
struct Server {
  std::unique_ptr<ChildProcess> process;
  std::string address;
  double start_seconds = 0;
};

absl::StatusOr<Server> StartLedgerd(const ScaleConfig& config, const std::string& log) {
  Server server;
  const Clock::time_point start = Clock::now();
  absl::StatusOr<std::unique_ptr<ChildProcess>> p = ChildProcess::Start(
      {config.ledgerd, "--db", config.db, "--listen", "127.0.0.1:0"}, log);
  if (!p.ok()) return p.status();
  server.process = std::move(*p);
  absl::StatusOr<std::string> line = server.process->WaitForLine("listening on ", kStartTimeout);
  if (!line.ok()) {
    return absl::UnavailableError(
        absl::StrCat("ledgerd did not start: ", line.status().message(), "; see ", log));
  }
  server.start_seconds = SecondsSince(start);
  server.address = line->substr(std::string("listening on ").size());
  return server;
}

absl::Status StopLedgerd(Server& server, const std::string& log, double* seconds) {
  const Clock::time_point start = Clock::now();
  kill(server.process->pid(), SIGTERM);
  absl::StatusOr<int> code = server.process->Wait(kStopTimeout);
  if (!code.ok()) return code.status();
  if (*code != 0) {
    return absl::InternalError(absl::StrCat("ledgerd exited with ", *code, "; see ", log));
  }
  if (seconds != nullptr) *seconds = SecondsSince(start);
  server.process.reset();
  return absl::OkStatus();
}

// A BytesValue payload of `bytes` serialized bytes (as ledger-bench makes).
google::protobuf::Any MakePayload(uint64_t bytes, std::mt19937_64& rng) {
  uint64_t data = bytes > 3 ? bytes - 2 : 1;
  auto varint_size = [](uint64_t v) {
    uint64_t n = 1;
    for (; v >= 0x80; v >>= 7) ++n;
    return n;
  };
  while (data > 1 && 1 + varint_size(data) + data > bytes) --data;
  std::string value(data, '\0');
  for (char& ch : value) ch = static_cast<char>(rng() & 0xff);
  google::protobuf::BytesValue message;
  message.set_value(std::move(value));
  google::protobuf::Any any;
  any.set_type_url("type.googleapis.com/google.protobuf.BytesValue");
  any.set_value(message.SerializeAsString());
  return any;
}

// Appends `config.entries` events from K clients; `appended` counts them
// as they are acknowledged. The first failure stops every client.
absl::Status AppendAll(const ScaleConfig& config, const std::string& address,
                       const std::string& run, const google::protobuf::Any& payload,
                       std::atomic<uint64_t>& appended) {
  std::atomic<bool> stop{false};
  std::mutex mu;
  absl::Status first_error;
  std::vector<std::thread> threads;
  for (uint64_t c = 0; c < config.clients; ++c) {
    const uint64_t share =
        config.entries / config.clients + (c < config.entries % config.clients ? 1 : 0);
    threads.emplace_back([&, c, share] {
      ledger::ClientOptions options;
      options.own_connection = true;
      ledger::LedgerClient client(address, options);
      ledger::v1::AppendRequest request;
      request.set_stream(absl::StrCat("scale/", run, "/", c));
      uint64_t next = 0;
      while (next < share && !stop.load()) {
        const uint64_t n = std::min(config.batch, share - next);
        while (static_cast<uint64_t>(request.events_size()) > n) {
          request.mutable_events()->RemoveLast();
        }
        while (static_cast<uint64_t>(request.events_size()) < n) {
          *request.add_events()->mutable_payload() = payload;
        }
        for (auto& e : *request.mutable_events()) {
          e.set_event_id(absl::StrCat("scale-", run, "-", c, "-", next++));
        }
        absl::StatusOr<ledger::v1::AppendResponse> r = client.Append(request);
        if (!r.ok() || r->events_size() != request.events_size() || r->duplicate()) {
          std::lock_guard<std::mutex> lock(mu);
          if (first_error.ok()) {
            first_error = r.ok() ? absl::InternalError("the server's answer does not match "
                                                       "the append")
                                 : r.status();
          }
          stop.store(true);
          return;
        }
        appended.fetch_add(n);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  return first_error;
}

// Bytes of the files of a database directory, by kind: RocksDB's
// write-ahead logs (*.log), its tables (*.sst) and everything else
// (manifest, options, the checkpoint).
struct DiskUsage {
  uint64_t total = 0;
  uint64_t wal = 0;
  uint64_t sst = 0;
};

DiskUsage BytesUnder(const std::string& dir) {
  DiskUsage usage;
  std::error_code ec;
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir, ec)) {
    if (!f.is_regular_file(ec)) continue;
    const uint64_t size = f.file_size(ec);
    usage.total += size;
    const std::string ext = f.path().extension().string();
    if (ext == ".log") usage.wal += size;
    if (ext == ".sst") usage.sst += size;
  }
  return usage;
}

template <typename Call>
absl::StatusOr<LatencySummary> TimeRpcs(uint64_t n, Call call, double* per_sec) {
  std::vector<int64_t> ns;
  ns.reserve(n);
  const Clock::time_point start = Clock::now();
  for (uint64_t i = 0; i < n; ++i) {
    const Clock::time_point t = Clock::now();
    if (absl::Status s = call(i); !s.ok()) return s;
    ns.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t).count());
  }
  const double seconds = SecondsSince(start);
  *per_sec = seconds > 0 ? static_cast<double>(n) / seconds : 0;
  return ledger::bench::Summarise(ns);
}

int Fail(const std::string& step, const absl::Status& s) {
  std::cerr << "ledger-scale: " << step << ": " << absl::StatusCodeToString(s.code()) << ": "
            << s.message() << "\n";
  return 1;
}

std::string HumanKib(uint64_t kib) { return absl::StrFormat("%.1f MiB", kib / 1024.0); }

// The database's table files (*.sst), largest first.
std::vector<std::filesystem::path> TableFiles(const std::string& dir) {
  std::vector<std::pair<uint64_t, std::filesystem::path>> sized;
  std::error_code ec;
  for (const auto& f : std::filesystem::directory_iterator(dir, ec)) {
    if (f.path().extension() != ".sst" || !f.is_regular_file(ec)) continue;
    sized.emplace_back(f.file_size(ec), f.path());
  }
  std::sort(sized.begin(), sized.end(), [](const auto& a, const auto& b) { return a > b; });
  std::vector<std::filesystem::path> files;
  for (auto& [size, path] : sized) files.push_back(std::move(path));
  return files;
}

// What one pass over the table files did: their bytes, the bytes of them
// the system's file cache held (mincore), and the files that could not be
// handled.
struct FileCachePass {
  uint64_t file_bytes = 0;
  uint64_t cached_bytes = 0;
  uint64_t failed_files = 0;
};

enum class FileCacheAction { kMeasure, kDrop, kLoad };

// Measures how much of each table file is in the system's file cache, or
// first drops it from there (posix_fadvise DONTNEED: the files are clean,
// the server having stopped), or first reads it whole into it.
FileCachePass PassOverTables(const std::vector<std::filesystem::path>& files,
                             FileCacheAction action) {
  FileCachePass pass;
  const long page = sysconf(_SC_PAGESIZE);
  std::vector<char> buffer(action == FileCacheAction::kLoad ? 1 << 20 : 0);
  std::vector<unsigned char> pages;
  for (const std::filesystem::path& path : files) {
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
      if (fd >= 0) close(fd);
      ++pass.failed_files;
      continue;
    }
    bool ok = true;
    if (action == FileCacheAction::kDrop) {
      ok = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0;
    } else if (action == FileCacheAction::kLoad) {
      ssize_t n;
      while ((n = read(fd, buffer.data(), buffer.size())) > 0) {
      }
      ok = n == 0;
    }
    const size_t size = static_cast<size_t>(st.st_size);
    pass.file_bytes += size;
    if (ok && size > 0) {
      void* map = mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
      ok = map != MAP_FAILED;
      if (ok) {
        pages.resize((size + page - 1) / page);
        ok = mincore(map, size, pages.data()) == 0;
        if (ok) {
          for (unsigned char p : pages) pass.cached_bytes += (p & 1) ? page : 0;
        }
        munmap(map, size);
      }
    }
    if (!ok) ++pass.failed_files;
    close(fd);
  }
  return pass;
}

// Random 16 KiB reads (a table block of `entries` is 16 KiB) of the table
// files that bypass the file cache (O_DIRECT): what the disk itself takes
// for a read a proof cannot find in memory. Empty if the file system does
// not take O_DIRECT or the tables are too small.
std::optional<LatencySummary> DiskReadLatency(const std::vector<std::filesystem::path>& files,
                                              int reads) {
  constexpr size_t kRead = 16 * 1024;
  constexpr size_t kAlign = 4096;
  struct Table {
    int fd;
    uint64_t blocks;
  };
  std::vector<Table> tables;
  for (const std::filesystem::path& path : files) {
    const int fd = open(path.c_str(), O_RDONLY | O_DIRECT | O_CLOEXEC);
    if (fd < 0) continue;
    struct stat st;
    if (fstat(fd, &st) != 0 || static_cast<uint64_t>(st.st_size) < kRead + kAlign) {
      close(fd);
      continue;
    }
    tables.push_back({fd, (static_cast<uint64_t>(st.st_size) - kRead) / kAlign});
    if (tables.size() == 16) break;  // the largest: most of the data
  }
  std::optional<LatencySummary> summary;
  void* buffer = nullptr;
  if (!tables.empty() && posix_memalign(&buffer, kAlign, kRead) == 0) {
    std::mt19937_64 pick(5);
    std::vector<int64_t> ns;
    bool ok = true;
    for (int i = 0; i < reads && ok; ++i) {
      const Table& t = tables[pick() % tables.size()];
      const off_t at = static_cast<off_t>((pick() % t.blocks) * kAlign);
      const Clock::time_point start = Clock::now();
      ok = pread(t.fd, buffer, kRead, at) == static_cast<ssize_t>(kRead);
      ns.push_back(
          std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count());
    }
    if (ok) summary = ledger::bench::Summarise(ns);
    free(buffer);
  }
  for (const Table& t : tables) close(t.fd);
  return summary;
}

// Proofs generated in this process from the stopped server's database,
// opened read-only: what the server does for a proof RPC, without gRPC.
// Measured in two states, as a kernel may page out file pages nobody has
// touched for a while (this machine's does, after about a minute), which
// otherwise makes the figure depend on how long the steps before took:
//  - from the disk: the tables dropped from the system's file cache and
//    RocksDB's block cache empty, the first proofs after opening;
//  - from memory: every table read into the file cache, the tree's upper
//    levels read into the store's cache as ledgerd does once it serves,
//    then kFillProofs proofs unmeasured, so that the block cache has
//    filled.
int MeasureStoreProofs(const ScaleConfig& config, uint64_t size, JsonFigures& json,
                       std::vector<std::string>& report) {
  const std::vector<std::filesystem::path> tables = TableFiles(config.db);
  const FileCachePass before = PassOverTables(tables, FileCacheAction::kMeasure);
  const std::optional<LatencySummary> disk = DiskReadLatency(tables, kDiskReads);
  const FileCachePass dropped = PassOverTables(tables, FileCacheAction::kDrop);
  json.Add("tables_cached_at_stop_bytes", before.cached_bytes);
  json.Add("tables_cached_after_drop_bytes", dropped.cached_bytes);
  json.Add("disk_read_p50_us", disk ? disk->p50_us : 0);
  json.Add("disk_read_p99_us", disk ? disk->p99_us : 0);

  const Clock::time_point open_start = Clock::now();
  absl::StatusOr<std::unique_ptr<ledger::LedgerStore>> store =
      ledger::LedgerStore::Open(config.db, ledger::LedgerStore::Mode::kReadOnly);
  if (!store.ok()) return Fail("open the database read-only", store.status());
  json.Add("store_open_seconds", SecondsSince(open_start));
  std::mt19937_64 pick(11);
  auto inclusion = [&](uint64_t) {
    return ledger::StoredInclusionProof(**store, pick() % size, size).status();
  };
  auto consistency = [&](uint64_t) {
    return ledger::StoredConsistencyProof(**store, 1 + pick() % (size - 1), size).status();
  };
  double rate = 0;
  const uint64_t cold_count = std::min<uint64_t>(config.proof_rpcs, kColdProofs);
  absl::StatusOr<LatencySummary> cold = TimeRpcs(cold_count, inclusion, &rate);
  if (!cold.ok()) return Fail("inclusion proofs from the store", cold.status());

  const FileCachePass loaded = PassOverTables(tables, FileCacheAction::kLoad);
  json.Add("tables_cached_warm_bytes", loaded.cached_bytes);
  const Clock::time_point warm_up_start = Clock::now();
  const std::atomic<bool> never{false};
  absl::StatusOr<ledger::LedgerStore::TreeWarmUp> warm_up = (*store)->WarmTreeTopCache(never);
  if (!warm_up.ok()) return Fail("read the tree's upper levels", warm_up.status());
  const double warm_up_seconds = SecondsSince(warm_up_start);
  json.Add("tree_cache_nodes", warm_up->nodes);
  json.Add("tree_cache_lowest_level", static_cast<uint64_t>(warm_up->lowest_level));
  json.Add("tree_cache_seconds", warm_up_seconds);
  if (absl::StatusOr<LatencySummary> fill = TimeRpcs(kFillProofs, inclusion, &rate);
      !fill.ok()) {
    return Fail("inclusion proofs from the store", fill.status());
  }
  absl::StatusOr<LatencySummary> warm = TimeRpcs(config.proof_rpcs, inclusion, &rate);
  if (!warm.ok()) return Fail("inclusion proofs from the store", warm.status());
  absl::StatusOr<LatencySummary> warm_consistency =
      TimeRpcs(config.proof_rpcs, consistency, &rate);
  if (!warm_consistency.ok()) {
    return Fail("consistency proofs from the store", warm_consistency.status());
  }
  json.Add("store_inclusion_cold_proofs", cold_count);
  json.Add("store_inclusion_cold_p50_us", cold->p50_us);
  json.Add("store_inclusion_cold_p99_us", cold->p99_us);
  json.Add("store_inclusion_p50_us", warm->p50_us);
  json.Add("store_inclusion_p99_us", warm->p99_us);
  json.Add("store_inclusion_max_us", warm->max_us);
  json.Add("store_consistency_p50_us", warm_consistency->p50_us);
  json.Add("store_consistency_p99_us", warm_consistency->p99_us);
  json.Add("store_consistency_max_us", warm_consistency->max_us);
  const double mib = 1024.0 * 1024.0;
  const uint64_t failed = before.failed_files + dropped.failed_files + loaded.failed_files;
  report.push_back(absl::StrFormat(
      "tables in the system's file cache: %.0f MiB of %.0f at the stop, %.0f after dropping "
      "them, %.0f after reading them%s; a 16 KiB read from the disk itself: %s",
      before.cached_bytes / mib, before.file_bytes / mib, dropped.cached_bytes / mib,
      loaded.cached_bytes / mib,
      failed == 0 ? "" : absl::StrFormat(" (%d files could not be handled)", failed),
      disk ? absl::StrFormat("p50 %.0f us p99 %.0f us", disk->p50_us, disk->p99_us)
           : std::string("not measured (no O_DIRECT here)")));
  report.push_back(absl::StrFormat(
      "proofs at %d entries in this process, from the database opened read-only: from the "
      "disk (the first %d after opening): inclusion p50 %.0f us p99 %.0f us; from memory "
      "(tables in the file cache, levels %d and up in memory (%d nodes, read in %.2f s), "
      "block cache filled): inclusion p50 %.0f us p99 %.0f us, consistency p50 %.0f us "
      "p99 %.0f us",
      size, cold_count, cold->p50_us, cold->p99_us, warm_up->lowest_level, warm_up->nodes,
      warm_up_seconds, warm->p50_us, warm->p99_us, warm_consistency->p50_us,
      warm_consistency->p99_us));
  return 0;
}

struct VerifyRun {
  double seconds = 0;
  uint64_t entries = 0;
};

// Runs ledger-verify --db on the database: the wall time of the process and
// the entries it found intact. Anything but "intact" is an error.
absl::StatusOr<VerifyRun> RunLedgerVerify(const ScaleConfig& config, const std::string& log) {
  std::cerr << "ledger-scale: running ledger-verify\n";
  const Clock::time_point start = Clock::now();
  absl::StatusOr<std::unique_ptr<ChildProcess>> verify =
      ChildProcess::Start({config.ledger_verify, "--db", config.db}, log);
  if (!verify.ok()) return verify.status();
  absl::StatusOr<int> code = (*verify)->Wait(kVerifyTimeout);
  VerifyRun run;
  run.seconds = SecondsSince(start);
  if (!code.ok()) return code.status();
  const std::string out = (*verify)->out();
  // "ledger-verify: intact: N entries; ..."
  const size_t at = out.find("intact: ");
  const std::string count =
      at == std::string::npos ? "" : out.substr(at + 8, out.find(' ', at + 8) - (at + 8));
  if (*code != 0 || !absl::SimpleAtoi(count, &run.entries)) {
    return absl::DataLossError(
        absl::StrCat("exit ", *code, ", output: ", out, "; see ", log));
  }
  return run;
}

// The measurement itself; `json` gets every figure, `report` the lines
// for people.
int Measure(const ScaleConfig& config, JsonFigures& json, std::vector<std::string>& report) {
  const std::string log = config.db + ".ledgerd.log";
  std::random_device seed;
  std::mt19937_64 rng((static_cast<uint64_t>(seed()) << 32) ^ seed());
  const std::string run = absl::StrFormat("%08x", rng() & 0xffffffffULL);
  const google::protobuf::Any payload = MakePayload(config.payload_bytes, rng);
  json.Add("entries", config.entries);
  json.Add("clients", config.clients);
  json.Add("batch", config.batch);
  json.Add("payload_bytes", static_cast<uint64_t>(payload.value().size()));
  json.Add("db", config.db);

  absl::StatusOr<Server> server = StartLedgerd(config, log);
  if (!server.ok()) return Fail("start", server.status());
  json.Add("first_start_seconds", server->start_seconds);
  std::cerr << "ledger-scale: ledgerd (pid " << server->process->pid() << ") on "
            << server->address << ", database " << config.db << "\n";

  // Append, sampling memory as the log grows.
  ResidentMemorySampler memory(server->process->pid(), absl::Milliseconds(100));
  const uint64_t start_kib = memory.SampleNow();
  memory.Start();
  std::atomic<uint64_t> appended{0};
  std::atomic<bool> append_done{false};
  absl::Status append_status;  // written by the appender before append_done
  const Clock::time_point append_start = Clock::now();
  std::thread appender([&] {
    append_status = AppendAll(config, server->address, run, payload, appended);
    append_done.store(true);
  });
  const uint64_t milestones[] = {config.entries / 10, config.entries / 2, config.entries};
  const char* const milestone_names[] = {"10pct", "50pct", "100pct"};
  uint64_t milestone_kib[3] = {0, 0, 0};
  // Each stretch up to a milestone (0-10%, 10-50%, 50-100%), summed up:
  // memtables fill and flush, so single samples swing. The later
  // stretches show whether memory grows with the log: their peaks, and
  // their medians and 90th percentiles, which unlike a peak do not rise
  // with a stretch's length alone.
  ResidentMemorySampler::Window window[3];
  size_t next_milestone = 0;
  auto take_milestone = [&] {
    milestone_kib[next_milestone] = memory.SampleNow();
    window[next_milestone++] = memory.TakeWindow();
  };
  Clock::time_point last_progress = append_start;
  while (!append_done.load()) {
    const uint64_t done = appended.load();
    while (next_milestone < 3 && done >= milestones[next_milestone]) take_milestone();
    if (std::chrono::duration<double>(Clock::now() - last_progress).count() >= 5) {
      last_progress = Clock::now();
      const double s = SecondsSince(append_start);
      std::cerr << absl::StrFormat(
          "ledger-scale: %d/%d entries (%.0f%%), %.0f s, %.0f entries/s, server RSS %s\n", done,
          config.entries, 100.0 * done / config.entries, s, s > 0 ? done / s : 0.0,
          HumanKib(memory.figures().last_kib));
    }
    // A short nap: the milestone samples are taken within 20 ms of the
    // moment the count passes them.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  appender.join();
  const double append_seconds = SecondsSince(append_start);
  if (!append_status.ok()) return Fail("append", append_status);
  while (next_milestone < 3) take_milestone();
  memory.Stop();
  const ResidentMemorySampler::Figures m = memory.figures();
  json.Add("append_seconds", append_seconds);
  json.Add("append_events_per_sec", config.entries / append_seconds);
  json.Add("server_rss_start_kib", start_kib);
  for (int i = 0; i < 3; ++i) {
    json.Add(absl::StrCat("server_rss_", milestone_names[i], "_kib"), milestone_kib[i]);
    json.Add(absl::StrCat("server_rss_peak_to_", milestone_names[i], "_kib"), window[i].max_kib);
    json.Add(absl::StrCat("server_rss_p50_to_", milestone_names[i], "_kib"), window[i].p50_kib);
    json.Add(absl::StrCat("server_rss_p90_to_", milestone_names[i], "_kib"), window[i].p90_kib);
  }
  json.Add("server_rss_min_kib", m.min_kib);
  json.Add("server_rss_max_kib", m.max_kib);
  json.Add("server_rss_samples", m.samples);
  report.push_back(absl::StrFormat("appended %d entries in %.1f s: %.0f entries/s "
                                   "(%d clients, %d per Append RPC, %d payload bytes)",
                                   config.entries, append_seconds,
                                   config.entries / append_seconds, config.clients,
                                   config.batch, payload.value().size()));
  report.push_back(absl::StrFormat(
      "server RSS: empty %s; at 10%% %s, 50%% %s, 100%% %s; min %s, max %s over %d samples",
      HumanKib(start_kib), HumanKib(milestone_kib[0]), HumanKib(milestone_kib[1]),
      HumanKib(milestone_kib[2]), HumanKib(m.min_kib), HumanKib(m.max_kib), m.samples));
  report.push_back(absl::StrFormat(
      "server RSS peaks: 0-10%% %s, 10-50%% %s, 50-100%% %s; medians %s, %s, %s; 90th "
      "percentiles %s, %s, %s",
      HumanKib(window[0].max_kib), HumanKib(window[1].max_kib), HumanKib(window[2].max_kib),
      HumanKib(window[0].p50_kib), HumanKib(window[1].p50_kib), HumanKib(window[2].p50_kib),
      HumanKib(window[0].p90_kib), HumanKib(window[1].p90_kib), HumanKib(window[2].p90_kib)));

  // Proofs at the final size, one at a time.
  uint64_t proof_size = 0;
  {
    ledger::LedgerClient client(server->address);
    absl::StatusOr<ledger::v1::GetCheckpointResponse> cp = client.GetCheckpoint();
    if (!cp.ok()) return Fail("checkpoint", cp.status());
    const uint64_t size = cp->tree_size();
    proof_size = size;
    json.Add("proof_tree_size", size);
    std::mt19937_64 pick(7);
    double inclusion_rate = 0;
    absl::StatusOr<LatencySummary> inclusion = TimeRpcs(
        config.proof_rpcs,
        [&](uint64_t) { return client.GetInclusionProof(pick() % size, size).status(); },
        &inclusion_rate);
    if (!inclusion.ok()) return Fail("inclusion proofs", inclusion.status());
    double consistency_rate = 0;
    absl::StatusOr<LatencySummary> consistency = TimeRpcs(
        config.proof_rpcs,
        [&](uint64_t) {
          return client.GetConsistencyProof(1 + pick() % (size - 1), size).status();
        },
        &consistency_rate);
    if (!consistency.ok()) return Fail("consistency proofs", consistency.status());
    double health_rate = 0;
    absl::StatusOr<LatencySummary> health =
        TimeRpcs(config.proof_rpcs, [&](uint64_t) { return client.HealthCheck(); }, &health_rate);
    if (!health.ok()) return Fail("health checks", health.status());
    json.Add("inclusion_p50_us", inclusion->p50_us);
    json.Add("inclusion_p99_us", inclusion->p99_us);
    json.Add("inclusion_max_us", inclusion->max_us);
    json.Add("inclusion_proofs_per_sec", inclusion_rate);
    json.Add("consistency_p50_us", consistency->p50_us);
    json.Add("consistency_p99_us", consistency->p99_us);
    json.Add("consistency_max_us", consistency->max_us);
    json.Add("consistency_proofs_per_sec", consistency_rate);
    json.Add("health_p50_us", health->p50_us);
    json.Add("health_p99_us", health->p99_us);
    report.push_back(absl::StrFormat(
        "proofs at %d entries, one client, RPC latency: inclusion p50 %.0f us p99 %.0f us; "
        "consistency p50 %.0f us p99 %.0f us; (health check p50 %.0f us p99 %.0f us)",
        size, inclusion->p50_us, inclusion->p99_us, consistency->p50_us, consistency->p99_us,
        health->p50_us, health->p99_us));
  }

  double stop_seconds = 0;
  if (absl::Status s = StopLedgerd(*server, log, &stop_seconds); !s.ok()) return Fail("stop", s);
  json.Add("stop_seconds", stop_seconds);
  const DiskUsage disk = BytesUnder(config.db);
  json.Add("bytes_on_disk", disk.total);
  json.Add("bytes_per_entry", static_cast<double>(disk.total) / config.entries);
  json.Add("wal_bytes", disk.wal);
  json.Add("sst_bytes", disk.sst);
  report.push_back(absl::StrFormat(
      "on disk after stop: %d bytes, %.1f bytes per entry (write-ahead log %d, tables %d)",
      disk.total, static_cast<double>(disk.total) / config.entries, disk.wal, disk.sst));

  if (int code = MeasureStoreProofs(config, proof_size, json, report); code != 0) return code;

  // The auditor's offline check of the whole database, with the tables
  // dropped from the file cache and then read into it, as for the proofs
  // above. (ledger-verify reads past the file cache where it can.)
  {
    const std::vector<std::filesystem::path> tables = TableFiles(config.db);
    const FileCachePass dropped = PassOverTables(tables, FileCacheAction::kDrop);
    absl::StatusOr<VerifyRun> cold = RunLedgerVerify(config, log);
    if (!cold.ok()) return Fail("ledger-verify", cold.status());
    const FileCachePass loaded = PassOverTables(tables, FileCacheAction::kLoad);
    absl::StatusOr<VerifyRun> warm = RunLedgerVerify(config, log);
    if (!warm.ok()) return Fail("ledger-verify", warm.status());
    json.Add("verify_cold_seconds", cold->seconds);
    json.Add("verify_cold_entries_per_sec", cold->entries / cold->seconds);
    json.Add("verify_seconds", warm->seconds);
    json.Add("verify_entries", warm->entries);
    json.Add("verify_entries_per_sec", warm->entries / warm->seconds);
    const double mib = 1024.0 * 1024.0;
    report.push_back(absl::StrFormat(
        "ledger-verify: %d entries; with the tables dropped from the file cache (%.0f MiB of "
        "%.0f left in it) %.2f s: %.0f entries/s; with them read into it (%.0f MiB) %.2f s: "
        "%.0f entries/s",
        warm->entries, dropped.cached_bytes / mib, dropped.file_bytes / mib, cold->seconds,
        cold->entries / cold->seconds, loaded.cached_bytes / mib, warm->seconds,
        warm->entries / warm->seconds));
  }

  // Restart on the full database.
  absl::StatusOr<Server> again = StartLedgerd(config, log);
  if (!again.ok()) return Fail("restart", again.status());
  json.Add("restart_seconds", again->start_seconds);
  const absl::StatusOr<uint64_t> restart_kib = ledger::bench::ResidentKib(again->process->pid());
  json.Add("restart_server_rss_kib", restart_kib.ok() ? *restart_kib : 0);
  {
    ledger::LedgerClient client(again->address);
    absl::StatusOr<ledger::v1::GetCheckpointResponse> cp = client.GetCheckpoint();
    if (!cp.ok()) return Fail("checkpoint after restart", cp.status());
    json.Add("restart_log_size", cp->tree_size());
    report.push_back(absl::StrFormat(
        "restart: listening after %.3f s, serving %d entries, RSS %s", again->start_seconds,
        cp->tree_size(), HumanKib(restart_kib.ok() ? *restart_kib : 0)));
  }
  if (absl::Status s = StopLedgerd(*again, log, nullptr); !s.ok()) return Fail("stop", s);
  // RocksDB may flush or compact on reopening: the size after the restart
  // is the settled one.
  const DiskUsage settled = BytesUnder(config.db);
  json.Add("bytes_per_entry_after_restart", static_cast<double>(settled.total) / config.entries);
  json.Add("wal_bytes_after_restart", settled.wal);
  json.Add("sst_bytes_after_restart", settled.sst);
  report.push_back(absl::StrFormat(
      "on disk after the restart: %.1f bytes per entry (write-ahead log %d, tables %d)",
      static_cast<double>(settled.total) / config.entries, settled.wal, settled.sst));

  // A second restart, with the write-ahead log the first one replayed now
  // in tables: tells replay time from what a start costs at this size.
  absl::StatusOr<Server> third = StartLedgerd(config, log);
  if (!third.ok()) return Fail("second restart", third.status());
  json.Add("second_restart_seconds", third->start_seconds);
  report.push_back(
      absl::StrFormat("second restart: listening after %.3f s", third->start_seconds));
  if (absl::Status s = StopLedgerd(*third, log, nullptr); !s.ok()) return Fail("stop", s);
  return 0;
}

// The directory this program is in, for the default child programs.
std::string OwnDirectory() {
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string(".") : self.parent_path().string();
}

}  // namespace

int main(int argc, char** argv) {
  // As in ledgerd: Debian's Abseil would track every gRPC lock's order to
  // report potential deadlocks, CPU this client would take from the server
  // it measures on the same machine.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  ledger::CommandLine cl({"entries", "db", "clients", "batch", "payload-bytes", "proof-rpcs",
                          "ledgerd", "ledger-verify"},
                         {"keep", "json", "help"});
  if (absl::Status s = cl.Parse(argc, argv, 1); !s.ok()) {
    return UsageError(std::string(s.message()));
  }
  if (cl.Has("help")) {
    std::cout << kUsage;
    return 0;
  }
  ScaleConfig config;
  struct NumberFlag {
    const char* name;
    uint64_t* out;
    uint64_t min;
    uint64_t max;
  };
  for (const NumberFlag& flag :
       {NumberFlag{"entries", &config.entries, 100, uint64_t{1} << 40},
        NumberFlag{"clients", &config.clients, 1, 256},
        NumberFlag{"batch", &config.batch, 1, 10000},
        NumberFlag{"payload-bytes", &config.payload_bytes, 1, 200000},
        NumberFlag{"proof-rpcs", &config.proof_rpcs, 1, 100000000}}) {
    absl::StatusOr<uint64_t> v = cl.GetUint(flag.name, *flag.out);
    if (!v.ok()) return UsageError(std::string(v.status().message()));
    if (*v < flag.min || *v > flag.max) {
      return UsageError(absl::StrCat("--", flag.name, ": expected ", flag.min, " to ", flag.max));
    }
    *flag.out = *v;
  }
  config.keep = cl.Has("keep");
  config.json = cl.Has("json");
  const std::string dir = OwnDirectory();
  config.ledgerd = cl.GetOr("ledgerd", dir + "/ledgerd");
  config.ledger_verify = cl.GetOr("ledger-verify", dir + "/ledger-verify");
  for (const std::string& program : {config.ledgerd, config.ledger_verify}) {
    if (access(program.c_str(), X_OK) != 0) {
      return UsageError(absl::StrCat(program, ": not an executable program"));
    }
  }

  // A temporary database lives in a directory of its own with the log's
  // key and ledgerd's log beside it, all removed at the end.
  std::string temp_dir;
  if (cl.Has("db")) {
    config.db = *cl.Get("db");
    if (std::filesystem::exists(config.db)) {
      return UsageError(absl::StrCat("--db ", config.db, ": already exists"));
    }
    // ledgerd makes the database's missing parents; ledger-scale writes
    // ledgerd's log beside the database, so it makes them first.
    const std::filesystem::path parent =
        std::filesystem::path(config.db).lexically_normal().parent_path();
    std::error_code ec;
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    if (ec) {
      return Fail("--db", absl::FailedPreconditionError(absl::StrCat(
                              "cannot make ", parent.string(), ": ", ec.message())));
    }
  } else {
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl = absl::StrCat(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp",
                                    "/ledger-scale.XXXXXX");
    if (mkdtemp(tmpl.data()) == nullptr) {
      return Fail("temporary directory", absl::InternalError(absl::StrCat("mkdtemp ", tmpl)));
    }
    temp_dir = tmpl;
    config.db = temp_dir + "/db";
  }

  JsonFigures json;
  std::vector<std::string> report;
  const int code = Measure(config, json, report);
  if (code == 0) {
    if (config.json) {
      std::cout << json.ToString() << "\n";
    } else {
      std::cout << "ledger-scale: " << config.entries << " entries in " << config.db << "\n";
      for (const std::string& line : report) std::cout << "  " << line << "\n";
    }
  }
  if (!temp_dir.empty()) {
    if (config.keep || code != 0) {
      std::cerr << "ledger-scale: kept " << temp_dir << "\n";
    } else {
      std::error_code ec;
      std::filesystem::remove_all(temp_dir, ec);
    }
  }
  return code;
}

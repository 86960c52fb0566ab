// ledger-bench: the load generator. K clients, each on its own thread and
// its own TCP connection, load a running ledgerd in phases, and the same
// run measures the server's rate of empty health-check RPCs, so the other
// rates can be read as ratios that do not depend on the machine
// (DESIGN.md, "Performance targets").
//
// Each RPC-per-request phase is a set of ClientScripts (one per client) run
// by RunPhase, which returns the phase's PhaseFigures. Phases that stream
// (the subscription phase's live fan-out, the view rebuild) have their own
// functions. Every figure goes into one JsonFigures object and, for
// people, into a table.
#include <google/protobuf/any.pb.h>
#include <google/protobuf/wrappers.pb.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "clients/command_line.h"
#include "clients/ledger_client.h"
#include "clients/query_client.h"
#include "involvement/v1/state.pb.h"
#include "ledger/v1/ledger.pb.h"
#include "projections/domain_fold.h"
#include "tools/bench_figures.h"

namespace {

using ledger::bench::JsonFigures;
using ledger::bench::LatencySummary;
using ledger::bench::ResidentMemorySampler;

constexpr char kUsage[] =
    "usage: ledger-bench [--server HOST:PORT] [--phases LIST] [--clients K]\n"
    "                    [--events N] [--batch B] [--batched-events M]\n"
    "                    [--stream-events E]\n"
    "                    [--payload-bytes P] [--streams S] [--health-rpcs H]\n"
    "                    [--read-entries R] [--read-chunk C]\n"
    "                    [--catchup-entries U] [--subscribers S2]\n"
    "                    [--live-events L] [--proof-rpcs Q]\n"
    "                    [--view-entries V] [--server-pid PID] [--json]\n"
    "                    [--tls-cert FILE --tls-key FILE --ca FILE]\n"
    "\n"
    "Load generator for a running ledgerd. K clients run concurrently, each\n"
    "on its own thread and its own TCP connection. The phases run in this\n"
    "order, with the same clients against the same server; --phases picks\n"
    "some of them (a comma-separated list, in any order; default: all):\n"
    "\n"
    "  health     empty gRPC health checks (grpc.health.v1.Health/Check):\n"
    "             the server's RPC rate with no work behind it. Measured\n"
    "             first, so RocksDB's background work after the appends does\n"
    "             not slow it.\n"
    "  unary      N durable appends, one event per Append RPC, split evenly\n"
    "             across the clients. expected_version is unset.\n"
    "  batched    M durable appends, B events per Append RPC, likewise.\n"
    "  stream     E durable appends, one event per request, each client\n"
    "             sending its share on one AppendStream call without\n"
    "             waiting for answers (the server reads up to 64 ahead);\n"
    "             latency is from sending each request to its answer. Its\n"
    "             warm-up RPCs are unary appends.\n"
    "  read       Read RPCs over the last R entries of the log (at most the\n"
    "             whole log), split across the clients in slices, each slice\n"
    "             read C entries per RPC: entries/s, and latency per RPC.\n"
    "  subscribe  catch-up: one subscriber from the U-th entry before the\n"
    "             end of the log until its CaughtUp marker (entries/s); then\n"
    "             live fan-out: S2 subscribers, each on its own connection,\n"
    "             subscribe at the end of the log, and once all are caught up\n"
    "             one client appends L events one at a time (unary, to the\n"
    "             stream bench/RUN/live); latency is from sending each Append\n"
    "             to each subscriber receiving its entry (same clock, same\n"
    "             process), over all S2 x L deliveries.\n"
    "  proofs     Q inclusion proofs of random leaves, then Q consistency\n"
    "             proofs from a random size, both at the server's current\n"
    "             tree size (its latest checkpoint), split across the\n"
    "             clients: proofs/s, and latency per RPC.\n"
    "  views      the view rebuild, measured in this process: one Read of\n"
    "             the first V entries of the log (default: the whole log at\n"
    "             its latest checkpoint) folded, as they arrive, with\n"
    "             involvement::FoldEntry, the fold ledgerd's projection runs.\n"
    "             Reported: entries/s read and folded, and entries/s of the\n"
    "             fold alone (time inside FoldEntry). Entries of non-domain\n"
    "             streams (such as the bench's own) only advance the fold's\n"
    "             position, so for a realistic figure run it against a\n"
    "             database with domain events (ledger-demo; or see\n"
    "             ledger-microbench's BM_FoldDemoEvents); the count of domain\n"
    "             events folded is reported. Then the time of two\n"
    "             QueryService.Recommendations calls: the first includes\n"
    "             the server folding whatever it had not folded yet.\n"
    "\n"
    "Before each RPC phase every client sends 3 untimed warm-up RPCs of that\n"
    "phase's kind (so the append phases append 3 x K x (1 or B) events\n"
    "besides N and M). Latency is measured per RPC, from send to reply.\n"
    "\n"
    "  --server HOST:PORT  the ledgerd to load (default: $LEDGER_SERVER, else\n"
    "                      127.0.0.1:50051)\n"
    "  --phases LIST       health,unary,batched,read,subscribe,proofs,views\n"
    "                      (default: all of them)\n"
    "  --clients K         concurrent clients (default: 16)\n"
    "  --events N          events appended in the unary phase (default: 20000)\n"
    "  --batch B           events per Append RPC in the batched phase\n"
    "                      (default: 100)\n"
    "  --batched-events M  events appended in the batched phase (default:\n"
    "                      100000)\n"
    "  --stream-events E   events appended in the stream phase (default:\n"
    "                      20000)\n"
    "  --payload-bytes P   size of each event's payload value: a\n"
    "                      google.protobuf.BytesValue of random bytes, sized\n"
    "                      so its serialized form is P bytes (one less where\n"
    "                      the length prefix grows; at least 3), so\n"
    "                      ledgerctl read can print it (default: 300)\n"
    "  --streams S         streams the append phases write, bench/RUN/0 ..\n"
    "                      bench/RUN/S-1; client c's r-th RPC goes to stream\n"
    "                      (c + K*r) mod S, so the default S = K gives each\n"
    "                      client its own stream and no two clients contend\n"
    "                      on one\n"
    "  --health-rpcs H     health checks in the timed phase, split across\n"
    "                      the clients (default: as many RPCs as the unary\n"
    "                      phase sends, and at least 20000, so the rate is\n"
    "                      not measured over a few milliseconds)\n"
    "  --read-entries R    entries the read phase reads (default: 100000)\n"
    "  --read-chunk C      entries per Read RPC (default: 1000)\n"
    "  --catchup-entries U entries the catch-up subscriber starts before the\n"
    "                      end of the log (default: 100000)\n"
    "  --subscribers S2    live subscribers (default: 4)\n"
    "  --live-events L     events appended while they listen (default: 2000)\n"
    "  --proof-rpcs Q      proofs of each kind (default: 20000)\n"
    "  --view-entries V    entries the views phase folds (default: 0, the\n"
    "                      whole log)\n"
    "  --server-pid PID    ledgerd's process id, on this machine: its\n"
    "                      resident memory (VmRSS in /proc/PID/status) is\n"
    "                      sampled every 50 ms through the run and at the end\n"
    "                      of each phase\n"
    "  --json              print one JSON object instead of the table\n"
    "  --tls-cert FILE     client certificate, PEM: connect with mutual TLS\n"
    "                      (needs --tls-key and --ca, and a role that may\n"
    "                      append google.protobuf.BytesValue: admin)\n"
    "  --tls-key FILE      the client certificate's private key, PEM\n"
    "  --ca FILE           CA certificate(s), PEM, that signed the server's\n"
    "                      certificate\n"
    "  --help              show this help\n"
    "\n"
    "Event ids are bench-RUN-CLIENT-COUNTER (bench-RUNb-... and streams\n"
    "bench/RUNb/... in the batched phase, bench-RUNs-... and bench/RUNs/...\n"
    "in the stream phase, bench-RUN-live-I in the live\n"
    "fan-out) and RUN is random, so runs never collide and the benchmark\n"
    "can be repeated against the same database.\n"
    "\n"
    "Output: a table of each phase (RPCs, events or entries, seconds,\n"
    "RPCs/s, events/s, 50th and 99th percentile latency in microseconds),\n"
    "the subscription, view and memory figures, and the ratio of the unary\n"
    "append RPC rate to the health-check RPC rate (DESIGN.md's target for 16\n"
    "clients is at least 0.7). --json prints every figure as one object;\n"
    "the members of phases not run are left out. Always: server, run,\n"
    "phases, clients, payload_bytes, streams, warmup_rpcs_per_client,\n"
    "errors. health: health_rpcs, health_seconds, health_rpcs_per_sec,\n"
    "health_p50_us, health_p99_us, health_max_us. unary (and batched, with\n"
    "the prefix batched_ and batched_batch, and stream, with the prefix\n"
    "stream_, where _rpcs counts the requests answered): unary_rpcs, unary_events,\n"
    "unary_seconds, unary_rpcs_per_sec, unary_events_per_sec, unary_p50_us,\n"
    "unary_p99_us, unary_max_us; with health, ratio_unary_rpcs_to_health.\n"
    "read: read_log_size, read_rpcs, read_entries, read_seconds,\n"
    "read_rpcs_per_sec, read_entries_per_sec, read_p50_us, read_p99_us,\n"
    "read_max_us. subscribe: subscribe_catchup_entries,\n"
    "subscribe_catchup_seconds, subscribe_catchup_entries_per_sec,\n"
    "subscribe_subscribers, subscribe_live_events,\n"
    "subscribe_live_deliveries, subscribe_live_p50_us,\n"
    "subscribe_live_p99_us, subscribe_live_max_us. proofs:\n"
    "proofs_tree_size and, for inclusion_ and consistency_: _rpcs,\n"
    "_proofs, _seconds, _rpcs_per_sec, _proofs_per_sec, _p50_us, _p99_us,\n"
    "_max_us, _hashes_per_proof. views: views_entries, views_domain_events,\n"
    "views_seconds, views_entries_per_sec, views_fold_seconds,\n"
    "views_fold_entries_per_sec, views_state_bytes,\n"
    "views_query_first_ms, views_query_second_ms. With --server-pid:\n"
    "start_server_rss_kib, PHASE_server_rss_kib after each phase,\n"
    "server_rss_samples,\n"
    "server_rss_min_kib, server_rss_max_kib, server_rss_final_kib.\n"
    "A one-line progress indicator is drawn on stderr when it is a terminal.\n"
    "\n"
    "Exit status: 0 done, 1 the server cannot be reached or an RPC failed\n"
    "(the first failure and the count of failed RPCs are printed on stderr;\n"
    "the run stops there), 2 usage error.\n";

// The phases in the order they run.
const char* const kPhaseNames[] = {"health",    "unary",  "batched", "stream",
                                   "read",      "subscribe", "proofs", "views"};

constexpr uint64_t kWarmupRpcsPerClient = 3;
constexpr uint64_t kMinHealthRpcs = 20000;
constexpr absl::Duration kConnectTimeout = absl::Seconds(5);
// How long the live fan-out waits for subscribers to catch up, and then
// for the last delivery, before it reports them as lost.
constexpr absl::Duration kSubscriberTimeout = absl::Seconds(30);

int UsageError(const std::string& problem) {
  std::cerr << "ledger-bench: " << problem << "\n\n" << kUsage;
  return 2;
}

struct BenchConfig {
  std::string server;
  std::set<std::string> phases;
  uint64_t clients = 16;
  uint64_t events = 20000;  // unary phase
  uint64_t batch = 100;
  uint64_t batched_events = 100000;
  uint64_t stream_events = 20000;
  uint64_t payload_bytes = 300;
  uint64_t streams = 0;      // 0: one per client
  uint64_t health_rpcs = 0;  // 0: see --health-rpcs
  uint64_t read_entries = 100000;
  uint64_t read_chunk = 1000;
  uint64_t catchup_entries = 100000;
  uint64_t subscribers = 4;
  uint64_t live_events = 2000;
  uint64_t proof_rpcs = 20000;
  uint64_t view_entries = 0;  // 0: the whole log
  uint64_t server_pid = 0;    // 0: memory not sampled
  bool json = false;

  bool Runs(const std::string& phase) const { return phases.count(phase) > 0; }
};

// What one timed phase measured.
struct PhaseFigures {
  uint64_t rpcs = 0;    // RPCs that succeeded
  uint64_t events = 0;  // events those RPCs carried
  uint64_t errors = 0;  // RPCs that failed
  double seconds = 0;
  double rpcs_per_sec = 0;
  double events_per_sec = 0;
  double p50_us = 0;
  double p99_us = 0;
  double max_us = 0;
  absl::Status first_error;  // of the first failed RPC, warm-up included
};

// One client's part in a phase: RPC number i (warm-up RPCs first) is built
// by Prepare, untimed, then sent by Send, timed.
class ClientScript {
 public:
  virtual ~ClientScript() = default;
  // Timed RPCs this client sends after its warm-up.
  virtual uint64_t timed_rpcs() const = 0;
  virtual void Prepare(uint64_t i) = 0;
  // Sends the prepared RPC; returns the number of events it carried.
  virtual absl::StatusOr<uint64_t> Send() = 0;
  // True for a script that sends its timed requests on one streaming call
  // (SendStreamed) instead of one RPC each.
  virtual bool streamed() const { return false; }
  // Sends requests first .. first + n - 1 (each built by Prepare) on one
  // call, stopping early once `stop` is set; appends each request's latency
  // (from sending it to its answer) to `latencies_ns` and counts it in
  // `done`. Returns the events the answered requests carried.
  virtual absl::StatusOr<uint64_t> SendStreamed(uint64_t /*first*/, uint64_t /*n*/,
                                                const std::atomic<bool>& /*stop*/,
                                                std::vector<int64_t>* /*latencies_ns*/,
                                                std::atomic<uint64_t>* /*done*/) {
    return absl::UnimplementedError("not a streaming script");
  }
};

// Durable appends: `events` timed events in RPCs of up to `batch` events,
// after full-size warm-up RPCs.
class AppendScript : public ClientScript {
 public:
  AppendScript(ledger::LedgerClient* client, const BenchConfig& config,
               const std::string& run, uint64_t client_index, uint64_t events,
               uint64_t batch, const google::protobuf::Any& payload)
      : client_(client),
        run_(run),
        client_index_(client_index),
        clients_(config.clients),
        streams_(config.streams),
        batch_(batch),
        events_(events) {
    for (uint64_t i = 0; i < batch_; ++i) {
      *request_.add_events()->mutable_payload() = payload;
    }
  }

  uint64_t timed_rpcs() const override {
    return (events_ + batch_ - 1) / batch_;
  }

  void Prepare(uint64_t i) override {
    uint64_t n = batch_;
    if (i >= kWarmupRpcsPerClient) {
      n = std::min(batch_, events_ - (i - kWarmupRpcsPerClient) * batch_);
    }
    while (static_cast<uint64_t>(request_.events_size()) > n) {
      request_.mutable_events()->RemoveLast();
    }
    request_.set_stream(absl::StrCat(
        "bench/", run_, "/", (client_index_ + clients_ * i) % streams_));
    for (auto& e : *request_.mutable_events()) {
      e.set_event_id(
          absl::StrCat("bench-", run_, "-", client_index_, "-", next_id_++));
    }
  }

  absl::StatusOr<uint64_t> Send() override {
    absl::StatusOr<ledger::v1::AppendResponse> r = client_->Append(request_);
    if (!r.ok()) return r.status();
    if (absl::Status bad = CheckAnswer(*r, request_.events_size()); !bad.ok()) return bad;
    return static_cast<uint64_t>(request_.events_size());
  }

 protected:
  // An error unless `r` places `events` new events.
  static absl::Status CheckAnswer(const ledger::v1::AppendResponse& r, int events) {
    if (r.duplicate() || r.events_size() != events) {
      return absl::InternalError(absl::StrCat("the server answered an append of ", events,
                                              " new events with ", r.events_size(),
                                              " positions",
                                              r.duplicate() ? ", marked duplicate" : ""));
    }
    return absl::OkStatus();
  }

  const ledger::v1::AppendRequest& request() const { return request_; }
  ledger::LedgerClient* client() const { return client_; }

 private:
  ledger::LedgerClient* const client_;
  const std::string run_;
  const uint64_t client_index_;
  const uint64_t clients_;
  const uint64_t streams_;
  const uint64_t batch_;
  const uint64_t events_;
  uint64_t next_id_ = 0;
  ledger::v1::AppendRequest request_;
};

// Durable appends of one event each, sent on one AppendStream call per
// client without waiting for answers (the warm-up RPCs are unary).
class StreamAppendScript : public AppendScript {
 public:
  using AppendScript::AppendScript;

  bool streamed() const override { return true; }

  absl::StatusOr<uint64_t> SendStreamed(uint64_t first, uint64_t n,
                                        const std::atomic<bool>& stop,
                                        std::vector<int64_t>* latencies_ns,
                                        std::atomic<uint64_t>* done) override {
    using Clock = std::chrono::steady_clock;
    // Written by the sending thread, read by this one when the answer
    // comes back.
    std::vector<std::atomic<int64_t>> sent_ns(n);
    const Clock::time_point origin = Clock::now();
    uint64_t next = 0;
    uint64_t answered = 0;
    uint64_t events = 0;
    absl::Status refused;
    absl::Status s = client()->AppendStream(
        [&](ledger::v1::AppendRequest* out) {
          if (next == n || stop.load()) return false;
          Prepare(first + next);
          *out = request();
          sent_ns[next].store((Clock::now() - origin).count(), std::memory_order_release);
          ++next;
          return true;
        },
        [&](absl::StatusOr<ledger::v1::AppendResponse> r) {
          const int64_t now = (Clock::now() - origin).count();
          const int64_t sent = sent_ns[answered++].load(std::memory_order_acquire);
          absl::Status bad = r.ok() ? CheckAnswer(*r, 1) : r.status();
          if (!bad.ok()) {
            if (refused.ok()) refused = bad;
            return;
          }
          latencies_ns->push_back(now - sent);
          ++events;
          done->fetch_add(1, std::memory_order_relaxed);
        });
    if (!s.ok()) return s;
    if (!refused.ok()) return refused;
    return events;
  }
};

// Empty health checks: the cost of an RPC with no work behind it.
class HealthCheckScript : public ClientScript {
 public:
  HealthCheckScript(ledger::LedgerClient* client, uint64_t rpcs)
      : client_(client), rpcs_(rpcs) {}

  uint64_t timed_rpcs() const override { return rpcs_; }
  void Prepare(uint64_t) override {}
  absl::StatusOr<uint64_t> Send() override {
    absl::Status s = client_->HealthCheck();
    if (!s.ok()) return s;
    return 0;
  }

 private:
  ledger::LedgerClient* const client_;
  const uint64_t rpcs_;
};

// Redraws one line on a terminal, at most ten times a second.
class ProgressLine {
 public:
  explicit ProgressLine(std::string phase) : phase_(std::move(phase)) {}

  void Update(uint64_t done, uint64_t total, double seconds) {
    constexpr int kWidth = 30;
    const double frac =
        total == 0 ? 1.0 : std::min(1.0, static_cast<double>(done) / total);
    const int filled = static_cast<int>(frac * kWidth);
    std::string bar(filled, '#');
    bar.append(kWidth - filled, '.');
    std::fprintf(stderr, "\r%-12s [%s] %5.1f%% %llu/%llu RPCs %6.1f s",
                 phase_.c_str(), bar.c_str(), frac * 100,
                 static_cast<unsigned long long>(done),
                 static_cast<unsigned long long>(total), seconds);
    std::fflush(stderr);
    drawn_ = true;
  }
  // Erases the line.
  void Finish() {
    if (drawn_) std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
  }

 private:
  std::string phase_;
  bool drawn_ = false;
};

// Runs one phase: every script on its own thread, warm-up RPCs first; the
// clock starts when all clients have warmed up and stops when the last
// finishes. After the first failed RPC every client stops.
PhaseFigures RunPhase(const std::string& name,
                      std::vector<std::unique_ptr<ClientScript>>& scripts,
                      bool show_progress) {
  using Clock = std::chrono::steady_clock;
  struct ClientResult {
    std::vector<int64_t> latencies_ns;
    uint64_t events = 0;
    uint64_t errors = 0;
    absl::Status error;
    Clock::time_point end;
  };
  const size_t k = scripts.size();
  std::vector<ClientResult> results(k);
  uint64_t total_rpcs = 0;
  for (const auto& s : scripts) total_rpcs += s->timed_rpcs();

  std::mutex mu;
  std::condition_variable cv;
  size_t warmed_up = 0;
  size_t finished = 0;
  bool go = false;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> rpcs_done{0};
  Clock::time_point start;

  auto client_main = [&](size_t c) {
    ClientScript& script = *scripts[c];
    ClientResult& result = results[c];
    auto fail = [&](absl::Status s) {
      ++result.errors;
      result.error = std::move(s);
      stop.store(true);
    };
    for (uint64_t i = 0; i < kWarmupRpcsPerClient && !stop.load(); ++i) {
      script.Prepare(i);
      if (absl::StatusOr<uint64_t> r = script.Send(); !r.ok()) fail(r.status());
    }
    {
      std::unique_lock<std::mutex> lock(mu);
      ++warmed_up;
      cv.notify_all();
      cv.wait(lock, [&] { return go; });
    }
    const uint64_t n = script.timed_rpcs();
    result.latencies_ns.reserve(n);
    if (script.streamed()) {
      absl::StatusOr<uint64_t> r =
          script.SendStreamed(kWarmupRpcsPerClient, n, stop, &result.latencies_ns, &rpcs_done);
      if (r.ok()) {
        result.events += *r;
      } else {
        fail(r.status());
      }
    } else {
      for (uint64_t i = 0; i < n && !stop.load(); ++i) {
        script.Prepare(kWarmupRpcsPerClient + i);
        const Clock::time_point sent = Clock::now();
        absl::StatusOr<uint64_t> r = script.Send();
        const Clock::time_point answered = Clock::now();
        if (!r.ok()) {
          fail(r.status());
          break;
        }
        result.latencies_ns.push_back(
            std::chrono::duration_cast<std::chrono::nanoseconds>(answered - sent)
                .count());
        result.events += *r;
        rpcs_done.fetch_add(1, std::memory_order_relaxed);
      }
    }
    result.end = Clock::now();
    std::lock_guard<std::mutex> lock(mu);
    ++finished;
    cv.notify_all();
  };

  std::vector<std::thread> threads;
  threads.reserve(k);
  for (size_t c = 0; c < k; ++c) threads.emplace_back(client_main, c);

  ProgressLine progress(name);
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return warmed_up == k; });
    start = Clock::now();
    go = true;
    cv.notify_all();
    while (finished < k) {
      cv.wait_for(lock, std::chrono::milliseconds(100));
      if (show_progress && finished < k) {
        progress.Update(
            rpcs_done.load(), total_rpcs,
            std::chrono::duration<double>(Clock::now() - start).count());
      }
    }
  }
  for (std::thread& t : threads) t.join();
  progress.Finish();

  PhaseFigures f;
  std::vector<int64_t> all;
  all.reserve(total_rpcs);
  Clock::time_point end = start;
  for (ClientResult& r : results) {
    all.insert(all.end(), r.latencies_ns.begin(), r.latencies_ns.end());
    f.events += r.events;
    f.errors += r.errors;
    if (!r.error.ok() && f.first_error.ok()) f.first_error = r.error;
    end = std::max(end, r.end);
  }
  std::sort(all.begin(), all.end());
  f.rpcs = all.size();
  f.seconds = std::chrono::duration<double>(end - start).count();
  if (f.seconds > 0) {
    f.rpcs_per_sec = static_cast<double>(f.rpcs) / f.seconds;
    f.events_per_sec = static_cast<double>(f.events) / f.seconds;
  }
  f.p50_us = ledger::bench::PercentileUs(all, 0.50);
  f.p99_us = ledger::bench::PercentileUs(all, 0.99);
  f.max_us = all.empty() ? 0 : static_cast<double>(all.back()) / 1000.0;
  return f;
}

// Read RPCs over `count` entries from sequence `first`, `chunk` per RPC;
// the warm-up RPCs read the first chunk. `count` must be at least 1.
class ReadScript : public ClientScript {
 public:
  ReadScript(ledger::LedgerClient* client, uint64_t first, uint64_t count, uint64_t chunk)
      : client_(client), first_(first), count_(count), chunk_(chunk) {}

  uint64_t timed_rpcs() const override { return (count_ + chunk_ - 1) / chunk_; }

  void Prepare(uint64_t i) override {
    const uint64_t done = i < kWarmupRpcsPerClient ? 0 : (i - kWarmupRpcsPerClient) * chunk_;
    request_.set_from(first_ + done);
    request_.set_limit(std::min(chunk_, count_ - done));  // never 0: no limit
  }

  absl::StatusOr<uint64_t> Send() override {
    uint64_t n = 0;
    absl::Status s = client_->Read(request_, [&n](const ledger::v1::Entry&) {
      ++n;
      return true;
    });
    if (!s.ok()) return s;
    if (n != request_.limit()) {
      return absl::DataLossError(absl::StrCat("a Read of ", request_.limit(),
                                              " entries from ", request_.from(),
                                              " returned ", n));
    }
    return n;
  }

 private:
  ledger::LedgerClient* const client_;
  const uint64_t first_;
  const uint64_t count_;
  const uint64_t chunk_;
  ledger::v1::ReadRequest request_;
};

// Inclusion proofs of random leaves, or consistency proofs from a random
// size, at `tree_size` (at least 2). Counts one "event" per proof and adds
// up the hashes each proof holds.
class ProofScript : public ClientScript {
 public:
  enum class Kind { kInclusion, kConsistency };

  ProofScript(ledger::LedgerClient* client, Kind kind, uint64_t tree_size, uint64_t rpcs,
              uint64_t seed, std::atomic<uint64_t>* hashes)
      : client_(client), kind_(kind), tree_size_(tree_size), rpcs_(rpcs), rng_(seed),
        hashes_(hashes) {}

  uint64_t timed_rpcs() const override { return rpcs_; }

  void Prepare(uint64_t) override {
    // Inclusion: any leaf. Consistency: first sizes 1 .. tree_size - 1 (a
    // proof to the same size is empty).
    position_ = kind_ == Kind::kInclusion ? rng_() % tree_size_
                                          : 1 + rng_() % (tree_size_ - 1);
  }

  absl::StatusOr<uint64_t> Send() override {
    int hashes = 0;
    if (kind_ == Kind::kInclusion) {
      absl::StatusOr<ledger::v1::GetInclusionProofResponse> r =
          client_->GetInclusionProof(position_, tree_size_);
      if (!r.ok()) return r.status();
      hashes = r->hashes_size();
    } else {
      absl::StatusOr<ledger::v1::GetConsistencyProofResponse> r =
          client_->GetConsistencyProof(position_, tree_size_);
      if (!r.ok()) return r.status();
      hashes = r->hashes_size();
    }
    hashes_->fetch_add(static_cast<uint64_t>(hashes), std::memory_order_relaxed);
    return 1;
  }

 private:
  ledger::LedgerClient* const client_;
  const Kind kind_;
  const uint64_t tree_size_;
  const uint64_t rpcs_;
  std::mt19937_64 rng_;
  std::atomic<uint64_t>* const hashes_;
  uint64_t position_ = 0;
};

// `total` split over `parts` as evenly as possible; the first get the rest.
uint64_t ShareOf(uint64_t total, uint64_t parts, uint64_t index) {
  return total / parts + (index < total % parts ? 1 : 0);
}

// Bytes of a protobuf varint holding `v`.
uint64_t VarintSize(uint64_t v) {
  uint64_t n = 1;
  for (; v >= 0x80; v >>= 7) ++n;
  return n;
}

// A BytesValue of random bytes whose serialization (1 tag byte, the varint
// length, the data) is `bytes` long, or one byte less where the length
// prefix grows; never less than 3 bytes, as the server rejects an empty
// payload value.
google::protobuf::Any MakePayload(uint64_t bytes, std::mt19937_64& rng) {
  uint64_t data = bytes > 3 ? bytes - 2 : 1;
  while (data > 1 && 1 + VarintSize(data) + data > bytes) --data;
  std::string value(data, '\0');
  for (char& ch : value) ch = static_cast<char>(rng() & 0xff);
  google::protobuf::BytesValue message;
  message.set_value(std::move(value));
  google::protobuf::Any any;
  any.set_type_url("type.googleapis.com/google.protobuf.BytesValue");
  any.set_value(message.SerializeAsString());
  return any;
}

int64_t SteadyNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Why a run stopped: the message printed after "ledger-bench: ".
struct Failure {
  std::string what;
  absl::Status status;
};

// One line of the table.
struct TableRow {
  std::string phase;
  uint64_t rpcs = 0;
  std::optional<uint64_t> items;  // events, entries or proofs
  double seconds = 0;
  double rpcs_per_sec = 0;
  double p50_us = 0;
  double p99_us = 0;
  double items_per_sec = 0;
};

// The run: its clients, what it has measured so far, and the phases.
class BenchRun {
 public:
  BenchRun(BenchConfig config, std::string run, google::protobuf::Any payload,
           ledger::ClientOptions options)
      : config_(std::move(config)),
        run_(std::move(run)),
        payload_(std::move(payload)),
        options_(std::move(options)),
        show_progress_(isatty(STDERR_FILENO) == 1) {}

  // Connects every client; false (with a message on stderr) when the
  // server cannot be reached.
  bool Connect();
  // Runs the selected phases in order; the first failure stops the run.
  std::optional<Failure> RunAll();
  void Print() const;

 private:
  std::optional<Failure> RunHealth();
  std::optional<Failure> RunAppends(const std::string& phase, uint64_t events,
                                    uint64_t batch);
  std::optional<Failure> RunRead();
  std::optional<Failure> RunSubscribe();
  std::optional<Failure> RunLiveFanOut(uint64_t from_sequence);
  std::optional<Failure> RunProofs();
  std::optional<Failure> RunViews();

  // The tree size of the server's latest checkpoint.
  absl::StatusOr<uint64_t> LogSize();
  // Adds an RPC phase's figures under `prefix` and a table row.
  void AddPhase(const std::string& prefix, const std::string& items_name,
                const PhaseFigures& f);
  std::optional<Failure> PhaseFailed(const std::string& phase, const PhaseFigures& f);
  // Records the server's memory at the end of `phase`, when sampled.
  void SampleMemory(const std::string& phase);

  const BenchConfig config_;
  const std::string run_;
  const google::protobuf::Any payload_;
  const ledger::ClientOptions options_;
  const bool show_progress_;
  std::vector<std::unique_ptr<ledger::LedgerClient>> clients_;
  std::unique_ptr<ResidentMemorySampler> memory_;
  JsonFigures json_;
  std::vector<TableRow> rows_;
  std::vector<std::string> notes_;  // lines printed under the table
  uint64_t errors_ = 0;
  std::optional<PhaseFigures> health_;
};

bool BenchRun::Connect() {
  for (uint64_t c = 0; c < config_.clients; ++c) {
    ledger::ClientOptions options = options_;
    options.own_connection = true;
    clients_.push_back(std::make_unique<ledger::LedgerClient>(config_.server, options));
  }
  for (auto& client : clients_) {
    if (absl::Status s = client->WaitForReady(kConnectTimeout); !s.ok()) {
      std::cerr << "ledger-bench: cannot reach ledgerd at " << config_.server
                << " within " << absl::FormatDuration(kConnectTimeout) << ": "
                << s.message() << "\n";
      return false;
    }
  }
  return true;
}

absl::StatusOr<uint64_t> BenchRun::LogSize() {
  absl::StatusOr<ledger::v1::GetCheckpointResponse> cp = clients_[0]->GetCheckpoint();
  if (!cp.ok()) return cp.status();
  return cp->tree_size();
}

void BenchRun::AddPhase(const std::string& prefix, const std::string& items_name,
                        const PhaseFigures& f) {
  json_.Add(prefix + "_rpcs", f.rpcs);
  if (!items_name.empty()) json_.Add(absl::StrCat(prefix, "_", items_name), f.events);
  json_.Add(prefix + "_seconds", f.seconds);
  json_.Add(prefix + "_rpcs_per_sec", f.rpcs_per_sec);
  if (!items_name.empty()) {
    json_.Add(absl::StrCat(prefix, "_", items_name, "_per_sec"), f.events_per_sec);
  }
  json_.Add(prefix + "_p50_us", f.p50_us);
  json_.Add(prefix + "_p99_us", f.p99_us);
  json_.Add(prefix + "_max_us", f.max_us);
  TableRow row;
  row.phase = prefix;
  row.rpcs = f.rpcs;
  if (!items_name.empty()) row.items = f.events;
  row.seconds = f.seconds;
  row.rpcs_per_sec = f.rpcs_per_sec;
  row.items_per_sec = f.events_per_sec;
  row.p50_us = f.p50_us;
  row.p99_us = f.p99_us;
  rows_.push_back(row);
}

std::optional<Failure> BenchRun::PhaseFailed(const std::string& phase,
                                             const PhaseFigures& f) {
  errors_ += f.errors;
  if (f.first_error.ok()) return std::nullopt;
  return Failure{absl::StrCat(phase, " failed (", f.errors, " failed RPC",
                              f.errors == 1 ? "" : "s", ", ", f.rpcs,
                              " succeeded before the run stopped)"),
                 f.first_error};
}

void BenchRun::SampleMemory(const std::string& phase) {
  if (memory_ == nullptr) return;
  const uint64_t kib = memory_->SampleNow();
  json_.Add(phase + "_server_rss_kib", kib);
  notes_.push_back(absl::StrFormat("server RSS after %s: %d KiB", phase, kib));
}

std::optional<Failure> BenchRun::RunAll() {
  json_.Add("server", config_.server);
  json_.Add("run", run_);
  std::vector<std::string> phases;
  for (const char* p : kPhaseNames) {
    if (config_.Runs(p)) phases.push_back(p);
  }
  json_.Add("phases", absl::StrJoin(phases, ","));
  json_.Add("clients", config_.clients);
  json_.Add("payload_bytes", static_cast<uint64_t>(payload_.value().size()));
  json_.Add("streams", config_.streams);
  json_.Add("warmup_rpcs_per_client", kWarmupRpcsPerClient);
  if (config_.server_pid != 0) {
    memory_ = std::make_unique<ResidentMemorySampler>(
        static_cast<pid_t>(config_.server_pid), absl::Milliseconds(50));
    if (memory_->SampleNow() == 0) {
      return Failure{absl::StrCat("--server-pid ", config_.server_pid),
                     absl::NotFoundError("cannot read its VmRSS from /proc")};
    }
    json_.Add("start_server_rss_kib", memory_->figures().last_kib);
    memory_->Start();
  }
  for (const char* name : kPhaseNames) {
    if (!config_.Runs(name)) continue;
    const std::string phase = name;
    std::optional<Failure> failure;
    if (phase == "health") {
      failure = RunHealth();
    } else if (phase == "unary") {
      failure = RunAppends("unary", config_.events, 1);
    } else if (phase == "batched") {
      json_.Add("batched_batch", config_.batch);
      failure = RunAppends("batched", config_.batched_events, config_.batch);
    } else if (phase == "stream") {
      failure = RunAppends("stream", config_.stream_events, 1);
    } else if (phase == "read") {
      failure = RunRead();
    } else if (phase == "subscribe") {
      failure = RunSubscribe();
    } else if (phase == "proofs") {
      failure = RunProofs();
    } else if (phase == "views") {
      failure = RunViews();
    }
    if (failure.has_value()) return failure;
    SampleMemory(phase);
  }
  json_.Add("errors", errors_);
  if (memory_ != nullptr) {
    memory_->Stop();
    memory_->SampleNow();
    const ResidentMemorySampler::Figures m = memory_->figures();
    json_.Add("server_rss_samples", m.samples);
    json_.Add("server_rss_min_kib", m.min_kib);
    json_.Add("server_rss_max_kib", m.max_kib);
    json_.Add("server_rss_final_kib", m.last_kib);
    notes_.push_back(absl::StrFormat(
        "server RSS over %d samples: min %d KiB, max %d KiB, final %d KiB", m.samples,
        m.min_kib, m.max_kib, m.last_kib));
  }
  return std::nullopt;
}

std::optional<Failure> BenchRun::RunHealth() {
  // As many health checks as the unary phase sends RPCs, so both rates are
  // measured over similar spans.
  const uint64_t unary_rpcs = config_.Runs("unary") ? config_.events : 0;
  const uint64_t rpcs = config_.health_rpcs != 0 ? config_.health_rpcs
                                                 : std::max(unary_rpcs, kMinHealthRpcs);
  std::vector<std::unique_ptr<ClientScript>> scripts;
  for (uint64_t c = 0; c < config_.clients; ++c) {
    scripts.push_back(std::make_unique<HealthCheckScript>(
        clients_[c].get(), ShareOf(rpcs, config_.clients, c)));
  }
  const PhaseFigures f = RunPhase("health", scripts, show_progress_);
  if (auto failure = PhaseFailed("health check", f)) return failure;
  AddPhase("health", "", f);
  health_ = f;
  return std::nullopt;
}

std::optional<Failure> BenchRun::RunAppends(const std::string& phase, uint64_t events,
                                            uint64_t batch) {
  std::vector<std::unique_ptr<ClientScript>> scripts;
  for (uint64_t c = 0; c < config_.clients; ++c) {
    const std::string run =
        run_ + (phase == "unary" ? "" : phase == "batched" ? "b" : "s");
    const uint64_t share = ShareOf(events, config_.clients, c);
    if (phase == "stream") {
      scripts.push_back(std::make_unique<StreamAppendScript>(clients_[c].get(), config_, run,
                                                             c, share, batch, payload_));
    } else {
      scripts.push_back(std::make_unique<AppendScript>(clients_[c].get(), config_, run, c,
                                                       share, batch, payload_));
    }
  }
  const PhaseFigures f = RunPhase(phase, scripts, show_progress_);
  if (auto failure = PhaseFailed(phase, f)) return failure;
  AddPhase(phase, "events", f);
  if (phase == "unary" && health_.has_value()) {
    const double ratio =
        health_->rpcs_per_sec > 0 ? f.rpcs_per_sec / health_->rpcs_per_sec : 0;
    json_.Add("ratio_unary_rpcs_to_health", ratio);
    notes_.push_back(
        absl::StrFormat("unary append RPCs/s : health-check RPCs/s = %.3f", ratio));
  }
  return std::nullopt;
}

std::optional<Failure> BenchRun::RunRead() {
  absl::StatusOr<uint64_t> size = LogSize();
  if (!size.ok()) return Failure{"read: GetCheckpoint", size.status()};
  if (*size == 0) {
    return Failure{"read", absl::FailedPreconditionError("the log is empty; run an "
                                                         "append phase first")};
  }
  // The last R entries, in one slice per client (fewer clients than
  // entries leaves none idle with nothing to read).
  const uint64_t total = std::min(*size, config_.read_entries);
  const uint64_t first = *size - total;
  const uint64_t readers = std::min<uint64_t>(config_.clients, total);
  std::vector<std::unique_ptr<ClientScript>> scripts;
  uint64_t from = first;
  for (uint64_t c = 0; c < readers; ++c) {
    const uint64_t count = ShareOf(total, readers, c);
    scripts.push_back(
        std::make_unique<ReadScript>(clients_[c].get(), from, count, config_.read_chunk));
    from += count;
  }
  const PhaseFigures f = RunPhase("read", scripts, show_progress_);
  if (auto failure = PhaseFailed("read", f)) return failure;
  json_.Add("read_log_size", *size);
  AddPhase("read", "entries", f);
  return std::nullopt;
}

std::optional<Failure> BenchRun::RunSubscribe() {
  absl::StatusOr<uint64_t> size = LogSize();
  if (!size.ok()) return Failure{"subscribe: GetCheckpoint", size.status()};

  // Catch-up: one subscriber reads the tail of the log up to its marker.
  ledger::v1::SubscribeRequest request;
  request.set_from_sequence(*size > config_.catchup_entries ? *size - config_.catchup_entries
                                                            : 0);
  uint64_t entries = 0;
  const auto start = std::chrono::steady_clock::now();
  absl::Status s = clients_[0]->Subscribe(
      request,
      [&entries](const ledger::v1::Entry&) {
        ++entries;
        return true;
      },
      [](uint64_t) { return false; });
  const double seconds = SecondsSince(start);
  if (!s.ok()) {
    ++errors_;
    return Failure{"subscribe (catch-up)", s};
  }
  const double rate = seconds > 0 ? static_cast<double>(entries) / seconds : 0;
  json_.Add("subscribe_catchup_entries", entries);
  json_.Add("subscribe_catchup_seconds", seconds);
  json_.Add("subscribe_catchup_entries_per_sec", rate);
  TableRow row;
  row.phase = "catch-up";
  row.rpcs = 1;
  row.items = entries;
  row.seconds = seconds;
  row.rpcs_per_sec = seconds > 0 ? 1 / seconds : 0;
  row.items_per_sec = rate;
  row.p50_us = row.p99_us = seconds * 1e6;
  rows_.push_back(row);

  absl::StatusOr<uint64_t> live_from = LogSize();
  if (!live_from.ok()) return Failure{"subscribe: GetCheckpoint", live_from.status()};
  return RunLiveFanOut(*live_from);
}

std::optional<Failure> BenchRun::RunLiveFanOut(uint64_t from_sequence) {
  const uint64_t n_subs = config_.subscribers;
  const uint64_t n_events = config_.live_events;
  const std::string prefix = absl::StrCat("bench-", run_, "-live-");
  // When each live event was sent (steady clock, ns; 0 before), written by
  // the appender before its Append and read by the subscribers.
  std::unique_ptr<std::atomic<int64_t>[]> sent(new std::atomic<int64_t>[n_events]);
  for (uint64_t i = 0; i < n_events; ++i) sent[i].store(0);

  struct Subscriber {
    std::unique_ptr<ledger::LedgerClient> client;
    std::vector<int64_t> latencies_ns;
    uint64_t received = 0;
    absl::Status status;
    std::thread thread;
  };
  std::vector<Subscriber> subs(n_subs);
  std::mutex mu;
  std::condition_variable cv;
  uint64_t caught_up = 0;
  uint64_t finished = 0;
  std::atomic<bool> give_up{false};

  ledger::v1::SubscribeRequest request;
  request.set_from_sequence(from_sequence);
  for (Subscriber& sub : subs) {
    ledger::ClientOptions options = options_;
    options.own_connection = true;
    sub.client = std::make_unique<ledger::LedgerClient>(config_.server, options);
    sub.latencies_ns.reserve(n_events);
    sub.thread = std::thread([&, n_events] {
      sub.status = sub.client->Subscribe(
          request,
          [&](const ledger::v1::Entry& e) {
            const int64_t now = SteadyNanos();
            if (give_up.load()) return false;
            absl::string_view id = e.event_id();
            uint64_t i = 0;
            if (!absl::ConsumePrefix(&id, prefix) || !absl::SimpleAtoi(id, &i) ||
                i >= n_events) {
              return true;  // not a live event of this run
            }
            const int64_t t = sent[i].load(std::memory_order_acquire);
            if (t > 0) sub.latencies_ns.push_back(now - t);
            return ++sub.received < n_events;
          },
          [&](uint64_t) {
            std::lock_guard<std::mutex> lock(mu);
            ++caught_up;
            cv.notify_all();
            return true;
          });
      std::lock_guard<std::mutex> lock(mu);
      ++finished;
      cv.notify_all();
    });
  }

  auto stop_all = [&]() -> std::optional<Failure> {
    // Subscribers that wait for entries that will not come are woken by
    // events outside the live set, and give up at the first.
    give_up.store(true);
    uint64_t wake = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mu);
        if (cv.wait_for(lock, std::chrono::milliseconds(100),
                        [&] { return finished == n_subs; })) {
          break;
        }
      }
      ledger::v1::AppendRequest poke;
      poke.set_stream(absl::StrCat("bench/", run_, "/live"));
      auto* e = poke.add_events();
      e->set_event_id(absl::StrCat("bench-", run_, "-wake-", wake++));
      *e->mutable_payload() = payload_;
      if (absl::StatusOr<ledger::v1::AppendResponse> r = clients_[0]->Append(poke);
          !r.ok()) {
        return Failure{"subscribe: waking the subscribers", r.status()};
      }
    }
    for (Subscriber& sub : subs) sub.thread.join();
    return std::nullopt;
  };

  {
    std::unique_lock<std::mutex> lock(mu);
    const bool ready = cv.wait_for(lock, absl::ToChronoNanoseconds(kSubscriberTimeout),
                                   [&] { return caught_up + finished >= n_subs; });
    lock.unlock();
    if (!ready || finished > 0) {
      std::optional<Failure> stopped = stop_all();
      for (Subscriber& sub : subs) {
        if (!sub.status.ok()) return Failure{"subscribe", sub.status};
      }
      if (stopped.has_value()) return stopped;
      return Failure{"subscribe", absl::DeadlineExceededError(absl::StrCat(
                                      "subscribers not caught up within ",
                                      absl::FormatDuration(kSubscriberTimeout)))};
    }
  }

  ledger::v1::AppendRequest append;
  append.set_stream(absl::StrCat("bench/", run_, "/live"));
  ledger::v1::EventData* event = append.add_events();
  *event->mutable_payload() = payload_;
  for (uint64_t i = 0; i < n_events; ++i) {
    event->set_event_id(absl::StrCat(prefix, i));
    sent[i].store(SteadyNanos(), std::memory_order_release);
    absl::StatusOr<ledger::v1::AppendResponse> r = clients_[0]->Append(append);
    if (!r.ok()) {
      ++errors_;
      if (std::optional<Failure> stopped = stop_all()) return stopped;
      return Failure{"subscribe (live append)", r.status()};
    }
  }
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, absl::ToChronoNanoseconds(kSubscriberTimeout),
                [&] { return finished == n_subs; });
  }
  if (std::optional<Failure> stopped = stop_all()) return stopped;

  std::vector<int64_t> all;
  for (Subscriber& sub : subs) {
    if (!sub.status.ok()) {
      ++errors_;
      return Failure{"subscribe (live)", sub.status};
    }
    if (sub.received != n_events) {
      ++errors_;
      return Failure{"subscribe (live)",
                     absl::DataLossError(absl::StrCat(
                         "a subscriber received ", sub.received, " of ", n_events,
                         " live events within ", absl::FormatDuration(kSubscriberTimeout)))};
    }
    all.insert(all.end(), sub.latencies_ns.begin(), sub.latencies_ns.end());
  }
  const LatencySummary lat = ledger::bench::Summarise(all);
  json_.Add("subscribe_subscribers", n_subs);
  json_.Add("subscribe_live_events", n_events);
  json_.Add("subscribe_live_deliveries", lat.count);
  json_.Add("subscribe_live_p50_us", lat.p50_us);
  json_.Add("subscribe_live_p99_us", lat.p99_us);
  json_.Add("subscribe_live_max_us", lat.max_us);
  notes_.push_back(absl::StrFormat(
      "live fan-out: %d subscribers x %d events, append sent to entry received: "
      "p50 %.0f us, p99 %.0f us, max %.0f us",
      n_subs, n_events, lat.p50_us, lat.p99_us, lat.max_us));
  return std::nullopt;
}

std::optional<Failure> BenchRun::RunProofs() {
  absl::StatusOr<uint64_t> size = LogSize();
  if (!size.ok()) return Failure{"proofs: GetCheckpoint", size.status()};
  if (*size < 2) {
    return Failure{"proofs", absl::FailedPreconditionError(
                                 "the log needs at least 2 entries; run an append phase")};
  }
  json_.Add("proofs_tree_size", *size);
  for (const auto kind : {ProofScript::Kind::kInclusion, ProofScript::Kind::kConsistency}) {
    const std::string name =
        kind == ProofScript::Kind::kInclusion ? "inclusion" : "consistency";
    std::atomic<uint64_t> hashes{0};
    std::vector<std::unique_ptr<ClientScript>> scripts;
    for (uint64_t c = 0; c < config_.clients; ++c) {
      scripts.push_back(std::make_unique<ProofScript>(
          clients_[c].get(), kind, *size, ShareOf(config_.proof_rpcs, config_.clients, c),
          c + 1, &hashes));
    }
    const PhaseFigures f = RunPhase(name, scripts, show_progress_);
    if (auto failure = PhaseFailed(name + " proofs", f)) return failure;
    AddPhase(name, "proofs", f);
    // Warm-up proofs count their hashes too; the mean is what matters.
    const uint64_t proofs = f.rpcs + kWarmupRpcsPerClient * config_.clients;
    json_.Add(name + "_hashes_per_proof",
              static_cast<double>(hashes.load()) / static_cast<double>(proofs));
  }
  notes_.push_back(absl::StrFormat("proofs at tree size %d", *size));
  return std::nullopt;
}

std::optional<Failure> BenchRun::RunViews() {
  absl::StatusOr<uint64_t> size = LogSize();
  if (!size.ok()) return Failure{"views: GetCheckpoint", size.status()};
  const uint64_t n = config_.view_entries == 0 ? *size : std::min(*size, config_.view_entries);
  ledger::LedgerClient& client = *clients_[0];

  // A correction re-folds its stream from the log, as the server's runner
  // does from its store; here the stream is read over gRPC.
  const involvement::StreamReader read_stream =
      [&client](const std::string& stream,
                const std::function<absl::Status(const ledger::v1::Entry&)>& visit) {
        ledger::v1::ReadRequest r;
        r.set_stream(stream);
        absl::Status status;
        absl::Status s = client.Read(r, [&](const ledger::v1::Entry& e) {
          status = visit(e);
          return status.ok();
        });
        return status.ok() ? s : status;
      };
  involvement::v1::DomainState state;
  uint64_t entries = 0;
  uint64_t domain_events = 0;
  int64_t fold_ns = 0;
  absl::Status fold_status;
  ledger::v1::ReadRequest request;
  request.set_from(0);
  request.set_limit(n);
  const auto start = std::chrono::steady_clock::now();
  absl::Status s = n == 0 ? absl::OkStatus()
                          : client.Read(request, [&](const ledger::v1::Entry& e) {
                              ++entries;
                              if (absl::StartsWith(e.payload().type_url(),
                                                   "type.googleapis.com/involvement.v1.")) {
                                ++domain_events;
                              }
                              const int64_t t0 = SteadyNanos();
                              fold_status = involvement::FoldEntry(e, state, read_stream);
                              fold_ns += SteadyNanos() - t0;
                              return fold_status.ok();
                            });
  const double seconds = SecondsSince(start);
  if (!s.ok()) {
    ++errors_;
    return Failure{"views: Read", s};
  }
  if (!fold_status.ok()) {
    ++errors_;
    return Failure{"views: FoldEntry", fold_status};
  }
  const double fold_seconds = static_cast<double>(fold_ns) / 1e9;
  json_.Add("views_entries", entries);
  json_.Add("views_domain_events", domain_events);
  json_.Add("views_seconds", seconds);
  json_.Add("views_entries_per_sec", seconds > 0 ? entries / seconds : 0.0);
  json_.Add("views_fold_seconds", fold_seconds);
  json_.Add("views_fold_entries_per_sec", fold_seconds > 0 ? entries / fold_seconds : 0.0);
  json_.Add("views_state_bytes", static_cast<uint64_t>(state.ByteSizeLong()));
  TableRow row;
  row.phase = "views";
  row.rpcs = 1;
  row.items = entries;
  row.seconds = seconds;
  row.rpcs_per_sec = seconds > 0 ? 1 / seconds : 0;
  row.items_per_sec = seconds > 0 ? entries / seconds : 0;
  row.p50_us = row.p99_us = seconds * 1e6;
  rows_.push_back(row);
  notes_.push_back(absl::StrFormat(
      "view rebuild: %d entries (%d domain events) read and folded at %.0f entries/s; "
      "the fold alone %.0f entries/s",
      entries, domain_events, seconds > 0 ? entries / seconds : 0.0,
      fold_seconds > 0 ? entries / fold_seconds : 0.0));

  // The server's own fold: its first query folds what it has not yet.
  ledger::QueryClient query(config_.server, options_);
  double query_ms[2] = {0, 0};
  for (double& ms : query_ms) {
    const auto t = std::chrono::steady_clock::now();
    absl::StatusOr<involvement::v1::RecommendationsView> view =
        query.Recommendations(involvement::v1::ViewRequest());
    ms = SecondsSince(t) * 1e3;
    if (!view.ok()) {
      ++errors_;
      return Failure{"views: QueryService.Recommendations", view.status()};
    }
  }
  json_.Add("views_query_first_ms", query_ms[0]);
  json_.Add("views_query_second_ms", query_ms[1]);
  notes_.push_back(absl::StrFormat(
      "QueryService.Recommendations: first %.1f ms (includes the server's catch-up "
      "fold), second %.1f ms",
      query_ms[0], query_ms[1]));
  return std::nullopt;
}

void BenchRun::Print() const {
  if (config_.json) {
    std::cout << json_.ToString() << "\n";
    return;
  }
  std::cout << absl::StrFormat(
      "ledger-bench: server %s, run %s, %d clients, %d streams, %d payload bytes\n\n",
      config_.server, run_, config_.clients, config_.streams, payload_.value().size());
  std::cout << absl::StrFormat("%-12s %9s %10s %8s %10s %11s %9s %9s\n", "phase", "RPCs",
                               "events", "seconds", "RPCs/s", "events/s", "p50 us",
                               "p99 us");
  for (const TableRow& r : rows_) {
    std::cout << absl::StrFormat(
        "%-12s %9d %10s %8.3f %10.0f %11s %9.0f %9.0f\n", r.phase, r.rpcs,
        r.items.has_value() ? absl::StrCat(*r.items) : "-", r.seconds, r.rpcs_per_sec,
        r.items.has_value() ? absl::StrFormat("%.0f", r.items_per_sec) : "-", r.p50_us,
        r.p99_us);
  }
  std::cout << "\n(events: entries for read, catch-up and views; proofs for the proofs)\n";
  for (const std::string& note : notes_) std::cout << note << "\n";
}

// Prints "ledger-bench: WHAT: CODE: MESSAGE" with a hint when the server
// cannot be reached; returns 1.
int ReportFailure(const Failure& failure, const std::string& server) {
  const absl::Status& s = failure.status;
  std::string hint;
  if (s.code() == absl::StatusCode::kUnavailable ||
      s.code() == absl::StatusCode::kDeadlineExceeded) {
    hint = absl::StrCat(" (is ledgerd running at ", server, "?)");
  }
  std::cerr << "ledger-bench: " << failure.what << ": "
            << absl::StatusCodeToString(s.code()) << ": " << s.message() << hint << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  // As in ledgerd: Debian's Abseil would track every gRPC lock's order to
  // report potential deadlocks, CPU this client would take from the server
  // it measures on the same machine.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  ledger::CommandLine cl(
      {"server", "phases", "clients", "events", "batch", "batched-events", "stream-events", "payload-bytes",
       "streams", "health-rpcs", "read-entries", "read-chunk", "catchup-entries",
       "subscribers", "live-events", "proof-rpcs", "view-entries", "server-pid",
       "tls-cert", "tls-key", "ca"},
      {"json", "help"});
  if (absl::Status s = cl.Parse(argc, argv, 1); !s.ok()) {
    return UsageError(std::string(s.message()));
  }
  if (cl.Has("help")) {
    std::cout << kUsage;
    return 0;
  }
  BenchConfig config;
  const char* env_server = std::getenv("LEDGER_SERVER");
  config.server = cl.GetOr("server", env_server != nullptr && *env_server != '\0'
                                         ? env_server
                                         : "127.0.0.1:50051");
  config.json = cl.Has("json");
  const std::string phases = cl.GetOr("phases", absl::StrJoin(kPhaseNames, ","));
  for (absl::string_view p : absl::StrSplit(phases, ',', absl::SkipWhitespace())) {
    const std::string name(absl::StripAsciiWhitespace(p));
    if (std::find(std::begin(kPhaseNames), std::end(kPhaseNames), name) ==
        std::end(kPhaseNames)) {
      return UsageError(absl::StrCat("--phases: unknown phase '", name, "'; expected some of ",
                                     absl::StrJoin(kPhaseNames, ",")));
    }
    config.phases.insert(name);
  }
  if (config.phases.empty()) return UsageError("--phases: name at least one phase");
  struct NumberFlag {
    const char* name;
    uint64_t* out;
    uint64_t min;
  };
  for (const NumberFlag& flag :
       {NumberFlag{"clients", &config.clients, 1}, NumberFlag{"events", &config.events, 1},
        NumberFlag{"batch", &config.batch, 1},
        NumberFlag{"batched-events", &config.batched_events, 1},
        NumberFlag{"stream-events", &config.stream_events, 1},
        NumberFlag{"payload-bytes", &config.payload_bytes, 1},
        NumberFlag{"streams", &config.streams, 1},
        NumberFlag{"health-rpcs", &config.health_rpcs, 1},
        NumberFlag{"read-entries", &config.read_entries, 1},
        NumberFlag{"read-chunk", &config.read_chunk, 1},
        NumberFlag{"catchup-entries", &config.catchup_entries, 0},
        NumberFlag{"subscribers", &config.subscribers, 1},
        NumberFlag{"live-events", &config.live_events, 1},
        NumberFlag{"proof-rpcs", &config.proof_rpcs, 1},
        NumberFlag{"view-entries", &config.view_entries, 0},
        NumberFlag{"server-pid", &config.server_pid, 1}}) {
    absl::StatusOr<uint64_t> v = cl.GetUint(flag.name, *flag.out);
    if (!v.ok()) return UsageError(std::string(v.status().message()));
    if (cl.Has(flag.name) && *v < flag.min) {
      return UsageError(absl::StrCat("--", flag.name, ": must be at least ", flag.min));
    }
    *flag.out = *v;
  }
  if (config.server.empty()) return UsageError("--server: HOST:PORT required");
  if (config.clients > 4096) return UsageError("--clients: at most 4096");
  if (config.subscribers > 1000) return UsageError("--subscribers: at most 1000");
  if (config.streams == 0) config.streams = config.clients;

  std::random_device seed;
  std::mt19937_64 rng((static_cast<uint64_t>(seed()) << 32) ^ seed());
  const std::string run = absl::StrFormat("%012x", rng() & 0xffffffffffffULL);
  google::protobuf::Any payload = MakePayload(config.payload_bytes, rng);

  ledger::ClientOptions options;
  {
    absl::StatusOr<ledger::ClientTls> tls = ledger::LoadClientTls(
        cl.GetOr("ca", ""), cl.GetOr("tls-cert", ""), cl.GetOr("tls-key", ""));
    if (!tls.ok()) return UsageError(std::string(tls.status().message()));
    options.tls = std::move(*tls);
  }
  BenchRun bench(config, run, std::move(payload), options);
  if (!bench.Connect()) return 1;
  if (std::optional<Failure> failure = bench.RunAll()) {
    return ReportFailure(*failure, config.server);
  }
  bench.Print();
  return 0;
}

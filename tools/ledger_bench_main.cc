// ledger-bench: the load generator. K clients, each on its own thread and
// its own TCP connection, send durable appends to a running ledgerd and
// measure events/s and per-RPC latency; in the same run, the same clients
// measure the server's rate of empty health-check RPCs, so the append rate
// can be read as a ratio that does not depend on the machine
// (DESIGN.md, "Performance targets").
//
// Each phase is a set of ClientScripts (one per client) run by RunPhase,
// which returns the phase's PhaseFigures; a new mode (reads, proofs) is a
// new script and one more call in main.
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
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "clients/command_line.h"
#include "clients/ledger_client.h"
#include "ledger/v1/ledger.pb.h"

namespace {

constexpr char kUsage[] =
    "usage: ledger-bench [--server HOST:PORT] [--clients K] [--events N]\n"
    "                    [--payload-bytes P] [--batch B] [--streams S]\n"
    "                    [--health-rpcs H] [--json]\n"
    "                    [--tls-cert FILE --tls-key FILE --ca FILE]\n"
    "\n"
    "Load generator for a running ledgerd. K clients run concurrently, each\n"
    "on its own thread and its own TCP connection. Two timed phases, in this\n"
    "order, with the same clients against the same server:\n"
    "\n"
    "  health-check  empty gRPC health checks (grpc.health.v1.Health/Check):\n"
    "                the server's RPC rate with no work behind it. Measured\n"
    "                first, so RocksDB's background work after the appends\n"
    "                does not slow it.\n"
    "  append        N durable appends in total, split evenly across the\n"
    "                clients: one event per Append RPC (unary), or B events\n"
    "                per RPC with --batch B. expected_version is unset.\n"
    "\n"
    "Before each phase every client sends 3 untimed warm-up RPCs of that\n"
    "phase's kind (so 3 x K x B warm-up events are appended besides N).\n"
    "Latency is measured per RPC, from send to reply.\n"
    "\n"
    "  --server HOST:PORT  the ledgerd to load (default: $LEDGER_SERVER, else\n"
    "                      127.0.0.1:50051)\n"
    "  --clients K         concurrent clients (default: 16)\n"
    "  --events N          events appended in the timed phase (default: 20000)\n"
    "  --payload-bytes P   size of each event's payload value: a\n"
    "                      google.protobuf.BytesValue of random bytes, sized\n"
    "                      so its serialized form is P bytes (one less where\n"
    "                      the length prefix grows; at least 3), so\n"
    "                      ledgerctl read can print it (default: 300)\n"
    "  --batch B           events per Append RPC (default: 1)\n"
    "  --streams S         streams written, bench/RUN/0 .. bench/RUN/S-1;\n"
    "                      client c's r-th RPC goes to stream (c + K*r) mod S,\n"
    "                      so the default S = K gives each client its own\n"
    "                      stream and no two clients contend on one\n"
    "  --health-rpcs H     health checks in the timed phase, split across\n"
    "                      the clients (default: as many RPCs as the append\n"
    "                      phase sends, and at least 20000, so the rate is\n"
    "                      not measured over a few milliseconds)\n"
    "  --json              print one JSON object instead of the table\n"
    "  --tls-cert FILE     client certificate, PEM: connect with mutual TLS\n"
    "                      (needs --tls-key and --ca, and a role that may\n"
    "                      append google.protobuf.BytesValue: admin)\n"
    "  --tls-key FILE      the client certificate's private key, PEM\n"
    "  --ca FILE           CA certificate(s), PEM, that signed the server's\n"
    "  --help              show this help\n"
    "\n"
    "Event ids are bench-RUN-CLIENT-COUNTER and RUN is random, so runs never\n"
    "collide and the benchmark can be repeated against the same database.\n"
    "\n"
    "Output, per phase: RPCs, events, seconds, RPCs/s, events/s, and the\n"
    "50th and 99th percentile RPC latency in microseconds; then the ratio of\n"
    "the append RPC rate to the health-check RPC rate (DESIGN.md's target\n"
    "for unary appends with 16 clients is at least 0.7). --json prints the\n"
    "same figures as one object: server, run, clients, events, batch,\n"
    "payload_bytes, streams, warmup_rpcs_per_client, append_rpcs,\n"
    "append_seconds, append_events_per_sec, append_rpcs_per_sec,\n"
    "append_p50_us, append_p99_us, append_max_us, health_rpcs,\n"
    "health_seconds, health_rpcs_per_sec, health_p50_us, health_p99_us,\n"
    "health_max_us, ratio_append_rpcs_to_health, errors.\n"
    "A one-line progress indicator is drawn on stderr when it is a terminal.\n"
    "\n"
    "Exit status: 0 done, 1 the server cannot be reached or an RPC failed\n"
    "(the first failure and the count of failed RPCs are printed on stderr;\n"
    "the run stops there), 2 usage error.\n";

constexpr uint64_t kWarmupRpcsPerClient = 3;
constexpr uint64_t kMinHealthRpcs = 20000;
constexpr absl::Duration kConnectTimeout = absl::Seconds(5);

int UsageError(const std::string& problem) {
  std::cerr << "ledger-bench: " << problem << "\n\n" << kUsage;
  return 2;
}

struct BenchConfig {
  std::string server;
  uint64_t clients = 16;
  uint64_t events = 20000;
  uint64_t payload_bytes = 300;
  uint64_t batch = 1;
  uint64_t streams = 0;      // 0: one per client
  uint64_t health_rpcs = 0;  // 0: see --health-rpcs
  bool json = false;
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
};

// Durable appends: `events` timed events in RPCs of up to `batch` events,
// after full-size warm-up RPCs.
class AppendScript : public ClientScript {
 public:
  AppendScript(ledger::LedgerClient* client, const BenchConfig& config,
               const std::string& run, uint64_t client_index, uint64_t events,
               const google::protobuf::Any& payload)
      : client_(client),
        run_(run),
        client_index_(client_index),
        clients_(config.clients),
        streams_(config.streams),
        batch_(config.batch),
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
    if (r->duplicate() || r->events_size() != request_.events_size()) {
      return absl::InternalError(absl::StrCat(
          "the server answered an append of ", request_.events_size(),
          " new events with ", r->events_size(), " positions",
          r->duplicate() ? ", marked duplicate" : ""));
    }
    return static_cast<uint64_t>(request_.events_size());
  }

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

// Nearest-rank percentile `p` (0 to 1) of sorted nanoseconds, in
// microseconds.
double PercentileUs(const std::vector<int64_t>& sorted_ns, double p) {
  if (sorted_ns.empty()) return 0;
  const double rank = std::ceil(p * static_cast<double>(sorted_ns.size()));
  const size_t index = std::min(
      sorted_ns.size() - 1, static_cast<size_t>(std::max(rank, 1.0)) - 1);
  return static_cast<double>(sorted_ns[index]) / 1000.0;
}

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
  f.p50_us = PercentileUs(all, 0.50);
  f.p99_us = PercentileUs(all, 0.99);
  f.max_us = all.empty() ? 0 : static_cast<double>(all.back()) / 1000.0;
  return f;
}

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

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (unsigned char ch : s) {
    if (ch == '"' || ch == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(ch));
    } else if (ch < 0x20) {
      absl::StrAppendFormat(&out, "\\u%04x", ch);
    } else {
      out.push_back(static_cast<char>(ch));
    }
  }
  out.push_back('"');
  return out;
}

// Prints "ledger-bench: WHAT: CODE: MESSAGE" with a hint when the server
// cannot be reached; returns 1.
int RpcFailure(const std::string& what, const absl::Status& s,
               const std::string& server) {
  std::string hint;
  if (s.code() == absl::StatusCode::kUnavailable ||
      s.code() == absl::StatusCode::kDeadlineExceeded) {
    hint = absl::StrCat(" (is ledgerd running at ", server, "?)");
  }
  std::cerr << "ledger-bench: " << what << ": "
            << absl::StatusCodeToString(s.code()) << ": " << s.message() << hint
            << "\n";
  return 1;
}

int PhaseFailure(const std::string& phase, const PhaseFigures& f,
                 const std::string& server) {
  return RpcFailure(absl::StrCat(phase, " failed (", f.errors, " failed RPC",
                                 f.errors == 1 ? "" : "s", ", ", f.rpcs,
                                 " succeeded before the run stopped)"),
                    f.first_error, server);
}

void PrintTable(const BenchConfig& config, const std::string& run,
                uint64_t payload_bytes, const PhaseFigures& health,
                const PhaseFigures& append, double ratio) {
  std::cout << absl::StrFormat(
      "ledger-bench: server %s, run %s, %d clients, %d streams\n"
      "  %d events of %d payload bytes, %s\n\n",
      config.server, run, config.clients, config.streams, config.events,
      payload_bytes,
      config.batch == 1
          ? std::string("1 event per Append RPC (unary durable appends)")
          : absl::StrCat(config.batch, " events per Append RPC"));
  std::cout << absl::StrFormat("%-13s %9s %9s %8s %10s %10s %9s %9s\n",
                               "phase", "RPCs", "events", "seconds", "RPCs/s",
                               "events/s", "p50 us", "p99 us");
  std::cout << absl::StrFormat(
      "%-13s %9d %9s %8.3f %10.0f %10s %9.0f %9.0f\n", "health-check",
      health.rpcs, "-", health.seconds, health.rpcs_per_sec, "-",
      health.p50_us, health.p99_us);
  std::cout << absl::StrFormat(
      "%-13s %9d %9d %8.3f %10.0f %10.0f %9.0f %9.0f\n", "append",
      append.rpcs, append.events, append.seconds, append.rpcs_per_sec,
      append.events_per_sec, append.p50_us, append.p99_us);
  std::cout << absl::StrFormat(
      "\nappend RPCs/s : health-check RPCs/s = %.3f\n", ratio);
}

void PrintJson(const BenchConfig& config, const std::string& run,
               uint64_t payload_bytes, const PhaseFigures& health,
               const PhaseFigures& append, double ratio) {
  std::cout << absl::StrFormat(
      "{\"server\":%s,\"run\":%s,\"clients\":%d,\"events\":%d,\"batch\":%d,"
      "\"payload_bytes\":%d,\"streams\":%d,\"warmup_rpcs_per_client\":%d,"
      "\"append_rpcs\":%d,\"append_seconds\":%.4f,"
      "\"append_events_per_sec\":%.1f,\"append_rpcs_per_sec\":%.1f,"
      "\"append_p50_us\":%.1f,\"append_p99_us\":%.1f,\"append_max_us\":%.1f,"
      "\"health_rpcs\":%d,\"health_seconds\":%.4f,"
      "\"health_rpcs_per_sec\":%.1f,\"health_p50_us\":%.1f,"
      "\"health_p99_us\":%.1f,\"health_max_us\":%.1f,"
      "\"ratio_append_rpcs_to_health\":%.4f,\"errors\":%d}\n",
      JsonString(config.server), JsonString(run), config.clients,
      append.events, config.batch, payload_bytes, config.streams,
      kWarmupRpcsPerClient, append.rpcs, append.seconds, append.events_per_sec,
      append.rpcs_per_sec, append.p50_us, append.p99_us, append.max_us,
      health.rpcs, health.seconds, health.rpcs_per_sec, health.p50_us,
      health.p99_us, health.max_us, ratio, health.errors + append.errors);
}

}  // namespace

int main(int argc, char** argv) {
  ledger::CommandLine cl({"server", "clients", "events", "payload-bytes",
                          "batch", "streams", "health-rpcs", "tls-cert", "tls-key", "ca"},
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
  struct NumberFlag {
    const char* name;
    uint64_t* out;
    uint64_t min;
  };
  for (const NumberFlag& flag : {NumberFlag{"clients", &config.clients, 1},
                                 NumberFlag{"events", &config.events, 1},
                                 NumberFlag{"payload-bytes", &config.payload_bytes, 1},
                                 NumberFlag{"batch", &config.batch, 1},
                                 NumberFlag{"streams", &config.streams, 1},
                                 NumberFlag{"health-rpcs", &config.health_rpcs, 1}}) {
    absl::StatusOr<uint64_t> v = cl.GetUint(flag.name, *flag.out);
    if (!v.ok()) return UsageError(std::string(v.status().message()));
    if (cl.Has(flag.name) && *v < flag.min) {
      return UsageError(absl::StrCat("--", flag.name, ": must be at least ", flag.min));
    }
    *flag.out = *v;
  }
  if (config.server.empty()) return UsageError("--server: HOST:PORT required");
  if (config.clients > 4096) return UsageError("--clients: at most 4096");
  if (config.streams == 0) config.streams = config.clients;

  std::random_device seed;
  std::mt19937_64 rng((static_cast<uint64_t>(seed()) << 32) ^ seed());
  const std::string run = absl::StrFormat("%012x", rng() & 0xffffffffffffULL);
  const google::protobuf::Any payload = MakePayload(config.payload_bytes, rng);
  const uint64_t payload_bytes = payload.value().size();

  // Every client has its own connection, made before the clock starts.
  std::vector<std::unique_ptr<ledger::LedgerClient>> clients;
  ledger::ClientOptions options;
  options.own_connection = true;
  {
    absl::StatusOr<ledger::ClientTls> tls = ledger::LoadClientTls(
        cl.GetOr("ca", ""), cl.GetOr("tls-cert", ""), cl.GetOr("tls-key", ""));
    if (!tls.ok()) return UsageError(std::string(tls.status().message()));
    options.tls = std::move(*tls);
  }
  for (uint64_t c = 0; c < config.clients; ++c) {
    clients.push_back(std::make_unique<ledger::LedgerClient>(config.server, options));
  }
  for (auto& client : clients) {
    if (absl::Status s = client->WaitForReady(kConnectTimeout); !s.ok()) {
      std::cerr << "ledger-bench: cannot reach ledgerd at " << config.server
                << " within " << absl::FormatDuration(kConnectTimeout) << ": "
                << s.message() << "\n";
      return 1;
    }
  }
  const bool show_progress = isatty(STDERR_FILENO) == 1;

  std::vector<std::unique_ptr<ClientScript>> append_scripts;
  uint64_t append_rpcs = 0;
  for (uint64_t c = 0; c < config.clients; ++c) {
    append_scripts.push_back(std::make_unique<AppendScript>(
        clients[c].get(), config, run, c,
        ShareOf(config.events, config.clients, c), payload));
    append_rpcs += append_scripts.back()->timed_rpcs();
  }
  const uint64_t health_rpcs = config.health_rpcs != 0
                                   ? config.health_rpcs
                                   : std::max(append_rpcs, kMinHealthRpcs);
  std::vector<std::unique_ptr<ClientScript>> health_scripts;
  for (uint64_t c = 0; c < config.clients; ++c) {
    health_scripts.push_back(std::make_unique<HealthCheckScript>(
        clients[c].get(), ShareOf(health_rpcs, config.clients, c)));
  }

  const PhaseFigures health = RunPhase("health-check", health_scripts, show_progress);
  if (!health.first_error.ok()) {
    return PhaseFailure("health check", health, config.server);
  }
  const PhaseFigures append = RunPhase("append", append_scripts, show_progress);
  if (!append.first_error.ok()) {
    return PhaseFailure("append", append, config.server);
  }

  const double ratio =
      health.rpcs_per_sec > 0 ? append.rpcs_per_sec / health.rpcs_per_sec : 0;
  if (config.json) {
    PrintJson(config, run, payload_bytes, health, append, ratio);
  } else {
    PrintTable(config, run, payload_bytes, health, append, ratio);
  }
  return 0;
}

// ledger-demo: fills a running ledgerd with the history of an invented
// provider, "Riverside Housing & Support" (tools/demo_organisation.h), over
// gRPC, and prints what it planted. The history is deterministic for a
// seed, so a second run is an idempotent retry: every append comes back as
// a duplicate and nothing new is written.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "clients/command_line.h"
#include "clients/ledger_client.h"
#include "ledger/v1/ledger.pb.h"
#include "tools/demo_organisation.h"

namespace {

constexpr char kUsage[] =
    "usage: ledger-demo [--server HOST:PORT] [--seed N] [--start YYYY-MM-DD]\n"
    "                   [--years Y] [--dry-run] [--plan-json FILE]\n"
    "                   [--tls-cert FILE --tls-key FILE --ca FILE]\n"
    "\n"
    "Appends the history of \"Riverside Housing & Support\", an invented\n"
    "housing and support provider, to a running ledgerd: its bodies (SUAG,\n"
    "SUF, BOARD, REPAIRS_WG) with yearly elections, departures, a chair\n"
    "change and meetings; a few hundred pieces of feedback and their\n"
    "responses and escalations; SUAG recommendations to the Board and SLT\n"
    "with the responses, actions and progress; complaints through both\n"
    "stages of the Housing Ombudsman Code; recruitment panels; surveys,\n"
    "reviews, advocacy reports, training and impact assessments. People\n"
    "appear only as pseudonymous refs (SU-0042, BD-03, ST-01); digests are\n"
    "random stand-ins for documents that do not exist.\n"
    "\n"
    "A few policy breaches are planted on purpose, and printed: recommendations\n"
    "answered late or never (board_response_overdue), a skipped SUAG quarter\n"
    "(suag_meeting_gap), a period with no service-user Board member\n"
    "(no_service_user_board_member), feedback unanswered after 28 days\n"
    "(feedback_unanswered), complaint deadlines missed\n"
    "(complaint_timescale_missed) and a review action plan gone overdue\n"
    "(review_action_plan_overdue). Overdue actions are listed besides.\n"
    "\n"
    "  --server HOST:PORT  the ledgerd to fill (default: $LEDGER_SERVER, else\n"
    "                      127.0.0.1:50051)\n"
    "  --seed N            the random seed (default: 1). One seed gives the\n"
    "                      same history, and the same event ids\n"
    "                      (demo-<seed>-1, demo-<seed>-2, ...), every time\n"
    "  --start YYYY-MM-DD  first day of the history (default: 2025-01-06);\n"
    "                      every date derives from it, never from the clock\n"
    "  --years Y           length of the history in years, 1 to 10 (default: 2)\n"
    "  --dry-run           build the history and print the totals and the\n"
    "                      plan without contacting a server\n"
    "  --plan-json FILE    also write the plan as JSON to FILE: the period,\n"
    "                      the policy windows used, the totals, and every\n"
    "                      planted breach with its kind, streams, event ids\n"
    "                      and facts, exact as of the history's last day\n"
    "  --tls-cert FILE     client certificate, PEM: connect with mutual TLS\n"
    "                      (needs --tls-key and --ca; the demo appends every\n"
    "                      kind of event, so its subject needs the admin role)\n"
    "  --tls-key FILE      the client certificate's private key, PEM\n"
    "  --ca FILE           CA certificate(s), PEM, that signed the server's\n"
    "                      certificate\n"
    "  --help              show this help\n"
    "\n"
    "Each stream's events are appended in date order, the events of one\n"
    "stream on one day in one request, each with expected_version set to the\n"
    "exact version the stream should be at. Running again with the same\n"
    "flags against the same server appends nothing (every request is an\n"
    "idempotent retry). A server holds one demo: another seed or start\n"
    "against it is refused at the first append.\n"
    "\n"
    "Output: the totals (requests, events new and already recorded, events\n"
    "by stream kind and by type) and the planted breaches. A one-line\n"
    "progress indicator is drawn on stderr when it is a terminal.\n"
    "\n"
    "Exit status: 0 done, 1 the server could not be reached or refused an\n"
    "append (its gRPC code and message and the stream are printed), or the\n"
    "plan file could not be written, 2 usage error.\n";

constexpr absl::Duration kConnectTimeout = absl::Seconds(5);

int UsageError(const std::string& problem) {
  std::cerr << "ledger-demo: " << problem << "\n\n" << kUsage;
  return 2;
}

// Redraws one progress line on a terminal, at most ten times a second.
class ProgressLine {
 public:
  explicit ProgressLine(bool enabled) : enabled_(enabled) {}

  void Update(size_t done, size_t total, uint64_t events) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    if (done != total && drawn_ && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    std::fprintf(stderr, "\rappending %zu/%zu requests, %llu events", done, total,
                 static_cast<unsigned long long>(events));
    std::fflush(stderr);
    drawn_ = true;
  }
  // Erases the line.
  void Finish() {
    if (drawn_) std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
    drawn_ = false;
  }

 private:
  const bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_;
};

// What the server said about the appends.
struct SendResult {
  uint64_t new_events = 0;
  uint64_t duplicate_events = 0;
  uint64_t log_size = 0;
};

std::string EventRange(const ledger::v1::AppendRequest& req) {
  const std::string& first = req.events(0).event_id();
  const std::string& last = req.events(req.events_size() - 1).event_id();
  return req.events_size() == 1 ? first : absl::StrCat(first, "..", last);
}

// Sends every append in order; on the first refusal prints one line and
// returns 1.
int SendAll(const demo::DemoHistory& history, const std::string& server,
            const ledger::ClientOptions& options, SendResult* result) {
  ledger::LedgerClient client(server, options);
  if (absl::Status s = client.WaitForReady(kConnectTimeout); !s.ok()) {
    std::cerr << "ledger-demo: cannot reach ledgerd at " << server << " within "
              << absl::FormatDuration(kConnectTimeout) << ": " << s.message() << "\n";
    return 1;
  }
  ProgressLine progress(isatty(STDERR_FILENO) == 1);
  uint64_t events = 0;
  for (size_t i = 0; i < history.appends.size(); ++i) {
    const ledger::v1::AppendRequest& req = history.appends[i];
    const uint64_t expected = req.expected_version().exact();
    absl::StatusOr<ledger::v1::AppendResponse> r = client.Append(req);
    if (!r.ok()) {
      progress.Finish();
      std::string hint;
      if (r.status().code() == absl::StatusCode::kUnavailable ||
          r.status().code() == absl::StatusCode::kDeadlineExceeded) {
        hint = absl::StrCat(" (is ledgerd running at ", server, "?)");
      } else if (r.status().code() == absl::StatusCode::kFailedPrecondition ||
                 r.status().code() == absl::StatusCode::kAlreadyExists) {
        hint = " (does the server hold another demo: another --seed, --start or --years, "
               "or another version of ledger-demo?)";
      }
      std::cerr << "ledger-demo: append " << (i + 1) << " of " << history.appends.size()
                << " to stream " << req.stream() << " (events " << EventRange(req)
                << ", expected version " << expected << ") refused: "
                << absl::StatusCodeToString(r.status().code()) << ": " << r.status().message()
                << hint << "\n";
      return 1;
    }
    // The positions must be the ones planned, new or retried.
    bool as_planned = r->events_size() == req.events_size();
    for (int j = 0; as_planned && j < r->events_size(); ++j) {
      as_planned = r->events(j).stream_version() == expected + 1 + static_cast<uint64_t>(j);
    }
    if (!as_planned) {
      progress.Finish();
      std::cerr << "ledger-demo: append to stream " << req.stream() << " (events "
                << EventRange(req) << ") landed at other stream versions than planned ("
                << expected + 1 << " onwards): the server's history differs from this demo's\n";
      return 1;
    }
    const uint64_t n = static_cast<uint64_t>(req.events_size());
    (r->duplicate() ? result->duplicate_events : result->new_events) += n;
    result->log_size = r->log_size();
    events += n;
    progress.Update(i + 1, history.appends.size(), events);
  }
  progress.Finish();
  return 0;
}

void PrintReport(const demo::DemoHistory& history, const std::string& server, bool dry_run,
                 const SendResult& sent) {
  const demo::EventTotals totals = demo::CountEvents(history);
  std::cout << absl::StrFormat(
      "ledger-demo: Riverside Housing & Support (fictional), seed %d, %s to %s\n",
      history.options.seed, history.options.start.ToString(), history.end.ToString());
  if (dry_run) {
    std::cout << absl::StrFormat("dry run: nothing sent; %d requests, %d events planned\n",
                                 totals.appends, totals.events);
  } else {
    std::cout << absl::StrFormat(
        "server %s: %d requests, %d events: %d appended, %d already recorded "
        "(idempotent retries); log size %d\n",
        server, totals.appends, totals.events, sent.new_events, sent.duplicate_events,
        sent.log_size);
  }
  std::cout << "\nevents by stream kind:\n";
  for (const auto& [kind, n] : totals.events_by_kind) {
    const uint64_t streams = totals.streams_by_kind.at(kind);
    std::cout << absl::StrFormat("  %-16s %6d  (%d stream%s)\n", kind, n, streams,
                                 streams == 1 ? "" : "s");
  }
  std::cout << "\nevents by type:\n";
  for (const auto& [type, n] : totals.events_by_type) {
    std::cout << absl::StrFormat("  %-28s %6d\n", type, n);
  }
  std::cout << absl::StrFormat("\nplanted breaches, as of %s (%d):\n", history.end.ToString(),
                               history.breaches.size());
  for (const demo::PlantedFinding& f : history.breaches) {
    std::cout << absl::StrFormat("  %-30s %s\n", f.kind, f.summary);
  }
  std::cout << absl::StrFormat(
      "\noverdue actions (listed for the action views; not a breach kind) (%d):\n",
      history.overdue_actions.size());
  for (const demo::PlantedFinding& f : history.overdue_actions) {
    std::cout << "  " << f.summary << "\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  ledger::CommandLine cl({"server", "seed", "start", "years", "plan-json", "tls-cert", "tls-key", "ca"},
                         {"dry-run", "help"});
  if (absl::Status s = cl.Parse(argc, argv, 1); !s.ok()) {
    return UsageError(std::string(s.message()));
  }
  if (cl.Has("help")) {
    std::cout << kUsage;
    return 0;
  }
  demo::DemoOptions options;
  absl::StatusOr<uint64_t> seed = cl.GetUint("seed", options.seed);
  if (!seed.ok()) return UsageError(std::string(seed.status().message()));
  options.seed = *seed;
  if (std::optional<std::string> start = cl.Get("start")) {
    std::optional<demo::CalendarDay> day = demo::CalendarDay::Parse(*start);
    if (!day.has_value()) {
      return UsageError(absl::StrCat("--start: '", *start, "' is not a date YYYY-MM-DD"));
    }
    options.start = *day;
  }
  absl::StatusOr<uint64_t> years = cl.GetUint("years", options.years);
  if (!years.ok()) return UsageError(std::string(years.status().message()));
  if (*years < 1 || *years > 10) return UsageError("--years: must be 1 to 10");
  options.years = static_cast<int>(*years);
  if (options.start.year() + options.years > 9998) {
    return UsageError("--start: too late for the years asked");
  }
  const bool dry_run = cl.Has("dry-run");
  const char* env_server = std::getenv("LEDGER_SERVER");
  const std::string server = cl.GetOr(
      "server", env_server != nullptr && *env_server != '\0' ? env_server : "127.0.0.1:50051");
  if (server.empty()) return UsageError("--server: HOST:PORT required");
  const std::optional<std::string> plan_path = cl.Get("plan-json");
  if (plan_path.has_value() && plan_path->empty()) return UsageError("--plan-json: FILE required");
  ledger::ClientOptions client_options;
  {
    absl::StatusOr<ledger::ClientTls> tls = ledger::LoadClientTls(
        cl.GetOr("ca", ""), cl.GetOr("tls-cert", ""), cl.GetOr("tls-key", ""));
    if (!tls.ok()) return UsageError(std::string(tls.status().message()));
    client_options.tls = std::move(*tls);
  }

  // Opened first, so a bad path fails before anything is sent.
  std::ofstream plan_file;
  if (plan_path.has_value()) {
    plan_file.open(*plan_path, std::ios::binary | std::ios::trunc);
    if (!plan_file) {
      std::cerr << "ledger-demo: cannot write the plan to " << *plan_path << "\n";
      return 1;
    }
  }

  const demo::DemoHistory history = demo::BuildDemoHistory(options);

  SendResult sent;
  if (!dry_run) {
    if (int rc = SendAll(history, server, client_options, &sent); rc != 0) return rc;
  }
  PrintReport(history, server, dry_run, sent);
  if (plan_path.has_value()) {
    plan_file << demo::PlanJson(history);
    plan_file.close();
    if (!plan_file) {
      std::cerr << "ledger-demo: cannot write the plan to " << *plan_path << "\n";
      return 1;
    }
    std::cout << "\nplan written to " << *plan_path << "\n";
  }
  return 0;
}

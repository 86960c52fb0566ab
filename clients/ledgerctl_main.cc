// ledgerctl: the command-line client of the Involvement Ledger.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "clients/cli_common.h"
#include "clients/command_line.h"
#include "clients/audit_pack_command.h"
#include "clients/backup_commands.h"
#include "clients/evidence_commands.h"
#include "clients/proof_commands.h"
#include "clients/report_command.h"
#include "clients/view_commands.h"
#include "clients/event_json.h"
#include "clients/ledger_client.h"

namespace {

namespace pb = google::protobuf;
using ledger::CommandLine;
using ledger::ServerError;
using ledger::UsageError;

constexpr char kMainUsageHead[] =
    "usage: ledgerctl [--server HOST:PORT] [--tls-cert FILE --tls-key FILE --ca FILE]\n"
    "                 COMMAND [FLAGS]\n"
    "\n"
    "Command-line client of the Involvement Ledger.\n"
    "\n"
    "Commands:\n";

constexpr char kMainUsageTail[] =
    "  help                show help for a command: ledgerctl help append\n"
    "\n"
    "  --server HOST:PORT  the ledgerd to talk to (default: $LEDGER_SERVER,\n"
    "                      else 127.0.0.1:50051)\n"
    "  --tls-cert FILE     this client's certificate, PEM: connect with mutual\n"
    "                      TLS (needs --tls-key and --ca); its subject's role\n"
    "                      decides what the server allows (docs/security.md)\n"
    "  --tls-key FILE      this client's private key, PEM\n"
    "  --ca FILE           the CA certificate(s), PEM, that signed the server's\n"
    "                      certificate; the server's address must be in it\n"
    "                      (default: plaintext, for a ledgerd on loopback)\n"
    "\n"
    "Exit status: 0 success (or valid), 1 the server refused or could not be\n"
    "reached (or a proof, checkpoint or log is invalid), 2 usage error (or\n"
    "a --tls-cert, --tls-key or --ca file that cannot be read).\n";

constexpr char kAppendUsage[] =
    "usage: ledgerctl append --stream S --type MESSAGE --data JSON\n"
    "                        [--event-id ID] [--expect any|none|exists|N]\n"
    "                        [--occurred-at RFC3339] [--correlation-id ID]\n"
    "                        [--causation-id ID]\n"
    "       ledgerctl append --file F.jsonl [--batch N] [--pipelined]\n"
    "\n"
    "Appends events and prints, for each, one JSON line:\n"
    "  {\"sequence\":\"7\",\"stream_version\":\"3\",\"event_id\":\"...\","
    "\"duplicate\":false}\n"
    "(numbers are strings, as in protobuf's JSON mapping; duplicate is true\n"
    "when the event was already recorded and this was a retry).\n"
    "\n"
    "  --stream S          stream to append to, e.g. recommendation/R-2026-014\n"
    "  --type MESSAGE      full protobuf message name of the payload, e.g.\n"
    "                      google.protobuf.Struct\n"
    "  --data JSON         the payload in protobuf's JSON mapping\n"
    "  --event-id ID       unique id; a retry with the same id and content is\n"
    "                      answered with the original position (default: a\n"
    "                      new random UUID, so give one when retrying)\n"
    "  --expect E          any (default), none (stream must not exist),\n"
    "                      exists, or N (stream must be at version N)\n"
    "  --occurred-at T     when it happened, RFC 3339 (default: unset)\n"
    "  --correlation-id ID, --causation-id ID   optional links\n"
    "  --file F.jsonl      one event per line, as a JSON object with the keys\n"
    "                      stream, type, data (required) and event_id, expect,\n"
    "                      occurred_at, correlation_id, causation_id; every\n"
    "                      line is checked before anything is sent\n"
    "  --batch N           with --file: send up to N consecutive lines for the\n"
    "                      same stream as one atomic append (default 1); a\n"
    "                      line with \"expect\" always starts a new append\n"
    "  --pipelined         with --file: send the appends one after another on\n"
    "                      one AppendStream call, without waiting for each\n"
    "                      answer (many times faster for a large file). Each\n"
    "                      is still its own atomic, durable append, answered\n"
    "                      in file order; a refused one does not stop those\n"
    "                      after it (they may already be on their way): it is\n"
    "                      reported on stderr with its line, the others are\n"
    "                      printed, and the exit status is 1. Without it the\n"
    "                      first refusal stops the file there\n";

constexpr char kReadUsage[] =
    "usage: ledgerctl read [--from N] [--limit K] [--stream S] [--follow]\n"
    "\n"
    "Prints entries, one JSON line each (protobuf's JSON mapping of\n"
    "ledger.v1.Entry with proto field names: sequence, stream,\n"
    "stream_version, event_id, payload, occurred_at, recorded_at, actor,\n"
    "prev_hash, ...).\n"
    "\n"
    "  --from N     first sequence (or, with --stream and no --follow, first\n"
    "               stream version); default 0\n"
    "  --limit K    print at most K entries (default: all)\n"
    "  --stream S   only entries of stream S\n"
    "  --follow     keep running and print new entries as they are\n"
    "               committed (--from is then always a sequence)\n";

void PrintAppended(const ledger::v1::AppendResponse& r) {
  for (const auto& e : r.events()) {
    std::string line = absl::StrCat(
        "{\"sequence\":\"", e.sequence(), "\",\"stream_version\":\"",
        e.stream_version(), "\",\"event_id\":\"", e.event_id(),
        "\",\"duplicate\":", r.duplicate() ? "true" : "false", "}\n");
    std::fwrite(line.data(), 1, line.size(), stdout);
  }
  std::fflush(stdout);
}

// One event read from a JSONL file, with the line it came from.
struct FileEvent {
  int line = 0;
  ledger::JsonlEvent parsed;
};

// One append of a file: its request and the lines it came from.
struct FileAppend {
  int first_line = 0;
  size_t events = 0;
  ledger::v1::AppendRequest request;
};

// Sends `appends` on one AppendStream call; prints each answer in order.
int AppendPipelined(ledger::LedgerClient& client, const std::string& path,
                    const std::vector<FileAppend>& appends, size_t total) {
  const bool tty = isatty(STDERR_FILENO);
  size_t next = 0;
  size_t answered = 0;
  size_t done = 0;
  size_t refused_appends = 0;
  size_t refused_events = 0;
  absl::Status s = client.AppendStream(
      [&](ledger::v1::AppendRequest* out) {
        if (next == appends.size()) return false;
        *out = appends[next++].request;
        return true;
      },
      [&](absl::StatusOr<ledger::v1::AppendResponse> r) {
        if (answered == appends.size()) return;  // never sent: not ours
        const FileAppend& a = appends[answered++];
        if (r.ok()) {
          PrintAppended(*r);
          done += a.events;
        } else {
          ++refused_appends;
          refused_events += a.events;
          if (tty) std::cerr << "\n";
          std::cerr << "ledgerctl: " << path << ":" << a.first_line << ": "
                    << absl::StatusCodeToString(r.status().code()) << ": "
                    << r.status().message() << "\n";
        }
        if (tty) std::cerr << "\rappended " << done << " of " << total << std::flush;
      });
  if (tty) std::cerr << "\n";
  if (!s.ok()) {
    std::cerr << "ledgerctl: " << done << " of " << total << " events appended; "
              << (appends.size() - answered)
              << " appends were not answered and may or may not be recorded"
              << (answered < appends.size()
                      ? absl::StrCat(" (the first from line ", appends[answered].first_line, ")")
                      : std::string())
              << "\n";
    return ServerError(path, s, client.address());
  }
  if (refused_appends > 0) {
    std::cerr << "ledgerctl: " << done << " of " << total << " events appended; "
              << refused_appends << (refused_appends == 1 ? " append" : " appends") << " ("
              << refused_events << (refused_events == 1 ? " event" : " events")
              << ") refused\n";
    return 1;
  }
  return 0;
}

int AppendFile(ledger::LedgerClient& client, const std::string& path,
               uint64_t batch, bool pipelined) {
  std::ifstream in(path);
  if (!in) {
    std::cerr << "ledgerctl: cannot open " << path << "\n";
    return 2;
  }
  std::vector<FileEvent> events;
  std::string text;
  for (int line = 1; std::getline(in, text); ++line) {
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    absl::StatusOr<ledger::JsonlEvent> e = ledger::ParseEventJsonLine(text);
    if (!e.ok()) {
      std::cerr << "ledgerctl: " << path << ":" << line << ": "
                << e.status().message() << "\n";
      return 2;
    }
    events.push_back(FileEvent{line, *std::move(e)});
  }
  std::vector<FileAppend> appends;
  for (size_t i = 0; i < events.size();) {
    FileAppend a;
    a.first_line = events[i].line;
    ledger::v1::AppendRequest& req = a.request;
    req.set_stream(events[i].parsed.stream);
    if (events[i].parsed.has_expect) {
      *req.mutable_expected_version() = events[i].parsed.expect;
    }
    size_t j = i;
    while (j < events.size() && req.events_size() < static_cast<int>(batch) &&
           events[j].parsed.stream == events[i].parsed.stream &&
           (j == i || !events[j].parsed.has_expect)) {
      *req.add_events() = events[j].parsed.event;
      ++j;
    }
    a.events = j - i;
    appends.push_back(std::move(a));
    i = j;
  }
  if (pipelined) return AppendPipelined(client, path, appends, events.size());
  const bool tty = isatty(STDERR_FILENO);
  size_t done = 0;
  for (const FileAppend& a : appends) {
    absl::StatusOr<ledger::v1::AppendResponse> r = client.Append(a.request);
    if (!r.ok()) {
      if (tty) std::cerr << "\n";
      std::cerr << "ledgerctl: " << done << " of " << events.size()
                << " events appended before line " << a.first_line << " failed\n";
      return ServerError(absl::StrCat(path, ":", a.first_line), r.status(),
                         client.address());
    }
    PrintAppended(*r);
    done += a.events;
    if (tty) std::cerr << "\rappended " << done << " of " << events.size() << std::flush;
  }
  if (tty) std::cerr << "\n";
  return 0;
}

int Append(const ledger::ServerConnection& server, int argc, char** argv, int first) {
  CommandLine cl({"server", "stream", "type", "data", "event-id", "expect",
                  "occurred-at", "correlation-id", "causation-id", "file",
                  "batch"},
                 {"help", "pipelined"});
  if (absl::Status s = cl.Parse(argc, argv, first); !s.ok()) {
    return UsageError(std::string(s.message()), kAppendUsage);
  }
  if (cl.Has("help")) {
    std::cout << kAppendUsage;
    return 0;
  }
  ledger::LedgerClient client(cl.GetOr("server", server.address), server.options);
  if (auto file = cl.Get("file")) {
    for (const char* f : {"stream", "type", "data", "event-id", "expect",
                          "occurred-at", "correlation-id", "causation-id"}) {
      if (cl.Has(f)) {
        return UsageError(absl::StrCat("--", f, " cannot be used with --file"),
                          kAppendUsage);
      }
    }
    absl::StatusOr<uint64_t> batch = cl.GetUint("batch", 1);
    if (!batch.ok() || *batch == 0) {
      return UsageError("--batch must be a positive number", kAppendUsage);
    }
    return AppendFile(client, *file, *batch, cl.Has("pipelined"));
  }
  if (cl.Has("batch")) return UsageError("--batch needs --file", kAppendUsage);
  if (cl.Has("pipelined")) return UsageError("--pipelined needs --file", kAppendUsage);
  for (const char* f : {"stream", "type", "data"}) {
    if (!cl.Has(f)) {
      return UsageError(absl::StrCat("--", f, " is required"), kAppendUsage);
    }
  }
  ledger::v1::AppendRequest req;
  req.set_stream(*cl.Get("stream"));
  ledger::v1::EventData* e = req.add_events();
  absl::StatusOr<pb::Any> payload =
      ledger::PackJsonPayload(*cl.Get("type"), *cl.Get("data"));
  if (!payload.ok()) {
    return UsageError(std::string(payload.status().message()), kAppendUsage);
  }
  *e->mutable_payload() = *payload;
  e->set_event_id(cl.GetOr("event-id", ledger::NewEventId()));
  if (auto v = cl.Get("expect")) {
    absl::StatusOr<ledger::v1::ExpectedVersion> ev = ledger::ParseExpectedVersion(*v);
    if (!ev.ok()) return UsageError(std::string(ev.status().message()), kAppendUsage);
    *req.mutable_expected_version() = *ev;
  }
  if (auto t = cl.Get("occurred-at")) {
    absl::StatusOr<pb::Timestamp> ts = ledger::ParseRfc3339(*t);
    if (!ts.ok()) return UsageError(std::string(ts.status().message()), kAppendUsage);
    *e->mutable_occurred_at() = *ts;
  }
  if (auto c = cl.Get("correlation-id")) e->set_correlation_id(*c);
  if (auto c = cl.Get("causation-id")) e->set_causation_id(*c);
  absl::StatusOr<ledger::v1::AppendResponse> r = client.Append(req);
  if (!r.ok()) return ServerError("append", r.status(), client.address());
  PrintAppended(*r);
  return 0;
}

int Read(const ledger::ServerConnection& server, int argc, char** argv, int first) {
  CommandLine cl({"server", "from", "limit", "stream"}, {"follow", "help"});
  if (absl::Status s = cl.Parse(argc, argv, first); !s.ok()) {
    return UsageError(std::string(s.message()), kReadUsage);
  }
  if (cl.Has("help")) {
    std::cout << kReadUsage;
    return 0;
  }
  absl::StatusOr<uint64_t> from = cl.GetUint("from", 0);
  absl::StatusOr<uint64_t> limit = cl.GetUint("limit", 0);
  if (!from.ok()) return UsageError(std::string(from.status().message()), kReadUsage);
  if (!limit.ok()) return UsageError(std::string(limit.status().message()), kReadUsage);
  ledger::LedgerClient client(cl.GetOr("server", server.address), server.options);
  uint64_t printed = 0;
  auto print = [&](const ledger::v1::Entry& e) {
    std::string line = ledger::EntryToJsonLine(e);
    line.push_back('\n');
    std::fwrite(line.data(), 1, line.size(), stdout);
    ++printed;
    if (cl.Has("follow")) std::fflush(stdout);
    return *limit == 0 || printed < *limit;
  };
  absl::Status s;
  if (cl.Has("follow")) {
    ledger::v1::SubscribeRequest req;
    req.set_from_sequence(*from);
    req.set_stream(cl.GetOr("stream", ""));
    s = client.Subscribe(req, print, [](uint64_t) { return true; });
  } else {
    ledger::v1::ReadRequest req;
    req.set_from(*from);
    req.set_limit(*limit);
    req.set_stream(cl.GetOr("stream", ""));
    s = client.Read(req, print);
  }
  std::fflush(stdout);
  if (!s.ok()) return ServerError("read", s, client.address());
  return 0;
}


const std::vector<ledger::CliCommand>& Commands() {
  static const std::vector<ledger::CliCommand> kCommands = [] {
    std::vector<ledger::CliCommand> all = {
        {"append", "append events to a stream (one, or many from a JSONL file)",
         kAppendUsage, Append},
        {"read", "print entries as JSON lines, by sequence or by stream",
         kReadUsage, Read},
    };
    for (const ledger::CliCommand& c : ledger::ViewCommands()) all.push_back(c);
    for (const ledger::CliCommand& c : ledger::ProofCommands()) all.push_back(c);
    for (const ledger::CliCommand& c : ledger::EvidenceCommands()) all.push_back(c);
    for (const ledger::CliCommand& c : ledger::AuditPackCommands()) all.push_back(c);
    for (const ledger::CliCommand& c : ledger::ReportCommands()) all.push_back(c);
    for (const ledger::CliCommand& c : ledger::BackupCommands()) all.push_back(c);
    return all;
  }();
  return kCommands;
}

std::string MainUsage() {
  std::string out = kMainUsageHead;
  for (const ledger::CliCommand& c : Commands()) {
    std::string name = c.name;
    name.resize(std::max<size_t>(name.size() + 1, 20), ' ');
    absl::StrAppend(&out, "  ", name, c.summary, "\n");
  }
  return out + kMainUsageTail;
}

const ledger::CliCommand* FindCommand(const std::string& name) {
  for (const ledger::CliCommand& c : Commands()) {
    if (name == c.name) return &c;
  }
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  const char* env = std::getenv("LEDGER_SERVER");
  std::string server = env != nullptr && *env != '\0' ? env : "127.0.0.1:50051";
  const std::string usage = MainUsage();
  std::string ca, tls_cert, tls_key;
  int i = 1;
  while (i < argc && std::string(argv[i]).rfind("--", 0) == 0) {
    std::string arg = argv[i];
    if (arg == "--help") {
      std::cout << usage;
      return 0;
    } else if (arg == "--server" && i + 1 < argc) {
      server = argv[i + 1];
      i += 2;
    } else if (arg.rfind("--server=", 0) == 0) {
      server = arg.substr(9);
      ++i;
    } else if ((arg == "--tls-cert" || arg == "--tls-key" || arg == "--ca") && i + 1 < argc) {
      (arg == "--tls-cert" ? tls_cert : arg == "--tls-key" ? tls_key : ca) = argv[i + 1];
      i += 2;
    } else {
      return UsageError(absl::StrCat("unknown flag ", arg), usage.c_str());
    }
  }
  if (i >= argc) return UsageError("no command given", usage.c_str());
  const std::string command = argv[i];
  if (command == "help") {
    if (i + 1 >= argc) {
      std::cout << usage;
      return 0;
    }
    const ledger::CliCommand* c = FindCommand(argv[i + 1]);
    if (c == nullptr) {
      return UsageError(absl::StrCat("no command '", argv[i + 1], "'"), usage.c_str());
    }
    std::cout << c->usage;
    return 0;
  }
  const ledger::CliCommand* c = FindCommand(command);
  if (c == nullptr) {
    return UsageError(absl::StrCat("unknown command '", command, "'"), usage.c_str());
  }
  ledger::ServerConnection connection;
  connection.address = server;
  absl::StatusOr<ledger::ClientTls> tls = ledger::LoadClientTls(ca, tls_cert, tls_key);
  if (!tls.ok()) {
    if (absl::IsInvalidArgument(tls.status())) {
      return UsageError(std::string(tls.status().message()), usage.c_str());
    }
    std::cerr << "ledgerctl: " << tls.status().message() << "\n";
    return 2;
  }
  connection.options.tls = std::move(*tls);
  return c->run(connection, argc, argv, i + 1);
}

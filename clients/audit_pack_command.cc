// ledgerctl audit-pack: the year's compliance findings, indicators,
// recommendations and complaints figures, one evidence bundle per finding,
// the one checkpoint they are all proven against, and a SUMMARY.md a
// person reads first. docs/evidence.md describes the pack.
#include "clients/audit_pack_command.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/type_resolver.h>
#include <google/protobuf/util/type_resolver_util.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "clients/cli_common.h"
#include "clients/command_line.h"
#include "clients/evidence_commands.h"
#include "clients/ledger_client.h"
#include "clients/query_client.h"
#include "ledger/entry.h"
#include "involvement/v1/views.pb.h"
#include "ledger/hash.h"
#include "projections/civil_date.h"

namespace ledger {

namespace {

namespace pb = google::protobuf;
namespace iv1 = involvement::v1;

constexpr char kAuditPackUsage[] =
    "usage: ledgerctl audit-pack --year YYYY --out DIR [--as-of DATE]\n"
    "\n"
    "Fetches one signed checkpoint and writes into DIR (created; a non-empty\n"
    "DIR is refused): checkpoint.txt and verifier-key.txt; compliance.json,\n"
    "indicators.json (for YYYY), recommendations.json and complaints.json\n"
    "(CH01/CH02 for YYYY), the views as of DATE; evidence/NNN-RULE-SUBJECT.json,\n"
    "one evidence bundle per compliance finding, all proven against that\n"
    "checkpoint; and SUMMARY.md. The views must have been computed from\n"
    "exactly the checkpoint's entries and the log must not grow during the\n"
    "run; otherwise it retries once, then exits 1. The same checkpoint gives\n"
    "byte-identical files (docs/evidence.md).\n"
    "\n"
    "  --year YYYY    the year of the pack\n"
    "  --out DIR      the directory to write\n"
    "  --as-of DATE   the views' date, within YYYY (default: 31 December of\n"
    "                 YYYY, or today, UTC, if that is earlier)\n"
    "\n"
    "Exit 0 written, 1 server error or the log kept growing, 2 usage error.\n";

// Protobuf's JSON mapping with proto field names and default values, from
// a deterministic serialization, so that map fields come out sorted by key.
std::string StableJson(const pb::Message& m) {
  const std::string binary = SerializeDeterministic(m);
  static pb::util::TypeResolver* resolver = pb::util::NewTypeResolverForDescriptorPool(
      "type.googleapis.com", pb::DescriptorPool::generated_pool());
  pb::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  options.add_whitespace = true;
  std::string out;
  (void)pb::util::BinaryToJsonString(
      resolver, absl::StrCat("type.googleapis.com/", m.GetDescriptor()->full_name()), binary,
      &out, options);
  if (out.empty() || out.back() != '\n') out += "\n";
  return out;
}

std::string Date(const iv1::Date& d) {
  if (d.year() == 0) return "-";
  return absl::StrFormat("%04d-%02d-%02d", d.year(), d.month(), d.day());
}

// Everything the pack holds, by path relative to DIR.
struct Pack {
  std::map<std::string, std::string> files;
};

// Builds the pack in memory against one checkpoint. `grew` is set (and OK
// returned) when the views or the final checkpoint are not of the first
// checkpoint's size.
absl::Status BuildPack(const std::string& address, const ClientOptions& options, int year,
                       const iv1::Date& as_of, Pack* pack, bool* grew) {
  *grew = false;
  LedgerClient client(address, options);
  absl::StatusOr<FetchedCheckpoint> cp = FetchCheckpoint(client);
  if (!cp.ok()) return cp.status();
  const uint64_t size = cp->checkpoint.size;

  QueryClient query(address, options);
  iv1::ViewRequest request;
  *request.mutable_as_of() = as_of;
  request.set_year(year);
  absl::StatusOr<iv1::ComplianceView> compliance = query.Compliance(request);
  if (!compliance.ok()) return compliance.status();
  absl::StatusOr<iv1::IndicatorsView> indicators = query.Indicators(request);
  if (!indicators.ok()) return indicators.status();
  absl::StatusOr<iv1::RecommendationsView> recommendations = query.Recommendations(request);
  if (!recommendations.ok()) return recommendations.status();
  absl::StatusOr<iv1::ComplaintsView> complaints = query.Complaints(request);
  if (!complaints.ok()) return complaints.status();
  for (uint64_t n : {compliance->info().log_size(), indicators->info().log_size(),
                     recommendations->info().log_size(), complaints->info().log_size()}) {
    if (n != size) *grew = true;
  }
  if (*grew) return absl::OkStatus();

  pack->files["checkpoint.txt"] = cp->note;
  pack->files["verifier-key.txt"] = absl::StrCat(cp->verifier_key, "\n");
  pack->files["compliance.json"] = StableJson(*compliance);
  pack->files["indicators.json"] = StableJson(*indicators);
  pack->files["recommendations.json"] = StableJson(*recommendations);
  pack->files["complaints.json"] = StableJson(*complaints);

  std::map<std::string, std::string> bundles;  // by subject
  std::map<std::string, int> by_rule;
  std::vector<std::string> finding_lines;
  std::string first_bundle;
  int n = 0;
  for (const iv1::Finding& f : compliance->findings()) {
    ++n;
    auto it = bundles.find(f.subject());
    if (it == bundles.end()) {
      absl::StatusOr<std::string> bundle = BuildEvidenceBundle(client, address, *cp, f.subject());
      if (!bundle.ok()) {
        return absl::Status(bundle.status().code(),
                            absl::StrCat("evidence for ", f.subject(), ": ",
                                         bundle.status().message()));
      }
      it = bundles.emplace(f.subject(), *std::move(bundle)).first;
    }
    const std::string name =
        absl::StrFormat("evidence/%03d-%s-%s.json", n, f.rule(),
                        absl::StrReplaceAll(f.subject(), {{"/", "_"}}));
    pack->files[name] = it->second;
    if (first_bundle.empty()) first_bundle = name;
    ++by_rule[f.rule()];
    finding_lines.push_back(absl::StrCat("- `", name, "`: ", f.rule(), ", ", f.subject(),
                                         ", since ", Date(f.since()), ": ", f.detail()));
  }

  absl::StatusOr<FetchedCheckpoint> again = FetchCheckpoint(client);
  if (!again.ok()) return again.status();
  if (again->checkpoint.size != size) {
    *grew = true;
    return absl::OkStatus();
  }

  const iv1::IndicatorsView& ind = *indicators;
  const iv1::ComplaintsView& ch = *complaints;
  std::string md = absl::StrCat(
      "# Audit pack: ", cp->checkpoint.origin, ", ", year, "\n\n",
      "- Organisation (log origin): ", cp->checkpoint.origin, "\n",
      "- Year: ", year, "\n",
      "- Views as of: ", Date(as_of), "\n",
      "- Checkpoint: ", size, " entries, root ", HexEncode(cp->checkpoint.root), "\n",
      "- Verifier key: see `verifier-key.txt` (key id ", absl::StrFormat("%08x", cp->key.key_id),
      ")\n\n",
      "Every file here was computed from exactly the entries of this checkpoint.\n\n",
      "## Compliance findings (", compliance->findings_size(), ")\n\n");
  if (by_rule.empty()) md += "No findings.\n";
  for (const auto& [rule, count] : by_rule) absl::StrAppend(&md, "- ", rule, ": ", count, "\n");
  absl::StrAppend(&md, "\nOne evidence bundle per finding:\n\n");
  for (const std::string& line : finding_lines) absl::StrAppend(&md, line, "\n");
  absl::StrAppend(
      &md, "\n## Key indicators (", ind.year(), ")\n\n",
      "- People in formal structures: ", ind.people_in_formal_structures(), "\n",
      "- People in informal involvement: ", ind.people_in_informal_involvement(), "\n",
      "- People in formal decision making: ", ind.people_in_decision_making(), "\n",
      "- Recommendations made / answered / accepted / implemented: ",
      ind.recommendations_made(), " / ", ind.recommendations_answered(), " / ",
      ind.recommendations_accepted(), " / ", ind.recommendations_implemented(), "\n",
      "- Median days to respond: ", absl::StrFormat("%.1f", ind.median_days_to_respond()), "\n",
      "- Feedback received / responded / closed: ", ind.feedback_received(), " / ",
      ind.feedback_responded(), " / ", ind.feedback_closed(), "\n",
      "- SUAG meetings: ", ind.suag_meetings(), "\n",
      "- Board meetings with SUAG representatives: ",
      ind.board_meetings_with_suag_representatives(), "\n",
      "- Complaints received: ", ind.complaints_received(), "\n",
      "- Recruitment panels with service users: ", ind.recruitment_panels_with_users(), "\n",
      "\n## Complaints (", ch.year(), ")\n\n",
      absl::StrFormat("- CH01: %.2f stage 1 and %.2f stage 2 complaints per 1,000 homes "
                      "(%d homes)\n",
                      ch.ch01_stage1_per_1000_homes(), ch.ch01_stage2_per_1000_homes(),
                      ch.homes()),
      absl::StrFormat("- CH02: %.1f%% of stage 1 and %.1f%% of stage 2 complaints answered "
                      "within the Code's timescales\n",
                      ch.ch02_stage1_within_timescales_percent(),
                      ch.ch02_stage2_within_timescales_percent()),
      "\n## How to verify\n\n",
      "Pin the verifier key out of band (compare `verifier-key.txt` with the key\n"
      "the organisation publishes), then, with no server:\n\n",
      "    ledgerctl verify-checkpoint --vkey \"$(cat verifier-key.txt)\" < checkpoint.txt\n");
  if (!first_bundle.empty()) {
    absl::StrAppend(&md, "    ledgerctl verify-bundle ", first_bundle,
                    " --vkey \"$(cat verifier-key.txt)\" --as-of ", Date(as_of), "\n");
  }
  absl::StrAppend(
      &md, "\nverify-bundle checks every entry's inclusion proof against the checkpoint\n"
           "in the bundle (the same as `checkpoint.txt`) and prints the row recomputed\n"
           "from the bundle's entries alone. `ledgerctl audit` checks that this\n"
           "checkpoint is consistent with the ones an auditor saw before.\n");
  pack->files["SUMMARY.md"] = md;
  return absl::OkStatus();
}

int AuditPack(const ServerConnection& server, int argc, char** argv, int first) {
  CommandLine cl({"server", "year", "out", "as-of"}, {"help"});
  if (absl::Status s = cl.Parse(argc, argv, first); !s.ok()) {
    return UsageError(std::string(s.message()), kAuditPackUsage);
  }
  if (cl.Has("help")) {
    std::cout << kAuditPackUsage;
    return 0;
  }
  if (!cl.Has("year")) return UsageError("--year is required", kAuditPackUsage);
  if (!cl.Has("out")) return UsageError("--out is required", kAuditPackUsage);
  absl::StatusOr<uint64_t> year_arg = cl.GetUint("year", 0);
  if (!year_arg.ok() || *year_arg < 1 || *year_arg > 9999) {
    return UsageError("--year: expected a year such as 2026", kAuditPackUsage);
  }
  const int year = static_cast<int>(*year_arg);
  std::optional<involvement::CivilDate> as_of;
  if (auto text = cl.Get("as-of")) {
    as_of = involvement::CivilDate::Parse(*text);
    if (!as_of.has_value()) return UsageError("--as-of: expected YYYY-MM-DD", kAuditPackUsage);
    if (as_of->year() != year) {
      return UsageError("--as-of: must be a date within --year", kAuditPackUsage);
    }
  } else {
    const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone());
    if (today.year() < year) {
      as_of = involvement::CivilDate::FromYmd(static_cast<int>(today.year()), today.month(),
                                              today.day());
    } else {
      as_of = involvement::CivilDate::FromYmd(year, 12, 31);
    }
  }
  const std::filesystem::path dir(*cl.Get("out"));
  std::error_code ec;
  if (std::filesystem::exists(dir, ec)) {
    if (!std::filesystem::is_directory(dir, ec) || !std::filesystem::is_empty(dir, ec)) {
      return UsageError(absl::StrCat("--out: ", dir.string(), " exists and is not an empty directory"),
                        kAuditPackUsage);
    }
  }

  const std::string address = cl.GetOr("server", server.address);
  Pack pack;
  bool grew = false;
  for (int attempt = 0; attempt < 2; ++attempt) {
    pack = Pack();
    absl::Status s = BuildPack(address, server.options, year, as_of->ToProto(), &pack, &grew);
    if (!s.ok()) return EvidenceError("audit-pack", s, address);
    if (!grew) break;
  }
  if (grew) {
    std::cerr << "ledgerctl: audit-pack: the log grew during the run (twice); the views and "
                 "bundles would not agree with one checkpoint. Try again when it is quiet.\n";
    return 1;
  }

  for (const auto& [name, content] : pack.files) {
    const std::filesystem::path path = dir / name;
    std::filesystem::create_directories(path.parent_path(), ec);
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << content;
    f.close();
    if (!f) {
      std::cerr << "ledgerctl: audit-pack: cannot write " << path.string() << "\n";
      return 1;
    }
  }
  std::cerr << "audit pack for " << year << " as of " << as_of->ToString() << ": "
            << pack.files.size() << " files in " << dir.string() << "\n";
  return 0;
}

}  // namespace

const std::vector<CliCommand>& AuditPackCommands() {
  static const std::vector<CliCommand> kCommands = {
      {"audit-pack", "write the year's findings, views, evidence and summary for auditors",
       kAuditPackUsage, AuditPack},
  };
  return kCommands;
}

}  // namespace ledger

#include "clients/view_commands.h"

#include <google/protobuf/util/json_util.h>

#include <cstdio>
#include <functional>
#include <iostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "clients/cli_common.h"
#include "clients/command_line.h"
#include "clients/query_client.h"

namespace ledger {

namespace {

namespace iv1 = involvement::v1;

constexpr char kCommonFlags[] =
    "  --as-of DATE   compute the view as of DATE (YYYY-MM-DD; default: today,\n"
    "                 UTC). Deadlines before it that were not met are overdue.\n"
    "  --json         print the view as one JSON object (protobuf's JSON\n"
    "                 mapping of the involvement.v1 view message)\n"
    "Every row lists the ledger sequences it came from (\"seq\"); prove any of\n"
    "them with ledgerctl prove-inclusion --index N.\n";

std::string Usage(const char* head) { return absl::StrCat(head, "\n", kCommonFlags); }

const std::string kRecommendationsUsage = Usage(
    "usage: ledgerctl recommendations [--as-of DATE] [--id R-ID] [--open] [--json]\n"
    "\n"
    "Recommendations to the Board and SLT: status (awaiting response,\n"
    "answered, actions open, closed), due date, overdue (first), decision,\n"
    "and actions with their state.\n"
    "  --id R-ID      only this recommendation\n"
    "  --open         only recommendations not closed");
const std::string kYouSaidUsage = Usage(
    "usage: ledgerctl you-said-we-did [--as-of DATE] [--id F-ID] [--open] [--json]\n"
    "\n"
    "Every feedback item with its chain: escalations, recommendations citing\n"
    "it, the response, and when and how users were told; open or closed,\n"
    "days to close, and whether it went unanswered past the policy window.\n"
    "  --id F-ID      only this feedback item\n"
    "  --open         only open items");
const std::string kBodiesUsage = Usage(
    "usage: ledgerctl bodies [--as-of DATE] [--body SUAG|SUF|BOARD|REPAIRS_WG|SLT] [--json]\n"
    "\n"
    "Each body's current members by category, chair, terms ending soon,\n"
    "vacancies, meetings and any gap over the policy's maximum, and Board\n"
    "meetings with SUAG representatives present.\n"
    "  --body NAME    only this body");
const std::string kComplaintsUsage = Usage(
    "usage: ledgerctl complaints [--as-of DATE] [--id C-ID] [--open] [--json]\n"
    "\n"
    "Complaints against the Housing Ombudsman Complaint Handling Code:\n"
    "acknowledgement and response deadlines in working days (England and\n"
    "Wales bank holidays), extensions, met or missed; and the Tenant\n"
    "Satisfaction Measures CH01 and CH02 for the year of the view date.\n"
    "  --id C-ID      only this complaint (the CH figures still cover all)\n"
    "  --open         only open complaints");
const std::string kComplianceUsage = Usage(
    "usage: ledgerctl compliance [--as-of DATE] [--rule RULE] [--json]\n"
    "\n"
    "Every breach found: overdue Board responses, SUAG meeting gaps, a chair\n"
    "who is not a service user, no service-user Board member, feedback\n"
    "unanswered past the window, missed complaint timescales, overdue review\n"
    "action plans; each with the ledger sequences that prove it.\n"
    "  --rule RULE    only findings of this rule, e.g. board_response_overdue");

const std::string kRecruitmentUsage = Usage(
    "usage: ledgerctl recruitment [--as-of DATE] [--open] [--json]\n"
    "\n"
    "Recruitment panels: front-line posts with and without service-user\n"
    "involvement, the stages users took part in, and the decisions.\n"
    "  --open         only panels not yet decided (the counts cover those)");
const std::string kIndicatorsUsage = Usage(
    "usage: ledgerctl indicators [--as-of DATE] [--year YYYY] [--json]\n"
    "\n"
    "Involvement indicators for a year (default: the year of the view date):\n"
    "people involved in formal and informal structures and in formal decision\n"
    "making; recommendations made, answered, accepted and implemented; median\n"
    "days to respond; feedback, meetings, complaints and panels.\n"
    "  --year YYYY    the year counted");

std::string Date(const iv1::Date& d) {
  if (d.year() == 0) return "-";
  return absl::StrFormat("%04d-%02d-%02d", d.year(), d.month(), d.day());
}

std::string Seqs(const google::protobuf::RepeatedField<uint64_t>& s) {
  return absl::StrJoin(s, ",");
}

std::string Enum(const std::string& full, const std::string& prefix) {
  return full.rfind(prefix, 0) == 0 ? full.substr(prefix.size()) : full;
}

// Parses the common flags into a request; returns false with the exit code
// set on a usage error or --help.
bool Request(CommandLine& cl, int argc, char** argv, int first, const std::string& usage,
             iv1::ViewRequest* request, int* code) {
  if (absl::Status s = cl.Parse(argc, argv, first); !s.ok()) {
    *code = UsageError(std::string(s.message()), usage.c_str());
    return false;
  }
  if (cl.Has("help")) {
    std::cout << usage;
    *code = 0;
    return false;
  }
  if (auto as_of = cl.Get("as-of")) {
    int y = 0, m = 0, d = 0;
    char tail = 0;
    if (std::sscanf(as_of->c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3) {
      *code = UsageError("--as-of: expected YYYY-MM-DD", usage.c_str());
      return false;
    }
    request->mutable_as_of()->set_year(y);
    request->mutable_as_of()->set_month(m);
    request->mutable_as_of()->set_day(d);
  }
  request->set_id(cl.GetOr("id", ""));
  if (cl.Has("year")) {
    absl::StatusOr<uint64_t> year = cl.GetUint("year", 0);
    if (!year.ok() || *year < 1 || *year > 9999) {
      *code = UsageError("--year: expected a year such as 2026", usage.c_str());
      return false;
    }
    request->set_year(static_cast<int32_t>(*year));
  }
  request->set_open_only(cl.Has("open"));
  request->set_rule(cl.GetOr("rule", ""));
  if (auto body = cl.Get("body")) {
    iv1::Body b = iv1::BODY_UNSPECIFIED;
    if (!iv1::Body_Parse(absl::StrCat("BODY_", *body), &b) || b == iv1::BODY_UNSPECIFIED) {
      *code = UsageError("--body: expected SUAG, SUF, BOARD, REPAIRS_WG or SLT", usage.c_str());
      return false;
    }
    request->set_body(b);
  }
  return true;
}

void PrintJson(const google::protobuf::Message& view) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(view, &out, options);
  std::cout << out << "\n";
}

// Runs one view: flags, the RPC, then JSON or the table.
template <typename View>
int RunView(const ServerConnection& server, int argc, char** argv, int first,
            const std::string& usage, std::set<std::string> flags, const char* name,
            absl::StatusOr<View> (QueryClient::*rpc)(const iv1::ViewRequest&),
            const std::function<void(const View&)>& table) {
  flags.insert({"server", "as-of"});
  CommandLine cl(flags, {"help", "json", "open"});
  iv1::ViewRequest request;
  int code = 0;
  if (!Request(cl, argc, argv, first, usage, &request, &code)) return code;
  QueryClient client(cl.GetOr("server", server.address), server.options);
  absl::StatusOr<View> view = (client.*rpc)(request);
  if (!view.ok()) return ServerError(name, view.status(), client.address());
  if (cl.Has("json")) {
    PrintJson(*view);
  } else {
    std::cout << "as of " << Date(view->info().as_of()) << ", " << view->info().log_size()
              << " log entries\n";
    table(*view);
  }
  return 0;
}

int Recommendations(const ServerConnection& server, int argc, char** argv, int first) {
  return RunView<iv1::RecommendationsView>(
      server, argc, argv, first, kRecommendationsUsage, {"id"}, "recommendations",
      &QueryClient::Recommendations, [](const iv1::RecommendationsView& v) {
        std::printf("%-14s %-18s %-10s %-10s %-8s %-16s %-7s %s\n", "id", "status", "made",
                    "due", "overdue", "decision", "actions", "seq");
        for (const auto& r : v.rows()) {
          int open = 0;
          for (const auto& a : r.actions()) open += a.status() != iv1::ACTION_STATUS_COMPLETED;
          std::printf("%-14s %-18s %-10s %-10s %-8s %-16s %-7s %s\n",
                      r.recommendation_id().c_str(),
                      Enum(iv1::RecommendationStatus_Name(r.status()), "RECOMMENDATION_STATUS_").c_str(),
                      Date(r.made_on()).c_str(), Date(r.response_due()).c_str(),
                      r.overdue() ? absl::StrCat(r.days_late(), "d").c_str()
                                  : (r.answered_late() ? absl::StrCat("late ", r.days_late(), "d").c_str() : "-"),
                      Enum(iv1::Decision_Name(r.decision()), "DECISION_").c_str(),
                      absl::StrCat(open, "/", r.actions_size(), " open").c_str(),
                      Seqs(r.sequences()).c_str());
        }
      });
}

int YouSaidWeDid(const ServerConnection& server, int argc, char** argv, int first) {
  return RunView<iv1::YouSaidWeDidView>(
      server, argc, argv, first, kYouSaidUsage, {"id"}, "you-said-we-did",
      &QueryClient::YouSaidWeDid, [](const iv1::YouSaidWeDidView& v) {
        std::printf("%d open, %d closed, %d unanswered past the window\n", v.open(), v.closed(),
                    v.unanswered_past_window());
        std::printf("%-10s %-10s %-7s %-10s %-12s %-6s %s\n", "id", "received", "state",
                    "responded", "recs", "late", "seq");
        for (const auto& r : v.rows()) {
          std::printf("%-10s %-10s %-7s %-10s %-12s %-6s %s\n", r.feedback_id().c_str(),
                      Date(r.received_on()).c_str(), r.closed() ? "closed" : "open",
                      Date(r.first_response_on()).c_str(),
                      absl::StrJoin(r.recommendation_ids(), ",").c_str(),
                      r.unanswered_past_window() ? "yes" : "-", Seqs(r.sequences()).c_str());
        }
      });
}

int Bodies(const ServerConnection& server, int argc, char** argv, int first) {
  return RunView<iv1::BodiesView>(
      server, argc, argv, first, kBodiesUsage, {"body"}, "bodies", &QueryClient::Bodies,
      [](const iv1::BodiesView& v) {
        for (const auto& b : v.rows()) {
          std::vector<std::string> comp;
          for (const auto& [k, n] : b.composition()) comp.push_back(absl::StrCat(k, " ", n));
          std::sort(comp.begin(), comp.end());
          std::printf("\n%s: %d members (%s); chair %s%s; %d meetings, last %s; vacancies %d\n",
                      Enum(iv1::Body_Name(b.body()), "BODY_").c_str(), b.members_size(),
                      absl::StrJoin(comp, ", ").c_str(), b.chair().empty() ? "none" : b.chair().c_str(),
                      b.chair().empty() ? "" : (b.chair_is_service_user() ? " (service user)" : ""),
                      b.meetings(), Date(b.last_meeting()).c_str(), b.vacancies());
          for (const auto& m : b.members()) {
            std::printf("  %-10s %-16s %s to %s%s\n", m.person_ref().c_str(),
                        Enum(iv1::MemberCategory_Name(m.category()), "MEMBER_CATEGORY_").c_str(),
                        Date(m.term_start()).c_str(), Date(m.term_end()).c_str(),
                        m.term_ending() ? "  (term ending)" : "");
          }
          for (const auto& g : b.gaps()) {
            std::printf("  gap: %s to %s, %d days (seq %s)\n", Date(g.from()).c_str(),
                        Date(g.to()).c_str(), g.days(), Seqs(g.sequences()).c_str());
          }
          std::printf("  seq %s\n", Seqs(b.sequences()).c_str());
        }
      });
}

const char* Status(const iv1::Deadline& d) {
  switch (d.status()) {
    case iv1::DEADLINE_STATUS_MET: return "met";
    case iv1::DEADLINE_STATUS_MISSED: return "MISSED";
    case iv1::DEADLINE_STATUS_NOT_DUE_YET: return "due";
    default: return "-";
  }
}

int Complaints(const ServerConnection& server, int argc, char** argv, int first) {
  return RunView<iv1::ComplaintsView>(
      server, argc, argv, first, kComplaintsUsage, {"id"}, "complaints",
      &QueryClient::Complaints, [](const iv1::ComplaintsView& v) {
        std::printf("%d: CH01 %.2f stage 1 and %.2f stage 2 complaints per 1,000 homes (%d homes);"
                    " CH02 %.1f%% stage 1 and %.1f%% stage 2 answered within the Code\n",
                    v.year(), v.ch01_stage1_per_1000_homes(), v.ch01_stage2_per_1000_homes(),
                    v.homes(), v.ch02_stage1_within_timescales_percent(),
                    v.ch02_stage2_within_timescales_percent());
        std::printf("%-10s %-10s %-6s %-5s %-7s %-7s %-7s %-7s %s\n", "id", "received", "stage",
                    "ext", "ack1", "resp1", "ack2", "resp2", "seq");
        for (const auto& c : v.rows()) {
          std::printf("%-10s %-10s %-6s %-5d %-7s %-7s %-7s %-7s %s\n", c.complaint_id().c_str(),
                      Date(c.received_on()).c_str(),
                      c.closed() ? "closed" : absl::StrCat(c.stage()).c_str(),
                      c.stage1_extension_days() + c.stage2_extension_days(),
                      Status(c.stage1_acknowledgement()), Status(c.stage1_response()),
                      Status(c.stage2_acknowledgement()), Status(c.stage2_response()),
                      Seqs(c.sequences()).c_str());
        }
      });
}

int Compliance(const ServerConnection& server, int argc, char** argv, int first) {
  return RunView<iv1::ComplianceView>(
      server, argc, argv, first, kComplianceUsage, {"rule"}, "compliance", &QueryClient::Compliance,
      [](const iv1::ComplianceView& v) {
        std::printf("%d findings\n", v.findings_size());
        for (const auto& f : v.findings()) {
          std::printf("%-28s %-28s since %s: %s (seq %s)\n", f.rule().c_str(), f.subject().c_str(),
                      Date(f.since()).c_str(), f.detail().c_str(), Seqs(f.sequences()).c_str());
        }
      });
}

int Recruitment(const ServerConnection& server, int argc, char** argv, int first) {
  return RunView<iv1::RecruitmentView>(
      server, argc, argv, first, kRecruitmentUsage, {}, "recruitment", &QueryClient::Recruitment,
      [](const iv1::RecruitmentView& v) {
        std::printf("front-line posts: %d with service users on the panel, %d without; other "
                    "posts: %d with, %d without\n",
                    v.front_line_with_users(), v.front_line_without_users(), v.other_with_users(),
                    v.other_without_users());
        std::printf("%-10s %-28s %-6s %-6s %-10s %-9s %s\n", "vacancy", "role", "front", "users",
                    "decided", "appointed", "seq");
        for (const auto& r : v.rows()) {
          std::printf("%-10s %-28s %-6s %-6d %-10s %-9s %s\n", r.vacancy_id().c_str(),
                      r.role_title().substr(0, 28).c_str(), r.front_line() ? "yes" : "no",
                      r.user_members(), Date(r.decided_on()).c_str(),
                      r.has_decided_on() ? (r.appointed() ? "yes" : "no") : "-",
                      Seqs(r.sequences()).c_str());
        }
      });
}

int Indicators(const ServerConnection& server, int argc, char** argv, int first) {
  return RunView<iv1::IndicatorsView>(
      server, argc, argv, first, kIndicatorsUsage, {"year"}, "indicators",
      &QueryClient::Indicators, [](const iv1::IndicatorsView& v) {
        std::printf("involvement indicators for %d\n", v.year());
        std::printf("  people in formal structures       %d\n", v.people_in_formal_structures());
        std::printf("  people in informal involvement    %d\n", v.people_in_informal_involvement());
        std::printf("  people in formal decision making  %d\n", v.people_in_decision_making());
        std::printf("  recommendations made              %d\n", v.recommendations_made());
        std::printf("    answered                        %d\n", v.recommendations_answered());
        std::printf("    accepted                        %d\n", v.recommendations_accepted());
        std::printf("    implemented                     %d\n", v.recommendations_implemented());
        std::printf("  median days to respond            %.1f\n", v.median_days_to_respond());
        std::printf("  feedback received / responded / closed  %d / %d / %d\n",
                    v.feedback_received(), v.feedback_responded(), v.feedback_closed());
        std::printf("  SUAG meetings                     %d\n", v.suag_meetings());
        std::printf("  Board meetings with SUAG present  %d\n",
                    v.board_meetings_with_suag_representatives());
        std::printf("  complaints received               %d\n", v.complaints_received());
        std::printf("  recruitment panels with users     %d\n", v.recruitment_panels_with_users());
        std::printf("  from %d ledger entries\n", v.sequences_size());
      });
}

}  // namespace

const std::vector<CliCommand>& ViewCommands() {
  static const std::vector<CliCommand> kCommands = {
      {"recommendations", "recommendations and the Board's responses",
       kRecommendationsUsage.c_str(), Recommendations},
      {"you-said-we-did", "feedback and what was done about it", kYouSaidUsage.c_str(),
       YouSaidWeDid},
      {"bodies", "members, chairs and meetings of each body", kBodiesUsage.c_str(), Bodies},
      {"complaints", "complaints against the Code; CH01 and CH02", kComplaintsUsage.c_str(),
       Complaints},
      {"recruitment", "recruitment panels and service-user involvement",
       kRecruitmentUsage.c_str(), Recruitment},
      {"indicators", "involvement indicators for a year", kIndicatorsUsage.c_str(), Indicators},
      {"compliance", "every rule breach, with the sequences that prove it",
       kComplianceUsage.c_str(), Compliance},
  };
  return kCommands;
}

}  // namespace ledger

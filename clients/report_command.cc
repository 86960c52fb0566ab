// ledgerctl report: one self-contained HTML page (no scripts, fonts,
// images or anything fetched) with the year's "you said, we did" board,
// recommendations by status (overdue first), complaint timeliness by month
// as an inline SVG chart with a table beside it, the SUAG meeting timeline
// with its gaps, the composition of each body, the indicators and the
// compliance findings. Every row's identifier links to its evidence bundle,
// embedded in the page as a download; every figure links to the ledger
// sequences it was computed from. The page states the signed checkpoint all
// of it was computed from. docs/report.md describes it.
#include "clients/report_command.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "clients/cli_common.h"
#include "clients/command_line.h"
#include "clients/evidence_commands.h"
#include "clients/ledger_client.h"
#include "clients/query_client.h"
#include "involvement/v1/views.pb.h"
#include "ledger/hash.h"
#include "projections/civil_date.h"

namespace ledger {

namespace {

namespace iv1 = involvement::v1;
using involvement::CivilDate;

constexpr char kReportUsage[] =
    "usage: ledgerctl report --year YYYY --out FILE.html [--as-of DATE] [--no-bundles]\n"
    "\n"
    "Writes one self-contained HTML page (no scripts, fonts or images fetched)\n"
    "for a Board or a service-user panel: the year's key indicators; \"you\n"
    "said, we did\"; recommendations by status, overdue first; complaint\n"
    "timeliness by month as a chart with its table; the SUAG meeting timeline\n"
    "with gaps; who sits on each body; and the compliance findings. All of it\n"
    "comes from the views of one signed checkpoint, which the page states.\n"
    "Each row's identifier links to its evidence bundle (the entries behind\n"
    "it with inclusion proofs, as `ledgerctl evidence` writes), embedded in\n"
    "the page for download and checking with `ledgerctl verify-bundle`; each\n"
    "figure links to the ledger sequences it was counted from.\n"
    "\n"
    "  --year YYYY     the year reported\n"
    "  --out FILE      the page to write (replaced atomically)\n"
    "  --as-of DATE    the views' date, within YYYY (default: 31 December of\n"
    "                  YYYY, or today, UTC, if that is earlier)\n"
    "  --no-bundles    leave the evidence bundles out (a smaller page; rows\n"
    "                  still list their sequences)\n"
    "\n"
    "Exit 0 written, 1 server error or the log kept growing, 2 usage error.\n";

// --- HTML helpers -------------------------------------------------------------

// Escapes text for HTML element content and attribute values.
std::string Esc(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

// An HTML id for a subject or label: letters, digits, '-' and '_' only.
std::string IdFor(std::string_view prefix, std::string_view s) {
  std::string out(prefix);
  for (char c : s) {
    out += (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '-';
  }
  return out;
}

std::string DateText(const iv1::Date& d) {
  if (d.year() == 0) return "";
  return absl::StrFormat("%04d-%02d-%02d", d.year(), d.month(), d.day());
}

std::optional<CivilDate> DateOf(const iv1::Date& d) { return CivilDate::FromProto(d); }

bool InYear(const iv1::Date& d, int year) { return d.year() == year && DateOf(d).has_value(); }

// "DECISION_PARTLY_ACCEPTED" -> "partly accepted".
std::string EnumText(const std::string& name, std::string_view prefix) {
  std::string s = name.rfind(prefix, 0) == 0 ? name.substr(prefix.size()) : name;
  absl::AsciiStrToLower(&s);
  absl::StrReplaceAll({{"_", " "}}, &s);
  return s;
}

std::string BodyName(iv1::Body b) {
  switch (b) {
    case iv1::BODY_SUAG: return "Service User Advisory Group (SUAG)";
    case iv1::BODY_SUF: return "Service User Forum (SUF)";
    case iv1::BODY_BOARD: return "Board";
    case iv1::BODY_REPAIRS_WG: return "Repairs Working Group";
    case iv1::BODY_SLT: return "Senior Leadership Team (SLT)";
    default: return EnumText(iv1::Body_Name(b), "BODY_");
  }
}

std::string BodyShort(iv1::Body b) {
  switch (b) {
    case iv1::BODY_SUAG: return "SUAG";
    case iv1::BODY_SUF: return "SUF";
    case iv1::BODY_BOARD: return "Board";
    case iv1::BODY_REPAIRS_WG: return "Repairs Working Group";
    case iv1::BODY_SLT: return "SLT";
    default: return EnumText(iv1::Body_Name(b), "BODY_");
  }
}

std::string AddresseeShort(iv1::Addressee a) {
  switch (a) {
    case iv1::ADDRESSEE_BOARD: return "Board";
    case iv1::ADDRESSEE_SLT: return "SLT";
    default: return EnumText(iv1::Addressee_Name(a), "ADDRESSEE_");
  }
}

// 12345 -> "12,345".
std::string Thousands(int64_t n) {
  std::string digits = absl::StrCat(n < 0 ? -n : n);
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) digits.insert(i, ",");
  return n < 0 ? "-" + digits : digits;
}

std::string Seqs(const google::protobuf::RepeatedField<uint64_t>& s) {
  return absl::StrJoin(s, ", ");
}

// The page's evidence: one bundle per subject, and the sources of each
// figure (the sequences it was counted from).
struct Evidence {
  struct Bundle {
    std::string json;
    std::set<uint64_t> sequences;
  };
  std::map<std::string, Bundle> bundles;  // by subject (KIND/ID)
  bool embed = true;

  // The identifier, linked to its evidence.
  std::string Link(const std::string& subject, const std::string& text) const {
    return absl::StrCat("<a href=\"#", IdFor("ev-", subject), "\">", Esc(text), "</a>");
  }
};

// --- Data ---------------------------------------------------------------------

struct ReportData {
  FetchedCheckpoint cp;
  iv1::Date as_of;
  int year = 0;
  iv1::IndicatorsView indicators;
  iv1::RecommendationsView recommendations;
  iv1::YouSaidWeDidView you_said;
  iv1::ComplaintsView complaints;
  iv1::BodiesView bodies;
  iv1::ComplianceView compliance;
};

// Rows the report shows: made or received in the year, and recommendations
// from earlier years still open at the view date.
std::vector<const iv1::RecommendationRow*> ReportedRecommendations(const ReportData& d) {
  std::vector<const iv1::RecommendationRow*> out;
  for (const iv1::RecommendationRow& r : d.recommendations.rows()) {
    const bool carried = r.made_on().year() < d.year &&
                         r.status() != iv1::RECOMMENDATION_STATUS_CLOSED &&
                         r.status() != iv1::RECOMMENDATION_STATUS_ANSWERED;
    if (InYear(r.made_on(), d.year) || carried) out.push_back(&r);
  }
  return out;
}

std::vector<const iv1::YouSaidWeDidRow*> ReportedFeedback(const ReportData& d) {
  std::vector<const iv1::YouSaidWeDidRow*> out;
  for (const iv1::YouSaidWeDidRow& r : d.you_said.rows()) {
    if (InYear(r.received_on(), d.year)) out.push_back(&r);
  }
  std::stable_sort(out.begin(), out.end(), [](const auto* a, const auto* b) {
    return DateText(a->received_on()) < DateText(b->received_on());
  });
  return out;
}

// A complaint is reported when it was received, or had a response due, in
// the year.
std::vector<const iv1::ComplaintRow*> ReportedComplaints(const ReportData& d) {
  std::vector<const iv1::ComplaintRow*> out;
  for (const iv1::ComplaintRow& r : d.complaints.rows()) {
    if (InYear(r.received_on(), d.year) || InYear(r.stage1_response().due(), d.year) ||
        InYear(r.stage2_response().due(), d.year)) {
      out.push_back(&r);
    }
  }
  return out;
}

// Fetches the checkpoint and every view; `grew` when a view was not
// computed from exactly the checkpoint's entries.
absl::Status FetchViews(const std::string& address, const ClientOptions& options, int year,
                        const iv1::Date& as_of, ReportData* d, bool* grew) {
  *grew = false;
  LedgerClient client(address, options);
  absl::StatusOr<FetchedCheckpoint> cp = FetchCheckpoint(client);
  if (!cp.ok()) return cp.status();
  d->cp = *std::move(cp);
  d->as_of = as_of;
  d->year = year;
  QueryClient query(address, options);
  iv1::ViewRequest request;
  *request.mutable_as_of() = as_of;
  request.set_year(year);
  auto take = [&](auto result, auto* into) -> absl::Status {
    if (!result.ok()) return result.status();
    *into = *std::move(result);
    if (into->info().log_size() != d->cp.checkpoint.size) *grew = true;
    return absl::OkStatus();
  };
  if (absl::Status s = take(query.Indicators(request), &d->indicators); !s.ok()) return s;
  if (absl::Status s = take(query.Recommendations(request), &d->recommendations); !s.ok()) return s;
  if (absl::Status s = take(query.YouSaidWeDid(request), &d->you_said); !s.ok()) return s;
  if (absl::Status s = take(query.Complaints(request), &d->complaints); !s.ok()) return s;
  if (absl::Status s = take(query.Bodies(request), &d->bodies); !s.ok()) return s;
  if (absl::Status s = take(query.Compliance(request), &d->compliance); !s.ok()) return s;
  return absl::OkStatus();
}

// The subjects whose evidence the page links to, with the row sequences.
std::map<std::string, std::set<uint64_t>> Subjects(const ReportData& d) {
  std::map<std::string, std::set<uint64_t>> out;
  auto add = [&](const std::string& subject, const auto& seqs) {
    out[subject].insert(seqs.begin(), seqs.end());
  };
  for (const auto* r : ReportedRecommendations(d)) {
    add(absl::StrCat("recommendation/", r->recommendation_id()), r->sequences());
  }
  for (const auto* r : ReportedFeedback(d)) {
    add(absl::StrCat("feedback/", r->feedback_id()), r->sequences());
  }
  for (const auto* r : ReportedComplaints(d)) {
    add(absl::StrCat("complaint/", r->complaint_id()), r->sequences());
  }
  for (const iv1::BodyRow& b : d.bodies.rows()) {
    add(absl::StrCat("body/", iv1::Body_Name(b.body()).substr(5)), b.sequences());
  }
  for (const iv1::Finding& f : d.compliance.findings()) {
    if (InYear(f.since(), d.year)) add(f.subject(), f.sequences());
  }
  return out;
}

// --- Sections -----------------------------------------------------------------

constexpr char kStyle[] = R"css(
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: #1a1a1a; background: #ffffff; line-height: 1.5; margin: 0; }
main, header, nav, footer { max-width: 72rem; margin: 0 auto; padding: 0 1.25rem; }
header { padding-top: 1.5rem; }
h1 { font-size: 1.9rem; margin: 0.5rem 0; }
h2 { font-size: 1.45rem; margin-top: 2.5rem; border-bottom: 2px solid #1f3a5f; padding-bottom: 0.2rem; }
h3 { font-size: 1.15rem; margin-top: 1.6rem; }
a { color: #0b4f9c; }
a:focus { outline: 3px solid #1a1a1a; outline-offset: 2px; }
table { border-collapse: collapse; margin: 0.75rem 0 1.25rem; width: 100%; font-size: 0.95rem; }
caption { text-align: left; font-weight: 600; padding: 0.25rem 0; }
th, td { border: 1px solid #8a8a8a; padding: 0.35rem 0.5rem; text-align: left; vertical-align: top; }
thead th { background: #e8edf3; }
th[scope=row] { font-weight: 600; background: #f5f7fa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.date { white-space: nowrap; }
table.narrow { width: auto; min-width: 24rem; }
.late { color: #8b0000; font-weight: 600; }
.ok { color: #1b5e20; }
.muted { color: #4a4a4a; }
.figure { font-size: 1.6rem; font-weight: 700; }
pre { background: #f3f3f3; border: 1px solid #8a8a8a; padding: 0.75rem; overflow-x: auto; font-size: 0.85rem; }
.seq { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.85rem; word-break: break-all; }
nav ol { columns: 2; }
svg text { font-family: inherit; fill: #1a1a1a; }
@media print { a { color: #1a1a1a; } nav { display: none; } }
)css";

std::string IndicatorsSection(const ReportData& d) {
  const iv1::IndicatorsView& i = d.indicators;
  struct Fig {
    const char* id;
    std::string label;
    std::string value;
  };
  const std::vector<Fig> figures = {
      {"people_in_formal_structures", "People in formal structures (SUAG, Board, Repairs Working Group)",
       absl::StrCat(i.people_in_formal_structures())},
      {"people_in_informal_involvement", "People in informal involvement (forum, named feedback, panels, training)",
       absl::StrCat(i.people_in_informal_involvement())},
      {"people_in_decision_making", "Service users and ex-service users in formal decision making",
       absl::StrCat(i.people_in_decision_making())},
      {"recommendations_made", "Recommendations made", absl::StrCat(i.recommendations_made())},
      {"recommendations_answered", "Recommendations answered", absl::StrCat(i.recommendations_answered())},
      {"recommendations_accepted", "Recommendations accepted or partly accepted",
       absl::StrCat(i.recommendations_accepted())},
      {"recommendations_implemented", "Accepted recommendations with every action completed",
       absl::StrCat(i.recommendations_implemented())},
      {"median_days_to_respond", "Median days from recommendation to response",
       absl::StrFormat("%.1f", i.median_days_to_respond())},
      {"feedback_received", "Feedback received", absl::StrCat(i.feedback_received())},
      {"feedback_responded", "Feedback responded to", absl::StrCat(i.feedback_responded())},
      {"feedback_closed", "Feedback closed", absl::StrCat(i.feedback_closed())},
      {"suag_meetings", "SUAG meetings", absl::StrCat(i.suag_meetings())},
      {"board_meetings_with_suag_representatives", "Board meetings with SUAG representatives present",
       absl::StrCat(i.board_meetings_with_suag_representatives())},
      {"complaints_received", "Complaints received", absl::StrCat(i.complaints_received())},
      {"recruitment_panels_with_users", "Recruitment panels with service users",
       absl::StrCat(i.recruitment_panels_with_users())},
  };
  std::string out = absl::StrCat(
      "<section aria-labelledby=\"indicators\">\n<h2 id=\"indicators\">Key indicators for ", d.year,
      "</h2>\n<table>\n<caption>Involvement indicators, ", d.year, ", as of ", DateText(d.as_of),
      "</caption>\n<thead><tr><th scope=\"col\">Indicator</th><th scope=\"col\">Figure</th>"
      "<th scope=\"col\">Source</th></tr></thead>\n<tbody>\n");
  for (const Fig& f : figures) {
    absl::StrAppend(&out, "<tr><th scope=\"row\">", Esc(f.label), "</th><td class=\"num\" id=\"ind-",
                    f.id, "\">", f.value,
                    "</td><td><a href=\"#src-indicators\">ledger entries counted</a></td></tr>\n");
  }
  absl::StrAppend(&out, "</tbody>\n</table>\n</section>\n");
  return out;
}

std::string YouSaidSection(const ReportData& d, const Evidence& ev) {
  const std::vector<const iv1::YouSaidWeDidRow*> rows = ReportedFeedback(d);
  int closed = 0, unanswered = 0;
  for (const auto* r : rows) {
    closed += r->closed() ? 1 : 0;
    unanswered += r->unanswered_past_window() ? 1 : 0;
  }
  std::string out = absl::StrCat(
      "<section aria-labelledby=\"you-said\">\n<h2 id=\"you-said\">You said, we did</h2>\n",
      "<p>Feedback received in ", d.year, ": <strong>", rows.size(), "</strong> items; <strong>",
      closed, "</strong> closed; <strong>", unanswered,
      "</strong> without a response past the policy's window. Each feedback "
      "identifier links to its evidence.</p>\n");
  if (rows.empty()) return absl::StrCat(out, "<p>No feedback was received in ", d.year, ".</p>\n</section>\n");
  absl::StrAppend(&out,
                  "<table>\n<caption>Feedback received in ", d.year,
                  " and what was done about it</caption>\n<thead><tr>"
                  "<th scope=\"col\">Feedback</th><th scope=\"col\">Received</th>"
                  "<th scope=\"col\">You said</th><th scope=\"col\">We did</th>"
                  "<th scope=\"col\">Told</th><th scope=\"col\">Status</th></tr></thead>\n<tbody>\n");
  for (const auto* r : rows) {
    std::string did = Esc(r->response());
    if (!r->recommendation_ids().empty()) {
      std::vector<std::string> links;
      for (const std::string& id : r->recommendation_ids()) {
        links.push_back(ev.Link(absl::StrCat("recommendation/", id), id));
      }
      absl::StrAppend(&did, did.empty() ? "" : "<br>", "Recommendation ", absl::StrJoin(links, ", "));
    }
    if (!r->escalations().empty()) {
      absl::StrAppend(&did, did.empty() ? "" : "<br>", "<span class=\"muted\">Escalated: ",
                      Esc(absl::StrJoin(r->escalations(), "; ")), "</span>");
    }
    if (did.empty()) did = "<span class=\"muted\">Nothing recorded yet</span>";
    std::string told = "<span class=\"muted\">Not yet</span>";
    if (r->told_on().year() != 0) {
      told = absl::StrCat(DateText(r->told_on()), " by ",
                          Esc(EnumText(iv1::CommunicationChannel_Name(r->told_by()),
                                       "COMMUNICATION_CHANNEL_")));
    }
    std::string status;
    if (r->closed()) {
      status = absl::StrCat("<span class=\"ok\">Closed</span> in ", r->days_to_close(), " days");
    } else if (r->unanswered_past_window()) {
      status = "<span class=\"late\">No response past the window</span>";
    } else {
      status = "Open";
    }
    absl::StrAppend(&out, "<tr><th scope=\"row\">",
                    ev.Link(absl::StrCat("feedback/", r->feedback_id()), r->feedback_id()),
                    "</th><td class=\"date\">", DateText(r->received_on()), "<br><span class=\"muted\">",
                    Esc(EnumText(iv1::FeedbackChannel_Name(r->channel()), "FEEDBACK_CHANNEL_")),
                    "</span></td><td>", Esc(r->summary()), "</td><td>", did, "</td><td>", told,
                    "</td><td>", status, "</td></tr>\n");
  }
  absl::StrAppend(&out, "</tbody>\n</table>\n</section>\n");
  return out;
}

std::string RecommendationsSection(const ReportData& d, const Evidence& ev) {
  const std::vector<const iv1::RecommendationRow*> rows = ReportedRecommendations(d);
  // Overdue first, then each status; the view's order within a group.
  struct Group {
    std::string id;
    std::string title;
    std::vector<const iv1::RecommendationRow*> rows;
  };
  std::vector<Group> groups = {
      {"rec-overdue", "Overdue: no response by the due date", {}},
      {"rec-awaiting", "Awaiting a response, not yet due", {}},
      {"rec-actions-open", "Answered, actions still open", {}},
      {"rec-answered", "Answered with no actions (rejected or deferred)", {}},
      {"rec-closed", "Closed: answered and every action completed", {}},
  };
  for (const auto* r : rows) {
    size_t g = 1;
    if (r->overdue()) {
      g = 0;
    } else if (r->status() == iv1::RECOMMENDATION_STATUS_ACTIONS_OPEN) {
      g = 2;
    } else if (r->status() == iv1::RECOMMENDATION_STATUS_ANSWERED) {
      g = 3;
    } else if (r->status() == iv1::RECOMMENDATION_STATUS_CLOSED) {
      g = 4;
    }
    groups[g].rows.push_back(r);
  }
  std::string out = absl::StrCat(
      "<section aria-labelledby=\"recommendations\">\n<h2 id=\"recommendations\">Recommendations "
      "and responses</h2>\n<p>Recommendations made in ",
      d.year, ", and any from earlier years still awaiting a response or with actions open: <strong>",
      rows.size(), "</strong>. Overdue ones come first. Each identifier links to its evidence.</p>\n");
  absl::StrAppend(&out, "<ul>\n");
  for (const Group& g : groups) {
    absl::StrAppend(&out, "<li><a href=\"#", g.id, "\">", Esc(g.title), "</a>: ", g.rows.size(),
                    "</li>\n");
  }
  absl::StrAppend(&out, "</ul>\n");
  for (const Group& g : groups) {
    absl::StrAppend(&out, "<h3 id=\"", g.id, "\">", Esc(g.title), " (", g.rows.size(), ")</h3>\n");
    if (g.rows.empty()) {
      absl::StrAppend(&out, "<p>None.</p>\n");
      continue;
    }
    absl::StrAppend(&out, "<table>\n<caption>", Esc(g.title),
                    "</caption>\n<thead><tr><th scope=\"col\">Recommendation</th>"
                    "<th scope=\"col\">From, to</th><th scope=\"col\">What was recommended</th>"
                    "<th scope=\"col\">Made</th><th scope=\"col\">Response due</th>"
                    "<th scope=\"col\">Response</th><th scope=\"col\">Actions</th>"
                    "<th scope=\"col\">Told</th></tr></thead>\n<tbody>\n");
    for (const auto* r : g.rows) {
      std::string response;
      if (r->answered_on().year() != 0) {
        response = absl::StrCat(
            Esc(EnumText(iv1::Decision_Name(r->decision()), "DECISION_")), " on ",
            DateText(r->answered_on()),
            r->answered_late() ? absl::StrCat(" <span class=\"late\">(", r->days_late(), " days late)</span>")
                               : std::string());
        if (!r->reasons().empty()) absl::StrAppend(&response, "<br>", Esc(r->reasons()));
      } else if (r->overdue()) {
        response = absl::StrCat("<span class=\"late\">None; ", r->days_late(), " days overdue</span>");
      } else {
        response = "<span class=\"muted\">None yet</span>";
      }
      std::string actions;
      if (r->actions().empty()) {
        actions = "<span class=\"muted\">None</span>";
      } else {
        std::vector<std::string> items;
        for (const iv1::ActionRow& a : r->actions()) {
          std::string state;
          switch (a.status()) {
            case iv1::ACTION_STATUS_COMPLETED:
              state = absl::StrCat("<span class=\"ok\">done ", DateText(a.completed_on()), "</span>");
              break;
            case iv1::ACTION_STATUS_OVERDUE:
              state = absl::StrCat("<span class=\"late\">", a.days_overdue(), " days overdue</span>");
              break;
            default:
              state = a.due().year() != 0 ? absl::StrCat("due ", DateText(a.due())) : "open";
          }
          items.push_back(absl::StrCat("<li>", Esc(a.description()), " (", Esc(a.owner()), "): ",
                                       state, "</li>"));
        }
        actions = absl::StrCat("<ul>", absl::StrJoin(items, ""), "</ul>");
      }
      std::string cites;
      if (!r->feedback_ids().empty()) {
        std::vector<std::string> links;
        for (const std::string& id : r->feedback_ids()) {
          links.push_back(ev.Link(absl::StrCat("feedback/", id), id));
        }
        cites = absl::StrCat("<br><span class=\"muted\">Answers feedback</span> ",
                             absl::StrJoin(links, ", "));
      }
      absl::StrAppend(
          &out, "<tr><th scope=\"row\">",
          ev.Link(absl::StrCat("recommendation/", r->recommendation_id()), r->recommendation_id()),
          "</th><td>", Esc(BodyShort(r->from_body())), " to ", Esc(AddresseeShort(r->to())),
          "</td><td>", Esc(r->text()), cites, "</td><td class=\"date\">", DateText(r->made_on()),
          "</td><td class=\"date\">", DateText(r->response_due()),
          "</td><td>", response, "</td><td>", actions, "</td><td>",
          r->times_told() > 0 ? absl::StrCat(r->times_told(), " time", r->times_told() == 1 ? "" : "s")
                              : std::string("<span class=\"muted\">Not yet</span>"),
          "</td></tr>\n");
    }
    absl::StrAppend(&out, "</tbody>\n</table>\n");
  }
  absl::StrAppend(&out, "</section>\n");
  return out;
}

constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr std::array<const char*, 12> kMonthNames = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};

std::string ComplaintsSection(const ReportData& d, const Evidence& ev) {
  // Responses by the month they were due: met or missed, each stage.
  struct Month {
    int met[2] = {0, 0};
    int missed[2] = {0, 0};
    std::set<std::string> ids;
  };
  std::array<Month, 12> months;
  const std::vector<const iv1::ComplaintRow*> rows = ReportedComplaints(d);
  for (const auto* r : rows) {
    const iv1::Deadline* stages[2] = {&r->stage1_response(), &r->stage2_response()};
    for (int s = 0; s < 2; ++s) {
      const iv1::Deadline& dl = *stages[s];
      if (!InYear(dl.due(), d.year)) continue;
      Month& m = months[dl.due().month() - 1];
      if (dl.status() == iv1::DEADLINE_STATUS_MET) {
        ++m.met[s];
      } else if (dl.status() == iv1::DEADLINE_STATUS_MISSED) {
        ++m.missed[s];
      } else {
        continue;
      }
      m.ids.insert(r->complaint_id());
    }
  }
  int total_met = 0, total_missed = 0, peak = 0;
  for (const Month& m : months) {
    const int met = m.met[0] + m.met[1], missed = m.missed[0] + m.missed[1];
    total_met += met;
    total_missed += missed;
    peak = std::max(peak, met + missed);
  }
  const iv1::ComplaintsView& c = d.complaints;
  std::string out = absl::StrCat(
      "<section aria-labelledby=\"complaints\">\n<h2 id=\"complaints\">Complaint timeliness</h2>\n",
      "<p>Against the Housing Ombudsman's Complaint Handling Code, counting working days "
      "(England and Wales bank holidays excluded).</p>\n",
      "<table>\n<caption>Tenant Satisfaction Measures for ", c.year(),
      "</caption>\n<thead><tr><th scope=\"col\">Measure</th><th scope=\"col\">Figure</th></tr>"
      "</thead>\n<tbody>\n",
      absl::StrFormat("<tr><th scope=\"row\">CH01: stage 1 complaints per 1,000 homes (%s homes)</th>"
                      "<td class=\"num\" id=\"ch01-stage1\">%.2f</td></tr>\n",
                      Thousands(c.homes()), c.ch01_stage1_per_1000_homes()),
      absl::StrFormat("<tr><th scope=\"row\">CH01: stage 2 complaints per 1,000 homes</th>"
                      "<td class=\"num\" id=\"ch01-stage2\">%.2f</td></tr>\n",
                      c.ch01_stage2_per_1000_homes()),
      absl::StrFormat("<tr><th scope=\"row\">CH02: stage 1 responses within the Code's "
                      "timescales</th><td class=\"num\" id=\"ch02-stage1\">%.1f%%</td></tr>\n",
                      c.ch02_stage1_within_timescales_percent()),
      absl::StrFormat("<tr><th scope=\"row\">CH02: stage 2 responses within the Code's "
                      "timescales</th><td class=\"num\" id=\"ch02-stage2\">%.1f%%</td></tr>\n",
                      c.ch02_stage2_within_timescales_percent()),
      "</tbody>\n</table>\n");

  // The chart: one stacked bar per month, met below, missed above (hatched,
  // so the two differ without colour).
  const int width = 760, height = 300, left = 48, right = 12, top = 20, bottom = 48;
  const int plot_w = width - left - right, plot_h = height - top - bottom;
  const int scale_max = std::max(peak, 1);
  const int step = scale_max <= 10 ? 1 : (scale_max <= 20 ? 2 : (scale_max + 9) / 10);
  const double slot = plot_w / 12.0;
  const double bar_w = slot * 0.6;
  auto y_of = [&](int v) { return top + plot_h - static_cast<double>(v) * plot_h / scale_max; };
  std::string desc = absl::StrCat("Complaint responses due in ", d.year, ", by month: ", total_met,
                                  " within the Code's timescales and ", total_missed,
                                  " late. ");
  std::vector<std::string> per_month;
  for (int i = 0; i < 12; ++i) {
    const Month& m = months[i];
    const int met = m.met[0] + m.met[1], missed = m.missed[0] + m.missed[1];
    if (met + missed > 0) {
      per_month.push_back(absl::StrCat(kMonthNames[i], " ", met, " on time, ", missed, " late"));
    }
  }
  absl::StrAppend(&desc, per_month.empty() ? "None were due." : absl::StrJoin(per_month, "; "),
                  ". The table below gives the same figures.");
  absl::StrAppend(
      &out, "<h3 id=\"complaints-by-month\">Responses by the month they were due</h3>\n",
      "<figure>\n<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"", width,
      "\" height=\"", height, "\" viewBox=\"0 0 ", width, " ", height,
      "\" aria-labelledby=\"chart-title chart-desc\">\n",
      "<title id=\"chart-title\">Complaint responses on time and late, by month, ", d.year,
      "</title>\n<desc id=\"chart-desc\">", Esc(desc), "</desc>\n",
      "<defs><pattern id=\"hatch\" patternUnits=\"userSpaceOnUse\" width=\"6\" height=\"6\" "
      "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#b3261e\"/>"
      "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#ffffff\" stroke-width=\"2\"/>"
      "</pattern></defs>\n");
  for (int v = 0; v <= scale_max; v += step) {
    const double y = y_of(v);
    absl::StrAppend(&out,
                    absl::StrFormat("<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
                                    "stroke=\"#c8c8c8\"/><text x=\"%d\" y=\"%.1f\" "
                                    "text-anchor=\"end\" font-size=\"12\">%d</text>\n",
                                    left, y, width - right, y, left - 6, y + 4, v));
  }
  for (int i = 0; i < 12; ++i) {
    const Month& m = months[i];
    const int met = m.met[0] + m.met[1], missed = m.missed[0] + m.missed[1];
    const double x = left + slot * i + (slot - bar_w) / 2;
    if (met > 0) {
      absl::StrAppend(&out, absl::StrFormat(
                                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                                "fill=\"#1f5f9e\"><title>%s: %d on time</title></rect>",
                                x, y_of(met), bar_w, y_of(0) - y_of(met), kMonthNames[i], met));
    }
    if (missed > 0) {
      absl::StrAppend(&out, absl::StrFormat(
                                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                                "fill=\"url(#hatch)\" stroke=\"#7a1a14\"><title>%s: %d late</title>"
                                "</rect>",
                                x, y_of(met + missed), bar_w, y_of(met) - y_of(met + missed),
                                kMonthNames[i], missed));
    }
    absl::StrAppend(&out, absl::StrFormat("<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" "
                                    "font-size=\"12\">%s</text>\n",
                                    left + slot * i + slot / 2, top + plot_h + 16, kMonths[i]));
  }
  absl::StrAppend(
      &out,
      absl::StrFormat("<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"14\" fill=\"#1f5f9e\"/>"
                      "<text x=\"%d\" y=\"%d\" font-size=\"13\">on time</text>"
                      "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"14\" fill=\"url(#hatch)\" "
                      "stroke=\"#7a1a14\"/><text x=\"%d\" y=\"%d\" font-size=\"13\">late</text>\n",
                      left, height - 20, left + 20, height - 8, left + 110, height - 20, left + 130,
                      height - 8),
      "</svg>\n<figcaption>Stage 1 and stage 2 responses together; the table gives each stage.</figcaption>\n</figure>\n");

  absl::StrAppend(&out, "<table>\n<caption>Complaint responses due in ", d.year,
                  ", by month</caption>\n<thead><tr><th scope=\"col\">Month</th>"
                  "<th scope=\"col\">Stage 1 on time</th><th scope=\"col\">Stage 1 late</th>"
                  "<th scope=\"col\">Stage 2 on time</th><th scope=\"col\">Stage 2 late</th>"
                  "<th scope=\"col\">Complaints (evidence)</th></tr></thead>\n<tbody>\n");
  for (int i = 0; i < 12; ++i) {
    const Month& m = months[i];
    std::vector<std::string> links;
    for (const std::string& id : m.ids) links.push_back(ev.Link(absl::StrCat("complaint/", id), id));
    absl::StrAppend(&out, absl::StrFormat("<tr id=\"complaints-%02d\"><th scope=\"row\">%s</th>", i + 1,
                                          kMonthNames[i]),
                    "<td class=\"num\">", m.met[0], "</td><td class=\"num\">", m.missed[0],
                    "</td><td class=\"num\">", m.met[1], "</td><td class=\"num\">", m.missed[1],
                    "</td><td>", links.empty() ? "-" : absl::StrJoin(links, ", "), "</td></tr>\n");
  }
  absl::StrAppend(&out, "</tbody>\n</table>\n");

  // The complaints whose deadlines were missed, by name.
  std::vector<std::string> missed_rows;
  for (const auto* r : rows) {
    std::vector<std::string> what;
    const std::pair<const char*, const iv1::Deadline*> deadlines[4] = {
        {"stage 1 acknowledgement", &r->stage1_acknowledgement()},
        {"stage 1 response", &r->stage1_response()},
        {"stage 2 acknowledgement", &r->stage2_acknowledgement()},
        {"stage 2 response", &r->stage2_response()}};
    for (const auto& [name, dl] : deadlines) {
      if (dl->status() == iv1::DEADLINE_STATUS_MISSED && InYear(dl->due(), d.year)) {
        what.push_back(absl::StrCat(name, " due ", DateText(dl->due()),
                                    dl->done_on().year() != 0
                                        ? absl::StrCat(", done ", DateText(dl->done_on()))
                                        : std::string(", not done")));
      }
    }
    if (r->extension_over_limit()) what.push_back("extension beyond the Code's maximum");
    if (what.empty()) continue;
    missed_rows.push_back(absl::StrCat(
        "<tr><th scope=\"row\">", ev.Link(absl::StrCat("complaint/", r->complaint_id()), r->complaint_id()),
        "</th><td>", DateText(r->received_on()), "</td><td>", Esc(absl::StrJoin(what, "; ")),
        "</td></tr>\n"));
  }
  absl::StrAppend(&out, "<h3 id=\"complaints-missed\">Complaints that missed a deadline (",
                  missed_rows.size(), ")</h3>\n");
  if (missed_rows.empty()) {
    absl::StrAppend(&out, "<p>None.</p>\n");
  } else {
    absl::StrAppend(&out, "<table>\n<caption>Missed deadlines due in ", d.year,
                    "</caption>\n<thead><tr><th scope=\"col\">Complaint</th>"
                    "<th scope=\"col\">Received</th><th scope=\"col\">Missed</th></tr></thead>\n<tbody>\n",
                    absl::StrJoin(missed_rows, ""), "</tbody>\n</table>\n");
  }
  absl::StrAppend(&out, "</section>\n");
  return out;
}

std::string MeetingsSection(const ReportData& d, const Evidence& ev) {
  const iv1::BodyRow* suag = nullptr;
  for (const iv1::BodyRow& b : d.bodies.rows()) {
    if (b.body() == iv1::BODY_SUAG) suag = &b;
  }
  std::string out =
      "<section aria-labelledby=\"suag-meetings\">\n<h2 id=\"suag-meetings\">SUAG meetings</h2>\n";
  if (suag == nullptr) return absl::StrCat(out, "<p>No SUAG record.</p>\n</section>\n");
  const CivilDate start = *CivilDate::FromYmd(d.year, 1, 1);
  const CivilDate end = *CivilDate::FromYmd(d.year, 12, 31);
  const CivilDate as_of = DateOf(d.as_of).value_or(end);
  std::vector<const iv1::MeetingRow*> meetings;
  for (const iv1::MeetingRow& m : suag->meetings_held()) {
    if (InYear(m.date(), d.year)) meetings.push_back(&m);
  }
  struct Gap {
    CivilDate from, to;
    int days;
    bool open_ended;  // no meeting followed by the view date
  };
  std::vector<Gap> gaps;
  for (const iv1::MeetingGap& g : suag->gaps()) {
    std::optional<CivilDate> to = DateOf(g.to());
    std::optional<CivilDate> from = DateOf(g.from());
    if (!to.has_value()) continue;
    if (!from.has_value()) from = start;
    if (*to < start || *from > end) continue;
    gaps.push_back({*from, *to, g.days(), *to == as_of && g.sequences_size() < 2});
  }
  const std::string subject = "body/SUAG";
  absl::StrAppend(&out, "<p>", meetings.size(), " meetings in ", d.year, "; ", gaps.size(),
                  " gap", gaps.size() == 1 ? "" : "s",
                  " longer than the policy's maximum between meetings. Source: ",
                  ev.Link(subject, "the SUAG record"), ".</p>\n");

  // The timeline: the year from left to right, meetings as dots, gaps as
  // hatched bands.
  const int width = 760, height = 150, left = 20, right = 20;
  const double span = static_cast<double>(DaysBetween(start, end));
  auto x_of = [&](CivilDate c) {
    const double t = std::clamp(static_cast<double>(DaysBetween(start, c)), 0.0, span);
    return left + t * (width - left - right) / span;
  };
  std::vector<std::string> said;
  for (const auto* m : meetings) said.push_back(DateText(m->date()));
  std::string desc = absl::StrCat(
      "SUAG met ", meetings.size(), " times in ", d.year,
      meetings.empty() ? "." : absl::StrCat(": ", absl::StrJoin(said, ", "), "."));
  for (const Gap& g : gaps) {
    absl::StrAppend(&desc, " Gap of ", g.days, " days from ", g.from.ToString(), " to ",
                    g.to.ToString(), g.open_ended ? " (no meeting since)." : ".");
  }
  absl::StrAppend(&out, "<figure>\n<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"",
                  width, "\" height=\"", height, "\" viewBox=\"0 0 ", width, " ", height,
                  "\" aria-labelledby=\"timeline-title timeline-desc\">\n",
                  "<title id=\"timeline-title\">SUAG meetings and gaps, ", d.year,
                  "</title>\n<desc id=\"timeline-desc\">", Esc(desc), "</desc>\n",
                  "<defs><pattern id=\"gap-hatch\" patternUnits=\"userSpaceOnUse\" width=\"8\" "
                  "height=\"8\" patternTransform=\"rotate(45)\"><rect width=\"8\" height=\"8\" "
                  "fill=\"#f6d5d2\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"8\" stroke=\"#b3261e\" "
                  "stroke-width=\"3\"/></pattern></defs>\n");
  const int axis_y = 70;
  for (const Gap& g : gaps) {
    const double x1 = x_of(std::max(g.from, start)), x2 = x_of(std::min(g.to, end));
    absl::StrAppend(&out, absl::StrFormat(
                              "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"36\" "
                              "fill=\"url(#gap-hatch)\" stroke=\"#b3261e\"><title>Gap of %d days, "
                              "%s to %s</title></rect>\n",
                              x1, axis_y - 18, std::max(1.0, x2 - x1), g.days, g.from.ToString(),
                              g.to.ToString()));
  }
  absl::StrAppend(&out, absl::StrFormat("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
                                        "stroke=\"#1a1a1a\" stroke-width=\"2\"/>\n",
                                        left, axis_y, width - right, axis_y));
  for (int month = 1; month <= 12; ++month) {
    const double x = x_of(*CivilDate::FromYmd(d.year, month, 1));
    absl::StrAppend(&out, absl::StrFormat("<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
                                          "stroke=\"#1a1a1a\"/><text x=\"%.1f\" y=\"%d\" "
                                          "font-size=\"12\">%s</text>\n",
                                          x, axis_y + 22, x, axis_y + 28, x + 2, axis_y + 42,
                                          kMonths[month - 1]));
  }
  for (const auto* m : meetings) {
    const double x = x_of(*DateOf(m->date()));
    absl::StrAppend(&out, absl::StrFormat("<circle cx=\"%.1f\" cy=\"%d\" r=\"7\" fill=\"#1f5f9e\" "
                                          "stroke=\"#ffffff\" stroke-width=\"2\"><title>Meeting "
                                          "%s</title></circle>\n",
                                          x, axis_y, DateText(m->date())));
  }
  absl::StrAppend(
      &out,
      absl::StrFormat("<circle cx=\"%d\" cy=\"%d\" r=\"7\" fill=\"#1f5f9e\"/><text x=\"%d\" y=\"%d\" "
                      "font-size=\"13\">meeting</text><rect x=\"%d\" y=\"%d\" width=\"24\" "
                      "height=\"14\" fill=\"url(#gap-hatch)\" stroke=\"#b3261e\"/><text x=\"%d\" "
                      "y=\"%d\" font-size=\"13\">gap over the maximum</text>\n",
                      left + 7, height - 20, left + 20, height - 15, left + 100, height - 27,
                      left + 130, height - 15),
      "</svg>\n<figcaption>The year from January to December; the tables below give the "
      "same dates.</figcaption>\n</figure>\n");

  absl::StrAppend(&out, "<table>\n<caption>SUAG meetings held in ", d.year,
                  "</caption>\n<thead><tr><th scope=\"col\">Date</th><th scope=\"col\">Minutes</th>"
                  "<th scope=\"col\">Members present</th><th scope=\"col\">Board members present</th>"
                  "<th scope=\"col\">Ledger sequence</th></tr></thead>\n<tbody>\n");
  for (const auto* m : meetings) {
    absl::StrAppend(&out, "<tr><th scope=\"row\">", DateText(m->date()), "</th><td>",
                    Esc(m->minutes_ref()), "</td><td class=\"num\">", m->attendees(),
                    "</td><td class=\"num\">", m->representatives_present(),
                    "</td><td class=\"seq\">", m->sequence(), "</td></tr>\n");
  }
  if (meetings.empty()) absl::StrAppend(&out, "<tr><td colspan=\"5\">No meetings.</td></tr>\n");
  absl::StrAppend(&out, "</tbody>\n</table>\n");
  if (!gaps.empty()) {
    absl::StrAppend(&out, "<table>\n<caption>Gaps longer than the maximum between SUAG meetings"
                          "</caption>\n<thead><tr><th scope=\"col\">From</th><th scope=\"col\">To</th>"
                          "<th scope=\"col\">Days</th></tr></thead>\n<tbody>\n");
    for (const Gap& g : gaps) {
      absl::StrAppend(&out, "<tr><th scope=\"row\">", g.from.ToString(), "</th><td>",
                      g.to.ToString(), g.open_ended ? " (no meeting since)" : "",
                      "</td><td class=\"num late\">", g.days, "</td></tr>\n");
    }
    absl::StrAppend(&out, "</tbody>\n</table>\n");
  }
  absl::StrAppend(&out, "</section>\n");
  return out;
}

std::string BodiesSection(const ReportData& d, const Evidence& ev) {
  std::string out = absl::StrCat(
      "<section aria-labelledby=\"bodies\">\n<h2 id=\"bodies\">Who sits on each body</h2>\n",
      "<p>Members as of ", DateText(d.as_of),
      ". People are named by their pseudonymous reference only.</p>\n");
  for (const iv1::BodyRow& b : d.bodies.rows()) {
    const std::string name = BodyName(b.body());
    const std::string subject = absl::StrCat("body/", iv1::Body_Name(b.body()).substr(5));
    const std::string id = IdFor("body-", iv1::Body_Name(b.body()).substr(5));
    absl::StrAppend(&out, "<h3 id=\"", id, "\">", Esc(name), "</h3>\n<p>", b.members_size(),
                    " current members; chair: ",
                    b.chair().empty() ? std::string("none")
                                      : absl::StrCat(Esc(b.chair()),
                                                     b.chair_is_service_user() ? " (a service user)" : ""),
                    b.vacancies() > 0 ? absl::StrCat("; ", b.vacancies(), " vacant seats") : "",
                    "; ", b.meetings(), " meetings in all, the last on ",
                    b.last_meeting().year() != 0 ? DateText(b.last_meeting()) : std::string("-"),
                    ". Source: ", ev.Link(subject, absl::StrCat("the ", name, " record")), ".</p>\n");
    absl::StrAppend(&out, "<table class=\"narrow\">\n<caption>Composition of the ", Esc(name),
                    "</caption>\n<thead><tr><th scope=\"col\">Category</th>"
                    "<th scope=\"col\">Members</th></tr></thead>\n<tbody>\n");
    std::vector<std::string> keys;
    for (const auto& [k, v] : b.composition()) keys.push_back(k);
    std::sort(keys.begin(), keys.end());
    for (const std::string& k : keys) {
      absl::StrAppend(&out, "<tr><th scope=\"row\">", Esc(EnumText(k, "MEMBER_CATEGORY_")),
                      "</th><td class=\"num\">", b.composition().at(k), "</td></tr>\n");
    }
    if (keys.empty()) absl::StrAppend(&out, "<tr><td colspan=\"2\">No current members.</td></tr>\n");
    absl::StrAppend(&out, "</tbody>\n</table>\n");
    if (b.members_size() > 0) {
      absl::StrAppend(&out, "<details><summary>Members of the ", Esc(name),
                      "</summary>\n<table>\n<caption>Current members of the ", Esc(name),
                      "</caption>\n<thead><tr><th scope=\"col\">Person</th>"
                      "<th scope=\"col\">Category</th><th scope=\"col\">Term</th></tr></thead>\n<tbody>\n");
      for (const iv1::MemberRow& m : b.members()) {
        absl::StrAppend(&out, "<tr><th scope=\"row\">", Esc(m.person_ref()), m.chair() ? " (chair)" : "",
                        "</th><td>", Esc(EnumText(iv1::MemberCategory_Name(m.category()), "MEMBER_CATEGORY_")),
                        "</td><td>", DateText(m.term_start()), " to ",
                        m.term_end().year() != 0 ? DateText(m.term_end()) : std::string("open"),
                        m.term_ending() ? " <span class=\"late\">(ending soon)</span>" : "",
                        "</td></tr>\n");
      }
      absl::StrAppend(&out, "</tbody>\n</table>\n</details>\n");
    }
  }
  absl::StrAppend(&out, "</section>\n");
  return out;
}

std::string FindingsSection(const ReportData& d, const Evidence& ev) {
  std::vector<const iv1::Finding*> findings;
  for (const iv1::Finding& f : d.compliance.findings()) {
    if (InYear(f.since(), d.year)) findings.push_back(&f);
  }
  std::string out = absl::StrCat(
      "<section aria-labelledby=\"findings\">\n<h2 id=\"findings\">Compliance findings</h2>\n<p>",
      "Breaches of the policies that began in ", d.year, " and stood on ", DateText(d.as_of), ": <strong>",
      findings.size(), "</strong>.</p>\n");
  if (findings.empty()) return absl::StrCat(out, "</section>\n");
  absl::StrAppend(&out, "<table>\n<caption>Compliance findings</caption>\n<thead><tr>"
                        "<th scope=\"col\">Since</th><th scope=\"col\">Rule</th>"
                        "<th scope=\"col\">Concerning</th><th scope=\"col\">Finding</th></tr></thead>\n<tbody>\n");
  for (const iv1::Finding* f : findings) {
    absl::StrAppend(&out, "<tr><th scope=\"row\">", DateText(f->since()), "</th><td>",
                    Esc(absl::StrReplaceAll(f->rule(), {{"_", " "}})), "</td><td>",
                    ev.Link(f->subject(), f->subject()), "</td><td>", Esc(f->detail()),
                    "</td></tr>\n");
  }
  absl::StrAppend(&out, "</tbody>\n</table>\n</section>\n");
  return out;
}

std::string EvidenceSection(const ReportData& d, const Evidence& ev) {
  const Checkpoint& cp = d.cp.checkpoint;
  std::string out = absl::StrCat(
      "<section aria-labelledby=\"evidence\">\n<h2 id=\"evidence\">Evidence</h2>\n",
      "<p>Every entry below is in the checkpoint of ", cp.size,
      " entries stated at the top. To check a row without trusting us, download its bundle and "
      "run, with the verifier key published by the organisation:</p>\n",
      "<pre>ledgerctl verify-bundle BUNDLE.json --vkey \"$(cat verifier-key.txt)\" --as-of ",
      DateText(d.as_of), "</pre>\n",
      "<p>Any single entry can be proven against a checkpoint with <code>ledgerctl "
      "prove-inclusion --index SEQUENCE</code>.</p>\n",
      "<h3 id=\"src-indicators\">Entries counted in the indicators</h3>\n<p class=\"seq\">",
      Seqs(d.indicators.sequences()), "</p>\n",
      "<h3 id=\"bundles\">Evidence bundles (", ev.bundles.size(), ")</h3>\n");
  if (ev.bundles.empty()) return absl::StrCat(out, "<p>None.</p>\n</section>\n");
  absl::StrAppend(&out, "<table>\n<caption>One bundle per row of this report</caption>\n<thead><tr>"
                        "<th scope=\"col\">Subject</th><th scope=\"col\">Ledger sequences of the row</th>"
                        "<th scope=\"col\">Bundle</th></tr></thead>\n<tbody>\n");
  for (const auto& [subject, b] : ev.bundles) {
    const std::string file = absl::StrCat(absl::StrReplaceAll(subject, {{"/", "_"}}), ".json");
    std::string link = "<span class=\"muted\">not embedded (--no-bundles); ledgerctl evidence " +
                       Esc(subject) + "</span>";
    if (!b.json.empty()) {
      link = absl::StrCat("<a download=\"", Esc(file), "\" href=\"data:application/json;base64,",
                          absl::Base64Escape(b.json), "\">", Esc(file), "</a>");
    }
    absl::StrAppend(&out, "<tr id=\"", IdFor("ev-", subject), "\"><th scope=\"row\">", Esc(subject),
                    "</th><td class=\"seq\">", absl::StrJoin(b.sequences, ", "), "</td><td>", link,
                    "</td></tr>\n");
  }
  absl::StrAppend(&out, "</tbody>\n</table>\n</section>\n");
  return out;
}

std::string Page(const ReportData& d, const Evidence& ev) {
  const Checkpoint& cp = d.cp.checkpoint;
  const std::string title = absl::StrCat("Service user involvement ", d.year, ": ", cp.origin);
  std::string out = absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>", Esc(title), "</title>\n<style>", kStyle, "</style>\n</head>\n<body>\n",
      "<header>\n<h1>", Esc(title), "</h1>\n",
      "<p>What service users told us, what we did about it, and how we kept to our policies in ",
      d.year, ". The figures are as of <strong>", DateText(d.as_of), "</strong>.</p>\n",
      "<p id=\"checkpoint-statement\">Built from the signed checkpoint of <strong>", cp.size,
      "</strong> ledger entries of the log <strong>", Esc(cp.origin), "</strong>, root hash <code>",
      HexEncode(cp.root), "</code>, signed by key <code>", absl::StrFormat("%08x", d.cp.key.key_id),
      "</code>. Anyone can check that the entries behind this page are in that log; see ",
      "<a href=\"#about\">how to check this report</a>.</p>\n</header>\n",
      "<nav aria-label=\"Contents\">\n<h2 id=\"contents\">Contents</h2>\n<ol>\n"
      "<li><a href=\"#indicators\">Key indicators</a></li>\n"
      "<li><a href=\"#you-said\">You said, we did</a></li>\n"
      "<li><a href=\"#recommendations\">Recommendations and responses</a></li>\n"
      "<li><a href=\"#complaints\">Complaint timeliness</a></li>\n"
      "<li><a href=\"#suag-meetings\">SUAG meetings</a></li>\n"
      "<li><a href=\"#bodies\">Who sits on each body</a></li>\n"
      "<li><a href=\"#findings\">Compliance findings</a></li>\n"
      "<li><a href=\"#evidence\">Evidence</a></li>\n"
      "<li><a href=\"#about\">How to check this report</a></li>\n</ol>\n</nav>\n<main>\n");
  absl::StrAppend(&out, IndicatorsSection(d), YouSaidSection(d, ev), RecommendationsSection(d, ev),
                  ComplaintsSection(d, ev), MeetingsSection(d, ev), BodiesSection(d, ev),
                  FindingsSection(d, ev), EvidenceSection(d, ev));
  absl::StrAppend(
      &out, "<section aria-labelledby=\"about\">\n<h2 id=\"about\">How to check this report</h2>\n",
      "<p>This page was computed by <code>ledgerctl report</code> from the views of the "
      "Involvement Ledger at one signed checkpoint. The checkpoint, exactly as signed:</p>\n<pre>",
      Esc(d.cp.note), "</pre>\n<p>The verifier key the server gave (compare it with the key the "
      "organisation publishes; do not trust this copy alone):</p>\n<pre>",
      Esc(d.cp.verifier_key), "</pre>\n<ol>\n",
      "<li>Check the checkpoint's signature: <code>ledgerctl verify-checkpoint --vkey KEY "
      "&lt; checkpoint.txt</code>.</li>\n",
      "<li>Check it is consistent with checkpoints you saw before: <code>ledgerctl audit "
      "--state FILE --vkey KEY</code>.</li>\n",
      "<li>Check any row: download its bundle from the <a href=\"#bundles\">evidence</a> and run "
      "<code>ledgerctl verify-bundle</code>; it recomputes the row from the proven entries.</li>\n"
      "</ol>\n</section>\n</main>\n<footer>\n<p class=\"muted\">Involvement Ledger report, ",
      d.year, ", as of ", DateText(d.as_of), "; checkpoint of ", cp.size, " entries.</p>\n</footer>\n"
      "</body>\n</html>\n");
  return out;
}

// --- Command ------------------------------------------------------------------

int Report(const ServerConnection& server, int argc, char** argv, int first) {
  CommandLine cl({"server", "year", "out", "as-of"}, {"help", "no-bundles"});
  if (absl::Status s = cl.Parse(argc, argv, first); !s.ok()) {
    return UsageError(std::string(s.message()), kReportUsage);
  }
  if (cl.Has("help")) {
    std::cout << kReportUsage;
    return 0;
  }
  if (!cl.Has("year")) return UsageError("--year is required", kReportUsage);
  if (!cl.Has("out")) return UsageError("--out is required", kReportUsage);
  absl::StatusOr<uint64_t> year_arg = cl.GetUint("year", 0);
  if (!year_arg.ok() || *year_arg < 1 || *year_arg > 9999) {
    return UsageError("--year: expected a year such as 2026", kReportUsage);
  }
  const int year = static_cast<int>(*year_arg);
  std::optional<CivilDate> as_of;
  if (auto text = cl.Get("as-of")) {
    as_of = CivilDate::Parse(*text);
    if (!as_of.has_value()) return UsageError("--as-of: expected YYYY-MM-DD", kReportUsage);
    if (as_of->year() != year) return UsageError("--as-of: must be a date within --year", kReportUsage);
  } else {
    const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone());
    as_of = today.year() < year ? CivilDate::FromYmd(static_cast<int>(today.year()), today.month(),
                                                     today.day())
                                : CivilDate::FromYmd(year, 12, 31);
  }
  const std::filesystem::path out_path(*cl.Get("out"));
  if (out_path.filename().empty()) return UsageError("--out: expected a file name", kReportUsage);
  const std::string address = cl.GetOr("server", server.address);
  const bool progress = isatty(STDERR_FILENO) != 0;

  ReportData data;
  Evidence evidence;
  evidence.embed = !cl.Has("no-bundles");
  bool consistent = false;
  for (int attempt = 0; attempt < 2 && !consistent; ++attempt) {
    bool grew = false;
    data = ReportData();
    evidence.bundles.clear();
    if (absl::Status s = FetchViews(address, server.options, year, as_of->ToProto(), &data, &grew); !s.ok()) {
      return EvidenceError("report", s, address);
    }
    if (grew) continue;
    LedgerClient client(address, server.options);
    const std::map<std::string, std::set<uint64_t>> subjects = Subjects(data);
    size_t done = 0;
    for (const auto& [subject, seqs] : subjects) {
      Evidence::Bundle b;
      b.sequences = seqs;
      if (evidence.embed) {
        absl::StatusOr<std::string> json =
            BuildEvidenceBundle(client, address, data.cp, subject);
        if (!json.ok() && json.status().code() != absl::StatusCode::kNotFound) {
          return EvidenceError("report", absl::Status(json.status().code(),
                                                      absl::StrCat("evidence for ", subject, ": ",
                                                                   json.status().message())),
                               address);
        }
        if (json.ok()) b.json = *std::move(json);
      }
      evidence.bundles.emplace(subject, std::move(b));
      if (progress && ++done % 10 == 0) {
        std::cerr << "\rreport: evidence " << done << "/" << subjects.size() << std::flush;
      }
    }
    if (progress) std::cerr << "\r" << std::string(40, ' ') << "\r";
    absl::StatusOr<FetchedCheckpoint> again = FetchCheckpoint(client);
    if (!again.ok()) return EvidenceError("report", again.status(), address);
    consistent = again->checkpoint.size == data.cp.checkpoint.size;
  }
  if (!consistent) {
    std::cerr << "ledgerctl: report: the log grew during the run (twice); the views and "
                 "evidence would not agree with one checkpoint. Try again when it is quiet.\n";
    return 1;
  }

  const std::string page = Page(data, evidence);
  // Written beside the target and renamed, so FILE is never half written.
  const std::filesystem::path tmp = out_path.string() + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << page;
    f.close();
    if (!f) {
      std::error_code ec;
      std::filesystem::remove(tmp, ec);
      std::cerr << "ledgerctl: report: cannot write " << tmp.string() << "\n";
      return 1;
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, out_path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    std::cerr << "ledgerctl: report: cannot write " << out_path.string() << ": " << ec.message()
              << "\n";
    return 1;
  }
  std::cerr << "report for " << year << " as of " << as_of->ToString() << " (checkpoint of "
            << data.cp.checkpoint.size << " entries, " << evidence.bundles.size()
            << " evidence bundles): " << out_path.string() << ", " << page.size() << " bytes\n";
  return 0;
}

}  // namespace

const std::vector<CliCommand>& ReportCommands() {
  static const std::vector<CliCommand> kCommands = {
      {"report", "write the year's involvement report as one accessible HTML page", kReportUsage,
       Report},
  };
  return kCommands;
}

}  // namespace ledger

#include "tools/demo_organisation.h"

#include <google/protobuf/any.pb.h>
#include <google/protobuf/message.h>
#include <google/protobuf/timestamp.pb.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <set>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace demo {

namespace {

namespace v1 = involvement::v1;

// ---------------------------------------------------------------------------
// Calendar arithmetic (proleptic Gregorian; H. Hinnant's algorithms).

struct Ymd {
  int year;
  int month;
  int day;
};

int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

Ymd CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {static_cast<int>(yoe + era * 400 + (m <= 2 ? 1 : 0)), m, d};
}

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

}  // namespace

std::optional<CalendarDay> CalendarDay::FromYmd(int year, int month, int day) {
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1 ||
      day > DaysInMonth(year, month)) {
    return std::nullopt;
  }
  return CalendarDay(DaysFromCivil(year, month, day));
}

std::optional<CalendarDay> CalendarDay::Parse(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  int parts[3] = {0, 0, 0};
  const int starts[3] = {0, 5, 8};
  const int lengths[3] = {4, 2, 2};
  for (int p = 0; p < 3; ++p) {
    for (int i = 0; i < lengths[p]; ++i) {
      const char c = text[starts[p] + i];
      if (c < '0' || c > '9') return std::nullopt;
      parts[p] = parts[p] * 10 + (c - '0');
    }
  }
  return FromYmd(parts[0], parts[1], parts[2]);
}

int CalendarDay::year() const { return CivilFromDays(days_).year; }
int CalendarDay::month() const { return CivilFromDays(days_).month; }
int CalendarDay::day() const { return CivilFromDays(days_).day; }

int CalendarDay::weekday() const {
  // 1970-01-01 was a Thursday (3).
  return static_cast<int>(((days_ % 7) + 7 + 3) % 7);
}

CalendarDay CalendarDay::AddMonths(int n) const {
  const Ymd ymd = CivilFromDays(days_);
  const int64_t total = static_cast<int64_t>(ymd.year) * 12 + (ymd.month - 1) + n;
  const int year = static_cast<int>(total / 12);
  const int month = static_cast<int>(total % 12) + 1;
  return CalendarDay(
      DaysFromCivil(year, month, std::min(ymd.day, DaysInMonth(year, month))));
}

CalendarDay CalendarDay::AddWeekdays(int n) const {
  CalendarDay d = *this;
  while (n > 0) {
    d = d.AddDays(1);
    if (!d.IsWeekend()) --n;
  }
  return d;
}

CalendarDay CalendarDay::WeekdayOnOrBefore() const {
  const int wd = weekday();
  return wd == 5 ? AddDays(-1) : wd == 6 ? AddDays(-2) : *this;
}

std::string CalendarDay::ToString() const {
  const Ymd ymd = CivilFromDays(days_);
  return absl::StrFormat("%04d-%02d-%02d", ymd.year, ymd.month, ymd.day);
}

v1::Date CalendarDay::ToProto() const {
  const Ymd ymd = CivilFromDays(days_);
  v1::Date d;
  d.set_year(ymd.year);
  d.set_month(ymd.month);
  d.set_day(ymd.day);
  return d;
}

namespace {

// ---------------------------------------------------------------------------
// Small helpers.

// The scenario broke one of its own invariants: a bug here, never bad input.
void Check(bool ok, const std::string& what) {
  if (ok) return;
  std::fprintf(stderr, "ledger-demo: internal error: %s\n", what.c_str());
  std::abort();
}

std::string JsonString(std::string_view s) {
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
std::string JsonDay(CalendarDay d) { return JsonString(d.ToString()); }
std::string JsonDay(const std::optional<CalendarDay>& d) {
  return d.has_value() ? JsonDay(*d) : "null";
}
std::string JsonArray(const std::vector<std::string>& json_items) {
  return absl::StrCat("[", absl::StrJoin(json_items, ", "), "]");
}
std::string JsonStrings(const std::vector<std::string>& items) {
  std::vector<std::string> json;
  for (const std::string& s : items) json.push_back(JsonString(s));
  return JsonArray(json);
}
std::string JsonObject(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::vector<std::string> parts;
  for (const auto& [name, value] : fields) {
    parts.push_back(absl::StrCat(JsonString(name), ": ", value));
  }
  return absl::StrCat("{", absl::StrJoin(parts, ", "), "}");
}

// Random choices from std::mt19937_64 alone, whose output the standard
// fixes; the standard distributions vary between libraries. The slight
// modulo bias does not matter for a demo.
class DemoRandom {
 public:
  explicit DemoRandom(uint64_t seed) : engine_(seed) {}

  // 0 to n - 1 (0 when n <= 1).
  uint64_t Below(uint64_t n) { return n <= 1 ? 0 : engine_() % n; }
  // lo to hi inclusive (lo when hi <= lo).
  int Between(int lo, int hi) {
    return hi <= lo ? lo : lo + static_cast<int>(Below(static_cast<uint64_t>(hi - lo) + 1));
  }
  bool Chance(double p) {
    return static_cast<double>(engine_() >> 11) * 0x1.0p-53 < p;
  }
  template <typename T>
  const T& Pick(const std::vector<T>& items) {
    return items[Below(items.size())];
  }
  template <typename T, size_t N>
  const T& Pick(const T (&items)[N]) {
    return items[Below(N)];
  }
  template <typename T>
  void Shuffle(std::vector<T>& items) {
    for (size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[Below(i)]);
  }
  // 64 hex digits: stands in for the SHA-256 of a document that, in this
  // invented organisation, does not exist.
  std::string Digest() {
    std::string out;
    for (int i = 0; i < 4; ++i) {
      absl::StrAppendFormat(&out, "%016x", static_cast<uint64_t>(engine_()));
    }
    return out;
  }

 private:
  std::mt19937_64 engine_;
};

// Collects events with their dates, then orders them into appends.
class HistoryBuilder {
 public:
  // Records `event` in `stream` on `date`; `cause` is the handle of the
  // event that caused it (its id becomes the causation_id), or -1. Events
  // of one date keep the order they were added in.
  int Add(CalendarDay date, const std::string& stream,
          const google::protobuf::Message& event, int cause = -1) {
    Pending p;
    p.date = date;
    p.stream = stream;
    p.payload.PackFrom(event);
    p.cause = cause;
    pending_.push_back(std::move(p));
    return static_cast<int>(pending_.size()) - 1;
  }

  // Orders the events by date (stable), batches each stream's events of
  // one date into one append at the place of its first, and numbers event
  // ids in that order. `ids` gets each handle's event id.
  void Finish(uint64_t seed, std::vector<ledger::v1::AppendRequest>* appends,
              std::vector<std::string>* ids) {
    const int n = static_cast<int>(pending_.size());
    std::vector<int> order(n);
    for (int i = 0; i < n; ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
      return pending_[a].date < pending_[b].date;
    });
    ids->assign(n, "");
    // (append, event within it, handle), to set causes once all ids exist.
    std::vector<std::tuple<size_t, int, int>> placed;
    std::map<std::string, uint64_t> versions;
    uint64_t next_id = 1;
    appends->clear();
    appends->reserve(n);
    for (int i = 0; i < n;) {
      int j = i;
      while (j < n && pending_[order[j]].date == pending_[order[i]].date) ++j;
      std::vector<std::string> streams;
      std::map<std::string, std::vector<int>> by_stream;
      for (int k = i; k < j; ++k) {
        const std::string& s = pending_[order[k]].stream;
        if (by_stream.count(s) == 0) streams.push_back(s);
        by_stream[s].push_back(order[k]);
      }
      for (const std::string& s : streams) {
        ledger::v1::AppendRequest& req = appends->emplace_back();
        req.set_stream(s);
        req.mutable_expected_version()->set_exact(versions[s]);
        for (int h : by_stream[s]) {
          const Pending& p = pending_[h];
          ledger::v1::EventData* e = req.add_events();
          (*ids)[h] = absl::StrCat("demo-", seed, "-", next_id++);
          e->set_event_id((*ids)[h]);
          *e->mutable_payload() = p.payload;
          placed.emplace_back(appends->size() - 1, req.events_size() - 1, h);
          // Midday UTC: the same date in GMT and BST.
          e->mutable_occurred_at()->set_seconds(p.date.number() * 86400 + 12 * 3600);
        }
        versions[s] += by_stream[s].size();
      }
      i = j;
    }
    for (const auto& [req, event, h] : placed) {
      if (pending_[h].cause >= 0) {
        (*appends)[req].mutable_events(event)->set_causation_id((*ids)[pending_[h].cause]);
      }
    }
  }

 private:
  struct Pending {
    CalendarDay date;
    std::string stream;
    google::protobuf::Any payload;
    int cause = -1;
  };
  std::vector<Pending> pending_;
};

// Who sat on a body when, as the scenario records it.
class Roster {
 public:
  struct Tenure {
    std::string ref;
    v1::MemberCategory category;
    CalendarDay from;
    std::optional<CalendarDay> to;  // last day as a member
  };

  void Join(const std::string& ref, v1::MemberCategory category, CalendarDay from) {
    Check(!IsCurrent(ref), absl::StrCat(ref, " joined twice"));
    tenures_.push_back({ref, category, from, std::nullopt});
  }
  void Leave(const std::string& ref, CalendarDay on) {
    for (Tenure& t : tenures_) {
      if (t.ref == ref && !t.to.has_value()) {
        t.to = on;
        return;
      }
    }
    Check(false, absl::StrCat(ref, " left a body they were not in"));
  }
  bool IsCurrent(const std::string& ref) const {
    for (const Tenure& t : tenures_) {
      if (t.ref == ref && !t.to.has_value()) return true;
    }
    return false;
  }
  // Members whose tenure has not ended, in joining order.
  std::vector<Tenure> Current() const {
    std::vector<Tenure> out;
    for (const Tenure& t : tenures_) {
      if (!t.to.has_value()) out.push_back(t);
    }
    return out;
  }
  // Members on `day` (a member is still one on the day they leave).
  std::vector<Tenure> On(CalendarDay day) const {
    std::vector<Tenure> out;
    for (const Tenure& t : tenures_) {
      if (t.from <= day && (!t.to.has_value() || *t.to >= day)) out.push_back(t);
    }
    return out;
  }
  std::vector<std::string> CurrentOfCategory(v1::MemberCategory category) const {
    std::vector<std::string> out;
    for (const Tenure& t : Current()) {
      if (t.category == category) out.push_back(t.ref);
    }
    return out;
  }

  void SetChair(const std::string& ref, CalendarDay from) { chairs_.push_back({from, ref}); }
  // The chair on `day`: the last elected on or before it, while a member.
  std::optional<std::string> ChairOn(CalendarDay day) const {
    std::optional<std::string> chair;
    for (const auto& [from, ref] : chairs_) {
      if (from <= day) chair = ref;
    }
    if (!chair.has_value()) return std::nullopt;
    for (const Tenure& t : On(day)) {
      if (t.ref == *chair) return chair;
    }
    return std::nullopt;
  }

 private:
  std::vector<Tenure> tenures_;
  std::vector<std::pair<CalendarDay, std::string>> chairs_;
};

// ---------------------------------------------------------------------------
// What the invented organisation talks about. Nothing here names a person.

constexpr char kOrganisation[] = "Riverside Housing & Support";
constexpr int kFeedbackWindowDays = 28;
// Days a Board recommendation has for its response, and an SLT one.
constexpr int kBoardResponseDays = 70;
constexpr int kSltResponseDays = 42;
// Weekdays by which a planted complaint miss passes its due date; more
// than the bank holidays any of the Code's periods can hold.
constexpr int kMissMarginWeekdays = 6;

struct Said {
  const char* topic;
  const char* text;
};

const Said kFeedbackSummaries[] = {
    {"supported housing", "Kitchen rota in the shared house is not working"},
    {"supported housing", "House meetings clash with college hours"},
    {"supported housing", "Would like a say in choosing furniture for the lounge"},
    {"supported housing", "Support sessions often cancelled at short notice"},
    {"floating support", "Appointments only offered during working hours"},
    {"floating support", "Support worker changed three times this year"},
    {"floating support", "Help with benefit forms made a real difference"},
    {"floating support", "Waiting list for the service is too long"},
    {"older persons' service", "Weekly coffee morning has stopped"},
    {"older persons' service", "Alarm pull cords are not tested regularly"},
    {"older persons' service", "Lift out of action for two weeks"},
    {"older persons' service", "Would like more trips out in the summer"},
    {"young people's service", "Want help learning to cook on a budget"},
    {"young people's service", "Curfew rules are not explained clearly"},
    {"young people's service", "Need a quiet space for studying"},
    {"young people's service", "Move-on support starts too late"},
    {"repairs", "Repairs take too long to be booked"},
    {"repairs", "Contractor did not turn up for the appointment"},
    {"repairs", "Damp in the bathroom keeps coming back"},
    {"repairs", "No update given after reporting a leak"},
    {"communal areas", "Communal garden is overgrown"},
    {"communal areas", "Bin store is not cleaned often enough"},
    {"communal areas", "Lounge heating does not work in the evenings"},
    {"safety and security", "Rear door does not close properly"},
    {"safety and security", "Poor lighting in the car park"},
    {"safety and security", "Visitors are not signed in at weekends"},
    {"communication", "The newsletter is hard to read"},
    {"communication", "Not told about changes to the staff rota"},
    {"communication", "Would like information in easy read"},
    {"rent and service charges", "Service charge increase was not explained"},
    {"rent and service charges", "Statement of account is confusing"},
    {"staffing", "Too many agency staff at night"},
    {"staffing", "Staff are kind and listen"},
    {"activities", "More evening activities please"},
    {"activities", "The art group has been really good"},
    {"digital access", "No wifi in the communal lounge"},
    {"digital access", "Online repairs form does not work on phones"},
};

const Said kRecommendationTexts[] = {
    {"supported housing",
     "Agree house rules with residents at each supported housing scheme and review them yearly"},
    {"supported housing", "Give at least 48 hours' notice when a support session has to be moved"},
    {"floating support", "Offer evening and weekend appointments in floating support"},
    {"floating support", "Keep the same support worker for each person wherever possible"},
    {"older persons' service", "Restore weekly social activities in the older persons' schemes"},
    {"older persons' service", "Test alarm pull cords monthly and publish the results"},
    {"young people's service", "Fund a cooking-on-a-budget course in the young people's service"},
    {"young people's service", "Start move-on planning within three months of arrival"},
    {"repairs",
     "Publish target times for repairs and report performance to the Forum each quarter"},
    {"repairs", "Text residents the day before every repair appointment"},
    {"repairs", "Commission a damp and mould survey of every shared house"},
    {"communal areas", "Agree a cleaning and grounds schedule with residents and display it"},
    {"safety and security", "Improve lighting and door entry at the rear of each scheme"},
    {"communication", "Produce the newsletter in easy read and large print"},
    {"communication", "Tell residents about staffing changes before they happen"},
    {"rent and service charges",
     "Explain service charge changes in plain language a month before they apply"},
    {"staffing", "Reduce the use of agency staff on night shifts"},
    {"activities", "Fund an evening activities programme designed with residents"},
    {"digital access", "Install free wifi in every communal lounge"},
    {"digital access", "Make the online repairs form work on mobile phones"},
};

// The role that owns actions on each topic: roles, never names.
const Said kOwners[] = {
    {"supported housing", "Head of Supported Housing"},
    {"floating support", "Floating Support Manager"},
    {"older persons' service", "Older Persons' Service Manager"},
    {"young people's service", "Young People's Service Manager"},
    {"repairs", "Head of Repairs and Maintenance"},
    {"communal areas", "Facilities Manager"},
    {"safety and security", "Health and Safety Lead"},
    {"communication", "Communications Manager"},
    {"rent and service charges", "Head of Income"},
    {"staffing", "Head of People"},
    {"activities", "Involvement Manager"},
    {"digital access", "Head of IT"},
};

const char* const kActionSteps[] = {
    "Agree the approach with SUAG members",
    "Pilot the change at one scheme and report back",
    "Roll the change out across the service",
    "Report the results to SUAG and the Board",
};
const char* const kProgressNotes[] = {
    "Work started", "Progress reported to SUAG", "Contractor appointed",
    "Draft shared with service users for comment", "Pilot under way at one scheme",
};
const char* const kDelayNotes[] = {
    "Delayed: waiting for a contractor", "Delayed: budget not yet released",
    "Delayed: the lead post is vacant",
};
const char* const kCompletionNotes[] = {
    "Done and reported to SUAG", "Completed; residents told at the next meeting",
    "Completed; evidence filed with the minutes",
};
const char* const kClosingResponses[] = {
    "Thank you. The service manager has dealt with this; tell us if it happens again.",
    "Thank you. This has been fixed.",
    "Thank you for the kind words; we have shared them with the team.",
    "We looked into this and have changed how we do it.",
    "We cannot do this now and have explained why; we will look again next year.",
};

const Said kComplaintSummaries[] = {
    {"repairs", "Repair not completed after three visits"},
    {"repairs", "Damp and mould not dealt with"},
    {"supported housing", "Support sessions missed for a month"},
    {"supported housing", "Belongings damaged during a room move"},
    {"floating support", "Support worker changed without notice"},
    {"older persons' service", "Lift out of order for weeks"},
    {"older persons' service", "Alarm call not answered promptly"},
    {"young people's service", "Warning under the house rules felt unfair"},
    {"rent and service charges", "Service charge billed twice"},
    {"communication", "Not told about a change to support hours"},
    {"staffing", "Staff member was dismissive on the phone"},
    {"safety and security", "Front door entry system broken"},
};
const char* const kRemedies[] = {
    "Apology and repair completed", "Apology and a goodwill payment",
    "Charges refunded", "Support hours restored", "Apology",
};
const char* const kLearning[] = {
    "Repair appointments to be confirmed by text",
    "Billing checks added before statements are sent",
    "Staff briefing on telephone manner",
    "Cover arranged when a support worker is absent",
};
const char* const kExtensionReasons[] = {
    "Waiting for a contractor's report",
    "The complainant asked for more time to send evidence",
    "Needs a site visit by a surveyor",
};
const char* const kEscalationReasons[] = {
    "Not satisfied with the stage 1 response",
    "The remedy offered does not put things right",
    "The repair is still not done",
};

struct Vacancy {
  const char* title;
  bool front_line;
};
const Vacancy kVacancies[] = {
    {"Support Worker (supported housing)", true},
    {"Floating Support Worker", true},
    {"Night Concierge (older persons' service)", true},
    {"Young People's Key Worker", true},
    {"Housing Officer", true},
    {"Involvement Officer", true},
    {"Repairs Surveyor", true},
    {"Finance Officer", false},
    {"Head of Supported Housing", false},
    {"Data and Systems Analyst", false},
};

const char* const kStandardsMet[] = {
    "Service users help plan the service",
    "Complaints are recorded and learned from",
    "Staff have up-to-date safeguarding training",
    "Residents' meetings are held regularly",
    "Support plans are agreed with the person",
};
const char* const kStandardsFailed[] = {
    "Support plans are reviewed every three months",
    "Fire safety checks in communal areas are recorded",
    "Information is available in accessible formats",
};
const char* const kAdvocacyIssues[] = {
    "Residents are unsure how to complain",
    "Repair delays are affecting people's wellbeing",
    "Young people want more say in house rules",
    "Older residents feel isolated since activities stopped",
    "Good practice: support workers explain options clearly",
};
const char* const kTrainingSubjects[] = {
    "Chairing and minute-taking",
    "Recruitment panel skills",
    "Reading Board papers and finance basics",
    "Complaints scrutiny",
    "Mystery shopping and service inspection",
};

std::string OwnerFor(const std::string& topic) {
  for (const Said& o : kOwners) {
    if (topic == o.topic) return o.text;
  }
  return "Director of Operations";
}

v1::Action MakeAction(const std::string& id, const std::string& description,
                      const std::string& owner, CalendarDay due) {
  v1::Action a;
  a.set_action_id(id);
  a.set_description(description);
  a.set_owner(owner);
  *a.mutable_due() = due.ToProto();
  return a;
}

// ---------------------------------------------------------------------------
// The scenario.

struct Meeting {
  CalendarDay date;
  std::string minutes_ref;
};

struct FeedbackItem {
  std::string id;
  CalendarDay received;
  v1::FeedbackChannel channel = v1::FEEDBACK_CHANNEL_UNSPECIFIED;
  bool anonymous = false;
  std::string person_ref;
  std::string topic;
  std::string summary;
  v1::Body raised_at = v1::BODY_UNSPECIFIED;
  enum class Planted { kNo, kNeverAnswered, kAnsweredLate } planted = Planted::kNo;
  std::optional<CalendarDay> escalated_to_suag;
  int cited_by = -1;  // index into recommendations
};

struct RecommendationItem {
  std::string id;
  CalendarDay made;
  std::string minutes_ref;
  v1::Addressee to = v1::ADDRESSEE_UNSPECIFIED;
  std::string topic;
  std::string text;
  std::vector<int> feedback;
  CalendarDay due;
  enum class Fate { kOnTime, kLate, kNever, kPending } fate = Fate::kOnTime;
  std::optional<CalendarDay> decided;
  std::string decision_minute_ref;
  v1::Decision decision = v1::DECISION_UNSPECIFIED;
  int response_handle = -1;
};

enum class ComplaintMiss { kNone, kAck1, kResponse1, kResponse1Extended, kAck2, kResponse2 };

struct ComplaintItem {
  std::string id;
  CalendarDay received;
  bool formal = true;
  bool advocacy = false;
  std::string person_ref;
  std::string topic;
  std::string summary;
  ComplaintMiss miss = ComplaintMiss::kNone;
};

struct FindingDraft {
  std::string kind;
  std::vector<std::string> streams;
  std::vector<int> handles;
  std::vector<std::pair<std::string, std::string>> facts;
  std::string summary;
};

class RiversideScenario {
 public:
  explicit RiversideScenario(const DemoOptions& options)
      : options_(options),
        rng_(options.seed),
        start_(options.start),
        end_(options.start.AddMonths(12 * options.years).AddDays(-1)),
        length_days_(DaysBetween(start_, end_) + 1) {
    for (int i = 1; i <= 999; ++i) people_.push_back(absl::StrFormat("SU-%04d", i));
    rng_.Shuffle(people_);
  }

  DemoHistory Build() {
    PlanMeetings();
    RecordSuag();
    RecordBoard();
    RecordForum();
    RecordRepairsGroup();
    RecordSurveys();
    PlanFeedback();
    PlanRecommendations();
    RecordRecommendations();
    RecordFeedback();
    RecordComplaints();
    RecordRecruitment();
    RecordReviews();
    RecordAdvocacyAndTraining();
    RecordImpactAssessments();

    DemoHistory h;
    h.options = options_;
    h.end = end_;
    std::vector<std::string> ids;
    builder_.Finish(options_.seed, &h.appends, &ids);
    auto resolve = [&](const FindingDraft& d) {
      PlantedFinding f;
      f.kind = d.kind;
      f.streams = d.streams;
      for (int handle : d.handles) f.event_ids.push_back(ids[handle]);
      f.facts = d.facts;
      f.summary = d.summary;
      return f;
    };
    for (const FindingDraft& d : breaches_) h.breaches.push_back(resolve(d));
    for (const FindingDraft& d : overdue_actions_) h.overdue_actions.push_back(resolve(d));
    return h;
  }

 private:
  CalendarDay YearStart(int k) const { return start_.AddMonths(12 * k); }
  CalendarDay YearEnd(int k) const { return YearStart(k + 1).AddDays(-1); }
  // The day `fraction` of the way through the period.
  CalendarDay At(double fraction) const {
    return start_.AddDays(static_cast<int64_t>(fraction * static_cast<double>(length_days_)));
  }
  CalendarDay Min(CalendarDay a, CalendarDay b) const { return a < b ? a : b; }
  CalendarDay Max(CalendarDay a, CalendarDay b) const { return a < b ? b : a; }

  // A service user who has not taken part before.
  std::string NewPerson() {
    Check(next_person_ < people_.size(), "ran out of pseudonymous refs");
    return people_[next_person_++];
  }
  // Any service user, for feedback and complaints.
  std::string AnyServiceUser() { return absl::StrFormat("SU-%04d", rng_.Between(1, 999)); }

  // "SUAG/2025/03": the n-th meeting of the body in the date's year.
  std::string MinutesRef(const std::string& body, CalendarDay date) {
    const int n = ++minutes_count_[{body, date.year()}];
    return absl::StrFormat("%s/%04d/%02d", body, date.year(), n);
  }
  // "R-2025-007": the n-th id of the prefix in the year.
  std::string YearlyId(const std::string& prefix, CalendarDay date, int width) {
    const int n = ++id_count_[{prefix, date.year()}];
    return absl::StrFormat("%s-%04d-%0*d", prefix, date.year(), width, n);
  }

  std::vector<Meeting> RegularMeetings(const std::string& body, int first_offset,
                                       int interval) {
    std::vector<Meeting> out;
    for (int64_t d = first_offset; d < length_days_; d += interval) {
      const CalendarDay date = start_.AddDays(d).WeekdayOnOrBefore();
      if (date <= start_) continue;
      out.push_back({date, MinutesRef(body, date)});
    }
    return out;
  }

  // --- bodies --------------------------------------------------------------

  void PlanMeetings() {
    // SUAG: every 12 weeks, up to 4 days early, so any two consecutive
    // meetings are at most 88 days apart, always within three months (a
    // three-month span is at least 89 days). One quarter is skipped.
    std::vector<CalendarDay> bases;
    for (int64_t d = 14; d < length_days_; d += 84) bases.push_back(start_.AddDays(d));
    suag_skip_ = -1;
    for (size_t i = 1; i + 1 < bases.size(); ++i) {
      if (bases[i] >= At(0.6)) {
        suag_skip_ = static_cast<int>(i);
        break;
      }
    }
    Check(suag_skip_ > 0, "no SUAG meeting to skip");
    for (size_t i = 0; i < bases.size(); ++i) {
      const CalendarDay date = bases[i].AddDays(-rng_.Between(0, 2)).WeekdayOnOrBefore();
      if (static_cast<int>(i) == suag_skip_) {
        skipped_suag_date_ = date;
        continue;
      }
      suag_meetings_.push_back({date, MinutesRef("SUAG", date)});
    }
    // Every non-planted gap (from the start, between meetings, to the end)
    // is within three months; the planted one is not.
    CalendarDay prev = start_;
    for (const Meeting& m : suag_meetings_) {
      const bool planted = prev < skipped_suag_date_ && skipped_suag_date_ < m.date;
      Check(planted == (m.date > prev.AddMonths(3)), "SUAG meeting cadence");
      prev = m.date;
    }
    Check(end_ <= prev.AddMonths(3), "last SUAG meeting too early");

    board_meetings_ = RegularMeetings("BOARD", 21, 49);
    suf_meetings_ = RegularMeetings("SUF", 10, 42);
    repairs_meetings_ = RegularMeetings("REPAIRS_WG", 35, 56);
  }

  int Elect(const std::string& stream, v1::Body body, Roster& roster,
            const std::string& ref, v1::MemberCategory category, CalendarDay from,
            std::optional<CalendarDay> term_end, const std::string& election_ref,
            const std::string& overseen_by, v1::Body nominated_by = v1::BODY_UNSPECIFIED) {
    v1::MemberElected e;
    e.set_body(body);
    e.set_person_ref(ref);
    e.set_category(category);
    *e.mutable_term_start() = from.ToProto();
    if (term_end.has_value()) *e.mutable_term_end() = term_end->ToProto();
    e.set_election_ref(election_ref);
    e.set_overseen_by(overseen_by);
    e.set_nominated_by(nominated_by);
    roster.Join(ref, category, from);
    return builder_.Add(from, stream, e);
  }

  int Leave(const std::string& stream, v1::Body body, Roster& roster,
            const std::string& ref, CalendarDay on, const std::string& reason) {
    v1::MemberLeft e;
    e.set_body(body);
    e.set_person_ref(ref);
    *e.mutable_left_on() = on.ToProto();
    e.set_reason(reason);
    roster.Leave(ref, on);
    return builder_.Add(on, stream, e);
  }

  void ElectChair(const std::string& stream, v1::Body body, Roster& roster,
                  const std::string& ref, CalendarDay from, const std::string& election_ref) {
    v1::ChairElected e;
    e.set_body(body);
    e.set_person_ref(ref);
    *e.mutable_from() = from.ToProto();
    e.set_election_ref(election_ref);
    roster.SetChair(ref, from);
    builder_.Add(from, stream, e);
  }

  int Meet(const std::string& stream, v1::Body body, const Meeting& m,
           const std::vector<std::string>& attendees,
           const std::vector<std::string>& representatives) {
    v1::MeetingHeld e;
    e.set_body(body);
    *e.mutable_date() = m.date.ToProto();
    for (const std::string& a : attendees) e.add_attendees(a);
    for (const std::string& r : representatives) e.add_representatives_present(r);
    e.set_minutes_digest(rng_.Digest());
    e.set_minutes_ref(m.minutes_ref);
    return builder_.Add(m.date, stream, e);
  }

  // Each current member attends with probability `p`.
  std::vector<std::string> Attendance(const Roster& roster, CalendarDay day, double p) {
    std::vector<std::string> out;
    for (const Roster::Tenure& t : roster.On(day)) {
      if (rng_.Chance(p)) out.push_back(t.ref);
    }
    return out;
  }

  void RecordSuag() {
    const std::string stream = "body/SUAG";
    const v1::Body body = v1::BODY_SUAG;
    Roster& roster = suag_roster_;
    // The chair changes mid-term once: the chair stands down before the
    // first meeting a quarter of the way through the first year.
    int chair_change_meeting = -1;
    for (size_t i = 1; i < suag_meetings_.size(); ++i) {
      if (suag_meetings_[i].date >= start_.AddDays(91) && suag_meetings_[i].date <= YearEnd(0)) {
        chair_change_meeting = static_cast<int>(i);
        break;
      }
    }
    std::vector<Roster::Tenure> previous;
    for (int k = 0; k < options_.years; ++k) {
      const CalendarDay e = YearStart(k);
      const CalendarDay t = YearEnd(k);
      const std::string election = absl::StrCat("SUAG-ELECTION-", e.year());
      // The cohort: re-elect some of last year's members, fill with others.
      std::vector<std::pair<std::string, v1::MemberCategory>> cohort;
      auto fill = [&](v1::MemberCategory category, int seats, int keep) {
        std::vector<std::string> returning;
        for (const Roster::Tenure& p : previous) {
          if (p.category == category) returning.push_back(p.ref);
        }
        rng_.Shuffle(returning);
        int filled = 0;
        for (const std::string& ref : returning) {
          if (filled == keep) break;
          cohort.push_back({ref, category});
          ++filled;
        }
        for (; filled < seats; ++filled) cohort.push_back({NewPerson(), category});
      };
      fill(v1::MEMBER_CATEGORY_SERVICE_USER, 6, 3);
      fill(v1::MEMBER_CATEGORY_EX_SERVICE_USER, 2, 1);
      // Two Board members sit on SUAG, rotating yearly among BD-02..BD-04.
      cohort.push_back({absl::StrFormat("BD-%02d", 2 + k % 3), v1::MEMBER_CATEGORY_BOARD_MEMBER});
      cohort.push_back({absl::StrFormat("BD-%02d", 2 + (k + 1) % 3),
                        v1::MEMBER_CATEGORY_BOARD_MEMBER});
      for (const auto& [ref, category] : cohort) {
        Elect(stream, body, roster, ref, category, e, t, election,
              "independent returning officer");
      }
      std::vector<std::string> users = roster.CurrentOfCategory(v1::MEMBER_CATEGORY_SERVICE_USER);
      std::string chair = rng_.Pick(users);
      ElectChair(stream, body, roster, chair, e, absl::StrCat("SUAG-CHAIR-", e.year()));

      // Departures this year: the planned chair change, and one or two
      // others, each filled at the next meeting of the same term.
      std::vector<const Meeting*> meetings;
      for (const Meeting& m : suag_meetings_) {
        if (m.date >= e && m.date <= t) meetings.push_back(&m);
      }
      std::vector<std::pair<CalendarDay, std::string>> departures;
      std::set<std::string> departing;
      if (k == 0 && chair_change_meeting >= 0) {
        departures.push_back(
            {suag_meetings_[chair_change_meeting].date.AddDays(-rng_.Between(10, 30)), chair});
        departing.insert(chair);
      }
      const int others = rng_.Between(1, 2);
      for (int i = 0; i < others; ++i) {
        std::vector<std::string> candidates;
        for (const Roster::Tenure& m : roster.Current()) {
          if (m.category != v1::MEMBER_CATEGORY_BOARD_MEMBER && departing.count(m.ref) == 0 &&
              m.ref != chair) {
            candidates.push_back(m.ref);
          }
        }
        const std::string who = rng_.Pick(candidates);
        departing.insert(who);
        const int year_days = static_cast<int>(DaysBetween(e, t));
        departures.push_back({e.AddDays(rng_.Between(30, year_days - 30)), who});
      }
      std::sort(departures.begin(), departures.end());

      const char* const kReasons[] = {"resigned", "moved away", "no longer able to attend",
                                      "started paid work and stood down"};
      size_t next_departure = 0;
      std::vector<v1::MemberCategory> vacancies;
      bool chair_vacant = false;
      auto depart_until = [&](CalendarDay last) {
        for (; next_departure < departures.size() && departures[next_departure].first <= last;
             ++next_departure) {
          const auto& [day, who] = departures[next_departure];
          for (const Roster::Tenure& m : roster.Current()) {
            if (m.ref == who) vacancies.push_back(m.category);
          }
          Leave(stream, body, roster, who, day,
                who == chair ? "moved away" : rng_.Pick(kReasons));
          if (who == chair) chair_vacant = true;
        }
      };
      for (const Meeting* m : meetings) {
        depart_until(m->date);
        for (v1::MemberCategory category : vacancies) {
          Elect(stream, body, roster, NewPerson(), category, m->date, t,
                absl::StrCat(m->minutes_ref, " by-election"), "Involvement Officer");
        }
        vacancies.clear();
        if (chair_vacant) {
          users = roster.CurrentOfCategory(v1::MEMBER_CATEGORY_SERVICE_USER);
          chair = rng_.Pick(users);
          ElectChair(stream, body, roster, chair, m->date,
                     absl::StrCat(m->minutes_ref, " chair election"));
          chair_vacant = false;
        }
        std::vector<std::string> attendees = Attendance(roster, m->date, 0.8);
        std::vector<std::string> board_present;
        for (const Roster::Tenure& p : roster.On(m->date)) {
          if (p.category == v1::MEMBER_CATEGORY_BOARD_MEMBER &&
              std::find(attendees.begin(), attendees.end(), p.ref) != attendees.end()) {
            board_present.push_back(p.ref);
          }
        }
        suag_meeting_handles_[m->minutes_ref] =
            Meet(stream, body, *m, attendees, board_present);
      }
      depart_until(t);
      previous = roster.Current();
      if (k + 1 < options_.years) {
        for (const Roster::Tenure& m : previous) {
          Leave(stream, body, roster, m.ref, t, "term ended");
        }
      }
    }

    // The planted gap: the meetings either side of the skipped quarter.
    for (size_t i = 1; i < suag_meetings_.size(); ++i) {
      const Meeting& before = suag_meetings_[i - 1];
      const Meeting& after = suag_meetings_[i];
      if (after.date <= before.date.AddMonths(3)) continue;
      FindingDraft f;
      f.kind = "suag_meeting_gap";
      f.streams = {stream};
      f.handles = {suag_meeting_handles_[before.minutes_ref],
                   suag_meeting_handles_[after.minutes_ref]};
      f.facts = {{"from", JsonDay(before.date)},
                 {"to", JsonDay(after.date)},
                 {"gap_days", absl::StrCat(DaysBetween(before.date, after.date))},
                 {"next_meeting_was_due_by", JsonDay(before.date.AddMonths(3))},
                 {"from_minutes_ref", JsonString(before.minutes_ref)},
                 {"to_minutes_ref", JsonString(after.minutes_ref)}};
      f.summary = absl::StrCat("body/SUAG: no meeting from ", before.date.ToString(), " (",
                               before.minutes_ref, ") to ", after.date.ToString(), " (",
                               after.minutes_ref, "), ", DaysBetween(before.date, after.date),
                               " days; the next was due by ",
                               before.date.AddMonths(3).ToString());
      breaches_.push_back(std::move(f));
    }
  }

  void RecordBoard() {
    const std::string stream = "body/BOARD";
    const v1::Body body = v1::BODY_BOARD;
    Roster& roster = board_roster_;
    const CalendarDay term_end = start_.AddMonths(36).AddDays(-1);
    const std::string agm = absl::StrCat("BOARD-AGM-", start_.year());
    for (int i = 1; i <= 7; ++i) {
      Elect(stream, body, roster, absl::StrFormat("BD-%02d", i), v1::MEMBER_CATEGORY_BOARD_MEMBER,
            start_, term_end, agm, "Company Secretary");
    }
    const std::string first_seat = NewPerson();
    Elect(stream, body, roster, first_seat, v1::MEMBER_CATEGORY_SERVICE_USER, start_, term_end,
          absl::StrCat("BOARD-SU-SEAT-", start_.year()), "independent returning officer");
    ElectChair(stream, body, roster, "BD-01", start_, agm);

    auto first_meeting_from = [&](CalendarDay day) -> const Meeting* {
      for (const Meeting& m : board_meetings_) {
        if (m.date >= day) return &m;
      }
      return nullptr;
    };
    // A Board member retires and is replaced at the next meeting.
    const CalendarDay retired = At(0.3).WeekdayOnOrBefore();
    Leave(stream, body, roster, "BD-05", retired, "retired from the Board");
    if (const Meeting* m = first_meeting_from(retired.AddDays(1))) {
      Elect(stream, body, roster, "BD-08", v1::MEMBER_CATEGORY_BOARD_MEMBER, m->date,
            m->date.AddMonths(36).AddDays(-1), m->minutes_ref, "Company Secretary");
    }
    // The planted gap: the service-user Board member stands down and the
    // seat stays empty until a meeting at least 75 days later.
    const CalendarDay left = At(0.55).WeekdayOnOrBefore();
    const int left_handle =
        Leave(stream, body, roster, first_seat, left, "stood down: moved out of the area");
    const Meeting* refill = first_meeting_from(left.AddDays(75));
    Check(refill != nullptr && refill->date <= end_,
          "no Board meeting to fill the service-user seat");
    const std::string second_seat = NewPerson();
    const int elected_handle = Elect(
        stream, body, roster, second_seat, v1::MEMBER_CATEGORY_SERVICE_USER, refill->date,
        refill->date.AddMonths(36).AddDays(-1),
        absl::StrCat("BOARD-SU-SEAT-BY-ELECTION-", refill->date.year()),
        "independent returning officer");
    FindingDraft f;
    f.kind = "no_service_user_board_member";
    f.streams = {stream};
    f.handles = {left_handle, elected_handle};
    f.facts = {{"from", JsonDay(left.AddDays(1))},
               {"to", JsonDay(refill->date.AddDays(-1))},
               {"days", absl::StrCat(DaysBetween(left, refill->date) - 1)},
               {"left", JsonString(first_seat)},
               {"left_on", JsonDay(left)},
               {"replaced_by", JsonString(second_seat)},
               {"replaced_on", JsonDay(refill->date)}};
    f.summary = absl::StrCat("body/BOARD: no service-user member from ",
                             left.AddDays(1).ToString(), " to ",
                             refill->date.AddDays(-1).ToString(), " (", first_seat,
                             " left; ", second_seat, " elected ", refill->date.ToString(), ")");
    breaches_.push_back(std::move(f));

    // Meetings; SUAG's chair, and sometimes another SUAG service-user
    // member, attend some as SUAG's representatives.
    for (const Meeting& m : board_meetings_) {
      std::vector<std::string> reps;
      if (rng_.Chance(0.55)) {
        if (std::optional<std::string> chair = suag_roster_.ChairOn(m.date)) reps.push_back(*chair);
        if (rng_.Chance(0.5)) {
          for (const Roster::Tenure& p : suag_roster_.On(m.date)) {
            if (p.category == v1::MEMBER_CATEGORY_SERVICE_USER &&
                std::find(reps.begin(), reps.end(), p.ref) == reps.end()) {
              reps.push_back(p.ref);
              break;
            }
          }
        }
      }
      Meet(stream, body, m, Attendance(roster, m.date, 0.85), reps);
    }
  }

  void RecordForum() {
    const std::string stream = "body/SUF";
    const v1::Body body = v1::BODY_SUF;
    Roster& roster = suf_roster_;
    const std::string reg = absl::StrCat("SUF-REGISTER-", start_.year());
    for (int i = 0; i < 30; ++i) {
      Elect(stream, body, roster, NewPerson(),
            i < 25 ? v1::MEMBER_CATEGORY_SERVICE_USER : v1::MEMBER_CATEGORY_EX_SERVICE_USER,
            start_, std::nullopt, reg, "Involvement Officer");
    }
    const char* const kReasons[] = {"moved on from the service", "resigned",
                                    "no longer attending"};
    for (const Meeting& m : suf_meetings_) {
      const int leavers = rng_.Between(0, 2);
      for (int i = 0; i < leavers; ++i) {
        std::vector<Roster::Tenure> current = roster.Current();
        if (current.size() <= 20) break;
        // After the previous meeting (where they may have joined).
        const CalendarDay on = Max(start_.AddDays(1), m.date.AddDays(-rng_.Between(1, 20)));
        Leave(stream, body, roster, rng_.Pick(current).ref, on, rng_.Pick(kReasons));
      }
      const int joiners = rng_.Between(0, 3);
      for (int i = 0; i < joiners; ++i) {
        Elect(stream, body, roster, NewPerson(),
              rng_.Chance(0.85) ? v1::MEMBER_CATEGORY_SERVICE_USER
                                : v1::MEMBER_CATEGORY_EX_SERVICE_USER,
              m.date, std::nullopt, m.minutes_ref, "Involvement Officer");
      }
      Meet(stream, body, m, Attendance(roster, m.date, 0.45), {});
    }
  }

  void RecordRepairsGroup() {
    const std::string stream = "body/REPAIRS_WG";
    const v1::Body body = v1::BODY_REPAIRS_WG;
    Roster& roster = repairs_roster_;
    for (int k = 0; k < options_.years; ++k) {
      const CalendarDay e = YearStart(k);
      const CalendarDay t = YearEnd(k);
      // SUAG nominates three service users: two of its own, one from the
      // wider membership; two staff seats are appointed.
      std::vector<std::string> suag_users;
      for (const Roster::Tenure& m : suag_roster_.On(e)) {
        if (m.category == v1::MEMBER_CATEGORY_SERVICE_USER) suag_users.push_back(m.ref);
      }
      Check(suag_users.size() >= 2, "SUAG has too few service users to nominate");
      rng_.Shuffle(suag_users);
      std::vector<std::string> nominees = {suag_users[0], suag_users[1], NewPerson()};
      const std::string nominations = absl::StrCat("SUAG-NOMINATIONS-", e.year());
      for (const std::string& ref : nominees) {
        Elect(stream, body, roster, ref, v1::MEMBER_CATEGORY_SERVICE_USER, e, t, nominations,
              "SUAG", v1::BODY_SUAG);
      }
      for (const char* staff : {"ST-01", "ST-02"}) {
        Elect(stream, body, roster, staff, v1::MEMBER_CATEGORY_STAFF, e, t,
              absl::StrCat("STAFF-APPOINTMENT-", e.year()), "Director of Operations");
      }
      ElectChair(stream, body, roster, nominees[0], e, nominations);
      for (const Meeting& m : repairs_meetings_) {
        if (m.date >= e && m.date <= t) Meet(stream, body, m, Attendance(roster, m.date, 0.8), {});
      }
      if (k + 1 < options_.years) {
        for (const Roster::Tenure& m : roster.Current()) {
          Leave(stream, body, roster, m.ref, t, "term ended");
        }
      }
    }
  }

  // --- you said, we did ----------------------------------------------------

  void PlanFeedback() {
    struct ChannelShare {
      v1::FeedbackChannel channel;
      int percent;
      double anonymous;
    };
    const ChannelShare kChannels[] = {
        {v1::FEEDBACK_CHANNEL_SUGGESTION_BOX, 14, 0.7}, {v1::FEEDBACK_CHANNEL_SURVEY, 14, 0.5},
        {v1::FEEDBACK_CHANNEL_EXIT_INTERVIEW, 8, 0.0},  {v1::FEEDBACK_CHANNEL_MEETING, 26, 0.0},
        {v1::FEEDBACK_CHANNEL_ONE_TO_ONE, 20, 0.0},     {v1::FEEDBACK_CHANNEL_DIGITAL, 18, 0.2},
    };
    // Everything is received at least the response window before the end.
    const CalendarDay last = end_.AddDays(-kFeedbackWindowDays);
    std::vector<const Meeting*> suf;
    std::vector<const Meeting*> suag;
    for (const Meeting& m : suf_meetings_) {
      if (m.date <= last) suf.push_back(&m);
    }
    for (const Meeting& m : suag_meetings_) {
      if (m.date <= last) suag.push_back(&m);
    }
    const int n = 150 * options_.years;
    for (int i = 0; i < n; ++i) {
      FeedbackItem f;
      int roll = rng_.Between(0, 99);
      const ChannelShare* share = &kChannels[0];
      for (const ChannelShare& c : kChannels) {
        share = &c;
        if (roll < c.percent) break;
        roll -= c.percent;
      }
      f.channel = share->channel;
      f.anonymous = rng_.Chance(share->anonymous);
      if (!f.anonymous) f.person_ref = AnyServiceUser();
      const Said& said = rng_.Pick(kFeedbackSummaries);
      f.topic = said.topic;
      f.summary = said.text;
      if (f.channel == v1::FEEDBACK_CHANNEL_MEETING) {
        if (rng_.Chance(0.8) || suag.empty()) {
          f.raised_at = v1::BODY_SUF;
          f.received = rng_.Pick(suf)->date;
        } else {
          f.raised_at = v1::BODY_SUAG;
          f.received = rng_.Pick(suag)->date;
        }
      } else {
        f.received =
            start_.AddDays(static_cast<int64_t>(rng_.Below(DaysBetween(start_, last) + 1)));
      }
      feedback_.push_back(std::move(f));
    }
    std::stable_sort(feedback_.begin(), feedback_.end(),
                     [](const FeedbackItem& a, const FeedbackItem& b) {
                       return a.received < b.received;
                     });
    for (FeedbackItem& f : feedback_) f.id = YearlyId("F", f.received, 4);

    // Planted: five never answered, two answered late; none of them raised
    // at a meeting, so none is escalated or cited.
    std::vector<int> eligible;
    for (size_t i = 0; i < feedback_.size(); ++i) {
      const FeedbackItem& f = feedback_[i];
      if (f.channel != v1::FEEDBACK_CHANNEL_MEETING && f.received >= At(0.1) &&
          f.received <= end_.AddDays(-60)) {
        eligible.push_back(static_cast<int>(i));
      }
    }
    rng_.Shuffle(eligible);
    Check(eligible.size() >= 7, "too few feedback items to plant");
    for (int i = 0; i < 7; ++i) {
      feedback_[eligible[i]].planted = i < 5 ? FeedbackItem::Planted::kNeverAnswered
                                             : FeedbackItem::Planted::kAnsweredLate;
    }
    // About half of what is raised at the Forum goes to SUAG's next meeting.
    for (FeedbackItem& f : feedback_) {
      if (f.raised_at != v1::BODY_SUF || !rng_.Chance(0.5)) continue;
      for (const Meeting& m : suag_meetings_) {
        if (m.date > f.received) {
          f.escalated_to_suag = m.date;
          break;
        }
      }
    }
  }

  void PlanRecommendations() {
    std::map<std::string, int> template_turn;
    for (const Meeting& m : suag_meetings_) {
      std::vector<int> escalated;
      std::vector<int> recent;
      for (size_t i = 0; i < feedback_.size(); ++i) {
        const FeedbackItem& f = feedback_[i];
        if (f.planted != FeedbackItem::Planted::kNo || f.received > m.date) continue;
        if (f.escalated_to_suag.has_value()) {
          if (*f.escalated_to_suag == m.date) escalated.push_back(static_cast<int>(i));
        } else if (DaysBetween(f.received, m.date) < 120) {
          recent.push_back(static_cast<int>(i));
        }
      }
      const int count = rng_.Between(4, 5);
      for (int r = 0; r < count; ++r) {
        auto uncited = [&](const std::vector<int>& from) {
          std::vector<int> out;
          for (int i : from) {
            if (feedback_[i].cited_by < 0) out.push_back(i);
          }
          return out;
        };
        std::vector<int> open_escalated = uncited(escalated);
        std::vector<int> open_recent = uncited(recent);
        RecommendationItem rec;
        rec.made = m.date;
        rec.minutes_ref = m.minutes_ref;
        const int index = static_cast<int>(recommendations_.size());
        bool cites_escalated = false;
        int seed = -1;
        if (!open_escalated.empty() && (open_recent.empty() || rng_.Chance(0.7))) {
          seed = open_escalated.front();
          cites_escalated = true;
        } else if (!open_recent.empty()) {
          seed = rng_.Pick(open_recent);
        }
        if (seed >= 0) {
          rec.topic = feedback_[seed].topic;
          rec.feedback.push_back(seed);
          feedback_[seed].cited_by = index;
          int more = rng_.Between(0, 2);
          std::vector<int> pool = open_escalated;
          pool.insert(pool.end(), open_recent.begin(), open_recent.end());
          for (int i : pool) {
            if (more == 0) break;
            if (feedback_[i].cited_by < 0 && feedback_[i].topic == rec.topic) {
              feedback_[i].cited_by = index;
              rec.feedback.push_back(i);
              cites_escalated = cites_escalated || feedback_[i].escalated_to_suag.has_value();
              --more;
            }
          }
        } else {
          rec.topic = rng_.Pick(kFeedbackSummaries).topic;
        }
        std::vector<std::string> texts;
        for (const Said& s : kRecommendationTexts) {
          if (rec.topic == s.topic) texts.push_back(s.text);
        }
        Check(!texts.empty(), absl::StrCat("no recommendation text for ", rec.topic));
        rec.text = texts[template_turn[rec.topic]++ % texts.size()];
        rec.to = cites_escalated || rng_.Chance(0.55) ? v1::ADDRESSEE_BOARD : v1::ADDRESSEE_SLT;
        rec.due = m.date.AddDays(rec.to == v1::ADDRESSEE_BOARD ? kBoardResponseDays
                                                               : kSltResponseDays);
        rec.id = YearlyId("R", m.date, 3);
        recommendations_.push_back(std::move(rec));
      }
    }

    // Planted: three never answered and three answered late, mostly to
    // the Board, preferably from the middle of the period.
    std::vector<int> middle;
    std::vector<int> rest;
    for (size_t i = 0; i < recommendations_.size(); ++i) {
      const bool mid =
          recommendations_[i].made >= At(0.15) && recommendations_[i].made <= At(0.8);
      (mid ? middle : rest).push_back(static_cast<int>(i));
    }
    rng_.Shuffle(middle);
    rng_.Shuffle(rest);
    std::vector<int> order = middle;
    order.insert(order.end(), rest.begin(), rest.end());
    auto board_meeting_after = [&](CalendarDay day) -> const Meeting* {
      for (const Meeting& m : board_meetings_) {
        if (m.date > day) return &m;
      }
      return nullptr;
    };
    // Plants `fate` on a recommendation to `to`, or failing that to anyone.
    auto plant = [&](RecommendationItem::Fate fate, v1::Addressee to) {
      for (bool any_addressee : {false, true}) {
        for (int i : order) {
          RecommendationItem& rec = recommendations_[i];
          if (rec.fate != RecommendationItem::Fate::kOnTime) continue;
          if (!any_addressee && rec.to != to) continue;
          if (fate == RecommendationItem::Fate::kNever && rec.due.AddDays(14) > end_) continue;
          if (fate == RecommendationItem::Fate::kLate) {
            if (rec.to == v1::ADDRESSEE_BOARD) {
              const Meeting* m = board_meeting_after(rec.due);
              if (m == nullptr || m->date > end_) continue;
              rec.decided = m->date;
              rec.decision_minute_ref = m->minutes_ref;
            } else {
              const CalendarDay day = rec.due.AddDays(rng_.Between(10, 30)).WeekdayOnOrBefore();
              if (day > end_) continue;
              rec.decided = day;
              rec.decision_minute_ref = absl::StrCat("SLT/", day.ToString());
            }
          }
          rec.fate = fate;
          return;
        }
      }
      Check(false, "no recommendation to plant");
    };
    plant(RecommendationItem::Fate::kNever, v1::ADDRESSEE_BOARD);
    plant(RecommendationItem::Fate::kNever, v1::ADDRESSEE_BOARD);
    plant(RecommendationItem::Fate::kNever, v1::ADDRESSEE_SLT);
    plant(RecommendationItem::Fate::kLate, v1::ADDRESSEE_BOARD);
    plant(RecommendationItem::Fate::kLate, v1::ADDRESSEE_BOARD);
    plant(RecommendationItem::Fate::kLate, v1::ADDRESSEE_SLT);

    // The rest are answered in time: the Board at its first meeting at
    // least a week after, SLT within five weeks; or not yet due at the end.
    for (RecommendationItem& rec : recommendations_) {
      if (rec.fate != RecommendationItem::Fate::kOnTime) continue;
      if (rec.to == v1::ADDRESSEE_BOARD) {
        for (const Meeting& m : board_meetings_) {
          if (m.date >= rec.made.AddDays(7) && m.date <= rec.due) {
            rec.decided = m.date;
            rec.decision_minute_ref = m.minutes_ref;
            break;
          }
        }
      } else {
        const CalendarDay day = rec.made.AddDays(rng_.Between(14, 35)).WeekdayOnOrBefore();
        if (day <= end_) {
          rec.decided = day;
          rec.decision_minute_ref = absl::StrCat("SLT/", day.ToString());
        }
      }
      if (!rec.decided.has_value()) {
        Check(rec.due > end_, absl::StrCat(rec.id, " would be overdue unplanted"));
        rec.fate = RecommendationItem::Fate::kPending;
      }
      Check(!rec.decided.has_value() || *rec.decided <= rec.due, "on-time answer is late");
    }
  }

  // Follows an agreed action to completion, lateness or neither, and notes
  // it in overdue_actions_ when its due date passed before it was done.
  // `overdue_allowed` false keeps it on time (or not yet due).
  void FollowAction(const std::string& stream, const v1::Action& action, CalendarDay agreed,
                    int agreed_handle, bool overdue_allowed) {
    const CalendarDay due = *CalendarDay::FromYmd(action.due().year(), action.due().month(),
                                                  action.due().day());
    enum class Fate { kOnTime, kLate, kOpenOverdue, kOpenNotDue } fate;
    if (due <= end_) {
      const int roll = rng_.Between(0, 99);
      fate = !overdue_allowed || roll < 75 ? Fate::kOnTime
             : roll < 87                   ? Fate::kLate
                                           : Fate::kOpenOverdue;
    } else {
      fate = rng_.Chance(0.5) ? Fate::kOnTime : Fate::kOpenNotDue;
    }
    std::optional<CalendarDay> completed;
    if (fate == Fate::kOnTime) {
      const int64_t span = DaysBetween(agreed, Min(due, end_));
      if (span >= 1) {
        completed = agreed.AddDays(rng_.Between(static_cast<int>(std::max<int64_t>(1, span / 3)),
                                                static_cast<int>(span)));
      } else {
        fate = Fate::kOpenNotDue;
      }
    } else if (fate == Fate::kLate) {
      completed = due.AddDays(rng_.Between(7, 60));
      if (*completed > end_) {
        completed.reset();
        fate = Fate::kOpenOverdue;
      }
    }
    // A progress note halfway, for about half.
    const CalendarDay horizon = completed.value_or(Min(due, end_));
    if (rng_.Chance(0.5) && DaysBetween(agreed, horizon) >= 10) {
      v1::ActionUpdated u;
      u.set_action_id(action.action_id());
      const CalendarDay on = agreed.AddDays(DaysBetween(agreed, horizon) / 2);
      *u.mutable_updated_on() = on.ToProto();
      u.set_note(fate == Fate::kOpenOverdue || fate == Fate::kLate ? rng_.Pick(kDelayNotes)
                                                                   : rng_.Pick(kProgressNotes));
      builder_.Add(on, stream, u, agreed_handle);
    }
    int completed_handle = -1;
    if (completed.has_value()) {
      v1::ActionCompleted c;
      c.set_action_id(action.action_id());
      *c.mutable_completed_on() = completed->ToProto();
      c.set_evidence_digest(rng_.Digest());
      c.set_note(rng_.Pick(kCompletionNotes));
      completed_handle = builder_.Add(*completed, stream, c, agreed_handle);
    }
    if (fate == Fate::kLate || fate == Fate::kOpenOverdue) {
      NoteOverdueAction(stream, action.action_id(), due, completed, agreed_handle,
                        completed_handle);
    }
  }

  void NoteOverdueAction(const std::string& stream, const std::string& action_id,
                         CalendarDay due, std::optional<CalendarDay> completed,
                         int agreed_handle, int completed_handle) {
    FindingDraft f;
    f.kind = "action_overdue";
    f.streams = {stream};
    f.handles = {agreed_handle};
    if (completed_handle >= 0) f.handles.push_back(completed_handle);
    f.facts = {{"action_id", JsonString(action_id)},
               {"due", JsonDay(due)},
               {"completed_on", JsonDay(completed)},
               {"status", JsonString(completed ? "completed_late" : "open")}};
    f.summary = absl::StrCat(stream, " ", action_id, ": due ", due.ToString(),
                             completed ? absl::StrCat(", completed ", completed->ToString())
                                       : std::string(", still open"));
    overdue_actions_.push_back(std::move(f));
  }

  void RecordRecommendations() {
    for (RecommendationItem& rec : recommendations_) {
      const std::string stream = absl::StrCat("recommendation/", rec.id);
      v1::RecommendationMade made;
      made.set_recommendation_id(rec.id);
      made.set_from_body(v1::BODY_SUAG);
      made.set_to(rec.to);
      made.set_text(rec.text);
      for (int i : rec.feedback) made.add_feedback_ids(feedback_[i].id);
      made.add_evidence_refs(rec.minutes_ref);
      for (auto it = survey_ids_.rbegin(); it != survey_ids_.rend(); ++it) {
        if (it->first < rec.made) {
          made.add_evidence_refs(absl::StrCat("survey/", it->second));
          break;
        }
      }
      *made.mutable_made_on() = rec.made.ToProto();
      *made.mutable_response_due() = rec.due.ToProto();
      const int made_handle = builder_.Add(rec.made, stream, made);
      const std::string to = rec.to == v1::ADDRESSEE_BOARD ? "BOARD" : "SLT";

      if (rec.fate == RecommendationItem::Fate::kNever ||
          rec.fate == RecommendationItem::Fate::kLate) {
        FindingDraft f;
        f.kind = "board_response_overdue";
        f.streams = {stream};
        f.handles = {made_handle};
        f.facts = {{"recommendation_id", JsonString(rec.id)},
                   {"to", JsonString(to)},
                   {"made_on", JsonDay(rec.made)},
                   {"response_due", JsonDay(rec.due)},
                   {"status", JsonString(rec.fate == RecommendationItem::Fate::kNever
                                             ? "never_answered"
                                             : "answered_late")},
                   {"answered_on", JsonDay(rec.decided)}};
        f.summary = absl::StrCat(stream, " (to ", to, "): ",
                                 rec.decided ? absl::StrCat("answered ", rec.decided->ToString(),
                                                            ", after")
                                             : std::string("never answered,"),
                                 " due ", rec.due.ToString());
        breaches_.push_back(std::move(f));
        if (rec.fate == RecommendationItem::Fate::kLate) rec_breach_[rec.id] = breaches_.size() - 1;
      }
      if (!rec.decided.has_value()) continue;

      const CalendarDay decided = *rec.decided;
      const int roll = rng_.Between(0, 99);
      rec.decision = rec.fate == RecommendationItem::Fate::kLate
                         ? v1::DECISION_ACCEPTED
                     : roll < 50 ? v1::DECISION_ACCEPTED
                     : roll < 75 ? v1::DECISION_PARTLY_ACCEPTED
                     : roll < 88 ? v1::DECISION_REJECTED
                                 : v1::DECISION_DEFERRED;
      v1::BoardResponseRecorded resp;
      resp.set_recommendation_id(rec.id);
      resp.set_decision(rec.decision);
      switch (rec.decision) {
        case v1::DECISION_ACCEPTED:
          resp.set_reasons("Agreed: SUAG's evidence shows the need");
          break;
        case v1::DECISION_PARTLY_ACCEPTED:
          resp.set_reasons("Agreed in part: the full proposal is not affordable this year");
          break;
        case v1::DECISION_REJECTED:
          resp.set_reasons("Not agreed: the cost is outside this year's budget; to be looked at "
                           "again in the next budget round");
          break;
        default:
          resp.set_reasons("Deferred until the service review reports");
          break;
      }
      std::vector<v1::Action> actions;
      if (rec.decision == v1::DECISION_ACCEPTED || rec.decision == v1::DECISION_PARTLY_ACCEPTED) {
        const int n = rng_.Between(1, 3);
        for (int a = 0; a < n; ++a) {
          actions.push_back(MakeAction(absl::StrCat("A", a + 1), kActionSteps[a],
                                       a + 1 == n && n > 1 ? "Involvement Manager"
                                                           : OwnerFor(rec.topic),
                                       decided.AddDays(rng_.Between(45, 150))));
        }
      }
      for (const v1::Action& a : actions) *resp.add_actions() = a;
      resp.set_minute_ref(rec.decision_minute_ref);
      *resp.mutable_decided_on() = decided.ToProto();
      rec.response_handle = builder_.Add(decided, stream, resp, made_handle);
      if (auto it = rec_breach_.find(rec.id); it != rec_breach_.end()) {
        breaches_[it->second].handles.push_back(rec.response_handle);
      }
      for (const v1::Action& a : actions) {
        FollowAction(stream, a, decided, rec.response_handle, /*overdue_allowed=*/true);
      }
      if (rng_.Chance(0.6)) {
        const CalendarDay told = decided.AddDays(rng_.Between(7, 30));
        if (told <= end_) TellBack(stream, told, false, absl::StrCat(
            "You said, we did: ", rec.text, " - the ", to == "BOARD" ? "Board" : "SLT",
            DecisionPhrase(rec.decision)), rec.response_handle);
      }
    }
  }

  static std::string DecisionPhrase(v1::Decision d) {
    switch (d) {
      case v1::DECISION_ACCEPTED: return " accepted it.";
      case v1::DECISION_PARTLY_ACCEPTED: return " accepted part of it.";
      case v1::DECISION_REJECTED: return " did not accept it, and gave its reasons.";
      default: return " deferred a decision.";
    }
  }

  void TellBack(const std::string& stream, CalendarDay on, bool anonymous,
                const std::string& message, int cause) {
    const v1::CommunicationChannel kPublic[] = {
        v1::COMMUNICATION_CHANNEL_NEWSLETTER, v1::COMMUNICATION_CHANNEL_MEETING,
        v1::COMMUNICATION_CHANNEL_NOTICEBOARD, v1::COMMUNICATION_CHANNEL_DIGITAL};
    const v1::CommunicationChannel kPersonal[] = {
        v1::COMMUNICATION_CHANNEL_NEWSLETTER, v1::COMMUNICATION_CHANNEL_MEETING,
        v1::COMMUNICATION_CHANNEL_LETTER, v1::COMMUNICATION_CHANNEL_ONE_TO_ONE,
        v1::COMMUNICATION_CHANNEL_DIGITAL};
    v1::OutcomeCommunicated e;
    e.set_channel(anonymous ? rng_.Pick(kPublic) : rng_.Pick(kPersonal));
    *e.mutable_communicated_on() = on.ToProto();
    e.set_message(message);
    builder_.Add(on, stream, e, cause);
  }

  void RecordFeedback() {
    for (FeedbackItem& f : feedback_) {
      const std::string stream = absl::StrCat("feedback/", f.id);
      v1::FeedbackReceived r;
      r.set_feedback_id(f.id);
      r.set_channel(f.channel);
      *r.mutable_received_on() = f.received.ToProto();
      r.set_person_ref(f.person_ref);
      r.set_anonymous(f.anonymous);
      r.set_summary(f.summary);
      r.set_topic(f.topic);
      r.set_raised_at(f.raised_at);
      const int received = builder_.Add(f.received, stream, r);
      auto respond = [&](CalendarDay on, const std::string& text, bool closes, int cause) {
        v1::FeedbackResponded e;
        e.set_feedback_id(f.id);
        *e.mutable_responded_on() = on.ToProto();
        e.set_response(text);
        e.set_closes(closes);
        return builder_.Add(on, stream, e, cause);
      };
      const CalendarDay window_end = f.received.AddDays(kFeedbackWindowDays);

      if (f.planted != FeedbackItem::Planted::kNo) {
        FindingDraft d;
        d.kind = "feedback_unanswered";
        d.streams = {stream};
        d.handles = {received};
        std::optional<CalendarDay> answered;
        if (f.planted == FeedbackItem::Planted::kAnsweredLate) {
          answered = f.received.AddDays(rng_.Between(35, 55));
          Check(*answered <= end_, "late answer after the end");
          d.handles.push_back(respond(*answered,
                                      absl::StrCat("Sorry for the slow reply. ",
                                                   rng_.Pick(kClosingResponses)),
                                      true, received));
        }
        d.facts = {{"feedback_id", JsonString(f.id)},
                   {"received_on", JsonDay(f.received)},
                   {"window_ends", JsonDay(window_end)},
                   {"status", JsonString(answered ? "answered_late" : "never_answered")},
                   {"responded_on", JsonDay(answered)}};
        d.summary = absl::StrCat(stream, ": received ", f.received.ToString(), ", ",
                                 answered ? absl::StrCat("answered only on ", answered->ToString())
                                          : std::string("never answered"),
                                 "; window ended ", window_end.ToString());
        breaches_.push_back(std::move(d));
        continue;
      }

      const RecommendationItem* rec = f.cited_by >= 0 ? &recommendations_[f.cited_by] : nullptr;
      const bool goes_further = rec != nullptr || f.escalated_to_suag.has_value();
      const CalendarDay first = f.received.AddDays(rng_.Chance(0.85) ? rng_.Between(2, 20)
                                                                     : rng_.Between(21, 27));
      Check(first <= end_, "feedback answered after the end");
      const int first_handle =
          respond(first,
                  goes_further ? "Thank you. This has gone to the Service User Advisory Group, "
                                 "and we will tell you what happens."
                               : rng_.Pick(kClosingResponses),
                  !goes_further, received);
      int escalated_handle = received;
      if (f.escalated_to_suag.has_value()) {
        v1::IssueEscalated e;
        e.set_feedback_id(f.id);
        e.set_from_body(v1::BODY_SUF);
        e.set_to_body(v1::BODY_SUAG);
        *e.mutable_escalated_on() = f.escalated_to_suag->ToProto();
        e.set_reason("Raised at the Forum; needs SUAG's view");
        escalated_handle = builder_.Add(*f.escalated_to_suag, stream, e, received);
      }
      if (rec != nullptr) {
        if (rec->to == v1::ADDRESSEE_BOARD &&
            (f.escalated_to_suag.has_value() || f.raised_at == v1::BODY_SUAG)) {
          v1::IssueEscalated e;
          e.set_feedback_id(f.id);
          e.set_from_body(v1::BODY_SUAG);
          e.set_to_body(v1::BODY_BOARD);
          *e.mutable_escalated_on() = rec->made.ToProto();
          e.set_reason(absl::StrCat("SUAG recommendation ", rec->id, " to the Board"));
          builder_.Add(rec->made, stream, e, escalated_handle);
        }
        if (rec->decided.has_value()) {
          const CalendarDay close =
              Max(first.AddDays(1), rec->decided->AddDays(rng_.Between(3, 14)));
          if (close <= end_) {
            const int closing = respond(
                close,
                absl::StrCat("You said, we did: SUAG recommended this to the ",
                             rec->to == v1::ADDRESSEE_BOARD ? "Board" : "Senior Leadership Team",
                             " (", rec->id, "), which", DecisionPhrase(rec->decision)),
                true, rec->response_handle);
            const CalendarDay told = close.AddDays(rng_.Between(0, 14));
            if (rng_.Chance(0.5) && told <= end_) {
              TellBack(stream, told, f.anonymous,
                       absl::StrCat("You said: ", f.summary, ". We did: see ", rec->id), closing);
            }
          }
        }
      } else if (f.escalated_to_suag.has_value()) {
        const CalendarDay close =
            Max(first.AddDays(1), f.escalated_to_suag->AddDays(rng_.Between(3, 14)));
        if (close <= end_) {
          respond(close,
                  absl::StrCat("SUAG discussed this on ", f.escalated_to_suag->ToString(),
                               " and the service manager has agreed what to do."),
                  true, escalated_handle);
        }
      } else if (rng_.Chance(0.15)) {
        const CalendarDay told = first.AddDays(rng_.Between(3, 21));
        if (told <= end_) {
          TellBack(stream, told, f.anonymous,
                   absl::StrCat("You said: ", f.summary, ". We did: ",
                                "see the response of ", first.ToString()),
                   first_handle);
        }
      }
    }
  }

  // --- complaints ------------------------------------------------------------

  void RecordComplaints() {
    // Planted misses first (their dates fixed so every step fits), then
    // the ordinary ones.
    const std::pair<ComplaintMiss, double> kPlanted[] = {
        {ComplaintMiss::kAck2, 0.15}, {ComplaintMiss::kResponse2, 0.25},
        {ComplaintMiss::kAck1, 0.35}, {ComplaintMiss::kResponse1, 0.5},
        {ComplaintMiss::kResponse1Extended, 0.6},
    };
    std::vector<ComplaintItem> items;
    for (const auto& [miss, at] : kPlanted) {
      ComplaintItem c;
      c.received = At(at).WeekdayOnOrBefore();
      c.miss = miss;
      items.push_back(c);
    }
    const int n = 30 * options_.years - static_cast<int>(items.size());
    const CalendarDay last = end_.AddDays(-50);
    for (int i = 0; i < n; ++i) {
      ComplaintItem c;
      c.received =
          start_.AddDays(2 + static_cast<int64_t>(rng_.Below(DaysBetween(start_, last) - 1)));
      c.formal = rng_.Chance(0.75);
      items.push_back(c);
    }
    std::stable_sort(items.begin(), items.end(),
                     [](const ComplaintItem& a, const ComplaintItem& b) {
                       return a.received < b.received;
                     });
    for (ComplaintItem& c : items) {
      c.id = YearlyId("C", c.received, 3);
      c.advocacy = rng_.Chance(0.15);
      c.person_ref = AnyServiceUser();
      const Said& said = rng_.Pick(kComplaintSummaries);
      c.topic = said.topic;
      c.summary = said.text;
      RecordComplaint(c);
    }
  }

  void RecordComplaint(const ComplaintItem& c) {
    const std::string stream = absl::StrCat("complaint/", c.id);
    const bool planted = c.miss != ComplaintMiss::kNone;
    v1::ComplaintReceived r;
    r.set_complaint_id(c.id);
    *r.mutable_received_on() = c.received.ToProto();
    r.set_formal(c.formal);
    r.set_advocacy_involved(c.advocacy);
    r.set_person_ref(c.person_ref);
    r.set_topic(c.topic);
    r.set_summary(c.summary);
    const int received = builder_.Add(c.received, stream, r);

    auto acknowledge = [&](v1::ComplaintStage stage, CalendarDay on) {
      v1::ComplaintAcknowledged e;
      e.set_stage(stage);
      *e.mutable_acknowledged_on() = on.ToProto();
      return builder_.Add(on, stream, e, received);
    };
    auto extend = [&](v1::ComplaintStage stage, int days, CalendarDay on) {
      v1::ComplaintExtended e;
      e.set_stage(stage);
      e.set_working_days(days);
      e.set_reason(rng_.Pick(kExtensionReasons));
      *e.mutable_agreed_on() = on.ToProto();
      return builder_.Add(on, stream, e, received);
    };
    int next_action = 1;
    auto answer = [&](v1::ComplaintStage stage, v1::ComplaintResult result, CalendarDay on) {
      v1::ComplaintOutcome e;
      e.set_stage(stage);
      e.set_result(result);
      *e.mutable_responded_on() = on.ToProto();
      std::vector<v1::Action> actions;
      if (result == v1::COMPLAINT_RESULT_UPHELD || result == v1::COMPLAINT_RESULT_PARTLY_UPHELD) {
        e.set_remedy(rng_.Pick(kRemedies));
        e.set_learning(rng_.Pick(kLearning));
        if (rng_.Chance(0.5)) {
          actions.push_back(MakeAction(absl::StrCat("A", next_action++), e.learning(),
                                       OwnerFor(c.topic), on.AddDays(rng_.Between(30, 90))));
        }
      }
      for (const v1::Action& a : actions) *e.add_actions() = a;
      const int handle = builder_.Add(on, stream, e, received);
      for (const v1::Action& a : actions) {
        FollowAction(stream, a, on, handle, /*overdue_allowed=*/false);
      }
      return handle;
    };
    auto miss = [&](int stage, const std::string& deadline, CalendarDay from, int days,
                    int extension, CalendarDay due, CalendarDay done, std::vector<int> handles) {
      Check(done >= due.AddWeekdays(kMissMarginWeekdays), "planted complaint miss too close");
      Check(done <= end_, "planted complaint miss after the end");
      FindingDraft f;
      f.kind = "complaint_timescale_missed";
      f.streams = {stream};
      f.handles = std::move(handles);
      f.facts = {{"complaint_id", JsonString(c.id)},
                 {"stage", absl::StrCat(stage)},
                 {"deadline", JsonString(deadline)},
                 {"counted_from", JsonDay(from)},
                 {"working_days_allowed", absl::StrCat(days)},
                 {"extension_working_days", absl::StrCat(extension)},
                 {"due_counting_mon_to_fri", JsonDay(due)},
                 {"done_on", JsonDay(done)}};
      f.summary = absl::StrCat(stream, ": stage ", stage, " ", deadline, " due ", due.ToString(),
                               " (", days, " working days from ", from.ToString(),
                               extension > 0 ? absl::StrCat(", with a ", extension,
                                                            "-day extension")
                                             : std::string(),
                               "), done ", done.ToString());
      breaches_.push_back(std::move(f));
    };

    // Stage 1 acknowledgement: within 5 working days.
    const CalendarDay ack1_due = c.received.AddWeekdays(5);
    const CalendarDay ack1 = c.miss == ComplaintMiss::kAck1
                                 ? ack1_due.AddWeekdays(kMissMarginWeekdays)
                                 : c.received.AddWeekdays(rng_.Between(1, 5));
    const int ack1_handle = acknowledge(v1::COMPLAINT_STAGE_ONE, ack1);
    if (c.miss == ComplaintMiss::kAck1) {
      miss(1, "acknowledgement", c.received, 5, 0, ack1_due, ack1, {received, ack1_handle});
    }

    if (!c.formal) {
      answer(v1::COMPLAINT_STAGE_ONE, v1::COMPLAINT_RESULT_RESOLVED_INFORMALLY,
             ack1.AddWeekdays(rng_.Between(1, 5)));
      return;
    }

    // Stage 1 response: within 10 working days of the acknowledgement,
    // plus an extension of at most 10.
    int ext1 = 0;
    int ext1_handle = -1;
    if (c.miss == ComplaintMiss::kResponse1Extended) {
      ext1 = 10;
    } else if (!planted && rng_.Chance(0.15)) {
      ext1 = rng_.Between(5, 10);
    }
    if (ext1 > 0) {
      ext1_handle = extend(v1::COMPLAINT_STAGE_ONE, ext1, ack1.AddWeekdays(rng_.Between(6, 9)));
    }
    const CalendarDay resp1_due = ack1.AddWeekdays(10 + ext1);
    CalendarDay resp1;
    if (c.miss == ComplaintMiss::kResponse1 || c.miss == ComplaintMiss::kResponse1Extended) {
      resp1 = resp1_due.AddWeekdays(rng_.Between(kMissMarginWeekdays, 10));
    } else if (c.miss == ComplaintMiss::kAck1) {
      // Within 10 weekdays of the day the acknowledgement was due, too, so
      // it is on time however the response period is counted.
      resp1 = ack1.AddWeekdays(rng_.Between(1, 3));
    } else if (ext1 > 0) {
      resp1 = ack1.AddWeekdays(rng_.Between(11, 10 + ext1));
    } else {
      resp1 = ack1.AddWeekdays(rng_.Between(2, 10));
    }
    const bool to_stage2 = c.miss == ComplaintMiss::kAck2 || c.miss == ComplaintMiss::kResponse2 ||
                           (!planted && rng_.Chance(0.2));
    const int roll = rng_.Between(0, 99);
    const v1::ComplaintResult result1 =
        to_stage2 ? (roll < 60 ? v1::COMPLAINT_RESULT_NOT_UPHELD
                               : v1::COMPLAINT_RESULT_PARTLY_UPHELD)
        : roll < 35 ? v1::COMPLAINT_RESULT_UPHELD
        : roll < 60 ? v1::COMPLAINT_RESULT_PARTLY_UPHELD
        : roll < 94 ? v1::COMPLAINT_RESULT_NOT_UPHELD
                    : v1::COMPLAINT_RESULT_WITHDRAWN;
    const int resp1_handle = answer(v1::COMPLAINT_STAGE_ONE, result1, resp1);
    if (c.miss == ComplaintMiss::kResponse1 || c.miss == ComplaintMiss::kResponse1Extended) {
      std::vector<int> handles = {received, ack1_handle};
      if (ext1_handle >= 0) handles.push_back(ext1_handle);
      handles.push_back(resp1_handle);
      miss(1, "response", ack1, 10 + ext1, ext1, resp1_due, resp1, handles);
    }
    if (!to_stage2) return;

    // Stage 2: acknowledged within 5 working days of the request, answered
    // within 20 of the acknowledgement plus an extension of at most 20.
    const CalendarDay requested = resp1.AddDays(rng_.Between(3, 20));
    const CalendarDay ack2_due = requested.AddWeekdays(5);
    const CalendarDay ack2 = c.miss == ComplaintMiss::kAck2
                                 ? ack2_due.AddWeekdays(kMissMarginWeekdays)
                                 : requested.AddWeekdays(rng_.Between(1, 5));
    int ext2 = (!planted && rng_.Chance(0.15)) ? rng_.Between(10, 20) : 0;
    const CalendarDay resp2_due = ack2.AddWeekdays(20 + ext2);
    CalendarDay resp2;
    if (c.miss == ComplaintMiss::kResponse2) {
      resp2 = resp2_due.AddWeekdays(rng_.Between(kMissMarginWeekdays, 10));
    } else if (c.miss == ComplaintMiss::kAck2) {
      resp2 = ack2.AddWeekdays(rng_.Between(3, 8));
    } else if (ext2 > 0) {
      resp2 = ack2.AddWeekdays(rng_.Between(21, 20 + ext2));
    } else {
      resp2 = ack2.AddWeekdays(rng_.Between(8, 20));
    }
    if (resp2 > end_) {
      Check(!planted, "planted stage 2 complaint runs past the end");
      return;  // not escalated after all: stage 2 would not finish in time
    }
    v1::ComplaintEscalated esc;
    *esc.mutable_requested_on() = requested.ToProto();
    esc.set_reason(rng_.Pick(kEscalationReasons));
    const int esc_handle = builder_.Add(requested, stream, esc, resp1_handle);
    const int ack2_handle = acknowledge(v1::COMPLAINT_STAGE_TWO, ack2);
    int ext2_handle = -1;
    if (ext2 > 0) {
      ext2_handle = extend(v1::COMPLAINT_STAGE_TWO, ext2, ack2.AddWeekdays(rng_.Between(12, 19)));
    }
    if (c.miss == ComplaintMiss::kAck2) {
      miss(2, "acknowledgement", requested, 5, 0, ack2_due, ack2,
           {received, esc_handle, ack2_handle});
    }
    const int r2 = rng_.Between(0, 99);
    const int resp2_handle = answer(v1::COMPLAINT_STAGE_TWO,
                                    r2 < 30   ? v1::COMPLAINT_RESULT_UPHELD
                                    : r2 < 55 ? v1::COMPLAINT_RESULT_PARTLY_UPHELD
                                              : v1::COMPLAINT_RESULT_NOT_UPHELD,
                                    resp2);
    if (c.miss == ComplaintMiss::kResponse2) {
      std::vector<int> handles = {received, esc_handle, ack2_handle};
      if (ext2_handle >= 0) handles.push_back(ext2_handle);
      handles.push_back(resp2_handle);
      miss(2, "response", ack2, 20 + ext2, ext2, resp2_due, resp2, handles);
    }
  }

  // --- recruitment, scrutiny and reporting -------------------------------

  void RecordRecruitment() {
    struct Plan {
      CalendarDay agreed;
      const Vacancy* vacancy;
    };
    std::vector<Plan> plans;
    for (int k = 0; k < options_.years; ++k) {
      std::vector<int> picks = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
      rng_.Shuffle(picks);
      for (int i = 0; i < 5; ++i) {
        plans.push_back({YearStart(k).AddDays(rng_.Between(20, 300)).WeekdayOnOrBefore(),
                         &kVacancies[picks[i]]});
      }
    }
    std::stable_sort(plans.begin(), plans.end(),
                     [](const Plan& a, const Plan& b) { return a.agreed < b.agreed; });
    const v1::RecruitmentStage kStages[] = {
        v1::RECRUITMENT_STAGE_JOB_DESCRIPTION, v1::RECRUITMENT_STAGE_INTERVIEW_QUESTIONS,
        v1::RECRUITMENT_STAGE_SHORTLISTING, v1::RECRUITMENT_STAGE_INTERVIEW_PANEL,
        v1::RECRUITMENT_STAGE_SEPARATE_USER_PANEL};
    for (const Plan& p : plans) {
      const std::string id = YearlyId("V", p.agreed, 2);
      const std::string stream = absl::StrCat("recruitment/", id);
      v1::RecruitmentPanelFormed panel;
      panel.set_vacancy_id(id);
      panel.set_role_title(p.vacancy->title);
      panel.set_front_line(p.vacancy->front_line);
      const bool involved = rng_.Chance(p.vacancy->front_line ? 0.8 : 0.4);
      if (involved) {
        for (v1::RecruitmentStage s : kStages) {
          if (rng_.Chance(0.55)) panel.add_user_stages(s);
        }
        if (panel.user_stages_size() == 0) {
          panel.add_user_stages(v1::RECRUITMENT_STAGE_INTERVIEW_PANEL);
        }
        std::vector<std::string> pool;
        for (const Roster::Tenure& t : suag_roster_.On(p.agreed)) {
          if (t.category != v1::MEMBER_CATEGORY_BOARD_MEMBER) pool.push_back(t.ref);
        }
        for (const Roster::Tenure& t : suf_roster_.On(p.agreed)) pool.push_back(t.ref);
        rng_.Shuffle(pool);
        const int members = rng_.Between(1, 3);
        for (int i = 0; i < members && i < static_cast<int>(pool.size()); ++i) {
          if (std::find(panel.user_members().begin(), panel.user_members().end(), pool[i]) ==
              panel.user_members().end()) {
            panel.add_user_members(pool[i]);
          }
        }
      }
      *panel.mutable_role_agreed_on() = p.agreed.ToProto();
      const int formed = builder_.Add(p.agreed, stream, panel);
      if (involved) ++panels_with_users_[YearIndex(p.agreed)];
      ++panels_[YearIndex(p.agreed)];
      const CalendarDay decided = p.agreed.AddDays(rng_.Between(21, 45));
      if (decided > end_) continue;
      v1::RecruitmentDecided d;
      d.set_vacancy_id(id);
      *d.mutable_decided_on() = decided.ToProto();
      d.set_appointed(rng_.Chance(0.85));
      d.set_user_view_considered(involved && rng_.Chance(0.9));
      builder_.Add(decided, stream, d, formed);
    }
  }

  int YearIndex(CalendarDay d) const {
    for (int k = 0; k < options_.years; ++k) {
      if (d <= YearEnd(k)) return k;
    }
    return options_.years - 1;
  }

  void RecordSurveys() {
    struct Step {
      const char* description;
      const char* owner;
    };
    const Step kSteps[] = {
        {"Publish repair target times and performance", "Head of Repairs and Maintenance"},
        {"Review how support plans are agreed, with residents", "Head of Supported Housing"},
        {"Extend the activities programme to evenings", "Involvement Manager"},
        {"Explain service charges in plain language", "Head of Income"},
    };
    for (int k = 0; k < options_.years; ++k) {
      const CalendarDay published =
          YearStart(k).AddDays(rng_.Between(290, 310)).WeekdayOnOrBefore();
      // Ids carry the year the period's year starts in, so they never clash.
      const int label = YearStart(k).year();
      const std::string id = absl::StrCat("SRV-", label);
      const std::string stream = absl::StrCat("survey/", id);
      survey_ids_.push_back({published, id});
      v1::SurveyPublished s;
      s.set_survey_id(id);
      s.set_year(label);
      s.set_responses(rng_.Between(150, 260));
      s.set_satisfied_percent(static_cast<double>(rng_.Between(680, 860)) / 10.0);
      *s.mutable_published_on() = published.ToProto();
      std::vector<v1::Action> actions;
      for (int a = 0; a < 3; ++a) {
        const Step& step = kSteps[(k + a) % 4];
        actions.push_back(MakeAction(absl::StrCat("A", a + 1), step.description, step.owner,
                                     published.AddDays(rng_.Between(60, 150))));
      }
      for (const v1::Action& a : actions) *s.add_actions() = a;
      const int handle = builder_.Add(published, stream, s);
      for (const v1::Action& a : actions) {
        FollowAction(stream, a, published, handle, /*overdue_allowed=*/true);
      }
      const CalendarDay told = published.AddDays(rng_.Between(7, 21));
      if (told <= end_) {
        TellBack(stream, told, true, "You said, we did: this year's survey results and the "
                                     "actions we will take", handle);
      }
    }
  }

  void RecordReviews() {
    for (int k = 0; k < options_.years; ++k) {
      const std::string kind_name = k == 0 ? "peer review" : "audit";
      const CalendarDay completed =
          YearStart(k).AddDays(k == 0 ? 135 : rng_.Between(120, 200)).WeekdayOnOrBefore();
      const std::string id = absl::StrFormat("RV-%04d-01", YearStart(k).year());
      const std::string stream = absl::StrCat("review/", id);
      v1::ReviewCompleted r;
      r.set_review_id(id);
      r.set_kind(k == 0 ? v1::REVIEW_KIND_PEER_REVIEW : v1::REVIEW_KIND_AUDIT);
      *r.mutable_completed_on() = completed.ToProto();
      for (const char* s : kStandardsMet) r.add_standards_met(s);
      if (k > 0) {
        for (const char* s : kStandardsFailed) r.add_standards_met(s);
        builder_.Add(completed, stream, r);
        continue;
      }
      // The first year's peer review fails three standards; of its four
      // actions two are done in time, one late, one never.
      for (const char* s : kStandardsFailed) r.add_standards_failed(s);
      const CalendarDay plan_due = completed.AddDays(120);
      *r.mutable_action_plan_due() = plan_due.ToProto();
      const v1::Action actions[] = {
          MakeAction("A1", "Introduce a support plan review tracker", "Head of Supported Housing",
                     completed.AddDays(60)),
          MakeAction("A2", "Record weekly fire safety checks on a shared log",
                     "Health and Safety Lead", completed.AddDays(90)),
          MakeAction("A3", "Produce key documents in easy read and large print",
                     "Communications Manager", completed.AddDays(100)),
          MakeAction("A4", "Audit support plan reviews across all schemes",
                     "Quality and Compliance Manager", plan_due),
      };
      for (const v1::Action& a : actions) *r.add_actions() = a;
      const int handle = builder_.Add(completed, stream, r);
      auto complete = [&](const std::string& action_id, CalendarDay on) {
        v1::ActionCompleted c;
        c.set_action_id(action_id);
        *c.mutable_completed_on() = on.ToProto();
        c.set_evidence_digest(rng_.Digest());
        c.set_note(rng_.Pick(kCompletionNotes));
        return builder_.Add(on, stream, c, handle);
      };
      auto update = [&](const std::string& action_id, CalendarDay on, const std::string& note) {
        v1::ActionUpdated u;
        u.set_action_id(action_id);
        *u.mutable_updated_on() = on.ToProto();
        u.set_note(note);
        builder_.Add(on, stream, u, handle);
      };
      complete("A1", completed.AddDays(rng_.Between(40, 55)));
      update("A2", completed.AddDays(45), "Log designed with the Repairs Working Group");
      complete("A2", completed.AddDays(rng_.Between(70, 88)));
      const CalendarDay a3_done = plan_due.AddDays(rng_.Between(20, 60));
      Check(a3_done <= end_, "review action completes after the end");
      update("A3", completed.AddDays(95), rng_.Pick(kDelayNotes));
      const int a3_handle = complete("A3", a3_done);
      update("A4", completed.AddDays(100), rng_.Pick(kDelayNotes));
      NoteOverdueAction(stream, "A3", completed.AddDays(100), a3_done, handle, a3_handle);
      NoteOverdueAction(stream, "A4", plan_due, std::nullopt, handle, -1);

      FindingDraft f;
      f.kind = "review_action_plan_overdue";
      f.streams = {stream};
      f.handles = {handle, a3_handle};
      std::vector<std::string> failed;
      for (const char* s : kStandardsFailed) failed.push_back(s);
      f.facts = {
          {"review_id", JsonString(id)},
          {"review_kind", JsonString(kind_name)},
          {"completed_on", JsonDay(completed)},
          {"standards_failed", JsonStrings(failed)},
          {"action_plan_due", JsonDay(plan_due)},
          {"overdue_actions",
           JsonArray({JsonObject({{"action_id", JsonString("A3")},
                                  {"due", JsonDay(completed.AddDays(100))},
                                  {"completed_on", JsonDay(a3_done)}}),
                      JsonObject({{"action_id", JsonString("A4")},
                                  {"due", JsonDay(plan_due)},
                                  {"completed_on", "null"}})})},
          {"actions_done_in_time", JsonStrings({"A1", "A2"})}};
      f.summary = absl::StrCat(stream, ": action plan due ", plan_due.ToString(),
                               "; A3 completed late (", a3_done.ToString(), "), A4 still open");
      breaches_.push_back(std::move(f));
    }
  }

  void RecordAdvocacyAndTraining() {
    for (int k = 0; k < options_.years; ++k) {
      const CalendarDay received = YearStart(k).AddDays(rng_.Between(230, 250)).WeekdayOnOrBefore();
      const std::string id = absl::StrCat("ADV-", YearStart(k).year());
      v1::AdvocacyReportReceived a;
      a.set_report_id(id);
      *a.mutable_received_on() = received.ToProto();
      a.set_provider("Tideway Independent Advocacy (fictional)");
      std::vector<std::string> issues(std::begin(kAdvocacyIssues), std::end(kAdvocacyIssues));
      rng_.Shuffle(issues);
      for (int i = 0; i < 3; ++i) a.add_issues(issues[i]);
      a.add_reported_to(v1::BODY_SUAG);
      a.add_reported_to(v1::BODY_BOARD);
      builder_.Add(received, absl::StrCat("advocacy/", id), a);

      const int offsets[][2] = {{40, 60}, {150, 180}, {250, 280}};
      for (int i = 0; i < 3; ++i) {
        const CalendarDay on =
            YearStart(k).AddDays(rng_.Between(offsets[i][0], offsets[i][1])).WeekdayOnOrBefore();
        const std::string tid = YearlyId("T", on, 2);
        v1::TrainingDelivered t;
        t.set_training_id(tid);
        *t.mutable_delivered_on() = on.ToProto();
        t.set_subject(kTrainingSubjects[(k * 3 + i) % 5]);
        for (const Roster::Tenure& m : suag_roster_.On(on)) {
          if (m.category != v1::MEMBER_CATEGORY_BOARD_MEMBER && rng_.Chance(0.6)) {
            t.add_attendees(m.ref);
          }
        }
        for (const Roster::Tenure& m : suf_roster_.On(on)) {
          if (rng_.Chance(0.1)) t.add_attendees(m.ref);
        }
        builder_.Add(on, absl::StrCat("training/", tid), t);
      }
    }
  }

  void RecordImpactAssessments() {
    // Each year but the last is assessed early in the next; a one-year
    // demo publishes its assessment a week before the end.
    const int assessed = std::max(1, options_.years - 1);
    for (int k = 0; k < assessed; ++k) {
      const CalendarDay published = options_.years == 1
                                        ? end_.AddDays(-7).WeekdayOnOrBefore()
                                        : YearStart(k + 1).AddDays(56).WeekdayOnOrBefore();
      const CalendarDay from = YearStart(k);
      const CalendarDay to = YearEnd(k);
      int received = 0;
      int answered = 0;
      for (const FeedbackItem& f : feedback_) {
        if (f.received < from || f.received > to) continue;
        ++received;
        if (f.planted == FeedbackItem::Planted::kNo) ++answered;
      }
      int recs = 0;
      int recs_answered = 0;
      for (const RecommendationItem& r : recommendations_) {
        if (r.made < from || r.made > to) continue;
        ++recs;
        if (r.decided.has_value() && *r.decided <= published) ++recs_answered;
      }
      v1::ImpactAssessmentPublished e;
      e.set_year(from.year());
      *e.mutable_published_on() = published.ToProto();
      e.set_document_digest(rng_.Digest());
      e.add_findings(absl::StrCat(received, " comments received; ", answered,
                                  " answered within 28 days"));
      e.add_findings(absl::StrCat(recs, " SUAG recommendations; ", recs_answered,
                                  " answered by the Board or SLT"));
      e.add_findings(absl::StrCat("Service users sat on ", panels_with_users_[k], " of ",
                                  panels_[k], " recruitment panels"));
      int suag_met = 0;
      for (const Meeting& m : suag_meetings_) {
        if (m.date >= from && m.date <= to) ++suag_met;
      }
      e.add_findings(absl::StrCat("SUAG met ", suag_met, " times"));
      builder_.Add(published, absl::StrCat("impact/", from.year()), e);
    }
  }

  const DemoOptions options_;
  DemoRandom rng_;
  const CalendarDay start_;
  const CalendarDay end_;
  const int64_t length_days_;
  HistoryBuilder builder_;

  std::vector<std::string> people_;
  size_t next_person_ = 0;
  std::map<std::pair<std::string, int>, int> minutes_count_;
  std::map<std::pair<std::string, int>, int> id_count_;

  std::vector<Meeting> suag_meetings_;
  int suag_skip_ = -1;
  CalendarDay skipped_suag_date_;
  std::map<std::string, int> suag_meeting_handles_;
  std::vector<Meeting> board_meetings_;
  std::vector<Meeting> suf_meetings_;
  std::vector<Meeting> repairs_meetings_;
  Roster suag_roster_;
  Roster board_roster_;
  Roster suf_roster_;
  Roster repairs_roster_;

  std::vector<FeedbackItem> feedback_;
  std::vector<RecommendationItem> recommendations_;
  std::map<std::string, size_t> rec_breach_;
  std::vector<std::pair<CalendarDay, std::string>> survey_ids_;
  std::map<int, int> panels_;
  std::map<int, int> panels_with_users_;

  std::vector<FindingDraft> breaches_;
  std::vector<FindingDraft> overdue_actions_;
};

}  // namespace

DemoHistory BuildDemoHistory(const DemoOptions& options) {
  Check(options.years >= 1 && options.years <= 10, "years must be 1 to 10");
  return RiversideScenario(options).Build();
}

EventTotals CountEvents(const DemoHistory& history) {
  EventTotals t;
  std::set<std::string> streams;
  for (const ledger::v1::AppendRequest& req : history.appends) {
    ++t.appends;
    const std::string kind = req.stream().substr(0, req.stream().find('/'));
    if (streams.insert(req.stream()).second) ++t.streams_by_kind[kind];
    for (const ledger::v1::EventData& e : req.events()) {
      ++t.events;
      ++t.events_by_kind[kind];
      const std::string& url = e.payload().type_url();
      std::string type = url.substr(url.rfind('/') + 1);
      if (type.rfind("involvement.v1.", 0) == 0) type = type.substr(15);
      ++t.events_by_type[type];
    }
  }
  return t;
}

std::string PlanJson(const DemoHistory& history) {
  const EventTotals totals = CountEvents(history);
  auto counts = [](const std::map<std::string, uint64_t>& m) {
    std::vector<std::pair<std::string, std::string>> fields;
    for (const auto& [name, n] : m) fields.push_back({name, absl::StrCat(n)});
    return JsonObject(fields);
  };
  auto findings = [](const std::vector<PlantedFinding>& list) {
    std::vector<std::string> lines;
    for (const PlantedFinding& f : list) {
      std::vector<std::pair<std::string, std::string>> fields = {
          {"kind", JsonString(f.kind)},
          {"streams", JsonStrings(f.streams)},
          {"event_ids", JsonStrings(f.event_ids)}};
      fields.insert(fields.end(), f.facts.begin(), f.facts.end());
      fields.push_back({"summary", JsonString(f.summary)});
      lines.push_back(absl::StrCat("    ", JsonObject(fields)));
    }
    return lines.empty() ? std::string("[]")
                         : absl::StrCat("[\n", absl::StrJoin(lines, ",\n"), "\n  ]");
  };
  std::map<std::string, uint64_t> by_kind;
  for (const PlantedFinding& f : history.breaches) ++by_kind[f.kind];
  const std::vector<std::pair<std::string, std::string>> policy = {
      {"feedback_response_window_calendar_days", absl::StrCat(kFeedbackWindowDays)},
      {"feedback_unanswered",
       JsonString("no FeedbackResponded within 28 calendar days of received_on: never "
                  "answered, or answered_late (the first response after the window)")},
      {"board_response_overdue",
       JsonString("no BoardResponseRecorded by the recommendation's response_due: never "
                  "answered (due before as_of), or answered_late (decided_on after due); "
                  "response_due is made_on + 70 days for the Board, + 42 for SLT")},
      {"suag_meeting_gap",
       JsonString("a SUAG meeting later than three calendar months after the previous one "
                  "(CalendarDay::AddMonths(3), clamped to the month's end)")},
      {"no_service_user_board_member",
       JsonString("days on which body/BOARD has no current member of category SERVICE_USER "
                  "(a member is current from term_start through left_on)")},
      {"complaint_timescale_missed",
       JsonString("Housing Ombudsman Code 2024: acknowledge within 5 working days of receipt "
                  "(stage 2: of the escalation request); stage 1 response within 10 working "
                  "days of the acknowledgement plus any extension (at most 10), stage 2 within "
                  "20 plus any extension (at most 20). Due dates here count Monday to Friday; "
                  "bank holidays only make them later, and every planted miss is at least 6 "
                  "weekdays late, so the set of misses is the same under the England and Wales "
                  "calendar")},
      {"review_action_plan_overdue",
       JsonString("a review with failed standards whose action plan has actions not completed "
                  "by their due date (each due on or before action_plan_due)")},
      {"action_overdue",
       JsonString("informational, not a breach kind: every action (recommendation, review, "
                  "survey) completed after its due date or still open after it")},
  };
  std::string out = "{\n";
  const std::vector<std::pair<std::string, std::string>> head = {
      {"organisation", JsonString(absl::StrCat(kOrganisation, " (fictional)"))},
      {"generator", JsonString("ledger-demo")},
      {"seed", absl::StrCat(history.options.seed)},
      {"start", JsonDay(history.options.start)},
      {"years", absl::StrCat(history.options.years)},
      {"end", JsonDay(history.end)},
      {"as_of", JsonDay(history.end)},
      {"event_ids",
       JsonString(absl::StrCat("demo-", history.options.seed, "-1 to demo-",
                               history.options.seed, "-", totals.events))},
      {"policy", JsonObject(policy)},
      {"totals", JsonObject({{"appends", absl::StrCat(totals.appends)},
                             {"events", absl::StrCat(totals.events)},
                             {"events_by_stream_kind", counts(totals.events_by_kind)},
                             {"streams_by_kind", counts(totals.streams_by_kind)},
                             {"events_by_type", counts(totals.events_by_type)}})},
      {"breach_counts", counts(by_kind)},
  };
  for (const auto& [name, value] : head) {
    absl::StrAppend(&out, "  ", JsonString(name), ": ", value, ",\n");
  }
  absl::StrAppend(&out, "  \"breaches\": ", findings(history.breaches), ",\n");
  absl::StrAppend(&out, "  \"overdue_actions\": ", findings(history.overdue_actions), "\n}\n");
  return out;
}

}  // namespace demo

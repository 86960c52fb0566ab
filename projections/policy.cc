#include "projections/policy.h"

#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace involvement {

namespace {

std::string Trim(std::string_view s) {
  const size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return "";
  const size_t e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

}  // namespace

absl::StatusOr<Policy> ParsePolicy(std::string_view text) {
  Policy p;
  const std::map<std::string, int*> keys = {
      {"board_response_days", &p.board_response_days},
      {"feedback_response_days", &p.feedback_response_days},
      {"max_meeting_gap_months", &p.max_meeting_gap_months},
      {"term_ending_notice_days", &p.term_ending_notice_days},
      {"homes", &p.homes},
      {"suag_seats", &p.suag_seats},
  };
  int line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const size_t nl = text.find('\n');
    std::string line(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (const size_t hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    line = Trim(line);
    if (line.empty()) continue;
    const size_t eq = line.find('=');
    if (eq == std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("policy line ", line_no, ": expected key = value"));
    }
    const std::string key = Trim(line.substr(0, eq));
    const std::string value = Trim(line.substr(eq + 1));
    auto it = keys.find(key);
    if (it == keys.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("policy line ", line_no, ": unknown key '", key, "'"));
    }
    int n = 0;
    if (!absl::SimpleAtoi(value, &n) || n < 0 || (n == 0 && key != "suag_seats")) {
      return absl::InvalidArgumentError(absl::StrCat(
          "policy line ", line_no, ": ", key, " must be a positive whole number"));
    }
    *it->second = n;
  }
  return p;
}

absl::StatusOr<Policy> LoadPolicy(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read policy file ", path));
  std::stringstream s;
  s << in.rdbuf();
  absl::StatusOr<Policy> p = ParsePolicy(s.str());
  if (!p.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", p.status().message()));
  }
  return p;
}

}  // namespace involvement

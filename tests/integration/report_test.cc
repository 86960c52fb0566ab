// The HTML report end to end: the demo organisation loaded into a real
// ledgerd, `ledgerctl report --year 2025` written, then rendered by a real
// headless Chromium (Debian's `chromium`, installed by tools/dev.sh). The
// rendered page must carry the key figures `ledgerctl indicators --json`
// and `ledgerctl complaints --json` give, state the checkpoint
// `ledgerctl checkpoint` gives, be self-contained and structurally
// accessible, and embed evidence bundles that verify offline. A screenshot
// is kept as a test artifact in build/test-artifacts/.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/ledgerd_process.h"
#include "tests/integration/programs.h"
#include "tests/ledger/test_util.h"

namespace ledger {
namespace {

using ::ledger::testing::ExitedWith;
using ::ledger::testing::kProgramTimeout;
using ::ledger::testing::LedgerdProcess;
using ::ledger::testing::ProcessOutput;
using ::ledger::testing::ReadFile;
using ::ledger::testing::RunLedgerctl;
using ::ledger::testing::RunProcess;
using ::testing::HasSubstr;
using ::testing::Not;

// Chromium from $CHROMIUM or Debian's package.
std::string ChromiumPath() {
  if (const char* env = std::getenv("CHROMIUM"); env != nullptr && *env != '\0') return env;
  return "/usr/bin/chromium";
}

// Headless Chromium with nothing fetched or phoned home, its profile in
// `profile`, then `args`.
std::vector<std::string> Chromium(const std::string& profile, std::vector<std::string> args) {
  std::vector<std::string> argv = {ChromiumPath(),
                                   "--headless",
                                   "--no-sandbox",
                                   "--disable-gpu",
                                   "--disable-quic",
                                   "--no-first-run",
                                   "--disable-background-networking",
                                   "--disable-component-update",
                                   "--disable-sync",
                                   "--disable-dev-shm-usage",
                                   absl::StrCat("--user-data-dir=", profile)};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

google::protobuf::Struct ParseJson(const std::string& json) {
  google::protobuf::Struct s;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &s).ok()) << json;
  return s;
}

class ReportTest : public ::ledger::testing::TempDirTest {};

TEST_F(ReportTest, DemoReportRendersInChromiumWithTheViewsFiguresAndVerifiableEvidence) {
  ASSERT_TRUE(std::filesystem::exists(ChromiumPath()))
      << ChromiumPath() << " is missing: `bash tools/dev.sh build` installs Debian's chromium";
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<LedgerdProcess> ledgerd,
                       LedgerdProcess::Start(PathIn("db")));
  ASSERT_OK_AND_ASSIGN(ProcessOutput load,
                       RunProcess({LEDGER_DEMO_PATH, "--server", ledgerd->address()},
                                  kProgramTimeout));
  ASSERT_THAT(load, ExitedWith(0));

  const std::string html_path = PathIn("report.html");
  ASSERT_OK_AND_ASSIGN(ProcessOutput run,
                       RunLedgerctl({"--server", ledgerd->address(), "report", "--year", "2025",
                                     "--out", html_path}));
  ASSERT_THAT(run, ExitedWith(0));
  const std::string html = ReadFile(html_path);
  EXPECT_FALSE(std::filesystem::exists(html_path + ".tmp"));

  // Self-contained: nothing to fetch, no scripts.
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("<link")));
  EXPECT_THAT(html, Not(HasSubstr("<img")));
  EXPECT_THAT(html, Not(HasSubstr("@import")));
  EXPECT_THAT(html, Not(HasSubstr("src=")));
  EXPECT_THAT(html, Not(::testing::ContainsRegex("(href|url)\\(?=?\"?(https?:|//)")));

  // Rendered by a real browser: the DOM it built holds the figures.
  const std::string profile = PathIn("chromium-profile");
  const std::string url = absl::StrCat("file://", html_path);
  ASSERT_OK_AND_ASSIGN(ProcessOutput dom,
                       RunProcess(Chromium(profile, {"--dump-dom", url}), kProgramTimeout));
  ASSERT_THAT(dom, ExitedWith(0)) << dom.err;
  ASSERT_THAT(dom.out, HasSubstr("Key indicators for 2025"));

  // Every figure of the indicators view appears, under its field's id.
  ASSERT_OK_AND_ASSIGN(ProcessOutput indicators,
                       RunLedgerctl({"--server", ledgerd->address(), "indicators", "--year", "2025",
                                     "--as-of", "2025-12-31", "--json"}));
  ASSERT_THAT(indicators, ExitedWith(0));
  const google::protobuf::Struct ind = ParseJson(indicators.out);
  // Every number in the view but the year is a figure on the page.
  int checked = 0;
  for (const auto& [field, value] : ind.fields()) {
    if (value.kind_case() != google::protobuf::Value::kNumberValue || field == "year") continue;
    const std::string want =
        field == "median_days_to_respond"
            ? absl::StrFormat("id=\"ind-%s\">%.1f<", field, value.number_value())
            : absl::StrCat("id=\"ind-", field, "\">", static_cast<int64_t>(value.number_value()),
                           "<");
    EXPECT_THAT(dom.out, HasSubstr(want)) << field;
    ++checked;
  }
  EXPECT_EQ(checked, 15);
  EXPECT_GT(ind.fields().at("recommendations_made").number_value(), 0);

  // CH01 and CH02 as the complaints view gives them.
  ASSERT_OK_AND_ASSIGN(ProcessOutput complaints,
                       RunLedgerctl({"--server", ledgerd->address(), "complaints", "--as-of",
                                     "2025-12-31", "--json"}));
  ASSERT_THAT(complaints, ExitedWith(0));
  const google::protobuf::Struct ch = ParseJson(complaints.out);
  EXPECT_THAT(dom.out, HasSubstr(absl::StrFormat(
                           "id=\"ch02-stage1\">%.1f%%<",
                           ch.fields().at("ch02_stage1_within_timescales_percent").number_value())));
  EXPECT_THAT(dom.out, HasSubstr(absl::StrFormat(
                           "id=\"ch01-stage1\">%.2f<",
                           ch.fields().at("ch01_stage1_per_1000_homes").number_value())));

  // The checkpoint it states is the server's.
  ASSERT_OK_AND_ASSIGN(ProcessOutput checkpoint,
                       RunLedgerctl({"--server", ledgerd->address(), "checkpoint"}));
  ASSERT_THAT(checkpoint, ExitedWith(0));
  std::vector<std::string> lines = absl::StrSplit(checkpoint.out, '\n');
  ASSERT_GE(lines.size(), 3u) << checkpoint.out;
  EXPECT_THAT(dom.out, HasSubstr(absl::StrCat("checkpoint of <strong>", lines[1], "</strong>")));
  EXPECT_THAT(html, HasSubstr(absl::StrCat("\n", lines[1], "\n", lines[2], "\n")));

  // Structure: one h1, headings never skip a level; every table has
  // header cells; both charts are images with a title and a description;
  // every in-page link has its target.
  {
    std::regex heading("<h([1-6])[ >]");
    int previous = 0, h1 = 0;
    for (auto it = std::sregex_iterator(html.begin(), html.end(), heading);
         it != std::sregex_iterator(); ++it) {
      const int level = (*it)[1].str()[0] - '0';
      if (level == 1) ++h1;
      EXPECT_LE(level, previous + 1) << "heading h" << level << " after h" << previous;
      previous = level;
    }
    EXPECT_EQ(h1, 1);
    size_t tables = 0, pos = 0;
    while ((pos = html.find("<table", pos)) != std::string::npos) {
      const size_t end = html.find("</table>", pos);
      ASSERT_NE(end, std::string::npos);
      EXPECT_THAT(html.substr(pos, end - pos), HasSubstr("<th scope=")) << "table at " << pos;
      ++tables;
      pos = end;
    }
    EXPECT_GT(tables, 10u);
    std::regex svg("<svg [^>]*role=\"img\"[^>]*aria-labelledby=\"([a-z-]+) ([a-z-]+)\"");
    int svgs = 0;
    for (auto it = std::sregex_iterator(html.begin(), html.end(), svg);
         it != std::sregex_iterator(); ++it) {
      EXPECT_THAT(html, HasSubstr(absl::StrCat("<title id=\"", (*it)[1].str(), "\">")));
      EXPECT_THAT(html, HasSubstr(absl::StrCat("<desc id=\"", (*it)[2].str(), "\">")));
      ++svgs;
    }
    EXPECT_EQ(svgs, 2);
    std::regex link("href=\"#([^\"]+)\"");
    std::set<std::string> targets;
    for (auto it = std::sregex_iterator(html.begin(), html.end(), link);
         it != std::sregex_iterator(); ++it) {
      targets.insert((*it)[1].str());
    }
    EXPECT_GT(targets.size(), 50u);
    for (const std::string& t : targets) {
      EXPECT_THAT(html, HasSubstr(absl::StrCat("id=\"", t, "\""))) << "link to #" << t;
    }
  }

  // An overdue recommendation is listed before the rest.
  const size_t overdue = html.find("id=\"rec-overdue\"");
  const size_t closed = html.find("id=\"rec-closed\"");
  ASSERT_NE(overdue, std::string::npos);
  ASSERT_NE(closed, std::string::npos);
  EXPECT_LT(overdue, closed);

  // An embedded evidence bundle verifies offline with the pinned key.
  const std::string marker = "href=\"data:application/json;base64,";
  const size_t start = html.find(marker);
  ASSERT_NE(start, std::string::npos);
  const size_t end = html.find('"', start + marker.size());
  std::string bundle;
  ASSERT_TRUE(absl::Base64Unescape(html.substr(start + marker.size(), end - start - marker.size()),
                                   &bundle));
  {
    std::ofstream f(PathIn("bundle.json"), std::ios::binary);
    f << bundle;
  }
  ASSERT_OK_AND_ASSIGN(ProcessOutput key,
                       RunLedgerctl({"--server", ledgerd->address(), "public-key"}));
  ASSERT_THAT(key, ExitedWith(0));
  ASSERT_OK_AND_ASSIGN(ProcessOutput verify,
                       RunLedgerctl({"verify-bundle", PathIn("bundle.json"), "--vkey",
                                     std::string(absl::StripSuffix(key.out, "\n")), "--as-of",
                                     "2025-12-31"}));
  EXPECT_THAT(verify, ExitedWith(0));

  // The screenshot, kept as an artifact.
  const std::filesystem::path artifacts(LEDGER_TEST_ARTIFACTS_DIR);
  std::filesystem::create_directories(artifacts);
  const std::filesystem::path shot = artifacts / "report-demo-2025.png";
  std::filesystem::remove(shot);
  ASSERT_OK_AND_ASSIGN(
      ProcessOutput screenshot,
      RunProcess(Chromium(profile, {"--window-size=1280,8000", "--hide-scrollbars",
                                    absl::StrCat("--screenshot=", shot.string()), url}),
                 kProgramTimeout));
  ASSERT_THAT(screenshot, ExitedWith(0)) << screenshot.err;
  const std::string png = ReadFile(shot);
  ASSERT_GT(png.size(), 10000u);
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  std::cerr << "report screenshot: " << shot.string() << "\n";

  // A second run over the same checkpoint gives the same page.
  ASSERT_OK_AND_ASSIGN(ProcessOutput again,
                       RunLedgerctl({"--server", ledgerd->address(), "report", "--year", "2025",
                                     "--out", PathIn("again.html")}));
  ASSERT_THAT(again, ExitedWith(0));
  EXPECT_EQ(ReadFile(PathIn("again.html")), html);
  ASSERT_OK(ledgerd->Stop());
}

TEST_F(ReportTest, UsageErrorsAndAnUnreachableServerLeaveNoFile) {
  const std::string out = PathIn("r.html");
  ASSERT_OK_AND_ASSIGN(ProcessOutput no_year, RunLedgerctl({"report", "--out", out}));
  EXPECT_THAT(no_year, ExitedWith(2));
  ASSERT_OK_AND_ASSIGN(ProcessOutput bad_as_of,
                       RunLedgerctl({"report", "--year", "2025", "--as-of", "2024-05-01",
                                     "--out", out}));
  EXPECT_THAT(bad_as_of, ExitedWith(2));
  ASSERT_OK_AND_ASSIGN(ProcessOutput unreachable,
                       RunLedgerctl({"--server", "127.0.0.1:1", "report", "--year", "2025",
                                     "--out", out}));
  EXPECT_THAT(unreachable, ExitedWith(1));
  EXPECT_FALSE(std::filesystem::exists(out));
  EXPECT_FALSE(std::filesystem::exists(out + ".tmp"));
}

}  // namespace
}  // namespace ledger

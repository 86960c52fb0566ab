// End-to-end tests of the benchmark programs: ledger-bench runs every
// phase against a real ledgerd (holding the demo organisation, so the
// view phase folds real domain events), and ledger-scale builds a small
// database with its own ledgerd. Both must report every figure they
// document in --json. tools/bench/compare, run twice with small loads
// where PostgreSQL is installed, must report each run and their medians.
// Timings are never asserted; counts are.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
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
using ::ledger::testing::RunProcess;
using ::testing::HasSubstr;

constexpr char kLedgerBenchPath[] = LEDGER_BENCH_PATH;
constexpr char kLedgerScalePath[] = LEDGER_SCALE_PATH;
constexpr char kLedgerDemoPath[] = LEDGER_DEMO_PATH;
constexpr char kCompareScript[] = COMPARE_SCRIPT;
constexpr char kBuildDir[] = LEDGER_BUILD_DIR;

// The members of a flat JSON object (no nesting, as both programs print),
// each value as its JSON text.
std::map<std::string, std::string> FlatJson(const std::string& text) {
  static const std::regex kMember(
      R"re("([A-Za-z0-9_]+)":("(?:[^"\\]|\\.)*"|-?[0-9][0-9.eE+-]*|null|true|false))re");
  std::map<std::string, std::string> members;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kMember);
       it != std::sregex_iterator(); ++it) {
    members[(*it)[1]] = (*it)[2];
  }
  return members;
}

// The member `key` as a number; fails the test when it is not one.
double Number(const std::map<std::string, std::string>& json, const std::string& key) {
  auto it = json.find(key);
  double v = -1;
  EXPECT_TRUE(it != json.end() && absl::SimpleAtod(it->second, &v))
      << key << " is missing or not a number";
  return v;
}

void ExpectMembers(const std::map<std::string, std::string>& json,
                   const std::vector<std::string>& keys) {
  for (const std::string& key : keys) {
    EXPECT_EQ(json.count(key), 1u) << "no " << key << " in the JSON";
  }
}

// Every value of the member `key`, wherever it appears, in order.
std::vector<double> AllNumbers(const std::string& text, const std::string& key) {
  const std::regex member(absl::StrCat("\"", key, R"re(":(-?[0-9][0-9.eE+-]*))re"));
  std::vector<double> values;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), member);
       it != std::sregex_iterator(); ++it) {
    double v = 0;
    EXPECT_TRUE(absl::SimpleAtod((*it)[1].str(), &v)) << key << ": " << (*it)[1];
    values.push_back(v);
  }
  return values;
}

// Whether Debian's PostgreSQL server programs, which postgres_peer drives,
// are installed (the test command does not install them; postgres_peer
// would, with apt-get).
bool PostgresInstalled() {
  std::error_code ec;
  for (const auto& version : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
    bool all = true;
    for (const char* program : {"postgres", "initdb", "pg_ctl", "pgbench"}) {
      all = all && access((version.path() / "bin" / program).c_str(), X_OK) == 0;
    }
    if (all) return true;
  }
  return false;
}

class BenchToolsTest : public ::ledger::testing::TempDirTest {};

TEST_F(BenchToolsTest, LedgerBenchRunsEveryPhaseAndReportsEveryFigure) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<LedgerdProcess> ledgerd,
                       LedgerdProcess::Start(PathIn("db")));
  // Domain events for the view phase to fold.
  ASSERT_OK_AND_ASSIGN(ProcessOutput demo,
                       RunProcess({kLedgerDemoPath, "--server", ledgerd->address()},
                                  kProgramTimeout));
  ASSERT_THAT(demo, ExitedWith(0));

  ASSERT_OK_AND_ASSIGN(
      ProcessOutput r,
      RunProcess({kLedgerBenchPath, "--server", ledgerd->address(), "--clients", "2",
                  "--events", "30", "--batch", "10", "--batched-events", "200",
                  "--stream-events", "50",
                  "--health-rpcs", "30", "--read-entries", "150", "--read-chunk", "40",
                  "--catchup-entries", "100", "--subscribers", "3", "--live-events", "20",
                  "--proof-rpcs", "30", "--server-pid",
                  absl::StrCat(ledgerd->process().pid()), "--json"},
                 kProgramTimeout));
  ASSERT_THAT(r, ExitedWith(0));
  const std::map<std::string, std::string> json = FlatJson(r.out);
  ExpectMembers(
      json,
      {"server", "run", "phases", "clients", "payload_bytes", "streams",
       "warmup_rpcs_per_client", "errors", "start_server_rss_kib", "health_rpcs",
       "health_seconds", "health_rpcs_per_sec", "health_p50_us", "health_p99_us",
       "health_max_us", "ratio_unary_rpcs_to_health", "read_log_size",
       "subscribe_catchup_entries", "subscribe_catchup_seconds",
       "subscribe_catchup_entries_per_sec", "subscribe_subscribers", "subscribe_live_events",
       "subscribe_live_deliveries", "subscribe_live_p50_us", "subscribe_live_p99_us",
       "subscribe_live_max_us", "proofs_tree_size", "views_entries", "views_domain_events",
       "views_seconds", "views_entries_per_sec", "views_fold_seconds",
       "views_fold_entries_per_sec", "views_state_bytes", "views_query_first_ms",
       "views_query_second_ms", "server_rss_samples", "server_rss_min_kib",
       "server_rss_max_kib", "server_rss_final_kib", "batched_batch"});
  for (const std::string phase : {"unary", "batched", "stream"}) {
    ExpectMembers(json, {phase + "_rpcs", phase + "_events", phase + "_seconds",
                         phase + "_rpcs_per_sec", phase + "_events_per_sec", phase + "_p50_us",
                         phase + "_p99_us", phase + "_max_us"});
  }
  ExpectMembers(json, {"read_rpcs", "read_entries", "read_seconds", "read_rpcs_per_sec",
                       "read_entries_per_sec", "read_p50_us", "read_p99_us", "read_max_us"});
  for (const std::string kind : {"inclusion", "consistency"}) {
    ExpectMembers(json, {kind + "_rpcs", kind + "_proofs", kind + "_seconds",
                         kind + "_rpcs_per_sec", kind + "_proofs_per_sec", kind + "_p50_us",
                         kind + "_p99_us", kind + "_max_us", kind + "_hashes_per_proof"});
  }
  for (const std::string phase :
       {"health", "unary", "batched", "stream", "read", "subscribe", "proofs", "views"}) {
    ExpectMembers(json, {phase + "_server_rss_kib"});
  }

  EXPECT_EQ(Number(json, "errors"), 0);
  EXPECT_EQ(Number(json, "unary_events"), 30);
  EXPECT_EQ(Number(json, "batched_events"), 200);
  EXPECT_EQ(Number(json, "batched_rpcs"), 20);
  EXPECT_EQ(Number(json, "stream_events"), 50);
  EXPECT_EQ(Number(json, "stream_rpcs"), 50);
  EXPECT_EQ(Number(json, "read_entries"), 150);
  EXPECT_EQ(Number(json, "read_rpcs"), 4);  // two slices of 75, in 40 + 35
  EXPECT_EQ(Number(json, "subscribe_catchup_entries"), 100);
  EXPECT_EQ(Number(json, "subscribe_live_deliveries"), 3 * 20);
  EXPECT_EQ(Number(json, "inclusion_proofs"), 30);
  EXPECT_EQ(Number(json, "consistency_proofs"), 30);
  // The whole log is folded, the demo's events among it.
  EXPECT_EQ(Number(json, "views_entries"), Number(json, "proofs_tree_size"));
  EXPECT_GT(Number(json, "views_domain_events"), 100);
  EXPECT_GT(Number(json, "server_rss_min_kib"), 0);
  EXPECT_LE(Number(json, "server_rss_min_kib"), Number(json, "server_rss_max_kib"));
  ASSERT_OK(ledgerd->Stop());
}

TEST_F(BenchToolsTest, LedgerBenchNeedsEntriesToRead) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<LedgerdProcess> ledgerd,
                       LedgerdProcess::Start(PathIn("db")));
  ASSERT_OK_AND_ASSIGN(ProcessOutput r,
                       RunProcess({kLedgerBenchPath, "--server", ledgerd->address(),
                                   "--phases", "read", "--clients", "1"},
                                  kProgramTimeout));
  EXPECT_THAT(r, ExitedWith(1));
  EXPECT_THAT(r.err, HasSubstr("the log is empty"));
  ASSERT_OK_AND_ASSIGN(ProcessOutput usage,
                       RunProcess({kLedgerBenchPath, "--phases", "health,nonsense"},
                                  kProgramTimeout));
  EXPECT_THAT(usage, ExitedWith(2));
  EXPECT_THAT(usage.err, HasSubstr("unknown phase 'nonsense'"));
  ASSERT_OK(ledgerd->Stop());
}

TEST_F(BenchToolsTest, LedgerScaleBuildsVerifiesRestartsAndReportsEveryFigure) {
  // The database's parent directories do not exist yet: ledger-scale makes
  // them, as ledgerd would, for ledgerd's log beside the database.
  const std::string db = PathIn("scale/runs/db");
  ASSERT_OK_AND_ASSIGN(
      ProcessOutput r,
      RunProcess({kLedgerScalePath, "--entries", "20000", "--clients", "2", "--batch", "500",
                  "--proof-rpcs", "50", "--db", db, "--json"},
                 absl::Minutes(5)));
  ASSERT_THAT(r, ExitedWith(0));
  const std::map<std::string, std::string> json = FlatJson(r.out);
  ExpectMembers(
      json,
      {"entries", "clients", "batch", "payload_bytes", "db", "first_start_seconds",
       "append_seconds", "append_events_per_sec", "server_rss_start_kib",
       "server_rss_10pct_kib", "server_rss_50pct_kib", "server_rss_100pct_kib",
       "server_rss_peak_to_10pct_kib", "server_rss_peak_to_50pct_kib",
       "server_rss_peak_to_100pct_kib", "server_rss_p50_to_10pct_kib",
       "server_rss_p50_to_50pct_kib", "server_rss_p50_to_100pct_kib",
       "server_rss_p90_to_10pct_kib", "server_rss_p90_to_50pct_kib",
       "server_rss_p90_to_100pct_kib", "server_rss_min_kib", "server_rss_max_kib",
       "server_rss_samples", "proof_tree_size",
       "inclusion_p50_us", "inclusion_p99_us", "inclusion_max_us", "inclusion_proofs_per_sec",
       "consistency_p50_us", "consistency_p99_us", "consistency_max_us",
       "consistency_proofs_per_sec", "health_p50_us", "health_p99_us", "stop_seconds",
       "bytes_on_disk", "bytes_per_entry", "tables_cached_at_stop_bytes",
       "tables_cached_after_drop_bytes", "disk_read_p50_us", "disk_read_p99_us",
       "tables_cached_warm_bytes", "store_open_seconds", "store_inclusion_cold_proofs",
       "store_inclusion_cold_p50_us", "store_inclusion_cold_p99_us", "store_inclusion_p50_us",
       "store_inclusion_p99_us", "store_inclusion_max_us", "store_consistency_p50_us",
       "store_consistency_p99_us", "store_consistency_max_us", "verify_cold_seconds",
       "verify_cold_entries_per_sec", "verify_seconds", "verify_entries",
       "verify_entries_per_sec", "restart_seconds", "restart_server_rss_kib",
       "restart_log_size", "wal_bytes", "sst_bytes", "bytes_per_entry_after_restart",
       "wal_bytes_after_restart", "sst_bytes_after_restart", "second_restart_seconds"});
  EXPECT_EQ(Number(json, "entries"), 20000);
  EXPECT_EQ(Number(json, "proof_tree_size"), 20000);
  EXPECT_EQ(Number(json, "verify_entries"), 20000);
  // ledger-verify ran twice (from the disk, then from memory), each over
  // the whole log: each rate is the count over that run's own time (to
  // the rounding of the seconds, printed to 0.1 ms).
  EXPECT_GT(Number(json, "verify_cold_seconds"), 0);
  EXPECT_NEAR(Number(json, "verify_cold_entries_per_sec") * Number(json, "verify_cold_seconds"),
              20000, 200);
  EXPECT_NEAR(Number(json, "verify_entries_per_sec") * Number(json, "verify_seconds"), 20000,
              200);
  // The first min(Q, 1000) proofs after opening the database are the ones
  // from the disk: the tables were dropped from the file cache before, and
  // read whole into it after.
  EXPECT_EQ(Number(json, "store_inclusion_cold_proofs"), 50);
  const double tables = Number(json, "sst_bytes");
  EXPECT_LT(Number(json, "tables_cached_after_drop_bytes"), tables / 2);
  EXPECT_GE(Number(json, "tables_cached_warm_bytes"), tables * 0.9);
  // The disk's own read latency, from reads that bypass the file cache.
  EXPECT_GT(Number(json, "disk_read_p50_us"), 0);
  EXPECT_GE(Number(json, "disk_read_p99_us"), Number(json, "disk_read_p50_us"));
  EXPECT_EQ(Number(json, "restart_log_size"), 20000);
  EXPECT_GT(Number(json, "server_rss_10pct_kib"), 0);
  EXPECT_GT(Number(json, "server_rss_100pct_kib"), 0);
  EXPECT_GT(Number(json, "restart_server_rss_kib"), 0);
  // Each stretch's peak includes the sample taken at its milestone, and
  // none exceeds the run's maximum.
  for (const char* pct : {"10pct", "50pct", "100pct"}) {
    SCOPED_TRACE(pct);
    const double peak = Number(json, absl::StrCat("server_rss_peak_to_", pct, "_kib"));
    EXPECT_GE(peak, Number(json, absl::StrCat("server_rss_", pct, "_kib")));
    EXPECT_LE(peak, Number(json, "server_rss_max_kib"));
    // The stretch's median and 90th percentile lie between its samples.
    const double p50 = Number(json, absl::StrCat("server_rss_p50_to_", pct, "_kib"));
    const double p90 = Number(json, absl::StrCat("server_rss_p90_to_", pct, "_kib"));
    EXPECT_GE(p50, Number(json, "server_rss_min_kib"));
    EXPECT_LE(p50, p90);
    EXPECT_LE(p90, peak);
  }
  EXPECT_GT(Number(json, "bytes_per_entry"), 300);  // at least the payloads
  EXPECT_EQ(json.at("db"), absl::StrCat("\"", db, "\""));
  EXPECT_TRUE(std::filesystem::exists(db + ".ledgerd.log"));

  // A database that exists already is refused, untouched.
  ASSERT_OK_AND_ASSIGN(ProcessOutput again,
                       RunProcess({kLedgerScalePath, "--entries", "100", "--db", db},
                                  kProgramTimeout));
  EXPECT_THAT(again, ExitedWith(2));
  EXPECT_THAT(again.err, HasSubstr("already exists"));

  // A parent that cannot be made (a file stands in its place) is an error
  // that names it, before anything starts.
  { std::ofstream(PathIn("a-file")) << "not a directory\n"; }
  ASSERT_OK_AND_ASSIGN(ProcessOutput blocked,
                       RunProcess({kLedgerScalePath, "--entries", "100", "--db",
                                   PathIn("a-file/sub/db")},
                                  kProgramTimeout));
  EXPECT_THAT(blocked, ExitedWith(1));
  EXPECT_THAT(blocked.err, HasSubstr(absl::StrCat("cannot make ", PathIn("a-file/sub"))));
}

TEST_F(BenchToolsTest, CompareRepeatsTheComparisonAndReportsMediansAndRunsMet) {
  if (!PostgresInstalled()) {
    GTEST_SKIP() << "PostgreSQL is not installed (bash tools/dev.sh bench installs it)";
  }
  // Run as root, postgres_peer starts PostgreSQL as the postgres user, which
  // must reach its directory inside this one.
  std::filesystem::permissions(dir(), std::filesystem::perms::owner_all |
                                          std::filesystem::perms::group_read |
                                          std::filesystem::perms::group_exec |
                                          std::filesystem::perms::others_read |
                                          std::filesystem::perms::others_exec);
  ASSERT_OK_AND_ASSIGN(
      ProcessOutput r,
      RunProcess({kCompareScript, kBuildDir, "--runs", "2", "--clients", "2", "--events", "300",
                  "--batch", "50", "--batch-events", "2000", "--pg-duration", "1", "--dir",
                  dir(), "--json"},
                 absl::Minutes(2)));
  ASSERT_THAT(r, ExitedWith(0));
  const std::map<std::string, std::string> json = FlatJson(r.out);
  EXPECT_EQ(Number(json, "run_count"), 2);
  // Each run's own figures, in the order run.
  const std::vector<double> health = AllNumbers(r.out, "ratio_unary_to_health");
  const std::vector<double> postgres = AllNumbers(r.out, "ratio_unary_to_postgres");
  const std::vector<double> batched = AllNumbers(r.out, "batched_events_per_sec");
  ASSERT_EQ(health.size(), 2u);
  ASSERT_EQ(postgres.size(), 2u);
  // Each run prints its batched rate twice: in ledger-bench's object and
  // beside the ratios.
  ASSERT_EQ(batched.size(), 4u);
  EXPECT_EQ(batched[0], batched[1]);
  EXPECT_EQ(batched[2], batched[3]);
  for (double v : {health[0], health[1], postgres[0], postgres[1], batched[0], batched[2]}) {
    EXPECT_GT(v, 0);
  }
  // The median of two runs is their mean; a target counts the runs that
  // reached it.
  EXPECT_NEAR(Number(json, "median_ratio_unary_to_health"), (health[0] + health[1]) / 2, 1e-3);
  EXPECT_NEAR(Number(json, "median_ratio_unary_to_postgres"), (postgres[0] + postgres[1]) / 2,
              1e-3);
  EXPECT_NEAR(Number(json, "median_batched_events_per_sec"), (batched[0] + batched[2]) / 2, 1);
  const auto met = [](const std::vector<double>& v, double target) {
    return static_cast<double>(std::count_if(v.begin(), v.end(),
                                             [&](double x) { return x >= target; }));
  };
  EXPECT_EQ(Number(json, "runs_met_unary_to_health"), met(health, 0.7));
  EXPECT_EQ(Number(json, "runs_met_unary_to_postgres"), met(postgres, 5));
  EXPECT_EQ(Number(json, "runs_met_batched"), met({batched[0], batched[2]}, 150000));
  // Nothing is left behind: each run's databases went with its directory.
  EXPECT_TRUE(std::filesystem::is_empty(dir()));

  ASSERT_OK_AND_ASSIGN(ProcessOutput usage,
                       RunProcess({kCompareScript, kBuildDir, "--runs", "0"}, kProgramTimeout));
  EXPECT_THAT(usage, ExitedWith(2));
  EXPECT_THAT(usage.err, HasSubstr("--runs: a positive integer"));
}

}  // namespace
}  // namespace ledger

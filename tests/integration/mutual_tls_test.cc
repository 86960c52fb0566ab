// Mutual TLS and roles end to end (docs/security.md): a real ledgerd with
// certificates made by tools/dev-certs.sh in a temporary directory. Clients
// without a certificate, with one from another CA, or whose subject is not
// in the roles file are refused; each role appends only its event types;
// the recorded actor is the certificate's subject whatever the request
// says, and `local` without TLS; plaintext is refused off loopback; and
// ledgerctl and ledger-bench work over mutual TLS.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <signal.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "clients/ledger_client.h"
#include "clients/query_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "involvement/v1/events.pb.h"
#include "ledger/access_policy.h"
#include "tests/integration/ledgerd_process.h"
#include "tests/integration/programs.h"
#include "tests/integration/read_entries.h"
#include "tests/ledger/test_util.h"
#include "tests/projections/test_dates.h"

namespace ledger {
namespace {

namespace iv1 = ::involvement::v1;
namespace pb = ::google::protobuf;
using ::involvement::testing::D;
using ::ledger::testing::DescribeExit;
using ::ledger::testing::ExitedWith;
using ::ledger::testing::ExitStatus;
using ::ledger::testing::IsOk;
using ::ledger::testing::kLedgerdPath;
using ::ledger::testing::kProgramTimeout;
using ::ledger::testing::LedgerdProcess;
using ::ledger::testing::ProcessOutput;
using ::ledger::testing::ReadEntries;
using ::ledger::testing::RunLedgerctl;
using ::ledger::testing::RunProcess;
using ::ledger::testing::StatusIs;
using ::ledger::testing::Subprocess;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;

constexpr char kDevCertsScript[] = DEV_CERTS_SCRIPT;
constexpr char kLedgerBenchPath[] = LEDGER_BENCH_PATH;

// The subjects tools/dev-certs.sh gives, as ledgerd sees them.
std::string SubjectOf(const std::string& name) {
  return absl::StrCat("CN=ledger-", name, ",O=Involvement Ledger dev");
}

template <typename Event>
v1::AppendRequest RequestOf(const std::string& stream, const std::string& event_id,
                            const Event& event) {
  v1::AppendRequest request;
  request.set_stream(stream);
  v1::EventData* e = request.add_events();
  e->set_event_id(event_id);
  e->mutable_payload()->PackFrom(event);
  return request;
}

iv1::MeetingHeld Meeting() {
  iv1::MeetingHeld m;
  m.set_body(iv1::BODY_SUAG);
  *m.mutable_date() = D(2026, 3, 2);
  return m;
}

iv1::RecommendationMade Recommendation() {
  iv1::RecommendationMade r;
  r.set_recommendation_id("R-1");
  r.set_from_body(iv1::BODY_SUAG);
  r.set_to(iv1::ADDRESSEE_BOARD);
  r.set_text("Publish repair times");
  *r.mutable_made_on() = D(2026, 2, 2);
  *r.mutable_response_due() = D(2026, 3, 2);
  return r;
}

iv1::BoardResponseRecorded Response() {
  iv1::BoardResponseRecorded resp;
  resp.set_recommendation_id("R-1");
  resp.set_decision(iv1::DECISION_ACCEPTED);
  resp.set_reasons("Agreed");
  *resp.mutable_decided_on() = D(2026, 3, 10);
  return resp;
}

iv1::ComplaintReceived Complaint() {
  iv1::ComplaintReceived c;
  c.set_complaint_id("C-1");
  *c.mutable_received_on() = D(2026, 2, 3);
  c.set_formal(true);
  c.set_topic("repairs");
  return c;
}

pb::Struct Note(const std::string& json) {
  pb::Struct s;
  EXPECT_TRUE(pb::util::JsonStringToMessage(json, &s).ok()) << json;
  return s;
}

class MutualTlsTest : public ::ledger::testing::TempDirTest {
 protected:
  // Certificates are made once for the suite: the script takes a moment.
  static void SetUpTestSuite() {
    std::string name = "/tmp/ledger_tls_test.XXXXXX";
    ASSERT_NE(mkdtemp(name.data()), nullptr);
    suite_dir_ = new std::string(name);
    for (const char* sub : {"certs", "foreign"}) {
      absl::StatusOr<ProcessOutput> made = RunProcess(
          {"/bin/bash", kDevCertsScript, absl::StrCat(name, "/", sub)}, kProgramTimeout);
      ASSERT_TRUE(made.ok()) << made.status();
      ASSERT_THAT(*made, ExitedWith(0));
    }
  }
  static void TearDownTestSuite() {
    if (suite_dir_ == nullptr) return;
    std::error_code ec;
    std::filesystem::remove_all(*suite_dir_, ec);
    delete suite_dir_;
    suite_dir_ = nullptr;
  }

  static std::string Cert(const std::string& file, const char* dir = "certs") {
    return absl::StrCat(*suite_dir_, "/", dir, "/", file);
  }

  // ledgerd's TLS flags with `roles` as its roles file.
  static std::vector<std::string> TlsFlags(const std::string& roles) {
    return {"--tls-cert", Cert("server.pem"), "--tls-key", Cert("server.key"),
            "--client-ca", Cert("ca.pem"), "--roles", roles};
  }

  void StartTls(const std::string& roles = Cert("roles.conf")) {
    absl::StatusOr<std::unique_ptr<LedgerdProcess>> started =
        LedgerdProcess::Start(PathIn("db"), TlsFlags(roles));
    ASSERT_TRUE(started.ok()) << started.status();
    ledgerd_ = std::move(*started);
  }

  // Client options presenting certificate NAME.pem (from `dir`), trusting
  // the suite's CA for the server.
  static ClientOptions As(const std::string& name, const char* dir = "certs") {
    absl::StatusOr<ClientTls> tls =
        LoadClientTls(Cert("ca.pem"), Cert(name + ".pem", dir), Cert(name + ".key", dir));
    EXPECT_TRUE(tls.ok()) << tls.status();
    ClientOptions options;
    options.timeout = absl::Seconds(20);
    if (tls.ok()) options.tls = *tls;
    return options;
  }

  // ledgerctl's global TLS flags for certificate NAME.pem.
  static std::vector<std::string> CtlAs(const std::string& name) {
    return {"--ca", Cert("ca.pem"), "--tls-cert", Cert(name + ".pem"),
            "--tls-key", Cert(name + ".key")};
  }

  absl::StatusOr<v1::AppendResponse> AppendAs(const std::string& role,
                                              const v1::AppendRequest& request) {
    LedgerClient client(ledgerd_->address(), As(role));
    return client.Append(request);
  }

  std::vector<v1::Entry> EntriesAs(const std::string& role) {
    LedgerClient client(ledgerd_->address(), As(role));
    absl::StatusOr<std::vector<v1::Entry>> entries = ReadEntries(client);
    EXPECT_TRUE(entries.ok()) << entries.status();
    return entries.ok() ? *entries : std::vector<v1::Entry>{};
  }

  // Stops ledgerd and returns everything it wrote on stderr.
  std::string StopAndTakeStderr() {
    EXPECT_OK(ledgerd_->Stop());
    std::string err = ledgerd_->process().err();
    ledgerd_.reset();
    return err;
  }

  void WriteFile(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    ASSERT_TRUE(out.good()) << "cannot write " << path;
  }

  static std::string* suite_dir_;
  std::unique_ptr<LedgerdProcess> ledgerd_;
};

std::string* MutualTlsTest::suite_dir_ = nullptr;

TEST_F(MutualTlsTest, RefusesAClientWithoutACertificate) {
  ASSERT_NO_FATAL_FAILURE(StartTls());
  ClientOptions options;
  options.timeout = absl::Seconds(20);
  options.tls.ca_pem = As("admin").tls.ca_pem;  // trusts the server, shows nothing
  LedgerClient client(ledgerd_->address(), options);

  EXPECT_THAT(client.Append(RequestOf("body/SUAG", "m-1", Meeting())),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(client.HealthCheck(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(EntriesAs("admin"), SizeIs(0));
}

TEST_F(MutualTlsTest, RefusesAClientCertificateFromAnotherCa) {
  ASSERT_NO_FATAL_FAILURE(StartTls());
  // The same subject as the real admin, signed by a CA ledgerd does not trust.
  LedgerClient client(ledgerd_->address(), As("admin", "foreign"));

  EXPECT_THAT(client.Append(RequestOf("body/SUAG", "m-1", Meeting())),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(EntriesAs("admin"), SizeIs(0));
}

TEST_F(MutualTlsTest, RefusesAPlaintextClient) {
  ASSERT_NO_FATAL_FAILURE(StartTls());
  LedgerClient client(ledgerd_->address(), ClientOptions{false, absl::Seconds(20), {}});
  EXPECT_THAT(client.Append(RequestOf("body/SUAG", "m-1", Meeting())),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(MutualTlsTest, AnUnlistedSubjectMayOnlyCheckHealth) {
  ASSERT_NO_FATAL_FAILURE(StartTls());
  ASSERT_OK(AppendAs("recorder", RequestOf("body/SUAG", "m-1", Meeting())).status());
  {
    LedgerClient client(ledgerd_->address(), As("unknown"));
    QueryClient query(ledgerd_->address(), As("unknown"));
    EXPECT_OK(client.HealthCheck());
    const auto denied = StatusIs(absl::StatusCode::kPermissionDenied,
                                 AllOf(HasSubstr(SubjectOf("unknown")), HasSubstr("no role")));
    EXPECT_THAT(client.Append(RequestOf("body/SUAG", "m-2", Meeting())), denied);
    EXPECT_THAT(ReadEntries(client), denied);
    EXPECT_THAT(client.GetCheckpoint(), denied);
    EXPECT_THAT(client.GetInclusionProof(0, 0), denied);
    EXPECT_THAT(client.GetConsistencyProof(1, 0), denied);
    EXPECT_THAT(query.Recommendations({}), denied);
    iv1::ViewRequest bad_year;
    bad_year.set_year(-1);
    EXPECT_THAT(query.Indicators(bad_year), denied);
  }
  EXPECT_THAT(EntriesAs("admin"), SizeIs(1));
  EXPECT_THAT(StopAndTakeStderr(),
              AllOf(HasSubstr("denied"), HasSubstr(SubjectOf("unknown"))));
}

TEST_F(MutualTlsTest, ASubjectRemovedFromTheRolesFileIsRefusedAfterRestart) {
  ASSERT_NO_FATAL_FAILURE(StartTls());
  ASSERT_OK(AppendAs("recorder", RequestOf("body/SUAG", "m-1", Meeting())).status());
  StopAndTakeStderr();

  // The dev roles file without the recorder's line.
  std::ifstream in(Cert("roles.conf"));
  std::string line, kept;
  while (std::getline(in, line)) {
    if (line.find(SubjectOf("recorder")) == std::string::npos) kept += line + "\n";
  }
  ASSERT_THAT(kept, HasSubstr(SubjectOf("admin")));
  const std::string revoked = PathIn("roles-revoked.conf");
  ASSERT_NO_FATAL_FAILURE(WriteFile(revoked, kept));
  ASSERT_NO_FATAL_FAILURE(StartTls(revoked));

  {
    LedgerClient client(ledgerd_->address(), As("recorder"));
    QueryClient query(ledgerd_->address(), As("recorder"));
    const auto denied = StatusIs(absl::StatusCode::kPermissionDenied,
                                 HasSubstr(SubjectOf("recorder")));
    EXPECT_THAT(client.Append(RequestOf("body/SUAG", "m-2", Meeting())), denied);
    EXPECT_THAT(ReadEntries(client), denied);
    EXPECT_THAT(query.Bodies({}), denied);
    EXPECT_OK(client.HealthCheck());
  }
  EXPECT_THAT(EntriesAs("admin"), SizeIs(1));
}

TEST_F(MutualTlsTest, EachRoleAppendsItsOwnEventTypesOnly) {
  ASSERT_NO_FATAL_FAILURE(StartTls());
  struct Case {
    std::string role;
    v1::AppendRequest request;
    bool allowed;
  };
  const std::vector<Case> cases = {
      {"recorder", RequestOf("body/SUAG", "m-1", Meeting()), true},
      {"recorder", RequestOf("recommendation/R-1", "r-1", Recommendation()), true},
      {"recorder", RequestOf("recommendation/R-1", "resp-0", Response()), false},
      {"recorder", RequestOf("complaint/C-1", "c-0", Complaint()), false},
      {"recorder", RequestOf("notes/1", "n-0", Note(R"({"a":"b"})")), false},
      {"secretary", RequestOf("recommendation/R-1", "resp-1", Response()), true},
      {"secretary", RequestOf("body/SUAG", "m-2", Meeting()), false},
      {"secretary", RequestOf("complaint/C-1", "c-1", Complaint()), false},
      {"complaints", RequestOf("complaint/C-1", "c-2", Complaint()), true},
      {"complaints", RequestOf("recommendation/R-2", "r-2", Recommendation()), false},
      {"auditor", RequestOf("body/SUAG", "m-3", Meeting()), false},
      {"auditor", RequestOf("complaint/C-9", "c-3", Complaint()), false},
      {"admin", RequestOf("notes/1", "n-1", Note(R"({"a":"b"})")), true},
      {"admin", RequestOf("body/SUAG", "m-4", Meeting()), true},
  };
  int appended = 0;
  for (const Case& c : cases) {
    const std::string type = c.request.events(0).payload().type_url();
    SCOPED_TRACE(absl::StrCat(c.role, " appends ", type));
    absl::StatusOr<v1::AppendResponse> r = AppendAs(c.role, c.request);
    if (c.allowed) {
      EXPECT_THAT(r, IsOk());
      ++appended;
    } else {
      EXPECT_THAT(r, StatusIs(absl::StatusCode::kPermissionDenied,
                              AllOf(HasSubstr(SubjectOf(c.role)),
                                    HasSubstr(absl::StrCat("role ", c.role)),
                                    HasSubstr(std::string(MessageNameOfTypeUrl(type))))));
    }
  }
  // Exactly the allowed appends were written, each by its own subject.
  std::vector<v1::Entry> entries = EntriesAs("auditor");
  ASSERT_THAT(entries, SizeIs(appended));
  for (const v1::Entry& e : entries) {
    for (const Case& c : cases) {
      if (c.allowed && c.request.events(0).event_id() == e.event_id()) {
        EXPECT_EQ(e.actor(), SubjectOf(c.role)) << e.event_id();
      }
    }
  }
  EXPECT_THAT(StopAndTakeStderr(),
              AllOf(HasSubstr("denied"), HasSubstr(SubjectOf("auditor")),
                    HasSubstr("involvement.v1.BoardResponseRecorded")));
}

TEST_F(MutualTlsTest, TheAuditorReadsProvesAndViewsButCannotAppend) {
  ASSERT_NO_FATAL_FAILURE(StartTls());
  ASSERT_OK(AppendAs("recorder", RequestOf("body/SUAG", "m-1", Meeting())).status());
  ASSERT_OK(AppendAs("recorder", RequestOf("recommendation/R-1", "r-1", Recommendation())).status());

  LedgerClient client(ledgerd_->address(), As("auditor"));
  QueryClient query(ledgerd_->address(), As("auditor"));
  EXPECT_THAT(ReadEntries(client), IsOk());
  ASSERT_OK_AND_ASSIGN(v1::GetCheckpointResponse cp, client.GetCheckpoint());
  EXPECT_EQ(cp.tree_size(), 2u);
  EXPECT_THAT(client.GetInclusionProof(1, 2), IsOk());
  EXPECT_THAT(client.GetConsistencyProof(1, 2), IsOk());
  ASSERT_OK_AND_ASSIGN(iv1::RecommendationsView view, query.Recommendations({}));
  EXPECT_THAT(view.rows(), SizeIs(1));
  EXPECT_THAT(query.Bodies({}), IsOk());
  EXPECT_THAT(client.Append(RequestOf("body/SUAG", "m-2", Meeting())),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("role auditor")));
}

TEST_F(MutualTlsTest, AppendStreamChecksEachRequestAgainstTheCallersRole) {
  ASSERT_NO_FATAL_FAILURE(StartTls());
  // Sends `requests` on one AppendStream call as `role`; the answers, each
  // "ok" or its status code.
  auto stream_as = [&](const std::string& role, std::vector<v1::AppendRequest> requests) {
    LedgerClient client(ledgerd_->address(), As(role));
    std::vector<std::string> answers;
    size_t next = 0;
    absl::Status s = client.AppendStream(
        [&](v1::AppendRequest* out) {
          if (next == requests.size()) return false;
          *out = requests[next++];
          return true;
        },
        [&](absl::StatusOr<v1::AppendResponse> r) {
          answers.push_back(r.ok() ? "ok" : absl::StatusCodeToString(r.status().code()));
        });
    EXPECT_OK(s);
    return answers;
  };
  EXPECT_THAT(stream_as("recorder", {RequestOf("body/SUAG", "m-1", Meeting()),
                                     RequestOf("notes/1", "n-1", Note(R"({"a":"b"})")),
                                     RequestOf("body/SUAG", "m-2", Meeting())}),
              ElementsAre("ok", "PERMISSION_DENIED", "ok"));
  EXPECT_THAT(stream_as("auditor", {RequestOf("body/SUAG", "m-3", Meeting()),
                                    RequestOf("body/SUAG", "m-4", Meeting())}),
              ElementsAre("PERMISSION_DENIED", "PERMISSION_DENIED"));

  std::vector<v1::Entry> entries = EntriesAs("auditor");
  ASSERT_THAT(entries, SizeIs(2));
  EXPECT_EQ(entries[0].event_id(), "m-1");
  EXPECT_EQ(entries[1].event_id(), "m-2");
  EXPECT_EQ(entries[0].actor(), SubjectOf("recorder"));
  EXPECT_EQ(entries[1].actor(), SubjectOf("recorder"));
}

TEST_F(MutualTlsTest, TheActorIsTheCertificateSubjectWhateverTheRequestSays) {
  ASSERT_NO_FATAL_FAILURE(StartTls());
  // The request tries to name its own actor: in the payload, and as an
  // unknown field numbered like Entry.actor in the event and the request.
  v1::AppendRequest request =
      RequestOf("notes/1", "n-1", Note(R"({"actor":"CN=forged,O=Elsewhere"})"));
  constexpr int kEntryActorField = 8;
  ASSERT_EQ(v1::Entry::descriptor()->FindFieldByName("actor")->number(), kEntryActorField);
  request.mutable_events(0)->GetReflection()
      ->MutableUnknownFields(request.mutable_events(0))
      ->AddLengthDelimited(kEntryActorField, "CN=forged,O=Elsewhere");
  request.GetReflection()->MutableUnknownFields(&request)->AddLengthDelimited(
      kEntryActorField, "CN=forged,O=Elsewhere");
  ASSERT_OK(AppendAs("admin", request).status());
  ASSERT_OK(AppendAs("recorder", RequestOf("body/SUAG", "m-1", Meeting())).status());

  std::vector<v1::Entry> entries = EntriesAs("auditor");
  ASSERT_THAT(entries, SizeIs(2));
  EXPECT_EQ(entries[0].actor(), SubjectOf("admin"));
  EXPECT_EQ(entries[1].actor(), SubjectOf("recorder"));
}

TEST_F(MutualTlsTest, WithoutTlsTheActorIsLocalAndAWarningIsPrinted) {
  ASSERT_OK_AND_ASSIGN(ledgerd_, LedgerdProcess::Start(PathIn("db")));
  {
    LedgerClient client(ledgerd_->address());
    ASSERT_OK(client.Append(RequestOf("body/SUAG", "m-1", Meeting())).status());
    ASSERT_OK_AND_ASSIGN(std::vector<v1::Entry> entries, ReadEntries(client));
    ASSERT_THAT(entries, SizeIs(1));
    EXPECT_EQ(entries[0].actor(), "local");
  }
  EXPECT_THAT(StopAndTakeStderr(), AllOf(HasSubstr("WARNING"), HasSubstr("no authentication")));
}

TEST_F(MutualTlsTest, PlaintextOffLoopbackIsRefusedWithoutInsecurePlaintext) {
  ASSERT_OK_AND_ASSIGN(
      ProcessOutput r,
      RunProcess({kLedgerdPath, "--db", PathIn("db"), "--listen", "0.0.0.0:0"}, kProgramTimeout));
  EXPECT_THAT(r, ExitedWith(2));
  EXPECT_THAT(r.err, AllOf(HasSubstr("0.0.0.0:0"), HasSubstr("--insecure-plaintext")));
  EXPECT_EQ(r.out, "");

  // Allowed with --insecure-plaintext (with its warning), or with mutual TLS.
  std::vector<std::string> tls_argv = {kLedgerdPath, "--db", PathIn("db"), "--listen",
                                       "0.0.0.0:0"};
  for (const std::string& flag : TlsFlags(Cert("roles.conf"))) tls_argv.push_back(flag);
  for (const std::vector<std::string>& argv :
       {std::vector<std::string>{kLedgerdPath, "--db", PathIn("db"), "--listen", "0.0.0.0:0",
                                 "--insecure-plaintext"},
        tls_argv}) {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Subprocess> ledgerd, Subprocess::Start(argv));
    ASSERT_OK_AND_ASSIGN(std::string line, ledgerd->WaitForLine("listening on ", kProgramTimeout));
    EXPECT_THAT(line, HasSubstr("0.0.0.0:"));
    ASSERT_OK(ledgerd->Signal(SIGTERM));
    ASSERT_OK_AND_ASSIGN(ExitStatus exit, ledgerd->Wait(kProgramTimeout));
    EXPECT_TRUE(exit.exited() && exit.code == 0) << DescribeExit(exit);
    const bool plaintext = argv.back() == "--insecure-plaintext";
    EXPECT_EQ(ledgerd->err().find("WARNING: no TLS") != std::string::npos, plaintext)
        << ledgerd->err();
  }
}

TEST_F(MutualTlsTest, IncompleteTlsFlagsAreAUsageError) {
  for (const std::vector<std::string>& flags :
       {std::vector<std::string>{"--tls-cert", Cert("server.pem")},
        std::vector<std::string>{"--tls-cert", Cert("server.pem"), "--tls-key",
                                 Cert("server.key"), "--client-ca", Cert("ca.pem")},
        std::vector<std::string>{"--roles", Cert("roles.conf")}}) {
    std::vector<std::string> argv = {kLedgerdPath, "--db", PathIn("db"), "--listen",
                                     "127.0.0.1:0"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    ASSERT_OK_AND_ASSIGN(ProcessOutput r, RunProcess(argv, kProgramTimeout));
    EXPECT_THAT(r, ExitedWith(2));
    EXPECT_EQ(r.out, "");
  }
}

TEST_F(MutualTlsTest, LedgerctlWorksOverMutualTls) {
  ASSERT_NO_FATAL_FAILURE(StartTls());
  auto ctl = [&](const std::string& role, std::vector<std::string> args) {
    std::vector<std::string> all = CtlAs(role);
    all.insert(all.end(), {"--server", ledgerd_->address()});
    all.insert(all.end(), args.begin(), args.end());
    return RunLedgerctl(all);
  };
  const std::string meeting =
      R"({"body":"BODY_SUAG","date":{"year":2026,"month":3,"day":2}})";
  ASSERT_OK_AND_ASSIGN(ProcessOutput appended,
                       ctl("recorder", {"append", "--stream", "body/SUAG", "--type",
                                        "involvement.v1.MeetingHeld", "--data", meeting,
                                        "--event-id", "m-1"}));
  EXPECT_THAT(appended, ExitedWith(0));

  ASSERT_OK_AND_ASSIGN(ProcessOutput read, ctl("auditor", {"read"}));
  EXPECT_THAT(read, ExitedWith(0));
  EXPECT_THAT(read.out, HasSubstr(absl::StrCat("\"actor\":\"", SubjectOf("recorder"), "\"")));

  ASSERT_OK_AND_ASSIGN(ProcessOutput view, ctl("auditor", {"bodies", "--json"}));
  EXPECT_THAT(view, ExitedWith(0));
  ASSERT_OK_AND_ASSIGN(ProcessOutput checkpoint, ctl("auditor", {"checkpoint"}));
  EXPECT_THAT(checkpoint, ExitedWith(0));

  ASSERT_OK_AND_ASSIGN(ProcessOutput denied,
                       ctl("auditor", {"append", "--stream", "body/SUAG", "--type",
                                       "involvement.v1.MeetingHeld", "--data", meeting}));
  EXPECT_THAT(denied, ExitedWith(1));
  EXPECT_THAT(denied.err, AllOf(HasSubstr("PERMISSION_DENIED"), HasSubstr("role auditor")));

  // A backup is the administrator's alone.
  ASSERT_OK_AND_ASSIGN(ProcessOutput no_backup,
                       ctl("auditor", {"backup", "--out", PathIn("backup-auditor")}));
  EXPECT_THAT(no_backup, ExitedWith(1));
  EXPECT_THAT(no_backup.err, AllOf(HasSubstr("PERMISSION_DENIED"), HasSubstr("role auditor")));
  EXPECT_FALSE(std::filesystem::exists(PathIn("backup-auditor")));
  ASSERT_OK_AND_ASSIGN(ProcessOutput backup,
                       ctl("admin", {"backup", "--out", PathIn("backup-admin")}));
  EXPECT_THAT(backup, ExitedWith(0));
  EXPECT_TRUE(std::filesystem::exists(PathIn("backup-admin") + "/checkpoint.txt"));

  // Without the flags ledgerctl speaks plaintext, which the server refuses.
  ASSERT_OK_AND_ASSIGN(ProcessOutput plain,
                       RunLedgerctl({"--server", ledgerd_->address(), "checkpoint"}));
  EXPECT_THAT(plain, ExitedWith(1));

  // Half the flags is a usage error.
  ASSERT_OK_AND_ASSIGN(ProcessOutput half, RunLedgerctl({"--ca", Cert("ca.pem"), "--server",
                                                         ledgerd_->address(), "checkpoint"}));
  EXPECT_THAT(half, ExitedWith(2));
}

TEST_F(MutualTlsTest, LedgerBenchWorksOverMutualTls) {
  ASSERT_NO_FATAL_FAILURE(StartTls());
  std::vector<std::string> argv = {kLedgerBenchPath, "--server", ledgerd_->address(),
                                   "--phases", "health,unary", "--clients", "2", "--events", "40",
                                   "--health-rpcs", "40",
                                   "--json"};
  for (const std::string& flag : CtlAs("admin")) argv.push_back(flag);
  ASSERT_OK_AND_ASSIGN(ProcessOutput r, RunProcess(argv, kProgramTimeout));
  EXPECT_THAT(r, ExitedWith(0));
  EXPECT_THAT(r.out, HasSubstr("\"errors\":0"));
  // 40 timed events and 3 warm-up appends per client, all by the admin.
  std::vector<v1::Entry> entries = EntriesAs("auditor");
  EXPECT_THAT(entries, SizeIs(46));
  for (const v1::Entry& e : entries) EXPECT_EQ(e.actor(), SubjectOf("admin"));

  // A recorder may not append the bench's payloads.
  argv.resize(argv.size() - 6);
  for (const std::string& flag : CtlAs("recorder")) argv.push_back(flag);
  ASSERT_OK_AND_ASSIGN(ProcessOutput denied, RunProcess(argv, kProgramTimeout));
  EXPECT_THAT(denied, ExitedWith(1));
  EXPECT_THAT(denied.err, HasSubstr("PERMISSION_DENIED"));
}

}  // namespace
}  // namespace ledger

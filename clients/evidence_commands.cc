#include "clients/evidence_commands.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "clients/cli_common.h"
#include "clients/command_line.h"
#include "clients/evidence_bundle.h"
#include "clients/ledger_client.h"
#include "clients/query_client.h"
#include "involvement/v1/state.pb.h"
#include "involvement/v1/views.pb.h"
#include "ledger/entry.h"
#include "ledger/hash.h"
#include "ledger/merkle.h"
#include "ledger/signed_note.h"
#include "projections/civil_date.h"
#include "projections/event_codec.h"
#include "projections/policy.h"
#include "projections/views.h"

namespace ledger {

namespace {

namespace iv1 = involvement::v1;

constexpr char kEvidenceUsage[] =
    "usage: ledgerctl evidence STREAM [--out FILE]\n"
    "       ledgerctl evidence --recommendation R-ID | --complaint C-ID |\n"
    "                          --feedback F-ID [--out FILE]\n"
    "\n"
    "Writes an evidence bundle (docs/evidence.md): one JSON file holding the\n"
    "latest signed checkpoint, the verifier key id and origin, and the\n"
    "entries behind one stream or view row, each as its exact stored bytes\n"
    "with its inclusion proof against that checkpoint. For a recommendation:\n"
    "its stream and the streams of the feedback it cites; for feedback: its\n"
    "stream and the streams of the recommendations that cite it; otherwise\n"
    "the stream alone. Only entries with a sequence below the checkpoint's\n"
    "tree size are included, so the same checkpoint gives the same bytes.\n"
    "Check it offline with verify-bundle.\n"
    "\n"
    "  --out FILE   write the bundle to FILE (default: stdout)\n";

constexpr char kVerifyBundleUsage[] =
    "usage: ledgerctl verify-bundle FILE --vkey KEYLINE [--as-of DATE]\n"
    "                               [--policy FILE]\n"
    "\n"
    "Offline. Checks an evidence bundle: the checkpoint's signature with the\n"
    "pinned verifier key; for every entry that it decodes, is canonical, is\n"
    "in the stream claimed at the next stream version (1, 2, ... with no\n"
    "gap) and that its inclusion proof leads to the checkpoint's root; that\n"
    "the subject's stream (and, for a recommendation, every feedback stream\n"
    "it cites) is present. Then folds the bundle's entries alone and prints\n"
    "the subject's view row as JSON (protobuf's JSON mapping, proto field\n"
    "names), or null when there is none as of the date.\n"
    "\n"
    "  --as-of DATE   compute the row as of DATE (YYYY-MM-DD; default: today,\n"
    "                 UTC)\n"
    "  --policy FILE  the policy numbers the server uses (default: the\n"
    "                 documented defaults; docs/policy.md)\n"
    "\n"
    "Exit 0 valid, 1 invalid (which entry and why on stderr), 2 usage error.\n";

// ---------------------------------------------------------------- JSON out

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += absl::StrFormat("\\u%04x", c);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out += "\"";
  return out;
}

// One stream of a bundle, its entries in version order.
struct BundleStream {
  std::string stream;
  std::string role;  // "subject", "cited feedback", "citing recommendation"
  std::vector<v1::Entry> entries;
};

// Splits off a leading positional argument (STREAM, FILE); flags follow it.
std::optional<std::string> Positional(int argc, char** argv, int* first) {
  if (*first < argc && std::string(argv[*first]).rfind("--", 0) != 0) {
    return std::string(argv[(*first)++]);
  }
  return std::nullopt;
}

int Evidence(const ServerConnection& server, int argc, char** argv, int first) {
  std::optional<std::string> stream_arg = Positional(argc, argv, &first);
  CommandLine cl({"server", "out", "recommendation", "complaint", "feedback"}, {"help"});
  if (absl::Status s = cl.Parse(argc, argv, first); !s.ok()) {
    return UsageError(std::string(s.message()), kEvidenceUsage);
  }
  if (cl.Has("help")) {
    std::cout << kEvidenceUsage;
    return 0;
  }
  std::vector<std::string> subjects;
  if (stream_arg) subjects.push_back(*stream_arg);
  for (const char* kind : {"recommendation", "complaint", "feedback"}) {
    if (auto id = cl.Get(kind)) subjects.push_back(absl::StrCat(kind, "/", *id));
  }
  if (subjects.size() != 1) {
    return UsageError("give exactly one of STREAM, --recommendation, --complaint, --feedback",
                      kEvidenceUsage);
  }
  const std::string subject = subjects[0];
  if (!involvement::ParseStreamName(subject).has_value()) {
    return UsageError(absl::StrCat("'", subject, "' is not a domain stream (KIND/ID)"),
                      kEvidenceUsage);
  }

  const std::string address = cl.GetOr("server", server.address);
  LedgerClient client(address, server.options);
  absl::StatusOr<FetchedCheckpoint> cp = FetchCheckpoint(client);
  if (!cp.ok()) return EvidenceError("evidence", cp.status(), address);
  absl::StatusOr<std::string> out = BuildEvidenceBundle(client, address, *cp, subject);
  if (!out.ok()) return EvidenceError("evidence", out.status(), address);

  if (auto path = cl.Get("out")) {
    std::ofstream f(*path, std::ios::binary | std::ios::trunc);
    f << *out;
    f.close();
    if (!f) {
      std::cerr << "ledgerctl: cannot write " << *path << "\n";
      return 2;
    }
  } else {
    std::fwrite(out->data(), 1, out->size(), stdout);
    std::fflush(stdout);
  }
  return 0;
}

int VerifyBundle(const ServerConnection&, int argc, char** argv, int first) {
  std::optional<std::string> path = Positional(argc, argv, &first);
  CommandLine cl({"vkey", "as-of", "policy"}, {"help"});
  if (absl::Status s = cl.Parse(argc, argv, first); !s.ok()) {
    return UsageError(std::string(s.message()), kVerifyBundleUsage);
  }
  if (cl.Has("help")) {
    std::cout << kVerifyBundleUsage;
    return 0;
  }
  if (!path.has_value()) return UsageError("FILE is required", kVerifyBundleUsage);
  if (!cl.Has("vkey")) return UsageError("--vkey is required", kVerifyBundleUsage);
  absl::StatusOr<VerifierKey> key = ParseVerifierKey(*cl.Get("vkey"));
  if (!key.ok()) {
    return UsageError(absl::StrCat("--vkey: ", key.status().message()), kVerifyBundleUsage);
  }
  involvement::ViewQuery query;
  if (auto as_of = cl.Get("as-of")) {
    std::optional<involvement::CivilDate> d = involvement::CivilDate::Parse(*as_of);
    if (!d.has_value()) return UsageError("--as-of: expected YYYY-MM-DD", kVerifyBundleUsage);
    query.as_of = *d;
  } else {
    const absl::CivilDay day = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone());
    query.as_of = *involvement::CivilDate::FromYmd(static_cast<int>(day.year()), day.month(),
                                                   day.day());
  }
  involvement::Policy policy;
  if (auto p = cl.Get("policy")) {
    absl::StatusOr<involvement::Policy> loaded = involvement::LoadPolicy(*p);
    if (!loaded.ok()) {
      return UsageError(absl::StrCat("--policy: ", loaded.status().message()), kVerifyBundleUsage);
    }
    policy = *loaded;
  }
  std::ifstream in(*path, std::ios::binary);
  if (!in) {
    std::cerr << "ledgerctl: cannot read " << *path << "\n";
    return 2;
  }
  std::stringstream text;
  text << in.rdbuf();

  absl::StatusOr<VerifiedBundle> bundle = CheckEvidenceBundle(text.str(), *key);
  if (!bundle.ok()) return Invalid(std::string(bundle.status().message()));
  absl::StatusOr<std::optional<std::string>> row_json = BundleRowJson(*bundle, query, policy);
  if (!row_json.ok()) return Invalid(std::string(row_json.status().message()));
  std::cout << row_json->value_or("null") << "\n" << std::flush;
  std::cerr << "valid: " << bundle->entries << " entries of " << bundle->by_stream.size()
            << " streams proven against the checkpoint of " << bundle->checkpoint.size
            << " entries of " << bundle->checkpoint.origin << "; "
            << (*row_json ? "" : "no ") << bundle->kind << " row as of "
            << query.as_of.ToString() << (*row_json ? " printed" : "") << "\n";
  return 0;
}

}  // namespace

int EvidenceError(const std::string& what, const absl::Status& s, const std::string& server) {
  if (s.code() == absl::StatusCode::kDataLoss) return Invalid(std::string(s.message()));
  if (s.code() == absl::StatusCode::kNotFound) {
    std::cerr << "ledgerctl: " << what << ": " << s.message() << "\n";
    return 1;
  }
  return ServerError(what, s, server);
}

absl::StatusOr<FetchedCheckpoint> FetchCheckpoint(LedgerClient& client) {
  absl::StatusOr<v1::GetCheckpointResponse> cpr = client.GetCheckpoint();
  if (!cpr.ok()) {
    return absl::Status(cpr.status().code(), absl::StrCat("checkpoint: ", cpr.status().message()));
  }
  FetchedCheckpoint out;
  out.note = cpr->checkpoint();
  out.verifier_key = cpr->verifier_key();
  absl::StatusOr<VerifierKey> key = ParseVerifierKey(cpr->verifier_key());
  if (!key.ok()) {
    return absl::DataLossError(absl::StrCat("server's verifier key: ", key.status().message()));
  }
  out.key = *key;
  absl::StatusOr<Checkpoint> cp = VerifyCheckpoint(cpr->checkpoint(), *key);
  if (!cp.ok()) {
    return absl::DataLossError(absl::StrCat("server's checkpoint: ", cp.status().message()));
  }
  out.checkpoint = *cp;
  return out;
}

absl::StatusOr<std::string> BuildEvidenceBundle(LedgerClient& client, const std::string& address,
                                                const FetchedCheckpoint& fetched,
                                                const std::string& subject) {
  std::optional<involvement::StreamName> sn = involvement::ParseStreamName(subject);
  if (!sn.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", subject, "' is not a domain stream (KIND/ID)"));
  }
  const Checkpoint* cp = &fetched.checkpoint;
  const VerifierKey* key = &fetched.key;
  const uint64_t size = cp->size;
  auto server_error = [](const std::string& what, const absl::Status& s) {
    return absl::Status(s.code(), absl::StrCat(what, ": ", s.message()));
  };

  // The entries of `stream` in the checkpoint's tree, in version order.
  auto read_stream = [&](const std::string& stream, std::vector<v1::Entry>* out) {
    v1::ReadRequest req;
    req.set_stream(stream);
    return client.Read(req, [&](const v1::Entry& e) {
      if (e.sequence() < size) out->push_back(e);
      return true;
    });
  };

  std::vector<BundleStream> streams;
  streams.push_back({subject, "subject", {}});
  if (absl::Status s = read_stream(subject, &streams[0].entries); !s.ok()) {
    return server_error("read", s);
  }
  if (streams[0].entries.empty()) {
    return absl::NotFoundError(absl::StrCat("stream ", subject,
                                            " has no entries in the checkpoint of ", size,
                                            " entries"));
  }
  if (sn->kind == involvement::StreamKind::kRecommendation) {
    std::map<std::string, std::vector<v1::Entry>> by_stream = {{subject, streams[0].entries}};
    absl::StatusOr<iv1::DomainState> state = FoldBundleEntries(by_stream);
    if (!state.ok()) return absl::DataLossError(std::string(state.status().message()));
    std::set<std::string> cited;
    auto r = state->recommendations().find(sn->id);
    if (r != state->recommendations().end()) {
      cited.insert(r->second.made().feedback_ids().begin(), r->second.made().feedback_ids().end());
    }
    for (const std::string& fid : cited) {
      BundleStream bs{absl::StrCat("feedback/", fid), "cited feedback", {}};
      if (absl::Status s = read_stream(bs.stream, &bs.entries); !s.ok()) {
        return server_error("read", s);
      }
      streams.push_back(std::move(bs));
    }
  } else if (sn->kind == involvement::StreamKind::kFeedback) {
    // The recommendations citing it, as the server's view knows them.
    QueryClient query(address, client.options());
    iv1::ViewRequest vr;
    vr.set_id(sn->id);
    *vr.mutable_as_of() = involvement::CivilDate::FromYmd(9999, 12, 31)->ToProto();
    absl::StatusOr<iv1::YouSaidWeDidView> view = query.YouSaidWeDid(vr);
    if (!view.ok()) return server_error("you-said-we-did", view.status());
    std::set<std::string> citing;
    for (const auto& row : view->rows()) {
      citing.insert(row.recommendation_ids().begin(), row.recommendation_ids().end());
    }
    for (const std::string& rid : citing) {
      BundleStream bs{absl::StrCat("recommendation/", rid), "citing recommendation", {}};
      if (absl::Status s = read_stream(bs.stream, &bs.entries); !s.ok()) {
        return server_error("read", s);
      }
      if (!bs.entries.empty()) streams.push_back(std::move(bs));
    }
  }

  std::string out = absl::StrCat(
      "{\n  \"format\": ", JsonString(kEvidenceBundleFormat), ",\n  \"subject\": {\"kind\": ",
      JsonString(sn->kind_text), ", \"id\": ", JsonString(sn->id), ", \"stream\": ",
      JsonString(subject), "},\n  \"checkpoint\": ", JsonString(fetched.note),
      ",\n  \"origin\": ", JsonString(cp->origin), ",\n  \"tree_size\": \"", size,
      "\",\n  \"key_id\": \"", absl::StrFormat("%08x", key->key_id),
      "\",\n  \"scope\": ",
      JsonString("every entry of each stream below with a sequence below tree_size; "
                 "entries appended after the checkpoint are left out"),
      ",\n  \"streams\": [");
  for (size_t i = 0; i < streams.size(); ++i) {
    const BundleStream& bs = streams[i];
    absl::StrAppend(&out, i == 0 ? "\n" : ",\n", "    {\"stream\": ", JsonString(bs.stream),
                    ", \"role\": ", JsonString(bs.role), ", \"entries\": [");
    for (size_t j = 0; j < bs.entries.size(); ++j) {
      const v1::Entry& e = bs.entries[j];
      const std::string bytes = SerializeEntry(e);
      absl::StatusOr<v1::GetInclusionProofResponse> proof =
          client.GetInclusionProof(e.sequence(), size);
      if (!proof.ok()) return server_error("inclusion proof", proof.status());
      if (proof->leaf_hash() != AsBytes(LeafHash(bytes))) {
        return absl::DataLossError(absl::StrCat(
            "entry ", e.sequence(), ": the server's leaf hash is not that of the entry read"));
      }
      absl::StrAppend(&out, j == 0 ? "\n" : ",\n", "      {\"sequence\": \"", e.sequence(),
                      "\", \"stream_version\": \"", e.stream_version(), "\", \"entry\": \"",
                      absl::Base64Escape(bytes), "\", \"proof\": [");
      for (int k = 0; k < proof->hashes_size(); ++k) {
        absl::StrAppend(&out, k == 0 ? "" : ", ", "\"", HexEncode(proof->hashes(k)), "\"");
      }
      out += "]}";
    }
    out += bs.entries.empty() ? "]}" : "\n    ]}";
  }
  out += "\n  ]\n}\n";
  return out;
}

const std::vector<CliCommand>& EvidenceCommands() {
  static const std::vector<CliCommand> kCommands = {
      {"evidence", "write an evidence bundle for a stream or view row",
       kEvidenceUsage, Evidence},
      {"verify-bundle", "offline: check an evidence bundle and recompute its row",
       kVerifyBundleUsage, VerifyBundle},
  };
  return kCommands;
}

}  // namespace ledger

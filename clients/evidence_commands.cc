#include "clients/evidence_commands.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

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
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "clients/cli_common.h"
#include "clients/command_line.h"
#include "clients/ledger_client.h"
#include "clients/query_client.h"
#include "involvement/v1/state.pb.h"
#include "involvement/v1/views.pb.h"
#include "ledger/entry.h"
#include "ledger/hash.h"
#include "ledger/merkle.h"
#include "ledger/signed_note.h"
#include "projections/civil_date.h"
#include "projections/domain_fold.h"
#include "projections/event_codec.h"
#include "projections/policy.h"
#include "projections/views.h"

namespace ledger {

namespace {

namespace pb = google::protobuf;
namespace iv1 = involvement::v1;

constexpr char kFormat[] = "involvement-ledger/evidence/1";

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

// A stream reader over a fixed set of entries (the bundle's).
involvement::StreamReader ReaderOver(const std::map<std::string, std::vector<v1::Entry>>& by_stream) {
  return [&by_stream](const std::string& stream,
                      const std::function<absl::Status(const v1::Entry&)>& visit) {
    auto it = by_stream.find(stream);
    if (it == by_stream.end()) return absl::OkStatus();
    for (const v1::Entry& e : it->second) {
      if (absl::Status s = visit(e); !s.ok()) return s;
    }
    return absl::OkStatus();
  };
}

// Folds `entries` (any order) sparsely, in sequence order.
absl::StatusOr<iv1::DomainState> FoldSparse(
    const std::map<std::string, std::vector<v1::Entry>>& by_stream) {
  std::vector<const v1::Entry*> all;
  for (const auto& [stream, entries] : by_stream) {
    for (const v1::Entry& e : entries) all.push_back(&e);
  }
  std::sort(all.begin(), all.end(), [](const v1::Entry* a, const v1::Entry* b) {
    return a->sequence() < b->sequence();
  });
  iv1::DomainState state;
  const involvement::StreamReader reader = ReaderOver(by_stream);
  for (const v1::Entry* e : all) {
    if (absl::Status s = involvement::FoldEntrySparse(*e, state, reader); !s.ok()) return s;
  }
  return state;
}

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

// ------------------------------------------------------------- verification

const pb::Value* Field(const pb::Struct& s, const std::string& key) {
  auto it = s.fields().find(key);
  return it == s.fields().end() ? nullptr : &it->second;
}

absl::StatusOr<std::string> StringField(const pb::Struct& s, const std::string& key,
                                        const std::string& where) {
  const pb::Value* v = Field(s, key);
  if (v == nullptr || !v->has_string_value()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": \"", key, "\" missing or not a string"));
  }
  return v->string_value();
}

absl::StatusOr<uint64_t> UintField(const pb::Struct& s, const std::string& key,
                                   const std::string& where) {
  absl::StatusOr<std::string> text = StringField(s, key, where);
  if (!text.ok()) return text.status();
  uint64_t n = 0;
  if (!absl::SimpleAtoi(*text, &n) || absl::StrCat(n) != *text) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": \"", key, "\" is not a decimal number"));
  }
  return n;
}

absl::StatusOr<const pb::ListValue*> ListField(const pb::Struct& s, const std::string& key,
                                               const std::string& where) {
  const pb::Value* v = Field(s, key);
  if (v == nullptr || !v->has_list_value()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": \"", key, "\" missing or not a list"));
  }
  return &v->list_value();
}

// What a valid bundle holds.
struct VerifiedBundle {
  std::string kind;
  std::string id;
  std::string subject;
  Checkpoint checkpoint;
  std::map<std::string, std::vector<v1::Entry>> by_stream;
  size_t entries = 0;
};

absl::StatusOr<VerifiedBundle> CheckBundle(const std::string& text, const VerifierKey& key) {
  pb::Struct root;
  if (!pb::util::JsonStringToMessage(text, &root).ok()) {
    return absl::InvalidArgumentError("not a JSON object");
  }
  absl::StatusOr<std::string> format = StringField(root, "format", "bundle");
  if (!format.ok()) return format.status();
  if (*format != kFormat) {
    return absl::InvalidArgumentError(absl::StrCat("format '", *format, "' is not ", kFormat));
  }
  VerifiedBundle out;
  // The checkpoint, and the fields that describe it.
  absl::StatusOr<std::string> note = StringField(root, "checkpoint", "bundle");
  if (!note.ok()) return note.status();
  absl::StatusOr<Checkpoint> cp = VerifyCheckpoint(*note, key);
  if (!cp.ok()) return absl::InvalidArgumentError(absl::StrCat("checkpoint: ", cp.status().message()));
  out.checkpoint = *cp;
  absl::StatusOr<std::string> origin = StringField(root, "origin", "bundle");
  absl::StatusOr<uint64_t> tree_size = UintField(root, "tree_size", "bundle");
  absl::StatusOr<std::string> key_id = StringField(root, "key_id", "bundle");
  for (const absl::Status& s : {origin.status(), tree_size.status(), key_id.status()}) {
    if (!s.ok()) return s;
  }
  if (*origin != cp->origin) {
    return absl::InvalidArgumentError(absl::StrCat("origin '", *origin,
                                                   "' is not the checkpoint's '", cp->origin, "'"));
  }
  if (*tree_size != cp->size) {
    return absl::InvalidArgumentError(absl::StrCat("tree_size ", *tree_size,
                                                   " is not the checkpoint's ", cp->size));
  }
  if (*key_id != absl::StrFormat("%08x", key.key_id)) {
    return absl::InvalidArgumentError(absl::StrCat("key_id ", *key_id,
                                                   " is not the pinned key's ",
                                                   absl::StrFormat("%08x", key.key_id)));
  }
  // The subject.
  const pb::Value* subject = Field(root, "subject");
  if (subject == nullptr || !subject->has_struct_value()) {
    return absl::InvalidArgumentError("bundle: \"subject\" missing or not an object");
  }
  absl::StatusOr<std::string> kind = StringField(subject->struct_value(), "kind", "subject");
  absl::StatusOr<std::string> id = StringField(subject->struct_value(), "id", "subject");
  absl::StatusOr<std::string> stream = StringField(subject->struct_value(), "stream", "subject");
  for (const absl::Status& s : {kind.status(), id.status(), stream.status()}) {
    if (!s.ok()) return s;
  }
  std::optional<involvement::StreamName> sn = involvement::ParseStreamName(*stream);
  if (!sn.has_value() || sn->kind_text != *kind || sn->id != *id) {
    return absl::InvalidArgumentError(absl::StrCat("subject stream '", *stream,
                                                   "' is not ", *kind, "/", *id));
  }
  out.kind = *kind;
  out.id = *id;
  out.subject = *stream;
  // Every entry.
  absl::StatusOr<const pb::ListValue*> streams = ListField(root, "streams", "bundle");
  if (!streams.ok()) return streams.status();
  std::set<uint64_t> sequences;
  for (int i = 0; i < (*streams)->values_size(); ++i) {
    const pb::Value& sv = (*streams)->values(i);
    const std::string where = absl::StrCat("streams[", i, "]");
    if (!sv.has_struct_value()) return absl::InvalidArgumentError(absl::StrCat(where, ": not an object"));
    absl::StatusOr<std::string> name = StringField(sv.struct_value(), "stream", where);
    if (!name.ok()) return name.status();
    if (out.by_stream.count(*name) > 0) {
      return absl::InvalidArgumentError(absl::StrCat("stream ", *name, " appears twice"));
    }
    std::vector<v1::Entry>& kept = out.by_stream[*name];
    absl::StatusOr<const pb::ListValue*> entries = ListField(sv.struct_value(), "entries", where);
    if (!entries.ok()) return entries.status();
    for (int j = 0; j < (*entries)->values_size(); ++j) {
      const pb::Value& ev = (*entries)->values(j);
      const std::string at = absl::StrCat("stream ", *name, " entry ", j + 1);
      if (!ev.has_struct_value()) return absl::InvalidArgumentError(absl::StrCat(at, ": not an object"));
      const pb::Struct& es = ev.struct_value();
      absl::StatusOr<uint64_t> seq = UintField(es, "sequence", at);
      absl::StatusOr<std::string> b64 = StringField(es, "entry", at);
      absl::StatusOr<const pb::ListValue*> proof = ListField(es, "proof", at);
      for (const absl::Status& s : {seq.status(), b64.status(), proof.status()}) {
        if (!s.ok()) return s;
      }
      const std::string who = absl::StrCat(at, " (sequence ", *seq, ")");
      std::string bytes;
      if (!absl::Base64Unescape(*b64, &bytes) || absl::Base64Escape(bytes) != *b64) {
        return absl::InvalidArgumentError(absl::StrCat(who, ": entry is not canonical base64"));
      }
      absl::StatusOr<v1::Entry> e = ParseStoredEntry(bytes);
      if (!e.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(who, ": ", e.status().message()));
      }
      if (e->sequence() != *seq) {
        return absl::InvalidArgumentError(
            absl::StrCat(who, ": the entry's own sequence is ", e->sequence()));
      }
      if (e->stream() != *name) {
        return absl::InvalidArgumentError(
            absl::StrCat(who, ": the entry belongs to stream ", e->stream()));
      }
      if (e->stream_version() != static_cast<uint64_t>(j + 1)) {
        return absl::InvalidArgumentError(absl::StrCat(
            who, ": stream version ", e->stream_version(), " where ", j + 1,
            " was due (an entry is missing or out of order)"));
      }
      if (*seq >= cp->size) {
        return absl::InvalidArgumentError(
            absl::StrCat(who, ": not in the checkpoint's tree of ", cp->size, " entries"));
      }
      if (!sequences.insert(*seq).second) {
        return absl::InvalidArgumentError(absl::StrCat(who, ": sequence appears twice"));
      }
      std::vector<std::string> hashes;
      for (int k = 0; k < (*proof)->values_size(); ++k) {
        const pb::Value& h = (*proof)->values(k);
        std::optional<std::string> raw =
            h.has_string_value() ? HexDecode(h.string_value()) : std::nullopt;
        if (!raw.has_value()) {
          return absl::InvalidArgumentError(absl::StrCat(who, ": proof element ", k, " is not hex"));
        }
        hashes.push_back(*raw);
      }
      if (absl::Status s = VerifyInclusion(AsBytes(LeafHash(bytes)), *seq, cp->size,
                                           AsBytes(cp->root), hashes);
          !s.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(who, ": inclusion proof does not verify: ", s.message()));
      }
      kept.push_back(*std::move(e));
      ++out.entries;
    }
  }
  auto subject_entries = out.by_stream.find(out.subject);
  if (subject_entries == out.by_stream.end() || subject_entries->second.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("the subject's stream ", out.subject,
                                                   " is not in the bundle"));
  }
  return out;
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

  absl::StatusOr<VerifiedBundle> bundle = CheckBundle(text.str(), *key);
  if (!bundle.ok()) return Invalid(std::string(bundle.status().message()));
  absl::StatusOr<iv1::DomainState> state = FoldSparse(bundle->by_stream);
  if (!state.ok()) return Invalid(absl::StrCat("fold: ", state.status().message()));
  query.id = bundle->id;
  if (bundle->kind == "recommendation") {
    // Every feedback stream the recommendation cites must come with it.
    auto r = state->recommendations().find(bundle->id);
    if (r != state->recommendations().end()) {
      for (const std::string& fid : r->second.made().feedback_ids()) {
        if (bundle->by_stream.count(absl::StrCat("feedback/", fid)) == 0) {
          return Invalid(absl::StrCat("the cited feedback stream feedback/", fid,
                                      " is not in the bundle"));
        }
      }
    }
  }
  std::optional<std::string> row_json;
  pb::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  auto print = [&](const auto& view) {
    if (view.rows_size() > 0) {
      std::string json;
      (void)pb::util::MessageToJsonString(view.rows(0), &json, options);
      row_json = json;
    }
  };
  if (bundle->kind == "recommendation") {
    print(involvement::RecommendationsViewOf(*state, query, policy));
  } else if (bundle->kind == "complaint") {
    print(involvement::ComplaintsViewOf(*state, query, policy));
  } else if (bundle->kind == "feedback") {
    print(involvement::YouSaidWeDidViewOf(*state, query, policy));
  }
  std::cout << row_json.value_or("null") << "\n" << std::flush;
  std::cerr << "valid: " << bundle->entries << " entries of " << bundle->by_stream.size()
            << " streams proven against the checkpoint of " << bundle->checkpoint.size
            << " entries of " << bundle->checkpoint.origin << "; "
            << (row_json ? "" : "no ") << bundle->kind << " row as of "
            << query.as_of.ToString() << (row_json ? " printed" : "") << "\n";
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
    absl::StatusOr<iv1::DomainState> state = FoldSparse(by_stream);
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
      "{\n  \"format\": ", JsonString(kFormat), ",\n  \"subject\": {\"kind\": ",
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

#include "clients/evidence_bundle.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ledger/entry.h"
#include "ledger/hash.h"
#include "ledger/merkle.h"
#include "projections/domain_fold.h"
#include "projections/event_codec.h"

namespace ledger {

namespace pb = google::protobuf;
namespace iv1 = involvement::v1;

namespace {

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

}  // namespace

absl::StatusOr<iv1::DomainState> FoldBundleEntries(
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


absl::StatusOr<VerifiedBundle> CheckEvidenceBundle(const std::string& text,
                                                   const VerifierKey& key) {
  pb::Struct root;
  if (!pb::util::JsonStringToMessage(text, &root).ok()) {
    return absl::InvalidArgumentError("not a JSON object");
  }
  absl::StatusOr<std::string> format = StringField(root, "format", "bundle");
  if (!format.ok()) return format.status();
  if (*format != kEvidenceBundleFormat) {
    return absl::InvalidArgumentError(absl::StrCat("format '", *format, "' is not ", kEvidenceBundleFormat));
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


absl::StatusOr<std::optional<std::string>> BundleRowJson(const VerifiedBundle& bundle,
                                                         involvement::ViewQuery query,
                                                         const involvement::Policy& policy) {
  absl::StatusOr<iv1::DomainState> state = FoldBundleEntries(bundle.by_stream);
  if (!state.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("fold: ", state.status().message()));
  }
  query.id = bundle.id;
  if (bundle.kind == "recommendation") {
    // Every feedback stream the recommendation cites must come with it.
    auto r = state->recommendations().find(bundle.id);
    if (r != state->recommendations().end()) {
      for (const std::string& fid : r->second.made().feedback_ids()) {
        if (bundle.by_stream.count(absl::StrCat("feedback/", fid)) == 0) {
          return absl::InvalidArgumentError(absl::StrCat(
              "the cited feedback stream feedback/", fid, " is not in the bundle"));
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
  if (bundle.kind == "recommendation") {
    print(involvement::RecommendationsViewOf(*state, query, policy));
  } else if (bundle.kind == "complaint") {
    print(involvement::ComplaintsViewOf(*state, query, policy));
  } else if (bundle.kind == "feedback") {
    print(involvement::YouSaidWeDidViewOf(*state, query, policy));
  }
  return row_json;
}

}  // namespace ledger

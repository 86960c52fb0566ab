// Fuzz target: `ledgerctl verify-bundle` on an untrusted evidence bundle
// (clients/evidence_bundle.h): the bundle's JSON, its checkpoint, every
// entry and inclusion proof, then the fold and the subject's view row.
//
// The input is a bundle whose "checkpoint" field holds the checkpoint's
// text unsigned: the target signs it with its own key and verifies with
// that key (and writes its key id into "key_id"), so mutations get past the signature to the entries and the
// fold (a fuzzer cannot forge Ed25519). The input is also checked as it
// is, which fails at the signature or earlier.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_format.h"
#include "clients/evidence_bundle.h"
#include "ledger/signed_note.h"
#include "projections/civil_date.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

namespace pb = google::protobuf;

const ledger::NoteSigner& Signer() {
  static const ledger::NoteSigner* signer =
      ledger::NoteSigner::Generate("fuzz.example/log").value().release();
  return *signer;
}

void Check(const std::string& text) {
  absl::StatusOr<ledger::VerifiedBundle> bundle =
      ledger::CheckEvidenceBundle(text, Signer().verifier_key());
  if (!bundle.ok()) {
    FUZZ_CHECK(bundle.status().code() == absl::StatusCode::kInvalidArgument);
    return;
  }
  FUZZ_CHECK(bundle->by_stream.count(bundle->subject) == 1);
  involvement::ViewQuery query;
  query.as_of = *involvement::CivilDate::FromYmd(2027, 1, 1);
  absl::StatusOr<std::optional<std::string>> row =
      ledger::BundleRowJson(*bundle, query, involvement::Policy());
  if (!row.ok()) {
    FUZZ_CHECK(row.status().code() == absl::StatusCode::kInvalidArgument);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  QuietProtobufLogs();
  const std::string input(reinterpret_cast<const char*>(data), size);
  Check(input);

  pb::Struct root;
  if (!pb::util::JsonStringToMessage(input, &root).ok()) return 0;
  auto checkpoint = root.mutable_fields()->find("checkpoint");
  if (checkpoint == root.mutable_fields()->end() ||
      !checkpoint->second.has_string_value()) {
    return 0;
  }
  absl::StatusOr<std::string> note = Signer().Sign(checkpoint->second.string_value());
  if (!note.ok()) return 0;
  checkpoint->second.set_string_value(*note);
  (*root.mutable_fields())["key_id"].set_string_value(
      absl::StrFormat("%08x", Signer().verifier_key().key_id));
  std::string signed_bundle;
  FUZZ_CHECK(pb::util::MessageToJsonString(root, &signed_bundle).ok());
  Check(signed_bundle);
  return 0;
}

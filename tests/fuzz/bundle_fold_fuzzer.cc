// Fuzz target: what `ledgerctl verify-bundle` does with a bundle's entries
// once their proofs check: the fold (ledger::FoldBundleEntries) and every
// view over the folded state. The entries are signed by the log, but an
// auditor's tool must not crash on whatever a faulty or hostile server
// signed. (The evidence_bundle target cannot reach this with arbitrary
// entries: changing an entry's bytes breaks its inclusion proof.)
//
// Input: records of a 2-byte little-endian length and that many bytes of a
// stored ledger.v1.Entry; records that do not parse are skipped. The first
// parsed entry's stream is the bundle's subject.
#include <string>
#include <string_view>

#include "clients/evidence_bundle.h"
#include "ledger/entry.h"
#include "projections/civil_date.h"
#include "projections/event_codec.h"
#include "projections/indicator_views.h"
#include "projections/views.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  QuietProtobufLogs();
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  ledger::VerifiedBundle bundle;
  while (rest.size() >= 2) {
    const size_t len = static_cast<uint8_t>(rest[0]) | (static_cast<uint8_t>(rest[1]) << 8);
    rest.remove_prefix(2);
    const std::string_view bytes = rest.substr(0, len);
    rest.remove_prefix(bytes.size());
    absl::StatusOr<ledger::v1::Entry> entry = ledger::ParseStoredEntry(bytes);
    if (!entry.ok()) continue;
    if (bundle.subject.empty()) bundle.subject = entry->stream();
    bundle.by_stream[entry->stream()].push_back(*std::move(entry));
    ++bundle.entries;
  }
  std::optional<involvement::StreamName> subject = involvement::ParseStreamName(bundle.subject);
  if (!subject.has_value()) return 0;
  bundle.kind = subject->kind_text;
  bundle.id = subject->id;

  involvement::ViewQuery query;
  query.as_of = *involvement::CivilDate::FromYmd(2027, 1, 1);
  const involvement::Policy policy;
  absl::StatusOr<std::optional<std::string>> row = ledger::BundleRowJson(bundle, query, policy);
  if (!row.ok()) {
    FUZZ_CHECK(row.status().code() == absl::StatusCode::kInvalidArgument);
  }
  absl::StatusOr<involvement::v1::DomainState> state = ledger::FoldBundleEntries(bundle.by_stream);
  if (!state.ok()) return 0;
  (void)involvement::RecommendationsViewOf(*state, query, policy);
  (void)involvement::YouSaidWeDidViewOf(*state, query, policy);
  (void)involvement::BodiesViewOf(*state, query, policy);
  (void)involvement::ComplaintsViewOf(*state, query, policy);
  (void)involvement::ComplianceViewOf(*state, query, policy);
  (void)involvement::RecruitmentViewOf(*state, query);
  (void)involvement::IndicatorsViewOf(*state, query, 0);
  return 0;
}

#include "projections/projection_runner.h"

#include "absl/strings/str_cat.h"
#include "ledger/entry.h"
#include "ledger/keys.h"
#include "ledger/status_macros.h"
#include "projections/domain_fold.h"

namespace involvement {

absl::Status FoldStore(const ledger::LedgerStore& store, uint64_t log_size,
                       v1::DomainState& state) {
  if (state.position() >= log_size) return absl::OkStatus();
  const StreamReader read_stream =
      [&store](const std::string& stream,
               const std::function<absl::Status(const ledger::v1::Entry&)>& visit) {
        for (uint64_t v = 1;; ++v) {
          absl::StatusOr<uint64_t> seq = store.StreamSequence(stream, v);
          if (absl::IsNotFound(seq.status())) return absl::OkStatus();
          RETURN_IF_ERROR(seq.status());
          ASSIGN_OR_RETURN(std::string bytes, store.GetEntryBytes(*seq));
          ASSIGN_OR_RETURN(ledger::v1::Entry e, ledger::ParseStoredEntry(bytes));
          RETURN_IF_ERROR(visit(e));
        }
      };
  std::unique_ptr<rocksdb::Iterator> it = store.NewIterator(store.entries());
  ledger::v1::Entry e;  // reused: parsing into it allocates little
  for (it->Seek(ledger::EntryKey(state.position()));
       it->Valid() && state.position() < log_size; it->Next()) {
    RETURN_IF_ERROR(ledger::ParseStoredEntryInto(it->value().ToStringView(), &e));
    RETURN_IF_ERROR(FoldEntry(e, state, read_stream));
  }
  RETURN_IF_ERROR(ledger::FromRocksStatus(it->status(), "cannot read entries"));
  if (state.position() < log_size) {
    return absl::DataLossError(absl::StrCat("entry ", state.position(),
                                            " is missing; run ledger-verify"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<ProjectionRunner>> ProjectionRunner::Open(
    ledger::LedgerStore* store) {
  std::unique_ptr<ProjectionRunner> r(new ProjectionRunner(store));
  std::string value;
  rocksdb::Status s = store->db()->Get(rocksdb::ReadOptions(), store->projections(),
                                       kStateKey, &value);
  if (!s.IsNotFound()) {
    RETURN_IF_ERROR(ledger::FromRocksStatus(s, "cannot read the saved views"));
    ASSIGN_OR_RETURN(ledger::LogHead head, store->ReadHead());
    v1::DomainState saved;
    if (saved.ParseFromString(value) && saved.version() == kFoldVersion &&
        saved.position() <= head.size) {
      r->state_ = std::move(saved);
      r->saved_position_ = r->state_.position();
    }
  }
  return r;
}

absl::Status ProjectionRunner::CatchUpLocked(uint64_t log_size) {
  RETURN_IF_ERROR(FoldStore(*store_, log_size, state_));
  if (state_.position() >= saved_position_ + kSaveEvery) RETURN_IF_ERROR(SaveLocked());
  return absl::OkStatus();
}

absl::Status ProjectionRunner::WithStateAt(
    uint64_t log_size, const std::function<void(const v1::DomainState&)>& use) {
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(CatchUpLocked(log_size));
  use(state_);
  return absl::OkStatus();
}

absl::Status ProjectionRunner::SaveLocked() {
  rocksdb::WriteBatch batch;
  batch.Put(store_->projections(), kStateKey, ledger::SerializeDeterministic(state_));
  RETURN_IF_ERROR(store_->Write(&batch, /*sync=*/false));
  saved_position_ = state_.position();
  return absl::OkStatus();
}

absl::Status ProjectionRunner::Save() {
  std::lock_guard<std::mutex> lock(mu_);
  return SaveLocked();
}

absl::StatusOr<v1::DomainState> ProjectionRunner::Rebuild(const ledger::LedgerStore& store,
                                                          uint64_t log_size) {
  v1::DomainState state;
  RETURN_IF_ERROR(FoldStore(store, log_size, state));
  return state;
}

}  // namespace involvement

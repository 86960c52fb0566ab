// ProjectionRunner: keeps the involvement views' folded state up to date
// with the log, and persisted. The state is folded from the committed
// entries on demand (before each query) and saved, with the log position it
// reached, in the ledger's `projections` column family every
// kSaveEvery entries and at Stop, so a restart folds only what is new.
// A saved state from a log that no longer reaches its position, or that
// does not parse, is discarded and the log folded again from the start.
//
// Thread safety: all methods may be called from any thread; they serialise
// on one mutex.
#ifndef PROJECTIONS_PROJECTION_RUNNER_H_
#define PROJECTIONS_PROJECTION_RUNNER_H_

#include <functional>
#include <memory>
#include <mutex>

#include "absl/status/statusor.h"
#include "involvement/v1/state.pb.h"
#include "ledger/store.h"

namespace involvement {

// Key of the saved state in the `projections` family.
inline constexpr char kStateKey[] = "involvement.v1.DomainState";

class ProjectionRunner {
 public:
  static constexpr uint64_t kSaveEvery = 1000;

  // Loads the saved state, if any. `store` must outlive the runner.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<ProjectionRunner>> Open(
      ledger::LedgerStore* store);

  // Folds entries up to `log_size`, then calls `use` with the state.
  [[nodiscard]] absl::Status WithStateAt(
      uint64_t log_size, const std::function<void(const v1::DomainState&)>& use);

  // Saves the state now.
  [[nodiscard]] absl::Status Save();

  // Folds every entry of `store` into a fresh state, without saving.
  [[nodiscard]] static absl::StatusOr<v1::DomainState> Rebuild(
      const ledger::LedgerStore& store, uint64_t log_size);

 private:
  explicit ProjectionRunner(ledger::LedgerStore* store) : store_(store) {}
  absl::Status CatchUpLocked(uint64_t log_size);
  absl::Status SaveLocked();

  ledger::LedgerStore* const store_;
  std::mutex mu_;
  v1::DomainState state_;
  uint64_t saved_position_ = 0;
};

// Folds the entries [state.position(), log_size) of `store` into `state`.
[[nodiscard]] absl::Status FoldStore(const ledger::LedgerStore& store, uint64_t log_size,
                                     v1::DomainState& state);

}  // namespace involvement

#endif  // PROJECTIONS_PROJECTION_RUNNER_H_

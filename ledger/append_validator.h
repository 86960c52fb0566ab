// The hook through which a domain checks events before they are written,
// without the ledger knowing the domain. projections/ implements it.
#ifndef LEDGER_APPEND_VALIDATOR_H_
#define LEDGER_APPEND_VALIDATOR_H_

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "ledger/v1/ledger.pb.h"

namespace ledger {

// The events already in one stream, oldest first, including any accepted
// earlier in the same group commit.
class StreamHistory {
 public:
  virtual ~StreamHistory() = default;
  // Calls `visit` for each entry in version order; stops at, and returns,
  // the first non-OK status from `visit` or from reading.
  virtual absl::Status ForEach(
      const std::function<absl::Status(const ledger::v1::Entry&)>& visit)
      const = 0;
};

// An append the writer is about to commit.
struct ProposedAppend {
  std::string_view stream;
  uint64_t current_version = 0;                  // before this append
  const std::vector<ledger::v1::Entry>* entries;  // the new entries, complete
};

// Implementations check domain rules. Called on the writer's stager thread, one
// append at a time in log order; must not block for long or call back into
// the writer. Return OK to accept; any other status rejects the whole
// append and is sent to the client as is (rule breaches should be
// FAILED_PRECONDITION naming the rule).
class AppendValidator {
 public:
  virtual ~AppendValidator() = default;
  virtual absl::Status Validate(const ProposedAppend& append,
                                const StreamHistory& history) = 0;
  // Whether Validate may read the history of `stream`. When false the
  // writer need not keep a group's earlier entries of the stream at hand,
  // and Validate must not call history.ForEach for it.
  virtual bool NeedsHistory(std::string_view stream) const { return true; }
};

}  // namespace ledger

#endif  // LEDGER_APPEND_VALIDATOR_H_

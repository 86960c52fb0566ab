// Reading a ledgerd's entries into a vector, for the end-to-end tests.
#ifndef LEDGER_TESTS_INTEGRATION_READ_ENTRIES_H_
#define LEDGER_TESTS_INTEGRATION_READ_ENTRIES_H_

#include <vector>

#include "absl/status/statusor.h"
#include "clients/ledger_client.h"
#include "ledger/v1/ledger.pb.h"

namespace ledger::testing {

// Every entry `request` selects, in the order the server sends them.
[[nodiscard]] inline absl::StatusOr<std::vector<ledger::v1::Entry>> ReadEntries(
    LedgerClient& client, const ledger::v1::ReadRequest& request = {}) {
  std::vector<ledger::v1::Entry> entries;
  absl::Status s = client.Read(request, [&](const ledger::v1::Entry& e) {
    entries.push_back(e);
    return true;
  });
  if (!s.ok()) return s;
  return entries;
}

}  // namespace ledger::testing

#endif  // LEDGER_TESTS_INTEGRATION_READ_ENTRIES_H_

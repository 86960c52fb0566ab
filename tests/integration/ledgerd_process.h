// LedgerdProcess: a real ledgerd serving a database of the test's on
// 127.0.0.1, on a port the kernel picks, for the end-to-end tests.
//
// Thread safety: one LedgerdProcess is used from one thread at a time;
// clients on any thread may talk to address() meanwhile.
#ifndef LEDGER_TESTS_INTEGRATION_LEDGERD_PROCESS_H_
#define LEDGER_TESTS_INTEGRATION_LEDGERD_PROCESS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tests/integration/process.h"

namespace ledger::testing {

class LedgerdProcess {
 public:
  // Starts `ledgerd --db DB_PATH --listen 127.0.0.1:0 EXTRA_ARGS...` and
  // waits for its "listening on HOST:PORT" line. Fails, with ledgerd's
  // stderr in the message, if it exits or stays silent instead.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<LedgerdProcess>> Start(
      const std::string& db_path, const std::vector<std::string>& extra_args = {});

  // Kills ledgerd (SIGKILL) if it is still running.
  ~LedgerdProcess() = default;

  // The HOST:PORT it printed.
  const std::string& address() const { return address_; }

  // Sends SIGTERM and waits for the exit; OK only for exit code 0. Destroy
  // idle LedgerClients of this server first: ledgerd's graceful stop waits
  // for each connection to answer its GOAWAY ping, and a gRPC client with
  // no call in flight reads its socket only at its backup poll (every 5 s).
  [[nodiscard]] absl::Status Stop();

  // Sends SIGKILL and waits until it is dead: a crash.
  [[nodiscard]] absl::Status Kill();

  Subprocess& process() { return *process_; }

 private:
  LedgerdProcess(std::unique_ptr<Subprocess> process, std::string address)
      : process_(std::move(process)), address_(std::move(address)) {}

  std::unique_ptr<Subprocess> process_;
  std::string address_;
};

}  // namespace ledger::testing

#endif  // LEDGER_TESTS_INTEGRATION_LEDGERD_PROCESS_H_

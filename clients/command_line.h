// CommandLine: the flag parser shared by ledgerctl, ledger-verify and
// ledger-bench. Flags are `--name VALUE`, `--name=VALUE` or, for switches,
// `--name`; anything else is a usage error.
#ifndef CLIENTS_COMMAND_LINE_H_
#define CLIENTS_COMMAND_LINE_H_

#include <map>
#include <optional>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ledger {

class CommandLine {
 public:
  // `valued` lists flags that take a value, `switches` those that do not
  // (names without the leading dashes).
  CommandLine(std::set<std::string> valued, std::set<std::string> switches)
      : valued_(std::move(valued)), switches_(std::move(switches)) {}

  // Parses argv[first..argc). INVALID_ARGUMENT names the offending
  // argument.
  [[nodiscard]] absl::Status Parse(int argc, char** argv, int first);

  bool Has(const std::string& name) const { return values_.count(name) > 0; }
  std::optional<std::string> Get(const std::string& name) const;
  std::string GetOr(const std::string& name, const std::string& fallback) const;
  // The flag as an unsigned number; INVALID_ARGUMENT naming it otherwise.
  [[nodiscard]] absl::StatusOr<uint64_t> GetUint(const std::string& name,
                                                 uint64_t fallback) const;

 private:
  std::set<std::string> valued_;
  std::set<std::string> switches_;
  std::map<std::string, std::string> values_;
};

}  // namespace ledger

#endif  // CLIENTS_COMMAND_LINE_H_

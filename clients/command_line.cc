#include "clients/command_line.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace ledger {

absl::Status CommandLine::Parse(int argc, char** argv, int first) {
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.size() < 3 || arg.compare(0, 2, "--") != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument '", arg, "'"));
    }
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (switches_.count(name) > 0) {
      if (value.has_value()) {
        return absl::InvalidArgumentError(
            absl::StrCat("--", name, " takes no value"));
      }
      values_[name] = "";
    } else if (valued_.count(name) > 0) {
      if (!value.has_value()) {
        if (i + 1 >= argc) {
          return absl::InvalidArgumentError(
              absl::StrCat("--", name, " needs a value"));
        }
        value = argv[++i];
      }
      values_[name] = *value;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag --", name));
    }
  }
  return absl::OkStatus();
}

std::optional<std::string> CommandLine::Get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string CommandLine::GetOr(const std::string& name,
                               const std::string& fallback) const {
  return Get(name).value_or(fallback);
}

absl::StatusOr<uint64_t> CommandLine::GetUint(const std::string& name,
                                              uint64_t fallback) const {
  std::optional<std::string> v = Get(name);
  if (!v.has_value()) return fallback;
  uint64_t n = 0;
  if (!absl::SimpleAtoi(*v, &n)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, ": '", *v, "' is not a non-negative number"));
  }
  return n;
}

}  // namespace ledger

// Fuzz target: the JSON that `ledgerctl append` turns into events. The
// whole input is parsed as one `--file` line (ledger::ParseEventJsonLine);
// then its first line is taken as a `--type` and the rest as `--data`
// (ledger::PackJsonPayload), and an accepted payload is printed back as
// `ledgerctl read` prints entries.
#include <string>

#include "clients/event_json.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  QuietProtobufLogs();
  const std::string input(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<ledger::JsonlEvent> line = ledger::ParseEventJsonLine(input);
  if (!line.ok()) {
    FUZZ_CHECK(line.status().code() == absl::StatusCode::kInvalidArgument);
  }

  const size_t newline = input.find('\n');
  if (newline == std::string::npos) return 0;
  absl::StatusOr<google::protobuf::Any> payload =
      ledger::PackJsonPayload(input.substr(0, newline), input.substr(newline + 1));
  if (!payload.ok()) {
    FUZZ_CHECK(payload.status().code() == absl::StatusCode::kInvalidArgument);
    return 0;
  }
  ledger::v1::Entry entry;
  entry.set_stream("fuzz/1");
  *entry.mutable_payload() = *std::move(payload);
  FUZZ_CHECK(!ledger::EntryToJsonLine(entry).empty());
  return 0;
}

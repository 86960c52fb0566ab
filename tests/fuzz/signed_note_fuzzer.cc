// Fuzz target: verifier keys, signed notes and checkpoints
// (ledger/signed_note.h), which an auditor reads from an untrusted server
// or file. The input's first line is a verifier key line, the rest a note.
// When the key line does not parse, the note is checked against a fixed
// real key (from the sumdb note example in tests/ledger/testdata), so the
// note parser is reached either way.
#include <string>
#include <string_view>

#include "ledger/signed_note.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

constexpr std::string_view kFallbackKey =
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  const std::string_view key_line = input.substr(0, newline);
  const std::string_view note =
      newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);

  absl::StatusOr<ledger::VerifierKey> key = ledger::ParseVerifierKey(key_line);
  if (key.ok()) {
    // A parsed key formats back to a line that parses to the same key.
    absl::StatusOr<ledger::VerifierKey> again =
        ledger::ParseVerifierKey(ledger::FormatVerifierKey(*key));
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(again->name == key->name && again->key_id == key->key_id &&
               again->public_key == key->public_key);
  } else {
    FUZZ_CHECK(key.status().code() == absl::StatusCode::kInvalidArgument);
    key = ledger::ParseVerifierKey(kFallbackKey);
    FUZZ_CHECK(key.ok());
  }

  absl::StatusOr<std::string> text = ledger::VerifyNote(note, *key);
  if (text.ok()) {
    FUZZ_CHECK(note.substr(0, text->size()) == *text);
  } else {
    FUZZ_CHECK(text.status().code() == absl::StatusCode::kInvalidArgument ||
               text.status().code() == absl::StatusCode::kPermissionDenied);
  }
  (void)ledger::VerifyCheckpoint(note, *key);

  // The note (or the whole input) as a checkpoint body.
  for (std::string_view body : {note, input}) {
    absl::StatusOr<ledger::Checkpoint> cp = ledger::ParseCheckpoint(body);
    if (!cp.ok()) continue;
    absl::StatusOr<ledger::Checkpoint> again =
        ledger::ParseCheckpoint(ledger::FormatCheckpoint(*cp));
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(again->origin == cp->origin && again->size == cp->size &&
               again->root == cp->root && again->extensions == cp->extensions);
    FUZZ_CHECK(ledger::FormatCheckpoint(*cp) == body);
  }
  return 0;
}

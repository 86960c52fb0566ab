// Signed notes and checkpoints in the formats transparency logs share:
// C2SP signed-note (golang.org/x/mod/sumdb/note) with Ed25519 signatures,
// and C2SP tlog-checkpoint bodies. docs/format.md, "Checkpoints", gives the
// bytes; these functions are the only code that reads or writes them.
//
// A note is its text (one or more lines, each ending in "\n"), a blank
// line, and one or more signature lines "— NAME BASE64(key id || sig)\n".
// The key id is SHA-256(NAME || "\n" || 0x01 || public key)[:4]; the
// Ed25519 signature covers the text exactly. A verifier key is written
// NAME+HEX(key id)+BASE64(0x01 || public key).
#ifndef LEDGER_SIGNED_NOTE_H_
#define LEDGER_SIGNED_NOTE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/hash.h"

namespace ledger {

// A public Ed25519 key with its name, as an auditor holds it.
struct VerifierKey {
  std::string name;
  uint32_t key_id = 0;
  std::string public_key;  // 32 bytes
};

// Parses NAME+HEX8+BASE64. INVALID_ARGUMENT says what is wrong (bad name,
// unknown algorithm, wrong key length, key id that does not match).
[[nodiscard]] absl::StatusOr<VerifierKey> ParseVerifierKey(std::string_view line);

// The key line for `key`.
std::string FormatVerifierKey(const VerifierKey& key);

// Key id of (name, Ed25519 public key).
uint32_t NoteKeyId(std::string_view name, std::string_view public_key);

// Verifies `note` against `key`: the note must be well formed and carry a
// signature line from `key` (name and key id) that verifies; other
// signatures are ignored. Returns the signed text. INVALID_ARGUMENT for a
// malformed note; PERMISSION_DENIED when no signature of `key` verifies.
[[nodiscard]] absl::StatusOr<std::string> VerifyNote(std::string_view note,
                                                     const VerifierKey& key);

// An Ed25519 private key and its name. Thread safety: Sign may be called
// from many threads.
class NoteSigner {
 public:
  ~NoteSigner();
  NoteSigner(const NoteSigner&) = delete;
  NoteSigner& operator=(const NoteSigner&) = delete;

  // A new random key.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<NoteSigner>> Generate(
      std::string name);

  // Loads the key at `path` (PKCS#8 PEM) or, when the file does not exist,
  // generates one and writes it there with mode 0600 (written to a
  // temporary file, synced, then renamed, so a crash leaves no partial
  // key). FAILED_PRECONDITION for a key file readable by others or not an
  // Ed25519 key; INTERNAL for I/O errors; messages name the path.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<NoteSigner>> LoadOrCreate(
      const std::string& path, std::string name);

  const std::string& name() const { return key_.name; }
  const VerifierKey& verifier_key() const { return key_; }

  // The whole note: `text` (must end in "\n"), a blank line, one
  // signature line.
  [[nodiscard]] absl::StatusOr<std::string> Sign(std::string_view text) const;

 private:
  struct Impl;
  NoteSigner(std::unique_ptr<Impl> impl, VerifierKey key);
  std::unique_ptr<Impl> impl_;
  VerifierKey key_;
};

// A tlog-checkpoint body: origin, tree size, root, and any extension lines.
struct Checkpoint {
  std::string origin;
  uint64_t size = 0;
  Hash root{};
  std::vector<std::string> extensions;
};

// The checkpoint's text: "ORIGIN\nSIZE\nBASE64(ROOT)\n" plus one line per
// extension.
std::string FormatCheckpoint(const Checkpoint& checkpoint);

// Parses a checkpoint text (the signed part of a note). INVALID_ARGUMENT
// names the line that is wrong: empty origin, a size that is not a
// canonical decimal, a root that is not base64 of 32 bytes.
[[nodiscard]] absl::StatusOr<Checkpoint> ParseCheckpoint(std::string_view text);

// Verifies a signed checkpoint note with `key` and parses it.
[[nodiscard]] absl::StatusOr<Checkpoint> VerifyCheckpoint(std::string_view note,
                                                          const VerifierKey& key);

}  // namespace ledger

#endif  // LEDGER_SIGNED_NOTE_H_

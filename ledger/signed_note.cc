#include "ledger/signed_note.h"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ledger/status_macros.h"

namespace ledger {

namespace {

constexpr std::string_view kSigPrefix = "\xE2\x80\x94 ";  // U+2014 and a space
constexpr uint8_t kAlgEd25519 = 0x01;
constexpr size_t kMaxNoteBytes = 1 << 20;
constexpr size_t kMaxSignatures = 100;

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

// Debian's Abseil has its own string_view type.
absl::string_view Absl(std::string_view s) { return {s.data(), s.size()}; }

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (;;) {
    const size_t at = s.find(sep);
    out.push_back(s.substr(0, at));
    if (at == std::string_view::npos) return out;
    s.remove_prefix(at + 1);
  }
}

// Names: non-empty, no '+', no spaces or control characters.
bool IsValidKeyName(std::string_view name) {
  if (name.empty()) return false;
  for (unsigned char c : name) {
    if (c <= 0x20 || c == 0x7f || c == '+') return false;
  }
  return true;
}

bool Ed25519Verify(std::string_view public_key, std::string_view message,
                   std::string_view signature) {
  if (public_key.size() != 32 || signature.size() != 64) return false;
  Pkey key(EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr,
      reinterpret_cast<const unsigned char*>(public_key.data()), 32));
  if (key == nullptr) return false;
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (ctx == nullptr ||
      EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) {
    return false;
  }
  return EVP_DigestVerify(
             ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
             signature.size(),
             reinterpret_cast<const unsigned char*>(message.data()),
             message.size()) == 1;
}

absl::StatusOr<std::string> RawPublicKey(EVP_PKEY* key) {
  size_t len = 32;
  std::string pub(32, '\0');
  if (EVP_PKEY_get_raw_public_key(
          key, reinterpret_cast<unsigned char*>(pub.data()), &len) != 1 ||
      len != 32) {
    return absl::InternalError("cannot read the Ed25519 public key");
  }
  return pub;
}

}  // namespace

uint32_t NoteKeyId(std::string_view name, std::string_view public_key) {
  Sha256 h;
  h.Update(name);
  h.Update("\n");
  const char alg = static_cast<char>(kAlgEd25519);
  h.Update(&alg, 1);
  h.Update(public_key);
  Hash d = h.Finish();
  return (uint32_t{d[0]} << 24) | (uint32_t{d[1]} << 16) |
         (uint32_t{d[2]} << 8) | uint32_t{d[3]};
}

absl::StatusOr<VerifierKey> ParseVerifierKey(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
    line.remove_suffix(1);
  }
  // The name and key id hold no '+'; the base64 key may.
  std::vector<std::string_view> parts;
  for (int i = 0; i < 2; ++i) {
    const size_t plus = line.find('+');
    if (plus == std::string_view::npos) break;
    parts.push_back(line.substr(0, plus));
    line.remove_prefix(plus + 1);
  }
  parts.push_back(line);
  if (parts.size() != 3) {
    return absl::InvalidArgumentError(
        "verifier key must be NAME+KEYID+KEY (three parts separated by '+')");
  }
  VerifierKey key;
  key.name = std::string(parts[0]);
  if (!IsValidKeyName(key.name)) {
    return absl::InvalidArgumentError(
        "verifier key name must be non-empty, without spaces or '+'");
  }
  if (parts[1].size() != 8 ||
      !absl::SimpleHexAtoi(Absl(parts[1]), &key.key_id) ||
      parts[1].find_first_not_of("0123456789abcdefABCDEF") != std::string_view::npos) {
    return absl::InvalidArgumentError("verifier key id must be 8 hex digits");
  }
  std::string raw;
  if (!absl::Base64Unescape(Absl(parts[2]), &raw)) {
    return absl::InvalidArgumentError("verifier key is not valid base64");
  }
  if (raw.empty() || static_cast<uint8_t>(raw[0]) != kAlgEd25519) {
    return absl::InvalidArgumentError(
        "verifier key algorithm is not Ed25519 (first byte must be 0x01)");
  }
  if (raw.size() != 33) {
    return absl::InvalidArgumentError(absl::StrCat(
        "verifier key holds ", raw.size() - 1, " key bytes, not 32"));
  }
  key.public_key = raw.substr(1);
  if (NoteKeyId(key.name, key.public_key) != key.key_id) {
    return absl::InvalidArgumentError(
        "verifier key id does not match its name and public key");
  }
  return key;
}

std::string FormatVerifierKey(const VerifierKey& key) {
  std::string raw(1, static_cast<char>(kAlgEd25519));
  raw += key.public_key;
  return absl::StrFormat("%s+%08x+%s", key.name, key.key_id,
                         absl::Base64Escape(raw));
}

absl::StatusOr<std::string> VerifyNote(std::string_view note,
                                       const VerifierKey& key) {
  if (note.size() > kMaxNoteBytes) {
    return absl::InvalidArgumentError("note is larger than 1 MiB");
  }
  const size_t split = note.rfind("\n\n");
  if (split == std::string_view::npos) {
    return absl::InvalidArgumentError(
        "note has no blank line before its signatures");
  }
  std::string_view text = note.substr(0, split + 1);
  std::string_view sigs = note.substr(split + 2);
  if (sigs.empty() || sigs.back() != '\n') {
    return absl::InvalidArgumentError(
        "note must end with signature lines, each ending in a newline");
  }
  sigs.remove_suffix(1);
  std::vector<std::string_view> lines = Split(sigs, '\n');
  if (lines.size() > kMaxSignatures) {
    return absl::InvalidArgumentError("note has too many signatures");
  }
  bool matched = false;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view l = lines[i];
    if (l.substr(0, kSigPrefix.size()) != kSigPrefix) {
      return absl::InvalidArgumentError(absl::StrCat(
          "signature line ", i + 1, " does not start with an em dash and a space"));
    }
    l.remove_prefix(kSigPrefix.size());
    const size_t space = l.find(' ');
    if (space == std::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("signature line ", i + 1, " has no signature"));
    }
    std::string_view name = l.substr(0, space);
    std::string raw;
    if (!IsValidKeyName(name) || !absl::Base64Unescape(Absl(l.substr(space + 1)), &raw) ||
        raw.size() < 5) {
      return absl::InvalidArgumentError(
          absl::StrCat("signature line ", i + 1, " is malformed"));
    }
    const uint32_t id = (uint32_t{static_cast<uint8_t>(raw[0])} << 24) |
                        (uint32_t{static_cast<uint8_t>(raw[1])} << 16) |
                        (uint32_t{static_cast<uint8_t>(raw[2])} << 8) |
                        uint32_t{static_cast<uint8_t>(raw[3])};
    if (name != key.name || id != key.key_id) continue;
    if (!Ed25519Verify(key.public_key, text, std::string_view(raw).substr(4))) {
      return absl::PermissionDeniedError(absl::StrCat(
          "signature by ", key.name, " does not verify: the note was altered "
          "or signed by another key"));
    }
    matched = true;
  }
  if (!matched) {
    return absl::PermissionDeniedError(
        absl::StrCat("note carries no signature by ", key.name, "+",
                     absl::StrFormat("%08x", key.key_id)));
  }
  return std::string(text);
}

struct NoteSigner::Impl {
  Pkey key;
};

NoteSigner::NoteSigner(std::unique_ptr<Impl> impl, VerifierKey key)
    : impl_(std::move(impl)), key_(std::move(key)) {}

NoteSigner::~NoteSigner() = default;

absl::StatusOr<std::unique_ptr<NoteSigner>> NoteSigner::Generate(
    std::string name) {
  if (!IsValidKeyName(name)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "key name '", name, "' must be non-empty, without spaces or '+'"));
  }
  Pkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (key == nullptr) return absl::InternalError("cannot generate an Ed25519 key");
  auto impl = std::make_unique<Impl>();
  impl->key = std::move(key);
  ASSIGN_OR_RETURN(std::string pub, RawPublicKey(impl->key.get()));
  VerifierKey vk{name, NoteKeyId(name, pub), pub};
  return std::unique_ptr<NoteSigner>(new NoteSigner(std::move(impl), std::move(vk)));
}

absl::StatusOr<std::unique_ptr<NoteSigner>> NoteSigner::LoadOrCreate(
    const std::string& path, std::string name) {
  if (!IsValidKeyName(name)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "key name '", name, "' must be non-empty, without spaces or '+'"));
  }
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) {
      return absl::InternalError(
          absl::StrCat("cannot read signing key ", path, ": ", std::strerror(errno)));
    }
    ASSIGN_OR_RETURN(std::unique_ptr<NoteSigner> signer, Generate(name));
    std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
    if (bio == nullptr ||
        PEM_write_bio_PrivateKey(bio.get(), signer->impl_->key.get(), nullptr,
                                 nullptr, 0, nullptr, nullptr) != 1) {
      return absl::InternalError("cannot encode the signing key");
    }
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio.get(), &data);
    const std::string tmp = path + ".tmp";
    int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
      return absl::InternalError(
          absl::StrCat("cannot create signing key ", tmp, ": ", std::strerror(errno)));
    }
    bool ok = write(fd, data, static_cast<size_t>(len)) == len && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
      unlink(tmp.c_str());
      return absl::InternalError(
          absl::StrCat("cannot write signing key ", path, ": ", std::strerror(errno)));
    }
    return signer;
  }
  if ((st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "signing key ", path, " is readable by others; chmod 600 it"));
  }
  std::ifstream in(path);
  std::stringstream pem;
  pem << in.rdbuf();
  if (!in) {
    return absl::InternalError(absl::StrCat("cannot read signing key ", path));
  }
  const std::string text = pem.str();
  std::unique_ptr<BIO, BioFree> bio(
      BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  Pkey key(bio == nullptr ? nullptr
                          : PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (key == nullptr || EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519) {
    return absl::FailedPreconditionError(
        absl::StrCat("signing key ", path, " is not an Ed25519 private key"));
  }
  auto impl = std::make_unique<Impl>();
  impl->key = std::move(key);
  ASSIGN_OR_RETURN(std::string pub, RawPublicKey(impl->key.get()));
  VerifierKey vk{name, NoteKeyId(name, pub), pub};
  return std::unique_ptr<NoteSigner>(new NoteSigner(std::move(impl), std::move(vk)));
}

absl::StatusOr<std::string> NoteSigner::Sign(std::string_view text) const {
  if (text.empty() || text.back() != '\n' || text.find("\n\n") != std::string_view::npos) {
    return absl::InvalidArgumentError(
        "note text must be non-empty lines, each ending in a newline");
  }
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  unsigned char sig[64];
  size_t sig_len = sizeof(sig);
  if (ctx == nullptr ||
      EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, impl_->key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), sig, &sig_len,
                     reinterpret_cast<const unsigned char*>(text.data()),
                     text.size()) != 1 ||
      sig_len != 64) {
    return absl::InternalError("Ed25519 signing failed");
  }
  std::string raw;
  raw.reserve(68);
  for (int shift = 24; shift >= 0; shift -= 8) {
    raw.push_back(static_cast<char>((key_.key_id >> shift) & 0xff));
  }
  raw.append(reinterpret_cast<const char*>(sig), 64);
  return absl::StrCat(Absl(text), "\n", Absl(kSigPrefix), key_.name, " ",
                      absl::Base64Escape(raw), "\n");
}

std::string FormatCheckpoint(const Checkpoint& c) {
  std::string out = absl::StrCat(c.origin, "\n", c.size, "\n",
                                 absl::Base64Escape(Absl(AsBytes(c.root))), "\n");
  for (const std::string& e : c.extensions) absl::StrAppend(&out, e, "\n");
  return out;
}

absl::StatusOr<Checkpoint> ParseCheckpoint(std::string_view text) {
  if (text.empty() || text.back() != '\n') {
    return absl::InvalidArgumentError("checkpoint text must end in a newline");
  }
  text.remove_suffix(1);
  std::vector<std::string_view> lines = Split(text, '\n');
  if (lines.size() < 3) {
    return absl::InvalidArgumentError(
        "checkpoint needs an origin, a size and a root hash line");
  }
  Checkpoint c;
  if (lines[0].empty()) return absl::InvalidArgumentError("checkpoint origin is empty");
  c.origin = std::string(lines[0]);
  const std::string_view size = lines[1];
  if (size.empty() || size.size() > 20 ||
      size.find_first_not_of("0123456789") != std::string_view::npos ||
      (size.size() > 1 && size[0] == '0') || !absl::SimpleAtoi(Absl(size), &c.size)) {
    return absl::InvalidArgumentError(
        "checkpoint size line is not a decimal number without leading zeros");
  }
  std::string root;
  if (!absl::Base64Unescape(Absl(lines[2]), &root) || root.size() != 32 ||
      absl::Base64Escape(root) != Absl(lines[2])) {
    return absl::InvalidArgumentError(
        "checkpoint root line is not the base64 of a 32-byte hash");
  }
  c.root = *HashFromBytes(root);
  for (size_t i = 3; i < lines.size(); ++i) {
    if (lines[i].empty()) {
      return absl::InvalidArgumentError("checkpoint has an empty extension line");
    }
    c.extensions.emplace_back(lines[i]);
  }
  return c;
}

absl::StatusOr<Checkpoint> VerifyCheckpoint(std::string_view note,
                                            const VerifierKey& key) {
  ASSIGN_OR_RETURN(std::string text, VerifyNote(note, key));
  return ParseCheckpoint(text);
}

}  // namespace ledger

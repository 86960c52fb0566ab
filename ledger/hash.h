// SHA-256 and the RFC 6962 hashes the ledger is built on, through OpenSSL's
// EVP interface. docs/format.md says which bytes each hash covers.
#ifndef LEDGER_HASH_H_
#define LEDGER_HASH_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ledger {

// A SHA-256 digest.
using Hash = std::array<uint8_t, 32>;

// The all-zero hash: prev_hash of entry 0.
inline constexpr Hash kZeroHash{};

// Incremental SHA-256. Not thread-safe; one per thread.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(const void* data, size_t size);
  void Update(std::string_view data) { Update(data.data(), data.size()); }
  // Returns the digest and resets the hasher for reuse.
  Hash Finish();

 private:
  struct Ctx;
  Ctx* ctx_;
};

// SHA-256 of `data`.
Hash Sha256Of(std::string_view data);

// RFC 6962 leaf hash: SHA-256(0x00 || entry_bytes).
Hash LeafHash(std::string_view entry_bytes);

// RFC 6962 interior node hash: SHA-256(0x01 || left || right).
Hash NodeHash(const Hash& left, const Hash& right);

// The hash's bytes as a string_view (valid while `h` lives).
inline std::string_view AsBytes(const Hash& h) {
  return std::string_view(reinterpret_cast<const char*>(h.data()), h.size());
}

// Copies 32 bytes into a Hash; nullopt when `bytes` is not 32 bytes long.
std::optional<Hash> HashFromBytes(std::string_view bytes);

// SipHash-2-4 with a 128-bit output (Aumasson and Bernstein, 2012; the
// reference implementation's "128-bit mode") of `data` under the 128-bit
// key (k0, k1): a keyed pseudorandom function, far cheaper than SHA-256 on
// short inputs. Returns the two output words; as bytes, each is
// little-endian, first word first. Only as strong as its key is secret:
// the verifier draws a fresh random key per process for its multiset
// digests (ledger/multiset_digest.h).
std::array<uint64_t, 2> SipHash24x128(uint64_t k0, uint64_t k1, std::string_view data);

// Lowercase hex.
std::string HexEncode(std::string_view bytes);
inline std::string HexEncode(const Hash& h) { return HexEncode(AsBytes(h)); }

// Decodes hex (either case); nullopt on odd length or a non-hex character.
std::optional<std::string> HexDecode(std::string_view hex);

}  // namespace ledger

#endif  // LEDGER_HASH_H_

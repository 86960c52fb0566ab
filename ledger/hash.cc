#include "ledger/hash.h"

#include <openssl/evp.h>

#include <cstdlib>
#include <cstring>

namespace ledger {

struct Sha256::Ctx {
  EVP_MD_CTX* md;
};

namespace {

// SHA-256 fetched once. OpenSSL 3 looks EVP_sha256() up in its provider
// store on every init; an explicitly fetched digest skips that.
const EVP_MD* Sha256Md() {
  static const EVP_MD* md = [] {
    EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (fetched == nullptr) std::abort();  // no SHA-256: not a working OpenSSL
    return fetched;
  }();
  return md;
}

}  // namespace

Sha256::Sha256() : ctx_(new Ctx{EVP_MD_CTX_new()}) {
  // Allocation failure or a missing SHA-256 is an impossible state for a
  // working OpenSSL; abort rather than hash nothing.
  if (ctx_->md == nullptr ||
      EVP_DigestInit_ex(ctx_->md, Sha256Md(), nullptr) != 1) {
    std::abort();
  }
}

Sha256::~Sha256() {
  EVP_MD_CTX_free(ctx_->md);
  delete ctx_;
}

void Sha256::Update(const void* data, size_t size) {
  EVP_DigestUpdate(ctx_->md, data, size);
}

Hash Sha256::Finish() {
  Hash out;
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_->md, out.data(), &len);
  EVP_DigestInit_ex(ctx_->md, Sha256Md(), nullptr);
  return out;
}

namespace {
// One hasher per thread avoids an allocation per hash on hot paths.
Sha256& ThreadHasher() {
  thread_local Sha256 hasher;
  return hasher;
}
}  // namespace

Hash Sha256Of(std::string_view data) {
  Sha256& h = ThreadHasher();
  h.Update(data);
  return h.Finish();
}

namespace {

inline uint64_t Rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

inline void SipRound(uint64_t& v0, uint64_t& v1, uint64_t& v2, uint64_t& v3) {
  v0 += v1;
  v1 = Rotl(v1, 13);
  v1 ^= v0;
  v0 = Rotl(v0, 32);
  v2 += v3;
  v3 = Rotl(v3, 16);
  v3 ^= v2;
  v0 += v3;
  v3 = Rotl(v3, 21);
  v3 ^= v0;
  v2 += v1;
  v1 = Rotl(v1, 17);
  v1 ^= v2;
  v2 = Rotl(v2, 32);
}

inline uint64_t LoadLittle64(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

std::array<uint64_t, 2> SipHash24x128(uint64_t k0, uint64_t k1, std::string_view data) {
  uint64_t v0 = 0x736f6d6570736575ULL ^ k0;
  uint64_t v1 = 0x646f72616e646f6dULL ^ k1 ^ 0xee;
  uint64_t v2 = 0x6c7967656e657261ULL ^ k0;
  uint64_t v3 = 0x7465646279746573ULL ^ k1;
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  const size_t n = data.size();
  const size_t whole = n - n % 8;
  for (size_t i = 0; i < whole; i += 8) {
    const uint64_t m = LoadLittle64(p + i);
    v3 ^= m;
    SipRound(v0, v1, v2, v3);
    SipRound(v0, v1, v2, v3);
    v0 ^= m;
  }
  uint64_t last = static_cast<uint64_t>(n & 0xff) << 56;
  for (size_t i = 0; i < n % 8; ++i) last |= static_cast<uint64_t>(p[whole + i]) << (8 * i);
  v3 ^= last;
  SipRound(v0, v1, v2, v3);
  SipRound(v0, v1, v2, v3);
  v0 ^= last;
  v2 ^= 0xee;
  for (int i = 0; i < 4; ++i) SipRound(v0, v1, v2, v3);
  const uint64_t first = v0 ^ v1 ^ v2 ^ v3;
  v1 ^= 0xdd;
  for (int i = 0; i < 4; ++i) SipRound(v0, v1, v2, v3);
  return {first, v0 ^ v1 ^ v2 ^ v3};
}

Hash LeafHash(std::string_view entry_bytes) {
  static constexpr uint8_t kLeafPrefix = 0x00;
  Sha256& h = ThreadHasher();
  h.Update(&kLeafPrefix, 1);
  h.Update(entry_bytes);
  return h.Finish();
}

Hash NodeHash(const Hash& left, const Hash& right) {
  // One update of the whole input: each EVP update has a cost of its own,
  // as large as hashing the bytes when they are this few.
  uint8_t in[1 + 2 * 32];
  in[0] = 0x01;
  std::memcpy(in + 1, left.data(), 32);
  std::memcpy(in + 33, right.data(), 32);
  Sha256& h = ThreadHasher();
  h.Update(in, sizeof in);
  return h.Finish();
}

std::optional<Hash> HashFromBytes(std::string_view bytes) {
  if (bytes.size() != 32) return std::nullopt;
  Hash h;
  std::memcpy(h.data(), bytes.data(), 32);
  return h;
}

std::string HexEncode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0x0f]);
  }
  return out;
}

namespace {
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::optional<std::string> HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = HexValue(hex[i]);
    int lo = HexValue(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>((hi << 4) | lo));
  }
  return out;
}

}  // namespace ledger

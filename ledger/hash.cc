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

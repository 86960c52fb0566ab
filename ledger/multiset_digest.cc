#include "ledger/multiset_digest.h"

#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace ledger {

const std::array<uint64_t, 2>& MultisetDigestKey() {
  static const std::array<uint64_t, 2> key = [] {
    std::array<uint64_t, 2> k{};
    unsigned char bytes[sizeof(k)];
    if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
      // A fixed key would let a forger aim for a collision; stopping is
      // the only safe answer, and OpenSSL's generator failing is fatal
      // for the signing key too.
      std::fputs("fatal: OpenSSL's random generator failed\n", stderr);
      std::abort();
    }
    std::memcpy(k.data(), bytes, sizeof(bytes));
    return k;
  }();
  return key;
}

}  // namespace ledger

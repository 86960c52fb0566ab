// MultisetDigest: an order-independent digest of a set of key/value pairs,
// the lane-wise sum of a keyed hash of each. LedgerVerifier adds the index
// records the entries imply to one and the records an index holds to
// another, and compares the two: no sorting, constant memory, and parts
// summed on different threads merge by addition.
//
// The hash is SipHash-2-4 with a 128-bit output, under a 128-bit key drawn
// at random once per process (MultisetDigestKey): two 64-bit lanes. The
// records are on disk before the key exists, so whoever changed them
// cannot aim for a collision: for two different multisets the sums agree
// with probability about 2^-128 (SipHash being a pseudorandom function).
// Equal sets give equal sums. Digests are only comparable within one
// process; they are never stored or shown.
// SHA-256 here cost four hashes per entry, a third of ledger-verify's
// CPU (docs/performance.md).
//
// Thread safety: a value type; one per thread.
#ifndef LEDGER_MULTISET_DIGEST_H_
#define LEDGER_MULTISET_DIGEST_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "ledger/hash.h"
#include "ledger/keys.h"

namespace ledger {

// The SipHash key (k0, k1) of this process: drawn from OpenSSL's random
// generator on first use, then fixed. Thread-safe.
const std::array<uint64_t, 2>& MultisetDigestKey();

class MultisetDigest {
 public:
  // Adds the pair (key, value): SipHash-2-4-128 of
  // be64(|key|) || key || value, one output word per lane.
  void Add(std::string_view key, std::string_view value) {
    input_.clear();
    AppendBigEndian64(&input_, key.size());
    input_.append(key);
    input_.append(value);
    const std::array<uint64_t, 2>& k = MultisetDigestKey();
    const std::array<uint64_t, 2> h = SipHash24x128(k[0], k[1], input_);
    lanes_[0] += h[0];
    lanes_[1] += h[1];
    ++count_;
  }

  // Adds every pair `other` holds.
  void Merge(const MultisetDigest& other) {
    for (int i = 0; i < 2; ++i) lanes_[i] += other.lanes_[i];
    count_ += other.count_;
  }

  uint64_t count() const { return count_; }

  bool operator==(const MultisetDigest& o) const {
    return lanes_ == o.lanes_ && count_ == o.count_;
  }
  bool operator!=(const MultisetDigest& o) const { return !(*this == o); }

 private:
  std::string input_;  // not part of the value
  std::array<uint64_t, 2> lanes_{};
  uint64_t count_ = 0;
};

}  // namespace ledger

#endif  // LEDGER_MULTISET_DIGEST_H_

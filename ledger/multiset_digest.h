// MultisetDigest: an order-independent digest of a set of key/value pairs,
// the lane-wise sum of their SHA-256 hashes. LedgerVerifier adds the index
// records the entries imply to one and the records an index holds to
// another, and compares the two: no sorting, constant memory, and parts
// summed on different threads merge by addition.
//
// Equal sets give equal sums; any added, removed or changed pair changes
// the sum (barring a deliberate collision, which the chain and the Merkle
// tree, not the indexes, guard against).
//
// Thread safety: a value type; one per thread.
#ifndef LEDGER_MULTISET_DIGEST_H_
#define LEDGER_MULTISET_DIGEST_H_

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "ledger/hash.h"
#include "ledger/keys.h"

namespace ledger {

class MultisetDigest {
 public:
  MultisetDigest() = default;
  MultisetDigest(const MultisetDigest& o) : lanes_(o.lanes_), count_(o.count_) {}
  MultisetDigest& operator=(const MultisetDigest& o) {
    lanes_ = o.lanes_;
    count_ = o.count_;
    return *this;
  }

  // Adds the pair (key, value): SHA-256(be64(|key|) || key || value).
  void Add(std::string_view key, std::string_view value) {
    // Hashed in one update (each has a cost of its own).
    input_.clear();
    AppendBigEndian64(&input_, key.size());
    input_.append(key);
    input_.append(value);
    hasher_.Update(input_);
    Hash h = hasher_.Finish();
    for (int i = 0; i < 4; ++i) {
      uint64_t lane;
      std::memcpy(&lane, h.data() + 8 * i, 8);
      lanes_[i] += lane;
    }
    ++count_;
  }

  // Adds every pair `other` holds.
  void Merge(const MultisetDigest& other) {
    for (int i = 0; i < 4; ++i) lanes_[i] += other.lanes_[i];
    count_ += other.count_;
  }

  uint64_t count() const { return count_; }

  bool operator==(const MultisetDigest& o) const {
    return lanes_ == o.lanes_ && count_ == o.count_;
  }
  bool operator!=(const MultisetDigest& o) const { return !(*this == o); }

 private:
  Sha256 hasher_;      // not part of the value
  std::string input_;  // likewise
  std::array<uint64_t, 4> lanes_{};
  uint64_t count_ = 0;
};

}  // namespace ledger

#endif  // LEDGER_MULTISET_DIGEST_H_

// What ledger-bench and ledger-scale measure with and how they print it:
// latency percentiles, the server's resident memory sampled from /proc, and
// a flat JSON object of figures kept in the order they were added.
//
// Thread safety: LatencySummary and JsonFigures are values, used from one
// thread. ResidentMemorySampler's methods may be called from any thread.
#ifndef TOOLS_BENCH_FIGURES_H_
#define TOOLS_BENCH_FIGURES_H_

#include <sys/types.h>

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace ledger::bench {

// Percentiles of a set of latencies.
struct LatencySummary {
  uint64_t count = 0;
  double p50_us = 0;
  double p99_us = 0;
  double max_us = 0;
};

// Nearest-rank percentiles of `latencies_ns` (sorted in place).
LatencySummary Summarise(std::vector<int64_t>& latencies_ns);

// Nearest-rank percentile `p` (0 to 1) of sorted nanoseconds, in
// microseconds; 0 for an empty set.
double PercentileUs(const std::vector<int64_t>& sorted_ns, double p);

// The resident set size (VmRSS) of process `pid` in KiB, read from
// /proc/PID/status. NOT_FOUND when the process does not exist (or has no
// VmRSS line: a zombie).
absl::StatusOr<uint64_t> ResidentKib(pid_t pid);

// Samples a process's resident memory on a thread of its own, every
// `interval`, from Start until Stop, and on demand with SampleNow. Samples
// that fail (the process exited) are skipped and counted.
class ResidentMemorySampler {
 public:
  ResidentMemorySampler(pid_t pid, absl::Duration interval)
      : pid_(pid), interval_(interval) {}
  ~ResidentMemorySampler() { Stop(); }
  ResidentMemorySampler(const ResidentMemorySampler&) = delete;
  ResidentMemorySampler& operator=(const ResidentMemorySampler&) = delete;

  void Start();
  void Stop();
  // Takes one sample now and returns it (0 when it failed).
  uint64_t SampleNow();

  struct Figures {
    uint64_t samples = 0;
    uint64_t failed = 0;
    uint64_t min_kib = 0;
    uint64_t max_kib = 0;
    uint64_t last_kib = 0;
  };
  Figures figures() const;
  // The samples since the last call (or since construction), summed up,
  // and starts a new window: memory over parts of a run, to compare. A
  // window's peak depends on how long it is (a longer one has more chances
  // to catch the rare moment when every buffer is full at once); its
  // median and 90th percentile do not.
  struct Window {
    uint64_t samples = 0;
    uint64_t max_kib = 0;
    uint64_t p50_kib = 0;
    uint64_t p90_kib = 0;
  };
  Window TakeWindow();

 private:
  void Record(absl::StatusOr<uint64_t> kib);

  const pid_t pid_;
  const absl::Duration interval_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  Figures figures_;
  std::vector<uint64_t> window_kib_;
  std::thread thread_;
};

// A flat JSON object whose members print in the order they were added.
// Numbers that are not finite print as null.
class JsonFigures {
 public:
  void Add(const std::string& key, uint64_t value);
  void Add(const std::string& key, double value);
  void Add(const std::string& key, const std::string& value);
  void Add(const std::string& key, const char* value) { Add(key, std::string(value)); }
  void AddBool(const std::string& key, bool value);
  // The object on one line, without a newline.
  std::string ToString() const;

 private:
  std::vector<std::pair<std::string, std::string>> members_;
};

// `s` as a JSON string literal, quotes included.
std::string JsonString(const std::string& s);

}  // namespace ledger::bench

#endif  // TOOLS_BENCH_FIGURES_H_

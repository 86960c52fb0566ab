#include "tools/bench_figures.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace ledger::bench {

namespace {

// Nearest rank: the index, in `n` > 0 sorted samples, of the smallest
// sample at or above share `p` (0 to 1) of them.
size_t NearestRankIndex(size_t n, double p) {
  const double rank = std::ceil(p * static_cast<double>(n));
  return std::min(n - 1, static_cast<size_t>(std::max(rank, 1.0)) - 1);
}

}  // namespace

double PercentileUs(const std::vector<int64_t>& sorted_ns, double p) {
  if (sorted_ns.empty()) return 0;
  return static_cast<double>(sorted_ns[NearestRankIndex(sorted_ns.size(), p)]) / 1000.0;
}

LatencySummary Summarise(std::vector<int64_t>& latencies_ns) {
  std::sort(latencies_ns.begin(), latencies_ns.end());
  LatencySummary s;
  s.count = latencies_ns.size();
  s.p50_us = PercentileUs(latencies_ns, 0.50);
  s.p99_us = PercentileUs(latencies_ns, 0.99);
  s.max_us = latencies_ns.empty() ? 0 : static_cast<double>(latencies_ns.back()) / 1000.0;
  return s;
}

absl::StatusOr<uint64_t> ResidentKib(pid_t pid) {
  const std::string path = absl::StrCat("/proc/", pid, "/status");
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view rest = line;
    if (!absl::ConsumePrefix(&rest, "VmRSS:")) continue;
    // "VmRSS:	   12345 kB"
    rest = absl::StripAsciiWhitespace(rest);
    absl::ConsumeSuffix(&rest, "kB");
    rest = absl::StripAsciiWhitespace(rest);
    uint64_t kib = 0;
    if (!absl::SimpleAtoi(rest, &kib)) {
      return absl::DataLossError(absl::StrCat("unexpected line in ", path, ": ", line));
    }
    return kib;
  }
  return absl::NotFoundError(absl::StrCat(path, " has no VmRSS (has the process exited?)"));
}

void ResidentMemorySampler::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] {
    std::unique_lock<std::mutex> sampling(mu_);
    while (!stop_) {
      sampling.unlock();
      Record(ResidentKib(pid_));
      sampling.lock();
      cv_.wait_for(sampling, absl::ToChronoNanoseconds(interval_), [this] { return stop_; });
    }
  });
}

void ResidentMemorySampler::Stop() {
  std::thread t;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    t = std::move(thread_);
  }
  cv_.notify_all();
  if (t.joinable()) t.join();
}

uint64_t ResidentMemorySampler::SampleNow() {
  absl::StatusOr<uint64_t> kib = ResidentKib(pid_);
  Record(kib);
  return kib.ok() ? *kib : 0;
}

void ResidentMemorySampler::Record(absl::StatusOr<uint64_t> kib) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!kib.ok()) {
    ++figures_.failed;
    return;
  }
  figures_.min_kib = figures_.samples == 0 ? *kib : std::min(figures_.min_kib, *kib);
  figures_.max_kib = std::max(figures_.max_kib, *kib);
  figures_.last_kib = *kib;
  ++figures_.samples;
  window_kib_.push_back(*kib);
}

ResidentMemorySampler::Window ResidentMemorySampler::TakeWindow() {
  std::vector<uint64_t> kib;
  {
    std::lock_guard<std::mutex> lock(mu_);
    kib.swap(window_kib_);
  }
  Window w;
  if (kib.empty()) return w;
  std::sort(kib.begin(), kib.end());
  w.samples = kib.size();
  w.max_kib = kib.back();
  w.p50_kib = kib[NearestRankIndex(kib.size(), 0.5)];
  w.p90_kib = kib[NearestRankIndex(kib.size(), 0.9)];
  return w;
}

ResidentMemorySampler::Figures ResidentMemorySampler::figures() const {
  std::lock_guard<std::mutex> lock(mu_);
  return figures_;
}

void JsonFigures::Add(const std::string& key, uint64_t value) {
  members_.emplace_back(key, absl::StrCat(value));
}

void JsonFigures::Add(const std::string& key, double value) {
  members_.emplace_back(key, std::isfinite(value) ? absl::StrFormat("%.4f", value) : "null");
}

void JsonFigures::Add(const std::string& key, const std::string& value) {
  members_.emplace_back(key, JsonString(value));
}

void JsonFigures::AddBool(const std::string& key, bool value) {
  members_.emplace_back(key, value ? "true" : "false");
}

std::string JsonFigures::ToString() const {
  std::string out = "{";
  for (size_t i = 0; i < members_.size(); ++i) {
    if (i > 0) out.push_back(',');
    absl::StrAppend(&out, JsonString(members_[i].first), ":", members_[i].second);
  }
  out.push_back('}');
  return out;
}

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (unsigned char ch : s) {
    if (ch == '"' || ch == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(ch));
    } else if (ch < 0x20) {
      absl::StrAppendFormat(&out, "\\u%04x", ch);
    } else {
      out.push_back(static_cast<char>(ch));
    }
  }
  out.push_back('"');
  return out;
}

}  // namespace ledger::bench

#include "tests/integration/concurrent_appenders.h"

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "clients/ledger_client.h"
#include "gtest/gtest.h"
#include "tests/integration/programs.h"
#include "tests/ledger/test_util.h"

namespace ledger::testing {

ConcurrentAppenders::ConcurrentAppenders(const std::string& address,
                                         int threads, std::string id_prefix)
    : address_(address), id_prefix_(std::move(id_prefix)) {
  running_ = threads;
  for (int t = 0; t < threads; ++t) {
    threads_.emplace_back([this, t] { Run(t); });
  }
}

ConcurrentAppenders::~ConcurrentAppenders() { Join(); }

void ConcurrentAppenders::Run(int thread) {
  ClientOptions options;
  options.own_connection = true;
  options.timeout = kProgramTimeout;
  LedgerClient client(address_, options);
  for (int r = 0; !stop_.load(); ++r) {
    std::vector<std::string> ids;
    for (int e = 0; e < 1 + r % 3; ++e) {
      ids.push_back(absl::StrCat(id_prefix_, "-t", thread, "-r", r, "-e", e));
    }
    const std::string stream = absl::StrCat("load/", (thread + r) % 3);
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(ids);
    }
    absl::StatusOr<ledger::v1::AppendResponse> response =
        client.Append(MakeAppendRequest(stream, ids));
    std::lock_guard<std::mutex> lock(mu_);
    if (!response.ok()) {
      if (!server_stopping_.load()) {
        errors_.push_back(absl::StrCat("append of ", ids[0], ": ",
                                       response.status().ToString()));
      }
      break;
    }
    if (response->duplicate() ||
        response->events_size() != static_cast<int>(ids.size())) {
      errors_.push_back(absl::StrCat("append of ", ids[0],
                                     ": unexpected answer ",
                                     response->ShortDebugString()));
      break;
    }
    for (int e = 0; e < response->events_size(); ++e) {
      if (response->events(e).event_id() != ids[e]) {
        errors_.push_back(absl::StrCat("append of ", ids[e], ": answered for ",
                                       response->events(e).event_id()));
      }
      acknowledged_[ids[e]] = response->events(e).sequence();
    }
    cv_.notify_all();
  }
  std::lock_guard<std::mutex> lock(mu_);
  --running_;
  cv_.notify_all();
}

bool ConcurrentAppenders::WaitForAcknowledged(size_t events,
                                              absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [&] {
    return acknowledged_.size() >= events || running_ == 0;
  });
  return acknowledged_.size() >= events;
}

void ConcurrentAppenders::ExpectServerToStop() { server_stopping_.store(true); }

void ConcurrentAppenders::Join() {
  stop_.store(true);
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void ExpectLogKeepsAcknowledgedAppends(
    const std::vector<ledger::v1::Entry>& entries,
    const ConcurrentAppenders& appenders) {
  std::map<std::string, uint64_t> stored;  // event id -> sequence
  size_t misplaced = 0;
  size_t repeated = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    const ledger::v1::Entry& e = entries[i];
    if (e.sequence() != i && ++misplaced <= 3) {
      ADD_FAILURE() << "entry " << i << " of the log has sequence " << e.sequence();
    }
    if (!stored.emplace(e.event_id(), e.sequence()).second && ++repeated <= 3) {
      ADD_FAILURE() << "event " << e.event_id() << " is in the log twice";
    }
  }
  EXPECT_EQ(misplaced, 0u) << "sequences are not dense";
  EXPECT_EQ(repeated, 0u) << "event ids repeat";

  size_t lost = 0;
  for (const auto& [id, sequence] : appenders.acknowledged()) {
    auto it = stored.find(id);
    if (it == stored.end()) {
      if (++lost <= 3) ADD_FAILURE() << "acknowledged event " << id << " is lost";
    } else if (it->second != sequence) {
      if (++lost <= 3) {
        ADD_FAILURE() << "acknowledged event " << id << " was at sequence "
                      << sequence << " but is at " << it->second;
      }
    }
  }
  EXPECT_EQ(lost, 0u) << "of " << appenders.acknowledged().size()
                      << " acknowledged events, some are not where acknowledged";

  size_t torn = 0;
  for (const std::vector<std::string>& ids : appenders.requests()) {
    size_t present = 0;
    for (const std::string& id : ids) present += stored.count(id);
    if (present != 0 && present != ids.size() && ++torn <= 3) {
      ADD_FAILURE() << "only " << present << " of the " << ids.size()
                    << " events of the request of " << ids[0] << " are stored";
    }
  }
  EXPECT_EQ(torn, 0u) << "requests were not atomic";
}

}  // namespace ledger::testing

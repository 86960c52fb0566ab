// ConcurrentAppenders: threads that append to a running ledgerd, each over
// its own connection, as fast as the server acknowledges, until the test
// stops or kills the server. They record every acknowledged event at its
// acknowledged sequence, and the events of every request sent, so a test
// can check afterwards what the database kept.
//
// Thread safety: the methods are called from the test's thread; the
// appending threads are internal.
#ifndef LEDGER_TESTS_INTEGRATION_CONCURRENT_APPENDERS_H_
#define LEDGER_TESTS_INTEGRATION_CONCURRENT_APPENDERS_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "ledger/v1/ledger.pb.h"

namespace ledger::testing {

class ConcurrentAppenders {
 public:
  // Starts `threads` threads appending to the ledgerd at `address`. Request
  // r of thread t goes to one of three streams and holds 1 to 3 events with
  // ids "ID_PREFIX-tT-rR-eE", so ids never repeat across rounds with
  // different prefixes.
  ConcurrentAppenders(const std::string& address, int threads,
                      std::string id_prefix);

  // Calls Join.
  ~ConcurrentAppenders();
  ConcurrentAppenders(const ConcurrentAppenders&) = delete;
  ConcurrentAppenders& operator=(const ConcurrentAppenders&) = delete;

  // Blocks until at least `events` events are acknowledged, every thread
  // has ended, or `timeout` passes; returns whether `events` were reached.
  bool WaitForAcknowledged(size_t events, absl::Duration timeout);

  // Says the server is about to be stopped or killed: from now on a failed
  // append ends its thread quietly rather than as an unexpected error.
  void ExpectServerToStop();

  // Ends the threads (each stops after its current append) and joins them.
  // Idempotent.
  void Join();

  // Event id -> acknowledged sequence. Complete after Join.
  const std::map<std::string, uint64_t>& acknowledged() const {
    return acknowledged_;
  }
  // The event ids of every request sent, acknowledged or not. Complete
  // after Join.
  const std::vector<std::vector<std::string>>& requests() const {
    return requests_;
  }
  // Failures that came before ExpectServerToStop, and acknowledgements
  // that did not match their request.
  const std::vector<std::string>& unexpected_errors() const { return errors_; }

 private:
  void Run(int thread);

  const std::string address_;
  const std::string id_prefix_;
  std::atomic<bool> server_stopping_{false};
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;

  std::mutex mu_;
  std::condition_variable cv_;
  int running_ = 0;  // threads not yet ended; guarded by mu_
  // Guarded by mu_ until Join.
  std::map<std::string, uint64_t> acknowledged_;
  std::vector<std::vector<std::string>> requests_;
  std::vector<std::string> errors_;
};

// Checks the whole log `entries` (every entry, in sequence order) against
// what `appenders` saw: sequences are dense from 0, no event id appears
// twice, every acknowledged event is at its acknowledged sequence, and each
// request's events are all present or all absent. Reports through gtest.
void ExpectLogKeepsAcknowledgedAppends(const std::vector<ledger::v1::Entry>& entries,
                                       const ConcurrentAppenders& appenders);

}  // namespace ledger::testing

#endif  // LEDGER_TESTS_INTEGRATION_CONCURRENT_APPENDERS_H_

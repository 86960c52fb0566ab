// What the fuzz targets share: FUZZ_CHECK, an invariant that must hold for
// every input, QuietProtobufLogs, and the libFuzzer entry point's
// declaration. A failed check
// aborts, so libFuzzer (or the replay runner) reports it like a crash.
#ifndef TESTS_FUZZ_FUZZ_CHECK_H_
#define TESTS_FUZZ_FUZZ_CHECK_H_

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include <google/protobuf/stubs/logging.h>

#define FUZZ_CHECK(cond)                                              \
  do {                                                                \
    if (!(cond)) {                                                    \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, \
                   __LINE__, #cond);                                  \
      std::abort();                                                   \
    }                                                                 \
  } while (false)

// Drops protobuf's log lines (such as "invalid UTF-8 data when parsing"),
// which fuzzed input provokes at every turn and which would drown
// libFuzzer's output and slow it down. The errors are still returned.
inline void QuietProtobufLogs() {
  static const bool quiet = (google::protobuf::SetLogHandler(nullptr), true);
  (void)quiet;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

#endif  // TESTS_FUZZ_FUZZ_CHECK_H_

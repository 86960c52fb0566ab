// Size limits on appends, and the field checks every AppendRequest passes
// before it reaches the writer.
#ifndef LEDGER_APPEND_LIMITS_H_
#define LEDGER_APPEND_LIMITS_H_

#include <cstddef>

#include "absl/status/status.h"
#include "ledger/v1/ledger.pb.h"

namespace ledger {

struct AppendLimits {
  size_t max_stream_bytes = 200;
  size_t max_id_bytes = 128;               // event, correlation, causation ids
  size_t max_type_url_bytes = 512;
  size_t max_event_bytes = 256 * 1024;     // one serialized EventData
  size_t max_events_per_request = 10000;
  size_t max_request_bytes = 8 * 1024 * 1024;  // one serialized AppendRequest
};

// Checks `request` field by field. INVALID_ARGUMENT naming the field (for
// example "events[2].event_id: required") for malformed input,
// RESOURCE_EXHAUSTED for a request over the event-count or byte limits.
[[nodiscard]] absl::Status CheckAppendRequest(
    const ledger::v1::AppendRequest& request, const AppendLimits& limits);

// True for 1..max_len bytes of printable ASCII without spaces (0x21-0x7e).
bool IsPrintableName(std::string_view s, size_t max_len);

}  // namespace ledger

#endif  // LEDGER_APPEND_LIMITS_H_

// Small helpers shared by the view functions (views.cc,
// indicator_views.cc): optional dates, "known by the view date", and
// iterating protobuf maps in key order (their own order is unspecified, and
// a view's rows must not depend on it). Not for use outside projections/.
#ifndef PROJECTIONS_VIEW_SUPPORT_H_
#define PROJECTIONS_VIEW_SUPPORT_H_

#include <algorithm>
#include <optional>
#include <vector>

#include "involvement/v1/events.pb.h"
#include "projections/civil_date.h"

namespace involvement::view_support {

// The date when `has` is true and it is a real date.
inline std::optional<CivilDate> Opt(bool has, const v1::Date& d) {
  return has ? CivilDate::FromProto(d) : std::nullopt;
}

// True when `date` is set and on or before `as_of`: a view as of an
// earlier date does not see what happened later.
inline bool OnOrBefore(const std::optional<CivilDate>& date, CivilDate as_of) {
  return date.has_value() && *date <= as_of;
}

// The keys of a protobuf map, sorted.
template <typename Map>
std::vector<typename Map::key_type> SortedKeys(const Map& map) {
  std::vector<typename Map::key_type> keys;
  keys.reserve(map.size());
  for (const auto& kv : map) keys.push_back(kv.first);
  std::sort(keys.begin(), keys.end());
  return keys;
}

}  // namespace involvement::view_support

#endif  // PROJECTIONS_VIEW_SUPPORT_H_

#include "ledger/keys.h"

#include <array>
#include <cstring>

namespace ledger {

void AppendBigEndian64(std::string* out, uint64_t v) {
  char buf[8];
  for (int i = 7; i >= 0; --i) {
    buf[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  out->append(buf, 8);
}

std::string EncodeBigEndian64(uint64_t v) {
  std::string out;
  AppendBigEndian64(&out, v);
  return out;
}

std::optional<uint64_t> DecodeBigEndian64(std::string_view bytes) {
  if (bytes.size() != 8) return std::nullopt;
  uint64_t v = 0;
  for (unsigned char c : bytes) v = (v << 8) | c;
  return v;
}

std::string StreamIndexPrefix(std::string_view stream) {
  std::string key(stream);
  key.push_back('\0');
  return key;
}

void AppendStreamIndexKey(std::string* out, std::string_view stream,
                          uint64_t version) {
  out->append(stream);
  out->push_back('\0');
  AppendBigEndian64(out, version);
}

std::string StreamIndexKey(std::string_view stream, uint64_t version) {
  std::string key;
  AppendStreamIndexKey(&key, stream, version);
  return key;
}

std::optional<StreamIndexKeyParts> ParseStreamIndexKey(std::string_view key) {
  if (key.size() < 10 || key[key.size() - 9] != '\0') return std::nullopt;
  std::string_view stream = key.substr(0, key.size() - 9);
  if (stream.find('\0') != std::string_view::npos) return std::nullopt;
  auto version = DecodeBigEndian64(key.substr(key.size() - 8));
  return StreamIndexKeyParts{std::string(stream), *version};
}

namespace {

bool InTile(int level) { return level >= kLowestStoredNodeLevel && level < kTileLevel; }

// A tile key's last byte for the tile's `i`-th node of `level`.
uint8_t TilePosition(int level, uint64_t i) {
  return static_cast<uint8_t>(((2 * i + 1) << (level - kLowestStoredNodeLevel)));
}

constexpr int kTilePositions = 1 << (kTileLevel - kLowestStoredNodeLevel + 1);  // 128

// The level and the in-tile number of the node at tile position `q` (in
// [1, 127], not 64: the tile's own root, stored as an upper node).
struct TileSlot {
  int level;
  uint64_t i;
};
std::optional<TileSlot> SlotAt(int q) {
  if (q <= 0 || q >= kTilePositions || q == kTilePositions / 2) return std::nullopt;
  const int level = kLowestStoredNodeLevel + __builtin_ctz(static_cast<unsigned>(q));
  return TileSlot{level, static_cast<uint64_t>(((q >> (level - kLowestStoredNodeLevel)) - 1) / 2)};
}

void AppendTileKey(std::string* out, uint64_t tile, uint8_t q) {
  out->push_back('\0');
  AppendBigEndian64(out, tile);
  out->push_back(static_cast<char>(q));
}

}  // namespace

const std::array<TileNode, kTileNodes>& TileNodesInKeyOrder() {
  static const std::array<TileNode, kTileNodes> nodes = [] {
    std::array<TileNode, kTileNodes> a{};
    size_t n = 0;
    for (int q = 1; q < kTilePositions; ++q) {
      if (const std::optional<TileSlot> slot = SlotAt(q)) a[n++] = {slot->level, slot->i};
    }
    return a;
  }();
  return nodes;
}

void AppendNodeKey(std::string* out, int level, uint64_t index) {
  if (InTile(level)) {
    const int shift = kTileLevel - level;
    AppendTileKey(out, index >> shift, TilePosition(level, index & ((uint64_t{1} << shift) - 1)));
    return;
  }
  out->push_back(static_cast<char>(level));
  AppendBigEndian64(out, index);
}

std::string NodeKey(int level, uint64_t index) {
  std::string key;
  key.reserve(10);
  AppendNodeKey(&key, level, index);
  return key;
}

std::string Format3NodeKey(int level, uint64_t index) {
  std::string key(1, static_cast<char>(level));
  AppendBigEndian64(&key, index);
  return key;
}

std::optional<NodeKeyParts> ParseNodeKey(std::string_view key) {
  if (key.size() == 10 && key[0] == '\0') {
    const uint64_t tile = *DecodeBigEndian64(key.substr(1, 8));
    const std::optional<TileSlot> slot = SlotAt(static_cast<uint8_t>(key[9]));
    if (!slot.has_value()) return std::nullopt;
    const int shift = kTileLevel - slot->level;
    if (tile > (UINT64_MAX >> shift)) return std::nullopt;
    return NodeKeyParts{slot->level, (tile << shift) | slot->i};
  }
  if (key.size() != 9) return std::nullopt;
  const int level = static_cast<uint8_t>(key[0]);
  if (level > 63 || level < kTileLevel) return std::nullopt;
  return NodeKeyParts{level, *DecodeBigEndian64(key.substr(1))};
}

std::optional<std::string> FirstNodeKey(uint64_t log_size) {
  if ((log_size >> kLowestStoredNodeLevel) == 0) return std::nullopt;
  return NodeKey(kLowestStoredNodeLevel, 0);
}

std::optional<std::string> NodeKeyAfter(int level, uint64_t index, uint64_t log_size) {
  if (InTile(level)) {
    const int shift = kTileLevel - level;
    const uint64_t tile = index >> shift;
    // The next node of the tile that the tree has.
    const int q = TilePosition(level, index & ((uint64_t{1} << shift) - 1));
    const std::array<TileNode, kTileNodes>& order = TileNodesInKeyOrder();
    // Position q is the tile's (q - 1)-th key, or (q - 2)-th past the
    // tile's root at 64.
    for (size_t k = q < kTilePositions / 2 ? q : q - 1; k < order.size(); ++k) {
      const uint64_t node = (tile << (kTileLevel - order[k].level)) | order[k].i;
      if (node < (log_size >> order[k].level)) return NodeKey(order[k].level, node);
    }
    // Else the next tile's first (its first level-3 node), if it has one.
    const uint64_t next_tile_first = (tile + 1) << (kTileLevel - kLowestStoredNodeLevel);
    if (tile + 1 != 0 && (next_tile_first >> (kTileLevel - kLowestStoredNodeLevel)) == tile + 1 &&
        next_tile_first < (log_size >> kLowestStoredNodeLevel)) {
      return NodeKey(kLowestStoredNodeLevel, next_tile_first);
    }
    // Else the first upper node, if any.
    if ((log_size >> kTileLevel) > 0) return NodeKey(kTileLevel, 0);
    return std::nullopt;
  }
  if (index + 1 < (log_size >> level)) return NodeKey(level, index + 1);
  if (level < 63 && (log_size >> (level + 1)) > 0) return NodeKey(level + 1, 0);
  return std::nullopt;
}

void AppendEventIdRecord(std::string* out, const EventIdRecord& r) {
  AppendBigEndian64(out, r.sequence);
  AppendBigEndian64(out, r.stream_version);
}

std::string EncodeEventIdRecord(const EventIdRecord& r) {
  std::string out;
  out.reserve(kEventIdRecordSize);
  AppendEventIdRecord(&out, r);
  return out;
}

std::optional<EventIdRecord> DecodeEventIdRecord(std::string_view bytes) {
  if (bytes.size() != kEventIdRecordSize) return std::nullopt;
  EventIdRecord r;
  r.sequence = *DecodeBigEndian64(bytes.substr(0, 8));
  r.stream_version = *DecodeBigEndian64(bytes.substr(8, 8));
  return r;
}

std::string EncodeLogHead(const LogHead& h) {
  std::string out = EncodeBigEndian64(h.size);
  out.append(AsBytes(h.last_leaf_hash));
  return out;
}

std::optional<LogHead> DecodeLogHead(std::string_view bytes) {
  if (bytes.size() != 40) return std::nullopt;
  LogHead h;
  h.size = *DecodeBigEndian64(bytes.substr(0, 8));
  std::memcpy(h.last_leaf_hash.data(), bytes.data() + 8, 32);
  return h;
}

}  // namespace ledger

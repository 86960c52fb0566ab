// Key and value encodings of the ledger's RocksDB column families.
// docs/format.md is the reference; keep the two in step.
#ifndef LEDGER_KEYS_H_
#define LEDGER_KEYS_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ledger/hash.h"

namespace ledger {

// 8-byte big-endian encoding, so RocksDB's bytewise order is numeric order.
std::string EncodeBigEndian64(uint64_t v);
void AppendBigEndian64(std::string* out, uint64_t v);
// nullopt unless `bytes` is exactly 8 bytes.
std::optional<uint64_t> DecodeBigEndian64(std::string_view bytes);

// Key in the `entries` family: big-endian sequence.
inline std::string EntryKey(uint64_t sequence) {
  return EncodeBigEndian64(sequence);
}

// Key in the `streams` family: stream bytes, 0x00, big-endian version.
// Stream names never contain 0x00, so one stream's keys are contiguous.
std::string StreamIndexKey(std::string_view stream, uint64_t version);
// Appends StreamIndexKey(stream, version) to `out`.
void AppendStreamIndexKey(std::string* out, std::string_view stream,
                          uint64_t version);
// The prefix shared by every key of `stream` (stream bytes and 0x00).
std::string StreamIndexPrefix(std::string_view stream);
// Splits a `streams` key; nullopt when malformed.
struct StreamIndexKeyParts {
  std::string stream;
  uint64_t version;
};
std::optional<StreamIndexKeyParts> ParseStreamIndexKey(std::string_view key);

// Value in the `event_ids` family (key: the event id bytes): where the
// event is. (Format 2 also held a digest of the event's content; a retry
// is now compared with the stored entry itself.)
struct EventIdRecord {
  uint64_t sequence = 0;
  uint64_t stream_version = 0;
};
std::string EncodeEventIdRecord(const EventIdRecord& r);
// Appends EncodeEventIdRecord(r) to `out`.
void AppendEventIdRecord(std::string* out, const EventIdRecord& r);
std::optional<EventIdRecord> DecodeEventIdRecord(std::string_view bytes);

// Value of the `head` key in the `meta` family: the log size and the leaf
// hash of its last entry, written in the same batch as every append.
struct LogHead {
  uint64_t size = 0;
  Hash last_leaf_hash{};  // kZeroHash when size is 0
};
std::string EncodeLogHead(const LogHead& h);
std::optional<LogHead> DecodeLogHead(std::string_view bytes);

// Keys in the `nodes` family (see ledger/merkle.h for what (level, index)
// names). Value: 32 bytes. Only levels kLowestStoredNodeLevel and up are
// stored: a node below it covers at most 4 entries and is computed from
// them when asked for (LedgerStore::GetNode); storing levels 0 to 2 cost
// 1.75 RocksDB keys per entry, a third of the writer's
// (docs/performance.md).
//
// Levels 3 to 8 are stored in tiles: the 126 nodes of those levels under
// one node of level kTileLevel (512 leaves) have adjacent keys, so the six
// a proof needs from them lie in one or two blocks instead of six. A tile
// key is 0x00, the big-endian tile number (first leaf / 512), then one
// byte: the node's in-order position among the tile's nodes, counted in
// level-3 widths, ((2 * i + 1) << (level - 3)) for the tile's i-th node of
// its level. In-order puts a node's sibling, parent and the parent's
// sibling a few keys apart: a tile's keys take about 5 KiB.
// Levels kTileLevel and up keep one byte of level, then the big-endian
// index.
inline constexpr int kLowestStoredNodeLevel = 3;
inline constexpr int kTileLevel = 9;
std::string NodeKey(int level, uint64_t index);
// Appends NodeKey(level, index) to `out`.
void AppendNodeKey(std::string* out, int level, uint64_t index);
// Splits a `nodes` key; nullopt unless NodeKey gives it for a stored
// level.
struct NodeKeyParts {
  int level;
  uint64_t index;
};
std::optional<NodeKeyParts> ParseNodeKey(std::string_view key);
// A node of a tile: the `i`-th of its level in the tile.
struct TileNode {
  int level;
  uint64_t i;
};
inline constexpr int kTileNodes = (1 << (kTileLevel - kLowestStoredNodeLevel + 1)) - 2;  // 126
// A tile's nodes in the order of their keys.
const std::array<TileNode, kTileNodes>& TileNodesInKeyOrder();
// Format 3's key of a node: one byte of level, then the big-endian index,
// at every level (the upgrade's input).
std::string Format3NodeKey(int level, uint64_t index);

// The key that follows node (level, index) in the `nodes` family of a
// tree of `log_size` leaves (a node of a complete subtree of them, at a
// stored level): nullopt when it is the family's last.
std::optional<std::string> NodeKeyAfter(int level, uint64_t index,
                                        uint64_t log_size);
// The family's first key in a tree of `log_size` leaves; nullopt when it
// has none (fewer than 8 leaves).
std::optional<std::string> FirstNodeKey(uint64_t log_size);

// Keys of the `meta` family.
inline constexpr std::string_view kMetaHeadKey = "head";
// The latest signed checkpoint note, written with the entries it covers.
inline constexpr std::string_view kMetaCheckpointKey = "checkpoint";
// The log's origin line, fixed when the log is first served.
inline constexpr std::string_view kMetaOriginKey = "origin";
// The verifier key line of the log's signing key, for reference; auditors
// pin their own copy.
inline constexpr std::string_view kMetaVerifierKeyKey = "verifier_key";
inline constexpr std::string_view kMetaFormatKey = "format";
inline constexpr std::string_view kFormatVersion = "involvement-ledger/4";
// The earlier formats, which a read-write open upgrades in place
// (LedgerStore::Open). Format 3: the same, with every `nodes` key one byte
// of level and the big-endian index (Format3NodeKey). Format 2: as format
// 3, with a 32-byte content digest after each `event_ids` record. Format
// 1: as format 2, with tree levels 0 to 2 stored too.
inline constexpr std::string_view kFormatVersion3 = "involvement-ledger/3";
inline constexpr std::string_view kFormatVersion2 = "involvement-ledger/2";
inline constexpr std::string_view kFormatVersion1 = "involvement-ledger/1";
// Size of an `event_ids` value in format 2 (the upgrade's input) and now.
inline constexpr size_t kEventIdRecordV2Size = 48;
inline constexpr size_t kEventIdRecordSize = 16;

}  // namespace ledger

#endif  // LEDGER_KEYS_H_

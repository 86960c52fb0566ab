#include "ledger/keys.h"

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

std::string NodeKey(int level, uint64_t index) {
  std::string key(1, static_cast<char>(level));
  AppendBigEndian64(&key, index);
  return key;
}

std::optional<NodeKeyParts> ParseNodeKey(std::string_view key) {
  if (key.size() != 9 || static_cast<uint8_t>(key[0]) > 63) return std::nullopt;
  return NodeKeyParts{static_cast<uint8_t>(key[0]), *DecodeBigEndian64(key.substr(1))};
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

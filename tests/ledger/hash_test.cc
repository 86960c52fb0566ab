// Known-answer tests for SHA-256, the RFC 6962 leaf and node hashes, and
// the hex helpers.
#include "ledger/hash.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/multiset_digest.h"

namespace ledger {
namespace {

using ::testing::Optional;

// FIPS 180-2 appendix B / FIPS 180-4 example values.
constexpr char kSha256Empty[] =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr char kSha256Abc[] =
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr char kSha256TwoBlocks[] =
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";
constexpr char kSha256MillionA[] =
    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";

Hash HashFromHex(const std::string& hex) {
  std::optional<std::string> bytes = HexDecode(hex);
  EXPECT_TRUE(bytes.has_value()) << hex;
  std::optional<Hash> h = HashFromBytes(bytes.value_or(""));
  EXPECT_TRUE(h.has_value()) << hex;
  return h.value_or(kZeroHash);
}

TEST(Sha256Test, EmptyStringKnownAnswer) {
  EXPECT_EQ(HexEncode(Sha256Of("")), kSha256Empty);
}

TEST(Sha256Test, AbcKnownAnswer) {
  EXPECT_EQ(HexEncode(Sha256Of("abc")), kSha256Abc);
}

TEST(Sha256Test, TwoBlockMessageKnownAnswer) {
  EXPECT_EQ(HexEncode(Sha256Of(
                "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            kSha256TwoBlocks);
}

TEST(Sha256Test, MillionAKnownAnswer) {
  EXPECT_EQ(HexEncode(Sha256Of(std::string(1000000, 'a'))), kSha256MillionA);
}

TEST(Sha256Test, IncrementalUpdatesMatchOneShot) {
  Sha256 h;
  h.Update("a");
  h.Update("");
  h.Update("bc");
  EXPECT_EQ(HexEncode(h.Finish()), kSha256Abc);
}

TEST(Sha256Test, FinishResetsTheHasher) {
  Sha256 h;
  h.Update("abc");
  ASSERT_EQ(HexEncode(h.Finish()), kSha256Abc);
  EXPECT_EQ(HexEncode(h.Finish()), kSha256Empty);
  h.Update("abc");
  EXPECT_EQ(HexEncode(h.Finish()), kSha256Abc);
}

TEST(Sha256Test, HashesEmbeddedZeroBytes) {
  const std::string with_zero("a\0b", 3);
  EXPECT_NE(Sha256Of(with_zero), Sha256Of("a"));
  EXPECT_NE(Sha256Of(with_zero), Sha256Of("ab"));
}

TEST(LeafHashTest, EmptyLeafIsRfc6962Value) {
  // RFC 6962 test vector: the hash of an empty leaf, SHA-256(0x00).
  EXPECT_EQ(HexEncode(LeafHash("")),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
}

TEST(LeafHashTest, AbcLeafKnownAnswer) {
  // Computed with: { printf '\x00'; printf 'abc'; } | sha256sum
  EXPECT_EQ(HexEncode(LeafHash("abc")),
            "609f6e36d2405585188d5cfd761f407c7cc46a7d3f314c88270469dde315fcd1");
}

TEST(LeafHashTest, DiffersFromPlainSha256) {
  EXPECT_NE(LeafHash("abc"), Sha256Of("abc"));
}

TEST(NodeHashTest, KnownAnswer) {
  // left = SHA-256("abc"), right = SHA-256(""). Computed with:
  //   L=ba78...15ad; R=e3b0...b855
  //   { printf '\x01'; printf "$L$R" | xxd -r -p; } | sha256sum
  // and checked with Python:
  //   hashlib.sha256(b'\x01' + sha256(b'abc').digest()
  //                  + sha256(b'').digest()).hexdigest()
  const Hash left = HashFromHex(kSha256Abc);
  const Hash right = HashFromHex(kSha256Empty);
  EXPECT_EQ(HexEncode(NodeHash(left, right)),
            "faf32349cc29d63963edfed2e2eb3abfe5564575f8f4d78c7606d7d2378b396f");
}

TEST(NodeHashTest, OrderMatters) {
  const Hash a = Sha256Of("a");
  const Hash b = Sha256Of("b");
  EXPECT_NE(NodeHash(a, b), NodeHash(b, a));
}

TEST(NodeHashTest, IsDomainSeparatedFromLeafHash) {
  // A node over (a, b) must not equal the leaf hash of the 64 bytes a || b.
  const Hash a = Sha256Of("a");
  const Hash b = Sha256Of("b");
  std::string concatenated(AsBytes(a));
  concatenated.append(AsBytes(b));
  EXPECT_NE(NodeHash(a, b), LeafHash(concatenated));
}

TEST(HashFromBytesTest, AcceptsExactly32Bytes) {
  const std::string bytes(32, '\x7f');
  std::optional<Hash> h = HashFromBytes(bytes);
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(AsBytes(*h), bytes);
  EXPECT_FALSE(HashFromBytes(std::string(31, 'x')).has_value());
  EXPECT_FALSE(HashFromBytes(std::string(33, 'x')).has_value());
  EXPECT_FALSE(HashFromBytes("").has_value());
}

TEST(HashTest, ZeroHashIsAllZeroBytes) {
  EXPECT_EQ(AsBytes(kZeroHash), std::string(32, '\0'));
}

TEST(HexTest, EncodesLowercase) {
  EXPECT_EQ(HexEncode(std::string("\x00\x01\xab\xff\x10", 5)), "0001abff10");
  EXPECT_EQ(HexEncode(std::string()), "");
}

TEST(HexTest, DecodesEitherCase) {
  EXPECT_THAT(HexDecode("0001abff10"), Optional(std::string("\x00\x01\xab\xff\x10", 5)));
  EXPECT_THAT(HexDecode("ABFF"), Optional(std::string("\xab\xff")));
  EXPECT_THAT(HexDecode("aBfF"), Optional(std::string("\xab\xff")));
  EXPECT_THAT(HexDecode(""), Optional(std::string()));
}

TEST(HexTest, RoundTripsEveryByteValue) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  const std::string hex = HexEncode(all);
  EXPECT_EQ(hex.size(), 512u);
  EXPECT_THAT(HexDecode(hex), Optional(all));
}

TEST(HexTest, RoundTripsHashes) {
  const Hash h = Sha256Of("round trip");
  std::optional<std::string> bytes = HexDecode(HexEncode(h));
  ASSERT_TRUE(bytes.has_value());
  EXPECT_THAT(HashFromBytes(*bytes), Optional(h));
}

TEST(HexTest, RejectsOddLength) {
  EXPECT_EQ(HexDecode("abc"), std::nullopt);
  EXPECT_EQ(HexDecode("0"), std::nullopt);
}

TEST(HexTest, RejectsNonHexCharacters) {
  EXPECT_EQ(HexDecode("zz"), std::nullopt);
  EXPECT_EQ(HexDecode("0g"), std::nullopt);
  EXPECT_EQ(HexDecode("g0"), std::nullopt);
  EXPECT_EQ(HexDecode(" 0"), std::nullopt);
  EXPECT_EQ(HexDecode("0x"), std::nullopt);
  EXPECT_EQ(HexDecode("ab:d"), std::nullopt);
  EXPECT_EQ(HexDecode(std::string("a\0", 2)), std::nullopt);
  // Characters just outside the digit and letter ranges.
  EXPECT_EQ(HexDecode("/0"), std::nullopt);
  EXPECT_EQ(HexDecode(":0"), std::nullopt);
  EXPECT_EQ(HexDecode("@0"), std::nullopt);
  EXPECT_EQ(HexDecode("G0"), std::nullopt);
  EXPECT_EQ(HexDecode("`0"), std::nullopt);
}

// SipHash-2-4-128 reference vectors (the reference implementation's
// vectors_sip128, as in OpenSSL's tests): key 00 01 .. 0f, message
// 00 01 .. (n-1); the output bytes are the two words, little-endian.
TEST(SipHash24x128Test, ReferenceVectors) {
  const uint64_t k0 = 0x0706050403020100ULL, k1 = 0x0f0e0d0c0b0a0908ULL;
  std::string msg;
  for (int i = 0; i < 15; ++i) msg.push_back(static_cast<char>(i));
  using Out = std::array<uint64_t, 2>;
  // a3817f04ba25a8e6 6df67214c7550293
  EXPECT_EQ(SipHash24x128(k0, k1, msg.substr(0, 0)),
            (Out{0xe6a825ba047f81a3ULL, 0x930255c71472f66dULL}));
  // da87c1d86b99af44 347659119b22fc45
  EXPECT_EQ(SipHash24x128(k0, k1, msg.substr(0, 1)),
            (Out{0x44af996bd8c187daULL, 0x45fc229b11597634ULL}));
  // 5493e99933b0a811 7e08ec0f97cfc3d9
  EXPECT_EQ(SipHash24x128(k0, k1, msg), (Out{0x11a8b03399e99354ULL, 0xd9c3cf970fec087eULL}));
  // Whole blocks, then several blocks and a tail: lengths 16 and 63.
  std::string longer;
  for (int i = 0; i < 63; ++i) longer.push_back(static_cast<char>(i));
  // 6ee2a4ca67b054bb fd3315bf85230577
  EXPECT_EQ(SipHash24x128(k0, k1, longer.substr(0, 16)),
            (Out{0xbb54b067caa4e26eULL, 0x77052385bf1533fdULL}));
  // 5150d1772f50834a 503e069a973fbd7c
  EXPECT_EQ(SipHash24x128(k0, k1, longer), (Out{0x4a83502f77d15051ULL, 0x7cbd3f979a063e50ULL}));
  // The key matters.
  EXPECT_NE(SipHash24x128(k0 ^ 1, k1, msg), (Out{0x11a8b03399e99354ULL, 0xd9c3cf970fec087eULL}));
}

TEST(MultisetDigestTest, SameSetsInAnyOrderAgreeAndEveryChangeShows) {
  MultisetDigest a, b;
  a.Add("k1", "v1");
  a.Add("k2", "v2");
  a.Add("k3", "v3");
  b.Add("k3", "v3");
  b.Add("k1", "v1");
  MultisetDigest part;
  part.Add("k2", "v2");
  b.Merge(part);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.count(), 3u);

  MultisetDigest changed_value, moved_boundary, missing, extra, twice;
  for (auto* d : {&changed_value, &moved_boundary, &missing, &extra, &twice}) {
    d->Add("k1", "v1");
    d->Add("k3", "v3");
  }
  changed_value.Add("k2", "v2x");
  moved_boundary.Add("k2v", "2");  // same bytes, another split into key and value
  extra.Add("k2", "v2");
  extra.Add("k4", "v4");
  twice.Add("k2", "v2");
  twice.Add("k2", "v2");
  for (const auto* d : {&changed_value, &moved_boundary, &missing, &extra, &twice}) {
    EXPECT_NE(*d, a);
  }
  // The key is drawn once per process.
  EXPECT_EQ(&MultisetDigestKey(), &MultisetDigestKey());
  EXPECT_NE(MultisetDigestKey(), (std::array<uint64_t, 2>{}));
}

}  // namespace
}  // namespace ledger

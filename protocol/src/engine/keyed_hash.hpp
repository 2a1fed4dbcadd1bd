// Internal: SipHash (Aumasson and Bernstein, 2012) keyed per Router, for every table whose keys a peer chooses
// (call ids, room ids, senders). With an unkeyed hash a peer can compute ids that collide and turn each lookup
// into a scan of all of them; with a secret random key it cannot. SipHash-1-3 (one compression round, three
// finalisation rounds) is what Rust's and Python's hash tables use for the same reason.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <random>
#include <string_view>

namespace mxcall::protocol::engine {

struct HashKey {
  std::uint64_t k0 = 0, k1 = 0;
  static HashKey random() {
    std::random_device device;
    auto word = [&] { return (std::uint64_t{device()} << 32) ^ device(); };
    return HashKey{word(), word()};
  }
};

// An incremental SipHash-c-d over any number of byte strings; the message is their concatenation.
template <int C, int D>
class SipHasher {
 public:
  explicit SipHasher(HashKey key)
      : v0_(key.k0 ^ 0x736f6d6570736575ull),
        v1_(key.k1 ^ 0x646f72616e646f6dull),
        v2_(key.k0 ^ 0x6c7967656e657261ull),
        v3_(key.k1 ^ 0x7465646279746573ull) {}

  SipHasher& add(std::string_view bytes) {
    length_ += bytes.size();
    const char* p = bytes.data();
    std::size_t n = bytes.size();
    while (n > 0 && pending_size_ > 0 && pending_size_ < 8) {  // complete a word begun by an earlier add()
      pending_ |= std::uint64_t{static_cast<unsigned char>(*p++)} << (8 * pending_size_++);
      --n;
      if (pending_size_ == 8) {
        compress(pending_);
        pending_ = 0;
        pending_size_ = 0;
      }
    }
    for (; n >= 8; p += 8, n -= 8) {
      std::uint64_t word;
      std::memcpy(&word, p, 8);
      if constexpr (std::endian::native == std::endian::big) word = byteswap(word);
      compress(word);
    }
    for (; n > 0; --n) pending_ |= std::uint64_t{static_cast<unsigned char>(*p++)} << (8 * pending_size_++);
    return *this;
  }

  SipHasher& add_length(std::size_t n) {  // makes (a, b) and (a', b') with a + b == a' + b' hash apart
    char bytes[8];
    std::uint64_t value = n;
    for (char& b : bytes) {
      b = static_cast<char>(value & 0xff);
      value >>= 8;
    }
    return add(std::string_view(bytes, 8));
  }

  std::uint64_t finish() const {
    SipHasher h = *this;
    std::uint64_t last = h.pending_ | (std::uint64_t{h.length_ & 0xff} << 56);
    h.compress(last);
    h.v2_ ^= 0xff;
    for (int i = 0; i < D; ++i) h.round();
    return h.v0_ ^ h.v1_ ^ h.v2_ ^ h.v3_;
  }

 private:
  static std::uint64_t byteswap(std::uint64_t v) {
    std::uint64_t out = 0;
    for (int i = 0; i < 8; ++i) out = (out << 8) | ((v >> (8 * i)) & 0xff);
    return out;
  }
  void round() {
    v0_ += v1_;
    v1_ = std::rotl(v1_, 13);
    v1_ ^= v0_;
    v0_ = std::rotl(v0_, 32);
    v2_ += v3_;
    v3_ = std::rotl(v3_, 16);
    v3_ ^= v2_;
    v0_ += v3_;
    v3_ = std::rotl(v3_, 21);
    v3_ ^= v0_;
    v2_ += v1_;
    v1_ = std::rotl(v1_, 17);
    v1_ ^= v2_;
    v2_ = std::rotl(v2_, 32);
  }
  void compress(std::uint64_t word) {
    v3_ ^= word;
    for (int i = 0; i < C; ++i) round();
    v0_ ^= word;
  }

  std::uint64_t v0_, v1_, v2_, v3_;
  std::uint64_t pending_ = 0;
  std::size_t pending_size_ = 0;
  std::size_t length_ = 0;
};

using SipHash13 = SipHasher<1, 3>;

// A call's key: the call id (its length first, so no two (room, call id) pairs share a message) and the room id.
inline std::uint64_t call_key_hash(HashKey key, std::string_view room_id, std::string_view call_id) {
  return SipHash13(key).add_length(call_id.size()).add(call_id).add(room_id).finish();
}

// For unordered containers keyed by a peer's strings (rooms, senders).
struct KeyedStringHash {
  using is_transparent = void;
  HashKey key;
  std::size_t operator()(std::string_view s) const { return SipHash13(key).add(s).finish(); }
};

}  // namespace mxcall::protocol::engine

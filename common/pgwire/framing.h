// Framing of PostgreSQL protocol v3 messages: after the startup phase every message is a one-byte
// type tag, an Int32 length that counts itself but not the tag, and a body.
// https://www.postgresql.org/docs/15/protocol-overview.html#PROTOCOL-MESSAGE-CONCEPTS
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/pgwire/decode_result.h"

namespace warden::pgwire {

// Tag byte plus Int32 length.
inline constexpr size_t kHeaderSize = 5;
// Startup-phase packets (StartupMessage, SSLRequest, ...) are capped like the server caps them
// (MAX_STARTUP_PACKET_LENGTH); larger is an error, never NeedMore.
inline constexpr size_t kMaxStartupPacket = 10000;
// Cap for tagged messages before authentication completes (e.g. PasswordMessage).
inline constexpr size_t kMaxPreAuthMessage = 10000;
// Default cap for the length field of tagged messages afterwards: the server's own limit for
// large messages (PQ_LARGE_MESSAGE_LIMIT, MaxAllocSize - 1).
inline constexpr size_t kDefaultMaxMessage = 0x3fffffff;

// One tagged message, body not yet parsed. `body` views the input buffer.
struct Frame {
  char tag = 0;
  std::string_view body;
  size_t size() const { return kHeaderSize + body.size(); }
  bool operator==(const Frame&) const = default;
};

// Length rules for one tag: the length field (which counts its own 4 bytes) must be within
// [min_length, max_length]. max_length == 0 means "only the caller's cap".
struct LengthRule {
  uint32_t min_length = 4;
  uint32_t max_length = 0;
};

// Splits the first message off `bytes`. Rejects a length below 4 (or rule.min_length) or above
// max_len (or rule.max_length) as soon as the 5-byte header is available, without waiting for the
// body. consumed() is 1 + length.
DecodeResult<Frame> DecodeFrame(std::string_view bytes, size_t max_len, LengthRule rule = {});

// Big-endian Int32 at `p` (which must have 4 readable bytes).
inline uint32_t LoadBigEndian32(const char* p) {
  auto b = [p](int i) { return static_cast<uint32_t>(static_cast<uint8_t>(p[i])); };
  return (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
}

}  // namespace warden::pgwire

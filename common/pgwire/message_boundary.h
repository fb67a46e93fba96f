// PostgreSQL message boundaries in a byte stream, without decoding bodies: each message is a
// 5-byte header (tag, Int32 length) and a body.
//  - MessageBoundaryTracker follows them in O(1) memory: the agent's seam knows from it when a
//    session is idle, the gateway whether its client's stream is between two messages (only
//    there may a FATAL follow).
//  - WholeMessageCutter cuts a stream relayed in chunks at message boundaries, keeping a
//    trailing partial message for the next chunk, so an end of the session can append its own
//    message to what was relayed without landing inside another one.
// https://www.postgresql.org/docs/15/protocol-overview.html#PROTOCOL-MESSAGE-CONCEPTS
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace warden::pgwire {

class MessageBoundaryTracker {
 public:
  // Called once per message whose header has been seen, with its tag.
  template <typename OnTag>
  void Feed(std::string_view bytes, OnTag on_tag) {
    size_t i = 0;
    while (i < bytes.size()) {
      if (body_left_ > 0) {
        size_t n = bytes.size() - i < body_left_ ? bytes.size() - i : body_left_;
        body_left_ -= n;
        i += n;
        continue;
      }
      header_[header_have_++] = bytes[i++];
      if (header_have_ < 5) continue;
      header_have_ = 0;
      uint32_t len = (uint32_t{static_cast<uint8_t>(header_[1])} << 24) |
                     (uint32_t{static_cast<uint8_t>(header_[2])} << 16) |
                     (uint32_t{static_cast<uint8_t>(header_[3])} << 8) |
                     uint32_t{static_cast<uint8_t>(header_[4])};
      body_left_ = len >= 4 ? len - 4 : 0;  // a bad length is the database's to reject
      on_tag(header_[0]);
    }
  }

  // True when the bytes so far end exactly at a message boundary.
  bool at_boundary() const { return header_have_ == 0 && body_left_ == 0; }

 private:
  char header_[5] = {};
  size_t header_have_ = 0;
  size_t body_left_ = 0;
};

class WholeMessageCutter {
 public:
  // A trailing partial message up to this size is kept back; a larger one is relayed as it
  // comes (holding it would cost its size in memory, and it spans several chunks anyway).
  explicit WholeMessageCutter(size_t max_kept) : max_kept_(max_kept) {}

  // `bytes` continues the stream: on return it starts with what was kept back last time and
  // ends at a message boundary, unless a message larger than max_kept is under way.
  void Cut(std::string* bytes);
  // Bytes kept back for the next chunk.
  size_t kept() const { return kept_.size(); }
  // True when everything relayed so far ends at a message boundary.
  bool at_boundary() const { return streaming_left_ == 0; }

 private:
  size_t max_kept_;
  std::string kept_;
  size_t streaming_left_ = 0;  // body bytes of a large message still to relay
};

}  // namespace warden::pgwire

// Follows PostgreSQL message boundaries in a byte stream without buffering or decoding bodies:
// it reads each 5-byte header (tag, Int32 length) and skips the body. O(1) memory; the pump
// uses it to know when a session is idle, and the next layer (statement enforcement) will
// replace it with a full decoder.
// https://www.postgresql.org/docs/15/protocol-overview.html#PROTOCOL-MESSAGE-CONCEPTS
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace warden::agent {

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

}  // namespace warden::agent

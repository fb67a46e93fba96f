// Walks one direction's byte stream by message headers, for the layers of the seam that decide
// on some messages and let the rest stream (statement_guard.h, result_masker.h). Bodies of
// messages `hold` rejects pass straight to *out without being held; held messages are handed
// whole to `whole`, which appends what the client (or server) should get instead. At most one
// message is held at a time, and only while it is incomplete; a held message that arrives whole
// in one input chunk is handed over in place, without a copy.
// https://www.postgresql.org/docs/15/protocol-overview.html#PROTOCOL-MESSAGE-CONCEPTS
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/pgwire/framing.h"

namespace warden::agent {

struct MessageWalker {
  // A held message buffer larger than this is released once handed over, so one huge message
  // does not pin its memory for the rest of the session.
  static constexpr size_t kKeptCapacity = 1 << 20;

  std::string header;       // up to 5 bytes: tag and length
  size_t remaining = 0;     // body bytes of the current message still to pass through
  std::string message;      // a held message, being collected
  size_t message_size = 0;  // its full size (tag + length + body)
};

namespace walker_internal {

template <typename Whole>
absl::Status HandOver(MessageWalker& w, std::string* out, Whole& whole) {
  absl::Status st = whole(std::string_view(w.message), out);
  w.message_size = 0;
  if (w.message.capacity() > MessageWalker::kKeptCapacity) {
    std::string().swap(w.message);
  } else {
    w.message.clear();
  }
  return st;
}

}  // namespace walker_internal

// Returns an error for a length below 4, a tag `valid` rejects, or a held message whose length
// field exceeds `max_held` + 4 (it must not pass undecided). `hold(tag, length)` is asked once
// per message, when its header is complete.
template <typename Valid, typename Hold, typename Whole>
absl::Status WalkMessages(std::string_view in, std::string* out, size_t max_held, Valid valid,
                          Hold hold, Whole whole, MessageWalker& w) {
  using pgwire::kHeaderSize;
  while (!in.empty()) {
    if (w.remaining > 0) {  // the body of a passed-through message
      size_t n = std::min(w.remaining, in.size());
      out->append(in.data(), n);
      w.remaining -= n;
      in.remove_prefix(n);
      continue;
    }
    if (w.message_size > 0) {  // collecting a held message
      size_t n = std::min(w.message_size - w.message.size(), in.size());
      w.message.append(in.data(), n);
      in.remove_prefix(n);
      if (w.message.size() == w.message_size) {
        if (auto st = walker_internal::HandOver(w, out, whole); !st.ok()) return st;
      }
      continue;
    }
    // The header: straight from the input when it is all there, else collected across calls.
    const bool in_place = w.header.empty() && in.size() >= kHeaderSize;
    std::string_view header;
    if (in_place) {
      header = in.substr(0, kHeaderSize);
    } else {
      size_t n = std::min(kHeaderSize - w.header.size(), in.size());
      w.header.append(in.data(), n);
      in.remove_prefix(n);
      if (w.header.size() < kHeaderSize) break;
      header = w.header;
    }
    const char tag = header[0];
    const uint32_t length = pgwire::LoadBigEndian32(header.data() + 1);
    if (length < 4) {
      return absl::InvalidArgumentError(
          absl::StrCat("message '", std::string(1, tag), "' has length ", length));
    }
    if (!valid(tag)) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown message type '", std::string(1, tag), "'"));
    }
    const bool held = hold(tag, length);
    if (held && length - 4 > max_held) {
      return absl::InvalidArgumentError(absl::StrCat("message '", std::string(1, tag), "' of ",
                                                     length, " bytes is too large to decide"));
    }
    const size_t size = size_t{length} + 1;
    if (held && in_place && in.size() >= size) {  // whole in this chunk: no copy
      std::string_view message = in.substr(0, size);
      in.remove_prefix(size);
      if (auto st = whole(message, out); !st.ok()) return st;
      continue;
    }
    if (in_place) in.remove_prefix(kHeaderSize);
    if (held) {
      w.message.assign(header);
      w.message_size = size;
    } else {
      out->append(header);
      w.remaining = length - 4;
    }
    w.header.clear();
    if (w.message_size > 0 && w.message.size() == w.message_size) {  // an empty body
      if (auto st = walker_internal::HandOver(w, out, whole); !st.ok()) return st;
    }
  }
  return absl::OkStatus();
}

}  // namespace warden::agent

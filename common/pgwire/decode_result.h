// The outcome of decoding one message from the front of a byte buffer: more bytes are needed,
// a message was decoded (with the exact number of bytes it occupied), or the bytes are malformed.
// Decoders never consume on NeedMore or Error: the caller advances its buffer by consumed() only
// when has_message() is true.
#pragma once

#include <cstddef>
#include <utility>
#include <variant>

#include "absl/status/status.h"

namespace warden::pgwire {

struct NeedMore {};

template <typename T>
class [[nodiscard]] DecodeResult {
 public:
  struct Decoded {
    T message;
    size_t consumed;
  };

  DecodeResult(NeedMore) : value_(NeedMore{}) {}
  DecodeResult(T message, size_t consumed) : value_(Decoded{std::move(message), consumed}) {}
  // `error` must not be OK.
  DecodeResult(absl::Status error) : value_(std::move(error)) {}

  bool need_more() const { return std::holds_alternative<NeedMore>(value_); }
  bool has_message() const { return std::holds_alternative<Decoded>(value_); }
  bool is_error() const { return std::holds_alternative<absl::Status>(value_); }

  // Valid only when has_message().
  T& message() { return std::get<Decoded>(value_).message; }
  const T& message() const { return std::get<Decoded>(value_).message; }
  size_t consumed() const { return has_message() ? std::get<Decoded>(value_).consumed : 0; }

  // OK unless is_error().
  absl::Status status() const {
    return is_error() ? std::get<absl::Status>(value_) : absl::OkStatus();
  }

 private:
  std::variant<NeedMore, Decoded, absl::Status> value_;
};

}  // namespace warden::pgwire

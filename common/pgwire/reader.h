// A bounds-checked cursor over one message body. Every read checks that the bytes are inside the
// body; Finish() rejects trailing bytes, so a message is accepted only when it is read exactly to
// its declared length (DESIGN.md §4.1). Integers are big-endian ("network byte order"), per
// https://www.postgresql.org/docs/15/protocol-message-types.html.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace warden::pgwire {

// "'Q'" for a printable tag, "0x00" otherwise.
std::string DescribeTag(char tag);

class BodyReader {
 public:
  // `tag` names the message in errors; '\0' means an untagged startup-phase packet.
  BodyReader(char tag, std::string_view body) : tag_(tag), body_(body) {}

  size_t remaining() const { return body_.size() - pos_; }

  [[nodiscard]] absl::Status ReadUint8(uint8_t* v) {
    if (remaining() < 1) return Truncated("a byte");
    *v = static_cast<uint8_t>(body_[pos_++]);
    return absl::OkStatus();
  }
  [[nodiscard]] absl::Status ReadInt16(int16_t* v) {
    if (remaining() < 2) return Truncated("an Int16");
    *v = static_cast<int16_t>(static_cast<uint16_t>((Byte(0) << 8) | Byte(1)));
    pos_ += 2;
    return absl::OkStatus();
  }
  [[nodiscard]] absl::Status ReadUint32(uint32_t* v) {
    if (remaining() < 4) return Truncated("an Int32");
    *v = (Byte(0) << 24) | (Byte(1) << 16) | (Byte(2) << 8) | Byte(3);
    pos_ += 4;
    return absl::OkStatus();
  }
  [[nodiscard]] absl::Status ReadInt32(int32_t* v) {
    uint32_t u = 0;
    absl::Status s = ReadUint32(&u);
    *v = static_cast<int32_t>(u);
    return s;
  }
  [[nodiscard]] absl::Status ReadBytes(size_t n, std::string_view* v) {
    if (remaining() < n) return Truncated(absl::StrCat(n, " bytes"));
    *v = body_.substr(pos_, n);
    pos_ += n;
    return absl::OkStatus();
  }
  // A String: bytes up to a NUL that must lie inside the body.
  [[nodiscard]] absl::Status ReadCString(std::string_view* v) {
    size_t nul = body_.find('\0', pos_);
    if (nul == std::string_view::npos) return Error("has a string without a NUL terminator");
    *v = body_.substr(pos_, nul - pos_);
    pos_ = nul + 1;
    return absl::OkStatus();
  }
  // An Int32 length followed by that many bytes; -1 means NULL (no bytes follow).
  [[nodiscard]] absl::Status ReadNullableBytes(std::optional<std::string_view>* v) {
    int32_t len = 0;
    if (absl::Status s = ReadInt32(&len); !s.ok()) return s;
    if (len == -1) {
      *v = std::nullopt;
      return absl::OkStatus();
    }
    if (len < 0) return Error(absl::StrCat("has a negative value length ", len));
    if (static_cast<size_t>(len) > remaining()) {
      return Error(
          absl::StrCat("value length ", len, " exceeds the remaining ", remaining(), " bytes"));
    }
    std::string_view bytes;
    if (absl::Status s = ReadBytes(static_cast<size_t>(len), &bytes); !s.ok()) return s;
    *v = bytes;
    return absl::OkStatus();
  }
  // An Int16 element count. Rejects negative counts and counts that cannot fit in the rest of the
  // body given each element's minimum encoded size, so no caller reserves memory for a lie.
  [[nodiscard]] absl::Status ReadCount16(std::string_view what, size_t min_element_size,
                                         size_t* n) {
    int16_t count = 0;
    if (absl::Status s = ReadInt16(&count); !s.ok()) return s;
    return CheckCount(what, count, min_element_size, n);
  }
  [[nodiscard]] absl::Status ReadCount32(std::string_view what, size_t min_element_size,
                                         size_t* n) {
    int32_t count = 0;
    if (absl::Status s = ReadInt32(&count); !s.ok()) return s;
    return CheckCount(what, count, min_element_size, n);
  }
  std::string_view ReadRest() {
    std::string_view rest = body_.substr(pos_);
    pos_ = body_.size();
    return rest;
  }
  // The body must be consumed exactly.
  [[nodiscard]] absl::Status Finish() const {
    if (remaining() == 0) return absl::OkStatus();
    return Error(absl::StrCat("has ", remaining(), " trailing bytes"));
  }
  // InvalidArgument "message 'B' <problem>" (or "startup packet <problem>").
  absl::Status Error(std::string_view problem) const;

 private:
  uint32_t Byte(size_t i) const { return static_cast<uint8_t>(body_[pos_ + i]); }
  absl::Status Truncated(std::string_view what) const;
  absl::Status CheckCount(std::string_view what, int64_t count, size_t min_element_size,
                          size_t* n) const;

  char tag_;
  std::string_view body_;
  size_t pos_ = 0;
};

}  // namespace warden::pgwire

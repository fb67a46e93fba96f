#include "common/pgwire/framing.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/pgwire/reader.h"

namespace warden::pgwire {

std::string DescribeTag(char tag) {
  const auto byte = static_cast<unsigned char>(tag);
  if (byte >= 0x21 && byte <= 0x7e) return std::string{'\'', tag, '\''};
  return absl::StrFormat("0x%02x", byte);
}

absl::Status BodyReader::Error(std::string_view problem) const {
  std::string label = tag_ == '\0' ? "startup packet" : absl::StrCat("message ", DescribeTag(tag_));
  return absl::InvalidArgumentError(
      absl::StrCat(label, " ", absl::string_view(problem.data(), problem.size())));
}

absl::Status BodyReader::Truncated(std::string_view what) const {
  return Error(absl::StrCat("is truncated: expected ", absl::string_view(what.data(), what.size()),
                            " at offset ", pos_, " of ", body_.size()));
}

absl::Status BodyReader::CheckCount(std::string_view what, int64_t count, size_t min_element_size,
                                    size_t* n) const {
  const absl::string_view name(what.data(), what.size());
  if (count < 0) return Error(absl::StrCat("has a negative ", name, " count ", count));
  if (static_cast<uint64_t>(count) * min_element_size > remaining()) {
    return Error(
        absl::StrCat(name, " count ", count, " exceeds the remaining ", remaining(), " bytes"));
  }
  *n = static_cast<size_t>(count);
  return absl::OkStatus();
}

DecodeResult<Frame> DecodeFrame(std::string_view bytes, size_t max_len, LengthRule rule) {
  if (bytes.size() < kHeaderSize) return NeedMore{};
  const char tag = bytes[0];
  const uint32_t length = LoadBigEndian32(bytes.data() + 1);
  const size_t min_length = rule.min_length < 4 ? 4 : rule.min_length;
  size_t limit = max_len;
  if (rule.max_length != 0 && rule.max_length < limit) limit = rule.max_length;
  // Any length below 4 cannot even cover the length field itself; report that before the
  // per-type minimum so the message names the more basic problem.
  if (length < 4 || length < min_length) {
    const size_t minimum = length < 4 ? 4 : min_length;
    return absl::InvalidArgumentError(absl::StrCat("message ", DescribeTag(tag), " length ", length,
                                                   " is below the minimum ", minimum));
  }
  if (length > limit) {
    return absl::InvalidArgumentError(absl::StrCat("message ", DescribeTag(tag), " length ", length,
                                                   " exceeds the maximum ", limit));
  }
  const size_t total = 1 + static_cast<size_t>(length);
  if (bytes.size() < total) return NeedMore{};
  return DecodeResult<Frame>(Frame{tag, bytes.substr(kHeaderSize, length - 4)}, total);
}

}  // namespace warden::pgwire

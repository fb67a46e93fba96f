#include "common/tunnel/tunnel_frame.h"

#include <algorithm>
#include <cstring>

namespace warden::tunnel {

namespace {

bool KnownType(uint8_t t) {
  switch (static_cast<FrameType>(t)) {
    case FrameType::kOpen:
    case FrameType::kReady:
    case FrameType::kData:
    case FrameType::kClose:
    case FrameType::kCancel:
      return true;
  }
  return false;
}

}  // namespace

void WriteHeader(char* out, FrameType type, uint32_t payload_size) {
  out[0] = static_cast<char>(type);
  out[1] = static_cast<char>(payload_size >> 24);
  out[2] = static_cast<char>(payload_size >> 16);
  out[3] = static_cast<char>(payload_size >> 8);
  out[4] = static_cast<char>(payload_size);
}

std::string EncodeFrame(FrameType type, std::string_view payload) {
  std::string out(kHeaderSize, '\0');
  WriteHeader(out.data(), type, static_cast<uint32_t>(payload.size()));
  out.append(payload);
  return out;
}

DecodeResult DecodeFrame(std::string_view in, size_t max_payload) {
  DecodeResult r;
  if (in.empty()) return r;
  const auto type = static_cast<uint8_t>(in[0]);
  if (!KnownType(type)) {
    r.status = DecodeStatus::kError;
    r.error = "unknown tunnel frame type " + std::to_string(type);
    return r;
  }
  if (in.size() < kHeaderSize) return r;
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  const uint32_t len =
      (uint32_t{p[1]} << 24) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 8) | uint32_t{p[4]};
  if (len > max_payload) {
    r.status = DecodeStatus::kError;
    r.error = "tunnel frame of " + std::to_string(len) + " bytes exceeds the limit of " +
              std::to_string(max_payload);
    return r;
  }
  if (in.size() - kHeaderSize < len) return r;
  r.status = DecodeStatus::kFrame;
  r.frame.type = static_cast<FrameType>(type);
  r.frame.payload = in.substr(kHeaderSize, len);
  r.frame.size = kHeaderSize + len;
  return r;
}

char* FrameBuffer::WriteSpace() {
  if (begin_ == end_) begin_ = end_ = 0;
  if (capacity_ - end_ < read_size_) {
    if (begin_ > 0) {
      // Unconsumed bytes move to the front; payload views handed out earlier were consumed.
      std::memmove(buf_.get(), buf_.get() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    if (capacity_ - end_ < read_size_) {
      size_t want = std::max(end_ + read_size_, capacity_ * 2);
      std::unique_ptr<char[]> bigger(new char[want]);
      if (end_ > 0) std::memcpy(bigger.get(), buf_.get(), end_);
      buf_ = std::move(bigger);
      capacity_ = want;
    }
  }
  return buf_.get() + end_;
}

void FrameBuffer::Shrink() {
  if (begin_ != end_ || capacity_ <= read_size_) return;
  begin_ = end_ = 0;
  buf_.reset();
  capacity_ = 0;
}

}  // namespace warden::tunnel

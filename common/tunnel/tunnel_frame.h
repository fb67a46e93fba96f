// The data-plane tunnel between an agent and a gateway: one TLS connection per client session,
// dialled by the agent, carrying length-prefixed frames (I/O-free codec, DESIGN.md §4.1).
//
//   frame   = type:u8  length:u32 (big-endian)  payload[length]
//   'O' open    TunnelOpen (protobuf)   agent -> gateway, first frame, proves the session
//   'R' ready   TunnelReady (protobuf)  agent -> gateway, the database accepted the credential
//   'D' data    raw protocol bytes      both ways
//   'C' close   TunnelClose (protobuf)  agent -> gateway, why the session ended
//   'K' cancel  empty                   gateway -> agent, the client sent a CancelRequest
//
// Why not a gRPC stream per session, as DESIGN.md first had it: every byte then crossed gRPC's
// HTTP/2 framing and two thread hand-offs per process, which cost ~0.3 ms per round trip and
// two thirds of the throughput of small queries (tests/bench/README.md). A plain TLS stream
// lets each side splice bytes between two sockets on one strand, with back-pressure from
// having one write in flight per direction. gRPC still carries everything else.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace warden::tunnel {

enum class FrameType : uint8_t {
  kOpen = 'O',
  kReady = 'R',
  kData = 'D',
  kClose = 'C',
  kCancel = 'K',
};

inline constexpr size_t kHeaderSize = 5;
// Largest payload a peer may send in one frame; senders split longer data.
inline constexpr size_t kMaxPayload = 1 << 20;
// Before the open frame is accepted nothing vouches for the peer: its first frame is small.
inline constexpr size_t kMaxOpenPayload = 4096;

// Writes a frame header into out[0..kHeaderSize).
void WriteHeader(char* out, FrameType type, uint32_t payload_size);
// A whole frame: header and payload.
std::string EncodeFrame(FrameType type, std::string_view payload);

struct Frame {
  FrameType type = FrameType::kData;
  std::string_view payload;  // points into the decoded buffer
  size_t size = 0;           // header + payload: how much to consume
};

enum class DecodeStatus { kFrame, kNeedMore, kError };

struct DecodeResult {
  DecodeStatus status = DecodeStatus::kNeedMore;
  Frame frame;        // with kFrame
  std::string error;  // with kError: what was wrong, for the log
};

// Decodes the frame at the start of `in`. Unknown types and payloads over max_payload are
// errors (the connection is then closed), so a peer cannot make us buffer without bound.
DecodeResult DecodeFrame(std::string_view in, size_t max_payload = kMaxPayload);

// Accumulates bytes read from the tunnel and hands out whole frames. A frame's payload stays
// valid until Consume() of that frame; reads go to WriteSpace() and are committed with
// Commit(). Bounded by the largest frame plus one read.
class FrameBuffer {
 public:
  explicit FrameBuffer(size_t read_size = 64 * 1024) : read_size_(read_size) {}

  DecodeResult Next(size_t max_payload = kMaxPayload) const {
    return DecodeFrame(std::string_view(buf_.get() + begin_, end_ - begin_), max_payload);
  }
  void Consume(const Frame& f) { begin_ += f.size; }

  // Room for the next read (at least read_size bytes); moves unconsumed bytes to the front.
  char* WriteSpace();
  size_t WriteSpaceSize() const { return capacity_ - end_; }
  void Commit(size_t n) { end_ += n; }
  // Bytes received but not consumed.
  size_t pending() const { return end_ - begin_; }
  // Releases the memory of an idle buffer (nothing pending) that grew for a large frame.
  void Shrink();

 private:
  // [begin_, end_) holds received bytes; the rest is read space. Not a std::string: that would
  // zero-fill (touch) every page of every idle session's buffer.
  std::unique_ptr<char[]> buf_;
  size_t capacity_ = 0;
  size_t begin_ = 0;
  size_t end_ = 0;
  size_t read_size_;
};

}  // namespace warden::tunnel

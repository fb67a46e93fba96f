// libFuzzer target: arbitrary bytes as a gateway or an agent reads them from a tunnel, in the
// chunks the first input byte chooses, through FrameBuffer and the control-frame payload
// parsers. Nothing may crash or read out of bounds; every frame must re-encode to exactly the
// bytes it was decoded from; no frame may exceed the limit it was decoded with.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "common/tunnel/tunnel_frame.h"
#include "warden/v1/agent.pb.h"

namespace tn = warden::tunnel;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t chunk = 1 + data[0] % 64;
  const size_t limit = (data[0] & 0x80) ? tn::kMaxOpenPayload : tn::kMaxPayload;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  tn::FrameBuffer buf(/*read_size=*/16);
  size_t fed = 0;
  size_t decoded = 0;  // input bytes consumed as whole frames
  for (;;) {
    auto r = buf.Next(limit);
    if (r.status == tn::DecodeStatus::kError) return 0;  // the connection would be closed
    if (r.status == tn::DecodeStatus::kFrame) {
      if (r.frame.payload.size() > limit) std::abort();
      std::string again = tn::EncodeFrame(r.frame.type, r.frame.payload);
      if (again.size() != r.frame.size || input.substr(decoded, again.size()) != again) {
        std::abort();
      }
      switch (r.frame.type) {
        case tn::FrameType::kOpen: {
          warden::v1::TunnelOpen m;
          (void)m.ParseFromArray(r.frame.payload.data(), static_cast<int>(r.frame.payload.size()));
          break;
        }
        case tn::FrameType::kReady: {
          warden::v1::TunnelReady m;
          (void)m.ParseFromArray(r.frame.payload.data(), static_cast<int>(r.frame.payload.size()));
          break;
        }
        case tn::FrameType::kClose: {
          warden::v1::TunnelClose m;
          (void)m.ParseFromArray(r.frame.payload.data(), static_cast<int>(r.frame.payload.size()));
          break;
        }
        default:
          break;
      }
      decoded += r.frame.size;
      buf.Consume(r.frame);
      continue;
    }
    if (fed == input.size()) break;
    char* space = buf.WriteSpace();
    size_t n = std::min({chunk, input.size() - fed, buf.WriteSpaceSize()});
    std::memcpy(space, input.data() + fed, n);
    buf.Commit(n);
    fed += n;
    buf.Shrink();  // a no-op unless idle: must never lose pending bytes
  }
  if (buf.pending() != input.size() - decoded) std::abort();
  return 0;
}

// The gateway's client handshake (gateway/client_handshake.h) on arbitrary bytes, fed in pieces
// whose sizes the input chooses: never crashes, never asks to authorize before a startup and a
// password arrived, and never takes a token without TLS unless the listener allows it.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "gateway/client_handshake.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const bool allow_without_tls = data[0] & 1;
  const size_t piece = 1 + data[1] % 64;
  std::string_view in(reinterpret_cast<const char*>(data + 2), size - 2);
  warden::gateway::ClientHandshake h({.allow_tokens_without_tls = allow_without_tls});
  using Step = warden::gateway::ClientHandshake::Step;
  while (!in.empty()) {
    const std::string_view chunk = in.substr(0, piece);
    in.remove_prefix(chunk.size());
    h.Feed(chunk);
    for (;;) {
      const Step s = h.Next();
      if (s == Step::kReply) continue;
      if (s == Step::kStartTls) {
        h.TlsUp();
        continue;
      }
      if (s == Step::kAuthorize) {
        if (!allow_without_tls && !h.tls()) __builtin_trap();
        if (h.connection().empty()) __builtin_trap();
        return 0;
      }
      if (s == Step::kNeedMore) break;
      return 0;  // fail, close or cancel: the connection ends
    }
  }
  return 0;
}

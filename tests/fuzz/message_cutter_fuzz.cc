// WholeMessageCutter (common/pgwire/message_boundary.h) on arbitrary database byte streams cut
// into arbitrary chunks: nothing is lost, added or reordered; what it relays ends at a message
// boundary whenever it says so (the agent appends a session's last message only there); it keeps
// back no more than its bound.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/pgwire/message_boundary.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  // The first byte picks the bound (small, so large messages stream), the second the chunking.
  const size_t max_kept = 5 + data[0] % 64;
  const size_t step = 1 + data[1] % 17;
  std::string_view stream(reinterpret_cast<const char*>(data) + 2, size - 2);
  warden::pgwire::WholeMessageCutter cutter(max_kept);
  warden::pgwire::MessageBoundaryTracker relayed_boundaries;
  std::string relayed;
  for (size_t at = 0, n = step; at < stream.size(); at += n, n = n % 13 + step) {
    std::string chunk(stream.substr(at, n));
    cutter.Cut(&chunk);
    relayed += chunk;
    relayed_boundaries.Feed(chunk, [](char) {});
    if (cutter.kept() > max_kept) std::abort();  // kept back beyond its bound
    if (cutter.at_boundary() && !relayed_boundaries.at_boundary()) std::abort();
    // What was relayed plus what is kept is exactly the stream so far.
    const size_t seen = std::min(stream.size(), at + n);
    if (relayed.size() + cutter.kept() != seen) std::abort();
    if (stream.substr(0, relayed.size()) != relayed) std::abort();
  }
  return 0;
}

// The executor a session's sockets and timers run on, so that its handlers never run at once.
// With one io thread (the default) they cannot anyway, and a strand would only add its queue
// and lock to every completion: dropping it gained ~7% of small-query throughput
// (tests/bench/README.md). With several threads the session needs the strand.
#pragma once

#ifndef ASIO_STANDALONE
#define ASIO_STANDALONE 1
#endif
#include <asio.hpp>

namespace warden::net {

inline asio::any_io_executor SessionExecutor(asio::io_context& io, int io_threads) {
  if (io_threads <= 1) return io.get_executor();
  return asio::make_strand(io);
}

}  // namespace warden::net

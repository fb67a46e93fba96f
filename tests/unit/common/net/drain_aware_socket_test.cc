// DrainAwareSocket skips the read Asio would try before waiting; these tests check it never
// loses a wake-up doing so: bytes that arrive after a short read, or while no read is pending,
// are still delivered, in order, and the end of the stream too.
#include "common/net/drain_aware_socket.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <string>

namespace {

using asio::ip::tcp;

struct Pair {
  asio::io_context io;
  warden::net::DrainAwareSocket reader{io};
  tcp::socket writer{io};

  Pair() {
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    writer.connect(acceptor.local_endpoint());
    reader = warden::net::DrainAwareSocket(acceptor.accept());
    writer.set_option(tcp::no_delay(true));
  }

  // Runs the loop until `done` or a bounded time: a lost wake-up shows as a timeout, not a hang.
  template <typename Pred>
  bool RunUntil(Pred done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io.restart();
      io.run_for(std::chrono::milliseconds(20));
    }
    return done();
  }
};

// Reads whatever arrives into `got` until `want` bytes are there, one async_read_some at a time.
struct Collector {
  explicit Collector(warden::net::DrainAwareSocket& socket) : s(socket) {}

  warden::net::DrainAwareSocket& s;
  std::string got;
  char buf[64] = {};
  bool reading = false;
  asio::error_code last;

  void Read() {
    reading = true;
    s.async_read_some(asio::buffer(buf), [this](asio::error_code ec, std::size_t n) {
      reading = false;
      last = ec;
      if (ec) return;
      got.append(buf, n);
      Read();
    });
  }
};

}  // namespace

TEST_CASE("DrainAwareSocket delivers bytes sent after a short read", "[net]") {
  Pair p;
  Collector c(p.reader);
  c.Read();
  std::string sent;
  // Sizes below, at and above the 64-byte read buffer: a full read is not "drained", a short
  // one is, and each message is written only after the last one was read.
  for (std::size_t n : {1u, 5u, 63u, 64u, 65u, 128u, 200u, 2u}) {
    for (int round = 0; round < 20; ++round) {
      const std::string msg(n, static_cast<char>('a' + round % 26));
      asio::write(p.writer, asio::buffer(msg));
      sent += msg;
      REQUIRE(p.RunUntil([&] { return c.got.size() == sent.size(); }));
    }
  }
  CHECK(c.got == sent);
}

TEST_CASE("DrainAwareSocket delivers bytes that arrived while no read was pending", "[net]") {
  Pair p;
  char buf[64];
  std::size_t got = 0;
  p.reader.async_read_some(asio::buffer(buf), [&](asio::error_code ec, std::size_t n) {
    REQUIRE(!ec);
    got = n;
  });
  asio::write(p.writer, asio::buffer(std::string("first")));
  REQUIRE(p.RunUntil([&] { return got == 5; }));  // a short read: the socket counts as drained

  // The next bytes arrive, and the reactor sees their event, before anyone reads again.
  asio::write(p.writer, asio::buffer(std::string("second")));
  p.io.restart();
  p.io.run_for(std::chrono::milliseconds(50));
  got = 0;
  p.reader.async_read_some(asio::buffer(buf), [&](asio::error_code ec, std::size_t n) {
    REQUIRE(!ec);
    got = n;
  });
  REQUIRE(p.RunUntil([&] { return got == 6; }));
  CHECK(std::string(buf, 6) == "second");
}

TEST_CASE("DrainAwareSocket reports an end of stream or a reset after a short read", "[net]") {
  for (const bool reset : {false, true}) {
    INFO((reset ? "reset" : "end of stream"));
    Pair p;
    Collector c(p.reader);
    c.Read();
    asio::write(p.writer, asio::buffer(std::string("bye")));
    REQUIRE(p.RunUntil([&] { return c.got == "bye"; }));
    if (reset) p.writer.set_option(asio::socket_base::linger(true, 0));
    p.writer.close();
    REQUIRE(p.RunUntil([&] { return !c.reading; }));
    const asio::error_code expected = reset ? asio::error_code(asio::error::connection_reset)
                                            : asio::error_code(asio::error::eof);
    CHECK(c.last == expected);
  }
}

TEST_CASE("DrainAwareSocket works under asio::async_read", "[net]") {
  Pair p;
  char buf[10];
  bool done = false;
  asio::async_read(p.reader, asio::buffer(buf), [&](asio::error_code ec, std::size_t n) {
    REQUIRE(!ec);
    REQUIRE(n == 10);
    done = true;
  });
  for (const char* part : {"01", "234", "56789"}) {
    asio::write(p.writer, asio::buffer(std::string(part)));
    p.io.restart();
    p.io.run_for(std::chrono::milliseconds(10));
  }
  REQUIRE(p.RunUntil([&] { return done; }));
  CHECK(std::string(buf, 10) == "0123456789");
}

TEST_CASE("DrainAwareSocket skips the read that can only fail after a short read", "[net]") {
  if (!warden::net::DrainAwareSocket::kDrainAware) {
    WARN("reads are Asio's own in this build");
    return;
  }
  Pair p;
  Collector c(p.reader);
  c.Read();
  // (A connection's first short read asks for the queued count; the next counts the reactor's
  // initial marks as an event.)
  for (const char* part : {"hello", "there", "world"}) {
    asio::write(p.writer, asio::buffer(std::string(part)));
    REQUIRE(p.RunUntil([&] { return c.got.size() % 5 == 0 && c.got.find(part) != c.got.npos; }));
  }
  CHECK(c.got == "hellothereworld");
  // The handler read again: that read waits for the reactor rather than calling recv() first.
  CHECK(!p.reader.next_read_speculative());
}

// Reads short messages first, so that the next read waits for the reactor; then the peer's
// last bytes and its end of stream arrive together, before the loop runs again: one recv()
// takes the bytes, and no further event comes for what followed them.
static void WarmUp(Pair& p, Collector& c) {
  c.Read();
  for (const char* part : {"one", "two", "six"}) {
    asio::write(p.writer, asio::buffer(std::string(part)));
    REQUIRE(p.RunUntil([&] { return c.got.find(part) != c.got.npos; }));
  }
  c.got.clear();
  if (warden::net::DrainAwareSocket::kDrainAware) REQUIRE(!p.reader.next_read_speculative());
}

TEST_CASE("DrainAwareSocket reports an end of stream that came with the last bytes", "[net]") {
  Pair p;
  Collector c(p.reader);
  WarmUp(p, c);
  asio::write(p.writer, asio::buffer(std::string("bye")));
  p.writer.shutdown(tcp::socket::shutdown_send);
  REQUIRE(p.RunUntil([&] { return !c.reading; }));
  CHECK(c.got == "bye");
  CHECK(c.last == asio::error::eof);
}

TEST_CASE("DrainAwareSocket reports a reset that came with the last bytes", "[net]") {
  Pair p;
  Collector c(p.reader);
  WarmUp(p, c);
  // A close with SO_LINGER 0 resets (as a close with unread data does).
  asio::write(p.writer, asio::buffer(std::string("bye")));
  p.writer.set_option(asio::socket_base::linger(true, 0));
  p.writer.close();
  REQUIRE(p.RunUntil([&] { return !c.reading; }));
  CHECK((c.got == "bye" || c.got.empty()));  // Linux keeps the bytes; others may drop them
  CHECK(c.last == asio::error::connection_reset);
}

// The same two endings while no read is pending: the reactor sees their event first, and the
// next read takes the bytes at once (the speculative attempt), with the same outcome.
TEST_CASE("DrainAwareSocket reports an ending that came while no read was pending", "[net]") {
  for (const bool reset : {false, true}) {
    INFO((reset ? "reset" : "end of stream"));
    Pair p;
    char buf[64];
    bool done = false;
    asio::error_code last;
    std::size_t got = 0;
    auto read_once = [&] {
      done = false;
      p.reader.async_read_some(asio::buffer(buf), [&](asio::error_code ec, std::size_t n) {
        last = ec;
        got = n;
        done = true;
      });
    };
    for (const char* part : {"one", "two", "six"}) {
      read_once();
      asio::write(p.writer, asio::buffer(std::string(part)));
      REQUIRE(p.RunUntil([&] { return done; }));
      REQUIRE(!last);
    }
    asio::write(p.writer, asio::buffer(std::string("bye")));
    if (reset) {
      p.writer.set_option(asio::socket_base::linger(true, 0));
      p.writer.close();
    } else {
      p.writer.shutdown(tcp::socket::shutdown_send);
    }
    p.io.restart();
    p.io.run_for(std::chrono::milliseconds(50));  // the event, with no read queued
    read_once();
    REQUIRE(p.RunUntil([&] { return done; }));
    if (!last) {
      CHECK(std::string(buf, got) == "bye");
      read_once();
      REQUIRE(p.RunUntil([&] { return done; }));
    }
    const asio::error_code expected = reset ? asio::error_code(asio::error::connection_reset)
                                            : asio::error_code(asio::error::eof);
    CHECK(last == expected);
  }
}

TEST_CASE("DrainAwareSocket drains only where the kernel counts a FIN", "[net]") {
  // This machine's kernel (Linux >= 4.18) does; where it does not, reads are Asio's own.
#if defined(WARDEN_DRAIN_AWARE_READS)
  CHECK(warden::net::drain_internal::DrainingAvailable());
#endif
}

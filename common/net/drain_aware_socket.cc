// The system calls behind DrainAwareSocket's reads (drain_aware_socket.h).
#include "common/net/drain_aware_socket.h"

#if defined(WARDEN_DRAIN_AWARE_READS)

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace warden::net::drain_internal {
namespace {

using DescriptorState = Reactor::descriptor_state;
using SpeculativeFlags = bool (DescriptorState::*)[Reactor::max_ops];

// The reactor keeps, per descriptor and queue, whether the next operation may be tried at once;
// every event sets the flags of the queues it concerns. They are private to Asio's reactor: an
// explicit instantiation may name a private member, and this one hands the member pointer out
// through a friend function. The version check in the header pins the layout this relies on.
struct SpeculativeFlagsTag {
  friend SpeculativeFlags Member(SpeculativeFlagsTag);
};
template <SpeculativeFlags M>
struct ExposeSpeculativeFlags {
  friend SpeculativeFlags Member(SpeculativeFlagsTag) { return M; }
};
template struct ExposeSpeculativeFlags<&DescriptorState::try_speculative_>;

bool* FlagsOf(Reactor::per_descriptor_data state) { return state->*Member(SpeculativeFlagsTag{}); }

// The queued bytes a read of `fd` reported (TCP_INQ); false when its answer had no such count.
bool QueuedAfter(msghdr& msg, int* queued) {
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == IPPROTO_TCP && c->cmsg_type == TCP_CM_INQ &&
        c->cmsg_len >= CMSG_LEN(sizeof(int))) {
      std::memcpy(queued, CMSG_DATA(c), sizeof(int));
      return true;
    }
  }
  return false;
}

// One recvmsg of `fd` into `buffer` asking for the queued count; EINTR is retried.
ssize_t ReceiveWithCount(int fd, void* buffer, size_t size, int flags, int* queued, bool* counted) {
  iovec iov{buffer, size};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  ssize_t got = 0;
  do {
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    got = ::recvmsg(fd, &msg, flags);
  } while (got < 0 && errno == EINTR);
  *counted = got > 0 && QueuedAfter(msg, queued);
  return got;
}

// Whether this kernel counts a received FIN in TCP_INQ's answer, as Linux has since 4.18: on a
// stack that accepts TCP_INQ but counts only bytes, a FIN that came with the last bytes would
// leave the next read waiting for an event that never comes. Tried once on a loopback pair: one
// byte and a FIN sent, one byte read, and the count must not be 0.
bool KernelCountsFin() {
  auto closing = [](int fd) {
    if (fd >= 0) ::close(fd);
  };
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int client = -1;
  int server = -1;
  bool counts = false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  const int on = 1;
  if (listener >= 0 && ::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::listen(listener, 1) == 0 &&
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) == 0 &&
      (client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0 &&
      ::connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      (server = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC)) >= 0 &&
      ::setsockopt(server, IPPROTO_TCP, TCP_INQ, &on, sizeof(on)) == 0 &&
      ::send(client, "x", 1, MSG_NOSIGNAL) == 1 && ::shutdown(client, SHUT_WR) == 0) {
    // Both have arrived once the FIN has (bounded: a second at most).
    pollfd p{server, POLLRDHUP, 0};
    char byte = 0;
    int queued = 0;
    bool counted = false;
    counts = ::poll(&p, 1, 1000) == 1 && (p.revents & POLLRDHUP) != 0 &&
             ReceiveWithCount(server, &byte, 1, MSG_DONTWAIT, &queued, &counted) == 1 && counted &&
             queued > 0;
  }
  closing(server);
  closing(client);
  closing(listener);
  return counts;
}

}  // namespace

bool DrainingAvailable() {
  static const bool available = KernelCountsFin();
  return available;
}

Status Receive(int fd, Reactor::per_descriptor_data state, asio::mutable_buffer buffer,
               asio::error_code* ec, std::size_t* n) {
  int queued = 1;
  bool counted = false;
  const ssize_t got = ReceiveWithCount(fd, buffer.data(), buffer.size(), 0, &queued, &counted);
  *n = 0;
  if (got < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Status::not_done;
    // (Asio reports an error as exhausting; trying the next read at once finds the end sooner.)
    *ec = asio::error_code(errno, asio::error::get_system_category());
    return Status::done;
  }
  if (got == 0) {  // the end of the stream, as Asio reports it
    *ec = asio::error::eof;
    return Status::done_and_exhausted;
  }
  *ec = asio::error_code();
  *n = static_cast<std::size_t>(got);
  if (*n == buffer.size()) return Status::done;  // more may be queued
  if (!counted) {
    // This descriptor does not report its queue yet (the first short read of a connection):
    // asked once, when the kernel is known to count a FIN; the next short read has the count.
    if (DrainingAvailable()) {
      const int on = 1;
      (void)::setsockopt(fd, IPPROTO_TCP, TCP_INQ, &on, sizeof(on));
    }
    return Status::done;
  }
  if (queued != 0) return Status::done;
  // An error or hang-up event since the last look (a reset that came with these bytes) marked
  // the out-of-band queue too: the next read must find it. The mark is taken here, under the
  // descriptor's lock; nothing in Warden reads out of band.
  bool& error_seen = FlagsOf(state)[Reactor::except_op];
  if (error_seen) {
    error_seen = false;
    return Status::done;
  }
  return Status::done_and_exhausted;
}

bool NextReadSpeculative(Reactor::per_descriptor_data state) {
  return state == nullptr || FlagsOf(state)[Reactor::read_op];
}

}  // namespace warden::net::drain_internal

#endif

// A TCP socket whose reads remember that they drained the socket, so the next read waits for
// the reactor instead of first trying a read that can only fail.
//
// Asio 1.22 (Debian 12's) starts every async read with a speculative recv(). On a proxy's
// sockets that read almost always returns EAGAIN: the read that completed took everything the
// peer had sent, and the peer is waiting for the answer. That is one wasted system call per
// message on each socket, two per small transaction per process, on a machine where a system
// call costs more than the work around it (tests/bench/README.md). Asio's epoll reactor already
// skips the speculative attempt after an operation reports "done and exhausted"; its receive
// reports that only at the end of the stream. The read below reports it after a short read too,
// when nothing can be left that would raise no further event:
//  - bytes that arrive after the read raise a new edge-triggered event, which performs the
//    queued read or sets the reactor's speculative flag again, so no byte waits;
//  - the kernel tells, with the read itself (TCP_INQ), how many bytes are still queued, and
//    counts a received FIN as one: a FIN that came with the last bytes is read next time;
//  - a reset (or any error or hang-up) that came with the last bytes raised its event already,
//    with those bytes: the reactor marks every queue of the descriptor then, including the
//    out-of-band one Warden never uses, and a read that finds that mark does not count as
//    draining, so the next read finds the error.
// Without TCP_INQ's answer a read never counts as draining: it is Asio's own behaviour. That is
// also the case on a kernel that does not count a FIN in that answer (checked once per process,
// on a loopback pair), and for a connection's first short read (the count is asked for then).
// Nothing may read these sockets out of band (message_out_of_band): such a read would take the
// reactor's error mark that the reset case relies on.
//
// This reaches into asio::detail, so it is compiled only for the Asio version and reactor it was
// written against; anywhere else (and for buffer sequences of several buffers, empty buffers or
// handlers with a cancellation slot) it is the plain async_read_some.
#pragma once

#ifndef ASIO_STANDALONE
#define ASIO_STANDALONE 1
#endif
#include <asio.hpp>
#include <cstddef>
#include <iterator>
#include <utility>

#if ASIO_VERSION == 102201 && defined(ASIO_HAS_EPOLL) && !defined(ASIO_HAS_IO_URING_AS_DEFAULT) && \
    !defined(ASIO_DISABLE_EPOLL) && defined(__linux__)
#define WARDEN_DRAIN_AWARE_READS 1
#endif

namespace warden::net {

#if defined(WARDEN_DRAIN_AWARE_READS)
namespace drain_internal {

using Reactor = asio::detail::epoll_reactor;
using Status = asio::detail::reactor_op::status;

// Whether reads may count as draining in this process: the kernel counts a received FIN in
// TCP_INQ's answer (probed once).
bool DrainingAvailable();

// One non-blocking read into `buffer`, as Asio's receive does it (*ec, *n; not_done for
// EAGAIN), except that it returns done_and_exhausted after a short read that left nothing
// queued and saw no error or hang-up event (see the top of this file). Called with the
// descriptor's lock held, as the reactor performs every operation.
Status Receive(int fd, Reactor::per_descriptor_data state, asio::mutable_buffer buffer,
               asio::error_code* ec, std::size_t* n);

// Whether the reactor will try the descriptor's next read at once (for tests).
bool NextReadSpeculative(Reactor::per_descriptor_data state);

// A receive operation like Asio's own reactive_socket_recv_op for one buffer, except for what
// it reports after a short read.
template <typename Handler, typename IoExecutor>
class RecvOp : public asio::detail::reactor_op {
 public:
  ASIO_DEFINE_HANDLER_PTR(RecvOp);

  RecvOp(asio::detail::socket_type socket, Reactor::per_descriptor_data state,
         asio::mutable_buffer buffer, Handler& handler, const IoExecutor& io_ex)
      : reactor_op(asio::error_code(), &RecvOp::Perform, &RecvOp::Complete),
        socket_(socket),
        state_(state),
        buffer_(buffer),
        handler_(std::move(handler)),
        work_(handler_, io_ex) {}

  static status Perform(reactor_op* base) {
    auto* o = static_cast<RecvOp*>(base);
    return Receive(o->socket_, o->state_, o->buffer_, &o->ec_, &o->bytes_transferred_);
  }

  static void Complete(void* owner, asio::detail::operation* base, const asio::error_code&,
                       std::size_t) {
    auto* o = static_cast<RecvOp*>(base);
    ptr p = {asio::detail::addressof(o->handler_), o, o};
    asio::detail::handler_work<Handler, IoExecutor> w(std::move(o->work_));
    // The handler is moved out before the operation's memory is freed: it may own that memory.
    asio::detail::binder2<Handler, asio::error_code, std::size_t> handler(o->handler_, o->ec_,
                                                                          o->bytes_transferred_);
    p.h = asio::detail::addressof(handler.handler_);
    p.reset();
    if (owner) {
      asio::detail::fenced_block b(asio::detail::fenced_block::half);
      w.complete(handler, handler.handler_);
    }
  }

 private:
  asio::detail::socket_type socket_;
  Reactor::per_descriptor_data state_;
  asio::mutable_buffer buffer_;
  Handler handler_;
  asio::detail::handler_work<Handler, IoExecutor> work_;
};

}  // namespace drain_internal
#endif

class DrainAwareSocket : public asio::ip::tcp::socket {
 public:
  using asio::ip::tcp::socket::basic_stream_socket;
  explicit DrainAwareSocket(asio::ip::tcp::socket&& s) : asio::ip::tcp::socket(std::move(s)) {}

  // Hides the base's async_read_some, so asio::async_read and asio::ssl::stream (which call
  // the next layer's async_read_some) use it too.
  template <typename MutableBufferSequence, typename Handler>
  void async_read_some(const MutableBufferSequence& buffers, Handler&& handler) {
#if defined(WARDEN_DRAIN_AWARE_READS)
    using H = std::decay_t<Handler>;
    auto first = asio::buffer_sequence_begin(buffers);
    if (std::distance(first, asio::buffer_sequence_end(buffers)) == 1 &&
        asio::mutable_buffer(*first).size() > 0 &&
        !asio::get_associated_cancellation_slot(handler).is_connected()) {
      H h(std::forward<Handler>(handler));
      StartRead(asio::mutable_buffer(*first), h);
      return;
    }
#endif
    asio::ip::tcp::socket::async_read_some(buffers, std::forward<Handler>(handler));
  }

  // For tests, on the socket's own thread: whether the next read starts with a recv() (true)
  // or waits for the reactor (false), and whether this build drains at all.
  bool next_read_speculative() {
#if defined(WARDEN_DRAIN_AWARE_READS)
    return drain_internal::NextReadSpeculative(impl_.get_implementation().reactor_data_);
#else
    return true;
#endif
  }
  static constexpr bool kDrainAware =
#if defined(WARDEN_DRAIN_AWARE_READS)
      true;
#else
      false;
#endif

 private:
#if defined(WARDEN_DRAIN_AWARE_READS)
  template <typename H>
  void StartRead(asio::mutable_buffer buffer, H& handler) {
    using Op = drain_internal::RecvOp<H, executor_type>;
    auto& impl = impl_.get_implementation();
    asio::execution_context& context = asio::query(get_executor(), asio::execution::context);
    if (&context != reactor_context_) {  // the socket may be assigned one of another context
      reactor_ = &asio::use_service<drain_internal::Reactor>(context);
      reactor_context_ = &context;
      // The process's one probe runs here, outside the reactor's locks, not inside a read.
      (void)drain_internal::DrainingAvailable();
    }
    const bool is_continuation = ::asio_handler_cont_helpers::is_continuation(handler);
    typename Op::ptr p = {asio::detail::addressof(handler), Op::ptr::allocate(handler), nullptr};
    p.p = new (p.v) Op(impl.socket_, impl.reactor_data_, buffer, handler, get_executor());
    // As Asio's own start_op: the descriptor must be non-blocking for the reactor to read it.
    if ((impl.state_ & asio::detail::socket_ops::non_blocking) ||
        asio::detail::socket_ops::set_internal_non_blocking(impl.socket_, impl.state_, true,
                                                            p.p->ec_)) {
      reactor_->start_op(drain_internal::Reactor::read_op, impl.socket_, impl.reactor_data_, p.p,
                         is_continuation, /*allow_speculative=*/true);
    } else {
      reactor_->post_immediate_completion(p.p, is_continuation);
    }
    p.v = p.p = nullptr;
  }

  drain_internal::Reactor* reactor_ = nullptr;
  asio::execution_context* reactor_context_ = nullptr;
#endif
};

}  // namespace warden::net

// A TCP socket whose reads remember that they drained the socket, so the next read waits for
// the reactor instead of first trying a read that can only fail.
//
// Asio 1.22 (Debian 12's) starts every async read with a speculative recv(). On a proxy's
// sockets that read almost always returns EAGAIN: the read that completed took everything the
// peer had sent, and the peer is waiting for the answer. That is one wasted system call per
// message on each socket, two per small transaction per process, on a machine where a system
// call costs more than the work around it (tests/bench/README.md). Asio's epoll reactor already
// skips the speculative attempt after an operation reports "done and exhausted"; its receive
// reports that only at end of stream. The read below reports it after a short read too: a stream
// recv() that returned less than was asked for left the socket's queue empty, and any byte that
// arrives after it raises a new edge-triggered event, which sets the reactor's speculative flag
// again or performs the queued read. So no wake-up is lost and no byte waits.
//
// This reaches into asio::detail, so it is compiled only for the Asio version and reactor it was
// written against; anywhere else (and for buffer sequences of several buffers, empty buffers or
// handlers with a cancellation slot) it is the plain async_read_some.
#pragma once

#ifndef ASIO_STANDALONE
#define ASIO_STANDALONE 1
#endif
#include <asio.hpp>
#include <iterator>
#include <utility>

#if ASIO_VERSION == 102201 && defined(ASIO_HAS_EPOLL) && !defined(ASIO_HAS_IO_URING_AS_DEFAULT) && \
    !defined(ASIO_DISABLE_EPOLL)
#define WARDEN_DRAIN_AWARE_READS 1
#endif

namespace warden::net {

#if defined(WARDEN_DRAIN_AWARE_READS)
namespace detail {

// A receive operation like Asio's own reactive_socket_recv_op for one buffer, except for what
// perform() reports after a short read.
template <typename Handler, typename IoExecutor>
class DrainAwareRecvOp : public asio::detail::reactor_op {
 public:
  ASIO_DEFINE_HANDLER_PTR(DrainAwareRecvOp);

  DrainAwareRecvOp(asio::detail::socket_type socket, asio::mutable_buffer buffer, Handler& handler,
                   const IoExecutor& io_ex)
      : reactor_op(asio::error_code(), &DrainAwareRecvOp::Perform, &DrainAwareRecvOp::Complete),
        socket_(socket),
        buffer_(buffer),
        handler_(std::move(handler)),
        work_(handler_, io_ex) {}

  static status Perform(reactor_op* base) {
    auto* o = static_cast<DrainAwareRecvOp*>(base);
    if (!asio::detail::socket_ops::non_blocking_recv1(o->socket_, o->buffer_.data(),
                                                      o->buffer_.size(), 0, /*is_stream=*/true,
                                                      o->ec_, o->bytes_transferred_)) {
      return not_done;  // EAGAIN: the reactor waits for the next event.
    }
    // End of stream (0 bytes) or a short read: nothing more is queued right now.
    if (!o->ec_ && o->bytes_transferred_ < o->buffer_.size()) return done_and_exhausted;
    if (o->ec_ == asio::error::eof) return done_and_exhausted;
    return done;
  }

  static void Complete(void* owner, asio::detail::operation* base, const asio::error_code&,
                       std::size_t) {
    auto* o = static_cast<DrainAwareRecvOp*>(base);
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
  asio::mutable_buffer buffer_;
  Handler handler_;
  asio::detail::handler_work<Handler, IoExecutor> work_;
};

}  // namespace detail
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

 private:
#if defined(WARDEN_DRAIN_AWARE_READS)
  template <typename H>
  void StartRead(asio::mutable_buffer buffer, H& handler) {
    using Op = detail::DrainAwareRecvOp<H, executor_type>;
    if (!reactor_) {
      reactor_ = &asio::use_service<asio::detail::epoll_reactor>(
          asio::query(get_executor(), asio::execution::context));
    }
    auto& impl = impl_.get_implementation();
    const bool is_continuation = ::asio_handler_cont_helpers::is_continuation(handler);
    typename Op::ptr p = {asio::detail::addressof(handler), Op::ptr::allocate(handler), nullptr};
    p.p = new (p.v) Op(impl.socket_, buffer, handler, get_executor());
    // As Asio's own start_op: the descriptor must be non-blocking for the reactor to read it.
    if ((impl.state_ & asio::detail::socket_ops::non_blocking) ||
        asio::detail::socket_ops::set_internal_non_blocking(impl.socket_, impl.state_, true,
                                                            p.p->ec_)) {
      reactor_->start_op(asio::detail::epoll_reactor::read_op, impl.socket_, impl.reactor_data_,
                         p.p, is_continuation, /*allow_speculative=*/true);
    } else {
      reactor_->post_immediate_completion(p.p, is_continuation);
    }
    p.v = p.p = nullptr;
  }

  asio::detail::epoll_reactor* reactor_ = nullptr;
#endif
};

}  // namespace warden::net

// Between the sessions that hold statements for approval and the control stream that carries
// the requests to the control plane's queue. Thread-safe: sessions call it from their
// executors, the control stream from its thread. Messages go out from the desk's own sender
// thread, in order, so that no session waits on the network (a control plane that stops
// reading stalls only that thread until the stream is dropped).
//
// A session raises a request and names a listener; the desk gives it a handle, sends the raise
// and routes to the listener the control plane's answer (the request with its id, or why it was
// refused) and every later change of that request (approved, denied, expired). Withdrawals and
// outcomes sent while no control stream is up are kept, in order, and sent on the next one: a
// request still waiting when the control plane restarts is decided after it and reaches its
// session. A raise, though, needs a stream now: without one the statement is refused at once
// (fail closed), and one whose stream ended before it was answered is refused too (the agent
// cannot tell whether it was recorded; if it was, it expires unanswered).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "absl/status/statusor.h"
#include "warden/v1/agent.pb.h"

namespace warden::agent {

class ApprovalDesk {
 public:
  ApprovalDesk();
  ~ApprovalDesk();
  ApprovalDesk(const ApprovalDesk&) = delete;
  ApprovalDesk& operator=(const ApprovalDesk&) = delete;

  // Sends one message on the current control stream (signed there); false when it could not.
  using Sender = std::function<bool(const v1::ApprovalMessage&)>;
  // A session's ear for its request. Called on the control stream's thread, never under the
  // desk's lock: hand the update to the session's own executor and return.
  using Listener = std::function<void(const v1::ApprovalUpdate&)>;

  // Withdrawals and outcomes kept while no stream is up, at most (older ones are dropped: the
  // control plane expires what is never withdrawn).
  static constexpr size_t kMaxKept = 10000;

  // --- The control stream's side.
  // A stream is up and proven: raises may go out; what was kept goes out first.
  void Connected(Sender send);
  // The stream ended: raises not answered yet are refused (their listeners hear why). Once it
  // returns, `send` is not running and will not run again.
  void Disconnected();
  // An update from the control plane (verified): to the listener of the request it is about.
  void Deliver(const v1::ApprovalUpdate& update);

  // --- The sessions' side.
  bool available() const { return available_.load(std::memory_order_acquire); }
  // Raises `proposed`; the answer and every change go to `listener` (an error answer when the
  // stream ends before the control plane answered). Returns the request's handle; Unavailable
  // when no control stream is up.
  absl::StatusOr<std::string> Raise(const v1::ApprovalRequest& proposed, Listener listener);
  // The client cancelled or left: the request is withdrawn (as soon as its id is known) and the
  // listener is not called again.
  void Withdraw(const std::string& handle);
  // The approved statement ran (or failed): its outcome is recorded; the listener is dropped.
  void Outcome(const std::string& handle, const v1::ApprovalOutcome& outcome);
  // The session is done with the request (it refused the statement): the listener is dropped.
  void Forget(const std::string& handle);

  size_t waiting() const;  // requests with a listener (for tests and logs)
  // Blocks until every message queued so far was handed to the stream, or no stream is up.
  void Flush();

 private:
  struct Entry {
    Listener listener;
    std::string request_id;  // once the control plane answered the raise
    bool withdrawn = false;  // withdrawn before the answer came: withdraw it when it does
  };
  // Under mu_: queues `m` for the sender thread.
  void Queue(v1::ApprovalMessage m);
  void EraseLocked(const std::string& handle);
  void SendLoop();

  mutable std::mutex mu_;
  std::atomic<bool> available_{false};
  Sender send_;
  uint64_t next_handle_ = 0;
  std::unordered_map<std::string, Entry> by_handle_;
  std::unordered_map<std::string, std::string> handle_of_;  // request id -> handle
  std::deque<v1::ApprovalMessage> outbox_;  // in order; withdrawals and outcomes outlive streams
  std::condition_variable cv_;
  bool sending_ = false;  // send_ is running (outside mu_)
  bool stop_ = false;
  std::thread sender_;
};

}  // namespace warden::agent

#include "agent/enforcement/approval_desk.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/log/log.h"

namespace warden::agent {

namespace {

// After these, the control plane says nothing more the session waits for.
bool Final(v1::ApprovalState s) {
  return s == v1::APPROVAL_STATE_DENIED || s == v1::APPROVAL_STATE_EXPIRED ||
         s == v1::APPROVAL_STATE_WITHDRAWN || s == v1::APPROVAL_STATE_EXECUTED;
}

v1::ApprovalMessage Message(v1::ApprovalMessage::Kind kind, const std::string& request_id) {
  v1::ApprovalMessage m;
  m.set_kind(kind);
  m.set_request_id(request_id);
  return m;
}

}  // namespace

ApprovalDesk::ApprovalDesk() : sender_([this] { SendLoop(); }) {}

ApprovalDesk::~ApprovalDesk() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  sender_.join();
}

void ApprovalDesk::SendLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stop_ || (send_ && !outbox_.empty()); });
    if (stop_) return;
    const v1::ApprovalMessage m = outbox_.front();
    Sender send = send_;
    sending_ = true;
    lock.unlock();
    const bool sent = send(m);
    lock.lock();
    sending_ = false;
    if (sent) {
      outbox_.pop_front();
    } else {
      // The stream is broken; Disconnected follows. A raise goes with it (its session hears
      // so then); withdrawals and outcomes wait for the next stream.
      if (m.kind() == v1::ApprovalMessage::KIND_RAISE) outbox_.pop_front();
      send_ = nullptr;
      available_.store(false, std::memory_order_release);
    }
    cv_.notify_all();
  }
}

void ApprovalDesk::Connected(Sender send) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    send_ = std::move(send);
    available_.store(true, std::memory_order_release);
  }
  cv_.notify_all();
}

void ApprovalDesk::Disconnected() {
  std::vector<std::pair<Listener, v1::ApprovalUpdate>> refused;
  {
    std::unique_lock<std::mutex> lock(mu_);
    available_.store(false, std::memory_order_release);
    send_ = nullptr;
    cv_.wait(lock, [&] { return !sending_; });  // the stream's writer goes with the stream
    std::erase_if(outbox_, [](const v1::ApprovalMessage& m) {
      return m.kind() == v1::ApprovalMessage::KIND_RAISE;
    });
    for (auto it = by_handle_.begin(); it != by_handle_.end();) {
      if (!it->second.request_id.empty()) {
        ++it;
        continue;
      }
      if (!it->second.withdrawn) {
        v1::ApprovalUpdate u;
        u.set_handle(it->first);
        u.set_error("the connection to the control plane was lost before the request was recorded");
        refused.emplace_back(std::move(it->second.listener), std::move(u));
      }
      it = by_handle_.erase(it);
    }
  }
  for (auto& [listener, update] : refused) listener(update);
}

void ApprovalDesk::Flush() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return stop_ || !send_ || (outbox_.empty() && !sending_); });
}

void ApprovalDesk::Deliver(const v1::ApprovalUpdate& update) {
  Listener listener;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::string handle = update.handle();
    if (handle.empty()) {
      auto h = handle_of_.find(update.request().id());
      if (h == handle_of_.end()) return;  // a request no session here waits for (any more)
      handle = h->second;
    }
    auto it = by_handle_.find(handle);
    if (it == by_handle_.end()) return;
    Entry& e = it->second;
    if (!update.error().empty()) {
      listener = std::move(e.listener);
      EraseLocked(handle);
    } else {
      if (e.request_id.empty()) {
        e.request_id = update.request().id();
        handle_of_[e.request_id] = handle;
      }
      if (e.withdrawn) {
        // The client went while the raise was on its way: withdraw it now that it has an id
        // (also one approved at once under a window: it never ran).
        if (update.request().state() == v1::APPROVAL_STATE_PENDING ||
            update.request().state() == v1::APPROVAL_STATE_APPROVED) {
          Queue(Message(v1::ApprovalMessage::KIND_WITHDRAW, e.request_id));
        }
        EraseLocked(handle);
        return;
      }
      listener = e.listener;
      if (Final(update.request().state())) EraseLocked(handle);
    }
  }
  if (listener) listener(update);
}

absl::StatusOr<std::string> ApprovalDesk::Raise(const v1::ApprovalRequest& proposed,
                                                Listener listener) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!send_) return absl::UnavailableError("the agent has no connection to the control plane");
  std::string handle = absl::StrCat("h", ++next_handle_);
  v1::ApprovalMessage m;
  m.set_kind(v1::ApprovalMessage::KIND_RAISE);
  m.set_handle(handle);
  *m.mutable_request() = proposed;
  by_handle_[handle] = Entry{std::move(listener), "", false};
  Queue(std::move(m));
  return handle;
}

void ApprovalDesk::Withdraw(const std::string& handle) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_handle_.find(handle);
  if (it == by_handle_.end()) return;
  if (it->second.request_id.empty()) {
    // Not sent yet: it never will be (the front one may be on its way: the sender owns it).
    // Sent: withdrawn once its answer names it.
    for (auto m = outbox_.begin() + (sending_ && !outbox_.empty() ? 1 : 0); m != outbox_.end();
         ++m) {
      if (m->kind() == v1::ApprovalMessage::KIND_RAISE && m->handle() == handle) {
        outbox_.erase(m);
        by_handle_.erase(it);
        return;
      }
    }
    it->second.withdrawn = true;
    it->second.listener = nullptr;
    return;
  }
  Queue(Message(v1::ApprovalMessage::KIND_WITHDRAW, it->second.request_id));
  EraseLocked(handle);
}

void ApprovalDesk::Outcome(const std::string& handle, const v1::ApprovalOutcome& outcome) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_handle_.find(handle);
  if (it == by_handle_.end() || it->second.request_id.empty()) return;
  v1::ApprovalMessage m = Message(v1::ApprovalMessage::KIND_OUTCOME, it->second.request_id);
  *m.mutable_outcome() = outcome;
  Queue(std::move(m));
  EraseLocked(handle);
}

void ApprovalDesk::Forget(const std::string& handle) {
  std::lock_guard<std::mutex> lock(mu_);
  EraseLocked(handle);
}

size_t ApprovalDesk::waiting() const {
  std::lock_guard<std::mutex> lock(mu_);
  return by_handle_.size();
}

void ApprovalDesk::Queue(v1::ApprovalMessage m) {
  if (outbox_.size() >= kMaxKept) {
    spdlog::warn("approvals: {} messages wait for the control plane; dropping the oldest",
                 outbox_.size());
    // Not the one on its way (the sender pops it when sent).
    outbox_.erase(outbox_.begin() + (sending_ ? 1 : 0));
  }
  outbox_.push_back(std::move(m));
  cv_.notify_all();
}

void ApprovalDesk::EraseLocked(const std::string& handle) {
  auto it = by_handle_.find(handle);
  if (it == by_handle_.end()) return;
  if (!it->second.request_id.empty()) handle_of_.erase(it->second.request_id);
  by_handle_.erase(it);
}

}  // namespace warden::agent

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

void ApprovalDesk::Connected(Sender send) {
  std::lock_guard<std::mutex> lock(mu_);
  send_ = std::move(send);
  while (!kept_.empty()) {
    if (!send_(kept_.front())) {
      send_ = nullptr;
      return;
    }
    kept_.pop_front();
  }
  available_.store(true, std::memory_order_release);
}

void ApprovalDesk::Disconnected() {
  std::vector<std::pair<Listener, v1::ApprovalUpdate>> refused;
  {
    std::lock_guard<std::mutex> lock(mu_);
    available_.store(false, std::memory_order_release);
    send_ = nullptr;
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
        // The client went while the raise was on its way: withdraw it now that it has an id.
        if (update.request().state() == v1::APPROVAL_STATE_PENDING) {
          SendOrKeep(Message(v1::ApprovalMessage::KIND_WITHDRAW, e.request_id));
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
  // Entered first: the answer may come back before send_ returns.
  by_handle_[handle] = Entry{std::move(listener), "", false};
  if (!send_(m)) {
    by_handle_.erase(handle);
    return absl::UnavailableError("the request could not be sent to the control plane");
  }
  return handle;
}

void ApprovalDesk::Withdraw(const std::string& handle) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_handle_.find(handle);
  if (it == by_handle_.end()) return;
  if (it->second.request_id.empty()) {
    it->second.withdrawn = true;
    it->second.listener = nullptr;
    return;
  }
  SendOrKeep(Message(v1::ApprovalMessage::KIND_WITHDRAW, it->second.request_id));
  EraseLocked(handle);
}

void ApprovalDesk::Outcome(const std::string& handle, const v1::ApprovalOutcome& outcome) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_handle_.find(handle);
  if (it == by_handle_.end() || it->second.request_id.empty()) return;
  v1::ApprovalMessage m = Message(v1::ApprovalMessage::KIND_OUTCOME, it->second.request_id);
  *m.mutable_outcome() = outcome;
  SendOrKeep(std::move(m));
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

void ApprovalDesk::SendOrKeep(v1::ApprovalMessage m) {
  if (send_ && kept_.empty() && send_(m)) return;
  if (kept_.size() >= kMaxKept) {
    spdlog::warn("approvals: {} messages kept for the control plane; dropping the oldest",
                 kept_.size());
    kept_.pop_front();
  }
  kept_.push_back(std::move(m));
}

void ApprovalDesk::EraseLocked(const std::string& handle) {
  auto it = by_handle_.find(handle);
  if (it == by_handle_.end()) return;
  if (!it->second.request_id.empty()) handle_of_.erase(it->second.request_id);
  by_handle_.erase(it);
}

}  // namespace warden::agent

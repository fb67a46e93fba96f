// Wakes every agent control stream when the global policy version moves, the set of
// connections changes or an admin ends a session, so each reaches connected agents at once
// instead of on a poll.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace warden::controlplane {

class PolicyNotifier {
 public:
  explicit PolicyNotifier(int64_t version) : version_(version) {}

  void Publish(int64_t version) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (version > version_) version_ = version;
    }
    cv_.notify_all();
  }

  // A connection was created, changed or deleted.
  void ConnectionsChanged() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++connections_epoch_;
    }
    cv_.notify_all();
  }

  // An admin ended a session (LiveSessions::End).
  void SessionsEnded() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++ends_epoch_;
    }
    cv_.notify_all();
  }

  // An approval request changed (the agent streams send their agents what they are owed).
  void ApprovalsChanged() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++approvals_epoch_;
    }
    cv_.notify_all();
  }

  // Wakes waiters so they re-check their own exit conditions.
  void Poke() { cv_.notify_all(); }

  struct State {
    int64_t policy_version = -1;
    int64_t connections_epoch = -1;
    int64_t ends_epoch = -1;
    int64_t approvals_epoch = -1;
    bool operator==(const State&) const = default;
  };

  // Returns the current state once it differs from `seen`, or after `timeout`.
  State WaitChanged(const State& seen, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return StateLocked() != seen; });
    return StateLocked();
  }

  int64_t current() {
    std::lock_guard<std::mutex> lock(mu_);
    return version_;
  }

 private:
  std::mutex mu_;
  State StateLocked() const {
    return State{version_, connections_epoch_, ends_epoch_, approvals_epoch_};
  }

  std::condition_variable cv_;
  int64_t version_;
  int64_t connections_epoch_ = 0;
  int64_t ends_epoch_ = 0;
  int64_t approvals_epoch_ = 0;
};

}  // namespace warden::controlplane

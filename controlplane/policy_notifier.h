// Wakes every agent control stream when the global policy version moves, so a policy apply
// reaches connected agents at once instead of on a poll.
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

  // Wakes waiters so they re-check their own exit conditions.
  void Poke() { cv_.notify_all(); }

  // Returns the current version once it differs from `seen`, or after `timeout`.
  int64_t WaitChanged(int64_t seen, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return version_ != seen; });
    return version_;
  }

  int64_t current() {
    std::lock_guard<std::mutex> lock(mu_);
    return version_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int64_t version_;
};

}  // namespace warden::controlplane

// Exponential backoff with jitter for reconnects: each failure doubles the ceiling up to a
// cap, and the wait is drawn from [ceiling/2, ceiling] so that many agents restarted together
// do not reconnect in lockstep.
#pragma once

#include <algorithm>
#include <chrono>
#include <random>

namespace warden::agent {

class Backoff {
 public:
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds cap)
      : initial_(initial), cap_(cap), ceiling_(initial), rng_(std::random_device{}()) {}

  std::chrono::milliseconds Next() {
    auto c = ceiling_.count();
    std::uniform_int_distribution<long long> dist(c / 2, c);
    ceiling_ = std::min(cap_, ceiling_ * 2);
    return std::chrono::milliseconds(dist(rng_));
  }

  void Reset() { ceiling_ = initial_; }

 private:
  std::chrono::milliseconds initial_, cap_, ceiling_;
  std::mt19937_64 rng_;
};

}  // namespace warden::agent

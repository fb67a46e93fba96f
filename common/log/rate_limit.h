// Rate limits for log lines that unauthenticated peers can cause (refused connections, failed
// handshakes, rejected credentials): a flood of them must not fill the disk or bury the lines
// that matter. A token bucket per call site; the first line after a quiet spell says how many
// were left out.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

namespace warden::log {

class RateLimit {
 public:
  using Clock = std::chrono::steady_clock;

  // Up to `per_second` lines a second on average, `burst` at once.
  explicit RateLimit(double per_second = 5, double burst = 20)
      : per_second_(per_second), burst_(burst), tokens_(burst) {}

  // nullopt: leave this line out. Otherwise log it, with the count left out before it.
  std::optional<uint64_t> Admit(Clock::time_point now = Clock::now()) {
    std::lock_guard<std::mutex> lock(mu_);
    if (started_) {
      std::chrono::duration<double> elapsed = now - last_;
      tokens_ = std::min(burst_, tokens_ + elapsed.count() * per_second_);
    }
    started_ = true;
    last_ = now;
    if (tokens_ < 1) {
      ++suppressed_;
      return std::nullopt;
    }
    tokens_ -= 1;
    uint64_t left_out = suppressed_;
    suppressed_ = 0;
    return left_out;
  }

 private:
  std::mutex mu_;
  const double per_second_;
  const double burst_;
  double tokens_;
  bool started_ = false;
  Clock::time_point last_{};
  uint64_t suppressed_ = 0;
};

// " (N similar lines left out)" after a suppression, else "".
inline std::string LeftOut(uint64_t n) {
  return n == 0 ? std::string() : " (" + std::to_string(n) + " similar lines left out)";
}

}  // namespace warden::log

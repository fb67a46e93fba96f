// The agent's current policy: an immutable snapshot swapped whole on each push, so a session
// reads one consistent version per statement (DESIGN.md §4.4).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "warden/v1/policy.pb.h"

namespace warden::agent {

using PolicySnapshotPtr = std::shared_ptr<const v1::PolicySnapshot>;

class PolicyHolder {
 public:
  // The version in force (-1 before the first snapshot), without taking the lock.
  int64_t version() const { return version_.load(std::memory_order_acquire); }
  // Counts every snapshot installed, also one with the version already in force (a control
  // plane whose store was restored may send other content under it), without taking the lock:
  // sessions check it on their hot path and read the snapshot only when it changed.
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

  PolicySnapshotPtr Current() const {
    std::lock_guard<std::mutex> lock(mu_);
    return current_;
  }

  // The snapshot in force and the masking key that came with it (empty: none; hash masking
  // rules then redact), read together.
  PolicySnapshotPtr Current(std::string* masking_key) const {
    std::lock_guard<std::mutex> lock(mu_);
    *masking_key = masking_key_;
    return current_;
  }

  // Installs the snapshot, with the masking key opened from it, unless it is older than the
  // one held (a reordered push must not roll policy back). Returns the version now in force.
  int64_t Install(PolicySnapshotPtr snap, std::string masking_key = {}) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!current_ || snap->version() >= current_->version()) {
      current_ = std::move(snap);
      masking_key_ = std::move(masking_key);
      version_.store(current_->version(), std::memory_order_release);
      generation_.fetch_add(1, std::memory_order_acq_rel);
    }
    return current_->version();
  }

 private:
  mutable std::mutex mu_;
  PolicySnapshotPtr current_;
  std::string masking_key_;  // in memory only; never logged
  std::atomic<int64_t> version_{-1};
  std::atomic<uint64_t> generation_{0};
};

}  // namespace warden::agent

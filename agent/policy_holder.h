// The agent's current policy: an immutable snapshot swapped whole on each push, so a session
// reads one consistent version per statement (DESIGN.md §4.4).
#pragma once

#include <memory>
#include <mutex>

#include "warden/v1/policy.pb.h"

namespace warden::agent {

using PolicySnapshotPtr = std::shared_ptr<const v1::PolicySnapshot>;

class PolicyHolder {
 public:
  PolicySnapshotPtr Current() const {
    std::lock_guard<std::mutex> lock(mu_);
    return current_;
  }

  // Installs the snapshot unless it is older than the one held (a reordered push must not
  // roll policy back). Returns the version now in force.
  int64_t Install(PolicySnapshotPtr snap) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!current_ || snap->version() >= current_->version()) current_ = std::move(snap);
    return current_->version();
  }

 private:
  mutable std::mutex mu_;
  PolicySnapshotPtr current_;
};

}  // namespace warden::agent

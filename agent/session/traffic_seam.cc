#include "agent/session/traffic_seam.h"

#include <chrono>

namespace warden::agent {

std::string TrafficSeam::StartFunctionCatalogLoad() {
  return guard_ ? guard_->StartFunctionCatalogLoad(std::chrono::steady_clock::now()) : "";
}

absl::Status TrafficSeam::FrontendBytes(std::string* bytes) {
  frontend_bytes_ += bytes->size();
  if (guard_) {
    scratch_.clear();
    if (auto st = guard_->Frontend(*bytes, &scratch_); !st.ok()) return st;
    bytes->swap(scratch_);
  }
  // Idle before these bytes: nothing outstanding, both directions at a message boundary.
  const bool idle = awaiting_ready_ == 0 && !unsynced_ && !terminated_ && frontend_.at_boundary() &&
                    backend_.at_boundary() && !bytes->empty() && (*bytes)[0] != 'X';
  // The agent's own queries, to go before the client's bytes: the guard's first (its answer is
  // taken out of the stream before the masker sees it), then the masker's.
  std::string ahead;
  if (guard_ && idle) ahead = guard_->OnIdle(std::chrono::steady_clock::now());
  if (masker_) {
    if (idle) ahead += masker_->OnIdle();
    if (auto st = masker_->Frontend(*bytes); !st.ok()) return st;
  }
  // What follows tracks the client's bytes the database gets (the agent's own queries and their
  // answers are the guard's and the masker's business: neither is seen here).
  frontend_.Feed(*bytes, [this](char tag) {
    switch (tag) {
      case 'Q':  // Query
      case 'F':  // FunctionCall
        ++awaiting_ready_;
        break;
      case 'S':  // Sync
        ++awaiting_ready_;
        unsynced_ = false;
        break;
      case 'X':
        terminated_ = true;
        break;
      case 'P':  // Parse, Bind, Describe, Execute, Close, Flush
      case 'B':
      case 'D':
      case 'E':
      case 'C':
      case 'H':
        unsynced_ = true;
        break;
      default:  // CopyData/CopyDone/CopyFail belong to the Query that started the COPY
        break;
    }
  });
  if (!ahead.empty()) bytes->insert(0, ahead);
  return absl::OkStatus();
}

absl::Status TrafficSeam::BackendBytes(std::string* bytes) {
  backend_bytes_ += bytes->size();
  if (guard_) {
    scratch_.clear();
    if (auto st = guard_->Backend(*bytes, &scratch_); !st.ok()) return st;
    bytes->swap(scratch_);
  }
  if (masker_) {
    scratch_.clear();
    if (auto st = masker_->Backend(*bytes, &scratch_); !st.ok()) return st;
    bytes->swap(scratch_);
  }
  backend_.Feed(*bytes, [this](char tag) {
    if (tag == 'Z' && awaiting_ready_ > 0) --awaiting_ready_;
    if (guard_) guard_->OnServerMessage(tag);
  });
  return absl::OkStatus();
}

bool TrafficSeam::IdleForTerminate() const {
  return !terminated_ && frontend_.at_boundary() && backend_.at_boundary() &&
         awaiting_ready_ == 0 && !unsynced_;
}

}  // namespace warden::agent

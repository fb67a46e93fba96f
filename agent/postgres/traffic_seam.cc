#include "agent/postgres/traffic_seam.h"

#include <chrono>

namespace warden::agent {

std::string TrafficSeam::StartFunctionCatalogLoad() {
  return guard_ ? guard_->StartFunctionCatalogLoad(std::chrono::steady_clock::now()) : "";
}

absl::Status TrafficSeam::FrontendBytes(std::string* bytes) {
  frontend_bytes_ += bytes->size();
  switch (state()) {
    case QueryState::kHeld:
      return HeldBytes(bytes);
    case QueryState::kReady:
      return ClientBytes(bytes, /*ready=*/true);
    case QueryState::kInQuery:
    case QueryState::kCopyIn:
    case QueryState::kCopyOut:
      return ClientBytes(bytes, /*ready=*/false);
  }
  return absl::InternalError("unknown query state");
}

absl::Status TrafficSeam::HeldBytes(std::string* bytes) {
  scratch_.clear();
  if (auto st = guard_->Frontend(*bytes, &scratch_); !st.ok()) return st;
  if (!scratch_.empty()) return absl::InternalError("bytes passed a held statement");
  bytes->clear();
  return absl::OkStatus();
}

absl::Status TrafficSeam::ClientBytes(std::string* bytes, bool ready) {
  if (guard_) {
    scratch_.clear();
    if (auto st = guard_->Frontend(*bytes, &scratch_); !st.ok()) return st;
    bytes->swap(scratch_);
  }
  return AfterGuard(bytes, ready);
}

absl::Status TrafficSeam::ReleaseHold(const HoldRelease& release, std::string* out) {
  if (state() != QueryState::kHeld) return absl::FailedPreconditionError("no statement is held");
  const bool ready = ledger_.state(/*held=*/false) == QueryState::kReady;
  out->clear();
  if (auto st = guard_->Release(release, out); !st.ok()) return st;
  return AfterGuard(out, ready);
}

bool TrafficSeam::AbandonHold() {
  if (state() != QueryState::kHeld) return false;
  guard_->Abandon();
  return true;
}

absl::Status TrafficSeam::AfterGuard(std::string* bytes, bool ready) {
  // Idle before these bytes: nothing outstanding, both directions at a message boundary.
  const bool idle = ready && !ledger_.terminated() && frontend_.at_boundary() &&
                    backend_.at_boundary() && !bytes->empty() && (*bytes)[0] != 'X';
  // The agent's own queries, to go before the client's bytes: the guard's first (its answer is
  // taken out of the stream before the masker sees it), then the masker's.
  std::string ahead;
  if (guard_ && idle) ahead = guard_->OnIdle(std::chrono::steady_clock::now());
  if (masker_ && idle) ahead += masker_->OnIdle();
  // The guard entered what it let through in the ledger; without one, the seam does. (The
  // agent's own queries and their answers are the guard's and the masker's business: neither
  // is in the ledger.)
  if (!guard_) {
    if (auto st = FeedClientBytes(*bytes, client_walker_, ledger_); !st.ok()) return st;
  }
  frontend_.Feed(*bytes, [](char) {});
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
  // The masker fed the ledger each message as it walked them; without one, the seam does.
  backend_.Feed(*bytes, [this](char tag) {
    if (!masker_) ledger_.OnServerMessage(tag, {}, 0, /*whole=*/false);
  });
  return absl::OkStatus();
}

bool TrafficSeam::IdleForTerminate() const {
  return !ledger_.terminated() && frontend_.at_boundary() && backend_.at_boundary() &&
         ledger_.state(/*held=*/false) == QueryState::kReady;
}

}  // namespace warden::agent

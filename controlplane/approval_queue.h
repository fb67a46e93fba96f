// The approval queue: requests agents raise for the statements they hold, decided by approvers,
// expired by the clock, withdrawn when the client cancels or leaves, closed with the outcome
// once an approved statement ran. Each change is stored before anyone hears of it, so a restart
// loses nothing: the pending requests are read back and expire on time.
//
// The rules (who may decide, what a decision does) are approval_rules.h's; this class applies
// them to stored requests one at a time and tells its watchers (the agent streams, `wardenctl
// approvals list -w`) of every change. Time comes from the injected clock (unix seconds).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "controlplane/store/approval_store.h"
#include "warden/v1/admin.pb.h"
#include "warden/v1/approval.pb.h"
#include "warden/v1/control.pb.h"
#include "warden/v1/policy.pb.h"

namespace warden::controlplane {

class ApprovalQueue {
 public:
  using Clock = std::function<int64_t()>;
  using Watcher = std::function<void(const v1::ApprovalRequest&)>;

  // Reads back the pending requests and the approval windows still open.
  static absl::StatusOr<std::unique_ptr<ApprovalQueue>> Open(store::ApprovalStore& store,
                                                             Clock clock);

  // A request `agent` raised for a statement it holds in `session`. Who asked (identity, groups,
  // connection) is the session's as the control plane authorized it, never the agent's word;
  // who may decide, how many must, how long it waits and the longest window come from `policy`
  // (the one whose rule held it, as the control plane has it). The statement's facts
  // (text, parameters, hash, class, fingerprint, rule, estimate) are the agent's. Returns the
  // request as stored, with its id: PENDING, or APPROVED at once (window_of set) when an open
  // window (WindowFor) covers it.
  absl::StatusOr<v1::ApprovalRequest> Raise(const v1::ApprovalRequest& proposed,
                                            const std::string& agent,
                                            const v1::LiveSession& session,
                                            const v1::Policy& policy);

  // An approver's word (approval_rules.h: MayDecide, ApplyDecision).
  absl::StatusOr<v1::ApprovalRequest> Decide(const std::string& id, const v1::AdminTokenInfo& who,
                                             bool approve, const std::string& reason,
                                             int64_t window_seconds);

  // The agent that raised `id` says its client cancelled or left. FailedPrecondition when it is
  // no longer pending; PermissionDenied for another agent's request.
  absl::StatusOr<v1::ApprovalRequest> Withdraw(const std::string& id, const std::string& agent);
  // The agent that raised `id` says how the approved statement went.
  absl::StatusOr<v1::ApprovalRequest> RecordOutcome(const std::string& id, const std::string& agent,
                                                    const v1::ApprovalOutcome& outcome);

  // Expires every pending request whose time is up; returns them.
  std::vector<v1::ApprovalRequest> ExpireDue();
  // When the next pending request expires (unix seconds), if any is pending.
  std::optional<int64_t> NextDeadline();

  // The approved request whose window (approve --for) lets this statement through without
  // asking: same identity, connection and fingerprint, window still open.
  std::optional<std::string> WindowFor(const std::string& identity, const std::string& connection,
                                       const std::string& fingerprint);

  // Watchers hear of every request as it is stored, in the order changes were stored: they run
  // under the queue's lock, so they must not call the queue (they note and wake someone). Once
  // Unwatch returns, its watcher is not running and will not run again.
  int Watch(Watcher watcher);
  void Unwatch(int id);

  absl::StatusOr<v1::ApprovalRequest> Get(const std::string& id) { return store_.Get(id); }
  absl::StatusOr<std::vector<v1::ApprovalRequest>> List(std::optional<v1::ApprovalState> state,
                                                        int limit) {
    return store_.List(state, limit);
  }

 private:
  struct Window {
    std::string identity, connection, fingerprint, request;
    int64_t until = 0;
  };
  ApprovalQueue(store::ApprovalStore& store, Clock clock) : store_(store), clock_(clock) {}
  // WindowFor under mu_, at `now`.
  std::optional<std::string> OpenWindow(const std::string& identity, const std::string& connection,
                                        const std::string& fingerprint, int64_t now);
  // Stores `r`, notes its deadline and windows and tells the watchers (under mu_).
  absl::Status Store(const v1::ApprovalRequest& r, bool created);
  void Note(const v1::ApprovalRequest& r);
  void Tell(const v1::ApprovalRequest& r);
  // The request `agent` raised, for a change only that agent may make.
  absl::StatusOr<v1::ApprovalRequest> OwnRequest(const std::string& id, const std::string& agent);

  store::ApprovalStore& store_;
  Clock clock_;
  std::mutex mu_;                             // one change at a time
  std::map<std::string, int64_t> deadlines_;  // pending request id -> expires_unix
  std::vector<Window> windows_;
  std::mutex watchers_mu_;
  std::map<int, Watcher> watchers_;
  int next_watcher_ = 1;
};

}  // namespace warden::controlplane

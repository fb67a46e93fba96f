#include "controlplane/approval_queue.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/crypto/token.h"
#include "common/util/status_macros.h"
#include "controlplane/approval_rules.h"

namespace warden::controlplane {

namespace {

// Requests read back at a start: every pending one, and enough of the latest approved ones to
// find the windows still open (a window is at most a week).
constexpr int kAllPending = 1 << 30;
constexpr int kApprovedReadBack = 10000;
constexpr uint32_t kDefaultTimeoutSeconds = 300;

}  // namespace

absl::StatusOr<std::unique_ptr<ApprovalQueue>> ApprovalQueue::Open(store::ApprovalStore& store,
                                                                   Clock clock) {
  std::unique_ptr<ApprovalQueue> q(new ApprovalQueue(store, std::move(clock)));
  for (auto [state, limit] : {std::pair{v1::APPROVAL_STATE_PENDING, kAllPending},
                              std::pair{v1::APPROVAL_STATE_APPROVED, kApprovedReadBack},
                              std::pair{v1::APPROVAL_STATE_EXECUTED, kApprovedReadBack}}) {
    ASSIGN_OR_RETURN(std::vector<v1::ApprovalRequest> known, store.List(state, limit));
    for (const v1::ApprovalRequest& r : known) q->Note(r);
  }
  return q;
}

absl::StatusOr<v1::ApprovalRequest> ApprovalQueue::Raise(const v1::ApprovalRequest& proposed,
                                                         const std::string& agent,
                                                         const v1::LiveSession& session,
                                                         const v1::Policy& policy) {
  if (session.agent() != agent) {
    return absl::PermissionDeniedError(
        absl::StrCat("session ", session.session_id(), " does not run on agent ", agent));
  }
  const v1::ApprovalSettings& settings = policy.approval();
  if (settings.approver_groups().empty() && settings.approver_identities().empty()) {
    // Nobody could approve it: the client hears so now rather than at the timeout.
    return absl::FailedPreconditionError(
        absl::StrCat("policy \"", policy.name(),
                     "\" names no approvers (approval.approver_groups, "
                     "approval.approver_identities), so nobody could approve this statement"));
  }
  if (proposed.statement().empty()) {
    return absl::InvalidArgumentError("an approval request needs the statement it holds");
  }
  v1::ApprovalRequest r = proposed;
  r.set_id(crypto::GeneratePublicId("apr_"));
  r.set_state(v1::APPROVAL_STATE_PENDING);
  r.set_session_id(session.session_id());
  r.set_identity(session.identity());
  r.mutable_groups()->CopyFrom(session.groups());
  r.set_connection(session.connection());
  r.set_agent(agent);
  r.set_policy(policy.name());
  const v1::ApprovalSettings& a = policy.approval();
  r.mutable_approver_groups()->CopyFrom(a.approver_groups());
  r.mutable_approver_identities()->CopyFrom(a.approver_identities());
  r.set_approvals_required(std::max<uint32_t>(1, a.approvals_required()));
  r.set_max_window_seconds(a.max_window_seconds());
  r.clear_decisions();
  r.clear_outcome();
  r.clear_window_of();
  r.set_closed_unix(0);
  {
    std::lock_guard<std::mutex> lock(mu_);
    const int64_t now = clock_();
    r.set_created_unix(now);
    r.set_expires_unix(now +
                       (a.timeout_seconds() == 0 ? kDefaultTimeoutSeconds : a.timeout_seconds()));
    // An approver's --for already covers this identity's statement of this fingerprint on this
    // connection: approved as it is raised, and it says under whose approval.
    if (std::optional<std::string> window =
            OpenWindow(r.identity(), r.connection(), r.fingerprint(), now)) {
      r.set_state(v1::APPROVAL_STATE_APPROVED);
      r.set_window_of(*window);
      r.set_closed_unix(now);
    }
    RETURN_IF_ERROR(Store(r, /*created=*/true));
  }
  return r;
}

absl::StatusOr<v1::ApprovalRequest> ApprovalQueue::Decide(const std::string& id,
                                                          const v1::AdminTokenInfo& who,
                                                          bool approve, const std::string& reason,
                                                          int64_t window_seconds) {
  v1::ApprovalRequest r;
  absl::Status decided;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ASSIGN_OR_RETURN(r, store_.Get(id));
    const int64_t now = clock_();
    if (ExpireIfDue(r, now)) {
      // Its time was up before the approver's word arrived: it expires now, and says so.
      RETURN_IF_ERROR(Store(r, /*created=*/false));
      decided = absl::FailedPreconditionError(absl::StrCat(id, " expired before this decision"));
    } else {
      RETURN_IF_ERROR(ApplyDecision(r, who, approve, reason, window_seconds, now));
      RETURN_IF_ERROR(Store(r, /*created=*/false));
    }
  }
  if (!decided.ok()) return decided;
  return r;
}

absl::StatusOr<v1::ApprovalRequest> ApprovalQueue::OwnRequest(const std::string& id,
                                                              const std::string& agent) {
  ASSIGN_OR_RETURN(v1::ApprovalRequest r, store_.Get(id));
  if (r.agent() != agent) {
    return absl::PermissionDeniedError(
        absl::StrCat(id, " was raised by agent ", r.agent(), ", not ", agent));
  }
  return r;
}

absl::StatusOr<v1::ApprovalRequest> ApprovalQueue::Withdraw(const std::string& id,
                                                            const std::string& agent) {
  v1::ApprovalRequest r;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ASSIGN_OR_RETURN(r, OwnRequest(id, agent));
    if (!controlplane::Withdraw(r, clock_())) {
      return absl::FailedPreconditionError(
          absl::StrCat(id, " is ", StateName(r.state()), ", no longer pending"));
    }
    RETURN_IF_ERROR(Store(r, /*created=*/false));
  }
  return r;
}

absl::StatusOr<v1::ApprovalRequest> ApprovalQueue::RecordOutcome(
    const std::string& id, const std::string& agent, const v1::ApprovalOutcome& outcome) {
  v1::ApprovalRequest r;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ASSIGN_OR_RETURN(r, OwnRequest(id, agent));
    RETURN_IF_ERROR(controlplane::RecordOutcome(r, outcome));
    RETURN_IF_ERROR(Store(r, /*created=*/false));
  }
  return r;
}

std::vector<v1::ApprovalRequest> ApprovalQueue::ExpireDue() {
  std::vector<v1::ApprovalRequest> expired;
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t now = clock_();
  std::vector<std::string> due;
  for (const auto& [id, deadline] : deadlines_) {
    if (deadline <= now) due.push_back(id);
  }
  for (const std::string& id : due) {
    absl::StatusOr<v1::ApprovalRequest> r = store_.Get(id);
    if (!r.ok()) {
      deadlines_.erase(id);  // gone from the store: nothing to expire
      continue;
    }
    if (!ExpireIfDue(*r, now)) {
      Note(*r);  // decided meanwhile, or its deadline moved: noted as it is
      continue;
    }
    if (Store(*r, /*created=*/false).ok()) expired.push_back(std::move(*r));
  }
  return expired;
}

std::optional<int64_t> ApprovalQueue::NextDeadline() {
  std::lock_guard<std::mutex> lock(mu_);
  std::optional<int64_t> next;
  for (const auto& [id, deadline] : deadlines_) {
    if (!next || deadline < *next) next = deadline;
  }
  return next;
}

std::optional<std::string> ApprovalQueue::WindowFor(const std::string& identity,
                                                    const std::string& connection,
                                                    const std::string& fingerprint) {
  std::lock_guard<std::mutex> lock(mu_);
  return OpenWindow(identity, connection, fingerprint, clock_());
}

std::optional<std::string> ApprovalQueue::OpenWindow(const std::string& identity,
                                                     const std::string& connection,
                                                     const std::string& fingerprint, int64_t now) {
  std::erase_if(windows_, [now](const Window& w) { return w.until <= now; });
  for (const Window& w : windows_) {
    if (w.identity == identity && w.connection == connection && w.fingerprint == fingerprint) {
      return w.request;
    }
  }
  return std::nullopt;
}

absl::Status ApprovalQueue::Store(const v1::ApprovalRequest& r, bool created) {
  RETURN_IF_ERROR(created ? store_.Create(r) : store_.Update(r));
  Note(r);
  Tell(r);  // under mu_: watchers hear the changes in the order they were stored
  return absl::OkStatus();
}

void ApprovalQueue::Note(const v1::ApprovalRequest& r) {
  if (r.state() == v1::APPROVAL_STATE_PENDING) {
    deadlines_[r.id()] = r.expires_unix();
    return;
  }
  deadlines_.erase(r.id());
  if (r.state() != v1::APPROVAL_STATE_APPROVED && r.state() != v1::APPROVAL_STATE_EXECUTED) return;
  // A window opens only once the request is approved, only for what the approvers saw (this
  // identity's statements of this fingerprint on this connection), and only when every approval
  // gave one: one approver's --for never stands in for the others a policy requires. It ends
  // with the shortest of them.
  int64_t until = 0;
  for (const v1::ApprovalDecision& d : r.decisions()) {
    if (!d.approve()) continue;
    if (d.window_until_unix() == 0) return;
    until = until == 0 ? d.window_until_unix() : std::min(until, d.window_until_unix());
  }
  if (until <= clock_()) return;
  for (const Window& w : windows_) {
    if (w.request == r.id()) return;
  }
  windows_.push_back({r.identity(), r.connection(), r.fingerprint(), r.id(), until});
}

void ApprovalQueue::Tell(const v1::ApprovalRequest& r) {
  // Under watchers_mu_ too, so that once Unwatch returns its watcher is not running (it may
  // capture what its owner is about to destroy).
  std::lock_guard<std::mutex> lock(watchers_mu_);
  for (const auto& [id, w] : watchers_) w(r);
}

int ApprovalQueue::Watch(Watcher watcher) {
  std::lock_guard<std::mutex> lock(watchers_mu_);
  watchers_[next_watcher_] = std::move(watcher);
  return next_watcher_++;
}

void ApprovalQueue::Unwatch(int id) {
  std::lock_guard<std::mutex> lock(watchers_mu_);
  watchers_.erase(id);
}

}  // namespace warden::controlplane

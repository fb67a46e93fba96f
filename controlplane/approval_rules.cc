#include "controlplane/approval_rules.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace warden::controlplane {

namespace {

template <typename List>
bool Contains(const List& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

int DistinctApprovals(const v1::ApprovalRequest& r) {
  std::set<std::string> who;
  for (const v1::ApprovalDecision& d : r.decisions()) {
    if (d.approve()) who.insert(d.identity());
  }
  return static_cast<int>(who.size());
}

}  // namespace

absl::Status MayDecide(const v1::ApprovalRequest& request, const v1::AdminTokenInfo& who) {
  const std::string token = absl::StrCat("admin token \"", who.name(), "\" (", who.id(), ")");
  if (!Contains(who.roles(), "approver")) {
    return absl::PermissionDeniedError(
        absl::StrCat(token, " does not have role approver, which deciding a request needs"));
  }
  if (who.identity().empty()) {
    return absl::PermissionDeniedError(
        absl::StrCat(token, " names no identity, so its decision could not be attributed"));
  }
  if (who.identity() == request.identity()) {
    return absl::PermissionDeniedError(
        absl::StrCat("identity ", who.identity(), " asked for ", request.id(),
                     ": a requester never decides their own statement; another approver must"));
  }
  bool named = Contains(request.approver_identities(), who.identity());
  for (int i = 0; !named && i < who.groups_size(); ++i) {
    named = Contains(request.approver_groups(), who.groups(i));
  }
  if (!named) {
    return absl::PermissionDeniedError(
        absl::StrCat("identity ", who.identity(), " is not an approver of ", request.id(),
                     " (policy \"", request.policy(), "\" names ", ApproversPhrase(request), ")"));
  }
  if (request.state() != v1::APPROVAL_STATE_PENDING) {
    return absl::FailedPreconditionError(
        absl::StrCat(request.id(), " is ", StateName(request.state()), ", no longer pending"));
  }
  for (const v1::ApprovalDecision& d : request.decisions()) {
    if (d.identity() == who.identity()) {
      return absl::FailedPreconditionError(
          absl::StrCat(who.identity(), " already ", d.approve() ? "approved " : "denied ",
                       request.id(), "; a second approval must come from another approver"));
    }
  }
  return absl::OkStatus();
}

absl::Status ApplyDecision(v1::ApprovalRequest& request, const v1::AdminTokenInfo& who,
                           bool approve, const std::string& reason, int64_t window_seconds,
                           int64_t now) {
  if (absl::Status st = MayDecide(request, who); !st.ok()) return st;
  if (window_seconds < 0 || (!approve && window_seconds > 0)) {
    return absl::InvalidArgumentError("--for goes with approve, and is a positive duration");
  }
  if (window_seconds > request.max_window_seconds()) {
    return absl::InvalidArgumentError(
        request.max_window_seconds() == 0
            ? absl::StrCat("policy \"", request.policy(),
                           "\" allows no approval windows (approval.max_window_seconds)")
            : absl::StrCat("--for is at most ", request.max_window_seconds(), "s under policy \"",
                           request.policy(), "\" (approval.max_window_seconds)"));
  }
  v1::ApprovalDecision& d = *request.add_decisions();
  d.set_identity(who.identity());
  d.set_token_id(who.id());
  d.set_approve(approve);
  d.set_reason(reason);
  d.set_decided_unix(now);
  if (window_seconds > 0) d.set_window_until_unix(now + window_seconds);
  const int needed = std::max<int>(1, static_cast<int>(request.approvals_required()));
  if (!approve) {
    request.set_state(v1::APPROVAL_STATE_DENIED);
  } else if (DistinctApprovals(request) >= needed) {
    request.set_state(v1::APPROVAL_STATE_APPROVED);
  } else {
    return absl::OkStatus();  // still pending: more approvers needed
  }
  request.set_closed_unix(now);
  return absl::OkStatus();
}

bool ExpireIfDue(v1::ApprovalRequest& request, int64_t now) {
  if (request.state() != v1::APPROVAL_STATE_PENDING || now < request.expires_unix()) return false;
  request.set_state(v1::APPROVAL_STATE_EXPIRED);
  request.set_closed_unix(now);
  return true;
}

bool Withdraw(v1::ApprovalRequest& request, int64_t now) {
  if (request.state() != v1::APPROVAL_STATE_PENDING &&
      request.state() != v1::APPROVAL_STATE_APPROVED) {
    return false;
  }
  request.set_state(v1::APPROVAL_STATE_WITHDRAWN);
  request.set_closed_unix(now);
  return true;
}

absl::Status RecordOutcome(v1::ApprovalRequest& request, const v1::ApprovalOutcome& outcome) {
  if (request.state() != v1::APPROVAL_STATE_APPROVED) {
    return absl::FailedPreconditionError(absl::StrCat(
        request.id(), " is ", StateName(request.state()), ": only an approved statement runs"));
  }
  request.set_state(v1::APPROVAL_STATE_EXECUTED);
  *request.mutable_outcome() = outcome;
  return absl::OkStatus();
}

}  // namespace warden::controlplane

// The approval queue's rules, as pure functions of a request: who may decide it, and what a
// decision, the timeout, a withdrawal or the statement's outcome does to it. No store, no clock
// (the time is passed in), no I/O, so every rule is unit-tested on its own.
//
// States (approval.proto): PENDING until enough distinct approvers approve (APPROVED), one of
// them denies (DENIED), the timeout passes (EXPIRED) or the client cancels or leaves
// (WITHDRAWN); an APPROVED statement that ran becomes EXECUTED with its outcome. Every state but
// PENDING and APPROVED is final.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "common/policy/approval_text.h"
#include "warden/v1/admin.pb.h"
#include "warden/v1/approval.pb.h"

namespace warden::controlplane {

// Whether `who` may decide `request` now. PermissionDenied unless the token has role approver,
// names an identity, and that identity or one of its groups is among the request's approvers;
// the requester never decides their own request. FailedPrecondition when the request is no
// longer pending or this identity already decided it.
absl::Status MayDecide(const v1::ApprovalRequest& request, const v1::AdminTokenInfo& who);

// Records `decision` (by `who`, checked with MayDecide first) at `now`. An approval counts
// towards approvals_required distinct approvers; one denial denies. A window (approve --for)
// longer than the request's max_window_seconds is refused (InvalidArgument).
absl::Status ApplyDecision(v1::ApprovalRequest& request, const v1::AdminTokenInfo& who,
                           bool approve, const std::string& reason, int64_t window_seconds,
                           int64_t now);

// A pending request whose time is up becomes EXPIRED; true when it did.
bool ExpireIfDue(v1::ApprovalRequest& request, int64_t now);

// The client cancelled or left: a pending request becomes WITHDRAWN, and so does an approved
// one the agent never sent to the database (it says so: the client left before the approval
// reached it). False when it was already final.
bool Withdraw(v1::ApprovalRequest& request, int64_t now);

// An approved statement ran (or failed): EXECUTED with its outcome. FailedPrecondition when the
// request was not approved.
absl::Status RecordOutcome(v1::ApprovalRequest& request, const v1::ApprovalOutcome& outcome);

// The state's name and the client's refusal text (common/policy/approval_text.h).
using policy::ApproversPhrase;
using policy::RefusalMessage;
using policy::StateName;

}  // namespace warden::controlplane

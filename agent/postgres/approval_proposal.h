// The approval request the agent raises for a statement it holds: what the approver will see.
// Pure (no I/O): the held statement's facts, the session's identity and the masking rules in
// force in, the proposed request out. The control plane fills in the rest (id, approvers,
// timeout) from its own records.
//
// What is shown is masked as results would be: the statement text and each bound parameter value
// go through the content rules (detectors and patterns) of the masking policies that apply to
// the session, so a card number in a WHERE clause reaches the approver as it would reach the
// client in a row. The hash binds the request to the exact bytes held, masked or not.
#pragma once

#include <string>
#include <vector>

#include "agent/enforcement/masking_plan.h"
#include "agent/enforcement/statement_hold.h"
#include "common/policy/evaluator.h"
#include "warden/v1/approval.pb.h"

namespace warden::agent {

// Parameter values and statement texts longer than these are cut (the hash still covers them
// whole).
inline constexpr size_t kMaxShownParameter = 1024;
inline constexpr size_t kMaxShownStatement = 64 * 1024;
// Parameters and relations listed, at most (a request must stay well inside a gRPC message).
inline constexpr size_t kMaxShownItems = 100;

// The request for `held`, asked by `subject` in session `session_id`; `plan` masks the texts
// (withholding plans withhold them).
v1::ApprovalRequest ProposeApproval(const HoldFacts& held, const policy::Subject& subject,
                                    const std::string& session_id, const MaskingPlan& plan);

// The bound parameter values of a Bind message, as read: text values as sent; binary ones
// decoded for the common types the statement's Parse declared (`types`: booleans, integers,
// floats, text, uuid), else as \x-hex, or "(binary value, masked)" when `rules` (if given)
// have content rules (the detectors cannot read such bytes); NULL as NULL. Empty when `bind`
// is empty or does not parse.
std::vector<std::string> ShownParameters(const std::string& bind,
                                         const std::vector<uint32_t>& types,
                                         const masking::RuleSet* rules = nullptr);

// The NoticeResponse text a client waiting on `request` gets at once (psql prints it while it
// waits): the request id, the rule, who may approve and the command that decides it.
std::string WaitingNotice(const v1::ApprovalRequest& request);

}  // namespace warden::agent

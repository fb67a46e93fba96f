// How an approval request's state reads to people: its name in tables and logs, and the error
// the client gets when its held statement will not run. Shared by the control plane (wardenctl,
// logs) and the agent (the client's ErrorResponse), so both say the same thing.
#pragma once

#include <string>

#include "warden/v1/approval.pb.h"

namespace warden::policy {

// Who may decide, as one phrase: "groups dba; identities alice".
std::string ApproversPhrase(const v1::ApprovalRequest& request);

// "pending", "approved", ... for tables and logs.
std::string StateName(v1::ApprovalState state);

// Why the statement will not run, for the client's error (SQLSTATE 42501) and the record:
// DENIED names who denied it and why, EXPIRED the timeout, WITHDRAWN the cancel.
std::string RefusalMessage(const v1::ApprovalRequest& request);

// The impact estimate in one line: "Delete on public.orders, ~1200 rows; writes orders".
std::string EstimateText(const v1::ImpactEstimate& estimate);

}  // namespace warden::policy

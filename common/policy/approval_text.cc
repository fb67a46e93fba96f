#include "common/policy/approval_text.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace warden::policy {

std::string ApproversPhrase(const v1::ApprovalRequest& r) {
  std::vector<std::string> parts;
  if (!r.approver_groups().empty()) {
    parts.push_back(absl::StrCat("groups ", absl::StrJoin(r.approver_groups(), ", ")));
  }
  if (!r.approver_identities().empty()) {
    parts.push_back(absl::StrCat("identities ", absl::StrJoin(r.approver_identities(), ", ")));
  }
  return parts.empty() ? "nobody (the policy names no approvers)" : absl::StrJoin(parts, "; ");
}

std::string StateName(v1::ApprovalState state) {
  switch (state) {
    case v1::APPROVAL_STATE_PENDING:
      return "pending";
    case v1::APPROVAL_STATE_APPROVED:
      return "approved";
    case v1::APPROVAL_STATE_DENIED:
      return "denied";
    case v1::APPROVAL_STATE_EXPIRED:
      return "expired";
    case v1::APPROVAL_STATE_WITHDRAWN:
      return "withdrawn";
    case v1::APPROVAL_STATE_EXECUTED:
      return "executed";
    default:
      return "unknown";
  }
}

std::string RefusalMessage(const v1::ApprovalRequest& request) {
  const std::string what =
      absl::StrCat("statement not run: approval request ", request.id(), " (policy \"",
                   request.policy(), "\" rule \"", request.rule(), "\")");
  switch (request.state()) {
    case v1::APPROVAL_STATE_DENIED: {
      for (const v1::ApprovalDecision& d : request.decisions()) {
        if (d.approve()) continue;
        return absl::StrCat(what, " was denied by ", d.identity(),
                            d.reason().empty() ? "" : absl::StrCat(": ", d.reason()));
      }
      return absl::StrCat(what, " was denied");
    }
    case v1::APPROVAL_STATE_EXPIRED:
      return absl::StrCat(what, " expired: nobody decided within ",
                          request.expires_unix() - request.created_unix(),
                          "s (the policy's approval.timeout_seconds)");
    case v1::APPROVAL_STATE_WITHDRAWN:
      return absl::StrCat(what, " was withdrawn: the client cancelled it or left");
    default:
      return absl::StrCat(what, " is ", StateName(request.state()));
  }
}

std::string EstimateText(const v1::ImpactEstimate& e) {
  std::vector<std::string> lines;
  for (const auto& s : e.statements()) {
    lines.push_back(absl::StrCat(s.node(), s.relation().empty() ? "" : " on ", s.relation(), ", ~",
                                 static_cast<int64_t>(s.rows()), " rows"));
  }
  if (!e.no_plan().empty()) lines.push_back(e.no_plan());  // says itself why there is none
  if (!e.writes().empty()) lines.push_back("writes " + absl::StrJoin(e.writes(), ", "));
  if (!e.reads().empty()) lines.push_back("reads " + absl::StrJoin(e.reads(), ", "));
  if (!e.masked().empty()) lines.push_back("masked " + absl::StrJoin(e.masked(), ", "));
  return lines.empty() ? "-" : absl::StrJoin(lines, "; ");
}

}  // namespace warden::policy

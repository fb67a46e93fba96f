// What the control plane tells the outside world about approval requests, as pure functions of
// a request: the event each stored change is, the JSON body a webhook receives and the signature
// header that lets it check the body, a Slack incoming-webhook payload, and the mail an approver
// gets. No I/O (approval_notifier.h sends them).
//
// Webhook signature (documented for receivers in the README):
//   Warden-Signature: t=<unix seconds>,v1=<hex HMAC-SHA-256(secret, "<t>.<body>")>
// A receiver recomputes v1 over the raw body with the shared secret (--webhook-secret-file),
// compares in constant time, rejects a t more than 5 minutes from its clock (replay), and drops
// a "delivery" (from the signed body) it has seen: retries repeat the same delivery.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "warden/v1/approval.pb.h"

namespace warden::controlplane {

// "approval.raised" (a new pending request), "approval.decided" (an approval that does not
// yet make enough), "approval.approved", ".denied", ".expired", ".withdrawn", ".executed".
std::string ApprovalEvent(const v1::ApprovalRequest& request);

// The webhook body: {"event", "delivery", "sent_unix", "request": {...}} (proto field names).
std::string EventBody(const std::string& event, const std::string& delivery, int64_t sent_unix,
                      const v1::ApprovalRequest& request);

// The Warden-Signature header value for `body` sent at `at` (unix seconds; see above).
std::string SignatureHeader(const std::string& secret, int64_t at, const std::string& body);

// A Slack incoming-webhook payload ({"text": ...}): who asks to run what where, the estimate,
// and the wardenctl commands that decide it; later events say how it was decided.
std::string SlackPayload(const std::string& event, const v1::ApprovalRequest& request);

// A whole RFC 5322 message (CRLF line ends) for the approvers: what waits, and how to decide.
std::string ApprovalMail(const std::string& from, const std::vector<std::string>& to,
                         int64_t sent_unix, const v1::ApprovalRequest& request);

}  // namespace warden::controlplane

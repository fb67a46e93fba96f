// The guard's part of a held statement's impact estimate (impact_estimate.h): sending the
// EXPLAIN on the session's connection and taking its answer out of the server's stream. A held
// Execute is estimated inside the client's unfinished extended-protocol request; when that
// EXPLAIN fails, the server discards the rest of the request until the client's Sync, so the
// client is told here, in order, as if its own statement had failed (it would have, the same
// way), and the session drops the held Execute.
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "agent/postgres/impact_estimate.h"
#include "agent/postgres/statement_guard.h"
#include "common/crypto/random.h"
#include "common/pgwire/pgwire.h"

namespace warden::agent {

std::string StatementGuard::StartEstimate(std::string_view sql, bool extended) {
  if (!extended) return estimate_loader_.Start(sql, "EXPLAIN");
  if (estimate_prefix_.empty()) {
    estimate_prefix_ =
        absl::StrCat("warden_estimate_", absl::BytesToHexString(crypto::RandomBytes(8)), "_");
  }
  const std::string name = absl::StrCat(estimate_prefix_, estimates_++);
  size_t closes = 0;
  std::string out = ExtendedEstimate(sql, hold_.facts().bind, hold_.facts().param_types, name,
                                     stale_estimate_, &closes);
  if (out.empty()) return out;
  stale_estimate_.clear();
  estimate_loader_.StartExtended("EXPLAIN", closes);
  // Left behind if the EXPLAIN fails (the server skips the Close): closed next time.
  stale_estimate_ = name;
  return out;
}

bool StatementGuard::OnEstimateMessage(std::string_view message, std::string* out) {
  if (!estimate_loader_.OnMessage(message)) return false;
  if (!estimate_loader_.in_flight() && !estimate_loader_.server_failed()) {
    stale_estimate_.clear();  // its Closes went through
  }
  if (!estimate_loader_.server_failed() || message[0] != 'E') return true;
  auto parsed = pgwire::ParseBackend(pgwire::Frame{'E', message.substr(pgwire::kHeaderSize)});
  const auto* e = parsed.ok() ? std::get_if<pgwire::ErrorResponse>(&*parsed) : nullptr;
  const std::string sqlstate(e ? e->Find('C').value_or("XX000") : "XX000");
  // Its position points into the EXPLAIN, not the client's text: message, detail and hint only
  // (the result masker masks their values as it masks any error's).
  out->append(pgwire::BuildErrorResponse(
      "ERROR", sqlstate,
      absl::StrCat("statement not run: it failed as Warden planned it to estimate its impact for "
                   "the approval request (EXPLAIN): ",
                   e ? std::string(e->Find('M').value_or("")) : "the server's error was malformed"),
      e ? e->Find('D') : std::nullopt, e ? e->Find('H') : std::nullopt));
  // Nothing of the client's outstanding (the estimate went out when all was answered): the
  // server now skips what the client sends until its Sync. A refusal sent after the estimate
  // (the client cancelled meanwhile) is outstanding instead, and this error answers it.
  if (ledger_->size() == 0) ledger_->DiscardUntilSync();
  return true;
}

}  // namespace warden::agent

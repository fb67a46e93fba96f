// The guard's view of the session's prepared statements and portals: what each name stands for,
// as the server has confirmed it (statement_guard.h). A name binds, and is forgotten, only when
// the server confirms the request that does it; while a request that may change it is
// unanswered, it stands for nothing known. Protocol statements and SQL PREPAREs share one
// namespace in the server, and names are keyed by their first 63 bytes, as there.
#include <algorithm>

#include "agent/postgres/statement_guard.h"

namespace warden::agent {

void StatementGuard::OnConfirmed(LedgerEffect&& e) {
  switch (e.kind) {
    case LedgerEffect::Kind::kStatement:
      statements_[e.name] =
          Statement{std::move(e.target),      e.version, e.changes_prepared, e.needs_approval,
                    std::move(e.param_types), {}};
      break;
    case LedgerEffect::Kind::kPortal:
      portals_[e.name] = Statement{std::move(e.target),      e.version,
                                   e.changes_prepared,       e.needs_approval,
                                   std::move(e.param_types), std::move(e.bind)};
      break;
    case LedgerEffect::Kind::kPrepared:
      for (const sql::PreparedChange& c : e.prepared) {
        sql::ApplyPreparedChange(c, &prepared_);
        // One namespace: DEALLOCATE (ALL) and DISCARD ALL drop statements made by Parse too
        // (all but the unnamed one), and a name PREPAREd was free of them.
        if (c.all) {
          std::erase_if(statements_, [](const auto& kv) { return !kv.first.empty(); });
        } else {
          statements_.erase(ServerName(c.name));
        }
      }
      break;
    case LedgerEffect::Kind::kClosed:
      // Statements and portals share their namespaces with SQL PREPARE and DECLARE.
      if (e.target == "S") {
        statements_.erase(e.name);
        prepared_.erase(e.name);
      } else {
        portals_.erase(e.name);
      }
      break;
    case LedgerEffect::Kind::kNone:
      break;
  }
}

std::optional<StatementGuard::StatementView> StatementGuard::NamedStatement(
    const std::string& name) const {
  if (const LedgerEffect* p = ledger_->PendingStatementChange(name)) {
    if (p->kind == LedgerEffect::Kind::kStatement) {
      return StatementView{p->target,         p->version,     p->changes_prepared,
                           p->needs_approval, p->param_types, {}};
    }
    // PREPAREd anew before the server answered: unknown until it does (an EXECUTE of it is
    // opaque meanwhile).
    if (p->kind == LedgerEffect::Kind::kPrepared &&
        std::any_of(p->prepared.begin(), p->prepared.end(), [&](const sql::PreparedChange& c) {
          return c.body && ServerName(c.name) == name;
        })) {
      return std::nullopt;
    }
    // Closed or DEALLOCATEd: done, the server fails the Bind; skipped after an error, the name
    // still runs what it ran. Either way what it ran is what to decide by.
  }
  if (auto s = statements_.find(name); s != statements_.end()) return ViewOf(s->second);
  return std::nullopt;
}

std::optional<StatementGuard::StatementView> StatementGuard::PortalStatement(
    const std::string& portal) const {
  if (const LedgerEffect* b = ledger_->Pending(LedgerEffect::Kind::kPortal, portal)) {
    return StatementView{b->target,         b->version,     b->changes_prepared,
                         b->needs_approval, b->param_types, b->bind};
  }
  if (auto p = portals_.find(portal); p != portals_.end()) return ViewOf(p->second);
  return std::nullopt;  // a SQL cursor (decided at its DECLARE), or no portal at all
}

StatementGuard::StatementView StatementGuard::ViewOf(const Statement& s) {
  return {s.sql, s.version, s.changes_prepared, s.needs_approval, s.param_types, s.bind};
}

}  // namespace warden::agent

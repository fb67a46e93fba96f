// StatementGuard, the functions half (statement_guard.h, function_catalog.h): a read that may
// change state through a user-defined function is decided as a write, and fast-path
// FunctionCalls are decided as the statements they stand for.
#include "absl/strings/str_cat.h"
#include "agent/postgres/fast_path_functions.h"
#include "agent/postgres/statement_guard.h"
#include "common/log/log.h"
#include "common/pgwire/frontend_builders.h"
#include "common/sql/classify/function_effects.h"

namespace warden::agent {

std::string StatementGuard::StartFunctionCatalogLoad(std::chrono::steady_clock::time_point now) {
  function_load_at_ = now;
  // It goes ahead of the bytes Frontend() just decided: what they change is not in it.
  loading_changes_ = changes_before_bytes_;
  return function_loader_.Start(FunctionCatalogQuery());
}

std::string StatementGuard::OnIdle(std::chrono::steady_clock::time_point now) {
  // Inside a transaction block a failing load would abort the client's transaction.
  if (function_loader_.in_flight() || txn_status_ != 'I') return "";
  const bool stale = catalog_changes_ != loaded_changes_;
  const auto age = now - function_load_at_;
  if (stale || (!functions_ && age >= kFunctionCatalogRetry) || age >= kFunctionCatalogMaxAge) {
    return StartFunctionCatalogLoad(now);
  }
  return "";
}

bool StatementGuard::OnFunctionCatalogMessage(std::string_view message) {
  if (!function_loader_.OnMessage(message)) return false;
  if (function_loader_.in_flight()) return true;
  absl::StatusOr<FunctionCatalog> built =
      function_loader_.status().ok() ? FunctionCatalog::Build(function_loader_.rows())
                                     : absl::StatusOr<FunctionCatalog>(function_loader_.status());
  function_loader_.Clear();
  if (!built.ok()) {
    // Fail closed: without a catalog every function that is not a built-in may write.
    spdlog::warn(
        "session {}: cannot read the database's function catalog ({}); functions "
        "that are not built-ins count as writes until it is read",
        session_id_, built.status().message());
    functions_.reset();
    return true;
  }
  functions_ = *std::move(built);
  loaded_changes_ = loading_changes_;
  return true;
}

void StatementGuard::NoteCatalogChanges(const sql::ClassifiedBatch& batch) {
  for (const sql::ClassifiedStatement& s : batch.statements) {
    switch (s.statement_class) {
      case v1::STATEMENT_CLASS_DDL:
      case v1::STATEMENT_CLASS_OPAQUE:
      case v1::STATEMENT_CLASS_UNKNOWN:
        ++catalog_changes_;
        return;
      default:
        break;
    }
  }
}

// FunctionCall (fast path) names a function by OID. The large-object functions libpq calls this
// way are decided exactly as `SELECT pg_catalog.fn()` would be (lo_open and loread read, lowrite
// and lo_unlink write, lo_import and lo_export touch server files); any other function is
// refused. Under masking, a fast-path read of large-object content is refused: its bytes would
// bypass the masker, which sees rows, not FunctionCallResponse. A refused call is replaced by a
// failing Query, which gives the client what it expects: ErrorResponse, then ReadyForQuery.
absl::Status StatementGuard::OnFunctionCall(std::string_view message,
                                            const pgwire::FunctionCall& call, std::string* out) {
  std::optional<FastPathFunction> f = FastPathFunctionByOid(call.function_oid);
  const PolicySnapshotPtr& snapshot = Snapshot();
  const std::string masking_policy = snapshot ? decider_.MaskingPolicy(*snapshot) : "";
  std::string denial;
  std::string sqlstate = "42501";
  std::string rule = "fast-path-function-call";
  if (!f) {
    decider_.Tally("", "fast-path-function-call", v1::ACTION_DENY);
    denial = absl::StrCat("fast-path call of function ", call.function_oid,
                          " refused: only the large-object functions may be called this way "
                          "through Warden; call the function in a statement");
  } else if (f->returns_data && !masking_policy.empty()) {
    rule = "masked-values";
    decider_.Tally(masking_policy, "masked-values", v1::ACTION_DENY);
    denial = absl::StrCat("denied by policy \"", masking_policy,
                          "\" rule \"masked-values\": this policy masks result values, and a "
                          "fast-path ",
                          f->name,
                          " returns large-object bytes unmasked: read it "
                          "with SELECT lo_get(...) instead");
  } else {
    const std::string sql = absl::StrCat("SELECT pg_catalog.", f->name, "()");
    Verdict v = Decide(sql, /*parsing=*/false);
    if (v.kind == Verdict::Kind::kHold) return BeginHold(message, 'F', sql, v);
    if (v.kind == Verdict::Kind::kAllow) {
      RequestNote note;
      if (ledger_->recording()) note.statement = sql;
      return Emit(message, std::move(note), out);
    }
    rule = v.decision.rule;
    sqlstate = std::move(v.sqlstate);
    denial = std::move(v.denial);
  }
  spdlog::info("session {}: fast-path function call {} refused for {}", session_id_,
               call.function_oid, decider_.subject().identity);
  return Emit(pgwire::BuildQuery(markers_.FailingQuery(std::move(sqlstate), std::move(denial))),
              RequestNote{RequestAction::kReplaceError, std::move(rule)}, out);
}

}  // namespace warden::agent

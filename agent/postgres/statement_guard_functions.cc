// StatementGuard, function catalog half (statement_guard.h, function_catalog.h): a read that
// may change state through a user-defined function is decided as a write.
#include "absl/strings/str_cat.h"
#include "agent/postgres/statement_guard.h"
#include "common/log/log.h"
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

}  // namespace warden::agent

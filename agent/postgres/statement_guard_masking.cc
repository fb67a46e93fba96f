// StatementGuard, masking half (statement_guard.h): what a subject whose policies mask values
// may not do because a masked value could leave through it: set a setting to a computed value,
// or, under `masking_unknown: deny`, read a result column of unknown origin.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "agent/postgres/statement_guard.h"
#include "common/sql/lineage/column_lineage.h"

namespace warden::agent {

void StatementGuard::RefreshMaskingFacts(const v1::PolicySnapshot& snapshot) {
  if (deny_unknown_version_ == snapshot.version()) return;
  deny_unknown_version_ = snapshot.version();
  deny_unknown_policy_.clear();
  masking_policy_.clear();
  for (const v1::Policy* p : policy::ApplicablePolicies(snapshot, subject_)) {
    if (masking_policy_.empty() && !p->masking().empty()) masking_policy_ = p->name();
    const bool columns = std::any_of(p->masking().begin(), p->masking().end(),
                                     [](const auto& r) { return !r.columns().empty(); });
    if (deny_unknown_policy_.empty() && columns &&
        p->masking_unknown() == v1::UNKNOWN_LINEAGE_DENY) {
      deny_unknown_policy_ = p->name();
    }
  }
}

bool StatementGuard::ComputedSettingDenied(const v1::PolicySnapshot& snapshot,
                                           const sql::ClassifiedBatch& batch, policy::Decision* d) {
  RefreshMaskingFacts(snapshot);
  if (masking_policy_.empty()) return false;
  for (const sql::ClassifiedStatement& s : batch.statements) {
    for (const sql::SettingChange& c : s.settings) {
      if (c.value != sql::SettingChange::Value::kComputed ||
          c.scope == sql::SettingChange::Scope::kFunction) {
        continue;
      }
      d->policy = masking_policy_;
      d->rule = "masked-values";
      d->message = absl::StrCat(
          "denied by policy \"", masking_policy_,
          "\" rule \"masked-values\": this policy masks "
          "result values, and setting ",
          c.name.empty() ? "a setting" : c.name,
          " to a computed value could carry one out through the server's settings "
          "(ParameterStatus, SHOW, current_setting(), pg_stat_activity): set it to a literal");
      return true;
    }
  }
  return false;
}

bool StatementGuard::UnknownLineageDenied(const v1::PolicySnapshot& snapshot, std::string_view sql,
                                          policy::Decision* d) {
  RefreshMaskingFacts(snapshot);
  if (deny_unknown_policy_.empty()) return false;
  const std::shared_ptr<const sql::StatementAnalysis> analysis = cache_.Analysis(sql);
  const sql::LineageResult& lineage = analysis->lineage;
  std::string column;
  bool unknown = !lineage.parsed;
  for (const sql::StatementLineage& s : lineage.statements) {
    if (unknown) break;
    // Rows it sends, or that a cursor or prepared statement it creates will send.
    const bool rows = s.returns_rows ? s.outputs.size() > 0 || s.opaque
                                     : !s.cursor.empty() || !s.prepared.empty();
    if (!rows) continue;
    if (s.opaque) {
      unknown = true;
      break;
    }
    for (const sql::OutputLineage& o : s.outputs) {
      if (o.unknown) {
        unknown = true;
        column = o.name;
        break;
      }
    }
  }
  if (!unknown) return false;
  d->policy = deny_unknown_policy_;
  d->rule = "masking_unknown";
  d->message = absl::StrCat("policy \"", deny_unknown_policy_,
                            "\" masks columns, and masking cannot tell what feeds ",
                            column.empty() ? std::string("this statement's result")
                                           : absl::StrCat("result column \"", column, "\""),
                            " (a function it cannot see into?): masking_unknown: deny refuses it");
  return true;
}

}  // namespace warden::agent

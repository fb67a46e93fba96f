#include "agent/postgres/statement_explanation.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/enforcement/column_masks.h"
#include "agent/enforcement/masking_plan.h"
#include "agent/enforcement/policy_holder.h"
#include "agent/postgres/lone_statement.h"
#include "common/policy/policy_yaml.h"
#include "common/sql/classifier_cache.h"
#include "common/sql/classify/builtin_functions.h"
#include "common/sql/classify/classifier.h"
#include "common/sql/classify/function_effects.h"
#include "common/sql/lineage/column_lineage.h"

namespace warden::agent {

namespace {

v1::ExplainedDecision ToExplained(const LoneDecision& d) {
  v1::ExplainedDecision out;
  out.set_action(std::string(policy::ActionName(d.action)));
  out.set_policy(d.policy);
  out.set_rule(d.rule);
  out.set_message(d.message);
  return out;
}

v1::ExplainedFunction ExplainFunction(const std::string& name) {
  v1::ExplainedFunction f;
  f.set_name(name);
  f.set_builtin(sql::IsBuiltinFunction(name));
  if (!f.builtin()) {
    f.set_effect(
        "decided by the database's volatility: a VOLATILE one counts as a write (until the agent "
        "has read the catalog, any such function does)");
    return f;
  }
  switch (sql::EffectOfFunction(name)) {
    case sql::FunctionEffect::kWritesData:
      f.set_effect("writes data");
      break;
    case sql::FunctionEffect::kAdministers:
      f.set_effect("administers");
      break;
    default:
      f.set_effect("computes or reads");
  }
  return f;
}

// The column rules, for a `*` run this analysis cannot expand.
std::string ColumnRulesNote(const MaskingPlan& plan) {
  std::vector<std::string> named;
  for (size_t i = 0; i < plan.rules.size(); ++i) {
    if (plan.rules[i].columns().empty()) continue;
    named.push_back(absl::StrCat(plan.rules[i].name(), " (",
                                 absl::StrJoin(plan.rules[i].columns(), ", "), ")"));
  }
  if (named.empty()) return "expanded by the database at run time";
  return absl::StrCat(
      "expanded by the database at run time; the columns these rules name are "
      "masked: ",
      absl::StrJoin(named, "; "));
}

// What flows into the column, without the "name <- " DescribeLineage starts with.
std::string Sources(const sql::OutputLineage& o) {
  std::string d = sql::DescribeLineage(o);
  const std::string prefix = o.name + " <- ";
  return d.rfind(prefix, 0) == 0 ? d.substr(prefix.size()) : d;
}

void ExplainColumns(const sql::LineageResult& lineage, const MaskingPlan& plan, bool deny_unknown,
                    v1::ExplainedStatement* out) {
  if (!lineage.parsed || lineage.statements.empty()) return;
  const sql::StatementLineage& s = lineage.statements.front();
  if (!s.returns_rows) return;
  if (plan.values && plan.values->has_content_rules()) {
    for (const v1::MaskingRule& r : plan.rules) {
      if (!r.detectors().empty() || !r.pattern().empty()) out->add_content_rules(r.name());
    }
  }
  // The named columns, planned as the agent's masker plans them (no RowDescription and no
  // catalog offline: lineage alone).
  sql::StatementLineage named = s;
  named.outputs.clear();
  for (const auto& o : s.outputs) {
    if (!o.star) named.outputs.push_back(o);
  }
  std::vector<ColumnMask> masks;
  if (plan.columns())
    masks = PlanColumnMasks({}, named.outputs.size(), &named, nullptr, *plan.values);
  size_t next_named = 0;
  for (const auto& o : s.outputs) {
    v1::ExplainedColumn* c = out->add_columns();
    c->set_name(o.name);
    c->set_sources(Sources(o));
    if (o.star) {
      c->set_note(plan.columns() ? ColumnRulesNote(plan) : "expanded by the database at run time");
      continue;
    }
    const size_t i = next_named++;
    if (i >= masks.size()) continue;
    if (masks[i].kind == ColumnMask::kRule && masks[i].rule < plan.rules.size()) {
      c->set_masked_by_rule(plan.rules[masks[i].rule].name());
      c->set_masked_by_policy(plan.policy_of_rule[masks[i].rule]);
    } else if (masks[i].kind == ColumnMask::kUnknown) {
      c->set_unknown_origin(true);
      c->set_note(deny_unknown ? "of unknown origin: the statement is denied (masking_unknown: "
                                 "deny)"
                               : "of unknown origin: masked whole");
    }
  }
  if (s.opaque) {
    v1::ExplainedColumn* c = out->add_columns();
    c->set_name("?");
    c->set_unknown_origin(true);
    c->set_note("rows of unknown origin and width (a procedure's OUT parameters): masked whole");
  }
}

}  // namespace

v1::PolicyExplanation ExplainStatements(const v1::PolicySnapshot& snapshot,
                                        const policy::Subject& subject,
                                        const std::vector<std::string>& statements,
                                        const std::string& whole) {
  PolicyHolder holder;
  holder.Install(std::make_shared<const v1::PolicySnapshot>(snapshot));
  sql::ClassifierCache cache;
  const MaskingPlan plan = CompileMaskingPlan(&snapshot, subject, "", "explain");
  v1::PolicyExplanation out;
  out.set_identity(subject.identity);
  for (const auto& g : subject.groups) out.add_groups(g);
  out.set_connection(subject.connection);
  for (const std::string& text : statements) {
    v1::ExplainedStatement* e = out.add_statements();
    e->set_text(text);
    // One parse for all of it: the guard DecideAlone runs reads the same cache.
    const std::shared_ptr<const sql::StatementAnalysis> analysis = cache.Analysis(text);
    const sql::ClassifiedBatch& batch = analysis->classified;
    if (!batch.parsed) e->set_parse_error(batch.parse_error);
    if (!batch.statements.empty()) {
      const sql::ClassifiedStatement& s = batch.statements.front();
      e->set_command_tag(s.command_tag);
      for (const auto& c : s.commands) e->add_commands(c);
      e->set_statement_class(std::string(policy::ClassName(s.statement_class)));
      for (const auto& r : s.relations_read) e->add_relations_read(r);
      for (const auto& r : s.relations_written) e->add_relations_written(r);
      for (const auto& f : s.functions) *e->add_functions() = ExplainFunction(f);
    } else if (!batch.parsed) {
      e->set_statement_class("unknown");
    }
    *e->mutable_decision() = ToExplained(DecideAlone(holder, cache, subject, text));
    ExplainColumns(analysis->lineage, plan, !plan.deny_unknown_policy.empty(), e);
  }
  if (statements.size() > 1) {
    *out.mutable_batch() = ToExplained(DecideAlone(holder, cache, subject, whole));
  } else if (out.statements_size() == 1) {
    *out.mutable_batch() = out.statements(0).decision();
  }
  return out;
}

}  // namespace warden::agent

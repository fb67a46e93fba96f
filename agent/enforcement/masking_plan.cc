#include "agent/enforcement/masking_plan.h"

#include <algorithm>
#include <utility>

#include "common/log/log.h"

namespace warden::agent {

MaskingPlan CompileMaskingPlan(const v1::PolicySnapshot* snapshot, const policy::Subject& subject,
                               std::string_view hash_key, std::string_view session_id) {
  MaskingPlan plan;
  if (!snapshot) return plan;  // no policy yet: the guard lets no statement through
  plan.version = snapshot->version();
  std::vector<v1::MaskingRule> rules;
  bool has_null = false;
  for (const v1::Policy* p : policy::ApplicablePolicies(*snapshot, subject)) {
    const bool column_rules = std::any_of(p->masking().begin(), p->masking().end(),
                                          [](const auto& r) { return !r.columns().empty(); });
    if (column_rules && p->masking_unknown() == v1::UNKNOWN_LINEAGE_DENY &&
        plan.deny_unknown_policy.empty()) {
      plan.deny_unknown_policy = p->name();
    }
    for (const v1::MaskingRule& rule : p->masking()) {
      rules.push_back(rule);
      plan.policy_of_rule.push_back(p->name());
      if (hash_key.empty() && rule.strategy() == v1::MASK_STRATEGY_HASH) {
        rules.back().set_strategy(v1::MASK_STRATEGY_REDACT);
        spdlog::warn(
            "session {}: masking rule \"{}\" of policy \"{}\" uses hash but no masking key is "
            "configured; it redacts instead",
            session_id, rule.name(), p->name());
      }
      has_null = has_null || rule.strategy() == v1::MASK_STRATEGY_NULL;
    }
  }
  if (rules.empty()) return plan;
  auto values = masking::RuleSet::Compile(rules, hash_key);
  if (!values.ok()) {
    spdlog::error(
        "session {}: masking rules of policy version {} do not compile ({}); every "
        "result value is withheld",
        session_id, plan.version, values.status().message());
    plan.withhold = true;
    return plan;
  }
  plan.values.emplace(*std::move(values));
  plan.rules = rules;
  if (!has_null) return plan;  // text_rules() is then `values` itself
  for (v1::MaskingRule& rule : rules) {
    if (rule.strategy() == v1::MASK_STRATEGY_NULL) rule.set_strategy(v1::MASK_STRATEGY_REDACT);
  }
  auto text = masking::RuleSet::Compile(rules, hash_key);
  if (!text.ok()) {  // cannot happen: only strategies changed; fail closed all the same
    plan.values.reset();
    plan.withhold = true;
    return plan;
  }
  plan.text.emplace(*std::move(text));
  return plan;
}

}  // namespace warden::agent

// The masking rules one session enforces under one policy snapshot, compiled. Pure:
// (snapshot, subject, key) -> plan; ResultMasker compiles one per snapshot version it sees.
//
// Rule order: the masking rules of the policies that apply to the subject, policies by name and
// rules in file order (the evaluator's "policy order", common/policy/evaluator.h), so the
// earlier rule wins between equals.
//
// Fail-closed choices, each so that no value a rule covers can pass through unmasked:
//  - HASH without a key: the control plane sends the deployment-wide masking key with each
//    snapshot (PolicySnapshot.sealed_masking_key); one that predates it sends none. A HASH
//    rule is then compiled as REDACT (and a warning names it): the value is hidden, only the
//    join-ability of hashed values is lost. Denying the session instead would make every
//    policy with a hash rule (deploy/policies/agents-guardrails.yaml has one) unusable.
//  - Rules that do not compile (a pattern RE2 rejects, a key that is too short; policy
//    validation on apply should already have refused them): the plan withholds every result
//    value (ResultMasker: values NULL, COPY OUT refused, message texts replaced).
//  - Text with no NULL form (a COPY row, the fields of an ErrorResponse, a NOTIFY payload)
//    uses `text`, the same rules with NULL compiled as REDACT: there SQL NULL cannot replace
//    a value, so the spans a NULL rule finds are redacted instead.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/masking/rule_set.h"
#include "common/policy/evaluator.h"
#include "warden/v1/policy.pb.h"

namespace warden::agent {

struct MaskingPlan {
  int64_t version = -1;  // the snapshot's version; -1 without a snapshot
  // Result values (DataRow): empty when no applicable policy has masking rules.
  std::optional<masking::RuleSet> values;
  // Text without a NULL form, when some rule uses NULL (see text_rules()).
  std::optional<masking::RuleSet> text;
  // The policy each rule came from, by RuleSet::Rule::index (for the masked counters).
  std::vector<std::string> policy_of_rule;
  // True when the rules did not compile: every result value is withheld.
  bool withhold = false;
  // The rules as compiled into `values`, in order (the catalog query names their columns).
  std::vector<v1::MaskingRule> rules;
  // A policy with column rules that says `masking_unknown: deny`: a statement with a result
  // column of unknown origin is denied (its name for the client's error), else it is masked.
  std::string deny_unknown_policy;

  // Something to do on DataRows and message texts.
  bool active() const {
    return withhold || (values && (values->has_content_rules() || values->has_column_rules()));
  }
  bool content() const { return values && values->has_content_rules(); }
  bool columns() const { return !withhold && values && values->has_column_rules(); }
  // The rules for text without a NULL form; null when `values` is.
  const masking::RuleSet* text_rules() const { return text ? &*text : values ? &*values : nullptr; }
};

// Compiles the masking rules of the policies in `snapshot` that apply to `subject`. `hash_key`
// keys HASH rules; empty means none is configured (HASH becomes REDACT). Logs, under
// `session_id`, the rules it had to weaken or could not compile (names only, never values).
MaskingPlan CompileMaskingPlan(const v1::PolicySnapshot* snapshot, const policy::Subject& subject,
                               std::string_view hash_key, std::string_view session_id);

}  // namespace warden::agent

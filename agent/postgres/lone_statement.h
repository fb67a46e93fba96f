// The agent's decision on one text, as if it were a session's first Query: the real
// StatementGuard (classification, function effects, the evaluator, the masking-value and
// unknown-lineage rules, the size limit), fed through its public interface, with no database
// and no network. What `wardenctl policies explain` shows, so that explain and the agent cannot
// disagree: there is no second implementation.
//
// Without a database there is no function catalog: a function that is not a PostgreSQL built-in
// counts as a possible write, as it does in a session before its catalog has loaded.
#pragma once

#include <string>

#include "agent/enforcement/policy_holder.h"
#include "common/policy/evaluator.h"
#include "common/sql/classifier_cache.h"
#include "warden/v1/policy.pb.h"

namespace warden::agent {

struct LoneDecision {
  v1::Action action = v1::ACTION_DENY;
  std::string policy;  // "" when no policy decided
  std::string rule;
  std::string message;  // what the client would read (empty when allowed)
};

// `sql` is one Query message's text (one statement, or several: then the batch is decided whole).
LoneDecision DecideAlone(const PolicyHolder& policy, sql::ClassifierCache& cache,
                         const policy::Subject& subject, const std::string& sql);

}  // namespace warden::agent

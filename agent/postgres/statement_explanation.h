// What the agent would do with statements, for `wardenctl policies explain`: per statement its
// classification, the functions it calls and what they can do, the decision (DecideAlone: the
// agent's own guard), and for a statement that returns rows which result columns masking rules
// would mask and why (the agent's column lineage and column-mask planning). Offline: no
// database, so `*` runs are not expanded and user functions are not looked up.
#pragma once

#include <string>
#include <vector>

#include "common/policy/evaluator.h"
#include "warden/v1/admin.pb.h"
#include "warden/v1/policy.pb.h"

namespace warden::agent {

// `statements`: the texts to explain one by one; `whole`: all of them as one Query message (its
// batch decision is reported when there are several).
v1::PolicyExplanation ExplainStatements(const v1::PolicySnapshot& snapshot,
                                        const policy::Subject& subject,
                                        const std::vector<std::string>& statements,
                                        const std::string& whole);

}  // namespace warden::agent

// The settings a client asked for at start-up (its startup packet and `options`, as the gateway
// reviewed them), decided before the database sees them. Pure: no I/O.
//
// Ordinary session settings (session_settings.h) pass as they are; the lexing settings must
// hold values the classifier reads under (parser_settings.h); every other setting is decided as
// the `SET name TO 'value'` statement it amounts to, under the same policy as the session's
// statements, so a startup packet cannot do what a SET could not (search_path, role,
// default_transaction_read_only, ...). On a read-only connection default_transaction_read_only
// is the agent's own, never the client's.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "common/policy/evaluator.h"
#include "common/sql/classifier_cache.h"
#include "warden/v1/policy.pb.h"

namespace warden::agent {

struct SettingDecision {
  std::string name;  // lower case
  std::string value;
  policy::Decision decision;  // ALLOW for ordinary settings (rule "ordinary-setting")
};

// The decision for each requested setting, in name order. `snapshot` may be null (no policy
// yet: every setting that needs one is denied).
std::vector<SettingDecision> DecideClientSettings(
    const std::vector<std::pair<std::string, std::string>>& requested,
    const v1::PolicySnapshot* snapshot, const policy::Subject& subject,
    sql::ClassifierCache& cache);

// The SET statement a startup setting amounts to: names and value quoted.
std::string SetStatementFor(const std::string& name, const std::string& value);

}  // namespace warden::agent

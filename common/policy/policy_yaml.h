// Policy YAML: parses and validates one policy document into warden.v1.Policy
// (proto/warden/v1/policy.proto), for whatever accepts policy files (the control plane when a
// policy is applied, the CLI when it validates one). Examples live in deploy/policies/.
//
// Format (one YAML document; every key below is the complete set of keys allowed there):
//
//   name: agents-guardrails          # required; [a-z0-9][a-z0-9-_.]{0,62}
//   description: ...                 # optional free text
//   subjects:                        # required; at least one identity or group in total
//     identities: [claude-agent]
//     groups: [ai-agents]
//   connections: [demo]              # required, non-empty; "*" means all connections
//   default_action: deny             # optional: allow | deny | require_approval; default deny
//   read_only: false                 # optional boolean, default false
//   forward_unparsed: false          # optional boolean, default false
//   rules:                           # optional, evaluated in order
//     - name: no-drop                # required, same syntax as the policy name, unique
//       match:                       # optional; missing or empty matches every statement
//         commands: [DROP TABLE, TRUNCATE]  # letters and spaces; upper-cased, spaces collapsed
//         classes: [ddl]             # read|write|ddl|dcl|tcl|session|admin|opaque|unknown
//         relations: ["billing.*"]   # globs over [schema.]table, lower-cased
//         functions: [pg_read_file]  # globs over [schema.]function, lower-cased
//         without_where: true        # DELETE/UPDATE without a WHERE clause
//       action: deny                 # required: allow | deny | require_approval
//       message: "Needs a ticket"    # optional, shown to the client
//   masking:                         # optional
//     - name: cards                  # required, same syntax as the policy name, unique
//       columns: ["*.card_number"]   # globs: table.column | schema.table.column | *.column
//       detectors: [credit_card]     # credit_card|email|us_ssn|phone|iban|jwt|
//                                    #   aws_access_key|private_key
//       pattern: "secret-[a-z0-9]+"  # optional RE2 pattern (must compile)
//       strategy: partial            # required: redact | partial | hash | null
//       keep_last: 4                 # 1..32; required with partial, rejected otherwise
//       # each masking rule needs at least one of columns, detectors, pattern
//   masking_unknown: mask            # optional: mask | deny (default mask): a result column
//                                    #   whose sources the agent cannot tell, with column rules
//   recording:                       # optional
//     enabled: true                  # boolean, default false
//     include_results: true          # boolean, default false; needs enabled: true
//     max_result_rows: 100           # 1..1000000, default 100
//   approval:                        # optional
//     approver_groups: [dba]
//     approver_identities: [alice]
//     timeout_seconds: 600           # 1..86400, default 300 (also when approval is absent)
//   tests:                           # optional: `wardenctl policies test` runs them offline,
//     - name: no-drops               #   `policies apply` refuses the policy when one fails
//       statement: DROP TABLE orders # required; one statement (or several: one Query)
//       identity: claude             # optional; default the first identity, else "policy-test"
//       groups: [ai-agents]          # optional; default the policy's groups
//       connection: demo             # optional; default the first connection that is not "*"
//       expect:                      # required
//         action: deny               # required: allow | deny | require_approval
//         rule: no-drop              # optional: the deciding rule (or default, read-only, ...)
//         policy: agents-guardrails  # optional: the deciding policy
//         masked: [email]            # optional: exactly these result columns masked by column
//                                    #   rules ([] for none)
//
// Typing is strict (fail closed): unknown or duplicate keys are errors, booleans are plain
// true/false, integers are plain decimal digits, a quoted "true" or "600" is a string and
// rejected where a boolean or integer is expected, and a scalar is rejected where a list or
// mapping is expected. A key whose value is null (`key:` or `key: ~`) counts as absent.
// Strings must not contain NUL bytes. Policy.version is never set here: the control plane
// assigns it.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "absl/status/statusor.h"
#include "warden/v1/policy.pb.h"

namespace warden::policy {

// Largest policy document accepted, in bytes.
inline constexpr size_t kMaxPolicyYamlBytes = 1 << 20;

// Parses and validates one policy document. Never throws. On error returns
// InvalidArgumentError whose message is "<filename>:<line>:<column>: <field path>: <problem>",
// for example
//   p.yaml:7:13: rules[1].action: unknown action "alow" (expected allow, deny, require_approval)
// with 1-based line and column. YAML syntax errors use the field path "yaml"; errors about the
// document as a whole (empty, not a mapping, several documents, too large) use "document".
[[nodiscard]] absl::StatusOr<warden::v1::Policy> ParsePolicyYaml(std::string_view text,
                                                                 std::string_view filename);

// Canonical lower-case names, as used in YAML and in CLI output. UNSPECIFIED and values
// outside the enum give "unspecified".
std::string_view ActionName(warden::v1::Action a);          // allow|deny|require_approval
std::string_view ClassName(warden::v1::StatementClass c);   // read|write|ddl|dcl|tcl|admin|...
std::string_view StrategyName(warden::v1::MaskStrategy s);  // redact|partial|hash|null
std::string_view DetectorName(warden::v1::Detector d);      // credit_card|email|us_ssn|...
std::string_view UnknownLineageName(warden::v1::UnknownLineage u);  // mask|deny

// Inverse of the functions above: exact canonical name to value; nullopt for anything else
// (including "unspecified").
std::optional<warden::v1::Action> ActionFromName(std::string_view name);
std::optional<warden::v1::StatementClass> ClassFromName(std::string_view name);
std::optional<warden::v1::MaskStrategy> StrategyFromName(std::string_view name);
std::optional<warden::v1::Detector> DetectorFromName(std::string_view name);

}  // namespace warden::policy

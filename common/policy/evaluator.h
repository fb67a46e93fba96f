// Policy evaluation: (policy snapshot, subject, classified batch) -> Decision. Pure: no I/O, no
// globals, no state between calls; the snapshot is only read (DESIGN.md §4.3, §4.4).
//
// Semantics, in the order they are applied:
//
// 1. Applicable policies. A policy applies when its subjects list the identity or one of the
//    subject's groups (exact, case-sensitive; empty strings never match), and its connections
//    list the connection or "*". Applicable policies are taken in name order; "policy order"
//    below means: policies by name, rules in file order within each policy.
//    No applicable policy -> DENY, rule "no-policy" (fail closed).
//
// 2. Unparsed text (batch.parsed == false). Denied with rule "unparsed", unless EVERY
//    applicable policy sets forward_unparsed (the safer reading: one policy that does not
//    trust unparsed text is enough to refuse it; the denial names the first such policy). When
//    all of them forward it, the text is decided like one statement of class UNKNOWN with an
//    empty command tag (steps 4-6): a rule without match fields or one matching class
//    `unknown` still applies, a read_only policy denies it, and otherwise the defaults decide.
//    statement_index is -1 for unparsed text.
//
// 3. A parsed batch without statements (empty or comment-only text) -> ALLOW, rule "empty".
//
// 4. Each statement is decided on its own, across all applicable policies:
//    - A rule matches when every match field that is set matches (fields ANDed, values within
//      a field ORed); a rule with no match fields matches every statement.
//        commands:      the statement's command tag, or any command nested in it (the
//                       DELETE of `WITH d AS (DELETE ...) SELECT ...`, EXPLAIN ANALYZE's
//                       statement, a PREPARE's body, ...: ClassifiedStatement::commands),
//                       equals one of them exactly (upper case). So `commands: [DELETE]`
//                       also matches that SELECT and MERGE ... WHEN MATCHED THEN DELETE, and
//                       `commands: [EXECUTE]` every EXECUTE, also one of a known statement.
//        classes:       the statement's class is one of them; a statement flagged opaque also
//                       matches class `opaque` whatever its own class (so CREATE FUNCTION, a
//                       DDL statement with a body the classifier cannot see, matches both
//                       `ddl` and `opaque`).
//        relations:     any relation read or written matches any glob (see glob.h for
//                       [schema.]name globs and unqualified names).
//        functions:     any function called matches any glob (same rules).
//        without_where: the statement is a DELETE/UPDATE without WHERE.
//    - Every matching rule of every applicable policy contributes its action; the most
//      restrictive wins: deny > require_approval > allow. The first matching rule in policy
//      order with that action names the decision. (A rule whose action is UNSPECIFIED counts
//      as deny; YAML never produces one.)
//    - read_only: if any applicable policy is read_only, a statement is refused unless its
//      class is READ, TCL or SESSION, or its command tag is SHOW; an opaque statement is refused
//      even when classed READ. This is a lock on top of the rules, never a grant: it overrides any
//      require_approval or allow rule and the defaults, but a matching deny rule still names
//      the decision (its message is the more specific one). Rule "read-only", naming the first
//      read_only policy. TCL is let through so drivers can BEGIN/COMMIT; the database-side
//      lock (default_transaction_read_only) is the agent's job, not the evaluator's.
//    - If no rule of any applicable policy matches, the defaults decide: the most restrictive
//      default_action among the applicable policies (deny > require_approval > allow; an
//      UNSPECIFIED default counts as deny), named by the first policy with that default, rule
//      "default".
//
// 5. A batch is decided as a whole: the most restrictive statement decision wins (deny >
//    require_approval > allow), the earliest statement among equals; statement_index is that
//    statement's 0-based index. One denied statement denies the whole batch.
//
// 6. Messages, for the client's ErrorResponse:
//      denied by policy "agents-guardrails" rule "no-drop": Dropping tables needs a ticket
//      requires approval (policy "agents-guardrails" rule "ddl-review"): Reviewed by a DBA
//    When the rule has no message, the text after the colon is a generic explanation
//    (defaults, read-only, unparsed and no-policy always use one). ALLOW has an empty message.
#pragma once

#include <string>
#include <vector>

#include "common/sql/classify/classified_statement.h"
#include "warden/v1/policy.pb.h"

namespace warden::policy {

struct Subject {
  std::string identity;
  std::vector<std::string> groups;
  std::string connection;
  // The connection itself is read-only (wardenctl connections create --read-only): the same
  // lock as a read_only policy, named "connection:<name>". The agent also starts the database
  // session with default_transaction_read_only, so the two locks are independent.
  bool connection_read_only = false;
};

struct Decision {
  v1::Action action = v1::ACTION_DENY;  // ALLOW, DENY or REQUIRE_APPROVAL (never UNSPECIFIED)
  std::string policy;                   // the policy that decided ("" when none applies)
  std::string rule;     // the rule that decided, or "default", "read-only", "unparsed",
                        // "no-policy", "empty"
  std::string message;  // for the client: names the policy and rule and carries the rule's
                        // message; empty for ALLOW
  // Index of the statement (in the batch) that decided, for the client's error; -1 when no
  // single statement decided (no-policy, unparsed, empty).
  int statement_index = -1;
};

// The policies that apply to `subject`, sorted by name (stable for equal names). The pointers
// point into `snapshot`.
std::vector<const v1::Policy*> ApplicablePolicies(const v1::PolicySnapshot& snapshot,
                                                  const Subject& subject);

// Decides `batch` for `subject` under `snapshot` (see the semantics above).
Decision Evaluate(const v1::PolicySnapshot& snapshot, const Subject& subject,
                  const sql::ClassifiedBatch& batch);

// The same, with the applicable policies already found (ApplicablePolicies(snapshot, subject)):
// a session deciding many statements under one snapshot finds them once.
Decision Evaluate(const std::vector<const v1::Policy*>& policies, const Subject& subject,
                  const sql::ClassifiedBatch& batch);

}  // namespace warden::policy

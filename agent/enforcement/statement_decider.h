// The decision on one statement, protocol-neutral: the statement text and what the protocol
// adapter knows of it in, a verdict value out (allow, deny with the rule and the client's
// message, or hold with the rule it waits on). No wire messages, sockets, clocks or session
// state of a protocol in here: the adapter (agent/postgres/statement_guard.h) reads the wire,
// pins one policy snapshot per statement, and turns the verdict into bytes.
//
// What is decided, in order (the strictest outcome wins; every outcome is counted):
//  - a text over the agent's size limit is refused before it is parsed (rule "statement-size");
//  - a read that may change state through a user-defined function is decided as a write
//    (function_catalog.h);
//  - the adapter's own refusal (PostgreSQL: a text the server might read differently from the
//    classifier, rule "parser-settings");
//  - no policy yet: nothing is allowed;
//  - the policy (common/policy/evaluator.h), then what masking forbids: a masked subject may not
//    put a computed value into a setting (settings are read back raw), and under
//    `masking_unknown: deny` a result column of unknown origin is refused;
//  - require_approval holds the statement when holds are on, else refuses it;
//  - a held statement dispatched again is decided by its releaser, unless the policy now denies.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "agent/enforcement/decision_counters.h"
#include "agent/enforcement/function_catalog.h"
#include "agent/enforcement/statement_hold.h"
#include "common/policy/evaluator.h"
#include "common/sql/classifier_cache.h"
#include "common/sql/classify/classifier.h"

namespace warden::agent {

struct Verdict {
  enum class Kind : uint8_t { kAllow, kDeny, kHold };
  Kind kind = Kind::kAllow;
  std::string denial;  // kDeny: the client's message
  std::string sqlstate = "42501";
  policy::Decision decision;  // what the policy said (kHold: the rule that holds it)
  std::shared_ptr<const sql::ClassifiedBatch> batch;
  bool denied() const { return kind == Kind::kDeny; }
};

// This session's decisions (the agent-wide totals by policy, rule and action are in
// DecisionCounters).
struct GuardCounters {
  uint64_t allowed = 0;
  uint64_t denied = 0;  // denied or refused for approval
};

// A refusal of the protocol adapter's own: the rule it names and the client's message.
struct ProtocolRefusal {
  std::string rule;  // empty: none
  std::string message;
};

// What the adapter knows of the session a statement runs in.
class SessionView {
 public:
  virtual ~SessionView() = default;
  // The text classified in the session's context (PostgreSQL: its prepared statements).
  virtual std::shared_ptr<const sql::ClassifiedBatch> Classify(std::string_view sql) = 0;
  // Why the protocol cannot let this text through now (rule empty when it can).
  virtual ProtocolRefusal ProtocolProblem(std::string_view sql,
                                          const sql::ClassifiedBatch& batch) = 0;
  // The database's functions as last read (nullptr: not read), and whether that may be stale.
  virtual const FunctionCatalog* functions() const = 0;
  virtual bool functions_stale() const = 0;
};

class StatementDecider {
 public:
  static constexpr size_t kDefaultMaxStatementBytes = 1 << 20;

  // Every decision is also counted in *decisions, when given (it must outlive the decider).
  StatementDecider(policy::Subject subject, std::string session_id, sql::ClassifierCache& cache,
                   DecisionCounters* decisions = nullptr);

  // Decides `sql` under `snapshot` (the one in force for this statement; null when no policy
  // has arrived). `release`, when set, is the releaser's decision on a held statement
  // dispatched again; it is consumed.
  Verdict Decide(std::string_view sql, const std::shared_ptr<const v1::PolicySnapshot>& snapshot,
                 SessionView& session, std::optional<HoldRelease>* release = nullptr);

  // The first applicable policy that masks values under `snapshot`, or "".
  const std::string& MaskingPolicy(const v1::PolicySnapshot& snapshot);
  // Counts one decision made by the adapter itself (in this session and agent-wide).
  void Tally(std::string_view policy, std::string_view rule, v1::Action action);

  void set_holds_enabled(bool on) { holds_enabled_ = on; }
  void set_max_statement_bytes(size_t n) { max_statement_bytes_ = n; }
  const GuardCounters& counters() const { return counters_; }
  const policy::Subject& subject() const { return subject_; }

 private:
  Verdict TooLarge(std::string_view sql);
  Verdict Released(Verdict v, HoldRelease r);
  // `batch` with every read that may change state through a function made a write; *why says
  // why (the first such).
  std::shared_ptr<const sql::ClassifiedBatch> WithCatalogEffects(
      std::shared_ptr<const sql::ClassifiedBatch> batch, const SessionView& session,
      std::string* why) const;
  bool ComputedSettingDenied(const v1::PolicySnapshot& snapshot, const sql::ClassifiedBatch& batch,
                             policy::Decision* d);
  bool UnknownLineageDenied(const v1::PolicySnapshot& snapshot, std::string_view sql,
                            policy::Decision* d);
  // deny_unknown_policy_ and masking_policy_ for the snapshot's version.
  void RefreshMaskingFacts(const v1::PolicySnapshot& snapshot);
  // The policies that apply to the subject under `snapshot`: found once per snapshot.
  const std::vector<const v1::Policy*>& Applicable(
      const std::shared_ptr<const v1::PolicySnapshot>& snapshot);

  policy::Subject subject_;
  std::string session_id_;
  sql::ClassifierCache& cache_;
  DecisionCounters* decisions_;  // may be null
  GuardCounters counters_;
  bool holds_enabled_ = false;
  size_t max_statement_bytes_ = kDefaultMaxStatementBytes;
  int64_t masking_facts_version_ = -1;  // the snapshot the two below were found in
  std::string deny_unknown_policy_;
  std::string masking_policy_;
  // applicable_ points into applicable_in_, which is kept alive for it (and so compared by
  // address without an old address ever being reused).
  std::shared_ptr<const v1::PolicySnapshot> applicable_in_;
  std::vector<const v1::Policy*> applicable_;
};

}  // namespace warden::agent

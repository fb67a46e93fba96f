// Statement policy on the wire (issue 4): every statement the client sends is classified and
// decided before the database sees it. Pure and I/O-free: bytes in, bytes out.
//
// How a denial reaches the client: the denied Query, Parse or FunctionCall is replaced by a
// statement that fails during parse analysis, `SELECT NULL::"<marker>"` (a type that cannot
// exist), so the denied text never reaches the server. The server then answers at exactly the
// point the client expects an answer (at Parse for the extended protocol), runs its own error
// recovery (discard until Sync), and leaves an open transaction aborted, as a real error would.
// On the way back, that error (recognised by its random, per-session marker) is replaced with
// ErrorResponse 42501 naming the policy, the rule and its message. A statement allowed at Parse
// is decided again at Execute when the policy changed in between; a refused Execute names a
// portal that does not exist (the marker), so the server fails it at that point.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "absl/status/status.h"
#include "agent/decision_counters.h"
#include "agent/policy_holder.h"
#include "agent/session/message_walker.h"
#include "common/policy/evaluator.h"
#include "common/sql/classifier.h"
#include "common/sql/classifier_cache.h"

namespace warden::agent {

// This session's decisions (the agent-wide totals by policy, rule and action are in
// DecisionCounters).
struct GuardCounters {
  uint64_t allowed = 0;
  uint64_t denied = 0;  // denied or refused for approval
};

class StatementGuard {
 public:
  // Largest client message the guard holds while waiting for the rest of it (a Query or Parse
  // must be whole to be decided). COPY data is streamed, not held.
  static constexpr size_t kMaxHeldMessage = 64 << 20;
  // Named statements and portals tracked for the Execute re-check; beyond this many the
  // tracking starts afresh (what was allowed at Parse then runs without a re-check).
  static constexpr size_t kMaxTracked = 10000;
  // Denials whose error has not come back yet; older ones are forgotten (the server skipped
  // them because an earlier error in the same pipeline already put it in discard mode).
  static constexpr size_t kMaxPendingDenials = 1024;

  // Every decision is also counted in *decisions, when given (it must outlive the guard).
  StatementGuard(const PolicyHolder& policy, sql::ClassifierCache& cache, policy::Subject subject,
                 std::string session_id, DecisionCounters* decisions = nullptr);

  // Client -> database. Appends to *out every whole message that may pass, denied statements
  // replaced; keeps a trailing partial message for the next call. An error means the client
  // broke the protocol: end the session.
  [[nodiscard]] absl::Status Frontend(std::string_view in, std::string* out);

  // Database -> client. Appends to *out the bytes for the client, with the errors of denied
  // statements rewritten. Passes bytes through untouched while no denial is outstanding. An
  // error means the server's stream is not PostgreSQL framing: end the session.
  [[nodiscard]] absl::Status Backend(std::string_view in, std::string* out);

  const GuardCounters& counters() const { return counters_; }

 private:
  // True (and the client's message in *denial) when the statement text is denied.
  bool Denied(std::string_view sql, std::string* denial);
  // True (with *d naming the reason) when a policy with column rules says
  // `masking_unknown: deny` and the text has a result column of unknown origin.
  bool UnknownLineageDenied(const v1::PolicySnapshot& snapshot, std::string_view sql,
                            policy::Decision* d);
  // Counts one decided message, in this session and agent-wide.
  void Tally(std::string_view policy, std::string_view rule, v1::Action action);
  // The policy version a statement allowed now was decided under.
  int64_t CurrentVersion() const;
  void OnBind(std::string_view message);
  absl::Status DenyFunctionCall(std::string* out);
  // Execute: re-decides the portal's statement if the policy changed since its Parse.
  void OnExecute(std::string_view message, std::string* out);
  absl::Status DecideFrontendMessage(std::string_view message, std::string* out);
  void DecideBackendMessage(std::string_view message, std::string* out);
  std::string NewMarker(std::string denial);

  const PolicyHolder& policy_;
  sql::ClassifierCache& cache_;
  policy::Subject subject_;
  std::string session_id_;
  DecisionCounters* decisions_;  // may be null
  std::string marker_prefix_;    // "warden_denied_<random hex>_"
  uint64_t next_denial_ = 0;
  std::deque<std::pair<std::string, std::string>> pending_;  // marker -> client message
  MessageWalker frontend_;
  MessageWalker backend_;
  sql::PreparedStatements prepared_;
  struct Statement {
    std::string sql;
    int64_t version = 0;
  };
  std::unordered_map<std::string, Statement> statements_;  // Parse name -> text
  std::unordered_map<std::string, std::string> portals_;   // Bind portal -> statement name
  GuardCounters counters_;
  int64_t deny_unknown_version_ = -1;  // the snapshot deny_unknown_policy_ was found in
  std::string deny_unknown_policy_;
};

}  // namespace warden::agent

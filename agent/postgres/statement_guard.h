// Statement policy on the PostgreSQL wire: every statement the client sends is decided before
// the database sees it. Pure and I/O-free: bytes in, bytes out. The guard is the protocol
// adapter: it finds the statements in Query, Parse, Execute and FunctionCall messages, pins one
// policy snapshot per statement, and asks the protocol-neutral StatementDecider
// (agent/enforcement/statement_decider.h) for a verdict, giving it the session's view
// (prepared statements, the function catalog, parser settings); it turns the verdict into
// bytes: passed as sent, replaced by a failing stand-in, or held.
//
// How a denial reaches the client: denial_markers.h (the denied text never reaches the server;
// the client gets ErrorResponse 42501 naming the policy, the rule and its message at the point
// it expects an answer). A statement allowed at Parse is decided again at Execute when the
// policy changed in between. A statement that requires approval is held (statement_hold.h)
// when holds are enabled, else refused.
//
// The guard also keeps the database reading text as the classifier does (parser_settings.h):
// statements that would change standard_conforming_strings or client_encoding to an unsafe
// value are refused, a text whose reading depends on them is refused while an earlier request
// is unanswered (rule "parser-settings"), and a ParameterStatus reporting an unsafe value ends
// the session.
//
// A read that calls a user-defined function the database declares VOLATILE (or one the agent
// does not know) is decided as a write (function_catalog.h). The function catalog is loaded at
// start-up, before the client's first statement (StartFunctionCatalogLoad), and again in band
// at an idle moment outside a transaction block (OnIdle) after this session ran DDL, after a
// failed load, and every kFunctionCatalogMaxAge; its answer is taken out of the server's
// stream here. Until a reload after DDL has completed, the catalog counts as stale.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "absl/status/status.h"
#include "agent/enforcement/decision_counters.h"
#include "agent/enforcement/function_catalog.h"
#include "agent/enforcement/policy_holder.h"
#include "agent/enforcement/statement_decider.h"
#include "agent/enforcement/statement_hold.h"
#include "agent/postgres/catalog_loader.h"
#include "agent/postgres/denial_markers.h"
#include "agent/postgres/message_walker.h"
#include "agent/postgres/request_ledger.h"
#include "common/pgwire/frontend_messages.h"
#include "common/policy/evaluator.h"
#include "common/sql/classifier_cache.h"
#include "common/sql/classify/classifier.h"

namespace warden::agent {

class StatementGuard : private SessionView, private LedgerListener {
 public:
  // Largest client message the guard holds while waiting for the rest of it (a Query or Parse
  // must be whole to be decided). COPY data is streamed, not held.
  static constexpr size_t kMaxHeldMessage = 64 << 20;
  // Named statements (per connection) and portals (per transaction) tracked for the Execute
  // re-check; a client that creates more has its session ended (ResourceExhausted), so nothing
  // runs without its re-check.
  static constexpr size_t kMaxTracked = 10000;

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

  // Follows the session's requests in `ledger` (the session's one, which must outlive the guard)
  // instead of its own: every message the guard lets through is entered there with what was
  // decided, and its confirmations come back from there. Set before the first byte.
  void UseLedger(RequestLedger* ledger);
  // A message the database sent reached the client, by tag (the agent's own queries taken out):
  // for a guard on its own ledger, which nothing else feeds.
  void OnServerMessage(char tag) { ledger_->OnServerMessage(tag, {}, 0, /*whole=*/false); }

  // Checks a ParameterStatus ('S') message: an error (FailedPrecondition, the text for the
  // client) when it reports a setting the classifier cannot read under.
  [[nodiscard]] static absl::Status CheckParameterStatus(std::string_view message);

  const GuardCounters& counters() const { return decider_.counters(); }

  // Statement texts longer than this are refused before they are parsed (rule
  // "statement-size").
  static constexpr size_t kDefaultMaxStatementBytes = StatementDecider::kDefaultMaxStatementBytes;
  void set_max_statement_bytes(size_t n) { decider_.set_max_statement_bytes(n); }

  // The function catalog (statement_guard_functions.cc). The Query that loads it, to be sent
  // to the database now (ahead of any client byte); its answer is taken out of Backend().
  std::string StartFunctionCatalogLoad(std::chrono::steady_clock::time_point now);
  bool loading_function_catalog() const { return function_loader_.in_flight(); }
  // Called before client bytes are forwarded while no request is outstanding: a Query to send
  // ahead of them when the function catalog must be reloaded, else empty.
  std::string OnIdle(std::chrono::steady_clock::time_point now);

  // Holding (statement_hold.h). Off: a statement that requires approval is refused. On: it is
  // held, its Query, Execute or FunctionCall and everything pipelined after it kept from the
  // database until Release(); a Parse of it passes (parsing and describing run nothing), and
  // each Execute of it is held again.
  void set_holds_enabled(bool on) { decider_.set_holds_enabled(on); }
  bool holding() const { return hold_.active(); }
  const HoldFacts& held() const { return hold_.facts(); }
  // Ends the hold as decided; appends to *out what now goes to the database: the held message
  // as sent (forward) or the guard's failing replacement (refuse), then what was pipelined
  // behind it, decided afresh (it may start a new hold). FailedPrecondition when nothing is held.
  [[nodiscard]] absl::Status Release(const HoldRelease& release, std::string* out);
  // Drops what is held (the client is gone, or the session ends): nothing of it is sent.
  void Abandon() { hold_.Take(); }
  // The held statement's impact estimate (impact_estimate.h, statement_guard_estimate.cc): the
  // bytes to send now (a Query while nothing is outstanding; for a held Execute, the extended
  // form under a name of the guard's); its answer is taken out of Backend(). Done when
  // !estimating(). Empty (and not estimating) when the held portal's Bind does not parse.
  // When an extended estimate fails, the client gets the server's error as its statement's
  // (Backend()) and estimate().server_failed() says the held Execute must be dropped
  // (HoldRelease::Discard()).
  std::string StartEstimate(std::string_view sql, bool extended);
  bool estimating() const { return estimate_loader_.in_flight(); }
  const CatalogLoader& estimate() const { return estimate_loader_; }

  static constexpr auto kFunctionCatalogMaxAge = std::chrono::seconds(60);
  static constexpr auto kFunctionCatalogRetry = std::chrono::seconds(5);

 private:
  // Decides a statement text under the policy now in force (statement_decider.h).
  // `parsing`: the database will parse the text next (Query, Parse), not run a statement it
  // already parsed (the Execute re-check).
  Verdict Decide(std::string_view sql, bool parsing);
  // SessionView, for the decider: the text classified with the session's prepared statements;
  // the parser-settings refusal (the database must read the text as the classifier does); the
  // function catalog.
  std::shared_ptr<const sql::ClassifiedBatch> Classify(std::string_view sql) override;
  ProtocolRefusal ProtocolProblem(std::string_view sql, const sql::ClassifiedBatch& batch) override;
  const FunctionCatalog* functions() const override { return functions_ ? &*functions_ : nullptr; }
  bool functions_stale() const override { return catalog_changes_ != loaded_changes_; }
  // Counts an allowed batch that may change the function catalog (DDL, opaque code).
  void NoteCatalogChanges(const sql::ClassifiedBatch& batch);
  // A message while the function catalog load is in flight: true when it was part of the
  // load's answer (then it is not the client's).
  bool OnFunctionCatalogMessage(std::string_view message);
  // Holds `message` (type 'Q', 'E' or 'F', running `sql`) as `v` says.
  struct StatementView;
  // `portal`: for an Execute, the statement its portal runs (its parameters).
  absl::Status BeginHold(std::string_view message, char type, std::string_view sql,
                         const Verdict& v, const StatementView* portal = nullptr);
  // Which snapshot is in force now, as PolicyHolder::generation() (a statement decided under
  // another one is decided again). Compared, never shown: every install counts, also one that
  // brings other content under the version in force.
  int64_t CurrentVersion() const { return static_cast<int64_t>(policy_.generation()); }
  // The snapshot in force, read again only when another was installed (no lock per statement).
  const PolicySnapshotPtr& Snapshot();
  absl::Status OnBind(std::string_view message, std::string* out);
  absl::Status OnFunctionCall(std::string_view message, const pgwire::FunctionCall& call,
                              std::string* out);
  // Execute: re-decides the portal's statement if the policy changed since its Parse.
  absl::Status OnExecute(std::string_view message, std::string* out);
  absl::Status OnQuery(std::string_view message, std::string_view sql, std::string* out);
  absl::Status OnParse(std::string_view message, const pgwire::Parse& parse, std::string* out);
  // Appends `message` to *out and enters it in the ledger with `note`.
  absl::Status Emit(std::string_view message, RequestNote note, std::string* out);
  // LedgerListener: a confirmed effect changes the guard's view of the session; outside a
  // transaction block no portal is left (each one ends with its transaction).
  void OnConfirmed(LedgerEffect&& effect) override;
  void OnReadyForQuery(char status) override;
  struct Statement {
    std::string sql;
    int64_t version = 0;
    bool changes_prepared = false;  // a SQL PREPARE or DEALLOCATE
    bool needs_approval = false;    // each Execute is held (holds enabled)
    // Needing approval: the parameter types Parse declared, and a portal's Bind message.
    std::vector<uint32_t> param_types;
    std::string bind;
  };
  // A Statement, or the unconfirmed effect that will become one, seen in place: valid until a
  // server message is processed or a name is erased (deciding a statement changes neither).
  struct StatementView {
    std::string_view sql;
    int64_t version = 0;
    bool changes_prepared = false;
    bool needs_approval = false;
    std::span<const uint32_t> param_types;
    std::string_view bind;
  };
  // The statement a portal runs, as bound (a pending Bind first, then confirmed ones).
  std::optional<StatementView> PortalStatement(const std::string& portal) const;
  // The statement a name stands for now (a pending Parse first, then confirmed ones).
  std::optional<StatementView> NamedStatement(const std::string& name) const;
  static StatementView ViewOf(const Statement& s);
  // The stand-in for a refused held message of `type`, to *out and the ledger.
  absl::Status RefuseHeld(char type, const HoldRelease& release, std::string* out);
  absl::Status DecideFrontendMessage(std::string_view message, std::string* out);
  void DecideBackendMessage(std::string_view message, std::string* out);

  const PolicyHolder& policy_;
  PolicySnapshotPtr snapshot_;        // see Snapshot()
  uint64_t snapshot_generation_ = 0;  // PolicyHolder::generation() when snapshot_ was read
  // The snapshot the last Decide() decided under, as CurrentVersion() counts it.
  int64_t decided_version_ = -1;
  sql::ClassifierCache& cache_;
  std::string session_id_;
  StatementDecider decider_;
  bool parsing_ = false;  // of the text being decided (for ProtocolProblem)
  DenialMarkers markers_;
  MessageWalker frontend_;
  MessageWalker backend_;
  sql::PreparedStatements prepared_;  // SQL PREPAREs the server confirmed
  // Confirmed by the server: Parse name -> text, Bind portal -> statement name.
  std::unordered_map<std::string, Statement> statements_;
  std::unordered_map<std::string, Statement> portals_;  // in this transaction
  RequestLedger own_ledger_;
  RequestLedger* ledger_ = &own_ledger_;
  // The analysis of the text Decide() classified last (its note for the ledger), or null.
  std::shared_ptr<const sql::StatementAnalysis> last_analysis_;
  StatementHold hold_;
  // Set while a held message is dispatched again: its outcome, decided by the releaser.
  std::optional<HoldRelease> release_;
  // A Bind or Execute was forwarded since the last Sync: something may have run that the
  // server has not reported on yet.
  bool ran_since_sync_ = false;
  // An Execute went to the database since the last Sync (statements ran in the client's
  // unfinished request).
  bool executed_since_sync_ = false;
  // Names whose Parse was refused since the last Sync: the server fails their Binds.
  std::vector<std::string> refused_parses_;
  // The function catalog: absent until loaded (and after a failed load): then every function
  // that is not a built-in counts as a possible write.
  CatalogLoader function_loader_;
  CatalogLoader estimate_loader_;  // sent before any function catalog load it overlaps
  // An extended estimate's answer message (statement_guard_estimate.cc): true when it was one.
  bool OnEstimateMessage(std::string_view message, std::string* out);
  // Names of the extended estimates' statements and portals: random per session, numbered.
  std::string estimate_prefix_;
  uint64_t estimates_ = 0;
  std::string stale_estimate_;  // a statement a failed estimate left behind, closed next time
  std::optional<FunctionCatalog> functions_;
  uint64_t catalog_changes_ = 0;       // batches allowed that may change the catalog
  uint64_t changes_before_bytes_ = 0;  // catalog_changes_ before the last Frontend() call
  uint64_t loading_changes_ = 0;       // catalog_changes_ the load in flight was sent after
  uint64_t loaded_changes_ = 0;        // ... when the loaded catalog was sent for
  std::chrono::steady_clock::time_point function_load_at_{};  // last load sent
  char txn_status_ = 'I';                                     // from the last ReadyForQuery
};

}  // namespace warden::agent

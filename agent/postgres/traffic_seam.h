// THE seam between the tunnel and the database connection: every byte the client sends passes
// FrontendBytes() before it is written to the database, and every byte the database sends
// passes BackendBytes() before it goes into a tunnel frame. Both get the buffer mutably so that
// the next layer (statement enforcement, result masking, recording) can decode and rewrite
// messages here without touching the pump: the statement guard, then the result masker on
// what the database sends. It owns the session's one request ledger (request_ledger.h), which
// the guard feeds with what it lets through and the masker with what the database answers,
// follows message boundaries, and dispatches the client's bytes by the session's query state
// (query_phase.h): ready (the agent's own queries may go first), held (everything goes to the
// hold), or a query, a COPY in either direction under way.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "agent/postgres/impact_estimate.h"
#include "agent/postgres/query_phase.h"
#include "agent/postgres/result_masker.h"
#include "agent/postgres/statement_guard.h"
#include "common/pgwire/message_boundary.h"

namespace warden::agent {

class TrafficSeam {
 public:
  // Enforces statement policy from now on (set once the session's identity is known, before
  // any client byte reaches the database).
  void SetGuard(std::unique_ptr<StatementGuard> guard) {
    guard_ = std::move(guard);
    guard_->UseLedger(&ledger_);
  }
  // Masks result values from now on, on what the guard lets through (set with the guard).
  void SetMasker(std::unique_ptr<ResultMasker> masker) {
    masker_ = std::move(masker);
    masker_->UseLedger(&ledger_);
  }

  // Client -> database. Called on the session's executor, in order. An error means the client
  // broke the protocol: end the session.
  [[nodiscard]] absl::Status FrontendBytes(std::string* bytes);
  // Database -> client. Called on the session's executor, in order.
  [[nodiscard]] absl::Status BackendBytes(std::string* bytes);

  // The Query that loads the guard's function catalog (statement_guard.h), to be written to the
  // database before any client byte; empty without a guard. Loading until its answer is in.
  std::string StartFunctionCatalogLoad();
  bool loading_function_catalog() const { return guard_ && guard_->loading_function_catalog(); }

  QueryState state() const { return ledger_.state(guard_ && guard_->holding()); }
  // The statement held (state() is kHeld), or nullptr.
  const HoldFacts* held() const { return state() == QueryState::kHeld ? &guard_->held() : nullptr; }
  // Ends the hold as decided: *out gets the bytes for the database now (the held message as
  // sent or its failing replacement, then what was pipelined behind it, decided afresh).
  // FailedPrecondition when nothing is held; another error ends the session.
  [[nodiscard]] absl::Status ReleaseHold(const HoldRelease& release, std::string* out);
  // The held statement's impact estimate (StatementGuard::StartEstimate): the bytes to write to
  // the database now; empty without a guard.
  std::string StartEstimate(std::string_view sql, bool extended) {
    return guard_ ? guard_->StartEstimate(sql, extended) : "";
  }
  // How the database connection stands for an estimate (impact_estimate.h).
  DatabaseActivity database_activity() const {
    if (own_query_in_flight()) return DatabaseActivity::kBusy;
    if (!database_busy()) return DatabaseActivity::kIdle;
    return ledger_.RunsNothing() ? DatabaseActivity::kPreparing : DatabaseActivity::kBusy;
  }
  bool estimating() const { return guard_ && guard_->estimating(); }
  // One of the agent's own queries is at the database (catalog loads, an estimate).
  bool own_query_in_flight() const {
    return estimating() || loading_function_catalog() || (masker_ && masker_->loading_catalog());
  }
  const CatalogLoader* estimate() const { return guard_ ? &guard_->estimate() : nullptr; }
  // True while a request the database got is unanswered (a hold aside).
  bool database_busy() const { return ledger_.state(/*held=*/false) != QueryState::kReady; }
  // Drops a held statement unsent (the client left, or the session ends); true if one was held.
  bool AbandonHold();

  // True when no request is outstanding at the database: both directions are at a message
  // boundary, the query state (a hold aside: nothing of it was sent) is ready, and the client
  // has not already sent Terminate. Then a Terminate ('X') ends the server's session cleanly
  // (https://www.postgresql.org/docs/15/protocol-flow.html#id-1.10.6.7.10).
  bool IdleForTerminate() const;
  // The client sent Terminate: the database closing the connection is the end it asked for.
  bool client_terminated() const { return ledger_.terminated(); }
  // The session's requests (facts of each statement: RequestLedger::set_facts_sink).
  RequestLedger& ledger() { return ledger_; }

  uint64_t frontend_bytes() const { return frontend_bytes_; }
  uint64_t backend_bytes() const { return backend_bytes_; }

 private:
  // The client's bytes in each state: all to the hold; or through the guard, then the rest of
  // the seam (`ready`: nothing was outstanding before them).
  absl::Status HeldBytes(std::string* bytes);
  absl::Status ClientBytes(std::string* bytes, bool ready);
  // What the guard let through: the agent's own queries ahead when idle, the masker, the state.
  absl::Status AfterGuard(std::string* bytes, bool ready);

  std::unique_ptr<StatementGuard> guard_;
  std::unique_ptr<ResultMasker> masker_;
  std::string scratch_;  // the guard's (then the masker's) output, swapped with the caller's buffer
  pgwire::MessageBoundaryTracker frontend_;
  pgwire::MessageBoundaryTracker backend_;
  RequestLedger ledger_;
  MessageWalker client_walker_;  // feeds the ledger when no guard does
  uint64_t frontend_bytes_ = 0;
  uint64_t backend_bytes_ = 0;
};

}  // namespace warden::agent

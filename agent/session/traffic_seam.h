// THE seam between the tunnel and the database connection: every byte the client sends passes
// FrontendBytes() before it is written to the database, and every byte the database sends
// passes BackendBytes() before it goes into a tunnel frame. Both get the buffer mutably so that
// the next layer (statement enforcement, result masking, recording) can decode and rewrite
// messages here without touching the pump: the statement guard, then the result masker on
// what the database sends; it also follows message boundaries, to know whether the session is
// idle.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "agent/session/message_boundary.h"
#include "agent/session/result_masker.h"
#include "agent/session/statement_guard.h"

namespace warden::agent {

class TrafficSeam {
 public:
  // Enforces statement policy from now on (set once the session's identity is known, before
  // any client byte reaches the database).
  void SetGuard(std::unique_ptr<StatementGuard> guard) { guard_ = std::move(guard); }
  // Masks result values from now on, on what the guard lets through (set with the guard).
  void SetMasker(std::unique_ptr<ResultMasker> masker) { masker_ = std::move(masker); }

  // Client -> database. Called on the session's executor, in order. An error means the client
  // broke the protocol: end the session.
  [[nodiscard]] absl::Status FrontendBytes(std::string* bytes);
  // Database -> client. Called on the session's executor, in order.
  [[nodiscard]] absl::Status BackendBytes(std::string* bytes);

  // The Query that loads the guard's function catalog (statement_guard.h), to be written to the
  // database before any client byte; empty without a guard. Loading until its answer is in.
  std::string StartFunctionCatalogLoad();
  bool loading_function_catalog() const { return guard_ && guard_->loading_function_catalog(); }

  // True when no request is outstanding: both directions are at a message boundary, every
  // Query/Sync/FunctionCall has had its ReadyForQuery, no extended-protocol message waits for
  // a Sync, and the client has not already sent Terminate. Then a Terminate ('X') ends the
  // server's session cleanly
  // (https://www.postgresql.org/docs/15/protocol-flow.html#id-1.10.6.7.10).
  bool IdleForTerminate() const;
  // The client sent Terminate: the database closing the connection is the end it asked for.
  bool client_terminated() const { return terminated_; }

  uint64_t frontend_bytes() const { return frontend_bytes_; }
  uint64_t backend_bytes() const { return backend_bytes_; }

 private:
  std::unique_ptr<StatementGuard> guard_;
  std::unique_ptr<ResultMasker> masker_;
  std::string scratch_;  // the guard's (then the masker's) output, swapped with the caller's buffer
  MessageBoundaryTracker frontend_;
  MessageBoundaryTracker backend_;
  int64_t awaiting_ready_ = 0;  // Query/Sync/FunctionCall sent minus ReadyForQuery received
  bool unsynced_ = false;       // an extended-protocol message since the last Sync
  bool terminated_ = false;     // the client sent Terminate
  uint64_t frontend_bytes_ = 0;
  uint64_t backend_bytes_ = 0;
};

}  // namespace warden::agent

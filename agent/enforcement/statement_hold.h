// A statement waiting for someone to decide on it (require_approval), and the client bytes
// behind it. The guard decides that a message must be held (statement_guard.h); from then on
// nothing of it, and nothing the client pipelines after it, reaches the database: the hold owns
// those bytes, in order, up to a bound. The hold ends in one of three ways:
//  - forward: the held message goes to the database exactly as the client sent it;
//  - refuse (also a cancel by the client): the client gets an error with the releaser's
//    SQLSTATE and message at the point of the protocol where the statement's own result would
//    have come (the guard's denial path), and an open transaction is aborted as an error in it
//    would abort it;
//  - abandon (the client disconnected, or the session was killed): the bytes are dropped;
//  - discard: the database already failed the client's request around the held message (the
//    client has that error) and skips the rest of it until the client's Sync: the held message
//    is dropped, what followed it is decided as below.
// After forward or refuse, the messages that were pipelined behind are decided in order as if
// they had just arrived (one of them may start a new hold).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "common/sql/classify/classifier.h"

namespace warden::agent {

// What a held statement waits for: the policy decision that held it.
struct HoldFacts {
  char message_type = 0;  // the held message: 'Q' Query, 'E' Execute, 'F' FunctionCall
  std::string statement;  // its SQL text (for an Execute, the text its portal runs)
  std::string policy;     // the policy and rule that require approval
  std::string rule;
  std::string message;          // the rule's message
  uint64_t fingerprint = 0;     // the statement's fingerprint (sql::ClassifiedBatch)
  bool in_transaction = false;  // held inside a transaction block: it stays open meanwhile
  std::shared_ptr<const sql::ClassifiedBatch> batch;  // its analysis: statements, class, tables
  // 'E': the Bind message that made the portal it runs (its parameter values), when known.
  std::string bind;
  std::vector<uint32_t> param_types;  // as the statement's Parse declared them (0: unspecified)
  // SHA-256 (hex) of the Bind, if any, and the held message: what an approval lets through is
  // what the approver was shown.
  std::string held_sha256;
};

// How a hold ends when someone decides.
struct HoldRelease {
  bool forward = false;
  std::string sqlstate;  // refuse: the client's error
  std::string message;
  bool discard = false;

  static HoldRelease Forward() { return {true, "", "", false}; }
  static HoldRelease Refuse(std::string sqlstate, std::string message) {
    return {false, std::move(sqlstate), std::move(message), false};
  }
  static HoldRelease Discard() { return {false, "", "", true}; }
  // The client's CancelRequest withdrew the statement: the error PostgreSQL gives a cancelled
  // statement.
  static HoldRelease Cancelled() {
    return Refuse("57014", "canceling statement due to user request (it was waiting for approval)");
  }
};

class StatementHold {
 public:
  // Client bytes a hold keeps (the held message and what follows it); a client that pipelines
  // more while its statement waits ends its session.
  static constexpr size_t kDefaultMaxBytes = 8 << 20;

  explicit StatementHold(size_t max_bytes = kDefaultMaxBytes) : max_bytes_(max_bytes) {}

  bool active() const { return active_; }
  const HoldFacts& facts() const { return facts_; }

  // Holds `message` (a whole client message) with what it waits for. Not while active.
  [[nodiscard]] absl::Status Begin(std::string_view message, HoldFacts facts);
  // One more whole client message behind the held one: ResourceExhausted beyond the bound.
  [[nodiscard]] absl::Status Append(std::string_view message);
  // Ends the hold: every byte held, the held message first, for the caller to dispatch again.
  std::string Take();

 private:
  size_t max_bytes_;
  bool active_ = false;
  HoldFacts facts_;
  std::string bytes_;
};

}  // namespace warden::agent

// The statement guard's record of the requests the database has not answered yet, in the order
// it will answer them (PgBouncer's outstanding-request queue). What a request changes in the
// session (a statement name bound by Parse, a portal by Bind, a SQL PREPARE or DEALLOCATE) is
// applied only when the server confirms that request: a Parse or PREPARE the server rejects
// (42P05, the name is taken) must not rebind the name the guard decides by.
//
// Fed the client's messages as they are forwarded and the server's message tags as they reach
// the client (after the agent's own queries have been taken out of the stream). Responses per
// request (https://www.postgresql.org/docs/15/protocol-flow.html):
//   Parse -> ParseComplete '1'; Bind -> BindComplete '2'; Execute -> CommandComplete 'C',
//   PortalSuspended 's' or EmptyQueryResponse 'I'; each statement of a Query -> 'C';
//   Query, Sync, FunctionCall -> ReadyForQuery 'Z'. An ErrorResponse ends the Query, or makes
//   the server skip every extended-protocol message up to the next Sync.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "common/sql/classify/classifier.h"

namespace warden::agent {

// What a confirmed request changes in the guard's view of the session.
struct LedgerEffect {
  enum class Kind : uint8_t { kNone, kStatement, kPortal, kPrepared };
  Kind kind = Kind::kNone;
  std::string name;               // kStatement: statement name; kPortal: portal name
  std::string target;             // kStatement: its SQL text; kPortal: the statement it binds
  int64_t version = 0;            // kStatement: the policy version the text was allowed under
  bool changes_prepared = false;  // kStatement: the text PREPAREs or DEALLOCATEs
  bool needs_approval = false;    // kStatement: each Execute of it is held
  std::vector<sql::PreparedChange> prepared;  // kPrepared
};

class RequestLedger {
 public:
  enum class Await : uint8_t { kParseComplete, kBindComplete, kCompletion, kReady };
  // More unanswered requests than this end the session (the client pipelines without reading).
  static constexpr size_t kMaxEntries = 1 << 20;

  // A request was forwarded; false when the ledger is full.
  [[nodiscard]] bool Expect(Await await, LedgerEffect effect = {});

  // One server message, by tag; effects it confirms are passed to apply(LedgerEffect&&).
  template <typename Apply>
  void OnServerMessage(char tag, Apply&& apply) {
    switch (tag) {
      case '1':
        Confirm(Await::kParseComplete, apply);
        break;
      case '2':
        Confirm(Await::kBindComplete, apply);
        break;
      case 'C':
        Confirm(Await::kCompletion, apply);
        break;
      case 's':
      case 'I':
        Confirm(Await::kCompletion, [](LedgerEffect&&) {});  // nothing completed
        break;
      case 'E':
        DropUntilReady(/*including=*/false);
        break;
      case 'Z':
        DropUntilReady(/*including=*/true);
        break;
      default:
        break;
    }
  }

  // Query, Sync and FunctionCall forwarded whose ReadyForQuery has not come back.
  size_t awaiting_ready() const { return awaiting_ready_; }
  size_t size() const { return entries_.size(); }

  // The newest unconfirmed effect of `kind` for `name`, or nullptr.
  const LedgerEffect* Pending(LedgerEffect::Kind kind, std::string_view name) const;
  // Names of SQL prepared statements that unconfirmed PREPARE/DEALLOCATEs may change ("" for
  // DEALLOCATE ALL).
  std::vector<std::string> PendingPreparedNames() const;

 private:
  struct Entry {
    Await await;
    LedgerEffect effect;
  };

  // The first unanswered request of the current exchange (before its ReadyForQuery) that awaits
  // `what` is answered; requests before it were skipped by the server.
  template <typename Apply>
  void Confirm(Await what, Apply&& apply) {
    for (size_t i = 0; i < entries_.size() && entries_[i].await != Await::kReady; ++i) {
      if (entries_[i].await != what) continue;
      LedgerEffect effect = std::move(entries_[i].effect);
      entries_.erase(entries_.begin(), entries_.begin() + static_cast<ptrdiff_t>(i) + 1);
      if (effect.kind != LedgerEffect::Kind::kNone) apply(std::move(effect));
      return;
    }
  }
  void DropUntilReady(bool including);

  std::deque<Entry> entries_;
  size_t awaiting_ready_ = 0;
};

}  // namespace warden::agent

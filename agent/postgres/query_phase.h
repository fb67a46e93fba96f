// Where a session's query traffic stands, from the messages the database gets and the messages
// the client gets (tags only; message_boundary.h finds them). One state for the seam to dispatch
// on (traffic_seam.h):
//   kReady   nothing outstanding: the agent's own queries may go ahead of the client's bytes,
//            and a Terminate ends the server's session cleanly;
//   kInQuery a Query, Sync or FunctionCall awaits its ReadyForQuery, or extended-protocol
//            messages await their Sync;
//   kCopyIn  the server sent CopyInResponse (or CopyBothResponse): the client streams CopyData
//            until CopyDone or CopyFail;
//   kCopyOut the server streams CopyData until its CopyDone;
//   kHeld    a statement waits for a decision (statement_hold.h): nothing of it, or behind it,
//            reaches the database (whatever ran before it may still be answering).
// https://www.postgresql.org/docs/15/protocol-flow.html
#pragma once

#include <cstdint>

namespace warden::agent {

enum class QueryState : uint8_t { kReady, kInQuery, kCopyIn, kCopyOut, kHeld };

class QueryPhase {
 public:
  // A client message the database gets, by tag.
  void OnFrontend(char tag);
  // A server message the client gets, by tag (the agent's own queries' answers excluded).
  void OnBackend(char tag);

  // The state, `held` when a statement is held.
  QueryState state(bool held) const;
  // The client sent Terminate.
  bool terminated() const { return terminated_; }

 private:
  enum class Copy : uint8_t { kNone, kIn, kOut };
  int64_t awaiting_ready_ = 0;  // Query/Sync/FunctionCall sent minus ReadyForQuery received
  bool unsynced_ = false;       // an extended-protocol message since the last Sync
  bool terminated_ = false;
  Copy copy_ = Copy::kNone;
};

}  // namespace warden::agent

// Where a session's query traffic stands (request_ledger.h tells it from the messages each way).
// One state for the seam to dispatch on (traffic_seam.h):
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

}  // namespace warden::agent

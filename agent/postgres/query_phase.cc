#include "agent/postgres/query_phase.h"

namespace warden::agent {

void QueryPhase::OnFrontend(char tag) {
  switch (tag) {
    case 'Q':  // Query
    case 'F':  // FunctionCall
      ++awaiting_ready_;
      break;
    case 'S':  // Sync
      ++awaiting_ready_;
      unsynced_ = false;
      break;
    case 'X':  // Terminate
      terminated_ = true;
      break;
    case 'P':  // Parse, Bind, Describe, Execute, Close, Flush
    case 'B':
    case 'D':
    case 'E':
    case 'C':
    case 'H':
      unsynced_ = true;
      break;
    case 'c':  // CopyDone, CopyFail: the client's COPY data ends
    case 'f':
      if (copy_ == Copy::kIn) copy_ = Copy::kNone;
      break;
    default:  // CopyData
      break;
  }
}

void QueryPhase::OnBackend(char tag) {
  switch (tag) {
    case 'G':  // CopyInResponse, CopyBothResponse
    case 'W':
      copy_ = Copy::kIn;
      break;
    case 'H':  // CopyOutResponse
      copy_ = Copy::kOut;
      break;
    case 'c':  // CopyDone from the server
      if (copy_ == Copy::kOut) copy_ = Copy::kNone;
      break;
    case 'E':  // an error ends a COPY in either direction
    case 'Z':
      copy_ = Copy::kNone;
      if (tag == 'Z' && awaiting_ready_ > 0) --awaiting_ready_;
      break;
    default:
      break;
  }
}

QueryState QueryPhase::state(bool held) const {
  if (held) return QueryState::kHeld;
  if (copy_ == Copy::kIn) return QueryState::kCopyIn;
  if (copy_ == Copy::kOut) return QueryState::kCopyOut;
  if (awaiting_ready_ > 0 || unsynced_) return QueryState::kInQuery;
  return QueryState::kReady;
}

}  // namespace warden::agent

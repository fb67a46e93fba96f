// How a refusal reaches the client at exactly the point of the protocol it expects: the refused
// Query, Parse, Execute or FunctionCall is replaced by one that fails in the server, naming a
// marker that cannot exist (a type `SELECT NULL::"<marker>"`, or a portal); the server then
// answers where the client expects an answer, runs its own error recovery (discard until Sync)
// and aborts an open transaction as a real error would. On the way back the server's error,
// recognised by the marker (random per session, numbered per refusal), is replaced by the
// refusal's own SQLSTATE and message. I/O-free.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

namespace warden::agent {

class DenialMarkers {
 public:
  // Refusals whose error has not come back yet; older ones are forgotten (the server skipped
  // them because an earlier error in the same pipeline already put it in discard mode).
  static constexpr size_t kMaxPending = 1024;

  DenialMarkers();

  // A new marker; the server's error that names it becomes (sqlstate, message).
  std::string New(std::string sqlstate, std::string message);
  // A statement text naming a new marker as a type, which fails in parse analysis.
  std::string FailingQuery(std::string sqlstate, std::string message);

  bool empty() const { return pending_.empty(); }
  // When `text` (an ErrorResponse's message) names a pending marker: the client's error for it
  // (an ErrorResponse message) is appended to *out, and it and every earlier marker (skipped by
  // the server) are forgotten.
  bool Rewrite(std::string_view text, std::string* out);

 private:
  struct Pending {
    std::string marker;
    std::string sqlstate;
    std::string message;
  };
  std::string prefix_;  // "warden_denied_<random hex>_"
  uint64_t next_ = 0;
  std::deque<Pending> pending_;
};

}  // namespace warden::agent

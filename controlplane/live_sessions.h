// The live client sessions: as each gateway last reported them, and as this control plane
// authorized them (a session can end before any gateway has reported it); and the sessions
// ended here (wardenctl sessions kill, a token revoked or expired, a connection deleted, a
// policy withdrawn) for the agents' control streams to carry out. In memory only: a session is
// live state, and after a restart the gateways' next reports (which carry what authorized each
// session) bring it back.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "warden/v1/agent.pb.h"
#include "warden/v1/control.pb.h"

namespace warden::controlplane {

class LiveSessions {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::seconds kStaleAfter{15};
  // An authorized session is kept on its own this long; by then a gateway reports it (or it is
  // over).
  static constexpr std::chrono::seconds kAuthorizedKept{30};
  // ... but once its own gateway has reported without it for this long after it was authorized,
  // it is over (gateways report every 2 s).
  static constexpr std::chrono::seconds kUnreportedAfter{5};
  // Ends are kept this long for agent streams that (re)connect meanwhile; then the session is
  // gone anyway or its agent has no stream to hear it on.
  static constexpr std::chrono::seconds kEndsKept{60};

  void Report(const std::string& gateway, std::vector<v1::LiveSession> sessions,
              Clock::time_point now = Clock::now());
  // A session Authorize granted (identity, groups, connection, agent, token). With `limit` > 0,
  // refused (ResourceExhausted, naming the limit) when the identity already holds that many
  // live or lately authorized sessions on the connection: counted and recorded at once, so
  // concurrent authorizations cannot both take the last place.
  absl::Status Authorized(v1::LiveSession session, int limit = 0,
                          Clock::time_point now = Clock::now());

  // The live session `session_id` with the facts the control plane authorized it with
  // (identity, groups, connection, agent), never a gateway's report of them; nullopt when it
  // was not authorized by this process (a restart) or has ended.
  std::optional<v1::LiveSession> Find(const std::string& session_id,
                                      Clock::time_point now = Clock::now());

  // Every session of every gateway that reported recently, oldest first.
  std::vector<v1::LiveSession> List(Clock::time_point now = Clock::now());

  // Ends the live session `session_id`: NotFound when no gateway reported it and it was not
  // authorized lately. Returns the session as last known; it is no longer listed.
  absl::StatusOr<v1::LiveSession> End(const std::string& session_id, v1::EndSession end,
                                      Clock::time_point now = Clock::now());

  // Ends every live or lately authorized session for which `why` returns an end (its session id
  // is filled in here). Returns the sessions ended.
  using EndReason = std::function<std::optional<v1::EndSession>(const v1::LiveSession&)>;
  std::vector<v1::LiveSession> EndWhere(const EndReason& why, Clock::time_point now = Clock::now());

  // The ends recorded after sequence number `*seen` (0 for all kept), in order; moves *seen on.
  std::vector<v1::EndSession> EndsSince(uint64_t* seen);

 private:
  struct Report_ {
    Clock::time_point at;
    std::vector<v1::LiveSession> sessions;
  };
  struct Authorized_ {
    Clock::time_point at;
    v1::LiveSession session;
  };
  struct End_ {
    Clock::time_point at;
    uint64_t seq = 0;
    v1::EndSession end;
  };

  void DropStaleLocked(Clock::time_point now);
  // Removes `session_id` everywhere and records its end.
  void EndLocked(const std::string& session_id, v1::EndSession end, Clock::time_point now);

  std::mutex mu_;
  std::map<std::string, Report_> reports_;
  std::map<std::string, Authorized_> authorized_;  // by session id
  // What Authorized() was given, by session id, for as long as the session lives (a report
  // refreshes liveness and counters, never these facts).
  std::map<std::string, v1::LiveSession> granted_;
  std::vector<End_> ends_;
  uint64_t ends_seq_ = 0;
};

}  // namespace warden::controlplane

// Why a live session ends before its client leaves, as the EndSession its agent carries out
// (pure values; LiveSessions::EndWhere applies them). A session never outlives what authorized
// it: its access token (revoked, expired), its connection, a policy granting its identity access.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "controlplane/live_sessions.h"
#include "warden/v1/policy.pb.h"

namespace warden::controlplane {

// wardenctl sessions kill: 57P01 in PostgreSQL's words for pg_terminate_backend, plus the reason.
v1::EndSession AdminEnd(std::string_view reason);

// 28000: the session's token is `token_id`, now revoked. The client is not told the token's id
// (whoever holds the connection may not be who may see the token's record).
LiveSessions::EndReason TokenRevoked(std::string token_id);
// 28000: the session's token expired at or before `now_unix`.
LiveSessions::EndReason TokenExpired(int64_t now_unix);
// 57P01: the session's connection `name` was deleted.
LiveSessions::EndReason ConnectionDeleted(std::string name);
// 57P01: the gateway `name` carrying the session was revoked.
LiveSessions::EndReason GatewayRevoked(std::string name);
LiveSessions::EndReason ConnectionDeleted(std::string name);
// 28000: no policy in `snapshot` applies to the session's identity, groups and connection.
LiveSessions::EndReason NoPolicyGrants(v1::PolicySnapshot snapshot);

}  // namespace warden::controlplane

#include "controlplane/session_ends.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/policy/evaluator.h"

namespace warden::controlplane {
namespace {

v1::EndSession Ending(const char* sqlstate, std::string message) {
  v1::EndSession e;
  e.set_sqlstate(sqlstate);
  e.set_message(std::move(message));
  return e;
}

}  // namespace

v1::EndSession AdminEnd(std::string_view reason) {
  constexpr char kWords[] = "terminating connection due to administrator command";
  return Ending("57P01", reason.empty() ? std::string(kWords)
                                        : absl::StrCat(kWords, ": ", std::string(reason)));
}

LiveSessions::EndReason TokenRevoked(std::string token_id) {
  return
      [token_id = std::move(token_id)](const v1::LiveSession& s) -> std::optional<v1::EndSession> {
        if (token_id.empty() || s.token_id() != token_id) return std::nullopt;
        return Ending("28000",
                      "the access token of this session was revoked: ask an administrator for a "
                      "new one");
      };
}

LiveSessions::EndReason TokenExpired(int64_t now_unix) {
  return [now_unix](const v1::LiveSession& s) -> std::optional<v1::EndSession> {
    if (s.token_expires_unix() <= 0 || s.token_expires_unix() > now_unix) return std::nullopt;
    return Ending("28000",
                  "the access token of this session expired: connect again with a new one");
  };
}

LiveSessions::EndReason ConnectionDeleted(std::string name) {
  return [name = std::move(name)](const v1::LiveSession& s) -> std::optional<v1::EndSession> {
    if (s.connection() != name) return std::nullopt;
    return Ending("57P01", absl::StrCat("connection \"", name, "\" was deleted"));
  };
}

LiveSessions::EndReason GatewayRevoked(std::string name) {
  return [name = std::move(name)](const v1::LiveSession& s) -> std::optional<v1::EndSession> {
    if (s.gateway() != name) return std::nullopt;
    return Ending("57P01", "the gateway carrying this session was revoked: connect again");
  };
}

LiveSessions::EndReason NoPolicyGrants(v1::PolicySnapshot snapshot) {
  auto snap = std::make_shared<const v1::PolicySnapshot>(std::move(snapshot));
  return [snap](const v1::LiveSession& s) -> std::optional<v1::EndSession> {
    policy::Subject subject{s.identity(), {s.groups().begin(), s.groups().end()}, s.connection()};
    if (!policy::ApplicablePolicies(*snap, subject).empty()) return std::nullopt;
    return Ending("28000",
                  absl::StrCat("no policy grants identity \"", s.identity(),
                               "\" access to connection \"", s.connection(), "\" any more"));
  };
}

}  // namespace warden::controlplane

// The control plane's live sessions and the ends an admin asked for (controlplane/live_sessions.h).
#include <catch2/catch.hpp>

#include "controlplane/live_sessions.h"
#include "controlplane/policy_notifier.h"
#include "controlplane/session_ends.h"

namespace {

using namespace warden;

v1::LiveSession Session(const char* id, const char* identity) {
  v1::LiveSession s;
  s.set_session_id(id);
  s.set_identity(identity);
  return s;
}

v1::EndSession EndWith(const char* message) {
  v1::EndSession e;
  e.set_sqlstate("57P01");
  e.set_message(message);
  return e;
}

}  // namespace

TEST_CASE("live sessions: ending one unlists it and logs the end for every stream",
          "[controlplane]") {
  controlplane::LiveSessions live;
  live.Report("gw-1", {Session("ses_a", "claude"), Session("ses_b", "bob")});
  live.Report("gw-2", {Session("ses_c", "carol")});

  auto ended = live.End("ses_b", EndWith("bye"));
  REQUIRE(ended.ok());
  CHECK(ended->identity() == "bob");
  CHECK(ended->gateway() == "gw-1");
  std::vector<std::string> ids;
  for (const auto& s : live.List()) ids.push_back(s.session_id());
  CHECK(ids == std::vector<std::string>{"ses_a", "ses_c"});

  // An unknown or already ended session: NotFound naming the way to find live ones.
  auto missing = live.End("ses_b", EndWith("again"));
  CHECK(absl::IsNotFound(missing.status()));
  CHECK_THAT(std::string(missing.status().message()), Catch::Contains("sessions list"));

  // Each stream sees every end once, in order; a new stream sees every end still kept.
  uint64_t stream1 = 0;
  auto first = live.EndsSince(&stream1);
  REQUIRE(first.size() == 1);
  CHECK(first[0].session_id() == "ses_b");
  CHECK(first[0].sqlstate() == "57P01");
  CHECK(live.EndsSince(&stream1).empty());
  REQUIRE(live.End("ses_c", EndWith("later")).ok());
  auto second = live.EndsSince(&stream1);
  REQUIRE(second.size() == 1);
  CHECK(second[0].session_id() == "ses_c");
  uint64_t stream2 = 0;
  CHECK(live.EndsSince(&stream2).size() == 2);
}

TEST_CASE("policy notifier: an end wakes the agent streams", "[controlplane]") {
  controlplane::PolicyNotifier notifier(1);
  auto seen = notifier.WaitChanged({}, std::chrono::milliseconds(0));
  notifier.SessionsEnded();
  auto now = notifier.WaitChanged(seen, std::chrono::milliseconds(0));
  CHECK(now.ends_epoch == seen.ends_epoch + 1);
  CHECK(now.policy_version == seen.policy_version);
}

namespace {

v1::LiveSession Granted(const char* id, const char* identity, const char* connection,
                        const char* token, int64_t expires) {
  v1::LiveSession s = Session(id, identity);
  s.set_connection(connection);
  s.add_groups("ai-agents");
  s.set_token_id(token);
  s.set_token_expires_unix(expires);
  return s;
}

std::vector<std::string> Ids(const std::vector<v1::LiveSession>& sessions) {
  std::vector<std::string> ids;
  for (const auto& s : sessions) ids.push_back(s.session_id());
  return ids;
}

}  // namespace

TEST_CASE("live sessions: a session ends when what authorized it goes", "[controlplane]") {
  using controlplane::LiveSessions;
  LiveSessions live;
  auto t0 = LiveSessions::Clock::now();
  // Reported by a gateway, and authorized but not reported yet: both can be ended.
  live.Report("gw-1", {Granted("ses_a", "claude", "demo", "tok_1", 1000)}, t0);
  REQUIRE(live.Authorized(Granted("ses_b", "claude", "demo", "tok_2", 2000), 0, t0).ok());
  REQUIRE(live.Authorized(Granted("ses_c", "bob", "other", "tok_3", 3000), 0, t0).ok());

  CHECK(live.EndWhere(controlplane::TokenRevoked("tok_9"), t0).empty());
  auto revoked = live.EndWhere(controlplane::TokenRevoked("tok_2"), t0);
  CHECK(Ids(revoked) == std::vector<std::string>{"ses_b"});
  uint64_t seen = 0;
  auto ends = live.EndsSince(&seen);
  REQUIRE(ends.size() == 1);
  CHECK(ends[0].sqlstate() == "28000");
  CHECK_THAT(ends[0].message(), Catch::Contains("access token of this session was revoked"));
  CHECK_THAT(ends[0].message(), !Catch::Contains("tok_2"));

  CHECK(live.EndWhere(controlplane::TokenExpired(999), t0).empty());
  CHECK(Ids(live.EndWhere(controlplane::TokenExpired(1000), t0)) ==
        std::vector<std::string>{"ses_a"});
  CHECK(live.List(t0).empty());

  v1::PolicySnapshot none;
  CHECK(Ids(live.EndWhere(controlplane::NoPolicyGrants(none), t0)) ==
        std::vector<std::string>{"ses_c"});
  ends = live.EndsSince(&seen);
  REQUIRE(ends.size() == 2);
  CHECK_THAT(ends[1].message(), Catch::Contains("no policy grants identity \"bob\""));
}

TEST_CASE(
    "live sessions: a policy for the session's group keeps it; deleting its connection "
    "ends it",
    "[controlplane]") {
  using controlplane::LiveSessions;
  LiveSessions live;
  auto t0 = LiveSessions::Clock::now();
  REQUIRE(live.Authorized(Granted("ses_a", "claude", "demo", "tok_1", 0), 0, t0).ok());
  v1::PolicySnapshot snap;
  v1::Policy* p = snap.add_policies();
  p->set_name("grant");
  p->mutable_subjects()->add_groups("ai-agents");
  p->add_connections("demo");
  CHECK(live.EndWhere(controlplane::NoPolicyGrants(snap), t0).empty());
  CHECK(live.EndWhere(controlplane::TokenExpired(1 << 30), t0).empty());  // 0: no expiry known
  auto ended = live.EndWhere(controlplane::ConnectionDeleted("demo"), t0);
  REQUIRE(ended.size() == 1);
  uint64_t seen = 0;
  CHECK(live.EndsSince(&seen).at(0).sqlstate() == "57P01");
  // Authorized sessions no gateway reports are forgotten after a while.
  REQUIRE(live.Authorized(Granted("ses_b", "claude", "demo", "tok_1", 0), 0, t0).ok());
  CHECK(live.EndWhere(controlplane::TokenRevoked("tok_1"),
                      t0 + LiveSessions::kAuthorizedKept + std::chrono::seconds(1))
            .empty());
}

TEST_CASE("live sessions: one identity's sessions on a connection are capped", "[controlplane]") {
  using controlplane::LiveSessions;
  LiveSessions live;
  auto t0 = LiveSessions::Clock::now();
  live.Report("gw-1", {Granted("ses_a", "claude", "demo", "tok_1", 0)}, t0);
  REQUIRE(live.Authorized(Granted("ses_b", "claude", "demo", "tok_2", 0), 2, t0).ok());
  auto refused = live.Authorized(Granted("ses_c", "claude", "demo", "tok_1", 0), 2, t0);
  CHECK(absl::IsResourceExhausted(refused));
  CHECK_THAT(std::string(refused.message()),
             Catch::Contains("identity \"claude\" already has 2 sessions on connection \"demo\""));
  // Another identity, another connection, or no limit: admitted.
  CHECK(live.Authorized(Granted("ses_d", "bob", "demo", "tok_3", 0), 2, t0).ok());
  CHECK(live.Authorized(Granted("ses_e", "claude", "other", "tok_1", 0), 2, t0).ok());
  CHECK(live.Authorized(Granted("ses_f", "claude", "demo", "tok_1", 0), -1, t0).ok());
  // A session that ends frees its place.
  REQUIRE(live.EndWhere(controlplane::TokenRevoked("tok_2"), t0).size() == 1);
  CHECK(live.Authorized(Granted("ses_g", "claude", "demo", "tok_1", 0), 3, t0).ok());
}

TEST_CASE("live sessions: an authorized session its gateway never reports is over",
          "[controlplane]") {
  using controlplane::LiveSessions;
  LiveSessions live;
  auto t0 = LiveSessions::Clock::now();
  v1::LiveSession s = Granted("ses_a", "claude", "demo", "tok_1", 0);
  s.set_gateway("gw-1");
  REQUIRE(live.Authorized(s, 1, t0).ok());
  // A report taken before it was registered does not end it; another gateway's never does.
  live.Report("gw-1", {}, t0 + std::chrono::seconds(2));
  live.Report("gw-2", {}, t0 + std::chrono::seconds(9));
  CHECK_FALSE(live.Authorized(Granted("ses_b", "claude", "demo", "tok_1", 0), 1, t0).ok());
  live.Report("gw-1", {}, t0 + LiveSessions::kUnreportedAfter + std::chrono::seconds(1));
  CHECK(live.Authorized(Granted("ses_b", "claude", "demo", "tok_1", 0), 1, t0).ok());
}

TEST_CASE("live sessions: a session's facts are the authorization's, never a gateway report's",
          "[controlplane]") {
  controlplane::LiveSessions live;
  using Clock = controlplane::LiveSessions::Clock;
  const Clock::time_point t0 = Clock::now();
  v1::LiveSession granted = Session("ses_a", "claude");
  granted.set_connection("prod");
  granted.set_agent("edge-1");
  granted.set_gateway("gw-1");
  REQUIRE(live.Authorized(granted, 0, t0).ok());
  // The gateway reports it under another connection and agent (a lying gateway).
  v1::LiveSession reported = Session("ses_a", "claude");
  reported.set_connection("staging");
  reported.set_agent("edge-2");
  live.Report("gw-1", {reported}, t0 + std::chrono::seconds(1));
  auto found = live.Find("ses_a", t0 + std::chrono::seconds(5));
  REQUIRE(found.has_value());
  CHECK(found->connection() == "prod");
  CHECK(found->agent() == "edge-1");
  // Long after its authorization, still listed by its gateway: still live, same facts.
  live.Report("gw-1", {reported}, t0 + std::chrono::seconds(40));
  found = live.Find("ses_a", t0 + std::chrono::seconds(42));
  REQUIRE(found.has_value());
  CHECK(found->connection() == "prod");
  // Gone from the reports: over.
  live.Report("gw-1", {}, t0 + std::chrono::seconds(43));
  CHECK(!live.Find("ses_a", t0 + std::chrono::seconds(44)).has_value());
  // Reported but never authorized by this process (a restart): unknown.
  live.Report("gw-1", {reported}, t0 + std::chrono::seconds(45));
  CHECK(!live.Find("ses_a", t0 + std::chrono::seconds(46)).has_value());
}

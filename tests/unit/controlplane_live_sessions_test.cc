// The control plane's live sessions and the ends an admin asked for (controlplane/live_sessions.h).
#include <catch2/catch.hpp>

#include "controlplane/live_sessions.h"
#include "controlplane/policy_notifier.h"

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

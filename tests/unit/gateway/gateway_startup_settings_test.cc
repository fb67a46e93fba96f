// The settings a client asks for at start-up: `options` read as PostgreSQL reads it, settings
// passed on or refused by name, never dropped.
#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

#include "gateway/startup_settings.h"

using warden::gateway::ReviewStartupSettings;
using warden::gateway::SplitOptions;
using warden::pgwire::StartupParameter;

namespace {

using Settings = std::map<std::string, std::string>;

absl::StatusOr<Settings> Review(std::vector<std::pair<std::string, std::string>> params) {
  std::vector<StartupParameter> ps;
  for (const auto& [k, v] : params) ps.push_back({k, v});
  return ReviewStartupSettings(ps);
}

}  // namespace

TEST_CASE("options split as pg_split_opts does", "[gateway][startup]") {
  CHECK(SplitOptions("") == std::vector<std::string>{});
  CHECK(SplitOptions("  -c  a=b\t--x-y=z ") == std::vector<std::string>{"-c", "a=b", "--x-y=z"});
  CHECK(SplitOptions(R"(-c search_path=a\ b -c x=\\y)") ==
        std::vector<std::string>{"-c", "search_path=a b", "-c", "x=\\y"});
}

TEST_CASE("startup settings: options and parameters, later and own ones winning",
          "[gateway][startup]") {
  auto s = Review({{"user", "u"},
                   {"database", "demo"},
                   {"options",
                    "-c intervalstyle=postgres_verbose --statement-timeout=5s "
                    "-cSearch_Path=a\\ b -c lock_timeout=1"},
                   {"application_name", "app"},
                   {"lock_timeout", "2"}});
  REQUIRE(s.ok());
  CHECK(*s == Settings{{"application_name", "app"},
                       {"intervalstyle", "postgres_verbose"},
                       {"lock_timeout", "2"},
                       {"search_path", "a b"},
                       {"statement_timeout", "5s"}});
}

TEST_CASE("startup settings: what is refused is named", "[gateway][startup]") {
  auto refused = [](std::vector<std::pair<std::string, std::string>> p, const char* needle) {
    auto s = Review(std::move(p));
    REQUIRE_FALSE(s.ok());
    CHECK_THAT(std::string(s.status().message()), Catch::Contains(needle));
  };
  refused({{"options", "-F"}}, "\"-F\"");
  refused({{"options", "-B 100"}}, "\"-B\"");
  refused({{"options", "-c work_mem"}}, "needs a value");
  refused({{"options", "-c"}}, "needs a value");
  refused({{"replication", "database"}}, "replication");
  refused({{"replication", "true"}}, "replication");
  refused({{"options", "-c standard_conforming_strings=off"}}, "standard_conforming_strings");
  refused({{"client_encoding", "SJIS"}}, "client_encoding");
  refused({{"options", "-c bad;name=1"}}, "not a setting's name");
  refused({{"options", "--database=other"}}, "not a run-time parameter");
  refused({{"options", "-c replication=database"}}, "not a run-time parameter");
  CHECK(Review({{"replication", "false"}})->empty());
  CHECK(Review({{"_pq_.something", "x"}})->empty());
}

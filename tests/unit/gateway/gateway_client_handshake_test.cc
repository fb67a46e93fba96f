// Tests for gateway/client_handshake: a client's start-up up to the Warden token, as PostgreSQL
// answers each packet, fed whole and split at every byte.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "common/pgwire/pgwire.h"
#include "gateway/client_handshake.h"

namespace {

using warden::gateway::ClientHandshake;
using Step = ClientHandshake::Step;
namespace pgwire = warden::pgwire;

ClientHandshake Make(bool allow_without_tls = false) {
  return ClientHandshake({.allow_tokens_without_tls = allow_without_tls});
}

// A StartupMessage with any protocol version.
std::string Startup(uint16_t minor, const std::vector<pgwire::StartupParameter>& params) {
  pgwire::StartupMessage m;
  m.minor_version = minor;
  m.parameters = params;
  std::string out;
  pgwire::Encode(m, &out);
  return out;
}

const std::string kStartup = pgwire::BuildStartupMessage(
    {{"user", "claude"}, {"database", "demo"}, {"application_name", "psql"}});

// The backend messages in `bytes`, by type byte.
std::string Types(const std::string& bytes) {
  std::string out;
  std::string_view rest = bytes;
  while (!rest.empty()) {
    auto r = pgwire::DecodeBackend(rest);
    REQUIRE(r.has_message());
    out += rest[0];
    rest.remove_prefix(r.consumed());
  }
  return out;
}

// Drives the handshake as ClientSession does for TLS, startup and password; returns the
// replies written, and the final step.
std::pair<std::string, Step> Run(ClientHandshake& h, const std::string& bytes) {
  std::string written;
  h.Feed(bytes);
  for (;;) {
    Step s = h.Next();
    if (s == Step::kReply) {
      written += h.reply();
      continue;
    }
    if (s == Step::kStartTls) {
      written += h.reply();
      h.TlsUp();
      continue;
    }
    if (s == Step::kFail) written += h.reply();
    return {written, s};
  }
}

}  // namespace

TEST_CASE("SSL, startup and token, whole and split at every byte") {
  const std::string all = pgwire::BuildSSLRequest() + kStartup +
                          pgwire::BuildPasswordMessage("wdn_token") +
                          pgwire::BuildQuery("SELECT 1");
  for (size_t cut = 0; cut <= all.size(); ++cut) {
    INFO("cut at " << cut);
    ClientHandshake h = Make();
    std::string written;
    // The SSLRequest alone first: nothing may follow it before TLS.
    const size_t ssl = pgwire::BuildSSLRequest().size();
    const std::vector<size_t> bounds = {0, std::min(cut, ssl), ssl, std::max(cut, ssl), all.size()};
    std::vector<std::string> pieces;
    for (size_t i = 0; i + 1 < bounds.size(); ++i) {
      if (bounds[i + 1] > bounds[i])
        pieces.push_back(all.substr(bounds[i], bounds[i + 1] - bounds[i]));
    }
    Step last = Step::kNeedMore;
    for (const std::string& piece : pieces) {
      h.Feed(piece);
      for (;;) {
        last = h.Next();
        if (last == Step::kReply || last == Step::kStartTls) {
          written += h.reply();
          if (last == Step::kStartTls) h.TlsUp();
          continue;
        }
        break;
      }
      if (last == Step::kFail) break;  // after kAuthorize, later bytes are pipelined()
    }
    REQUIRE(last == Step::kAuthorize);
    CHECK(written.substr(0, 1) == "S");
    CHECK(Types(written.substr(1)) == "R");  // AuthenticationCleartextPassword
    CHECK(h.tls());
    CHECK(h.connection() == "demo");
    CHECK(h.TakeToken() == "wdn_token");
    CHECK(h.TakePipelined() == pgwire::BuildQuery("SELECT 1"));
    bool app_name = false;
    for (const auto& [k, v] : h.settings()) app_name |= k == "application_name" && v == "psql";
    CHECK(app_name);
  }
}

TEST_CASE("protocol 3.1 and _pq_ options get NegotiateProtocolVersion, as PostgreSQL 15 sends it") {
  ClientHandshake h = Make(/*allow_without_tls=*/true);
  auto [written, step] = Run(
      h,
      Startup(1,
              {{"user", "u"}, {"database", "demo"}, {"_pq_.compression", "on"}, {"_pq_.x", "1"}}));
  REQUIRE(step == Step::kNeedMore);
  REQUIRE(Types(written) == "vR");
  auto r = pgwire::DecodeBackend(written);
  const auto& v = std::get<pgwire::NegotiateProtocolVersion>(r.message());
  CHECK(v.newest_minor_version == 196608);  // PG_PROTOCOL_LATEST: 3.0
  CHECK(v.unrecognized_options == std::vector<std::string_view>{"_pq_.compression", "_pq_.x"});
  // The options are not settings: nothing of them goes to the agent.
  for (const auto& [k, unused] : h.settings()) CHECK(k.rfind("_pq_.", 0) != 0);

  SECTION("3.0 without options gets none") {
    ClientHandshake plain = Make(true);
    CHECK(Types(Run(plain, kStartup).first) == "R");
  }
  SECTION("3.2 alone gets one with no options") {
    ClientHandshake newer = Make(true);
    const std::string w = Run(newer, Startup(2, {{"user", "u"}})).first;
    REQUIRE(Types(w) == "vR");
    auto m = pgwire::DecodeBackend(w);
    CHECK(std::get<pgwire::NegotiateProtocolVersion>(m.message()).unrecognized_options.empty());
  }
}

TEST_CASE("refusals before the token name the reason") {
  SECTION("no TLS, and the listener does not allow tokens without it") {
    ClientHandshake h = Make();
    auto [written, step] = Run(h, kStartup);
    CHECK(step == Step::kFail);
    CHECK(h.sqlstate() == "28000");
    CHECK(h.message() == "Warden requires TLS for tokens: connect with sslmode=require");
    CHECK(Types(written) == "E");
  }
  SECTION("bytes behind an SSLRequest (CVE-2021-23214)") {
    ClientHandshake h = Make();
    CHECK(Run(h, pgwire::BuildSSLRequest() + kStartup).second == Step::kFail);
    CHECK(h.message() == "unexpected data around SSLRequest");
  }
  SECTION("a second SSLRequest over TLS") {
    ClientHandshake h = Make();
    CHECK(Run(h, pgwire::BuildSSLRequest()).second == Step::kNeedMore);
    CHECK(Run(h, pgwire::BuildSSLRequest()).second == Step::kFail);
  }
  SECTION("GSSENCRequest: refused with 'N' once, then the client goes on") {
    ClientHandshake h = Make(true);
    auto [written, step] = Run(h, pgwire::BuildGSSENCRequest());
    CHECK(written == "N");
    CHECK(step == Step::kNeedMore);
    CHECK(Run(h, pgwire::BuildGSSENCRequest()).second == Step::kFail);
    CHECK(h.message() == "unexpected GSSENCRequest");
  }
  SECTION("no database and no user") {
    ClientHandshake h = Make(true);
    CHECK(Run(h, pgwire::BuildStartupMessage({{"application_name", "x"}})).second == Step::kFail);
    CHECK(h.sqlstate() == "08P01");
    CHECK_THAT(h.message(), Catch::Contains("Warden connection name"));
  }
  SECTION("a startup setting that cannot pass") {
    ClientHandshake h = Make(true);
    CHECK(
        Run(h, pgwire::BuildStartupMessage({{"user", "u"}, {"replication", "database"}})).second ==
        Step::kFail);
    CHECK(h.sqlstate() == "42501");
    CHECK_THAT(h.message(), Catch::Contains("replication"));
  }
  SECTION("something other than a password") {
    ClientHandshake h = Make(true);
    CHECK(Run(h, kStartup + pgwire::BuildQuery("SELECT 1")).second == Step::kFail);
    CHECK(h.message() == "expected a password message carrying the Warden token");
  }
  SECTION("too much before authentication") {
    ClientHandshake h = Make(true);
    CHECK_FALSE(h.Feed(std::string(pgwire::kMaxStartupPacket * 2 + 1, 'x')));
    CHECK(h.Next() == Step::kFail);
    CHECK(h.message() == "too much data before authentication");
  }
  SECTION("garbage") {
    ClientHandshake h = Make(true);
    CHECK(Run(h, std::string("\0\0\0\x08\x12\x34\x56\x78", 8)).second == Step::kFail);
    CHECK_THAT(h.message(), Catch::StartsWith("invalid startup packet"));
  }
}

TEST_CASE("a CancelRequest is routed and answered with nothing; Terminate closes quietly") {
  ClientHandshake h = Make();
  auto [written, step] = Run(h, pgwire::BuildCancelRequest(4242, -7));
  CHECK(step == Step::kCancel);
  CHECK(written.empty());
  CHECK(h.cancel().process_id == 4242);
  CHECK(h.cancel().secret_key == -7);

  ClientHandshake t = Make(true);
  auto [w2, s2] = Run(t, kStartup + pgwire::BuildTerminate());
  CHECK(s2 == Step::kClose);
  CHECK(Types(w2) == "R");  // the password request, and no error after the Terminate
}

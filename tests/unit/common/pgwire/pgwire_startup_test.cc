// Startup-phase packets and the shared framing/writer pieces.
#include <catch2/catch.hpp>
#include <string>

#include "common/pgwire/startup.h"
#include "common/pgwire/testing.h"
#include "common/pgwire/writer.h"

namespace pg = warden::pgwire;
using namespace std::string_literals;

namespace {

// An untagged packet: Int32 length (counting itself) then `body`.
std::string Packet(std::string_view body) {
  const auto len = static_cast<uint32_t>(body.size() + 4);
  std::string out;
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(len >> shift));
  return out + std::string(body);
}

std::string ErrorOf(std::string_view bytes) {
  auto r = pg::DecodeStartup(bytes);
  REQUIRE(r.is_error());
  REQUIRE(r.consumed() == 0);
  REQUIRE(r.status().code() == absl::StatusCode::kInvalidArgument);
  return std::string(r.status().message());
}

auto Decode = [](std::string_view b) { return pg::DecodeStartup(b); };

}  // namespace

TEST_CASE("startup builders produce the documented bytes", "[pgwire]") {
  REQUIRE(pg::BuildSSLRequest() == "\0\0\0\x08\x04\xd2\x16\x2f"s);
  REQUIRE(pg::BuildGSSENCRequest() == "\0\0\0\x08\x04\xd2\x16\x30"s);
  REQUIRE(pg::BuildCancelRequest(1, 2) == "\0\0\0\x10\x04\xd2\x16\x2e\0\0\0\x01\0\0\0\x02"s);
  REQUIRE(pg::BuildStartupMessage({{"user", "alice"}}) == "\0\0\0\x14\0\x03\0\0user\0alice\0\0"s);
}

TEST_CASE("every startup packet round-trips, split at every byte", "[pgwire]") {
  const std::string next = pg::BuildSSLRequest();
  pg::StartupMessage full{3,
                          0,
                          {{"user", "alice"},
                           {"database", "demo"},
                           {"application_name", "psql"},
                           {"options", "-c x=1"}}};
  pg::StartupMessage minor{3, 2, {{"user", "bob"}, {"_pq_.ext", "on"}}};
  const std::vector<std::pair<std::string, pg::StartupPacket>> cases = {
      {pg::BuildStartupMessage(full.parameters), full},
      {pg::BuildStartupMessage({}), pg::StartupMessage{}},
      {[&] {
         std::string s;
         pg::Encode(minor, &s);
         return s;
       }(),
       minor},
      {pg::BuildSSLRequest(), pg::SSLRequest{}},
      {pg::BuildGSSENCRequest(), pg::GSSENCRequest{}},
      {pg::BuildCancelRequest(4242, -17), pg::CancelRequest{4242, -17}},
  };
  for (const auto& [bytes, expected] : cases) {
    INFO("packet index " << expected.index());
    std::string reencoded;
    pg::EncodeStartup(expected, &reencoded);
    REQUIRE(reencoded == bytes);
    REQUIRE(pg::testing::CheckEveryByteSplit(Decode, bytes, expected, next) == "");
  }
}

TEST_CASE("StartupMessage::Get returns the last value of a parameter", "[pgwire]") {
  const std::string bytes =
      pg::BuildStartupMessage({{"user", "a"}, {"database", "demo"}, {"user", "b"}});
  auto r = pg::DecodeStartup(bytes);
  REQUIRE(r.has_message());
  const auto& m = std::get<pg::StartupMessage>(r.message());
  REQUIRE(m.Get("user") == std::optional<std::string_view>("b"));
  REQUIRE(m.Get("database") == std::optional<std::string_view>("demo"));
  REQUIRE(m.Get("replication") == std::nullopt);
}

TEST_CASE("malformed startup packets are errors, reported early", "[pgwire]") {
  // Oversize is an error from the length alone, not NeedMore.
  REQUIRE(ErrorOf("\0\0\x27\x11"s) == "startup packet length 10001 exceeds the maximum 10000");
  REQUIRE(ErrorOf("\xff\xff\xff\xff"s) ==
          "startup packet length 4294967295 exceeds the maximum 10000");
  REQUIRE(ErrorOf("\0\0\0\x07"s) == "startup packet length 7 is below the minimum 8");
  // Exactly at the cap is accepted.
  std::string big = pg::BuildStartupMessage({{"user", std::string(10000 - 15, 'u')}});
  REQUIRE(big.size() == 10000);
  REQUIRE(pg::DecodeStartup(big).has_message());
  REQUIRE(ErrorOf(pg::BuildStartupMessage({{"user", std::string(10000 - 14, 'u')}})) ==
          "startup packet length 10001 exceeds the maximum 10000");

  REQUIRE(ErrorOf("\0\0\0\x10\0\x02\0\0"s) ==
          "startup packet requests unsupported protocol version 2.0; the server supports 3.0");
  REQUIRE(ErrorOf("\0\0\0\x10\0\x04\0\0"s) ==
          "startup packet requests unsupported protocol version 4.0; the server supports 3.0");
  REQUIRE(ErrorOf("\0\0\0\x08\x04\xd2\x16\x31"s) ==
          "startup packet has unknown request code 1234.5681");
  REQUIRE(ErrorOf("\0\0\0\x0c\x04\xd2\x16\x2f"s) ==
          "startup packet SSLRequest length 12 must be 8");
  REQUIRE(ErrorOf("\0\0\0\x0c\x04\xd2\x16\x30"s) ==
          "startup packet GSSENCRequest length 12 must be 8");
  REQUIRE(ErrorOf("\0\0\0\x0c\x04\xd2\x16\x2e"s) ==
          "startup packet CancelRequest length 12 must be 16");

  REQUIRE(ErrorOf(Packet("\0\x03\0\0user\0alice\0"s)) ==
          "startup packet has a string without a NUL terminator");
  REQUIRE(ErrorOf(Packet("\0\x03\0\0user\0"s)) ==
          "startup packet has a string without a NUL terminator");
  REQUIRE(ErrorOf(Packet("\0\x03\0\0"s)) == "startup packet has a string without a NUL terminator");
  REQUIRE(ErrorOf(Packet("\0\x03\0\0user\0alice\0\0xy"s)) == "startup packet has 2 trailing bytes");
}

TEST_CASE("MessageWriter patches lengths and drops bytes after an embedded NUL", "[pgwire]") {
  std::string out = "prefix";
  pg::MessageWriter w(&out);
  w.Begin('Q');
  w.AddCString("sel\0ect"s);
  w.End();
  w.Begin('d');
  w.AddInt16(-2);
  w.AddNullableBytes(std::nullopt);
  w.End();
  REQUIRE(out == "prefixQ\0\0\0\x08sel\0d\0\0\0\x0a\xff\xfe\xff\xff\xff\xff"s);
}

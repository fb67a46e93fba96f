// Frontend (client -> server) messages: builders, decoder, framing contract and malformed input.
#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

#include "common/pgwire/frontend_builders.h"
#include "common/pgwire/frontend_messages.h"
#include "common/pgwire/testing.h"

namespace pg = warden::pgwire;
using namespace std::string_literals;
using namespace std::string_view_literals;

namespace {

// Overwrites the Int32 length of the tagged message in `m` with the number of bytes after its tag.
std::string FixLength(std::string m) {
  const auto len = static_cast<uint32_t>(m.size() - 1);
  m[1] = static_cast<char>(len >> 24);
  m[2] = static_cast<char>((len >> 16) & 0xff);
  m[3] = static_cast<char>((len >> 8) & 0xff);
  m[4] = static_cast<char>(len & 0xff);
  return m;
}

std::string Header(char tag, uint32_t len) {
  std::string h(1, tag);
  for (int shift = 24; shift >= 0; shift -= 8)
    h.push_back(static_cast<char>((len >> shift) & 0xff));
  return h;
}

std::string ErrorOf(std::string_view bytes, size_t max_len = pg::kDefaultMaxMessage) {
  auto r = pg::DecodeFrontend(bytes, max_len);
  REQUIRE(r.is_error());
  REQUIRE(r.consumed() == 0);
  REQUIRE(r.status().code() == absl::StatusCode::kInvalidArgument);
  return std::string(r.status().message());
}

auto Decode = [](std::string_view b) { return pg::DecodeFrontend(b); };

}  // namespace

TEST_CASE("frontend builders produce the documented bytes", "[pgwire]") {
  REQUIRE(pg::BuildQuery("select 1") == "Q\0\0\0\x0dselect 1\0"s);
  REQUIRE(pg::BuildSync() == "S\0\0\0\x04"s);
  REQUIRE(pg::BuildTerminate() == "X\0\0\0\x04"s);
  REQUIRE(pg::BuildFlush() == "H\0\0\0\x04"s);
  REQUIRE(pg::BuildExecute("", 0) == "E\0\0\0\x09\0\0\0\0\0"s);
  REQUIRE(pg::BuildDescribe('P', "p1") == "D\0\0\0\x08Pp1\0"s);
  REQUIRE(pg::BuildParse("s", "q", {23}) == "P\0\0\0\x0es\0q\0\0\x01\0\0\0\x17"s);
  REQUIRE(pg::BuildBind("", "s", {1}, {std::nullopt, "ab"}, {}) ==
          "B\0\0\0\x19\0s\0\0\x01\0\x01\0\x02\xff\xff\xff\xff\0\0\0\x02"
          "ab\0\0"s);
  REQUIRE(pg::BuildSASLInitialResponse("SCRAM-SHA-256", std::nullopt) ==
          "p\0\0\0\x16SCRAM-SHA-256\0\xff\xff\xff\xff"s);
}

TEST_CASE("every frontend message round-trips, split at every byte", "[pgwire]") {
  const std::string next = pg::BuildSync();
  const std::string big(70000, 'x');
  const std::vector<std::pair<std::string, pg::FrontendMessage>> cases = {
      {pg::BuildQuery("select 1"), pg::Query{"select 1"}},
      {pg::BuildQuery(""), pg::Query{""}},
      {pg::BuildParse("s1", "select $1, $2", {23, 0}), pg::Parse{"s1", "select $1, $2", {23, 0}}},
      {pg::BuildParse("", "select 1"), pg::Parse{"", "select 1", {}}},
      {pg::BuildBind("p", "s1", {0, 1}, {"42", std::nullopt}, {1}),
       pg::Bind{"p", "s1", {0, 1}, {"42", std::nullopt}, {1}}},
      {pg::BuildBind("", "", {}, {}, {}), pg::Bind{}},
      {pg::BuildBind("", "", {1}, {""s, "\0\x01"s}, {0, 1, 0}),
       pg::Bind{"", "", {1}, {"", "\0\x01"sv}, {0, 1, 0}}},
      {pg::BuildDescribe('S', "s1"), pg::Describe{'S', "s1"}},
      {pg::BuildDescribe('P', ""), pg::Describe{'P', ""}},
      {pg::BuildExecute("p", 100), pg::Execute{"p", 100}},
      {pg::BuildClose('S', "s1"), pg::Close{'S', "s1"}},
      {pg::BuildClose('P', "p"), pg::Close{'P', "p"}},
      {pg::BuildFlush(), pg::Flush{}},
      {pg::BuildSync(), pg::Sync{}},
      {pg::BuildTerminate(), pg::Terminate{}},
      {pg::BuildCopyData("1\talice\n"), pg::CopyData{"1\talice\n"}},
      {pg::BuildCopyData(""), pg::CopyData{""}},
      {pg::BuildCopyData(big), pg::CopyData{big}},
      {pg::BuildCopyDone(), pg::CopyDone{}},
      {pg::BuildCopyFail("client gave up"), pg::CopyFail{"client gave up"}},
      {pg::BuildFunctionCall(1598, {1}, {"\0\0\0\x05"s, std::nullopt}, 1),
       pg::FunctionCall{1598, {1}, {"\0\0\0\x05"sv, std::nullopt}, 1}},
      {pg::BuildPasswordMessage("hunter2"), pg::PasswordMessage{"hunter2\0"sv}},
      {pg::BuildSASLResponse("c=biws,r=abc"), pg::PasswordMessage{"c=biws,r=abc"}},
  };
  for (const auto& [bytes, expected] : cases) {
    INFO("message index " << expected.index() << " size " << bytes.size());
    std::string reencoded;
    pg::EncodeFrontend(expected, &reencoded);
    REQUIRE(reencoded == bytes);
    if (bytes.size() < 2000) {
      REQUIRE(pg::testing::CheckEveryByteSplit(Decode, bytes, expected, next) == "");
    } else {  // the big CopyData: check a few cuts only, to keep the suite fast
      for (size_t cut : {0ul, 1ul, 4ul, 5ul, 6ul, bytes.size() - 1}) {
        REQUIRE(pg::DecodeFrontend(std::string_view(bytes).substr(0, cut)).need_more());
      }
      const std::string joined = bytes + next;
      auto r = pg::DecodeFrontend(joined);
      REQUIRE(r.has_message());
      REQUIRE(r.consumed() == bytes.size());
      REQUIRE(r.message() == expected);
    }
  }
}

TEST_CASE("a pipelined extended-protocol batch decodes message by message", "[pgwire]") {
  std::string batch = pg::BuildParse("", "select $1") + pg::BuildBind("", "", {}, {"1"}, {}) +
                      pg::BuildDescribe('P', "") + pg::BuildExecute("", 0) + pg::BuildSync();
  std::vector<size_t> kinds;
  std::string_view rest = batch;
  while (!rest.empty()) {
    auto r = pg::DecodeFrontend(rest);
    REQUIRE(r.has_message());
    kinds.push_back(r.message().index());
    rest.remove_prefix(r.consumed());
  }
  REQUIRE(kinds == std::vector<size_t>{1, 2, 3, 4, 7});
  REQUIRE(std::get<pg::Bind>(pg::DecodeFrontend(pg::BuildBind("", "", {}, {"1"}, {})).message())
              .params[0] == "1");
}

TEST_CASE("password-family helpers parse by authentication state", "[pgwire]") {
  // Decoded messages view their input, so each input buffer outlives its message.
  const std::string pw_bytes = pg::BuildPasswordMessage("s3cret");
  auto pw = std::get<pg::PasswordMessage>(pg::DecodeFrontend(pw_bytes).message());
  REQUIRE(pg::ParsePassword(pw).value() == "s3cret");

  const std::string init_bytes = pg::BuildSASLInitialResponse("SCRAM-SHA-256", "n,,n=,r=abc");
  auto init = std::get<pg::PasswordMessage>(pg::DecodeFrontend(init_bytes).message());
  auto parsed = pg::ParseSASLInitialResponse(init);
  REQUIRE(parsed.ok());
  REQUIRE(parsed->mechanism == "SCRAM-SHA-256");
  REQUIRE(parsed->data == std::optional<std::string_view>("n,,n=,r=abc"));

  const std::string none_bytes = pg::BuildSASLInitialResponse("SCRAM-SHA-256", std::nullopt);
  auto no_data = std::get<pg::PasswordMessage>(pg::DecodeFrontend(none_bytes).message());
  REQUIRE(pg::ParseSASLInitialResponse(no_data)->data == std::nullopt);

  const std::string resp_bytes = pg::BuildSASLResponse("c=biws");
  auto resp = std::get<pg::PasswordMessage>(pg::DecodeFrontend(resp_bytes).message());
  REQUIRE(pg::ParseSASLResponse(resp) == "c=biws");

  // Malformed bodies for each reading.
  REQUIRE(pg::ParsePassword(pg::PasswordMessage{"abc"}).status().message() ==
          "message 'p' has a string without a NUL terminator");
  REQUIRE(pg::ParsePassword(pg::PasswordMessage{"abc\0xy"s}).status().message() ==
          "message 'p' has 2 trailing bytes");
  REQUIRE(pg::ParseSASLInitialResponse(pg::PasswordMessage{"M\0\0\0\0\x05"
                                                           "ab"s})
              .status()
              .message() == "message 'p' value length 5 exceeds the remaining 2 bytes");
  REQUIRE(pg::ParseSASLInitialResponse(pg::PasswordMessage{"M\0\xff\xff\xff\xfe"s})
              .status()
              .message() == "message 'p' has a negative value length -2");
}

TEST_CASE("Bind::ParamFormat applies the zero/one/each convention", "[pgwire]") {
  pg::Bind none{"", "", {}, {"a", "b"}, {}};
  pg::Bind one{"", "", {1}, {"a", "b"}, {}};
  pg::Bind each{"", "", {0, 1}, {"a", "b"}, {}};
  REQUIRE(none.ParamFormat(1) == 0);
  REQUIRE(one.ParamFormat(0) == 1);
  REQUIRE(one.ParamFormat(1) == 1);
  REQUIRE(each.ParamFormat(0) == 0);
  REQUIRE(each.ParamFormat(1) == 1);
}

TEST_CASE("malformed frontend framing is an error, never consumed", "[pgwire]") {
  REQUIRE(ErrorOf("Q\0\0\0\x03"s) == "message 'Q' length 3 is below the minimum 4");
  REQUIRE(ErrorOf("Q\0\0\0\x04"s) == "message 'Q' length 4 is below the minimum 5");
  REQUIRE(ErrorOf("\x01"s) == "unknown frontend message type 0x01");
  REQUIRE(ErrorOf("Z\0\0\0\x05I"s) == "unknown frontend message type 'Z'");
  // Oversize is rejected from the header alone, before the body arrives.
  REQUIRE(ErrorOf(Header('Q', 20), 10) == "message 'Q' length 20 exceeds the maximum 10");
  REQUIRE(ErrorOf(Header('d', 0x7fffffff)) ==
          "message 'd' length 2147483647 exceeds the maximum 1073741823");
  REQUIRE(ErrorOf(Header('d', 0xffffffff)) ==
          "message 'd' length 4294967295 exceeds the maximum 1073741823");
  REQUIRE(ErrorOf(Header('S', 8)) == "message 'S' length 8 exceeds the maximum 4");
  REQUIRE(ErrorOf(pg::BuildPasswordMessage(std::string(20000, 'a')), pg::kMaxPreAuthMessage) ==
          "message 'p' length 20005 exceeds the maximum 10000");
  // Exactly at the cap is fine.
  auto at_cap = pg::DecodeFrontend(pg::BuildCopyData(std::string(6, 'z')), 10);
  REQUIRE(at_cap.has_message());
}

TEST_CASE("malformed frontend bodies are errors", "[pgwire]") {
  REQUIRE(ErrorOf("Q\0\0\0\x07"
                  "abc"s) == "message 'Q' has a string without a NUL terminator");
  REQUIRE(ErrorOf(FixLength(pg::BuildQuery("a") + "xyz")) == "message 'Q' has 3 trailing bytes");
  REQUIRE(ErrorOf(FixLength(pg::BuildBind("", "", {}, {}, {}) + "abc")) ==
          "message 'B' has 3 trailing bytes");
  REQUIRE(ErrorOf(FixLength("P"s + "xxxx" + "\0q\0\xff\xff"s)) ==
          "message 'P' has a negative parameter type count -1");
  REQUIRE(ErrorOf(FixLength("P"s + "xxxx" + "\0q\0\0\x05\0\0\0\x17"s)) ==
          "message 'P' parameter type count 5 exceeds the remaining 4 bytes");
  REQUIRE(ErrorOf(FixLength("B"s + "xxxx" + "\0\0\0\0\xff\xfe\0\0"s)) ==
          "message 'B' has a negative parameter count -2");
  REQUIRE(ErrorOf(FixLength("B"s + "xxxx" +
                            "\0\0\0\0\0\x01\0\0\0\x09"
                            "ab\0\0"s)) ==
          "message 'B' value length 9 exceeds the remaining 4 bytes");
  REQUIRE(ErrorOf(FixLength("B"s + "xxxx" + "\0\0\0\0\0\x01\xff\xff\xff\xfe\0\0"s)) ==
          "message 'B' has a negative value length -2");
  REQUIRE(ErrorOf(FixLength("B"s + "xxxx" + "\0\0\xff\xff\0\0\0\0"s)) ==
          "message 'B' has a negative parameter format count -1");
  REQUIRE(ErrorOf(pg::BuildBind("", "", {0, 1}, {"a", "b", "c"}, {})) ==
          "message 'B' has 2 parameter format codes for 3 values");
  REQUIRE(ErrorOf(pg::BuildBind("", "", {2}, {"a"}, {})) ==
          "message 'B' has invalid format code 2");
  REQUIRE(ErrorOf(pg::BuildBind("", "", {}, {}, {1, -1})) ==
          "message 'B' has invalid format code -1");
  REQUIRE(ErrorOf(FixLength("B"s + "xxxx" + "\0\0\0\0\0\0\0"s + "\x03\0\0"s)) ==
          "message 'B' result format count 3 exceeds the remaining 2 bytes");
  REQUIRE(ErrorOf(FixLength("D"s + "xxxx" + "X\0"s)) ==
          "message 'D' has invalid target 'X'; expected 'S' or 'P'");
  REQUIRE(ErrorOf(FixLength("C"s + "xxxx" + "\0\0"s)) ==
          "message 'C' has invalid target 0x00; expected 'S' or 'P'");
  REQUIRE(ErrorOf(FixLength("E"s + "xxxx" + "abcd\0"s)) ==
          "message 'E' is truncated: expected an Int32 at offset 5 of 5");
  REQUIRE(ErrorOf(FixLength("F"s + "xxxx" + "\0\0\0\x01\0\0\x7f\xff\0\0"s)) ==
          "message 'F' argument count 32767 exceeds the remaining 2 bytes");
  REQUIRE(ErrorOf(pg::BuildFunctionCall(1, {}, {}, 3)) == "message 'F' has invalid format code 3");
  REQUIRE(ErrorOf(FixLength("f"s + "xxxx" + "abc"s)) ==
          "message 'f' has a string without a NUL terminator");
  REQUIRE(ErrorOf(FixLength("X"s + "xxxx" + "\0"s)) ==
          "message 'X' length 5 exceeds the maximum 4");
  REQUIRE(ErrorOf(FixLength(pg::BuildParse("a", "b", {1}) + "\0"s)) ==
          "message 'P' has 1 trailing bytes");
}

TEST_CASE("frontend decoding never reads past its input", "[pgwire]") {
  // Each prefix of a malformed message is NeedMore or the same error, never a message.
  const std::string bad = FixLength(pg::BuildBind("", "", {}, {}, {}) + "abc");
  for (size_t cut = 0; cut < bad.size(); ++cut) {
    auto r = pg::DecodeFrontend(std::string_view(bad).substr(0, cut));
    REQUIRE(r.need_more());
  }
}

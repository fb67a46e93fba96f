// Backend (server -> client) messages: builders, decoder, framing contract and malformed input.
#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

#include "common/pgwire/backend_builders.h"
#include "common/pgwire/backend_messages.h"
#include "common/pgwire/testing.h"

namespace pg = warden::pgwire;
using namespace std::string_literals;
using namespace std::string_view_literals;

namespace {

std::string FixLength(std::string m) {
  const auto len = static_cast<uint32_t>(m.size() - 1);
  for (int i = 0; i < 4; ++i) m[1 + i] = static_cast<char>((len >> (24 - 8 * i)) & 0xff);
  return m;
}

// A message with `tag` and `body`, its length computed.
std::string Msg(char tag, std::string_view body) {
  return FixLength(std::string(1, tag) + "xxxx" + std::string(body));
}

std::string ErrorOf(std::string_view bytes, size_t max_len = pg::kDefaultMaxMessage) {
  auto r = pg::DecodeBackend(bytes, max_len);
  REQUIRE(r.is_error());
  REQUIRE(r.consumed() == 0);
  REQUIRE(r.status().code() == absl::StatusCode::kInvalidArgument);
  return std::string(r.status().message());
}

pg::Authentication Auth(pg::AuthCode code, std::string_view salt = {},
                        std::vector<std::string_view> mechanisms = {}, std::string_view data = {}) {
  pg::Authentication a;
  a.code = code;
  a.salt = salt;
  a.mechanisms = std::move(mechanisms);
  a.data = data;
  return a;
}

auto Decode = [](std::string_view b) { return pg::DecodeBackend(b); };

}  // namespace

TEST_CASE("backend builders produce the documented bytes", "[pgwire]") {
  REQUIRE(pg::BuildAuthenticationOk() == "R\0\0\0\x08\0\0\0\0"s);
  REQUIRE(pg::BuildAuthenticationCleartextPassword() == "R\0\0\0\x08\0\0\0\x03"s);
  REQUIRE(pg::BuildAuthenticationMD5Password("abcd") ==
          "R\0\0\0\x0c\0\0\0\x05"
          "abcd"s);
  REQUIRE(pg::BuildAuthenticationSASL({"SCRAM-SHA-256"}) ==
          "R\0\0\0\x17\0\0\0\x0aSCRAM-SHA-256\0\0"s);
  REQUIRE(pg::BuildReadyForQuery('I') == "Z\0\0\0\x05I"s);
  REQUIRE(pg::BuildBackendKeyData(7, -1) == "K\0\0\0\x0c\0\0\0\x07\xff\xff\xff\xff"s);
  REQUIRE(pg::BuildDataRow({"1", std::nullopt}) ==
          "D\0\0\0\x0f\0\x02\0\0\0\x01"
          "1\xff\xff\xff\xff"s);
  REQUIRE(pg::BuildErrorResponse("FATAL", "28P01", "bad token") ==
          "E\0\0\0\x25SFATAL\0VFATAL\0C28P01\0Mbad token\0\0"s);
  REQUIRE(pg::BuildCommandComplete("SELECT 1") == "C\0\0\0\x0dSELECT 1\0"s);
}

TEST_CASE("every backend message round-trips, split at every byte", "[pgwire]") {
  const std::string next = pg::BuildReadyForQuery('I');
  const pg::FieldDescription id{"id", 16384, 1, 23, 4, -1, 0};
  const pg::FieldDescription email{"email", 16384, 2, 25, -1, -1, 1};
  pg::ErrorResponse error;
  error.fields = {{'S', "ERROR"},  {'V', "ERROR"}, {'C', "42501"}, {'M', "denied by rule r1"},
                  {'D', "detail"}, {'H', "hint"}};
  pg::NoticeResponse notice;
  notice.fields = {{'S', "NOTICE"}, {'V', "NOTICE"}, {'C', "00000"}, {'M', "hello"}};
  const std::vector<std::pair<std::string, pg::BackendMessage>> cases = {
      {pg::BuildAuthenticationOk(), Auth(pg::AuthCode::kOk)},
      {pg::BuildAuthenticationCleartextPassword(), Auth(pg::AuthCode::kCleartextPassword)},
      {pg::BuildAuthenticationMD5Password("\x01\x02\x03\x04"),
       Auth(pg::AuthCode::kMD5Password, "\x01\x02\x03\x04")},
      {pg::BuildAuthenticationSASL({"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"}),
       Auth(pg::AuthCode::kSASL, {}, {"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"})},
      {pg::BuildAuthenticationSASLContinue("r=abc,s=xyz,i=4096"),
       Auth(pg::AuthCode::kSASLContinue, {}, {}, "r=abc,s=xyz,i=4096")},
      {pg::BuildAuthenticationSASLFinal("v=sig"), Auth(pg::AuthCode::kSASLFinal, {}, {}, "v=sig")},
      {"R\0\0\0\x08\0\0\0\x07"s, Auth(pg::AuthCode::kGSS)},
      {"R\0\0\0\x0b\0\0\0\x08tok"s, Auth(pg::AuthCode::kGSSContinue, {}, {}, "tok")},
      {pg::BuildParameterStatus("server_version", "15.6"),
       pg::ParameterStatus{"server_version", "15.6"}},
      {pg::BuildBackendKeyData(4242, -559038737), pg::BackendKeyData{4242, -559038737}},
      {pg::BuildReadyForQuery('I'), pg::ReadyForQuery{'I'}},
      {pg::BuildReadyForQuery('T'), pg::ReadyForQuery{'T'}},
      {pg::BuildReadyForQuery('E'), pg::ReadyForQuery{'E'}},
      {pg::BuildRowDescription({id, email}), pg::RowDescription{{id, email}}},
      {pg::BuildRowDescription({}), pg::RowDescription{}},
      {pg::BuildDataRow({"1", std::nullopt, "", "\0\xff"sv}),
       pg::DataRow{{"1", std::nullopt, "", "\0\xff"sv}}},
      {pg::BuildDataRow({}), pg::DataRow{}},
      {pg::BuildCommandComplete("INSERT 0 1"), pg::CommandComplete{"INSERT 0 1"}},
      {pg::BuildEmptyQueryResponse(), pg::EmptyQueryResponse{}},
      {pg::BuildErrorResponse("ERROR", "42501", "denied by rule r1", "detail", "hint"), error},
      {pg::BuildNoticeResponse("NOTICE", "00000", "hello"), notice},
      {pg::BuildParseComplete(), pg::ParseComplete{}},
      {pg::BuildBindComplete(), pg::BindComplete{}},
      {pg::BuildCloseComplete(), pg::CloseComplete{}},
      {pg::BuildNoData(), pg::NoData{}},
      {pg::BuildPortalSuspended(), pg::PortalSuspended{}},
      {pg::BuildParameterDescription({23, 25, 0}), pg::ParameterDescription{{23, 25, 0}}},
      {pg::BuildCopyInResponse(0, {0, 0}), pg::CopyInResponse{{0, {0, 0}}}},
      {pg::BuildCopyOutResponse(1, {1}), pg::CopyOutResponse{{1, {1}}}},
      {pg::BuildCopyBothResponse(0, {}), pg::CopyBothResponse{{0, {}}}},
      {pg::BuildCopyData("1,alice\n"), pg::CopyData{"1,alice\n"}},
      {pg::BuildCopyDone(), pg::CopyDone{}},
      {pg::BuildNotificationResponse(99, "jobs", "{\"id\":1}"),
       pg::NotificationResponse{99, "jobs", "{\"id\":1}"}},
      {pg::BuildNotificationResponse(1, "c", ""), pg::NotificationResponse{1, "c", ""}},
      {pg::BuildFunctionCallResponse("\0\0\0\x01"sv), pg::FunctionCallResponse{"\0\0\0\x01"sv}},
      {pg::BuildFunctionCallResponse(std::nullopt), pg::FunctionCallResponse{std::nullopt}},
      {pg::BuildNegotiateProtocolVersion(0, {"_pq_.x"}),
       pg::NegotiateProtocolVersion{0, {"_pq_.x"}}},
  };
  for (const auto& [bytes, expected] : cases) {
    INFO("message index " << expected.index() << " bytes " << bytes.size());
    std::string reencoded;
    pg::EncodeBackend(expected, &reencoded);
    REQUIRE(reencoded == bytes);
    REQUIRE(pg::testing::CheckEveryByteSplit(Decode, bytes, expected, next) == "");
  }
}

TEST_CASE("backend helpers expose what the gateway and agent need", "[pgwire]") {
  const std::string bytes =
      pg::BuildErrorResponse("FATAL", "28P01", "bad token", std::nullopt, "create a new token");
  auto e = std::get<pg::ErrorResponse>(pg::DecodeBackend(bytes).message());
  REQUIRE(e.severity() == "FATAL");
  REQUIRE(e.sqlstate() == "28P01");
  REQUIRE(e.message() == "bad token");
  REQUIRE(e.Find('H') == std::optional<std::string_view>("create a new token"));
  REQUIRE(e.Find('D') == std::nullopt);

  pg::NoticeResponse localized;  // only a localized 'S' severity, as before 9.6
  localized.fields = {{'S', "AVISO"}};
  REQUIRE(localized.severity() == "AVISO");

  REQUIRE(Auth(pg::AuthCode::kSASL).supported());
  REQUIRE_FALSE(Auth(pg::AuthCode::kGSS).supported());
  REQUIRE_FALSE(Auth(pg::AuthCode::kKerberosV5).supported());
}

TEST_CASE("malformed backend framing is an error, never consumed", "[pgwire]") {
  REQUIRE(ErrorOf("Z\0\0\0\x02"s) == "message 'Z' length 2 is below the minimum 4");
  REQUIRE(ErrorOf("Z\0\0\0\x04"s) == "message 'Z' length 4 is below the minimum 5");
  REQUIRE(ErrorOf("Z\0\0\0\x06"s) == "message 'Z' length 6 exceeds the maximum 5");
  REQUIRE(ErrorOf("K\0\0\0\x10"s) == "message 'K' length 16 exceeds the maximum 12");
  REQUIRE(ErrorOf("Q"s) == "unknown backend message type 'Q'");
  REQUIRE(ErrorOf("\xff"s) == "unknown backend message type 0xff");
  REQUIRE(ErrorOf("D\0\x10\0\0"s, 4096) == "message 'D' length 1048576 exceeds the maximum 4096");
}

TEST_CASE("malformed backend bodies are errors", "[pgwire]") {
  REQUIRE(ErrorOf(Msg('Z', "X")) ==
          "message 'Z' has invalid transaction status 'X'; expected 'I', 'T' or 'E'");
  REQUIRE(ErrorOf(Msg('Z', "\0"sv)) ==
          "message 'Z' has invalid transaction status 0x00; expected 'I', 'T' or 'E'");
  REQUIRE(ErrorOf(Msg('D', "\xff\xff"sv)) == "message 'D' has a negative column count -1");
  REQUIRE(ErrorOf(Msg('D', "\0\x03\0\0\0\0"sv)) ==
          "message 'D' column count 3 exceeds the remaining 4 bytes");
  REQUIRE(ErrorOf(Msg('D', "\0\x01\xff\xff\xff\xfe"sv)) ==
          "message 'D' has a negative value length -2");
  REQUIRE(ErrorOf(Msg('D',
                      "\0\x01\0\0\0\x05"
                      "abc"sv)) == "message 'D' value length 5 exceeds the remaining 3 bytes");
  REQUIRE(ErrorOf(FixLength(pg::BuildDataRow({"a"}) + "\0\0\0"s)) ==
          "message 'D' has 3 trailing bytes");
  REQUIRE(ErrorOf(Msg('T', "\0\x02"s + std::string(19, 'a'))) ==
          "message 'T' field count 2 exceeds the remaining 19 bytes");
  REQUIRE(ErrorOf(Msg('T', "\0\x01"s + std::string(19, 'a'))) ==
          "message 'T' has a string without a NUL terminator");
  REQUIRE(ErrorOf(Msg('T',
                      "\0\x01"
                      "a\0"s +
                          std::string(16, '\0') + "\0\x02"s)) ==
          "message 'T' has invalid format code 2");
  REQUIRE(ErrorOf(Msg('E', "SERROR\0"sv)) ==
          "message 'E' is truncated: expected a byte at offset 7 of 7");
  REQUIRE(ErrorOf(Msg('E', "SERROR"sv)) == "message 'E' has a string without a NUL terminator");
  REQUIRE(ErrorOf(Msg('N', "\0\0"sv)) == "message 'N' has 1 trailing bytes");
  REQUIRE(ErrorOf(Msg('R', "\0\0\0\x2a"sv)) == "message 'R' has unknown authentication code 42");
  REQUIRE(ErrorOf(Msg('R',
                      "\0\0\0\x05"
                      "abc"sv)) == "message 'R' is truncated: expected 4 bytes at offset 4 of 7");
  REQUIRE(ErrorOf(Msg('R',
                      "\0\0\0\x05"
                      "abcde"sv)) == "message 'R' has 1 trailing bytes");
  REQUIRE(ErrorOf(Msg('R', "\0\0\0\x00x"sv)) == "message 'R' has 1 trailing bytes");
  REQUIRE(ErrorOf(Msg('R', "\0\0\0\x0a\0"sv)) ==
          "message 'R' AuthenticationSASL lists no mechanisms");
  REQUIRE(ErrorOf(Msg('R', "\0\0\0\x0aSCRAM-SHA-256\0"sv)) ==
          "message 'R' has a string without a NUL terminator");
  REQUIRE(ErrorOf(Msg('S', "a\0b"sv)) == "message 'S' has a string without a NUL terminator");
  REQUIRE(ErrorOf(Msg('t', "\0\x02\0\0\0\x17"sv)) ==
          "message 't' parameter type count 2 exceeds the remaining 4 bytes");
  REQUIRE(ErrorOf(Msg('H', "\x02\0\0"sv)) == "message 'H' has invalid overall COPY format 2");
  REQUIRE(ErrorOf(Msg('G', "\0\xff\xff"sv)) == "message 'G' has a negative column format count -1");
  REQUIRE(ErrorOf(Msg('A',
                      "\0\0\0\x01"
                      "ch\0pay"sv)) == "message 'A' has a string without a NUL terminator");
  REQUIRE(ErrorOf(Msg('V', "\xff\xff\xff\xff\0"sv)) == "message 'V' has 1 trailing bytes");
  REQUIRE(ErrorOf(Msg('v', "\0\0\0\0\xff\xff\xff\xff"sv)) ==
          "message 'v' has a negative option count -1");
  REQUIRE(ErrorOf(Msg('v',
                      "\0\0\0\0\0\0\0\x09"
                      "a\0"sv)) == "message 'v' option count 9 exceeds the remaining 2 bytes");
}

TEST_CASE("a result set streams message by message across arbitrary chunking", "[pgwire]") {
  std::string stream = pg::BuildRowDescription({{"n", 0, 0, 23, 4, -1, 0}});
  for (int i = 0; i < 50; ++i) stream += pg::BuildDataRow({std::to_string(i)});
  stream += pg::BuildCommandComplete("SELECT 50") + pg::BuildReadyForQuery('I');
  for (size_t chunk : {1ul, 3ul, 7ul, 64ul}) {
    // Feed `chunk` bytes at a time into a buffer, draining whole messages as they complete.
    std::string buffer;
    int rows = 0, done = 0;
    for (size_t pos = 0; pos < stream.size(); pos += chunk) {
      buffer += stream.substr(pos, chunk);
      for (;;) {
        auto r = pg::DecodeBackend(buffer);
        REQUIRE_FALSE(r.is_error());
        if (r.need_more()) break;
        if (auto* row = std::get_if<pg::DataRow>(&r.message())) {
          REQUIRE(row->columns.at(0) == std::to_string(rows));
          ++rows;
        }
        if (std::holds_alternative<pg::ReadyForQuery>(r.message())) ++done;
        buffer.erase(0, r.consumed());
      }
    }
    REQUIRE(rows == 50);
    REQUIRE(done == 1);
    REQUIRE(buffer.empty());
  }
}

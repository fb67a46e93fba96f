// What webhooks, Slack and mail receive about approval requests (controlplane/approval_events.h).
#include "controlplane/approval_events.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <catch2/catch.hpp>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_replace.h"
#include "common/crypto/token.h"

using namespace warden;

namespace {

v1::ApprovalRequest Request(v1::ApprovalState state) {
  v1::ApprovalRequest r;
  r.set_id("apr_1");
  r.set_state(state);
  r.set_identity("claude");
  r.set_connection("demo");
  r.set_policy("reviewed");
  r.set_rule("deletes");
  r.set_statement("DELETE FROM t WHERE a < 1 AND b > 2 -- ```\n.\nbye");
  r.add_approver_groups("dba");
  r.mutable_estimate()->add_writes("t");
  return r;
}

}  // namespace

TEST_CASE("approval events: each stored change is named", "[approvals]") {
  v1::ApprovalRequest r = Request(v1::APPROVAL_STATE_PENDING);
  CHECK(controlplane::ApprovalEvent(r) == "approval.raised");
  r.add_decisions()->set_approve(true);
  CHECK(controlplane::ApprovalEvent(r) == "approval.decided");
  r.set_state(v1::APPROVAL_STATE_EXECUTED);
  CHECK(controlplane::ApprovalEvent(r) == "approval.executed");
}

TEST_CASE("approval events: the body is JSON and its signature an HMAC over time and body",
          "[approvals]") {
  // RFC 4231-style known answer for the primitive.
  CHECK(crypto::HmacSha256Hex("key", "The quick brown fox jumps over the lazy dog") ==
        "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
  const std::string body = controlplane::EventBody("approval.raised", "dlv_1", 1700000000,
                                                   Request(v1::APPROVAL_STATE_PENDING));
  google::protobuf::Struct parsed;
  REQUIRE(google::protobuf::util::JsonStringToMessage(body, &parsed).ok());
  CHECK(parsed.fields().at("event").string_value() == "approval.raised");
  CHECK(parsed.fields().at("request").struct_value().fields().at("id").string_value() == "apr_1");
  CHECK(controlplane::SignatureHeader("s3cret", 1700000000, body) ==
        "t=1700000000,v1=" + crypto::HmacSha256Hex("s3cret", "1700000000." + body));
  CHECK(controlplane::SignatureHeader("other", 1700000000, body) !=
        controlplane::SignatureHeader("s3cret", 1700000000, body));
}

TEST_CASE("approval events: Slack text escapes markup and says how to decide", "[approvals]") {
  const std::string payload =
      controlplane::SlackPayload("approval.raised", Request(v1::APPROVAL_STATE_PENDING));
  google::protobuf::Struct parsed;
  REQUIRE(google::protobuf::util::JsonStringToMessage(payload, &parsed).ok());
  const std::string text = parsed.fields().at("text").string_value();
  CHECK(text.find("a &lt; 1 AND b &gt; 2") != std::string::npos);
  CHECK(text.find("-- '''") != std::string::npos);  // cannot close the code block
  CHECK(text.find("wardenctl approvals approve apr_1") != std::string::npos);
  CHECK(text.find("writes t") != std::string::npos);
}

TEST_CASE("approval events: the mail has CRLF line ends and one-line headers", "[approvals]") {
  const std::string mail =
      controlplane::ApprovalMail("warden@example.com", {"a@example.com", "b@example.com"},
                                 1700000000, Request(v1::APPROVAL_STATE_PENDING));
  CHECK(mail.find("To: a@example.com, b@example.com\r\n") != std::string::npos);
  CHECK(mail.find("Subject: Warden: approval request apr_1 from claude on demo") !=
        std::string::npos);
  CHECK(mail.find("Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n") != std::string::npos);
  CHECK(mail.find("\r\n\r\n") != std::string::npos);
  // No bare line feed anywhere: each is part of a CRLF.
  for (size_t i = mail.find('\n'); i != std::string::npos; i = mail.find('\n', i + 1)) {
    REQUIRE(i > 0);
    CHECK(mail[i - 1] == '\r');
  }
  const size_t start = mail.find("\r\n\r\n") + 4;
  std::string body;
  REQUIRE(absl::Base64Unescape(absl::StrReplaceAll(mail.substr(start), {{"\r\n", ""}}), &body));
  CHECK(body.find("wardenctl approvals deny apr_1") != std::string::npos);
  CHECK(body.find("DELETE FROM t WHERE a < 1") != std::string::npos);
  CHECK(body.find("\r\n.\r\nbye") != std::string::npos);  // every line end CRLF

  v1::ApprovalRequest accented = Request(v1::APPROVAL_STATE_PENDING);
  accented.set_rule("l\xc3\xb6schen");
  const std::string encoded = controlplane::ApprovalMail("w@x", {"a@x"}, 0, accented);
  CHECK(encoded.find("Subject: =?UTF-8?B?") != std::string::npos);
}

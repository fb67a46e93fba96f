#include "controlplane/approval_events.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <ctime>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "common/crypto/token.h"
#include "common/log/log.h"
#include "common/policy/approval_text.h"
#include "common/util/utf8.h"

namespace warden::controlplane {

namespace {

std::string Json(const google::protobuf::Message& m) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string out;
  if (auto st = google::protobuf::util::MessageToJsonString(m, &out, options); !st.ok()) {
    spdlog::error("approval event: cannot print {} as JSON: {}", m.GetTypeName(),
                  std::string(st.message()));
    return "{}";
  }
  return out;
}

// Slack's mrkdwn reads &, < and > as markup; a statement must not close the code block it is in.
std::string SlackText(const std::string& s) {
  return absl::StrReplaceAll(s, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"```", "'''"}});
}

// Header values are one line.
std::string OneLine(const std::string& s, size_t max) {
  std::string out = absl::StrReplaceAll(s, {{"\r", " "}, {"\n", " "}});
  if (out.size() > max) out.resize(max);
  return out;
}

std::string Who(const v1::ApprovalRequest& r) {
  return absl::StrCat(r.identity(), " on ", r.connection());
}

}  // namespace

std::string ApprovalEvent(const v1::ApprovalRequest& r) {
  if (r.state() == v1::APPROVAL_STATE_PENDING) {
    return r.decisions().empty() ? "approval.raised" : "approval.decided";
  }
  return absl::StrCat("approval.", policy::StateName(r.state()));
}

std::string EventBody(const std::string& event, const std::string& delivery, int64_t sent_unix,
                      const v1::ApprovalRequest& request) {
  // The hash of the held bytes stays in the control plane: over a short masked value it could
  // be brute-forced by whoever receives the event.
  v1::ApprovalRequest shown = request;
  shown.clear_held_sha256();
  return absl::StrCat("{\"event\":\"", event, "\",\"delivery\":\"", delivery,
                      "\",\"sent_unix\":", sent_unix, ",\"request\":", Json(shown), "}");
}

std::string SignatureHeader(const std::string& secret, int64_t at, const std::string& body) {
  return absl::StrCat("t=", at, ",v1=", crypto::HmacSha256Hex(secret, absl::StrCat(at, ".", body)));
}

std::string SlackPayload(const std::string& event, const v1::ApprovalRequest& r) {
  std::string text;
  const std::string id = r.id();
  if (event == "approval.raised") {
    text =
        absl::StrCat("*Approval request ", id, "*: ", SlackText(Who(r)), " wants to run (policy \"",
                     SlackText(r.policy()), "\" rule \"", SlackText(r.rule()), "\"",
                     r.in_transaction() ? ", inside an open transaction" : "", ")\n```",
                     SlackText(r.statement()), "```\n");
    if (!r.parameters().empty()) {
      absl::StrAppend(&text, "Parameters: `", SlackText(absl::StrJoin(r.parameters(), "`, `")),
                      "`\n");
    }
    absl::StrAppend(&text, "Estimate: ", SlackText(policy::EstimateText(r.estimate())), "\n",
                    "Approvers: ", SlackText(policy::ApproversPhrase(r)), " (",
                    std::max<uint32_t>(1, r.approvals_required()), " needed)\n",
                    "Decide: `wardenctl approvals approve ", id, "` or `wardenctl approvals deny ",
                    id, " --reason ...`");
  } else if (event == "approval.executed") {
    const v1::ApprovalOutcome& o = r.outcome();
    text = absl::StrCat("*", id, "* ran: ",
                        o.sqlstate().empty() ? SlackText(o.command_tag())
                                             : absl::StrCat("failed, SQLSTATE ", o.sqlstate()));
  } else {
    std::vector<std::string> who;
    for (const v1::ApprovalDecision& d : r.decisions()) {
      who.push_back(
          absl::StrCat(d.approve() ? "approved by " : "denied by ", SlackText(d.identity()),
                       d.reason().empty() ? "" : absl::StrCat(" (", SlackText(d.reason()), ")")));
    }
    text = absl::StrCat("*", id, "* ", policy::StateName(r.state()),
                        who.empty() ? "" : absl::StrCat(": ", absl::StrJoin(who, ", ")));
  }
  google::protobuf::Struct payload;
  (*payload.mutable_fields())["text"].set_string_value(text);
  return Json(payload);
}

std::string ApprovalMail(const std::string& from, const std::vector<std::string>& to,
                         int64_t sent_unix, const v1::ApprovalRequest& r) {
  char date[64];
  std::time_t t = static_cast<std::time_t>(sent_unix);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  std::vector<std::string> body = {absl::StrCat(Who(r), " wants to run, under policy \"",
                                                r.policy(), "\" rule \"", r.rule(), "\":"),
                                   "", r.statement(), ""};
  if (!r.parameters().empty()) {
    body.push_back(absl::StrCat("Parameters: ", absl::StrJoin(r.parameters(), ", ")));
  }
  body.push_back(absl::StrCat("Estimate: ", policy::EstimateText(r.estimate())));
  if (r.in_transaction()) body.push_back("The client's transaction stays open while it waits.");
  body.push_back(absl::StrCat("Approvers: ", policy::ApproversPhrase(r), " (",
                              std::max<uint32_t>(1, r.approvals_required()), " needed)"));
  body.push_back("");
  body.push_back("Decide with:");
  body.push_back(absl::StrCat("  wardenctl approvals show ", r.id()));
  body.push_back(absl::StrCat("  wardenctl approvals approve ", r.id()));
  body.push_back(absl::StrCat("  wardenctl approvals deny ", r.id(), " --reason ..."));
  std::string plain;
  for (const std::string& line : body) {
    absl::StrAppend(&plain, absl::StrReplaceAll(line, {{"\r\n", "\n"}, {"\r", "\n"}}), "\n");
  }
  plain = absl::StrReplaceAll(plain, {{"\n", "\r\n"}});
  // The body in base64, in lines of 76: a statement may be one long line of any bytes, which
  // mail servers fold or refuse as it is.
  const std::string encoded = absl::Base64Escape(plain);
  std::string wrapped;
  for (size_t i = 0; i < encoded.size(); i += 76) {
    absl::StrAppend(&wrapped, encoded.substr(i, 76), "\r\n");
  }
  // A subject with anything but ASCII goes as an RFC 2047 encoded word.
  std::string subject(Utf8Prefix(OneLine(absl::StrCat("Warden: approval request ", r.id(), " from ",
                                                      Who(r), " (rule ", r.rule(), ")"),
                                         200),
                                 200));
  if (std::any_of(subject.begin(), subject.end(), [](char c) { return c & 0x80; })) {
    subject = absl::StrCat("=?UTF-8?B?", absl::Base64Escape(subject), "?=");
  }
  return absl::StrCat("From: ", OneLine(from, 254),
                      "\r\nTo: ", OneLine(absl::StrJoin(to, ", "), 4000), "\r\nSubject: ", subject,
                      "\r\nDate: ", date, "\r\nMessage-ID: <", r.id(),
                      ".raised@warden>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; "
                      "charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n",
                      wrapped);
}

}  // namespace warden::controlplane

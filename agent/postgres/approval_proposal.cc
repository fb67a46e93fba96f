#include "agent/postgres/approval_proposal.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/enforcement/statement_footprint.h"
#include "common/pgwire/frontend_messages.h"
#include "common/pgwire/pgwire.h"
#include "common/policy/approval_text.h"
#include "common/sql/classify/classifier.h"
#include "common/util/utf8.h"

namespace warden::agent {

namespace {

constexpr const char* kWithheld = "(withheld: the session's masking rules did not compile)";

// `text` as the approver may see it: masked, cut to `max` bytes, UTF-8 (a proto string; the
// client's encoding may be another).
std::string Shown(std::string_view text, const MaskingPlan& plan, size_t max);

std::string Masked(std::string_view text, const MaskingPlan& plan) {
  if (plan.withhold) return kWithheld;
  const masking::RuleSet* rules = plan.text_rules();
  if (rules == nullptr || !rules->has_content_rules()) return std::string(text);
  masking::RuleSet::TextResult r = rules->MaskText(text);
  switch (r.outcome) {
    case masking::RuleSet::TextResult::Outcome::kUnchanged:
      return std::string(text);
    case masking::RuleSet::TextResult::Outcome::kMasked:
      return std::move(r.text);
    case masking::RuleSet::TextResult::Outcome::kNull:
      return "(masked)";
  }
  return kWithheld;
}

std::string Shown(std::string_view text, const MaskingPlan& plan, size_t max) {
  std::string masked = Masked(text, plan);
  absl::string_view cut = Utf8Prefix(masked, max);
  std::string out = ValidUtf8(cut);
  if (cut.size() < masked.size()) absl::StrAppend(&out, "... (", text.size(), " bytes)");
  return out;
}

// Bytes as PostgreSQL shows bytea: \x and lower-case hex.
std::string Hex(std::string_view bytes) {
  return absl::StrCat("\\x", absl::BytesToHexString(absl::string_view(bytes.data(), bytes.size())));
}

uint64_t BigEndian(std::string_view b) {
  uint64_t v = 0;
  for (unsigned char c : b) v = (v << 8) | c;
  return v;
}

// A binary value of type `oid` as text, when the type is one of the common ones and the value
// has its size; else nullopt (shown as hex).
std::optional<std::string> BinaryAsText(uint32_t oid, std::string_view v) {
  switch (oid) {
    case 16:  // bool
      if (v.size() == 1) return v[0] ? "true" : "false";
      break;
    case 21:  // int2
      if (v.size() == 2) return std::to_string(static_cast<int16_t>(BigEndian(v)));
      break;
    case 23:  // int4
      if (v.size() == 4) return std::to_string(static_cast<int32_t>(BigEndian(v)));
      break;
    case 20:  // int8
      if (v.size() == 8) return std::to_string(static_cast<int64_t>(BigEndian(v)));
      break;
    case 700:  // float4
      if (v.size() == 4) {
        uint32_t bits = static_cast<uint32_t>(BigEndian(v));
        float f;
        std::memcpy(&f, &bits, sizeof f);
        return absl::StrCat(f);
      }
      break;
    case 701:  // float8
      if (v.size() == 8) {
        uint64_t bits = BigEndian(v);
        double d;
        std::memcpy(&d, &bits, sizeof d);
        return absl::StrCat(d);
      }
      break;
    case 25:    // text
    case 1043:  // varchar
    case 1042:  // bpchar
    case 19:    // name
    case 114:   // json
      return std::string(v);
    case 2950:  // uuid
      if (v.size() == 16) {
        std::string hex = Hex(v).substr(2);
        return absl::StrCat(hex.substr(0, 8), "-", hex.substr(8, 4), "-", hex.substr(12, 4), "-",
                            hex.substr(16, 4), "-", hex.substr(20));
      }
      break;
    default:
      break;
  }
  return std::nullopt;
}

std::string Fingerprint(uint64_t f) { return absl::StrCat(absl::Hex(f, absl::kZeroPad16)); }

}  // namespace

std::vector<std::string> ShownParameters(const std::string& bind,
                                         const std::vector<uint32_t>& types,
                                         const masking::RuleSet* rules) {
  std::vector<std::string> out;
  if (bind.size() < pgwire::kHeaderSize) return out;
  auto frame = pgwire::DecodeFrame(bind, bind.size());
  if (!frame.has_message()) return out;
  auto parsed = pgwire::ParseFrontend(frame.message());
  const auto* b = parsed.ok() ? std::get_if<pgwire::Bind>(&*parsed) : nullptr;
  if (b == nullptr) return out;
  for (size_t i = 0; i < b->params.size(); ++i) {
    const std::optional<std::string_view>& p = b->params[i];
    if (!p) {
      out.push_back("NULL");
      continue;
    }
    std::string shown;
    if (b->ParamFormat(i) == 1) {
      std::optional<std::string> text = BinaryAsText(i < types.size() ? types[i] : 0, *p);
      if (text) {
        shown = std::move(*text);
      } else if (rules != nullptr && rules->has_content_rules()) {
        // A binary numeric, date or array is not text the detectors can read (a card number
        // as numeric would pass them): under content masking it is not shown at all.
        shown = "(binary value, masked)";
      } else {
        shown = Hex(*p);
      }
    } else {
      shown = std::string(*p);
    }
    out.push_back(std::move(shown));
  }
  return out;
}

v1::ApprovalRequest ProposeApproval(const HoldFacts& held, const policy::Subject& subject,
                                    const std::string& session_id, const MaskingPlan& plan) {
  v1::ApprovalRequest r;
  r.set_session_id(session_id);
  r.set_identity(subject.identity);
  for (const std::string& g : subject.groups) r.add_groups(g);
  r.set_connection(subject.connection);
  r.set_statement(Shown(held.statement, plan, kMaxShownStatement));
  const std::vector<std::string> parameters =
      ShownParameters(held.bind, held.param_types, plan.withhold ? nullptr : plan.text_rules());
  for (size_t i = 0; i < parameters.size() && i < kMaxShownItems; ++i) {
    r.add_parameters(Shown(parameters[i], plan, kMaxShownParameter));
  }
  if (parameters.size() > kMaxShownItems) {
    r.add_parameters(absl::StrCat("... ", parameters.size() - kMaxShownItems, " more"));
  }
  r.set_held_sha256(held.held_sha256);
  r.set_fingerprint(Fingerprint(held.fingerprint));
  r.set_policy(held.policy);
  r.set_rule(held.rule);
  r.set_message(held.message);
  r.set_in_transaction(held.in_transaction);
  if (held.batch) {
    // The classes of its statements, in order, once each; BEGIN and COMMIT only when that is
    // all there is.
    std::vector<std::string> classes;
    for (const sql::ClassifiedStatement& s : held.batch->statements) {
      std::string name(sql::ClassName(s.statement_class));
      if (s.statement_class != v1::STATEMENT_CLASS_TCL &&
          std::find(classes.begin(), classes.end(), name) == classes.end()) {
        classes.push_back(std::move(name));
      }
    }
    if (classes.empty() && !held.batch->statements.empty()) {
      classes.emplace_back(sql::ClassName(v1::STATEMENT_CLASS_TCL));
    }
    r.set_statement_class(absl::StrJoin(classes, ", "));
    // Names as the client wrote them: any bytes, any number.
    auto list = [](const std::set<std::string>& names,
                   google::protobuf::RepeatedPtrField<std::string>* out) {
      for (const std::string& name : names) {
        if (static_cast<size_t>(out->size()) == kMaxShownItems) {
          out->Add(absl::StrCat("... ", names.size() - kMaxShownItems, " more"));
          return;
        }
        out->Add(ValidUtf8(Utf8Prefix(name, kMaxShownParameter)));
      }
    };
    const StatementFootprint footprint = DescribeFootprint(held.batch->statements, plan.rules);
    list(footprint.reads, r.mutable_estimate()->mutable_reads());
    list(footprint.writes, r.mutable_estimate()->mutable_writes());
    list(footprint.masked, r.mutable_estimate()->mutable_masked());
  }
  return r;
}

std::string WaitingNotice(const v1::ApprovalRequest& request) {
  return absl::StrCat(
      "Warden is holding this statement until it is approved: request ", request.id(),
      " (policy \"", request.policy(), "\" rule \"", request.rule(), "\"). It may be approved by ",
      policy::ApproversPhrase(request), " (", std::max<uint32_t>(1, request.approvals_required()),
      " needed) with: wardenctl approvals approve ", request.id(),
      request.in_transaction() ? ". Your transaction stays open while the statement waits." : "");
}

}  // namespace warden::agent

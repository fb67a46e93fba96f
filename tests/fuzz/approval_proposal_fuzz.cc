// What the agent tells the control plane about a held statement, on hostile input
// (agent/postgres/approval_proposal.h, impact_estimate.h): any statement text, any Bind message
// and parameter types, any EXPLAIN answer. Never crashes, and the request always serializes into
// something the control plane parses (proto strings must be UTF-8: a request that did not parse
// would end the agent's control stream).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agent/postgres/approval_proposal.h"
#include "agent/postgres/impact_estimate.h"
#include "common/policy/policy_yaml.h"
#include "common/sql/classify/classifier.h"

namespace {

const warden::agent::MaskingPlan& Plan() {
  static const warden::agent::MaskingPlan plan = [] {
    auto p = warden::policy::ParsePolicyYaml(R"(
name: masking
subjects: {groups: [g]}
connections: [c]
default_action: allow
masking:
  - {name: emails, detectors: [email], strategy: redact}
  - {name: cards, detectors: [credit_card], strategy: partial, keep_last: 4}
)",
                                             "m.yaml");
    warden::v1::PolicySnapshot snap;
    if (p.ok()) *snap.add_policies() = *p;
    return warden::agent::CompileMaskingPlan(&snap, {"i", {"g"}, "c", false}, "", "s");
  }();
  return plan;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const size_t cut = std::min<size_t>(in.size(), 1 + static_cast<uint8_t>(in[0]) * 4);
  const std::string statement(in.substr(1, cut - 1));
  const std::string rest(in.substr(cut));

  warden::agent::HoldFacts held;
  held.message_type = (data[1] & 1) ? 'E' : 'Q';
  held.statement = statement;
  held.batch =
      std::make_shared<const warden::sql::ClassifiedBatch>(warden::sql::Classify(statement));
  held.bind = rest;
  for (size_t i = 0; i + 1 < rest.size() && i < 16; i += 2) {
    held.param_types.push_back(static_cast<uint8_t>(rest[i]) * 11u);
  }
  warden::v1::ApprovalRequest r =
      warden::agent::ProposeApproval(held, {"i", {"g"}, "c", false}, "s", Plan());
  warden::agent::EstimateQuery q =
      warden::agent::PlanEstimate(held, static_cast<warden::agent::DatabaseActivity>(data[1] % 3));
  if (!q.sql.empty() && held.message_type != 'Q' && held.message_type != 'E') __builtin_trap();
  if (q.extended) {
    size_t closes = 0;
    warden::agent::ExtendedEstimate(q.sql, held.bind, held.param_types, "n", "", &closes);
  }
  warden::agent::ReadEstimate({{std::optional<std::string>(rest)}}, absl::OkStatus(),
                              r.mutable_estimate());
  warden::v1::ApprovalRequest copy;
  if (!copy.ParseFromString(r.SerializeAsString())) __builtin_trap();
  return 0;
}

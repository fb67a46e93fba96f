// What an approver sees of a held statement (agent/postgres/approval_proposal.h): the text and
// the bound values masked as results would be, readable values for binary parameters, the
// tables, and a notice that says how to decide.
#include "agent/postgres/approval_proposal.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "common/pgwire/frontend_builders.h"
#include "common/policy/policy_yaml.h"
#include "common/sql/classify/classifier.h"

using namespace warden;

namespace {

constexpr const char* kMasking = R"(
name: masking
subjects: {groups: [ai-agents]}
connections: [demo]
default_action: allow
masking:
  - {name: emails, detectors: [email], strategy: redact}
  - {name: names, columns: [customers.name], strategy: redact}
  - {name: ssns, columns: ["*.ssn"], strategy: redact}
)";

const policy::Subject kSubject{"claude", {"ai-agents"}, "demo", false};

agent::MaskingPlan Plan() {
  auto p = policy::ParsePolicyYaml(kMasking, "masking.yaml");
  REQUIRE(p.ok());
  v1::PolicySnapshot snap;
  snap.set_version(1);
  *snap.add_policies() = *p;
  return agent::CompileMaskingPlan(&snap, kSubject, "", "ses_1");
}

agent::HoldFacts Held(const std::string& sql) {
  agent::HoldFacts h;
  h.message_type = 'Q';
  h.statement = sql;
  h.policy = "reviewed";
  h.rule = "deletes";
  h.message = "requires approval";
  h.fingerprint = 0xab;
  h.held_sha256 = std::string(64, 'f');
  h.batch = std::make_shared<const sql::ClassifiedBatch>(sql::Classify(sql));
  return h;
}

std::string Be(uint64_t v, int bytes) {
  std::string out;
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  return out;
}

}  // namespace

TEST_CASE("approval proposal: the statement as masking shows it, with what it touches",
          "[approvals]") {
  v1::ApprovalRequest r = agent::ProposeApproval(
      Held("DELETE FROM customers WHERE email = 'ann@example.com' AND id IN (SELECT customer_id "
           "FROM orders)"),
      kSubject, "ses_1", Plan());
  CHECK(r.statement().find("ann@example.com") == std::string::npos);
  CHECK(r.statement().find("DELETE FROM customers WHERE email = '") == 0);
  CHECK(r.identity() == "claude");
  CHECK(r.groups(0) == "ai-agents");
  CHECK(r.connection() == "demo");
  CHECK(r.session_id() == "ses_1");
  CHECK(r.fingerprint() == "00000000000000ab");
  CHECK(r.statement_class() == "write");
  CHECK(r.held_sha256() == std::string(64, 'f'));
  // Relations with their columns: the target's whole rows are written; the unqualified
  // columns of a statement over two tables could be either's.
  CHECK(std::vector<std::string>(r.estimate().writes().begin(), r.estimate().writes().end()) ==
        std::vector<std::string>{"customers (every column)"});
  CHECK(std::vector<std::string>(r.estimate().reads().begin(), r.estimate().reads().end()) ==
        std::vector<std::string>{"one of customers, orders (customer_id, email, id)", "orders"});
  // The column rules over what it touches: a deleted row's every column.
  CHECK(std::vector<std::string>(r.estimate().masked().begin(), r.estimate().masked().end()) ==
        std::vector<std::string>{"customers.name (rule names)", "customers.ssn (rule ssns)"});

  // Qualified columns are told apart; only those a rule covers are masked.
  r = agent::ProposeApproval(
      Held("UPDATE customers c SET note = o.total::text FROM orders o WHERE o.customer_id = c.id "
           "RETURNING c.name"),
      kSubject, "ses_1", Plan());
  CHECK(std::vector<std::string>(r.estimate().writes().begin(), r.estimate().writes().end()) ==
        std::vector<std::string>{"customers (note)"});
  CHECK(std::vector<std::string>(r.estimate().reads().begin(), r.estimate().reads().end()) ==
        std::vector<std::string>{"customers (id, name)", "orders (customer_id, total)"});
  CHECK(std::vector<std::string>(r.estimate().masked().begin(), r.estimate().masked().end()) ==
        std::vector<std::string>{"customers.name (rule names)"});

  // BEGIN and COMMIT around it add nothing to the class.
  CHECK(agent::ProposeApproval(Held("BEGIN; DELETE FROM orders WHERE id = 1; COMMIT"), kSubject,
                               "ses_1", Plan())
            .statement_class() == "write");
}

TEST_CASE("approval proposal: text that is not UTF-8, or too long, is shown safely",
          "[approvals]") {
  std::string latin1 = "DELETE FROM orders WHERE note = 'caf\xe9'";
  v1::ApprovalRequest r = agent::ProposeApproval(Held(latin1), kSubject, "ses_1", Plan());
  CHECK(r.statement() == "DELETE FROM orders WHERE note = 'caf?'");
  v1::ApprovalRequest copy;
  CHECK(copy.ParseFromString(r.SerializeAsString()));  // the control plane can read it

  std::string huge = "DELETE FROM orders WHERE note = '" + std::string(100000, 'x') + "'";
  r = agent::ProposeApproval(Held(huge), kSubject, "ses_1", Plan());
  CHECK(r.statement().size() < agent::kMaxShownStatement + 64);
  CHECK(r.statement().find("(100034 bytes)") != std::string::npos);
}

TEST_CASE("approval proposal: bound parameters as values, masked", "[approvals]") {
  const std::string i4 = Be(42, 4), i2 = Be(7, 2), i8 = Be(uint64_t(-5), 8), b = "\x01";
  const std::string uuid = Be(0x0123456789abcdefULL, 8) + Be(0x0011223344556677ULL, 8);
  const std::string opaque("\x00\x01\x02", 3);
  std::string bind = pgwire::BuildBind(
      "", "", {1, 1, 1, 1, 1, 0, 0, 1},
      {i4, i2, i8, b, uuid, std::string_view("bob@example.com"), std::nullopt, opaque}, {});
  std::vector<uint32_t> types = {23, 21, 20, 16, 2950, 25, 25, 17};
  CHECK(agent::ShownParameters(bind, types) ==
        std::vector<std::string>{"42", "7", "-5", "true", "01234567-89ab-cdef-0011-223344556677",
                                 "bob@example.com", "NULL", "\\x000102"});
  // Types the statement did not declare: binary values stay hex.
  CHECK(agent::ShownParameters(bind, {})[0] == "\\x0000002a");
  CHECK(agent::ShownParameters("", types).empty());
  CHECK(agent::ShownParameters("garbage", types).empty());

  agent::HoldFacts held = Held("DELETE FROM customers WHERE id = $1 AND email = $6");
  held.message_type = 'E';
  held.bind = bind;
  held.param_types = types;
  v1::ApprovalRequest r = agent::ProposeApproval(held, kSubject, "ses_1", Plan());
  REQUIRE(r.parameters_size() == 8);
  CHECK(r.parameters(0) == "42");
  CHECK(r.parameters(5).find("bob@example.com") == std::string::npos);  // masked
}

TEST_CASE("approval proposal: the client's notice says how to decide", "[approvals]") {
  v1::ApprovalRequest r;
  r.set_id("apr_1");
  r.set_policy("reviewed");
  r.set_rule("deletes");
  r.add_approver_groups("dba");
  r.set_approvals_required(2);
  r.set_in_transaction(true);
  std::string notice = agent::WaitingNotice(r);
  CHECK(notice.find("request apr_1") != std::string::npos);
  CHECK(notice.find("rule \"deletes\"") != std::string::npos);
  CHECK(notice.find("groups dba (2 needed)") != std::string::npos);
  CHECK(notice.find("wardenctl approvals approve apr_1") != std::string::npos);
  CHECK(notice.find("transaction stays open") != std::string::npos);
}

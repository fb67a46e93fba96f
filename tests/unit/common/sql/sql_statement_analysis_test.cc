// Tests for common/sql/statement_analysis: one parse gives what Classify and AnalyzeLineage give,
// the tree fingerprint ignores what should not matter, and on the agent's data path a statement
// text is parsed once, however many parts of the session look at it.
#include <catch2/catch.hpp>
#include <string>

#include "agent/enforcement/policy_holder.h"
#include "agent/postgres/request_ledger.h"
#include "agent/postgres/statement_guard.h"
#include "common/pgwire/pgwire.h"
#include "common/policy/policy_yaml.h"
#include "common/sql/classifier_cache.h"
#include "common/sql/classify/classifier.h"
#include "common/sql/statement_analysis.h"

namespace {

using namespace warden;

uint64_t FingerprintOf(const std::string& sql) {
  const sql::StatementAnalysis a = sql::AnalyzeStatement(sql);
  REQUIRE(a.classified.parsed);
  return a.classified.fingerprint;
}

}  // namespace

TEST_CASE("one analysis is Classify and AnalyzeLineage from a single parse") {
  for (const char* text :
       {"SELECT name, lower(email) AS mail FROM customers c JOIN orders o ON o.cid = c.id",
        "WITH d AS (DELETE FROM orders RETURNING id) SELECT count(*) FROM d; DROP TABLE t",
        "COPY (SELECT ssn FROM people) TO STDOUT WITH (FORMAT csv)", "SELEC 1", "",
        "PREPARE p AS SELECT email FROM customers; EXECUTE p"}) {
    INFO(text);
    const uint64_t before = sql::ParseCount();
    const sql::StatementAnalysis a = sql::AnalyzeStatement(text);
    CHECK(sql::ParseCount() - before == 1);
    const sql::ClassifiedBatch c = sql::Classify(text);
    const sql::LineageResult l = sql::AnalyzeLineage(text);
    CHECK(a.classified.parsed == c.parsed);
    CHECK(a.classified.parse_error == c.parse_error);
    CHECK(a.classified.fingerprint == c.fingerprint);
    REQUIRE(a.classified.statements.size() == c.statements.size());
    for (size_t i = 0; i < c.statements.size(); ++i) {
      CHECK(a.classified.statements[i].commands == c.statements[i].commands);
      CHECK(a.classified.statements[i].statement_class == c.statements[i].statement_class);
      CHECK(a.classified.statements[i].relations_read == c.statements[i].relations_read);
    }
    CHECK(a.lineage.parsed == l.parsed);
    REQUIRE(a.lineage.statements.size() == l.statements.size());
    for (size_t i = 0; i < l.statements.size(); ++i) {
      CHECK(sql::DescribeLineage(a.lineage.statements[i]) == sql::DescribeLineage(l.statements[i]));
    }
  }
  CHECK_FALSE(sql::AnalyzeStatement(std::string("SELECT 1\0", 9)).classified.parsed);
}

TEST_CASE("the fingerprint ignores literals, spacing, case and comments, not names or shape") {
  const uint64_t base = FingerprintOf("SELECT name FROM customers WHERE id = 42 AND tag = 'a'");
  CHECK(FingerprintOf("select  name\n from CUSTOMERS where id = 7 and tag = 'bb' -- why") == base);
  CHECK(FingerprintOf("SELECT /* c */ name FROM customers WHERE id = 1.5 AND tag = 'a'") == base);
  CHECK(FingerprintOf("SELECT email FROM customers WHERE id = 42 AND tag = 'a'") != base);
  CHECK(FingerprintOf("SELECT name FROM orders WHERE id = 42 AND tag = 'a'") != base);
  CHECK(FingerprintOf("SELECT name FROM customers WHERE id = 42 OR tag = 'a'") != base);
  CHECK(FingerprintOf("DELETE FROM customers WHERE id = 42 AND tag = 'a'") != base);
  CHECK(base != 0);
}

TEST_CASE("on the data path a statement text is parsed once: guard and lineage share it") {
  auto p = policy::ParsePolicyYaml(R"(name: p
subjects: {identities: [claude]}
connections: [demo]
default_action: allow
masking_unknown: deny
masking:
  - {name: emails, columns: ["*.email"], strategy: redact}
)",
                                   "p.yaml");
  REQUIRE(p.ok());
  auto snap = std::make_shared<v1::PolicySnapshot>();
  snap->set_version(1);
  *snap->add_policies() = *p;
  agent::PolicyHolder holder;
  holder.Install(snap);
  sql::ClassifierCache cache;
  agent::StatementGuard guard(holder, cache, policy::Subject{"claude", {}, "demo"}, "ses_t");
  agent::RequestLedger ledger(&cache);

  auto run = [&](const std::string& text) {
    const uint64_t before = sql::ParseCount();
    std::string out;
    REQUIRE(guard.Frontend(pgwire::BuildQuery(text), &out).ok());
    REQUIRE(out == pgwire::BuildQuery(text));  // allowed, as sent
    REQUIRE(ledger.OnClientMessage('Q', out.substr(pgwire::kHeaderSize)));
    return sql::ParseCount() - before;
  };
  // Decided (classification, then the lineage check of masking_unknown: deny), then followed
  // for the masking of its rows: one parse.
  CHECK(run("SELECT id, email FROM customers WHERE id = 1") == 1);
  CHECK(run("SELECT id, email FROM customers WHERE id = 1") == 0);
  CHECK(run("SELECT id, email FROM customers WHERE id = 2") == 0);  // integers fold
  CHECK(run("SELECT name FROM customers") == 1);
}

TEST_CASE("texts that share a cache key share an analysis only where integers cannot matter") {
  sql::ClassifierCache cache;
  // COPY's HEADER 1 says the first row holds names, HEADER 0 that it is data to be masked.
  auto with = cache.Analysis("COPY (SELECT ssn FROM people) TO STDOUT (FORMAT csv, HEADER 1)");
  auto without = cache.Analysis("COPY (SELECT ssn FROM people) TO STDOUT (FORMAT csv, HEADER 0)");
  REQUIRE(with->lineage.statements.size() == 1);
  REQUIRE(without->lineage.statements.size() == 1);
  CHECK(with->lineage.statements[0].copy_header);
  CHECK_FALSE(without->lineage.statements[0].copy_header);
}

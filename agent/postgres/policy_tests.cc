#include "agent/postgres/policy_tests.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/postgres/statement_explanation.h"
#include "common/policy/policy_yaml.h"
#include "common/sql/parse/statement_split.h"

namespace warden::agent {

namespace {

std::string Decided(const v1::ExplainedDecision& d) {
  std::string s = d.action();
  if (!d.policy().empty()) absl::StrAppend(&s, " by policy \"", d.policy(), "\"");
  if (!d.rule().empty()) absl::StrAppend(&s, " rule \"", d.rule(), "\"");
  return s;
}

std::string Expected(const v1::PolicyTest& t) {
  std::string s(policy::ActionName(t.expect_action()));
  if (!t.expect_policy().empty()) absl::StrAppend(&s, " by policy \"", t.expect_policy(), "\"");
  if (!t.expect_rule().empty()) absl::StrAppend(&s, " rule \"", t.expect_rule(), "\"");
  return s;
}

// What the test's statements do: the batch decision, and the columns column rules mask.
struct Outcome {
  v1::ExplainedDecision decision;
  std::vector<std::string> masked;
  v1::PolicyExplanation explanation;
};

Outcome Run(const v1::PolicySnapshot& snapshot, const v1::PolicyTest& t) {
  policy::Subject subject{t.identity(), {t.groups().begin(), t.groups().end()}, t.connection()};
  auto split = sql::SplitStatements(t.statement());
  std::vector<std::string> statements =
      split.ok() && !split->empty() ? *split : std::vector<std::string>{t.statement()};
  Outcome out;
  out.explanation = ExplainStatements(snapshot, subject, statements, t.statement());
  out.decision = out.explanation.batch();
  for (const auto& s : out.explanation.statements()) {
    for (const auto& c : s.columns()) {
      if (!c.masked_by_rule().empty()) out.masked.push_back(c.name());
    }
  }
  std::sort(out.masked.begin(), out.masked.end());
  return out;
}

std::string Difference(const v1::PolicyTest& t, const Outcome& o) {
  std::vector<std::string> problems;
  const bool action_ok = o.decision.action() == policy::ActionName(t.expect_action());
  const bool rule_ok = t.expect_rule().empty() || t.expect_rule() == o.decision.rule();
  const bool policy_ok = t.expect_policy().empty() || t.expect_policy() == o.decision.policy();
  if (!action_ok || !rule_ok || !policy_ok) {
    problems.push_back(absl::StrCat("expected ", Expected(t), ", got ", Decided(o.decision)));
  }
  if (t.expect_masked_given()) {
    std::vector<std::string> want(t.expect_masked().begin(), t.expect_masked().end());
    std::sort(want.begin(), want.end());
    if (want != o.masked) {
      problems.push_back(absl::StrCat("expected masked [", absl::StrJoin(want, ", "), "], got [",
                                      absl::StrJoin(o.masked, ", "), "]"));
    }
  }
  return absl::StrJoin(problems, "; ");
}

// Statement rules, and masking rules that name columns: what a test can reach.
std::set<std::string> Reachable(const v1::PolicySnapshot& snapshot) {
  std::set<std::string> out;
  for (const v1::Policy& p : snapshot.policies()) {
    for (const v1::Rule& r : p.rules()) out.insert(absl::StrCat(p.name(), "/", r.name()));
    for (const v1::MaskingRule& m : p.masking()) {
      if (!m.columns().empty()) out.insert(absl::StrCat(p.name(), "/masking/", m.name()));
    }
  }
  return out;
}

void Reached(const v1::PolicyExplanation& e, std::set<std::string>* unreached) {
  auto mark = [&](const v1::ExplainedDecision& d) {
    unreached->erase(absl::StrCat(d.policy(), "/", d.rule()));
  };
  mark(e.batch());
  for (const auto& s : e.statements()) {
    mark(s.decision());
    for (const auto& c : s.columns()) {
      unreached->erase(absl::StrCat(c.masked_by_policy(), "/masking/", c.masked_by_rule()));
    }
  }
}

}  // namespace

v1::PolicyTestReport RunPolicyTests(const v1::PolicySnapshot& snapshot) {
  v1::PolicyTestReport report;
  std::set<std::string> unreached = Reachable(snapshot);
  for (const v1::Policy& p : snapshot.policies()) {
    for (const v1::PolicyTest& t : p.tests()) {
      const Outcome o = Run(snapshot, t);
      v1::PolicyTestResult* r = report.add_results();
      r->set_policy(p.name());
      r->set_test(t.name());
      r->set_difference(Difference(t, o));
      r->set_passed(r->difference().empty());
      Reached(o.explanation, &unreached);
    }
  }
  for (const std::string& u : unreached) report.add_unreached(u);
  return report;
}

}  // namespace warden::agent

// wardenctl policies test: runs the `tests:` of policy files offline, with the agent's own
// decisions (agent/postgres/policy_tests.h), and the check `policies apply` makes first.
#include <iostream>
#include <memory>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/postgres/policy_tests.h"
#include "common/log/log.h"
#include "controlplane/wardenctl/commands.h"
#include "controlplane/wardenctl/errors.h"
#include "controlplane/wardenctl/policy_files.h"

namespace warden::wardenctl {

namespace {

struct TestOptions {
  std::vector<std::string> files;
  bool require_all_rules = false;
};

v1::PolicyTestReport Run(const v1::PolicySnapshot& snapshot) {
  spdlog::set_level(spdlog::level::off);  // the agent's code logs decisions; here they are output
  return agent::RunPolicyTests(snapshot);
}

int TestPolicies(const TestOptions& o, OutputFormat output) {
  absl::StatusOr<v1::PolicySnapshot> snap = SnapshotFromFiles(o.files);
  if (!snap.ok()) return Fail(kRejected, snap.status().message());
  const v1::PolicyTestReport report = Run(*snap);
  int failed = 0;
  for (const auto& r : report.results()) failed += r.passed() ? 0 : 1;
  const bool incomplete = o.require_all_rules && report.unreached_size() > 0;
  if (output == OutputFormat::kJson) {
    PrintJson(report);
  } else {
    Table table({"POLICY", "TEST", "RESULT", "DIFFERENCE"});
    for (const auto& r : report.results()) {
      table.AddRow({r.policy(), r.test(), r.passed() ? "pass" : "FAIL", OrDash(r.difference())});
    }
    std::cout << table.Render() << report.results_size() - failed << " passed, " << failed
              << " failed\n";
    if (report.unreached_size() > 0) {
      std::cout << "rules no test reaches: " << absl::StrJoin(report.unreached(), ", ") << "\n";
    }
  }
  if (report.results_size() == 0) return Fail(kRejected, "the files carry no tests");
  if (failed > 0) return Fail(kRejected, absl::StrCat(failed, " policy test(s) failed"));
  if (incomplete) return Fail(kRejected, "some rules are reached by no test (--require-all-rules)");
  return kOk;
}

}  // namespace

int CheckPolicyTestsBeforeApply(AdminClient& admin,
                                const std::vector<std::pair<std::string, std::string>>& texts) {
  // A file that does not parse is the control plane's to refuse, with its own error; the others
  // are tested (apply goes on past a refused file).
  v1::PolicySnapshot snap;
  snap.set_version(1);
  for (const auto& text : texts) {
    absl::StatusOr<v1::PolicySnapshot> one = SnapshotFromTexts({text});
    if (one.ok()) *snap.add_policies() = one->policies(0);
  }
  std::set<std::string> given;
  for (const v1::Policy& p : snap.policies()) given.insert(p.name());
  // The applied policies stay in force beside these: their tests pin what they decide, and an
  // edit elsewhere (a new deny or approval rule) must not change it quietly.
  v1::ListPoliciesResponse applied;
  if (int rc = admin.Call(&AdminStub::ListPolicies, v1::ListPoliciesRequest(), &applied);
      rc != kOk) {
    return rc;
  }
  for (const v1::PolicyInfo& p : applied.policies()) {
    if (!given.contains(p.spec().name())) *snap.add_policies() = p.spec();
  }
  SortPolicies(snap);
  const v1::PolicyTestReport report = Run(snap);
  std::vector<std::string> failures;
  for (const auto& r : report.results()) {
    if (r.passed()) continue;
    failures.push_back(absl::StrCat("policy ", r.policy(),
                                    given.contains(r.policy()) ? "" : " (applied)", " test ",
                                    r.test(), ": ", r.difference()));
  }
  if (failures.empty()) return kOk;
  return Fail(kRejected, absl::StrCat("nothing applied: ", failures.size(),
                                      " policy test(s) would fail with these files in force (see "
                                      "`wardenctl policies test -f FILE...`):\n  ",
                                      absl::StrJoin(failures, "\n  ")));
}

void RegisterPolicyTest(Cli& cli, CLI::App* policies) {
  auto o = std::make_shared<TestOptions>();
  CLI::App* test = Cli::AddCommand(
      policies, "test",
      "Run the tests in policy files offline (the agent's own decisions) and show the result");
  test->add_option("-f,--filename", o->files, "policy file(s), evaluated together; repeatable")
      ->required()
      ->type_name("FILE")
      ->allow_extra_args(false);
  test->add_flag("--require-all-rules", o->require_all_rules,
                 "also fail when a rule (or a column masking rule) is reached by no test");
  cli.SetAction(
      test, [o](AdminClient&, OutputFormat output) { return TestPolicies(*o, output); },
      [] { return true; }, [o](OutputFormat output) { return TestPolicies(*o, output); });
}

}  // namespace warden::wardenctl

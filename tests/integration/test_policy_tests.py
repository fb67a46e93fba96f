"""Policy tests: `tests:` in a policy file, `wardenctl policies test -f` (offline, the agent's own
decisions), and `policies apply` refusing a policy whose tests, or an applied policy's tests,
would fail. The shipped examples in deploy/policies pass theirs and reach every rule (CI runs
this file)."""
import json
import subprocess

import pytest

from warden_stack import BIN_DIR, SOURCE_DIR

EXAMPLES = sorted((SOURCE_DIR / "deploy" / "policies").glob("*.yaml"))


def policies_test(*args):
    """wardenctl policies test, offline: no control plane, no config."""
    return subprocess.run([str(BIN_DIR / "wardenctl"), "policies", "test", *args],
                          capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin"})


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_the_shipped_examples_pass_their_tests_and_reach_every_rule(example):
    res = policies_test("-f", str(example), "--require-all-rules")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "FAIL" not in res.stdout and "rules no test reaches" not in res.stdout
    report = json.loads(policies_test("-f", str(example), "-o", "json").stdout)
    assert report["results"] and all(r["passed"] for r in report["results"])
    assert report["unreached"] == []


def test_the_shipped_examples_pass_together_where_they_apply_together():
    # The quickstart applies demo-access and agents-guardrails side by side.
    res = policies_test("-f", str(SOURCE_DIR / "deploy/policies/demo-access.yaml"),
                        "-f", str(SOURCE_DIR / "deploy/policies/agents-guardrails.yaml"))
    assert res.returncode == 0, res.stdout + res.stderr


POLICY = """\
name: agent-rules
subjects:
  groups: [ai-agents]
connections: [demo]
default_action: allow
rules:
  - name: no-drop
    match: {commands: [DROP TABLE]}
    action: deny
    message: ask a DBA
  - name: deletes-need-approval
    match: {commands: [DELETE]}
    action: require_approval
masking:
  - name: emails
    columns: ["*.email"]
    strategy: redact
tests:
  - name: drop-refused
    statement: DROP TABLE orders
    expect: {action: deny, rule: no-drop}
  - name: emails-masked
    statement: SELECT id, email FROM customers
    expect: {action: allow, masked: [email]}
"""


def test_a_wrong_expectation_fails_showing_the_difference(tmp_path):
    wrong = POLICY + """\
  - name: delete-allowed
    statement: DELETE FROM orders WHERE id = 1
    expect: {action: allow}
  - name: names-masked
    statement: SELECT id, name, email FROM customers
    expect: {action: allow, masked: [name]}
"""
    f = tmp_path / "p.yaml"
    f.write_text(wrong)
    res = policies_test("-f", str(f))
    assert res.returncode == 7, res.stdout + res.stderr
    rows = {line.split()[1]: line for line in res.stdout.splitlines()[1:] if line.strip()}
    assert " pass " in rows["drop-refused"] and " pass " in rows["emails-masked"]
    assert ('FAIL    expected allow, got require_approval by policy "agent-rules" rule '
            '"deletes-need-approval"') in rows["delete-allowed"]
    assert "FAIL    expected masked [name], got [email]" in rows["names-masked"]
    assert "2 passed, 2 failed" in res.stdout
    assert "2 policy test(s) failed" in res.stderr
    report = json.loads(policies_test("-f", str(f), "-o", "json").stdout)
    assert [r["passed"] for r in report["results"]] == [True, True, False, False]


def test_rules_no_test_reaches_fail_only_when_required(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text(POLICY)
    res = policies_test("-f", str(f))
    assert res.returncode == 0, res.stderr
    assert "rules no test reaches: agent-rules/deletes-need-approval" in res.stdout
    res = policies_test("-f", str(f), "--require-all-rules")
    assert res.returncode == 7 and "--require-all-rules" in res.stderr


def test_bad_files_are_named(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text(POLICY.replace("expect: {action: deny, rule: no-drop}", "expect: {rule: no-drop}"))
    res = policies_test("-f", str(f))
    assert res.returncode == 7 and f"{f}:" in res.stderr and "action" in res.stderr
    f.write_text(POLICY.split("tests:")[0])
    res = policies_test("-f", str(f))
    assert res.returncode == 7 and "carry no tests" in res.stderr


def applied(s):
    """(policy name -> version, global version, edge-1's applied version)."""
    listed = json.loads(s.ctl("policies", "list", "-o", "json").stdout)
    agent, _ = s.agent("edge-1")
    return ({p["name"]: p["version"] for p in listed.get("policies", [])},
            listed.get("policy_version"), agent.get("applied_policy_version"))


def test_apply_refuses_a_policy_whose_tests_fail_and_nothing_changes(running_stack):
    s = running_stack
    assert s.apply_policy(POLICY, "good.yaml").returncode == 0
    from warden_stack import wait_until
    wait_until("agent current", lambda: s.agent_current("edge-1"))
    before = applied(s)
    # An edit that lets DROP through breaks the policy's own test.
    res = s.apply_policy(POLICY.replace("action: deny\n    message: ask a DBA",
                                        "action: allow"), "edited.yaml")
    assert res.returncode == 7, res.stderr
    assert "nothing applied: 1 policy test(s) would fail" in res.stderr
    assert ('policy agent-rules test drop-refused: expected deny rule "no-drop", got allow by '
            'policy "agent-rules" rule "no-drop"') in res.stderr
    # Another policy that would hold reads of customers changes what the applied policy's test
    # pinned: refused too, and the file given with it is not applied either.
    other = """\
name: customer-reads-reviewed
subjects:
  groups: [ai-agents]
connections: [demo]
default_action: allow
rules:
  - name: customers-need-approval
    match: {relations: [customers]}
    action: require_approval
"""
    unrelated = "name: unrelated\nsubjects: {groups: [x]}\nconnections: [demo]\n"
    (s.dir / "other.yaml").write_text(other)
    (s.dir / "unrelated.yaml").write_text(unrelated)
    res = s.ctl("policies", "apply", "-f", str(s.dir / "unrelated.yaml"), "-f",
                str(s.dir / "other.yaml"), check=False)
    assert res.returncode == 7, res.stdout + res.stderr
    assert ('policy agent-rules (applied) test emails-masked: expected allow, got require_approval '
            'by policy "customer-reads-reviewed" rule "customers-need-approval"') in res.stderr
    assert applied(s) == before
    assert s.agent_current("edge-1")
    # A passing edit applies as before.
    fixed = POLICY.replace("ask a DBA", "ask the DBA on call")
    res = s.apply_policy(fixed, "fixed.yaml")
    assert res.returncode == 0, res.stderr
    assert int(applied(s)[1]) == int(before[1]) + 1

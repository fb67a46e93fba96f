"""Every statement-policy decision is counted by policy, rule and action in the agent, reported
over its control stream, and shown by `wardenctl decisions list`."""
import json

import pytest

from warden_fixtures import GUARDRAILS
from warden_stack import wait_until

psycopg2 = pytest.importorskip("psycopg2")

POLICY = GUARDRAILS + """\
  - name: deletes-need-approval
    match:
      commands: [DELETE]
    action: require_approval
"""

# What the statements below must add up to: (policy, rule, action) -> count.
EXPECTED = {
    ("guardrails", "default", "ACTION_ALLOW"): 4,
    ("guardrails", "no-drop", "ACTION_DENY"): 3,
    ("guardrails", "no-unbounded-writes", "ACTION_DENY"): 1,
    ("guardrails", "deletes-need-approval", "ACTION_REQUIRE_APPROVAL"): 1,
}


@pytest.fixture
def guarded(data_path):
    """Only the guardrails policy applies, so every decision names it."""
    s = data_path
    assert s.apply_policy(POLICY, "guardrails.yaml").returncode == 0
    s.ctl("policies", "delete", "demo-access")
    wait_until("agent current", lambda: s.agent_current("edge-1"))
    return s


def run_statements(s):
    # autocommit: psycopg2 would otherwise send a BEGIN (one more decision) before each batch.
    conn = psycopg2.connect(s.gateway_dsn(s.token))
    conn.autocommit = True
    cur = conn.cursor()
    for _ in range(3):
        cur.execute("SELECT count(*) FROM customers")
        assert cur.fetchone() == (1000,)
    cur.execute("UPDATE orders SET status = 'shipped' WHERE id = 1")
    denied = [("DROP TABLE customers", "no-drop"), ("drop /* x */ table orders", "no-drop"),
              ("DROP TABLE IF EXISTS orders", "no-drop"),
              ("UPDATE customers SET email = 'leak@example.com'", "no-unbounded-writes"),
              ("DELETE FROM orders WHERE id = 2", "deletes-need-approval")]
    for sql, rule in denied:
        with pytest.raises(psycopg2.errors.InsufficientPrivilege) as err:
            cur.execute(sql)
        assert f'rule "{rule}"' in str(err.value)
    conn.close()


def decisions(s, *args):
    res = s.ctl("decisions", "list", "-o", "json", *args)
    return json.loads(res.stdout)


def counted(s):
    """The agent's rows as {(policy, rule, action): count}, or None before its first report."""
    agents = decisions(s, "--agent", "edge-1")["agents"]
    if not agents:
        return None
    return {(d["policy"], d["rule"], d["action"]): int(d["count"])
            for d in agents[0]["stats"]["decisions"]}


def test_decisions_are_counted_by_rule_and_action(guarded):
    s = guarded
    run_statements(s)
    wait_until("the agent to report the exact counts", lambda: counted(s) == EXPECTED)

    data = decisions(s)
    assert [a["agent"] for a in data["agents"]] == ["edge-1"]
    rows = data["agents"][0]["stats"]["decisions"]
    assert [int(r["count"]) for r in rows] == sorted((int(r["count"]) for r in rows),
                                                     reverse=True)  # most frequent first
    assert int(data["agents"][0]["stats"]["started_unix"]) > 0
    # Names and counts only: nothing of the statements themselves.
    assert "customers" not in json.dumps(data) and "leak@example.com" not in json.dumps(data)

    table = s.ctl("decisions", "list").stdout.splitlines()
    assert table[0].split() == ["AGENT", "POLICY", "RULE", "ACTION", "COUNT"]
    assert table[1].split() == ["edge-1", "guardrails", "default", "allow", "4"]
    assert ["edge-1", "guardrails", "no-drop", "deny", "3"] in [r.split() for r in table]
    assert ["edge-1", "guardrails", "deletes-need-approval", "require_approval", "1"] in \
        [r.split() for r in table]


def test_unknown_agent_is_not_found(guarded):
    res = guarded.ctl("decisions", "list", "--agent", "nope", check=False)
    assert res.returncode == 5, res.stderr
    assert 'agent "nope" not found' in res.stderr


def test_counts_return_after_a_controlplane_restart(guarded):
    s = guarded
    run_statements(s)
    wait_until("the first report", lambda: counted(s) == EXPECTED)
    s.kill("controlplane")
    s.start_controlplane()
    # The control plane keeps reports in memory; the agent reports again on its new stream,
    # and its counts are cumulative, so nothing is lost.
    wait_until("the agent to report again", lambda: counted(s) == EXPECTED, timeout=25)

"""Fixtures shared by the integration and compatibility suites."""
import json
import subprocess

import pytest

from warden_stack import Stack, wait_until


def pytest_configure(config):
    """Imported by the conftests, which is where pytest looks for it."""
    config.addinivalue_line("markers", "io_threads(n): run gateway and agent on n I/O threads")
    config.addinivalue_line("markers", "gateway_args(*flags): extra flags for the gateway")


@pytest.fixture
def stack(tmp_path, request):
    s = Stack(tmp_path)
    # @pytest.mark.io_threads(N): the gateway and the agent run their data path on N threads.
    marker = request.node.get_closest_marker("io_threads")
    if marker:
        s.io_threads = marker.args[0]
    marker = request.node.get_closest_marker("gateway_args")
    if marker:
        s.gateway_args = list(marker.args)
    yield s
    s.stop_all()


@pytest.fixture
def running_stack(stack):
    """Control plane, gateway and one connected agent named edge-1."""
    return start_running_stack(stack)


def start_running_stack(stack):
    stack.start_controlplane()
    stack.start_gateway()
    token = stack.create_agent("edge-1")
    stack.start_agent("edge-1", token)
    wait_until("agent edge-1 to connect", lambda: stack.agent_current("edge-1"))
    return stack


GRANT_DEMO = """\
name: demo-access
subjects:
  groups: [ai-agents]
connections: [demo]
default_action: allow
"""


# Guardrails for group ai-agents on connection demo: statement policy tests start from these.
GUARDRAILS = """\
name: guardrails
subjects:
  groups: [ai-agents]
connections: [demo]
default_action: allow
rules:
  - name: no-drop
    match:
      commands: [DROP TABLE, TRUNCATE TABLE]
    action: deny
    message: Dropping tables needs a ticket
  - name: no-unbounded-writes
    match:
      without_where: true
    action: deny
    message: Add a WHERE clause
"""


@pytest.fixture
def data_path(running_stack):
    """running_stack plus a real PostgreSQL registered as connection demo, its credential, a
    policy granting group ai-agents, and a token for identity claude in that group."""
    return start_data_path(running_stack)


def start_data_path(s):
    s.start_postgres()
    s.ctl("connections", "create", "demo", "--agent", "edge-1", "--host", "127.0.0.1",
          "--port", str(s.pg_port), "--database", "demo", "--tls-mode", "disable")
    s.ctl("credentials", "set", "demo", "--username", "app", "--password-stdin",
          input=s.pg_password)
    res = s.apply_policy(GRANT_DEMO, "grant.yaml")
    assert res.returncode == 0, res.stderr
    s.token = s.ctl("tokens", "create", "--identity", "claude", "--group", "ai-agents",
                    "--ttl", "1h").stdout.strip()
    wait_until("agent current", lambda: s.agent_current("edge-1"))
    return s


# Content detectors on every text value of every row: cards kept to their last 4 digits,
# emails redacted, SSNs nulled (test_masking.py, tests/bench/bench.py).
MASKING = """\
name: masking
subjects:
  groups: [ai-agents]
connections: [demo]
default_action: allow
masking:
  - name: cards
    detectors: [credit_card]
    strategy: partial
    keep_last: 4
  - name: emails
    detectors: [email]
    strategy: redact
  - name: ssns
    detectors: [us_ssn]
    strategy: "null"
"""


# Column masking (test_column_masking.py): names and SSNs are protected only by their column
# rules (no detector finds a name; the ssn rule has none), so they prove column lineage.
COLUMN_MASKING = """\
name: column-masking
subjects:
  groups: [ai-agents]
connections: [demo]
default_action: allow
masking:
  - name: names
    columns: [customers.name]
    strategy: redact
  - name: emails
    columns: ["*.email"]
    detectors: [email]
    strategy: redact
  - name: cards
    columns: [public.customers.card_number]
    detectors: [credit_card]
    strategy: partial
    keep_last: 4
  - name: ssns
    columns: [customers.ssn]
    strategy: "null"
"""


def demo_policy(rest):
    """A policy named demo-access for group ai-agents on connection demo, allowing by default,
    with `rest` (YAML: read_only, rules, ...) appended."""
    return ("name: demo-access\nsubjects:\n  groups: [ai-agents]\nconnections: [demo]\n"
            "default_action: allow\n" + rest)


def direct_value(s, sql):
    """Runs `sql` on the demo database directly (not through Warden): its first value, if any."""
    import psycopg2
    with psycopg2.connect(s.direct_dsn()) as conn:
        cur = conn.cursor()
        cur.execute(sql)
        return cur.fetchone()[0] if cur.description else None


def gateway_psql(s, sql):
    """psql -c `sql` through the gateway with the stack's token."""
    return subprocess.run(["psql", "-X", "-At", s.gateway_dsn(s.token), "-c", sql],
                          capture_output=True, text=True, timeout=60)


def apply_policy_and_wait(s, policy, filename):
    """Applies `policy` with wardenctl and waits until the agent enforces it."""
    res = s.apply_policy(policy, filename)
    assert res.returncode == 0, res.stderr
    wait_until("agent current", lambda: s.agent_current("edge-1"))


def add_read_only_connection(s, name="demo-ro"):
    """Connection `name` to the demo database created with --read-only, with its credential and
    a policy granting group ai-agents; returns once the agent enforces it."""
    s.ctl("connections", "create", name, "--agent", "edge-1", "--host", "127.0.0.1",
          "--port", str(s.pg_port), "--database", "demo", "--tls-mode", "disable", "--read-only")
    s.ctl("credentials", "set", name, "--username", "app", "--password-stdin",
          input=s.pg_password)
    grant = (f"name: {name}-access\nsubjects:\n  groups: [ai-agents]\nconnections: [{name}]\n"
             "default_action: allow\n")
    apply_policy_and_wait(s, grant, f"{name}.yaml")


def masked_counts(s):
    """{(policy, masking rule): values masked} the control plane reports for agent edge-1."""
    agents = json.loads(s.ctl("decisions", "list", "-o", "json", "--agent", "edge-1").stdout)
    if not agents["agents"]:
        return {}
    return {(m["policy"], m.get("masking_rule", m.get("maskingRule"))): int(m["values"])
            for m in agents["agents"][0]["stats"].get("masked", [])}


def notification(conn, channel, sql):
    """LISTENs on `channel` with the psycopg2 connection `conn` (autocommit), runs `sql`, and
    returns the first notification that arrives (channel, payload)."""
    cur = conn.cursor()
    cur.execute(f"LISTEN {channel}")
    cur.execute(sql)

    def notified():
        conn.poll()
        return bool(conn.notifies)
    wait_until("the notification", notified)
    note = conn.notifies.pop(0)
    return note.channel, note.payload


def reviewed_deletes(timeout_seconds=None, approvals_required=None):
    """A policy that holds group ai-agents' DELETEs on demo until an approver of group dba
    decides (test_approvals.py, test_approval_notifications.py, bench/approval_latency.py)."""
    text = """\
name: reviewed-deletes
subjects:
  groups: [ai-agents]
connections: [demo]
default_action: allow
rules:
  - name: deletes-need-approval
    match:
      commands: [DELETE]
    action: require_approval
    message: Deletes are reviewed by a DBA
approval:
  approver_groups: [dba]
"""
    if timeout_seconds is not None:
        text += f"  timeout_seconds: {timeout_seconds}\n"
    if approvals_required is not None:
        text += f"  approvals_required: {approvals_required}\n"
    return text

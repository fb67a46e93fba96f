"""Policy validation through wardenctl: bad documents are refused with a precise error and
nothing is stored."""
import json

from warden_stack import SOURCE_DIR

GOOD = """\
name: analysts
subjects:
  groups: [analysts]
connections: [demo]
rules:
  - name: reads
    match:
      classes: [read]
    action: allow
"""

BAD_ACTION = GOOD.replace("action: allow", "action: alow")
BAD_SYNTAX = "name: x\nsubjects: [unclosed\n"
UNKNOWN_KEY = GOOD.replace("rules:", "rulez:")


def policy_state(s):
    d = json.loads(s.ctl("policies", "list", "-o", "json").stdout)
    return int(d.get("policy_version", 0)), [p["name"] for p in d.get("policies", [])]


def test_malformed_policy_is_refused_and_nothing_stored(running_stack):
    s = running_stack
    before = policy_state(s)
    res = s.apply_policy(BAD_ACTION, "bad-action.yaml")
    assert res.returncode == 7, res.stderr
    assert "bad-action.yaml:9:13:" in res.stderr and "rules[0].action" in res.stderr
    assert "alow" in res.stderr
    res = s.apply_policy(BAD_SYNTAX, "bad-syntax.yaml")
    assert res.returncode == 7 and "bad-syntax.yaml:" in res.stderr
    res = s.apply_policy(UNKNOWN_KEY, "typo.yaml")
    assert res.returncode == 7 and "rulez" in res.stderr
    assert policy_state(s) == before


def test_policy_lifecycle(running_stack):
    s = running_stack
    res = s.apply_policy(GOOD, "analysts.yaml")
    assert res.returncode == 0 and "analysts" in res.stdout
    version, names = policy_state(s)
    assert names == ["analysts"]
    got = s.ctl("policies", "get", "analysts").stdout
    assert got == GOOD
    s.ctl("policies", "delete", "analysts")
    assert policy_state(s) == (version + 1, [])
    missing = s.ctl("policies", "get", "analysts", check=False)
    assert missing.returncode == 5 and "not found" in missing.stderr


def test_example_policies_apply(running_stack):
    s = running_stack
    files = sorted((SOURCE_DIR / "deploy" / "policies").glob("*.yaml"))
    assert len(files) >= 3
    for f in files:
        s.ctl("policies", "apply", "-f", str(f))
    assert len(policy_state(s)[1]) == len(files)


def test_connections_and_agents_cli(running_stack):
    s = running_stack
    s.ctl("connections", "create", "demo", "--agent", "edge-1", "--host", "127.0.0.1",
          "--port", "5432", "--database", "demo", "--tls-mode", "disable")
    dup = s.ctl("connections", "create", "demo", "--agent", "edge-1", "--host", "h",
                "--database", "d", check=False)
    assert dup.returncode == 6 and "already exists" in dup.stderr
    no_agent = s.ctl("connections", "create", "x", "--agent", "ghost", "--host", "h",
                     "--database", "d", check=False)
    assert no_agent.returncode == 5 and "agents create ghost" in no_agent.stderr
    conn = json.loads(s.ctl("connections", "get", "demo", "-o", "json").stdout)["connection"]
    assert conn["host"] == "127.0.0.1" and conn["tls_mode"] == "disable"
    assert conn["has_credential"] is False
    table = s.ctl("agents", "list").stdout
    assert "edge-1" in table and "connected" in table and "demo" in table
    busy = s.ctl("agents", "delete", "edge-1", check=False)
    assert busy.returncode == 7 and "connections delete" in busy.stderr
    s.ctl("connections", "delete", "demo")
    assert "demo" not in s.ctl("connections", "list").stdout

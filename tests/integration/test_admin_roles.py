"""Admin tokens with an identity, groups and roles: what each role may do through wardenctl."""
import json


def create(s, name, *flags):
    return json.loads(s.ctl("admin-tokens", "create", name, *flags, "-o", "json").stdout)


def test_roles_limit_what_a_token_may_do(stack):
    s = stack
    s.start_controlplane()
    auditor = create(s, "audit", "--identity", "carol", "--role", "auditor")
    approver = create(s, "alice", "--identity", "alice", "--group", "dba", "--role", "approver")

    listed = {t["name"]: t for t in
              json.loads(s.ctl("admin-tokens", "list", "-o", "json").stdout)["tokens"]}
    assert listed["bootstrap"]["roles"] == ["admin"]
    assert listed["alice"]["roles"] == ["approver"]
    assert listed["alice"]["identity"] == "alice" and listed["alice"]["groups"] == ["dba"]
    table = s.ctl("admin-tokens", "list").stdout
    assert "ROLES" in table and "approver" in table and "auditor" in table

    # An auditor reads, and changes nothing.
    assert s.ctl("connections", "list", "--token", auditor["token"]).returncode == 0
    assert s.ctl("policies", "list", "--token", auditor["token"]).returncode == 0
    res = s.ctl("connections", "create", "x", "--agent", "edge-1", "--host", "127.0.0.1",
                "--database", "app",
                "--token", auditor["token"], check=False)
    assert res.returncode == 3, res.stderr
    assert "has role auditor" in res.stderr and "needs role admin" in res.stderr
    # Admin tokens are an admin's business, even to list.
    assert s.ctl("admin-tokens", "list", "--token", auditor["token"], check=False).returncode == 3

    # An approver neither reads the configuration nor issues tokens.
    for args in (("connections", "list"), ("tokens", "create", "--identity", "x", "--group", "g"),
                 ("admin-tokens", "create", "eve", "--role", "admin")):
        res = s.ctl(*args, "--token", approver["token"], check=False)
        assert res.returncode == 3 and "has role approver" in res.stderr, (args, res.stderr)

    # An approver must say who they are; a role must be one wardenctl knows.
    res = s.ctl("admin-tokens", "create", "bob", "--role", "approver", check=False)
    assert res.returncode == 7 and "needs --identity" in res.stderr
    res = s.ctl("admin-tokens", "create", "bob", "--role", "superuser", check=False)
    assert res.returncode == 2

    # Approvers do not count as administrators: the bootstrap token is still the last admin.
    boot = listed["bootstrap"]["id"]
    res = s.ctl("admin-tokens", "revoke", boot, check=False)
    assert res.returncode == 7 and "last working one with role admin" in res.stderr
    # Secrets stay out of the log.
    log = s.log("controlplane")
    assert approver["token"] not in log and auditor["token"] not in log
    assert "with roles approver for alice" in log


def test_approvals_commands_check_roles_and_ids(stack):
    s = stack
    s.start_controlplane()
    auditor = create(s, "audit", "--identity", "carol", "--role", "auditor")
    approver = create(s, "alice", "--identity", "alice", "--group", "dba", "--role", "approver")
    # Every role reads the queue (empty here: no statement waits).
    for token in (auditor["token"], approver["token"]):
        res = s.ctl("approvals", "list", "--state", "pending", "--token", token)
        assert res.stdout.split() == ["ID", "STATE", "IDENTITY", "CONNECTION", "RULE",
                                      "APPROVALS", "WHEN", "STATEMENT"]
    assert json.loads(s.ctl("approvals", "list", "-o", "json").stdout) == {"requests": []}
    # Unknown ids are "not found" (5); deciding needs role approver (3); a denial needs a reason.
    res = s.ctl("approvals", "show", "apr_000000000000", check=False)
    assert res.returncode == 5 and "approvals list" in res.stderr
    res = s.ctl("approvals", "approve", "apr_000000000000", "--token", approver["token"],
                check=False)
    assert res.returncode == 5
    res = s.ctl("approvals", "approve", "apr_000000000000", "--token", auditor["token"],
                check=False)
    assert res.returncode == 3 and "needs role approver" in res.stderr
    res = s.ctl("approvals", "deny", "apr_000000000000", check=False)
    assert res.returncode == 2 and "--reason" in res.stderr
    res = s.ctl("approvals", "list", "--state", "maybe", check=False)
    assert res.returncode == 2
    res = s.ctl("approvals", "approve", "apr_000000000000", "--for", "soon",
                "--token", approver["token"], check=False)
    assert res.returncode == 2 and "--for" in res.stderr

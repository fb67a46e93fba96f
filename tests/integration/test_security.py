"""Secrets stay secret, and bad credentials are refused with clear errors."""
import sqlite3

from warden_stack import wait_until, write_secret

SECRET = "s3cr3t-Pa55word-that-must-never-leak"


def test_credential_secret_cannot_be_read_back(running_stack):
    s = running_stack
    s.ctl("connections", "create", "orders", "--agent", "edge-1", "--host", "127.0.0.1",
          "--port", "5432", "--database", "orders")
    res = s.ctl("credentials", "set", "orders", "--username", "app", "--password-stdin",
                input=SECRET + "\n")
    assert SECRET not in res.stdout + res.stderr
    for args in (["connections", "get", "orders", "-o", "json"],
                 ["connections", "get", "orders"],
                 ["connections", "list", "-o", "json"],
                 ["agents", "list", "-o", "json"]):
        out = s.ctl(*args)
        assert SECRET not in out.stdout + out.stderr, args
    shown = s.ctl("connections", "get", "orders", "-o", "json").stdout
    assert '"has_credential": true' in shown and '"app"' in shown
    # Not in the store's files in plain text (main file and WAL).
    for f in s.dir.glob("warden.db*"):
        assert SECRET.encode() not in f.read_bytes(), f
    # Nor in any log line.
    for name in ("controlplane", "gateway", "agent-edge-1"):
        assert SECRET not in s.log(name)
    # A secret is never a flag.
    bad = s.ctl("credentials", "set", "orders", "--username", "app", "--password", SECRET,
                check=False)
    assert bad.returncode != 0


def test_stored_credential_is_ciphertext_bound_to_its_size(running_stack):
    """The sealed blob is nonce + ciphertext + tag; tampering is covered by store_test.cc."""
    s = running_stack
    s.ctl("connections", "create", "billing", "--agent", "edge-1", "--host", "db", "--database",
          "billing")
    s.ctl("credentials", "set", "billing", "--username", "app", "--password-stdin", input=SECRET)
    db = sqlite3.connect(s.dir / "warden.db")
    (blob,) = db.execute("SELECT sealed FROM credentials").fetchone()
    assert SECRET.encode() not in blob and len(blob) == 12 + len(SECRET) + 16
    db.close()


def test_wrong_agent_token_is_refused(running_stack):
    s = running_stack
    bogus = s.dir / "bogus.token"
    write_secret(bogus, "wdnag_" + "x" * 43 + "\n")
    proc = s.start_agent("edge-1", bogus, proc_name="impostor")
    wait_until("the impostor agent to give up", lambda: proc.poll() is not None, timeout=15)
    assert proc.returncode == 3
    assert "agent token rejected" in s.log("impostor")
    # The real agent is unaffected.
    assert s.agent_current("edge-1")


def test_agent_token_of_another_agent_is_refused(running_stack):
    s = running_stack
    other = s.create_agent("edge-9")
    proc = s.start_agent("edge-1", other, proc_name="wrong-name")
    wait_until("the agent to give up", lambda: proc.poll() is not None, timeout=15)
    assert "belongs to agent \"edge-9\"" in s.log("wrong-name")


def test_missing_and_wrong_admin_token(running_stack):
    s = running_stack
    (s.dir / "notoken.yaml").write_text(
        f"server: {s.cp_addr}\nca_file: {s.dir / 'certs' / 'ca.crt'}\n")
    res = s.ctl("agents", "list", check=False, env={"WARDEN_CONFIG": str(s.dir / "notoken.yaml")})
    assert res.returncode == 2
    assert "no admin token" in res.stderr
    res = s.ctl("agents", "list", "--token", "wdnadm_wrong", check=False)
    assert res.returncode == 3
    assert "rejected" in res.stderr and "wdnadm_wrong" not in res.stderr
    # An access token is not an admin token.
    token = s.ctl("tokens", "create", "--identity", "claude", "--group", "ai-agents").stdout.strip()
    res = s.ctl("agents", "list", "--token", token, check=False)
    assert res.returncode == 3


def test_access_tokens_are_hashed_listed_and_revoked(running_stack):
    s = running_stack
    token = s.ctl("tokens", "create", "--identity", "claude", "--group", "ai-agents",
                  "--ttl", "30m").stdout.strip()
    assert token.startswith("wdn_") and len(token) == 4 + 43
    listed = s.ctl("tokens", "list", "-o", "json").stdout
    assert token not in listed
    import json
    toks = json.loads(listed)["tokens"]
    assert len(toks) == 1 and toks[0]["status"] == "active"
    s.ctl("tokens", "revoke", toks[0]["id"])
    toks = json.loads(s.ctl("tokens", "list", "-o", "json").stdout)["tokens"]
    assert toks[0]["status"] == "revoked"
    for f in s.dir.glob("warden.db*"):
        assert token.encode() not in f.read_bytes()

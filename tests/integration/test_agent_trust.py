"""Agents and gateways authenticate for real, through the running binaries: an agent proves an
enrolled identity key (the token it sends through the gateway is not enough), pins the control
plane's key, and each gateway has its own revocable, rotatable token."""
import json
import os
import stat
import subprocess
import time

import pytest

from pgraw import RawSession, errors, query
from warden_stack import BIN_DIR, wait_until, write_secret

psycopg2 = pytest.importorskip("psycopg2")


def agent_row(s, name):
    a, _ = s.agent(name)
    return a


def gave_up(s, proc, name):
    wait_until(f"{name} to give up", lambda: proc.poll() is not None, timeout=15)
    return proc.returncode, s.log(name)


def test_the_enrolled_key_is_required_and_another_is_refused(running_stack):
    s = running_stack
    key_file = s.dir / "edge-1.key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    enrolled = agent_row(s, "edge-1")
    assert enrolled["identity_key"] == s.identity_key(key_file)
    assert enrolled["identity_key_fingerprint"].startswith("SHA256:")
    table = s.ctl("agents", "list").stdout
    assert enrolled["identity_key_fingerprint"] in table

    # Same token, another machine's key (what a gateway that saw the token would try): refused,
    # and the real agent stays connected and current.
    proc = s.start_agent("edge-1", s.dir / "edge-1.token", proc_name="impostor",
                         identity_key_file=s.dir / "impostor.key")
    rc, log = gave_up(s, proc, "impostor")
    assert rc == 3 and "is enrolled" in log and "agents reset-key edge-1" in log, log[-800:]
    assert s.agent_current("edge-1")
    assert agent_row(s, "edge-1")["identity_key"] == enrolled["identity_key"]


def test_an_agent_refuses_a_control_plane_it_did_not_pin(running_stack):
    s = running_stack
    token = s.create_agent("edge-2")
    other = "ed25519:" + "A" * 43 + "="
    proc = s.start_agent("edge-2", token, proc_name="unpinned", controlplane_key=other)
    rc, log = gave_up(s, proc, "unpinned")
    assert rc == 3 and "is not the pinned --controlplane-key" in log, log[-800:]
    # It gave no proof and never applied a policy.
    row = agent_row(s, "edge-2")
    assert not row.get("connected") and not int(row.get("applied_policy_version", 0))


def test_enrolment_on_first_connection_only_when_asked_for(running_stack):
    s = running_stack
    res = s.ctl("agents", "create", "edge-4", check=False)
    assert res.returncode == 7 and "--trust-first-key" in res.stderr
    token = s.create_agent("edge-4", "--trust-first-key")
    assert not agent_row(s, "edge-4").get("identity_key")
    s.start_agent("edge-4", token)
    wait_until("edge-4 to connect", lambda: s.agent_current("edge-4"))
    assert agent_row(s, "edge-4")["identity_key"] == s.identity_key(s.dir / "edge-4.key")
    assert "as its creator allowed (--trust-first-key)" in s.log("controlplane")


def test_pre_enrolled_key_and_reset(running_stack):
    s = running_stack
    key = s.identity_key(s.dir / "edge-3.key")
    token = s.create_agent("edge-3", "--identity-key", key)
    assert agent_row(s, "edge-3")["identity_key"] == key
    # Before it ever connects, another key with its token is refused.
    proc = s.start_agent("edge-3", token, proc_name="early-impostor",
                         identity_key_file=s.dir / "other.key")
    rc, log = gave_up(s, proc, "early-impostor")
    assert rc == 3 and "is enrolled" in log
    s.start_agent("edge-3", token)
    wait_until("edge-3 to connect", lambda: s.agent_current("edge-3"))

    # A rebuilt host: reset to the new key; the old agent's stream ends at once and it is
    # refused from then on; the new one connects.
    new_key = s.identity_key(s.dir / "edge-3-new.key")
    out = s.ctl("agents", "reset-key", "edge-3", "--identity-key", new_key).stdout
    assert "enrolled" in out
    rc, log = gave_up(s, s.procs["agent-edge-3"], "agent-edge-3")
    assert rc == 3 and "is enrolled" in log
    s.procs.pop("agent-edge-3")
    s.start_agent("edge-3", token, proc_name="edge-3-new", identity_key_file=s.dir / "edge-3-new.key")
    wait_until("the rebuilt edge-3 to connect", lambda: s.agent_current("edge-3"))


def test_a_key_file_others_can_read_is_refused(running_stack):
    s = running_stack
    loose = s.dir / "loose.key"
    s.identity_key(loose)
    os.chmod(loose, 0o644)
    res = subprocess.run([str(BIN_DIR / "warden-agent"), "--identity-key-file", str(loose),
                          "--print-identity-key"], capture_output=True, text=True)
    assert res.returncode == 2 and "chmod 600" in res.stderr + res.stdout


def restart_gateway(s):
    """Restarts the gateway and waits for edge-1's new stream (the control plane may still list
    the old one as connected for a moment)."""
    before = s.log("agent-edge-1").count("registered as agent")
    s.kill("gateway")
    s.start_gateway()
    wait_until("edge-1 to register again",
               lambda: s.log("agent-edge-1").count("registered as agent") > before)


def gateway_session(s):
    raw = RawSession(s.pg_gateway_port, s.token, {"user": "x", "database": "demo"})
    return raw


def test_gateway_token_rotation_without_a_restart(data_path):
    s = data_path
    with psycopg2.connect(s.gateway_dsn(s.token)) as c:
        c.cursor().execute("SELECT 1")
    out = json.loads(s.ctl("gateways", "rotate", "gw-test", "--grace", "0", "-o", "json").stdout)
    assert out["gateway"]["tokens"] == 1
    # The gateway still holds the replaced token: new sessions are refused ...
    raw = gateway_session(s)
    assert raw.error is not None and "gateway" in raw.error.get("M", ""), raw.error
    # ... until the new token is in its file, which it reads again on its own.
    write_secret(s.gateway_token_file, out["token"] + "\n")
    started = time.monotonic()
    wait_until("the gateway to use its new token", lambda: gateway_session(s).error is None,
               timeout=10)
    print(f"new token in use {time.monotonic() - started:.2f} s after the file changed")
    assert "using the new token" in s.log("gateway")
    assert out["token"] not in s.log("gateway")
    listed = json.loads(s.ctl("gateways", "list", "-o", "json").stdout)["gateways"]
    assert [g["name"] for g in listed] == ["gw-test"]


def test_revoking_a_gateway_ends_what_it_carries(data_path):
    s = data_path
    raw = gateway_session(s)
    assert raw.error is None, raw.error
    raw.send(query("SELECT pg_sleep(30)"))
    started = time.monotonic()
    s.ctl("gateways", "revoke", "gw-test")
    with pytest.raises(ConnectionError) as e:
        raw.until_ready()
    errs = errors(e.value.messages)
    elapsed = time.monotonic() - started
    assert errs and errs[0]["C"] == "57P01" and "gateway" in errs[0]["M"], errs
    print(f"gateway revoked -> session ended in {elapsed * 1000:.0f} ms")
    assert elapsed < 1.0
    # Its agent stream is gone and nothing new is authorized through it.
    wait_until("the agent to drop off", lambda: not agent_row(s, "edge-1")["connected"])
    again = gateway_session(s)
    assert again.error is not None
    res = s.ctl("gateways", "revoke", "gw-test", check=False)
    assert res.returncode == 5 and "not found" in res.stderr


def test_agent_token_rotation_without_downtime(running_stack):
    s = running_stack
    out = json.loads(s.ctl("agents", "rotate-token", "edge-1", "--grace", "0", "-o",
                           "json").stdout)
    # The running stream stays up: the token is only read when a stream starts.
    assert s.agent_current("edge-1")
    write_secret(s.dir / "edge-1.token", out["token"] + "\n")
    # The next stream (the gateway restarts) starts with the new token, read from the file.
    restart_gateway(s)
    assert "changed: using the new token" in s.log("agent-edge-1")
    assert s.agent_current("edge-1")
    assert out["token"] not in s.log("agent-edge-1") + s.log("controlplane")


def test_admin_token_rotation(running_stack):
    s = running_stack
    new = json.loads(s.ctl("admin-tokens", "create", "ci", "-o", "json").stdout)
    listed = json.loads(s.ctl("admin-tokens", "list", "-o", "json").stdout)["tokens"]
    assert {t["name"] for t in listed} == {"bootstrap", "ci"}
    old_id = next(t["id"] for t in listed if t["name"] == "bootstrap")
    assert s.ctl("agents", "list", "--token", new["token"]).returncode == 0
    s.ctl("admin-tokens", "revoke", old_id, "--token", new["token"])
    res = s.ctl("agents", "list", check=False)  # the config still names the old token
    assert res.returncode == 3 and "revoked" in res.stderr
    last = s.ctl("admin-tokens", "revoke", new["info"]["id"], "--token", new["token"],
                 check=False)
    assert last.returncode == 7 and "last working one with role admin" in last.stderr
    assert new["token"] not in s.log("controlplane")


def test_tokens_need_tls_unless_the_listener_allows_clear_text(data_path):
    s = data_path
    s.allow_tokens_without_tls = False
    restart_gateway(s)
    # Loopback is no reason to accept a token in clear text.
    raw = gateway_session(s)
    assert raw.error is not None and raw.error["C"] == "28000"
    assert "requires TLS" in raw.error["M"]
    with psycopg2.connect(s.gateway_dsn(s.token, sslmode="require")) as c:
        cur = c.cursor()
        cur.execute("SELECT 1")
        assert cur.fetchone() == (1,)

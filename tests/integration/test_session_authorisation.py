"""A session never outlives its authorisation: revoking its token, the token
expiring, withdrawing the last policy that grants its identity the connection, or deleting the
connection ends the live sessions it opened within a second, with a FATAL naming the reason.
Sessions authorized otherwise go on."""
import json
import time

import pytest

from pgraw import RawSession, errors, query
from warden_fixtures import demo_policy, direct_value
from warden_stack import wait_until


def new_token(s, ttl="1h"):
    """A new token for claude in group ai-agents: (token, its id, when it expires)."""
    out = json.loads(s.ctl("tokens", "create", "--identity", "claude", "--group", "ai-agents",
                           "--ttl", ttl, "-o", "json").stdout)
    return out["token"], out["info"]["id"], int(out["info"]["expires_unix"])


def connect(s, token):
    raw = RawSession(s.pg_gateway_port, token, {"user": "x", "database": "demo"})
    assert raw.error is None, raw.error
    return raw


def backends(s):
    return direct_value(s, "SELECT count(*) FROM pg_stat_activity WHERE usename = 'app' "
                           "AND pid <> pg_backend_pid()")


def ended_with(raw, started, budget=1.0):
    """The FATAL the session gets unprompted, and that it came within `budget` seconds."""
    with pytest.raises(ConnectionError) as e:
        raw.until_ready()
    elapsed = time.monotonic() - started
    errs = errors(e.value.messages)
    assert len(errs) == 1 and errs[0]["S"] == "FATAL", e.value.messages
    print(f"{errs[0]['C']} {errs[0]['M']!r} after {elapsed * 1000:.0f} ms")
    assert elapsed < budget, elapsed
    return errs[0]


def ended_by(s, *wardenctl):
    """Opens a session with the stack's token, runs `wardenctl` and returns the FATAL it got."""
    raw = connect(s, s.token)
    try:
        started = time.monotonic()
        s.ctl(*wardenctl)
        return ended_with(raw, started)
    finally:
        raw.close()


def still_works(raw):
    raw.send(query("SELECT 1"))
    assert not errors(raw.until_ready())


def test_revoking_a_token_ends_its_sessions_only(data_path):
    s = data_path
    token, tid, _ = new_token(s)
    victim = connect(s, token)
    other = connect(s, s.token)
    try:
        victim.send(query("SELECT pg_sleep(30)"))
        wait_until("the statement to run", lambda: backends(s) >= 2)
        before = backends(s)
        started = time.monotonic()
        s.ctl("tokens", "revoke", tid)
        fatal = ended_with(victim, started)
        assert fatal["C"] == "28000"
        # The reason, but not the token's id: whoever holds the connection may not see it.
        assert "the access token of this session was revoked" in fatal["M"]
        assert tid not in fatal["M"]
        wait_until("the backend to end", lambda: backends(s) == before - 1, timeout=2)
        still_works(other)
    finally:
        victim.close()
        other.close()


def test_an_expiring_token_ends_its_session(data_path):
    s = data_path
    token, tid, expires = new_token(s, ttl="3s")
    raw = connect(s, token)
    try:
        still_works(raw)
        # The token is checked to the second: allow the second it expires in, plus one.
        with pytest.raises(ConnectionError) as e:
            raw.until_ready()
        after = time.time() - expires
        errs = errors(e.value.messages)
        assert errs and errs[0]["C"] == "28000", errs
        assert "access token of this session expired" in errs[0]["M"] and tid not in errs[0]["M"]
        print(f"ended {after:.2f} s after the expiry second began")
        assert after < 2.0, after
    finally:
        raw.close()


def test_the_agent_ends_a_session_at_its_token_expiry_by_itself(data_path):
    """With the control plane down (or a gateway dropping its end), the agent still ends the
    session when the token expires: the expiry came to it inside the signed credential."""
    s = data_path
    token, _, expires = new_token(s, ttl="4s")
    raw = connect(s, token)
    try:
        still_works(raw)
        s.kill("controlplane")
        with pytest.raises(ConnectionError) as e:
            raw.until_ready()
        after = time.time() - expires
        errs = errors(e.value.messages)
        assert errs and errs[0]["C"] == "28000", errs
        assert "access token of this session expired" in errs[0]["M"]
        print(f"control plane down: ended {after:.2f} s after the expiry second began")
        assert after < 2.0, after
        assert "the client's access token expired" in s.log("agent-edge-1")
    finally:
        raw.close()
        s.start_controlplane()


def test_withdrawing_the_last_policy_ends_the_session(data_path):
    s = data_path
    # A second policy for another group keeps nothing alive for claude's group.
    s.apply_policy(demo_policy("").replace("demo-access", "others").replace("ai-agents", "ops"),
                   "others.yaml")
    fatal = ended_by(s, "policies", "delete", "demo-access")
    assert fatal["C"] == "28000"
    assert fatal["M"] == 'no policy grants identity "claude" access to connection "demo" any more'


def test_a_policy_change_that_still_grants_keeps_the_session(data_path):
    s = data_path
    raw = connect(s, s.token)
    try:
        res = s.apply_policy(demo_policy("read_only: true\n"), "grant.yaml")
        assert res.returncode == 0, res.stderr
        wait_until("agent current", lambda: s.agent_current("edge-1"))
        still_works(raw)
    finally:
        raw.close()


def test_deleting_the_connection_ends_its_sessions(data_path):
    s = data_path
    fatal = ended_by(s, "connections", "delete", "demo")
    assert fatal["C"] == "57P01" and fatal["M"] == 'connection "demo" was deleted'
    wait_until("the backend to end", lambda: backends(s) == 0, timeout=2)

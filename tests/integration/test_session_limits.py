"""Limits after authentication: one identity's live sessions on a connection are
capped (wardenctl connections create --max-sessions-per-identity, default 64), so one identity
or one token cannot take every database connection; the session past the cap is refused with
53300 naming the limit, other identities are not affected, and closing a session frees its
place."""
import json
import time

import psycopg2

from pgraw import RawSession
from warden_fixtures import apply_policy_and_wait, demo_policy
from warden_stack import wait_until


def capped(s, limit):
    s.ctl("connections", "create", "capped", "--agent", "edge-1", "--host", "127.0.0.1",
          "--port", str(s.pg_port), "--database", "demo", "--tls-mode", "disable",
          "--max-sessions-per-identity", str(limit))
    s.ctl("credentials", "set", "capped", "--username", "app", "--password-stdin",
          input=s.pg_password)
    apply_policy_and_wait(s, demo_policy("").replace("[demo]", "[demo, capped]"), "grant.yaml")


def session(s, token):
    return RawSession(s.pg_gateway_port, token, {"user": "x", "database": "capped"})


def test_one_identity_cannot_take_every_session(data_path):
    s = data_path
    capped(s, 2)
    shown = s.ctl("connections", "get", "capped").stdout
    assert "max-sessions-per-identity: 2" in shown.replace("  ", " "), shown
    held = [session(s, s.token), session(s, s.token)]
    try:
        assert all(r.error is None for r in held), [r.error for r in held]
        third = session(s, s.token)
        assert third.error is not None
        assert third.error["C"] == "53300", third.error
        assert ('identity "claude" already has 2 sessions on connection "capped", its limit'
                in third.error["M"]), third.error
        # Another identity has its own share.
        bob = json.loads(s.ctl("tokens", "create", "--identity", "bob", "--group", "ai-agents",
                               "-o", "json").stdout)["token"]
        other = session(s, bob)
        assert other.error is None, other.error
        other.close()
        # Closing a session frees its place (once its gateway reports it gone).
        held.pop().close()
        wait_until("a place to free up", lambda: session(s, s.token).error is None, timeout=10)
    finally:
        for r in held:
            r.close()


def test_a_statement_past_the_size_limit_is_refused_before_it_is_parsed(data_path):
    s = data_path
    conn = psycopg2.connect(s.gateway_dsn(s.token))
    conn.autocommit = True
    try:
        cur = conn.cursor()
        fits = "SELECT length('" + "x" * 900_000 + "')"
        started = time.monotonic()
        cur.execute(fits)
        assert cur.fetchone()[0] == 900_000
        print(f"a 900 KB statement took {(time.monotonic() - started) * 1000:.0f} ms")
        too_big = "SELECT length('" + "x" * 1_500_000 + "')"
        started = time.monotonic()
        try:
            cur.execute(too_big)
            raise AssertionError("a 1.5 MB statement ran")
        except psycopg2.Error as e:
            assert e.pgcode == "42501", e
            assert 'rule "statement-size": the statement is 1500017 bytes' in str(e), e
        print(f"a 1.5 MB statement was refused in {(time.monotonic() - started) * 1000:.0f} ms")
        cur.execute("SELECT 1")  # the session goes on
        assert cur.fetchone()[0] == 1
    finally:
        conn.close()

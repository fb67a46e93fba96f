"""wardenctl sessions kill: a live session ends within a second in every query state (a long
statement, a COPY streaming in either direction, idle); its client gets FATAL 57P01 with the
reason, its database backend goes away, and other sessions are untouched. An unknown id exits
5."""
import json
import time

import pytest

from pgraw import RawSession, errors, message, query
from warden_fixtures import direct_value
from warden_stack import wait_until

psycopg2 = pytest.importorskip("psycopg2")


def live_ids(s):
    return {x["session_id"] for x in
            json.loads(s.ctl("sessions", "list", "-o", "json").stdout).get("sessions", [])}


def open_session(s, known):
    """A raw wire session through the gateway and its id, once a gateway reports it."""
    raw = RawSession(s.pg_gateway_port, s.token, {"user": "x", "database": "demo"})
    assert raw.error is None, raw.error
    new = wait_until("the new session to be reported", lambda: live_ids(s) - known)
    assert len(new) == 1, new
    return raw, new.pop()


def backends_sleeping(s):
    return direct_value(s, "SELECT count(*) FROM pg_stat_activity "
                           "WHERE query = 'SELECT pg_sleep(30)'")


def fatal_after(raw):
    """The messages the session gets until the gateway closes it: the FATAL's fields."""
    with pytest.raises(ConnectionError) as e:
        raw.until_ready()
    errs = errors(e.value.messages)
    assert len(errs) == 1, (len(e.value.messages), e.value.messages[-3:])
    return errs[0]


def test_kill_ends_a_session_inside_a_long_statement(data_path):
    s = data_path
    victim, victim_id = open_session(s, live_ids(s))
    bystander = psycopg2.connect(s.gateway_dsn(s.token))
    try:
        victim.send(query("SELECT pg_sleep(30)"))
        wait_until("the statement to run in the database", lambda: backends_sleeping(s) == 1)
        started = time.monotonic()
        res = s.ctl("sessions", "kill", victim_id, "--reason", "runaway query")
        assert f"session {victim_id} (claude on demo) ended" in res.stdout, res.stdout
        fatal = fatal_after(victim)
        elapsed = time.monotonic() - started
        assert fatal["S"] == "FATAL" and fatal["C"] == "57P01", fatal
        assert fatal["M"] == "terminating connection due to administrator command: runaway query"
        print(f"kill -> FATAL at the client in {elapsed * 1000:.0f} ms")
        assert elapsed < 1.0, elapsed
        # The database backend is gone (its statement was cancelled, its connection closed).
        wait_until("the backend to end", lambda: backends_sleeping(s) == 0, timeout=2)
        assert victim_id not in live_ids(s)
        # Another session of the same identity goes on.
        cur = bystander.cursor()
        cur.execute("SELECT 1")
        assert cur.fetchone()[0] == 1
    finally:
        victim.close()
        bystander.close()


def backends_copying(s):
    return direct_value(s, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY %'")


def kill_within_a_second(s, victim, victim_id):
    started = time.monotonic()
    s.ctl("sessions", "kill", victim_id, "--reason", "runaway copy")
    fatal = fatal_after(victim)
    elapsed = time.monotonic() - started
    assert fatal["C"] == "57P01", fatal
    assert fatal["M"] == "terminating connection due to administrator command: runaway copy"
    print(f"kill during COPY -> FATAL at the client in {elapsed * 1000:.0f} ms")
    assert elapsed < 1.0, elapsed
    wait_until("the backend to end", lambda: backends_copying(s) == 0, timeout=2)
    assert victim_id not in live_ids(s)


def test_kill_ends_a_session_during_copy_in(data_path):
    s = data_path
    direct_value(s, "CREATE TABLE IF NOT EXISTS kill_copy_in (n int)")
    victim, victim_id = open_session(s, live_ids(s))
    try:
        victim.send(query("COPY kill_copy_in FROM STDIN"))
        tag, _ = victim.read()
        assert tag == b"G", tag  # CopyInResponse: the client now streams rows
        victim.send(b"".join(message(b"d", f"{i}\n".encode()) for i in range(1000)))
        wait_until("the COPY to run in the database", lambda: backends_copying(s) == 1)
        kill_within_a_second(s, victim, victim_id)
        # The COPY never finished: none of its rows are in the table.
        assert direct_value(s, "SELECT count(*) FROM kill_copy_in") == 0
    finally:
        victim.close()


def test_kill_ends_a_session_during_copy_out(data_path):
    s = data_path
    victim, victim_id = open_session(s, live_ids(s))
    try:
        victim.send(query("COPY (SELECT g, pg_sleep(0.001) FROM generate_series(1, 1000000) g) "
                          "TO STDOUT"))
        tag, _ = victim.read()
        assert tag == b"H", tag  # CopyOutResponse
        tag, _ = victim.read()
        assert tag == b"d", tag  # rows are streaming
        kill_within_a_second(s, victim, victim_id)
    finally:
        victim.close()


def test_kill_of_an_idle_session_and_json_output(data_path):
    s = data_path
    raw, sid = open_session(s, live_ids(s))
    try:
        out = json.loads(s.ctl("sessions", "kill", sid, "-o", "json").stdout)
        assert out["session"]["session_id"] == sid and out["session"]["identity"] == "claude"
        fatal = fatal_after(raw)  # arrives unprompted
        assert fatal["C"] == "57P01"
        assert fatal["M"] == "terminating connection due to administrator command"
    finally:
        raw.close()
    res = s.ctl("sessions", "kill", sid, check=False)  # already over
    assert res.returncode == 5, res


def test_kill_of_an_unknown_session_exits_5(data_path):
    res = data_path.ctl("sessions", "kill", "ses_nosuchsession", check=False)
    assert res.returncode == 5, res
    assert 'no live session "ses_nosuchsession"' in res.stderr
    assert "sessions list" in res.stderr

"""The agent reads every statement as the database will: settings that change how PostgreSQL
lexes text (standard_conforming_strings, client_encoding) cannot be changed through Warden, and a
database that reports another value ends the session. Each test proves the smuggled statement
did not run (table counts) or the setting held."""
import subprocess

import pytest

from pgraw import RawSession, errors, query
from warden_fixtures import add_read_only_connection, apply_policy_and_wait, demo_policy

psycopg2 = pytest.importorskip("psycopg2")

# Everything is allowed except deletes: a smuggled DELETE that ran would be a bypass.
NO_DELETES = demo_policy("""\
rules:
  - name: no-deletes
    match:
      commands: [DELETE]
    action: deny
    message: Deleting needs a ticket
""")

SMUGGLE_SCS = "SELECT 'x\\' -- ' ; DELETE FROM orders WHERE id < 100; SELECT 'gone'"


@pytest.fixture
def guarded(data_path):
    apply_policy_and_wait(data_path, NO_DELETES, "no-deletes.yaml")
    return data_path


def orders(s):
    with psycopg2.connect(s.direct_dsn()) as conn:
        cur = conn.cursor()
        cur.execute("SELECT count(*) FROM orders")
        return cur.fetchone()[0]


def psql(s, *commands, dsn=None):
    args = ["psql", "-X", "-At", dsn or s.gateway_dsn(s.token)]
    for c in commands:
        args += ["-c", c]
    return subprocess.run(args, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("name,value", [
    ("standard_conforming_strings", "off"),
    ("Standard_Conforming_Strings", "0"),
    ("client_encoding", "SJIS"),
    ("client_encoding", "win950"),
    ("client_encoding", "GBK"),
])
def test_startup_parameters_that_change_lexing_are_refused(guarded, name, value):
    s = guarded
    raw = RawSession(s.pg_gateway_port, s.token, {"user": "x", "database": "demo", name: value})
    assert raw.error is not None, f"{name}={value} was accepted"
    assert raw.error["S"] == "FATAL" and name.lower() in raw.error["M"], raw.error
    raw.close()


def test_libpq_client_encoding_sjis_is_refused_with_the_setting_named(guarded):
    s = guarded
    with pytest.raises(psycopg2.OperationalError) as err:
        psycopg2.connect(s.gateway_dsn(s.token) + " client_encoding=SJIS")
    assert "client_encoding" in str(err.value)
    # A safe encoding works, and non-ASCII text reads as it should.
    conn = psycopg2.connect(s.gateway_dsn(s.token) + " client_encoding=LATIN1")
    cur = conn.cursor()
    cur.execute("SELECT 'caf\u00e9', current_setting('client_encoding')")
    assert cur.fetchone() == ("caf\u00e9", "LATIN1")
    conn.close()


@pytest.mark.parametrize("change", [
    "SET standard_conforming_strings = off",
    "SET SESSION standard_conforming_strings TO false",
    "SET LOCAL standard_conforming_strings = 'no'",
    "SELECT set_config('standard_conforming_strings', 'off', false)",
    "SELECT count(*) FROM customers WHERE set_config('standard_conforming_strings', 'of', false) "
    "IS NOT NULL",
    "SET client_encoding = 'SJIS'",
    "SET NAMES 'big5'",
    "SELECT set_config('client_encoding', 'GBK', false)",
    "ALTER ROLE app SET standard_conforming_strings = off",
])
def test_statements_that_change_lexing_are_refused_and_the_smuggle_fails(guarded, change):
    s = guarded
    before = orders(s)
    res = psql(s, change, SMUGGLE_SCS, "SHOW standard_conforming_strings",
               "SHOW client_encoding")
    assert 'rule "parser-settings"' in res.stderr, res.stderr
    # The smuggled text is a string and a comment to the database too: nothing deleted.
    assert res.stdout.split()[-2:] == ["on", "UTF8"], res.stdout
    assert orders(s) == before


def test_sjis_smuggle_finds_a_utf8_session(guarded):
    s = guarded
    before = orders(s)
    res = psql(s, "SET client_encoding = 'SJIS'")
    assert 'rule "parser-settings"' in res.stderr
    raw = RawSession(s.pg_gateway_port, s.token, {"user": "x", "database": "demo"})
    raw.send(query(b"SELECT E'\x95\\'; DELETE FROM orders WHERE id < 100; SELECT 1 --'"))
    errs = errors(raw.until_ready())
    assert errs and errs[0]["C"] == "22021", errs  # not UTF-8: the database refuses the text
    raw.close()
    assert orders(s) == before


def test_reset_and_discard_return_to_the_pinned_values(guarded):
    s = guarded
    res = psql(s, "SET client_encoding = 'LATIN1'", "RESET ALL", "DISCARD ALL",
               "SHOW standard_conforming_strings", "SHOW client_encoding")
    assert res.returncode == 0, res.stderr
    assert res.stdout.split()[-2:] == ["on", "UTF8"]


def test_a_role_default_cannot_turn_it_off_for_warden_sessions(guarded):
    s = guarded
    with psycopg2.connect(s.direct_dsn()) as conn:
        conn.cursor().execute("ALTER ROLE app SET standard_conforming_strings = off")
    try:
        res = psql(s, "SHOW standard_conforming_strings", SMUGGLE_SCS)
        assert res.stdout.split()[0] == "on", res
    finally:
        with psycopg2.connect(s.direct_dsn()) as conn:
            conn.cursor().execute("ALTER ROLE app RESET standard_conforming_strings")


def test_a_computed_setting_name_that_turns_it_off_ends_the_session(guarded):
    s = guarded
    before = orders(s)
    res = psql(s, "SELECT set_config(lower('STANDARD_CONFORMING_STRINGS'), 'off', false)",
               SMUGGLE_SCS)
    assert res.returncode != 0
    assert "FATAL" in res.stderr and "standard_conforming_strings=off" in res.stderr, res.stderr
    assert orders(s) == before


def test_a_change_made_out_of_sight_ends_the_session_and_the_pipelined_smuggle_is_refused(guarded):
    """A DO block (code the agent cannot see into) turns standard_conforming_strings off; the
    smuggle is pipelined behind it, before the database could report the change."""
    s = guarded
    before = orders(s)
    raw = RawSession(s.pg_gateway_port, s.token, {"user": "x", "database": "demo"})
    assert raw.error is None, raw.error
    change = ("DO $$BEGIN PERFORM set_config('standard_conforming_' || 'strings', 'off', false); "
              "END$$")
    raw.send(query(change) + query(SMUGGLE_SCS))
    got = []
    try:
        for _ in range(2):  # both answered would mean the session went on
            got += raw.until_ready()
    except ConnectionError as ended:
        got += ended.messages
    fatal = [e for e in errors(got) if e.get("S") == "FATAL"]
    assert fatal and "standard_conforming_strings=off" in fatal[0]["M"], errors(got)
    raw.close()
    assert orders(s) == before


def test_read_only_connection_locks_hold_against_the_smuggle(guarded):
    s = guarded
    add_read_only_connection(s)
    before = orders(s)
    res = psql(s, "SELECT set_config('standard_conforming_strings', 'off', false)",
               "SELECT 'x\\' -- '; SET default_transaction_read_only = off; "
               "DELETE FROM orders WHERE id < 100; SELECT 'gone'",
               "SHOW default_transaction_read_only",
               dsn=s.gateway_dsn(s.token, connection="demo-ro"))
    assert 'rule "parser-settings"' in res.stderr, res.stderr
    assert res.stdout.split()[-1] == "on"
    assert orders(s) == before


def test_explain_analyze_given_twice_is_decided_by_the_last(guarded):
    s = guarded
    before = orders(s)
    res = psql(s, "EXPLAIN (ANALYZE false, ANALYZE true) DELETE FROM orders WHERE id < 100")
    assert 'rule "no-deletes"' in res.stderr, res.stderr
    res = psql(s, "EXPLAIN (ANALYZE true, ANALYZE false) DELETE FROM orders WHERE id < 100")
    assert res.returncode == 0 and "Delete on orders" in res.stdout, res.stderr
    assert orders(s) == before


def test_a_rejected_re_prepare_does_not_rebind_the_name(data_path):
    s = data_path  # everything allowed at first
    before = orders(s)
    conn = psycopg2.connect(s.gateway_dsn(s.token))
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("PREPARE p AS DELETE FROM orders WHERE id < 100")
    apply_policy_and_wait(s, NO_DELETES, "no-deletes.yaml")
    with pytest.raises(psycopg2.errors.DuplicatePreparedStatement):
        cur.execute("PREPARE p AS SELECT 1")
    with pytest.raises(psycopg2.errors.InsufficientPrivilege) as err:
        cur.execute("EXECUTE p")
    assert 'rule "no-deletes"' in str(err.value)
    conn.close()
    assert orders(s) == before

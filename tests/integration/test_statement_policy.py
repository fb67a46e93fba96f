"""Statement policy in the agent: denied statements never reach the database, the client gets
the rule's message, and the same connection keeps working."""
import os
import subprocess

import pytest

from warden_fixtures import GUARDRAILS, add_read_only_connection
from warden_stack import wait_until

psycopg = pytest.importorskip("psycopg")
psycopg2 = pytest.importorskip("psycopg2")


@pytest.fixture
def guarded(data_path):
    s = data_path
    res = s.apply_policy(GUARDRAILS, "guardrails.yaml")
    assert res.returncode == 0, res.stderr
    wait_until("agent current", lambda: s.agent_current("edge-1"))
    return s


def counts(s):
    with psycopg2.connect(s.direct_dsn()) as conn:
        cur = conn.cursor()
        cur.execute("SELECT (SELECT count(*) FROM customers), (SELECT count(*) FROM orders)")
        return cur.fetchone()


def psql(s, *commands):
    args = ["psql", "-X", "-At", s.gateway_dsn(s.token)]
    for c in commands:
        args += ["-c", c]
    return subprocess.run(args, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("sql", [
    "DROP TABLE customers",
    "/* just a comment */ dRoP   TaBlE customers",
    "SELECT 1; DROP TABLE customers",
    "TRUNCATE orders",
    "DELETE FROM orders",
    "WITH gone AS (DELETE FROM orders RETURNING 1) SELECT count(*) FROM gone",
    "UPDATE customers SET email = 'x'",
    "EXPLAIN ANALYZE DELETE FROM orders",
    "PREPARE wipe AS DELETE FROM orders",
])
def test_psql_denied_statements_never_reach_the_database(guarded, sql):
    s = guarded
    before = counts(s)
    res = psql(s, sql, "SELECT count(*) FROM customers")
    assert "denied by policy \"guardrails\"" in res.stderr, res.stderr
    assert res.stdout.strip().splitlines()[-1] == "1000"  # the session is still usable
    assert counts(s) == before


def test_psql_messages_name_the_rule(guarded):
    res = psql(guarded, "DROP TABLE customers")
    assert ('denied by policy "guardrails" rule "no-drop": Dropping tables needs a ticket'
            in res.stderr)
    res = psql(guarded, "DELETE FROM orders")
    assert 'rule "no-unbounded-writes": Add a WHERE clause' in res.stderr


def test_allowed_writes_still_work(guarded):
    s = guarded
    res = psql(s, "UPDATE orders SET status = 'shipped' WHERE id = 1 RETURNING id")
    assert res.returncode == 0 and res.stdout.strip().splitlines()[0] == "1", res.stderr


def test_psycopg3_extended_protocol_denial_and_recovery(guarded):
    s = guarded
    before = counts(s)
    with psycopg.connect(s.gateway_dsn(s.token), prepare_threshold=0, autocommit=True) as conn:
        # Parameters go through Parse/Bind: the decision is made at Parse, on the parse tree.
        with pytest.raises(psycopg.errors.InsufficientPrivilege) as err:
            conn.execute("UPDATE customers SET email = %s", ("leaked@example.com",))
        assert 'rule "no-unbounded-writes"' in str(err.value)
        with pytest.raises(psycopg.errors.InsufficientPrivilege) as err:
            conn.execute("DROP TABLE customers")
        assert 'rule "no-drop"' in str(err.value)
        assert conn.execute("SELECT count(*) FROM orders WHERE id > %s", (0,)).fetchone() == \
            (before[1],)
    assert counts(s) == before


def test_denial_inside_a_transaction_aborts_it_as_postgres_would(guarded):
    s = guarded
    with psycopg.connect(s.gateway_dsn(s.token)) as conn:
        conn.execute("SELECT 1")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("TRUNCATE orders")
        with pytest.raises(psycopg.errors.InFailedSqlTransaction):
            conn.execute("SELECT 1")
        conn.rollback()
        assert conn.execute("SELECT count(*) FROM customers").fetchone() == (1000,)


def test_pgbench_workload_has_no_false_positives(guarded):
    s = guarded
    # pgbench -i drops and creates tables (which this policy denies): set up directly, then run
    # pgbench's own workload through Warden (-n: its vacuum/truncate step is admin work too).
    init = subprocess.run(["pgbench", "-i", "-s", "1", "-q", "-h", "127.0.0.1", "-p",
                           str(s.pg_port), "-U", "app", "demo"], capture_output=True, text=True,
                          env={**os.environ, "PGPASSWORD": s.pg_password}, timeout=300)
    assert init.returncode == 0, init.stderr
    env = {**os.environ, "PGPASSWORD": s.token}
    base = ["pgbench", "-h", "127.0.0.1", "-p", str(s.pg_gateway_port), "-U", "x"]
    for mode in ("simple", "extended", "prepared"):
        res = subprocess.run(base + ["-n", "-M", mode, "-c", "2", "-t", "50", "demo"],
                             capture_output=True, text=True, env=env, timeout=300)
        assert res.returncode == 0, res.stderr
        assert "number of failed transactions: 0" in res.stdout


def test_read_only_connection_has_two_locks(data_path):
    s = data_path
    add_read_only_connection(s)
    before = counts(s)
    dsn = s.gateway_dsn(s.token, connection="demo-ro")

    def run(*commands):
        args = ["psql", "-X", "-At", dsn]
        for c in commands:
            args += ["-c", c]
        return subprocess.run(args, capture_output=True, text=True, timeout=60)
    # Lock 1, the agent's policy check: writes and attempts to lift the lock are refused.
    for sql in ("DELETE FROM orders WHERE id = 1", "BEGIN READ WRITE",
                "SET default_transaction_read_only = off", "CREATE TABLE t (v int)"):
        res = run(sql)
        assert 'denied by policy "connection:demo-ro" rule "read-only"' in res.stderr, (sql, res)
    # Lock 2, the database's own: the session started read-only.
    res = run("SHOW default_transaction_read_only", "SELECT count(*) FROM customers")
    assert res.returncode == 0 and res.stdout.split() == ["on", "1000"], res.stderr
    assert counts(s) == before

"""A user's own function is judged by the database's volatility: a SELECT
that calls a VOLATILE function, directly, through an operator, a view or a row-security
policy, may write, so a read-only subject cannot run it. Each denial is proved by the rows
still being there; STABLE functions and built-ins still read."""
import pytest

from warden_fixtures import apply_policy_and_wait, demo_policy, direct_value as direct
from warden_fixtures import gateway_psql as psql

psycopg2 = pytest.importorskip("psycopg2")

READ_ONLY = demo_policy("read_only: true\n")

# DDL allowed, data changes not: a function this session creates is unknown until the agent
# has read the catalog again.
NO_WRITES = demo_policy("""\
rules:
  - name: no-writes
    match:
      classes: [write]
    action: deny
""")

SETUP = """
DROP VIEW IF EXISTS uf_view2, uf_view;
DROP TABLE IF EXISTS uf_log, uf_rls;
DROP OPERATOR IF EXISTS ### (int, int);
DROP SCHEMA IF EXISTS uf CASCADE;
CREATE TABLE uf_log (id int);
INSERT INTO uf_log SELECT generate_series(1, 5);
CREATE OR REPLACE FUNCTION uf_purge() RETURNS int LANGUAGE sql VOLATILE
  AS 'DELETE FROM uf_log; SELECT 1';
CREATE OR REPLACE FUNCTION uf_count() RETURNS int LANGUAGE sql STABLE
  AS 'SELECT count(*)::int FROM uf_log';
CREATE OR REPLACE FUNCTION uf_op(int, int) RETURNS int LANGUAGE sql VOLATILE
  AS 'DELETE FROM uf_log; SELECT $1 + $2';
CREATE OPERATOR ### (LEFTARG = int, RIGHTARG = int, FUNCTION = uf_op);
CREATE SCHEMA uf;
CREATE FUNCTION uf.purge2() RETURNS int LANGUAGE sql AS 'DELETE FROM uf_log; SELECT 2';
CREATE VIEW uf_view AS SELECT uf_purge() AS n;
CREATE VIEW uf_view2 AS SELECT n FROM uf_view;
CREATE TABLE uf_rls (x int);
INSERT INTO uf_rls VALUES (1);
ALTER TABLE uf_rls ENABLE ROW LEVEL SECURITY;
ALTER TABLE uf_rls FORCE ROW LEVEL SECURITY;
CREATE POLICY uf_rls_all ON uf_rls USING (uf_purge() > 0);
"""


def logged(s):
    return direct(s, "SELECT count(*) FROM uf_log")


@pytest.fixture
def functions(data_path):
    direct(data_path, SETUP)
    apply_policy_and_wait(data_path, READ_ONLY, "read-only.yaml")
    return data_path


@pytest.mark.parametrize("sql, why", [
    ("SELECT uf_purge()", "uf_purge(), which the database declares VOLATILE"),
    ("SELECT public.uf_purge()", "public.uf_purge(), which the database declares VOLATILE"),
    ("SELECT * FROM uf_purge()", "VOLATILE"),
    ("SELECT count(*) FROM uf_log WHERE uf_purge() > 0", "VOLATILE"),
    ("SELECT uf.purge2()", "uf.purge2(), which the database declares VOLATILE"),
    ("SELECT 1 ### 2", "operator ###"),
    ("SELECT 1 OPERATOR(public.###) 2", "operator public.###"),
    ("SELECT * FROM uf_view", "it reads uf_view"),
    ("SELECT * FROM uf_view2", "it reads uf_view2"),
    ("SELECT * FROM uf_rls", "it reads uf_rls"),
    ("SELECT uf_nowhere()", "not a built-in"),
])
def test_volatile_user_functions_are_writes_for_read_only_subjects(functions, sql, why):
    s = functions
    res = psql(s, sql)
    assert 'rule "read-only"' in res.stderr and why in res.stderr, res
    assert logged(s) == 5


def test_stable_user_functions_and_builtins_still_read(functions):
    res = psql(functions, "SELECT uf_count(), public.uf_count(), lower('X'), "
                          "pg_catalog.upper('y'), length(md5('z'))")
    assert res.returncode == 0 and res.stdout.strip() == "5|5|x|Y|32", res.stderr


def test_plain_explain_of_a_volatile_call_is_a_read(functions):
    res = psql(functions, "EXPLAIN SELECT uf_purge()")
    assert res.returncode == 0 and "Result" in res.stdout, res.stderr
    res = psql(functions, "EXPLAIN ANALYZE SELECT uf_purge()")
    assert 'rule "read-only"' in res.stderr, res
    assert logged(functions) == 5


def test_a_function_created_after_the_session_started_is_unknown(functions):
    s = functions
    conn = psycopg2.connect(s.gateway_dsn(s.token))
    try:
        conn.autocommit = True
        cur = conn.cursor()
        cur.execute("SELECT uf_count()")
        assert cur.fetchone()[0] == 5
        direct(s, "CREATE OR REPLACE FUNCTION uf_late() RETURNS int LANGUAGE sql STABLE "
                  "AS 'SELECT 7'")
        with pytest.raises(psycopg2.Error) as e:
            cur.execute("SELECT uf_late()")
        assert "not in the database's catalog" in str(e.value), e.value
        assert e.value.pgcode == "42501"
    finally:
        conn.close()
        direct(s, "DROP FUNCTION IF EXISTS uf_late()")


def test_own_ddl_is_seen_after_the_agent_reads_the_catalog_again(functions):
    s = functions
    apply_policy_and_wait(s, NO_WRITES, "no-writes.yaml")
    conn = psycopg2.connect(s.gateway_dsn(s.token))
    try:
        conn.autocommit = True
        cur = conn.cursor()
        cur.execute("CREATE FUNCTION uf_mine() RETURNS int LANGUAGE sql STABLE AS 'SELECT 8'")
        cur.execute("CREATE FUNCTION uf_mine_v() RETURNS int LANGUAGE sql VOLATILE "
                    "AS 'DELETE FROM uf_log; SELECT 9'")
        # Decided before the agent has read the catalog again: unknown, so a possible write.
        with pytest.raises(psycopg2.Error) as e:
            cur.execute("SELECT uf_mine()")
        assert 'rule "no-writes"' in str(e.value) and "changed it since" in str(e.value)
        # The reload went ahead of that statement: now the catalog knows both.
        cur.execute("SELECT uf_mine()")
        assert cur.fetchone()[0] == 8
        with pytest.raises(psycopg2.Error) as e:
            cur.execute("SELECT uf_mine_v()")
        assert "uf_mine_v(), which the database declares VOLATILE" in str(e.value)
        # CREATE OR REPLACE makes the stable one volatile: stale again, never trusted stale.
        cur.execute("CREATE OR REPLACE FUNCTION uf_mine() RETURNS int LANGUAGE sql VOLATILE "
                    "AS 'DELETE FROM uf_log; SELECT 10'")
        for _ in range(2):
            with pytest.raises(psycopg2.Error):
                cur.execute("SELECT uf_mine()")
    finally:
        conn.close()
        direct(s, "DROP FUNCTION IF EXISTS uf_mine(); DROP FUNCTION IF EXISTS uf_mine_v()")
    assert logged(s) == 5

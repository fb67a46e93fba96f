"""pgbench, JDBC and node-postgres through Warden, each checked on its results."""
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
JDBC_JAR = Path("/usr/share/java/postgresql.jar")


def pgbench(s, *args):
    env = {**os.environ, "PGPASSWORD": s.token}
    return subprocess.run(["pgbench", "-h", "127.0.0.1", "-p", str(s.pg_gateway_port), "-U", "x",
                           *args, "demo"], capture_output=True, text=True, env=env, timeout=300)


def pgbench_runs(s, modes, clients, per_client, *extra):
    """pgbench -i, then a run per mode: every transaction must go through."""
    init = pgbench(s, "-i", "-s", "1", "-q")  # COPY FROM STDIN through the tunnel
    assert init.returncode == 0, init.stderr
    total = clients * per_client
    for mode in modes:
        for more in extra or ([],):
            res = pgbench(s, "-M", mode, "-c", str(clients), "-j", "2", "-t", str(per_client),
                          *more)
            assert res.returncode == 0, res.stderr
            assert f"number of transactions actually processed: {total}/{total}" in res.stdout, \
                res.stdout
            assert "number of failed transactions: 0" in res.stdout


def test_pgbench_all_query_modes(data_path):
    s = data_path
    pgbench_runs(s, ("simple", "extended", "prepared"), 4, 100, ["-S"], [])
    import psycopg2
    with psycopg2.connect(s.direct_dsn()) as conn:
        cur = conn.cursor()
        cur.execute("SELECT count(*) FROM pgbench_accounts")
        assert cur.fetchone()[0] == 100000
        cur.execute("SELECT count(*) FROM pgbench_history")
        # pgbench truncates the history before each run (its vacuum step, which also went
        # through Warden): the last run's read-write transactions left one row each.
        assert cur.fetchone()[0] == 400


@pytest.mark.io_threads(2)
def test_pgbench_on_two_io_threads(data_path):
    """With two I/O threads in gateway and agent, each session runs on a strand: concurrent
    read-write clients in both protocols must still see every transaction through."""
    s = data_path
    pgbench_runs(s, ("simple", "extended"), 8, 150)
    import psycopg2
    with psycopg2.connect(s.direct_dsn()) as conn:
        cur = conn.cursor()
        cur.execute("SELECT count(*) FROM pgbench_history")
        assert cur.fetchone()[0] == 1200  # the last run's (pgbench truncates it first)
        # Each transaction adds its delta to an account, a teller and a branch: none was lost
        # or applied twice.
        cur.execute("SELECT (SELECT sum(abalance) FROM pgbench_accounts), "
                    "(SELECT sum(tbalance) FROM pgbench_tellers), "
                    "(SELECT sum(bbalance) FROM pgbench_branches)")
        a, t, b = cur.fetchone()
        assert a == t == b


@pytest.mark.skipif(not JDBC_JAR.exists() or not shutil.which("java"), reason="no JDBC/java")
def test_jdbc_prepared_and_batch(data_path):
    s = data_path
    res = subprocess.run(
        ["java", "-cp", str(JDBC_JAR), str(HERE / "jdbc" / "WardenJdbcCheck.java"),
         f"jdbc:postgresql://127.0.0.1:{s.pg_gateway_port}/demo?sslmode=disable&prepareThreshold=1",
         s.token], capture_output=True, text=True, timeout=180)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.strip().splitlines()[-1] == "OK 1000 customers, 500 batched, 20 prepared"


@pytest.mark.skipif(not shutil.which("npm"), reason="no node/npm")
def test_node_pg(data_path):
    s = data_path
    node_dir = HERE / "node"
    if not (node_dir / "node_modules" / "pg").exists():
        inst = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent"],
                              cwd=node_dir, capture_output=True, text=True, timeout=300)
        assert inst.returncode == 0, inst.stderr
    env = {**os.environ, "PGHOST": "127.0.0.1", "PGPORT": str(s.pg_gateway_port),
           "PGDATABASE": "demo", "PGUSER": "x", "PGPASSWORD": s.token}
    res = subprocess.run(["node", "check.js"], cwd=node_dir, capture_output=True, text=True,
                         env=env, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    assert re.search(r"^OK rows=1000 emails=1000 params=7$", res.stdout, re.M), res.stdout


@pytest.mark.skipif(not JDBC_JAR.exists() or not shutil.which("java"), reason="no JDBC/java")
def test_jdbc_denials_arrive_as_42501_and_the_connection_survives(data_path):
    s = data_path
    guard = ("name: guardrails\nsubjects:\n  groups: [ai-agents]\nconnections: [demo]\n"
             "default_action: allow\nrules:\n  - name: no-drop\n    match:\n"
             "      commands: [DROP TABLE]\n    action: deny\n    message: Needs a ticket\n"
             "  - name: no-unbounded-writes\n    match:\n      without_where: true\n"
             "    action: deny\n")
    assert s.apply_policy(guard, "guard.yaml").returncode == 0
    from warden_stack import wait_until
    wait_until("agent current", lambda: s.agent_current("edge-1"))
    res = subprocess.run(
        ["java", "-cp", str(JDBC_JAR), str(HERE / "jdbc" / "WardenJdbcPolicyCheck.java"),
         f"jdbc:postgresql://127.0.0.1:{s.pg_gateway_port}/demo?sslmode=disable&prepareThreshold=1",
         s.token], capture_output=True, text=True, timeout=180)
    assert res.returncode == 0, res.stdout + res.stderr
    lines = dict(line.split(": ", 1) for line in res.stdout.strip().splitlines())
    assert lines["DROP"].startswith("42501 ") and 'rule "no-drop": Needs a ticket' in lines["DROP"]
    assert lines["UPDATE"].startswith("42501 ") and "no-unbounded-writes" in lines["UPDATE"]
    assert lines["COUNT"] == "1000"


@pytest.mark.skipif(not JDBC_JAR.exists() or not shutil.which("java"), reason="no JDBC/java")
def test_jdbc_waits_for_approval_then_gets_its_row_count_or_the_denial(data_path):
    s = data_path
    from warden_fixtures import reviewed_deletes
    from warden_stack import wait_until
    assert s.apply_policy(reviewed_deletes(), "held.yaml").returncode == 0
    wait_until("agent current", lambda: s.agent_current("edge-1"))
    alice = json.loads(s.ctl("admin-tokens", "create", "alice", "--identity", "alice", "--group",
                             "dba", "--role", "approver", "-o", "json").stdout)["token"]

    def pending():
        return json.loads(s.ctl("approvals", "list", "--state", "pending", "-o",
                                "json").stdout)["requests"]

    java = subprocess.Popen(
        ["java", "-cp", str(JDBC_JAR), str(HERE / "jdbc" / "WardenJdbcApprovalCheck.java"),
         f"jdbc:postgresql://127.0.0.1:{s.pg_gateway_port}/demo?sslmode=disable&prepareThreshold=1",
         s.token], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_until("the first DELETE held", lambda: len(pending()) == 1, timeout=60)
        first = pending()[0]
        assert first["statement"] == "DELETE FROM orders WHERE id = $1"
        assert first["parameters"] == ["7"]
        # Planned on the session's connection with the bound value (a named statement here).
        assert first["estimate"]["statements"][0]["node"] == "Delete", first["estimate"]
        s.ctl("approvals", "approve", first["id"], "--token", alice)
        wait_until("the second DELETE held",
                   lambda: [r["id"] for r in pending()] not in ([], [first["id"]]), timeout=30)
        second = pending()[0]
        assert second["parameters"] == ["8"]
        assert second["estimate"]["statements"][0]["rows"] == 1, second["estimate"]
        s.ctl("approvals", "deny", second["id"], "--reason", "keep order 8", "--token", alice)
        out, err = java.communicate(timeout=60)
    finally:
        if java.poll() is None:
            java.kill()
            java.wait()
    assert java.returncode == 0, out + err
    lines = dict(line.split(": ", 1) for line in out.strip().splitlines())
    assert lines["FIRST"] == "1"
    assert lines["SECOND"].startswith("42501 ") and "denied by alice: keep order 8" in lines["SECOND"]
    assert lines["LEFT"] == "1"

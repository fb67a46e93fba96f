"""Real clients reach a real PostgreSQL through gateway and agent, holding only a Warden token."""
import os
import subprocess
import threading
import time

import pytest

from warden_stack import wait_until

psycopg2 = pytest.importorskip("psycopg2")
psycopg = pytest.importorskip("psycopg")


def psql(s, dsn, *args, input=None, env=None):
    return subprocess.run(["psql", "-X", "-v", "ON_ERROR_STOP=1", "-At", dsn, *args],
                          capture_output=True, text=True, input=input, timeout=60,
                          env={**os.environ, **(env or {})})


def test_psql_reads_through_warden(data_path):
    s = data_path
    res = psql(s, s.gateway_dsn(s.token), "-c", "SELECT count(*), current_user FROM customers")
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "1000|app"  # the database user comes from the credential
    assert s.pg_password not in res.stdout + res.stderr


@pytest.mark.parametrize("sslmode", ["require", "verify-full"])
def test_psql_over_tls(data_path, sslmode):
    s = data_path
    dsn = (f"host=localhost port={s.pg_gateway_port} dbname=demo user=x password={s.token} "
           f"sslmode={sslmode} sslrootcert={s.dir / 'certs' / 'ca.crt'}")
    res = psql(s, dsn, "-c", "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
               "-c", "SELECT 42")
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["f", "42"]  # TLS to the gateway; the agent's hop is plain here


def test_refusals_name_the_reason(data_path):
    s = data_path
    bad = psql(s, s.gateway_dsn("wdn_not-a-token"), "-c", "SELECT 1")
    assert bad.returncode != 0 and "Warden token rejected" in bad.stderr
    unknown = psql(s, s.gateway_dsn(s.token, connection="nope"), "-c", "SELECT 1")
    assert unknown.returncode != 0 and 'connection "nope" not found' in unknown.stderr
    outsider = s.ctl("tokens", "create", "--identity", "mallory").stdout.strip()
    denied = psql(s, s.gateway_dsn(outsider), "-c", "SELECT 1")
    assert denied.returncode != 0 and "no policy grants" in denied.stderr
    tok = s.ctl("tokens", "list", "--identity", "claude", "-o", "json").stdout
    import json
    s.ctl("tokens", "revoke", json.loads(tok)["tokens"][0]["id"])
    revoked = psql(s, s.gateway_dsn(s.token), "-c", "SELECT 1")
    assert revoked.returncode != 0 and "revoked" in revoked.stderr


def test_psql_copy_both_ways(data_path, tmp_path):
    s = data_path
    out = tmp_path / "orders.csv"
    res = psql(s, s.gateway_dsn(s.token), "-c",
               f"\\copy (SELECT id, amount FROM orders ORDER BY id) TO '{out}' CSV")
    assert res.returncode == 0, res.stderr
    lines = out.read_text().splitlines()
    assert len(lines) == 5000 and lines[0].startswith("1,")
    res = psql(s, s.gateway_dsn(s.token), "-c", "CREATE TABLE copied (id int, amount numeric)",
               "-c", f"\\copy copied FROM '{out}' CSV", "-c", "SELECT count(*), sum(amount) = "
               "(SELECT sum(amount) FROM orders) FROM copied")
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip().splitlines()[-1] == "5000|t"


def test_psycopg2_transactions_and_notify(data_path):
    s = data_path
    conn = psycopg2.connect(s.gateway_dsn(s.token))
    cur = conn.cursor()
    cur.execute("CREATE TABLE t (v int)")
    cur.execute("INSERT INTO t VALUES (1)")
    conn.rollback()
    cur.execute("SELECT to_regclass('t') IS NULL")
    assert cur.fetchone() == (True,)
    conn.commit()
    conn.autocommit = True
    cur.execute("LISTEN warden_test")
    other = psycopg2.connect(s.gateway_dsn(s.token))
    other.autocommit = True
    other.cursor().execute("NOTIFY warden_test, 'hello'")
    wait_until("the notification", lambda: conn.poll() or conn.notifies, timeout=10)
    assert conn.notifies[0].payload == "hello"
    assert conn.server_version >= 150000
    conn.close()
    other.close()


def test_psycopg3_extended_protocol_binary_and_prepared(data_path):
    s = data_path
    with psycopg.connect(s.gateway_dsn(s.token), prepare_threshold=0) as conn:
        with conn.cursor(binary=True) as cur:
            for i in (1, 2, 3):
                cur.execute("SELECT id, email, %s::int FROM customers WHERE id = %s", (i, i))
                assert cur.fetchone() == (i, f"customer{i}@example.com", i)
        rows = conn.execute("SELECT generate_series(1, 100000)").fetchall()
        assert len(rows) == 100000 and rows[-1] == (100000,)
        with conn.cursor() as cur:
            cur.executemany("SELECT %s", [(i,) for i in range(50)])
        with conn.pipeline():
            cur = conn.execute("SELECT 1")
            cur2 = conn.execute("SELECT 2")
        assert cur.fetchone() == (1,) and cur2.fetchone() == (2,)


def test_cancel_reaches_the_right_backend(data_path):
    s = data_path
    conn = psycopg2.connect(s.gateway_dsn(s.token))
    cur = conn.cursor()
    timer = threading.Timer(0.5, conn.cancel)
    timer.start()
    started = time.monotonic()
    with pytest.raises(psycopg2.errors.QueryCanceled):
        cur.execute("SELECT pg_sleep(30)")
    assert time.monotonic() - started < 10
    conn.rollback()
    cur.execute("SELECT 1")  # the session stays usable
    assert cur.fetchone() == (1,)
    conn.close()


def test_database_going_away_gives_an_error_not_a_hang(data_path):
    s = data_path
    conn = psycopg2.connect(s.gateway_dsn(s.token))
    cur = conn.cursor()
    cur.execute("SELECT pg_backend_pid()")
    pid = cur.fetchone()[0]
    admin = psycopg2.connect(s.direct_dsn())
    admin.autocommit = True
    admin.cursor().execute("SELECT pg_terminate_backend(%s)", (pid,))
    with pytest.raises(psycopg2.OperationalError):
        cur.execute("SELECT 1")
    admin.close()


def test_client_disconnect_closes_the_server_side(data_path):
    s = data_path
    admin = psycopg2.connect(s.direct_dsn())
    admin.autocommit = True
    count = ("SELECT count(*) FROM pg_stat_activity WHERE usename = 'app' AND "
             "pid <> pg_backend_pid()")
    acur = admin.cursor()
    conn = psycopg2.connect(s.gateway_dsn(s.token))
    acur.execute(count)
    assert acur.fetchone()[0] == 1
    conn.close()

    def gone():
        acur.execute(count)
        return acur.fetchone()[0] == 0
    wait_until("the server side to close", gone, timeout=10)
    admin.close()


def test_garbage_from_one_client_leaves_others_running(data_path):
    import socket
    s = data_path
    with socket.create_connection(("127.0.0.1", s.pg_gateway_port)) as sock:
        sock.sendall(b"\x00\x00\x00\x08\x00\x00\x00\x00")  # version 0.0
        data = sock.recv(1000)
        assert data[:1] == b"E" and b"08P01" in data
    with socket.create_connection(("127.0.0.1", s.pg_gateway_port)) as sock:
        sock.sendall(b"\xff" * 64)
        assert sock.recv(1000)[:1] in (b"E", b"")
    res = psql(s, s.gateway_dsn(s.token), "-c", "SELECT 1")
    assert res.returncode == 0 and res.stdout.strip() == "1"


def test_startup_settings_reach_the_database(data_path):
    """options=-c ... and parameters of their own reach the database once the agent allowed
    them (this policy allows everything); nothing is dropped silently."""
    s = data_path
    dsn = (s.gateway_dsn(s.token) + " application_name=warden-test "
           "options='-c default_transaction_read_only=on -c search_path=evil'")
    conn = psycopg2.connect(dsn)
    cur = conn.cursor()
    cur.execute("SELECT current_setting('application_name'), "
                "current_setting('default_transaction_read_only'), current_setting('search_path')")
    assert cur.fetchone() == ("warden-test", "on", "evil")
    conn.close()


def test_sessions_list_shows_live_sessions(data_path):
    import json
    s = data_path

    def sessions():
        return json.loads(s.ctl("sessions", "list", "-o", "json").stdout).get("sessions", [])
    conn = psycopg2.connect(s.gateway_dsn(s.token))
    cur = conn.cursor()
    cur.execute("SELECT email FROM customers")
    assert len(cur.fetchall()) == 1000
    live = wait_until("the session to be reported",
                      lambda: [x for x in sessions() if int(x.get("bytes_out", 0)) > 30000])
    assert len(live) == 1
    x = live[0]
    assert (x["identity"], x["connection"], x["agent"], x["gateway"]) == \
        ("claude", "demo", "edge-1", "gw-test")
    assert x["client_address"].startswith("127.0.0.1:") and int(x["bytes_in"]) > 0
    table = s.ctl("sessions", "list").stdout
    assert x["session_id"] in table and "claude" in table
    conn.close()
    wait_until("the session to go", lambda: not sessions(), timeout=10)

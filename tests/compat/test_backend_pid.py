"""The backend process id a driver reports (from BackendKeyData) is the database backend's own,
as pg_backend_pid() returns it, so applications that recognise their own notifications work;
cancelling through the gateway still reaches the right backend."""
import shutil
import subprocess
import threading
import time

import pytest

psycopg2 = pytest.importorskip("psycopg2")


def test_psycopg2_pid_is_the_backend_pid_and_own_notifications_are_recognised(data_path):
    s = data_path
    conn = psycopg2.connect(s.gateway_dsn(s.token))
    conn.autocommit = True
    other = psycopg2.connect(s.gateway_dsn(s.token))
    try:
        cur = conn.cursor()
        cur.execute("SELECT pg_backend_pid()")
        backend_pid = cur.fetchone()[0]
        assert conn.get_backend_pid() == backend_pid
        # A second session of the same database has another backend, and says so.
        ocur = other.cursor()
        ocur.execute("SELECT pg_backend_pid()")
        assert other.get_backend_pid() == ocur.fetchone()[0] != backend_pid
        cur.execute("LISTEN warden_pid")
        cur.execute("NOTIFY warden_pid, 'mine'")
        conn.poll()
        assert [(n.pid, n.payload) for n in conn.notifies] == [(backend_pid, "mine")]
        assert conn.notifies[0].pid == conn.get_backend_pid()  # "my own notification"
        # The secret key is the gateway's, and a cancel still reaches this backend.
        ocur.execute("SELECT 1")
        started = time.monotonic()
        threading.Timer(0.5, other.cancel).start()
        with pytest.raises(psycopg2.errors.QueryCanceled):
            ocur.execute("SELECT pg_sleep(20)")
        assert time.monotonic() - started < 10
    finally:
        conn.close()
        other.close()


@pytest.mark.skipif(not shutil.which("ruby"), reason="no ruby")
def test_ruby_pg_pid_is_the_backend_pid(data_path):
    s = data_path
    script = """
require "pg"
c = PG.connect(host: "127.0.0.1", port: ARGV[0].to_i, dbname: "demo", user: "x",
               password: ARGV[1], sslmode: "require")
puts "#{c.backend_pid} #{c.exec("SELECT pg_backend_pid()").getvalue(0, 0)}"
c.close
"""
    res = subprocess.run(["ruby", "-e", script, str(s.pg_gateway_port), s.token],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    reported, actual = res.stdout.split()
    assert reported == actual and int(actual) > 0


@pytest.mark.skipif(not shutil.which("php"), reason="no php")
def test_php_pdo_pid_is_the_backend_pid(data_path):
    s = data_path
    script = """
$pdo = new PDO("pgsql:host=127.0.0.1;port={$argv[1]};dbname=demo;sslmode=require", "x", $argv[2],
               [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION]);
echo $pdo->pgsqlGetPid(), " ", $pdo->query("SELECT pg_backend_pid()")->fetchColumn(), "\\n";
"""
    res = subprocess.run(["php", "-r", script, str(s.pg_gateway_port), s.token],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr
    reported, actual = res.stdout.split()
    assert reported == actual and int(actual) > 0

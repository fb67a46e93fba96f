"""The clients bench.py measures with: pgbench, psql and psycopg2 against a target (PostgreSQL,
PgBouncer, the relay floor or Warden), and the resident memory of the processes serving them.
"""
import os
import re
import subprocess
import time
from collections import namedtuple
from pathlib import Path

# Where pgbench connects: PgBouncer and Warden are asked for TLS from the client (both are
# configured for it, as a real deployment would be); PostgreSQL itself and the relay floor speak
# plain TCP (the floor's relays cannot answer PostgreSQL's SSLRequest).
Target = namedtuple("Target", "port password sslmode")
PgbenchRun = namedtuple("PgbenchRun", "tps latency_ms transactions")


def client_env(password, sslmode=None):
    env = {**os.environ, "PGPASSWORD": password}
    if sslmode:
        env["PGSSLMODE"] = sslmode
    return env


def pgbench(target, *args, seconds):
    res = subprocess.run(["pgbench", "-h", "127.0.0.1", "-p", str(target.port), "-U", "app",
                          "-T", str(seconds), "-n", *args, "demo"],
                         capture_output=True, text=True,
                         env=client_env(target.password, target.sslmode), timeout=seconds * 3 + 60)
    if res.returncode != 0:
        raise RuntimeError(res.stderr)
    return PgbenchRun(
        tps=float(re.search(r"tps = ([\d.]+)", res.stdout).group(1)),
        latency_ms=float(re.search(r"latency average = ([\d.]+) ms", res.stdout).group(1)),
        transactions=int(re.search(r"number of transactions actually processed: (\d+)",
                                   res.stdout).group(1)))


def client_tls(target):
    """What TLS a libpq client gets from `target` with the sslmode the benchmark uses, as psql's
    \\conninfo says it (so the report shows the comparison is like for like)."""
    res = subprocess.run(["psql", "-X", "-h", "127.0.0.1", "-p", str(target.port), "-U", "app",
                          "-d", "demo", "-c", r"\conninfo"], capture_output=True, text=True,
                         env=client_env(target.password, target.sslmode), timeout=60)
    m = re.search(r"SSL connection \(protocol: ([^,]+), cipher: ([^,]+),", res.stdout)
    return f"{m.group(1)} {m.group(2)}" if m else "none"


def timed_read(port, password, sql, sslmode=None):
    t = time.monotonic()
    with open(os.devnull, "wb") as null:
        subprocess.run(["psql", "-X", "-q", "-h", "127.0.0.1", "-p", str(port), "-U", "app",
                        "-d", "demo", "-c", sql], stdout=null, check=True,
                       env=client_env(password, sslmode), timeout=600)
    return time.monotonic() - t


def per_query_ms(s, token, sql, n=300):
    """Milliseconds per run of `sql` through Warden on one warm connection, and its rows."""
    import psycopg2
    conn = psycopg2.connect(s.gateway_dsn(token))
    cur = conn.cursor()
    cur.execute(sql)
    cur.fetchall()
    t = time.perf_counter()
    for _ in range(n):
        cur.execute(sql)
        rows = cur.fetchall()
    conn.close()
    return (time.perf_counter() - t) / n * 1000, rows


def rss_kb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def hold_idle_sessions(s, token, n, pids):
    """Opens n sessions through Warden, each running one query, and returns how many did both,
    the first error if any did not, and the resident memory (KB) of each of `pids` while all
    are held. The sessions are closed before it returns."""
    import psycopg2
    conns, served, first_error = [], 0, None
    try:
        for _ in range(n):
            try:
                conns.append(psycopg2.connect(s.gateway_dsn(token)))
                conns[-1].cursor().execute("SELECT 1")
                served += 1
            except psycopg2.Error as e:
                first_error = first_error or str(e).strip()
        return served, first_error, [rss_kb(p) for p in pids]
    finally:
        for c in conns:
            c.close()

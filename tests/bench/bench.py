#!/usr/bin/env python3
"""Warden data-path benchmark: direct PostgreSQL vs PgBouncer (session mode) vs Warden
(gateway + agent), measured in the same run on the same PostgreSQL. Prints ratios; absolute
numbers on a shared 2-core machine are noise, ratios within one run are the signal.

Beside them it measures the floor of Warden's shape on this machine: two relay_floor processes
chained (tests/bench/relay_floor.cc), which move bytes and do nothing else, without and with TLS
on the link between them. No gateway-plus-agent design can beat that chain, so warden/floor says
how much of the gap to PgBouncer is Warden's own work and how much the extra hop.

Usage: /usr/bin/python3 tests/bench/bench.py [--seconds N] [--rounds N] [--sessions N]
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "integration"))
from warden_stack import BIN_DIR, Stack, free_port, wait_until, write_secret  # noqa: E402
import warden_fixtures  # noqa: E402


def start_pgbouncer(s):
    d = Path(tempfile.mkdtemp(prefix="warden-pgb-"))
    port = free_port()
    write_secret(d / "userlist.txt", f'"app" "{s.pg_password}"\n')
    (d / "pgbouncer.ini").write_text(f"""[databases]
demo = host=127.0.0.1 port={s.pg_port} dbname=demo
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
auth_type = scram-sha-256
auth_file = {d}/userlist.txt
pool_mode = session
max_client_conn = 1000
default_pool_size = 600
unix_socket_dir =
logfile = {d}/pgbouncer.log
pidfile = {d}/pgbouncer.pid
""")
    shutil.chown(d, "postgres")
    for f in d.iterdir():
        shutil.chown(f, "postgres")
    subprocess.run(["runuser", "-u", "postgres", "--", "pgbouncer", "-d", str(d / "pgbouncer.ini")],
                   check=True)
    wait_until("pgbouncer", lambda: Stack._port_open(f"127.0.0.1:{port}"))
    return d, port


def stop_pgbouncer(d):
    """Ends the PgBouncer start_pgbouncer started (its pid file names it), and nothing else."""
    try:
        pid = int((d / "pgbouncer.pid").read_text().strip())
    except (OSError, ValueError):
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    if not wait_until_gone(pid, 10):
        os.kill(pid, signal.SIGKILL)


def wait_until_gone(pid, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def start_relay_floor(s, procs, tls):
    """Two relay_floor processes chained in front of the database; returns the first's port.
    With tls, the link between them is TLS with the stack's dev certificates, as the tunnel."""
    certs = s.dir / "certs"
    second, first = free_port(), free_port()
    for listen, to, extra in (
            (second, s.pg_port,
             ["--tls-server", str(certs / "server.crt"), str(certs / "server.key")] if tls else []),
            (first, second, ["--tls-client", str(certs / "ca.crt")] if tls else [])):
        procs.append(subprocess.Popen([str(BIN_DIR / "relay_floor"), "--listen", str(listen),
                                       "--to", str(to), *extra], stdout=subprocess.DEVNULL))
        wait_until("relay_floor", lambda: Stack._port_open(f"127.0.0.1:{listen}"))
    return first


def pgbench(port, password, *args, seconds):
    env = {**os.environ, "PGPASSWORD": password}
    res = subprocess.run(["pgbench", "-h", "127.0.0.1", "-p", str(port), "-U", "app",
                          "-T", str(seconds), "-n", *args, "demo"],
                         capture_output=True, text=True, env=env, timeout=seconds * 3 + 60)
    if res.returncode != 0:
        raise RuntimeError(res.stderr)
    tps = float(re.search(r"tps = ([\d.]+)", res.stdout).group(1))
    lat = float(re.search(r"latency average = ([\d.]+) ms", res.stdout).group(1))
    return tps, lat


def timed_read(port, password, sql):
    env = {**os.environ, "PGPASSWORD": password}
    t = time.monotonic()
    with open(os.devnull, "wb") as null:
        subprocess.run(["psql", "-X", "-q", "-h", "127.0.0.1", "-p", str(port), "-U", "app",
                        "-d", "demo", "-c", sql], stdout=null, check=True, env=env, timeout=600)
    return time.monotonic() - t


def start_demo_stack(s):
    """Control plane, gateway, agent edge-1 and a PostgreSQL registered as connection `demo`,
    which group ai-agents may use (no statement rules, no masking)."""
    s.start_controlplane()
    s.start_gateway()
    s.start_agent("edge-1", s.create_agent("edge-1"))
    wait_until("agent", lambda: s.agent_current("edge-1"))
    s.start_postgres()
    s.ctl("connections", "create", "demo", "--agent", "edge-1", "--host", "127.0.0.1",
          "--port", str(s.pg_port), "--database", "demo", "--tls-mode", "disable")
    s.ctl("credentials", "set", "demo", "--username", "app", "--password-stdin",
          input=s.pg_password)
    warden_fixtures.apply_policy_and_wait(s, warden_fixtures.GRANT_DEMO, "grant.yaml")


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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3,
                    help="pgbench runs per target and setting, interleaved; the median counts")
    ap.add_argument("--sessions", type=int, default=500)
    args = ap.parse_args()
    s = Stack(Path(tempfile.mkdtemp(prefix="warden-bench-")))
    relays = []
    pgb_dir = None
    try:
        start_demo_stack(s)
        agent_pid = s.procs["agent-edge-1"].pid
        gw_pid = s.procs["gateway"].pid
        fresh = (rss_kb(agent_pid), rss_kb(gw_pid))  # connected, policy applied, no traffic yet
        token = s.ctl("tokens", "create", "--identity", "bench", "--group", "ai-agents",
                      "--ttl", "2h").stdout.strip()
        pgb_dir, pgb_port = start_pgbouncer(s)
        env = {**os.environ, "PGPASSWORD": s.pg_password}
        subprocess.run(["pgbench", "-i", "-s", "10", "-q", "-h", "127.0.0.1", "-p",
                        str(s.pg_port), "-U", "app", "demo"], check=True, env=env,
                       capture_output=True)
        targets = {"direct": (s.pg_port, s.pg_password), "pgbouncer": (pgb_port, s.pg_password),
                   "warden": (s.pg_gateway_port, token)}
        floors = {"floor": (start_relay_floor(s, relays, tls=False), s.pg_password),
                  "floor+tls": (start_relay_floor(s, relays, tls=True), s.pg_password)}
        runs = {}
        for r in range(args.rounds):
            for mode in ("simple", "extended"):
                for clients in (1, 8):
                    for name, (port, pw) in {**targets, **floors}.items():
                        res = pgbench(port, pw, "-S", "-M", mode, "-c", str(clients), "-j",
                                      str(min(clients, 2)), seconds=args.seconds)
                        runs.setdefault((name, mode, clients), []).append(res)
                        print(f"round {r + 1}: {name:9} -S -M {mode:8} c={clients}: tps "
                              f"{res[0]:9.0f}  latency {res[1]:.3f} ms", flush=True)
        # The median run by tps, with its own latency.
        results = {k: sorted(v)[len(v) // 2] for k, v in runs.items()}
        for p in relays:
            p.terminate()
            p.wait(timeout=10)
        big_select = "SELECT i, md5(i::text) FROM generate_series(1, 1000000) i"
        big_copy = f"COPY ({big_select}) TO STDOUT"
        reads = {}
        for name, (port, pw) in targets.items():
            reads[(name, "select")] = timed_read(port, pw, big_select)
            reads[(name, "copy")] = timed_read(port, pw, big_copy)
            print(f"{name:9} 1M rows: SELECT {reads[(name, 'select')]:.2f} s, COPY "
                  f"{reads[(name, 'copy')]:.2f} s", flush=True)

        # Masking: the same reads with content detectors on every text value, and
        # the time a 100-row result takes with and without them.
        import psycopg2
        small = "SELECT i, md5(i::text), 'user' || i || '@example.com' FROM generate_series(1, 100) i"
        plain_ms, plain_rows = per_query_ms(s, token, small)
        warden_fixtures.apply_policy_and_wait(s, warden_fixtures.MASKING, "masking.yaml")
        masked_ms, masked_rows = per_query_ms(s, token, small)
        assert "@example.com" not in repr(masked_rows) and "@example.com" in repr(plain_rows)
        port, pw = targets["warden"]
        reads[("masked", "select")] = timed_read(port, pw, big_select)
        reads[("masked", "copy")] = timed_read(port, pw, big_copy)
        print(f"warden, masking on: 1M rows: SELECT {reads[('masked', 'select')]:.2f} s, COPY "
              f"{reads[('masked', 'copy')]:.2f} s; 100-row result {masked_ms:.3f} ms "
              f"(off: {plain_ms:.3f} ms)", flush=True)

        print(f"\nRatios (same run, median of {args.rounds}):")
        for mode in ("simple", "extended"):
            for c in (1, 8):
                w, b, d, f, ft = (results[(t, mode, c)][0] for t in
                                  ("warden", "pgbouncer", "direct", "floor", "floor+tls"))
                print(f"  -S -M {mode:8} c={c}: warden/pgbouncer tps {w / b:.2f}, "
                      f"warden/direct {w / d:.2f}; floor/pgbouncer {f / b:.2f}, "
                      f"floor+tls/pgbouncer {ft / b:.2f}, warden/floor+tls {w / ft:.2f}")
            w, b, d, f, ft = (results[(t, mode, 1)][1] for t in
                              ("warden", "pgbouncer", "direct", "floor", "floor+tls"))
            added_b = max(b - d, 1e-6)
            print(f"  -M {mode:8} c=1 added latency: warden {w - d:.3f} ms, pgbouncer {b - d:.3f} "
                  f"ms, ratio {(w - d) / added_b:.2f}; floor {f - d:.3f} ms "
                  f"({(f - d) / added_b:.2f}), floor+tls {ft - d:.3f} ms ({(ft - d) / added_b:.2f})")
        for kind in ("select", "copy"):
            print(f"  1M-row {kind}: warden throughput / direct "
                  f"{reads[('direct', kind)] / reads[('warden', kind)]:.2f}; with masking on / "
                  f"off {reads[('warden', kind)] / reads[('masked', kind)]:.2f}")
        print(f"  100-row result: masking adds {masked_ms - plain_ms:.3f} ms")

        idle = (rss_kb(agent_pid), rss_kb(gw_pid))  # after the runs above: caches are warm
        conns = [psycopg2.connect(s.gateway_dsn(token)) for _ in range(args.sessions)]
        for c in conns:
            c.cursor().execute("SELECT 1")
        held = (rss_kb(agent_pid), rss_kb(gw_pid))
        ok = sum(1 for c in conns if c.closed == 0)
        for c in conns:
            c.close()
        print(f"\nMemory: agent idle {fresh[0] / 1024:.1f} MB before any session and "
              f"{idle[0] / 1024:.1f} MB after the runs above; gateway idle "
              f"{fresh[1] / 1024:.1f} MB and {idle[1] / 1024:.1f} MB")
        print(f"  with {ok}/{args.sessions} open sessions: agent {held[0] / 1024:.1f} MB "
              f"({(held[0] - idle[0]) / args.sessions:.0f} KB/session), gateway "
              f"{held[1] / 1024:.1f} MB ({(held[1] - idle[1]) / args.sessions:.0f} KB/session)")
    finally:
        for p in relays:
            if p.poll() is None:
                p.kill()
        s.stop_all()
        if pgb_dir:
            stop_pgbouncer(pgb_dir)


if __name__ == "__main__":
    main()

"""The processes bench.py starts and measures: PostgreSQL and the Warden stack (control plane,
gateway, agent), PgBouncer, the relay floor (two relay_floor processes chained, or two
relay_asio: the same relay on Warden's I/O layer), run from a snapshot of the binaries in
build/bin; and the CPU time each of them used so far, from /proc.
"""
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

_INTEGRATION = str(Path(__file__).resolve().parent.parent / "integration")
if _INTEGRATION not in sys.path:
    sys.path.insert(0, _INTEGRATION)
import warden_stack  # noqa: E402
from warden_stack import Stack, free_port, wait_until, write_secret  # noqa: E402
import warden_fixtures  # noqa: E402

# What the benchmark runs from build/bin.
BINARIES = ("warden-controlplane", "warden-gateway", "warden-agent", "wardenctl", "relay_floor",
            "relay_asio")
CLK_TCK = os.sysconf("SC_CLK_TCK")


# -- CPU time of the processes on the path ---------------------------------------------------

def _stat_fields(pid):
    """/proc/PID/stat's fields after the command name (which may hold spaces and parentheses):
    [0] state, [1] ppid, [11] utime, [12] stime, [13] cutime, [14] cstime, in clock ticks."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def process_cpu_seconds(pid):
    """User+system CPU seconds process `pid` used so far, over all its threads."""
    f = _stat_fields(pid)
    return (int(f[11]) + int(f[12])) / CLK_TCK


def postgres_cpu_seconds(postmaster_pid):
    """User+system CPU seconds of the whole PostgreSQL cluster so far: the postmaster, its live
    children (backends, background workers) and the children it already reaped (its cutime and
    cstime), so a backend that exits during a run still counts. A child reaped while the
    children are being read would count twice or not at all, so the read repeats until the
    postmaster's reaped total is the same before and after it (backends exit in bursts, at the
    end of a run, so a few tries are enough)."""
    for _ in range(100):
        pm = _stat_fields(postmaster_pid)
        reaped = int(pm[13]) + int(pm[14])
        children = 0
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit() or int(entry.name) == postmaster_pid:
                continue
            try:
                f = _stat_fields(entry.name)
            except (OSError, IndexError):
                continue  # ended while we looked
            if int(f[1]) == postmaster_pid:
                children += int(f[11]) + int(f[12])
        pm_after = _stat_fields(postmaster_pid)
        if int(pm_after[13]) + int(pm_after[14]) == reaped:
            return (int(pm_after[11]) + int(pm_after[12]) + reaped + children) / CLK_TCK
    raise RuntimeError("PostgreSQL's processes kept exiting while their CPU time was read")


def postmaster_pid(s):
    return int((s.pg_dir / "data" / "postmaster.pid").read_text().split()[0])


def cpu_counters(s, pgbouncer_pid, relays):
    """For each target, the processes on its data path: label -> function returning the CPU
    seconds that process (or PostgreSQL, all of it) has used so far. The control plane is not
    on the per-statement path, but it authorizes every new session, so it is counted too."""
    pm = postmaster_pid(s)

    def pid_counter(pid):
        return lambda: process_cpu_seconds(pid)

    def postgres():
        return postgres_cpu_seconds(pm)
    counters = {
        "direct": {"postgres": postgres},
        "pgbouncer": {"pgbouncer": pid_counter(pgbouncer_pid), "postgres": postgres},
        "warden": {"gateway": pid_counter(s.procs["gateway"].pid),
                   "agent": pid_counter(s.procs["agent-edge-1"].pid),
                   "controlplane": pid_counter(s.procs["controlplane"].pid),
                   "postgres": postgres},
    }
    for name, procs in relays.items():
        counters[name] = {**{label: pid_counter(p.pid) for label, p in procs.items()},
                          "postgres": postgres}
    return counters


# -- the processes the benchmark starts ---------------------------------------------------

def snapshot_binaries(dest):
    """Copies the binaries the benchmark runs out of build/bin into `dest` and runs them from
    there (warden_stack.BIN_DIR), so that a rebuild during the run (others work in the same
    tree) neither mixes two builds in one run nor leaves perf reading the symbols of a binary
    that is no longer the one running."""
    dest.mkdir()
    for name in BINARIES:
        shutil.copy2(warden_stack.BIN_DIR / name, dest / name)
    warden_stack.BIN_DIR = dest


def start_pgbouncer(s, d):
    """PgBouncer in session mode in front of the database, with client TLS (the stack's dev
    certificate, as the gateway serves): the comparison is with a pooler that encrypts what
    its clients send, as Warden does. Its files live in `d` (made by the caller, so that
    stop_pgbouncer finds its pid file even if this fails half way). Returns its port and pid."""
    port = free_port()
    write_secret(d / "userlist.txt", f'"app" "{s.pg_password}"\n')
    certs = s.dir / "certs"
    shutil.copy(certs / "server.crt", d / "server.crt")
    write_secret(d / "server.key", (certs / "server.key").read_text())
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
client_tls_sslmode = require
client_tls_cert_file = {d}/server.crt
client_tls_key_file = {d}/server.key
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
    pid = wait_until("pgbouncer's pid file", lambda: pgbouncer_pid(d))
    return port, pid


def pgbouncer_pid(d):
    try:
        return int((d / "pgbouncer.pid").read_text().strip())
    except (OSError, ValueError):
        return None


def stop_pgbouncer(d):
    """Ends the PgBouncer start_pgbouncer started (its pid file names it), and nothing else."""
    pid = pgbouncer_pid(d)
    if pid is None:
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


def start_relay_floor(s, procs, tls, client_tls=False, binary="relay_floor"):
    """Two relay_floor processes (or `binary`: relay_asio takes the same options) chained in
    front of the database; returns the first's port and the two processes by role. With tls,
    the link between them is TLS with the stack's dev certificates, as the tunnel; with
    client_tls the first also answers a client's SSLRequest and serves TLS with the gateway's
    certificate, as the gateway does. Every process started is appended to `procs` at once, so
    the caller stops it even if the next one fails to start."""
    certs = s.dir / "certs"
    second, first = free_port(), free_port()
    roles = {}
    for role, listen, to, extra in (
            ("db relay", second, s.pg_port,
             ["--tls-server", str(certs / "server.crt"), str(certs / "server.key")] if tls else []),
            ("client relay", first, second,
             (["--tls-client", str(certs / "ca.crt")] if tls else []) +
             (["--pg-client-tls", str(certs / "server.crt"), str(certs / "server.key")]
              if client_tls else []))):
        roles[role] = subprocess.Popen([str(warden_stack.BIN_DIR / binary), "--listen",
                                        str(listen), "--to", str(to), *extra],
                                       stdout=subprocess.DEVNULL)
        procs.append(roles[role])
        wait_until(binary, lambda: Stack._port_open(f"127.0.0.1:{listen}"))
    return first, roles


def start_demo_stack(s, max_sessions_per_identity=None):
    """Control plane, gateway, agent edge-1 and a PostgreSQL registered as connection `demo`,
    which group ai-agents may use (no statement rules, no masking). The control plane caps one
    identity's live sessions per connection (64 unless max_sessions_per_identity says more)."""
    s.start_controlplane()
    s.start_gateway()
    s.start_agent("edge-1", s.create_agent("edge-1"))
    wait_until("agent", lambda: s.agent_current("edge-1"))
    s.start_postgres()
    cap = ["--max-sessions-per-identity", str(max_sessions_per_identity)] \
        if max_sessions_per_identity else []
    s.ctl("connections", "create", "demo", "--agent", "edge-1", "--host", "127.0.0.1",
          "--port", str(s.pg_port), "--database", "demo", "--tls-mode", "disable", *cap)
    s.ctl("credentials", "set", "demo", "--username", "app", "--password-stdin",
          input=s.pg_password)
    warden_fixtures.apply_policy_and_wait(s, warden_fixtures.GRANT_DEMO, "grant.yaml")

"""Starts and stops the real Warden processes for integration tests.

Every server listens on 127.0.0.1 on a free port, in a temporary directory; waits are on real
conditions with deadlines, never fixed sleeps.
"""
import json
import os
import re
import shutil
import tempfile
import signal
import socket
import subprocess
import time
from pathlib import Path

SOURCE_DIR = Path(os.environ.get("WARDEN_SOURCE_DIR", Path(__file__).resolve().parents[2]))
BIN_DIR = Path(os.environ.get("WARDEN_BIN_DIR", SOURCE_DIR / "build" / "bin"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_secret(path, text):
    """Writes a key or token file readable by its owner only (0600), as Warden's own files are."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)


def wait_until(what, predicate, timeout=15.0, interval=0.05):
    """Polls predicate until it returns a truthy value; fails naming `what` at the deadline."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


class Stack:
    def __init__(self, tmp: Path):
        self.dir = tmp
        self.procs = {}
        # The servers bind port 0 on their first start and these record what the kernel chose
        # (read from the startup log), so no other process can take a port between picking it
        # and binding it; a restart binds the same address again.
        self.cp_addr = None
        self.gw_addr = None
        self.pg_gateway_port = None
        self.tunnel_port = None
        self.pg_dir = None
        # Threads of the gateway's and the agent's data path (None: their default, one).
        self.io_threads = None
        # Extra flags for the gateway (@pytest.mark.gateway_args) and the control plane.
        self.gateway_args = []
        self.controlplane_args = []
        # Tests speak plain PostgreSQL to the gateway on loopback unless they test TLS.
        self.allow_tokens_without_tls = True
        subprocess.run([str(SOURCE_DIR / "scripts" / "dev-certs.sh"), str(tmp / "certs")],
                       check=True)
        write_secret(tmp / "master.key", "k1:" + os.urandom(32).hex() + "\n")
        self.gateway_token_file = tmp / "gateway.token"
        # The key agents pin (wardenctl agents create prints it), once the control plane runs.
        self.controlplane_key = None
        self.config = tmp / "config.yaml"
        self.admin_token_file = tmp / "admin.token"

    # -- processes ------------------------------------------------------------------------
    def _spawn(self, name, args, env=None):
        logf = open(self.dir / f"{name}.log", "ab")
        proc = subprocess.Popen(args, stdout=logf, stderr=subprocess.STDOUT,
                                env={**os.environ, **(env or {})})
        self.procs[name] = proc
        return proc

    def _wait_started(self, name, proc, what, predicate):
        """wait_until, failing at once with the process's log when it exits while starting."""
        def check():
            if proc.poll() is not None:
                raise AssertionError(f"{name} exited with {proc.returncode} while starting:\n"
                                     f"{self.log(name)[-2000:]}")
            return predicate()
        return wait_until(what, check)

    def _bound_address(self, name, proc, pattern):
        """The address `name` logged it listens on (pattern's group 1), waiting for the line."""
        regex = re.compile(pattern)

        def found():
            m = regex.search(self.log(name))
            return m.group(1) if m else None
        return self._wait_started(name, proc, f"{name} to listen", found)

    def log(self, name):
        p = self.dir / f"{name}.log"
        return p.read_text(errors="replace") if p.exists() else ""

    def start_controlplane(self):
        certs = self.dir / "certs"
        proc = self._spawn("controlplane", [
            str(BIN_DIR / "warden-controlplane"), "--listen", self.cp_addr or "127.0.0.1:0",
            "--db", str(self.dir / "warden.db"), "--master-key-file", str(self.dir / "master.key"),
            "--tls-cert", str(certs / "server.crt"), "--tls-key", str(certs / "server.key"),
            "--admin-token-file", str(self.admin_token_file), *self.controlplane_args])
        if self.cp_addr is None:
            self.cp_addr = self._bound_address("controlplane", proc,
                                               r"control plane listening on (\S+)")
            self.config.write_text(
                f"server: {self.cp_addr}\ntoken_file: {self.admin_token_file}\n"
                f"ca_file: {self.dir / 'certs' / 'ca.crt'}\n")
        self._wait_started("controlplane", proc, "the control plane to answer",
                           lambda: self.admin_token_file.exists() and
                           self.ctl("agents", "list", check=False).returncode == 0)

    def start_gateway(self):
        certs = self.dir / "certs"
        first = self.gw_addr is None
        if not self.gateway_token_file.exists():
            out = self.ctl("gateways", "create", "gw-test", "-o", "json")
            write_secret(self.gateway_token_file, json.loads(out.stdout)["token"] + "\n")
        proc = self._spawn("gateway", [
            str(BIN_DIR / "warden-gateway"),
            "--listen-agents", self.gw_addr or "127.0.0.1:0",
            "--controlplane", self.cp_addr, "--ca-file", str(certs / "ca.crt"),
            "--tls-cert", str(certs / "server.crt"), "--tls-key", str(certs / "server.key"),
            "--token-file", str(self.gateway_token_file),
            *(["--allow-tokens-without-tls"] if self.allow_tokens_without_tls else []),
            "--listen-postgres", f"127.0.0.1:{self.pg_gateway_port or 0}",
            "--listen-tunnels", f"127.0.0.1:{self.tunnel_port or 0}",
            *(["--io-threads", str(self.io_threads)] if self.io_threads else []),
            *self.gateway_args])
        if first:
            self.gw_addr = self._bound_address("gateway", proc, r"listening for agents on (\S+),")
            self.pg_gateway_port = int(self._bound_address(
                "gateway", proc, r"listening for PostgreSQL clients on \S+:(\d+)"))
            self.tunnel_port = int(self._bound_address(
                "gateway", proc, r"listening for agent tunnels on \S+:(\d+)"))
        self._wait_started("gateway", proc, "the gateway to listen",
                           lambda: self._port_open(self.gw_addr) and
                           self._port_open(f"127.0.0.1:{self.pg_gateway_port}") and
                           self._port_open(f"127.0.0.1:{self.tunnel_port}"))

    def identity_key(self, key_file):
        """The public half of an agent identity key file (created if missing), as
        `warden-agent --print-identity-key` prints it."""
        return subprocess.run([str(BIN_DIR / "warden-agent"), "--identity-key-file",
                               str(key_file), "--print-identity-key"], capture_output=True,
                              text=True, check=True).stdout.strip()

    def create_agent(self, name, *flags):
        """Creates the agent with its identity key (<dir>/<name>.key) enrolled, unless `flags`
        say otherwise; returns its token file."""
        if not flags:
            flags = ("--identity-key", self.identity_key(self.dir / f"{name}.key"))
        out = json.loads(self.ctl("agents", "create", name, *flags, "-o", "json").stdout)
        self.controlplane_key = out["controlplane_key"]
        path = self.dir / f"{name}.token"
        write_secret(path, out["token"] + "\n")
        return path

    def start_agent(self, name, token_file, proc_name=None, identity_key_file=None,
                    controlplane_key=None):
        """The agent's identity key lives in <dir>/<name>.key unless given (created on first
        start); it pins the control-plane key that agents create printed."""
        return self._spawn(proc_name or f"agent-{name}", [
            str(BIN_DIR / "warden-agent"), "--name", name, "--gateway", self.gw_addr,
            "--ca-file", str(self.dir / "certs" / "ca.crt"), "--token-file", str(token_file),
            "--identity-key-file", str(identity_key_file or self.dir / f"{name}.key"),
            "--controlplane-key", controlplane_key or self.controlplane_key,
            *(["--session-threads", str(self.io_threads)] if self.io_threads else [])])

    def kill(self, name, sig=signal.SIGKILL):
        proc = self.procs.pop(name)
        proc.send_signal(sig)
        proc.wait(timeout=10)
        return proc.returncode

    def start_postgres(self):
        """A real PostgreSQL 15 (run as the postgres user) with role app and database demo."""
        self.pg_dir = Path(tempfile.mkdtemp(prefix="warden-pg-"))
        self.pg_password = "app-" + os.urandom(8).hex()
        # PostgreSQL cannot bind port 0; a port taken between picking and binding gets a retry.
        for attempt in range(3):
            self.pg_port = free_port()
            res = subprocess.run([str(SOURCE_DIR / "scripts" / "demo-postgres.sh"), "start",
                                  str(self.pg_dir), str(self.pg_port)],
                                 input=self.pg_password + "\n", text=True)
            if res.returncode == 0:
                return
        raise AssertionError(f"demo PostgreSQL did not start:\n"
                             f"{(self.pg_dir / 'postgres.log').read_text(errors='replace')[-2000:]}")

    def direct_dsn(self, dbname="demo"):
        return (f"host=127.0.0.1 port={self.pg_port} dbname={dbname} user=app "
                f"password={self.pg_password} sslmode=disable")

    def gateway_dsn(self, token, connection="demo", sslmode="disable"):
        return (f"host=127.0.0.1 port={self.pg_gateway_port} dbname={connection} user=whoever "
                f"password={token} sslmode={sslmode}")

    def stop_all(self):
        for name in list(self.procs):
            proc = self.procs[name]
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            self.procs.pop(name)
        if self.pg_dir:
            subprocess.run([str(SOURCE_DIR / "scripts" / "demo-postgres.sh"), "stop",
                            str(self.pg_dir)], check=False)
            shutil.rmtree(self.pg_dir, ignore_errors=True)
            self.pg_dir = None

    @staticmethod
    def _port_open(addr):
        host, port = addr.rsplit(":", 1)
        try:
            with socket.create_connection((host, int(port)), timeout=0.5):
                return True
        except OSError:
            return False

    # -- wardenctl ----------------------------------------------------------------------------
    def ctl(self, *args, check=True, input=None, env=None):
        full_env = {**os.environ, "WARDEN_CONFIG": str(self.config), **(env or {})}
        for k in ("WARDEN_SERVER", "WARDEN_TOKEN", "WARDEN_CA_FILE"):
            if env is None or k not in env:
                full_env.pop(k, None)
        res = subprocess.run([str(BIN_DIR / "wardenctl"), *args], capture_output=True, text=True,
                             input=input, env=full_env, timeout=30)
        if check and res.returncode != 0:
            raise AssertionError(f"wardenctl {' '.join(args)} failed ({res.returncode}): "
                                 f"{res.stderr}")
        return res

    def agents(self):
        return json.loads(self.ctl("agents", "list", "-o", "json").stdout)

    def agent(self, name):
        data = self.agents()
        for a in data.get("agents", []):
            if a["name"] == name:
                return a, int(data.get("current_policy_version", 0))
        return None, int(data.get("current_policy_version", 0))

    def agent_current(self, name):
        """True when the agent is connected and has applied the current policy version."""
        a, current = self.agent(name)
        return bool(a and a.get("connected") and
                    int(a.get("applied_policy_version", 0)) == current)

    def apply_policy(self, text, filename="policy.yaml"):
        path = self.dir / filename
        path.write_text(text)
        return self.ctl("policies", "apply", "-f", str(path), check=False)

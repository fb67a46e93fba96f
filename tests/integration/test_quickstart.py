"""The README's first command: the quickstart brings the whole stack up and stops it."""
import json
import os
import shutil
import tempfile
import subprocess

from warden_stack import SOURCE_DIR, BIN_DIR, free_port


def test_quickstart_starts_stack_and_stops_it(tmp_path):
    pg_port = free_port()
    env = {**os.environ,
           "WARDEN_VAR": str(tmp_path / "var"),
           "WARDEN_CP_LISTEN": f"127.0.0.1:{free_port()}",
           "WARDEN_GW_AGENT_LISTEN": f"127.0.0.1:{free_port()}",
           "WARDEN_GW_TUNNEL_LISTEN": f"127.0.0.1:{free_port()}",
           "WARDEN_GW_PG_LISTEN": f"127.0.0.1:{pg_port}",
           "WARDEN_DEMO_PG_PORT": str(free_port()),
           "WARDEN_CONFIG": str(tmp_path / "config.yaml")}
    qs = str(SOURCE_DIR / "deploy" / "quickstart.sh")
    env["WARDEN_DEMO_PG_DIR"] = tempfile.mkdtemp(prefix="warden-qs-pg-")
    try:
        res = subprocess.run([qs], env=env, capture_output=True, text=True, timeout=600)
        assert res.returncode == 0, res.stdout + res.stderr
        assert "Warden is running" in res.stdout
        # wardenctl works with no flags: the quickstart wrote its config.
        out = subprocess.run([str(BIN_DIR / "wardenctl"), "agents", "list", "-o", "json"],
                             env=env, capture_output=True, text=True, timeout=30)
        assert out.returncode == 0, out.stderr
        agents = json.loads(out.stdout)["agents"]
        assert [a["name"] for a in agents] == ["local-agent"] and agents[0]["connected"]
        # The printed psql line reaches the demo database through Warden with the demo token.
        assert "psql" in res.stdout and "sslmode=require" in res.stdout
        def customers_through_warden():
            token = (tmp_path / "var" / "demo.token").read_text().strip()
            q = subprocess.run(["psql", "-X", "-At", f"host=127.0.0.1 port={pg_port} "
                                f"dbname=demo user=demo password={token} sslmode=require", "-c",
                                "SELECT count(*) FROM customers"],
                               capture_output=True, text=True, timeout=60)
            assert q.returncode == 0 and q.stdout.strip() == "1000", q.stderr
        customers_through_warden()
        # Idempotent: a second run keeps the running stack; it rotates the demo database's
        # password (kept in no file) and the credential follows.
        again = subprocess.run([qs], env=env, capture_output=True, text=True, timeout=600)
        assert again.returncode == 0 and "already running" in again.stdout
        customers_through_warden()
        assert not list((tmp_path / "var").glob("*password*"))
        # Every key and token it wrote is for its owner's eyes only.
        var = tmp_path / "var"
        secrets = [var / n for n in ("admin.token", "agent.token", "gateway.token", "demo.token",
                                     "agent.key", "master.key")] + list(var.glob("certs/*.key"))
        for f in secrets:
            assert f.stat().st_mode & 0o077 == 0, f
    finally:
        stop = subprocess.run([qs, "--stop"], env=env, capture_output=True, text=True, timeout=60)
    assert stop.returncode == 0
    assert "stopped controlplane" in stop.stdout and "stopped demo postgres" in stop.stdout
    assert not list((tmp_path / "var" / "run").glob("*.pid"))
    shutil.rmtree(env["WARDEN_DEMO_PG_DIR"], ignore_errors=True)

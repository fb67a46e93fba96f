"""Large objects through Warden: libpq's fast-path large-object calls are decided as the SELECTs
they amount to, so psql's \\lo_* commands, pg_dump and pg_restore work, and a read-only subject
can read large objects but not change them."""
import os
import subprocess

import pytest

from warden_fixtures import apply_policy_and_wait

psycopg2 = pytest.importorskip("psycopg2")


def run(args, **kw):
    return subprocess.run(args, capture_output=True, timeout=120, **kw)


def psql(dsn, *commands):
    args = ["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", dsn]
    for c in commands:
        args += ["-c", c]
    return run(args, text=True)


def test_psql_lo_commands(data_path, tmp_path):
    s = data_path
    blob = os.urandom(200_000) + b"\x00\\'\"end"
    src, dst = tmp_path / "in.bin", tmp_path / "out.bin"
    src.write_bytes(blob)
    dsn = s.gateway_dsn(s.token)
    res = psql(dsn, f"\\lo_import {src}")
    assert res.returncode == 0, res.stderr
    oid = int(res.stdout.split()[-1])
    res = psql(dsn, f"\\lo_export {oid} {dst}")
    assert res.returncode == 0, res.stderr
    assert dst.read_bytes() == blob
    res = psql(dsn, f"\\lo_unlink {oid}")
    assert res.returncode == 0, res.stderr
    with psycopg2.connect(s.direct_dsn()) as conn:
        cur = conn.cursor()
        cur.execute("SELECT count(*) FROM pg_largeobject_metadata WHERE oid = %s", (oid,))
        assert cur.fetchone()[0] == 0


def test_read_only_subject_reads_but_cannot_change_large_objects(data_path, tmp_path):
    s = data_path
    with psycopg2.connect(s.direct_dsn()) as conn:
        cur = conn.cursor()
        cur.execute("SELECT lo_from_bytea(0, 'kept')")
        oid = cur.fetchone()[0]
    apply_policy_and_wait(s, "name: demo-access\nsubjects:\n  groups: [ai-agents]\n"
                             "connections: [demo]\ndefault_action: allow\nread_only: true\n",
                          "ro.yaml")
    dsn = s.gateway_dsn(s.token)
    out = tmp_path / "out.bin"
    res = psql(dsn, f"\\lo_export {oid} {out}")
    assert res.returncode == 0, res.stderr
    assert out.read_bytes() == b"kept"
    res = psql(dsn, f"\\lo_unlink {oid}")
    assert res.returncode != 0 and 'rule "read-only"' in res.stderr, res.stderr
    src = tmp_path / "in.bin"
    src.write_bytes(b"new")
    res = psql(dsn, f"\\lo_import {src}")
    assert res.returncode != 0 and 'rule "read-only"' in res.stderr, res.stderr
    with psycopg2.connect(s.direct_dsn()) as conn:
        cur = conn.cursor()
        cur.execute("SELECT count(*), min(oid::bigint) FROM pg_largeobject_metadata")
        assert cur.fetchone() == (1, oid)


def test_pg_dump_and_pg_restore_with_large_objects_match_direct(data_path, tmp_path):
    s = data_path
    with psycopg2.connect(s.direct_dsn()) as conn:
        cur = conn.cursor()
        cur.execute("SELECT lo_from_bytea(0, %s)", (psycopg2.Binary(os.urandom(50_000)),))
        cur.execute("SELECT lo_from_bytea(0, 'second object')")
    env = dict(os.environ, PGPASSWORD=s.pg_password)
    # A fixed \\restrict key (pg_dump 15.14 and later draw a random one per dump).
    key = ["--restrict-key=warden"]
    direct = run(["pg_dump", *key, "-h", "127.0.0.1", "-p", str(s.pg_port), "-U", "app", "demo"],
                 env=env)
    assert direct.returncode == 0, direct.stderr
    through = run(["pg_dump", *key, s.gateway_dsn(s.token)])
    assert through.returncode == 0, through.stderr
    assert b"lowrite" in direct.stdout
    assert through.stdout == direct.stdout
    # pg_restore through Warden into an empty database gives back the same dump.
    res = run(["runuser", "-u", "postgres", "--", "psql", "-X", "-h", str(s.pg_dir), "-p",
               str(s.pg_port), "-d", "postgres", "-c", "CREATE DATABASE restored OWNER app"])
    assert res.returncode == 0, res.stderr
    s.ctl("connections", "create", "restored", "--agent", "edge-1", "--host", "127.0.0.1",
          "--port", str(s.pg_port), "--database", "restored", "--tls-mode", "disable")
    s.ctl("credentials", "set", "restored", "--username", "app", "--password-stdin",
          input=s.pg_password)
    apply_policy_and_wait(s, "name: restore-access\nsubjects:\n  groups: [ai-agents]\n"
                             "connections: [restored]\ndefault_action: allow\n", "restore.yaml")
    archive = tmp_path / "demo.dump"
    res = run(["pg_dump", "-Fc", "-f", str(archive), s.gateway_dsn(s.token)])
    assert res.returncode == 0, res.stderr
    res = run(["pg_restore", "--no-owner", "-d", s.gateway_dsn(s.token, connection="restored"),
               str(archive)])
    assert res.returncode == 0, res.stderr
    again = run(["pg_dump", *key, "-h", "127.0.0.1", "-p", str(s.pg_port), "-U", "app",
                 "restored"], env=env)
    assert again.returncode == 0, again.stderr
    assert again.stdout == direct.stdout

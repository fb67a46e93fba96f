"""Startup settings (PGOPTIONS / options, and parameters of their own) take effect or are
refused with a FATAL naming them: ordinary session settings pass, the rest are decided as the
SET statements they amount to, replication connections are refused, and a read-only connection
stays read-only whatever the client asks."""
import os
import subprocess

import pytest

from warden_fixtures import add_read_only_connection, apply_policy_and_wait, demo_policy

psycopg2 = pytest.importorskip("psycopg2")

NO_ADMIN = demo_policy("""\
rules:
  - name: no-admin
    match:
      classes: [admin]
    action: deny
    message: Session-wide settings are for DBAs
""")


def psql(s, *commands, pgoptions=None, dsn=None):
    args = ["psql", "-X", "-At", dsn or s.gateway_dsn(s.token)]
    for c in commands:
        args += ["-c", c]
    env = dict(os.environ)
    env.pop("PGOPTIONS", None)
    if pgoptions is not None:
        env["PGOPTIONS"] = pgoptions
    return subprocess.run(args, capture_output=True, text=True, timeout=60, env=env)


def test_pgoptions_take_effect(data_path):
    s = data_path
    res = psql(s, "SHOW intervalstyle", "SELECT interval '1 day'", "SHOW statement_timeout",
               pgoptions="-c intervalstyle=postgres_verbose --statement-timeout=5s")
    assert res.returncode == 0, res.stderr
    assert res.stdout.split("\n")[:3] == ["postgres_verbose", "@ 1 day", "5s"], res.stdout


def test_ordinary_settings_pass_where_policy_denies_admin(data_path):
    s = data_path
    apply_policy_and_wait(s, NO_ADMIN, "no-admin.yaml")
    res = psql(s, "SHOW lock_timeout", "SET statement_timeout = '3s'", "SHOW statement_timeout",
               pgoptions="-c lock_timeout=2s")
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["2s", "SET", "3s"], res.stdout


@pytest.mark.parametrize("pgoptions,named", [
    ("-c search_path=evil", "search_path"),
    ("-c default_transaction_read_only=off", "default_transaction_read_only"),
    ("-c row_security=off", "row_security"),
])
def test_a_setting_policy_denies_is_refused_with_its_name(data_path, pgoptions, named):
    s = data_path
    apply_policy_and_wait(s, NO_ADMIN, "no-admin.yaml")
    res = psql(s, "SELECT 1", pgoptions=pgoptions)
    assert res.returncode != 0
    assert "FATAL" in res.stderr and named in res.stderr and 'rule "no-admin"' in res.stderr, \
        res.stderr


@pytest.mark.parametrize("pgoptions,named", [
    ("-F", '"-F"'),
    ("-B 1000", '"-B"'),
    ("-c standard_conforming_strings=off", "standard_conforming_strings"),
    ("-c work_mem", "needs a value"),
])
def test_server_switches_and_unreadable_settings_are_refused(data_path, pgoptions, named):
    res = psql(data_path, "SELECT 1", pgoptions=pgoptions)
    assert res.returncode != 0 and "FATAL" in res.stderr and named in res.stderr, res.stderr


def test_replication_connections_are_refused_clearly(data_path):
    s = data_path
    res = psql(s, "IDENTIFY_SYSTEM", dsn=s.gateway_dsn(s.token) + " replication=database")
    assert res.returncode != 0
    assert "replication connections (replication=database) are not served through Warden" \
        in res.stderr, res.stderr


def test_read_only_connection_ignores_a_client_asking_otherwise(data_path):
    s = data_path
    add_read_only_connection(s)
    res = psql(s, "SHOW default_transaction_read_only",
               pgoptions="-c default_transaction_read_only=off",
               dsn=s.gateway_dsn(s.token, connection="demo-ro"))
    assert res.returncode == 0 and res.stdout.strip() == "on", res

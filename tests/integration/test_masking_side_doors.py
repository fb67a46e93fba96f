"""Masked values have no side doors through server settings: a masked subject cannot set one to
a computed value, so neither ParameterStatus, SHOW, current_setting() nor another session's
pg_stat_activity ever holds a raw value."""
import subprocess

import pytest

from warden_fixtures import COLUMN_MASKING, apply_policy_and_wait

psycopg2 = pytest.importorskip("psycopg2")


@pytest.mark.parametrize("leak", [
    "SELECT set_config('application_name', (SELECT email FROM customers WHERE id = 1), false)",
    "SELECT set_config('x.leak', (SELECT name FROM customers WHERE id = 1), false)",
    "SELECT 1 FROM customers WHERE id = 1 AND set_config('x.leak', ssn, false) IS NOT NULL",
])
def test_settings_cannot_carry_masked_values(data_path, leak):
    s = data_path
    apply_policy_and_wait(s, COLUMN_MASKING, "column-masking.yaml")
    with psycopg2.connect(s.direct_dsn()) as direct:
        cur = direct.cursor()
        cur.execute("SELECT email, name, ssn FROM customers WHERE id = 1")
        raw = cur.fetchone()
    conn = psycopg2.connect(s.gateway_dsn(s.token))
    conn.autocommit = True
    cur = conn.cursor()
    with pytest.raises(psycopg2.errors.InsufficientPrivilege) as err:
        cur.execute(leak)
    assert 'rule "masked-values"' in str(err.value)
    cur.execute("SELECT current_setting('application_name'), "
                "current_setting('x.leak', true)")
    seen = [conn.get_parameter_status("application_name"), *cur.fetchone()]
    with psycopg2.connect(s.direct_dsn()) as direct:
        other = direct.cursor()
        other.execute("SELECT application_name FROM pg_stat_activity")
        seen += [r[0] for r in other.fetchall()]
    for value in raw:
        assert all(value not in (v or "") for v in seen), seen
    # A literal is still fine.
    cur.execute("SET application_name = 'report'")
    assert conn.get_parameter_status("application_name") == "report"
    conn.close()


def test_catalog_views_do_not_show_masked_values(data_path):
    """pg_stats holds values of masked columns, pg_stat_activity other sessions' literals: under
    column rules a catalog column is masked unless it is known to hold names, OIDs, flags or
    counts only."""
    s = data_path
    apply_policy_and_wait(s, COLUMN_MASKING, "column-masking.yaml")
    with psycopg2.connect(s.direct_dsn()) as direct:
        cur = direct.cursor()
        cur.execute("ANALYZE customers")
        cur.execute("SELECT name, email FROM customers ORDER BY id LIMIT 50")
        raw = [v for row in cur.fetchall() for v in row]
        cur.execute("SELECT coalesce(most_common_vals::text, '') || "
                    "coalesce(histogram_bounds::text, '') "
                    "FROM pg_stats WHERE tablename = 'customers' AND attname = 'name'")
        assert any(v in cur.fetchone()[0] for v in raw)  # the leak is real without Warden
    conn = psycopg2.connect(s.gateway_dsn(s.token))
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SELECT attname, most_common_vals::text, histogram_bounds::text FROM pg_stats "
                "WHERE tablename = 'customers'")
    stats = cur.fetchall()
    assert {r[0] for r in stats} >= {"name", "email"}  # names of columns stay visible
    shown = " ".join(str(v) for r in stats for v in r[1:])
    assert not any(v in shown for v in raw), shown[:200]
    # Another session's literal in pg_stat_activity.query.
    with psycopg2.connect(s.direct_dsn()) as other:
        other.cursor().execute(f"SELECT '{raw[0]}' AS literal")
        cur.execute("SELECT query FROM pg_stat_activity")
        assert not any(raw[0] in (r[0] or "") for r in cur.fetchall())
    cur.execute("SELECT relname, relkind FROM pg_class WHERE relname = 'customers'")
    assert cur.fetchall() == [("customers", "r")]
    conn.close()


def test_custom_settings_are_of_unknown_origin(data_path):
    """A custom setting holds whatever any role put there (here a DBA's ALTER ROLE ... SET):
    SHOW and current_setting() of it are masked, ordinary settings are not."""
    s = data_path
    apply_policy_and_wait(s, COLUMN_MASKING, "column-masking.yaml")
    with psycopg2.connect(s.direct_dsn()) as direct:
        cur = direct.cursor()
        cur.execute("SELECT email FROM customers WHERE id = 2")
        email = cur.fetchone()[0]
    as_superuser(s, f"ALTER ROLE app SET x.leak = '{email}'")
    try:
        conn = psycopg2.connect(s.gateway_dsn(s.token))
        cur = conn.cursor()
        cur.execute("SHOW x.leak")
        shown = cur.fetchone()[0]
        cur.execute("SELECT current_setting('x.leak')")
        current = cur.fetchone()[0]
        cur.execute("SHOW DateStyle")
        assert cur.fetchone()[0] == "ISO, MDY"
        conn.close()
        assert email not in (shown or "") and email not in (current or ""), (shown, current)
    finally:
        as_superuser(s, "ALTER ROLE app RESET x.leak")


def as_superuser(s, sql):
    res = subprocess.run(["runuser", "-u", "postgres", "--", "psql", "-X", "-h", str(s.pg_dir),
                          "-p", str(s.pg_port), "-d", "demo", "-c", sql],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr

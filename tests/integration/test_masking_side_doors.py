"""Masked values have no side doors through server settings: a masked subject cannot set one to
a computed value, so neither ParameterStatus, SHOW, current_setting() nor another session's
pg_stat_activity ever holds a raw value."""
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

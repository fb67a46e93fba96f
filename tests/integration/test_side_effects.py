"""Side effects are not reads: a read-only subject cannot change state through a SELECT that
calls a function which does (large objects, sequences, advisory locks, NOTIFY, settings, other
backends). Each test proves the state did not change."""
import pytest

from warden_fixtures import apply_policy_and_wait, demo_policy, direct_value as direct
from warden_fixtures import gateway_psql as psql

psycopg2 = pytest.importorskip("psycopg2")

READ_ONLY = demo_policy("read_only: true\n")


@pytest.fixture
def read_only(data_path):
    with psycopg2.connect(data_path.direct_dsn()) as conn:
        conn.cursor().execute("CREATE SEQUENCE IF NOT EXISTS side_seq")
    apply_policy_and_wait(data_path, READ_ONLY, "read-only.yaml")
    return data_path


@pytest.mark.parametrize("sql", [
    "SELECT lo_from_bytea(0, 'smuggled')",
    "SELECT nextval('side_seq')",
    "SELECT setval('side_seq', 4242)",
    "SELECT pg_advisory_lock(77)",
    "SELECT pg_notify('leak', (SELECT email FROM customers LIMIT 1))",
    "SELECT set_config('default_transaction_read_only', 'off', false)",
    "SELECT set_config('search_path', 'evil', false)",
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE false",
    "SELECT count(*) FROM customers WHERE nextval('side_seq') > 0",
])
def test_state_changing_functions_are_refused_for_read_only_subjects(read_only, sql):
    s = read_only
    los = direct(s, "SELECT count(*) FROM pg_largeobject_metadata")
    seq = direct(s, "SELECT last_value FROM side_seq")
    res = psql(s, sql)
    assert 'rule "read-only"' in res.stderr, res
    assert direct(s, "SELECT count(*) FROM pg_largeobject_metadata") == los
    assert direct(s, "SELECT last_value FROM side_seq") == seq
    assert direct(s, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'") == 0


def test_harmless_volatile_functions_still_read(read_only):
    res = psql(read_only, "SELECT random() < 2, clock_timestamp() IS NOT NULL, "
                          "gen_random_uuid() IS NOT NULL, currval IS NULL FROM "
                          "(SELECT NULL::bigint AS currval) x")
    assert res.returncode == 0 and res.stdout.strip() == "t|t|t|t", res.stderr

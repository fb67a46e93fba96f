"""Result masking by content detectors in the agent: with a masking policy
on, no raw email, card number or SSN of the demo customers reaches a client, whatever path the
values take (casts, functions, JSON, aggregates, COPY, errors, notices, NOTIFY, binary results);
with the masking rules removed, the same queries show them."""
import subprocess

import pytest

from jdbc_masking_check import HAVE_JAVA, parse_jdbc, run_jdbc
from warden_fixtures import apply_policy_and_wait, masked_counts, notification, MASKING
from warden_stack import wait_until

psycopg = pytest.importorskip("psycopg")
psycopg2 = pytest.importorskip("psycopg2")


# The same policy without masking rules.
NO_MASKING = MASKING[:MASKING.index("masking:\n")]

IDS = "id BETWEEN 1 AND 8"  # the seed's SSN areas for these ids are all issuable (101-108)

# psql queries whose output (stdout and stderr) must not show a raw value.
PSQL_QUERIES = [
    f"SELECT * FROM customers WHERE {IDS}",
    f"SELECT email::varchar, upper(email), card_number || '', 'ssn: ' || ssn FROM customers "
    f"WHERE {IDS}",
    f"SELECT replace(card_number, ' ', ''), replace(card_number, ' ', '-') FROM customers "
    f"WHERE {IDS}",
    f"SELECT row_to_json(c) FROM customers c WHERE {IDS}",
    f"SELECT row_to_json(c) FROM (SELECT id, email, card_number FROM customers WHERE {IDS}) c",
    f"SELECT json_agg(c)::text FROM customers c WHERE {IDS}",
    f"SELECT string_agg(email || ' ' || card_number, '; ') FROM customers WHERE {IDS}",
    f"SELECT string_agg(ssn, ',') FROM customers WHERE {IDS}",
    f"WITH x AS (SELECT email, card_number, ssn FROM customers WHERE {IDS}) "
    "SELECT lower(email), card_number, ssn FROM x",
    "SELECT (SELECT email FROM customers WHERE id = o.customer_id), o.amount FROM orders o "
    "WHERE customer_id BETWEEN 1 AND 8",
    f"COPY (SELECT email, card_number, ssn FROM customers WHERE {IDS}) TO STDOUT",
    f"COPY (SELECT email, card_number, ssn FROM customers WHERE {IDS}) TO STDOUT "
    "WITH (FORMAT csv, HEADER)",
    "UPDATE customers SET name = name WHERE id = 3 RETURNING email, card_number, ssn",
]

# Queries whose values reach the client only in an error or a notice.
ERROR_QUERIES = [
    "SELECT email::int FROM customers WHERE id = 1",
    "SELECT ssn::int FROM customers WHERE id = 2",
    "SELECT card_number::numeric FROM customers WHERE id = 4",
    "DO $$ BEGIN RAISE NOTICE 'card %', (SELECT card_number FROM customers WHERE id = 4); END $$",
    "DO $$ BEGIN RAISE EXCEPTION 'bad customer' USING DETAIL = (SELECT email || ' ' || ssn "
    "FROM customers WHERE id = 5); END $$",
]


@pytest.fixture
def raw(data_path):
    """The raw values of the customers the queries touch, read directly from PostgreSQL."""
    with psycopg2.connect(data_path.direct_dsn()) as conn:
        cur = conn.cursor()
        cur.execute(f"SELECT email, card_number, ssn FROM customers WHERE {IDS}")
        values = set()
        for email, card, ssn in cur.fetchall():
            values |= {email, card, card.replace(" ", ""), card.replace(" ", "-"), ssn}
    return values


def apply(s, policy):
    apply_policy_and_wait(s, policy, "masking.yaml")


@pytest.fixture
def masked(data_path):
    apply(data_path, MASKING)
    return data_path


def psql(s, sql):
    args = ["psql", "-X", "-At", s.gateway_dsn(s.token), "-c", sql]
    res = subprocess.run(args, capture_output=True, text=True, errors="replace", timeout=60)
    return res, res.stdout + res.stderr


def leaked(output, raw):
    text = output.lower()
    return sorted(v for v in raw if v.lower() in text)


@pytest.mark.parametrize("sql", PSQL_QUERIES)
def test_psql_results_show_no_raw_value(masked, raw, sql):
    res, output = psql(masked, sql)
    assert res.returncode == 0, res.stderr
    assert not leaked(output, raw), output
    # The values were there: masked, or nulled whole (a value holding an SSN, the NULL rule).
    assert "****" in output or (res.stdout.strip() == "" and res.stdout.count("\n") >= 1)


@pytest.mark.parametrize("sql", ERROR_QUERIES)
def test_errors_and_notices_show_no_raw_value(masked, raw, sql):
    res, output = psql(masked, sql)
    assert ("ERROR" in res.stderr) or ("NOTICE" in res.stderr), output
    assert not leaked(output, raw), output
    assert "****" in output


def test_null_strategy_gives_sql_null(masked):
    res, _ = psql(masked, "SELECT ssn IS NULL, coalesce(ssn, 'was-null') FROM customers "
                          "WHERE id = 1")
    # The server computed both columns from the raw value; the client sees the second nulled.
    assert res.stdout.strip() == "f|", res.stdout


def test_binary_copy_is_refused_and_the_session_goes_on(masked):
    s = masked
    with psycopg.connect(s.gateway_dsn(s.token), autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege) as err:
            with conn.cursor().copy(f"COPY (SELECT email FROM customers WHERE {IDS}) "
                                    "TO STDOUT (FORMAT binary)") as copy:
                for _ in copy:
                    pass
        assert "binary COPY is not allowed while masking is on" in str(err.value)
        assert conn.execute("SELECT count(*) FROM customers").fetchone() == (1000,)


def test_psycopg3_binary_and_extended_results(masked, raw):
    s = masked
    with psycopg.connect(s.gateway_dsn(s.token), autocommit=True) as conn:
        cur = conn.cursor(binary=True)
        cur.execute(f"SELECT id, email, card_number, ssn, "
                    f"jsonb_build_object('email', email, 'card', card_number), ARRAY[email] "
                    f"FROM customers WHERE {IDS} ORDER BY id")
        rows = cur.fetchall()
        assert [r[0] for r in rows] == list(range(1, 9))  # int4 in binary: untouched
        assert all(r[1] == "****" and r[2].startswith("*") and r[2][-3:].isdigit()
                   for r in rows), rows
        assert all(r[3] is None for r in rows)  # NULL strategy
        assert all(r[4]["email"] == "****" and r[4]["card"].startswith("*")
                   for r in rows)  # binary jsonb masked in place
        assert all(r[5] is None for r in rows)  # a binary array cannot be masked in its type
        assert not leaked(repr(rows), raw)
        # Text results through Parse/Bind/Execute, parameters included.
        text_rows = conn.execute("SELECT email, card_number FROM customers WHERE id = %s",
                                 (4,)).fetchall()
        assert text_rows[0][0] == "****" and text_rows[0][1].endswith("1111")
        assert not leaked(repr(text_rows), raw)


@pytest.mark.skipif(not HAVE_JAVA, reason="no JDBC/java")
def test_jdbc_re_executed_statements_keep_their_binary_results_masked(masked, raw):
    """pgjdbc describes a named statement once, then binds it again asking for binary results
    without a new Describe: each execution's rows must be masked in the formats its Bind asked
    for, so the driver decodes every value and none is raw."""
    s = masked
    queries = [
        f"SELECT id, email, card_number, ssn FROM customers WHERE {IDS} ORDER BY id",
        f"SELECT array_agg(email ORDER BY id), array_agg(id ORDER BY id) FROM customers "
        f"WHERE {IDS}",
        "SELECT jsonb_build_object('email', email), email::varchar FROM customers WHERE id = 2",
        "SELECT 'no secret here', 42",
    ]
    res = run_jdbc(s, f"jdbc:postgresql://127.0.0.1:{s.pg_gateway_port}/demo?sslmode=disable"
                      "&prepareThreshold=1", s.token, queries)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    results, ok = parse_jdbc(res.stdout)
    assert not leaked(res.stdout + res.stderr, raw)
    runs = [run for q in range(len(queries)) for run in results[q]]
    assert ok == 3 * len(queries) and not [r["error"] for r in runs if r["error"]], res.stdout
    assert all(r["named"] for r in results[0][1:])  # re-executed as a named statement
    for run in results[0]:
        print("OUT", res.stdout[:1500])
        assert [r[0] for r in run["rows"]] == [str(i) for i in range(1, 9)]
        assert all(r[1] == "****" and r[2].startswith("*") and r[2][-3:].isdigit() and
                   r[3] is None for r in run["rows"]), run["rows"]
    direct = run_jdbc(s, f"jdbc:postgresql://127.0.0.1:{s.pg_port}/demo?sslmode=disable"
                         "&prepareThreshold=1&user=app", s.pg_password, queries[1:2])
    direct_runs = parse_jdbc(direct.stdout)[0][0]
    for run, direct_run in zip(results[1], direct_runs, strict=True):
        # An email array is masked element by element as text, or NULL in binary (it cannot be
        # rewritten in its type); the ids read exactly as they do directly.
        emails, ids = run["rows"][0]
        assert emails is None or set(emails.strip("{}").split(",")) == {"****"}, emails
        assert ids == direct_run["rows"][0][1]
    assert results[1][-1]["rows"][0][0] is None  # re-executed in binary: NULL, and decoded
    for run in results[2]:
        assert run["rows"] == [('{"email": "****"}', "****")]
    assert all(run["rows"] == [("no secret here", "42")] for run in results[3])


def test_psycopg2_server_side_cursor_and_notify(masked, raw):
    s = masked
    conn = psycopg2.connect(s.gateway_dsn(s.token))
    try:
        with conn.cursor(name="customers_cursor") as cur:  # DECLARE ... / FETCH
            cur.execute(f"SELECT email, card_number, ssn FROM customers WHERE {IDS}")
            fetched = cur.fetchall()
        conn.commit()
        assert len(fetched) == 8 and not leaked(repr(fetched), raw)
        conn.autocommit = True
        channel, payload = notification(
            conn, "cards", "SELECT pg_notify('cards', card_number || ' ' || email || ' ' || ssn) "
            "FROM customers WHERE id = 4")
        assert channel == "cards"
        assert payload.endswith("****") and "1111" in payload, payload
        assert not leaked(payload, raw)
    finally:
        conn.close()


def test_masked_values_are_counted_per_rule(masked):
    s = masked
    res, _ = psql(s, f"SELECT email, card_number, ssn FROM customers WHERE {IDS}")
    assert res.returncode == 0, res.stderr
    wait_until("the masked counts", lambda: masked_counts(s) == {
        ("masking", "cards"): 8, ("masking", "emails"): 8, ("masking", "ssns"): 8})


def test_without_masking_rules_raw_values_appear(masked, raw):
    s = masked
    apply(s, NO_MASKING)
    res, output = psql(s, f"SELECT * FROM customers WHERE {IDS}")
    assert res.returncode == 0, res.stderr
    shown = {v for v in raw if "@" in v or " " in v or v[3:4] == "-"}  # emails, cards, SSNs
    assert set(leaked(output, raw)) >= shown, output
    _, error = psql(s, "SELECT email::int FROM customers WHERE id = 1")
    assert "customer1@example.com" in error
    with psycopg.connect(s.gateway_dsn(s.token), autocommit=True) as conn:
        row = conn.cursor(binary=True).execute(
            "SELECT email, ssn FROM customers WHERE id = 1").fetchone()
        assert row[0] == "customer1@example.com" and row[1] is not None

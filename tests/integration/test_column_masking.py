"""Column masking in the agent: a result column fed by a masked table
column -- directly or through casts, aliases, functions, JSON, aggregates, subqueries, CTEs,
UNION, joins, CASE, views and a materialized view -- is masked whole by the first matching rule
of the policy, on every path a client can read it: the simple protocol (psql), the extended
protocol with text and binary results (psycopg 3), server-side prepared statements (JDBC,
prepareThreshold=1), cursors (DECLARE/FETCH, psycopg2 named cursors), PREPARE/EXECUTE,
UPDATE/INSERT ... RETURNING and COPY ... TO STDOUT. Names and SSNs are protected only by their
column rules (no detector finds "Customer 17"; the ssn rule has none), so they prove the
column lineage. With the masking rules removed, the same corpus returns exactly what PostgreSQL
returns directly.

Every check compares cell by cell with the same statement run directly on PostgreSQL by the
same client: the expected masked cell is computed from the raw cell, its column type and the
rule the corpus names for the column, so columns fed by no masked column (ids, amounts,
timestamps, counts) are checked to be exact too. Each test function starts a whole stack, so
each runs many statements, collects every failure and asserts once with all of them."""
import csv
import hashlib
import io
import re
import subprocess

import pytest

from column_masking_corpus import COPIES, CORPUS, IDS, PSQL_MULTI, SCRATCH, SELECTS
from jdbc_masking_check import HAVE_JAVA, parse_jdbc, run_jdbc
from warden_fixtures import apply_policy_and_wait, masked_counts, notification, COLUMN_MASKING
from warden_stack import wait_until

psycopg = pytest.importorskip("psycopg")
psycopg2 = pytest.importorskip("psycopg2")

# The same policy without masking rules, and with statements denied whose result columns have
# sources the agent cannot tell.
NO_COLUMN_MASKING = COLUMN_MASKING[:COLUMN_MASKING.index("masking:\n")]
DENY_UNKNOWN = COLUMN_MASKING.replace("default_action: allow\n",
                                      "default_action: allow\nmasking_unknown: deny\n")
POLICY = "column-masking"

# Text-like types (text, varchar, bpchar, name, "char", unknown): masked in their type.
TEXT_OIDS = {25, 1043, 1042, 19, 18, 705}
TEXT_TYPE_NAMES = {"text", "varchar", "bpchar", "name", "char", "unknown"}

PSQL_NULL = "\x01"  # psql's null display; no data holds it


# -- expected values ------------------------------------------------------------------------

def partial(value, keep_last=4):
    return "*" * len(value) if len(value) <= keep_last else \
        "*" * (len(value) - keep_last) + value[-keep_last:]


def expected_cell(code, is_text, value):
    if code == "-" or value is None:
        return value
    if not is_text or code == "S":
        return None
    if code == "C":
        return partial(value)
    return "****"  # N, E, U: redact


def expected_rows(rows, spec, text_cols, masking):
    if not masking:
        return list(rows)
    return [tuple(expected_cell(code, t, v) for code, t, v in zip(spec, text_cols, row))
            for row in rows]


def same_rows(got, want, ordered):
    if ordered:
        return list(got) == list(want)
    return sorted(got, key=repr) == sorted(want, key=repr)


# -- raw values and leaks -------------------------------------------------------------------

class Raw:
    """Every customer's personal values, read directly from PostgreSQL."""

    def __init__(self, s):
        with psycopg.connect(s.direct_dsn()) as conn:
            rows = conn.execute("SELECT id, name, email, card_number, ssn FROM customers "
                                "ORDER BY id").fetchall()
        self.by_id = {r[0]: r[1:] for r in rows}
        self.names = {r[1].lower() for r in rows}
        self.emails = {r[2].lower() for r in rows}
        self.ssns = {r[4] for r in rows}
        self.md5s = {hashlib.md5(r[1].encode()).hexdigest() for r in rows}
        cards = {r[3] for r in rows}
        self.cards = cards | {c.replace(" ", "") for c in cards} | \
            {c.replace(" ", "-") for c in cards}

    def leaked(self, text):
        """Raw values found in text: any "Customer <n>" (a masked result holds no name at all),
        emails, SSNs, card numbers (with spaces, without, with dashes) and md5s of names."""
        found = {m.lower() for m in re.findall(r"customer \d+", text, re.I)}
        found |= {m.lower() for m in re.findall(r"customer\d+@example\.com", text, re.I)} & \
            self.emails
        found |= set(re.findall(r"(?<!\d)\d{3}-\d{2}-\d{4}(?!\d)", text)) & self.ssns
        found |= {c for c in self.cards if c in text}
        found |= {m.lower() for m in re.findall(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])",
                                                   text, re.I)} & self.md5s
        return sorted(found)


@pytest.fixture
def scratch(data_path):
    with psycopg.connect(data_path.direct_dsn(), autocommit=True) as conn:
        for sql in SCRATCH:
            conn.execute(sql)
    return data_path


@pytest.fixture
def raw(scratch):
    return Raw(scratch)


def apply(s, policy):
    apply_policy_and_wait(s, policy, "column-masking.yaml")


@pytest.fixture
def masked(scratch):
    apply(scratch, COLUMN_MASKING)
    return scratch


@pytest.fixture
def unmasked(scratch):
    apply(scratch, NO_COLUMN_MASKING)
    return scratch


class Report:
    """Collects every failure of a test run, and every client output for the leak checks."""

    def __init__(self, raw, masking):
        self.raw = raw
        self.masking = masking
        self.failures = []
        self.outputs = []
        self.checked = 0

    def fail(self, path, sql, msg):
        self.failures.append(f"[{path}] {sql}\n    {msg}")

    def output(self, path, sql, text):
        """A client's output through Warden: with masking on it must show no raw value."""
        self.outputs.append(text)
        if self.masking:
            leaks = self.raw.leaked(text)
            if leaks:
                self.fail(path, sql, f"raw values leaked: {leaks[:10]}")

    def compare(self, path, sql, got, want, ordered=False):
        self.checked += 1
        if len(got) != len(want):
            self.fail(path, sql, f"{len(got)} rows, expected {len(want)}: got {got[:3]!r}, "
                                 f"expected {want[:3]!r}")
        elif not same_rows(got, want, ordered):
            g = got if ordered else sorted(got, key=repr)
            w = want if ordered else sorted(want, key=repr)
            diff = [(a, b) for a, b in zip(g, w) if a != b]
            self.fail(path, sql, f"{len(diff)} rows differ, first: got {diff[0][0]!r}, "
                                 f"expected {diff[0][1]!r}")

    def all_output(self):
        return "\n".join(self.outputs)

    def assert_ok(self, minimum_checked):
        assert not self.failures, (f"{len(self.failures)} failures of {self.checked} checks:\n"
                                   + "\n".join(self.failures))
        assert self.checked >= minimum_checked, self.checked


def check_spec(report, path, sql, spec, ncols):
    if len(spec) != ncols:
        report.fail(path, sql, f"harness: spec {spec!r} for {ncols} columns")
        return False
    return True


# -- psql (simple protocol) -----------------------------------------------------------------

def psql(dsn, sql, *extra):
    args = ["psql", "-X", "-q", "-A", "-t", "-F", "\x1f", "-R", "\x1e", "-P",
            f"null={PSQL_NULL}", "-v", "ON_ERROR_STOP=1", *extra, dsn, "-c", sql]
    return subprocess.run(args, capture_output=True, text=True, errors="replace", timeout=120)


def psql_rows(out, multi=False):
    """Rows of psql -A -t output: records end with \\x1e, a result with a newline (several
    statements: no cell may hold one then)."""
    if not out:
        return []
    body = out[:-1] if out.endswith("\n") else out
    records = re.split("[\x1e\n]", body) if multi else body.split("\x1e")
    return [tuple(None if c == PSQL_NULL else c for c in r.split("\x1f")) for r in records]


def text_columns(s, sql):
    """Which result columns of sql (run directly) have a text-like type."""
    with psycopg.connect(s.direct_dsn(), autocommit=True) as conn:
        cur = conn.execute(sql)
        return [d.type_code in TEXT_OIDS for d in cur.description]


def run_both(s, report, where, sql, need_output=False):
    """Runs `sql` with psql directly and through Warden; None (failure reported) when either
    fails."""
    direct = psql(s.direct_dsn(), sql)
    if direct.returncode != 0 or (need_output and not direct.stdout):
        report.fail(where, sql, f"harness: direct run failed: {direct.stderr}")
        return None
    res = psql(s.gateway_dsn(s.token), sql)
    report.output(where, sql, res.stdout + res.stderr)
    if res.returncode != 0:
        report.fail(where, sql, f"failed: {res.stderr.strip()}")
        return None
    return direct, res


def check_psql(s, report, entries=CORPUS):
    for sql, spec in entries:
        both = run_both(s, report, "psql", sql)
        if both is None:
            continue
        direct, res = both
        text_cols = text_columns(s, sql)
        if not check_spec(report, "psql", sql, spec, len(text_cols)):
            continue
        want = expected_rows(psql_rows(direct.stdout), spec, text_cols, report.masking)
        report.compare("psql", sql, psql_rows(res.stdout), want)


def check_psql_multi(s, report):
    for sql, columns_sql, spec in PSQL_MULTI:
        both = run_both(s, report, "psql multi", sql, need_output=True)
        if both is None:
            continue
        direct, res = both
        text_cols = text_columns(s, columns_sql)
        if not check_spec(report, "psql multi", sql, spec, len(text_cols)):
            continue
        want = expected_rows(psql_rows(direct.stdout, multi=True), spec, text_cols,
                             report.masking)
        report.compare("psql multi", sql, psql_rows(res.stdout, multi=True), want, ordered=True)


def copy_rows(out, fmt):
    if fmt == "csv":
        return [tuple(c if c != "" else None for c in r) for r in csv.reader(io.StringIO(out))]
    return [tuple(None if c == "\\N" else c for c in line.split("\t"))
            for line in out.split("\n") if line]


def check_psql_copy(s, report):
    for sql, columns_sql, spec, fmt in COPIES:
        both = run_both(s, report, "psql copy", sql, need_output=True)
        if both is None:
            continue
        direct, res = both
        # COPY rows carry no types: a masked value is written as its strategy's text whatever
        # the column's type (there is no parser to fail on "****").
        text_cols = [True] * len(text_columns(s, columns_sql))
        if not check_spec(report, "psql copy", sql, spec, len(text_cols)):
            continue
        raw_rows, got = copy_rows(direct.stdout, fmt), copy_rows(res.stdout, fmt)
        if "HEADER" in sql:  # the header line is column names, never masked
            if not got or got[0] != raw_rows[0]:
                report.fail("psql copy", sql, f"header {got[:1]!r}, expected {raw_rows[0]!r}")
                continue
            raw_rows, got = raw_rows[1:], got[1:]
        report.compare("psql copy", sql, got,
                       expected_rows(raw_rows, spec, text_cols, report.masking))


# -- psycopg 3 (extended protocol, text and binary) and psycopg2 (named cursors) ---------------

def check_psycopg3(s, report, entries=CORPUS):
    with psycopg.connect(s.direct_dsn(), autocommit=True) as direct, \
            psycopg.connect(s.gateway_dsn(s.token), autocommit=True) as conn:
        for binary in (False, True):
            for prepare in (False, True):
                path = f"psycopg3 {'binary' if binary else 'text'}" + \
                    (" prepared" if prepare else "")
                for sql, spec in entries:
                    dcur = direct.cursor(binary=binary)
                    dcur.execute(sql)
                    raw_rows = dcur.fetchall()
                    text_cols = [d.type_code in TEXT_OIDS for d in dcur.description]
                    if not check_spec(report, path, sql, spec, len(text_cols)):
                        continue
                    want = expected_rows(raw_rows, spec, text_cols, report.masking)
                    # Prepared: the second execution runs the server-side named statement.
                    for _ in range(2 if prepare else 1):
                        cur = conn.cursor(binary=binary)
                        try:
                            cur.execute(sql, prepare=prepare)
                            got = cur.fetchall()
                        except psycopg.Error as e:
                            report.output(path, sql, str(e))
                            report.fail(path, sql, f"failed: {e.sqlstate} {e}")
                            break
                        report.output(path, sql, repr(got))
                        report.compare(path, sql, got, want)


def check_psycopg3_parameters(s, report):
    """Parameters bound in Bind: the values come back masked all the same."""
    sql = "SELECT id, name, email, card_number, ssn FROM customers WHERE id = %s"
    with psycopg.connect(s.direct_dsn(), autocommit=True) as direct, \
            psycopg.connect(s.gateway_dsn(s.token), autocommit=True) as conn:
        for binary in (False, True):
            for customer in (1, 4, 7):
                raw_rows = direct.cursor(binary=binary).execute(sql, (customer,)).fetchall()
                got = conn.cursor(binary=binary).execute(sql, (customer,)).fetchall()
                path = f"psycopg3 params {'binary' if binary else 'text'}"
                report.output(path, sql, repr(got))
                report.compare(path, f"{sql} [{customer}]", got,
                               expected_rows(raw_rows, "-NECS", [False, True, True, True, True],
                                             report.masking))


def check_psycopg2_named_cursors(s, report, entries=SELECTS):
    direct = psycopg2.connect(s.direct_dsn())
    conn = psycopg2.connect(s.gateway_dsn(s.token))
    try:
        for i, (sql, spec) in enumerate(entries):
            dcur = direct.cursor()
            dcur.execute(sql)
            raw_rows = dcur.fetchall()
            text_cols = [d.type_code in TEXT_OIDS for d in dcur.description]
            direct.rollback()
            if not check_spec(report, "psycopg2 cursor", sql, spec, len(text_cols)):
                continue
            try:
                with conn.cursor(name=f"named_{i}") as cur:  # DECLARE ... ; FETCH FORWARD
                    cur.itersize = 3  # several FETCHes per cursor
                    cur.execute(sql)
                    got = list(cur)
                conn.commit()
            except psycopg2.Error as e:
                conn.rollback()
                report.output("psycopg2 cursor", sql, str(e))
                report.fail("psycopg2 cursor", sql, f"failed: {e.pgcode} {e}")
                continue
            report.output("psycopg2 cursor", sql, repr(got))
            report.compare("psycopg2 cursor", sql, got,
                           expected_rows(raw_rows, spec, text_cols, report.masking))
    finally:
        direct.close()
        conn.close()


# -- JDBC (server-side prepared statements) -----------------------------------------------------

def check_jdbc(s, report, entries=CORPUS):
    queries = [sql for sql, _ in entries]
    direct = run_jdbc(s, f"jdbc:postgresql://127.0.0.1:{s.pg_port}/demo?sslmode=disable"
                         "&prepareThreshold=1&user=app", s.pg_password, queries)
    if direct.returncode != 0:
        report.fail("jdbc", "(direct run)", f"harness: {direct.stdout[-2000:]}{direct.stderr}")
        return
    res = run_jdbc(s, f"jdbc:postgresql://127.0.0.1:{s.pg_gateway_port}/demo?sslmode=disable"
                      "&prepareThreshold=1", s.token, queries)
    report.output("jdbc", "(all)", res.stdout + res.stderr)
    if res.returncode != 0:
        report.fail("jdbc", "(gateway run)", f"exit {res.returncode}: {res.stderr[-3000:]}")
        return
    raw_results, raw_ok = parse_jdbc(direct.stdout)
    results, ok = parse_jdbc(res.stdout)
    if raw_ok != 3 * len(queries):
        report.fail("jdbc", "(direct run)", f"harness: OK {raw_ok}, expected {3 * len(queries)}")
    if ok != 3 * len(queries):
        report.fail("jdbc", "(gateway run)", f"OK {ok}, expected {3 * len(queries)}")
    for i, (sql, spec) in enumerate(entries):
        raw_runs, runs = raw_results.get(i, []), results.get(i, [])
        if len(raw_runs) != 3 or len(runs) != 3:
            report.fail("jdbc", sql, f"{len(runs)} executions (direct {len(raw_runs)})")
            continue
        text_cols = [t in TEXT_TYPE_NAMES for t in raw_runs[0]["types"]]
        if not check_spec(report, "jdbc", sql, spec, len(text_cols)):
            continue
        for n, (raw_run, run) in enumerate(zip(raw_runs, runs), 1):
            path = f"jdbc execution {n}"
            if run["error"]:
                report.fail(path, sql, f"failed: {run['error']}")
                continue
            if not run["named"]:
                report.fail(path, sql, "not a server-side prepared statement")
            report.compare(path, sql, run["rows"],
                           expected_rows(raw_run["rows"], spec, text_cols, report.masking))


# -- the tests ----------------------------------------------------------------------------------

def names_emails_cards_ssns(raw, ids=range(1, 9)):
    """The raw values of customers 1..8 as leaked() reports them."""
    values = set()
    for i in ids:
        name, email, card, ssn = raw.by_id[i]
        values |= {name.lower(), email.lower(), card, ssn}
    return values


def test_without_masking_rules_every_path_returns_the_raw_values(unmasked, raw):
    """The harness against the policy without masking rules: every path returns exactly what
    PostgreSQL returns directly, and the raw names, emails, cards and SSNs do appear."""
    s = unmasked
    report = Report(raw, masking=False)
    check_psql(s, report)
    check_psql_multi(s, report)
    check_psql_copy(s, report)
    check_psycopg3(s, report)
    check_psycopg3_parameters(s, report)
    check_psycopg2_named_cursors(s, report)
    if HAVE_JAVA:
        check_jdbc(s, report)
    report.assert_ok(len(CORPUS) * 5 + len(PSQL_MULTI) + len(COPIES))
    shown = set(raw.leaked(report.all_output()))
    missing = names_emails_cards_ssns(raw) - shown
    assert not missing, f"raw values that never appeared: {sorted(missing)}"
    md5s = {hashlib.md5(raw.by_id[i][0].encode()).hexdigest() for i in range(1, 9)}
    assert md5s <= shown
    res = psql(s.gateway_dsn(s.token), "SELECT echo_text(name) FROM customers WHERE id = 17")
    assert psql_rows(res.stdout) == [("Customer 17",)], res.stdout + res.stderr


def test_psql_simple_protocol_masks_every_column_fed_by_a_masked_column(masked, raw):
    s = masked
    report = Report(raw, masking=True)
    # Written out by hand, not derived from a direct run.
    sql = f"SELECT id, name, email, card_number, ssn FROM customers WHERE {IDS} ORDER BY id"
    res = psql(s.gateway_dsn(s.token), sql)
    report.output("psql by hand", sql, res.stdout + res.stderr)
    report.compare("psql by hand", sql, psql_rows(res.stdout),
                   [(str(i), "****", "****", partial(raw.by_id[i][2]), None)
                    for i in range(1, 9)], ordered=True)
    check_psql(s, report)
    report.assert_ok(len(CORPUS) + 1)


def test_psql_cursors_prepare_execute_returning_and_copy(masked, raw):
    s = masked
    report = Report(raw, masking=True)
    sql = "COPY customers (id, name) TO STDOUT WITH (FORMAT csv, HEADER)"
    res = psql(s.gateway_dsn(s.token), sql)
    report.output("psql copy by hand", sql, res.stdout + res.stderr)
    lines = res.stdout.splitlines()
    body = sorted(lines[1:], key=lambda line: int(line.split(",")[0]))  # UPDATEs move rows
    report.compare("psql copy by hand", sql, lines[:1] + body,
                   ["id,name"] + [f"{i},****" for i in range(1, 1001)], ordered=True)
    check_psql_multi(s, report)
    check_psql_copy(s, report)
    report.assert_ok(len(PSQL_MULTI) + len(COPIES) + 1)


def test_psycopg_extended_text_binary_and_named_cursors(masked, raw):
    s = masked
    report = Report(raw, masking=True)
    # Binary results, written out by hand: int4 untouched, text masked in place, jsonb NULL.
    sql = (f"SELECT id, name, email, card_number, ssn, to_jsonb(c), md5(name) "
           f"FROM customers c WHERE {IDS} ORDER BY id")
    with psycopg.connect(s.gateway_dsn(s.token), autocommit=True) as conn:
        rows = conn.cursor(binary=True).execute(sql).fetchall()
    report.output("psycopg3 binary by hand", sql, repr(rows))
    report.compare("psycopg3 binary by hand", sql, rows,
                   [(i, "****", "****", partial(raw.by_id[i][2]), None, None, "****")
                    for i in range(1, 9)], ordered=True)
    check_psycopg3(s, report)
    check_psycopg3_parameters(s, report)
    check_psycopg2_named_cursors(s, report)
    report.assert_ok(len(CORPUS) * 4 + len(SELECTS) + 1)


@pytest.mark.skipif(not HAVE_JAVA, reason="no JDBC/java")
def test_jdbc_prepared_statements(masked, raw):
    s = masked
    report = Report(raw, masking=True)
    check_jdbc(s, report)
    report.assert_ok(len(CORPUS) * 3)
    assert "****" in report.all_output()


def test_function_the_agent_cannot_see_into_is_masked_or_denied(masked, raw):
    s = masked
    problems = []

    def expect(what, got, want):
        if got != want:
            problems.append(f"{what}: got {got!r}, expected {want!r}")

    def rows(conn, sql):
        try:
            return conn.execute(sql).fetchall()
        except psycopg.Error as e:
            return f"{e.sqlstate} {e}"
    # masking_unknown defaults to mask: the whole column, whatever the function was given.
    with psycopg.connect(s.gateway_dsn(s.token), autocommit=True) as conn:
        expect("mask: echo_text(name)",
               rows(conn, "SELECT echo_text(name) FROM customers WHERE id = 17"), [("****",)])
        expect("mask: echo_text('hello')", rows(conn, "SELECT echo_text('hello')"), [("****",)])
    apply(s, DENY_UNKNOWN)
    with psycopg.connect(s.gateway_dsn(s.token), autocommit=True) as conn:
        try:
            got = conn.execute("SELECT echo_text(name) FROM customers").fetchall()
            problems.append(f"deny: echo_text(name) returned {len(got)} rows: {got[:2]!r}")
        except psycopg.Error as e:
            if e.sqlstate != "42501" or "masking" not in str(e) or raw.leaked(str(e)):
                problems.append(f"deny: echo_text(name) failed with {e.sqlstate} {e}")
        # The connection goes on, and column rules still apply.
        expect("deny: id after the denial",
               rows(conn, "SELECT id FROM customers WHERE id = 1"), [(1,)])
        expect("deny: name and ssn",
               rows(conn, "SELECT id, name, ssn FROM customers WHERE id = 1"),
               [(1, "****", None)])
    res = psql(s.gateway_dsn(s.token), "SELECT echo_text(name) FROM customers",
               "-v", "VERBOSITY=verbose")
    if res.returncode == 0 or "42501" not in res.stderr or "masking" not in res.stderr or \
            raw.leaked(res.stdout + res.stderr):
        problems.append(f"deny: psql exit {res.returncode}: {res.stderr.strip()} "
                        f"{res.stdout[:200]!r}")
    assert not problems, "\n".join(problems)


# Statements whose failure or notice would print a masked value (names and SSNs are protected
# by column rules only: no detector finds them in a message), and the SQLSTATE each gives.
ERRORS = [
    ("SELECT name::int FROM customers WHERE id = 1", "22P02"),
    ("SELECT ssn::int FROM customers WHERE id = 2", "22P02"),
    ("SELECT 1 FROM customers WHERE id = 3 AND name::numeric > 0", "22P02"),
    ("SELECT 1 WHERE EXISTS (SELECT 1 FROM customers WHERE id = 4 AND ssn::date IS NULL)",
     "22008"),
    ("SELECT id FROM customers WHERE id = 5 AND to_date(name, 'YYYY') IS NULL", "22007"),
    ("INSERT INTO customers SELECT * FROM customers WHERE id = 6", "23505"),
    ("DO $$ BEGIN RAISE EXCEPTION 'bad %', (SELECT name || ' ' || ssn FROM customers "
     "WHERE id = 7); END $$", "P0001"),
    ("DO $$ BEGIN RAISE NOTICE 'see %', (SELECT name FROM customers WHERE id = 8); END $$",
     "00000"),
    ("SELECT echo_text(name)::int FROM customers WHERE id = 1", "22P02"),
]


def test_errors_and_notices_never_show_a_masked_value(masked, raw):
    """A failing cast, a constraint violation or a RAISE prints the value it touched; under
    column rules the message's texts are withheld, with the SQLSTATE and the reason, and the
    session goes on. A NOTIFY payload is redacted whole. Statement errors keep their text;
    without the rules the values show."""
    s = masked
    problems = []
    for sql, sqlstate in ERRORS:
        res = subprocess.run(["psql", "-X", "-v", "VERBOSITY=verbose", s.gateway_dsn(s.token),
                              "-c", sql, "-c", "SELECT 'still here'"],
                             capture_output=True, text=True, errors="replace", timeout=120)
        out = res.stdout + res.stderr
        if raw.leaked(out) or sqlstate not in out or "withheld" not in out or \
                "still here" not in out:
            problems.append(f"psql: {sql}: {out!r}")
        with psycopg.connect(s.gateway_dsn(s.token), autocommit=True) as conn:
            notices = []
            conn.add_notice_handler(lambda d: notices.append(f"{d.sqlstate} {d.message_primary}"))
            try:
                conn.execute(sql)
                got = " ".join(notices)
            except psycopg.Error as e:
                got = f"{e.sqlstate} {e} {e.diag.message_detail} {e.diag.context}"
            if raw.leaked(got) or sqlstate not in got or "withheld" not in got:
                problems.append(f"psycopg: {sql}: {got!r}")
    # A NOTIFY payload has no column to trace: redacted whole, the channel kept.
    conn = psycopg2.connect(s.gateway_dsn(s.token))
    try:
        conn.autocommit = True
        got = notification(conn, "customer_changed",
                           "SELECT pg_notify('customer_changed', name || ' ' || ssn) "
                           "FROM customers WHERE id = 1")
        if got != ("customer_changed", "****"):
            problems.append(f"NOTIFY: {got!r}")
    finally:
        conn.close()
    # One Query of several statements commits as its last one ends: the deferred unique check
    # of the two writes fails there, answering a statement that touches nothing.
    res = psql(s.gateway_dsn(s.token),
               "INSERT INTO name_log SELECT name FROM customers WHERE id = 3; "
               "INSERT INTO name_log SELECT name FROM customers WHERE id = 3; SELECT 1",
               "-v", "VERBOSITY=verbose")
    if raw.leaked(res.stderr) or "23505" not in res.stderr or "withheld" not in res.stderr:
        problems.append(f"implicit commit: {res.stderr!r}")
    res = psql(s.gateway_dsn(s.token), "SELECT nmae FROM customers")
    if 'column "nmae" does not exist' not in res.stderr:
        problems.append(f"a statement error lost its text: {res.stderr!r}")
    apply(s, NO_COLUMN_MASKING)
    shown = psql(s.gateway_dsn(s.token), ERRORS[0][0])
    if "Customer 1" not in shown.stderr:
        problems.append(f"without the rules the error should show the value: {shown.stderr!r}")
    assert not problems, "\n".join(problems)


def test_masked_values_are_counted_per_rule(masked):
    s = masked
    before = masked_counts(s)
    res = psql(s.gateway_dsn(s.token), f"SELECT name, ssn FROM customers WHERE {IDS}")
    assert res.returncode == 0, res.stderr

    def delta():
        now = masked_counts(s)
        return {k: v - before.get(k, 0) for k, v in now.items() if v != before.get(k, 0)}
    want = {(POLICY, "names"): 8, (POLICY, "ssns"): 8}
    try:
        wait_until("the masked counts", lambda: delta() == want)
    except AssertionError:
        assert delta() == want, f"masked counts before {before}, now {masked_counts(s)}"

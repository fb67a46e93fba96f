"""Just-in-time approval of one statement on the client's live connection: the agent holds it,
the client is told at once, an approver decides with wardenctl, and the client gets the outcome
on the same connection (real gateway, agent, control plane and PostgreSQL)."""
import json
import random
import subprocess
import threading

import psycopg
import psycopg2
import pytest

from warden_fixtures import reviewed_deletes
from warden_stack import wait_until



@pytest.fixture
def approvals(data_path):
    s = data_path
    assert s.apply_policy(reviewed_deletes(60), "reviewed.yaml").returncode == 0
    wait_until("agent current", lambda: s.agent_current("edge-1"))
    s.alice = admin_token(s, "alice", "--identity", "alice", "--group", "dba", "--role",
                          "approver")
    return s


def admin_token(s, name, *flags):
    return json.loads(s.ctl("admin-tokens", "create", name, *flags, "-o", "json").stdout)["token"]


def requests(s, state="pending"):
    return json.loads(s.ctl("approvals", "list", "--state", state, "-o", "json").stdout)["requests"]


def one_pending(s):
    wait_until("a pending approval request", lambda: len(requests(s)) == 1)
    return requests(s)[0]


def show(s, rid):
    return json.loads(s.ctl("approvals", "show", rid, "-o", "json").stdout)


def state(s, rid):
    return show(s, rid)["state"].removeprefix("APPROVAL_STATE_").lower()


def direct_count(s, where):
    with psycopg2.connect(s.direct_dsn()) as conn, conn.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM orders WHERE {where}")
        return cur.fetchone()[0]


def psql(s, sql):
    return subprocess.Popen(["psql", s.gateway_dsn(s.token), "-X", "-v", "ON_ERROR_STOP=1",
                             "-c", sql], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


class Background:
    """Runs fn in a thread; join() returns its result or raises what it raised."""

    def __init__(self, fn):
        self.result = self.error = None
        self.thread = threading.Thread(target=self._run, args=(fn,), daemon=True)
        self.thread.start()

    def _run(self, fn):
        try:
            self.result = fn()
        except Exception as e:  # noqa: BLE001 - handed to the test
            self.error = e

    def join(self, timeout=15):
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the client is still waiting"
        if self.error:
            raise self.error
        return self.result


def test_psql_waits_is_told_and_runs_once_approved(approvals):
    s = approvals
    assert direct_count(s, "id = 1") == 1
    client = psql(s, "DELETE FROM orders WHERE id = 1")
    r = one_pending(s)
    assert r["identity"] == "claude" and r["connection"] == "demo"
    assert r["policy"] == "reviewed-deletes" and r["rule"] == "deletes-need-approval"
    assert r["statement"] == "DELETE FROM orders WHERE id = 1"
    assert r["statement_class"] == "write" and r["agent"] == "edge-1"
    assert len(r["held_sha256"]) == 64
    assert r["estimate"]["writes"] == ["orders (every column)"]
    assert r["estimate"]["reads"] == ["orders (id)"]
    # Held: nothing reached the database, and the client still waits.
    assert direct_count(s, "id = 1") == 1
    assert client.poll() is None, client.communicate()

    s.ctl("approvals", "approve", r["id"], "--reason", "cleanup", "--token", s.alice)
    out, err = client.communicate(timeout=15)
    assert client.returncode == 0, err
    assert out.strip() == "DELETE 1"
    # psql printed the notice while it waited: the request, the rule and how to decide.
    assert f"Warden is holding this statement until it is approved: request {r['id']}" in err
    assert 'rule "deletes-need-approval"' in err and "groups dba" in err
    assert f"wardenctl approvals approve {r['id']}" in err
    assert direct_count(s, "id = 1") == 0
    wait_until("the outcome recorded", lambda: state(s, r["id"]) == "executed")
    done = show(s, r["id"])
    assert done["outcome"]["command_tag"] == "DELETE 1" and int(done["outcome"]["rows"]) == 1
    assert [d["identity"] for d in done["decisions"]] == ["alice"]


def test_psycopg3_parameters_denied_with_the_reason_and_the_session_goes_on(approvals):
    s = approvals
    with psycopg.connect(s.gateway_dsn(s.token)) as conn:  # a transaction, extended protocol
        cur = conn.cursor()
        cur.execute("SELECT count(*) FROM orders WHERE id = %s", (2,))
        assert cur.fetchone() == (1,)
        waiting = Background(lambda: cur.execute("DELETE FROM orders WHERE id = %s", (2,)))
        r = one_pending(s)
        assert r["statement"] == "DELETE FROM orders WHERE id = $1"
        assert r["parameters"] == ["2"] and r["in_transaction"] is True
        # Not planned inside a transaction block: an EXPLAIN that failed would abort it.
        assert "transaction block" in r["estimate"]["no_plan"], r["estimate"]
        res = s.ctl("approvals", "deny", r["id"], "--reason", "not during business hours",
                    "--token", s.alice)
        assert res.returncode == 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege) as err:
            waiting.join()
        assert f"approval request {r['id']}" in str(err.value)
        assert "denied by alice: not during business hours" in str(err.value)
        # The transaction is aborted as an error in it would abort it; the session goes on.
        with pytest.raises(psycopg.errors.InFailedSqlTransaction):
            cur.execute("SELECT 1")
        conn.rollback()
        cur.execute("SELECT count(*) FROM orders WHERE id = %s", (2,))
        assert cur.fetchone() == (1,)
    assert state(s, r["id"]) == "denied"
    assert direct_count(s, "id = 2") == 1


def test_a_statement_that_fails_before_it_runs_is_put_to_no_one(approvals):
    s = approvals
    with psycopg.connect(s.gateway_dsn(s.token), autocommit=True) as conn:
        # The server plans it with the bound value as it binds it, and fails: the client has that
        # error at once, the held Execute is dropped (the server would skip it) and no approver
        # is asked about a statement that cannot run.
        with pytest.raises(psycopg.errors.DivisionByZero):
            conn.execute("DELETE FROM orders WHERE id = 1 / %s", (0,))
        assert conn.execute("SELECT count(*) FROM orders WHERE id = %s", (5,)).fetchone() == (1,)
        # The next one that may run is held, and planned inside the client's unfinished request
        # with its bound value: an index lookup of one row.
        waiting = Background(lambda: conn.execute("DELETE FROM orders WHERE id = %s", (5,)))
        r = one_pending(s)
        step = r["estimate"]["statements"][0]
        assert step["node"] == "Delete" and step["relation"] == "public.orders", r["estimate"]
        assert step["rows"] == 1, step
        s.ctl("approvals", "approve", r["id"], "--token", s.alice)
        assert waiting.join().rowcount == 1
    assert direct_count(s, "id = 5") == 0


def test_cancel_withdraws_and_expiry_refuses(approvals):
    s = approvals
    conn = psycopg2.connect(s.gateway_dsn(s.token))
    conn.autocommit = True
    cur = conn.cursor()
    waiting = Background(lambda: cur.execute("DELETE FROM orders WHERE id = 3"))
    r = one_pending(s)
    conn.cancel()
    with pytest.raises(psycopg2.errors.QueryCanceled) as err:
        waiting.join()
    assert "waiting for approval" in str(err.value)
    wait_until("withdrawn", lambda: state(s, r["id"]) == "withdrawn")
    cur.execute("SELECT count(*) FROM orders WHERE id = 3")
    assert cur.fetchone() == (1,)

    # Nobody decides: the request expires and the client is told so.
    assert s.apply_policy(reviewed_deletes(2), "reviewed.yaml").returncode == 0
    wait_until("agent current", lambda: s.agent_current("edge-1"))
    with pytest.raises(psycopg2.errors.InsufficientPrivilege) as err:
        cur.execute("DELETE FROM orders WHERE id = 3")
    assert "expired: nobody decided within 2s" in str(err.value)
    cur.execute("SELECT count(*) FROM orders WHERE id = 3")
    assert cur.fetchone() == (1,)
    assert requests(s, "expired")[0]["statement"] == "DELETE FROM orders WHERE id = 3"
    conn.close()


def test_who_may_not_decide_is_refused(approvals):
    s = approvals
    requester = admin_token(s, "claude-admin", "--identity", "claude", "--group", "dba",
                            "--role", "approver")
    outsider = admin_token(s, "bob", "--identity", "bob", "--group", "sales", "--role",
                           "approver")
    auditor = admin_token(s, "carol", "--identity", "carol", "--group", "dba", "--role",
                          "auditor")
    doomed = "id BETWEEN 4 AND 1203"
    with psycopg2.connect(s.direct_dsn()) as conn, conn.cursor() as cur:
        cur.execute("ANALYZE orders")  # a table of known size: the planner knows it too
    client = psql(s, f"DELETE FROM orders WHERE {doomed}")
    r = one_pending(s)
    # The estimate is the planner's, on the session's own connection: as EXPLAIN says directly.
    with psycopg2.connect(s.direct_dsn()) as conn, conn.cursor() as cur:
        cur.execute(f"EXPLAIN (FORMAT JSON) DELETE FROM orders WHERE {doomed}")
        planned = cur.fetchone()[0][0]["Plan"]["Plans"][0]["Plan Rows"]
    step = r["estimate"]["statements"][0]
    assert step["node"] == "Delete" and step["relation"] == "public.orders"
    assert step["rows"] == planned and abs(planned - 1200) < 200, (step, planned)
    shown = s.ctl("approvals", "show", r["id"]).stdout
    assert "Delete on public.orders" in shown, shown
    for token, code, why in ((requester, 3, "never decides their own"), (outsider, 3, "groups dba"),
                             (auditor, 3, "needs role approver")):
        res = s.ctl("approvals", "approve", r["id"], "--token", token, check=False)
        assert res.returncode == code and why in res.stderr, res.stderr
    assert state(s, r["id"]) == "pending" and client.poll() is None
    s.ctl("approvals", "deny", r["id"], "--reason", "no", "--token", s.alice)
    _, err = client.communicate(timeout=15)
    assert client.returncode != 0 and "denied by alice: no" in err
    assert direct_count(s, doomed) == 1200


def test_held_across_a_controlplane_restart_and_refused_without_one(approvals):
    s = approvals
    client = psql(s, "DELETE FROM orders WHERE id = 5")
    r = one_pending(s)
    s.kill("controlplane")
    s.start_controlplane()
    wait_until("agent back", lambda: s.agent_current("edge-1"), timeout=30)
    assert client.poll() is None
    s.ctl("approvals", "approve", r["id"], "--token", s.alice)
    out, err = client.communicate(timeout=15)
    assert client.returncode == 0 and out.strip() == "DELETE 1", err
    assert direct_count(s, "id = 5") == 0
    wait_until("the outcome recorded", lambda: state(s, r["id"]) == "executed")

    # No control plane to ask: refused at once, saying so; reads go on.
    conn = psycopg2.connect(s.gateway_dsn(s.token))
    conn.autocommit = True
    cur = conn.cursor()
    s.kill("controlplane")
    wait_until("the agent to lose its control stream",
               lambda: "control stream to gateway" in s.log("agent-edge-1"), timeout=30)
    with pytest.raises(psycopg2.errors.InsufficientPrivilege) as err:
        cur.execute("DELETE FROM orders WHERE id = 6")
    assert "cannot reach its control plane" in str(err.value)
    cur.execute("SELECT count(*) FROM orders WHERE id = 6")
    assert cur.fetchone() == (1,)
    conn.close()


def test_fifty_sessions_two_approvers_each_get_their_own_outcome(approvals):
    s = approvals
    assert s.apply_policy(reviewed_deletes(120, 2), "reviewed.yaml").returncode == 0
    wait_until("agent current", lambda: s.agent_current("edge-1"))
    bob = admin_token(s, "bob", "--identity", "bob", "--group", "dba", "--role", "approver")
    ids = list(range(100, 150))
    conns = {}
    for n in ids:
        conns[n] = psycopg2.connect(s.gateway_dsn(s.token))
        conns[n].autocommit = True

    def delete(n):
        cur = conns[n].cursor()
        try:
            cur.execute(f"DELETE FROM orders WHERE id = {n}")
            return cur.rowcount
        except psycopg2.Error as e:
            return e

    waiting = {n: Background(lambda n=n: delete(n)) for n in ids}
    wait_until("fifty requests", lambda: len(requests(s)) == 50, timeout=30)
    by_order = {int(r["statement"].rsplit(" ", 1)[1]): r["id"] for r in requests(s)}
    assert sorted(by_order) == ids
    rng = random.Random(7)
    denied = set(rng.sample(ids, 10))
    steps = [(n, who) for n in ids for who in ("alice", "bob")]
    rng.shuffle(steps)
    tokens = {"alice": s.alice, "bob": bob}
    for n, who in steps:
        if n in denied and who == "alice":
            verb = ["deny", by_order[n], "--reason", f"not order {n}"]
        else:
            verb = ["approve", by_order[n]]
        res = s.ctl("approvals", *verb, "--token", tokens[who], check=False)
        # A request a denial already closed refuses the other approver's word.
        assert res.returncode == 0 or (n in denied and res.returncode == 7), res.stderr
    for n in ids:
        got = waiting[n].join(timeout=30)
        if n in denied:
            assert isinstance(got, psycopg2.errors.InsufficientPrivilege), (n, got)
            assert by_order[n] in str(got) and f"not order {n}" in str(got)
        else:
            assert got == 1, (n, got)
    for n in ids:
        assert direct_count(s, f"id = {n}") == (1 if n in denied else 0), n
        conns[n].close()
    executed = requests(s, "executed")
    assert len(executed) == 40
    assert all(len(r["decisions"]) == 2 for r in executed)

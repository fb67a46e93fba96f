"""wardenctl policies explain: per statement, what the agent would do (class, relations,
functions, the deciding policy and rule, masked columns), offline from policy files or against
the applied policies; and explain agrees with the running agent."""
import json
import re
import subprocess
import threading

import pytest

from warden_stack import BIN_DIR, SOURCE_DIR

psycopg2 = pytest.importorskip("psycopg2")

GUARDRAILS = SOURCE_DIR / "deploy" / "policies" / "agents-guardrails.yaml"
SUBJECT = ["--identity", "claude", "--group", "ai-agents", "--connection", "demo"]


def explain(*args, stdin=None, check=True):
    """wardenctl policies explain offline (no control plane, no config)."""
    res = subprocess.run([str(BIN_DIR / "wardenctl"), "policies", "explain", *SUBJECT,
                          "-f", str(GUARDRAILS), *args], capture_output=True, text=True,
                         input=stdin, timeout=60, env={"PATH": "/usr/bin:/bin"})
    if check:
        assert res.returncode == 0, res.stderr
    return res


def explained(sql):
    return json.loads(explain("-o", "json", sql).stdout)


def test_a_masked_read():
    e = explained("SELECT name, lower(email) AS mail, card_number FROM customers")
    s = e["statements"][0]
    assert s["command_tag"] == "SELECT" and s["statement_class"] == "read"
    assert s["relations_read"] == ["customers"]
    assert s["decision"] == {"action": "allow", "policy": "agents-guardrails",
                             "rule": "allow-reads", "message": ""}
    cols = {c["name"]: c for c in s["columns"]}
    assert cols["name"]["masked_by_rule"] == "" and not cols["name"]["unknown_origin"]
    assert cols["mail"]["masked_by_rule"] == "emails" and "customers.email" in cols["mail"]["sources"]
    assert cols["card_number"]["masked_by_rule"] == "cards"
    assert "secrets" in s["content_rules"]
    table = explain("SELECT name, lower(email) AS mail FROM customers").stdout
    assert 'decision     allow by policy "agents-guardrails" rule "allow-reads"' in table
    assert re.search(r'column +mail +<- .*customers\.email.*MASKED by policy "agents-guardrails" '
                     r'rule "emails"', table), table


def test_a_denied_write():
    s = explained("DELETE FROM orders")["statements"][0]
    assert s["statement_class"] == "write" and s["relations_written"] == ["orders"]
    assert s["decision"]["action"] == "deny"
    assert s["decision"]["rule"] == "no-unbounded-delete"
    assert "DELETE and UPDATE need a WHERE clause" in s["decision"]["message"]
    assert s["columns"] == []
    table = explain("DELETE FROM orders").stdout
    assert 'deny by policy "agents-guardrails" rule "no-unbounded-delete"' in table


def test_a_statement_needing_approval():
    s = explained("CREATE TABLE notes (id int)")["statements"][0]
    assert s["statement_class"] == "ddl"
    assert s["decision"]["action"] == "require_approval"
    assert s["decision"]["rule"] == "ddl-needs-approval"
    assert "Schema changes are reviewed by a DBA" in s["decision"]["message"]


def test_several_statements_from_stdin():
    e = json.loads(explain("-o", "json", "-",
                           stdin="SELECT 1; SELECT 'a;b' AS x;\nDROP TABLE orders;").stdout)
    texts = [s["text"] for s in e["statements"]]
    assert texts == ["SELECT 1", "SELECT 'a;b' AS x", "DROP TABLE orders"]
    actions = [s["decision"]["action"] for s in e["statements"]]
    assert actions == ["allow", "allow", "deny"]
    # Sent as one Query, the denied statement denies all of them.
    assert e["batch"]["action"] == "deny" and e["batch"]["rule"] == "no-drop-or-truncate"
    table = explain("-", stdin="SELECT 1; DROP TABLE orders").stdout
    assert "[2] DROP TABLE orders" in table
    assert 'sent together as one Query: deny by policy "agents-guardrails"' in table


def test_a_statement_calling_a_state_changing_function():
    s = explained("SELECT lo_unlink(42), now()")["statements"][0]
    effects = {f["name"]: f["effect"] for f in s["functions"]}
    assert effects == {"lo_unlink": "writes data", "now": "computes or reads"}
    assert s["statement_class"] == "write"  # a SELECT that writes is a write
    assert s["decision"]["action"] == "deny" and s["decision"]["rule"] == "default"
    user = explained("SELECT public.purge_old_rows()")["statements"][0]
    assert user["functions"][0]["builtin"] is False
    assert "volatility" in user["functions"][0]["effect"]


def test_a_statement_the_parser_rejects():
    s = explained("SELEC name FROM customers")["statements"][0]
    assert "syntax error" in s["parse_error"]
    assert s["decision"]["action"] == "deny" and s["decision"]["rule"] == "unparsed"
    assert "parse error" in explain("SELEC 1").stdout


def test_bad_input_is_named():
    res = explain(check=False, stdin="")
    assert res.returncode == 2 and "no statements" in res.stderr
    bad = subprocess.run([str(BIN_DIR / "wardenctl"), "policies", "explain", *SUBJECT, "-f",
                          "/nonexistent.yaml", "SELECT 1"], capture_output=True, text=True)
    assert bad.returncode == 7 and "/nonexistent.yaml" in bad.stderr


WITHDRAWN = set()  # requests gateway_outcome cancelled (their withdrawal may lag)


def gateway_outcome(s, conn, sql):
    """('allow', None) or ('deny'|'require_approval', rule) as the running agent decided. A
    statement that needs approval is held: its request names the rule, and a cancel ends it."""
    cur = conn.cursor()
    done = {}

    def run():
        try:
            cur.execute(sql)
        except psycopg2.Error as e:
            done["error"] = e

    client = threading.Thread(target=run, daemon=True)
    client.start()
    while client.is_alive():
        client.join(0.1)
        held = [r for r in json.loads(s.ctl("approvals", "list", "--state", "pending", "-o",
                                            "json").stdout)["requests"]
                if r["id"] not in WITHDRAWN]
        if held and client.is_alive():
            conn.cancel()
            client.join(15)
            assert "error" in done and done["error"].pgcode == "57014", sql
            WITHDRAWN.add(held[0]["id"])
            return "require_approval", held[0]["rule"]
    e = done.get("error")
    if e is None:
        return "allow", None
    rule = re.search(r'rule "([^"]+)"', str(e))
    if e.pgcode != "42501" or not rule:
        return "allow", None  # the database's own error: Warden let it through
    return ("require_approval" if "requires approval" in str(e) else "deny"), rule.group(1)


STATEMENTS = [
    "SELECT name, email FROM customers LIMIT 1",
    "DELETE FROM orders",
    "DELETE FROM orders WHERE id = -1",
    "UPDATE orders SET status = 'x'",
    "CREATE TABLE notes (id int)",
    "DROP TABLE orders",
    "SELECT lo_unlink(424242)",
    "SELECT setval('orders_id_seq', 1)",
    "SELEC 1",
    "SET statement_timeout = 5000",
    "SELECT 1; DROP TABLE orders",
    "WITH d AS (DELETE FROM orders RETURNING id) SELECT count(*) FROM d",
    "EXPLAIN ANALYZE DELETE FROM orders WHERE id = -1",
]


def test_explain_and_the_agent_agree(data_path):
    s = data_path
    s.ctl("policies", "delete", "demo-access")
    assert s.ctl("policies", "apply", "-f", str(GUARDRAILS)).returncode == 0
    from warden_stack import wait_until
    wait_until("agent current", lambda: s.agent_current("edge-1"))
    conn = psycopg2.connect(s.gateway_dsn(s.token))
    conn.autocommit = True
    try:
        for sql in STATEMENTS:
            offline = json.loads(explain("-o", "json", sql).stdout)["batch"]
            online = json.loads(s.ctl("policies", "explain", *SUBJECT, "-o", "json",
                                      sql).stdout)["batch"]
            agent_action, agent_rule = gateway_outcome(s, conn, sql)
            assert offline["action"] == agent_action, (sql, offline, agent_rule)
            if agent_rule:
                assert offline["rule"] == agent_rule, (sql, offline)
            assert (online["action"], online.get("rule")) == (offline["action"],
                                                              offline.get("rule")), sql
    finally:
        conn.close()
    # Nothing it refused ran: the orders are all there.
    with psycopg2.connect(s.direct_dsn()) as direct:
        cur = direct.cursor()
        cur.execute("SELECT count(*) FROM orders")
        assert cur.fetchone()[0] > 0

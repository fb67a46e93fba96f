#!/usr/bin/env python3
"""How long a held statement takes to reach the database once an approver's `wardenctl
approvals approve` returns, over the real stack (control plane, gateway, agent, PostgreSQL).

Each round holds `DELETE ... RETURNING clock_timestamp()` on its own connection, approves it,
and compares the database's clock when the statement ran with the moments wardenctl started and
returned (the same machine's clock). A negative figure means the statement ran before wardenctl
had exited: the decision reaches the agent before the approver's process is gone.
Run by hand: `/usr/bin/python3 tests/bench/approval_latency.py [--rounds 30]`; it reports the
median and the 90th percentile in milliseconds (the target is a median <= 100 ms).
"""
import argparse
import json
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench_processes import snapshot_binaries, start_demo_stack
# bench_processes has put tests/integration on sys.path.
from warden_fixtures import reviewed_deletes
from warden_stack import Stack, wait_until
import psycopg2



def one_round(s, token, alice, n):
    conn = psycopg2.connect(s.gateway_dsn(token))
    conn.autocommit = True
    ran = {}

    def run():
        cur = conn.cursor()
        cur.execute(f"DELETE FROM orders WHERE id = {n} "
                    "RETURNING extract(epoch FROM clock_timestamp())::float8")
        ran["at"] = cur.fetchone()[0]

    client = threading.Thread(target=run)
    client.start()

    def pending():
        reqs = json.loads(s.ctl("approvals", "list", "--state", "pending", "-o",
                                "json").stdout)["requests"]
        return reqs[0]["id"] if reqs else None

    wait_until("the request", pending, timeout=30)
    rid = pending()
    issued = time.time()
    s.ctl("approvals", "approve", rid, "--token", alice)
    returned = time.time()
    client.join(30)
    conn.close()
    return (ran["at"] - returned) * 1000, (ran["at"] - issued) * 1000


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=30)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="warden-approval-bench-"))
    snapshot_binaries(work / "bin")
    s = Stack(work / "stack")
    try:
        start_demo_stack(s)
        s.apply_policy(reviewed_deletes(), "reviewed.yaml")
        wait_until("agent current", lambda: s.agent_current("edge-1"))
        token = s.ctl("tokens", "create", "--identity", "claude", "--group", "ai-agents", "--ttl",
                      "1h").stdout.strip()
        alice = json.loads(s.ctl("admin-tokens", "create", "alice", "--identity", "alice",
                                 "--group", "dba", "--role", "approver", "-o",
                                 "json").stdout)["token"]
        rounds = [one_round(s, token, alice, 1000 + i) for i in range(args.rounds)]
        for name, samples in (("approve returned", [r[0] for r in rounds]),
                              ("approve started", [r[1] for r in rounds])):
            samples.sort()
            print(f"{name} -> statement at the database, {len(samples)} rounds: "
                  f"median {statistics.median(samples):.1f} ms, "
                  f"p90 {samples[int(len(samples) * 0.9) - 1]:.1f} ms, "
                  f"min {samples[0]:.1f} ms, max {samples[-1]:.1f} ms")
    finally:
        s.stop_all()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

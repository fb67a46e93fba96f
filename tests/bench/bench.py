#!/usr/bin/env python3
"""Warden data-path benchmark: direct PostgreSQL vs PgBouncer (session mode, client TLS) vs
Warden (gateway + agent, client TLS), measured in the same run on the same PostgreSQL. Prints
ratios; absolute numbers on a shared 2-core machine are noise, ratios within one run are the
signal.

Beside them it measures the floor of Warden's shape on this machine: two relay_floor processes
chained (tests/bench/relay_floor.cc), which move bytes and do nothing else, without and with TLS
on the link between them, and with TLS on the client's link too (floor+ctls: every TLS endpoint
Warden's path has). No gateway-plus-agent design can beat that chain, so warden/floor says how
much of the gap to PgBouncer is Warden's own work and how much the extra hop. The same chain
written on Warden's own I/O layer (tests/bench/relay_asio.cc: Asio, asio::ssl, the agent's pump
shape; asio+ctls) splits the rest: floor+ctls against asio+ctls is what the I/O layer costs,
asio+ctls against warden what Warden's work on each statement costs.

For every pgbench -S run it also reads the CPU time (user+system) each process on the path
used, and prints it per transaction; one extra run profiles the agent with perf and prints the
share of its samples spent in statement enforcement and masking (--no-perf skips it).

It runs copies of the binaries in build/bin taken when it starts, so a rebuild during the run
does not change what is measured.

Usage: /usr/bin/python3 tests/bench/bench.py [--seconds N] [--rounds N] [--sessions N] [--no-perf]
"""
import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_processes import (cpu_counters, snapshot_binaries, start_demo_stack,
                             start_pgbouncer, start_relay_floor, stop_pgbouncer)
from bench_clients import (Target, client_env, client_tls, hold_idle_sessions,
                           per_query_ms, pgbench, rss_kb, timed_read)
from bench_perf import profile_agent
# bench_processes has put tests/integration on sys.path.
from warden_stack import Stack
import warden_fixtures

SETTINGS = [(mode, clients) for mode in ("simple", "extended") for clients in (1, 8)]


# -- measuring and reporting ----------------------------------------------------------------

def pgbench_with_cpu(target, counters, *args, seconds):
    """One pgbench run and, for each process in `counters`, the CPU it used during the run in
    microseconds per transaction pgbench reported (connection setup and teardown included,
    which is small against a run of several seconds)."""
    before = {label: read() for label, read in counters.items()}
    run = pgbench(target, *args, seconds=seconds)
    after = {label: read() for label, read in counters.items()}
    per_tx = {label: (after[label] - before[label]) / run.transactions * 1e6
              for label in counters}
    per_tx["total"] = sum(per_tx.values())
    return run, per_tx


def print_cpu_table(cpu, rounds):
    """cpu[(target, mode, clients)] is a list of {process: µs per transaction}, one per round;
    prints the median of each process over the rounds."""
    def median(target, mode, clients, label):
        return statistics.median(r[label] for r in cpu[(target, mode, clients)])

    print(f"\nCPU per -S transaction (µs of user+system CPU, /proc/PID/stat, per transaction "
          f"pgbench reported; median of {rounds}):")
    print("  " + f"{'target':10} {'process':13}" +
          "".join(f"{f'{m} c={c}':>14}" for m, c in SETTINGS))
    for target in ("warden", "pgbouncer", "asio+ctls", "floor+ctls", "floor+tls", "floor",
                   "direct"):
        labels = list(cpu[(target, *SETTINGS[0])][0])
        for label in labels:
            if label == "total" and len(labels) == 2:
                continue  # direct: the total is PostgreSQL alone
            print("  " + f"{target:10} {label:13}" +
                  "".join(f"{median(target, m, c, label):14.1f}" for m, c in SETTINGS))
    for mode, clients in SETTINGS:
        def m(target, label):
            return median(target, mode, clients, label)
        print(f"CPU per -S transaction (µs), -M {mode} c={clients}: gateway "
              f"{m('warden', 'gateway'):.1f}, agent {m('warden', 'agent'):.1f}, pgbouncer "
              f"{m('pgbouncer', 'pgbouncer'):.1f}, asio+ctls relays "
              f"{m('asio+ctls', 'client relay'):.1f} + {m('asio+ctls', 'db relay'):.1f}, "
              f"floor+ctls relays "
              f"{m('floor+ctls', 'client relay'):.1f} + {m('floor+ctls', 'db relay'):.1f}, "
              f"floor+tls relays "
              f"{m('floor+tls', 'client relay'):.1f} + {m('floor+tls', 'db relay'):.1f}, floor "
              f"relays {m('floor', 'client relay'):.1f} + {m('floor', 'db relay'):.1f}; "
              f"postgres {m('direct', 'postgres'):.1f} direct, {m('pgbouncer', 'postgres'):.1f} "
              f"via pgbouncer, {m('warden', 'postgres'):.1f} via warden")


# The ratios also given as the median over rounds of each round's own ratio: the two runs of a
# round are at most six runs apart (about a minute), so a drift of the machine's speed over the
# whole benchmark (others' load comes and goes for minutes) moves both alike and cancels, which
# the ratio of the two medians does not.
PAIRS = (("warden", "floor+tls"), ("warden", "floor+ctls"), ("asio+ctls", "floor+ctls"),
         ("warden", "asio+ctls"))


def paired_ratio(runs, a, b, mode, clients):
    return statistics.median(x.tps / y.tps for x, y in zip(runs[(a, mode, clients)],
                                                            runs[(b, mode, clients)]))


# -- the benchmark ---------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10, help="length of each pgbench run")
    ap.add_argument("--rounds", type=int, default=3,
                    help="pgbench runs per target and setting, interleaved; the median counts")
    ap.add_argument("--sessions", type=int, default=500,
                    help="sessions held open at once through Warden for the memory figures")
    ap.add_argument("--no-perf", dest="perf", action="store_false",
                    help="skip the perf profile of the agent (on by default)")
    args = ap.parse_args()
    s = Stack(Path(tempfile.mkdtemp(prefix="warden-bench-")))
    relay_procs = []
    pgb_dir = None
    failed = False
    try:
        snapshot_binaries(s.dir / "bin")
        # The idle-sessions part holds --sessions sessions of one identity at once: raise the
        # per-identity cap above that, with room for sessions closed just before whose end the
        # gateway has not reported yet (they still count against the cap).
        start_demo_stack(s, max_sessions_per_identity=max(64, args.sessions + 64))
        agent_pid = s.procs["agent-edge-1"].pid
        gw_pid = s.procs["gateway"].pid
        fresh = (rss_kb(agent_pid), rss_kb(gw_pid))  # connected, policy applied, no traffic yet
        token = s.ctl("tokens", "create", "--identity", "bench", "--group", "ai-agents",
                      "--ttl", "2h").stdout.strip()
        pgb_dir = Path(tempfile.mkdtemp(prefix="warden-pgb-"))
        pgb_port, pgb_pid = start_pgbouncer(s, pgb_dir)
        subprocess.run(["pgbench", "-i", "-s", "10", "-q", "-h", "127.0.0.1", "-p",
                        str(s.pg_port), "-U", "app", "demo"], check=True,
                       env=client_env(s.pg_password, "disable"), capture_output=True)
        targets = {"direct": Target(s.pg_port, s.pg_password, "disable"),
                   "pgbouncer": Target(pgb_port, s.pg_password, "require"),
                   "warden": Target(s.pg_gateway_port, token, "require")}
        relays = {}
        floors = {}
        for name, tls, ctls, binary in (("floor", False, False, "relay_floor"),
                                        ("floor+tls", True, False, "relay_floor"),
                                        ("floor+ctls", True, True, "relay_floor"),
                                        ("asio+ctls", True, True, "relay_asio")):
            port, relays[name] = start_relay_floor(s, relay_procs, tls=tls, client_tls=ctls,
                                                   binary=binary)
            floors[name] = Target(port, s.pg_password, "require" if ctls else "disable")
        every = {**targets, **floors}
        print("client TLS: " + ", ".join(f"{name} {client_tls(t)}" for name, t in every.items()),
              flush=True)
        counters = cpu_counters(s, pgb_pid, relays)

        # One unmeasured run first: pgbench -i leaves the table out of PostgreSQL's buffers (it
        # writes through a small ring), so the first measured runs would fill them and cost
        # PostgreSQL more than the runs after them.
        pgbench(targets["direct"], "-S", "-c", "8", "-j", "2", seconds=args.seconds)
        runs, cpu = {}, {}
        for r in range(args.rounds):
            # Each round starts one target later, and every other round runs the order
            # backwards: no target always runs first after a change of setting, or always
            # right after the same target.
            shift = r % len(every)
            names = list(every)[shift:] + list(every)[:shift]
            if r % 2:
                names.reverse()
            for mode, clients in SETTINGS:
                for name in names:
                    target = every[name]
                    res, per_tx = pgbench_with_cpu(
                        target, counters[name], "-S", "-M", mode, "-c", str(clients), "-j",
                        str(min(clients, 2)), seconds=args.seconds)
                    runs.setdefault((name, mode, clients), []).append(res)
                    cpu.setdefault((name, mode, clients), []).append(per_tx)
                    print(f"round {r + 1}: {name:10} -S -M {mode:8} c={clients}: tps "
                          f"{res.tps:9.0f}  latency {res.latency_ms:.3f} ms  CPU/tx "
                          + ", ".join(f"{k} {v:.1f}" for k, v in per_tx.items()) + " µs",
                          flush=True)
        # The median run by tps, with its own latency.
        results = {k: sorted(v)[len(v) // 2] for k, v in runs.items()}
        for p in relay_procs:
            p.terminate()
            p.wait(timeout=10)
        print_cpu_table(cpu, args.rounds)

        if args.perf:
            profile_agent(agent_pid, targets["warden"], args.seconds, s.dir / "agent.perf.data")

        big_select = "SELECT i, md5(i::text) FROM generate_series(1, 1000000) i"
        big_copy = f"COPY ({big_select}) TO STDOUT"
        reads = {}
        print()
        for name, t in targets.items():
            reads[(name, "select")] = timed_read(t.port, t.password, big_select, t.sslmode)
            reads[(name, "copy")] = timed_read(t.port, t.password, big_copy, t.sslmode)
            print(f"{name:10} 1M rows: SELECT {reads[(name, 'select')]:.2f} s, COPY "
                  f"{reads[(name, 'copy')]:.2f} s", flush=True)

        # Masking: the same reads with content detectors on every text value, and
        # the time a 100-row result takes with and without them.
        small = "SELECT i, md5(i::text), 'user' || i || '@example.com' FROM generate_series(1, 100) i"
        plain_ms, plain_rows = per_query_ms(s, token, small)
        warden_fixtures.apply_policy_and_wait(s, warden_fixtures.MASKING, "masking.yaml")
        masked_ms, masked_rows = per_query_ms(s, token, small)
        assert "@example.com" not in repr(masked_rows) and "@example.com" in repr(plain_rows)
        t = targets["warden"]
        reads[("masked", "select")] = timed_read(t.port, t.password, big_select, t.sslmode)
        reads[("masked", "copy")] = timed_read(t.port, t.password, big_copy, t.sslmode)
        print(f"warden, masking on: 1M rows: SELECT {reads[('masked', 'select')]:.2f} s, COPY "
              f"{reads[('masked', 'copy')]:.2f} s; 100-row result {masked_ms:.3f} ms "
              f"(off: {plain_ms:.3f} ms)", flush=True)

        print(f"\nRatios (same run, median of {args.rounds}):")
        for mode in ("simple", "extended"):
            for c in (1, 8):
                w, b, d, f, ft, fc, ac = (results[(t, mode, c)].tps for t in
                                          ("warden", "pgbouncer", "direct", "floor", "floor+tls",
                                           "floor+ctls", "asio+ctls"))
                print(f"  -S -M {mode:8} c={c}: warden/pgbouncer tps {w / b:.2f}, "
                      f"warden/direct {w / d:.2f}; floor/pgbouncer {f / b:.2f}, "
                      f"floor+tls/pgbouncer {ft / b:.2f}, warden/floor+tls {w / ft:.2f}, "
                      f"floor+ctls/floor+tls {fc / ft:.2f}, warden/floor+ctls {w / fc:.2f}, "
                      f"asio+ctls/floor+ctls {ac / fc:.2f}, warden/asio+ctls {w / ac:.2f}")
                print(f"  {'':20}paired by round: " + ", ".join(
                    f"{a}/{b} {paired_ratio(runs, a, b, mode, c):.2f}" for a, b in PAIRS))
            w, b, d, f, ft = (results[(t, mode, 1)].latency_ms for t in
                              ("warden", "pgbouncer", "direct", "floor", "floor+tls"))
            added_b = max(b - d, 1e-6)
            print(f"  -M {mode:8} c=1 added latency: warden {w - d:.3f} ms, pgbouncer {b - d:.3f} "
                  f"ms, ratio {(w - d) / added_b:.2f}; floor {f - d:.3f} ms "
                  f"({(f - d) / added_b:.2f}), floor+tls {ft - d:.3f} ms ({(ft - d) / added_b:.2f})")
        for kind in ("select", "copy"):
            print(f"  1M-row {kind}: warden throughput / direct "
                  f"{reads[('direct', kind)] / reads[('warden', kind)]:.2f}; with masking on / "
                  f"off {reads[('warden', kind)] / reads[('masked', kind)]:.2f}")
        print(f"  100-row result: masking adds {masked_ms - plain_ms:.3f} ms")

        idle = (rss_kb(agent_pid), rss_kb(gw_pid))  # after the runs above: caches are warm
        ok, error, held = hold_idle_sessions(s, token, args.sessions, (agent_pid, gw_pid))
        print(f"\nMemory: agent idle {fresh[0] / 1024:.1f} MB before any session and "
              f"{idle[0] / 1024:.1f} MB after the runs above; gateway idle "
              f"{fresh[1] / 1024:.1f} MB and {idle[1] / 1024:.1f} MB")
        per_session = [(h - i) / max(ok, 1) for h, i in zip(held, idle)]
        print(f"  with {ok}/{args.sessions} open sessions: agent {held[0] / 1024:.1f} MB "
              f"({per_session[0]:.0f} KB/session), gateway {held[1] / 1024:.1f} MB "
              f"({per_session[1]:.0f} KB/session) (target <= 256 KB each)")
        if error:
            failed = True
            print(f"  {args.sessions - ok} sessions failed; the first: {error}")
    finally:
        for p in relay_procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        s.stop_all()
        if pgb_dir:
            stop_pgbouncer(pgb_dir)
        # The copies of the binaries and the profile (hundreds of MB); the logs stay.
        shutil.rmtree(s.dir / "bin", ignore_errors=True)
        (s.dir / "agent.perf.data").unlink(missing_ok=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

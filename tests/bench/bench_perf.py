"""The perf profile of the agent for bench.py: one pgbench run through Warden while perf record
samples the agent, and the share of its samples in statement enforcement and masking code.
"""
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

_INTEGRATION = str(Path(__file__).resolve().parent.parent / "integration")
if _INTEGRATION not in sys.path:
    sys.path.insert(0, _INTEGRATION)
from warden_stack import wait_until  # noqa: E402
from bench_clients import pgbench  # noqa: E402


# Demangled symbol names that are the agent's statement policy, classification and masking work
# (agent/enforcement, the guard, ledger and masker in agent/postgres, common/sql, common/masking,
# common/policy), as they show up in the agent's profile under pgbench -S. Not in it: the tunnel
# and socket code (TunnelSession, Asio), TLS (libssl, libcrypto), and the protocol framing every
# relay of PostgreSQL needs (TrafficSeam, MessageWalker, QueryPhase, warden::pgwire::), which
# the breakdown shows apart.
ENFORCEMENT_MARKERS = (
    # the brief's list: guard, decider, masker, lineage, ledger, markers, the common libraries
    "StatementGuard", "StatementDecider", "ResultMasker", "ResultLineageTracker",
    "RequestLedger", "DenialMarkers", "warden::sql::", "warden::masking::", "warden::policy::",
    "MaskingPlan", "ColumnMask", "ClassifierCache", "PolicyHolder", "DecisionCounters",
    # the rest of the guard's and the masker's types seen in profiles or the agent's symbols
    "LedgerEffect", "Verdict", "StatementHold", "HoldRelease", "SettingDecision",
    "DecideClientSettings", "FunctionCatalog", "FastPathFunction", "MaskingCatalog",
    "ResultShape", "ResultField", "RewriteCopyRow", "PlanColumnMasks", "WithheldText",
    # the policy's own messages: policy::Evaluate builds a v1::Policy for every statement
    "warden::v1::Policy",
    # helpers in anonymous namespaces of those sources, which perf names without the arguments
    # that would otherwise give them away
    *(f"warden::agent::(anonymous namespace)::{name}" for name in (
        "ChangesPrepared", "NoteOf", "CString", "CommandTagOf", "TouchReason", "Planner",
        "AppendMasked", "OnVolatileFunction", "NameLike", "Split")),
    # libpg_query's parser, linked into the agent: it runs only to classify a statement
    "pg_query_", "raw_parser", "base_yyparse", "core_yylex",
)
FRAMING_MARKERS = ("TrafficSeam", "MessageWalker", "WalkMessages", "QueryPhase",
                   "warden::pgwire::")
AGENT_CODE_GROUPS = ("kernel", "libssl+libcrypto", "protocol framing", "enforcement+masking",
                     "everything else (tunnel, Asio, libc, allocator)")


def agent_code_group(dso, sym):
    """Which of AGENT_CODE_GROUPS a sample in `sym` of shared object `dso` belongs to."""
    if dso == "[kernel.kallsyms]":
        return "kernel"
    if dso.startswith(("libssl", "libcrypto")):
        return "libssl+libcrypto"
    if any(m in sym for m in ENFORCEMENT_MARKERS):
        return "enforcement+masking"
    if any(m in sym for m in FRAMING_MARKERS):
        return "protocol framing"
    return AGENT_CODE_GROUPS[-1]


def perf_attached(proc):
    """True once `perf record` has its sampling events open (fds on anon_inode:[perf_event])."""
    fd_dir = f"/proc/{proc.pid}/fd"
    try:
        return any(os.readlink(f"{fd_dir}/{fd}") == "anon_inode:[perf_event]"
                   for fd in os.listdir(fd_dir))
    except OSError:
        return False


def start_perf_record(pid, out_file):
    """Starts `perf record -F 999` on process `pid` and returns it once it samples, with the
    extra flags that worked: call graphs unwound from DWARF first (the agent is built without
    frame pointers), then none, then the software cpu-clock event (VMs without a PMU); then all
    again with kernel.perf_event_paranoid at -1 (restored at once). Raises RuntimeError with
    perf's reasons if none works."""
    reasons = []
    log = Path(f"{out_file}.log")

    def attempt(extra):
        # perf's messages go to a file, not a pipe nobody reads while it runs.
        with open(log, "w") as err:
            # --no-buildid-cache: the report is made in this run, from the snapshot binaries;
            # no copy of each new agent build needs to pile up in ~/.debug.
            proc = subprocess.Popen(["perf", "record", "-F", "999", *extra, "--no-buildid-cache",
                                     "-p", str(pid), "-o", str(out_file)],
                                    stdout=subprocess.DEVNULL, stderr=err)
        try:
            wait_until("perf record to attach",
                       lambda: perf_attached(proc) or proc.poll() is not None, timeout=30)
        except AssertionError:
            pass
        if proc.poll() is None and perf_attached(proc):
            return proc
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)
        reasons.append(f"perf record {' '.join(extra) or '(default event)'} exited "
                       f"{proc.returncode}: " + " ".join(log.read_text().split())[:300])
        return None

    attempts = (["--call-graph", "dwarf"], [], ["-e", "cpu-clock"])
    for extra in attempts:
        proc = attempt(extra)
        if proc:
            return proc, extra
    paranoid = Path("/proc/sys/kernel/perf_event_paranoid")
    try:
        old = paranoid.read_text().strip()
        paranoid.write_text("-1\n")
    except OSError as e:
        raise RuntimeError("; ".join(reasons + [f"cannot lower perf_event_paranoid: {e}"]))
    try:
        for extra in attempts:
            proc = attempt(extra)
            if proc:
                return proc, extra
    finally:
        paranoid.write_text(old + "\n")
    raise RuntimeError("; ".join(reasons))


def stop_perf_record(proc):
    """SIGINT makes perf record write its file and exit; a bounded wait, then kill."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    return proc.returncode


def perf_samples_by_symbol(data_file):
    """[(samples, shared object, demangled symbol)] by the function each sample was taken in
    (perf report --no-children: self time), most samples first."""
    sep = "\x1f"
    res = subprocess.run(["perf", "report", "-i", str(data_file), "--no-children", "-g", "none",
                          "--sort", "dso,sym", "-n", "--stdio", "-t", sep],
                         capture_output=True, text=True, timeout=600)
    if res.returncode != 0:
        raise RuntimeError(f"perf report failed: {res.stderr.strip()[:300]}")
    rows = []
    for line in res.stdout.splitlines():
        if line.startswith("#") or sep not in line:
            continue
        _, samples, dso, sym = (f.strip() for f in line.split(sep, 3))
        rows.append((int(samples), dso, re.sub(r"^\[[k.]\] ", "", sym)))
    return sorted(rows, reverse=True)


def perf_call_chains(data_file):
    """Each sample's call chain from `perf script` (recorded with call graphs): the names of
    its frames, innermost first, functions inlined into them included."""
    res = subprocess.run(["perf", "script", "-i", str(data_file), "-F", "ip,sym"],
                         capture_output=True, text=True, timeout=600)
    if res.returncode != 0:
        raise RuntimeError(f"perf script failed: {res.stderr.strip()[:300]}")
    chains = []
    for block in res.stdout.split("\n\n"):
        frames = [line.split(None, 1)[1] for line in block.splitlines()
                  if len(line.split(None, 1)) == 2]
        if frames:
            chains.append(frames)
    return chains


# The profile's run lasts at least this long: at 999 Hz a run of a few seconds gives ~2,500
# samples, whose share of a group 5% large is only known to about +-0.9 points (95%).
MIN_PROFILE_SECONDS = 20


def profile_agent(agent_pid, target, seconds, out_file):
    """One pgbench -S -M simple run at 8 clients against Warden while perf samples the agent;
    prints the share of the agent's samples in enforcement and masking code: by the function
    each sample was taken in (the figure with the target), and, with call graphs, by whether
    enforcement or masking code is anywhere on the sample's stack (which adds what that code
    calls: allocation, hashing, reference counts, and code inlined into it). Never raises for
    perf's sake: when perf cannot run here it prints why."""
    seconds = max(seconds, MIN_PROFILE_SECONDS)
    print(f"\nperf profile of the agent (pgbench -S -M simple c=8, {seconds} s, perf record -F "
          f"999 -p {agent_pid}):", flush=True)
    try:
        perf, extra = start_perf_record(agent_pid, out_file)
    except (RuntimeError, OSError, subprocess.SubprocessError) as e:
        print(f"  perf unavailable, profile skipped: {e}")
        return
    try:
        run = pgbench(target, "-S", "-M", "simple", "-c", "8", "-j", "2", seconds=seconds)
    finally:
        rc = stop_perf_record(perf)
    try:
        rows = perf_samples_by_symbol(out_file)
        chains = perf_call_chains(out_file) if "--call-graph" in extra else None
    except (RuntimeError, OSError, subprocess.SubprocessError) as e:
        print(f"  perf record exited {rc}; no report: {e}")
        return
    total = sum(n for n, _, _ in rows)
    if not total:
        print(f"  perf record exited {rc} with no samples of the agent")
        return

    def share(n):
        return 100.0 * n / total

    groups = {}
    for row in rows:
        groups.setdefault(agent_code_group(row[1], row[2]), []).append(row)

    def group_share(name):
        return share(sum(n for n, _, _ in groups.get(name, [])))
    print(f"  pgbench under perf: {run.tps:.0f} tps; recorded with "
          f"{' '.join(extra) or 'no call graphs'}")
    print(f"  {total} agent samples by the function they were taken in: " +
          ", ".join(f"{name} {group_share(name):.1f}%" for name in AGENT_CODE_GROUPS))
    print("  top enforcement+masking functions (samples, share of the agent's):")
    for n, _, sym in groups.get("enforcement+masking", [])[:15]:
        print(f"    {n:6} {share(n):5.2f}%  {sym if len(sym) <= 140 else sym[:137] + '...'}")
    if chains:
        under = sum(1 for frames in chains
                    if any(m in f for f in frames for m in ENFORCEMENT_MARKERS))
        print(f"  with enforcement or masking code anywhere on the stack (what it calls and "
              f"what is inlined into it included): {100.0 * under / len(chains):.1f}% of "
              f"{len(chains)} samples")
    # The sampling error alone (binomial, 95%): runs of the same code differ by more than it.
    p = group_share("enforcement+masking") / 100.0
    margin = 196.0 * (p * (1 - p) / total) ** 0.5
    print(f"Agent CPU in enforcement+masking (perf): {100 * p:.1f}% (+-{margin:.1f} from "
          f"sampling) of {total} samples (target <= 5%)")

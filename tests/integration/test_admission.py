"""Limits before authentication: connections that have not authenticated are
capped per listener and per source address and closed after a short deadline, agent hosts' tunnels
draw on a reserve strangers cannot fill, and a flood never costs the gateway more than the caps
in file descriptors. Floods come from other loopback addresses (127.0.0.2, ...) than the
legitimate clients and the agent (127.0.0.1)."""
import os
import select
import socket
import subprocess
import time

import pytest

from pgraw import fields
from warden_stack import wait_until

GLOBAL, PER_SOURCE, DEADLINE = 20, 8, 3
pytestmark = pytest.mark.gateway_args(
    "--max-unauthenticated", str(GLOBAL), "--max-unauthenticated-per-source", str(PER_SOURCE),
    "--auth-timeout", str(DEADLINE))


def flood(port, source, n):
    socks = []
    for _ in range(n):
        sock = socket.socket()
        sock.bind((source, 0))
        sock.connect(("127.0.0.1", port))
        socks.append(sock)
    return socks


def refused(socks, wait=1.0):
    """The sockets the gateway closed (after an ErrorResponse, for the client port), with what
    each got; the others are still open."""
    out = {}
    deadline = time.monotonic() + wait
    pending = list(socks)
    while pending and time.monotonic() < deadline:
        ready, _, _ = select.select(pending, [], [], max(0.0, deadline - time.monotonic()))
        for sock in ready:
            try:
                data = sock.recv(65536)
            except ConnectionResetError:
                data = b""
            out[sock] = out.get(sock, b"") + data
            if not data:
                pending.remove(sock)
    return {sock: got for sock, got in out.items() if sock not in pending}


def close_all(socks):
    for sock in socks:
        sock.close()


def psql_ok(s):
    res = subprocess.run(["psql", "-X", "-At", s.gateway_dsn(s.token), "-c", "SELECT 7"],
                         capture_output=True, text=True, timeout=30)
    return res.returncode == 0 and res.stdout.strip() == "7", res.stderr


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def test_one_address_gets_its_share_and_is_told_why(data_path):
    s = data_path
    socks = flood(s.pg_gateway_port, "127.0.0.2", 30)
    try:
        closed = refused(socks)
        assert len(closed) == 30 - PER_SOURCE, len(closed)
        got = next(iter(closed.values()))
        assert got[:1] == b"E", got
        err = fields(got[5:])
        assert err["C"] == "53300"
        assert "8 connections from this address have not authenticated yet" in err["M"]
        ok, why = psql_ok(s)  # another address is not affected
        assert ok, why
    finally:
        close_all(socks)


def test_the_deadline_frees_a_full_listener(data_path):
    s = data_path
    socks = []
    try:
        for source in ("127.0.0.2", "127.0.0.3", "127.0.0.4"):
            socks += flood(s.pg_gateway_port, source, PER_SOURCE)
        closed = refused(socks)
        assert len(closed) == 3 * PER_SOURCE - GLOBAL
        assert b"20 connections have not authenticated yet" in next(iter(closed.values()))
        ok, why = psql_ok(s)
        assert not ok and "have not authenticated yet" in why, why
        # Idle connections are closed at the deadline, and the listener serves again.
        started = time.monotonic()
        rest = [sock for sock in socks if sock not in closed]
        assert len(refused(rest, wait=DEADLINE + 2)) == len(rest)
        print(f"idle connections closed {time.monotonic() - started:.1f} s into a {DEADLINE} s "
              "deadline")
        wait_until("the listener to serve again", lambda: psql_ok(s)[0], timeout=5)
    finally:
        close_all(socks)


def test_strangers_filling_the_tunnel_port_never_refuse_an_agent_tunnel(data_path):
    s = data_path
    socks = []
    try:
        for source in ("127.0.0.2", "127.0.0.3", "127.0.0.4"):
            socks += flood(s.tunnel_port, source, PER_SOURCE)
        assert len(refused(socks)) == 3 * PER_SOURCE - GLOBAL
        for _ in range(3):  # each session needs a tunnel from the agent's host
            ok, why = psql_ok(s)
            assert ok, why
    finally:
        close_all(socks)


def test_a_large_flood_costs_at_most_the_caps_in_file_descriptors(data_path):
    s = data_path
    pid = s.procs["gateway"].pid
    before = open_fds(pid)
    socks = []
    try:
        for i in range(2, 12):
            socks += flood(s.pg_gateway_port, f"127.0.0.{i}", 50)
        refused(socks, wait=0.5)
        during = open_fds(pid)
        print(f"gateway fds: {before} before, {during} with {len(socks)} flooding connections")
        assert during <= before + GLOBAL + 5
    finally:
        close_all(socks)

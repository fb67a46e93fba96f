"""The gateway's tunnel port faces the agents' networks: a connection gets somewhere only by
proving, in its first frame, the secret of a session waiting for it. Anything else is closed,
and live sessions and new ones are not disturbed."""
import json
import socket
import ssl
import struct
import time

import pytest

from warden_stack import wait_until

psycopg2 = pytest.importorskip("psycopg2")


def frame(kind, payload):
    return kind + struct.pack(">I", len(payload)) + payload


def tunnel_open(session_id, secret):
    sid = session_id.encode()
    return frame(b"O", b"\x0a" + bytes([len(sid)]) + sid + b"\x12" + bytes([len(secret)]) + secret)


def tls_connect(s):
    ctx = ssl.create_default_context(cafile=str(s.dir / "certs" / "ca.crt"))
    raw = socket.create_connection(("127.0.0.1", s.tunnel_port), timeout=20)
    return ctx.wrap_socket(raw, server_hostname="127.0.0.1")


def closed_by_peer(sock):
    """True once the gateway closed the connection (EOF or reset), reading whatever it sent."""
    try:
        while True:
            data = sock.recv(4096)
            if not data:
                return True
    except (ConnectionResetError, ssl.SSLError, BrokenPipeError):
        return True


def test_hostile_tunnel_connections_are_closed_and_sessions_keep_working(data_path):
    s = data_path
    live = psycopg2.connect(s.gateway_dsn(s.token))
    live.autocommit = True
    cur = live.cursor()
    cur.execute("SELECT 1")

    def listed():  # the gateway reports its sessions every 2 s
        return json.loads(s.ctl("sessions", "list", "-o", "json").stdout)["sessions"]
    wait_until("the session to be listed", listed, timeout=10)
    live_id = listed()[0]["session_id"]

    # Plain TCP garbage: the TLS handshake fails.
    with socket.create_connection(("127.0.0.1", s.tunnel_port), timeout=20) as raw:
        raw.sendall(b"\x16\x03\x01garbage" * 10)
        assert closed_by_peer(raw)
    # TLS, then a frame type that does not exist.
    with tls_connect(s) as t:
        t.sendall(b"Zxxxx")
        assert closed_by_peer(t)
    # TLS, then an open frame announcing far more than an open may carry.
    with tls_connect(s) as t:
        t.sendall(b"O" + struct.pack(">I", 1 << 20))
        assert closed_by_peer(t)
    # TLS, then the live session's id with a guessed secret: no hijack.
    with tls_connect(s) as t:
        t.sendall(tunnel_open(live_id, b"\x00" * 32) + frame(b"D", b"Q\x00\x00\x00\x0dSELECT 1\x00"))
        assert closed_by_peer(t)
    # TLS, then data before any open frame.
    with tls_connect(s) as t:
        t.sendall(frame(b"D", b"X\x00\x00\x00\x04"))
        assert closed_by_peer(t)

    log = s.log("gateway")
    assert log.count("agent tunnel from") >= 5 and "refused" in log
    cur.execute("SELECT 2")
    assert cur.fetchone() == (2,)
    live.close()
    again = psycopg2.connect(s.gateway_dsn(s.token))
    again.cursor().execute("SELECT 3")
    again.close()


def test_a_tunnel_that_never_opens_is_closed(data_path):
    s = data_path
    start = time.monotonic()
    with tls_connect(s) as t:
        assert closed_by_peer(t)  # the socket timeout (20 s) would raise instead
    assert time.monotonic() - start < 15
    wait_until("the refusal to be logged",
               lambda: "no tunnel open frame within 10 s" in s.log("gateway"), timeout=5)

"""No client or unauthenticated peer can forge a log line: values they choose (connection, user
and application names, session ids in tunnel frames) reach the logs escaped, on one line; and a
flood of refusals from unauthenticated peers is rate-limited."""
import re

from pgraw import RawSession
from test_tunnel import tls_connect, tunnel_open

FORGED = "FORGED 2026-12-04T00:00:00.000 error [gateway] admin token leaked"
LINE_START = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3} \S+ \[")


def every_line_is_ours(text):
    bad = [line for line in text.splitlines() if line and not LINE_START.match(line)]
    assert not bad, bad[:5]


def test_peer_values_cannot_split_a_log_line(data_path):
    s = data_path
    evil = "\n" + FORGED + "\r\u2028\x1b[2J"
    # A client: connection, user and application names with line breaks and a terminal escape.
    for params in ({"user": "x", "database": "nope" + evil},
                   {"user": "x" + evil, "database": "nope" + evil, "application_name": evil}):
        raw = RawSession(s.pg_gateway_port, s.token, params)
        assert raw.error is not None
        raw.close()
    # A tunnel peer: a session id of its choosing in the open frame.
    with tls_connect(s) as t:
        t.sendall(tunnel_open("ses_x" + evil, b"\x00" * 32))
        t.recv(1)
    gateway = s.log("gateway")
    assert "\\n" + FORGED in gateway, gateway[-2000:]  # it did reach a line, escaped
    assert "\\x1b[2J" in gateway and "\\u2028" in gateway
    for name in ("gateway", "controlplane", "agent-edge-1"):
        every_line_is_ours(s.log(name))


def test_refusals_from_unauthenticated_peers_are_rate_limited(data_path):
    s = data_path
    for _ in range(300):
        raw = RawSession(s.pg_gateway_port, "wdn_" + "x" * 43, {"user": "x", "database": "demo"})
        assert raw.error is not None and raw.error["C"] == "28P01"
        raw.close()
    refused = [line for line in s.log("gateway").splitlines()
               if "access token not recognised" in line]
    print(f"300 bad tokens -> {len(refused)} gateway log lines")
    # A burst of 20, then 5 a second: the run takes a few seconds.
    assert 0 < len(refused) < 100, len(refused)
    assert any("similar lines left out" in line for line in refused) or len(refused) <= 21

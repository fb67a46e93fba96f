"""The gateway's start-up with a client, as PostgreSQL 15 answers it: NegotiateProtocolVersion
for a newer minor version or protocol options, BackendKeyData with the backend's own process id,
and a quiet close after the client's Terminate."""
from pgraw import RawSession, errors, message, query


def test_protocol_3_1_with_an_option_is_negotiated_down_and_the_session_works(data_path):
    s = data_path
    raw = RawSession(s.pg_gateway_port, s.token, {"user": "x", "database": "demo",
                                                   "_pq_.x": "1"}, protocol=(3 << 16) | 1)
    try:
        assert raw.error is None, raw.error
        assert raw.negotiated == (196608, ["_pq_.x"])
        raw.send(query("SELECT 41 + 1"))
        got = raw.until_ready()
        assert errors(got) == []
        assert [d for t, d in got if t == b"D"] == [b"\x00\x01\x00\x00\x00\x0242"]
    finally:
        raw.close()
    plain = RawSession(s.pg_gateway_port, s.token, {"user": "x", "database": "demo"})
    try:
        assert plain.error is None and plain.negotiated is None
    finally:
        plain.close()


def test_backend_key_data_carries_the_backend_pid(data_path):
    s = data_path
    raw = RawSession(s.pg_gateway_port, s.token, {"user": "x", "database": "demo"})
    try:
        raw.send(query("SELECT pg_backend_pid()"))
        rows = [d for t, d in raw.until_ready() if t == b"D"]
        assert raw.backend_key is not None
        assert int(rows[0][6:].decode()) == raw.backend_key[0]
    finally:
        raw.close()


def test_terminate_closes_without_an_error(data_path):
    s = data_path
    raw = RawSession(s.pg_gateway_port, s.token, {"user": "x", "database": "demo"})
    raw.send(query("SELECT 1"))
    raw.until_ready()
    # Terminate, and the socket left open: the database's close comes back through the agent.
    raw.send(message(b"X"))
    rest = b""
    raw.sock.settimeout(10)
    while True:
        chunk = raw.sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    raw.close()
    assert rest == b"", rest  # no FATAL after the client said goodbye

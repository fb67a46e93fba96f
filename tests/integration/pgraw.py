"""A minimal PostgreSQL wire client for tests that must send what no driver sends: arbitrary
startup parameters, several messages in one write, raw bytes in a statement."""
import socket
import struct

from warden_stack import wait_until


def message(tag, body=b""):
    return tag + struct.pack("!I", len(body) + 4) + body


def query(sql):
    return message(b"Q", (sql.encode() if isinstance(sql, str) else sql) + b"\0")


class RawSession:
    """Connects through the gateway (no TLS: loopback) with `params` in the startup packet and
    the Warden token as the password. `error` holds the fields of a refusal at start-up,
    `negotiated` a NegotiateProtocolVersion's (version, [options]), `backend_key` the
    BackendKeyData's (process id, secret)."""

    def __init__(self, port, token, params, protocol=196608):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.buf = b""
        self.negotiated = None
        self.backend_key = None
        body = struct.pack("!I", protocol)
        for k, v in params.items():
            body += k.encode() + b"\0" + v.encode() + b"\0"
        body += b"\0"
        self.sock.sendall(struct.pack("!I", len(body) + 4) + body)
        self.error = None
        self.parameters = {}
        while True:
            tag, data = self.read()
            if tag == b"R" and struct.unpack("!I", data[:4])[0] == 3:
                self.sock.sendall(message(b"p", token.encode() + b"\0"))
            elif tag == b"S":
                name, value = data.split(b"\0")[:2]
                self.parameters[name.decode()] = value.decode()
            elif tag == b"v":
                version, n = struct.unpack("!II", data[:8])
                self.negotiated = (version, [o.decode() for o in data[8:].split(b"\0")[:n]])
            elif tag == b"K":
                self.backend_key = struct.unpack("!ii", data)
            elif tag == b"E":
                self.error = fields(data)
                return
            elif tag == b"Z":
                return

    def read(self):
        while len(self.buf) < 5 or len(self.buf) < 1 + struct.unpack("!I", self.buf[1:5])[0]:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        n = 1 + struct.unpack("!I", self.buf[1:5])[0]
        tag, data, self.buf = self.buf[:1], self.buf[5:n], self.buf[n:]
        return tag, data

    def send(self, data):
        self.sock.sendall(data)

    def until_ready(self):
        """Messages up to the next ReadyForQuery: [(tag, data)]. Raises ConnectionError if the
        session ends first, with the messages read so far in `.messages`."""
        got = []
        while True:
            try:
                tag, data = self.read()
            except ConnectionError as e:
                e.messages = got
                raise
            got.append((tag, data))
            if tag == b"Z":
                return got

    def close(self):
        self.sock.close()


def fields(data):
    """ErrorResponse/NoticeResponse fields: {'S': ..., 'C': sqlstate, 'M': message}."""
    out = {}
    for part in data.split(b"\0"):
        if part:
            out[part[:1].decode()] = part[1:].decode(errors="replace")
    return out


def errors(messages):
    return [fields(d) for t, d in messages if t == b"E"]


__all__ = ["RawSession", "query", "message", "fields", "errors", "wait_until"]

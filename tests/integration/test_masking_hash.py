"""The deployment-wide masking key (the `hash` strategy): the control plane creates it once,
keeps it sealed with the master key, and sends it sealed to each agent with the policy snapshot.
A hashed value is then the same 16 hex digits in every session and after an agent or control
plane restart, different values hash differently, and the key itself appears in no store file,
log or wardenctl output."""
import base64
import hashlib
import hmac
import re
import sqlite3
import subprocess

import pytest

from warden_stack import wait_until

AESGCM = pytest.importorskip("cryptography.hazmat.primitives.ciphers.aead").AESGCM

HASHING = """\
name: hashing
subjects:
  groups: [ai-agents]
connections: [demo]
default_action: allow
masking:
  - name: emails
    detectors: [email]
    strategy: hash
"""

HEX16 = re.compile(r"^[0-9a-f]{16}$")


def email_of(s, customer_id):
    """The email column of one customer as a client sees it through Warden, waiting for the
    session to work (after a restart the agent reconnects first)."""
    out = {}

    def query():
        res = subprocess.run(["psql", "-X", "-At", s.gateway_dsn(s.token), "-c",
                              f"SELECT email FROM customers WHERE id = {customer_id}"],
                             capture_output=True, text=True, errors="replace", timeout=60)
        out["value"] = res.stdout.strip()
        return res.returncode == 0 and bool(HEX16.match(out["value"]))
    wait_until(f"customer {customer_id}'s hashed email", query, timeout=30)
    return out["value"]


def raw_email(s, customer_id):
    res = subprocess.run(["psql", "-X", "-At", s.direct_dsn(), "-c",
                          f"SELECT email FROM customers WHERE id = {customer_id}"],
                         capture_output=True, text=True, check=True)
    return res.stdout.strip()


def stored_masking_key(s):
    """Opens the stored masking key with the master key, as the control plane does."""
    key_id, hex_key = (s.dir / "master.key").read_text().splitlines()[0].split(":", 1)
    with sqlite3.connect(f"file:{s.dir / 'warden.db'}?mode=ro", uri=True) as db:
        row_key_id, blob = db.execute(
            "SELECT key_id, sealed FROM server_keys WHERE name = 'masking_key'").fetchone()
    assert row_key_id == key_id
    key = AESGCM(bytes.fromhex(hex_key)).decrypt(blob[:12], blob[12:], b"warden.masking_key.v1")
    assert len(key) == 32
    return key


def forms(key):
    """The ways a leaked key could be spelt."""
    return [key, key.hex().encode(), key.hex().upper().encode(), base64.b64encode(key),
            base64.b64encode(key).rstrip(b"=")]


def test_hash_rule_hashes_with_one_persistent_key(data_path):
    s = data_path
    res = s.apply_policy(HASHING, "hashing.yaml")
    assert res.returncode == 0, res.stderr
    wait_until("agent current", lambda: s.agent_current("edge-1"))

    email1, email2 = raw_email(s, 1), raw_email(s, 2)
    assert email1 != email2 and "@" in email1
    first = email_of(s, 1)
    assert email_of(s, 1) == first  # a second session
    second = email_of(s, 2)
    assert second != first  # different emails, different values

    # The value is HMAC-SHA-256 under the stored key: the deployment's key, not a per-agent one.
    key = stored_masking_key(s)
    assert first == hmac.new(key, email1.encode(), hashlib.sha256).hexdigest()[:16]

    # An agent restart (a new X25519 key) and a control plane restart keep the values.
    s.kill("agent-edge-1")
    s.start_agent("edge-1", s.dir / "edge-1.token")
    assert email_of(s, 1) == first
    s.kill("controlplane")
    s.start_controlplane()
    assert email_of(s, 1) == first and email_of(s, 2) == second
    assert stored_masking_key(s) == key

    # The hash rule did not fall back to redacting (email_of saw only hex digits, never raw).
    for name in ("agent-edge-1", "gateway", "controlplane"):
        assert "uses hash but no masking key" not in s.log(name)

    # The key is in no store file, log or wardenctl output.
    outputs = [s.ctl(*args, check=False) for args in (
        ("agents", "list"), ("agents", "list", "-o", "json"), ("policies", "list"),
        ("policies", "list", "-o", "json"), ("policies", "get", "hashing"),
        ("policies", "get", "hashing", "-o", "json"), ("connections", "list", "-o", "json"),
        ("decisions", "list", "-o", "json"))]
    texts = b"".join((r.stdout + r.stderr).encode() for r in outputs)
    files = [p for p in s.dir.iterdir() if p.is_file() and (
        p.name.startswith("warden.db") or p.suffix == ".log")]
    assert {"warden.db", "controlplane.log", "agent-edge-1.log"} <= {p.name for p in files}
    for leak in forms(key):
        assert leak not in texts
        for p in files:
            assert leak not in p.read_bytes(), p.name
    for p in files:
        if p.suffix == ".log":
            assert email1.encode() not in p.read_bytes(), p.name

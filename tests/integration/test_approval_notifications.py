"""Approval notifications against real peers: a local HTTP receiver gets a correctly signed JSON
event for each transition and a Slack payload with the command that decides, a local SMTP server
(aiosmtpd) gets the mail to the approvers, and receivers that are down or hang delay nothing."""
import email
import hashlib
import hmac
import json
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from warden_fixtures import reviewed_deletes, start_data_path, start_running_stack
from warden_stack import free_port, wait_until, write_secret

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller")

SECRET = "whsec-" + "5" * 32


class Receiver:
    """An HTTP server on 127.0.0.1 that records every POST: (path, headers, raw body)."""

    def __init__(self):
        self.posts = []
        received = self.posts

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((self.path, dict(self.headers), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class Mailbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos),
                              envelope.content.decode("utf-8", "replace")))
        return "250 OK"


@pytest.fixture
def notified(stack):
    receiver = Receiver()
    mailbox = Mailbox()
    smtp = aiosmtpd_controller.Controller(mailbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    # A receiver that accepts connections and never answers, and one where nothing listens.
    hanging = socket.socket()
    hanging.bind(("127.0.0.1", 0))
    hanging.listen(16)
    secret_file = stack.dir / "webhook.secret"
    write_secret(secret_file, SECRET + "\n")
    stack.controlplane_args = [
        "--webhook", f"http://127.0.0.1:{hanging.getsockname()[1]}/hangs",
        "--webhook", f"http://127.0.0.1:{free_port()}/down",
        "--webhook", receiver.url + "/events",
        "--webhook-secret-file", str(secret_file),
        "--slack-webhook", receiver.url + "/slack",
        "--smtp-url", f"smtp://127.0.0.1:{smtp.port}", "--smtp-from", "warden@example.com"]
    s = start_data_path(start_running_stack(stack))
    assert s.apply_policy(reviewed_deletes(), "reviewed.yaml").returncode == 0
    wait_until("agent current", lambda: s.agent_current("edge-1"))
    yield s, receiver, mailbox
    smtp.stop()
    receiver.stop()
    hanging.close()


def admin_token(s, name, *flags):
    return json.loads(s.ctl("admin-tokens", "create", name, *flags, "-o", "json").stdout)["token"]


def verified(headers, body):
    """The event, once its signature checks out as a receiver would check it."""
    fields = dict(part.split("=", 1) for part in headers["Warden-Signature"].split(","))
    expected = hmac.new(SECRET.encode(), fields["t"].encode() + b"." + body,
                        hashlib.sha256).hexdigest()
    assert hmac.compare_digest(fields["v1"], expected), "signature does not verify"
    assert abs(time.time() - int(fields["t"])) < 300
    event = json.loads(body)
    assert headers["Warden-Event"] == event["event"]
    assert headers["Warden-Delivery"] == event["delivery"]
    return event


def test_each_transition_is_signed_posted_slacked_and_mailed(notified):
    s, receiver, mailbox = notified
    alice = admin_token(s, "alice", "--identity", "alice", "--group", "dba", "--role", "approver",
                        "--email", "alice@example.com")
    admin_token(s, "bob", "--identity", "bob", "--group", "dba", "--role", "approver",
                "--email", "bob@example.com")
    admin_token(s, "carol", "--identity", "carol", "--group", "sales", "--role", "approver",
                "--email", "carol@example.com")  # not an approver of this policy
    res = s.ctl("admin-tokens", "create", "eve", "--email", "eve@x\r\nBcc: all@x", check=False)
    assert res.returncode == 7 and "one plain address" in res.stderr

    client = subprocess.Popen(["psql", s.gateway_dsn(s.token), "-X", "-c",
                               "DELETE FROM orders WHERE id = 11"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_until("the request", lambda: json.loads(s.ctl(
        "approvals", "list", "--state", "pending", "-o", "json").stdout)["requests"])
    rid = json.loads(s.ctl("approvals", "list", "-o", "json").stdout)["requests"][0]["id"]
    # Two receivers are down or hang (each attempt waits up to 5 s): the approval is not delayed.
    started = time.monotonic()
    s.ctl("approvals", "approve", rid, "--token", alice)
    out, err = client.communicate(timeout=15)
    assert client.returncode == 0 and out.strip() == "DELETE 1", err
    assert time.monotonic() - started < 3

    def events():
        return [verified(h, b) for p, h, b in receiver.posts if p == "/events"]

    wait_until("three events", lambda: len(events()) == 3)
    assert [e["event"] for e in events()] == ["approval.raised", "approval.approved",
                                              "approval.executed"]
    assert all(e["request"]["id"] == rid for e in events())
    assert events()[2]["request"]["outcome"]["command_tag"] == "DELETE 1"
    assert len({e["delivery"] for e in events()}) == 3
    # A body changed in transit no longer verifies.
    path, headers, body = next(p for p in receiver.posts if p[0] == "/events")
    with pytest.raises(AssertionError):
        verified(headers, body.replace(b"DELETE", b"SELECT"))

    slack = [json.loads(b) for p, h, b in receiver.posts if p == "/slack"]
    wait_until("three Slack messages",
               lambda: len([p for p in receiver.posts if p[0] == "/slack"]) == 3)
    slack = [json.loads(b)["text"] for p, h, b in receiver.posts if p == "/slack"]
    assert f"wardenctl approvals approve {rid}" in slack[0]
    assert "DELETE FROM orders WHERE id = 11" in slack[0] and "claude on demo" in slack[0]
    assert "approved by alice" in slack[1] and "DELETE 1" in slack[2]

    wait_until("the mail", lambda: mailbox.messages)
    mail_from, rcpt, content = mailbox.messages[0]
    assert mail_from == "warden@example.com"
    assert sorted(rcpt) == ["alice@example.com", "bob@example.com"]
    mail = email.message_from_string(content)
    assert f"approval request {rid}" in mail["Subject"]
    text = mail.get_payload(decode=True).decode()
    assert "DELETE FROM orders WHERE id = 11" in text
    assert f"wardenctl approvals approve {rid}" in text
    assert len(mailbox.messages) == 1  # approvers are mailed what waits, not every change
    # The failing receivers were retried and given up on in the log, secrets never logged.
    wait_until("a retry logged", lambda: "retrying in" in s.log("controlplane"))
    log = s.log("controlplane")
    assert SECRET not in log
    assert "/slack" not in log and "/down" not in log  # a Slack URL's path is its secret


def test_webhooks_need_a_secret(stack):
    stack.controlplane_args = ["--webhook", "http://127.0.0.1:9/x"]
    with pytest.raises(AssertionError):
        stack.start_controlplane()
    assert "--webhook needs --webhook-secret-file" in stack.log("controlplane")

"""Policies reach running agents live, and agents converge after gateway/control plane restarts."""
import time

from warden_stack import wait_until

POLICY = """\
name: guardrails
subjects:
  groups: [ai-agents]
connections: ["*"]
default_action: deny
rules:
  - name: allow-reads
    match:
      classes: [read]
    action: allow
    message: "{message}"
"""


def apply_ok(stack, message):
    res = stack.apply_policy(POLICY.format(message=message))
    assert res.returncode == 0, res.stderr
    return res


def test_policy_change_reaches_agent_within_one_second(running_stack):
    s = running_stack
    apply_ok(s, "v1")
    wait_until("agent to apply the first policy", lambda: s.agent_current("edge-1"))
    _, before = s.agent("edge-1")

    started = time.monotonic()
    apply_ok(s, "v2")
    wait_until("agent to apply the changed policy", lambda: s.agent_current("edge-1"),
               timeout=5.0, interval=0.02)
    elapsed = time.monotonic() - started
    agent, current = s.agent("edge-1")
    assert current == before + 1
    assert int(agent["applied_policy_version"]) == current
    assert elapsed < 1.0, f"policy push took {elapsed:.3f}s"
    assert f"applied policy version {current}" in s.log("agent-edge-1")
    # The same document again is not a new version and pushes nothing.
    res = apply_ok(s, "v2")
    assert "unchanged" in res.stdout
    assert s.agent("edge-1")[1] == current


def test_agent_reconnects_after_gateway_restart(running_stack):
    s = running_stack
    s.kill("gateway")
    wait_until("the control plane to see the agent offline",
               lambda: not s.agent("edge-1")[0]["connected"])
    apply_ok(s, "changed while the gateway was down")
    agent, current = s.agent("edge-1")
    assert int(agent["applied_policy_version"]) < current
    s.start_gateway()
    wait_until("agent to reconnect and apply the current policy",
               lambda: s.agent_current("edge-1"), timeout=20)
    assert s.procs["agent-edge-1"].poll() is None, "the agent must not have restarted"


def test_agent_reconnects_after_controlplane_restart(running_stack):
    s = running_stack
    apply_ok(s, "before restart")
    wait_until("agent current", lambda: s.agent_current("edge-1"))
    s.kill("controlplane")
    s.start_controlplane()
    apply_ok(s, "after restart")
    wait_until("agent to reconnect and apply the current policy",
               lambda: s.agent_current("edge-1"), timeout=20)
    agent, current = s.agent("edge-1")
    assert agent["gateway"] == "gw-test"
    assert s.procs["agent-edge-1"].poll() is None


def test_two_agents_both_receive_pushes(running_stack):
    s = running_stack
    token = s.create_agent("edge-2")
    s.start_agent("edge-2", token)
    wait_until("edge-2 current", lambda: s.agent_current("edge-2"))
    apply_ok(s, "for both")
    wait_until("both agents current",
               lambda: s.agent_current("edge-1") and s.agent_current("edge-2"), timeout=5)

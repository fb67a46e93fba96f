import pytest

from warden_stack import Stack


@pytest.fixture
def stack(tmp_path):
    s = Stack(tmp_path)
    yield s
    s.stop_all()


@pytest.fixture
def running_stack(stack):
    """Control plane, gateway and one connected agent named edge-1."""
    stack.start_controlplane()
    stack.start_gateway()
    token = stack.create_agent("edge-1")
    stack.start_agent("edge-1", token)
    from warden_stack import wait_until
    wait_until("agent edge-1 to connect", lambda: stack.agent_current("edge-1"))
    return stack

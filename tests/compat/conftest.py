import sys
from pathlib import Path

# The harness and fixtures live with the integration tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from warden_fixtures import data_path, pytest_configure, running_stack, stack  # noqa: E402,F401

from warden_fixtures import GRANT_DEMO, data_path, pytest_configure, running_stack, stack  # noqa: F401

from warden_fixtures import GRANT_DEMO, data_path, running_stack, stack  # noqa: F401

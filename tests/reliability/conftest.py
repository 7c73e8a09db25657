"""The job-test fixtures, shared with tests/experiments."""

from tests.experiments.conftest import cli, write_config  # noqa: F401  (fixtures, found by name)

"""The job-test fixtures, shared with tests/experiments."""

from tests.experiments.conftest import write_config  # noqa: F401  (a fixture, found by name)

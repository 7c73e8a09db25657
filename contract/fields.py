"""Number fields shared by every config model (RL, features, sweeps, SageMaker): integers and reals that
refuse booleans. YAML's ``true`` is Python's 1, so without this ``max_depth: true`` or ``total_timesteps: true``
would pass as a depth or a count. Imported by the config modules only (it needs pydantic)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator


def _refusing_booleans(expected: str) -> BeforeValidator:
    def check(value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError(f"expected {expected}, not true/false")
        return value

    return BeforeValidator(check)


Int = Annotated[int, _refusing_booleans("an integer")]
"""An integer field that refuses booleans."""
Float = Annotated[float, _refusing_booleans("a number")]
"""A real-number field that refuses booleans."""

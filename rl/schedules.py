"""Hyperparameter schedules written as strings, RL Zoo style (``lin_0.001``).

``lin_<start>`` decays linearly from ``start`` to 0 over training, exactly as RL Zoo's
``linear_schedule``; ``lin_<start>_<end>`` decays to ``end`` instead. They become SB3's own
``LinearSchedule`` objects, so saved models pickle and reload like any SB3 model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stable_baselines3.common.utils import LinearSchedule

_PREFIX = "lin_"


def is_schedule(value: Any) -> bool:
    """Whether ``value`` is written as a schedule string."""
    return isinstance(value, str) and value.startswith(_PREFIX)


def check_schedule(value: str) -> tuple[float, float]:
    """The (start, end) of a ``lin_<start>[_<end>]`` schedule, or a ValueError saying what is expected."""
    parts = value[len(_PREFIX) :].split("_")
    try:
        numbers = [float(part) for part in parts]
    except ValueError:
        numbers = []
    if len(numbers) not in (1, 2):
        raise ValueError(f"schedule {value!r} is malformed; expected lin_<start> or lin_<start>_<end>, e.g. lin_0.001")
    return numbers[0], numbers[1] if len(numbers) == 2 else 0.0


def parse_schedule(value: str) -> LinearSchedule:
    """Turn ``lin_<start>[_<end>]`` into an SB3 ``LinearSchedule`` (progress remaining -> value)."""
    from stable_baselines3.common.utils import LinearSchedule

    start, end = check_schedule(value)
    return LinearSchedule(start=start, end=end, end_fraction=1.0)


def resolve_schedules(hyperparameters: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``hyperparameters`` with every schedule string replaced by its schedule."""
    return {key: parse_schedule(value) if is_schedule(value) else value for key, value in hyperparameters.items()}

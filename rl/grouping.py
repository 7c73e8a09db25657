"""Which runs are seeds of one experiment: the experiment key, groups named by what differs, repeated seeds.

Two runs belong to one group when their resolved configs agree on everything that can change the result:
the config name, env id and kwargs, wrappers, frame stacking and normalization, the algorithm, its policy
and every hyperparameter, the timestep budget and the evaluation protocol. Only the seed and settings
that cannot change what is learned or measured (:data:`OPERATIONAL_KEYS`: where it runs, how often it
checkpoints or evaluates along the way) are left out. A baseline heuristic has no training: its key is the
config name, the env and the evaluation protocol.

Runs of one config name that differ are separate groups, each named by its values of the keys that differ
(``cartpole-ppo [learning_rate=0.001]``). The same seed twice in a group is one run: the first directory
is kept and the repetition is reported.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rl.runs import RunRecord

OPERATIONAL_KEYS: tuple[str, ...] = (
    "seed",
    "evaluation.seed",
    "evaluation.frequency",
    "checkpoint",
    "device",
    "torch_threads",
    "env.vec_env",
    "code",
)
# The env as a task: two groups on equal env settings are compared on one panel.
ENV_KEYS: tuple[str, ...] = ("env.id", "env.entry_point", "env.kwargs", "env.wrappers", "env.frame_stack")
UNSET = "(unset)"
BASELINE_KEYS: tuple[str, ...] = ("name", *ENV_KEYS, "evaluation.episodes", "evaluation.deterministic")


def flatten(config: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """A nested config as dotted keys (``algo.hyperparameters.learning_rate``); lists stay whole."""
    flat: dict[str, Any] = {}
    for key, value in config.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def _under(key: str, prefixes: tuple[str, ...]) -> bool:
    return any(key == p or key.startswith(p + ".") for p in prefixes)


def experiment_key(run: RunRecord) -> dict[str, Any]:
    """The settings that define the run's experiment (its config without seed and operational keys)."""
    flat = flatten(run.config)
    if run.is_baseline:
        key = {k: v for k, v in flat.items() if _under(k, BASELINE_KEYS)}
    else:
        key = {k: v for k, v in flat.items() if not _under(k, OPERATIONAL_KEYS)}
    return {**key, "algo": run.algo}


def env_key(run: RunRecord) -> dict[str, Any]:
    """The env a run was evaluated on, as a task (id, kwargs, wrappers, frame stacking)."""
    return {k: v for k, v in flatten(run.config).items() if _under(k, ENV_KEYS)}


def canonical(mapping: Mapping[str, Any]) -> str:
    return json.dumps(mapping, sort_keys=True, default=str)


@dataclass
class Group:
    """The runs (one per seed) of one experiment."""

    label: str
    config_name: str
    algo: str
    env_id: str
    key: dict[str, Any]
    env: dict[str, Any]
    runs: list[RunRecord]
    repeated_seeds: dict[int, list[Path]] = field(default_factory=dict)

    @property
    def seeds(self) -> list[int]:
        return [r.seed for r in self.runs]

    @property
    def is_baseline(self) -> bool:
        return self.algo.startswith("baseline:")


def _short_names(keys: list[str]) -> dict[str, str]:
    """Each dotted key by its shortest suffix that no other key shares (``learning_rate``, ``env.kwargs.n``)."""
    names = {}
    for key in keys:
        parts = key.split(".")
        for size in range(1, len(parts) + 1):
            suffix = ".".join(parts[-size:])
            if not any(other != key and (other == suffix or other.endswith("." + suffix)) for other in keys):
                break
        names[key] = suffix
    return names


def _value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def _labels(base: str, keys: list[dict[str, Any]]) -> list[str]:
    """``base`` for a lone group, else ``base [k=v, ...]`` over the keys whose values differ among ``keys``."""
    if len(keys) == 1:
        return [base]
    every = sorted(set().union(*keys))
    differing = [k for k in every if len({canonical({"v": key.get(k, UNSET)}) for key in keys}) > 1]
    short = _short_names(differing)
    labels = []
    for key in keys:
        values = ", ".join(f"{short[k]}={_value(key.get(k, UNSET))}" for k in differing)
        labels.append(f"{base} [{values}]")
    return labels


def _one_per_seed(runs: list[RunRecord]) -> tuple[list[RunRecord], dict[int, list[Path]]]:
    by_seed: dict[int, list[RunRecord]] = defaultdict(list)
    for run in sorted(runs, key=lambda r: str(r.path)):
        by_seed[run.seed].append(run)
    repeated = {seed: [r.path for r in same] for seed, same in by_seed.items() if len(same) > 1}
    return [same[0] for _, same in sorted(by_seed.items())], repeated


def group_runs(runs: list[RunRecord]) -> list[Group]:
    """The runs as groups of one experiment each, one run per seed, sorted by env, then label."""
    buckets: dict[str, list[RunRecord]] = defaultdict(list)
    for run in runs:
        buckets[canonical(experiment_key(run))].append(run)
    # agents of one config name are told apart everywhere; a baseline (e.g. random, on every env) within its env
    by_base: dict[tuple[str, str], list[list[RunRecord]]] = defaultdict(list)
    for members in buckets.values():
        first = members[0]
        where = canonical(env_key(first)) if first.is_baseline else ""
        by_base[where, first.algo if first.is_baseline else first.config_name].append(members)
    groups = []
    for (_, base), buckets_of_base in by_base.items():
        buckets_of_base.sort(key=lambda members: canonical(experiment_key(members[0])))
        keys = [experiment_key(members[0]) for members in buckets_of_base]
        for label, key, members in zip(_labels(base, keys), keys, buckets_of_base, strict=True):
            kept, repeated = _one_per_seed(members)
            first = kept[0]
            groups.append(
                Group(label, first.config_name, first.algo, first.env_id, key, env_key(first), kept, repeated)
            )
    return sorted(groups, key=lambda g: (canonical(g.env), g.is_baseline, g.label))


def env_label(env: Mapping[str, Any], envs: Sequence[Mapping[str, Any]]) -> str:
    """An env's name on a panel: its id, with what differs from the other envs of the same id."""
    same_id = [e for e in envs if e.get("env.id") == env.get("env.id")]
    unique = list({canonical(e): dict(e) for e in same_id}.values())
    base = str(env.get("env.id") or env.get("env.entry_point"))
    if len(unique) == 1:
        return base
    return _labels(base, unique)[[canonical(e) for e in unique].index(canonical(env))]

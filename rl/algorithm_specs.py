"""Every Stable-Baselines3 and sb3-contrib algorithm sagelab trains, described without importing them.

Validation must stay light (importing SB3 pulls in torch), yet it has to catch what SB3 only finds at run
time: an algorithm on an action space it cannot act in (DQN on a Box, SAC on a Discrete space), a policy
name the algorithm does not know (``MlpLstmPolicy`` is RecurrentPPO's), a Dict observation space without a
multi-input policy. This table says, per algorithm, what its class declares (``policy_aliases`` and the
``supported_action_spaces`` it passes to ``BaseAlgorithm``); ``tests/rl/test_algorithm_specs.py`` checks it
against the installed classes, so an SB3 upgrade that changes them fails a test instead of a job.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

_ALL_ACTION_SPACES = ("Box", "Discrete", "MultiDiscrete", "MultiBinary")
_STANDARD_POLICIES = ("MlpPolicy", "CnnPolicy", "MultiInputPolicy")


@dataclass(frozen=True)
class AlgorithmSpec:
    """What a config may ask of one algorithm.

    :param name: the ``algo.name`` of a config (RL Zoo's spelling)
    :param package: ``stable_baselines3`` or ``sb3_contrib`` (the class is exported at its top level)
    :param source: the module that defines the class (its constructor is read from there, see rl.config)
    :param class_name: the SB3 class
    :param action_spaces: names of the ``gymnasium.spaces`` classes it acts in
    :param policies: its policy aliases, the default first
    :param dict_policy: the policy for Dict observation spaces, or None when it has none
    :param off_policy: whether it keeps a replay buffer (saved with every checkpoint)
    :param masked: whether the env must provide ``action_masks()``
    """

    name: str
    package: str
    source: str
    class_name: str
    action_spaces: tuple[str, ...]
    policies: tuple[str, ...]
    dict_policy: str | None
    off_policy: bool = False
    masked: bool = False

    @property
    def has_gamma(self) -> bool:
        """ARS optimizes episode returns directly; every other algorithm discounts with ``gamma``."""
        return self.name != "ars"


def _sb3(
    name: str, module: str, class_name: str, action_spaces: tuple[str, ...], off_policy: bool = False
) -> AlgorithmSpec:
    return AlgorithmSpec(
        name,
        "stable_baselines3",
        f"stable_baselines3.{module}",
        class_name,
        action_spaces,
        _STANDARD_POLICIES,
        "MultiInputPolicy",
        off_policy,
    )


def _contrib(
    name: str,
    module: str,
    class_name: str,
    action_spaces: tuple[str, ...],
    *,
    policies: tuple[str, ...] = _STANDARD_POLICIES,
    dict_policy: str | None = "MultiInputPolicy",
    off_policy: bool = False,
    masked: bool = False,
) -> AlgorithmSpec:
    source = f"sb3_contrib.{module}"
    return AlgorithmSpec(
        name, "sb3_contrib", source, class_name, action_spaces, policies, dict_policy, off_policy, masked
    )


ALGORITHM_SPECS: dict[str, AlgorithmSpec] = {
    spec.name: spec
    for spec in (
        _sb3("a2c", "a2c.a2c", "A2C", _ALL_ACTION_SPACES),
        _sb3("ppo", "ppo.ppo", "PPO", _ALL_ACTION_SPACES),
        _sb3("dqn", "dqn.dqn", "DQN", ("Discrete",), off_policy=True),
        _sb3("sac", "sac.sac", "SAC", ("Box",), off_policy=True),
        _sb3("td3", "td3.td3", "TD3", ("Box",), off_policy=True),
        _sb3("ddpg", "ddpg.ddpg", "DDPG", ("Box",), off_policy=True),
        _contrib("qrdqn", "qrdqn.qrdqn", "QRDQN", ("Discrete",), off_policy=True),
        _contrib("tqc", "tqc.tqc", "TQC", ("Box",), off_policy=True),
        _contrib("trpo", "trpo.trpo", "TRPO", _ALL_ACTION_SPACES),
        _contrib(
            "ars", "ars.ars", "ARS", ("Box", "Discrete"), policies=("MlpPolicy", "LinearPolicy"), dict_policy=None
        ),
        _contrib(
            "recurrent_ppo",
            "ppo_recurrent.ppo_recurrent",
            "RecurrentPPO",
            _ALL_ACTION_SPACES,
            policies=("MlpLstmPolicy", "CnnLstmPolicy", "MultiInputLstmPolicy"),
            dict_policy="MultiInputLstmPolicy",
        ),
        _contrib(
            "maskable_ppo",
            "ppo_mask.ppo_mask",
            "MaskablePPO",
            ("Discrete", "MultiDiscrete", "MultiBinary"),
            masked=True,
        ),
        _contrib(
            "crossq", "crossq.crossq", "CrossQ", ("Box",), policies=("MlpPolicy",), dict_policy=None, off_policy=True
        ),
    )
}
ALGORITHMS: tuple[str, ...] = tuple(ALGORITHM_SPECS)


def algorithm_spec(name: str) -> AlgorithmSpec:
    """The spec of ``algo.name``, or a ValueError listing the algorithms (with a "did you mean")."""
    if name in ALGORITHM_SPECS:
        return ALGORITHM_SPECS[name]
    close = difflib.get_close_matches(name.lower().replace("-", "_"), ALGORITHMS, n=2, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise ValueError(f"unknown algorithm {name!r}{hint} (expected one of {', '.join(ALGORITHMS)})")


def default_policy(name: str, *, dict_observations: bool) -> str:
    """The policy a config gets when it names none: the multi-input one for Dict observations, else the first."""
    spec = algorithm_spec(name)
    if dict_observations and spec.dict_policy is not None:
        return spec.dict_policy
    return spec.policies[0]


def space_problems(
    name: str, policy: str | None, *, observation_space: str, action_space: str, has_action_masks: bool
) -> list[tuple[str, str]]:
    """(field, message) for each way ``name`` cannot run on an env with these spaces (class names).

    These are the checks SB3 makes only when the model is built or first trained.
    """
    spec = algorithm_spec(name)
    problems = []
    if action_space not in spec.action_spaces:
        fitting = ", ".join(n for n, s in ALGORITHM_SPECS.items() if action_space in s.action_spaces) or "none"
        message = (
            f"{spec.class_name} cannot act in a {action_space} action space; it supports "
            f"{', '.join(spec.action_spaces)} (algorithms for {action_space}: {fitting})"
        )
        problems.append(("algo.name", message))
    dict_observations = observation_space == "Dict"
    chosen = policy or default_policy(name, dict_observations=dict_observations)
    if dict_observations and chosen != spec.dict_policy:
        expected = f"use policy {spec.dict_policy}" if spec.dict_policy else f"{spec.class_name} has no policy for them"
        problems.append(("algo.policy", f"the env's observations are a Dict space: {expected}, not {chosen}"))
    elif not dict_observations and chosen == spec.dict_policy:
        problems.append(("algo.policy", f"{chosen} needs a Dict observation space; the env's is {observation_space}"))
    if spec.masked and not has_action_masks:
        message = (
            f"{spec.class_name} needs an env with an action_masks() method (see sb3_contrib's "
            "ActionMasker wrapper); this env has none"
        )
        problems.append(("algo.name", message))
    return problems

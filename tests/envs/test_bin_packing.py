"""BinPacking: the example's transition rules on hand-made item sequences, the heuristics, bad parameters."""

from __future__ import annotations

import numpy as np
import pytest

from envs.bin_packing import BestFitPolicy, BinPackingEnv, SumOfSquaresPolicy


def env_with_items(items: list[int], capacity: int = 9) -> BinPackingEnv:
    env = BinPackingEnv(bag_capacity=capacity, item_sizes=[2, 3], time_horizon=len(items))
    env.reset(seed=0)
    env._core.items[0, : len(items)] = items  # a hand-made sequence instead of a random one
    return env


def test_rewards_are_minus_the_change_in_empty_space() -> None:
    env = env_with_items([3, 3, 3, 2])
    obs, reward, *_ = env.step(0)  # new bag with 3: empty space 6
    assert reward == -6 and obs[3] == 1 and obs[-1] == 3
    obs, reward, *_ = env.step(3)  # into the level-3 bag: 6
    assert reward == 3 and obs[3] == 0 and obs[6] == 1
    obs, reward, terminated, _, info = env.step(6)  # fills the bag to 9: full
    assert reward == 3 and obs[6] == 0 and info["full_bags"] == 1 and not terminated
    _, reward, terminated, _, _ = env.step(0)
    assert reward == -7 and terminated  # time horizon reached: the return is minus the empty space left
    # total = -6 + 3 + 3 - 7 = -7 = -(empty space of the one open bag at level 2)


def test_invalid_actions_become_the_nearest_valid_level_and_are_flagged() -> None:
    env = env_with_items([3, 3, 3, 3])
    env.step(0)  # a bag at level 3
    mask = env.action_masks()
    assert mask.tolist() == [True, False, False, True, False, False, False, False, False]
    obs, reward, _, _, info = env.step(7)  # no bag at 7 (and 7 + 3 > 9): nearest valid level is 3
    assert info["invalid_action"] and reward == 3 and obs[6] == 1
    _, reward, _, _, info = env.step(5)  # only level 6 exists and 6 + 3 = 9 fits: nearest valid is 6
    assert info["invalid_action"] and reward == 3 and info["full_bags"] == 1


def test_best_fit_picks_the_fullest_bag_that_fits() -> None:
    levels = np.zeros(9)
    levels[[2, 5, 7]] = 1
    policy = BestFitPolicy()
    assert policy.predict(np.append(levels, 2))[0] == 7  # 7 + 2 = 9 fits
    assert policy.predict(np.append(levels, 3))[0] == 5  # 7 + 3 > 9
    assert policy.predict(np.append(np.zeros(9), 3))[0] == 0  # no bag: open one


def test_sum_of_squares_minimizes_the_sum_of_squared_level_counts() -> None:
    levels = np.zeros(9)
    levels[2], levels[4] = 3, 1
    # item 2: into level 2 -> N(2)=2, N(4)=2: 8; into level 4 -> N(2)=3, N(6)=1: 10; new bag -> N(2)=4: 17
    assert SumOfSquaresPolicy().predict(np.append(levels, 2))[0] == 2
    # Best-Fit would pick level 4 here, the fullest
    assert BestFitPolicy().predict(np.append(levels, 2))[0] == 4


def mean_return(policy: object, distribution: str, seeds: int = 8) -> float:
    env = BinPackingEnv(item_probabilities=distribution)
    returns = []
    for seed in range(seeds):
        obs, _ = env.reset(seed=seed)
        total, done = 0.0, False
        while not done:
            obs, reward, terminated, truncated, _ = env.step(policy.predict(obs)[0])
            total, done = total + reward, terminated or truncated
        returns.append(total)
    return float(np.mean(returns))


def test_sum_of_squares_reproduces_the_waste_regimes_the_example_reports() -> None:
    # bin_packing_env.py: "linear waste -> SS: -150 to -340", "perfect pack -> SS: -20 to -100",
    # "bounded waste -> SS: -11 to -20" (1000 items, capacity 9, sizes 2 and 3)
    policy = SumOfSquaresPolicy()
    assert -340 <= mean_return(policy, "linear_waste") <= -150
    assert -100 <= mean_return(policy, "perfectly_packable") <= -20
    assert -20 <= mean_return(policy, "bounded_waste") <= 0
    # on the two regimes Sum-of-Squares was designed for, it beats Best-Fit by far
    for distribution in ("perfectly_packable", "bounded_waste"):
        assert mean_return(policy, distribution) > mean_return(BestFitPolicy(), distribution) + 50


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"bag_capacity": 1}, "bag_capacity must be an integer >= 2"),
        ({"item_sizes": []}, "item_sizes must not be empty"),
        ({"item_sizes": [2, 9]}, r"item_sizes must be integers in \[1, bag_capacity - 1 = 8\]"),
        ({"item_probabilities": [0.5, 0.6]}, "sum to 1"),
        ({"item_probabilities": [1.0]}, "1 entries for 2 item_sizes"),
        ({"item_probabilities": "uniform"}, "not one of linear_waste"),
        ({"time_horizon": 0}, "time_horizon must be an integer >= 1"),
    ],
)
def test_bad_parameters_fail_at_construction(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BinPackingEnv(**kwargs)

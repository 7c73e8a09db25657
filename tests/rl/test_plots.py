"""Plots: runs on a common grid without extrapolation, the bootstrap band, and the PNG files written."""

from __future__ import annotations

from pathlib import Path

import matplotlib.image
import numpy as np
import pandas as pd
import pytest

from rl.plots import curve_band, interpolate_runs, plot_final_returns, plot_learning_curve, plot_learning_curves, read_curve
from rl.stats import Interval


def curve(timesteps: list[int], rewards: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"timesteps": timesteps, "mean_reward": rewards, "std_reward": [1.0] * len(rewards)})


def image_shape(path: Path) -> tuple[int, ...]:
    return matplotlib.image.imread(path).shape


def test_runs_are_interpolated_onto_one_grid_and_never_extrapolated() -> None:
    long = curve([0, 100, 200], [0.0, 10.0, 30.0])
    short = curve([0, 100], [5.0, 5.0])  # stopped early at 100 timesteps
    grid, matrix = interpolate_runs([long, short], points=5)
    np.testing.assert_allclose(grid, [0, 50, 100, 150, 200])
    np.testing.assert_allclose(matrix[0], [0.0, 5.0, 10.0, 20.0, 30.0])
    np.testing.assert_allclose(matrix[1, :3], [5.0, 5.0, 5.0])
    assert np.isnan(matrix[1, 3:]).all()  # no results past the run's last evaluation


def test_unsorted_rows_are_put_in_timestep_order(tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text("timesteps,mean_reward,std_reward\n200,3,0\n100,2,0\n")
    assert list(read_curve(tmp_path / "c.csv")["timesteps"]) == [100, 200]
    _, matrix = interpolate_runs([curve([200, 0], [20.0, 0.0])], points=3)
    np.testing.assert_allclose(matrix[0], [0.0, 10.0, 20.0])


def test_the_band_is_the_aggregate_over_the_runs_present_with_its_interval() -> None:
    matrix = np.array([[1.0, 2.0, np.nan], [1.0, 4.0, np.nan], [1.0, 6.0, 7.0], [1.0, 100.0, np.nan]])
    estimate, low, high = curve_band(matrix, "iqm")
    assert estimate[0] == low[0] == high[0] == 1.0  # identical runs: a zero-width band
    assert estimate[1] == pytest.approx(5.0)  # IQM of 2, 4, 6, 100: mean of 4 and 6
    assert low[1] < estimate[1] < high[1]
    assert estimate[2] == low[2] == high[2] == 7.0  # only one run reaches the last point
    mean, _, _ = curve_band(matrix, "mean")
    assert mean[1] == pytest.approx(28.0)
    with pytest.raises(ValueError, match="no learning-curve rows"):
        interpolate_runs([curve([], [])])


def test_one_run_learning_curve_png(tmp_path: Path) -> None:
    csv = tmp_path / "learning_curve.csv"
    curve([1000, 2000, 3000], [10.0, 50.0, 120.0]).to_csv(csv, index=False)
    png = plot_learning_curve(csv, tmp_path / "plots" / "curve.png", title="cartpole (seed 0)")
    assert png == tmp_path / "plots" / "curve.png"
    assert image_shape(png)[:2] == (462, 770)  # 7 x 4.2 inches at 110 dpi
    (tmp_path / "bad.csv").write_text("step,reward\n1,2\n")
    with pytest.raises(ValueError, match=r"bad\.csv: missing column\(s\) \['timesteps', 'mean_reward', 'std_reward'\]"):
        plot_learning_curve(tmp_path / "bad.csv", tmp_path / "bad.png")
    assert not (tmp_path / "bad.png").exists()


def test_learning_curves_across_seeds_png(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    steps = list(range(0, 10_001, 1000))
    groups = {
        "cartpole [ppo]": [curve(steps, list(np.linspace(20, 480, 11) + rng.normal(0, 20, 11))) for _ in range(5)],
        "cartpole [dqn]": [curve(steps[: 6 + seed], list(np.linspace(10, 300, 6 + seed))) for seed in range(3)],
        "cartpole [single point]": [curve([5000], [100.0])],
        "empty": [],
    }
    png = plot_learning_curves(groups, tmp_path / "curves.png", aggregate="mean")
    assert image_shape(png)[:2] == (528, 880)
    assert png.stat().st_size > 20_000


def test_final_returns_interval_png(tmp_path: Path) -> None:
    intervals = {f"config-{i} [ppo]": Interval(100.0 * i, 100.0 * i - 20, 100.0 * i + 35) for i in range(4)}
    png = plot_final_returns(intervals, tmp_path / "final.png")
    height, width = image_shape(png)[:2]
    assert width == 880 and height == round((0.55 * 4 + 1.8) * 110)
    assert png.stat().st_size > 5_000

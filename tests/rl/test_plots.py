"""Figures: runs on the steps they share, one panel per env with data on it, and the files in each format."""

from __future__ import annotations

from pathlib import Path

import matplotlib.image
import numpy as np
import pandas as pd
import pytest

from rl.plots import (
    CurveSeries,
    Level,
    Panel,
    common_grid,
    final_returns_figure,
    learning_curves_figure,
    performance_profile_figure,
    plot_learning_curve,
    save_figure,
)


def curve(timesteps: list[int], rewards: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"timesteps": timesteps, "mean_reward": rewards, "std_reward": [1.0] * len(rewards)})


def test_runs_share_only_the_steps_every_one_reached() -> None:
    long = curve([0, 100, 200], [0.0, 10.0, 30.0])
    short = curve([50, 150], [5.0, 5.0])  # started evaluating later and stopped early
    grid, matrix = common_grid([long, short])
    np.testing.assert_allclose(grid, [50, 100, 150])
    np.testing.assert_allclose(matrix, [[5.0, 10.0, 20.0], [5.0, 5.0, 5.0]])
    with pytest.raises(ValueError, match="share no timesteps"):
        common_grid([curve([0, 10], [1.0, 2.0]), curve([20, 30], [1.0, 2.0])])
    with pytest.raises(ValueError, match="empty"):
        common_grid([curve([], [])])


def series(label: str, offset: float) -> CurveSeries:
    steps = np.array([0.0, 500.0, 1000.0])
    return CurveSeries(label, steps, steps / 10 + offset, steps / 10 + offset - 5, steps / 10 + offset + 5)


def test_one_panel_per_env_with_each_agents_curve_and_each_baselines_level() -> None:
    panels = [
        Panel(
            "envs/Knapsack-v0", [series("ppo", 0.0), series("dqn", 20.0)], [Level("baseline:greedy", 60.0, 55.0, 65.0)]
        ),
        Panel("CartPole-v1", [series("ppo", 3.0)]),
    ]
    figure = learning_curves_figure(panels)
    visible = [axes for axes in figure.axes if axes.get_visible()]
    assert [axes.get_title() for axes in visible] == ["envs/Knapsack-v0", "CartPole-v1"]
    knapsack, cartpole = visible
    lines = {line.get_label(): line for line in knapsack.get_lines()}
    assert set(lines) == {"ppo", "dqn", "baseline:greedy"}
    np.testing.assert_allclose(lines["dqn"].get_ydata(), [20.0, 70.0, 120.0])
    assert list(lines["baseline:greedy"].get_ydata()) == [60.0, 60.0]
    assert len(knapsack.collections) == 2  # a band per curve (the baseline's band is a patch)
    assert [line.get_label() for line in cartpole.get_lines()] == ["ppo"]


def test_final_returns_have_a_bar_and_a_tick_per_group_on_each_env() -> None:
    figure = final_returns_figure(
        {"A": [Level("x", 1.0, 0.5, 1.5), Level("y", 2.0, 1.0, 3.0)], "B": [Level("z", 5.0, 4.0, 6.0)]}
    )
    first, second = figure.axes
    assert [t.get_text() for t in first.get_yticklabels()] == ["x", "y"]
    assert [list(line.get_xdata()) for line in first.get_lines()] == [[0.5, 1.5], [1.0], [1.0, 3.0], [2.0]]
    assert len(second.get_lines()) == 2


def test_performance_profile_draws_each_method() -> None:
    thresholds = np.linspace(0, 2, 5)
    profiles = {"ppo": np.array([1.0, 0.8, 0.5, 0.2, 0.0]), "random": np.array([0.5, 0.0, 0.0, 0.0, 0.0])}
    bands = {k: np.vstack([v - 0.1, v + 0.1]) for k, v in profiles.items()}
    figure = performance_profile_figure(thresholds, profiles, bands)
    lines = {line.get_label(): line for line in figure.axes[0].get_lines()}
    np.testing.assert_allclose(lines["ppo"].get_ydata(), profiles["ppo"])
    assert "random" in lines


def test_figures_are_written_in_each_format_at_the_dpi(tmp_path: Path) -> None:
    figure = learning_curves_figure([Panel("env", [series("ppo", 0.0)])])
    paths = save_figure(figure, tmp_path / "out" / "curves", ("png", "pdf", "svg"), dpi=50)
    assert [p.name for p in paths] == ["curves.png", "curves.pdf", "curves.svg"]
    assert paths[1].read_bytes().startswith(b"%PDF") and b"<svg" in paths[2].read_bytes()[:500]
    width = matplotlib.image.imread(paths[0]).shape[1]
    assert width == round(5.2 * 50)  # one panel is 5.2 inches wide
    with pytest.raises(ValueError, match="among png, pdf, svg"):
        save_figure(learning_curves_figure([Panel("env", [series("ppo", 0.0)])]), tmp_path / "x", ("jpg",))


def test_one_run_learning_curve_png(tmp_path: Path) -> None:
    csv = tmp_path / "learning_curve.csv"
    curve([1000, 2000, 3000], [10.0, 50.0, 120.0]).to_csv(csv, index=False)
    png = plot_learning_curve(csv, tmp_path / "plots" / "curve.png", title="cartpole (seed 0)")
    assert png == tmp_path / "plots" / "curve.png"
    image = matplotlib.image.imread(png)
    assert image.shape[:2] == (462, 770)  # 7 x 4.2 inches at 110 dpi
    assert image[..., :3].std() > 0.05  # not a blank canvas
    (tmp_path / "bad.csv").write_text("step,reward\n1,2\n")
    with pytest.raises(ValueError, match=r"bad\.csv: missing column\(s\) \['timesteps', 'mean_reward', 'std_reward'\]"):
        plot_learning_curve(tmp_path / "bad.csv", tmp_path / "bad.png")
    assert not (tmp_path / "bad.png").exists()

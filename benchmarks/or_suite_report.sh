#!/usr/bin/env bash
# The OR suite at a small budget: 3 seeds of each shipped OR config (PPO / MaskablePPO) for 3 rollouts,
# each env's baselines and a random policy on the same evaluation episodes, then `sagelab report`.
# Usage: benchmarks/or_suite_report.sh [RUNS_DIR]   (default runs/or-suite; nice -n 10 throughout)
set -euo pipefail
RUNS=${1:-runs/or-suite}
SAGELAB=${SAGELAB:-.venv/bin/sagelab}
PYTHON=${PYTHON:-.venv/bin/python}
SEEDS=(0 1 2)
# config: total_timesteps (3 rollouts of n_envs * n_steps), evaluation episodes, evaluation frequency
declare -A BUDGET=([bin_packing_ppo]=12288 [knapsack_ppo]=24576 [newsvendor_ppo]=24576 [portfolio_ppo]=24576
                   [vehicle_routing_ppo]=24576 [autoscaling_ppo]=24576)
declare -A EPISODES=([bin_packing_ppo]=10 [knapsack_ppo]=10 [newsvendor_ppo]=10 [portfolio_ppo]=10
                     [vehicle_routing_ppo]=5 [autoscaling_ppo]=2)
# Slow baselines play only the first N of those episodes (the report shows each group's episode count):
# the VehicleRouting MIP costs ~25 s CPU an episode (a HiGHS solve of up to 0.1 s whenever an order appears).
declare -A BASELINE_EPISODES=([order_acceptance_mip]=1)
for config in bin_packing_ppo knapsack_ppo newsvendor_ppo portfolio_ppo autoscaling_ppo vehicle_routing_ppo; do
  nice -n 10 "$SAGELAB" run "$config" --seeds "${SEEDS[@]}" --parallel 1 --quiet --output-dir "$RUNS/agents" \
    --set total_timesteps="${BUDGET[$config]}" --set evaluation.episodes="${EPISODES[$config]}" \
    --set evaluation.frequency=8192 --set checkpoint.frequency=0
  baselines=$("$PYTHON" -c "import sys; from experiments.config import load_job_config; import envs
print(' '.join(envs.baseline_names(load_job_config(sys.argv[1]).config.env.id)))" "$config")
  for baseline in $baselines random; do
    for seed in "${SEEDS[@]}"; do
      # the agents' evaluation seed for training seed s is s + 1,000,000: the baselines play the same episodes
      nice -n 10 "$SAGELAB" evaluate --baseline "$baseline" --config "$config" --episodes "${BASELINE_EPISODES[$baseline]:-${EPISODES[$config]}}" \
        --seed $((seed + 1000000)) --output-dir "$RUNS/baselines" > /dev/null
    done
  done
done
nice -n 10 "$SAGELAB" report "$RUNS" --format png --format pdf

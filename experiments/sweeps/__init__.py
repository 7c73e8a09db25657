"""Hyperparameter sweeps over config keys: locally with Optuna, on AWS with SageMaker's tuner."""

"""RL Baselines3 Zoo hyperparameters as a sagelab config (``sagelab import-zoo FILE ENV_ID``).

An RL Zoo file (``hyperparams/ppo.yml``) maps env ids to the algorithm's settings. Most are constructor
keyword arguments and become ``algo.hyperparameters``; the rest have a place in the config:
``n_timesteps`` -> ``total_timesteps``, ``policy`` -> ``algo.policy``, ``n_envs``, ``normalize``,
``frame_stack``, ``env_wrapper`` and ``env_kwargs`` -> ``env``, ``noise_type``/``noise_std`` ->
``algo.hyperparameters.action_noise``. RL Zoo writes ``policy_kwargs`` (and a structured ``normalize``) as
Python source, ``"dict(net_arch=[64, 64], activation_fn=nn.ReLU)"``, which RL Zoo ``eval``-s; here it is
parsed with :mod:`ast` into data: literals, ``dict(...)``, ``nn.<Activation>`` and ``th.optim.<Optimizer>``
only, for allow-listed keys; anything else is an error naming the key.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

from experiments.errors import UserError
from experiments.yaml_input import read_yaml_file
from rl.algorithm_specs import ALGORITHMS
from rl.hyperparameters import ACTIVATION_FUNCTIONS, OPTIMIZERS

# RL Zoo's file names that differ from sagelab's algorithm names
ZOO_ALGORITHMS: dict[str, str] = {"ppo_lstm": "recurrent_ppo", "ppo_mask": "maskable_ppo"}
POLICY_KWARGS: frozenset[str] = frozenset(
    {
        "net_arch",
        "activation_fn",
        "log_std_init",
        "ortho_init",
        "use_expln",
        "squash_output",
        "full_std",
        "n_critics",
        "n_quantiles",
        "optimizer_class",
        "optimizer_kwargs",
        "normalize_images",
        "share_features_extractor",
        "enable_critic_lstm",
        "lstm_hidden_size",
        "n_lstm_layers",
        "shared_lstm",
        "clip_mean",
        "use_sde",
    }
)
_ACTIVATIONS = {torch_name: name for name, torch_name in ACTIVATION_FUNCTIONS.items()}
_OPTIMIZERS = {torch_name: name for name, torch_name in OPTIMIZERS.items()}
_MODULE_PREFIXES = {
    "activation_fn": ("nn", "th.nn", "torch.nn"),
    "optimizer_class": ("th.optim", "torch.optim", "optim"),
}
# RL Zoo settings that are not constructor arguments and have no sagelab counterpart
_UNSUPPORTED = {
    "callback": "RL Zoo callbacks; list SB3 callbacks under callbacks:",
    "vec_env_wrapper": "VecEnv wrappers other than normalize and frame_stack",
    "replay_buffer_class": "custom replay buffers (HER)",
    "post_process": "RL Zoo post-processing",
}


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def _string_keys(node: ast.Dict) -> list[str] | None:
    """The keys of a ``{...}`` display when every one is a string literal (no ``**``), else None."""
    keys = [k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]
    return keys if len(keys) == len(node.keys) else None


def _value(node: ast.expr, where: str, key: str | None) -> Any:
    """The data a node of RL Zoo's Python source stands for, or a UserError naming ``where``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float | str | bool | type(None)):
        return node.value
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub | ast.UAdd)
        and isinstance(node.operand, ast.Constant)
    ):
        number = _value(node.operand, where, key)
        if isinstance(number, int | float) and not isinstance(number, bool):
            return -number if isinstance(node.op, ast.USub) else number
    if isinstance(node, ast.List | ast.Tuple):
        return [_value(item, f"{where}[{i}]", None) for i, item in enumerate(node.elts)]
    keys = _string_keys(node) if isinstance(node, ast.Dict) else None
    if isinstance(node, ast.Dict) and keys is not None:
        return {k: _value(v, f"{where}.{k}", None) for k, v in zip(keys, node.values, strict=True)}
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict" and not node.args:
        if any(k.arg is None for k in node.keywords):
            raise UserError(f"{where}: '**' in dict(...) is not supported")
        return {k.arg: _value(k.value, f"{where}.{k.arg}", None) for k in node.keywords}
    dotted = _dotted(node)
    if dotted and key in _MODULE_PREFIXES:
        prefix, _, name = dotted.rpartition(".")
        names = _ACTIVATIONS if key == "activation_fn" else _OPTIMIZERS
        if prefix in _MODULE_PREFIXES[key] and name in names:
            return names[name]
        raise UserError(
            f"{where}: {dotted} is not allowed; expected one of "
            f"{', '.join(f'nn.{n}' if key == 'activation_fn' else f'th.optim.{n}' for n in names)}"
        )
    raise UserError(
        f"{where}: {ast.unparse(node)!r} is not allowed (only literals, dict(...), nn.<Activation>, "
        "th.optim.<Optimizer>)"
    )


def parse_python_mapping(text: str, where: str, allowed: frozenset[str] | None = None) -> dict[str, Any]:
    """RL Zoo's ``"dict(...)"`` / ``"{...}"`` source as a mapping, parsed with ``ast`` (never evaluated)."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        raise UserError(f"{where}: not a Python expression ({error.msg})") from None
    body = tree.body
    if isinstance(body, ast.Call) and isinstance(body.func, ast.Name) and body.func.id == "dict" and not body.args:
        items = [(k.arg, k.value) for k in body.keywords]
    elif isinstance(body, ast.Dict) and (keys := _string_keys(body)) is not None:
        items = list(zip(keys, body.values, strict=True))
    else:
        raise UserError(f"{where}: expected dict(...) or {{...}}, got {text.strip()[:60]!r}")
    result = {}
    for key, node in items:
        if key is None:
            raise UserError(f"{where}: '**' in dict(...) is not supported")
        if allowed is not None and key not in allowed:
            raise UserError(f"{where}.{key}: not an allowed key; expected one of {', '.join(sorted(allowed))}")
        result[key] = _value(node, f"{where}.{key}", key)
    return result


def algorithm_of(path: Path, given: str | None) -> str:
    """The sagelab algorithm of a Zoo file: ``--algo``, or the file's name (``ppo.yml`` -> ppo)."""
    name = given or ZOO_ALGORITHMS.get(path.stem, path.stem)
    if name not in ALGORITHMS:
        raise UserError(
            f"{path.name}: cannot tell the algorithm from the file name; give --algo (one of {', '.join(ALGORITHMS)})"
        )
    return name


def read_zoo_entry(path: Path, env_id: str) -> dict[str, Any]:
    """The entry of ``env_id`` in an RL Zoo hyperparameter file."""
    data = read_yaml_file(path)  # bounded, and its errors name the file
    if not isinstance(data, dict) or env_id not in data:
        known = sorted(data) if isinstance(data, dict) else []
        raise UserError(
            f"{path}: no entry for {env_id!r} (it has {', '.join(known[:12])}{', ...' if len(known) > 12 else ''})"
        )
    entry = data[env_id]
    if not isinstance(entry, dict):
        raise UserError(f"{path}: the entry for {env_id!r} is not a mapping")
    return entry


def convert_entry(entry: dict[str, Any], env_id: str, algo: str) -> dict[str, Any]:
    """A sagelab config mapping (not yet validated) for RL Zoo's ``entry`` of ``env_id``."""
    settings = dict(entry)
    for key, why in _UNSUPPORTED.items():
        if key in settings:
            raise UserError(f"{env_id}.{key}: sagelab has no counterpart for {why}")
    env: dict[str, Any] = {"id": env_id}
    if "n_envs" in settings:
        env["n_envs"] = int(settings.pop("n_envs"))
    if "normalize" in settings:
        normalize = settings.pop("normalize")
        env["normalize"] = (
            parse_python_mapping(normalize, f"{env_id}.normalize") if isinstance(normalize, str) else normalize
        )
    if "frame_stack" in settings:
        env["frame_stack"] = settings.pop("frame_stack")
    if "env_kwargs" in settings:
        env["kwargs"] = settings.pop("env_kwargs")
    if "env_wrapper" in settings:
        wrappers = settings.pop("env_wrapper")
        env["wrappers"] = wrappers if isinstance(wrappers, list) else [wrappers]
    algo_section: dict[str, Any] = {"name": algo}
    if "policy" in settings:
        algo_section["policy"] = settings.pop("policy")
    noise_type, noise_std = settings.pop("noise_type", None), settings.pop("noise_std", None)
    if noise_type is not None:
        settings["action_noise"] = {
            "type": str(noise_type).replace("-", "_"),
            "std": noise_std if noise_std is not None else 0.1,
        }
    if isinstance(settings.get("policy_kwargs"), str):
        settings["policy_kwargs"] = parse_python_mapping(
            settings["policy_kwargs"], f"{env_id}.policy_kwargs", POLICY_KWARGS
        )
    total = settings.pop("n_timesteps", None)
    if total is None:
        raise UserError(f"{env_id}: the entry has no n_timesteps")
    algo_section["hyperparameters"] = settings
    slug = re.sub(r"[^A-Za-z0-9]+", "-", f"{env_id}-{algo}").strip("-").lower()[:40].rstrip("-")
    return {
        "kind": "rl",
        "name": slug,
        "env": env,
        "algo": algo_section,
        "total_timesteps": int(float(total)),
        "seed": 0,
    }


def import_zoo(path: Path, env_id: str, algo: str | None = None) -> dict[str, Any]:
    """Read and convert RL Zoo's entry for ``env_id`` in ``path`` (validate the result before running it)."""
    return convert_entry(read_zoo_entry(path, env_id), env_id, algorithm_of(path, algo))

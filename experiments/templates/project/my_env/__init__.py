"""my_env: a Gymnasium environment trained with sagelab.

Importing this package registers ``Corridor-v0``, so a config can name it as ``env.id: my_env:Corridor-v0``
(Gymnasium's ``module:EnvId`` form) or use the class directly with ``env.entry_point: my_env.corridor:CorridorEnv``.
"""

from gymnasium.envs.registration import register, registry

from my_env.corridor import CorridorEnv, GoRight, make_go_right

__all__ = ["CorridorEnv", "GoRight", "make_go_right"]

if "Corridor-v0" not in registry:
    register(id="Corridor-v0", entry_point="my_env.corridor:CorridorEnv", max_episode_steps=100)

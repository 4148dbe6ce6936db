"""Settings of a UED run (one dataclass for every method; the method picks the fields it uses).

Defaults are jaxued's ``examples/maze_plr.py`` / ``maze_paired.py`` settings (which follow dcd and
minimax; differences are listed in docs/ued.md), except the budget: ``iterations`` is 1000 cycles (8 M
steps, about half an hour on a laptop CPU) instead of 30 000, and the level buffer holds 1000 levels
instead of 4000 so that replay starts after ~16 cycles rather than ~63 (``--buffer-size 4000`` restores
the reference). Presets (``PRESETS``) give each method its reference values and a ``smoke``
preset the tests run end to end.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiga.core.config import check_choice, check_range, param
from aiga.envs.walker.evaluate import SIMS

METHODS = ("dr", "plr", "accel", "paired")
SCHEDULES = ("sequential", "parallel")


@dataclass(frozen=True)
class UEDConfig:
    seed: int = param(0, "random seed of the whole run")
    iterations: int = param(1000, "training cycles (one rollout of num_envs levels each, and its update)")
    method: str = param("accel", "dr | plr (robust PLR, PLR⊥) | accel | paired")
    family: str = param("maze", "environment family: maze | walker")
    # students / PPO
    num_envs: int = param(32, "levels played in parallel per cycle")
    num_steps: int = param(256, "steps per level per cycle (auto-replay restarts finished levels)")
    max_episode_steps: int = param(250, "episode horizon T during training (reward 1 - 0.9 t/T)")
    epochs: int = param(5, "PPO epochs per update")
    minibatches: int = param(1, "PPO minibatches per epoch (split over levels)")
    lr: float = param(1e-4, "Adam learning rate")
    gamma: float = param(0.995, "discount")
    gae_lambda: float = param(0.98, "GAE lambda")
    clip_eps: float = param(0.2, "PPO ratio and value clip")
    ent_coef: float = param(1e-3, "entropy bonus")
    vf_coef: float = param(0.5, "value loss coefficient")
    max_grad_norm: float = param(0.5, "global gradient-norm clip")
    hidden: int = param(256, "LSTM width of the student (the references use 256)")
    # levels
    n_walls: int = param(25, "wall draws of a random level (DR and PLR fresh levels); PAIRED's wall budget")
    # PLR / ACCEL
    buffer_size: int = param(1000, "level buffer capacity (references: 4000, for 30k updates)")
    replay_prob: float = param(0.8, "probability of a replay cycle once the buffer is min_fill full")
    staleness_coef: float = param(0.3, "rho: weight of staleness in the replay distribution")
    temperature: float = param(0.3, "beta: rank weights are (1/rank)^(1/beta)")
    min_fill: float = param(0.5, "buffer fraction required before replaying")
    score: str = param("maxmc", "level score: maxmc | pvl")
    buffer_unique: bool = param(True, "never store a level twice "
                                      "(jaxued duplicate_check, minimax force unique)")
    exploratory_grad: bool = param(False, "also update on fresh levels (plain PLR); False = robust PLR")
    n_edits: int = param(5, "ACCEL: edits per mutated level")
    accel_parents: int = param(0, "ACCEL: mutate the top-k replayed levels by score (0 = the whole batch)")
    accel_empty_start: bool = param(True, "ACCEL: fresh levels are empty rooms (else random n_walls levels)")
    schedule: str = param("sequential", "PLR/ACCEL cycles: sequential (jaxued, dcd: a fresh, replay or "
                          "edit cycle at a time) or parallel (minimax use_parallel_eval: fresh, replay and "
                          "edit levels in one batch, an update every cycle)")
    # PAIRED
    regret_clip: bool = param(False, "PAIRED: clip the adversary's regret at 0 (minimax does; jaxued not)")
    adversary_filters: int = param(128, "PAIRED: adversary conv filters")
    adversary_ent_coef: float = param(0.05, "PAIRED: adversary entropy bonus (minimax 0.05)")
    noise_dim: int = param(50, "PAIRED: adversary random noise dimension")
    # --family walker: an ES agent (POET's) instead of PPO
    es_pairs: int = param(16, "walker: ES antithetic pairs per step (POET used 256 on a cluster)")
    es_sigma: float = param(0.1, "walker: ES noise standard deviation")
    es_lr: float = param(0.01, "walker: ES Adam learning rate")
    walker_max_steps: int = param(2000, "walker: episode length limit (POET: 2000)")
    walker_sim: str = param("box2d", "walker: simulator, box2d (the reference) or fast (compiled, about 5x "
                            "faster: docs/walker.md); box2d stays the default here so that runs stored "
                            "before this setting existed resume as they ran")
    # evaluation, logging, checkpoints
    eval_every: int = param(50, "cycles between held-out evaluations (0 = only at the end)")
    eval_attempts: int = param(10, "episodes per held-out maze")
    eval_horizon: str = param("250", "held-out horizon: a number of steps, or 'reference' (450 on 13x13)")
    eval_suite: str = param("default", "default (13 mazes) | jaxued (8 prefabs) | comma-separated names")
    checkpoint_every: int = param(25, "cycles between checkpoints")
    snapshot_every: int = param(50, "cycles between saved pictures of the generated levels")

    def __post_init__(self) -> None:
        check_choice("method", self.method, METHODS)
        check_choice("family", self.family, ("maze", "walker"))
        check_choice("score", self.score, ("maxmc", "pvl"))
        check_choice("schedule", self.schedule, SCHEDULES)
        if self.schedule == "parallel":
            from aiga.core.config import ConfigError

            if self.method not in ("plr", "accel"):
                raise ConfigError(f"schedule parallel is a PLR/ACCEL schedule; method {self.method} has no "
                                  "replay (use the default schedule sequential)")
            if self.family != "maze":
                raise ConfigError("schedule parallel is implemented for the maze family only")
            if self.accel_parents:
                raise ConfigError("accel_parents needs schedule sequential: the parallel schedule edits the "
                                  "whole replayed batch before its scores exist (minimax forces 'batch')")
        if self.family == "walker" and self.method == "paired":
            from aiga.core.config import ConfigError

            raise ConfigError("method paired needs a maze (its adversary builds mazes tile by tile); "
                              "on walker courses use dr, plr or accel")
        check_range("es_pairs", self.es_pairs, 1)
        check_range("walker_max_steps", self.walker_max_steps, 1)
        check_choice("walker_sim", self.walker_sim, SIMS)
        check_range("iterations", self.iterations, 0)
        check_range("num_envs", self.num_envs, 1)
        check_range("num_steps", self.num_steps, 1)
        check_range("max_episode_steps", self.max_episode_steps, 1)
        check_range("epochs", self.epochs, 1)
        check_range("minibatches", self.minibatches, 1, self.num_envs)
        if self.num_envs % self.minibatches:
            from aiga.core.config import ConfigError

            raise ConfigError(f"num_envs ({self.num_envs}) must be divisible by minibatches "
                              f"({self.minibatches})")
        check_range("lr", self.lr, 0.0)
        check_range("gamma", self.gamma, 0.0, 1.0)
        check_range("gae_lambda", self.gae_lambda, 0.0, 1.0)
        check_range("hidden", self.hidden, 1)
        check_range("n_walls", self.n_walls, 0, 169)
        check_range("buffer_size", self.buffer_size, 1)
        check_range("replay_prob", self.replay_prob, 0.0, 1.0)
        check_range("staleness_coef", self.staleness_coef, 0.0, 1.0)
        check_range("temperature", self.temperature, 1e-6)
        check_range("min_fill", self.min_fill, 0.0, 1.0)
        check_range("n_edits", self.n_edits, 1)
        check_range("accel_parents", self.accel_parents, 0, self.num_envs)
        check_range("eval_every", self.eval_every, 0)
        check_range("eval_attempts", self.eval_attempts, 1)
        check_range("checkpoint_every", self.checkpoint_every, 1)
        check_range("snapshot_every", self.snapshot_every, 1)
        if self.eval_suite not in ("default", "jaxued"):
            from aiga.envs.maze import suite

            for name in (n.strip() for n in self.eval_suite.split(",") if n.strip()):
                suite.maze_info(name)  # one clear line for an unknown maze
        if self.eval_horizon != "reference":
            try:
                check_range("eval_horizon", int(self.eval_horizon), 1)
            except ValueError:
                from aiga.core.config import ConfigError

                raise ConfigError(f"eval_horizon must be a number or 'reference', "
                                  f"got {self.eval_horizon!r}") from None


#: Reference settings per method (jaxued's examples; see docs/ued.md for dcd/minimax values).
PRESETS: dict[str, dict] = {
    "dr": {"method": "dr"},
    "plr": {"method": "plr"},
    "accel": {"method": "accel"},
    "paired": {"method": "paired", "n_walls": 50, "ent_coef": 1e-3},
}

#: A tiny configuration that runs every code path in seconds (tests, smoke checks).
SMOKE = {"num_envs": 4, "num_steps": 24, "max_episode_steps": 20, "epochs": 1, "hidden": 16,
         "buffer_size": 8, "min_fill": 0.25, "replay_prob": 0.5, "adversary_filters": 4, "noise_dim": 4,
         "n_walls": 6, "eval_every": 2, "eval_attempts": 2, "eval_horizon": "20",
         "eval_suite": "SixteenRooms",
         "checkpoint_every": 2, "snapshot_every": 2, "iterations": 4}

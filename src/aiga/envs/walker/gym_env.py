"""POET's walker obstacle courses as a gymnasium environment, ``aiga/WalkerCourse-v0``.

Paper: Wang et al., "Paired Open-Ended Trailblazer (POET)", 2019. Reference simulator: uber-research/poet,
``poet_distributed/niches/box2d/bipedal_walker_custom.py``. This is a thin gymnasium face over
``WalkerCourseSim`` (see ``box2d_env.py``) so other libraries can train on POET's courses.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from aiga.core.config import ConfigError
from aiga.envs.walker.constants import MAX_EPISODE_STEPS
from aiga.envs.walker.terrain import CourseParams

ENV_ID = "aiga/WalkerCourse-v0"


def _as_params(value: Any) -> CourseParams:
    if value is None:
        return CourseParams.flat()
    if isinstance(value, CourseParams):
        return value
    if isinstance(value, dict):
        return CourseParams.from_dict(value)
    raise ConfigError(f"params must be a CourseParams or a dict of its fields, got {type(value).__name__}")


class WalkerCourseEnv(gym.Env):
    """
    ## Description
    The bipedal walker of gym's ``BipedalWalker`` on one of POET's parametric obstacle courses: ground
    roughness, pits, stumps (and stairs), or an Enhanced POET CPPN ground. Physics, observation and
    reward follow POET's reference code exactly (Box2D, 50 FPS, 180/60 solver iterations).

    ## Action Space
    ``Box(-1, 1, (4,), float32)``: hip 1, knee 1, hip 2, knee 2. Motors run in torque mode: motor speed
    = max speed x sign(a) (hip 4, knee 6 rad/s), maximum torque = 80 x min(|a|, 1).

    ## Observation Space
    ``Box(-inf, inf, (24,), float32)``: hull angle, 2 x angular velocity / FPS, 0.3 x vx x 20 / FPS,
    0.3 x vy x 13.33 / FPS; per leg: hip angle, hip speed / 4, knee angle + 1, knee speed / 6, foot
    contact (0/1); then 10 lidar fractions (range 160/30, ray i at 1.5 i / 10 rad from straight down,
    sweeping forward; each ray reports the first ground fixture Box2D reports, as POET's code and
    gym's v2, not the nearest as gym's v3).

    ## Rewards
    Per step: the change of 130 x x / 30 - 5 x |hull angle| minus 0.00035 x 80 x sum min(|a_i|, 1).
    Hull contact with the ground or x < 0: -100 and the episode ends.

    ## Starting State
    The walker stands at x = 4.67 (the middle of the 20-step start pad) and gets a horizontal push
    U(-5, 5) drawn from the course seed; the first observation follows one zero-action step, as in the
    reference. Course and push are fixed by the params: every reset replays the same start.

    ## Episode End
    Terminated: hull contact, x < 0, or passing the course end (x > 190 x 14/30; ``info["finished"]``).
    Truncated: after ``max_steps`` (2000, POET's episode length) steps.

    ## Arguments
    ```python
    >>> import gymnasium as gym, aiga.envs.walker
    >>> from aiga.envs.walker import CourseParams
    >>> env = gym.make("aiga/WalkerCourse-v0", params=CourseParams(roughness=2.0, seed=3))
    >>> obs, info = env.reset(options={"params": {"roughness": 4.5, "pit_gap": [5.4, 6.0], "seed": 1}})
    ```
    ``params``: a ``CourseParams`` or a dict of its fields (default: flat course, seed 0); a reset may
    switch course with ``options={"params": ...}``. ``max_steps``: the step cap (default 2000; gym.make's
    own ``max_episode_steps`` adds gymnasium's ``TimeLimit`` wrapper on top as usual).
    ``reset(seed=...)`` seeds ``self.np_random`` only: the course is fixed by ``params.seed`` (POET gives
    every environment one seed), so the environment is deterministic.

    ## Version History
    - v0: POET's walker course (uber-research/poet ``original_poet``), gym <= 0.21 course stream.
    """

    metadata = {"render_modes": [], "render_fps": 50}

    def __init__(self, params: CourseParams | dict | None = None, max_steps: int = MAX_EPISODE_STEPS,
                 render_mode: str | None = None) -> None:
        from aiga.envs.walker.box2d_env import WalkerCourseSim

        if render_mode is not None:
            raise ConfigError(f"{ENV_ID} draws through `aiga render`; render_mode must be None")
        self.render_mode = None
        self.params = _as_params(params)
        self.max_steps = int(max_steps)
        self._sim_cls = WalkerCourseSim
        self.sim = WalkerCourseSim(self.params, max_steps=self.max_steps)
        self.observation_space = spaces.Box(-np.inf, np.inf, shape=(24,), dtype=np.float32)
        self.action_space = spaces.Box(-1.0, 1.0, shape=(4,), dtype=np.float32)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        if options and options.get("params") is not None:
            params = _as_params(options["params"])
            if params != self.params:
                self.params = params
                self.sim = self._sim_cls(params, max_steps=self.max_steps)
        obs = self.sim.reset()
        return obs.astype(np.float32), {"finished": False}

    def step(self, action):
        obs, reward, terminated, truncated = self.sim.step(np.asarray(action, dtype=np.float64))
        info = {"finished": self.sim.finished}
        return obs.astype(np.float32), float(reward), bool(terminated), bool(truncated), info

    def render(self) -> None:
        return None

    def close(self) -> None:
        self.sim.world = None

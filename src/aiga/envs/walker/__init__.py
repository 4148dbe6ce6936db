"""POET's obstacle courses for the bipedal walker (Wang et al. 2019; Enhanced POET, Wang et al. 2020).

``terrain``: ``CourseParams`` (roughness, pits, stumps, stairs, CPPN ground, seed), POET's mutation,
descriptor, difficulty, and the course generator. ``box2d_env``: ``WalkerCourseSim``, the reference
simulator. ``fast_sim``: the compiled simulator of the same scene (numba). ``evaluate``: batched scoring
of policy parameter vectors on one course (``sim="box2d"`` or ``"fast"``). ``gym_env``: the gymnasium
environment ``aiga/WalkerCourse-v0``, registered when this package is imported.
"""

from __future__ import annotations

from typing import Any

from aiga.envs.walker.terrain import Course, CourseParams, generate_course

GYM_ENV_ID = "aiga/WalkerCourse-v0"

__all__ = ["GYM_ENV_ID", "Course", "CourseParams", "CourseObjective", "FastCourseObjective",
           "WalkerCourseSim", "evaluate_batch", "generate_course"]


def _register_gym_env() -> None:
    from gymnasium.envs.registration import register, registry

    if GYM_ENV_ID not in registry:
        register(id=GYM_ENV_ID, entry_point="aiga.envs.walker.gym_env:WalkerCourseEnv")


_register_gym_env()


def __getattr__(name: str) -> Any:  # Box2D loads only when a simulator is asked for
    if name == "WalkerCourseSim":
        from aiga.envs.walker.box2d_env import WalkerCourseSim

        return WalkerCourseSim
    if name in ("evaluate_batch", "CourseObjective", "FastCourseObjective"):
        from aiga.envs.walker import evaluate

        return getattr(evaluate, name)
    raise AttributeError(f"module 'aiga.envs.walker' has no attribute {name!r}")

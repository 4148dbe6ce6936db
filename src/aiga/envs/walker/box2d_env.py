"""The walker on a POET course, simulated with Box2D exactly as the reference does.

Paper: Wang et al., "Paired Open-Ended Trailblazer (POET)", 2019, Sec. 4 (the environment). Reference:
uber-research/poet (branch ``original_poet``), ``poet_distributed/niches/box2d/bipedal_walker_custom.py``
(``BipedalWalkerCustom._reset`` / ``_step``), itself gym's ``BipedalWalker`` with a parametric course.

Same bodies, fixtures, densities and friction, revolute joints with the same limits, motors in torque
mode (speed = max speed x sign(a), torque = 80 x min(|a|, 1)), ``world.Step(1/50, 180, 60)``, the
24-number observation, the reward, -100 and the end on hull contact or x < 0, the end of the course,
and the reset's single zero-action step. One detail differs from gym and is kept: the reference's lidar
callback returns 0, so each ray reports the *first* ground fixture Box2D's tree reports, not the nearest.

``WalkerCourseSim.step`` computes everything around ``world.Step`` with plain Python floats and
precomputed ray directions; ``reference_step`` is a line-by-line transcription of the reference's
``_step`` (numpy scalars), kept so the tests can prove both give identical trajectories.

Each ``reset`` builds a fresh Box2D world from the course geometry, which ``generate_course`` computes
once per ``CourseParams`` and we cache. Keeping the terrain bodies and recreating only the walker would
change trajectories: Box2D's broad-phase tree (which decides the order of new contacts and which fixture
a ray reports first) keeps the shape the last episode left it in, and proxy ids are reused in another
order; so a reused world is not the world the reference starts from (see docs/walker.md).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import Box2D
import numpy as np
from Box2D.b2 import contactListener, edgeShape, fixtureDef, polygonShape, revoluteJointDef

from aiga.envs.walker.constants import (
    FPS,
    FRICTION,
    HULL_POLY,
    INITIAL_RANDOM,  # noqa: F401  (documented: the push is U(-INITIAL_RANDOM, INITIAL_RANDOM))
    LEG_DOWN,
    LEG_H,
    LEG_W,
    LIDAR_DX,
    LIDAR_DY,
    LIDAR_RANGE,
    MAX_EPISODE_STEPS,
    MOTORS_TORQUE,
    NUM_LIDAR,
    POSITION_ITERATIONS,
    SCALE,
    SPEED_HIP,
    SPEED_KNEE,
    TERRAIN_GRASS,
    TERRAIN_HEIGHT,
    TERRAIN_LENGTH,
    TERRAIN_STARTPAD,
    TERRAIN_STEP,
    VELOCITY_ITERATIONS,
    VIEWPORT_H,
    VIEWPORT_W,
)
from aiga.envs.walker.terrain import (
    GRASS_COLOURS,
    OBSTACLE_COLOUR,
    Course,
    CourseParams,
    generate_course,
)

OBS_SIZE = 24
ACTION_SIZE = 4
FALL_REWARD = -100.0
HULL_COLOUR = (0.5, 0.4, 0.9)
LEG_COLOURS = {-1: (0.7, 0.4, 0.6), +1: (0.5, 0.2, 0.4)}  # (0.6 - i/10, 0.3 - i/10, 0.5 - i/10)

_END_X = (TERRAIN_LENGTH - TERRAIN_GRASS) * TERRAIN_STEP
_DT = 1.0 / FPS
_ACTION_COST = 0.00035 * MOTORS_TORQUE


def _hull_fd() -> fixtureDef:
    return fixtureDef(
        shape=polygonShape(vertices=[(x / SCALE, y / SCALE) for x, y in HULL_POLY]),
        density=5.0, friction=0.1, categoryBits=0x0020, maskBits=0x001, restitution=0.0)


def _leg_fd() -> fixtureDef:
    return fixtureDef(shape=polygonShape(box=(LEG_W / 2, LEG_H / 2)),
                      density=1.0, restitution=0.0, categoryBits=0x0020, maskBits=0x001)


def _lower_fd() -> fixtureDef:
    return fixtureDef(shape=polygonShape(box=(0.8 * LEG_W / 2, LEG_H / 2)),
                      density=1.0, restitution=0.0, categoryBits=0x0020, maskBits=0x001)


class _ContactDetector(contactListener):
    """Hull contact ends the episode; lower-leg contacts set the feet's contact flags (as the reference)."""

    def __init__(self, sim: WalkerCourseSim) -> None:
        contactListener.__init__(self)
        self.sim = sim

    def BeginContact(self, contact):  # noqa: N802 (Box2D's name)
        sim = self.sim
        a, b = contact.fixtureA.body, contact.fixtureB.body
        if sim.hull == a or sim.hull == b:
            sim.game_over = True
        if sim.legs[1] == a or sim.legs[1] == b:
            sim.ground_contact[1] = True
        if sim.legs[3] == a or sim.legs[3] == b:
            sim.ground_contact[3] = True

    def EndContact(self, contact):  # noqa: N802
        sim = self.sim
        a, b = contact.fixtureA.body, contact.fixtureB.body
        if sim.legs[1] == a or sim.legs[1] == b:
            sim.ground_contact[1] = False
        if sim.legs[3] == a or sim.legs[3] == b:
            sim.ground_contact[3] = False


class _ReferenceLidarCallback(Box2D.b2.rayCastCallback):
    """The reference's callback: skip walker fixtures, stop at the first ground fixture reported."""

    def ReportFixture(self, fixture, point, normal, fraction):  # noqa: N802
        if (fixture.filterData.categoryBits & 1) == 0:
            return 1
        self.p2 = point
        self.fraction = fraction
        return 0


class _LidarCallback(Box2D.b2.rayCastCallback):
    """The same decisions, telling walker fixtures by their ``userData`` flag (set on exactly the
    fixtures of category 0x20): one attribute read instead of two per reported fixture."""

    def ReportFixture(self, fixture, point, normal, fraction):  # noqa: N802
        if fixture.userData:
            return 1
        self.p2 = point
        self.fraction = fraction
        return 0


class WalkerCourseSim:
    """BipedalWalker on one POET course (``CourseParams``), faithful to the reference simulator.

    ``reset()`` returns the first observation (after the reference's zero-action step); ``step(a)``
    returns ``(obs, reward, terminated, truncated)``. ``terminated`` covers a fall (hull contact or
    x < 0, reward -100) and passing the course end (``finished`` is then true); ``truncated`` is the
    ``max_steps`` cap (2000, the reference's episode length). Observations are float64 like the
    reference's ``np.array(state)``; actions are read as float64.
    """

    def __init__(self, params: CourseParams | Course, max_steps: int = MAX_EPISODE_STEPS) -> None:
        self.course = params if isinstance(params, Course) else generate_course(params)
        self.params = self.course.params
        self.max_steps = int(max_steps)
        self.world: Box2D.b2World | None = None
        self.hull = None
        self.legs: list = []
        self.joints: list = []
        self.terrain: list = []
        self.ground_contact = [False, False, False, False]
        self.game_over = False
        self.prev_shaping: float | None = None
        self.steps = 0
        self.finished = False
        self.done = True
        self.lidar: list = []
        self._fd_polygon = fixtureDef(shape=polygonShape(vertices=[(0, 0), (1, 0), (1, -1), (0, -1)]),
                                      friction=FRICTION)
        self._fd_edge = fixtureDef(shape=edgeShape(vertices=[(0, 0), (1, 1)]), friction=FRICTION,
                                   categoryBits=0x0001)

    # ------------------------------------------------------------------ world construction

    def _build_world(self, reference: bool = False) -> None:
        """A fresh world with the course and the walker, in the reference's creation order."""
        if self.world is not None:
            self.world.contactListener = None
        self.world = world = Box2D.b2World()
        self._listener = _ContactDetector(self)
        world.contactListener = self._listener
        if reference:
            self._build_terrain_reference()
        else:
            self._build_terrain()
        self._build_walker()

    def _build_terrain_reference(self) -> None:
        """The course's static bodies as the reference creates them (pybox2d's keyword interface)."""
        world = self.world
        self.terrain = []
        for ob in self.course.obstacles:
            t = world.CreateStaticBody(fixtures=fixtureDef(shape=polygonShape(vertices=list(ob.vertices)),
                                                           friction=FRICTION))
            self.terrain.append(t)
        for p0, p1 in self.course.edges():
            t = world.CreateStaticBody(fixtures=fixtureDef(shape=edgeShape(vertices=[p0, p1]),
                                                           friction=FRICTION, categoryBits=0x0001))
            self.terrain.append(t)

    def _build_terrain(self) -> None:
        world = self.world
        # Static bodies through the low-level calls with one reused def per kind (as the reference
        # reuses fd_polygon/fd_edge): the same bodies in the same order, without pybox2d's per-call
        # keyword processing, which is most of a reset's cost.
        create_body = world._b2World__CreateBody
        body_def = Box2D.b2BodyDef()
        body_def.type = Box2D.b2_staticBody
        self.terrain = terrain = []
        fd_polygon = self._fd_polygon
        for ob in self.course.obstacles:  # created during generation, before the edges
            fd_polygon.shape.vertices = list(ob.vertices)
            t = create_body(body_def)
            t._b2Body__CreateFixture(fd_polygon)
            terrain.append(t)
        fd_edge = self._fd_edge
        shape = fd_edge.shape
        xs, ys = self.course.terrain_x, self.course.terrain_y
        for i in range(len(xs) - 1):
            shape.vertex1 = (xs[i], ys[i])
            shape.vertex2 = (xs[i + 1], ys[i + 1])
            t = create_body(body_def)
            t._b2Body__CreateFixture(fd_edge)
            terrain.append(t)

    def _build_walker(self) -> None:
        world = self.world
        init_x = TERRAIN_STEP * TERRAIN_STARTPAD / 2
        init_y = TERRAIN_HEIGHT + 2 * LEG_H
        self.hull = world.CreateDynamicBody(position=(init_x, init_y), fixtures=_hull_fd())
        self.hull.ApplyForceToCenter((self.course.push, 0), True)
        self.legs, self.joints = [], []
        for i in (-1, +1):
            leg = world.CreateDynamicBody(position=(init_x, init_y - LEG_H / 2 - LEG_DOWN), angle=(i * 0.05),
                                          fixtures=_leg_fd())
            rjd = revoluteJointDef(bodyA=self.hull, bodyB=leg, localAnchorA=(0, LEG_DOWN),
                                   localAnchorB=(0, LEG_H / 2), enableMotor=True, enableLimit=True,
                                   maxMotorTorque=MOTORS_TORQUE, motorSpeed=i, lowerAngle=-0.8,
                                   upperAngle=1.1)
            self.legs.append(leg)
            self.joints.append(world.CreateJoint(rjd))
            lower = world.CreateDynamicBody(position=(init_x, init_y - LEG_H * 3 / 2 - LEG_DOWN),
                                            angle=(i * 0.05), fixtures=_lower_fd())
            rjd = revoluteJointDef(bodyA=leg, bodyB=lower, localAnchorA=(0, -LEG_H / 2),
                                   localAnchorB=(0, LEG_H / 2), enableMotor=True, enableLimit=True,
                                   maxMotorTorque=MOTORS_TORQUE, motorSpeed=1, lowerAngle=-1.6,
                                   upperAngle=-0.1)
            self.legs.append(lower)
            self.joints.append(world.CreateJoint(rjd))
        for body in (self.hull, *self.legs):
            for f in body.fixtures:
                f.userData = True  # marks the walker's fixtures (category 0x20) for _LidarCallback
        self.ground_contact = [False, False, False, False]

    # ------------------------------------------------------------------ episode

    def reset(self, reference: bool = False) -> np.ndarray:
        """Start an episode on the course; returns the observation after one zero-action step."""
        self._build_world(reference)
        self.lidar = [(_ReferenceLidarCallback if reference else _LidarCallback)() for _ in range(NUM_LIDAR)]
        self.game_over = False
        self.prev_shaping = None
        self.steps = 0
        self.finished = False
        self.done = False
        zero = np.array([0, 0, 0, 0])
        obs = (self.reference_step(zero) if reference else self._step(zero))[0]
        self.steps = 0
        self.done = False
        return obs

    def step(self, action: Sequence[float]) -> tuple[np.ndarray, float, bool, bool]:
        """Advance one control step (1/50 s). Returns ``(obs, reward, terminated, truncated)``."""
        if self.done:
            raise RuntimeError("step() after the episode ended; call reset()")
        obs, reward, terminated = self._step(action)
        return self._count(obs, reward, terminated)

    def _count(self, obs: np.ndarray, reward: float,
               terminated: bool) -> tuple[np.ndarray, float, bool, bool]:
        self.steps += 1
        truncated = not terminated and self.steps >= self.max_steps
        self.done = terminated or truncated
        return obs, reward, terminated, truncated

    def _step(self, action: Sequence[float]) -> tuple[np.ndarray, float, bool]:
        """The reference's ``_step`` in plain float maths (same operations, same order)."""
        a0, a1, a2, a3 = float(action[0]), float(action[1]), float(action[2]), float(action[3])
        j0, j1, j2, j3 = self.joints
        j0.motorSpeed = SPEED_HIP * _sign(a0)
        j0.maxMotorTorque = MOTORS_TORQUE * _clip01(abs(a0))
        j1.motorSpeed = SPEED_KNEE * _sign(a1)
        j1.maxMotorTorque = MOTORS_TORQUE * _clip01(abs(a1))
        j2.motorSpeed = SPEED_HIP * _sign(a2)
        j2.maxMotorTorque = MOTORS_TORQUE * _clip01(abs(a2))
        j3.motorSpeed = SPEED_KNEE * _sign(a3)
        j3.maxMotorTorque = MOTORS_TORQUE * _clip01(abs(a3))

        world = self.world
        world.Step(_DT, VELOCITY_ITERATIONS, POSITION_ITERATIONS)

        hull = self.hull
        pos = hull.position
        px, py = pos.x, pos.y
        vel = hull.linearVelocity
        raycast = world.RayCast
        fractions = [0.0] * NUM_LIDAR
        for i, cb in enumerate(self.lidar):
            cb.fraction = 1.0
            cb.p1 = pos
            cb.p2 = p2 = (px + LIDAR_DX[i], py - LIDAR_DY[i])
            raycast(cb, pos, p2)
            fractions[i] = cb.fraction
        angle = hull.angle
        gc = self.ground_contact
        state = [
            angle,
            2.0 * hull.angularVelocity / FPS,
            0.3 * vel.x * (VIEWPORT_W / SCALE) / FPS,
            0.3 * vel.y * (VIEWPORT_H / SCALE) / FPS,
            j0.angle,
            j0.speed / SPEED_HIP,
            j1.angle + 1.0,
            j1.speed / SPEED_KNEE,
            1.0 if gc[1] else 0.0,
            j2.angle,
            j2.speed / SPEED_HIP,
            j3.angle + 1.0,
            j3.speed / SPEED_KNEE,
            1.0 if gc[3] else 0.0,
        ]
        state += fractions

        shaping = 130 * px / SCALE
        shaping -= 5.0 * abs(angle)
        reward = 0.0
        if self.prev_shaping is not None:
            reward = shaping - self.prev_shaping
        self.prev_shaping = shaping
        reward -= _ACTION_COST * _clip01(abs(a0))
        reward -= _ACTION_COST * _clip01(abs(a1))
        reward -= _ACTION_COST * _clip01(abs(a2))
        reward -= _ACTION_COST * _clip01(abs(a3))

        terminated = False
        if self.game_over or px < 0:
            reward = FALL_REWARD
            terminated = True
        if px > _END_X:
            terminated = True
            self.finished = True
        return np.array(state), reward, terminated

    def reference_step(self, action: Sequence[float]) -> tuple[np.ndarray, float, bool]:
        """A line-by-line transcription of the reference's ``_step`` (numpy scalars), for the tests."""
        action = np.asarray(action, dtype=np.float64)
        j = self.joints
        j[0].motorSpeed = float(SPEED_HIP * np.sign(action[0]))
        j[0].maxMotorTorque = float(MOTORS_TORQUE * np.clip(np.abs(action[0]), 0, 1))
        j[1].motorSpeed = float(SPEED_KNEE * np.sign(action[1]))
        j[1].maxMotorTorque = float(MOTORS_TORQUE * np.clip(np.abs(action[1]), 0, 1))
        j[2].motorSpeed = float(SPEED_HIP * np.sign(action[2]))
        j[2].maxMotorTorque = float(MOTORS_TORQUE * np.clip(np.abs(action[2]), 0, 1))
        j[3].motorSpeed = float(SPEED_KNEE * np.sign(action[3]))
        j[3].maxMotorTorque = float(MOTORS_TORQUE * np.clip(np.abs(action[3]), 0, 1))

        self.world.Step(1.0 / FPS, 6 * 30, 2 * 30)

        pos = self.hull.position
        vel = self.hull.linearVelocity
        for i in range(10):
            self.lidar[i].fraction = 1.0
            self.lidar[i].p1 = pos
            self.lidar[i].p2 = (pos[0] + math.sin(1.5 * i / 10.0) * LIDAR_RANGE,
                                pos[1] - math.cos(1.5 * i / 10.0) * LIDAR_RANGE)
            self.world.RayCast(self.lidar[i], self.lidar[i].p1, self.lidar[i].p2)
        state = [
            self.hull.angle,
            2.0 * self.hull.angularVelocity / FPS,
            0.3 * vel.x * (VIEWPORT_W / SCALE) / FPS,
            0.3 * vel.y * (VIEWPORT_H / SCALE) / FPS,
            self.joints[0].angle,
            self.joints[0].speed / SPEED_HIP,
            self.joints[1].angle + 1.0,
            self.joints[1].speed / SPEED_KNEE,
            1.0 if self.ground_contact[1] else 0.0,
            self.joints[2].angle,
            self.joints[2].speed / SPEED_HIP,
            self.joints[3].angle + 1.0,
            self.joints[3].speed / SPEED_KNEE,
            1.0 if self.ground_contact[3] else 0.0,
        ]
        state += [lidar.fraction for lidar in self.lidar]
        assert len(state) == 24
        shaping = 130 * pos[0] / SCALE
        shaping -= 5.0 * abs(state[0])
        reward = 0
        if self.prev_shaping is not None:
            reward = shaping - self.prev_shaping
        self.prev_shaping = shaping
        for a in action:
            reward -= 0.00035 * MOTORS_TORQUE * np.clip(np.abs(a), 0, 1)
        done = False
        if self.game_over or pos[0] < 0:
            reward = -100
            done = True
        if pos[0] > (TERRAIN_LENGTH - TERRAIN_GRASS) * TERRAIN_STEP:
            done = True
            self.finished = True
        return np.array(state), float(reward), done

    def step_reference(self, action: Sequence[float]) -> tuple[np.ndarray, float, bool, bool]:
        """``step`` through ``reference_step`` (the straightforward path)."""
        if self.done:
            raise RuntimeError("step() after the episode ended; call reset()")
        obs, reward, terminated = self.reference_step(action)
        return self._count(obs, reward, terminated)

    # ------------------------------------------------------------------ state for rendering and tests

    @property
    def hull_position(self) -> tuple[float, float]:
        p = self.hull.position
        return (p.x, p.y)

    def terrain_polygons(self) -> list[tuple[list[tuple[float, float]], tuple[float, float, float]]]:
        """Course polygons in world coordinates with RGB colours in [0, 1] (ground strips, obstacles)."""
        return self.course.polygons()

    def grass_lines(self) -> list[tuple[list[tuple[float, float]], tuple[float, float, float]]]:
        """The ground's surface edges with the reference's alternating grass colours."""
        return [([p0, p1], GRASS_COLOURS[i % 2]) for i, (p0, p1) in enumerate(self.course.edges())]

    def body_polygons(self) -> list[tuple[list[tuple[float, float]], tuple[float, float, float]]]:
        """The walker's bodies (legs, then hull, the reference's draw order) as world polygons."""
        out = []
        colours = [LEG_COLOURS[-1], LEG_COLOURS[-1], LEG_COLOURS[+1], LEG_COLOURS[+1]]
        for body, colour in zip([*self.legs, self.hull], [*colours, HULL_COLOUR], strict=True):
            xf = body.transform
            for f in body.fixtures:
                out.append(([tuple(xf * v) for v in f.shape.vertices], colour))
        return out

    def obstacle_colour(self) -> tuple[float, float, float]:
        return OBSTACLE_COLOUR

    def lidar_points(self) -> list[tuple[tuple[float, float], tuple[float, float]]]:
        """Each ray's start (hull) and end: the hit point, or the ray's full length when nothing was hit."""
        out = []
        for cb in self.lidar:
            p1 = getattr(cb, "p1", None)
            p2 = getattr(cb, "p2", None)
            if p1 is None or p2 is None:
                continue
            out.append(((float(p1[0]), float(p1[1])), (float(p2[0]), float(p2[1]))))
        return out


def _sign(v: float) -> float:
    return 1.0 if v > 0 else (-1.0 if v < 0 else 0.0)


def _clip01(v: float) -> float:
    """``np.clip(v, 0, 1)`` for a non-negative float."""
    return 1.0 if v > 1.0 else v

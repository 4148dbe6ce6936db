"""Physical and course constants of POET's walker (gym's BipedalWalker as POET used it).

Shared by the terrain generator, the simulators and the CPPN terrain so they cannot drift apart.
Values from gym's ``bipedal_walker.py`` and uber-research/poet's ``bipedal_walker_custom.py``.
"""

import math

FPS = 50
SCALE = 30.0  # pixels per metre of the original renderer; all lengths below are in world units

MOTORS_TORQUE = 80.0
SPEED_HIP = 4.0
SPEED_KNEE = 6.0
LIDAR_RANGE = 160.0 / SCALE
NUM_LIDAR = 10
# each lidar ray's end relative to the hull: ray i points 1.5 * i / 10 rad forward of straight down (the
# reference computes these sines and cosines every step; the same doubles, once)
LIDAR_DX = tuple(math.sin(1.5 * i / 10.0) * LIDAR_RANGE for i in range(NUM_LIDAR))
LIDAR_DY = tuple(math.cos(1.5 * i / 10.0) * LIDAR_RANGE for i in range(NUM_LIDAR))
INITIAL_RANDOM = 5.0

HULL_POLY = ((-30, +9), (+6, +9), (+34, +1), (+34, -8), (-30, -8))
LEG_DOWN = -8 / SCALE
LEG_W, LEG_H = 8 / SCALE, 34 / SCALE

VIEWPORT_W = 600
VIEWPORT_H = 400

TERRAIN_STEP = 14 / SCALE
TERRAIN_LENGTH = 200  # in steps
TERRAIN_HEIGHT = VIEWPORT_H / SCALE / 4
TERRAIN_GRASS = 10  # how long grass spots are, in steps
TERRAIN_STARTPAD = 20  # in steps
FRICTION = 2.5

# POET's solver iterations (gym uses 6*30 and 2*30: the same numbers).
VELOCITY_ITERATIONS = 6 * 30
POSITION_ITERATIONS = 2 * 30
MAX_EPISODE_STEPS = 2000
SOLVED_SCORE = 230.0

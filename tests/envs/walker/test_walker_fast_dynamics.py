"""The compiled walker simulator follows Box2D's trajectories under scripted actions.

Both simulators start from the reference's reset (the course's push, the zero-action step) and receive the
same actions; we compare the body poses and the 24-number observations step by step. Tolerances are stated
per scenario (docs/walker.md, "The compiled simulator"): the fast simulator works in float64 where Box2D
works in float32, orders contacts slightly differently inside the solver and seeds its time-of-impact
search from enumerated closest features, so trajectories agree to about 1e-5..1e-3 and then drift apart
as the walker's dynamics amplify differences.
"""

import numpy as np
import pytest

from aiga.envs.walker.box2d_env import WalkerCourseSim
from aiga.envs.walker.fast_sim import FastWalkerBatch
from aiga.envs.walker.terrain import CourseParams, generate_course

FLAT = generate_course(CourseParams.flat(seed=0))


def _poses(sim):
    return np.array([[b.position.x, b.position.y, b.angle] for b in (sim.hull, *sim.legs)])


def _run(course, actions):
    """Per-step body poses (T, 5, 3), observations (T, 24), rewards and end flags of both simulators."""
    ref = WalkerCourseSim(course)
    fast = FastWalkerBatch(course, 1)
    out = {"ref_obs": [ref.reset()], "fast_obs": [fast.reset()[0]], "ref_pose": [_poses(ref)],
           "fast_pose": [np.c_[fast.hull_position()[0], fast.state()["a"][0]]], "ref_r": [], "fast_r": [],
           "ref_end": [], "fast_end": []}
    for act in actions:
        o, r, term, _ = ref.step(act)
        fo, fr, fterm, _ = fast.step(np.asarray(act)[None])
        out["ref_obs"].append(o)
        out["fast_obs"].append(fo[0])
        out["ref_pose"].append(_poses(ref))
        out["fast_pose"].append(np.c_[fast.hull_position()[0], fast.state()["a"][0]])
        out["ref_r"].append(r)
        out["fast_r"].append(fr[0])
        out["ref_end"].append(term)
        out["fast_end"].append(bool(fterm[0]))
        if term or fterm[0]:
            break
    return {k: np.array(v) for k, v in out.items()}


def test_free_fall_and_landing_on_flat_ground():
    """Zero torques: the walker drops from its start height, lands, folds and slides (80 steps)."""
    out = _run(FLAT, np.zeros((80, 4)))
    assert len(out["ref_r"]) == 80 and not out["ref_end"].any() and not out["fast_end"].any()
    np.testing.assert_allclose(out["fast_pose"], out["ref_pose"], atol=2e-3)
    np.testing.assert_array_equal(out["fast_obs"][:, [8, 13]], out["ref_obs"][:, [8, 13]])  # foot contacts
    np.testing.assert_allclose(out["fast_r"], out["ref_r"], atol=2e-3)
    # it did land: both feet report contact, and the hull came down from its start height
    assert out["ref_obs"][-1, 8] == 1.0 and out["ref_obs"][-1, 13] == 1.0
    assert out["ref_pose"][-1, 0, 1] < out["ref_pose"][0, 0, 1] - 0.2


def test_motor_drives_a_joint_to_its_limit():
    """Full torque opens hip 1 and closes knee 1 until the limits hold them (60 steps)."""
    out = _run(FLAT, np.tile([1.0, -1.0, 0.0, 0.0], (60, 1)))
    np.testing.assert_allclose(out["fast_pose"], out["ref_pose"], atol=5e-3)
    np.testing.assert_allclose(out["fast_obs"][:, 4], out["ref_obs"][:, 4], atol=5e-3)  # hip 1 angle
    np.testing.assert_allclose(out["fast_obs"][:, 6], out["ref_obs"][:, 6], atol=5e-3)  # knee 1 angle + 1
    # the knee sits at its lower limit -1.6 in both (angle + 1 = -0.6), within Box2D's angular slop
    assert abs(out["ref_obs"][-1, 6] + 0.6) < 0.04 and abs(out["fast_obs"][-1, 6] + 0.6) < 0.04


def test_standing_on_flat_ground():
    """Small constant torques (0.1 on every joint): the walker stays up for 150 steps (3 s) (it shuffles
    forward about a metre), and both simulators agree on every body pose within 5e-3."""
    out = _run(FLAT, np.tile([0.1, 0.1, 0.1, 0.1], (150, 1)))
    assert len(out["ref_r"]) == 150 and not out["ref_end"].any() and not out["fast_end"].any()
    np.testing.assert_allclose(out["fast_pose"], out["ref_pose"], atol=5e-3)
    for pose in (out["ref_pose"], out["fast_pose"]):
        assert pose[:, 0, 1].min() > 4.5  # the hull stays well above the ground (3.33)


def test_scripted_gait():
    """A sinusoidal gait on flat ground: states stay within 0.02 for 25 steps, then both fall at the same
    step, within 3 steps of each other."""
    t = np.arange(200)[:, None]
    actions = np.clip(1.5 * np.sin(t / 6.0 + np.array([0.0, 1.0, np.pi, np.pi + 1.0])), -1.0, 1.0)
    out = _run(FLAT, actions)
    np.testing.assert_allclose(out["fast_pose"][:26], out["ref_pose"][:26], atol=0.02)
    np.testing.assert_allclose(out["fast_obs"][:26, :4], out["ref_obs"][:26, :4], atol=0.02)
    ref_end = int(np.argmax(out["ref_end"])) if out["ref_end"].any() else None
    fast_end = int(np.argmax(out["fast_end"])) if out["fast_end"].any() else None
    assert ref_end is not None and fast_end is not None and abs(ref_end - fast_end) <= 3


def test_fewer_iterations_and_batching_are_options():
    """Walkers of a batch are independent; fewer solver iterations change the trajectory but stay close."""
    acts = np.tile([0.0, 1.0, 0.0, 1.0], (40, 1))
    one = FastWalkerBatch(FLAT, 1)
    two = FastWalkerBatch(FLAT, 2)
    cheap = FastWalkerBatch(FLAT, 1, velocity_iterations=30, position_iterations=10)
    one.reset(), two.reset(), cheap.reset()
    for a in acts:
        o1 = one.step(a[None])[0]
        o2 = two.step(np.stack([a, -a]))[0]
        o3 = cheap.step(a[None])[0]
    np.testing.assert_array_equal(o1[0], o2[0])
    assert not np.array_equal(o2[0], o2[1])
    assert not np.array_equal(o1[0], o3[0]) and np.abs(o1[0, :4] - o3[0, :4]).max() < 0.15
    with pytest.raises(Exception, match="iterations"):
        FastWalkerBatch(FLAT, 1, velocity_iterations=0)


class _NoContinuous(WalkerCourseSim):
    """The reference with Box2D's continuous collision switched off (``world.continuousPhysics``)."""

    def _build_walker(self) -> None:
        super()._build_walker()
        self.world.continuousPhysics = False


@pytest.mark.parametrize("params", [CourseParams.flat(seed=0),
                                    CourseParams(roughness=1.0, pit_gap=(0.5, 0.8), stump_height=(0.3, 0.5),
                                                 seed=2)], ids=["flat", "stumps-pits"])
def test_without_continuous_collision_the_trajectories_are_box2ds_bit_for_bit(params):
    """With continuous collision off in both (``toi=False``), everything else in a step is Box2D's float32
    arithmetic in Box2D's order: mass data, b2Settings' constants, sin/cos, collision, contact creation
    order, the solver, the lidar's ray casts, the observation's joint angles and speeds. Every body's centre,
    angle and velocities, the 24 observations and the reward then equal Box2D's exactly, at every step of
    whole episodes under random actions (to the fall or 300 steps), and each body's contacts are listed in
    Box2D's order (pybox2d's ``body.contacts`` lists them oldest first)."""
    course = generate_course(params)
    rng = np.random.default_rng(3)
    steps = 0
    for _ in range(2):
        ref = _NoContinuous(course)
        fast = FastWalkerBatch(course, 1, toi=False)
        np.testing.assert_array_equal(fast.reset()[0], ref.reset())
        bodies = (ref.hull, *ref.legs)
        fixture_of = {int(i): j for j, i in enumerate(fast.arrays.ids)}
        for _ in range(300):
            act = np.clip(rng.normal(0.0, 0.6, 4), -1.0, 1.0)
            obs, reward, term, _ = ref.step(act)
            fast_obs, fast_reward, _, _ = fast.step(act[None])
            np.testing.assert_array_equal(fast_obs[0], obs)
            assert fast_reward[0] == reward
            s = fast.state()
            want = np.array([[b.worldCenter.x, b.worldCenter.y, b.angle, b.linearVelocity.x,
                              b.linearVelocity.y, b.angularVelocity] for b in bodies], dtype=np.float32)
            got = np.c_[s["c"][0], s["a"][0], s["v"][0], s["w"][0]].astype(np.float32)
            np.testing.assert_array_equal(got.view(np.int32), want.view(np.int32))
            pairs, count = fast._trees[6][0], fast._trees[7][0, 0]
            for k, body in enumerate(bodies):
                box2d = [fixture_of[ref.terrain.index(e.other)] for e in body.contacts]
                ours = [int(pairs[i, 1]) for i in range(count) if pairs[i, 0] == k]  # oldest first
                assert ours == box2d
            steps += 1
            if term:
                break
    assert steps > 150

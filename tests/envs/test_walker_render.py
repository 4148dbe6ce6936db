"""Headless pictures (aiga.envs.walker.render): course PNGs to scale, episode GIF/MP4 files."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image

from aiga.core.config import AigaError
from aiga.core.policy import MLPPolicy
from aiga.envs.walker.box2d_env import WalkerCourseSim
from aiga.envs.walker.constants import TERRAIN_HEIGHT, TERRAIN_STEP
from aiga.envs.walker.render import draw_course, load_theta, render_episode
from aiga.envs.walker.terrain import CourseParams

SKY = (230, 230, 255)
GROUND = (102, 153, 76)


def theta_for(seed: int) -> np.ndarray:
    return MLPPolicy().init(np.random.default_rng(seed))


def test_flat_course_picture_is_to_scale():
    k = 16.0
    img = draw_course(CourseParams(), px_per_unit=k)
    assert img.mode == "RGB"
    # width: x from -1 to the last ground point (199 steps) + 1; height: ground (3.33) - 0 plus 3.5 of
    # sky, plus the 22-pixel caption and the 18-pixel ruler
    last_x = 199 * TERRAIN_STEP
    assert img.width == math.ceil((last_x + 2.0) * k)
    assert img.height == math.ceil((TERRAIN_HEIGHT + 3.5) * k) + 22 + 18

    def pixel(x, y):  # world -> pixel as the picture maps it (top of the world band below the caption)
        top = TERRAIN_HEIGHT + 3.5
        return img.getpixel((int((x + 1.0) * k), int(22 + (top - y) * k)))

    assert pixel(50.0, 1.0) == GROUND  # below the flat ground at 3.33
    assert pixel(50.0, 6.0) == SKY
    assert pixel(50.0, TERRAIN_HEIGHT - 0.2) == GROUND and pixel(50.0, TERRAIN_HEIGHT + 0.2) == SKY


def test_obstacles_are_drawn():
    plain = np.asarray(draw_course(CourseParams(roughness=1.0, seed=2), walker=False))
    with_stumps = CourseParams(roughness=1.0, stump_height=(1.0, 2.0), seed=2)
    stumps = np.asarray(draw_course(with_stumps, walker=False))
    white = lambda a: int(np.sum(np.all(a == 255, axis=-1)))  # noqa: E731  (caption/ruler are white too)
    assert white(stumps) > white(plain) + 100


def test_cppn_course_picture_follows_its_height():
    from aiga.envs.walker.cppn import ConnectionGene, CppnGenome, NodeGene

    rising = CppnGenome(nodes=(NodeGene(0, "identity", 0.0),), connections=(ConnectionGene(-1, 0, 2.0),))
    img = draw_course(CourseParams.from_cppn(rising), px_per_unit=8)
    flat = draw_course(CourseParams(), px_per_unit=8)
    # the ground is 2 * (x'_i - x'_21) above the pad after step 21; x'_i = (i - 100) / 100 * pi, so it
    # ends 2 * (0.99 + 0.79) * pi = 11.18 units higher, and the picture is that much taller (8 px/unit)
    assert img.height - flat.height == pytest.approx(8 * 2.0 * 1.78 * math.pi, abs=1.0)


@pytest.mark.parametrize("suffix", [".gif", ".mp4"])
def test_episode_video_is_written(tmp_path, suffix):
    params = CourseParams(roughness=1.0, stump_height=(0.4, 0.8), seed=5)
    theta = theta_for(1)
    out = tmp_path / f"ep{suffix}"
    res = render_episode(params, theta, out, every=5, max_steps=20, scale=0.5)
    assert out.is_file() and out.stat().st_size > 1000
    # frame 0 plus one every 5 steps, plus the last step if it is not a multiple of 5
    expected_frames = 1 + res.steps // 5 + (1 if res.steps % 5 else 0)
    assert res.frames == expected_frames
    if suffix == ".gif":
        with Image.open(out) as im:
            assert im.format == "GIF" and im.size == (300, 200) and im.n_frames == expected_frames
    else:
        assert out.read_bytes()[4:8] == b"ftyp"
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temporary file left behind


def test_episode_matches_a_plain_rollout(tmp_path):
    params = CourseParams(roughness=2.0, seed=9)
    theta = theta_for(4)
    res = render_episode(params, theta, tmp_path / "ep.gif", every=10, max_steps=150, scale=0.3)
    policy = MLPPolicy()
    sim = WalkerCourseSim(params, max_steps=150)
    obs = sim.reset()
    total, steps, done = 0.0, 0, False
    while not done:
        obs, r, term, trunc = sim.step(policy.act(theta, obs))
        total += r
        steps += 1
        done = term or trunc
    assert res.steps == steps and res.episode_return == pytest.approx(total, abs=1e-9)
    assert res.fell == (term and not sim.finished)


def test_fast_episode_is_the_fast_simulators_rollout(tmp_path):
    from aiga.envs.walker.evaluate import evaluate_batch

    params = CourseParams(roughness=2.0, seed=9)
    theta = theta_for(4)
    res = render_episode(params, theta, tmp_path / "ep.gif", every=10, max_steps=150, scale=0.3, sim="fast")
    returns, lengths = evaluate_batch(params, theta[None], max_steps=150, sim="fast")
    assert res.steps == lengths[0] and res.episode_return == pytest.approx(returns[0], abs=1e-9)


def test_fast_walker_is_drawn_where_box2d_draws_it():
    """After the reset step (from the same pose, the course's push acting) the two simulators' walkers
    agree to float32 precision, so their pictures agree: the same polygons, colours and lidar rays."""
    from aiga.envs.walker.fast_sim import FastWalkerSim

    params = CourseParams(roughness=1.0, stump_height=(0.4, 0.8), seed=5)
    ref, fast = WalkerCourseSim(params), FastWalkerSim(params)
    ref.reset()
    fast.reset()
    assert fast.hull_position == pytest.approx(ref.hull_position, abs=1e-5)
    for (pf, cf), (pr, cr) in zip(fast.body_polygons(), ref.body_polygons(), strict=True):
        assert cf == cr and np.allclose(pf, pr, atol=1e-5)
    lf, lr = fast.lidar_points(), ref.lidar_points()
    assert len(lf) == len(lr) == 10 and np.allclose(lf, lr, atol=1e-4)
    assert any(e[1] > lr[0][0][1] - 5.0 for _, e in lr[5:])  # some rays hit the ground before their end


def test_bad_inputs_write_nothing(tmp_path):
    params = CourseParams()
    with pytest.raises(AigaError, match=r"\.gif or \.mp4"):
        render_episode(params, theta_for(0), tmp_path / "ep.avi", max_steps=5)
    with pytest.raises(AigaError, match="2804"):
        render_episode(params, np.zeros(10), tmp_path / "ep.gif", max_steps=5)
    with pytest.raises(AigaError, match="every"):
        render_episode(params, theta_for(0), tmp_path / "ep.gif", every=0, max_steps=5)
    with pytest.raises(AigaError, match="sim must be one of box2d, fast"):
        render_episode(params, theta_for(0), tmp_path / "ep.gif", max_steps=5, sim="mujoco")
    assert list(tmp_path.iterdir()) == []


def test_load_theta(tmp_path):
    theta = theta_for(2)
    np.savez(tmp_path / "a.npz", theta=theta)
    np.save(tmp_path / "b.npy", theta)
    np.savez(tmp_path / "c.npz", x=theta, y=theta)
    np.savez(tmp_path / "d.npz", theta=theta[:100])
    np.testing.assert_array_equal(load_theta(tmp_path / "a.npz", 2804), theta)
    np.testing.assert_array_equal(load_theta(tmp_path / "b.npy", 2804), theta)
    with pytest.raises(AigaError, match="several arrays"):
        load_theta(tmp_path / "c.npz", 2804)
    with pytest.raises(AigaError, match="100 numbers"):
        load_theta(tmp_path / "d.npz", 2804)
    with pytest.raises(AigaError, match="does not exist"):
        load_theta(tmp_path / "nope.npz", 2804)
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(AigaError, match="cannot read"):
        load_theta(tmp_path / "junk.npz", 2804)

"""POET on mazes (``aiga poet --family maze``): the maze ES objective on scripted levels and policies,
batched == one at a time, the same results with any worker count, the loop's rules on mazes, resume
identity, and the report's maze pictures."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from run_helpers import aiga, digest, kill_when, metric_rows

from aiga.core.config import AigaError, ConfigError, from_dict, to_dict
from aiga.core.es import ESConfig, ESState, es_step
from aiga.core.policy import MLPPolicy
from aiga.core.workers import InProcessEvaluator, PoolEvaluator
from aiga.envs.maze.family import MazeFamily, MazeParams
from aiga.envs.maze.objective import POLICY_SIZES, MazeObjective, evaluate_batch, greedy_path, num_params
from aiga.poet.config import POETConfig, preset
from aiga.poet.loop import POET, make_family

MAZE_SMOKE = ["--family", "maze", "--preset", "smoke", "--seed", "5"]
CORRIDOR = MazeParams((
    ">...G",
    "#####",
))


def constant_action(action: int) -> np.ndarray:
    """A policy whose every weight is 0 and whose output bias favours ``action`` (0 left, 1 right,
    2 forward): the hidden layer is tanh(0) = 0, so the argmax is ``action`` on every observation."""
    theta = np.zeros(num_params())
    theta[-3 + action] = 1.0
    return theta


def test_policy_shape_is_79_40_3():
    assert POLICY_SIZES == (79, 40, 3)
    assert num_params() == 79 * 40 + 40 + 40 * 3 + 3 == MLPPolicy(POLICY_SIZES).num_params
    assert MazeFamily().policy_sizes == POLICY_SIZES


def test_scripted_returns_and_lengths():
    level = CORRIDOR.level()
    thetas = np.stack([constant_action(2), constant_action(0), constant_action(1)])
    ret, length = evaluate_batch(level, thetas, max_steps=250)
    # forward x4: the 4th step walks into the goal at (4, 0): 1 - 0.9 * 4/250 (float32, as the env)
    assert ret[0] == pytest.approx(1 - 0.9 * 4 / 250, abs=1e-6) and length[0] == 4
    # turning on the spot never reaches the goal: return 0 after the whole horizon
    assert ret[1] == 0.0 and length[1] == 250 and ret[2] == 0.0 and length[2] == 250
    # a horizon shorter than the path: no reward, the episode is T steps long
    ret, length = evaluate_batch(level, thetas[:1], max_steps=3)
    assert ret[0] == 0.0 and length[0] == 3
    # T = 4 exactly: reached on the last step, the smallest positive return 1 - 0.9 = 0.1
    ret, length = evaluate_batch(level, thetas[:1], max_steps=4)
    assert ret[0] == pytest.approx(0.1, abs=1e-6) and length[0] == 4
    path, r, n = greedy_path(level, thetas[0], 250)
    assert [tuple(p) for p in path] == [(0, 0), (1, 0), (2, 0), (3, 0)] and n == 4
    assert r == pytest.approx(1 - 0.9 * 4 / 250, abs=1e-6)


def test_bad_thetas_are_one_clear_error():
    with pytest.raises(AigaError, match=r"shape \(B, 3323\)"):
        evaluate_batch(CORRIDOR.level(), np.zeros((2, 5)))


def test_batched_equals_one_at_a_time_and_objective_pickles():
    rng = np.random.default_rng(1)
    family = MazeFamily()
    maze = family.sample(rng)
    thetas = np.stack([MLPPolicy(POLICY_SIZES).init(rng) for _ in range(11)])
    thetas[3] = constant_action(2)
    obj = pickle.loads(pickle.dumps(MazeObjective(maze, 60)))
    assert obj.cache_key() == MazeObjective(maze, 60).cache_key()
    assert obj.cache_key() != MazeObjective(maze, 61).cache_key()
    assert obj.cache_key() != MazeObjective(family.mutate(maze, rng), 60).cache_key()
    f = obj.build()
    ret, length = f(thetas)
    for i in range(len(thetas)):
        r1, l1 = f(thetas[i:i + 1])
        assert r1[0] == ret[i] and l1[0] == length[i]
    assert np.all((ret == 0) | ((ret >= 0.1) & (ret <= 1.0)))
    assert np.all(length[ret == 0] == 60) and np.all(length[ret > 0] <= 60)


def test_es_step_is_identical_with_one_or_two_workers():
    cfg = ESConfig(pairs=12)
    theta = MLPPolicy(POLICY_SIZES).init(np.random.default_rng(0))
    obj = MazeObjective(MazeFamily().initial(), 250)
    a, sa = es_step(ESState.initial(theta, cfg), cfg, obj, InProcessEvaluator(), 7, (0,))
    with PoolEvaluator(2) as pool:
        b, sb = es_step(ESState.initial(theta, cfg), cfg, obj, pool, 7, (0,))
    assert np.array_equal(a.theta, b.theta) and np.array_equal(sa.returns, sb.returns)
    assert sa.env_steps == sb.env_steps > 0


def maze_cfg(**kw) -> POETConfig:
    return from_dict(POETConfig, {**preset("poet", "smoke", "maze"), "seed": 5, **kw})


def test_config_family_presets_and_validation():
    cfg = from_dict(POETConfig, preset("poet", "laptop", "maze"))
    assert cfg.family == "maze" and cfg.max_steps == 250
    # every threshold lies in maze return units: (0, 1]
    assert 0 < cfg.mc_lo <= cfg.repro_threshold < cfg.mc_hi <= 1 and 0 < cfg.solved_score <= 1
    for v in ("poet", "enhanced"):
        for name in ("paper", "code", "laptop", "smoke"):
            c = from_dict(POETConfig, preset(v, name, "maze"))
            assert c.family == "maze" and from_dict(POETConfig, to_dict(c)) == c
    # walker presets are what they were: no family key, the walker default
    assert "family" not in preset("poet", "laptop")
    assert from_dict(POETConfig, preset("poet", "paper")).family == "walker"
    with pytest.raises(ConfigError, match="family must be one of"):
        from_dict(POETConfig, {"family": "lava"})
    # sim is the walker's: a maze configuration holds it unused, whatever a run stored (runs made when the
    # default was box2d resume), and a new maze run that asks for it is refused in one line
    assert from_dict(POETConfig, {"family": "maze", "sim": "box2d"}).family == "maze"


def test_a_new_maze_run_refuses_a_simulator(tmp_path):
    (tmp_path / "c.toml").write_text('sim = "fast"\n')
    for i, extra in enumerate((["--sim", "box2d"], ["--config", str(tmp_path / "c.toml")])):
        run = tmp_path / f"r{i}"
        p = aiga("poet", *MAZE_SMOKE, *extra, "--run-dir", str(run), check=False)
        assert p.returncode == 2 and p.stderr.count("\n") == 1, p.stderr
        assert "does not apply to --family maze" in p.stderr and not run.exists()


def test_the_loop_runs_on_mazes_and_every_rule_fires():
    cfg = maze_cfg()
    poet = POET(cfg, make_family(cfg), InProcessEvaluator())
    assert poet.family.name == "maze" and poet.family.n_edits == cfg.maze_edits
    poet.start()
    assert poet.niches[0].env == MazeFamily().initial()
    assert poet.niches[0].es.theta.shape == (num_params(),)
    events = []
    for _ in range(cfg.iterations):
        poet.step()
        events += poet._events
        poet._events = []
    kinds = {k for k, _ in events}
    assert {"admitted", "transfer", "retired", "reproduction"} <= kinds
    for _, d in (e for e in events if e[0] == "admitted"):
        child = MazeFamily().from_dict(d["course"])
        assert child.level().wall_map.shape == (13, 13)
    assert len(poet.niches) <= cfg.capacity and poet.counters["env_steps"] > 0
    for n in poet.niches:
        assert n.score is not None and 0.0 <= n.score <= 1.0


@pytest.fixture(scope="module")
def maze_reference(tmp_path_factory):
    run = tmp_path_factory.mktemp("maze") / "run"
    aiga("poet", *MAZE_SMOKE, "--workers", "1", "--run-dir", str(run))
    return run


def test_sigkill_and_resume_is_bit_identical_on_mazes(tmp_path, maze_reference):
    run = tmp_path / "run"
    args = ["poet", *MAZE_SMOKE, "--workers", "1", "--run-dir", str(run)]
    kill_when(args, run, after_iterations=5, delay=0.01)
    aiga("poet", "--resume", str(run), "--workers", "1")
    assert metric_rows(run) == 12
    assert digest(run) == digest(maze_reference)


def test_report_draws_mazes(maze_reference):
    p = aiga("poet", "report", str(maze_reference))
    assert "ANNECS" in p.stdout and "mazes.png" in p.stdout
    media = maze_reference / "media"
    for name in ("lineage.png", "annecs.png", "scores.png", "mazes.png"):
        assert (media / name).stat().st_size > 1000
    assert list((media / "courses").glob("n*.png")) and not (media / "episodes").exists()


def test_dashboard_shows_mazes_with_their_agents_paths(maze_reference, tmp_path):
    """The POET page of a maze run: each lineage node offers one picture (the maze with its agent's
    path, drawn by the maze renderer at 16 px a tile) and no walker episode."""
    import http.client
    import io
    import json
    import shutil
    import threading

    from PIL import Image

    from aiga.dashboard.server import make_server

    shutil.copytree(maze_reference, tmp_path / "maze1")
    srv = make_server(tmp_path, "127.0.0.1", 0)
    threading.Thread(target=srv.serve_forever, daemon=True).start()

    def get(path):
        c = http.client.HTTPConnection("127.0.0.1", srv.server_address[1], timeout=120)
        try:
            c.request("GET", path)
            r = c.getresponse()
            return r.status, r.read()
        finally:
            c.close()

    try:
        status, body = get("/api/runs/maze1")
        assert status == 200
        tree = next(p for p in json.loads(body)["panels"] if p["type"] == "tree")
        node = tree["nodes"][0]
        assert [m["url"] for m in node["media"]] == [f"/api/runs/maze1/render/course-n{node['id']}.png"]
        status, png = get(node["media"][0]["url"])
        assert status == 200
        img = Image.open(io.BytesIO(png))
        assert img.format == "PNG" and img.size == (15 * 16, 15 * 16)  # 13x13 interior + border, 16 px
        assert get(f"/api/runs/maze1/render/episode-n{node['id']}-it12.gif")[0] == 404
    finally:
        srv.shutdown()
        srv.server_close()

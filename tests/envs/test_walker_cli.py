"""``aiga walker demo|info`` and ``aiga render course|episode`` end to end, with tiny budgets."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from aiga.cli import main
from aiga.envs.walker.terrain import CourseParams


def run(argv, capsys):
    try:
        rc = main(argv)
    except SystemExit as e:  # argparse errors exit directly
        rc = e.code
    out, err = capsys.readouterr()
    return rc, out, err


def test_demo_end_to_end(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    rc, out, err = run(["walker", "demo", "--seed", "3", "--max-steps", "30", "--every", "5"], capsys)
    assert rc == 0, err
    runs = list((tmp_path / "runs").iterdir())
    assert len(runs) == 1 and runs[0].name.startswith("walker-demo-")
    d = runs[0]
    assert out.strip().splitlines()[-1] == str(Path("runs") / d.name)  # the folder, printed last
    assert sorted(p.name for p in d.iterdir()) == ["course.json", "course.png", "episode.gif", "theta.npz"]
    with Image.open(d / "episode.gif") as im:
        assert im.n_frames >= 2 and im.size == (600, 400)
    with Image.open(d / "course.png") as im:
        assert im.width > 1000
    stored = json.loads((d / "course.json").read_text())
    params = CourseParams.from_dict(stored["params"])
    assert params == CourseParams(roughness=1.5, pit_gap=(0.8, 2.0), stump_height=(0.4, 1.2), seed=3)
    assert np.load(d / "theta.npz")["theta"].shape == (2804,)
    # the saved course and policy re-render the same episode
    rc, out2, err = run(["render", "episode", "--params", str(d / "course.json"), "--theta",
                         str(d / "theta.npz"), "--max-steps", "30", "--every", "10", "-o", "again.gif"],
                        capsys)
    assert rc == 0, err
    ret = lambda text: re.search(r"return (-?[0-9.]+)", text).group(1)  # noqa: E731
    assert ret(out2) == ret(out)  # same course, same policy, same episode
    assert (tmp_path / "again.gif").is_file()


def test_demo_with_cppn_course_and_run_dir(tmp_path, capsys):
    d = tmp_path / "demo"
    rc, out, err = run(["walker", "demo", "--cppn-mutations", "5", "--max-steps", "10", "--every", "5",
                        "--format", "mp4", "--run-dir", str(d)], capsys)
    assert rc == 0, err
    assert (d / "episode.mp4").is_file() and "CPPN course" in out
    params = CourseParams.from_dict(json.loads((d / "course.json").read_text())["params"])
    assert params.cppn is not None and params.cppn.num_hidden >= 0


def test_info(capsys):
    rc, out, err = run(["walker", "info", "--roughness", "4.6", "--pit-gap", "5.6", "6.0",
                        "--stump-height", "2.0", "2.4"], capsys)
    assert rc == 0, err
    assert "extremely challenging" in out  # all three of the paper's thresholds are met
    assert "4.6, 5.6, 6, 2, 2.4" in out
    rc, out, err = run(["walker", "info", "--roughness", "1", "--json"], capsys)
    assert rc == 0 and json.loads(out)["roughness"] == 1.0


def test_render_course_from_toml(tmp_path, capsys):
    toml = tmp_path / "course.toml"
    toml.write_text('roughness = 2.5\npit_gap = [1.0, 2.0]\nseed = 11\n')
    rc, out, err = run(["render", "course", "--params", str(toml), "--stump-height", "0.4", "0.8",
                        "-o", str(tmp_path / "c.png"), "--px-per-unit", "8"], capsys)
    assert rc == 0, err
    with Image.open(tmp_path / "c.png") as im:
        assert im.format == "PNG" and 700 < im.width < 800  # ~95 units at 8 px per unit


BAD = [
    (["walker", "demo", "--roughness", "20"], "roughness must be in [0, 10]"),
    (["walker", "demo", "--pit-gap", "3", "1"], "pit_gap must have low <= high"),
    (["walker", "demo", "--every", "0"], "must be >= 1"),
    (["walker", "demo", "--roughness", "x"], "expected a number"),
    (["walker", "demo", "--cppn-mutations", "2", "--stump-height", "1", "2"], "no roughness or obstacles"),
    (["render", "course", "--roughness", "1", "-o", "c.txt"], "must end in .png"),
    (["render", "course", "--params", "missing.toml", "-o", "c.png"], "does not exist"),
    (["render", "course", "--params", "bad.json", "-o", "c.png"], "unknown field 'roughnes'"),
    (["render", "course", "--params", "broken.json", "-o", "c.png"], "not valid JSON"),
    (["render", "episode", "--random", "-o", "e.avi"], ".gif or .mp4"),
    (["render", "episode", "--theta", "missing.npz", "-o", "e.gif"], "does not exist"),
    (["render", "episode", "--theta", "short.npz", "-o", "e.gif"], "2804"),
    (["render", "episode", "-o", "e.gif"], "--theta --random is required"),
    (["render"], "say what to render"),
    (["walker"], "say what to do"),
]


@pytest.mark.parametrize(("argv", "message"), BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input_gives_one_line_and_exit_2(tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.json").write_text(json.dumps({"roughnes": 1}))
    (tmp_path / "broken.json").write_text("{")
    np.savez(tmp_path / "short.npz", theta=np.zeros(5))
    before = sorted(p.name for p in tmp_path.iterdir())
    rc, out, err = run(argv, capsys)
    assert rc == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], err
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written

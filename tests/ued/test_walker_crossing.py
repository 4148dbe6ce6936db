"""PLR⊥/ACCEL over walker courses with an ES agent (the EnvFamily crossing): runs and resumes exactly."""

import pytest

pytest.importorskip("jax")
pytest.importorskip("Box2D")

from aiga.cli import main  # noqa: E402
from aiga.core.runstore import RunStore  # noqa: E402

TINY = ["ued", "--method", "accel", "--family", "walker", "--preset", "smoke", "--walker-max-steps", "30",
        "--es-pairs", "2", "--buffer-size", "4", "--min-fill", "0.25", "--replay-prob", "1", "--workers", "1"]


def test_walker_accel_runs_and_resumes_identically(tmp_path):
    assert main([*TINY, "--iterations", "4", "--run-dir", str(tmp_path / "a")]) == 0
    assert main([*TINY, "--iterations", "2", "--run-dir", str(tmp_path / "b")]) == 0
    assert main(["ued", "--resume", str(tmp_path / "b"), "--iterations", "4", "--workers", "1"]) == 0
    with RunStore.open(tmp_path / "a", readonly=True) as a, RunStore.open(tmp_path / "b", readonly=True) as b:
        assert a.digest() == b.digest()
        kinds = [e["data"]["kind"] for e in a.events("course")]
        # buffer 1/4 full after the first fresh course, replay_prob 1: new, replay, edit, replay
        assert kinds == ["new", "replay", "edit", "replay"]


def test_walker_accel_runs_in_the_fast_simulator(tmp_path):
    """``--walker-sim fast``: the same run on the compiled simulator, stored in the run's config (and it
    differs from the Box2D run only through the simulator: the same first course is drawn)."""
    assert main([*TINY, "--iterations", "2", "--walker-sim", "fast", "--run-dir", str(tmp_path / "f")]) == 0
    assert main([*TINY, "--iterations", "2", "--run-dir", str(tmp_path / "b")]) == 0
    with RunStore.open(tmp_path / "f", readonly=True) as f, RunStore.open(tmp_path / "b", readonly=True) as b:
        assert f.config()["walker_sim"] == "fast" and b.config()["walker_sim"] == "box2d"
        assert [e["data"]["kind"] for e in f.events("course")] == ["new", "replay"]
        fast, ref = [e["data"] for e in f.events("course")][0], [e["data"] for e in b.events("course")][0]
        # the same first course; its score (from 30-step episodes) agrees to the simulators' precision
        assert fast.pop("score") == pytest.approx(ref.pop("score"), rel=1e-4)
        assert fast == ref


def test_paired_on_walker_is_refused(capsys):
    assert main(["ued", "--method", "paired", "--family", "walker", "--run-dir", "/nonexistent/x"]) == 2
    assert "paired" in capsys.readouterr().err

"""The POET paper's direct-path curriculum baseline (``aiga es --curriculum-stages K``)."""

from __future__ import annotations

import pytest
from run_helpers import aiga, digest, kill_when

from aiga.core.config import from_dict
from aiga.core.runstore import RunStore
from aiga.poet.direct_es import DirectESConfig, course_preset, curriculum_course


def hard(**kw) -> DirectESConfig:
    return from_dict(DirectESConfig, {**course_preset("hard"), "course_seed": 9, **kw})


def _curriculum_args(iterations: int, max_steps: int) -> list[str]:
    """``aiga es`` on the hard course in 3 curriculum stages, with a tiny population."""
    return ["es", "--course", "hard", "--curriculum-stages", "3", "--iterations", str(iterations),
            "--es-pairs", "2", "--max-steps", str(max_steps)]


def test_stages_interpolate_from_flat_to_the_target():
    cfg = hard(curriculum_stages=4)
    flat = curriculum_course(cfg, 0)
    assert flat.roughness == 0 and flat.pit_gap is None and flat.stump_height is None and flat.seed == 9
    s1 = curriculum_course(cfg, 1)  # a quarter of roughness 4.5, gap [5.4, 6.0], stump [2.0, 2.4]
    assert (s1.roughness, s1.pit_gap, s1.stump_height) == (1.125, (1.35, 1.5), (0.5, 0.6))
    assert curriculum_course(cfg, 4) == cfg.course_params() == curriculum_course(cfg, 9)
    # no curriculum: the target itself from the start
    assert curriculum_course(hard(), 0) == hard().course_params()


def test_stage_advances_only_on_the_advance_score(tmp_path):
    run = tmp_path / "run"
    args = _curriculum_args(iterations=5, max_steps=30)
    aiga(*args, "--workers", "1", "--curriculum-advance", "-1000", "--run-dir", str(run))
    with RunStore.open(run) as s:
        _, stages = s.series("curriculum/stage")
        events = s.events("curriculum stage")
    # every score beats -1000: one stage per iteration until the target (stage 3), then it stays
    assert stages.tolist() == [0, 1, 2, 3, 3]
    assert [e["data"]["stage"] for e in events] == [1, 2, 3]
    never = tmp_path / "never"
    aiga(*args, "--workers", "1", "--curriculum-advance", "1000", "--run-dir", str(never))
    with RunStore.open(never) as s:
        assert s.series("curriculum/stage")[1].tolist() == [0, 0, 0, 0, 0]


@pytest.mark.slow
def test_curriculum_resume_is_bit_identical(tmp_path):
    args = [*_curriculum_args(iterations=8, max_steps=40), "--curriculum-advance", "-60"]
    ref = tmp_path / "ref"
    aiga(*args, "--workers", "1", "--run-dir", str(ref))
    run = tmp_path / "run"
    kill_when([*args, "--workers", "1", "--run-dir", str(run)], run, after_iterations=3, delay=0.01)
    aiga("es", "--resume", str(run), "--workers", "1")
    assert digest(run) == digest(ref)

"""``aiga es`` end to end: SIGKILL at several points + resume ends bit-identical (1 and 2 workers);
a corrupt checkpoint gives one error line and changes nothing."""

from __future__ import annotations

import pytest

pytest.importorskip("aiga.envs.walker.evaluate")

from run_helpers import aiga, digest, kill_when, last_checkpoint, metric_rows, tree_hashes  # noqa: E402

TINY = ["--seed", "3", "--iterations", "8", "--es-pairs", "3", "--max-steps", "40", "--course", "flat"]


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> str:
    run = tmp_path_factory.mktemp("ref") / "run"
    aiga("es", *TINY, "--workers", "1", "--run-dir", str(run))
    assert metric_rows(run) == 8 and last_checkpoint(run) == 7
    assert 'sim = "fast"' in (run / "config.toml").read_text()  # the compiled simulator is the default
    return digest(run)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_sigkill_and_resume_is_bit_identical(tmp_path, reference, workers):
    run = tmp_path / "run"
    first = ["es", *TINY, "--workers", workers, "--run-dir", str(run)]
    kill_when(first, run, after_iterations=1, delay=0.0)  # just after a checkpoint
    for after, delay in ((3, 0.02), (5, 0.005)):  # somewhere inside later iterations
        kill_when(["es", "--resume", str(run), "--workers", workers], run, after, delay)
    aiga("es", "--resume", str(run), "--workers", workers)
    assert metric_rows(run) == 8
    assert digest(run) == reference


def test_uninterrupted_digest_independent_of_worker_count(tmp_path, reference):
    run = tmp_path / "run"
    aiga("es", *TINY, "--workers", "2", "--run-dir", str(run))
    assert digest(run) == reference
    # a different seed is a different run
    other = tmp_path / "other"
    aiga("es", *TINY[:1], "4", *TINY[2:], "--workers", "1", "--run-dir", str(other))
    assert digest(other) != reference


def test_corrupt_checkpoint_one_line_and_nothing_changed(tmp_path):
    run = tmp_path / "run"
    aiga("es", *TINY, "--iterations", "2", "--workers", "1", "--run-dir", str(run))
    npz = run / "checkpoints" / "000000001.npz"
    npz.write_bytes(npz.read_bytes()[:100])
    before = tree_hashes(run)
    p = aiga("es", "--resume", str(run), "--iterations", "4", check=False)
    assert p.returncode == 2
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("aiga: error:") and "000000001.npz" in lines[0]
    assert tree_hashes(run) == before


def test_bad_flags_are_one_line_errors(tmp_path):
    p = aiga("es", "--course", "nowhere", "--run-dir", str(tmp_path / "r"), check=False)
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "--course" in p.stderr
    p = aiga("es", "--course-roughness", "11", "--run-dir", str(tmp_path / "r"), check=False)
    assert p.returncode == 2 and "roughness" in p.stderr and p.stderr.count("\n") == 1
    assert not (tmp_path / "r").exists()

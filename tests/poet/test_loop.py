"""The POET loop end to end on tiny walker runs: every rule fires, events are recorded, a SIGKILL and
resume end bit-identical, and each defect of the reference code listed in reference/poet.md stays fixed."""

from __future__ import annotations

import tempfile

import numpy as np
import pytest
from run_helpers import aiga, digest, kill_when, metric_rows, tree_hashes

from aiga.core.config import from_dict, to_dict
from aiga.core.workers import InProcessEvaluator
from aiga.poet.config import POETConfig, preset
from aiga.poet.loop import POET, make_family

SMOKE = ["--preset", "smoke", "--seed", "5"]


def smoke_cfg(variant: str = "poet", **kw) -> POETConfig:
    return from_dict(POETConfig, {**preset(variant, "smoke"), "seed": 5, **kw})


class CountingEvaluator(InProcessEvaluator):
    """Records every job it evaluates (objective key, theta bytes) and every ES population it runs."""

    def __init__(self):
        super().__init__()
        self.jobs: list[tuple[str, bytes]] = []
        self.populations = 0

    def evaluate(self, jobs):
        self.jobs += [(obj.cache_key(), np.asarray(th).tobytes()) for obj, th in jobs]
        return super().evaluate(jobs)

    def antithetic_many(self, requests):
        self.populations += len(requests)
        return super().antithetic_many(requests)


def run_poet(cfg: POETConfig, evaluator=None, iterations: int | None = None) -> POET:
    poet = POET(cfg, make_family(cfg), evaluator or InProcessEvaluator())
    poet.start()
    for _ in range(iterations or cfg.iterations):
        poet.step()
        poet._events_log = getattr(poet, "_events_log", []) + poet._events
        poet._events = []
    return poet


@pytest.fixture(scope="module")
def smoke_poet() -> POET:
    return run_poet(smoke_cfg())


def kinds(poet: POET, kind: str) -> list[dict]:
    return [d for k, d in poet._events_log if k == kind]


def test_every_rule_fires_in_the_smoke_preset(smoke_poet):
    poet = smoke_poet
    admitted = kinds(poet, "admitted")
    assert len(admitted) == 3  # one per reproduction event at iterations 3, 6, 9 (max_admitted 1)
    assert len(poet.niches) == 3 and [r.nid for r in poet.archive] == [0]  # capacity 3: the oldest retired
    assert any(d["accepted"] for d in kinds(poet, "transfer"))
    # lineage: every admitted course names a parent that existed when it was admitted
    for d in admitted:
        assert d["parent"] < d["niche"]
    assert poet.parents == {0: None, **{d["niche"]: d["parent"] for d in admitted}}
    # at most one admission per event, and attempts beyond it are recorded as not tried
    outcomes = [d["outcome"] for d in kinds(poet, "attempt")]
    assert outcomes.count("admitted") == 3
    assert all(
        o
        in (
            "admitted",
            "not tried: admission limit reached",
            "duplicate of an active course",
            "failed the minimal criterion with the parent's agent",
            "failed the minimal criterion after transfer",
        )
        for o in outcomes
    )


def test_transfer_acceptance_resets_the_optimizer():
    cfg = smoke_cfg()
    poet = POET(cfg, make_family(cfg), InProcessEvaluator())
    poet.start()
    seen = 0
    for _ in range(cfg.iterations):
        poet.step()
        accepted = {d["target"]: d for k, d in poet._events if k == "transfer" and d["accepted"]}
        poet._events = []
        for nid, d in accepted.items():
            n = poet._niche(nid)
            # replaced after this iteration's ES step: Adam state, lr and sigma back to their initial values
            assert n.es.t == 0 and not n.es.m.any() and not n.es.v.any()
            assert n.es.lr == cfg.es.lr and n.es.sigma == cfg.es.sigma
            assert n.score == (d["direct"] if d["accepted"] == "direct" else d["proposal"])
            assert n.score > d["incumbent"]  # strictly better than the incumbent
            seen += 1
    assert seen > 0


def test_minimal_criterion_rejects_out_of_band_children():
    # an empty band above any score a 40-step episode can reach: no child passes with its parent's agent
    poet = run_poet(smoke_cfg(mc_lo=1000.0, mc_hi=2000.0), iterations=4)
    attempts = kinds(poet, "attempt")
    assert attempts and all(
        d["outcome"].startswith("failed the minimal criterion") or d["outcome"].startswith("duplicate")
        for d in attempts
    )
    assert len(poet.niches) == 1


def test_eligibility_threshold_blocks_reproduction():
    poet = run_poet(smoke_cfg(repro_threshold=1e6), iterations=4)
    assert kinds(poet, "reproduction") == [{"eligible": [], "attempts": 0, "admitted": None}]
    assert not kinds(poet, "attempt")


def test_defect5_one_evaluation_rollout_per_score():
    ev = CountingEvaluator()
    cfg = smoke_cfg(reproduce_every=1000, transfer_every=1000)
    run_poet(cfg, ev, iterations=3)
    # per iteration: one ES population and one single-theta evaluation of the new theta (1 niche)
    assert ev.populations == 3
    assert len(ev.jobs) == 3


def test_defect7_archived_scores_are_cached():
    ev = CountingEvaluator()
    poet = run_poet(smoke_cfg("enhanced", iterations=12, capacity=2), ev)
    assert len(poet.archive) >= 2
    first = poet._pata_ec_table()  # fills the cache for the niche(s) retired at the last event
    ev.jobs.clear()
    second = poet._pata_ec_table()
    course_keys = {poet.objective(r.env).cache_key() for r in poet.archive}
    archived_thetas = {r.theta.tobytes() for r in poet.archive}
    # archived agents on archived courses never run again (the reference re-ran them every event)
    assert not [1 for k, th in ev.jobs if k in course_keys and th in archived_thetas]
    # active agents are evaluated on every course each time: their θ changes every iteration
    n_courses = len(poet.archive) + len(poet.niches)
    assert len(ev.jobs) == len(poet.niches) * n_courses
    for a, b in zip(first["vectors"], second["vectors"], strict=True):
        assert np.array_equal(a, b)


def test_defect1_and_4_enhanced_reproduces_with_pata_ec_and_is_seeded(tmp_path, monkeypatch):
    private = tmp_path / "tmp"
    private.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private))
    a, b = run_poet(smoke_cfg("enhanced")), run_poet(smoke_cfg("enhanced"))
    assert not list(
        private.iterdir()
    )  # no temporary files (the reference leaked a genome pickle per mutation)
    adm = kinds(a, "admitted")
    assert adm and all(np.isfinite(d["novelty"]) for d in adm)
    assert [d["course"] for d in adm] == [d["course"] for d in kinds(b, "admitted")]
    for n, m in zip(a.niches, b.niches, strict=True):
        assert np.array_equal(n.es.theta, m.es.theta)


def test_defect2_annecs_is_logged_and_is_the_papers(tmp_path):
    run = tmp_path / "run"
    aiga("poet", *SMOKE, "--workers", "1", "--run-dir", str(run), "--solved-score", "-3")
    from aiga.core.runstore import RunStore

    with RunStore.open(run) as s:
        it, annecs = s.series("annecs")
        assert list(it) == list(range(12))  # logged every iteration
        admitted = {e["data"]["niche"]: e["iteration"] for e in s.events("admitted")}
        solved = {e["data"]["niche"]: e["iteration"] for e in s.events("solved")}
    # by hand: courses admitted by the run and solved (score >= -3 here) by each iteration;
    # never the initial one
    expected = [sum(1 for nid, t in solved.items() if nid in admitted and t <= i) for i in range(12)]
    assert list(annecs) == expected
    assert annecs[-1] >= 1  # the low bar makes some admitted course count


@pytest.fixture(scope="module")
def reference_digest(tmp_path_factory) -> str:
    run = tmp_path_factory.mktemp("ref") / "run"
    aiga("poet", *SMOKE, "--workers", "1", "--run-dir", str(run))
    return digest(run)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_defect3_sigkill_and_resume_is_bit_identical(tmp_path, reference_digest, workers):
    run = tmp_path / "run"
    kill_when(
        ["poet", *SMOKE, "--workers", workers, "--run-dir", str(run)], run, after_iterations=2, delay=0.0
    )
    for after, delay in ((5, 0.05), (9, 0.01)):
        kill_when(["poet", "--resume", str(run), "--workers", workers], run, after, delay)
    aiga("poet", "--resume", str(run), "--workers", workers)
    assert metric_rows(run) == 12
    assert digest(run) == reference_digest


def test_resume_refuses_other_systems_and_changes_nothing(tmp_path):
    run = tmp_path / "run"
    aiga("poet", *SMOKE, "--iterations", "2", "--workers", "1", "--run-dir", str(run))
    before = tree_hashes(run)
    p = aiga("es", "--resume", str(run), check=False)
    assert p.returncode == 2 and "is a poet run, not a es run" in p.stderr and p.stderr.count("\n") == 1
    p = aiga("poet", "--resume", str(run), "--mc-lo", "10", check=False)
    assert p.returncode == 2 and "cannot change mc_lo" in p.stderr
    p = aiga("poet", "--variant", "nope", "--run-dir", str(tmp_path / "x"), check=False)
    assert p.returncode == 2 and "variant must be one of" in p.stderr and not (tmp_path / "x").exists()
    assert tree_hashes(run) == before


def test_config_round_trips_and_presets_validate():
    for v in ("poet", "enhanced"):
        for name in ("paper", "code", "laptop", "smoke"):
            cfg = from_dict(POETConfig, preset(v, name))
            assert from_dict(POETConfig, to_dict(cfg)) == cfg
    assert from_dict(POETConfig, preset("poet", "paper")).mc_lo == 50.0
    assert from_dict(POETConfig, preset("poet", "code")).mc_hi == 340.0
    assert from_dict(POETConfig, preset("enhanced", "paper")).capacity == 40


def test_report_writes_pictures(tmp_path):
    run = tmp_path / "run"
    aiga("poet", *SMOKE, "--iterations", "4", "--workers", "1", "--run-dir", str(run))
    p = aiga("poet", "report", str(run))
    assert "ANNECS" in p.stdout and "active niches" in p.stdout
    for name in ("lineage.png", "annecs.png", "scores.png"):
        assert (run / "media" / name).stat().st_size > 1000
    assert list((run / "media" / "episodes").glob("n*.gif"))

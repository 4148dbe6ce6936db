"""Noise identity across processes, backend/worker-count independence, retry after a killed worker."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from toy_objectives import BatchedSphere, DieOnce, Sphere

from aiga.core.es import ESConfig, ESState, es_step, es_step_many, proposal_step, proposal_steps
from aiga.core.noise import perturbation, perturbations, step_key
from aiga.core.workers import InProcessEvaluator, PoolEvaluator


def test_noise_identical_in_another_process():
    code = ("import sys; from aiga.core.noise import perturbation; "
            "sys.stdout.write(perturbation(7, (3, 11), 42, 2804).tobytes().hex())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    mine = perturbation(7, (3, 11), 42, 2804)
    assert mine.dtype == np.float32 and mine.shape == (2804,)
    assert bytes.fromhex(out) == mine.tobytes()


def test_noise_keys_pairs_and_seeds_differ():
    a = perturbation(7, (3, 11), 0, 100)
    assert not np.array_equal(a, perturbation(7, (3, 11), 1, 100))
    assert not np.array_equal(a, perturbation(7, (3, 12), 0, 100))
    assert not np.array_equal(a, perturbation(8, (3, 11), 0, 100))
    rows = perturbations(7, (3, 11), [2, 0], 100)
    assert rows[1].tobytes() == a.tobytes()
    assert abs(float(perturbations(1, (0,), range(50), 1000).std()) - 1.0) < 0.01
    assert step_key("es", 4) == step_key("es", 4) != step_key("es", 5)


def _run_steps(evaluator, steps=3, dim=40, pairs=21):
    cfg = ESConfig(pairs=pairs)
    state = ESState.initial(np.linspace(-0.5, 0.5, dim), cfg)
    for t in range(steps):
        state, _ = es_step(state, cfg, Sphere(dim), evaluator, 99, ("es", t))
    return state


def test_results_independent_of_backend_and_worker_count():
    ref = _run_steps(InProcessEvaluator())
    with PoolEvaluator(1) as p1:
        s1 = _run_steps(p1)
    with PoolEvaluator(2) as p2:
        s2 = _run_steps(p2)
        # several niches' steps and proposals in one round of tasks equal their one-by-one versions
        cfg = ESConfig(pairs=11)
        states = [ESState.initial(np.full(40, x), cfg) for x in (0.0, 0.5)]
        objs = [Sphere(40, 1), Sphere(40, 2)]
        many = es_step_many(states, cfg, objs, p2, 3, [("n", 0, 0), ("n", 1, 0)])
        props = proposal_steps([(np.full(40, 0.2), many[0][0], objs[1], ("p", 0))], cfg, p2, 3)
        # plain evaluations come back in job order, across objectives
        thetas = [np.full(40, x) for x in (0.1, 0.2, 0.3)]
        jobs = [(Sphere(40, 1), thetas[0]), (Sphere(40, 2), thetas[1]), (Sphere(40, 1), thetas[2])]
        res = p2.evaluate(jobs)
    for s in (s1, s2):
        assert s.theta.tobytes() == ref.theta.tobytes()
        assert s.m.tobytes() == ref.m.tobytes() and s.v.tobytes() == ref.v.tobytes()
    ip = InProcessEvaluator()
    for (st, _), s0, o, k in zip(many, states, objs, [("n", 0, 0), ("n", 1, 0)], strict=True):
        assert st.theta.tobytes() == es_step(s0, cfg, o, ip, 3, k)[0].theta.tobytes()
    alone = proposal_step(np.full(40, 0.2), many[0][0], cfg, objs[1], ip, 3, ("p", 0))[0]
    assert props[0][0].tobytes() == alone.tobytes()
    for j, (obj, th) in enumerate(jobs):
        assert res.returns[j] == obj.build()(th[None, :])[0][0]


def test_objective_task_size_hint_sets_the_chunks_not_the_results():
    """An objective's ``pairs_per_task`` / ``thetas_per_task`` raise the evaluator's chunk size (never
    lower it); the ES step is bit-identical to the one cut in the evaluator's own chunks."""
    ev = InProcessEvaluator(pairs_per_task=4, thetas_per_task=2)
    cfg = ESConfig(pairs=37)
    state = ESState.initial(np.linspace(-0.5, 0.5, 40), cfg)
    hinted, stats = es_step(state, cfg, BatchedSphere(40, pairs_per_task=16), ev, 5, ("h", 0))
    # 37 pairs in chunks of 16: tasks of 32, 32 and 10 rollouts (each task is one call)
    assert stats.lengths[:, 0].tolist() == [32] * 16 + [32] * 16 + [10] * 5
    plain, _ = es_step(state, cfg, Sphere(40), ev, 5, ("h", 0))
    assert hinted.theta.tobytes() == plain.theta.tobytes()
    # a hint below the evaluator's size changes nothing: chunks of 4 pairs = 8 rollouts
    _, small = es_step(state, cfg, BatchedSphere(40, pairs_per_task=1), ev, 5, ("h", 0))
    assert small.lengths[:, 0].tolist() == [8] * 36 + [2]
    # plain evaluations: 12 thetas in chunks of 5 (the hint), 5 + 5 + 2
    res = ev.evaluate([(BatchedSphere(40), np.full(40, 0.1 * i)) for i in range(12)])
    assert res.lengths.tolist() == [5] * 10 + [2] * 2


def test_killed_worker_costs_a_retry(tmp_path: Path):
    """A worker process SIGKILLs itself in the middle of its first task: the pool is rebuilt, only the
    unfinished chunks rerun, and the result equals an undisturbed run."""
    marker = tmp_path / "died"
    theta = np.linspace(-1, 1, 30)
    expected = InProcessEvaluator().antithetic(Sphere(30), theta, 0.1, 5, (1,), 20)
    with PoolEvaluator(2) as pool:
        got = pool.antithetic(DieOnce(30, str(marker)), theta, 0.1, 5, (1,), 20)
        assert pool.restarts == 1
    assert marker.exists()
    assert got.returns.tobytes() == expected.returns.tobytes()
    assert got.lengths.tobytes() == expected.lengths.tobytes()


@pytest.mark.slow
@pytest.mark.ray
def test_ray_backend_matches_in_process_and_survives_a_dead_worker(tmp_path: Path):
    pytest.importorskip("ray")
    from aiga.core.workers import RayEvaluator

    ref = _run_steps(InProcessEvaluator())
    theta = np.linspace(-1, 1, 30)
    expected = InProcessEvaluator().antithetic(Sphere(30), theta, 0.1, 5, (1,), 20)
    ev = RayEvaluator(address=None, init_kwargs={"num_cpus": 2})
    try:
        s = _run_steps(ev)
        got = ev.antithetic(DieOnce(30, str(tmp_path / "died")), theta, 0.1, 5, (1,), 20)
    finally:
        ev.close()
    assert s.theta.tobytes() == ref.theta.tobytes()
    assert (tmp_path / "died").exists()  # a Ray worker process did die mid-task, and Ray retried it
    assert got.returns.tobytes() == expected.returns.tobytes()

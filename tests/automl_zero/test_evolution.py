"""Aging evolution, FEC, hurdles, islands, and the run directory contract (resume identity)."""

import numpy as np
import pytest

from aiga.automl_zero.config import AutoMLZeroConfig
from aiga.automl_zero.evolution import INDIVIDUALS, N_INIT, NEXT, Search, hurdle_value
from aiga.automl_zero.fec import FECCache
from aiga.automl_zero.presets import preset
from aiga.cli import main
from aiga.core.config import AigaError, from_dict
from aiga.core.runstore import RunStore


def smoke(**kw):
    return from_dict(AutoMLZeroConfig, {**preset("smoke"), **kw})


def test_aging_population_replaces_the_oldest_first():
    cfg = smoke(population_size=6, individuals_per_iteration=6)
    s = Search(cfg, 1)
    s.step()  # the initial population: slots 0..5 in order
    isl = s.islands[0]
    assert isl.st[N_INIT] == 6 and isl.st[INDIVIDUALS] == 6 and isl.st[NEXT] == 0
    isl.pop_fit[:] = -1.0 - np.arange(6)  # markers no evaluation can produce (fitness >= 0)
    s._run_island(isl, 2)
    assert np.all(isl.pop_fit[:2] >= 0.0)  # slots 0 and 1 (the two oldest) were replaced
    assert np.array_equal(isl.pop_fit[2:], -1.0 - np.arange(2, 6))  # the younger ones survive
    s._run_island(isl, 4)
    assert np.all(isl.pop_fit >= 0.0) and isl.st[NEXT] == 0
    s.close()


def test_fec_hit_and_forced_re_evaluation_after_100_hits():
    c = FECCache(cache_size=10, forget_every=100)
    assert c.find(42) == (False, 0.0)
    c.insert(42, 0.75)
    for _ in range(100):
        assert c.find(42) == (True, 0.75)
    assert c.find(42) == (False, 0.0)  # the 100th hit erased it: the next equivalent program is re-evaluated
    assert len(c) == 0


def test_fec_cache_is_lru():
    c = FECCache(cache_size=3, forget_every=0)
    for k in (1, 2, 3):
        c.insert(k, k / 10)
    assert c.find(1) == (True, 0.1)  # 1 becomes the most recent; 2 is now the least recent
    c.insert(4, 0.4)
    assert c.find(2)[0] is False
    assert c.find(1)[0] and c.find(3)[0] and c.find(4)[0] and len(c) == 3


def test_fec_cache_survives_a_checkpoint():
    c = FECCache(cache_size=50, forget_every=5)
    for k in range(80):  # wraps around: evictions and a re-built hash table
        c.insert(1000 + k, k / 100)
    c.find(1079)
    d = FECCache(cache_size=50, forget_every=5)
    d.load_arrays(c.arrays("x_"), "x_")
    for k in range(80):
        assert c.find(1000 + k) == d.find(1000 + k)


def test_fec_hits_happen_and_fitness_is_reused():
    s = Search(smoke(individuals_per_iteration=400), 1)
    s.step()
    m = s.metrics()
    assert m["fec_hit_rate"] > 0.3  # unmutated copies and dead-code mutations are equivalent
    assert m["full_task_evaluations"] < 400 * 3
    s.close()


def test_hurdle_is_the_75th_percentile_of_unique_fitnesses():
    f = np.array([0.1, 0.2, 0.2, 0.2, 0.3, 0.5, 0.5])
    # unique: 0.1 0.2 0.3 0.5; position 0.75 * 3 = 2.25 -> 0.3 + 0.25 * (0.5 - 0.3) = 0.35
    assert hurdle_value(f, 75.0) == pytest.approx(0.35)
    assert hurdle_value(f, 0.0) == 0.1 and hurdle_value(f, 100.0) == 0.5


def test_hurdles_stop_weak_children_early():
    s = Search(smoke(hurdles=True, hurdle_tasks=1, hurdle_update_every=10, individuals_per_iteration=600), 1)
    s.step()
    m = s.metrics()
    assert m["hurdle"] > 0.0 and m["hurdle_stops"] > 0
    s.close()


def test_islands_give_the_same_result_with_any_number_of_workers():
    cfg = smoke(islands=2, migration_size=5, individuals_per_iteration=150)
    states = []
    for workers in (1, 2):
        s = Search(cfg, workers)
        for _ in range(3):
            s.step()
        arrays, meta = s.state()
        states.append((arrays, meta))
        s.close()
    (a1, m1), (a2, m2) = states
    assert m1 == m2 and a1.keys() == a2.keys()
    assert all(np.array_equal(a1[k], a2[k]) for k in a1)


def test_cli_resume_is_identical(tmp_path):
    full, part = tmp_path / "full", tmp_path / "part"
    assert (
        main(["automl-zero", "--preset", "smoke", "--run-dir", str(full), "--iterations", "4", "--seed", "3"])
        == 0
    )
    assert (
        main(["automl-zero", "--preset", "smoke", "--run-dir", str(part), "--iterations", "2", "--seed", "3"])
        == 0
    )
    assert main(["automl-zero", "--resume", str(part), "--iterations", "4"]) == 0
    with RunStore.open(full) as a, RunStore.open(part) as b:
        assert a.digest() == b.digest()
        assert a.series("best_fitness")[1].size == 4
    assert (full / "best_program.py").is_file() and (full / "best_program_tasks.npz").is_file()


def test_bad_input_is_one_clear_error(capsys):
    assert (
        main(["automl-zero", "--preset", "smoke", "--predict-ops", "SCALAR_FOO", "--run-dir", "/tmp/never"])
        == 2
    )
    err = capsys.readouterr().err
    assert "unknown op 'SCALAR_FOO'" in err and err.count("\n") == 1
    with pytest.raises(AigaError, match="setup_size"):
        smoke(setup_size=(5, 1, 3))


@pytest.mark.slow
def test_demo_rediscovers_linear_regression():
    """The demo preset, seed 0, one island: solved (select fitness > 0.9999) within 1.5 M individuals."""
    cfg = from_dict(AutoMLZeroConfig, {**preset("demo"), "islands": 1, "seed": 0})
    s = Search(cfg, 1)
    while s.solved_at is None and s.individuals < 1_500_000:
        s.step()
    s.close()
    assert s.solved_at is not None and s.best_select > 0.9999

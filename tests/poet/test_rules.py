"""POET's rules against hand computations."""

import numpy as np
import pytest

from aiga.core.es import centered_ranks
from aiga.poet import rules as R
from aiga.poet.rules import TransferCandidate as C


def test_mc_band_edges_inclusive():
    assert R.passes_mc(50.0, 50, 300) and R.passes_mc(300.0, 50, 300)
    assert not R.passes_mc(49.999, 50, 300) and not R.passes_mc(300.001, 50, 300)
    # the code's band
    assert R.passes_mc(25.0, 25, 340) and not R.passes_mc(340.5, 25, 340)


def test_eligibility_threshold_and_order():
    scores = {"a": 199.99, "b": 200.0, "c": None, "d": 250.0}
    assert R.eligible_parents(scores, 200) == ["b", "d"]


def test_knn_novelty_by_hand():
    archive = np.array(
        [
            [0, 0, 0, 0, 0],
            [3, 0, 0, 0, 0],
            [0, 4, 0, 0, 0],
            [10, 0, 0, 0, 0],
            [0, 0, 0, 0, 6],
            [0, 0, 8, 0, 0],
        ],
        dtype=float,
    )
    x = np.zeros(5)
    # distances 0, 3, 4, 10, 6, 8 -> 5 nearest: 0, 3, 4, 6, 8 -> mean 4.2
    assert R.knn_novelty(x, archive, k=5) == pytest.approx(4.2)
    # fewer than k points: mean of all
    assert R.knn_novelty(x, archive[1:3], k=5) == pytest.approx(3.5)
    assert R.knn_novelty(x, archive, k=1) == 0.0


def test_centered_ranks_with_ties_in_order_of_appearance():
    r = centered_ranks(np.array([10.0, -1.0, 10.0, 3.0]))  # the ES's ranks, shared with PATA-EC
    # sorted: -1 (idx1) rank0, 3 (idx3) rank1, 10 (idx0) rank2, 10 (idx2) rank3 ; /3 - .5
    assert r.tolist() == pytest.approx([2 / 3 - 0.5, -0.5, 0.5, 1 / 3 - 0.5])


def test_pata_ec_clips_to_band_before_ranking():
    # scores below 50 tie at 50, above 300 tie at 300; ties ranked by order of appearance
    v = R.pata_ec([10.0, 400.0, -5.0, 120.0, 301.0], 50, 300)
    # clipped: 50, 300, 50, 120, 300 -> stable order: idx0(50) r0, idx2(50) r1, idx3 r2, idx1 r3, idx4 r4
    assert v.tolist() == pytest.approx([-0.5, 0.25, -0.25, 0.0, 0.5])
    assert R.pata_ec([123.0], 50, 300).tolist() == [0.0]  # one agent: nothing to rank


def test_pata_ec_novelty_and_unequal_sizes_rejected():
    child = np.array([-0.5, 0.0, 0.5])
    others = [np.array([-0.5, 0.0, 0.5]), np.array([0.5, 0.0, -0.5]), np.array([0.0, -0.5, 0.5])]
    # distances: 0, sqrt(2), sqrt(0.25+0.25) ; k=2 -> mean(0, sqrt(.5))
    assert R.pata_ec_novelty(child, others, k=2) == pytest.approx(np.sqrt(0.5) / 2)
    with pytest.raises(ValueError):
        R.pata_ec_novelty(child, [np.zeros(4)])


def test_poet_transfer_strictly_better_first_wins_ties():
    cands = [
        C("a", "direct", 120.0),
        C("b", "direct", 150.0),
        C("a", "proposal", 150.0),
        C("b", "proposal", 149.0),
    ]
    assert R.poet_transfer_choice(100.0, cands) == C("b", "direct", 150.0)
    # incumbent keeps its niche on a tie
    assert R.poet_transfer_choice(150.0, cands) is None
    assert R.poet_transfer_choice(200.0, cands) is None


def test_enhanced_transfer_gate_and_choice():
    recent = [100.0, 180.0, 120.0, 90.0, 95.0, 110.0]  # last five: 180, 120, 90, 95, 110
    thr = R.enhanced_transfer_threshold(recent)
    assert thr == 180.0
    assert R.enhanced_transfer_threshold([300.0, 100.0, 1, 2, 3, 4]) == 100.0  # 300 fell out of the window
    assert not R.enhanced_should_fine_tune(180.0, thr) and R.enhanced_should_fine_tune(180.5, thr)
    # current score 190 > threshold 180: a fine-tuned 185 beats the threshold but not the current score
    assert R.enhanced_transfer_choice(190.0, thr, [C("a", "proposal", 185.0)]) is None
    assert R.enhanced_transfer_choice(
        190.0, thr, [C("a", "proposal", 185.0), C("b", "proposal", 191.0)]
    ) == C("b", "proposal", 191.0)
    # current 100 below threshold 180: must beat 180
    assert R.enhanced_transfer_choice(100.0, thr, [C("a", "proposal", 170.0)]) is None
    with pytest.raises(ValueError):
        R.enhanced_transfer_choice(100.0, thr, [C("a", "direct", 500.0)])


def test_retirement_oldest_first():
    assert R.to_retire(["n0", "n1", "n2", "n3"], 3) == ["n0"]
    assert R.to_retire(["n0", "n1", "n2", "n3"], 2) == ["n0", "n1"]
    assert R.to_retire(["n0"], 3) == []


def test_annecs_on_scripted_history():
    admitted = {"e1": 200, "e2": 400, "e3": 600}
    first_solved = {"e0": 10, "e1": 350, "e3": 900}  # e0 is the initial course: not admitted by the run
    assert R.annecs(admitted, first_solved, 300) == 0
    assert R.annecs(admitted, first_solved, 350) == 1
    assert R.annecs(admitted, first_solved, 899) == 1
    assert R.annecs(admitted, first_solved, 900) == 2  # e2 never solved, e0 never counts


def test_difficulty_counts():
    assert R.difficulty_counts(["challenging", None, "very challenging", "challenging"]) == {
        "challenging": 2,
        "very challenging": 1,
        "extremely challenging": 0,
    }

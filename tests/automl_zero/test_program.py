"""Mutations keep programs well-formed; the dead-code pass keeps exactly what can affect a prediction."""

import numpy as np
import pytest

from aiga.automl_zero.config import MUTATION_TYPES, AutoMLZeroConfig
from aiga.automl_zero.evolution import SearchSpace
from aiga.automl_zero.ops import OP_TYPES
from aiga.automl_zero.presets import preset
from aiga.automl_zero.program import Program, live_mask, mutate_once, prune, random_program
from aiga.core.config import AigaError, from_dict

SPACE_CFG = from_dict(
    AutoMLZeroConfig,
    {
        **preset("sec42"),
        "islands": 1,
        "setup_size": (3, 1, 6),
        "predict_size": (3, 1, 6),
        "learn_size": (3, 1, 6),
    },
)


def well_formed(ins, dat, sizes, sp: SearchSpace):
    cfg = sp.cfg
    limits = (0, cfg.scalars, cfg.vectors, cfg.matrices)
    first_out = (0, 1, 1, 0)
    for c in range(3):
        assert sp.size_min[c] <= sizes[c] <= sp.size_max[c]
        allowed = set(sp.comp_ops[c, : sp.n_ops[c]].tolist())
        rows = ins[sp.seg_start[c] : sp.seg_start[c] + sizes[c]]
        for op, a, b, o in rows.tolist():
            assert op in allowed
            ta, tb, to = OP_TYPES[op]
            for kind, addr, lo in ((ta, a, 0), (tb, b, 0), (to, o, first_out[to])):
                if kind:
                    assert lo <= addr < limits[kind]
        d = dat[sp.seg_start[c] : sp.seg_start[c] + sizes[c]]
        for (op, *_), (_act, f0, f1, _f2) in zip(rows.tolist(), d.tolist(), strict=True):
            if op in (57, 58):
                assert 0.0 <= f0 < 1.0
            if op == 58:
                assert 0.0 <= f1 < 1.0
            if op in (62, 63, 64):
                assert f1 >= 0.0  # the st. dev. is altered on a log scale, never flipped
        # rows past the end of the component are empty
        tail_end = sp.seg_start[c + 1] if c < 2 else ins.shape[0]
        assert not ins[sp.seg_start[c] + sizes[c] : tail_end].any()


@pytest.mark.parametrize("mutation", sorted(MUTATION_TYPES))
def test_each_mutation_keeps_programs_well_formed(mutation):
    sp = SearchSpace(SPACE_CFG)
    rng = np.array([MUTATION_TYPES[mutation] + 11], np.uint64)
    ins = np.zeros((sp.rows, 4), np.int32)
    dat = np.zeros((sp.rows, 4))
    sizes = np.zeros(3, np.int32)
    random_program(rng, ins, dat, sizes, sp.space, sp.comp_ops, sp.n_ops, sp.size_init, sp.seg_start, True)
    well_formed(ins, dat, sizes, sp)
    types = np.array([MUTATION_TYPES[mutation]], np.int32)
    changed = 0
    for _ in range(300):
        before = ins.copy(), dat.copy(), sizes.copy()
        mutate_once(
            rng,
            ins,
            dat,
            sizes,
            sp.space,
            sp.comp_ops,
            sp.n_ops,
            sp.size_min,
            sp.size_max,
            sp.seg_start,
            types,
        )
        well_formed(ins, dat, sizes, sp)
        changed += not (np.array_equal(before[0], ins) and np.array_equal(before[1], dat))
    if mutation == "identity":
        assert changed == 0
    elif mutation in ("insert_instruction", "remove_instruction"):
        assert changed >= 2  # they stop at the size bounds
    else:
        assert changed > 50


def test_insertion_stops_at_max_minus_one_and_removal_at_min():
    # the reference's quirk: InsertInstruction returns when size >= max - 1
    cfg = from_dict(
        AutoMLZeroConfig, {**SPACE_CFG.__dict__, "setup_ops": (), "learn_ops": (), "predict_size": (1, 1, 4)}
    )
    sp = SearchSpace(cfg)
    rng = np.array([3], np.uint64)
    ins = np.zeros((sp.rows, 4), np.int32)
    dat = np.zeros((sp.rows, 4))
    sizes = np.array([0, 1, 0], np.int32)

    def mutate_50(mutation_type):
        for _ in range(50):
            mutate_once(rng, ins, dat, sizes, sp.space, sp.comp_ops, sp.n_ops, sp.size_min, sp.size_max,
                        sp.seg_start, np.array([mutation_type], np.int32))

    mutate_50(4)
    assert sizes[1] == 3
    mutate_50(5)
    assert sizes[1] == 1


def test_dead_code_pass_follows_memory_across_components():
    p = Program.from_lists(
        setup=[
            (56, 0, 0, 2, 0.1),  # s2: the learning rate, read in learn -> live
            (56, 0, 0, 3, 0.5),
        ],  # s3: overwritten in learn before being read -> dead
        predict=[
            (27, 1, 0, 1),  # s1 = v1·v0 -> live
            (19, 3, 0, 2),
        ],  # v2 = bcast(s3): v2 is overwritten in learn before any read -> dead
        learn=[
            (2, 0, 1, 3),
            (3, 2, 3, 3),
            (18, 3, 0, 2),
            (23, 1, 2, 1),  # SGD -> live
            (1, 2, 2, 1),
        ],  # s1 = s2 + s2: overwritten by predict before anyone reads it -> dead
    )
    mask = live_mask(p, 4, 3, 1)
    assert mask.tolist() == [True, False, True, False, True, True, True, True, False]
    q = prune(p, 4, 3, 1)
    assert q.sizes == (1, 1, 4)


def test_partial_writes_keep_their_output_alive():
    p = Program.from_lists(setup=[(19, 2, 0, 1), (57, 0, 0, 1, 0, 0.1, 2.0)], predict=[(27, 1, 0, 1)])
    assert live_mask(p, 4, 3, 1).tolist() == [True, True, True]


def test_validate_rejects_bad_programs():
    with pytest.raises(AigaError, match="op id 70"):
        Program.from_lists(predict=[(70, 0, 0, 1)]).validate(4, 3, 1)
    with pytest.raises(AigaError, match="out of range"):
        Program.from_lists(predict=[(1, 0, 0, 0)]).validate(4, 3, 1)  # s0 is not writable
    with pytest.raises(AigaError, match="out of range"):
        Program.from_lists(predict=[(27, 3, 0, 1)]).validate(4, 3, 1)  # v3 does not exist

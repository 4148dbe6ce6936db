"""Every registered environment family honours the ``EnvFamily`` contract (aiga.envs.family).

Parametrised over the registry, so a family added later (mazes, ...) is checked without a new test.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from aiga.core.config import AigaError, ConfigError
from aiga.envs.family import EnvFamily, family_names, get_family, register_family

#: extra variants worth checking beyond each family's defaults
VARIANTS = [("walker", {"courses": "cppn"}), ("walker", {"courses": "cppn", "cppn_rise_grid": "course"})]
CASES = [(name, {}) for name in family_names()] + [v for v in VARIANTS if v[0] in family_names()]


def _id(case):
    name, opts = case
    return name + "".join(f"-{k}={v}" for k, v in opts.items())


def test_walker_is_registered():
    assert "walker" in family_names()


@pytest.fixture(params=CASES, ids=[_id(c) for c in CASES])
def family(request) -> EnvFamily:
    name, opts = request.param
    fam = get_family(name, **opts)
    assert fam.name == name
    return fam


def test_is_an_env_family(family):
    assert isinstance(family, EnvFamily)


def test_params_are_hashable_immutable_and_deterministic(family):
    p0 = family.initial()
    assert family.initial() == p0 and hash(family.initial()) == hash(p0)
    a = family.sample(np.random.default_rng(5))
    b = family.sample(np.random.default_rng(5))
    assert a == b and hash(a) == hash(b)
    ma = family.mutate(a, np.random.default_rng(6))
    mb = family.mutate(b, np.random.default_rng(6))
    assert ma == mb and hash(ma) == hash(mb)
    assert len({p0, a, ma}) >= 2
    with pytest.raises((AttributeError, TypeError)):
        a.seed = 3  # frozen dataclasses refuse any attribute assignment
    # samples differ across seeds
    rng = np.random.default_rng(0)
    assert len({family.sample(rng) for _ in range(6)}) >= 3


def test_descriptor_and_distance(family):
    rng = np.random.default_rng(1)
    params = [family.initial()] + [family.sample(rng) for _ in range(5)]
    descs = [np.asarray(family.descriptor(p)) for p in params]
    assert all(d.ndim == 1 and d.shape == descs[0].shape and np.all(np.isfinite(d)) for d in descs)
    for i, a in enumerate(params):
        assert family.distance(a, a) == 0.0
        for b in params[i + 1:]:
            d = family.distance(a, b)
            assert d >= 0.0 and d == pytest.approx(family.distance(b, a))
    assert max(family.distance(params[0], p) for p in params[1:]) > 0.0


def test_describe_is_one_line(family):
    rng = np.random.default_rng(2)
    for p in (family.initial(), family.sample(rng)):
        text = family.describe(p)
        assert isinstance(text, str) and text.strip() and "\n" not in text


def test_json_round_trip(family):
    rng = np.random.default_rng(3)
    for p in (family.initial(), family.sample(rng), family.mutate(family.sample(rng), rng)):
        data = json.loads(json.dumps(family.to_dict(p)))
        back = family.from_dict(data)
        assert back == p and hash(back) == hash(p)
        np.testing.assert_array_equal(family.descriptor(back), family.descriptor(p))


def test_bad_dict_is_a_clear_error(family):
    with pytest.raises(AigaError) as e:
        family.from_dict({"no such field": 1})
    assert "\n" not in str(e.value)


# ------------------------------------------------------------------------------ registry


def test_unknown_family_lists_the_known_ones():
    with pytest.raises(AigaError, match="unknown environment family 'nope'.*walker"):
        get_family("nope")


def test_register_family_plugs_in_a_new_family():
    from aiga.envs.walker.family import WalkerFamily

    register_family("test-walker", lambda **kw: WalkerFamily(courses="poet", **kw))
    try:
        fam = get_family("test-walker", seed=4)
        assert fam.initial().seed == 4
        assert "test-walker" in family_names()
    finally:
        from aiga.envs import family as mod

        mod._REGISTRY.pop("test-walker", None)


# ------------------------------------------------------------------------------ walker specifics


def test_walker_poet_initial_is_flat_and_mutation_follows_poet():
    fam = get_family("walker")
    p0 = fam.initial()
    assert p0.roughness == 0.0 and p0.pit_gap is None and p0.stump_height is None
    np.testing.assert_array_equal(fam.descriptor(p0), np.zeros(5))
    child = fam.mutate(p0, np.random.default_rng(0))
    # the first mutation switches pits on at [0, 0.8] and stumps at [0, 0.4] (reference populate_array)
    assert child.pit_gap == (0.0, 0.8) and child.stump_height == (0.0, 0.4)
    # descriptor of the paper: [roughness, gap lo, gap hi, stump lo, stump hi]
    np.testing.assert_allclose(fam.descriptor(child), [child.roughness, 0.0, 0.8, 0.0, 0.4])
    assert fam.distance(p0, child) == pytest.approx(np.sqrt(child.roughness**2 + 0.8**2 + 0.4**2))


def test_walker_cppn_courses():
    from aiga.envs.walker.cppn import ConnectionGene, CppnGenome, NodeGene

    fam = get_family("walker", courses="cppn", seed=7)
    p0 = fam.initial()
    assert p0.cppn is not None and p0.cppn.num_hidden == 0 and p0.seed == 7
    child = fam.mutate(p0, np.random.default_rng(0))
    assert child.cppn is not None and child.cppn != p0.cppn
    # distance = RMS height difference of the courses: two lines of slope 1 and 2 over x' in [-pi, pi)
    def line(w):
        return CppnGenome(nodes=(NodeGene(0, "identity", 0.0),), connections=(ConnectionGene(-1, 0, w),))

    from aiga.envs.walker.cppn import course_inputs
    from aiga.envs.walker.terrain import CourseParams

    a, b = CourseParams.from_cppn(line(1.0)), CourseParams.from_cppn(line(2.0))
    xs = course_inputs()
    diff = np.where(np.arange(200) > 21, xs - xs[21], 0.0)  # profile(2) - profile(1) = 1 * (x - x_21)
    assert fam.distance(a, b) == pytest.approx(np.sqrt(np.mean(diff**2)))
    with pytest.raises(ConfigError, match="needs a 'cppn' genome"):
        fam.from_dict(CourseParams().to_dict())


@pytest.mark.parametrize("opts", [{"courses": "hills"}, {"kinds": ("lava",)}, {"sample_mutations": 0},
                                  {"cppn_rise_grid": "sky"}])
def test_walker_bad_options(opts):
    with pytest.raises(ConfigError):
        get_family("walker", **opts)

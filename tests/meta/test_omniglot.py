"""The Omniglot loader on the shared 242-character subset (skipped where it is absent) and on a tiny
hand-made folder."""

import os
from pathlib import Path

import numpy as np
import pytest

jax = pytest.importorskip("jax")

from aiga.core.config import AigaError  # noqa: E402
from aiga.meta.omniglot import (  # noqa: E402
    OmniglotSampler,
    load_characters,
    omniglot_samplers,
    split_characters,
    with_rotations,
)

SUBSET = Path(os.environ.get("AIGA_OMNIGLOT", Path(__file__).resolve().parents[3] / "shared/data/omniglot"))


@pytest.fixture(scope="module")
def subset():
    if not SUBSET.is_dir() or not any(SUBSET.glob("*.zip")):
        pytest.skip(f"Omniglot subset not found at {SUBSET}")
    return load_characters(SUBSET)


def test_subset_characters_are_deduplicated_and_preprocessed(subset):
    names, images = subset
    assert len(names) == 242 and len(set(names)) == 242  # Greek and Latin appear in both zips
    assert images.shape == (242, 20, 28, 28)
    assert images.min() >= 0.0 and images.max() <= 1.0
    assert images.mean() < 0.3  # inverted: strokes are 1 on a 0 background
    assert len({n.split("/")[0] for n in names}) == 8


def test_split_is_disjoint_and_covers_everything(subset):
    names, images = subset
    tr, te = split_characters(names)
    assert len(tr) == 161 and len(te) == 81
    assert not set(tr) & set(te) and set(tr) | set(te) == set(range(242))
    train_s, test_s = omniglot_samplers(str(SUBSET), n_way=5, k_shot=1, k_query=1, eval_query=1)
    train_imgs = {np.asarray(a).tobytes() for a in np.asarray(train_s.data).reshape(-1, 28, 28)}
    assert not any(np.asarray(a).tobytes() in train_imgs for a in np.asarray(test_s.data).reshape(-1, 28, 28))
    assert train_s.data.shape == (4 * 161, 20, 28, 28) and test_s.data.shape == (81, 20, 28, 28)


def test_rotations_are_new_classes(subset):
    _, images = subset
    rot = with_rotations(images[:3])
    assert rot.shape == (12, 20, 28, 28)
    for r in range(4):
        for c in range(3):
            np.testing.assert_array_equal(rot[3 * r + c], np.rot90(images[c], r, axes=(-2, -1)))
    assert not np.array_equal(rot[3], rot[0])  # a 90° rotation is a different picture


def test_episodes_have_n_way_k_shot_shapes(subset):
    _, images = subset
    s = OmniglotSampler(n_way=5, k_shot=3, k_query=4, data=jax.numpy.asarray(images[:40]))
    t = jax.jit(s.sample, static_argnums=2)(s.data, jax.random.PRNGKey(0), 8)
    t = jax.tree.map(np.asarray, t)
    assert t.support_x.shape == (8, 15, 28, 28, 1) and t.query_x.shape == (8, 20, 28, 28, 1)
    for i in range(8):
        assert np.bincount(np.asarray(t.support_y[i]), minlength=5).tolist() == [3] * 5
        assert np.bincount(np.asarray(t.query_y[i]), minlength=5).tolist() == [4] * 5
        cls = np.asarray(t.info[i])
        assert len(set(cls.tolist())) == 5
        sup = {np.asarray(x).tobytes() for x in t.support_x[i]}
        assert not any(np.asarray(x).tobytes() in sup for x in t.query_x[i])  # different drawers
        # each support image really belongs to the class its label names
        for x, y in zip(np.asarray(t.support_x[i]), np.asarray(t.support_y[i]), strict=True):
            assert any(np.array_equal(x[..., 0], d) for d in images[cls[y]])


def test_folder_layout_and_errors(tmp_path):
    from PIL import Image

    for a in ("Alpha", "Beta"):
        for c in (1, 2):
            d = tmp_path / "images_background" / a / f"character{c:02d}"
            d.mkdir(parents=True)
            for k in range(4):
                img = np.full((105, 105), 255, np.uint8)
                img[10 * k : 10 * k + 20, 30:40] = 0
                Image.fromarray(img).save(d / f"{c:04d}_{k:02d}.png")
    names, images = load_characters(tmp_path, image_size=14)
    assert names == ["Alpha/character01", "Alpha/character02", "Beta/character01", "Beta/character02"]
    assert images.shape == (4, 4, 14, 14) and images.max() > 0.9 and images.min() == 0.0
    (tmp_path / "empty").mkdir()
    with pytest.raises(AigaError, match="no Omniglot images"):
        load_characters(tmp_path / "empty")
    with pytest.raises(AigaError, match="does not exist"):
        load_characters(tmp_path / "missing")

"""Omniglot few-shot episodes (Lake et al. 2015) from a local copy, as MAML's experiments use them.

Reads the layout of brendenlake/omniglot: ``<root>/<Alphabet>/character<NN>/<drawer>.png`` (20
drawings of 105×105 per character), either as folders or inside the distributed zips
(``images_background.zip``, ``images_evaluation.zip``, or the "small" background subsets). ``path`` may
be one zip, one folder, or a folder holding several zips/folders; characters found twice (the small
subsets share Greek and Latin) are counted once. Nothing is ever downloaded.

Preprocessing follows cbfinn/maml (``data_generator.py`` and its resize script): Lanczos resize to 28×28,
grey levels scaled to [0, 1] and inverted so strokes are 1. Characters are split into disjoint
meta-training and held-out sets by a fixed-seed shuffle (the reference shuffles characters with seed 1
and takes 1,200 for training); the four rotations by multiples of 90° of each *training* character are
distinct classes (Santoro et al. 2016; Finn et al. 2017 §5.2). Held-out tasks use unrotated characters.

An N-way K-shot episode draws N classes, then K support and Q query drawings of each (distinct drawers),
and assigns the labels 0..N−1 in a random order, all as a pure JAX function of a key.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from aiga.core.config import AigaError
from aiga.meta.tasks import TaskBatch

_CHAR_RE = re.compile(r"(?:^|/)([^/]+)/(character\d+)/([^/]+\.png)$")
SPLIT_SEED = 1  # cbfinn: random.seed(1); random.shuffle(character_folders)


def _decode(data: bytes, size: int) -> np.ndarray:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        im = im.convert("L")
        if im.size != (size, size):
            im = im.resize((size, size), Image.LANCZOS)
        a = np.asarray(im, dtype=np.float32) / 255.0
    return 1.0 - a


def _sources(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise AigaError(f"Omniglot path {path} does not exist")
    return [path]


def load_characters(path: str | os.PathLike[str], image_size: int = 28) -> tuple[list[str], np.ndarray]:
    """All characters under ``path`` as ``(names, images)`` with ``images`` shaped
    ``[characters, 20, size, size]`` (float32, strokes = 1), names ``"Alphabet/characterNN"`` sorted."""
    path = Path(path)
    found: dict[str, dict[str, bytes | Path]] = {}

    def add(rel: str, item: bytes | Path) -> None:
        m = _CHAR_RE.search(rel.replace(os.sep, "/"))
        if m:
            found.setdefault(f"{m.group(1)}/{m.group(2)}", {}).setdefault(m.group(3), item)

    def scan_zip(z: Path) -> None:
        try:
            with zipfile.ZipFile(z) as zf:
                for name in zf.namelist():
                    if name.endswith(".png"):
                        add(name, zf.read(name))
        except zipfile.BadZipFile:
            raise AigaError(f"{z} is not a readable zip file") from None

    for src in _sources(path):
        if src.is_file():
            if src.suffix != ".zip":
                raise AigaError(f"Omniglot path {src} is neither a folder nor a .zip")
            scan_zip(src)
            continue
        for dirpath, _, files in sorted(os.walk(src)):
            for f in sorted(files):
                full = Path(dirpath) / f
                if f.endswith(".zip"):
                    scan_zip(full)
                elif f.endswith(".png"):
                    add(str(full.relative_to(src)), full)
    if not found:
        raise AigaError(f"no Omniglot images (<Alphabet>/characterNN/*.png) found under {path}")
    names = sorted(found)
    counts = {len(found[n]) for n in names}
    if len(counts) != 1 or min(counts) < 2:
        raise AigaError(f"Omniglot characters under {path} have unequal or too few drawings "
                        f"({sorted(counts)})")
    per = counts.pop()
    images = np.zeros((len(names), per, image_size, image_size), np.float32)
    for i, n in enumerate(names):
        for j, fname in enumerate(sorted(found[n])):
            item = found[n][fname]
            data = item.read_bytes() if isinstance(item, Path) else item
            try:
                images[i, j] = _decode(data, image_size)
            except OSError as e:
                raise AigaError(f"cannot decode Omniglot image {n}/{fname}: {e}") from None
    return names, images


def split_characters(names: list[str], train_characters: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Indices of meta-training and held-out characters: disjoint, from a fixed-seed shuffle."""
    n = len(names)
    k = train_characters or (2 * n) // 3
    if not 1 <= k < n:
        raise AigaError(f"train_characters must leave held-out characters: got {k} of {n} characters")
    perm = np.random.default_rng(SPLIT_SEED).permutation(n)
    return np.sort(perm[:k]), np.sort(perm[k:])


def with_rotations(images: np.ndarray) -> np.ndarray:
    """Each class and its rotations by 90°, 180°, 270° as four classes: [C, ...] -> [4C, ...], class
    ``r*C + c`` being class ``c`` rotated by ``r``·90°."""
    return np.concatenate([np.rot90(images, r, axes=(-2, -1)) for r in range(4)], axis=0)


@dataclass(frozen=True)
class OmniglotSampler:
    """N-way K-shot episodes over ``data`` = images ``[classes, drawers, H, W]`` (a jit argument)."""

    n_way: int
    k_shot: int
    k_query: int
    data: Any
    name: str = "omniglot"
    loss: str = "xent"

    def sample(self, data: Any, key: Any, num_tasks: int) -> TaskBatch:
        import jax
        import jax.numpy as jnp

        classes, drawers = data.shape[0], data.shape[1]
        n, k, q = self.n_way, self.k_shot, self.k_query

        def one(key: Any) -> TaskBatch:
            kc, kd = jax.random.split(key)
            cls = jax.random.choice(kc, classes, (n,), replace=False)  # random order = random labels
            draw = jax.vmap(lambda kk: jax.random.permutation(kk, drawers)[: k + q])(jax.random.split(kd, n))
            imgs = data[cls[:, None], draw][..., None]  # [n, k+q, H, W, 1]
            labels = jnp.broadcast_to(jnp.arange(n)[:, None], (n, k + q))
            sx = imgs[:, :k].reshape(n * k, *imgs.shape[2:])
            qx = imgs[:, k:].reshape(n * q, *imgs.shape[2:])
            return TaskBatch(sx, labels[:, :k].reshape(-1), qx, labels[:, k:].reshape(-1), cls)

        return jax.vmap(one)(jax.random.split(key, num_tasks))


def omniglot_samplers(path: str, *, n_way: int, k_shot: int, k_query: int, eval_query: int,
                      image_size: int = 28,
                      train_characters: int = 0) -> tuple[OmniglotSampler, OmniglotSampler]:
    """Meta-training sampler (training characters × 4 rotations) and held-out sampler (other characters)."""
    import jax.numpy as jnp

    names, images = load_characters(path, image_size)
    tr, te = split_characters(names, train_characters)
    if len(te) < n_way:
        raise AigaError(f"only {len(te)} held-out characters under {path}: too few for {n_way}-way tasks")
    if images.shape[1] < k_shot + max(k_query, eval_query):
        raise AigaError(f"{images.shape[1]} drawings per character: too few for {k_shot}-shot with "
                        f"{max(k_query, eval_query)} queries")
    train = OmniglotSampler(n_way, k_shot, k_query, jnp.asarray(with_rotations(images[tr])))
    test = OmniglotSampler(n_way, k_shot, eval_query, jnp.asarray(images[te]))
    return train, test

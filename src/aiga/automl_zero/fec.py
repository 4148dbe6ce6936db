"""Functional equivalence checking (FEC): a fingerprint of a program's behaviour, an LRU cache of fitnesses.

Paper: Real et al., AutoML-Zero (ICML 2020), Sec. 3.2 ("functional equivalence checking": run each
candidate on 10 train and 10 validation examples, truncate and hash the predictions, reuse the fitness of
an equivalent algorithm). Reference: google-research ``automl_zero/fec_cache.cc`` (``LRUCache``,
``FECCache::Find`` with ``forget_every``), ``fec_hashing.cc`` and ``evaluator.cc`` (fingerprint run with
the RNG re-seeded to ``kFunctionalCacheRandomSeed`` = 235732282, per-task keys salted with the task index
and the number of training examples).

The cache lives in plain arrays so that the numba evolution loop can use it without Python and a
checkpoint can store it (``arrays``/``from_arrays``); no pickle. Layout: ``slot_*`` arrays hold the
entries (key, fitness, hit count) on a doubly linked list in recency order (``meta`` = head, tail, size,
free-stack top), and an open-addressing hash table (linear probing, backward-shift deletion) maps keys to
slots. The table is rebuilt on load; its layout never changes which lookups hit.

Semantics as in ``FECCache::Find``: a hit moves the entry to the front and increments its count; when the
count reaches ``forget_every`` (100) the entry is erased, so the next equivalent program is evaluated
afresh. Insertion evicts the least recently used entry beyond ``cache_size`` (100,000).
"""

from __future__ import annotations

import numpy as np

from aiga.automl_zero.ops import mix64
from aiga.core.jit import njit

FEC_RANDOM_SEED = 235732282
HEAD, TAIL, SIZE, FREE_TOP = 0, 1, 2, 3


@njit(cache=True, nogil=True)
def fingerprint_hash(errs, n, task_index, n_train, buf32):
    """Hash of the fingerprint errors rounded to float32 ("truncated", as the paper says), salted with the
    task index and the training length (as ``WellMixedHash`` is)."""
    h = mix64(np.uint64(task_index) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(n_train))
    bits = buf32.view(np.uint32)
    for i in range(n):
        buf32[0] = errs[i]
        h = mix64(h ^ np.uint64(bits[0]) ^ (np.uint64(i) << np.uint64(32)))
    return mix64(h ^ np.uint64(n))


@njit(cache=True, nogil=True, inline="always")
def _home(key, mask):
    return np.int64(mix64(key) & np.uint64(mask))


@njit(cache=True, nogil=True)
def _table_find(t_key, t_slot, key):
    mask = t_slot.size - 1
    i = _home(key, mask)
    while t_slot[i] != -1:
        if t_key[i] == key:
            return i
        i = (i + 1) & mask
    return -1


@njit(cache=True, nogil=True)
def _table_insert(t_key, t_slot, key, slot):
    mask = t_slot.size - 1
    i = _home(key, mask)
    while t_slot[i] != -1:
        i = (i + 1) & mask
    t_key[i] = key
    t_slot[i] = slot


@njit(cache=True, nogil=True)
def _table_delete(t_key, t_slot, i):
    # Backward-shift deletion keeps linear probing correct without tombstones.
    mask = t_slot.size - 1
    j = i
    while True:
        j = (j + 1) & mask
        if t_slot[j] == -1:
            break
        k = _home(t_key[j], mask)
        if i <= j:
            if i < k <= j:
                continue
        else:
            if k <= j or k > i:
                continue
        t_key[i] = t_key[j]
        t_slot[i] = t_slot[j]
        i = j
    t_slot[i] = -1


@njit(cache=True, nogil=True)
def _unlink(s, prev, nxt, meta):
    p = prev[s]
    q = nxt[s]
    if p != -1:
        nxt[p] = q
    else:
        meta[HEAD] = q
    if q != -1:
        prev[q] = p
    else:
        meta[TAIL] = p


@njit(cache=True, nogil=True)
def _push_front(s, prev, nxt, meta):
    prev[s] = -1
    nxt[s] = meta[HEAD]
    if meta[HEAD] != -1:
        prev[meta[HEAD]] = s
    meta[HEAD] = s
    if meta[TAIL] == -1:
        meta[TAIL] = s


@njit(cache=True, nogil=True)
def _erase_slot(s, key, fit, cnt, prev, nxt, free, meta, t_key, t_slot):
    i = _table_find(t_key, t_slot, key[s])
    _table_delete(t_key, t_slot, i)
    _unlink(s, prev, nxt, meta)
    free[meta[FREE_TOP]] = s
    meta[FREE_TOP] += 1
    meta[SIZE] -= 1


@njit(cache=True, nogil=True)
def cache_find(k, key, fit, cnt, prev, nxt, free, meta, t_key, t_slot, forget_every):
    """``FECCache::Find``: (True, fitness) on a hit, (False, 0.0) on a miss."""
    i = _table_find(t_key, t_slot, k)
    if i == -1:
        return False, 0.0
    s = t_slot[i]
    f = fit[s]
    cnt[s] += 1
    if forget_every > 0 and cnt[s] >= forget_every:
        _erase_slot(s, key, fit, cnt, prev, nxt, free, meta, t_key, t_slot)
    else:
        _unlink(s, prev, nxt, meta)
        _push_front(s, prev, nxt, meta)
    return True, f


@njit(cache=True, nogil=True)
def cache_insert(k, f, key, fit, cnt, prev, nxt, free, meta, t_key, t_slot):
    """``FECCache::InsertOrDie`` (the key is known to be absent), evicting the LRU entry when full."""
    if meta[FREE_TOP] == 0:
        _erase_slot(meta[TAIL], key, fit, cnt, prev, nxt, free, meta, t_key, t_slot)
    meta[FREE_TOP] -= 1
    s = free[meta[FREE_TOP]]
    key[s] = k
    fit[s] = f
    cnt[s] = 0
    _push_front(s, prev, nxt, meta)
    _table_insert(t_key, t_slot, k, s)
    meta[SIZE] += 1


@njit(cache=True, nogil=True)
def _rebuild(key, nxt, meta, t_key, t_slot):
    t_slot[:] = -1
    s = meta[HEAD]
    while s != -1:
        _table_insert(t_key, t_slot, key[s], s)
        s = nxt[s]


def table_size(cache_size: int) -> int:
    n = 8
    while n < 2 * cache_size:
        n *= 2
    return n


class FECCache:
    """One cache (one per island). Array attributes are passed straight to the numba loop."""

    FIELDS = ("key", "fit", "cnt", "prev", "nxt", "free", "meta")

    def __init__(self, cache_size: int = 100_000, forget_every: int = 100) -> None:
        C = int(cache_size)
        self.cache_size = C
        self.forget_every = int(forget_every)
        self.key = np.zeros(C, np.uint64)
        self.fit = np.zeros(C, np.float64)
        self.cnt = np.zeros(C, np.int64)
        self.prev = np.full(C, -1, np.int64)
        self.nxt = np.full(C, -1, np.int64)
        self.free = np.arange(C - 1, -1, -1, dtype=np.int64)  # pop from the end: slot 0 first
        self.meta = np.array([-1, -1, 0, C], np.int64)
        T = table_size(C)
        self.t_key = np.zeros(T, np.uint64)
        self.t_slot = np.full(T, -1, np.int64)

    def args(self) -> tuple:
        return (
            self.key,
            self.fit,
            self.cnt,
            self.prev,
            self.nxt,
            self.free,
            self.meta,
            self.t_key,
            self.t_slot,
        )

    def find(self, k: int) -> tuple[bool, float]:
        found, f = cache_find(np.uint64(k), *self.args(), self.forget_every)
        return bool(found), float(f)

    def insert(self, k: int, f: float) -> None:
        cache_insert(np.uint64(k), float(f), *self.args())

    def __len__(self) -> int:
        return int(self.meta[SIZE])

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {f"{prefix}{name}": getattr(self, name) for name in self.FIELDS}

    def load_arrays(self, arrays: dict[str, np.ndarray], prefix: str) -> None:
        for name in self.FIELDS:
            a = arrays[f"{prefix}{name}"]
            cur = getattr(self, name)
            if a.shape != cur.shape:
                from aiga.core.config import AigaError

                raise AigaError(
                    f"checkpoint FEC cache array {name} has shape {a.shape}, expected {cur.shape}"
                )
            setattr(self, name, a.astype(cur.dtype, copy=True))
        _rebuild(self.key, self.nxt, self.meta, self.t_key, self.t_slot)

"""Toy objectives for the ES and worker tests: cheap, deterministic, picklable (spawned workers import
this module by name, so it lives at the top of tests/core)."""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Sphere:
    """Return = -|theta - target|^2 with a fixed target; 'length' = 1 + index of the largest entry."""

    dim: int
    target_seed: int = 0

    def cache_key(self) -> tuple:
        return ("sphere", self.dim, self.target_seed)

    def build(self):
        target = np.random.default_rng(self.target_seed).standard_normal(self.dim)

        def f(thetas: np.ndarray):
            d = thetas - target
            return -np.einsum("ij,ij->i", d, d), 1 + np.argmax(thetas, axis=1)

        return f


@dataclass(frozen=True)
class DieOnce:
    """Like ``Sphere``, but the first call in any process kills that process with SIGKILL (mid-task),
    once per marker file: the marker is created just before dying, so the retry succeeds."""

    dim: int
    marker: str

    def cache_key(self) -> tuple:
        return ("die-once", self.dim, self.marker)

    def build(self):
        inner = Sphere(self.dim).build()
        marker = self.marker

        def f(thetas: np.ndarray):
            try:
                fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                return inner(thetas)
            os.close(fd)
            os.kill(os.getpid(), signal.SIGKILL)
            raise AssertionError("unreachable")

        return f


@dataclass(frozen=True)
class BatchedSphere(Sphere):
    """``Sphere`` that asks for whole batches, as the compiled walker simulator does (``pairs_per_task``,
    ``thetas_per_task``); it records each call's batch size in its lengths so a test can see the chunks."""

    pairs_per_task: int = 16
    thetas_per_task: int = 5

    def cache_key(self) -> tuple:
        return ("batched-sphere", self.dim, self.target_seed, self.pairs_per_task, self.thetas_per_task)

    def build(self):
        inner = Sphere(self.dim, self.target_seed).build()

        def f(thetas: np.ndarray):
            returns, _ = inner(thetas)
            return returns, np.full(thetas.shape[0], thetas.shape[0])

        return f

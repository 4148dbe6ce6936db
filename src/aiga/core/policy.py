"""Small MLP policies stored as flat parameter vectors, with a batched forward pass.

POET (Wang et al. 2019) and Enhanced POET (Wang et al. 2020) control the bipedal walker with a
24-40-40-4 fully connected network, tanh on every layer including the output, 2,804 parameters,
initialised N(0, 0.1^2). Reference: uber-research/poet, ``poet_distributed/niches/box2d/model.py``
(from hardmaru/estool): ``Model.shapes = [(24, 40), (40, 40), (40, 4)]``, ``h = tanh(h @ W + b)`` per
layer, and ``set_model_params`` reads, for each layer in turn, the weight matrix of shape (in, out) in
row-major (C) order followed by the layer's bias. We keep exactly that packing so parameter vectors are
interchangeable with the reference's, and evolution strategies can treat a policy as one vector.

``act_batch`` evaluates B different parameter vectors on B observations at once with batched matmuls:
one forward per simulation step for a whole ES population instead of B small ones. Each row is computed
independently of the others, so the batched result for a row equals ``act`` on that row bit for bit
(tests check this), which keeps batched and one-at-a-time evaluation interchangeable.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from aiga.core.config import AigaError

POET_WALKER_SIZES = (24, 40, 40, 4)
"""Layer sizes of the reference walker policy (input, hidden, hidden, output)."""

INIT_STDEV = 0.1
"""Standard deviation of the reference's initial parameters (``get_random_model_params(stdev=0.1)``)."""


class MLPPolicy:
    """A tanh MLP whose parameters live in one flat vector, packed like the reference.

    Layout for layer ``i`` with ``n_in -> n_out``: ``n_in * n_out`` weights (row-major, shape
    ``(n_in, n_out)``, so ``out = in @ W``), then ``n_out`` biases; layers follow each other.
    """

    def __init__(self, sizes: Sequence[int] = POET_WALKER_SIZES) -> None:
        sizes = tuple(int(s) for s in sizes)
        if len(sizes) < 2 or any(s < 1 for s in sizes):
            raise AigaError(f"policy sizes must be at least two positive integers, got {sizes}")
        self.sizes = sizes
        self.shapes = [(sizes[i], sizes[i + 1]) for i in range(len(sizes) - 1)]
        # (weight start, weight end, bias end) offsets in the flat vector, per layer
        self._offsets: list[tuple[int, int, int]] = []
        pointer = 0
        for n_in, n_out in self.shapes:
            w_end = pointer + n_in * n_out
            b_end = w_end + n_out
            self._offsets.append((pointer, w_end, b_end))
            pointer = b_end
        self.num_params = pointer

    def __repr__(self) -> str:
        return f"MLPPolicy(sizes={self.sizes}, num_params={self.num_params})"

    @property
    def obs_size(self) -> int:
        return self.sizes[0]

    @property
    def action_size(self) -> int:
        return self.sizes[-1]

    def init(self, rng: np.random.Generator) -> np.ndarray:
        """Initial parameters, N(0, 0.1^2) per entry as the reference (float64)."""
        return rng.standard_normal(self.num_params) * INIT_STDEV

    def layers(self, thetas: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """Views ``(W (B, in, out), b (B, out))`` per layer of a (B, P) parameter batch (no copies)."""
        thetas = self._check_batch(thetas)
        batch = thetas.shape[0]
        out = []
        for (n_in, n_out), (w0, w1, b1) in zip(self.shapes, self._offsets, strict=True):
            out.append((thetas[:, w0:w1].reshape(batch, n_in, n_out), thetas[:, w1:b1]))
        return out

    @staticmethod
    def forward(layers: list[tuple[np.ndarray, np.ndarray]], obs: np.ndarray) -> np.ndarray:
        """Forward pass of pre-unpacked layers (see ``layers``) on a (B, in) observation batch."""
        h = np.asarray(obs, dtype=np.float64)[:, None, :]
        for w, b in layers:
            h = np.tanh(np.matmul(h, w) + b[:, None, :])
        return h[:, 0, :]

    def act_batch(self, thetas: np.ndarray, obs: np.ndarray) -> np.ndarray:
        """Actions (B, out) for parameter vectors ``thetas`` (B, P) on observations ``obs`` (B, in)."""
        obs = np.asarray(obs, dtype=np.float64)
        thetas = self._check_batch(thetas)
        if obs.ndim != 2 or obs.shape != (thetas.shape[0], self.obs_size):
            raise AigaError(
                f"observations must have shape ({thetas.shape[0]}, {self.obs_size}), got {obs.shape}"
            )
        return self.forward(self.layers(thetas), obs)

    def act(self, theta: np.ndarray, obs: np.ndarray) -> np.ndarray:
        """Action (out,) of one parameter vector on one observation.

        The same per-row arithmetic as ``act_batch`` (a (1, in) @ (in, out) matmul per layer, the
        inner product ``act_batch`` runs for each row), without the batch bookkeeping: bit-identical
        to ``act_batch(theta[None], obs[None])[0]`` (tested) and several times faster for one walker.
        """
        theta = np.asarray(theta, dtype=np.float64)
        h = np.asarray(obs, dtype=np.float64)
        if theta.shape != (self.num_params,) or h.shape != (self.obs_size,):
            raise AigaError(f"act takes one parameter vector ({self.num_params},) and one observation "
                            f"({self.obs_size},), got {theta.shape} and {h.shape} (act_batch for many)")
        h = h[None, :]
        for (n_in, n_out), (w0, w1, b1) in zip(self.shapes, self._offsets, strict=True):
            h = np.tanh(np.matmul(h, theta[w0:w1].reshape(n_in, n_out)) + theta[w1:b1])
        return h[0]

    def _check_batch(self, thetas: np.ndarray) -> np.ndarray:
        thetas = np.asarray(thetas, dtype=np.float64)
        if thetas.ndim != 2 or thetas.shape[1] != self.num_params:
            raise AigaError(
                f"policy parameters must have shape (B, {self.num_params}) for sizes {self.sizes}, "
                f"got {thetas.shape}"
            )
        return thetas

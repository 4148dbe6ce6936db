"""The rules of POET and Enhanced POET as pure functions, each testable by hand.

Wang, Lehman, Clune, Stanley, "Paired Open-Ended Trailblazer (POET)", 2019 (arXiv:1901.01753), and
Wang et al., "Enhanced POET", ICML 2020 (arXiv:2003.08536); reference code uber-research/poet
(``original_poet`` branch: ``poet_algo.py``, ``novelty.py``, ``es.py``; ``master`` for Enhanced POET).

Nothing here runs an environment: the loop (``aiga.poet.loop``) gathers scores and asks these functions
what to do with them, so every decision can be checked against a hand computation.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from aiga.core.es import centered_ranks

# ------------------------------------------------------------------------------ minimal criterion


def passes_mc(score: float, lo: float, hi: float) -> bool:
    """The minimal criterion: neither too easy nor too hard. Both ends inclusive, as the reference's
    ``pass_mc`` (``score < lo or score > hi`` fails)."""
    return lo <= score <= hi


def eligible_parents(scores: dict[Hashable, float | None], threshold: float) -> list[Hashable]:
    """Niches allowed to reproduce: current score ``>= threshold`` (200), in niche order."""
    return [k for k, s in scores.items() if s is not None and s >= threshold]


# ------------------------------------------------------------------------------ novelty


def knn_novelty(x: np.ndarray, archive: np.ndarray, k: int = 5) -> float:
    """Mean Euclidean distance from ``x`` to its ``k`` nearest points of ``archive`` (POET).

    ``archive`` holds every environment ever admitted (active and retired). With fewer than ``k``
    points, the mean is over all of them, as the reference's ``argsort()[:k]`` does.
    """
    archive = np.asarray(archive, dtype=np.float64).reshape(-1, np.asarray(x).size)
    if archive.shape[0] == 0:
        return float("inf")
    d = np.linalg.norm(archive - np.asarray(x, dtype=np.float64)[None, :], axis=1)
    return float(np.sort(d, kind="stable")[:k].mean())


def pata_ec(scores: Sequence[float] | np.ndarray, lo: float, hi: float) -> np.ndarray:
    """PATA-EC of one environment (Enhanced POET): the scores of a fixed, ordered set of agents on it,
    clipped to the minimal-criterion band ``[lo, hi]``, turned into centred ranks.

    Clipping is what makes it about *ordering that matters*: two agents that both fail (or both master)
    the environment tie, whatever their raw scores.
    """
    clipped = np.clip(np.asarray(scores, dtype=np.float64).ravel(), lo, hi)
    if clipped.size < 2:  # one agent: nothing to rank (the reference divided by zero here)
        return np.zeros(clipped.size)
    return centered_ranks(clipped)


def pata_ec_novelty(child: np.ndarray, others: Iterable[np.ndarray], k: int = 5) -> float:
    """Mean distance from the child's PATA-EC vector to its ``k`` nearest among the others' (all
    computed over the same agents in the same order)."""
    others = [np.asarray(o, dtype=np.float64) for o in others]
    for o in others:
        if o.shape != np.shape(child):
            raise ValueError("PATA-EC vectors must be computed over the same agents")
    if not others:
        return float("inf")
    return knn_novelty(np.asarray(child, dtype=np.float64), np.stack(others), k)


# ------------------------------------------------------------------------------ transfer


@dataclass(frozen=True)
class TransferCandidate:
    """A candidate agent for a target niche: ``kind`` is ``direct`` (the source agent as it is) or
    ``proposal`` (after one ES step on the target)."""

    source: Hashable
    kind: str
    score: float


def poet_transfer_choice(
    incumbent: float, candidates: Sequence[TransferCandidate]
) -> TransferCandidate | None:
    """POET's rule: the best candidate replaces the incumbent only if strictly better.

    Candidates are considered in the reference's order (all direct transfers by source order, then all
    proposals); each must beat the best so far *strictly*, so on a tie the earlier one (or the
    incumbent) stays. Returns ``None`` when the incumbent keeps its niche.
    """
    best, choice = incumbent, None
    for c in candidates:
        if c.score > best:
            best, choice = c.score, c
    return choice


def enhanced_transfer_threshold(recent_scores: Sequence[float], window: int = 5) -> float:
    """Enhanced POET's bar for a transfer into a niche: the best of the niche's last ``window`` scores."""
    if not recent_scores:
        return float("-inf")
    return float(max(list(recent_scores)[-window:]))


def enhanced_should_fine_tune(direct_score: float, threshold: float) -> bool:
    """Only a source whose direct score beats the threshold is worth a fine-tuning (proposal) step."""
    return direct_score > threshold


def enhanced_transfer_choice(
    incumbent: float, threshold: float, fine_tuned: Sequence[TransferCandidate]
) -> TransferCandidate | None:
    """Enhanced POET's gated rule: accept the best *fine-tuned* candidate that beats both the threshold
    and the current score (strictly); direct candidates are never accepted as they are."""
    best, choice = max(incumbent, threshold), None
    for c in fine_tuned:
        if c.kind != "proposal":
            raise ValueError("Enhanced POET accepts only fine-tuned (proposal) candidates")
        if c.score > best:
            best, choice = c.score, c
    return choice


# ------------------------------------------------------------------------------ population


def to_retire(active_in_creation_order: Sequence[Hashable], capacity: int) -> list[Hashable]:
    """The oldest niches beyond ``capacity`` (the reference's ``remove_oldest``)."""
    excess = len(active_in_creation_order) - capacity
    return list(active_in_creation_order[:excess]) if excess > 0 else []


def difficulty_counts(solved_difficulties: Iterable[str | None]) -> dict[str, int]:
    """Counts of solved environments per difficulty class, each environment in its own class only
    (the POET paper reports the three classes separately)."""
    out = {"challenging": 0, "very challenging": 0, "extremely challenging": 0}
    for d in solved_difficulties:
        if d in out:
            out[d] += 1
    return out


def annecs(admitted_at: dict[Hashable, int], first_solved_at: dict[Hashable, int], iteration: int) -> int:
    """ANNECS at ``iteration`` (Enhanced POET, Sec. 3.1): the number of environments created by the run
    that passed the minimal criterion when admitted and have been solved (score >= 230) by some agent at
    or before ``iteration``. The initial environment is not "created" by the run and is left out by the
    caller; an environment counts once, whenever it was first solved (active or not)."""
    return sum(
        1
        for env, t in first_solved_at.items()
        if env in admitted_at and admitted_at[env] <= iteration and t <= iteration
    )

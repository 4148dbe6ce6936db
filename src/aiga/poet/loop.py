"""The POET loop (and Enhanced POET's), readable top to bottom.

Wang, Lehman, Clune, Stanley, "Paired Open-Ended Trailblazer (POET)", 2019, Algorithm 1-3; Wang et al.,
"Enhanced POET", ICML 2020. Reference code: uber-research/poet, ``poet_algo.py``
(``MultiESOptimizer.optimize``): every iteration, in this order,

1. **reproduction** (iteration > 0, every ``reproduce_every``): niches scoring at least
   ``repro_threshold`` are eligible parents; ``max_children`` times a parent is drawn uniformly and its
   course mutated; a child that duplicates an active course is dropped; the child must pass the minimal
   criterion with the parent's agent; survivors are ranked by novelty (POET: mean distance to the 5
   nearest of every course ever admitted; Enhanced POET: PATA-EC); in that order each child gets the
   best of every active agent, direct or after one proposal step, and is admitted if that best score
   passes the minimal criterion, up to ``max_admitted``; then the oldest niches beyond ``capacity``
   retire to the archive;
2. **one ES step per niche**, then one evaluation rollout of the new θ (its *score*);
3. **transfer** (more than one niche, every ``transfer_every``, iteration 0 included): POET tries every
   other agent directly and after a proposal step and takes a strictly better one; Enhanced POET
   fine-tunes only agents whose direct score beats the best of the target's last five scores and
   accepts only a fine-tuned one above that bar and the current score. Accepting resets the optimiser.

The rules themselves are pure functions in ``aiga.poet.rules``; this file gathers scores and applies
them. Randomness: the reproducer's generator (parent choice, mutation, course seeds) is checkpointed;
ES noise is keyed by (iteration, niche, purpose), so no generator is needed for it and results do not
depend on how many workers evaluate. Everything the loop decides is an event in the run store.

The loop is family-agnostic (``aiga.envs.family.EnvFamily``): ``--family walker`` scores courses with
``aiga.envs.walker.evaluate.CourseObjective``; ``--family maze`` scores grid mazes with
``aiga.envs.maze.objective.MazeObjective`` (greedy MLP agent, one deterministic rollout), mutates them with
ACCEL's edit (``MazeFamily.mutate``) and measures novelty on ``MazeFamily.descriptor``. The agent's layer
sizes come from the family (``policy_sizes``; POET's 24-40-40-4 walker MLP when a family names none).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from aiga.core.config import AigaError
from aiga.core.es import ESConfig, ESState, es_step_many, proposal_steps, reset_optimizer
from aiga.core.progress import progress
from aiga.core.runstore import RunContext, run_status, start_run
from aiga.core.seeding import make_rng, rng_from_state, rng_state
from aiga.envs.family import EnvFamily, get_family
from aiga.poet import rules
from aiga.poet.config import POETConfig

SYSTEM = "poet"


@dataclass
class Niche:
    """A course paired with the agent that learns on it (the reference's ``ESOptimizer``)."""

    nid: int
    env: Any
    es: ESState
    created_at: int
    parent: int | None
    score: float | None = None  # score of the current θ on this course (the reference's self_evals)
    recent: list[float] = field(default_factory=list)  # the last scores, for Enhanced POET's threshold
    best_score: float | None = None
    transfers_in: int = 0
    transfers_out: int = 0

    @property
    def name(self) -> str:
        return f"n{self.nid}"


@dataclass
class Retired:
    """A niche moved to the archive: its course stays in novelty's archive, its agent (Enhanced POET)
    stays in PATA-EC's set of agents. Neither ever changes again, so their scores are cached."""

    nid: int
    env: Any
    theta: np.ndarray
    created_at: int
    retired_at: int
    parent: int | None
    score: float | None


class POET:
    """One POET run: state, the iteration, checkpoints. Built by ``train``; tests drive it directly."""

    def __init__(self, cfg: POETConfig, family: EnvFamily[Any], evaluator: Any, store: Any = None) -> None:
        self.cfg = cfg
        self.family = family
        self.evaluator = evaluator
        self.store = store
        self.enhanced = cfg.variant == "enhanced"
        self.es_cfg: ESConfig = cfg.es
        # Admission proposals start from a fresh optimiser; the reference's ``evaluate_transfer`` makes
        # them with a plain SGD step at the initial learning rate (``propose_with_adam=False``).
        self.admit_es_cfg = dataclasses.replace(cfg.es, propose_with_adam=False)
        self.niches: list[Niche] = []
        self.archive: list[Retired] = []
        self.rng = make_rng(cfg.seed, "reproduction")
        self.next_id = 0
        self.iteration = -1  # last completed iteration
        self.admitted_at: dict[int, int] = {}  # courses created by the run -> iteration admitted
        self.first_solved_at: dict[int, int] = {}
        self.difficulty: dict[int, str | None] = {}
        self.parents: dict[int, int | None] = {}
        self.counters = {"admitted": 0, "transfers": 0, "attempts": 0, "retired": 0, "env_steps": 0}
        self.score_cache: dict[tuple[int, int], float] = {}  # (archived agent, course) -> score
        self._events: list[tuple[str, dict[str, Any]]] = []

    # ------------------------------------------------------------------ set-up

    def start(self) -> None:
        from aiga.core.policy import POET_WALKER_SIZES, MLPPolicy

        env = self.family.initial()
        sizes = getattr(self.family, "policy_sizes", POET_WALKER_SIZES)
        theta = MLPPolicy(sizes).init(make_rng(self.cfg.seed, "policy-init"))
        self._add_niche(env, theta, created_at=0, parent=None)

    def _add_niche(self, env: Any, theta: np.ndarray, created_at: int, parent: int | None) -> Niche:
        n = Niche(self.next_id, env, ESState.initial(theta, self.es_cfg), created_at, parent)
        self.next_id += 1
        self.niches.append(n)
        self.parents[n.nid] = parent
        self.difficulty[n.nid] = _difficulty(self.family, env)
        return n

    # ------------------------------------------------------------------ evaluation helpers

    def objective(self, env: Any) -> Any:
        """The family's picklable "score thetas on this environment" recipe (``aiga.core.workers``)."""
        if self.family.name == "walker":
            from aiga.envs.walker.evaluate import CourseObjective

            return CourseObjective(env, self.cfg.max_steps, sim=self.cfg.sim)
        if self.family.name == "maze":
            from aiga.envs.maze.objective import MazeObjective

            return MazeObjective(env, self.cfg.max_steps)
        raise AigaError(f"POET has no ES agent for the {self.family.name!r} family (walker or maze)")

    def scores(self, jobs: list[tuple[Any, np.ndarray]]) -> np.ndarray:
        """One rollout per (course, θ): the course is deterministic (defect 5: no repeats)."""
        if not jobs:
            return np.zeros(0)
        res = self.evaluator.evaluate([(self.objective(env), theta) for env, theta in jobs])
        self.counters["env_steps"] += int(res.env_steps)
        return res.returns

    def proposals(
        self, requests: list[tuple[np.ndarray, ESState, Any, tuple]], cfg: ESConfig
    ) -> list[np.ndarray]:
        """One proposal step per ``(theta, owner state, course, noise key)``, all in one round of tasks."""
        if not requests:
            return []
        out = proposal_steps(
            [(th, owner, self.objective(env), key) for th, owner, env, key in requests],
            cfg,
            self.evaluator,
            self.cfg.seed,
        )
        self.counters["env_steps"] += sum(st.env_steps for _, st in out)
        return [th for th, _ in out]

    def event(self, kind: str, **data: Any) -> None:
        self._events.append((kind, data))

    # ------------------------------------------------------------------ one iteration

    def step(self) -> None:
        it = self.iteration + 1
        cfg = self.cfg
        if it > 0 and it % cfg.reproduce_every == 0:
            self.reproduce(it)
        self.es_steps(it)
        if len(self.niches) > 1 and it % cfg.transfer_every == 0:
            self.transfer(it)
        for n in self.niches:
            if n.score is not None and n.score >= cfg.solved_score and n.nid not in self.first_solved_at:
                self.first_solved_at[n.nid] = it
                self.event("solved", niche=n.nid, score=n.score, difficulty=self.difficulty[n.nid])
        self.iteration = it

    def es_steps(self, it: int) -> None:
        results = es_step_many(
            [n.es for n in self.niches],
            self.es_cfg,
            [self.objective(n.env) for n in self.niches],
            self.evaluator,
            self.cfg.seed,
            [("es", n.nid, it) for n in self.niches],
        )
        for n, (state, stats) in zip(self.niches, results, strict=True):
            n.es = state
            self.counters["env_steps"] += stats.env_steps
        new_scores = self.scores([(n.env, n.es.theta) for n in self.niches])
        for n, s in zip(self.niches, new_scores, strict=True):
            self._set_score(n, float(s))

    def _set_score(self, n: Niche, s: float) -> None:
        n.score = s
        n.recent = (n.recent + [s])[-self.cfg.transfer_window :]
        if n.best_score is None or s > n.best_score:
            n.best_score = s

    # ------------------------------------------------------------------ transfer

    def transfer(self, it: int) -> None:
        """One transfer round; every decision uses the agents as they were before the round."""
        niches = self.niches
        thetas = {n.nid: n.es.theta for n in niches}
        pairs = [(s, t) for t in niches for s in niches if s is not t]
        direct = dict(
            zip(
                [(s.nid, t.nid) for s, t in pairs],
                self.scores([(t.env, thetas[s.nid]) for s, t in pairs]),
                strict=True,
            )
        )
        thresholds = {
            t.nid: rules.enhanced_transfer_threshold(t.recent, self.cfg.transfer_window) for t in niches
        }
        if self.enhanced:  # fine-tune only what beats the target's recent best directly
            tune = [
                (s, t)
                for s, t in pairs
                if rules.enhanced_should_fine_tune(direct[(s.nid, t.nid)], thresholds[t.nid])
            ]
        else:
            tune = pairs
        proposed = dict(
            zip(
                [(s.nid, t.nid) for s, t in tune],
                self.proposals(
                    [(thetas[s.nid], t.es, t.env, ("transfer", it, s.nid, t.nid)) for s, t in tune],
                    self.es_cfg,
                ),
                strict=True,
            )
        )
        prop_scores = dict(
            zip(proposed, self.scores([(t.env, proposed[(s.nid, t.nid)]) for s, t in tune]), strict=True)
        )
        decisions: list[tuple[Niche, rules.TransferCandidate, np.ndarray]] = []
        for t in niches:
            sources = [s for s in niches if s is not t]
            tuned = [s.nid for s in sources if (s.nid, t.nid) in proposed]
            threshold = thresholds[t.nid]
            if self.enhanced:
                cands = [
                    rules.TransferCandidate(nid, "proposal", float(prop_scores[(nid, t.nid)]))
                    for nid in tuned
                ]
                choice = rules.enhanced_transfer_choice(t.score, threshold, cands)
            else:
                cands = [
                    rules.TransferCandidate(s.nid, "direct", float(direct[(s.nid, t.nid)])) for s in sources
                ]
                cands += [
                    rules.TransferCandidate(nid, "proposal", float(prop_scores[(nid, t.nid)]))
                    for nid in tuned
                ]
                choice = rules.poet_transfer_choice(t.score, cands)
            for s in sources:
                key = (s.nid, t.nid)
                self.event(
                    "transfer",
                    source=s.nid,
                    target=t.nid,
                    direct=float(direct[key]),
                    proposal=float(prop_scores[key]) if key in prop_scores else None,
                    incumbent=t.score,
                    threshold=threshold if self.enhanced else None,
                    accepted=None if choice is None or choice.source != s.nid else choice.kind,
                )
            if choice is not None:
                theta = thetas[choice.source] if choice.kind == "direct" else proposed[(choice.source, t.nid)]
                decisions.append((t, choice, theta))
        for t, choice, theta in decisions:
            t.es = reset_optimizer(t.es, self.es_cfg, theta=theta)
            self._set_score(t, choice.score)
            t.transfers_in += 1
            self._niche(choice.source).transfers_out += 1
            self.counters["transfers"] += 1

    def _niche(self, nid: int) -> Niche:
        for n in self.niches:
            if n.nid == nid:
                return n
        raise KeyError(nid)

    # ------------------------------------------------------------------ reproduction

    def reproduce(self, it: int) -> None:
        cfg = self.cfg
        parents = rules.eligible_parents({n.nid: n.score for n in self.niches}, cfg.repro_threshold)
        if not parents:
            self.event("reproduction", eligible=[], attempts=0, admitted=None)
            return
        pata = self._pata_ec_table() if self.enhanced else None
        candidates = []
        for attempt in range(cfg.max_children):
            pid = parents[int(self.rng.integers(len(parents)))]
            parent = self._niche(pid)
            child = self.family.mutate(parent.env, self.rng)
            self.counters["attempts"] += 1
            record = {"attempt": attempt, "parent": pid, "child": self.family.to_dict(child)}
            if any(self.family.distance(child, n.env) == 0.0 for n in self.niches):
                self.event("attempt", **record, outcome="duplicate of an active course")
                continue
            parent_score = float(self.scores([(child, parent.es.theta)])[0])
            record["parent_score"] = parent_score
            if not rules.passes_mc(parent_score, cfg.mc_lo, cfg.mc_hi):
                self.event(
                    "attempt", **record, outcome="failed the minimal criterion with the parent's agent"
                )
                continue
            record["novelty"] = self._novelty(child, pata)
            candidates.append((record, child))
        # most novel first; a stable sort keeps attempt order among equals
        candidates.sort(key=lambda c: -c[0]["novelty"])
        admitted = 0
        for record, child in candidates:
            if admitted >= cfg.max_admitted:
                self.event("attempt", **record, outcome="not tried: admission limit reached")
                continue
            best, theta, source = self._best_transfer_into(child, it, record["attempt"])
            record.update(best_score=best, best_source=source)
            if rules.passes_mc(best, cfg.mc_lo, cfg.mc_hi):
                n = self._add_niche(child, theta, created_at=it, parent=record["parent"])
                self.admitted_at[n.nid] = it
                self.counters["admitted"] += 1
                admitted += 1
                self.event("attempt", **record, outcome="admitted", niche=n.nid)
                self.event(
                    "admitted",
                    niche=n.nid,
                    parent=record["parent"],
                    course=record["child"],
                    score=best,
                    novelty=record["novelty"],
                    difficulty=self.difficulty[n.nid],
                )
            else:
                self.event("attempt", **record, outcome="failed the minimal criterion after transfer")
        for nid in rules.to_retire([n.nid for n in self.niches], cfg.capacity):
            self._retire(nid, it)
        self.event("reproduction", eligible=parents, attempts=cfg.max_children, admitted=admitted)

    def _best_transfer_into(self, child: Any, it: int, attempt: int) -> tuple[float, np.ndarray, str]:
        """The reference's ``evaluate_transfer``: every active agent directly, then after one SGD proposal
        step from a fresh optimiser; the first strictly better score wins."""
        direct = self.scores([(child, n.es.theta) for n in self.niches])
        proposed = self.proposals(
            [
                (n.es.theta, ESState.initial(n.es.theta, self.es_cfg), child, ("admit", it, attempt, n.nid))
                for n in self.niches
            ],
            self.admit_es_cfg,
        )
        prop_scores = self.scores([(child, th) for th in proposed])
        best, theta, source = -np.inf, None, ""
        for n, d, prop, p in zip(self.niches, direct, proposed, prop_scores, strict=True):
            if d > best:
                best, theta, source = float(d), n.es.theta, f"n{n.nid}"
            if p > best:
                best, theta, source = float(p), prop, f"n{n.nid}+proposal"
        return best, np.array(theta), source

    def _retire(self, nid: int, it: int) -> None:
        n = self._niche(nid)
        self.niches.remove(n)
        self.archive.append(Retired(n.nid, n.env, np.array(n.es.theta), n.created_at, it, n.parent, n.score))
        self.counters["retired"] += 1
        self.event("retired", niche=nid, score=n.score, age=it - n.created_at)

    # ------------------------------------------------------------------ novelty

    def _novelty(self, child: Any, pata: dict[str, Any] | None) -> float:
        if not self.enhanced:
            archive = [r.env for r in self.archive] + [n.env for n in self.niches]
            return rules.knn_novelty(
                self.family.descriptor(child),
                np.stack([self.family.descriptor(e) for e in archive]),
                self.cfg.novelty_k,
            )
        assert pata is not None
        child_scores = self._agent_scores_on(child, None, pata["agents"])
        vec = rules.pata_ec(child_scores, self.cfg.mc_lo, self.cfg.mc_hi)
        return rules.pata_ec_novelty(vec, pata["vectors"], self.cfg.novelty_k)

    def _pata_ec_table(self) -> dict[str, Any]:
        """PATA-EC of every course (archived, then active) over every agent (archived, then active), as the
        reference's ``update_pata_ec``. Archived agents' scores are cached (defect 7: the reference
        re-ran them at every event)."""
        agents = [(r.nid, r.theta, True) for r in self.archive] + [
            (n.nid, n.es.theta, False) for n in self.niches
        ]
        courses = [(r.nid, r.env) for r in self.archive] + [(n.nid, n.env) for n in self.niches]
        vectors = [
            rules.pata_ec(self._agent_scores_on(env, cid, agents), self.cfg.mc_lo, self.cfg.mc_hi)
            for cid, env in courses
        ]
        return {"agents": agents, "vectors": vectors}

    def _agent_scores_on(
        self, env: Any, course_id: int | None, agents: list[tuple[int, np.ndarray, bool]]
    ) -> np.ndarray:
        out = np.empty(len(agents))
        todo = []
        for i, (aid, _, archived) in enumerate(agents):
            if archived and course_id is not None and (aid, course_id) in self.score_cache:
                out[i] = self.score_cache[(aid, course_id)]
            else:
                todo.append(i)
        fresh = self.scores([(env, agents[i][1]) for i in todo])
        for i, s in zip(todo, fresh, strict=True):
            out[i] = s
            aid, _, archived = agents[i]
            if archived and course_id is not None:
                self.score_cache[(aid, course_id)] = float(s)
        return out

    # ------------------------------------------------------------------ figures

    def annecs(self) -> int:
        return rules.annecs(self.admitted_at, self.first_solved_at, self.iteration)

    def metrics(self) -> dict[str, float]:
        m: dict[str, float] = {
            "annecs": self.annecs(),
            "niches/active": len(self.niches),
            "niches/archived": len(self.archive),
            "admitted/total": self.counters["admitted"],
            "transfers/total": self.counters["transfers"],
            "env_steps/total": self.counters["env_steps"],
        }
        solved = [self.difficulty[nid] for nid in self.first_solved_at]
        for k, v in rules.difficulty_counts(solved).items():
            m[f"solved/{k.replace(' ', '_')}"] = v
        for n in self.niches:
            if n.score is not None:
                m[f"score/n{n.nid}"] = n.score
        scores = [n.score for n in self.niches if n.score is not None]
        if scores:
            m["score/max"] = max(scores)
            m["score/mean"] = float(np.mean(scores))
        return m

    # ------------------------------------------------------------------ checkpoints

    def state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        arrays: dict[str, np.ndarray] = {}
        niches = []
        for n in self.niches:
            arrays.update(n.es.to_arrays(prefix=f"n{n.nid}/"))
            niches.append(
                {
                    "nid": n.nid,
                    "env": self.family.to_dict(n.env),
                    "es": n.es.meta(),
                    "created_at": n.created_at,
                    "parent": n.parent,
                    "score": n.score,
                    "recent": n.recent,
                    "best_score": n.best_score,
                    "transfers_in": n.transfers_in,
                    "transfers_out": n.transfers_out,
                }
            )
        archive = []
        for r in self.archive:
            arrays[f"a{r.nid}/theta"] = r.theta
            archive.append(
                {
                    "nid": r.nid,
                    "env": self.family.to_dict(r.env),
                    "created_at": r.created_at,
                    "retired_at": r.retired_at,
                    "parent": r.parent,
                    "score": r.score,
                }
            )
        meta = {
            "iteration": self.iteration,
            "next_id": self.next_id,
            "rng": rng_state(self.rng),
            "niches": niches,
            "archive": archive,
            "counters": self.counters,
            "admitted_at": _int_keys_out(self.admitted_at),
            "first_solved_at": _int_keys_out(self.first_solved_at),
            "parents": _int_keys_out(self.parents),
            "score_cache": [[a, c, s] for (a, c), s in sorted(self.score_cache.items())],
        }
        return arrays, meta

    def restore(self, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        try:
            self.iteration = int(meta["iteration"])
            self.next_id = int(meta["next_id"])
            self.rng = rng_from_state(meta["rng"])
            self.niches = []
            for d in meta["niches"]:
                es = ESState.from_arrays(arrays, d["es"], prefix=f"n{d['nid']}/")
                self.niches.append(
                    Niche(
                        int(d["nid"]),
                        self.family.from_dict(d["env"]),
                        es,
                        int(d["created_at"]),
                        d["parent"],
                        d["score"],
                        list(d["recent"]),
                        d["best_score"],
                        int(d["transfers_in"]),
                        int(d["transfers_out"]),
                    )
                )
            self.archive = [
                Retired(
                    int(d["nid"]),
                    self.family.from_dict(d["env"]),
                    np.asarray(arrays[f"a{d['nid']}/theta"]),
                    int(d["created_at"]),
                    int(d["retired_at"]),
                    d["parent"],
                    d["score"],
                )
                for d in meta["archive"]
            ]
            self.counters = {k: int(v) for k, v in meta["counters"].items()}
            self.admitted_at = _int_keys_in(meta["admitted_at"])
            self.first_solved_at = _int_keys_in(meta["first_solved_at"])
            self.parents = {int(k): v for k, v in meta["parents"].items()}
            self.score_cache = {(int(a), int(c)): float(s) for a, c, s in meta["score_cache"]}
        except (KeyError, TypeError, ValueError) as e:
            raise AigaError(f"POET checkpoint is incomplete or malformed ({e!r})") from None
        envs = [n.env for n in self.niches] + [r.env for r in self.archive]
        ids = [n.nid for n in self.niches] + [r.nid for r in self.archive]
        self.difficulty = {i: _difficulty(self.family, e) for i, e in zip(ids, envs, strict=True)}

    def flush(self, store: Any) -> list[tuple[str, dict[str, Any]]]:
        """Write this iteration's events and metrics, then the checkpoint if due (rows first: see
        ``aiga.core.runstore``). Returns the events written."""
        events, self._events = self._events, []
        store.log_events(self.iteration, events)
        store.log_metrics(self.iteration, self.metrics())
        last = self.iteration + 1 >= self.cfg.iterations
        if (self.iteration + 1) % self.cfg.checkpoint_every == 0 or last:
            arrays, meta = self.state()
            store.save_checkpoint(self.iteration, arrays, meta)
        return events


def _difficulty(family: EnvFamily[Any], env: Any) -> str | None:
    f = getattr(family, "difficulty", None)
    return f(env) if f is not None else None


def _int_keys_out(d: dict[int, Any]) -> dict[str, Any]:
    return {str(k): v for k, v in sorted(d.items())}


def _int_keys_in(d: dict[str, Any]) -> dict[int, int]:
    return {int(k): int(v) for k, v in d.items()}


def make_family(cfg: POETConfig) -> EnvFamily[Any]:
    if cfg.family == "maze":
        return get_family("maze", n_edits=cfg.maze_edits)
    return get_family(
        "walker", courses="cppn" if cfg.variant == "enhanced" else "poet", seed=cfg.seed % (2**63)
    )


@dataclass(frozen=True)
class POETResult:
    run_dir: str
    iteration: int
    annecs: int
    active: int
    admitted: int
    transfers: int


def train(
    *,
    resume: str | None = None,
    run_dir: str | None = None,
    preset: dict[str, Any] | None = None,
    config_file: str | None = None,
    overrides: dict[str, Any] | None = None,
    workers: int | None = None,
    ray: str | None = None,
    hours: float | None = None,
) -> POETResult:
    """Create or resume a POET run and iterate until the budget (or ``hours`` of wall time)."""
    from aiga.core.workers import make_evaluator

    evaluator = make_evaluator(workers, ray)  # a bad --ray fails before anything is written
    try:
        ctx = start_run(
            SYSTEM,
            POETConfig,
            resume=resume,
            run_dir=run_dir,
            preset=preset,
            config_file=config_file,
            overrides=overrides,
        )
        try:
            if ctx.config.family == "walker":
                from aiga.envs.walker.evaluate import prepare_sim

                prepare_sim(ctx.config.sim)
            return _loop(ctx, evaluator, hours)
        finally:
            ctx.store.close()
    finally:
        evaluator.close()


def _loop(ctx: RunContext, evaluator: Any, hours: float | None) -> POETResult:
    cfg: POETConfig = ctx.config
    store = ctx.store
    poet = POET(cfg, make_family(cfg), evaluator, store)
    if ctx.checkpoint is not None:
        poet.restore(ctx.checkpoint.arrays, ctx.checkpoint.meta)
    else:
        poet.start()
    deadline = None if hours is None else time.monotonic() + hours * 3600
    t0, steps0 = time.perf_counter(), poet.counters["env_steps"]
    with (
        run_status(store),
        progress(cfg.iterations, f"poet {cfg.variant}", initial=poet.iteration + 1) as bar,
    ):
        while poet.iteration + 1 < cfg.iterations:
            if deadline is not None and time.monotonic() > deadline:
                store.set_status("stopped")
                break
            poet.step()
            for kind, data in poet.flush(store):
                if kind == "admitted":
                    bar.write(
                        f"iteration {poet.iteration}: admitted n{data['niche']} "
                        f"({poet.family.describe(poet.family.from_dict(data['course']))})"
                    )
            rate = (poet.counters["env_steps"] - steps0) / max(time.perf_counter() - t0, 1e-9)
            best = max((n.score for n in poet.niches if n.score is not None), default=float("nan"))
            bar.update(
                1,
                niches=len(poet.niches),
                admitted=poet.counters["admitted"],
                transfers=poet.counters["transfers"],
                annecs=poet.annecs(),
                best=best,
                steps_s=f"{rate:,.0f}",
            )
            store.set_info(steps_per_s=f"{rate:.1f}")
    return POETResult(
        str(store.path),
        poet.iteration,
        poet.annecs(),
        len(poet.niches),
        poet.counters["admitted"],
        poet.counters["transfers"],
    )

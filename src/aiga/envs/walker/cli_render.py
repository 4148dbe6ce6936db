"""``aiga render``: pictures of walker courses (PNG) and of a policy's episode on one (GIF or MP4).

    aiga render course --roughness 3 --pit-gap 1 2.4 --stump-height 0.4 1.2 -o course.png
    aiga render course --params course.toml -o course.png
    aiga render course --cppn-mutations 30 --seed 4 -o hills.png          (an Enhanced POET course)
    aiga render episode --theta theta.npz --params course.json -o run.mp4
    aiga render episode --random --seed 3 --roughness 1 -o run.gif
    aiga render episode --random --sim box2d -o run.gif                    (in the Box2D reference)

A course comes from a TOML/JSON file of ``CourseParams`` fields (``--params``; what run directories
store), then the flags on top. Drawing is ``aiga.envs.walker.render``; this module only parses and
checks everything before anything is written, so a bad flag or file gives one line and exit status 2.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from aiga.core.config import AigaError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")


def _float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if v != v or v in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return v


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def _nonneg_int(text: str) -> int:
    v = _int(text)
    if v < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {v}")
    return v


def _pos_int(text: str) -> int:
    v = _int(text)
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {v}")
    return v


def add_course_args(p: argparse.ArgumentParser, *, seed_help: str | None = None) -> None:
    """The flags that describe one walker course (shared by ``aiga render`` and ``aiga walker``)."""
    g = p.add_argument_group("course (a --params file first, then these flags on top)")
    g.add_argument("--params", metavar="FILE", default=None,
                   help="TOML or JSON file of course fields (roughness, pit_gap, stump_height, stair_height, "
                        "stair_steps, cppn, seed)")
    g.add_argument("--roughness", type=_float, metavar="R", default=None, help="ground roughness in [0, 10]")
    g.add_argument("--pit-gap", type=_float, nargs=2, metavar=("LO", "HI"), default=None,
                   help="pit widths 1 + U(LO, HI) steps, within [0, 8]")
    g.add_argument("--stump-height", type=_float, nargs=2, metavar=("LO", "HI"), default=None,
                   help="stump heights U(LO, HI) steps, within [0, 5]")
    g.add_argument("--stair-height", type=_float, nargs=2, metavar=("LO", "HI"), default=None,
                   help="stair riser heights U(LO, HI) steps (with --stair-steps)")
    g.add_argument("--stair-steps", type=_int, nargs=2, metavar=("LO", "HI"), default=None,
                   help="number of stairs randint(LO, HI), 1 <= LO < HI <= 9")
    g.add_argument("--cppn-mutations", type=_nonneg_int, metavar="N", default=None,
                   help="an Enhanced POET course: the reference's start genome after N CPPN mutations "
                        "(drawn from --seed)")
    g.add_argument("--course-seed", type=_nonneg_int, metavar="N", default=None,
                   help="the course's seed (ground noise, obstacles, initial push); "
                        "default: the file's, else --seed")
    p.add_argument("--seed", type=_nonneg_int, default=0, metavar="N",
                   help=seed_help or "seed of everything random here (default 0)")


def load_params_file(path: str) -> dict[str, Any]:
    """A course file as a dict: ``.json`` by JSON, anything else as TOML."""
    from aiga.core.config import ConfigError, load_toml

    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"course file {p} does not exist")
    if p.suffix.lower() == ".json":
        try:
            data = json.loads(p.read_text())
        except FileNotFoundError:
            raise ConfigError(f"course file {p} does not exist") from None
        except json.JSONDecodeError as e:
            raise ConfigError(f"course file {p} is not valid JSON: {e}") from None
        except OSError as e:
            raise ConfigError(f"cannot read course file {p}: {e.strerror}") from None
        if isinstance(data, dict) and "params" in data and isinstance(data["params"], dict):
            data = data["params"]  # a file written by ``aiga walker demo`` / ``info --json``
    else:
        data = load_toml(p)
    if not isinstance(data, dict):
        raise ConfigError(f"course file {p} must hold a table of course fields")
    return data


def course_from_args(args: argparse.Namespace, default: dict[str, Any] | None = None):
    """The ``CourseParams`` that the file and flags describe (validated; raises one-line errors)."""
    from aiga.core.config import ConfigError
    from aiga.envs.walker.terrain import CourseParams

    # a file or a CPPN course replaces the command's default course entirely
    data: dict[str, Any] = {} if (args.params or args.cppn_mutations is not None) else dict(default or {})
    if args.params:
        data.update(load_params_file(args.params))
    for flag in ("roughness", "pit_gap", "stump_height", "stair_height", "stair_steps"):
        v = getattr(args, flag, None)
        if v is not None:
            data[flag] = list(v) if isinstance(v, list) else v
    if "seed" not in data or not args.params:
        data["seed"] = args.seed
    if args.course_seed is not None:
        data["seed"] = args.course_seed
    if args.cppn_mutations is not None:
        if data.get("cppn") is not None:
            raise ConfigError("--cppn-mutations and a 'cppn' genome in --params exclude each other")
        for flag in ("roughness", "pit_gap", "stump_height", "stair_height", "stair_steps"):
            if data.get(flag):  # None, 0 and [] are fine
                raise ConfigError(f"a CPPN course has no roughness or obstacles; drop {flag}")
    params = CourseParams.from_dict(data)
    if args.cppn_mutations is not None:
        from aiga.core.seeding import make_rng
        from aiga.envs.walker.cppn import CppnGenome

        rng = make_rng(args.seed, "render-cppn")
        genome = CppnGenome.initial(rng)
        for _ in range(args.cppn_mutations):
            genome = genome.mutate(rng)
        params = CourseParams.from_cppn(genome, seed=params.seed)
    return params


def check_image_path(path: str) -> Path:
    p = Path(path)
    if p.suffix.lower() not in IMAGE_SUFFIXES:
        raise AigaError(f"course picture must end in {', '.join(IMAGE_SUFFIXES)}; got {p.name!r}")
    if p.exists() and p.is_dir():
        raise AigaError(f"{p} is a directory")
    return p


def add_parser(subparsers: argparse._SubParsersAction, name: str) -> None:
    p = subparsers.add_parser(name, help="draw a walker course (PNG) or a policy's episode on it (GIF/MP4)",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="what", metavar="WHAT")
    p.set_defaults(func=lambda a: _missing(p))

    c = sub.add_parser("course", help="the whole course to scale, as a PNG")
    add_course_args(c)
    c.add_argument("-o", "--output", required=True, metavar="FILE.png", help="where to write the picture")
    c.add_argument("--px-per-unit", type=_float, default=16.0, metavar="K",
                   help="pixels per world unit (default 16; the simulator's viewport uses 30)")
    c.set_defaults(func=run_course)

    e = sub.add_parser("episode", help="a policy's episode on a course, as GIF or MP4 (by extension)")
    add_course_args(e, seed_help="seed of the course (unless given otherwise) and of --random's policy")
    who = e.add_mutually_exclusive_group(required=True)
    who.add_argument("--theta", metavar="FILE.npz", help="policy parameters (.npz with 'theta', or .npy)")
    who.add_argument("--random", action="store_true",
                     help="a random 24-40-40-4 policy, N(0, 0.1^2) from --seed")
    e.add_argument("-o", "--output", required=True, metavar="FILE.gif|FILE.mp4",
                   help="where to write the video")
    e.add_argument("--every", type=_pos_int, default=2, metavar="N", help="draw every N-th step (default 2)")
    e.add_argument("--fps", type=_float, default=50.0, metavar="F",
                   help="playback speed in simulation steps per second (default 50 = real time)")
    e.add_argument("--max-steps", type=_pos_int, default=2000, metavar="N", help="episode cap (default 2000)")
    e.add_argument("--scale", type=_float, default=1.0, metavar="S", help="frame size x 600x400 (default 1)")
    e.add_argument("--no-lidar", action="store_true", help="do not draw the lidar rays")
    add_sim_arg(e)
    e.set_defaults(func=run_episode)


def add_sim_arg(p: argparse.ArgumentParser, default: str = "fast") -> None:
    """``--sim``: the simulator an episode runs in (the one a policy trained in shows its trained gait)."""
    from aiga.envs.walker.evaluate import SIMS

    p.add_argument("--sim", choices=SIMS, default=default,
                   help=f"walker simulator: fast (compiled, compiled once on first use; what 'aiga poet' and "
                        f"'aiga es' train in by default) or box2d (the reference) (default {default})")


def _missing(p: argparse.ArgumentParser) -> int:
    raise AigaError("say what to render: 'aiga render course ...' or 'aiga render episode ...'")


def run_course(args: argparse.Namespace) -> int:
    from aiga.envs.walker.render import draw_course

    out = check_image_path(args.output)
    params = course_from_args(args)
    img = draw_course(params, px_per_unit=args.px_per_unit)
    out.parent.mkdir(parents=True, exist_ok=True)
    img.save(out)
    print(f"wrote {out} ({img.width} x {img.height})")
    return 0


def random_theta(seed: int):
    """The random policy of ``--random``: the reference's initialisation N(0, 0.1^2) from ``seed``."""
    from aiga.core.policy import MLPPolicy
    from aiga.core.seeding import make_rng

    return MLPPolicy().init(make_rng(seed, "random-policy"))


def run_episode(args: argparse.Namespace) -> int:
    from aiga.core.policy import MLPPolicy
    from aiga.envs.walker.evaluate import prepare_sim
    from aiga.envs.walker.render import check_video_path, load_theta, render_episode

    out = check_video_path(args.output)
    if out.exists() and out.is_dir():
        raise AigaError(f"{out} is a directory")
    if not 0.1 <= args.scale <= 4:
        raise AigaError(f"--scale must be in [0.1, 4], got {args.scale:g}")
    if args.fps <= 0:
        raise AigaError(f"--fps must be positive, got {args.fps:g}")
    params = course_from_args(args)
    theta = random_theta(args.seed) if args.random else load_theta(args.theta, MLPPolicy().num_params)
    prepare_sim(args.sim)
    res = render_episode(params, theta, out, fps=args.fps, every=args.every, max_steps=args.max_steps,
                         scale=args.scale, lidar=not args.no_lidar, sim=args.sim)
    how = "finished the course" if res.finished else ("fell" if res.fell else "ran out of steps")
    print(f"wrote {res.path}: {res.frames} frames, {res.steps} steps, return {res.episode_return:.1f}, "
          f"{how} at x = {res.final_x:.1f}")
    return 0

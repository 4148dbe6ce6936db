"""``aiga walker``: look at POET's walker courses without training anything.

    aiga walker demo                     a random 24-40-40-4 agent on a POET course: GIF + PNG in a new folder
    aiga walker demo --seed 3 --cppn-mutations 20      the same on an Enhanced POET (CPPN) course
    aiga walker info --roughness 4.6 --pit-gap 5.6 6.0 --stump-height 2.0 2.4
    aiga walker info --params course.toml --json

``demo`` is the README's first quick-start command until POET lands: it needs no configuration, takes
seconds, and writes ``course.png``, ``episode.gif``, the course (``course.json``) and the policy
(``theta.npz``) into ``runs/walker-demo-<timestamp>/`` (or ``--run-dir``), then prints where. The two
saved files re-render the same episode with ``aiga render episode --params course.json --theta
theta.npz -o ...``. ``info`` prints a course's description, POET difficulty class and descriptor.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from aiga.core.config import AigaError
from aiga.envs.walker.cli_render import _pos_int, add_course_args, add_sim_arg, course_from_args

#: The demo's course: some of everything POET uses, easy enough to be readable.
DEMO_COURSE = {"roughness": 1.5, "pit_gap": [0.8, 2.0], "stump_height": [0.4, 1.2]}


def add_parser(subparsers: argparse._SubParsersAction, name: str) -> None:
    p = subparsers.add_parser(name, help="walker obstacle courses: a quick demo GIF, course info",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="what", metavar="WHAT")
    p.set_defaults(func=_missing)

    d = sub.add_parser("demo", help="a random agent on a course: episode.gif and course.png in a new folder")
    add_course_args(d, seed_help="seed of the course and of the random policy (default 0)")
    d.add_argument("--run-dir", default=None, metavar="DIR",
                   help="where to write (default runs/walker-demo-<timestamp>); must be new or empty")
    d.add_argument("--max-steps", type=_pos_int, default=2000, metavar="N", help="episode cap (default 2000)")
    d.add_argument("--every", type=_pos_int, default=4, metavar="N",
                   help="draw every N-th step (default 4: 12.5 frames/s, real time)")
    d.add_argument("--format", choices=("gif", "mp4"), default="gif",
                   help="episode video format (default gif)")
    add_sim_arg(d, default="box2d")  # the quick start takes seconds: no first-use compile
    d.set_defaults(func=run_demo)

    i = sub.add_parser("info", help="describe a course: parameters, POET difficulty, descriptor")
    add_course_args(i)
    i.add_argument("--json", action="store_true", help="print the course as JSON (for --params)")
    i.set_defaults(func=run_info)


def _missing(args: argparse.Namespace) -> int:
    raise AigaError("say what to do: 'aiga walker demo' or 'aiga walker info ...' (see aiga walker --help)")


def _family_for(params):
    from aiga.envs.walker.family import WalkerFamily

    return WalkerFamily(courses="cppn" if params.cppn is not None else "poet")


def _run_dir(arg: str | None) -> Path:
    if arg is None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        d = Path("runs") / f"walker-demo-{stamp}"
        n = 1
        while d.exists():
            n += 1
            d = Path("runs") / f"walker-demo-{stamp}-{n}"
        return d
    d = Path(arg)
    if d.exists() and (not d.is_dir() or any(d.iterdir())):
        raise AigaError(f"--run-dir {d} exists and is not an empty directory")
    return d


def run_demo(args: argparse.Namespace) -> int:
    import numpy as np

    from aiga.envs.walker.cli_render import random_theta
    from aiga.envs.walker.render import draw_course, render_episode

    params = course_from_args(args, default=DEMO_COURSE)  # validated before anything is written
    out = _run_dir(args.run_dir)
    theta = random_theta(args.seed)
    family = _family_for(params)
    out.mkdir(parents=True, exist_ok=True)
    stored = {"family": "walker", "params": params.to_dict()}
    (out / "course.json").write_text(json.dumps(stored, indent=1) + "\n")
    np.savez(out / "theta.npz", theta=theta)
    draw_course(params).save(out / "course.png")
    video = out / f"episode.{args.format}"
    res = render_episode(params, theta, video, every=args.every, max_steps=args.max_steps, sim=args.sim)
    how = "finished the course" if res.finished else ("fell" if res.fell else "ran out of steps")
    print(f"course:  {family.describe(params)}")
    print(f"episode: random 24-40-40-4 policy (seed {args.seed}) {how} after {res.steps} steps at "
          f"x = {res.final_x:.1f}, return {res.episode_return:.1f}")
    print(f"wrote course.png, {video.name}, course.json and theta.npz into:")
    print(out)
    return 0


def run_info(args: argparse.Namespace) -> int:
    params = course_from_args(args)
    family = _family_for(params)
    if args.json:
        print(json.dumps(params.to_dict(), indent=1))
        return 0
    print(family.describe(params))
    print(f"difficulty: {params.difficulty() or 'not challenging'} (POET: stump >= 2.4, gap >= 6.0, "
          f"roughness >= 4.5)")
    desc = family.descriptor(params)
    if params.cppn is None:
        print("descriptor [roughness, gap_lo, gap_hi, stump_lo, stump_hi]: "
              + ", ".join(f"{v:g}" for v in desc))
    else:
        from aiga.envs.walker.cppn import course_profile

        prof = course_profile(params.cppn)
        print(f"CPPN rise on the reference grid {params.cppn.max_rise():.3f}; course heights "
              f"{prof.min():+.2f}..{prof.max():+.2f} around the start")
    return 0

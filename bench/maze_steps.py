"""Maze throughput: env steps/s of aiga's JAX maze, vmapped over 256 levels, random actions, with and without
the student network (conv-LSTM-256) choosing the actions; and jaxued's Maze on the same machine in the same
run when a Python with ``jaxued`` installed is given (``--jaxued-python``, e.g. a throwaway venv: jaxued is
never a dependency of aiga). Also checks bit-compatibility: the same levels and action sequences must give
identical observations, rewards and dones in both implementations. Prints one JSON line.

    python bench/maze_steps.py [--steps 1000] [--jaxued-python /tmp/jaxued-venv/bin/python]

Both sides auto-replay (a finished episode restarts its level) on every step, like the training loops.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

BATCH = 256

JAXUED_SCRIPT = r"""
import json, sys, time
import numpy as np, jax, jax.numpy as jnp
from jaxued.environments import Maze
from jaxued.environments.maze import Level
data = np.load(sys.argv[1])
steps, batch = int(sys.argv[2]), int(sys.argv[3])
env = Maze(max_height=13, max_width=13, agent_view_size=5, normalize_obs=False)
params = env.default_params
levels = Level(jnp.asarray(data["wall_map"]), jnp.asarray(data["goal_pos"], jnp.uint32),
               jnp.asarray(data["agent_pos"], jnp.uint32), jnp.asarray(data["agent_dir"], jnp.uint8),
               jnp.full(batch, 13), jnp.full(batch, 13))
reset = jax.vmap(env.reset_to_level, (0, 0, None))
step = jax.vmap(env.step, (0, 0, 0, None))
def sel(d, a, b):  # what jaxued's AutoReplayWrapper does: the level's reset state when done
    pick = lambda x, y: jnp.where(d.reshape(d.shape + (1,) * (x.ndim - 1)), x, y)
    return jax.tree_util.tree_map(pick, a, b)
def auto_replay(carry, x):
    state, start, start_obs = carry
    k, a = x
    obs, new, r, d, _ = step(jax.random.split(k, batch), state, a, params)
    return (sel(d, start, new), start, start_obs), (sel(d, start_obs, obs).image, r, d)
@jax.jit
def run(key, actions):
    obs0, start = reset(jax.random.split(key, batch), levels, params)
    keys = jax.random.split(key, actions.shape[0])
    _, out = jax.lax.scan(auto_replay, (start, start, obs0), (keys, actions))
    return out
acts = jnp.asarray(data["actions"])
img, rew, done = run(jax.random.PRNGKey(0), acts)
np.savez(sys.argv[4], image=np.asarray(img), reward=np.asarray(rew), done=np.asarray(done))
rand = jax.random.randint(jax.random.PRNGKey(1), (steps, batch), 0, 3)
jax.block_until_ready(run(jax.random.PRNGKey(0), rand))
t = time.perf_counter(); jax.block_until_ready(run(jax.random.PRNGKey(2), rand)); dt = time.perf_counter() - t
from importlib.metadata import version
print(json.dumps({"jaxued_env_steps_per_s": steps * batch / dt, "jaxued_version": version("jaxued")}))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--policy-steps", type=int, default=100)
    ap.add_argument("--jaxued-python", default="/tmp/jaxued-venv/bin/python")
    args = ap.parse_args()

    import jax
    import jax.numpy as jnp

    from aiga.envs.maze import env as maze
    from aiga.ued import common, networks

    key = jax.random.PRNGKey(0)
    levels = jax.jit(lambda k: common.random_levels(k, BATCH, 25))(key)
    start = jax.vmap(maze.reset_to_level)(levels)
    step = jax.vmap(maze.step_auto_replay, in_axes=(0, 0, 0, None))

    @jax.jit
    def env_only(actions):
        def body(s, a):
            s, obs, r, d = step(s, start, a, 250)
            return s, (obs.image, r, d)

        return jax.lax.scan(body, start, actions)[1]

    params = networks.init_student(jax.random.PRNGKey(1))

    @jax.jit
    def with_policy(k):
        def body(c, kk):
            s, obs, carry = c
            carry, logits, _ = networks.student_apply(params, obs.image[None], obs.agent_dir[None],
                                                      jnp.zeros((1, BATCH), bool), carry)
            a = jax.random.categorical(kk, logits[0])
            s, obs, r, d = step(s, start, a, 250)
            return (s, obs, carry), r

        obs0 = jax.vmap(maze.get_obs)(start)
        return jax.lax.scan(body, (start, obs0, networks.initial_carry(BATCH)),
                            jax.random.split(k, args.policy_steps))[1]

    rand = jax.random.randint(jax.random.PRNGKey(1), (args.steps, BATCH), 0, 3)
    jax.block_until_ready(env_only(rand))
    t = time.perf_counter()
    jax.block_until_ready(env_only(rand))
    env_sps = args.steps * BATCH / (time.perf_counter() - t)
    jax.block_until_ready(with_policy(key))
    t = time.perf_counter()
    jax.block_until_ready(with_policy(jax.random.PRNGKey(5)))
    pol_sps = args.policy_steps * BATCH / (time.perf_counter() - t)

    out = {"bench": "maze_steps", "batch": BATCH, "device": jax.devices()[0].platform,
           "aiga_env_steps_per_s": round(env_sps), "aiga_policy_steps_per_s": round(pol_sps),
           "omp_threads": os.environ.get("OMP_NUM_THREADS")}
    if os.path.exists(args.jaxued_python):
        with tempfile.TemporaryDirectory() as tmp:
            check_actions = np.asarray(jax.random.randint(jax.random.PRNGKey(7), (300, BATCH), 0, 7))
            lv = jax.tree_util.tree_map(np.asarray, levels)
            np.savez(f"{tmp}/in.npz", wall_map=lv.wall_map, goal_pos=lv.goal_pos, agent_pos=lv.agent_pos,
                     agent_dir=lv.agent_dir, actions=check_actions)
            script = f"{tmp}/jaxued_bench.py"
            with open(script, "w") as f:
                f.write(JAXUED_SCRIPT)
            proc = subprocess.run([args.jaxued_python, script, f"{tmp}/in.npz", str(args.steps), str(BATCH),
                                   f"{tmp}/out.npz"], capture_output=True, text=True, env={**os.environ})
            if proc.returncode == 0:
                res = json.loads(proc.stdout.strip().splitlines()[-1])
                out.update({k: (round(v) if isinstance(v, float) else v) for k, v in res.items()})
                out["env_ratio_aiga_over_jaxued"] = round(env_sps / res["jaxued_env_steps_per_s"], 2)
                ref = np.load(f"{tmp}/out.npz")
                img, rew, done = (np.asarray(x) for x in env_only(jnp.asarray(check_actions)))
                got = ((img, "image"), (rew, "reward"), (done, "done"))
                same = [np.array_equal(a, ref[k]) for a, k in got]
                out["bit_compatible"] = all(same)
            else:
                out["jaxued_error"] = proc.stderr.strip().splitlines()[-1][:200] if proc.stderr else "failed"
    else:
        out["jaxued"] = "not installed (pass --jaxued-python)"
    print(json.dumps(out))


if __name__ == "__main__":
    sys.exit(main())

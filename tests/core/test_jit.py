"""aiga.core.jit: numba's target features for wide vectors, and what it must leave alone."""

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from aiga.core import jit


def test_wide_vector_features_turns_off_the_256_bit_preference_only_with_avx512():
    assert jit.wide_vector_features("+avx2,+avx512f,+fma") == "+avx2,+avx512f,+fma,-prefer-256-bit"
    assert jit.wide_vector_features("+avx2,-avx512f,+fma") is None  # AVX2 only: nothing to gain
    assert jit.wide_vector_features("+avx512f,-prefer-256-bit") == "+avx512f,-prefer-256-bit"
    assert jit.wide_vector_features("+neon") is None


def test_configure_leaves_a_users_choice_and_the_opt_out_alone():
    from numba.core import config

    before = config.CPU_FEATURES
    user = {"NUMBA_CPU_FEATURES": "+sse2"}
    assert jit.configure(user) == before and user == {"NUMBA_CPU_FEATURES": "+sse2"}
    for word in ("0", "false", "Off", " no "):
        off = {jit.WIDE_VECTORS_ENV: word}
        assert jit.configure(off) == before and off == {jit.WIDE_VECTORS_ENV: word}
    # once numba has a function in this process it is too late to change LLVM's target: nothing changes
    jit.njit(lambda x: x)(1)
    late: dict = {}
    assert jit.configure(late) == before and late == {}
    assert config.CPU_FEATURES == before


def _fresh(code: str, **env) -> dict:
    drop = ("NUMBA_CPU_FEATURES", jit.WIDE_VECTORS_ENV)
    environ = {k: v for k, v in os.environ.items() if k not in drop}
    environ.update(env)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environ,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


_REPORT = ("import json, os; import llvmlite.binding as l; from numba.core import config; "
           "from aiga.core import jit; "
           "print(json.dumps({'host': l.get_host_cpu_features().flatten(), 'numba': config.CPU_FEATURES, "
           "'env': os.environ.get('NUMBA_CPU_FEATURES'), 'lanes': jit.float32_lanes()}))")


def test_a_fresh_process_gets_wide_vectors_exactly_when_the_cpu_has_avx512():
    got = _fresh(_REPORT)
    if "+avx512f" in got["host"].split(","):
        assert got["numba"] == got["host"] + ",-prefer-256-bit" == got["env"]  # workers inherit it
        assert got["lanes"] == 16
    else:
        assert got["numba"] is None and got["env"] is None and got["lanes"] == 8
    off = _fresh(_REPORT, **{jit.WIDE_VECTORS_ENV: "0"})
    assert off["numba"] is None and off["env"] is None and off["lanes"] == 8


def test_too_late_when_numba_compiled_first():
    got = _fresh("from numba import njit\n@njit\ndef f(x):\n    return x\nf(1)\n" + _REPORT)
    assert got["numba"] is None and got["env"] is None and got["lanes"] == 8


@pytest.mark.slow
def test_vector_width_does_not_change_rollouts(tmp_path):
    """The walker simulator compiled for 8-lane vectors (in a fresh process with its own numba cache) gives
    the same returns, bit for bit, as the default build (16 lanes where the CPU has AVX-512)."""
    code = ("import json, numpy as np\n"
            "from aiga.core.policy import MLPPolicy\n"
            "from aiga.envs.walker.fast_sim import CourseArrays, rollout_batch\n"
            "from aiga.envs.walker.terrain import CourseParams, generate_course\n"
            "arr = CourseArrays(generate_course(CourseParams(roughness=2.0, pit_gap=(1.0, 2.0), "
            "stump_height=(0.5, 1.0), seed=3)))\n"
            "rng = np.random.default_rng(0); th = np.stack([MLPPolicy().init(rng) for _ in range(24)])\n"
            "r, l, f = rollout_batch(arr, th, 300)\n"
            "print(json.dumps({'r': [float(x).hex() for x in r], 'l': l.tolist()}))")
    narrow = _fresh(code, **{jit.WIDE_VECTORS_ENV: "0", "NUMBA_CACHE_DIR": str(tmp_path)})
    here = _fresh(code)
    assert here == narrow
    assert np.ptp([float.fromhex(x) for x in here["r"]]) > 0  # the policies really differ


def _scale_rows(n, dst, src, factor):
    for i in range(n):
        dst[i] = src[i] * factor


def test_njit_kernel_declares_its_array_arguments_noalias_and_computes_the_same():
    kernel = jit.njit_kernel(cache=False)(_scale_rows)
    plain = jit.njit(cache=False)(_scale_rows)
    src = np.arange(40, dtype=np.float32)
    out_kernel, out_plain = np.zeros(40, np.float32), np.zeros(40, np.float32)
    kernel(37, out_kernel, src, np.float32(1.5))
    plain(37, out_plain, src, np.float32(1.5))
    np.testing.assert_array_equal(out_kernel, out_plain)
    assert out_kernel[36] == 54.0 and out_kernel[37] == 0.0  # 36 * 1.5; nothing written past n
    # numba passes an array as its fields; field 4 is the data pointer
    data_pointer = re.compile(r"ptr noalias[^,]*%arg\.dst\.4\b")
    assert bool(data_pointer.search(kernel.inspect_llvm(kernel.signatures[0]))) == bool(jit.NOALIAS_OPTION)
    assert not data_pointer.search(plain.inspect_llvm(plain.signatures[0]))


def test_noalias_option_is_left_out_when_numba_lacks_the_flag(monkeypatch):
    from numba.core.compiler import Flags

    assert jit._noalias_option() == jit.NOALIAS_OPTION  # registering twice is harmless
    monkeypatch.delattr(Flags, "noalias")
    assert jit._noalias_option() == {}
    monkeypatch.undo()
    from numba.core.options import TargetOptions

    monkeypatch.delattr(TargetOptions, "Mapping")  # internals that moved: no flag rather than an import error
    assert jit._noalias_option() == {}

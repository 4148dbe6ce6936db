"""Numba, set up for this CPU before anything compiles: aiga's compiled modules import ``njit`` from here.

Why: the compiled walker simulator's solver runs walkers in lockstep, one walker per float32 vector lane
(``envs/walker/fast_sim.py``). On CPUs with AVX-512 LLVM still prefers 256-bit vectors (its tuning for
Intel's server cores, to avoid the clock drop of early AVX-512 parts), so the loops run 8 walkers per
instruction where the registers hold 16. Turning that preference off (``-prefer-256-bit`` in the target
features numba hands LLVM) makes the solver's kernels 1.2-1.9x faster and whole rollouts about 1.2x faster
on this project's machines (docs/walker.md, "Vector width and reference counting"). Results do not change:
every aiga kernel computes each lane on its own, without fast-math, so no sum is reordered by the vector
width (tested bit for bit).

Numba reads its target features once, when the first function is decorated in the process, so this must
run first: importing this module does it. It changes nothing when the user set ``NUMBA_CPU_FEATURES``
(their choice wins), when ``AIGA_WIDE_VECTORS=0`` (or false, no, off), when the CPU has no AVX-512, or
when numba already compiled something in this process (then the width stays 256 bits and results are the
same). The setting goes into the environment too, so worker processes compile for the same target and
share numba's cache.
"""

from __future__ import annotations

import os
import sys

WIDE_VECTORS_ENV = "AIGA_WIDE_VECTORS"


def wide_vector_features(host_features: str) -> str | None:
    """``host_features`` (LLVM's comma-separated ``+feature`` list) with the 256-bit preference turned off,
    or ``None`` when the CPU has no AVX-512 (nothing to gain)."""
    features = host_features.split(",")
    if "+avx512f" not in features:
        return None
    if "-prefer-256-bit" in features:
        return host_features
    return host_features + ",-prefer-256-bit"


def _numba_compiled_yet() -> bool:
    """Whether numba's CPU target (and with it LLVM's target machine) exists in this process."""
    registry = sys.modules.get("numba.core.registry")
    return registry is not None and "_toplevel_target_context" in vars(registry.cpu_target)


def configure(environ=os.environ) -> str | None:
    """Set numba's target features for wide vectors when that is possible and wanted; returns the feature
    string now in effect for numba (``None``: numba's default, the host's own)."""
    from numba.core import config

    off = environ.get(WIDE_VECTORS_ENV, "").strip().lower() in ("0", "false", "no", "off")
    if "NUMBA_CPU_FEATURES" in environ or off or _numba_compiled_yet():
        return config.CPU_FEATURES
    import llvmlite.binding as llvm

    try:
        host = llvm.get_host_cpu_features().flatten()
    except RuntimeError:  # a host LLVM cannot describe (numba then uses the CPU name alone): leave it
        return config.CPU_FEATURES
    features = wide_vector_features(host)
    if features is not None:
        config.CPU_FEATURES = features
        environ["NUMBA_CPU_FEATURES"] = features
    return config.CPU_FEATURES


def float32_lanes() -> int:
    """float32 lanes per vector in the code numba generates here: 16 with wide vectors, else 8 (AVX2; on
    CPUs with narrower vectors 8 is still a sound padding unit)."""
    from numba.core import config

    features = (config.CPU_FEATURES or "").split(",")
    return 16 if "+avx512f" in features and "-prefer-256-bit" in features else 8


configure()

from numba import get_num_threads, njit, prange  # noqa: E402 - after configure(), on purpose
from numba.core.cpu import CPUTargetOptions  # noqa: E402

# numba's option to compile a function without reference counting (numba uses it for its own string code)
NO_REFCOUNT_OPTION = {"_nrt": False} if hasattr(CPUTargetOptions, "_nrt") else {}


def njit_no_refcount(**options):
    """``njit`` for functions that allocate nothing and return no arrays: numba's reference counting is left
    out. Why: numba increments and decrements (atomically) a counter for every array argument, view and
    tuple element a compiled function touches, and cannot remove the pairs around calls; in the walker
    simulator's per-walker code (collision, time of impact, the broad-phase tree, lidar, packing the
    lockstep solver) that was ~15 % of the time, and leaving it out makes rollouts 1.2x faster with the same
    results. Safe because the caller holds every array for the call's duration; a function that allocates
    fails to compile under it (numba's error), and none of them returns an array (checked once by hand
    for every compiled signature, see docs/walker.md). With a numba that lacks the option it is ``njit``."""
    return njit(**NO_REFCOUNT_OPTION, **options)


def _noalias_option() -> dict:
    """numba's flag that marks every pointer argument ``noalias`` (its parallel back end sets it on the
    functions it outlines) is not one of ``njit``'s options; registered here under ``_noalias`` when this
    numba has the flag, else nothing (the kernels then compile with LLVM's run-time overlap checks)."""
    try:
        from numba.core.compiler import Flags
        from numba.core.options import TargetOptions

        if not hasattr(Flags, "noalias"):
            return {}
        if not isinstance(getattr(CPUTargetOptions, "_noalias", None), TargetOptions.Mapping):
            CPUTargetOptions._noalias = TargetOptions.Mapping("noalias")
    except (ImportError, AttributeError, TypeError):  # a numba whose internals moved: no flag, same results
        return {}
    return {"_noalias": True}


NOALIAS_OPTION = _noalias_option()


def njit_kernel(**options):
    """``njit_no_refcount`` for the lockstep solver's kernels, with every array argument declared not to
    overlap any other (LLVM's ``noalias``). Why: a kernel's inner loop runs over walkers (vector lanes) and
    reads and writes a few dozen rows; unless LLVM knows the rows are distinct memory it vectorises the
    loop behind run-time checks of every written row against every read one, paid on each entry to the
    loop, which cost more than the loop's own work at 16-64 lanes (docs/walker.md, "Kernels without
    overlap checks"). The caller's contract: no two array arguments share an element (pass distinct rows of
    a field-major array, never the same array twice). Results do not change: the flag only removes checks
    that pass."""
    return njit(**NO_REFCOUNT_OPTION, **NOALIAS_OPTION, **options)


__all__ = ["NOALIAS_OPTION", "NO_REFCOUNT_OPTION", "WIDE_VECTORS_ENV", "configure", "float32_lanes",
           "get_num_threads", "njit", "njit_kernel", "njit_no_refcount", "prange", "wide_vector_features"]

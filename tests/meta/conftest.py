"""Tests of aiga.meta pin XLA and BLAS to one thread (the CI box has 2 shared cores) before JAX loads."""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")

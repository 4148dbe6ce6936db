"""Grid mazes for PAIRED, PLR⊥ and ACCEL in pure JAX (the references' canonical MiniGrid maze).

``level`` (levels as arrays, ASCII form), ``env`` (reset-to-level, step, egocentric view), ``paths``
(exact shortest paths and optimal returns on device), ``generators`` (DR sampling, ACCEL edits, the PAIRED
adversary's construction), ``suite`` (the held-out mazes, as data), ``family`` (the ``EnvFamily``
registered as ``"maze"``), ``render`` (pictures). Importing this package does not import JAX; the
submodules that need it do.
"""

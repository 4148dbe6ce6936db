"""The one place the library talks to the user while it works: a progress bar with an ETA.

Systems call ``progress(...)`` and update it with their figures; nothing else in the library prints.
The bar goes to stderr, so stdout stays clean for results (``aiga digest``, reports). Set
``AIGA_PROGRESS=0`` to silence it (tests do), ``AIGA_PROGRESS=1`` to force it when stderr is not a
terminal (a log file of an overnight run still gets periodic lines).
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from tqdm import tqdm


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}" if abs(v) < 1e5 else f"{v:.3e}"
    return str(v)


class Progress:
    """A tqdm bar whose postfix shows the system's figures (``update(n, best=..., mean=...)``)."""

    def __init__(self, total: int | None, desc: str, initial: int = 0, unit: str = "it") -> None:
        flag = os.environ.get("AIGA_PROGRESS", "")
        disable = flag == "0" or (
            flag != "1" and not sys.stderr.isatty() and "PYTEST_CURRENT_TEST" in os.environ
        )
        # When stderr is not a terminal, refresh at most every 30 s so log files stay readable.
        mininterval = 0.5 if sys.stderr.isatty() else 30.0
        self._bar = tqdm(
            total=total,
            desc=desc,
            initial=initial,
            unit=unit,
            dynamic_ncols=True,
            disable=disable,
            mininterval=mininterval,
            file=sys.stderr,
            smoothing=0.1,
        )
        self._t0 = time.perf_counter()

    def update(self, n: int = 1, **figures: Any) -> None:
        if figures:
            self._bar.set_postfix_str("  ".join(f"{k} {_fmt(v)}" for k, v in figures.items()), refresh=False)
        self._bar.update(n)

    def write(self, message: str) -> None:
        """A line above the bar (for events worth a line: an admission, a transfer)."""
        if not self._bar.disable:
            self._bar.write(message, file=sys.stderr)

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self._t0

    def close(self) -> None:
        self._bar.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def progress(total: int | None, desc: str, initial: int = 0, unit: str = "it") -> Progress:
    return Progress(total, desc, initial=initial, unit=unit)

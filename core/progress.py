"""The one progress contract of every core experiment and trainer.

A long computation takes `on_progress: Progress[R] | None` and calls `on_progress(fraction, partial)`
now and then: `fraction` in [0, 1], `partial` the computation's own result type `R`, filled so far
(its curves up to now, its pictures so far), so a page draws a partial result with the very code
that draws the final one. ui/runners.py turns these calls into a progress bar and a live chart.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

R = TypeVar("R")

Progress = Callable[[float, R], None]  # Progress[LiveRunResult]: on_progress(fraction, the LiveResult so far)


def report(on_progress: Progress[R] | None, fraction: float, partial: R) -> None:
    """Call `on_progress` if there is one (core code need not test for None at every report)."""
    if on_progress is not None:
        on_progress(fraction, partial)

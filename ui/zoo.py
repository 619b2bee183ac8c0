"""The zoo's models for the pages: one shared cache of trained models, filled visibly.

`trained(source, label)` returns the architecture's `Trained` (see core/zoo/source.py): the shipped
weights, or a student's recipe trained here under a progress bar. The very object is shared by
every session (never copied); views receive it as an input and must not change it. `card(key)` is
the overview's card of a zoo chapter, the first lines of its page's intro.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.zoo import overview
from core.zoo.source import Source, resolve
from ui import runners


def trained(source: Source, label: str, live: Callable[[Any], None] | None = None) -> Any:
    """The model of `source`, from the shared cache or made now (trained with a progress bar).

    `live(partial Trained)` redraws a page's chart while a student's recipe trains (never on a hit).
    """
    return runners.resource(resolve, source, label=label, live=live)


def card(key: str) -> str:
    """The zoo overview's card of chapter `key` as markdown lines: purpose, architecture, output."""
    found = overview.architecture(key)
    return (f"- **Purpose:** {found.purpose}\n- **Architecture:** {found.architecture}\n"
            f"- **Output:** {found.output}")

"""The zoo's models for the pages: one shared cache of trained models, filled visibly.

`trained(source, label)` returns the architecture's `Trained` (see core/zoo/source.py): the shipped
weights, or a student's recipe trained here under a progress bar (pages train one only through
`which`, on its button). The very object is shared by
every session (never copied); views receive it as an input and must not change it. `card(key)` is
the overview's card of a zoo chapter, the first lines of its page's intro.

Every zoo page opens with one bordered "which network" box: "Train it yourself" and its recipe,
then `which(...)`: the student's model once its button was pressed and it trained (ui/launch: a
slider move or a link never trains), else the shipped model, saying so.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from core.zoo import overview, recipe
from core.zoo.source import Source, module, resolve
from ui import launch, runners, show
from ui.untrusted import escape

C = TypeVar("C")
WAITING = ("Until yours is trained, {switches} the shipped {what}. The time on the button is for a free CPU "
           "core; it takes longer while the class shares the server.")


def trained(source: Source, label: str) -> Any:
    """The model of `source` from the shared cache, or made now under a progress bar (a shipped one: read)."""
    return runners.resource(resolve, source, label=label)


def which(recipe: Any, shipped: Source, *, label: str, what: str = "model", switches: str = "every view below shows",
          curves: Callable[[Any], Any] | None = None,
          live: Callable[[DeltaGenerator], Callable[[Any], None]] | None = None) -> tuple[Any, Source, DeltaGenerator]:
    """The student's model of `recipe` once trained on its button, else the shipped one (`recipe` None or not yet).

    The button states the architecture's `expected_seconds(recipe)` (core/zoo/<arch>.py: scaled
    from measured runs by the work the recipe asks for). Returns the model, its Source (the key of
    every view of it) and the slot under the button where `curves(Trained so far)` (a chart) grew
    while it trained, for the page to fill afterwards. `live(slot)` instead makes a redraw of more
    than one chart in that slot. `switches`: which views show the shipped model while waiting (and the
    student's once trained), as the page's intro says.
    """
    place, slot = st.container(), st.empty()
    if recipe is not None:
        own = Source(shipped.arch, recipe)
        redraw = (live(slot) if live is not None else
                  None if curves is None else (lambda part: show.redraw(slot, curves(part))))
        with place:
            mine = launch.run(resolve, own, key=f"{shipped.arch}-own-run", label=label, start="Train it",
                              seconds=module(shipped.arch).expected_seconds(recipe), live=redraw,
                              shared=True)
            if mine is not None:
                return mine, own, slot
            st.caption(WAITING.format(what=what, switches=switches))
    return trained(shipped, label="Reading the shipped weights"), shipped, slot


def or_example(make: Callable[[], C], example: Callable[[], C], shown: str) -> C:
    """`make()`, or for input that breaks its rules (a ValueError) a sentence and `example()`: the page goes on."""
    try:
        return make()
    except ValueError as error:
        st.error(f"{escape(str(error))} Showing {shown} instead.")
        return example()


def card(key: str) -> str:
    """The zoo overview's card of chapter `key` as markdown lines: purpose, architecture, output."""
    found = overview.architecture(key)
    return (f"- **Purpose:** {found.purpose}\n- **Architecture:** {found.architecture}\n"
            f"- **Output:** {found.output}")


def seed(where: DeltaGenerator, key: str, what: str = "") -> int:
    """The seed of a model a student trains: one of the few a class shares (core.zoo.recipe.SEEDS)."""
    label = f"Seed ({what}; 0 to {recipe.SEEDS - 1})" if what else f"Seed (0 to {recipe.SEEDS - 1})"
    return int(where.number_input(label, 0, recipe.SEEDS - 1, 0, key=key, bind="query-params",
                                  help="A few seeds only, shared by the class: a model trained with the same settings "
                                       "and seed is kept on the server for everyone who picks them, while the server "
                                       "has room for it."))


def trainer_said(messages: dict[str, str], kept_epoch: dict[str, int], epochs: int, named: bool = True) -> None:
    """What the trainer said of a student's run (`show.warnings`), each blown-up network's with the epoch whose
    weights the page shows: `kept_epoch` (core's `FitResult.best_epoch`) when it is short of the `epochs` asked."""
    show.warnings({name: message + kept_sentence(kept_epoch.get(name, epochs), epochs)
                   for name, message in messages.items()}, named)


def kept_sentence(kept: int, epochs: int) -> str:
    """" So the page shows its weights from epoch 0, before any training." for a network that kept fewer epochs
    than asked; "" for one that trained them all."""
    if kept >= epochs:
        return ""
    return f" So the page shows its weights from epoch {kept}" + (
        ", before any training." if kept == 0 else ", the last before its loss blew up.")


def untrained_notice(untrained: tuple[str, ...]) -> str | None:
    """The one notice of a section that would read training into networks that kept epoch 0 (core's
    `recipe.untrained`), in place of its own; None when every network trained."""
    if not untrained:
        return None
    one = len(untrained) == 1
    return (f"the {' and the '.join(untrained)} kept the weights of epoch 0: {'its' if one else 'their'} loss blew "
            f"up in the first epoch, so what this section shows of {'it' if one else 'them'} comes from the random "
            f"weights {'it' if one else 'they'} started with, not from training.")

"""Long computations (more than ~3 s) that start on a button, show their progress there, and can be stopped.

    trained = launch.run(resolve, source, key="fcn-run", label="Training the FCN", start="Train it",
                         seconds=fcn.expected_seconds(recipe), shared=True)
    if trained is None:  # not pressed yet for this recipe: show what there is meanwhile (the shipped model)
        ...

A slider move changes `cfg`, so it waits for a new press instead of training on every move; a URL
alone never starts one either (the press is remembered in session state, never in the URL). A setting
changed while a run goes on stops that run (Streamlit reruns the script): the button comes back with a
line that says so, and setting the old value again does not start the old run by itself.

How Stop works: a click on Stop (or on a sidebar link, or any widget) asks Streamlit for a rerun, and
Streamlit raises its rerun exception (StopException when the tab closes) inside the script at the
next message the script sends to the browser, here the progress update inside `runners._compute`'s
`on_progress`, at most `runners.MIN_REDRAW_S` apart (or the run's own `redraw_s`). The exception
unwinds through `runners._slot`, whose `finally` frees the compute slot; an unfinished computation is
neither cached nor recorded as finished. Stop's callback forgets the press, so the rerun that follows
shows the start button again.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st

from ui import runners

R = TypeVar("R")


def run(fn: Callable[..., R], cfg: Any, *, key: str, label: str, start: str, seconds: float,
        inputs: tuple[Any, ...] = (), live: Callable[[Any], None] | None = None,
        shared: bool = False, redraw_s: float = runners.MIN_REDRAW_S, pace_s: float = 0.0) -> R | None:
    """`fn(cfg, *inputs)` through the shared cache, started on a button; None until it is pressed for `cfg`.

    Already computed in this process: the result at once, no button. Otherwise a primary button
    f"{start} (about {seconds:.0f} s)"; once pressed for exactly this `cfg` (session state `key`
    holds the cfg's digest), a Stop button with the progress bar under it, in the button's place.
    `seconds` must be measured (scaled from a recorded run or timed on this machine), never guessed.
    `shared=True` keeps the very object for every session (`runners.resource`, trained models;
    `inputs` are not passed then), else `runners.run` (`live` redrawn at most every `redraw_s`, reports `pace_s`
    apart).
    """
    def compute() -> R:
        failed = functools.partial(forget, key)  # a run that ended in an error did not stop for a changed setting
        if shared:
            return runners.resource(fn, cfg, label=label, live=live, heavy=True, on_error=failed)
        return runners.run(fn, cfg, label=label, live=live, inputs=inputs, heavy=True, on_error=failed,
                           redraw_s=redraw_s, pace_s=pace_s)

    if runners.cached(fn, cfg):
        return compute()
    pressed_for = runners.digest_of(fn, cfg)
    # The start button and Stop are one widget, keyed f"{key}-start" (a button's identity is its key), relabelled, so
    # that the browser turns one into the other in place; as two widgets, the start button stayed on screen,
    # greyed, under Stop until the run ended. The progress bar comes right under it.
    place = st.empty()
    if st.session_state.get(key) != pressed_for:  # the press's callback sets it before the run it starts
        if key in st.session_state and not runners.finished_digest(st.session_state[key]):
            forget(key)  # pressed for other settings, and that run never finished: it stopped when they changed
            st.caption(STOPPED)
        place.button(f"{start} (about {seconds:.0f} s)", key=f"{key}-start", type="primary",
                     icon=":material/play_arrow:", on_click=press, args=(key, pressed_for))
        return None
    place.button("Stop", key=f"{key}-start", type="secondary", icon=":material/stop:", on_click=forget,
                 args=(key,), help="Stops the computation; nothing of it is kept.")
    result = compute()
    place.empty()
    return result


STOPPED = ("The run for the previous settings did not finish (a run stops when a setting changes or you leave "
           "the page); nothing of it was kept. Press the button to run with these settings.")


def press(key: str, pressed_for: str) -> None:
    """Record the press for the config digest `pressed_for` (the start button's callback)."""
    st.session_state[key] = pressed_for


def forget(key: str) -> None:
    """Forget the press recorded under `key`: the next run shows the start button again (Stop's callback)."""
    st.session_state.pop(key, None)

"""Widget groups that several pages share: dataset, learning rate, batch size, network shape, and the start
button of a long computation (`started`)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st

from core import data
from core.activations import LABELS as ACTIVATION_LABELS
from ui import launch, presenter, runners, tour, urls

R = TypeVar("R")
LONG_S = 3.0  # a computation expected to take this long or longer starts on its button (issue 18)

LEARNING_RATES = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)
BATCH_SIZES = (1, 2, 5, 10, 16, 32, 64, 128, "full batch")
HIDDEN_LAYERS = ("4", "8", "16", "64", "4, 4", "8, 8", "16, 16", "32, 32", "64, 64", "16, 16, 16")


def dataset_2d(key: str, default: str = "moons") -> str:
    """A select box of the 2-D toy sets, labelled in words."""
    return st.selectbox("Dataset", data.TOY_2D, index=data.TOY_2D.index(default), format_func=data.LABELS.get,
                        key=f"{key}-dataset", bind="query-params")


def learning_rate(key: str, default: float = 0.1, options: tuple[float, ...] = LEARNING_RATES) -> float:
    """The learning rate on a log-spaced slider (the useful values span several orders of magnitude)."""
    return st.select_slider("Learning rate (log scale)", options, value=default, key=f"{key}-lr", bind="query-params",
                            help="How far each update moves the weights: w ← w − lr · gradient.")


def batch_size(key: str, default: int | str = 10) -> int | None:
    """Mini-batch size; None means full batch (one iteration per epoch)."""
    choice = st.select_slider("Batch size (samples per iteration)", BATCH_SIZES, value=default, key=f"{key}-batch",
                              bind="query-params",
                              help="1 = one sample per update; full batch = the whole training set per update.")
    return None if choice == "full batch" else int(choice)


def hidden_layers(key: str, default: str = "16, 16") -> tuple[int, ...]:
    """Hidden layer widths, e.g. "16, 16" -> (16, 16)."""
    text = st.selectbox("Hidden layers (units per layer)", HIDDEN_LAYERS, index=HIDDEN_LAYERS.index(default),
                        key=f"{key}-hidden", bind="query-params")
    return tuple(int(w) for w in text.split(","))


def activation(key: str, default: str = "tanh") -> str:
    names = tuple(ACTIVATION_LABELS)
    return st.selectbox("Activation", names, index=names.index(default), format_func=ACTIVATION_LABELS.get,
                        key=f"{key}-activation", bind="query-params")


def started(fn: Callable[..., R], cfg: Any, *, default: Any, seconds: float, key: str, label: str, start: str,
            inputs: tuple[Any, ...] = (), live: Callable[[Any], None] | None = None,
            redraw_s: float = runners.MIN_REDRAW_S, pace_s: float = 0.0) -> R | None:
    """`fn(cfg, *inputs)`, computed at once or started on a button (ui/launch.run): None until it is pressed.

    At once: the page's default view (`cfg == default`, precomputed for a class), a walkthrough step's
    preset as its link opened it (the step's facts show without a press), and anything expected to take
    less than LONG_S (`seconds`, measured). Anything longer waits for its button, which says `seconds`.
    `live` redraws at most every `redraw_s`, the progress reports come at least `pace_s` apart (ui/runners.run),
    but for the default view: a page opening is no play to watch.
    """
    if cfg == default or seconds < LONG_S:
        pace = 0.0 if cfg == default else pace_s  # a page opening (defaults not shipped) is no play to pace
        return runners.run(fn, cfg, label=label, live=live, inputs=inputs, redraw_s=redraw_s, pace_s=pace)
    if walkthrough_preset():
        st.session_state[key] = runners.digest_of(fn, cfg)  # counts as pressed
    return launch.run(fn, cfg, key=key, label=label, start=start, seconds=seconds, inputs=inputs, live=live,
                      redraw_s=redraw_s, pace_s=pace_s)


def started_or_default(fn: Callable[..., R], cfg: Any, *, default: Any, seconds: float, key: str, label: str,
                       start: str, live: Callable[[Any], None] | None = None) -> tuple[R, Any]:
    """(the result, the config it is for): `started`, and until its button is pressed the default view's result
    (precomputed, cached for everyone) with a note saying so, so the student keeps a page to read meanwhile."""
    result = started(fn, cfg, default=default, seconds=seconds, key=key, label=label, start=start, live=live)
    if result is not None:
        return result, cfg
    st.caption("Until you press the button, what follows shows the default settings.")
    return runners.run(fn, default, label=label), default


def walkthrough_preset() -> bool:
    """The page shows a walkthrough step's preset as its link set it: the URL holds the step's parameters and
    nothing else of the page's (a control moved since adds or changes one)."""
    step, _ = tour.requested()
    if step is None:
        return False
    asked = {key: values for key, values in urls.current().items() if key not in (tour.PARAM, *presenter.carried())}
    preset = {key: list(value) if isinstance(value, tuple) else [value] for key, value in step.params}
    return asked.keys() == preset.keys() and all(urls.same_values(asked[key], preset[key]) for key in preset)



def within(key: str, low: int, high: int, default: int) -> None:
    """Put the widget `key`'s kept value back to `default` when it left [low, high] (a slider whose range
    shrank with another setting: Streamlit refuses a value above a slider's new maximum)."""
    if key in st.session_state and not low <= st.session_state[key] <= high:
        st.session_state[key] = default

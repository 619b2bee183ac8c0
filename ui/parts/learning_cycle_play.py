"""The learning-cycle page's network to play with (core/playground.py): its controls, its frames, its play.

Play (`keep_playing`, the page's last call: ui/play.py) trains whole epochs a frame and redraws one HTML block
(the network, its map, its hidden space) and, at most every CURVES_S, the curves. The network and whether it
plays live in session state, so a new learning rate or batch size goes on from the same weights, still playing,
as in TensorFlow Playground.
"""
from __future__ import annotations

import base64
import html
import math

import numpy as np
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from core import charts, data, playground
from core.charts import network
from core.learning_cycle import GRID
from core.playground import Player, PlayNet
from ui import chrome, play, show, widgets

PLAYER, PLAYING = "play-player", "play-on"  # session state: the network and whether it plays
FRAME_S = 1 / 30  # at most 30 frames a second
CURVES_S = 0.5  # the curves (a Vega chart embedded anew) at most this often while playing
HIDDEN = ("none", "2", "4", "8", "4, 2", "6, 2", "8, 2", "8, 8", "8, 8, 2", "8, 8, 8")
SPEEDS = (1, 2, 5, 10)
DATASETS = data.TOY_2D + data.REGRESSION_2D
CURVES_TITLE = "Loss on all training and all validation points, per epoch"  # epochs per frame while playing


def controls() -> tuple[PlayNet, float, int | None, int]:
    """The network (what changing starts a new one), the learning rate and batch size of the next steps,
    and the epochs per frame of play."""
    chrome.intro("TensorFlow Playground's view of a small network, trained by plain SGD: every unit drawn as "
                 "a little map of its output over the input plane, the weights as lines between them (orange "
                 "positive, blue negative, as on the maps; thicker when larger). Play, pause, or step one batch or "
                 "one epoch at "
                 "a time. A new learning rate or batch size goes on from the current weights; a new dataset, "
                 "feature or layer starts a new network.")
    chosen = st.pills("Input features", tuple(playground.FEATURES), selection_mode="multi",
                      default=["x1", "x2"], key="play-features", bind="query-params",
                      help="What the first layer gets. With x1² and x2², one neuron can draw a circle.")
    data_column, net_column, train_column = st.columns(3)
    with data_column:
        dataset = st.selectbox("Dataset", DATASETS, format_func=data.LABELS.get, key="play-dataset",
                               bind="query-params", help="The last two predict a number (regression, squared error).")
        noise = st.slider("Noise", 0.0, 0.6, 0.2, 0.05, key="play-noise", bind="query-params")
        n_samples = st.slider("Samples (70% train, 30% validation; at most 1,000)", 50, 1000, 300, 50,
                              key="play-n", bind="query-params")
    with net_column:
        hidden = st.selectbox("Hidden layers (units per layer)", HIDDEN, index=HIDDEN.index("6, 2"),
                              key="play-hidden", bind="query-params")
        activation = widgets.activation("play")
    with train_column:
        lr = widgets.learning_rate("play", 0.1)
        batch = widgets.batch_size("play", 10)
        speed = st.select_slider("Epochs per frame while playing", SPEEDS, value=2, key="play-speed",
                                 bind="query-params")
    chosen = [f for f in playground.FEATURES if f in (chosen or ())]  # in the order the network draws them
    if not chosen:
        st.warning("Pick at least one input feature: training the network on x1 and x2 meanwhile.")
        chosen = ["x1", "x2"]
    widths = () if hidden == "none" else tuple(int(w) for w in hidden.split(","))
    net = PlayNet(dataset=dataset, n_samples=n_samples, noise=noise, features=tuple(chosen), widths=widths,
                  activation=activation)
    return net, lr, batch, speed


def player(net: PlayNet) -> Player:
    """This session's network for `net`: the one it has, or a new one (which pauses play) when `net` changed."""
    current = st.session_state.get(PLAYER)
    if current is None or current.net != net:
        current = st.session_state[PLAYER] = Player(net)
        st.session_state[PLAYING] = False
    return current


def _step(how: str, lr: float, batch: int | None) -> None:
    st.session_state[PLAYING] = False
    now: Player = st.session_state[PLAYER]
    now.step_batch(lr, batch) if how == "batch" else now.step_epoch(lr, batch)


def _reset() -> None:
    st.session_state.pop(PLAYER, None)
    st.session_state[PLAYING] = False


def buttons(now: Player, lr: float, batch: int | None) -> None:
    """Play/Pause, Step one batch, Step one epoch (the rest of the one under way), Reset."""
    playing = st.session_state.get(PLAYING, False)
    toggle, one_batch, one_epoch, reset = st.columns(4)
    toggle.button("Pause" if playing else "Play", icon=":material/pause:" if playing else ":material/play_arrow:",
                  type="primary", on_click=play.toggle, args=(PLAYING,), disabled=now.done and not playing,
                  key="play-toggle", width="stretch")
    one_batch.button("Step one batch", icon=":material/skip_next:", on_click=_step, args=("batch", lr, batch),
                     disabled=now.done, key="play-step-batch", width="stretch")
    one_epoch.button("Step one epoch" if now.cursor == 0 else "Finish this epoch", icon=":material/fast_forward:",
                     on_click=_step, args=("epoch", lr, batch), disabled=now.done, key="play-step-epoch",
                     width="stretch")
    reset.button("Reset", icon=":material/restart_alt:", on_click=_reset, key="play-reset", width="stretch",
                 help="A new network: the same settings, fresh random weights, epoch 0.")
    if now.diverged:
        st.error("The loss blew up: the learning rate is too large for this network. Lower it and press Reset.")
    elif now.epoch >= playground.MAX_EPOCHS:
        st.info(f"Play stops at epoch {playground.MAX_EPOCHS:,}. Reset to start again.")


def status(view: playground.PlayView) -> str:
    """Where training is, in one line."""
    f = view.facts
    batches = f" + {view.cursor} of {f.n_train} points of the next" if view.cursor else ""
    accuracy = ("" if math.isnan(f.train_accuracy) else
                f" · accuracy train {f.train_accuracy:.0%}, validation {f.val_accuracy:.0%}")
    loss = "loss" if math.isnan(f.line_mse) else "mean squared error"
    return (f"Epoch <b>{f.epoch}</b>{batches} · {f.iteration:,} updates · {loss} train <b>{f.train_loss:.3f}</b>, "
            f"validation <b>{f.val_loss:.3f}</b>{accuracy}")


def headings(net: PlayNet) -> list[str]:
    return ["inputs", *(f"layer {i + 1}" for i in range(len(net.widths))), "output"]


def hidden_title(view: playground.PlayView, net: PlayNet) -> str:
    """What the hidden-space picture shows (the points as the output unit gets them)."""
    f = view.facts
    if not net.widths:
        return "What the output neuron sees: its input features" + (" (first two principal components)"
                                                                     if f.projected else "")
    if f.projected:
        return (f"Hidden space: the last hidden layer's {f.last_width} outputs, their first two principal "
                f"components ({f.spread_kept:.0%} of the spread; the map: the output on that plane through the "
                "points' mean)")
    return f"Hidden space: the last hidden layer's {f.last_width} output{'s' if f.last_width > 1 else ''}"


def scale_words(activation: str) -> str:
    """How a hidden unit's output is coloured (core/playground._scaled)."""
    if activation in playground.BOUNDED:
        lo, hi = playground.BOUNDED[activation]
        return f"blue {lo:g}, white {(lo + hi) / 2:g}, orange {hi:g}"
    return "white 0, orange and blue its largest positive and negative sizes (each unit on its own scale)"


def axes_words(view: playground.PlayView) -> str:
    x, y = view.hidden_axes
    return f" (x: {x}, y: {y})" if y else f" (x: {x})"


OUTPUT_TITLE = "The output: P(class 1) over the input plane"
REGRESSION_TITLE = "The output: its prediction over the input plane"


def _img(png: bytes, label: str, kind: str) -> str:
    source = base64.b64encode(png).decode("ascii")
    return (f'<img class="{kind}" alt="{html.escape(label)}" src="data:image/png;base64,{source}" '
            'style="display:block;width:100%;height:auto">')


def frame_html(view: playground.PlayView, net: PlayNet) -> str:
    """One frame: the status line, the network, and the output's map beside the hidden space."""
    split = (view.points["split"] == "train").to_numpy()
    labels = view.points["label"].to_numpy()
    value = (np.clip(labels, -1, 1) + 1) / 2 if net.regression else None  # a target on the maps' colour scale
    title = REGRESSION_TITLE if net.regression else OUTPUT_TITLE
    x = view.points[["x1", "x2"]].to_numpy()
    drawing = network.network_svg(view.maps, view.weights, view.names, GRID, headings(net),
                                  "The network: each unit's output over the input plane, and its weights")
    output = _img(network.plane_png(view.grid["p"].to_numpy(), GRID, view.box, x[:, 0], x[:, 1], labels, split,
                                    value), title, "play-map")
    hidden = _img(network.plane_png(view.hidden_p, playground.HIDDEN_CELLS, view.hidden_box, view.hidden[:, 0],
                                    view.hidden[:, 1], labels, split, value), hidden_title(view, net), "play-hidden")
    legend = (show.legend_html("prediction and target", "-1", "+1") + "; each point in its target's colour, a "
              "training point ringed dark, a validation point white inside" if net.regression else
              "filled points train, hollow validation · " + show.legend_html())

    def panel(title: str, picture: str, flex: str = "1 1 240px", widest: int = 400) -> str:
        return (f'<div style="flex:{flex};min-width:220px;max-width:{widest}px"><div style="font-weight:700;'
                f'font-size:14px;margin-bottom:6px">{html.escape(title)}</div>{picture}</div>')

    # One row that wraps: the network, then its output's map and the hidden space, beside it where they fit.
    return (f'<div class="play-frame" data-epoch="{view.epoch}"><div style="font-size:15px;margin-bottom:8px">'
            f"{status(view)}</div>"
            '<div style="display:flex;flex-wrap:wrap;gap:12px 24px;align-items:flex-start">'
            f"{panel('The network', drawing, '2 1 400px', 600)}"
            f"{panel(title, output)}"
            f"{panel(hidden_title(view, net) + axes_words(view), hidden)}</div>"
            f'<div style="font-size:13px;margin-top:8px">Maps: {legend}. Each square of the network: a unit\'s '
            "output over the input plane, in those "
            f"colours: {scale_words(net.activation)}; inputs divided by their largest size on the plane (white: 0). "
            "Lines: the weights, orange positive, blue negative, thicker when larger.</div></div>")


def draw(slot: DeltaGenerator, now: Player) -> playground.PlayView:
    view = now.view()
    slot.html(frame_html(view, now.net))
    return view


def curves(slot: DeltaGenerator, now: Player, live: bool) -> None:
    if live:
        show.redraw(slot, charts.curves(now.history(), "loss", title=CURVES_TITLE))
    else:
        with slot.container():
            show.chart(charts.curves, now.history(), "loss", title=CURVES_TITLE, key="play-curves")


def keep_playing(net: PlayNet, lr: float, batch: int | None, speed: int, frame: DeltaGenerator,
                 curve_slot: DeltaGenerator) -> None:
    """Play: `speed` epochs a frame, at most one frame every FRAME_S, until paused (any rerun), blown up or
    MAX_EPOCHS done; then the page once more, paused."""
    now = player(net)
    play.keep_playing(PLAYING, lambda: now.done, lambda: now.step_epoch(lr, batch, speed), lambda: draw(frame, now),
                      lambda: curves(curve_slot, now, live=True), FRAME_S, CURVES_S)


def boundary_words(units: int) -> str:
    """What one output neuron's decision is in a space of `units` dimensions."""
    return ("a single threshold (a point on that one axis)" if units == 1 else "a straight line" if units == 2 else
            "a flat boundary (a hyperplane)")


def untrained(facts: playground.PlayFacts, measured: str) -> None:
    """The sentence before the first update: what the random weights score, and what to press."""
    chrome.notice(f"the network has not learned yet: its weights are random, and {measured}. Press **Play**, or step "
                  "one batch at a time, and watch each unit's map change.", facts)


def notice(facts: playground.PlayFacts, net: PlayNet) -> None:
    if facts.diverged:
        return
    if net.regression:
        regression_notice(facts, net)
        return
    line_words = (f"A logistic regression on x1 and x2 (one straight line in the plane) gets "
                  f"{facts.line_accuracy:.0%} of the training points right")
    if facts.iteration == 0:
        untrained(facts, f"it classifies {facts.train_accuracy:.0%} of its {facts.n_train} training points "
                         f"correctly. {line_words}")
        return
    space = ("the features it is given" if not net.widths else
             f"the space of the last hidden layer's {facts.last_width} outputs")
    line = boundary_words(facts.last_width)
    seen = " (here their first two principal components)" if facts.projected else ""
    beyond = [f for f in net.features if f not in ("x1", "x2")]
    better = facts.train_accuracy > facts.line_accuracy + 0.02
    epochs = f"{facts.epoch} full epoch{'' if facts.epoch == 1 else 's'}"
    chrome.notice(
        f"after {facts.iteration:,} updates ({epochs}) the network classifies {facts.train_accuracy:.0%} of its "
        f"{facts.n_train} training points and {facts.val_accuracy:.0%} of the validation points correctly. Its output "
        f"neuron only draws {line} in {space}: the hidden-space view shows the points as it gets them{seen}. "
        f"{line_words}"
        + (f": the hidden layers have moved the points so that {line} separates more of them." if net.widths and better
           else f": {line} in features such as {', '.join(beyond)} is no straight line in the (x1, x2) plane."
           if not net.widths and beyond and better else "."), facts)


def regression_notice(facts: playground.PlayFacts, net: PlayNet) -> None:
    """What the played regression shows: its errors against a flat plane's, the one thing its output unit draws."""
    flat = (f"A linear regression on x1 and x2 (one flat plane over the input plane) has a mean squared error of "
            f"{facts.line_mse:.4f} on the training points")
    if facts.iteration == 0:
        untrained(facts, f"its mean squared error is {facts.train_loss:.3f} on its {facts.n_train} training points. "
                         f"{flat}")
        return
    space = ("its input features" if not net.widths else f"the last hidden layer's {facts.last_width} outputs")
    ratio = facts.line_mse / facts.train_loss if facts.train_loss > 0 else math.inf
    epochs = f"{facts.epoch} full epoch{'' if facts.epoch == 1 else 's'}"
    chrome.notice(
        f"after {facts.iteration:,} updates ({epochs}) the network's mean squared error is {facts.train_loss:.4f} on "
        f"its {facts.n_train} training points and {facts.val_loss:.4f} on the validation points. Its output unit "
        f"only adds up {space}, each times its weight, plus a bias: a flat "
        f"{('line', 'plane')[min(facts.last_width, 2) - 1] if facts.last_width <= 2 else 'hyperplane'} over them "
        f"(the hidden-space map). {flat}"
        + (f": over the input plane, the hidden layers bend that plane into a curved surface, and the error is "
           f"{ratio:.1f} times smaller."
           if net.widths and ratio > 1.5 else "."), facts)

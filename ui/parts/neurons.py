"""The Neurons and layers page's controls and sentences: the page places them, core computes the facts."""
from __future__ import annotations

from collections.abc import Callable

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from core import activations, charts, data, neurons
from ui import chrome, maths, runners, show, urls, widgets

SLIDERS = ("neuron-w1", "neuron-w2", "neuron-b")
ACTIVATION_FORMS = {"sigmoid": "sigmoid σ(z)", "step": "step (perceptron)"}
THEORY = (
    "**Theory** (universal approximation: Cybenko 1989, Hornik 1991, Leshno et al. 1993): one hidden layer "
    "with a non-polynomial activation, if it is wide enough, can approximate any continuous function on a "
    "bounded range as closely as you like. "
    "**Practice,** says the slide: that is computationally very hard and does not generalize well to new data; "
    "deep learning stacks layers instead. Below, one-layer nets of growing width and a deep net about as big "
    "as the widest fit one noisy curve. Their train and validation errors tell the two failures apart: a net "
    "that generalizes poorly fits its training points and misses new ones, a net that underfits misses both.")


def names_in_words(names: tuple[str, ...]) -> str:
    """("A", "B", "C") -> "A, B and C"."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


# 1. One neuron ---------------------------------------------------------------------------------------


NEURON_INTRO = ("One neuron with two inputs on a 2-D toy set you pick: it computes z = w1·x1 + w2·x2 + b, and the "
                "line z = 0 splits the plane in two. Set its weights and bias by hand, or let gradient descent "
                "find them.")
TENSOR_INTRO = ("The same neuron's computation for every point of that data at once, and for a layer of H neurons: "
                "one matrix product and a bias, with every shape written out.")


def neuron_controls() -> neurons.Neuron:
    """Dataset, activation and the three sliders of the hand-set neuron."""
    dataset = widgets.dataset_2d("neuron", default="blobs")
    activation = st.radio("Activation", neurons.NEURON_ACTIVATIONS, horizontal=True, key="neuron-activation",
                          bind="query-params", format_func=ACTIVATION_FORMS.get)
    w1 = st.slider("w1 (weight of x1)", -5.0, 5.0, 1.0, 0.1, key="neuron-w1", bind="query-params")
    w2 = st.slider("w2 (weight of x2)", -5.0, 5.0, 0.0, 0.1, key="neuron-w2", bind="query-params")
    b = st.slider("b (bias)", -5.0, 5.0, 0.5, 0.1, key="neuron-b", bind="query-params")
    return runners.config(neurons.Neuron, dataset=dataset, w1=w1, w2=w2, b=b, activation=activation)


def neuron_map(cfg: neurons.Neuron, result: neurons.NeuronResult) -> None:
    """The neuron's output map, and its weighted sum written out for the ringed (clicked) point."""
    picked = st.session_state.get("neuron-map", {}).get("selection", {}).get("click")
    x1, x2 = (float(picked[0]["x1"]), float(picked[0]["x2"])) if picked else result.first_point
    show.chart(charts.neuron_map, result.grid, result.points, result.line,
               f"The neuron's output over the plane, on {data.LABELS[cfg.dataset].lower()}", marked=(x1, x2),
               data=result.points, key="neuron-map", on_select="rerun")
    z, out = neurons.evaluate(cfg, x1, x2)
    fire = r"\sigma(z)" if cfg.activation == "sigmoid" else r"\mathrm{step}(z)"
    st.latex(rf"z = {cfg.w1:g} \cdot ({x1:.3f}) + {cfg.w2:g} \cdot ({x2:.3f}) + ({cfg.b:g}) = {z:.3f}, "
             rf"\quad {fire} = {out:.3f}")
    st.caption("The black line is where z = 0. The sum above is for the ringed point: click another point (or near "
               "one) on the map to ring it.")


def gradient_descent(dataset: str) -> neurons.NeuronTrainingResult | None:
    """The toggle that trains the neuron, what it learned, and a button that puts it on the sliders."""
    if not st.toggle("Let gradient descent find w1, w2 and b", key="neuron-train", bind="query-params"):
        return None
    learned = runners.run(neurons.train_neuron, runners.config(neurons.NeuronTraining, dataset=dataset),
                          label="Training a single neuron")
    st.markdown(f"Learned: w1 = **{learned.w1:.2f}**, w2 = **{learned.w2:.2f}**, b = **{learned.b:.2f}** · "
                f"accuracy **{learned.accuracy:.1%}**")
    on_sliders = dict(zip(SLIDERS, neurons.to_slider_range(learned.w1, learned.w2, learned.b)))
    st.button("Put them on the sliders", on_click=urls.move, args=(on_sliders,),
              help="Scaled into −5..5 if needed: the same line, a softer sigmoid.")
    return learned


def neuron_notice(facts: neurons.NeuronFacts, learned: neurons.NeuronTrainingResult | None) -> None:
    trained = "" if learned is None else f" Gradient descent reaches {learned.facts.trained_accuracy:.1%}" + (
        "." if learned.facts.line_is_enough else
        ": no straight line gets this data right; a curved boundary takes a hidden layer (section 3).")
    known = (facts,) if learned is None else (facts, learned.facts)
    chrome.notice(f"a neuron splits the plane with a straight line: class 1 where z > 0. Yours gets "
                  f"{facts.accuracy:.1%} of the points right; flipping the signs of w1, w2 and b keeps the line "
                  f"but swaps the sides ({facts.flipped_accuracy:.1%}).{trained}", *known)


def tensor_form(form: neurons.TensorForm) -> None:
    """Z = X W + b with its shapes, then its first rows as numbers."""
    n, hidden = form.n, form.facts.neurons
    st.latex(rf"\underbrace{{Z}}_{{({n},\,{hidden})}} = \underbrace{{X}}_{{({n},\,2)}} \, \underbrace{{W}}_{{(2,\,"
             rf"{hidden})}} + \underbrace{{b}}_{{({hidden},)}} \qquad \text{{(N, 2) @ (2, H) + (H,) → (N, H)}}")
    maths.equation(r"\text{first 5 rows:}\quad", form.X, form.W, "+", form.b, "=", form.Z)


def tensor_notice(facts: neurons.TensorFacts) -> None:
    chrome.notice(f"one matrix product computes all {facts.n_points} × {facts.neurons} weighted sums. Column 1 "
                  f"of W is your neuron ({facts.w1:g}, {facts.w2:g}) with bias {facts.b:g}, so column 1 of Z is "
                  f"its z: {facts.first_z:.3f} for the first point. b is added to every row (broadcasting).", facts)


# 2. Activation functions --------------------------------------------------------------------------


def activation_controls() -> tuple[tuple[str, ...], neurons.ActivationView]:
    """The activations picked, and the view to compute: the picked ones (the sigmoid alone when none is)."""
    st.markdown("The activation functions a layer can use, each drawn with its slope f′(z). Shaded is where the "
                "slope is at least the threshold you set: the region where a unit passes a usable gradient back.")
    left, right = st.columns([3, 1], gap="large")
    names = left.multiselect("Activation functions", tuple(activations.ACTIVATIONS),
                             default=tuple(activations.ACTIVATIONS), format_func=activations.LABELS.get,
                             key="act-names", bind="query-params")
    threshold = right.slider("Active where |f'(z)| ≥", 0.01, 0.5, 0.1, 0.01, key="act-threshold",
                             bind="query-params",
                             help="At 0.01 Leaky ReLU's negative side, whose slope is exactly 0.01, counts as active.")
    if not names:
        st.warning("Pick at least one activation function; showing the sigmoid meanwhile.")
    view = runners.config(neurons.ActivationView, names=tuple(names) or ("sigmoid",), threshold=threshold)
    return tuple(names), view


def formulas(names: tuple[str, ...]) -> None:
    """Each chosen activation's formula, three to a row."""
    columns = st.columns(3)
    for i, name in enumerate(names):
        columns[i % 3].latex(activations.ACTIVATIONS[name].formula)


def activation_notice(facts: neurons.ActivationFacts) -> None:
    both, left, never = (
        f" {names_in_words(names)} {'saturates' if len(names) == 1 else 'saturate'}{where}." if names else ""
        for names, where in ((facts.saturate_both, " on both sides"),
                             (facts.saturate_left_gradually, " for large negative z only"),
                             (facts.never_saturate, " on neither side")))
    zero = (f" {names_in_words(facts.zero_for_negative_z)}'s gradient is zero for every negative z."
            if facts.zero_for_negative_z else "")
    below = (f" ({names_in_words(facts.never_saturate)}'s small slope lies below it: lower the threshold to 0.01)."
             if facts.never_saturate else ".")
    far = (f" At this threshold {names_in_words(facts.active_far_left)} still counts as active at z = −6."
           if facts.active_far_left else f" At this threshold no unit is active at z = −6{below}")
    chrome.notice(f"without an activation, stacked layers of `X @ W + b` collapse into a single layer `X @ W + b`, "
                  "one linear map: in 2-D still only a straight decision line. A unit learns "
                  f"only inside its active region: at |f'(z)| ≥ {facts.threshold:g}, {facts.widest} is active over "
                  f"{facts.widest_width:.2f} of the 12 units of z shown, {facts.narrowest} over "
                  f"{facts.narrowest_width:.2f}. Where a function saturates, almost no gradient flows back."
                  f"{both}{left}{zero}{never}{far}", facts)


# 3. Wide vs deep -------------------------------------------------------------------------------------


def approximation_controls() -> neurons.WideVsDeep:
    """Widths of the one-layer nets, the deep net's depth, activation, epochs and noise."""
    widths_column, depth_column, activation_column, epochs_column, noise_column = st.columns([2, 1, 1, 1, 1])
    widths = widths_column.multiselect("Widths of the one-layer nets", (1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
                                       default=(2, 8, 32, 256), key="approx-widths", bind="query-params")
    depth = depth_column.slider("Layers of the deep net", 2, 6, 3, key="approx-depth", bind="query-params")
    with activation_column:
        activation = widgets.activation("approx", default="relu")
    epochs = epochs_column.select_slider("Epochs (at most 2,400)", (100, 200, 300, 600, 1200, 2400), 300,
                                         key="approx-epochs", bind="query-params")
    noise = noise_column.slider("Noise", 0.0, 0.5, 0.1, 0.05, key="approx-noise", bind="query-params")
    return runners.config(neurons.WideVsDeep, widths=tuple(widths), depth=depth, activation=activation,
                          epochs=epochs, noise=noise)


def _verdict(facts: neurons.WideDeepFacts, epochs: int) -> str:
    """Which failure the widest net shows, if any: underfitting, generalizing worse, or neither."""
    mse = f"train MSE {facts.wide_train_mse:.4f} against {facts.deep_train_mse:.4f}"
    val = f"{facts.wide_val_mse:.4f} against {facts.deep_val_mse:.4f}"
    if facts.wide_underfits:
        gap = (f"; the rest is a wider gap between its validation and train error ({facts.wide_gap:.4f} against "
               f"{facts.deep_gap:.4f})" if facts.generalizes_worse else "")
        why = ("for that reason alone: the whole difference is already there in training" if facts.all_in_training
               else f"mostly for that reason: {facts.fit_share:.0%} of the difference is already there in training"
               + gap if facts.mostly_in_training else
               f"for that reason and because it generalizes worse: {facts.fit_share:.0%} of the difference is "
               "already there in training")
        return (f"The {facts.wide_units}-unit net underfits: its train MSE, {facts.wide_train_mse:.4f}, is "
                f"{facts.train_ratio:.1f} times the deep net's {facts.deep_train_mse:.4f}, on the very points it "
                f"trained on. Its validation MSE ({val}) is higher {why}. In {epochs} epochs it is the wide net "
                "that is hard to train.")
    if facts.generalizes_worse:
        return (f"The {facts.wide_units}-unit net fits its training points about as well as the deep net ({mse}) "
                f"but misses new ones more (validation MSE {val}): here it generalizes worse.")
    if facts.matches_deep:
        return (f"Here the {facts.wide_units}-unit net does as well as the deep one ({mse}, validation "
                f"{val}).")
    return (f"Here the {facts.wide_units}-unit net closes most of the gap but is still behind the deep one "
            f"({mse}, {facts.train_ratio:.1f}x; validation {val}, {facts.val_ratio:.1f}x).")


def approximation_notice(facts: neurons.WideDeepFacts, epochs: int) -> None:
    train = (f"falls from {facts.narrow_train_mse:.4f} to {facts.wide_train_mse:.4f}: wider fits closer, as the "
             "theory says" if facts.wider_fits_closer else
             f"does not fall ({facts.narrow_train_mse:.4f}, then {facts.wide_train_mse:.4f})")
    chrome.notice(f"from {facts.narrow_units} to {facts.wide_units} units the train MSE {train}, at "
                  f"{facts.wide_params:,} parameters. The {facts.deep_name} net has {facts.deep_params:,}. "
                  f"{_verdict(facts, epochs)} The noise alone costs {facts.noise_floor:.4f} of validation MSE.",
                  facts)


FITS_TITLE = "What each net learned of the noisy curve"


def redraw_fits(slot: DeltaGenerator) -> Callable[[neurons.WideVsDeepResult], None]:
    """Redraw the nets' curves into `slot` while they train (each progress report's fits so far)."""
    def redraw(so_far: neurons.WideVsDeepResult) -> None:
        if so_far.fits is not None:
            show.redraw(slot, charts.function_fits(so_far.points, so_far.fits, so_far.truth,
                                                   f"{FITS_TITLE} (training)"))
    return redraw

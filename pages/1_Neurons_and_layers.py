"""Neurons and layers (slides 21-27): a neuron's decision line, a layer as X @ W + b, activations, wide vs deep."""
import inspect

import streamlit as st

from core import activations, charts, neurons
from ui import chrome, maths, runners, show, widgets


def _names(names: tuple[str, ...]) -> str:
    """("A", "B", "C") -> "A, B and C"."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


chrome.page("Neurons and layers", "21-27", """A **neuron** weighs its inputs and adds a **bias**,
`z = w1·x1 + w2·x2 + b`, then applies an **activation function**. A **layer** is many neurons computed as one matrix
product; a **multi-layer perceptron** stacks layers. Set a neuron by hand, compare activations, then fit a curve with
one wide layer and with a deep stack.""")

# 1. One neuron --------------------------------------------------------------------------------------------
chrome.section("1 · A single neuron draws a straight line", "21")
controls, plot = st.columns([1, 2], gap="large")
with controls:
    dataset = widgets.dataset_2d("neuron", default="blobs")
    act = st.radio("Activation", neurons.NEURON_ACTIVATIONS, horizontal=True, key="neuron-activation",
                   bind="query-params",
                   format_func={"sigmoid": "sigmoid σ(z)", "step": "step (perceptron)"}.get)
    w1 = st.slider("w1 (weight of x1)", -5.0, 5.0, 1.0, 0.1, key="neuron-w1", bind="query-params")
    w2 = st.slider("w2 (weight of x2)", -5.0, 5.0, 0.0, 0.1, key="neuron-w2", bind="query-params")
    b = st.slider("b (bias)", -5.0, 5.0, 0.5, 0.1, key="neuron-b", bind="query-params")
cfg = runners.config(neurons.Neuron, dataset=dataset, w1=w1, w2=w2, b=b, activation=act)
result = neurons.neuron(cfg)
controls.metric("Accuracy of this neuron", f"{result.accuracy:.1%}",
                help="Share of all points on their class's side of the line: class 1 where z > 0.")
with plot:
    picked = st.session_state.get("neuron-map", {}).get("selection", {}).get("click")
    x1, x2 = (float(picked[0]["x1"]), float(picked[0]["x2"])) if picked else result.first_point
    show.chart(charts.neuron_map, result.grid, result.points, result.line, "The neuron's output over the plane",
               marked=(x1, x2), data=result.points, key="neuron-map", on_select="rerun")
    z, out = neurons.evaluate(cfg, x1, x2)
    f = r"\sigma(z)" if act == "sigmoid" else r"\mathrm{step}(z)"
    st.latex(rf"z = {w1:g} \cdot ({x1:.3f}) + {w2:g} \cdot ({x2:.3f}) + ({b:g}) = {z:.3f}, \quad {f} = {out:.3f}")
    st.caption("The black line is where z = 0. The sum above is for the ringed point: click the map to move it.")
with controls:
    learned = None
    if st.toggle("Let gradient descent find w1, w2 and b", key="neuron-train", bind="query-params"):
        learned = runners.run(neurons.train_neuron, runners.config(neurons.NeuronTraining, dataset=dataset),
                              label="Training a single neuron")
        st.markdown(f"Learned: w1 = **{learned.w1:.2f}**, w2 = **{learned.w2:.2f}**, b = **{learned.b:.2f}** · "
                    f"accuracy **{learned.accuracy:.1%}**")
        on_sliders = dict(zip(("neuron-w1", "neuron-w2", "neuron-b"),
                              neurons.to_slider_range(learned.w1, learned.w2, learned.b)))
        st.button("Put them on the sliders", on_click=st.session_state.update, args=(on_sliders,),
                  help="Scaled into −5..5 if needed: the same line, a softer sigmoid.")
facts = (result.facts,) if learned is None else (result.facts, learned.facts)
trained = "" if learned is None else f" Gradient descent reaches {learned.facts.trained_accuracy:.1%}" + (
    "." if learned.facts.line_is_enough else
    ": no straight line gets this data right; a curved boundary takes a hidden layer (section 3).")
chrome.notice(f"a neuron splits the plane with a straight line: class 1 where z > 0. Yours gets "
              f"{result.facts.accuracy:.1%} of the points right; flipping the signs of w1, w2 and b keeps the line but "
              f"swaps the sides ({result.facts.flipped_accuracy:.1%}).{trained}", *facts)

chrome.section("Tensor form: every point and every neuron at once", "22")
hidden = st.columns(3)[0].slider("Neurons in the layer (H)", 1, neurons.MAX_LAYER_NEURONS, 1, key="tensor-h",
                                 bind="query-params")
tf = neurons.tensor_form(cfg, hidden)
st.latex(rf"\underbrace{{Z}}_{{({tf.n},\,{hidden})}} = \underbrace{{X}}_{{({tf.n},\,2)}} \, \underbrace{{W}}_{{(2,\,"
         rf"{hidden})}} + \underbrace{{b}}_{{({hidden},)}} \qquad \text{{(N, 2) @ (2, H) + (H,) → (N, H)}}")
maths.equation(r"\text{first 5 rows:}\quad", tf.X, tf.W, "+", tf.b, "=", tf.Z)
with st.expander("The PyTorch code (core/neurons.py)"):
    st.code(inspect.getsource(neurons.layer))
t = tf.facts
chrome.notice(f"one matrix product computes all {t.n_points} × {t.neurons} weighted sums. Column 1 of W is your "
              f"neuron ({t.w1:g}, {t.w2:g}) with bias {t.b:g}, so column 1 of Z is its z: {t.first_z:.3f} for the "
              "first point. b is added to every row (broadcasting).", t)

# 2. Activation functions --------------------------------------------------------------------------------
chrome.section("2 · Activation functions and their active region", "23-24")
c1, c2 = st.columns([3, 1], gap="large")
names = c1.multiselect("Activation functions", tuple(activations.ACTIVATIONS), default=tuple(activations.ACTIVATIONS),
                       format_func=activations.LABELS.get, key="act-names", bind="query-params")
threshold = c2.slider("Active where |f'(z)| ≥", 0.01, 0.5, 0.1, 0.01, key="act-threshold", bind="query-params",
                      help="At 0.01 Leaky ReLU's negative side, whose slope is exactly 0.01, counts as active.")
if not names:
    st.warning("Pick at least one activation function; showing the sigmoid meanwhile.")
view = neurons.activation_profiles(runners.config(neurons.ActivationView, names=tuple(names) or ("sigmoid",),
                                                  threshold=threshold))
show.chart(charts.activation_panels, view.curves, threshold, key="act-panels")
formulas = st.columns(3)
for i, name in enumerate(names):
    formulas[i % 3].latex(activations.ACTIVATIONS[name].formula)
show.table(view.table, key="act-table")
a = view.facts
both, left, never = (f" {_names(names)} {'saturates' if len(names) == 1 else 'saturate'}{where}." if names
                     else "" for names, where in ((a.saturate_both, " on both sides"),
                                                  (a.saturate_left_gradually, " for large negative z only"),
                                                  (a.never_saturate, " on neither side")))
zero = (f" {_names(a.zero_for_negative_z)}'s gradient is zero for every negative z." if a.zero_for_negative_z
        else "")
below = (f" ({_names(a.never_saturate)}'s small slope lies below it: lower the threshold to 0.01)."
         if a.never_saturate else ".")
far = (f" At this threshold {_names(a.active_far_left)} still counts as active at z = −6." if a.active_far_left
       else f" At this threshold no unit is active at z = −6{below}")
chrome.notice(f"without an activation, stacked layers of `X @ W + b` collapse into a single layer `X @ W + b`, one "
              "linear map: in 2-D still only a straight decision line. A unit learns "
              f"only inside its active region: at |f'(z)| ≥ {a.threshold:g}, {a.widest} is active over "
              f"{a.widest_width:.2f} of the 12 units of z shown, {a.narrowest} over {a.narrowest_width:.2f}. Where a "
              f"function saturates, almost no gradient flows back.{both}{left}{zero}{never}{far}", a)

# 3. Multi-layer perceptron: wide vs deep ------------------------------------------------------------------
chrome.section("3 · One wide layer or several? Universal approximation in practice", "25-27")
st.markdown("**Theory** (universal approximation: Cybenko 1989, Hornik 1991, Leshno et al. 1993): one hidden layer "
            "with a non-polynomial activation, if it is wide enough, can approximate any continuous function on a "
            "bounded range as closely as you like. "
            "**Practice,** says the slide: that is computationally very hard and does not generalize well to new data; "
            "deep learning stacks layers instead. Below, one-layer nets of growing width and a deep net about as big "
            "as the widest fit one noisy curve. Their train and validation errors tell the two failures apart: a net "
            "that generalizes poorly fits its training points and misses new ones, a net that underfits misses both.")
c1, c2, c3, c4, c5 = st.columns([2, 1, 1, 1, 1])
widths = c1.multiselect("Widths of the one-layer nets", (1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
                        default=(2, 8, 32, 256), key="approx-widths", bind="query-params")
depth = c2.slider("Layers of the deep net", 2, 6, 3, key="approx-depth", bind="query-params")
with c3:
    activation = widgets.activation("approx", default="relu")
epochs = c4.select_slider("Epochs (at most 2,400)", (100, 200, 300, 600, 1200, 2400), 300, key="approx-epochs",
                          bind="query-params")
noise = c5.slider("Noise", 0.0, 0.5, 0.1, 0.05, key="approx-noise", bind="query-params")
approx = runners.run(neurons.wide_vs_deep, runners.config(neurons.WideVsDeep, widths=tuple(widths), depth=depth,
                     activation=activation, epochs=epochs, noise=noise), label="Training the wide and the deep nets")
show.chart(charts.function_fits, approx.points, approx.fits, approx.truth, "What each net learned", data=approx.fits,
           key="approx-fits")
left, right = st.columns([1, 2], gap="large")
with left:
    show.chart(charts.bars, approx.errors, "variant", "MSE", "split", key="approx-errors")
with right:
    show.table(approx.table, key="approx-table")
show.chart(charts.curves, approx.history, "loss", log_y=True, key="approx-curves")
w = approx.facts
if w.wide_underfits:
    verdict = (f"The {w.wide_units}-unit net underfits: its train MSE, {w.wide_train_mse:.4f}, is {w.train_ratio:.1f} "
               f"times the deep net's {w.deep_train_mse:.4f}, on the very points it trained on. Its validation MSE "
               f"({w.wide_val_mse:.4f} against {w.deep_val_mse:.4f}) is higher "
               + ("for that reason alone: the whole difference is already there in training" if w.all_in_training
                  else f"mostly for that reason: {w.fit_share:.0%} of the difference is already there in training"
                  + (f"; the rest is a wider gap between its validation and train error ({w.wide_gap:.4f} against "
                     f"{w.deep_gap:.4f})" if w.generalizes_worse else "")
                  if w.mostly_in_training else
                  f"for that reason and because it generalizes worse: {w.fit_share:.0%} of the difference is "
                  "already there in training")
               + f". In {epochs} epochs it is the wide net that is hard to train.")
elif w.generalizes_worse:
    verdict = (f"The {w.wide_units}-unit net fits its training points about as well as the deep net (train MSE "
               f"{w.wide_train_mse:.4f} against {w.deep_train_mse:.4f}) but misses new ones more (validation MSE "
               f"{w.wide_val_mse:.4f} against {w.deep_val_mse:.4f}): here it generalizes worse.")
elif w.matches_deep:
    verdict = (f"Here the {w.wide_units}-unit net does as well as the deep one (train MSE {w.wide_train_mse:.4f} "
               f"against {w.deep_train_mse:.4f}, validation {w.wide_val_mse:.4f} against {w.deep_val_mse:.4f}).")
else:
    verdict = (f"Here the {w.wide_units}-unit net closes most of the gap but is still behind the deep one (train MSE "
               f"{w.wide_train_mse:.4f} against {w.deep_train_mse:.4f}, {w.train_ratio:.1f}x; validation "
               f"{w.wide_val_mse:.4f} against {w.deep_val_mse:.4f}, {w.val_ratio:.1f}x).")
chrome.notice(f"from {w.narrow_units} to {w.wide_units} units the train MSE "
              + (f"falls from {w.narrow_train_mse:.4f} to {w.wide_train_mse:.4f}: wider fits closer, as the theory says"
                 if w.wider_fits_closer else
                 f"does not fall ({w.narrow_train_mse:.4f}, then {w.wide_train_mse:.4f})")
              + f", at {w.wide_params:,} parameters. The {w.deep_name} net has {w.deep_params:,}. {verdict} "
              f"The noise alone costs {w.noise_floor:.4f} of validation MSE.", w)
chrome.end()

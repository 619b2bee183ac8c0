"""Neurons and layers (slides 20-26): a neuron's decision line, a layer as X @ W + b, activations, wide vs deep."""
import inspect

import streamlit as st

from core import activations, charts, neurons
from ui import chrome, maths, runners, show, widgets

chrome.page("Neurons and layers", "20-26", """A **neuron** weighs its inputs and adds a **bias**,
`z = w1·x1 + w2·x2 + b`, then applies an **activation function**. A **layer** is many neurons computed as one matrix
product; a **multi-layer perceptron** stacks layers. Set a neuron by hand, compare activations, then fit a curve with
one wide layer and with a deep stack.""")

# 1. One neuron --------------------------------------------------------------------------------------------
chrome.section("1 · A single neuron draws a straight line", "20")
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
    picked = st.session_state.get("neuron-map", {}).get("selection", {}).get("click") or [result.points.iloc[0]]
    x1, x2 = float(picked[0]["x1"]), float(picked[0]["x2"])
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
trained = "" if learned is None else f" Gradient descent reaches {learned.accuracy:.1%}" + (
    ": this data needs a curved boundary, which takes a hidden layer (section 3)." if learned.accuracy < 0.95 else ".")
chrome.notice(f"a neuron splits the plane with a straight line: class 1 where z > 0. Yours gets {result.accuracy:.1%} "
              "of the points right; flipping the signs of w1, w2 and b keeps the line but swaps the sides "
              f"({1 - result.accuracy:.1%}).{trained}")

chrome.section("Tensor form: every point and every neuron at once", "21")
hidden = st.columns(3)[0].slider("Neurons in the layer (H)", 1, neurons.MAX_LAYER_NEURONS, 1, key="tensor-h",
                                 bind="query-params")
tf = neurons.tensor_form(cfg, hidden)
st.latex(rf"\underbrace{{Z}}_{{({tf.n},\,{hidden})}} = \underbrace{{X}}_{{({tf.n},\,2)}} \, \underbrace{{W}}_{{(2,\,"
         rf"{hidden})}} + \underbrace{{b}}_{{({hidden},)}} \qquad \text{{(N, 2) @ (2, H) + (H,) → (N, H)}}")
maths.equation(r"\text{first 5 rows:}\quad", tf.X, tf.W, "+", tf.b, "=", tf.Z)
with st.expander("The PyTorch code (core/neurons.py)"):
    st.code(inspect.getsource(neurons.layer))
chrome.notice(f"one matrix product computes all {tf.n} × {hidden} weighted sums. Column 1 of W is your neuron "
              f"({w1:g}, {w2:g}) with bias {b:g}, so column 1 of Z is its z: {tf.Z[0, 0]:.3f} for the first point. "
              "b is added to every row (broadcasting).")

# 2. Activation functions --------------------------------------------------------------------------------
chrome.section("2 · Activation functions and their active region", "22-23")
c1, c2 = st.columns([3, 1], gap="large")
names = c1.multiselect("Activation functions", tuple(activations.ACTIVATIONS), default=tuple(activations.ACTIVATIONS),
                       format_func=activations.LABELS.get, key="act-names", bind="query-params")
threshold = c2.slider("Active where |f'(z)| >", 0.01, 0.5, 0.1, 0.01, key="act-threshold", bind="query-params")
if not names:
    st.warning("Pick at least one activation function; showing the sigmoid meanwhile.")
view = neurons.activation_profiles(runners.config(neurons.ActivationView, names=tuple(names) or ("sigmoid",),
                                                  threshold=threshold))
show.chart(charts.activation_panels, view.curves, threshold, key="act-panels")
formulas = st.columns(3)
for i, name in enumerate(names):
    formulas[i % 3].latex(activations.ACTIVATIONS[name].formula)
show.table(view.table, key="act-table")
most, least = view.table.iloc[0], view.table.iloc[-1]
chrome.notice(f"without an activation, stacked layers of `X @ W + b` collapse into one straight line. A unit learns "
              f"only inside its active region: at |f'(z)| > {threshold:g}, {most.activation} is active over "
              f"{most[neurons.ACTIVE_WIDTH]:.2f} of the 12 units of z shown, {least.activation} over "
              f"{least[neurons.ACTIVE_WIDTH]:.2f}. Where a function saturates, almost no gradient flows back.")

# 3. Multi-layer perceptron: wide vs deep ------------------------------------------------------------------
chrome.section("3 · One wide layer or several? Universal approximation in practice", "24-26")
st.markdown("**Theory:** one hidden layer with a non-linear activation can fit any function, if it is wide enough. "
            "**Practice:** that takes many units and generalizes poorly; deep learning stacks layers instead. Below, "
            "one-layer nets of growing width and a deep net about as big as the widest fit one noisy curve.")
c1, c2, c3, c4, c5 = st.columns([2, 1, 1, 1, 1])
widths = c1.multiselect("Widths of the one-layer nets", (1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
                        default=(2, 8, 32, 256), key="approx-widths", bind="query-params")
depth = c2.slider("Layers of the deep net", 2, 6, 3, key="approx-depth", bind="query-params")
with c3:
    activation = widgets.activation("approx", default="relu")
epochs = c4.select_slider("Epochs (at most 2,400)", (100, 200, 300, 600, 1200, 2400), 300, key="approx-epochs", bind="query-params")
noise = c5.slider("Noise", 0.0, 0.5, 0.1, 0.05, key="approx-noise", bind="query-params")
approx = runners.run(neurons.wide_vs_deep, runners.config(neurons.WideVsDeep, widths=tuple(widths), depth=depth,
                     activation=activation, epochs=epochs, noise=noise), label="Training the wide and the deep nets")
show.chart(charts.function_fits, approx.points, approx.fits, approx.truth, "What each net learned", data=approx.fits,
           key="approx-fits")
show.table(approx.table, key="approx-table")
show.chart(charts.curves, approx.history, "loss", log_y=True, key="approx-curves")
small, wide, deep = (approx.row(v) for v in (approx.narrowest, approx.widest, approx.deep))
ratio = wide["validation MSE"] / deep["validation MSE"]
chrome.notice(f"from {small['units per layer']} to {wide['units per layer']} units the train MSE falls from "
              f"{small['train MSE']:.4f} to {wide['train MSE']:.4f}: wider fits closer, as the theory says, at "
              f"{wide['parameters']:,} parameters. The {approx.deep} net has {deep['parameters']:,} and a validation MSE "
              f"of {deep['validation MSE']:.4f}, " + (f"{ratio:.1f} times lower than" if ratio > 1 else "no better than")
              + f" the wide net's {wide['validation MSE']:.4f}. The noise alone costs {approx.noise_floor:.4f}.")
chrome.end()

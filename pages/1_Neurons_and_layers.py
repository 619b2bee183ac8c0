"""Neurons and layers (slides 21-27): a neuron's decision line, a layer as X @ W + b, activations,
wide vs deep."""
import inspect

import streamlit as st

from core import charts, neurons
from ui import chrome, show, widgets
from ui.parts import neurons as parts

chrome.page("neurons", """A **neuron** weighs its inputs and adds a **bias**,
`z = w1·x1 + w2·x2 + b`, then applies an **activation function**. A **layer** is many neurons
computed as one matrix product; a **multi-layer perceptron** stacks layers. Set a neuron by hand,
compare activations, then fit a curve with one wide layer and with a deep stack.""")

# 1. One neuron -------------------------------------------------------------------------------
if neuron_open := chrome.section("1 · A single neuron draws a straight line", "21"):
    chrome.intro(parts.NEURON_INTRO)
    controls, plot = st.columns([1, 2], gap="large")
    with controls:
        neuron = parts.neuron_controls()
    result = neurons.neuron(neuron)
    controls.metric("Accuracy of this neuron", f"{result.accuracy:.1%}",
                    help="Share of all points on their class's side of the line: class 1 where "
                         "z > 0.")
    with plot:
        parts.neuron_map(neuron, result)
    with controls:
        learned = parts.gradient_descent(neuron.dataset)
    parts.neuron_notice(result.facts, learned)

if chrome.section("Tensor form: every point and every neuron at once",
                  "22") and chrome.needs(neuron_open, "1"):
    chrome.intro(parts.TENSOR_INTRO)
    hidden = st.columns(3)[0].slider("Neurons in the layer (H)", 1, neurons.MAX_LAYER_NEURONS, 1,
                                     key="tensor-h", bind="query-params")
    form = neurons.tensor_form(neuron, hidden)
    parts.tensor_form(form)
    with show.folded("The PyTorch code (core/neurons.py)", key="neuron-code") as more:
        if more.open:
            st.code(inspect.getsource(neurons.layer))
    parts.tensor_notice(form.facts)

# 2. Activation functions ---------------------------------------------------------------------
if chrome.section("2 · Activation functions and their active region", "23-24"):
    picked, view = parts.activation_controls()
    profiles = neurons.activation_profiles(view)
    show.chart(charts.activation_panels, profiles.curves, view.threshold, key="act-panels")
    parts.formulas(picked)
    show.table(profiles.table, key="act-table")
    parts.activation_notice(profiles.facts)

# 3. Multi-layer perceptron: wide vs deep -----------------------------------------------------
if chrome.section("3 · One wide layer or several? Universal approximation in practice", "25-27"):
    chrome.intro(parts.THEORY)
    contest = parts.approximation_controls()
    fits_slot = st.empty()  # the nets' curves, redrawn while they train
    approximation, contest = widgets.started_or_default(
        neurons.wide_vs_deep, contest, default=neurons.WideVsDeep(),
        seconds=neurons.wide_seconds(contest), key="approx-run",
        label="Training the wide and the deep nets", start="Train the nets",
        live=parts.redraw_fits(fits_slot))
    with fits_slot.container():
        show.chart(charts.function_fits, approximation.points, approximation.fits,
                   approximation.truth, parts.FITS_TITLE, data=approximation.fits,
                   key="approx-fits")
    left, right = st.columns([1, 2], gap="large")
    with left:
        show.chart(charts.bars, approximation.errors, "variant", "MSE", "split",
                   key="approx-errors",
                   title="Error (MSE): the widest one-layer net against the deep one")
    with right:
        show.table(approximation.table, key="approx-table")
    show.chart(charts.curves, approximation.history, "loss", log_y=True, key="approx-curves",
               title="Loss (MSE) per epoch of each net on the noisy curve")
    parts.approximation_notice(approximation.facts, contest.epochs)
chrome.end()

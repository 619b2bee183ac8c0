"""Vanishing gradients and batch normalization (slides 50-55): gradients layer by layer, dying
ReLUs, covariate shift, batch norm. Every "what to notice" sentence is built from core's facts."""
import inspect

import streamlit as st

from core import charts, gradients
from ui import chrome, show, widgets
from ui.parts import gradients as parts

chrome.page("gradients", """The backward pass multiplies, layer after layer, by each activation's
derivative and by the weights. With **sigmoid** that derivative is at most 0.25, so in a deep net
the gradient reaching the first layers can shrink towards zero: they stop learning (**vanishing
gradients**). **ReLU** passes a gradient of exactly 1 where it is active, and with **He
initialization** the weights keep the gradient's size from layer to layer. **Leaky ReLU** and
**ELU** also keep a gradient where z < 0, so no unit can get stuck at 0 (**dying ReLU**). The
slides' hypothesis for deep nets: while earlier layers learn, the inputs of each later layer keep
drifting (**internal covariate shift**), and **batch normalization** re-centres and re-scales
them; later work traced batch norm's benefit mainly to a smoother loss landscape instead (section
4).""")

# 1. Gradient norms per layer ------------------------------------------------------------------
if flow_open := chrome.section("1 · Gradient norms, layer by layer", "50-51"):
    flow, on = parts.flow(parts.flow_knobs())  # on: "(digits)", the data the nets learn
    left, right = st.columns([2, 1])
    with left:
        show.chart(charts.per_layer, flow.grads_shown(initialization_only=True), "grad_norm",
                   "‖dLoss/dW‖ at init (log scale)", log_y=True, key="flow-init-norms",
                   title=f"Gradient norm per layer at init {on}")
    with right:
        parts.sigmoid_bound(flow.facts)
        parts.sigmoid_slope()
    parts.heat_over_training(flow, on)
    show.warnings(flow.messages)
    parts.flow_notice(flow.facts)

# 2. Activation statistics ---------------------------------------------------------------------
if chrome.section("2 · Activation statistics over training: collapse and saturation", "50") \
        and chrome.needs(flow_open, "1"):
    c1, c2 = parts.stats_columns()
    epoch = c1.slider("Epoch (0 = at initialization)", 0, flow.epochs, flow.epochs,
                      key="stats-epoch",
                      bind="query-params")
    widgets.within("stats-layer", 1, flow.depth, flow.middle_layer)  # the depth may have shrunk
    # a slider needs two values to choose from
    layer = (c2.slider("Layer for the histograms", 1, flow.depth, flow.middle_layer,
                       key="stats-layer",
                       bind="query-params") if flow.depth > 1 else 1)
    left, right = st.columns(2)
    with left:
        show.chart(charts.per_layer, flow.stats_at(epoch), "mean", "mean of the activations",
                   key="stats-mean", title=f"Mean activation per layer, epoch {epoch}")
    with right:
        show.chart(charts.per_layer, flow.stats_at(epoch), "spread", "spread across inputs",
                   key="stats-spread", title=f"Spread across inputs per layer, epoch {epoch}")
    show.chart(charts.colorful_dimension, flow.histograms_of(layer), key="stats-colorful",
               title=f"Layer {layer}'s activations over training, one panel per net {on}")
    parts.spread_caption(layer)
    parts.spread_notice(flow.spread[epoch], flow.depth)

# 3. Dying ReLU --------------------------------------------------------------------------------
if chrome.section("3 · Dying ReLU: units stuck at zero, and the fixes", "52-53"):
    dying = parts.dying(parts.dying_knobs())
    show.chart(charts.layer_heat, dying.dead, "dead", "share of dead units", domain=(0.0, 1.0),
               columns=3, key="dying-heat",
               heading="Share of dead units per layer and epoch (digits)")
    show.warnings(dying.messages)
    show.table(dying.table, key="dying-table")
    with show.folded("How a dead unit is counted (core/gradients.py)", key="dead-code") as more:
        if more.open:
            st.code(inspect.getsource(gradients.dead_fraction))
    parts.dying_notice(dying.facts)

# 4-5. Covariate shift and batch normalization -------------------------------------------------
if chrome.section("4 · Internal covariate shift: a hidden layer's inputs drift", "54"):
    grid = parts.bn_grid()
    shift_lr, shift_layer = parts.shift_knobs()
    show.chart(charts.quantile_bands, grid.bands_of(shift_lr, shift_layer),
               f"Inputs of hidden layer {shift_layer}, on a probe batch", facet="panel",
               key="shift-bands")
    parts.shift_notice(grid.shift[(shift_lr, shift_layer)])

if chrome.section("5 · Batch normalization's effect, measured", "55"):
    grid = parts.bn_grid()  # section 4's networks (one computation, cached), open or not
    st.latex(r"\hat z = \frac{z - \mu_B}{\sqrt{\sigma_B^2 + \epsilon}}, "
             r"\qquad y = \gamma \hat z + \beta")
    left, right = st.columns(2)
    with left:
        show.chart(charts.bars, grid.table, "learning rate", "final validation accuracy",
                   "batch norm",
                   key="bn-bars", title="Final validation accuracy (digits)")
    with right:
        show.table(grid.table, key="bn-table")
    show.chart(charts.curves, grid.history, "accuracy", key="bn-curves",
               title="Accuracy per epoch, each rate with and without batch norm (digits)")
    parts.grid_notice(grid.facts)
    st.markdown("**Train mode vs eval mode** (the batch-norm net at learning rate "
                f"{grid.mode_facts.mode_lr:g}, first batch-norm layer)")
    show.table(grid.modes, key="bn-modes")
    for column, (name, value) in zip(st.columns(3), grid.mode_accuracy.items()):
        column.metric(name, f"{value:.1%}")
    parts.modes_notice(grid.mode_facts)
chrome.end()

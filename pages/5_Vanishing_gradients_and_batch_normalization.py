"""Vanishing gradients and batch normalization (slides 48-55): gradients layer by layer, dying ReLUs, covariate shift, batch norm."""
import inspect

import streamlit as st

from core import charts, gradients as gr, normalization as nm
from core.activations import LABELS as ACT_LABELS
from core.data import LABELS as DATA_LABELS
from core.models import INIT_LABELS
from ui import chrome, runners, show

chrome.page("Vanishing gradients and batch normalization", "48-55", """The backward pass multiplies, layer after
layer, by each activation's derivative and by the weights. With **sigmoid** that derivative is at most 0.25, so in a
deep net the gradient reaching the first layers shrinks towards zero: they stop learning (**vanishing gradients**).
**ReLU** passes a gradient of exactly 1 where it is active; **Leaky ReLU** and **ELU** also keep a small one where it
is not, so no unit can get stuck at 0 (**dying ReLU**). And while earlier layers learn, the inputs of each later
layer keep drifting (**internal covariate shift**); **batch normalization** re-centres and re-scales them.""")

# 1. Gradient norms per layer ---------------------------------------------------------------------------
chrome.section("1 · Gradient norms, layer by layer", "48-51")
c1, c2, c3, c4, c5 = st.columns(5)
dataset = c1.selectbox("Dataset", gr.DATASETS, format_func=DATA_LABELS.get, key="flow-dataset", bind="query-params")
depth = c2.number_input(f"Depth (hidden layers, 1-{gr.MAX_DEPTH})", value=20, step=1, key="flow-depth",
                        bind="query-params")
width = c3.number_input(f"Width (units per layer, 2-{gr.MAX_WIDTH})", value=32, step=8, key="flow-width",
                        bind="query-params")
init = c4.selectbox("Initialization", tuple(INIT_LABELS), index=2, format_func=INIT_LABELS.get, key="flow-init",
                    bind="query-params")
bn = c5.toggle("Batch norm", key="flow-bn", bind="query-params",
               help="BatchNorm1d after every hidden Linear layer (trains through autograd).")
acts = st.multiselect("Activations (side by side)", gr.ACTIVATIONS, default=gr.ACTIVATIONS, format_func=ACT_LABELS.get,
                      key="flow-acts", bind="query-params")
flow = runners.run(gr.gradient_flow, runners.config(gr.GradientFlow, dataset=dataset, depth=int(depth), width=int(width),
                                                    init=init, batch_norm=bn, activations=tuple(acts)),
                   label=f"Training a {int(depth)}-layer net with {len(acts)} activations")
left, right = st.columns([2, 1])
with left:
    show.chart(charts.per_layer, flow.grads[flow.grads.epoch == 0], "grad_norm",
               "‖dLoss/dW‖ at init (log scale)", log_y=True, key="flow-init-norms")
with right:
    show.chart(charts.lines, gr.sigmoid_slope(), "z", "value", "curve", "z", "value", key="sigmoid-slope")
    st.latex(r"\sigma'(z) = \sigma(z)(1 - \sigma(z)) \le 0.25")
    mantissa, exponent = f"{gr.SIGMOID_MAX_SLOPE ** flow.depth:.1e}".split("e")
    st.latex(rf"0.25^{{{flow.depth}}} = {mantissa} \times 10^{{{int(exponent)}}}")
show.chart(charts.layer_heat, flow.grads.assign(grad_norm=flow.grads.grad_norm.clip(lower=1e-30)), "grad_norm",
           "‖dLoss/dW‖", log_scale=True, key="flow-heat", data=flow.grads)
st.caption("Each panel: one network; rows are layers (output at the top), columns epochs. Dark = tiny gradient.")
ratios = flow.ratio
worst, best = min(ratios, key=ratios.get), max(ratios, key=ratios.get)
vanish = ratios[worst] < 0.01
chrome.notice(
    f"at initialization ({INIT_LABELS[init]}), the first layer of the {worst} net gets {ratios[worst]:.1e} times the "
    f"gradient of its last layer" + (" — it barely learns: the gradient vanished on its way back. " if vanish else
                                     ": no vanishing here at this depth; make the net deeper or use sigmoid. ")
    + f"The {best} net's ratio is {ratios[best]:.2g}. Each sigmoid layer multiplies the gradient by at most 0.25 "
    f"(its derivative's maximum), so {flow.depth} layers can shrink it by up to {0.25 ** flow.depth:.0e}; ReLU's "
    "derivative is 1 where it is active. Switch the initialization: He keeps ReLU's gradients the same size in every "
    "layer, PyTorch's default makes them shrink too.")

# 2. Activation statistics ---------------------------------------------------------------------------------
chrome.section("2 · Activation statistics over training: collapse and saturation")
c1, c2 = st.columns(2)
epochs = int(flow.stats.epoch.max())
epoch = c1.slider("Epoch (0 = at initialization)", 0, epochs, epochs, key="stats-epoch", bind="query-params")
layer = c2.slider("Layer for the histograms", 1, flow.depth, min(flow.depth, max(1, flow.depth // 2)), key="stats-layer",
                  bind="query-params")
left, right = st.columns(2)
at_epoch = flow.stats[flow.stats.epoch == epoch]
with left:
    show.chart(charts.per_layer, at_epoch, "mean", "mean of the activations", key="stats-mean")
with right:
    show.chart(charts.per_layer, at_epoch, "std", "std of the activations", key="stats-std")
show.chart(charts.colorful_dimension, flow.histograms[flow.histograms.layer == layer], key="stats-colorful")
st.caption(f"fastai's \"colorful dimension\": for layer {layer}, the histogram of its activations on a probe batch of "
           f"{gr.PROBE_ROWS} validation rows, one column per epoch, the activation value up the y axis; bright = many "
           "values. ReLU-family values above 3 count in the top bin.")
last = flow.stats[(flow.stats.epoch == epoch) & (flow.stats.layer == flow.depth)].set_index("activation")
first = flow.stats[(flow.stats.epoch == epoch) & (flow.stats.layer == 1)].set_index("activation")
small = last["std"].idxmin()
chrome.notice(
    f"at epoch {epoch}, the {small} net's activations in layer {flow.depth} have standard deviation "
    f"{last['std'][small]:.3g} (layer 1: {first['std'][small]:.3g}): "
    + ("the signal collapses on its way forward, every input gives almost the same output, and the gradients on the "
       "way back shrink alike. " if last["std"][small] < 0.5 * first["std"][small] else
       "the spread survives the trip through the layers here. ")
    + "A bright band at one edge of the histogram is a layer that saturates (sigmoid near 0 or 1) or dies (ReLU at 0).")

# 3. Dying ReLU -------------------------------------------------------------------------------------------------
chrome.section("3 · Dying ReLU: units stuck at zero", "52")
c1, c2 = st.columns(2)
lr = c1.select_slider("Learning rate (log scale)", (0.01, 0.1, 0.3, 1.0, 2.0), value=1.0, key="dying-lr",
                      bind="query-params")
bias = c2.select_slider("Initial bias of every hidden unit", (-1.0, -0.5, -0.2, 0.0, 0.1), value=0.0, key="dying-bias",
                        bind="query-params")
dying = runners.run(gr.dying_relu, runners.config(gr.DyingRelu, lr=lr, bias=bias),
                    label="Training ReLU, Leaky ReLU and ELU side by side")
show.chart(charts.layer_heat, dying.dead, "dead", "share of dead units", domain=(0.0, 1.0), columns=3, key="dying-heat")
for name, message in dying.messages.items():
    st.warning(f"**{name}:** {message}")
show.table(dying.table, key="dying-table")
with st.expander("How a dead unit is counted (core/gradients.py)"):
    st.code(inspect.getsource(gr.dead_fraction))
t = dying.table.set_index("activation")
relu_end, relu_start = t["dead units at the end"]["ReLU"], t["dead units at initialization"]["ReLU"]
chrome.notice(
    f"a unit is dead when f'(z) = 0 for every validation example: it passes no gradient, so it can never recover. "
    f"With learning rate {lr:g} and initial bias {bias:g}, {relu_start:.0%} of the ReLU units are dead at the start and "
    f"{relu_end:.0%} at the end; Leaky ReLU has {t['dead units at the end']['Leaky ReLU']:.0%} (its slope of 0.01 below 0 "
    "is never zero) and ELU " f"{t['dead units at the end']['ELU']:.0%}. "
    + ("Large steps or negative biases push z below 0 for every input: that is the dying ReLU."
       if relu_end >= 0.3 else "Few ReLUs died here: raise the learning rate or lower the initial bias."))

# 4-5. Covariate shift and batch normalization ---------------------------------------------------------------
chrome.section("4 · Internal covariate shift: a hidden layer's inputs drift", "53-54")
grid = runners.run(nm.batch_norm_grid, nm.BatchNormGrid(), label="Training the deep net with and without batch norm")
c1, c2 = st.columns(2)
shift_lr = c1.select_slider("Learning rate", nm.BatchNormGrid().lrs, value=0.3, key="shift-lr", bind="query-params")
shift_layer = c2.slider("Hidden layer", 1, nm.BatchNormGrid().depth, 4, key="shift-layer", bind="query-params")
bands = grid.bands[(grid.bands.lr == shift_lr) & (grid.bands.layer == shift_layer)]
show.chart(charts.quantile_bands, bands, f"Inputs of layer {shift_layer}'s activation, on a probe batch", key="shift-bands")
(drift_off, width_off), (drift_on, width_on) = nm.drift(grid.bands, shift_lr, shift_layer).values()
chrome.notice(
    f"without batch norm, the median of layer {shift_layer}'s activation inputs moves by {drift_off:.2f} over training and "
    f"the 5-95% band ends {width_off:.2f} times as wide as it started: the layer chases a moving target. With "
    f"batch norm the median moves by {drift_on:.2f} and the band ends at {width_on:.2f} times its width: each "
    "batch is re-centred to mean 0 and re-scaled to standard deviation 1 before γ and β shift it (slowly) again.")

chrome.section("5 · Batch normalization's effect, measured", "55")
st.latex(r"\hat z = \frac{z - \mu_B}{\sqrt{\sigma_B^2 + \epsilon}}, \qquad y = \gamma \hat z + \beta")
left, right = st.columns(2)
with left:
    show.chart(charts.bars, grid.table, "learning rate", "final validation accuracy", "batch norm", key="bn-bars")
with right:
    show.table(grid.table, key="bn-table")
show.chart(charts.curves, grid.history, "accuracy", key="bn-curves")
cfg = nm.BatchNormGrid()
wins = [lr for lr in cfg.lrs if grid.accuracy[(lr, True)] > grid.accuracy[(lr, False)] + 0.2]
chrome.notice(
    (f"the same {cfg.depth}-layer {ACT_LABELS[cfg.activation]} net trains with batch norm at learning rate "
     f"{wins[-1]:g} ({grid.accuracy[(wins[-1], True)]:.0%} validation accuracy) where the plain net does not "
     + ("(its loss blew up). " if (wins[-1], False) in grid.diverged else f"({grid.accuracy[(wins[-1], False)]:.0%}). ")
     + "Normalized inputs keep every layer in its working range, so larger "
     "steps stay stable." if wins else
     "here batch norm does not beat the plain net by much at any learning rate: the effect shows on deeper nets and "
     "larger learning rates."))
st.markdown(f"**Train mode vs eval mode** (the batch-norm net at learning rate {grid.mode_lr:g}, first batch-norm layer)")
show.table(grid.modes, key="bn-modes")
cols = st.columns(3)
for col, (name, value) in zip(cols, grid.mode_accuracy.items()):
    col.metric(name, f"{value:.1%}")
acc_modes = list(grid.mode_accuracy.values())
chrome.notice(
    f"in train mode batch norm divides by this batch's mean and standard deviation; in eval mode by the running averages "
    f"it kept while training (the table: close, not equal). So a prediction in train mode depends on the other examples "
    f"in its batch: in batches of 4 a class probability changes by up to {grid.largest_change:.2f} and the accuracy drops to "
    f"{acc_modes[2]:.0%}, against {acc_modes[0]:.0%} in eval mode. Call `model.eval()` before inference; a batch of one "
    "cannot even be normalized in train mode.")
chrome.end()

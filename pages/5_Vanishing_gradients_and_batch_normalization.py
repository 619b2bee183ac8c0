"""Vanishing gradients and batch normalization (slides 50-55): gradients layer by layer, dying ReLUs, covariate
shift, batch norm. Every "what to notice" sentence is built from the facts core returns with each result."""
import inspect

import streamlit as st

from core import charts, gradients as gr, normalization as nm
from core.activations import LABELS as ACT_LABELS
from core.data import LABELS as DATA_LABELS
from core.models import INIT_LABELS
from ui import chrome, runners, show

chrome.page("Vanishing gradients and batch normalization", "50-55", """The backward pass multiplies, layer after
layer, by each activation's derivative and by the weights. With **sigmoid** that derivative is at most 0.25, so in a
deep net the gradient reaching the first layers can shrink towards zero: they stop learning (**vanishing gradients**).
**ReLU** passes a gradient of exactly 1 where it is active, and with **He initialization** the weights keep the
gradient's size from layer to layer. **Leaky ReLU** and **ELU** also keep a gradient where z < 0, so no unit can get
stuck at 0 (**dying ReLU**). The slides' hypothesis for deep nets: while earlier layers learn, the inputs of each later
layer keep drifting (**internal covariate shift**), and **batch normalization** re-centres and re-scales them; later
work traced batch norm's benefit mainly to a smoother loss landscape instead (section 4).""")

# 1. Gradient norms per layer ---------------------------------------------------------------------------
chrome.section("1 · Gradient norms, layer by layer", "50-51")
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
flow_cfg = runners.config(gr.GradientFlow, dataset=dataset, depth=int(depth), width=int(width), init=init,
                          batch_norm=bn, activations=tuple(acts))
flow = runners.run(gr.gradient_flow, flow_cfg,
                   label=f"Training a {int(depth)}-layer net with {len(acts)} activations")
ff = flow.facts
left, right = st.columns([2, 1])
with left:
    show.chart(charts.per_layer, flow.grads_shown(initialization_only=True), "grad_norm",
               "‖dLoss/dW‖ at init (log scale)", log_y=True, key="flow-init-norms")
with right:
    show.chart(charts.lines, gr.sigmoid_slope(), "z", "value", "curve", "z", "value", key="sigmoid-slope")
    st.latex(r"\sigma'(z) = \sigma(z)(1 - \sigma(z)) \le 0.25")
    st.latex(rf"\prod_{{l=1}}^{{{ff.depth}}} \sigma'(z_l) \le 0.25^{{{ff.depth}}} "
             rf"\approx {gr.sci_latex(ff.sigmoid_bound)}")
show.chart(charts.layer_heat, flow.grads_shown(), "grad_norm", "‖dLoss/dW‖", log_scale=True, key="flow-heat",
           data=flow.grads)
st.caption("Each panel: one network; rows are layers (output at the top), columns epochs. Dark = tiny gradient.")
chrome.notice(
    (f"the gradient norms of the {', '.join(ff.nonfinite)} net are not finite at initialization (they overflowed "
     "to infinity or NaN: the initial weights are too large for this depth and width, so the signal blows up on its "
     "way through the layers); the charts leave them out. " if ff.nonfinite else "")
    + (f"at initialization ({ff.init}), the first layer of the {ff.worst} net gets {ff.worst_ratio:.1e} times the "
       "gradient of its last layer"
       + (": it barely learns, the gradient vanished on its way back. " if ff.worst in ff.vanished else
          ": no net's gradient vanished here (every first layer gets at least 1% of its last layer's); try a deeper "
          "net" + (" or PyTorch's default initialization. " if "Sigmoid" in ff.activations_run else
                   " or add sigmoid. "))
       + f"The {ff.best} net's ratio is {ff.best_ratio:.2g}. " if ff.worst else "")
    + f"Each sigmoid layer multiplies the gradient by its derivative σ'(z) ≤ 0.25, so through {ff.depth} layers the "
    f"derivatives alone shrink it by a factor of at least 4^{ff.depth} (they leave at most {ff.sigmoid_bound:.1e} of "
    "it); the weights multiply in too and can grow or shrink it further. ReLU's derivative is 1 where it is active, "
    f"and He initialization sizes the weights to keep the gradient's size: a ReLU net of this shape gets a ratio of "
    f"{ff.relu_he_ratio:.2g} with He initialization and {ff.relu_default_ratio:.1e} with PyTorch's default one.", ff)

# 2. Activation statistics ---------------------------------------------------------------------------------
chrome.section("2 · Activation statistics over training: collapse and saturation", "50")
c1, c2 = st.columns(2)
epoch = c1.slider("Epoch (0 = at initialization)", 0, flow.epochs, flow.epochs, key="stats-epoch", bind="query-params")
layer = c2.slider("Layer for the histograms", 1, flow.depth, flow.middle_layer, key="stats-layer", bind="query-params")
left, right = st.columns(2)
with left:
    show.chart(charts.per_layer, flow.stats_at(epoch), "mean", "mean of the activations", key="stats-mean")
with right:
    show.chart(charts.per_layer, flow.stats_at(epoch), "spread", "spread across inputs", key="stats-spread")
show.chart(charts.colorful_dimension, flow.histograms_of(layer), key="stats-colorful")
st.caption(f"Spread across inputs: for each unit, the standard deviation of its activation over a probe batch of "
           f"{gr.PROBE_ROWS} validation rows, averaged over the layer's units (0: every input gives the same value). "
           f"Below, fastai's \"colorful dimension\": for layer {layer}, the histogram of its activations on that "
           "batch, one column per epoch, the activation value up the y axis; bright = many values. ReLU-family values "
           "above 3 count in the top bin.")
sp = flow.spread[epoch]
chrome.notice(
    (f"at epoch {sp.epoch}, the {sp.spread_net} net's layer {flow.depth} keeps {sp.spread_share:.2g} of layer 1's "
     f"spread across inputs ({sp.spread_last:.2g} against {sp.spread_first:.2g}): "
     + ("the signal collapsed on its way forward: every input gives almost the same output (under 1% of the first "
        "layer's spread is left), so the later layers cannot tell the inputs apart. " if sp.collapsed else
        "the spread shrinks to under half on its way forward, but the inputs stay apart. " if sp.shrank else
        "the spread survives the trip through the layers here. ") if sp.spread_net else
     f"at epoch {sp.epoch} no net has finite activations left to compare. ")
    + "A bright band at one edge of the histogram is a layer that saturates (sigmoid near 0 or 1) or dies (ReLU at 0).",
    sp)

# 3. Dying ReLU -------------------------------------------------------------------------------------------------
chrome.section("3 · Dying ReLU: units stuck at zero, and the fixes", "52-53")
dying_default = gr.DyingRelu()
c1, c2 = st.columns(2)
lr = c1.select_slider("Learning rate (Adam, log scale)", (0.001, 0.003, 0.01, 0.03, 0.1, 0.3), value=dying_default.lr,
                      key="dying-lr", bind="query-params")
bias = c2.select_slider("Initial bias of every hidden unit", (-1.0, -0.5, -0.2, 0.0, 0.1), value=dying_default.bias,
                        key="dying-bias", bind="query-params")
dying = runners.run(gr.dying_relu, runners.config(gr.DyingRelu, lr=lr, bias=bias),
                    label="Training ReLU, Leaky ReLU and ELU side by side")
show.chart(charts.layer_heat, dying.dead, "dead", "share of dead units", domain=(0.0, 1.0), columns=3, key="dying-heat")
for name, message in dying.messages.items():
    st.warning(f"**{name}:** {message}")
show.table(dying.table, key="dying-table")
with st.expander("How a dead unit is counted (core/gradients.py)"):
    st.code(inspect.getsource(gr.dead_fraction))
df = dying.facts
chrome.notice(
    f"a unit is dead when f'(z) = 0 for every validation example: it passes no gradient back, so it cannot learn its "
    f"way out. With initial bias {df.dying_bias:g} and Adam at learning rate {df.dying_lr:g}, {df.relu_dead_start:.0%} "
    f"of the ReLU units have z ≤ 0 for every validation input from the start, and {df.relu_dead_end:.0%} are dead at "
    "the end"
    + (f"; in {df.relu_dead_layers} of its {dying_default.depth} layers every unit is dead, so the ReLU net's "
       "output no longer depends on its input" if df.relu_dead_layers else "")
    + f". Leaky ReLU has {df.leaky_dead_end:.0%} dead units (its slope of 0.01 below 0 is never zero) and ELU "
    f"{df.elu_dead_end:.0%}. Validation accuracy: ReLU {df.acc_relu:.0%}, Leaky ReLU {df.acc_leaky:.0%}, ELU "
    f"{df.acc_elu:.0%}. "
    + ("The fixes work: their units keep a gradient below 0 and learn, the dead ReLUs never do."
       if df.fixes_recover else
       "Here Leaky ReLU and ELU do not both end more than 30 points above ReLU"
       + (f": fewer ReLUs died ({df.relu_dead_end:.0%} of them), so the fixes have less to fix (try a negative "
          "initial bias)." if not df.many_died else "."))
    + (f" The loss of {', '.join(df.dying_diverged)} blew up (see the warning)." if df.dying_diverged else ""), df)

# 4-5. Covariate shift and batch normalization ---------------------------------------------------------------
chrome.section("4 · Internal covariate shift: a hidden layer's inputs drift", "54")
grid_default = nm.BatchNormGrid()
grid = runners.run(nm.batch_norm_grid, grid_default, label="Training the deep net with and without batch norm")
c1, c2 = st.columns(2)
shift_lr = c1.select_slider("Learning rate", grid_default.lrs, value=0.3, key="shift-lr", bind="query-params")
shift_layer = c2.slider("Hidden layer", 1, grid_default.depth, 4, key="shift-layer", bind="query-params")
show.chart(charts.quantile_bands, grid.bands_of(shift_lr, shift_layer), f"Inputs of hidden layer {shift_layer}, on a "
           "probe batch", facet="panel", key="shift-bands")
sf = grid.shift[(shift_lr, shift_layer)]
chrome.notice(
    "the slide's hypothesis (Ioffe & Szegedy, 2015): while earlier layers learn, the distribution of each layer's "
    "input keeps moving (internal covariate shift), and batch norm helps by holding it still. Measured here on a probe "
    f"batch at learning rate {sf.shift_lr:g}, hidden layer {sf.shift_layer}; drift = the farthest the median moved "
    "from its start, in widths of the initial 5-95% band. "
    + ("Without batch norm the plain net's loss blew up at this learning rate, so its bands show a blow-up, not a "
       "drift: pick a smaller rate. " if sf.plain_diverged else
       f"Without batch norm the input drifts by {sf.drift_plain:.2f} and its band ends {sf.widen_plain:.2f} times "
       "as wide. ")
    + f"With batch norm, the Linear layer's output before the norm drifts by {sf.drift_pre_bn:.2f} (band "
    f"{sf.widen_pre_bn:.2f} times as wide)"
    + ((", less than without it" if sf.pre_bn_drifts_less else ", no less than without it")
       if not sf.plain_diverged else "")
    + f"; after the norm by {sf.drift_post_bn:.2f} (band {sf.widen_post_bn:.2f} times): the normalization pins each "
    "batch to mean 0 and std 1, so only the learned γ and β can move this band, and here they "
    + ("moved it little. " if sf.post_bn_still else "moved it too: γ and β are trained like any weight. ")
    + "Later work tested "
    "the hypothesis: Santurkar et al. (2018, \"How Does Batch Normalization Help Optimization?\") found that this "
    "stability has little to do with batch norm's success; it makes the loss landscape smoother, so the gradients "
    "are more predictive and larger steps stay stable.", sf)

chrome.section("5 · Batch normalization's effect, measured", "55")
st.latex(r"\hat z = \frac{z - \mu_B}{\sqrt{\sigma_B^2 + \epsilon}}, \qquad y = \gamma \hat z + \beta")
left, right = st.columns(2)
with left:
    show.chart(charts.bars, grid.table, "learning rate", "final validation accuracy", "batch norm", key="bn-bars")
with right:
    show.table(grid.table, key="bn-table")
show.chart(charts.curves, grid.history, "accuracy", key="bn-curves")
gf = grid.facts
chrome.notice(
    (f"the same {gf.grid_depth}-layer {gf.grid_activation} net trains with batch norm at learning rate {gf.win_lr:g} "
     f"({gf.win_acc_bn:.0%} validation accuracy) where the plain net does not "
     + ("(its loss blew up). " if gf.win_plain_diverged else f"({gf.win_acc_plain:.0%}). ")
     + "The batch-norm net stays stable at this step size." if gf.bn_wins else
     "here batch norm does not beat the plain net by more than 20 points at any learning rate."), gf)
mf = grid.mode_facts
st.markdown(f"**Train mode vs eval mode** (the batch-norm net at learning rate {mf.mode_lr:g}, first batch-norm layer)")
show.table(grid.modes, key="bn-modes")
cols = st.columns(3)
for col, (name, value) in zip(cols, grid.mode_accuracy.items()):
    col.metric(name, f"{value:.1%}")
chrome.notice(
    "in train mode batch norm normalizes with this batch's own mean and standard deviation (subtracts the mean, "
    "divides by the std); in eval mode with the running averages it kept while training (the table compares them). "
    "So a prediction in train mode depends on the other examples in its batch: in batches of 4 a class probability "
    f"changes by up to {mf.largest_change:.2f} and the accuracy is {mf.acc_batches_of_4:.0%}, against {mf.acc_eval:.0%} in eval mode"
    + (". " if mf.train_mode_worse else " (about the same here). ")
    + "Call `model.eval()` before inference; a batch of one cannot even be normalized in train mode.", mf)
chrome.end()

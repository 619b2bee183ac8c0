"""The Vanishing gradients and batch normalization page's controls and sentences: the page places them, core
computes the facts."""
from __future__ import annotations

import streamlit as st

from core import charts, gradients, normalization
from core.activations import LABELS as ACTIVATION_LABELS
from core.data import LABELS as DATA_LABELS
from core.models import INIT_LABELS
from ui import chrome, runners, show, widgets

DYING_DEFAULT = gradients.DyingRelu()
GRID_DEFAULT = normalization.BatchNormGrid()


def bn_grid() -> normalization.GridResult:
    """Sections 4 and 5's networks: the deep net at three learning rates, with and without batch norm."""
    return runners.run(normalization.batch_norm_grid, GRID_DEFAULT,
                       label="Training the deep net with and without batch norm")
HYPOTHESIS_TESTED = (
    "Later work tested the hypothesis: Santurkar et al. (2018, \"How Does Batch Normalization Help "
    "Optimization?\") found that this stability has little to do with batch norm's success; it makes the loss "
    "landscape smoother, so the gradients are more predictive and larger steps stay stable.")


# 1. Gradient norms per layer -----------------------------------------------------------------------------------


def flow_knobs() -> gradients.GradientFlow:
    """Dataset, depth, width, initialization, batch norm and the activations trained side by side."""
    st.markdown("A deep MLP trained on a data set you pick, once per activation function, for a few epochs: how "
                "large the gradient is that reaches each layer, at initialization and over training.")
    # the data set's column a little wider: "Digits 8x8 (10 classes)" was cut by 2 px in presenter mode at 1,280 px;
    # two rows of controls: as one row of five, the batch-norm switch (and then the initialization) wrapped to a row
    # of their own on a projector and pushed the walkthrough's first chart below the fold
    c1, c2, c3 = st.columns([1.15, 1, 1])
    dataset = c1.selectbox("Dataset", gradients.DATASETS, format_func=DATA_LABELS.get, key="flow-dataset",
                           bind="query-params")
    # The ranges core accepts, so that + and - stop there (past them the page's error removed every section below)
    depth = c2.number_input(f"Depth (hidden layers, 1-{gradients.MAX_DEPTH})", 1, gradients.MAX_DEPTH, 20, step=1,
                            key="flow-depth", bind="query-params")
    width = c3.number_input(f"Width (units per layer, 2-{gradients.MAX_WIDTH})", 2, gradients.MAX_WIDTH, 32, step=8,
                            key="flow-width", bind="query-params")
    acts, c4, c5 = st.columns([2.4, 1.2, 0.8], vertical_alignment="bottom")
    init = c4.selectbox("Initialization", tuple(INIT_LABELS), index=2, format_func=INIT_LABELS.get,
                        key="flow-init", bind="query-params")
    chosen = acts.multiselect("Activations (side by side)", gradients.ACTIVATIONS, default=gradients.ACTIVATIONS,
                              format_func=ACTIVATION_LABELS.get, key="flow-acts", bind="query-params")
    batch_norm = c5.toggle("Batch norm", key="flow-bn", bind="query-params",
                           help="BatchNorm1d after every hidden Linear layer (trains through autograd).")
    return runners.config(gradients.GradientFlow, dataset=dataset, depth=int(depth), width=int(width), init=init,
                          batch_norm=batch_norm, activations=tuple(chosen))


def sigmoid_bound(facts: gradients.FlowFacts) -> None:
    """sigma'(z) <= 0.25, and what that leaves of the gradient through `depth` layers."""
    st.latex(r"\sigma'(z) = \sigma(z)(1 - \sigma(z)) \le 0.25")
    st.latex(rf"\prod_{{l=1}}^{{{facts.depth}}} \sigma'(z_l) \le 0.25^{{{facts.depth}}} "
             rf"\approx {gradients.sci_latex(facts.sigmoid_bound)}")


def sigmoid_slope() -> None:
    """sigma(z) and its slope drawn, folded away until opened (the first view draws the chart of slides 50-51 only)."""
    with show.folded("σ(z) and its slope σ'(z), drawn", key="sigmoid-slope", figure=True) as more:
        if more.open:
            show.chart(charts.lines, gradients.sigmoid_slope(), "z", "value", "curve", "z", "value",
                       key="sigmoid-slope", title="σ(z) and its slope σ'(z)")


def heat_over_training(flow: gradients.FlowResult, on: str) -> None:
    """The gradient norm per layer and epoch of every net, folded away until opened; `on`: "(digits 8x8)"."""
    with show.folded(f"Over training: the gradient norm per layer and epoch {on}", key="flow-heat",
                     figure=True) as more:
        if more.open:
            show.chart(charts.layer_heat, flow.grads_shown(), "grad_norm", "‖dLoss/dW‖", log_scale=True,
                       key="flow-heat", data=flow.grads, heading=f"Gradient norm per layer and epoch {on}")
            st.caption("Each panel: one network; rows are layers (output at the top), columns epochs. "
                       "Dark = tiny gradient.")


def _times(ratio: float) -> str:
    """A ratio as a student reads it: 29, 0.32, or 4.6e+13 and 2.1e-05 beyond a thousand either way."""
    return f"{ratio:.2g}" if 1e-3 <= ratio < 1e3 else f"{ratio:.1e}"


def flow_notice(facts: gradients.FlowFacts) -> None:
    """Which net's gradient vanished (or blew up) at initialization, and why sigmoid's does."""
    nets = f"{', '.join(facts.nonfinite)} net{'s' if len(facts.nonfinite) > 1 else ''}"
    overflowed = (f"the gradient norms of the {nets} "
                  "are not finite at initialization (they overflowed to infinity or NaN: the initial weights are too "
                  "large for this depth and width, so the signal blows up on its way through the layers); the charts "
                  "leave them out. " if facts.nonfinite else "")
    deeper = "try a deeper net or " if facts.depth < gradients.MAX_DEPTH else "try "
    exploded = (f": its first layer gets more than {1 / gradients.VANISHED:.0f} times its last layer's, the gradient "
                "grows on its way back (it explodes)" if facts.best_ratio > 1 / gradients.VANISHED else "")
    chrome.notice(
        overflowed
        + (f"{'At' if overflowed else 'at'} initialization ({facts.init}), the first layer of the {facts.worst} net "
           f"gets {_times(facts.worst_ratio)} times the gradient of its last layer"
           + (": it barely learns, the gradient vanished on its way back. " if facts.worst in facts.vanished else
              ": no net's gradient vanished here (every first layer gets at least 1% of its last layer's); "
              + deeper + ("PyTorch's default initialization. " if "Sigmoid" in facts.activations_run else
                          "add sigmoid. "))
           + (f"The {facts.best} net's ratio is {_times(facts.best_ratio)}{exploded}. "
              if facts.best != facts.worst else "") if facts.worst else "")
        + f"Each sigmoid layer multiplies the gradient by its derivative σ'(z) ≤ 0.25, so through {facts.depth} "
        f"layers the derivatives alone shrink it by a factor of at least 4^{facts.depth} (they leave at most "
        f"{facts.sigmoid_bound:.1e} of it); the weights multiply in too and can grow or shrink it further. ReLU's "
        "derivative is 1 where it is active, and He initialization sizes the weights to keep the gradient's size: a "
        f"ReLU net of this shape gets a ratio of {facts.relu_he_ratio:.2g} with He initialization and "
        f"{facts.relu_default_ratio:.1e} with PyTorch's default one.", facts)


# 2. Activation statistics --------------------------------------------------------------------------------------


def spread_caption(layer: int) -> None:
    """What "spread across inputs" and the colorful-dimension histogram show."""
    st.caption(f"Spread across inputs: for each unit, the standard deviation of its activation over a probe batch "
               f"of {gradients.PROBE_ROWS} validation rows, averaged over the layer's units (0: every input gives "
               f"the same value). Below, fastai's \"colorful dimension\": for layer {layer}, the histogram of its "
               "activations on that batch, one column per epoch, the activation value up the y axis; bright = many "
               "values. ReLU-family values above 3 count in the top bin.")


def spread_notice(spread: gradients.SpreadFacts, depth: int) -> None:
    """How much of the first layer's spread across inputs the last layer keeps at the chosen epoch."""
    chrome.notice(
        (f"at epoch {spread.epoch}, the {spread.spread_net} net's layer {depth} keeps {spread.spread_share:.2g} of "
         f"layer 1's spread across inputs ({spread.spread_last:.2g} against {spread.spread_first:.2g}): "
         + ("the signal collapsed on its way forward: every input gives almost the same output (under 1% of the "
            "first layer's spread is left), so the later layers cannot tell the inputs apart. " if spread.collapsed
            else "the spread shrinks to under half on its way forward, but the inputs stay apart. " if spread.shrank
            else "the spread survives the trip through the layers here. ") if spread.spread_net else
         f"at epoch {spread.epoch} no net has finite activations left to compare. ")
        + "A bright band at one edge of the histogram is a layer that saturates (sigmoid near 0 or 1) or dies "
        "(ReLU at 0).", spread)


# 3. Dying ReLU -------------------------------------------------------------------------------------------------


def flow(cfg: gradients.GradientFlow) -> tuple[gradients.FlowResult, str]:
    """The deep nets of sections 1-2, trained at once or on their button (ui/widgets.started_or_default),
    and "(the data)" they learned, for the charts' titles."""
    result, shown = widgets.started_or_default(
        gradients.gradient_flow, cfg, default=gradients.GradientFlow(), seconds=gradients.flow_seconds(cfg),
        key="flow-run", label=f"Training a {cfg.depth}-layer net with {len(cfg.activations)} activations",
        start="Train the deep nets")
    return result, f"({DATA_LABELS[shown.dataset].split(' (')[0].lower()})"


def stats_columns() -> list:
    """Section 2's intro, then two columns for its epoch and layer sliders."""
    st.markdown("The activations of section 1's nets, on the same data: their mean and their spread across inputs "
                "in every layer at the epoch you pick, and the histograms of one layer over training.")
    return st.columns(2)


def dying(cfg: gradients.DyingRelu) -> gradients.DyingResult:
    """Section 3's nets, trained at once at the defaults, on their button after a change (DYING_SECONDS)."""
    return widgets.started_or_default(gradients.dying_relu, cfg, default=DYING_DEFAULT,
                                      seconds=gradients.DYING_SECONDS, key="dying-run",
                                      label="Training ReLU, Leaky ReLU and ELU side by side",
                                      start="Train the three nets")[0]


def dying_knobs() -> gradients.DyingRelu:
    """Adam's learning rate and every hidden unit's initial bias."""
    st.markdown("ReLU, Leaky ReLU and ELU nets (4 hidden layers of 32 units) trained side by side on the 8x8 digits by "
                "Adam, every hidden unit starting with the bias you pick: the share of dead units per layer, epoch by "
                "epoch.")
    c1, c2 = st.columns(2)
    lr = c1.select_slider("Learning rate (Adam, log scale)", (0.001, 0.003, 0.01, 0.03, 0.1, 0.3),
                          value=DYING_DEFAULT.lr, key="dying-lr", bind="query-params")
    bias = c2.select_slider("Initial bias of every hidden unit", (-1.0, -0.5, -0.2, 0.0, 0.1),
                            value=DYING_DEFAULT.bias, key="dying-bias", bind="query-params")
    return runners.config(gradients.DyingRelu, lr=lr, bias=bias)


def dying_notice(facts: gradients.DyingFacts) -> None:
    """How many ReLUs died, and whether Leaky ReLU and ELU fixed it."""
    chrome.notice(
        "a unit is dead when f'(z) = 0 for every validation example: it passes no gradient back, so it cannot "
        f"learn its way out. With initial bias {facts.dying_bias:g} and Adam at learning rate {facts.dying_lr:g}, "
        f"{facts.relu_dead_start:.0%} of the ReLU units have z ≤ 0 for every validation input from the start, and "
        f"{facts.relu_dead_end:.0%} are dead at the end"
        + (f"; in {facts.relu_dead_layers} of its {DYING_DEFAULT.depth} layers every unit is dead, so the ReLU "
           "net's output no longer depends on its input" if facts.relu_dead_layers else "")
        + f". Leaky ReLU has {facts.leaky_dead_end:.0%} dead units (its slope of 0.01 below 0 is never zero) and "
        f"ELU {facts.elu_dead_end:.0%}. Validation accuracy: ReLU {facts.acc_relu:.0%}, Leaky ReLU "
        f"{facts.acc_leaky:.0%}, ELU {facts.acc_elu:.0%}. "
        + ("The fixes work: their units keep a gradient below 0 and learn, the dead ReLUs never do."
           if facts.fixes_recover else
           "Here Leaky ReLU and ELU do not both end more than 30 points above ReLU"
           + (f": fewer ReLUs died ({facts.relu_dead_end:.0%} of them), so the fixes have less to fix (try a "
              "negative initial bias)." if not facts.many_died else "."))
        + (f" The loss of {', '.join(facts.dying_diverged)} blew up (see the warning)." if facts.dying_diverged
           else ""), facts)


# 4-5. Covariate shift and batch normalization ---------------------------------------------------------------


def shift_knobs() -> tuple[float, int]:
    """The learning rate and the hidden layer whose inputs the bands show."""
    st.markdown("A deep ReLU net (8 hidden layers) trained on the 8x8 digits without and with batch norm, at three "
                "learning rates: how the inputs of one hidden layer move over training, on a fixed probe batch.")
    c1, c2 = st.columns(2)
    lr = c1.select_slider("Learning rate", GRID_DEFAULT.lrs, value=0.3, key="shift-lr", bind="query-params")
    layer = c2.slider("Hidden layer", 1, GRID_DEFAULT.depth, 4, key="shift-layer", bind="query-params")
    return lr, layer


def shift_notice(shift: normalization.ShiftFacts) -> None:
    """How far the layer's input drifted without batch norm, before the norm and after it."""
    chrome.notice(
        "the slide's hypothesis (Ioffe & Szegedy, 2015): while earlier layers learn, the distribution of each "
        "layer's input keeps moving (internal covariate shift), and batch norm helps by holding it still. "
        f"Measured here on a probe batch at learning rate {shift.shift_lr:g}, hidden layer {shift.shift_layer}; "
        "drift = the farthest the median moved from its start, in widths of the initial 5-95% band. "
        + ("Without batch norm the plain net's loss blew up at this learning rate, so its bands show a blow-up, "
           "not a drift: pick a smaller rate. " if shift.plain_diverged else
           f"Without batch norm the input drifts by {shift.drift_plain:.2f} and its band ends "
           f"{shift.widen_plain:.2f} times as wide. ")
        + f"With batch norm, the Linear layer's output before the norm drifts by {shift.drift_pre_bn:.2f} (band "
        f"{shift.widen_pre_bn:.2f} times as wide)"
        + ((", less than without it" if shift.pre_bn_drifts_less else ", no less than without it")
           if not shift.plain_diverged else "")
        + f"; after the norm by {shift.drift_post_bn:.2f} (band {shift.widen_post_bn:.2f} times): the "
        "normalization pins each batch to mean 0 and std 1, so only the learned γ and β can move this band, and "
        "here they "
        + ("moved it little. " if shift.post_bn_still else "moved it too: γ and β are trained like any weight. ")
        + HYPOTHESIS_TESTED, shift)


def grid_notice(facts: normalization.GridFacts) -> None:
    """Whether batch norm trains at a learning rate where the plain net does not."""
    chrome.notice(
        (f"the same {facts.grid_depth}-layer {facts.grid_activation} net trains with batch norm at learning rate "
         f"{facts.win_lr:g} ({facts.win_acc_bn:.0%} validation accuracy) where the plain net does not "
         + ("(its loss blew up). " if facts.win_plain_diverged else f"({facts.win_acc_plain:.0%}). ")
         + "The batch-norm net stays stable at this step size." if facts.bn_wins else
         "here batch norm does not beat the plain net by more than 20 points at any learning rate."), facts)


def modes_notice(facts: normalization.ModeFacts) -> None:
    """Train mode normalizes with the batch's own statistics, eval mode with the running ones."""
    chrome.notice(
        "in train mode batch norm normalizes with this batch's own mean and standard deviation (subtracts the "
        "mean, divides by the std); in eval mode with the running averages it kept while training (the table "
        "compares them). So a prediction in train mode depends on the other examples in its batch: in batches "
        f"of 4 a class probability changes by up to {facts.largest_change:.2f} and the accuracy is "
        f"{facts.acc_batches_of_4:.0%}, against {facts.acc_eval:.0%} in eval mode"
        + (". " if facts.train_mode_worse else " (about the same here). ")
        + "Call `model.eval()` before inference; a batch of one cannot even be normalized in train mode.", facts)

"""The Learning cycle page's controls, step-by-step tabs and sentences: the page places them, core computes."""
from __future__ import annotations

import math
import time
from collections.abc import Callable

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from core import charts, data, learning_cycle
from core.charts import raster
from ui import chrome, maths, runners, show, urls, widgets

STEP_BUTTONS = (("◀ Previous", -1), ("Next step ▶", +1), ("Back to step 0", None))  # left to right


# 1. One step, by hand ------------------------------------------------------------------------------


# The step shown: a number input bound to the URL (a shared link reopens at its step) that the buttons move.
# Its own name: "step" is the GAN page's URL-bound slider, and a session's state is shared by every page.
STEP = "cycle-step"


def _move(by: int | None) -> None:
    """The step buttons' callback: one step on or back (within 0..MAX_STEPS), or back to 0 (None)."""
    now = int(st.session_state.get(STEP, 0))
    urls.move({STEP: 0 if by is None else min(max(now + by, 0), learning_cycle.MAX_STEPS)})


def step_controls() -> learning_cycle.StepByStep:
    """Activation, hidden units, batch size and learning rate, then the buttons that pick the step shown."""
    chrome.intro("A 2-H-1 network on mini-batches of the two moons, trained by plain SGD one step at a time: every "
                "number of the forward pass, the loss, the backward pass and the update of the step shown.")
    activation_column, hidden_column, batch_column, lr_column = st.columns(4)
    activation = activation_column.selectbox("Hidden activation", ("tanh", "sigmoid", "relu"), key="step-act",
                                             bind="query-params")
    hidden = hidden_column.slider("Hidden units", 1, 4, 3, key="step-hidden", bind="query-params")
    batch = batch_column.slider("Batch size", 1, 6, 4, key="step-batch", bind="query-params")
    lr = lr_column.select_slider("Learning rate", (0.01, 0.1, 0.5, 1.0, 3.0), 0.5, key="step-lr",
                                 bind="query-params")
    *buttons, counter = st.columns([1, 1, 1, 1], vertical_alignment="bottom")
    for column, (label, by) in zip(buttons, STEP_BUTTONS):
        column.button(label, on_click=_move, args=(by,), width="stretch")
    step = counter.number_input("Step shown", 0, learning_cycle.MAX_STEPS, step=1, key=STEP, bind="query-params")
    return runners.config(learning_cycle.StepByStep, activation=activation, hidden=hidden, batch_size=batch, lr=lr,
                          step=int(step))


# The four parts of the cycle, one shown at a time (a control bound to the URL, as the step is). Not st.tabs: a tab
# panel without a focusable element (these are all equations) is searched node by node for one at every redraw of
# the page, which slowed the live run's map (section 2) in Chromium (benchmarks/live.py measures it); and a hidden
# part costs the first view nothing.
PARTS = ("1 Forward pass", "2 Loss", "3 Backward pass", "4 Update")


def step_parts(cfg: learning_cycle.StepByStep, record: learning_cycle.StepByStepResult) -> None:
    """The four steps of the cycle, one at a time, every number written out."""
    params, forward, grads, updated = record.params, record.forward, record.grads, record.updated
    act = cfg.activation
    part = st.segmented_control("Step of the cycle shown", PARTS, default=PARTS[0], required=True, key="step-part",
                                bind="query-params")
    if part == PARTS[0]:
        maths.equation(r"z_1 = X W_1 + b_1 =", record.x, params["W1"], "+", params["b1"])
        maths.equation(r"z_1 =", forward["z1"])
        maths.equation(rf"a_1 = \mathrm{{{act}}}(z_1) =", forward["a1"])
        maths.equation(r"z_2 = a_1 W_2 + b_2 =", forward["a1"], params["W2"], "+", params["b2"], "=", forward["z2"])
        maths.equation(r"p = \sigma(z_2) =", forward["p"])
    elif part == PARTS[1]:
        st.latex(r"L = -\frac{1}{B}\sum_i \left[y_i \log p_i + (1 - y_i)\log(1 - p_i)\right] = "
                 + f"{record.loss:.4f}")
        show.chart(charts.lines, record.losses, "step", "loss", "variant", "step", "loss", key="step-losses",
                   title="Loss per step so far: the batch's, and on all "
                         f"{data.LABELS[cfg.dataset].lower()} training points")
    elif part == PARTS[2]:
        maths.equation(r"\frac{\partial L}{\partial z_2} = \frac{p - y}{B} =", grads["dz2"])
        maths.equation(r"\frac{\partial L}{\partial W_2} = a_1^\top \frac{\partial L}{\partial z_2} =", grads["dW2"],
                       r"\quad \frac{\partial L}{\partial b_2} = \sum_i \frac{\partial L}{\partial z_2} =",
                       grads["db2"])
        maths.equation(rf"\frac{{\partial L}}{{\partial z_1}} = \frac{{\partial L}}{{\partial z_2}} W_2^\top \odot "
                       rf"\mathrm{{{act}}}'(z_1) =", grads["dz1"])
        maths.equation(r"\frac{\partial L}{\partial W_1} = X^\top \frac{\partial L}{\partial z_1} =", grads["dW1"],
                       r"\quad \frac{\partial L}{\partial b_1} =", grads["db1"])
    else:
        for name in ("W1", "b1", "W2", "b2"):
            maths.equation(rf"{name[0]}_{name[1]} \leftarrow", params[name], rf"- {cfg.lr} \times",
                           grads["d" + name], "=", updated[name])


def step_notice(facts: learning_cycle.StepFacts) -> None:
    chrome.notice(("the update moves every weight against its gradient" if facts.against_gradient else
                   "the update moves the weights by −lr times their gradients")
                  + f": `dW1[0, 0] = {facts.grad_w1_00:+.4f}`, so `W1[0, 0]` goes from {facts.w1_00_before:.4f} "
                  f"to {facts.w1_00_after:.4f}. On all training points this step took the train loss from "
                  f"{facts.train_loss_before:.4f} to {facts.train_loss_after:.4f} ("
                  + ("down" if facts.loss_fell else "up: one batch is only a sample of the data, and its gradient "
                     "can point the wrong way for the rest")
                  + "). These hand-written numbers equal what PyTorch's autograd and its SGD optimizer compute (a "
                  "test checks it to 1e-6). Press *Next step* a few times and watch the train loss in *2 Loss*.", facts)


# 2. Epoch, batch, iteration: train live ----------------------------------------------------------------


def live_controls() -> learning_cycle.LiveRun:
    """Data, batch size, epochs, learning rate and network of the live run."""
    chrome.intro("A classifier trained by mini-batch SGD on a 2-D toy set you pick: 70% of the points train it, 30% "
                "validate it. Its decision map and loss curves redraw while it learns.")
    data_column, batch_column, epochs_column, network_column = st.columns(4)
    with data_column:
        dataset = widgets.dataset_2d("live")
        n_samples = st.slider("Samples (70% train, 30% validation; at most 1,000)", 50, 1000, 300, 50, key="live-n",
                              bind="query-params")
    with batch_column:
        noise = st.slider("Noise", 0.0, 0.6, 0.2, 0.05, key="live-noise", bind="query-params")
        batch_size = widgets.batch_size("live")
    with epochs_column:
        epochs = st.slider("Epochs", 5, 300, 60, 5, key="live-epochs", bind="query-params")
        lr = widgets.learning_rate("live", 0.1)
    with network_column:
        widths = widgets.hidden_layers("live")
        activation = widgets.activation("live")
    return runners.config(learning_cycle.LiveRun, dataset=dataset, n_samples=n_samples, noise=noise,
                          batch_size=batch_size, epochs=epochs, lr=lr, widths=widths, activation=activation)


def schedule_metrics(cfg: learning_cycle.LiveRun, plan: learning_cycle.Schedule) -> None:
    """The run's epoch/batch/iteration counts, and a word when the batch falls back to the full training set."""
    if plan.full_batch_fallback:
        st.warning(f"A batch of {cfg.batch_size} is more than the {plan.n_train} training samples: training "
                   "with the full batch.")
    samples, batch, per_epoch, in_all = st.columns(4)
    samples.metric("Training samples", plan.n_train)
    batch.metric("Batch size", plan.batch)
    per_epoch.metric("Iterations per epoch", plan.iterations_per_epoch, help="ceil(training samples / batch size)")
    in_all.metric("Iterations in all", plan.iterations, help="epochs × iterations per epoch")


def map_title(cfg: learning_cycle.LiveRun, epoch: int) -> str:
    """The live map's title: what it shows, on which data, when."""
    return f"The net's P(class 1) on {data.LABELS[cfg.dataset].lower()}, after epoch {epoch}"


def curves_title(cfg: learning_cycle.LiveRun) -> str:
    return f"Loss per epoch on {data.LABELS[cfg.dataset].lower()}: all training and all validation points"


# The live run's redraws: its decision map as a picture at every one (up to 30 a second), its curves, a Vega chart
# embedded anew each time, at most every CURVES_S. MAP_PX: the picture's pixels, the map chart's plot at 1280 px wide.
MAP_REDRAW_S, CURVES_S = 1 / 40, 0.5
LIVE_PACE_S = 1 / learning_cycle.LIVE_REPORTS_PER_S  # its reports at most this often (ui/runners): each drawn
MAP_PX = (300, 260)
MAP_SUBTITLE = "filled: train · hollow: validation"  # as charts.boundary's


def redraw_live(cfg: learning_cycle.LiveRun, map_slot: DeltaGenerator, curve_slot: DeltaGenerator,
                ) -> Callable[[learning_cycle.LiveRunResult], None]:
    """What to draw of the run so far while it trains, into the two slots: its decision map as a picture
    (core/charts/raster.py) at every call, its curves at most every CURVES_S."""
    picture: raster.Picture | None = None
    curves_drawn = -math.inf

    def redraw(so_far: learning_cycle.LiveRunResult) -> None:
        nonlocal picture, curves_drawn
        picture = picture or raster.Picture(so_far.grid, so_far.points, *MAP_PX)  # the points laid out once a run
        show.decision_picture(map_slot, picture.png(so_far.grid), map_title(cfg, so_far.epoch), MAP_SUBTITLE)
        if time.monotonic() - curves_drawn >= CURVES_S:
            show.redraw(curve_slot, charts.curves(so_far.history, "loss", title=curves_title(cfg)))
            curves_drawn = time.monotonic()
    return redraw


def live_map(cfg: learning_cycle.LiveRun, live: learning_cycle.LiveRunResult, slot: DeltaGenerator,
             beside: DeltaGenerator, facts: learning_cycle.InferenceFacts | None, clickable: bool = True) -> None:
    """The trained net's decision map, clickable (for section 3; a picture while it is closed); the point asked
    about (section 3) marked on it, its prediction written beside the mark and under the map."""
    marker = None if facts is None else (facts.x1, facts.x2, marker_text(facts))
    with slot.container():
        show.chart(charts.boundary, live.grid, live.points, map_title(cfg, live.epoch), marker, clickable, key=MAP,
                   on_select="rerun" if clickable else "ignore")
    if facts is not None:
        beside.markdown(f"✚ **({facts.x1:g}, {facts.x2:g}) → class {facts.predicted_class}**, P(class 1) = "
                        f"{facts.p_class1:.2f}. Click the map to ask about another point (section 3 has the "
                        "numbers).")


def marker_text(facts: learning_cycle.InferenceFacts) -> str:
    return f"class {facts.predicted_class}, P = {facts.p_class1:.2f}"


def live_charts(cfg: learning_cycle.LiveRun, live: learning_cycle.LiveRunResult | None,
                curve_slot: DeltaGenerator) -> None:
    """The run's curves, warnings, per-iteration loss, confusion matrix and notice; a word while it waits."""
    if live is None:
        curve_slot.info(f"These settings train for about {learning_cycle.expected_seconds(cfg):.0f} s: press "
                        "**Train it** above to train the network and watch it learn.")
        return
    with curve_slot.container():
        show.chart(charts.curves, live.history, "loss", title=curves_title(cfg), key="live-curves")
    for message in live.fit.messages.values():
        st.warning(message)
    left, right = st.columns(2)
    data_name = data.LABELS[cfg.dataset].lower()
    with left:
        show.chart(charts.iteration_loss, live.iterations, f"Loss of each training batch ({data_name})",
                   key="live-iterations")
    with right:
        show.chart(charts.confusion, live.confusion, f"Confusion matrix, {live.schedule.n_val} validation "
                   f"points", key="live-confusion")
    if not live.fit.diverged:
        live_notice(live.facts)


def live_notice(facts: learning_cycle.LiveFacts) -> None:
    batches = (
        f"Within the last epoch the loss of one batch swings by {facts.iteration_spread:.3f} (standard deviation), "
        "because each batch is a different sample of the data; the per-epoch curves, measured on all training "
        f"points at once, moved by {facts.epoch_change:.4f} over that epoch." if facts.noisy_iterations else
        "With one batch per epoch every iteration sees all the data: the per-iteration loss is as smooth as the "
        "per-epoch curve." if facts.iterations_per_epoch == 1 else
        f"The batch losses swing by {facts.iteration_spread:.3f} within the last epoch, no more than the per-epoch "
        f"train loss moved ({facts.epoch_change:.4f}).")
    chrome.notice(f"one epoch is one pass over all {facts.n_train} training samples; with batches of {facts.batch} "
                  f"that is {facts.iterations_per_epoch} iterations (weight updates) per epoch, "
                  f"{facts.iterations:,} in all. After {facts.epochs_done} epochs the validation accuracy is "
                  f"{facts.val_accuracy:.1%}. {batches}", facts)


# 3. Inference --------------------------------------------------------------------------------------


MAP = "live-map"  # the live decision map's key: its click selection is the point to ask about


def clicked_point(state: object) -> tuple[float, float] | None:
    """The point clicked on the map (its cell's centre, rounded to 0.01) from the chart's selection state, or None."""
    selected = (state or {}).get("selection", {}).get("click", []) if isinstance(state, dict) else []
    return (round(selected[0]["x1"], 2), round(selected[0]["x2"], 2)) if selected else None


def inference_controls() -> tuple[float, float, DeltaGenerator]:
    """The point to ask about (typed in, or set by a new click on the live map), and where the answer goes."""
    chrome.intro("The network trained in section 2, asked about one point: type its coordinates, or click the "
                "decision map above (the point is marked there, with the answer beside it).")
    clicked = clicked_point(st.session_state.get(MAP))
    if clicked and clicked != st.session_state.get("infer-clicked"):  # a new click, not the last one kept in state
        st.session_state.update({"infer-clicked": clicked, "infer-x1": clicked[0], "infer-x2": clicked[1]})
    x1_column, x2_column, answer = st.columns([1, 1, 2])
    x1 = x1_column.number_input("x1", -5.0, 5.0, 0.5, 0.1, key="infer-x1", bind="query-params")
    x2 = x2_column.number_input("x2", -5.0, 5.0, 0.25, 0.1, key="infer-x2", bind="query-params")
    return x1, x2, answer


def inference(cfg: learning_cycle.LiveRun, live: learning_cycle.LiveRunResult | None, map_slot: DeltaGenerator,
              beside: DeltaGenerator) -> None:
    """Section 3: the point to ask about, the trained net's answer, and the point marked on the live map."""
    x1, x2, answer = inference_controls()
    if live is None:
        answer.info("Train the network in section 2 first (its **Train it** button).")
    elif live.fit.diverged:
        answer.error("This network diverged, so it has nothing sensible to predict: lower the learning rate.")
        live_map(cfg, live, map_slot, beside, None)
    else:
        asked = runners.run(learning_cycle.infer, learning_cycle.Inference(cfg, x1, x2), inputs=(live.fit,),
                            label="Asking the trained network")
        prediction(answer, asked.facts)
        live_map(cfg, live, map_slot, beside, asked.facts)  # marked on the map, its answer beside it
        inference_notice(asked.facts)


def prediction(where: DeltaGenerator, facts: learning_cycle.InferenceFacts) -> None:
    where.metric("Prediction", f"class {facts.predicted_class}",
                 f"P(class 1) = {facts.p_class1:.3f} · P(class 0) = {facts.p_class0:.3f}", delta_color="off")


def inference_notice(facts: learning_cycle.InferenceFacts) -> None:
    distance = f"{'' if facts.boundary_in_reach else 'more than '}{facts.boundary_distance:.2f}"
    where = ("near the decision boundary" if facts.near_boundary else "far from the decision boundary") + (
        f" ({distance} away), and the network is " + ("unsure" if facts.unsure else "sure"))
    chrome.notice(f"inference is just the forward pass with the trained weights: no loss, no gradients, no update. "
                  f"The point ({facts.x1:g}, {facts.x2:g}) lies {where}: P(class 1) = {facts.p_class1:.2f}. On the "
                  "boundary P(class 1) is exactly 0.5; click the map above or type a point to ask about another "
                  "one.", facts)


# 4. Under- and overfitting -------------------------------------------------------------------------


def sizes_intro() -> None:
    widths = ", ".join(str(w[0]) for w in learning_cycle.SIZES.values())
    chrome.intro(f"Three networks of two hidden layers, {widths} units wide, learn the same noisy circles from few "
                "training points, by full-batch Adam. The validation points, never trained on, tell how each one "
                "does.")


def sizes_controls() -> learning_cycle.FitSizes:
    noise_column, samples_column, epochs_column = st.columns(3)
    noise = noise_column.slider("Noise", 0.0, 0.6, 0.3, 0.05, key="sizes-noise", bind="query-params")
    n_samples = samples_column.slider("Samples (40% train, 60% validation; at most 1,000)", 100, 1000, 500, 50,
                                      key="sizes-n", bind="query-params")
    epochs = epochs_column.slider("Epochs (at most 1,000)", 50, 1000, 180, 10, key="sizes-epochs",
                                  bind="query-params")
    return runners.config(learning_cycle.FitSizes, noise=noise, n_samples=n_samples, epochs=epochs)


def sizes_view(sizes: learning_cycle.FitSizesResult | None) -> None:
    """The three nets' curves, table, maps and notice; a word while they wait for their button."""
    if sizes is None:
        st.info("These settings train for a while: press **Train the three nets** above to see them.")
        return
    show.chart(charts.curves, sizes.history, "loss", title="Loss per epoch of the three nets on noisy circles",
               key="sizes-curves")
    show.table(sizes.table, key="sizes-table")
    for column, (name, grid) in zip(st.columns(len(sizes.maps)), sizes.maps.items()):
        with column:
            show.chart(charts.boundary, grid, sizes.points, f"{name.capitalize()} net: P(class 1)",
                       clickable=False, key=f"sizes-map-{name}")
    sizes_notice(sizes.facts)


def sizes_notice(facts: learning_cycle.SizesFacts) -> None:
    under = (f"the too-small net ({facts.small_params} parameters) gets only {facts.small_train_acc:.0%} of its own "
             f"training points right (the good one {facts.good_train_acc:.0%}): it underfits."
             if facts.small_underfits else
             f"here even the too-small net fits its training data ({facts.small_train_acc:.0%}, the good one "
             f"{facts.good_train_acc:.0%}): it does not underfit at these settings.")
    over = (f"The large one ({facts.large_params:,} parameters) drives its train loss to "
            f"{facts.large_train_loss:.3f}, but its validation loss was lowest at epoch {facts.large_best_epoch} "
            f"and rose to {facts.large_val_loss:.2f}, {facts.large_rise:.1f} times that lowest value: it memorises "
            "the noise, it overfits. Only the validation set shows it."
            if facts.large_overfits else
            f"The large one ({facts.large_params:,} parameters) does not overfit here (validation loss "
            f"{facts.large_val_loss:.2f}, {facts.large_rise:.2f} times its lowest; the good net "
            f"{facts.good_val_loss:.2f}).")
    good = (f"The good net's validation loss ends at {facts.good_val_loss:.3f}, {facts.good_rise:.2f} times its "
            f"lowest ({facts.good_min_val_loss:.3f}, epoch {facts.good_best_epoch}): hardly above it, a good fit "
            "with no overfitting to speak of."
            if facts.good_holds else
            f"Even the good net has begun to overfit: its validation loss was lowest at epoch "
            f"{facts.good_best_epoch} ({facts.good_min_val_loss:.2f}) and ends {facts.good_rise:.2f} times higher; "
            "fewer epochs would stop it in time.")
    chrome.notice(f"{under} {over} {good}", facts)

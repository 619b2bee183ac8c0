"""Learning cycle (slides 28-31, 37-39): one step by hand, epochs and batches live, under/overfitting, inference."""
import inspect

import streamlit as st

from core import backprop, charts, learning_cycle as lc
from ui import chrome, maths, runners, show, widgets

chrome.page("Learning cycle", "28-31, 37-39", """A network learns by repeating four steps: **1 forward pass**
(compute the prediction), **2 loss** (how wrong it is), **3 backward pass** (the gradient of the loss for every
weight) and **4 update** (`w ← w − lr · gradient`). Below you take one step by hand, then watch thousands of
them.""")

# 1. One step, by hand ---------------------------------------------------------------------------
chrome.section("1 · One step of the learning cycle, every number shown", "28, 37-39")
c1, c2, c3, c4 = st.columns(4)
act = c1.selectbox("Hidden activation", ("tanh", "sigmoid", "relu"), key="step-act", bind="query-params")
hidden = c2.slider("Hidden units", 1, 4, 3, key="step-hidden", bind="query-params")
batch = c3.slider("Batch size", 1, 6, 4, key="step-batch", bind="query-params")
lr = c4.select_slider("Learning rate", (0.01, 0.1, 0.5, 1.0, 3.0), 0.5, key="step-lr", bind="query-params")
st.session_state.setdefault("step", 0)
b1, b2, b3, _ = st.columns([1, 1, 1, 3])
b1.button("Next step ▶", on_click=lambda: st.session_state.update(step=min(st.session_state.step + 1, lc.MAX_STEPS)))
b2.button("◀ Previous", on_click=lambda: st.session_state.update(step=max(st.session_state.step - 1, 0)))
b3.button("Back to step 0", on_click=lambda: st.session_state.update(step=0))
cfg = runners.config(lc.StepByStep, activation=act, hidden=hidden, batch_size=batch, lr=lr, step=st.session_state.step)
rec = runners.run(lc.step_by_step, cfg, label="Replaying the steps")
st.markdown(f"**Step {rec.step}** (epoch {rec.epoch}) · a mini-batch of {batch} points `X` with labels "
            f"`y = {rec.y.tolist()}` · network 2 → {hidden} ({act}) → 1 (sigmoid)")
p, f, g, u = rec.params, rec.forward, rec.grads, rec.updated
forward, loss_tab, backward, update = st.tabs(["1 Forward pass", "2 Loss", "3 Backward pass", "4 Update"])
with forward:
    maths.equation(r"z_1 = X W_1 + b_1 =", rec.x, p["W1"], "+", p["b1"])
    maths.equation(r"z_1 =", f["z1"])
    maths.equation(rf"a_1 = \mathrm{{{act}}}(z_1) =", f["a1"])
    maths.equation(r"z_2 = a_1 W_2 + b_2 =", f["a1"], p["W2"], "+", p["b2"], "=", f["z2"])
    maths.equation(r"p = \sigma(z_2) =", f["p"])
with loss_tab:
    st.latex(r"L = -\frac{1}{B}\sum_i \left[y_i \log p_i + (1 - y_i)\log(1 - p_i)\right] = " + f"{rec.loss:.4f}")
    show.chart(charts.lines, rec.losses, "step", "loss", "variant", "step", "loss", key="step-losses")
with backward:
    maths.equation(r"\frac{\partial L}{\partial z_2} = \frac{p - y}{B} =", g["dz2"])
    maths.equation(r"\frac{\partial L}{\partial W_2} = a_1^\top \frac{\partial L}{\partial z_2} =", g["dW2"],
                   r"\quad \frac{\partial L}{\partial b_2} = \sum_i \frac{\partial L}{\partial z_2} =", g["db2"])
    maths.equation(rf"\frac{{\partial L}}{{\partial z_1}} = \frac{{\partial L}}{{\partial z_2}} W_2^\top \odot "
                   rf"\mathrm{{{act}}}'(z_1) =", g["dz1"])
    maths.equation(r"\frac{\partial L}{\partial W_1} = X^\top \frac{\partial L}{\partial z_1} =", g["dW1"],
                   r"\quad \frac{\partial L}{\partial b_1} =", g["db1"])
with update:
    for name in ("W1", "b1", "W2", "b2"):
        maths.equation(rf"{name[0]}_{name[1]} \leftarrow", p[name], rf"- {lr} \times", g["d" + name], "=", u[name])
with st.expander("The code that computed these numbers (core/backprop.py)"):
    st.code(inspect.getsource(backprop.StackedMLP.forward) + "\n" + inspect.getsource(backprop.StackedMLP.backward))
sf = rec.facts
chrome.notice(("the update moves every weight against its gradient" if sf.against_gradient else
               "the update moves the weights by −lr times their gradients")
              + f": `dW1[0, 0] = {sf.grad_w1_00:+.4f}`, so `W1[0, 0]` goes from {sf.w1_00_before:.4f} to "
              f"{sf.w1_00_after:.4f}. On all training points this step took the train loss from "
              f"{sf.train_loss_before:.4f} to {sf.train_loss_after:.4f} ("
              + ("down" if sf.loss_fell else "up: one batch is only a sample of the data, and its gradient can point "
                 "the wrong way for the rest")
              + "). These hand-written numbers equal what PyTorch's autograd and its SGD optimizer compute (a test "
              "checks it to 1e-6). Press *Next step* a few times and watch the train loss in tab 2.", sf)

# 2. Epoch, batch, iteration: train live -------------------------------------------------------
chrome.section("2 · Epoch, batch, iteration: train a classifier and watch it learn", "29")
c1, c2, c3, c4 = st.columns(4)
with c1:
    dataset = widgets.dataset_2d("live")
    n_samples = st.slider("Samples (70% train, 30% validation; at most 1,000)", 50, 1000, 300, 50, key="live-n",
                          bind="query-params")
with c2:
    noise = st.slider("Noise", 0.0, 0.6, 0.2, 0.05, key="live-noise", bind="query-params")
    batch_size = widgets.batch_size("live")
with c3:
    epochs = st.slider("Epochs", 5, 300, 60, 5, key="live-epochs", bind="query-params")
    lr = widgets.learning_rate("live", 0.1)
with c4:
    widths = widgets.hidden_layers("live")
    activation = widgets.activation("live")
plan = lc.schedule(dataset, n_samples, noise, batch_size, epochs)
if plan.full_batch_fallback:
    st.warning(f"A batch of {batch_size} is more than the {plan.n_train} training samples: training with the full "
               "batch.")
run = runners.config(lc.LiveRun, dataset=dataset, n_samples=n_samples, noise=noise, batch_size=plan.batch_size,
                     epochs=epochs, lr=lr, widths=widths, activation=activation)
m1, m2, m3, m4 = st.columns(4)
m1.metric("Training samples", plan.n_train)
m2.metric("Batch size", plan.batch)
m3.metric("Iterations per epoch", plan.iterations_per_epoch, help="ceil(training samples / batch size)")
m4.metric("Iterations in all", plan.iterations, help="epochs × iterations per epoch")
left, right = st.columns(2)
map_slot, curve_slot = left.empty(), right.empty()
live = runners.run(lc.train_live, run, label=f"Training for {epochs} epochs",
                   live=lambda part: (show.redraw(map_slot, charts.boundary(part.grid, part.points,
                                                                            f"epoch {part.epoch}")),
                                      show.redraw(curve_slot, charts.curves(part.history, "loss"))))
with map_slot.container():
    click = show.chart(charts.boundary, live.grid, live.points, f"after epoch {live.epoch}", key="live-map",
                       on_select="rerun")
with curve_slot.container():
    show.chart(charts.curves, live.history, "loss", key="live-curves")
for message in live.fit.messages.values():
    st.warning(message)
left, right = st.columns(2)
with left:
    show.chart(charts.iteration_loss, live.iterations, key="live-iterations")
with right:
    show.chart(charts.confusion, live.confusion, key="live-confusion")
lf = live.facts
if not live.fit.diverged:
    chrome.notice(f"one epoch is one pass over all {lf.n_train} training samples; with batches of {lf.batch} that is "
                  f"{lf.iterations_per_epoch} iterations (weight updates) per epoch, {lf.iterations:,} in all. After "
                  f"{lf.epochs_done} epochs the validation accuracy is {lf.val_accuracy:.1%}. "
                  + (f"Within the last epoch the loss of one batch swings by {lf.iteration_spread:.3f} (standard "
                     "deviation), because each batch is a different sample of the data; the per-epoch curves, measured "
                     f"on all training points at once, moved by {lf.epoch_change:.4f} over that epoch."
                     if lf.noisy_iterations else
                     "With one batch per epoch every iteration sees all the data: the per-iteration loss is as smooth "
                     "as the per-epoch curve." if lf.iterations_per_epoch == 1 else
                     f"The batch losses swing by {lf.iteration_spread:.3f} within the last epoch, no more than the "
                     f"per-epoch train loss moved ({lf.epoch_change:.4f})."), lf)

# 3. Inference -------------------------------------------------------------------------------------
chrome.section("3 · After training: inference", "31")
selected = click.selection.get("click", []) if click else []
clicked = (round(selected[0]["x1"], 2), round(selected[0]["x2"], 2)) if selected else None
if clicked and clicked != st.session_state.get("infer-clicked"):  # a new click, not the last one kept in state
    st.session_state.update({"infer-clicked": clicked, "infer-x1": clicked[0], "infer-x2": clicked[1]})
c1, c2, c3 = st.columns([1, 1, 2])
x1 = c1.number_input("x1", -5.0, 5.0, 0.5, 0.1, key="infer-x1", bind="query-params")
x2 = c2.number_input("x2", -5.0, 5.0, 0.25, 0.1, key="infer-x2", bind="query-params")
if live.fit.diverged:
    c3.error("This network diverged, so it has nothing sensible to predict: lower the learning rate.")
else:
    inf = lc.infer(live.fit, x1, x2)
    c3.metric("Prediction", f"class {inf.predicted_class}",
              f"P(class 1) = {inf.p_class1:.3f} · P(class 0) = {inf.p_class0:.3f}", delta_color="off")
    distance = f"{'' if inf.boundary_in_reach else 'more than '}{inf.boundary_distance:.2f}"
    where = ("near the decision boundary" if inf.near_boundary else "far from the decision boundary") + (
        f" ({distance} away), and the network is " + ("unsure" if inf.unsure else "sure"))
    chrome.notice(f"inference is just the forward pass with the trained weights: no loss, no gradients, no update. "
                  f"The point ({inf.x1:g}, {inf.x2:g}) lies {where}: P(class 1) = {inf.p_class1:.2f}. On the boundary "
                  "P(class 1) is exactly 0.5; click the map above or type a point to ask about another one.", inf)

# 4. Under- and overfitting --------------------------------------------------------------------------
chrome.section("4 · Underfit, good fit, overfit: use a validation set", "30")
st.markdown("Three networks of two hidden layers, {} units wide, learn the same noisy circles from few training "
            "points, by full-batch Adam. The validation points, never trained on, tell how each one does."
            .format(", ".join(str(w[0]) for w in lc.SIZES.values())))
c1, c2, c3 = st.columns(3)
noise = c1.slider("Noise", 0.0, 0.6, 0.3, 0.05, key="sizes-noise", bind="query-params")
n_samples = c2.slider("Samples (40% train, 60% validation; at most 1,000)", 100, 1000, 500, 50, key="sizes-n",
                      bind="query-params")
epochs = c3.slider("Epochs (at most 1,000)", 50, 1000, 180, 10, key="sizes-epochs", bind="query-params")
sizes = runners.run(lc.fit_sizes, runners.config(lc.FitSizes, noise=noise, n_samples=n_samples, epochs=epochs),
                    label="Training three network sizes side by side")
show.chart(charts.curves, sizes.history, "loss", key="sizes-curves")
show.table(sizes.table, key="sizes-table")
for col, (name, grid) in zip(st.columns(len(sizes.maps)), sizes.maps.items()):
    with col:
        show.chart(charts.boundary, grid, sizes.points, name, key=f"sizes-map-{name}")
sz = sizes.facts
under = (f"the too-small net ({sz.small_params} parameters) gets only {sz.small_train_acc:.0%} of its own training "
         f"points right (the good one {sz.good_train_acc:.0%}): it underfits."
         if sz.small_underfits else
         f"here even the too-small net fits its training data ({sz.small_train_acc:.0%}, the good one "
         f"{sz.good_train_acc:.0%}): it does not underfit at these settings.")
over = (f"The large one ({sz.large_params:,} parameters) drives its train loss to {sz.large_train_loss:.3f}, but its "
        f"validation loss was lowest at epoch {sz.large_best_epoch} and rose to {sz.large_val_loss:.2f}, "
        f"{sz.large_rise:.1f} times that lowest value: it memorises the noise, it overfits. Only the validation set "
        "shows it."
        if sz.large_overfits else
        f"The large one ({sz.large_params:,} parameters) does not overfit here (validation loss "
        f"{sz.large_val_loss:.2f}, {sz.large_rise:.2f} times its lowest; the good net {sz.good_val_loss:.2f}).")
good = (f"The good net's validation loss ends at {sz.good_val_loss:.3f}, {sz.good_rise:.2f} times its lowest "
        f"({sz.good_min_val_loss:.3f}, epoch {sz.good_best_epoch}): hardly above it, a good fit with no overfitting to "
        "speak of."
        if sz.good_holds else
        f"Even the good net has begun to overfit: its validation loss was lowest at epoch {sz.good_best_epoch} "
        f"({sz.good_min_val_loss:.2f}) and ends {sz.good_rise:.2f} times higher; fewer epochs would stop it in time.")
chrome.notice(f"{under} {over} {good}", sz)
chrome.end()

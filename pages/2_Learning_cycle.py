"""Learning cycle (slides 28-31, 37-39): one step by hand, epochs and batches live,
under/overfitting, inference."""
import inspect

import streamlit as st

from core import backprop, charts, learning_cycle
from ui import chrome, runners, show
from ui.parts import learning_cycle as parts

chrome.page("learning_cycle", """A network learns by repeating four steps: **1 forward pass**
(compute the prediction), **2 loss** (how wrong it is), **3 backward pass** (the gradient of the
loss for every weight) and **4 update** (`w ← w − lr · gradient`). Below you take one step by hand,
then watch thousands of them.""")

# 1. One step, by hand ------------------------------------------------------------------------
chrome.section("1 · One step of the learning cycle, every number shown", "28, 37-39")
step = parts.step_controls()
record = runners.run(learning_cycle.step_by_step, step, label="Replaying the steps")
st.markdown(f"**Step {record.step}** (epoch {record.epoch}) · a mini-batch of {step.batch_size} "
            f"points `X` with labels `y = {record.y.tolist()}` · network 2 → {step.hidden} "
            f"({step.activation}) → 1 (sigmoid)")
parts.step_tabs(step, record)
with st.expander("The code that computed these numbers (core/backprop.py)"):
    st.code(inspect.getsource(backprop.StackedMLP.forward) + "\n"
            + inspect.getsource(backprop.StackedMLP.backward))
parts.step_notice(record.facts)

# 2. Epoch, batch, iteration: train live ------------------------------------------------------
chrome.section("2 · Epoch, batch, iteration: train a classifier and watch it learn", "29")
live_run = parts.live_controls()
plan = runners.config(learning_cycle.schedule, cfg=live_run)  # loads the run's data, once
parts.schedule_metrics(live_run, plan)
map_slot, curve_slot = (column.empty() for column in st.columns(2))
live = runners.run(learning_cycle.train_live, live_run, inputs=(plan,),
                   live=parts.redraw_live(map_slot, curve_slot),
                   label=f"Training for {live_run.epochs} epochs")
with map_slot.container():
    click = show.chart(charts.boundary, live.grid, live.points, f"after epoch {live.epoch}",
                       key="live-map", on_select="rerun")
with curve_slot.container():
    show.chart(charts.curves, live.history, "loss", key="live-curves")
for message in live.fit.messages.values():
    st.warning(message)
left, right = st.columns(2)
with left:
    show.chart(charts.iteration_loss, live.iterations, key="live-iterations")
with right:
    show.chart(charts.confusion, live.confusion, key="live-confusion")
if not live.fit.diverged:
    parts.live_notice(live.facts)

# 3. Inference --------------------------------------------------------------------------------
chrome.section("3 · After training: inference", "31")
x1, x2, answer = parts.inference_controls(click)
if live.fit.diverged:
    answer.error("This network diverged, so it has nothing sensible to predict: lower the learning "
                 "rate.")
else:
    inference = runners.run(learning_cycle.infer, learning_cycle.Inference(live_run, x1, x2),
                            inputs=(live.fit,), label="Asking the trained network")
    parts.prediction(answer, inference.facts)
    parts.inference_notice(inference.facts)

# 4. Under- and overfitting -------------------------------------------------------------------
chrome.section("4 · Underfit, good fit, overfit: use a validation set", "30")
parts.sizes_intro()
sizes = runners.run(learning_cycle.fit_sizes, parts.sizes_controls(),
                    label="Training three network sizes side by side")
show.chart(charts.curves, sizes.history, "loss", key="sizes-curves")
show.table(sizes.table, key="sizes-table")
parts.sizes_maps(sizes)
parts.sizes_notice(sizes.facts)
chrome.end()

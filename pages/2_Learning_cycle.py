"""Learning cycle (slides 28-31, 37-39): one step by hand, epochs and batches live,
under/overfitting, inference."""
import inspect

import streamlit as st

from core import backprop, learning_cycle
from ui import chrome, runners, show, widgets
from ui.parts import learning_cycle as parts, learning_cycle_play as play

chrome.page("learning_cycle", """A network learns by repeating four steps: **1 forward pass**
(compute the prediction), **2 loss** (how wrong it is), **3 backward pass** (the gradient of the
loss for every weight) and **4 update** (`w ← w − lr · gradient`). Section 1 takes one step by hand;
open section 2 to watch thousands of them.""")

# 1. One step, by hand ------------------------------------------------------------------------
if chrome.section("1 · One step of the learning cycle, every number shown", "28, 37-39"):
    step = parts.step_controls()
    record = runners.run(learning_cycle.step_by_step, step, label="Replaying the steps")
    st.markdown(f"**Step {record.step}** (epoch {record.epoch}) · a mini-batch of "
                f"{step.batch_size} points `X` with labels `y = {record.y.tolist()}` · network "
                f"2 → {step.hidden} ({step.activation}) → 1 (sigmoid)")
    parts.step_parts(step, record)
    with show.folded("The code that computed these numbers (core/backprop.py)",
                     key="step-code") as more:
        if more.open:
            st.code(inspect.getsource(backprop.StackedMLP.forward) + "\n"
                    + inspect.getsource(backprop.StackedMLP.backward))
    parts.step_notice(record.facts)

# 2. Epoch, batch, iteration: train live ------------------------------------------------------
if live_open := chrome.section("2 · Epoch, batch, iteration: train a classifier and watch it learn",
                               "29"):
    live_run = parts.live_controls()
    plan = runners.config(learning_cycle.schedule, cfg=live_run)  # loads the run's data, once
    parts.schedule_metrics(live_run, plan)
    progress = st.container()  # start button or progress bar above the live charts
    map_column, curve_column = st.columns(2)
    map_slot, beside, curve_slot = map_column.empty(), map_column.empty(), curve_column.empty()
    with progress:
        live = widgets.started(learning_cycle.train_live, live_run,
                               default=learning_cycle.LiveRun(),
                               seconds=learning_cycle.expected_seconds(live_run), key="live-run",
                               label=f"Training for {live_run.epochs} epochs", start="Train it",
                               inputs=(plan,), live=parts.redraw_live(live_run, map_slot,
                                                                      curve_slot),
                               redraw_s=parts.MAP_REDRAW_S, pace_s=parts.LIVE_PACE_S)
    parts.live_charts(live_run, live, curve_slot)

# 3. Inference --------------------------------------------------------------------------------
if chrome.section("3 · After training: inference", "31") and chrome.needs(live_open, "2"):
    parts.inference(live_run, live, map_slot, beside)
elif live_open and live is not None:  # section 3 closed: the trained map, no point asked about
    parts.live_map(live_run, live, map_slot, beside, None, clickable=False)

# 4. Under- and overfitting -------------------------------------------------------------------
if chrome.section("4 · Underfit, good fit, overfit: use a validation set", "30"):
    parts.sizes_intro()
    sized = parts.sizes_controls()
    parts.sizes_view(widgets.started(learning_cycle.fit_sizes, sized,
                                     default=learning_cycle.FitSizes(),
                                     seconds=learning_cycle.sizes_seconds(sized), key="sizes-run",
                                     label="Training three network sizes side by side",
                                     start="Train the three nets"))

# 5. Play, pause, step: inside the network ---------------------------------------------------
if play_open := chrome.section("5 · Play, pause, step: watch every neuron learn", "24-27, 29"):
    net, lr, batch, speed = play.controls()
    player = play.player(net)
    play.buttons(player, lr, batch)
    frame, curve_slot = st.empty(), st.empty()
    view = play.draw(frame, player)
    play.curves(curve_slot, player, live=False)
    play.notice(view.facts, net)
chrome.end()
if play_open:  # after the page: while it plays, the frames redraw and nothing else reruns
    play.keep_playing(net, lr, batch, speed, frame, curve_slot)

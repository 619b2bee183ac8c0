"""Local minima and optimizers (slides 40-48): learning rates, loss landscapes, batch noise,
schedules, momentum, and momentum up close on a quadratic valley."""
import streamlit as st

from core import charts, landscapes, momentum, optimization
from ui import chrome, runners, show
from ui.parts import optimizers as parts

chrome.page("optimizers", """Training walks downhill on the **loss landscape**: the loss as a
function of every weight. The learning rate sets the stride; a real landscape has valleys,
saddles and many local minima where plain gradient descent gets stuck. Three fixes: **noise**
from small batches, a **learning rate that changes over time**, and **momentum** (Adam). The
optimizers racing on the 2-D surfaces are the real `torch.optim` classes; the networks train with
the trainer's own SGD and Adam maths (tested to match `torch.optim` step for step), and every
learning rate comes from the real `torch.optim.lr_scheduler` class (the trainer takes only the
rate from it: one-cycle's momentum cycle is left out, section 4 explains).""")

# 1. The learning rate -------------------------------------------------------------------------
if chrome.section("1 · The learning rate: too small, good, too large", "40"):
    sweep = runners.run(optimization.lr_sweep, parts.sweep_knobs(),
                        label="Training one net at three learning rates")
    show.chart(charts.curves, sweep.history, "loss", key="lr-curves",
               title=parts.ON_MOONS.format("Loss per epoch at three rates"))
    show.warnings(sweep.messages)
    parts.sweep_notice(sweep.facts)
    parts.range_test()

# 2. Loss landscapes and the optimizer comparison ----------------------------------------------
if chrome.section("2 · Loss landscapes in theory and reality: an optimizer race", "42-44"):
    comparison_config, surface_label = parts.comparison_knobs()
    compared = runners.run(landscapes.comparison, comparison_config, label="Racing the optimizers")
    left, right = st.columns(2)
    with left:
        show.chart(charts.landscape, compared.surface, compared.paths, surface_label,
                   data=compared.paths, key="race-map")
    with right:
        show.chart(charts.lines, compared.paths, "step", "loss", "optimizer", "step", "loss",
                   title="Loss per step of each optimizer", key="race-loss")
    show.warnings(compared.messages, named=False)
    show.table(compared.table, key="race-table")
    parts.comparison_notice(compared.facts)
    parts.optimizer_code()

# 3. Fix 1: noise from small batches -----------------------------------------------------------
if chrome.section("3 · Fix 1: randomness from small batches", "45"):
    noise = runners.run(optimization.batch_noise, parts.noise_knobs(),
                        label="Training with batch 1, 16 and the full batch")
    parts.noise_charts(noise)
    show.table(noise.table.rename(columns=parts.NOISE_HEADERS), key="noise-table")
    parts.noise_notice(noise.facts)
    left, right = st.columns(2)
    escape = runners.run(landscapes.escape, parts.escape_knobs(right), label="Shaking SGD")
    with left:
        show.chart(charts.landscape, escape.surface, escape.paths,
                   "Plain SGD, with and without noise",
                   data=escape.paths, key="escape-map")
    with right:
        show.warnings(escape.messages, named=False)
    show.table(escape.table, key="escape-table")
    parts.escape_notice(escape.facts)

# 4. Fix 2: the learning rate over time --------------------------------------------------------
if chrome.section("4 · Fix 2: randomness from the learning rate: annealing, cycles, one-cycle",
                  "46-47"):
    schedules = runners.run(optimization.schedules, parts.schedules_knobs(),
                            label="Training under each schedule")
    parts.schedule_charts(schedules)
    show.table(schedules.table, key="sched-table")
    parts.schedules_notice(schedules.facts)

# 5. Fix 3: momentum ---------------------------------------------------------------------------
if chrome.section("5 · Fix 3: momentum and Adam", "48"):
    parts.update_rules()
    mu = st.slider("Momentum μ", 0.0, 0.99, 0.7, 0.01, key="momentum", bind="query-params")
    rolled = runners.run(landscapes.momentum, runners.config(landscapes.Momentum, momentum=mu),
                         label="Rolling downhill")
    left, right = st.columns(2)
    with left:
        show.chart(charts.landscape, rolled.surface, rolled.paths, "Elongated valley",
                   data=rolled.paths, key="momentum-map")
    with right:
        show.chart(charts.step_sizes, rolled.step_sizes, title="Step sizes on the elongated valley",
                   key="momentum-steps")
    parts.momentum_notice(rolled.facts)

# 6. A real network's landscape ----------------------------------------------------------------
if chrome.section("6 · A real network's landscape: slices around trained weights (Li et al. 2018)",
                  "43"):
    slices = runners.run(optimization.net_slices, parts.slices_config(),
                         label="Slicing the loss around the trained weights")
    parts.slices(slices)
    show.table(slices.table, key="slice-table")
    parts.slices_notice(slices.facts)

# 7. Momentum up close -------------------------------------------------------------------------
if chrome.section("7 · Momentum up close: a quadratic valley, one direction at a time", "48"):
    up_close = runners.run(momentum.valley, parts.valley_knobs(), label="Rolling down the valley")
    # One under the other: side by side, the curves' long names and the map's legend ran past
    # a half column.
    show.chart(charts.lines, up_close.errors, "step", "error", "curve", "step", "error", log_y=True,
               legend_columns=1, title=parts.VALLEY_ERRORS, key="valley-errors")
    show.chart(charts.rate_map, up_close.rate_map, up_close.lowest_rates, up_close.facts.lr,
               up_close.facts.momentum, title=parts.VALLEY_MAP, key="valley-map")
    show.table(up_close.table, key="valley-table")
    parts.valley_paths(up_close)
    parts.valley_notice(up_close.facts)
chrome.end()

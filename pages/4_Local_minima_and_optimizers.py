"""Local minima and optimizers (slides 40-48): learning rates, loss landscapes, batch noise, schedules, momentum."""
import inspect

import streamlit as st

from core import charts
from core import landscapes as ls
from core import optimization as opt
from ui import chrome, runners, show

chrome.page("Local minima and optimizers", "40-48", """Training walks downhill on the **loss landscape**: the loss
as a function of every weight. The learning rate sets the stride; a real landscape has valleys, saddles and many local
minima where plain gradient descent gets stuck. Three fixes: **noise** from small batches, a **learning rate that
changes over time**, and **momentum** (Adam). The optimizers racing on the 2-D surfaces are the real `torch.optim`
classes; the networks train with the trainer's own SGD and Adam maths (tested to match `torch.optim` step for step),
and every learning rate comes from the real `torch.optim.lr_scheduler` class (the trainer takes only the rate from it:
one-cycle's momentum cycle is left out, section 4 says so).""")
# Shorter headers, so that the batch-noise table fits the page at 1,400 px without scrolling.
NOISE_HEADERS = {"updates per epoch": "updates / epoch", "share pointing downhill": "share downhill",
                 "mean cosine with the full gradient": "mean cosine to full gradient",
                 "final validation accuracy": "final val. acc."}
LRS = (0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)

# 1. The learning rate ---------------------------------------------------------------------------------
chrome.section("1 · The learning rate: too small, good, too large", "40")
c1, c2, c3, c4 = st.columns(4)
small = c1.select_slider("Too small", LRS, 0.003, key="lr-small", bind="query-params")
good = c2.select_slider("Good", LRS, opt.LrSweep().lrs[1], key="lr-good", bind="query-params")
large = c3.select_slider("Too large", LRS, 30.0, key="lr-large", bind="query-params")
epochs = c4.slider("Epochs", 5, 200, opt.LrSweep().epochs, 5, key="lr-epochs", bind="query-params")
sweep = runners.run(opt.lr_sweep, runners.config(opt.LrSweep, lrs=(small, good, large), epochs=epochs),
                    label="Training one net at three learning rates")
show.chart(charts.curves, sweep.history, "loss", key="lr-curves")
for variant, message in sweep.messages.items():
    st.warning(f"**{variant}:** {message}")
sf = sweep.facts
chrome.notice(f"after {sf.epochs} epochs (batch {opt.LrSweep().batch_size}, plain SGD) the small rate "
              f"({sf.small_lr:g}) has only reached a train loss of {sf.small_final_loss:.3f}, the good one "
              f"({sf.good_lr:g}) {sf.good_final_loss:.3f}"
              + (f", in a steady descent: after epoch {opt.SETTLE} its loss never rose more than "
                 f"{sf.good_max_rise:.0%} above the lowest it had reached." if not sf.good_spike_epochs else
                 f", but not steadily: in {sf.good_spike_epochs} epochs after epoch {opt.SETTLE} its loss spiked more "
                 f"than {opt.SPIKE:.0%} above the lowest it had reached (up to {sf.good_max_rise:.0%}): a rate this "
                 "large already overshoots now and then.")
              + (f" The large one ({sf.large_lr:g}) blew up in epoch {sf.large_blow_up_epoch} (the warning above): "
                 "each step overshoots the valley and lands higher up the other side." if sf.large_blew_up else
                 f" The large one ({sf.large_lr:g}) did not blow up here: raise it until the trainer reports "
                 "divergence."),
              sf)
st.markdown("**The LR range test** (Smith 2017, fastai's `lr_find`): one short run whose learning rate grows "
            "exponentially every batch, from 0.0001 to 100 (`torch.optim.lr_scheduler.ExponentialLR`).")
rng = runners.run(opt.lr_range, opt.LrRange(), label="Running the LR range test")
show.chart(charts.lr_finder, rng.curve, rng.suggestion, rng.lowest, key="lr-range")
rf1 = rng.facts
chrome.notice(f"the smoothed loss falls fastest at lr ≈ {rf1.range_suggestion:.2g} and is lowest at lr ≈ "
              f"{rf1.range_lowest:.2g}{'; then the loss blew up and the run stopped' if rf1.range_stopped else ''}. "
              "Pick a rate where it still falls steeply, below the minimum (often about a tenth of it). It is a rule "
              "of thumb read off one noisy run: the batches, the smoothing and the seed move the curve, so treat it "
              "as a range, not a number.", rf1)

# 2. Loss landscapes and the optimizer race -------------------------------------------------------------------
chrome.section("2 · Loss landscapes in theory and reality: an optimizer race", "42-44")
c1, c2, c3 = st.columns(3)
name = c1.selectbox("Surface", tuple(ls.SURFACES), index=tuple(ls.SURFACES).index("two_valleys"),
                    format_func=ls.LABELS.get, key="race-surface", bind="query-params")
racers = c1.multiselect("Optimizers", tuple(ls.OPTIMIZERS), default=tuple(ls.OPTIMIZERS), key="race-optimizers",
                        bind="query-params")
surface = ls.SURFACES[name]
w1 = c2.number_input("Start w1", -10.0, 10.0, float(surface.start[0]), 0.1, key=f"race-w1-{name}", bind="query-params")
w2 = c2.number_input("Start w2", -10.0, 10.0, float(surface.start[1]), 0.1, format="%.4f", key=f"race-w2-{name}",
                     bind="query-params")
lr = c3.number_input("Learning rate: SGD, momentum, Nesterov", 0.0, 100.0, surface.lr, format="%g",
                     key=f"race-lr-{name}", bind="query-params")
adaptive = c3.number_input("Learning rate: RMSprop, Adam, AdamW", 0.0, 100.0, surface.adaptive_lr, format="%g",
                           key=f"race-alr-{name}", bind="query-params")
steps = c2.number_input("Steps (at most 10,000)", 0, 10000, 200, 50, key="race-steps", bind="query-params")
race = runners.run(ls.race, runners.config(ls.Race, surface=name, optimizers=tuple(racers), start=(w1, w2), lr=lr,
                                           adaptive_lr=adaptive, steps=steps), label="Racing the optimizers")
left, right = st.columns(2)
with left:
    show.chart(charts.landscape, race.surface, race.paths, surface.label, data=race.paths, key="race-map")
with right:
    show.chart(charts.lines, race.paths, "step", "loss", "optimizer", "step", "loss", key="race-loss")
for message in race.messages.values():
    st.warning(message)
show.table(race.table, key="race-table")
rf = race.facts
chrome.notice(f"where each one ended: {rf.summary}. "
              + (f"Same start, same surface; the update rule differs, and so does the learning rate ({rf.rates})"
                 if rf.rates_differ else
                 f"Same start, same surface, same learning rate ({rf.rates}): only the update rule differs")
              + (f", and they end in {rf.distinct_ends} different places (final loss from {rf.lowest_loss:.3g} to "
                 f"{rf.highest_loss:.3g})." if not rf.one_place else
                 ", yet here they all end in the same place: the rule changed the path, not where it led.")
              + " In theory (the convex bowl) every one arrives; on Rastrigin, Himmelblau, the saddle or the two "
              "valleys, where you end depends on the rule, the learning rate and the start.", rf)
with st.expander("The code that moves the optimizers (core/landscapes.py)"):
    st.code(inspect.getsource(ls.make_optimizers) + "\n" + inspect.getsource(ls.descend))

# 3. Fix 1: noise from small batches ---------------------------------------------------------------------------
chrome.section("3 · Fix 1: randomness from small batches", "45")
budget = st.radio("Compare the batch sizes at", opt.BUDGETS, format_func="equal {}".format, horizontal=True,
                  key="noise-budget", bind="query-params")
noise = runners.run(opt.batch_noise, runners.config(opt.BatchNoise, budget=budget),
                    label="Training with batch 1, 16 and the full batch")
left, right = st.columns(2)
with left:
    if budget == "updates":  # the loss of each update's own batch: the noise each run trains on
        show.chart(charts.iteration_loss, noise.iterations, key="noise-curves")
    else:
        show.chart(charts.curves, noise.history, "loss", key="noise-curves")
with right:
    show.chart(charts.cosine_strips, noise.directions, key="noise-directions")
show.table(noise.table.rename(columns=NOISE_HEADERS), key="noise-table")
nf = noise.facts
chrome.notice(f"a batch of 1 estimates the gradient with a variance of {nf.noise_variance[0]:.3f} (batch 16: "
              f"{nf.noise_variance[1]:.3f}, full batch: {nf.noise_variance[-1]:.0f}); only "
              f"{nf.noise_share_downhill[0]:.0%} of single-sample gradients even point downhill. "
              + (f"Every run made the same number of updates ({nf.noise_runs}), so the left chart (the loss of each "
                 "update's own batch) shows what the noise does per step: "
                 if nf.noise_budget == "updates" else
                 f"Every run saw the data {nf.noise_epochs[0]} times ({nf.noise_runs}): batch 1 took "
                 f"{nf.noise_updates_ratio:.0f}× the updates of the full batch, so it is ahead for the number of its "
                 "steps, not their quality (switch to equal updates for the fair comparison): ")
              + f"final train loss {nf.noise_losses}"
              + ("." if nf.noise_budget == "epochs" else
                 ": the smallest batch ends lowest." if nf.noise_first_lowest else
                 ": per update, the noise does not make the descent faster.")
              + " The noise helps elsewhere: it can shake the weights out of a narrow local minimum, as on the "
              "two-valley surface below.", nf)
left, right = st.columns(2)
sigma = right.slider("Gradient noise σ on the two-valley surface (fades to 0 over the run)", 0.0, 8.0, 4.0, 0.5,
                     key="escape-noise", bind="query-params")
seed = right.slider("Noise draw (seed)", 0, 20, 1, key="escape-seed", bind="query-params")
esc = runners.run(ls.escape, runners.config(ls.Escape, noises=(0.0, sigma), seed=seed), label="Shaking SGD")
with left:
    show.chart(charts.landscape, esc.surface, esc.paths, "Plain SGD, with and without noise", data=esc.paths,
               key="escape-map")
with right:
    for message in esc.messages.values():
        st.warning(message)
show.table(esc.table, key="escape-table")
ef = esc.facts
chrome.notice(f"on the two-valley surface, plain SGD without noise: {ef.escape_first_end}; with gradient noise "
              f"σ = {ef.escape_last_noise:g} (seed {ef.escape_seed}): {ef.escape_last_end}"
              + (". The noise carried it over the ridge into the deeper valley." if ef.escape_escaped else
                 ". This draw did not carry it over the ridge into the deeper valley.")
              + " Try other seeds: escaping is a matter of chance.", ef)

# 4. Fix 2: the learning rate over time ----------------------------------------------------------------------------
chrome.section("4 · Fix 2: randomness from the learning rate: annealing, cycles, one-cycle", "46-47")
chosen = st.multiselect("Schedules to train", tuple(opt.SCHEDULES), default=opt.Schedules().schedules,
                        key="schedules", bind="query-params")
sched = runners.run(opt.schedules, runners.config(opt.Schedules, schedules=tuple(chosen)),
                    label="Training under each schedule")
left, right = st.columns(2)
with left:
    show.chart(charts.lines, sched.lrs, "iteration", "lr", "schedule", "iteration", "learning rate", key="sched-lrs")
with right:
    show.chart(charts.curves, sched.history, "loss", log_y=True, key="sched-curves")
show.table(sched.table, key="sched-table")
cf = sched.facts
chrome.notice(f"every learning rate on the left is what `torch.optim.lr_scheduler` set, iteration by iteration. "
              f"With a peak rate of {cf.peak_lr:g}, {cf.lowest_schedule} ends lowest (train loss {cf.lowest_loss:.3f}) "
              f"and {cf.highest_schedule} highest ({cf.highest_loss:.3f}). Large steps early explore and can jump out "
              "of narrow dips"
              + (f"; {cf.raising_schedules} raise the rate again to shake the weights loose." if cf.raising_schedules
                 else f". None of the schedules picked raises the rate again later ({cf.raising_available} would).")
              + ("" if not cf.settle_compared else
                 " Small steps late settle: in the last epoch the batch loss of every schedule that ends at a tenth "
                 f"of the peak or lower spreads at most {cf.ends_low_max_spread:.3f} (std), the constant rate's "
                 f"{cf.constant_spread:.3f}." if cf.settle_below_constant else
                 f" Here a schedule that ends low still bounced as much as the constant rate in the last epoch (batch "
                 f"loss std up to {cf.ends_low_max_spread:.3f} against {cf.constant_spread:.3f}).")
              + ("" if cf.one_cycle_momentum_cycled else
                 " One-cycle here takes only the rate from `OneCycleLR`: the real class also cycles the optimizer's "
                 f"momentum between {cf.one_cycle_momentum[1]:g} and {cf.one_cycle_momentum[0]:g}, opposite to the "
                 "rate; these runs are plain SGD without momentum, so that half of one-cycle is left out."), cf)

# 5. Fix 3: momentum ---------------------------------------------------------------------------------------------
chrome.section("5 · Fix 3: momentum and Adam", "48")
st.latex(r"\text{momentum: } b \leftarrow \mu b + g, \quad w \leftarrow w - \mathrm{lr}\, b \qquad g = \nabla L(w)")
st.latex(r"\text{Adam: } m \leftarrow \beta_1 m + (1 - \beta_1) g, \quad v \leftarrow \beta_2 v + (1 - \beta_2) g^2, "
         r"\quad w \leftarrow w - \mathrm{lr}\, \hat m / (\sqrt{\hat v} + \epsilon)")
st.caption("b is the velocity (torch.optim.SGD's momentum buffer); Adam's m and v are running averages of the "
           "gradient and of its square, m̂ and v̂ the same corrected for their start at 0 (÷ (1 − β^t)), all per "
           "weight.")
mu = st.slider("Momentum μ", 0.0, 0.99, 0.7, 0.01, key="momentum", bind="query-params")
mom = runners.run(ls.momentum, runners.config(ls.Momentum, momentum=mu), label="Rolling downhill")
left, right = st.columns(2)
with left:
    show.chart(charts.landscape, mom.surface, mom.paths, "Elongated valley", data=mom.paths, key="momentum-map")
with right:
    show.chart(charts.step_sizes, mom.step_sizes, key="momentum-steps")
mf = mom.facts
along = (f"the pushes along the valley add up: it ends {mf.distance_momentum:.2g} from the minimum against SGD's "
         f"{mf.distance_sgd:.2g} (loss {mf.final_loss_momentum:.2g})")
if mf.overshoots:
    damped = (f"with μ = {mf.momentum:g} momentum overshoots: the ball rolls past the minimum and swings back (loss "
              f"{mf.final_loss_momentum:.2g}); try 0.7")
elif not mf.helps:
    damped = (f"with μ = {mf.momentum:g} momentum ends about where plain SGD does (loss {mf.final_loss_momentum:.2g}, "
              f"{mf.distance_momentum:.2g} from the minimum): too little of it to add up; try 0.7")
elif mf.swings_longer:  # the default 0.7: wider swings for longer, yet further along
    damped = (f"momentum μ = {mf.momentum:g} does not smooth the zig-zag away: it overshoots across the valley, its "
              f"swings wider than {mf.swing:g} until step {mf.swing_until_momentum} where plain SGD's die out after "
              f"step {mf.swing_until_sgd}; yet {along}")
else:
    damped = (f"momentum μ = {mf.momentum:g} swings across the valley no longer than plain SGD (swings wider than "
              f"{mf.swing:g} until step {mf.swing_until_momentum}, plain SGD's until step {mf.swing_until_sgd}) and "
              f"{along}")
chrome.notice(f"plain SGD zig-zags across the steep direction and crawls along the flat one (loss "
              f"{mf.final_loss_sgd:.2g} after {mf.steps} steps); {damped}. Adam divides each parameter's step by the "
              "root of a running average of its own squared gradients (on the first step, by the gradient's own "
              f"size): its first step is as long in w2 as in w1 (ratio {mf.first_step_ratio_adam:.2g}, "
              f"plain SGD's {mf.first_step_ratio_sgd:.2g}) despite a {mf.steepness:g}× difference in steepness (loss "
              f"{mf.final_loss_adam:.2g}).", mf)

# 6. A real network's landscape -------------------------------------------------------------------------------------
chrome.section("6 · A real network's landscape: slices around trained weights (Li et al. 2018)", "43")
sl = runners.run(opt.net_slices, opt.NetSlices(), label="Slicing the loss around the trained weights")
show.chart(charts.lines, sl.line, "alpha", "loss", "variant", "step along a random direction (α)", "training loss",
           key="slice-line")
for col, (variant, grid) in zip(st.columns(len(sl.maps)), sl.maps.items()):
    with col:
        show.chart(charts.landscape, grid, sl.centres[variant], f"{variant}: 2-D slice", "direction 1 (α)",
                   "direction 2 (β)", data=grid, key=f"slice-map-{variant}")
show.table(sl.table, key="slice-table")
lf = sl.facts
chrome.notice(("both nets made the same number of Adam updates" if lf.slice_budget == "updates" else
               "both nets saw the data the same number of times") + f" ({lf.slice_runs}). "
              + (f"Along every one of the {lf.slice_directions} random filter-normalized directions sampled, the loss "
                 "rises on both sides of the trained weights (α = 0), for both nets: a basin in every direction looked "
                 "at (a sample of directions, not a proof for all 337 weights)." if lf.slice_all_rising else
                 f"Along {lf.slice_directions} random filter-normalized directions, the loss does not rise on both "
                 "sides in every one (see the table): along some of them the trained weights are not at the bottom.")
              + f" At α = ±{lf.slice_half_step:g} (each unit's incoming weights moved by {lf.slice_half_step:g} "
              f"times their own norm, biases kept) the loss rises on average by {lf.slice_rises}: along "
              f"these directions the {lf.slice_sharper} net sits in the sharper basin (training loss at the weights: "
              f"{lf.slice_losses}). Keskar et al. (2017) found that large batches tend to end in sharper minima"
              + ("; so here." if lf.slice_last_sharper else "; not here: on a net this small it can go either way."),
              lf)
chrome.end()

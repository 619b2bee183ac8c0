"""Local minima and optimizers (slides 39-47): learning rates, loss landscapes, batch noise, schedules, momentum."""
import inspect

import streamlit as st

from core import charts
from core import landscapes as ls
from core import optimization as opt
from ui import chrome, runners, show

chrome.page("Local minima and optimizers", "39-47", """Training walks downhill on the **loss landscape**: the loss
as a function of every weight. The learning rate sets the stride; a real landscape has valleys, saddles and many local
minima where plain gradient descent gets stuck. Three fixes: **noise** from small batches, a **learning rate that
changes over time**, and **momentum** (Adam). Every optimizer and schedule below is the real `torch.optim` class.""")
# Shorter headers, so that the batch-noise table fits the page at 1,400 px without scrolling.
NOISE_HEADERS = {"updates per epoch": "updates / epoch", "share pointing downhill": "share downhill",
                 "mean cosine with the full gradient": "mean cosine to full gradient",
                 "final validation accuracy": "final val. accuracy"}
LRS = (0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)

# 1. The learning rate ---------------------------------------------------------------------------------
chrome.section("1 · The learning rate: too small, good, too large", "39-40")
c1, c2, c3, c4 = st.columns(4)
small = c1.select_slider("Too small", LRS, 0.003, key="lr-small", bind="query-params")
good = c2.select_slider("Good", LRS, 0.3, key="lr-good", bind="query-params")
large = c3.select_slider("Too large", LRS, 30.0, key="lr-large", bind="query-params")
epochs = c4.slider("Epochs", 5, 200, 40, 5, key="lr-epochs", bind="query-params")
sweep = runners.run(opt.lr_sweep, runners.config(opt.LrSweep, lrs=(small, good, large), epochs=epochs),
                    label="Training one net at three learning rates")
show.chart(charts.curves, sweep.history, "loss", key="lr-curves")
for variant, message in sweep.messages.items():
    st.warning(f"**{variant}:** {message}")
t = sweep.table.set_index("variant")
slow, best = t.iloc[0], t.iloc[1]
chrome.notice(f"after {epochs} epochs the small rate ({slow['learning rate']:g}) has only reached a train loss of "
              f"{slow['final train loss']:.3f}, the good one ({best['learning rate']:g}) {best['final train loss']:.3f}. "
              + (f"The large one blew up ({len(sweep.messages)} warning above): each step overshoots the valley and "
                 "lands higher up the other side." if sweep.messages else
                 "The large one did not blow up here: raise it until the trainer reports divergence."))
st.markdown("**The LR range test** (Smith 2017, fastai's `lr_find`): one short run whose learning rate grows "
            "exponentially every batch, from 0.0001 to 100 (`torch.optim.lr_scheduler.ExponentialLR`).")
rng = runners.run(opt.lr_range, opt.LrRange(), label="Running the LR range test")
show.chart(charts.lr_finder, rng.curve, rng.suggestion, rng.lowest, key="lr-range")
chrome.notice(f"the smoothed loss falls fastest at lr ≈ {rng.suggestion:.2g} and is lowest at lr ≈ {rng.lowest:.2g}"
              f"{'; then the loss blew up and the run stopped' if rng.stopped else ''}. Pick a rate where it still falls "
              "steeply, below the minimum (often about a tenth of it). It is a rule of thumb read off one noisy run: "
              "the batches, the smoothing and the seed move the curve, so treat it as a range, not a number.")

# 2. Loss landscapes and the optimizer race -------------------------------------------------------------------
chrome.section("2 · Loss landscapes in theory and reality: an optimizer race", "41-43")
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
ends = race.table.set_index("optimizer")["ends"]
kinds = {kind: [o for o, e in ends.items() if e == kind] for kind in dict.fromkeys(ends)}
summary = "; ".join(f"{', '.join(names)}: {kind}" for kind, names in kinds.items())
chrome.notice(f"where each one ended: {summary}. Same start, same surface: only the update rule differs. In theory "
              "(the convex bowl) every one arrives; on Rastrigin, the saddle or the two valleys, where you end depends "
              "on the rule, the learning rate and the start.")
with st.expander("The code that moves the optimizers (core/landscapes.py)"):
    st.code(inspect.getsource(ls.make_optimizers) + "\n" + inspect.getsource(ls.descend))

# 3. Fix 1: noise from small batches ---------------------------------------------------------------------------
chrome.section("3 · Fix 1: randomness from small batches", "44")
noise = runners.run(opt.batch_noise, opt.BatchNoise(), label="Training with batch 1, 16 and the full batch")
left, right = st.columns(2)
with left:
    show.chart(charts.curves, noise.history, "loss", key="noise-curves")
with right:
    show.chart(charts.cosine_strips, noise.directions, key="noise-directions")
show.table(noise.table.rename(columns=NOISE_HEADERS), key="noise-table")
n = noise.table.set_index("variant")
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
noisy = esc.table["ends"].iloc[-1]
chrome.notice(f"a batch of 1 estimates the gradient with a variance of {n['gradient variance'].iloc[0]:.3f} "
              f"(batch 16: {n['gradient variance'].iloc[1]:.3f}, full batch: 0); only "
              f"{n['share pointing downhill'].iloc[0]:.0%} of single-sample gradients even point downhill. That noise "
              f"can help. On the surface, SGD without noise: {esc.table['ends'].iloc[0]}; with noise σ = {sigma:g}: "
              f"{noisy}. Try other seeds: escaping is a matter of chance.")

# 4. Fix 2: the learning rate over time ----------------------------------------------------------------------------
chrome.section("4 · Fix 2: randomness from the learning rate: annealing, cycles, one-cycle", "45-46")
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
s = sched.table.set_index("schedule")["final train loss"]
chrome.notice(f"every learning rate on the left is what `torch.optim.lr_scheduler` set, iteration by iteration. "
              f"With a peak rate of {opt.Schedules().lr:g}, {s.idxmin()} ends lowest (train loss {s.min():.3f}) and "
              f"{s.idxmax()} highest ({s.max():.3f}). Large steps early explore and jump out of narrow dips; small "
              "steps late settle into the valley found. Restarts and cycles raise the rate again to shake the weights loose.")

# 5. Fix 3: momentum ---------------------------------------------------------------------------------------------
chrome.section("5 · Fix 3: momentum and Adam", "47")
SWING = 0.1  # a path further than this from the valley floor (w2 = 0) is still swinging across it
st.latex(r"v \leftarrow \mu v + \nabla L(w), \quad w \leftarrow w - \mathrm{lr}\, v \qquad "
         r"\text{Adam: } w \leftarrow w - \mathrm{lr}\, \hat m / (\sqrt{\hat v} + \epsilon)")
mu = st.slider("Momentum μ", 0.0, 0.99, 0.7, 0.01, key="momentum", bind="query-params")
mom = runners.run(ls.race, runners.config(ls.Race, surface="valley", optimizers=("SGD", "SGD + momentum", "Adam"),
                                          lr=0.4, adaptive_lr=0.3, steps=60, momentum=mu), label="Rolling downhill")
left, right = st.columns(2)
with left:
    show.chart(charts.landscape, mom.surface, mom.paths, "Elongated valley", data=mom.paths, key="momentum-map")
with right:
    show.chart(charts.step_sizes, mom.step_sizes, key="momentum-steps")
m = mom.table.set_index("optimizer")["final loss"]
# The valley's floor is w2 = 0 and its minimum (0, 0): how long each path swings across, how far along it gets.
end = mom.paths.groupby("optimizer").last()
swinging = mom.paths[mom.paths.w2.abs() > SWING].groupby("optimizer").step.max()
sgd_stop, mom_stop = swinging.get("SGD", 0), swinging.get("SGD + momentum", 0)
along = (f"the pushes along the valley add up: it ends {abs(end.w1['SGD + momentum']):.2f} from the minimum against "
         f"SGD's {abs(end.w1['SGD']):.2f} (loss {m['SGD + momentum']:.2g})")
if m["SGD + momentum"] >= m["SGD"]:
    damped = (f"with μ = {mu:g} momentum overshoots: the ball rolls past the minimum and swings back (loss "
              f"{m['SGD + momentum']:.2g}); try 0.7")
elif mom_stop > sgd_stop:  # what the map shows at the default 0.7: wider swings for longer, yet further along
    damped = (f"momentum μ = {mu:g} does not smooth the zig-zag away: it overshoots across the valley, its swings wider "
              f"than {SWING:g} until step {mom_stop} where plain SGD's die out after step {sgd_stop}; yet {along}")
else:
    damped = (f"momentum μ = {mu:g} swings across the valley no longer than plain SGD (swings wider than {SWING:g} "
              f"until step {mom_stop}, plain SGD's until step {sgd_stop}) and {along}")
chrome.notice(f"plain SGD zig-zags across the steep direction and crawls along the flat one (loss {m['SGD']:.2g} after 60 "
              f"steps); {damped}. Adam divides each parameter's step by its own gradient size, so w1 and w2 get steps "
              f"of similar length (right) despite a 40× difference in steepness (loss {m['Adam']:.2g}).")

# 6. A real network's landscape -------------------------------------------------------------------------------------
chrome.section("6 · A real network's landscape: slices around trained weights (Li et al. 2018)")
sl = runners.run(opt.net_slices, opt.NetSlices(), label="Slicing the loss around the trained weights")
show.chart(charts.lines, sl.line, "alpha", "loss", "variant", "step along a random direction (α)", "training loss",
           key="slice-line")
for col, (variant, grid) in zip(st.columns(len(sl.maps)), sl.maps.items()):
    with col:
        show.chart(charts.landscape, grid, sl.centres[variant], f"{variant}: 2-D slice", "direction 1 (α)",
                   "direction 2 (β)", data=grid, key=f"slice-map-{variant}")
show.table(sl.table, key="slice-table")
r = sl.table.set_index("variant").iloc[:, 2]
sharp = r.idxmax()
chrome.notice(f"around the trained weights (α = 0) the loss rises in every direction: training found a basin. Half a "
              f"filter-normalized step away it rises by {r.iloc[0]:.3f} ({r.index[0]}) and {r.iloc[1]:.3f} "
              f"({r.index[1]}): here the {sharp} net sits in the sharper basin. Keskar et al. (2017) found large batches "
              "tend to end in sharper minima; on a net this small the difference can go either way.")
chrome.end()

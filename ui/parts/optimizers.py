"""The Local minima and optimizers page's controls and sentences: the page places them, core computes the
facts."""
from __future__ import annotations

import inspect

import streamlit as st

from core import charts, landscapes, momentum, optimization
from ui import chrome, runners, show

# Shorter headers, so that the batch-noise table fits the page at 1,400 px without scrolling.
NOISE_HEADERS = {"updates per epoch": "updates / epoch", "share pointing downhill": "share downhill",
                 "mean cosine with the full gradient": "mean cosine to full gradient",
                 "final validation accuracy": "final val. acc."}
LRS = (0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)
SWEEP_DEFAULT = optimization.LrSweep()
RANGE_TEST = ("**The LR range test** (Smith 2017, fastai's `lr_find`): one short run whose learning rate grows "
              "exponentially every batch, from 0.0001 to 100 (`torch.optim.lr_scheduler.ExponentialLR`).")
MOMENTUM_RULE = (r"\text{momentum: } b \leftarrow \mu b + g, \quad w \leftarrow w - \mathrm{lr}\, b "
                 r"\qquad g = \nabla L(w)")
ADAM_RULE = (r"\text{Adam: } m \leftarrow \beta_1 m + (1 - \beta_1) g, "
             r"\quad v \leftarrow \beta_2 v + (1 - \beta_2) g^2, "
             r"\quad w \leftarrow w - \mathrm{lr}\, \hat m / (\sqrt{\hat v} + \epsilon)")
RULES_CAPTION = ("b is the velocity (torch.optim.SGD's momentum buffer); Adam's m and v are running averages of the "
                 "gradient and of its square, m̂ and v̂ the same corrected for their start at 0 (÷ (1 − β^t)), all "
                 "per weight.")


# 1. The learning rate ------------------------------------------------------------------------------------------


def sweep_knobs() -> optimization.LrSweep:
    """Three learning rates (too small, good, too large) and the epochs."""
    st.markdown("The page's small network (2-16-16-1) trained on the two moons (210 training points) by plain SGD at "
                "three learning rates you pick, then the LR range test on the same data.")
    c1, c2, c3, c4 = st.columns(4)
    small = c1.select_slider("Too small", LRS, 0.003, key="lr-small", bind="query-params")
    good = c2.select_slider("Good", LRS, SWEEP_DEFAULT.lrs[1], key="lr-good", bind="query-params")
    large = c3.select_slider("Too large", LRS, 30.0, key="lr-large", bind="query-params")
    epochs = c4.slider("Epochs", 5, 200, SWEEP_DEFAULT.epochs, 5, key="lr-epochs", bind="query-params")
    return runners.config(optimization.LrSweep, lrs=(small, good, large), epochs=epochs)


def sweep_notice(facts: optimization.LrSweepFacts) -> None:
    """How far each rate got, whether the good one spiked and whether the large one blew up."""
    chrome.notice(
        f"after {facts.epochs} epochs (batch {SWEEP_DEFAULT.batch_size}, plain SGD) the small rate "
        f"({facts.small_lr:g}) has only reached a train loss of {facts.small_final_loss:.3f}, the good one "
        f"({facts.good_lr:g}) {facts.good_final_loss:.3f}"
        + (f", in a steady descent: after epoch {optimization.SETTLE} its loss never rose more than "
           f"{facts.good_max_rise:.0%} above the lowest it had reached." if not facts.good_spike_epochs else
           f", but not steadily: in {facts.good_spike_epochs} epochs after epoch {optimization.SETTLE} its loss "
           f"spiked more than {optimization.SPIKE:.0%} above the lowest it had reached (up to "
           f"{facts.good_max_rise:.0%}): a rate this large already overshoots now and then.")
        + (f" The large one ({facts.large_lr:g}) blew up in epoch {facts.large_blow_up_epoch} (the warning "
           "above): each step overshoots the valley and lands higher up the other side." if facts.large_blew_up
           else f" The large one ({facts.large_lr:g}) did not blow up here: raise it until the trainer reports "
           "divergence."), facts)


def range_test() -> None:
    """The LR range test: what it is, its curve and where to read a rate off it."""
    st.markdown(RANGE_TEST)
    result = runners.run(optimization.lr_range, optimization.LrRange(), label="Running the LR range test")
    show.chart(charts.lr_finder, result.curve, result.suggestion, result.lowest, key="lr-range",
               title=ON_MOONS.format("LR range test: batch loss as the rate grows"))
    facts = result.facts
    chrome.notice(
        f"the smoothed loss falls fastest at lr ≈ {facts.range_suggestion:.2g} and is lowest at lr ≈ "
        f"{facts.range_lowest:.2g}{'; then the loss blew up and the run stopped' if facts.range_stopped else ''}. "
        "Pick a rate where it still falls steeply, below the minimum (often about a tenth of it). It is a rule "
        "of thumb read off one noisy run: the batches, the smoothing and the seed move the curve, so treat it "
        "as a range, not a number.", facts)


# 2. Loss landscapes and the optimizer comparison ---------------------------------------------------------------


def comparison_knobs() -> tuple[landscapes.Comparison, str]:
    """The surface, the optimizers, the start, both families' learning rates and the steps; and the surface's
    label. The widget keys keep their old "race-" prefix: shared links and the walkthrough name them."""
    chrome.intro("The optimizers of torch.optim, racing from one start on a 2-D loss surface you pick: the map "
                "shows their paths, the chart their loss step by step.")
    c1, c2, c3 = st.columns(3)
    names = tuple(landscapes.SURFACES)
    name = c1.selectbox("Surface", names, index=names.index("two_valleys"), format_func=landscapes.LABELS.get,
                        key="race-surface", bind="query-params")
    chosen = c1.multiselect("Optimizers", tuple(landscapes.OPTIMIZERS), default=tuple(landscapes.OPTIMIZERS),
                            key="race-optimizers", bind="query-params")
    surface = landscapes.SURFACES[name]
    lo1, hi1, lo2, hi2 = map(float, surface.box)  # what core accepts (landscapes.Comparison): no value is refused
    w1 = c2.number_input("Start w1", lo1, hi1, float(surface.start[0]), 0.1, key=f"race-w1-{name}",
                         bind="query-params")
    w2 = c2.number_input("Start w2", lo2, hi2, float(surface.start[1]), 0.1, format="%.4f",
                         key=f"race-w2-{name}", bind="query-params")
    low, high = landscapes.MIN_LR, landscapes.MAX_LR
    lr = c3.number_input("Learning rate: SGD, momentum, Nesterov", low, high, surface.lr, format="%g",
                         key=f"race-lr-{name}", bind="query-params")
    adaptive = c3.number_input("Learning rate: RMSprop, Adam, AdamW", low, high, surface.adaptive_lr, format="%g",
                               key=f"race-alr-{name}", bind="query-params")
    steps = c2.number_input(f"Steps (at most {landscapes.MAX_STEPS:,})", 1, landscapes.MAX_STEPS, 200, 50,
                            key="race-steps", bind="query-params")
    cfg = runners.config(landscapes.Comparison, surface=name, optimizers=tuple(chosen), start=(w1, w2), lr=lr,
                         adaptive_lr=adaptive, steps=steps)
    return cfg, surface.label


def optimizer_code() -> None:
    """The code that moves the optimizers, in an expander."""
    with show.folded("The code that moves the optimizers (core/landscapes.py)", key="race-code") as more:
        if more.open:
            st.code(inspect.getsource(landscapes.make_optimizers) + "\n" + inspect.getsource(landscapes.descend))


def _places_in_words(facts: landscapes.ComparisonFacts) -> str:
    """How many places the paths that stayed on the plot ended in; those that left it are named, not counted."""
    left = facts.off_plot
    if facts.distinct_ends == 0:
        return ", and every path left the plot."
    gone = f" ({landscapes.in_words(list(left))} left the plot)" if left else ""
    who = "those that stayed on the plot" if left else "they"
    if facts.one_place:
        return (f", and {who} all end in the same place{gone}." if left else
                ", yet here they all end in the same place: the rule changed the path, not where it led.")
    return (f", and {who} end in {facts.distinct_ends} different places{gone} (final loss from "
            f"{facts.lowest_loss:.3g} to {facts.highest_loss:.3g}).")


def comparison_notice(facts: landscapes.ComparisonFacts) -> None:
    """Where each optimizer ended, and whether the rule, the rate or both differed."""
    chrome.notice(
        f"where each one ended: {facts.summary}"
        + (f" (near: within {facts.near:g}, 2% of the plot's size). " if facts.any_near else ". ")
        + (f"Same start, same surface; the update rule differs, and so does the learning rate ({facts.rates})"
           if facts.rates_differ else
           f"Same start, same surface, same learning rate ({facts.rates}): only the update rule differs")
        + _places_in_words(facts)
        + " In theory (the convex bowl) every one arrives; on Rastrigin, Himmelblau, the saddle or the two "
        "valleys, where you end depends on the rule, the learning rate and the start.", facts)


# 3. Fix 1: noise from small batches ----------------------------------------------------------------------------


ON_MOONS = "{} (two moons)"  # the data of every network of this page (core.optimization); short for half columns


def noise_knobs() -> optimization.BatchNoise:
    """What the section compares, then equal epochs or equal updates for the three batch sizes."""
    st.markdown("The page's small network (2-16-16-1) learns the two moons by plain SGD with batches of 1, 16 and "
                "all 210 training points. A small batch's gradient is a noisy estimate of the full one: the left "
                "chart shows the loss each run trains on, the right one how well each drawn batch's gradient "
                "points along the full-batch gradient. Below, noise added to plain SGD on a surface with two "
                "valleys.")
    budget = st.radio("Compare the batch sizes at", optimization.BUDGETS, format_func="equal {}".format,
                      horizontal=True, key="noise-budget", bind="query-params")
    return runners.config(optimization.BatchNoise, budget=budget)


def noise_charts(result: optimization.NoiseResult) -> None:
    """Left, at equal updates the loss of each update's own batch (the noise each run trains on), else the epochs;
    right, the drawn batches' gradient directions."""
    left, right = st.columns(2)
    with left:
        if result.facts.noise_budget == "updates":
            show.chart(charts.iteration_loss, result.iterations, ON_MOONS.format("Loss of each update's own batch"),
                       key="noise-curves")
        else:
            show.chart(charts.curves, result.history, "loss", title=ON_MOONS.format("Loss per epoch by batch size"),
                       key="noise-curves")
    with right:
        show.chart(charts.cosine_strips, result.directions, key="noise-directions",
                   title=ON_MOONS.format("Batch vs full-batch gradients"))


def noise_notice(facts: optimization.NoiseFacts) -> None:
    """How noisy single-sample gradients are, and what the equal budget shows."""
    chrome.notice(
        f"a batch of 1 estimates the gradient with a variance of {facts.noise_variance[0]:.3f} (batch 16: "
        f"{facts.noise_variance[1]:.3f}, full batch: {facts.noise_variance[-1]:.0f}); only "
        f"{facts.noise_share_downhill[0]:.0%} of single-sample gradients even point downhill. "
        + (f"Every run made the same number of updates ({facts.noise_runs}), so the left chart (the loss of each "
           "update's own batch) shows what the noise does per step: "
           if facts.noise_budget == "updates" else
           f"Every run saw the data {facts.noise_epochs[0]} times ({facts.noise_runs}): batch 1 took "
           f"{facts.noise_updates_ratio:.0f}× the updates of the full batch, so it is ahead for the number of its "
           "steps, not their quality (switch to equal updates for the fair comparison): ")
        + f"final train loss {facts.noise_losses}"
        + ("." if facts.noise_budget == "epochs" else
           ": the smallest batch ends lowest." if facts.noise_first_lowest else
           ": per update, the noise does not make the descent faster.")
        + " The noise helps elsewhere: it can shake the weights out of a narrow local minimum, as on the "
        "two-valley surface below.", facts)


def escape_knobs(column: st.delta_generator.DeltaGenerator) -> landscapes.Escape:
    """The gradient noise and its draw, in `column`."""
    sigma = column.slider("Gradient noise σ on the two-valley surface (fades to 0 over the run)", 0.0, 8.0, 4.0,
                          0.5, key="escape-noise", bind="query-params")
    seed = column.slider("Noise draw (seed)", 0, 20, 1, key="escape-seed", bind="query-params")
    return runners.config(landscapes.Escape, noises=(0.0, sigma), seed=seed)


def escape_notice(facts: landscapes.EscapeFacts) -> None:
    """Where plain SGD ended without and with noise."""
    chrome.notice(
        f"on the two-valley surface, plain SGD without noise: {facts.escape_first_end}; with gradient noise "
        f"σ = {facts.escape_last_noise:g} (seed {facts.escape_seed}): {facts.escape_last_end}"
        + (". The noise carried it over the ridge into the deeper valley." if facts.escape_escaped else
           ". This draw did not carry it over the ridge into the deeper valley.")
        + " Try other seeds: escaping is a matter of chance.", facts)


# 4. Fix 2: the learning rate over time -------------------------------------------------------------------------


def schedules_knobs() -> optimization.Schedules:
    """The schedules to train, each a real torch.optim.lr_scheduler class."""
    st.markdown("The page's small network on the two moons (210 training points), trained under learning-rate "
                "schedules of torch.optim.lr_scheduler: each schedule's rate per iteration, and the loss it "
                "trained to.")
    chosen = st.multiselect("Schedules to train", tuple(optimization.SCHEDULES),
                            default=optimization.Schedules().schedules, key="schedules", bind="query-params")
    return runners.config(optimization.Schedules, schedules=tuple(chosen))


def schedule_charts(result: optimization.ScheduleResult) -> None:
    """Each schedule's learning rate and the loss it trained to, side by side."""
    left, right = st.columns(2)
    with left:
        show.chart(charts.lines, result.lrs, "iteration", "lr", "schedule", "iteration", "learning rate",
                   title="The learning rate of each schedule", key="sched-lrs")
    with right:
        show.chart(charts.curves, result.history, "loss", log_y=True, key="sched-curves",
                   title=ON_MOONS.format("Loss per epoch, each schedule"))


def schedules_notice(facts: optimization.ScheduleFacts) -> None:
    """Which schedule ended lowest, which raise the rate again, and whether the low-ending ones settled."""
    chrome.notice(
        "every learning rate on the left is what `torch.optim.lr_scheduler` set, iteration by iteration. With a "
        f"peak rate of {facts.peak_lr:g}, {facts.lowest_schedule} ends lowest (train loss {facts.lowest_loss:.3f}) "
        f"and {facts.highest_schedule} highest ({facts.highest_loss:.3f}). Large steps early explore and can jump "
        "out of narrow dips"
        + (f"; {facts.raising_schedules} raise the rate again to shake the weights loose."
           if facts.raising_schedules else
           f". None of the schedules picked raises the rate again later ({facts.raising_available} would).")
        + ("" if not facts.settle_compared else
           f" Small steps late settle: over the last {facts.settle_epochs} epochs the train loss of every schedule "
           f"that ends at a tenth of the peak or lower moves on average at most {facts.ends_low_max_change:.4f} per "
           f"epoch, the constant rate's {facts.constant_change:.4f}." if facts.settle_below_constant else
           f" Here a schedule that ends low still moved as much as the constant rate over the last "
           f"{facts.settle_epochs} epochs (train loss change up to {facts.ends_low_max_change:.4f} per epoch on "
           f"average, against {facts.constant_change:.4f}).")
        + ("" if facts.one_cycle_momentum_cycled else
           " One-cycle here takes only the rate from `OneCycleLR`: the real class also cycles the optimizer's "
           f"momentum between {facts.one_cycle_momentum[1]:g} and {facts.one_cycle_momentum[0]:g}, opposite to the "
           "rate; these runs are plain SGD without momentum, so that half of one-cycle is left out."), facts)


# 5. Fix 3: momentum --------------------------------------------------------------------------------------------


def update_rules() -> None:
    """Momentum's and Adam's update rules, and what their letters mean."""
    st.latex(MOMENTUM_RULE)
    st.latex(ADAM_RULE)
    st.caption(RULES_CAPTION)


def _momentum_in_words(facts: landscapes.MomentumFacts) -> str:
    """What momentum did in the valley: overshot, did too little, swung longer yet got further, or neither."""
    along = (f"the pushes along the valley add up: it ends {facts.distance_momentum:.2g} from the minimum against "
             f"SGD's {facts.distance_sgd:.2g} (loss {facts.final_loss_momentum:.2g})")
    if facts.overshoots:
        return (f"with μ = {facts.momentum:g} momentum overshoots: the ball rolls past the minimum and swings back "
                f"(loss {facts.final_loss_momentum:.2g}); try 0.7")
    if not facts.helps:
        return (f"with μ = {facts.momentum:g} momentum ends about where plain SGD does (loss "
                f"{facts.final_loss_momentum:.2g}, {facts.distance_momentum:.2g} from the minimum): too little of "
                "it to add up; try 0.7")
    if facts.swings_longer:  # the default 0.7: wider swings for longer, yet further along
        return (f"momentum μ = {facts.momentum:g} does not smooth the zig-zag away: it overshoots across the "
                f"valley, its swings wider than {facts.swing:g} until step {facts.swing_until_momentum} where "
                f"plain SGD's die out after step {facts.swing_until_sgd}; yet {along}")
    return (f"momentum μ = {facts.momentum:g} swings across the valley no longer than plain SGD (swings wider than "
            f"{facts.swing:g} until step {facts.swing_until_momentum}, plain SGD's until step "
            f"{facts.swing_until_sgd}) and {along}")


def momentum_notice(facts: landscapes.MomentumFacts) -> None:
    """Plain SGD's zig-zag, what momentum did, and Adam's equal first steps."""
    chrome.notice(
        "plain SGD zig-zags across the steep direction and crawls along the flat one (loss "
        f"{facts.final_loss_sgd:.2g} after {facts.steps} steps); {_momentum_in_words(facts)}. Adam divides each "
        "parameter's step by the root of a running average of its own squared gradients (on the first step, by "
        f"the gradient's own size): its first step is as long in w2 as in w1 (ratio "
        f"{facts.first_step_ratio_adam:.2g}, plain SGD's {facts.first_step_ratio_sgd:.2g}) despite a "
        f"{facts.steepness:g}× difference in steepness. "
        + (f"Adam runs at the same learning rate ({facts.lr:g}) and ends at a loss of "
           f"{facts.final_loss_adam:.2g}." if facts.adaptive_lr == facts.lr else
           f"Adam runs at a learning rate of its own, {facts.adaptive_lr:g} against {facts.lr:g} for plain SGD "
           "and momentum (its steps are about lr long whatever the gradient's size, theirs lr × the gradient, so "
           f"one rate does not suit both), and ends at a loss of {facts.final_loss_adam:.2g}."), facts)


# 6. A real network's landscape ---------------------------------------------------------------------------------


def slices_config() -> optimization.NetSlices:
    """What the section shows and on which data; its settings are fixed."""
    st.markdown("The page's small network (337 weights) trained on the two moons by Adam, once with batches of 16 "
                "and once with the full batch of 210 points. Around each trained net's weights, the training loss "
                "is drawn along random directions, each scaled to the size of the weights it moves (filter "
                "normalization, Li et al. 2018): first along one direction, then over a plane of two.")
    return optimization.NetSlices()


def slices(result: optimization.SliceResult) -> None:
    """The 1-D slice of both nets, then each net's 2-D slice side by side."""
    show.chart(charts.lines, result.line, "alpha", "loss", "variant", "step along a random direction (α)",
               "training loss", title=ON_MOONS.format("Training loss along one random direction"),
               key="slice-line")
    for column, (variant, grid) in zip(st.columns(len(result.maps)), result.maps.items()):
        with column:
            show.chart(charts.landscape, grid, result.centres[variant], f"{variant}: 2-D slice", "direction 1 (α)",
                       "direction 2 (β)", data=grid, key=f"slice-map-{variant}")


def slices_notice(facts: optimization.SliceFacts) -> None:
    """Whether the loss rises on both sides along every direction, and which net sits in the sharper basin."""
    chrome.notice(
        ("both nets made the same number of Adam updates" if facts.slice_budget == "updates" else
         "both nets saw the data the same number of times") + f" ({facts.slice_runs}). "
        + (f"Along every one of the {facts.slice_directions} random filter-normalized directions sampled, the loss "
           "rises on both sides of the trained weights (α = 0), for both nets: a basin in every direction looked "
           "at (a sample of directions, not a proof for all 337 weights)." if facts.slice_all_rising else
           f"Along {facts.slice_directions} random filter-normalized directions, the loss does not rise on both "
           "sides in every one (see the table): along some of them the trained weights are not at the bottom.")
        + f" At α = ±{facts.slice_half_step:g} (each unit's incoming weights moved by {facts.slice_half_step:g} "
        f"times their own norm, biases kept) the loss rises on average by {facts.slice_rises}: along "
        f"these directions the {facts.slice_sharper} net sits in the sharper basin (training loss at the weights: "
        f"{facts.slice_losses}). Keskar et al. (2017) found that large batches tend to end in sharper minima"
        + ("; so here." if facts.slice_last_sharper else "; not here: on a net this small it can go either way."),
        facts)


# 7. Momentum up close ------------------------------------------------------------------------------------------


VALLEY = momentum.Valley()  # the section's defaults: section 5's valley, curvatures 0.1 and 4
VALLEY_ERRORS = "Error along each direction of the valley, per step"
VALLEY_MAP = "How fast momentum converges, over learning rate and μ"
VALLEY_RULE = (r"\begin{pmatrix} y \\ x \end{pmatrix}_{k+1} = \underbrace{\begin{pmatrix} \mu & \lambda \\ "
               r"-\mathrm{lr}\,\mu & 1 - \mathrm{lr}\,\lambda \end{pmatrix}}_{R} \begin{pmatrix} y \\ x "
               r"\end{pmatrix}_k")


def valley_knobs() -> momentum.Valley:
    """What the section shows, one step of one direction as a matrix, and the learning rate and μ."""
    st.markdown("Section 5's valley, f = 0.05 w1² + 2 w2², from the same start: its curvature is "
                f"λ = {VALLEY.curvatures[0]:g} along w1 (the flat direction) and {VALLEY.curvatures[1]:g} across it "
                "(the steep one). `torch.optim.SGD(momentum=μ)` walks down it; split along the two directions, "
                "each one's error x and velocity y move on their own, one step being a 2 × 2 matrix (Goh 2017, "
                "[Why Momentum Really Works](https://distill.pub/2017/momentum/)). The error shrinks per step by "
                "R's largest eigenvalue in size (its spectral radius, the rate); the slower direction sets the pace.")
    st.latex(VALLEY_RULE)
    lrs = momentum.lr_axis(VALLEY.curvatures)
    left, right = st.columns(2)
    lr = left.slider("Learning rate", float(lrs[0]), float(lrs[-1]), VALLEY.lr, float(lrs[0]), key="valley-lr",
                     bind="query-params")
    mu = right.slider("Momentum μ", 0.0, momentum.MAX_MOMENTUM, VALLEY.momentum, 0.01, key="valley-momentum",
                      bind="query-params")
    return runners.config(momentum.Valley, lr=round(lr, 6), momentum=round(mu, 6))


def valley_paths(result: momentum.ValleyResult) -> None:
    """The three runs' paths across the valley, folded: the same runs in the (w1, w2) plane."""
    with show.folded("The same runs as paths across the valley", key="valley-paths", figure=True) as more:
        if more.open:
            show.chart(charts.landscape, result.surface, result.paths, "The runs across the valley",
                       data=result.paths, key="valley-paths-map")


def _steps(steps: int | None, total: int) -> str:
    return f"{steps} steps" if steps is not None else f"more than the {total} steps run"


def _lowest_in_words(f: momentum.ValleyFacts) -> str:
    """Where the chosen μ stands against the lowest-rate μ: the long-run rate, then the measured steps."""
    low = f.lowest_rate_momentum
    if low is None:
        return ""
    if f.momentum == low:
        return " This is the lowest rate at this learning rate (fastest in the long run)."
    relation = (f" Above μ = {low:g} both directions swing and the long-run rate is √μ, which rises with μ."
                if f.momentum > low else f" Up to μ = {low:g} more momentum lowers the long-run rate.")
    if not f.beats_lowest_rate:
        return relation
    # Goh 2017 ("Why Momentum Really Works"): at critical damping R has a repeated eigenvalue ρ, so the error
    # falls like k·ρ^k, not ρ^k; a μ with a slightly higher rate can reach the target first.
    return (relation + f" Yet μ = {f.momentum:g} got below {f.target:.0%} sooner "
            f"({_steps(f.steps_momentum, f.steps)}) than μ = {low:g} ({_steps(f.steps_lowest_rate, f.steps)}): "
            f"at the lowest rate R has a repeated eigenvalue, so the error falls like k·{f.lowest_rate:.2f}^k "
            f"rather than {f.lowest_rate:.2f}^k, and the lowest rate wins only in the long run.")


def valley_notice(facts: momentum.ValleyFacts) -> None:
    """The rate at (lr, μ) and the direction that sets it, the steps of three runs, the lowest-rate μ and the
    limits."""
    f = facts
    flat, steep = f"flat direction (λ = {f.flat_curvature:g})", f"steep direction (λ = {f.steep_curvature:g})"
    limits = (f"Plain SGD diverges from lr = 2/λ_max = {f.lr_limit_plain:.3g}; "
              + (f"momentum μ moves that limit to 2(1 + μ)/λ_max = {f.lr_limit:.3g}. " if f.momentum else
                 "momentum μ raises that limit to 2(1 + μ)/λ_max. ")
              + f"Over both knobs the best is lr ≈ {f.best_lr:.2f} with μ ≈ {f.best_momentum:.2f} (rate "
              f"{f.best_rate:.2f}).")
    lowest = ("" if f.lowest_rate_momentum is None else
              f"the lowest rate at this learning rate (fastest in the long run) is at μ = "
              f"{f.lowest_rate_momentum:g} (rate {f.lowest_rate:.3f}, {_steps(f.steps_lowest_rate, f.steps)}): "
              f"critical damping of the {f.critical_direction} direction, (1 − √(lr·λ))² = "
              f"{f.critical_momentum:.3f}")
    if not f.converges:
        chrome.notice(
            f"at lr = {f.lr:g} and μ = {f.momentum:g} the error grows: rate {f.rate:.3g} ≥ 1 along the "
            f"{steep} (lr·λ = {f.lr * f.steep_curvature:.3g} ≥ 2(1 + μ) = {2 * (1 + f.momentum):.3g}); the curves "
            f"stop where the error passed a million times the start's (step {f.diverged_at}). "
            + (f"More momentum lets this step converge: {lowest}. " if lowest else
               "No μ below 1 converges at this learning rate (lr·λ_max ≥ 4). ") + limits, facts)
        return
    swing = ("both directions" if f.swings_flat and f.swings_steep else f"the {flat}" if f.swings_flat else
             f"the {steep}" if f.swings_steep else "")
    pace = ("both directions shrink at the same pace, √μ" if f.slowest == "both" else
            f"the {f.slowest} direction sets the pace")
    plain = ("" if f.momentum == 0 else
             f"; plain SGD (μ = 0, rate {f.plain_rate:.3g}) {_steps(f.steps_plain, f.steps)}" if f.plain_rate < 1
             else f"; plain SGD (μ = 0) diverges here (lr > 2/λ_max = {f.lr_limit_plain:.3g})")
    chrome.notice(
        f"at lr = {f.lr:g} and μ = {f.momentum:g}{' (plain SGD)' if f.momentum == 0 else ''} the error shrinks "
        f"by a factor of {f.rate:.3f} per step (rate {f.rate_flat:.3f} along the {flat}, {f.rate_steep:.3f} "
        f"along the {steep}): {pace}"
        + (f"; along {swing} the error swings through 0 (R's eigenvalues are complex)" if swing else "")
        + f". The distance to the minimum stays below {f.target:.0%} of the start's after "
        f"{_steps(f.steps_momentum, f.steps)}"
        + (f" (the rate alone predicts {f.predicted_steps})" if f.predicted_steps is not None else "")
        + plain
        + (f"; {lowest}." if lowest and f.momentum != f.lowest_rate_momentum else ".")
        + _lowest_in_words(f) + " " + limits, facts)

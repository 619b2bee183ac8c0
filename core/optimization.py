"""Optimization experiments on a real small network (slides 40-48): learning rates, LR range test, batch noise,
learning-rate schedules and 1-D / 2-D slices of the loss landscape around trained weights.

Each experiment's result carries `facts`: the few plain numbers its "what to notice" sentence rests on.

Every training run goes through the one trainer (`core.training`); `fit_many` trains the
variants that share epochs, batch size and schedule together, the rest are separate `fit`s.
"""
from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import Tensor

from core import activations, data, training
from core.device import generator, pick_device
from core.landscapes import GRID, in_words
from core.models import MLPSpec, build_mlp
from core.progress import Progress

SPEC = MLPSpec(2, (16, 16), 1, "tanh")  # the chapter's small network: 2-16-16-1, 337 parameters
TRAIN_SAMPLES = 210  # moons, 300 points, 70% train


def _moons(n_samples: int = 300, seed: int = 0) -> data.Dataset:
    return data.load(data.DataConfig("moons", n_samples, 0.2, seed=seed))


def _history(fits: dict[str, training.FitResult]) -> pd.DataFrame:
    return pd.concat([f.history for f in fits.values()], ignore_index=True)


# 1. The learning rate: too small, good, too large ---------------------------------------------


SETTLE = 5  # epochs a run may take to get going before a rise of its loss counts as a spike
SPIKE = 0.25  # a train loss this much above the lowest the run had reached (after SETTLE epochs) is a spike


@dataclass(frozen=True)
class LrSweep:
    """The same net, seed and batches at three learning rates (plain SGD), trained side by side.

    The defaults show slide 40 robustly (tests/core/test_seeds_optimization.py, 5 seeds): 0.003 crawls, 0.1 descends
    without a spike, 30 blows up. A large rate at a small batch spikes off the moons' plateau (a nearly straight
    boundary) far above its best loss; so does any rate fast enough to leave it quickly.
    """

    lrs: tuple[float, ...] = (0.003, 0.1, 30.0)
    names: tuple[str, ...] = ("too small", "good", "too large")
    epochs: int = 120
    batch_size: int = 32
    seed: int = 0
    code_version: int = 2

    def __post_init__(self) -> None:
        if len(self.lrs) != len(self.names) or len(self.lrs) != 3:
            raise ValueError("Give three learning rates, one per name: too small, good, too large.")
        if not all(0 < lr <= 100 for lr in self.lrs):
            raise ValueError("Each learning rate must be above 0 and at most 100.")
        if not self.lrs[0] < self.lrs[1] < self.lrs[2]:  # the sentence calls them small, good and large
            raise ValueError(f"The learning rates must be ordered too small < good < too large; got "
                             f"{', '.join(f'{lr:g}' for lr in self.lrs)}.")
        if not 1 <= self.epochs <= 500:
            raise ValueError("Use between 1 and 500 epochs here.")


@dataclass(frozen=True)
class LrSweepFacts:
    """What section 1's notice says about the three rates (the variants in the order too small, good, too large)."""

    epochs: int
    small_lr: float
    small_final_loss: float  # train loss after the last epoch
    good_lr: float
    good_final_loss: float
    good_max_rise: float  # largest rise of the train loss above its running minimum after SETTLE epochs (0.1: 10%)
    good_spike_epochs: int  # epochs (after SETTLE) whose train loss was more than SPIKE above the running minimum
    large_lr: float
    large_blew_up: bool  # the trainer stopped it because its loss diverged
    large_blow_up_epoch: int  # the epoch in which it blew up (0: it did not)
    warnings: int  # messages from the trainer (divergence), each shown as a warning


@dataclass
class SweepResult:
    history: pd.DataFrame  # variant, epoch, split, metric, value
    messages: dict[str, str]  # variant -> what went wrong (divergence), from the trainer
    table: pd.DataFrame  # variant, learning rate, final train loss, final validation accuracy
    facts: LrSweepFacts


def rise_above_best(loss: np.ndarray, settle: int = SETTLE) -> np.ndarray:
    """(E,) how far each epoch's loss lies above the lowest reached so far (0.1: 10% above), from epoch `settle` on.

    `loss` runs from epoch 0 (before training); a run that blew up may end in inf/NaN (counted as infinitely high).
    """
    loss = np.where(np.isfinite(loss), loss, np.inf)
    return (loss / np.minimum.accumulate(loss) - 1)[settle + 1 :]


def lr_sweep(cfg: LrSweep, on_progress: Progress[SweepResult] | None = None) -> SweepResult:
    variants = [training.Variant(f"{name} (lr {lr:g})", SPEC, training.TrainConfig(
        epochs=cfg.epochs, batch_size=cfg.batch_size, lr=lr, optimizer="sgd", seed=cfg.seed))
        for name, lr in zip(cfg.names, cfg.lrs)]
    report = training.relay(on_progress, lambda snap: training.partial(SweepResult, history=snap.history))
    fit = training.fit_many(variants, _moons(seed=cfg.seed), pick_device(), report)
    loss, acc = fit.final("loss", "train"), fit.final("accuracy")
    table = pd.DataFrame({"variant": [v.name for v in variants], "learning rate": list(cfg.lrs),
                          "final train loss": [loss.get(v.name, math.nan) for v in variants],
                          "final validation accuracy": [acc.get(v.name, math.nan) for v in variants],
                          "epochs trained": [fit.last_epoch[v.name] for v in variants]})
    small, good, large = (v.name for v in variants)
    rise = rise_above_best(_train_loss(fit.history, good))
    facts = LrSweepFacts(
        epochs=cfg.epochs, small_lr=cfg.lrs[0], small_final_loss=loss[small], good_lr=cfg.lrs[1],
        good_final_loss=loss[good], good_max_rise=float(rise.max(initial=0.0)),
        good_spike_epochs=int((rise > SPIKE).sum()),
        large_lr=cfg.lrs[2], large_blew_up=large in fit.diverged,
        large_blow_up_epoch=fit.last_epoch[large] + 1 if large in fit.diverged else 0,
        warnings=len(fit.messages))
    return SweepResult(fit.history, fit.messages, table, facts)


def _train_loss(history: pd.DataFrame, variant: str) -> np.ndarray:
    """(E + 1,) a variant's train loss from epoch 0 on."""
    rows = history[(history.variant == variant) & (history.split == "train") & (history.metric == "loss")]
    return rows.sort_values("epoch")["value"].to_numpy()


# 2. The LR range test (Smith 2017; fastai's lr_find) ------------------------------------------


@dataclass(frozen=True)
class LrRange:
    """One short run whose learning rate grows exponentially from lr_min to lr_max, one step per batch."""

    lr_min: float = 1e-4
    lr_max: float = 100.0
    iterations: int = 210
    batch_size: int = 16
    smoothing: float = 0.9  # exponential moving average of the batch losses, as fastai smooths them
    seed: int = 0
    code_version: int = 2

    def __post_init__(self) -> None:
        if not 0 < self.lr_min < self.lr_max <= 1e4:
            raise ValueError("The range needs 0 < smallest learning rate < largest learning rate <= 10,000.")
        if not 20 <= self.iterations <= 2000:
            raise ValueError("Use between 20 and 2,000 iterations for the range test.")
        if not 0 <= self.smoothing < 1:
            raise ValueError("The smoothing must be at least 0 and below 1.")


@dataclass(frozen=True)
class RangeFacts:
    range_suggestion: float  # lr where the smoothed loss falls fastest (per unit of log lr), before its minimum
    range_lowest: float  # lr of the smoothed loss's minimum
    range_stopped: bool  # the loss blew up and the trainer stopped the run


@dataclass
class RangeResult:
    curve: pd.DataFrame  # iteration, lr, loss, smoothed loss
    suggestion: float  # lr where the smoothed loss falls fastest (per unit of log lr), before its minimum
    lowest: float  # lr of the smoothed loss's minimum
    stopped: str  # the trainer's message when the loss blew up, else ""
    facts: RangeFacts


def lr_range(cfg: LrRange, on_progress: Progress[RangeResult] | None = None) -> RangeResult:
    ds = _moons(seed=cfg.seed)
    ipe = training.iterations_per_epoch(len(ds.x_train), cfg.batch_size)
    gamma = (cfg.lr_max / cfg.lr_min) ** (1 / (cfg.iterations - 1))  # lr_t = lr_min * gamma^t
    train = training.TrainConfig(epochs=math.ceil(cfg.iterations / ipe), batch_size=cfg.batch_size, lr=cfg.lr_min,
                                 optimizer="sgd", scheduler="ExponentialLR", scheduler_kwargs=(("gamma", gamma),),
                                 seed=cfg.seed)
    # The curve is per batch and smoothed over the whole run: nothing of the result exists before the end.
    report = training.relay(on_progress, lambda snap: training.partial(RangeResult))
    fit = training.fit(SPEC, ds, train, pick_device(), report)
    it = fit.iterations.head(cfg.iterations)
    loss = it["loss"].to_numpy()
    ema, smooth = 0.0, np.empty_like(loss)
    for t, value in enumerate(loss):  # bias-corrected EMA, as fastai's recorder does
        ema = cfg.smoothing * ema + (1 - cfg.smoothing) * value
        smooth[t] = ema / (1 - cfg.smoothing ** (t + 1))
    lr = it["lr"].to_numpy()
    low = int(np.argmin(smooth))
    slope = np.gradient(smooth[: low + 1], np.log(lr[: low + 1])) if low >= 2 else np.zeros(1)
    steep = int(np.argmin(slope))
    curve = pd.DataFrame({"iteration": it["iteration"], "lr": lr, "loss": loss, "smoothed loss": smooth})
    stopped = fit.messages.get("model", "")
    return RangeResult(curve, float(lr[steep]), float(lr[low]), stopped,
                       RangeFacts(float(lr[steep]), float(lr[low]), bool(stopped)))


# 3. Fix 1: noise from small batches -----------------------------------------------------------


BUDGETS = ("updates", "epochs")  # what the variants of a batch-size comparison get equal amounts of


def check_budget(budget: str, updates: int, batch_sizes: tuple[int | None, ...], most: int) -> None:
    """Raise ValueError unless `budget` is known and `updates` (at most `most`) is whole epochs for every batch size."""
    if budget not in BUDGETS:
        raise ValueError(f"The budget is {' or '.join(map(repr, BUDGETS))}: what every run gets as much of.")
    per_epoch = [training.iterations_per_epoch(TRAIN_SAMPLES, b) for b in batch_sizes]
    if not 1 <= updates <= most or any(updates % p for p in per_epoch):
        raise ValueError(f"The equal number of updates must be at most {most:,} and a multiple of every run's updates "
                         f"per epoch ({', '.join(map(str, per_epoch))}), so that each run trains whole epochs.")


def runs_in_words(names, updates, epochs) -> str:
    """"batch 1: 420 updates in 2 epochs, ...": what each run of a comparison made, for a notice."""
    return ", ".join(f"{v}: {u} updates in {e} epoch{'s' * (e != 1)}" for v, u, e in zip(names, updates, epochs))


def values_in_words(names, values) -> str:
    """"batch 1 0.297, batch 16 0.290": one number per run, for a notice."""
    return ", ".join(f"{v} {x:.3f}" for v, x in zip(names, values))


def budget_epochs(budget: str, epochs: int, updates: int, batch_size: int | None) -> int:
    """The epochs one run trains: `epochs` when the runs get equal epochs, else as many as make `updates` updates."""
    return epochs if budget == "epochs" else updates // training.iterations_per_epoch(TRAIN_SAMPLES, batch_size)


@dataclass(frozen=True)
class BatchNoise:
    """Batch 1, a small batch and the full batch: separate runs (one batch size per run), same lr.

    budget "updates": every run makes the same number of optimizer steps (`updates`; batch 1 then sees the data
    only a few times, the full batch hundreds of times), the fair comparison of what the noise does per step.
    budget "epochs": every run sees the data `epochs` times, so batch 1 makes 210x the updates of the full batch.
    """

    batch_sizes: tuple[int | None, ...] = (1, 16, None)  # None: full batch
    budget: str = "updates"
    epochs: int = 6  # with budget "epochs"
    updates: int = 420  # with budget "updates": a multiple of every run's updates per epoch
    lr: float = 0.05
    draws: int = 100  # mini-batches drawn to measure the spread of gradient directions
    seed: int = 0
    code_version: int = 3

    def __post_init__(self) -> None:
        if not self.batch_sizes:
            raise ValueError("Give at least one batch size.")
        for batch_size in self.batch_sizes:
            training.check_batch_size(batch_size, TRAIN_SAMPLES)
        if not 1 <= self.epochs <= 100:
            raise ValueError("Use between 1 and 100 epochs here (batch size 1 makes 210 updates per epoch).")
        check_budget(self.budget, self.updates, self.batch_sizes, 2100)
        if not 0 < self.lr <= 10:
            raise ValueError("The learning rate must be above 0 and at most 10.")
        if not 10 <= self.draws <= 2000:
            raise ValueError("Draw between 10 and 2,000 mini-batches.")

    def train(self, batch_size: int | None) -> training.TrainConfig:
        """The run of one batch size: `epochs` epochs, or as many as make `updates` updates."""
        return training.TrainConfig(epochs=budget_epochs(self.budget, self.epochs, self.updates, batch_size),
                                    batch_size=batch_size, lr=self.lr, optimizer="sgd", seed=self.seed)


@dataclass(frozen=True)
class NoiseFacts:
    """Section 3's batch-noise facts, one entry per batch size in the config's order."""

    noise_budget: str  # "updates" or "epochs": what every run got the same amount of
    noise_variants: tuple[str, ...]
    noise_updates: tuple[int, ...]  # optimizer steps each run made
    noise_epochs: tuple[int, ...]  # passes over the training data each run made
    noise_updates_per_epoch: tuple[int, ...]  # what an equal-epochs comparison multiplies by the epochs
    noise_variance: tuple[float, ...]  # E ||mini-batch gradient - full gradient||^2 at the initial weights
    noise_share_downhill: tuple[float, ...]  # share of mini-batch gradients with a positive cosine to the full one
    noise_final_loss: tuple[float, ...]  # train loss at the end of each run
    noise_runs: str  # each run's updates and epochs in words, e.g. "batch 1: 420 updates in 2 epochs, ..."
    noise_losses: str  # each run's final train loss in words, e.g. "batch 1 0.341, batch 16 0.313, full batch 0.310"
    noise_first_lowest: bool  # the first (smallest) batch size ends with the lowest train loss
    noise_updates_ratio: float  # most updates / fewest updates of the runs (1 with the equal-updates budget)


@dataclass
class NoiseResult:
    history: pd.DataFrame  # variant, epoch, split, metric, value
    iterations: pd.DataFrame  # variant, iteration, epoch, lr, loss: the loss of each update's own batch
    directions: pd.DataFrame  # variant, draw, cosine (of a mini-batch gradient with the full-batch gradient)
    table: pd.DataFrame  # variant, batch size, updates per epoch, updates, gradient variance, mean cosine, final losses
    facts: NoiseFacts


def batch_label(batch_size: int | None) -> str:
    return "full batch" if batch_size is None else f"batch {batch_size}"


def per_sample_gradients(spec: MLPSpec, seed: int, x: Tensor, y: Tensor) -> Tensor:
    """(N, P) gradient of each sample's BCE loss at the net's initial weights (torch.func: one vmapped pass)."""
    model = build_mlp(spec, generator(seed))
    params = {k: v.detach() for k, v in model.named_parameters()}

    def loss(p: dict[str, Tensor], xi: Tensor, yi: Tensor) -> Tensor:
        out = torch.func.functional_call(model, p, (xi.unsqueeze(0),))[0, 0]
        return F.binary_cross_entropy_with_logits(out, yi)

    grads = torch.func.vmap(torch.func.grad(loss), in_dims=(None, 0, 0))(params, x, y.float())
    return torch.cat([g.reshape(len(x), -1) for g in grads.values()], dim=1)


def batch_noise(cfg: BatchNoise, on_progress: Progress[NoiseResult] | None = None) -> NoiseResult:
    ds = _moons(seed=cfg.seed)
    n = len(ds.x_train)
    fits = {batch_label(b): training.fit(SPEC, ds, cfg.train(b), pick_device(), name=batch_label(b))
            for b in cfg.batch_sizes}
    G = per_sample_gradients(SPEC, cfg.seed, ds.x_train, ds.y_train).double()  # (N, P)
    full = G.mean(dim=0)  # (P,): the true gradient of the training loss
    g = generator(cfg.seed)
    frames, rows = [], []
    for b, (name, fit) in zip(cfg.batch_sizes, fits.items()):
        size = b or n
        idx = torch.rand(cfg.draws, n, generator=g).argsort(dim=1)[:, :size]  # (draws, B): batches without repeats
        # (draws, P): what each mini-batch says the gradient is, gathered 10 draws at a time: all at once, the
        # (draws, B, P) gather would hold every draw's per-sample gradients for an answer of one row per draw
        est = torch.cat([G[chunk].mean(dim=1) for chunk in idx.split(10)])
        cos = F.cosine_similarity(est, full.expand_as(est), dim=1)
        frames.append(pd.DataFrame({"variant": name, "draw": np.arange(cfg.draws), "cosine": cos.numpy()}))
        rows.append({"variant": name, "batch size": size, "updates per epoch": fit.iterations_per_epoch,
                     "updates": fit.iterations_per_epoch * fit.last_epoch[name],
                     "gradient variance": float(((est - full) ** 2).sum(dim=1).mean()),
                     "mean cosine with the full gradient": float(cos.mean()),
                     "share pointing downhill": float((cos > 0).double().mean()),
                     "final train loss": fit.final("loss", "train")[name],
                     "final validation accuracy": fit.final("accuracy")[name]})
    table = pd.DataFrame(rows)
    updates, epochs = tuple(int(u) for u in table["updates"]), tuple(fit.last_epoch[name] for name, fit in fits.items())
    final = tuple(map(float, table["final train loss"]))
    facts = NoiseFacts(cfg.budget, tuple(fits), updates, epochs, tuple(int(u) for u in table["updates per epoch"]),
                       tuple(map(float, table["gradient variance"])),
                       tuple(map(float, table["share pointing downhill"])), final,
                       runs_in_words(fits, updates, epochs), values_in_words(fits, final),
                       noise_first_lowest=final[0] == min(final), noise_updates_ratio=max(updates) / min(updates))
    iterations = pd.concat([f.iterations for f in fits.values()], ignore_index=True)
    return NoiseResult(_history(fits), iterations, pd.concat(frames, ignore_index=True), table, facts)


# 4. Fix 2: the learning rate over time --------------------------------------------------------

# name -> (torch.optim.lr_scheduler class, its settings as a function of (lr, total iterations));
# T_max, total_steps, max_lr and T_0 left out are filled in by training.lr_table for the whole run.
SCHEDULES: dict[str, tuple[str | None, Callable[[float, int], tuple[tuple[str, object], ...]]]] = {
    "constant": (None, lambda lr, n: ()),
    "step decay": ("StepLR", lambda lr, n: (("step_size", max(1, n // 3)), ("gamma", 0.3))),
    "exponential": ("ExponentialLR", lambda lr, n: (("gamma", 0.01 ** (1 / n)),)),
    "cosine annealing": ("CosineAnnealingLR", lambda lr, n: ()),
    "cosine, warm restarts": ("CosineAnnealingWarmRestarts", lambda lr, n: ()),
    "cyclic": ("CyclicLR", lambda lr, n: (("base_lr", lr / 10), ("step_size_up", max(1, n // 6)),
                                          ("cycle_momentum", False))),
    "one-cycle": ("OneCycleLR", lambda lr, n: ()),
}


@dataclass(frozen=True)
class Schedules:
    """The same run (net, seed, batches) under each learning-rate schedule; lr is the peak learning rate."""

    schedules: tuple[str, ...] = ("constant", "step decay", "cosine annealing", "one-cycle")  # the ones trained
    lr: float = 3.0
    epochs: int = 20
    batch_size: int = 32
    seed: int = 0
    code_version: int = 5  # 3: which schedules raise the rate again; 4: the rates of the trained schedules only;
    #                        5: settling measured on the whole training set's loss, not a batch's

    def __post_init__(self) -> None:
        if not self.schedules or any(s not in SCHEDULES for s in self.schedules):
            raise ValueError(f"Pick at least one schedule from: {', '.join(SCHEDULES)}.")
        if not 0 < self.lr <= 10:
            raise ValueError("The learning rate must be above 0 and at most 10.")
        if not 2 <= self.epochs <= 200:
            raise ValueError("Use between 2 and 200 epochs here.")

    def train(self, schedule: str) -> training.TrainConfig:
        cls, settings = SCHEDULES[schedule]
        total = self.epochs * training.iterations_per_epoch(TRAIN_SAMPLES, self.batch_size)
        return training.TrainConfig(epochs=self.epochs, batch_size=self.batch_size, lr=self.lr, optimizer="sgd",
                                    scheduler=cls, scheduler_kwargs=settings(self.lr, total), seed=self.seed)


# Settling, measured on the whole training set's loss at the end of each of the last epochs: the spread of one
# epoch's batch losses mixes in how different the batches are, and across seeds it ranked a schedule that ended
# low above the constant rate; the epoch-to-epoch change of the whole-set loss did not.
SETTLE_EPOCHS = 5
LATE_CHANGE = f"mean train-loss change per epoch, last {SETTLE_EPOCHS} epochs"


@dataclass(frozen=True)
class ScheduleFacts:
    """Section 4's facts, one entry per trained schedule in the config's order, and what one-cycle leaves out."""

    peak_lr: float
    schedule_names: tuple[str, ...]
    schedule_final_loss: tuple[float, ...]
    schedule_late_change: tuple[float, ...]  # how much the train loss still moves: mean |change| per epoch, last epochs
    schedule_ends_low: tuple[bool, ...]  # its last learning rate is at most a tenth of the peak
    lowest_schedule: str
    lowest_loss: float
    highest_schedule: str
    highest_loss: float
    settle_epochs: int  # the last epochs the late change is measured over (SETTLE_EPOCHS, fewer in a shorter run)
    constant_change: float  # the constant rate's late change (NaN when it was not trained)
    ends_low_max_change: float  # the largest late change of the schedules that end low (NaN when none did)
    settle_compared: bool  # the constant rate and at least one schedule that ends low were trained
    settle_below_constant: bool  # every schedule that ends low bounces less than the constant rate at the end
    schedule_raises_again: tuple[bool, ...]  # its rate rises again after it has fallen (a restart or a new cycle)
    raising_schedules: str  # the trained ones that do, in words ("" when none does)
    raising_available: str  # every schedule on offer that does, in words
    one_cycle_momentum_cycled: bool  # the trainer takes only the learning rate from OneCycleLR, not its momentum
    one_cycle_momentum: tuple[float, float]  # (base, max): the momentum range torch's OneCycleLR cycles by default


@dataclass
class ScheduleResult:
    lrs: pd.DataFrame  # schedule, iteration, lr: what torch's scheduler sets at each iteration (every schedule)
    history: pd.DataFrame  # variant (= schedule), epoch, split, metric, value
    table: pd.DataFrame  # schedule, final train loss, final validation loss, LATE_CHANGE
    facts: ScheduleFacts


def one_cycle_momentum(steps: int, max_lr: float) -> pd.DataFrame:
    """iteration, lr, momentum: what torch's own OneCycleLR sets on an SGD with momentum, step by step.

    With `cycle_momentum=True` (its default) OneCycleLR moves the momentum opposite to the learning rate, from
    max_momentum (0.95) down to base_momentum (0.85) while the rate warms up and back while it anneals (Smith &
    Topin 2018; torch.optim.lr_scheduler.OneCycleLR). The app's trainer sets only each step's learning rate, so
    its one-cycle runs train without this half: this table shows what is left out.
    """
    sgd = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=max_lr, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(sgd, max_lr=max_lr, total_steps=steps)
    rows = []
    for t in range(1, steps + 1):
        rows.append((t, sgd.param_groups[0]["lr"], sgd.param_groups[0]["momentum"]))
        sgd.step()
        if t < steps:
            scheduler.step()
    return pd.DataFrame(rows, columns=["iteration", "lr", "momentum"])


def _momentum_defaults() -> tuple[float, float]:
    params = inspect.signature(torch.optim.lr_scheduler.OneCycleLR).parameters
    return float(params["base_momentum"].default), float(params["max_momentum"].default)


def raises_again(lrs: np.ndarray | list[float]) -> bool:
    """The rate rises, by more than a rounding error, somewhere after it first fell: a warm restart or a new cycle.
    (One-cycle's warm-up rises before it falls, so it does not count.)"""
    steps = np.diff(np.asarray(lrs, dtype=float))
    tiny = 1e-9 * max(float(np.max(np.abs(lrs))), 1e-12)
    falls = np.flatnonzero(steps < -tiny)
    return bool(len(falls) and (steps[falls[0]:] > tiny).any())


def schedules(cfg: Schedules, on_progress: Progress[ScheduleResult] | None = None) -> ScheduleResult:
    ds = _moons(seed=cfg.seed)
    fits = {s: training.fit(SPEC, ds, cfg.train(s), pick_device(), name=s) for s in cfg.schedules}  # one schedule a run
    ipe = training.iterations_per_epoch(len(ds.x_train), cfg.batch_size)
    tables = {s: training.lr_table(cfg.train(s), ipe) for s in SCHEDULES}
    # The schedules trained, in the order trained, as the loss chart has them: one colour per schedule in both
    # charts (the rates of all seven beside four losses gave one colour to two schedules).
    lrs = pd.concat([pd.DataFrame({"schedule": s, "iteration": np.arange(1, cfg.epochs * ipe + 1), "lr": tables[s]})
                     for s in cfg.schedules], ignore_index=True)
    rows = []
    # The epochs measured: SETTLE_EPOCHS, or fewer where a run has fewer (a short run, one whose loss blew up).
    settle = max(1, min(SETTLE_EPOCHS, *(fit.last_epoch[s] for s, fit in fits.items())))
    for s, fit in fits.items():
        h = fit.history
        train_loss = h[(h.split == "train") & (h.metric == "loss")].sort_values("epoch")["value"].to_numpy()
        rows.append({"schedule": s, "final train loss": fit.final("loss", "train")[s],
                     "final validation loss": fit.final("loss")[s],
                     LATE_CHANGE: float(np.abs(np.diff(train_loss[-settle - 1 :])).mean())})
    table = pd.DataFrame(rows)
    names, final = tuple(table["schedule"]), tuple(map(float, table["final train loss"]))
    spread = tuple(map(float, table[LATE_CHANGE]))
    low = tuple(bool(tables[s][-1] <= cfg.lr / 10) for s in names)
    constant = dict(zip(names, spread)).get("constant", math.nan)
    low_spread = max((sp for sp, lo in zip(spread, low) if lo), default=math.nan)
    best, worst = int(np.argmin(final)), int(np.argmax(final))
    again = {s: raises_again(lr) for s, lr in tables.items()}
    facts = ScheduleFacts(
        peak_lr=cfg.lr, schedule_names=names, schedule_final_loss=final, schedule_late_change=spread,
        schedule_ends_low=low, lowest_schedule=names[best], lowest_loss=final[best], highest_schedule=names[worst],
        highest_loss=final[worst], settle_epochs=settle, constant_change=constant,
        ends_low_max_change=low_spread,
        settle_compared=bool(math.isfinite(constant) and math.isfinite(low_spread)),
        settle_below_constant=bool(low_spread < constant), schedule_raises_again=tuple(again[s] for s in names),
        raising_schedules=in_words([s for s in names if again[s]]),
        raising_available=in_words([s for s in SCHEDULES if again[s]]),
        one_cycle_momentum_cycled=False,
        one_cycle_momentum=_momentum_defaults())
    return ScheduleResult(lrs, _history(fits), table, facts)


# 6. A real network's landscape (Li et al. 2018) -----------------------------------------------


@dataclass(frozen=True)
class NetSlices:
    """Slices of a trained MLP's training loss along random filter-normalized directions; small vs large batch.

    budget "updates" (the default): both nets make `updates` Adam steps (batch 16: 40 epochs, the full batch 560),
    so that a sharper or flatter basin is not just the net that trained 14x longer. budget "epochs": both see the
    data `epochs` times (batch 16 then makes 14x the updates). The basin is measured along `directions_sampled`
    random directions: the share along which the loss rises on both sides, half a step away.
    """

    batch_sizes: tuple[int | None, ...] = (16, None)
    budget: str = "updates"
    epochs: int = 40  # with budget "epochs"
    updates: int = 560  # with budget "updates": a multiple of every run's updates per epoch
    lr: float = 0.03  # Adam
    span: float = 1.0  # the slices run from -span to +span times the direction
    points_1d: int = 41
    points_2d: int = 21
    directions_sampled: int = 12  # random directions along which the rise around the weights is measured
    seed: int = 0
    code_version: int = 3  # 3: slice_rising counts in the facts

    def __post_init__(self) -> None:
        if not self.batch_sizes:
            raise ValueError("Give at least one batch size.")
        for batch_size in self.batch_sizes:
            training.check_batch_size(batch_size, TRAIN_SAMPLES)
        if not 1 <= self.epochs <= 500:
            raise ValueError("Use between 1 and 500 epochs here.")
        check_budget(self.budget, self.updates, self.batch_sizes, 5000)
        if not 0 < self.span <= 5:
            raise ValueError("The slice's half-width must be above 0 and at most 5.")
        if not (5 <= self.points_1d <= 201 and 5 <= self.points_2d <= GRID):
            raise ValueError(f"Use 5 to 201 points for the 1-D slice and 5 to {GRID} per axis for the 2-D one.")
        if not 2 <= self.directions_sampled <= 100:
            raise ValueError("Sample between 2 and 100 random directions (the 2-D slice uses the first two).")

    def train(self, batch_size: int | None) -> training.TrainConfig:
        return training.TrainConfig(epochs=budget_epochs(self.budget, self.epochs, self.updates, batch_size),
                                    batch_size=batch_size, lr=self.lr, optimizer="adam", seed=self.seed)


@dataclass(frozen=True)
class SliceFacts:
    """Section 6's facts, one entry per net (batch size) in the config's order."""

    slice_budget: str  # "updates" or "epochs": what both nets got the same amount of
    slice_variants: tuple[str, ...]
    slice_updates: tuple[int, ...]  # Adam steps each net made
    slice_epochs: tuple[int, ...]
    slice_directions: int  # random filter-normalized directions sampled around each net's weights
    slice_half_step: float  # the rise is measured this many direction-lengths away, on both sides
    slice_share_rising: tuple[float, ...]  # share of the directions along which the loss rises on both sides
    slice_rising: tuple[int, ...]  # how many of the slice_directions that is, per net (the table's "n of D")
    slice_mean_rise: tuple[float, ...]  # mean rise of the loss over the directions and both sides
    slice_min_rise: tuple[float, ...]  # the smallest of those rises (negative: the loss fell somewhere)
    slice_loss_at: tuple[float, ...]  # training loss at the trained weights
    slice_sharper: str  # the net whose loss rises more on average: the sharper basin along these directions
    slice_last_sharper: bool  # the last (largest) batch size is the sharper one, as Keskar et al. (2017) found
    slice_all_rising: bool  # along every sampled direction the loss rises on both sides, for every net
    slice_runs: str  # each net's updates and epochs in words
    slice_rises: str  # each net's mean rise in words, e.g. "batch 16 0.459, full batch 1.647"
    slice_losses: str  # each net's training loss at its weights in words


@dataclass
class SliceResult:
    line: pd.DataFrame  # variant, alpha, loss: the 1-D slice
    maps: dict[str, pd.DataFrame]  # variant -> w1 (alpha), w2 (beta), loss, level: the 2-D slice
    centres: dict[str, pd.DataFrame]  # variant -> one row (optimizer, step, w1, w2, loss): the trained weights
    table: pd.DataFrame  # variant, batch size, loss at the weights, mean loss rise at ±span/2, accuracy, updates, ...
    facts: SliceFacts


def layers(fit: training.FitResult, name: str) -> list[tuple[Tensor, Tensor]]:
    """The trained (W (out, in), b (out,)) of each nn.Linear, in order, from the fit's state dict."""
    state = fit.states[name]
    keys = [k[: -len(".weight")] for k in state if k.endswith(".weight")]
    return [(torch.as_tensor(state[k + ".weight"]).double(), torch.as_tensor(state[k + ".bias"]).double())
            for k in keys]


def directions(weights: list[tuple[Tensor, Tensor]], g: torch.Generator) -> list[tuple[Tensor, Tensor]]:
    """A random direction, filter-normalized: each row (one unit's incoming weights) scaled to that row's norm
    in the trained weights (Li et al. 2018, so that slices of different nets are comparable); biases left at 0."""
    out = []
    for W, b in weights:
        d = torch.randn(W.shape, generator=g, dtype=torch.float64)
        out.append((d * W.norm(dim=1, keepdim=True) / d.norm(dim=1, keepdim=True), torch.zeros_like(b)))
    return out


def stacked_loss(weights: list[tuple[Tensor, Tensor]], activation: str, x: Tensor, y: Tensor,
                 chunk: int = 64) -> Tensor:
    """(K,) BCE of K weight settings, `chunk` at a time: W (K, out, in), b (K, out); x (N, in).

    Chunks keep the activations small: the map's K nets at once would hold (K, N, width) doubles per layer;
    `chunk` at a time hold a fixed share of that. Each net's loss is the same either way.
    """
    return torch.cat([_stacked_loss([(W[k : k + chunk], b[k : k + chunk]) for W, b in weights], activation, x, y)
                      for k in range(0, weights[0][0].shape[0], chunk)])


def _stacked_loss(weights: list[tuple[Tensor, Tensor]], activation: str, x: Tensor, y: Tensor) -> Tensor:
    f = activations.get(activation).f
    h = x.double().expand(weights[0][0].shape[0], *x.shape)  # (K, N, in)
    for i, (W, b) in enumerate(weights):
        h = torch.baddbmm(b.unsqueeze(1), h, W.transpose(1, 2))  # (K, N, out)
        if i < len(weights) - 1:
            h = f(h)
    target = y.double().expand(h.shape[0], -1)
    return F.binary_cross_entropy_with_logits(h[..., 0], target, reduction="none").mean(dim=1)


def _along(weights, dirs, coeffs: Tensor) -> list[tuple[Tensor, Tensor]]:
    """weights + sum_j coeffs[:, j] * dirs[j], stacked over the K rows of coeffs (K, J)."""
    return [(W + sum(c[:, None, None] * d[i][0] for c, d in zip(coeffs.T, dirs)),
             b + sum(c[:, None] * d[i][1] for c, d in zip(coeffs.T, dirs)))
            for i, (W, b) in enumerate(weights)]


def net_slices(cfg: NetSlices, on_progress: Progress[SliceResult] | None = None) -> SliceResult:
    ds = _moons(seed=cfg.seed)
    lines, maps, centres, rows = [], {}, {}, []
    alphas = torch.linspace(-cfg.span, cfg.span, cfg.points_1d, dtype=torch.float64)
    axis = torch.linspace(-cfg.span, cfg.span, cfg.points_2d, dtype=torch.float64)
    b2, a2 = torch.meshgrid(axis, axis, indexing="ij")
    D, half = cfg.directions_sampled, cfg.span / 2
    sides = torch.cat([torch.eye(D, dtype=torch.float64) * -half, torch.eye(D, dtype=torch.float64) * half])  # (2D, D)
    rises = {}
    for b in cfg.batch_sizes:
        name = batch_label(b)
        fit = training.fit(SPEC, ds, cfg.train(b), pick_device(), name=name)
        weights = layers(fit, name)
        g = generator(cfg.seed + 1)  # the same random draws for every net
        dirs = [directions(weights, g) for _ in range(D)]
        line = stacked_loss(_along(weights, dirs[:1], alphas[:, None]), SPEC.activation, ds.x_train, ds.y_train)
        grid = stacked_loss(_along(weights, dirs[:2], torch.stack([a2.reshape(-1), b2.reshape(-1)], dim=1)),
                            SPEC.activation, ds.x_train, ds.y_train).numpy()
        lines.append(pd.DataFrame({"variant": name, "alpha": alphas.numpy(), "loss": line.numpy()}))
        low = grid.min()
        level = np.clip(np.floor(np.log2((grid.max() - low) / np.maximum(grid - low, 1e-12))), 0, 12)
        maps[name] = pd.DataFrame({"w1": a2.reshape(-1).numpy(), "w2": b2.reshape(-1).numpy(), "loss": grid,
                                   "level": level})
        at = float(line[cfg.points_1d // 2])
        centres[name] = pd.DataFrame({"optimizer": "trained weights", "step": [0], "w1": [0.0], "w2": [0.0],
                                      "loss": [at]})
        rise = (stacked_loss(_along(weights, dirs, sides), SPEC.activation, ds.x_train, ds.y_train) - at).reshape(2, D)
        rises[name] = rise
        rows.append({"variant": name, "batch size": b or len(ds.x_train), "loss at the trained weights": at,
                     f"mean loss rise {half:g} away": float(rise.mean()),
                     "validation accuracy": fit.final("accuracy")[name],
                     "updates": fit.iterations_per_epoch * fit.last_epoch[name],
                     "directions rising on both sides": f"{int((rise > 0).all(dim=0).sum())} of {D}"})
    table = pd.DataFrame(rows)
    mean = tuple(float(r.mean()) for r in rises.values())
    share = tuple(float((r > 0).all(dim=0).double().mean()) for r in rises.values())
    updates, epochs = tuple(int(u) for u in table["updates"]), tuple(cfg.train(b).epochs for b in cfg.batch_sizes)
    loss_at = tuple(map(float, table["loss at the trained weights"]))
    facts = SliceFacts(
        slice_budget=cfg.budget, slice_variants=tuple(rises), slice_updates=updates, slice_epochs=epochs,
        slice_directions=D, slice_half_step=half, slice_share_rising=share,
        slice_rising=tuple(int((r > 0).all(dim=0).sum()) for r in rises.values()), slice_mean_rise=mean,
        slice_min_rise=tuple(float(r.min()) for r in rises.values()), slice_loss_at=loss_at,
        slice_sharper=tuple(rises)[int(np.argmax(mean))], slice_last_sharper=int(np.argmax(mean)) == len(mean) - 1,
        slice_all_rising=min(share) == 1.0,
        slice_runs=runs_in_words(rises, updates, epochs), slice_rises=values_in_words(rises, mean),
        slice_losses=values_in_words(rises, loss_at))
    return SliceResult(pd.concat(lines, ignore_index=True), maps, centres, table, facts)

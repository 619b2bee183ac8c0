"""The learning-cycle chapter's experiments (slides 28-31, 37-39): one step by hand, epochs and batches, fit sizes.

- `step_by_step`: a tiny net's forward pass, loss, backward pass and update, every number shown;
  computed by `core.backprop`, the same maths that trains everywhere else in the app.
- `train_live`: a 2-D classifier trained by the one trainer, its decision map redrawn while it
  learns, plus curves, a confusion matrix and the weights for inference.
- `infer`: inference with the trained classifier on one point, and how far that point is from the boundary.
- `fit_sizes`: a too-small, a good and a too-large network trained side by side (under- vs overfitting).

Each result carries `facts`: the few plain values its page's "what to notice" sentence rests on, computed here.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import torch

from core import backprop, data, engines, training
from core.device import generator, pick_device
from core.models import MLPSpec
from core.progress import Progress

MAX_STEPS = 500
MAX_UPDATES = 30_000  # epochs x iterations per epoch of a live run: enough to learn, few enough to train in seconds
LIVE_VALIDATION = 0.3  # share of a live run's samples held out for validation
GRID = 50  # the decision map is GRID x GRID points (2,500 cells: light enough to redraw live)


# 1. One step, by hand ------------------------------------------------------------------------


@dataclass(frozen=True)
class StepByStep:
    """A 2-H-1 network on a few points of a 2-D set, after `step` updates of plain SGD."""

    dataset: str = "moons"
    hidden: int = 3
    activation: str = "tanh"
    batch_size: int = 4
    lr: float = 0.5
    step: int = 0  # how many updates came before the one shown
    n_samples: int = 40
    seed: int = 0
    code_version: int = 2  # 2: facts

    def __post_init__(self) -> None:
        data.require_2d(self.dataset)
        if not 1 <= self.hidden <= 8:
            raise ValueError("Keep between 1 and 8 hidden units, so every number fits on screen.")
        if not 1 <= self.batch_size <= 8:
            raise ValueError("The batch size must be between 1 and 8 here, so every number fits on screen.")
        if not 0 < self.lr <= 10:
            raise ValueError("The learning rate must be in (0, 10].")
        if not 0 <= self.step <= MAX_STEPS:
            raise ValueError(f"The step number must be between 0 and {MAX_STEPS}.")
        MLPSpec(2, (self.hidden,), 1, self.activation)  # validates the activation


@dataclass(frozen=True)
class StepFacts:
    """What the one-step sentence says: one weight's gradient and update, and what the update did to the loss."""

    step: int
    lr: float
    grad_w1_00: float  # dL/dW1[0, 0]
    w1_00_before: float
    w1_00_after: float
    against_gradient: bool  # every weight with a non-zero gradient moved opposite to it
    largest_move: float  # the largest |change| of any weight or bias in this update
    train_loss_before: float  # on the whole training set, before this update
    train_loss_after: float  # ... and after it
    loss_fell: bool  # train_loss_after < train_loss_before
    start_loss: float  # the train loss before step 0
    below_start: bool  # train_loss_after < start_loss: the steps so far, taken together, lowered it


@dataclass
class StepByStepResult:
    """Every number of one learning-cycle step. Arrays drop the variant axis (K = 1)."""

    step: int
    epoch: int  # the epoch this step belongs to (1-based)
    x: np.ndarray  # (B, 2) the mini-batch
    y: np.ndarray  # (B,) its labels
    params: dict[str, np.ndarray]  # W1 (2, H), b1 (H,), W2 (H, 1), b2 (1,): before the update
    forward: dict[str, np.ndarray]  # z1 = x W1 + b1, a1 = act(z1), z2 = a1 W2 + b2, p = sigmoid(z2)
    loss: float  # binary cross-entropy of the batch
    grads: dict[str, np.ndarray]  # dL/dz2, dL/dW2, dL/db2, dL/dz1, dL/dW1, dL/db1
    updated: dict[str, np.ndarray]  # params - lr * grads
    losses: pd.DataFrame  # step, batch loss, train loss: the steps so far, this one included
    facts: StepFacts


def _numpy(t: torch.Tensor) -> np.ndarray:
    return t[0].detach().cpu().numpy().copy()  # drop the variant axis


def step_by_step(cfg: StepByStep, on_progress: Progress[StepByStepResult] | None = None) -> StepByStepResult:
    """Replay `cfg.step` SGD updates, then record the next one number by number."""
    ds = data.load(data.DataConfig(cfg.dataset, n_samples=cfg.n_samples, seed=cfg.seed))
    net = backprop.StackedMLP([MLPSpec(2, (cfg.hidden,), 1, cfg.activation)], [generator(cfg.seed)],
                              torch.device("cpu"))
    sgd, lr = backprop.SGD(), torch.tensor([[cfg.lr]])
    x, t = ds.x_train, backprop.targets(ds.y_train, "bce", 1)
    per_epoch = len(x) // cfg.batch_size  # full batches only, like DataLoader(drop_last=True)
    shuffler = generator(cfg.seed)  # a new order every epoch, from one seeded generator
    order = torch.empty(0, dtype=torch.long)
    rows: list[tuple[int, float, float]] = []  # step, batch loss, train loss
    start, _ = backprop.loss_and_grad(net.forward(x.unsqueeze(0))[0], t.unsqueeze(0), "bce")
    train_before = float(start[0])
    for step in range(cfg.step + 1):
        if rows:
            train_before = rows[-1][2]
        i = step % per_epoch
        if i == 0:
            order = torch.randperm(len(x), generator=shuffler)
        idx = order[i * cfg.batch_size : (i + 1) * cfg.batch_size]
        xb, tb = x[idx].unsqueeze(0), t[idx].unsqueeze(0)  # (1, B, 2), (1, B, 1)
        before = [p.clone() for p in (net.W[0], net.b[0], net.W[1], net.b[1])]
        out, cache = net.forward(xb)  # 1 forward pass
        loss, d_out = backprop.loss_and_grad(out, tb, "bce")  # 2 loss
        net.backward(cache, d_out)  # 3 backward pass
        grads = [g.clone() for g in (net.gW[0], net.gb[0], net.gW[1], net.gb[1])]
        sgd.step(net.flat, net.grad, lr, None)  # 4 update: w <- w - lr * grad
        train_loss, _ = backprop.loss_and_grad(net.forward(x.unsqueeze(0))[0], t.unsqueeze(0), "bce")
        rows.append((step, float(loss[0]), float(train_loss[0])))
    names = ("W1", "b1", "W2", "b2")
    after = (net.W[0], net.b[0], net.W[1], net.b[1])
    moves = [(a - b).flatten() for a, b in zip(after, before)]
    signs = [(torch.sign(m) == -torch.sign(g.flatten()))[g.flatten() != 0] for m, g in zip(moves, grads)]
    train_after = rows[-1][2]
    facts = StepFacts(
        step=cfg.step, lr=cfg.lr, grad_w1_00=float(grads[0][0, 0, 0]), w1_00_before=float(before[0][0, 0, 0]),
        w1_00_after=float(after[0][0, 0, 0]), against_gradient=bool(all(bool(s.all()) for s in signs)),
        largest_move=float(max(float(m.abs().max()) for m in moves)),
        train_loss_before=train_before, train_loss_after=train_after, loss_fell=train_after < train_before,
        start_loss=float(start[0]), below_start=train_after < float(start[0]),
    )
    return StepByStepResult(
        step=cfg.step,
        epoch=cfg.step // per_epoch + 1,
        x=xb[0].numpy(),
        y=ds.y_train[idx].numpy(),
        params={k: _numpy(v).reshape(v.shape[2:]) if k.startswith("b") else _numpy(v) for k, v in zip(names, before)},
        forward={"z1": _numpy(cache.pre[0]), "a1": _numpy(cache.inputs[1]), "z2": _numpy(cache.pre[1]),
                 "p": _numpy(torch.sigmoid(cache.pre[1]))},
        loss=float(loss[0]),
        grads={"dz2": _numpy(cache.deltas[0]), "dW2": _numpy(grads[2]), "db2": _numpy(grads[3]).reshape(-1),
               "dz1": _numpy(cache.deltas[1]), "dW1": _numpy(grads[0]), "db1": _numpy(grads[1]).reshape(-1)},
        updated={"W1": _numpy(net.W[0]), "b1": _numpy(net.b[0]).reshape(-1), "W2": _numpy(net.W[1]),
                 "b2": _numpy(net.b[1]).reshape(-1)},
        losses=pd.DataFrame(rows, columns=["step", "batch loss (before the update)", "train loss (after it)"]).melt(
            "step", var_name="variant", value_name="loss"),
        facts=facts,
    )


# 2. Epoch, batch, iteration: a classifier trained live ---------------------------------------


@dataclass(frozen=True)
class LiveRun:
    """A 2-D classifier: which data, which network, how it trains.

    A batch larger than the training set cannot be drawn: such a run trains with the full batch
    (see `schedule`, which also refuses runs of more than MAX_UPDATES weight updates).
    """

    dataset: str = "moons"
    n_samples: int = 300
    noise: float = 0.2
    batch_size: int | None = 10  # None: full batch
    epochs: int = 60
    lr: float = 0.1
    widths: tuple[int, ...] = (16, 16)
    activation: str = "tanh"
    optimizer: str = "sgd"
    seed: int = 0
    code_version: int = 3  # 2: facts; 3: a batch over the training set trains full batch, the schedule in the result

    def __post_init__(self) -> None:
        data.require_2d(self.dataset)
        if not 20 <= self.n_samples <= 5000:
            raise ValueError("Use between 20 and 5,000 samples here (the chart draws every point).")
        if not 1 <= self.epochs <= 1000:
            raise ValueError("Use between 1 and 1,000 epochs here.")
        self.variant()  # validates the network and the training settings
        self.data_config()  # validates the noise and the seed

    def data_config(self) -> data.DataConfig:
        return data.DataConfig(self.dataset, self.n_samples, self.noise, val_fraction=LIVE_VALIDATION, seed=self.seed)

    def variant(self) -> training.Variant:
        train = training.TrainConfig(epochs=self.epochs, batch_size=self.batch_size, lr=self.lr,
                                     optimizer=self.optimizer, seed=self.seed)
        return training.Variant("model", MLPSpec(2, self.widths, 1, self.activation), train)


@dataclass(frozen=True)
class Schedule:
    """Epoch, batch, iteration for a live run: how many weight updates its settings make, and its data.

    The data is loaded here, once per run: the page shows these counts before training, and
    `train_live` trains on the very `dataset` the counts were taken from.
    """

    n_train: int  # training samples (the split is per class, so not always exactly 70%)
    batch_size: int | None  # what the run trains with; None: the full batch
    batch: int  # samples per iteration
    full_batch_fallback: bool  # the chosen batch was larger than the training set
    iterations_per_epoch: int  # ceil(n_train / batch)
    epochs: int
    iterations: int  # epochs x iterations_per_epoch: weight updates in all
    dataset: data.Dataset  # the run's data, split into train and validation

    @property
    def n_val(self) -> int:
        """Validation samples: what the confusion matrix counts."""
        return len(self.dataset.x_val)


def _batches(cfg: LiveRun, n_train: int) -> tuple[int | None, int]:
    """The batch size the run trains with (None: full batch, also for a batch larger than the training set)
    and its iterations per epoch."""
    batch_size = None if cfg.batch_size is not None and cfg.batch_size > n_train else cfg.batch_size
    return batch_size, training.iterations_per_epoch(n_train, batch_size)


def schedule(cfg: LiveRun) -> Schedule:
    """Load the run's data and count its updates; ValueError when they are more than MAX_UPDATES."""
    ds = data.load(cfg.data_config())
    n_train = len(ds.x_train)
    batch_size, ipe = _batches(cfg, n_train)
    fallback = batch_size is None and cfg.batch_size is not None
    updates = cfg.epochs * ipe
    if updates > MAX_UPDATES:
        raise ValueError(f"That is {updates:,} weight updates (epochs x iterations per epoch); keep it under "
                         f"{MAX_UPDATES:,} so it trains in seconds: fewer epochs or a larger batch.")
    return Schedule(n_train, batch_size, batch_size or n_train, fallback, ipe, cfg.epochs, updates, ds)


# A live run plays: at most LIVE_REPORTS_PER_S progress reports a second (the page paces them: ui/runners.run's
# `pace_s`; a small net now trains faster than the eye can follow), the rate its map redraws at, so each report's
# decision map is drawn, as a picture (core/charts/raster.py); and about LIVE_PLAY_S seconds of them at most: a
# longer run reports every few epochs.
LIVE_REPORTS_PER_S = 40
LIVE_PLAY_S = 3.0
# How long a student waits for a live run (issue 18: more than ~3 s starts on a button, with this estimate): the
# longer of its computing and its play, plus the page's own rerun and redraws around it (LIVE_OVERHEAD_S: the
# benchmark's `live.run_s`, press to end in Chromium, less that run's play, the longer part there, on the 2-core
# CPU this app is sized for). `_live_work` is
# train_live timed in core on that CPU (batch 10 / 60 and 300 epochs, full batch, widths 64-64 and 32-32-32,
# 3,000 and 5,000 samples), fitted within 30%.
LIVE_OVERHEAD_S = 0.7


def _live_work(cfg: LiveRun) -> float:
    """train_live's CPU seconds in core: per update (the compiled engine's arithmetic, or the eager engine's
    operator calls: core.engines.compilable), per epoch (evaluation) and per progress report (a map)."""
    sizes = (2, *cfg.widths, 1)
    params = sum(a * b + b for a, b in zip(sizes, sizes[1:]))
    n_train = data.train_size(cfg.data_config())  # not the data itself: a page asks on every rerun
    batch, per_epoch = _batches(cfg, n_train)
    rows = batch or n_train
    if engines.compilable([cfg.variant()], pick_device(), rows):
        per_update = 4.5e-9 * rows * params + 3e-6
    else:
        per_update = 0.24e-3 * (0.6 + 0.2 * len(cfg.widths) + params / 5000) + 1.5e-9 * rows * params
    reports = math.ceil(cfg.epochs / report_every(cfg))
    return (0.02 + cfg.epochs * per_epoch * per_update + cfg.epochs * (0.7e-3 + 0.8e-6 * n_train)
            + reports * (1.2e-3 + 0.4e-6 * params))


def report_every(cfg: LiveRun) -> int:
    """Epochs between two progress reports of `train_live(cfg)`: every epoch, or every few when the run has more
    epochs than LIVE_PLAY_S seconds of reports at LIVE_REPORTS_PER_S."""
    return max(1, math.ceil(cfg.epochs / (LIVE_REPORTS_PER_S * LIVE_PLAY_S)))


def expected_seconds(cfg: LiveRun) -> float:
    """The seconds a student waits for `train_live(cfg)` in the browser: its computing or its paced play,
    whichever is longer, and the page around it."""
    play = math.ceil(cfg.epochs / report_every(cfg)) / LIVE_REPORTS_PER_S
    return LIVE_OVERHEAD_S + max(_live_work(cfg), play)


@dataclass(frozen=True)
class LiveFacts:
    """What the live run's sentence says: the schedule it kept, where it ended, and how noisy a batch's loss is."""

    n_train: int
    batch: int  # samples per iteration
    iterations_per_epoch: int
    iterations: int  # weight updates in all
    epochs_done: int
    val_accuracy: float  # at the last epoch
    iteration_spread: float  # standard deviation of the batch losses within the last epoch (0 for one batch)
    epoch_change: float  # |change| of the per-epoch train loss (all training points) over the last epoch
    noisy_iterations: bool  # iteration_spread > epoch_change: a batch's loss jumps more than the epoch curve moves


def live_facts(fit: training.FitResult, n_train: int, batch_size: int | None) -> LiveFacts:
    """The facts of a finished live run (variant "model") that trained with batches of batch_size (None: all)."""
    last = fit.last_epoch["model"]
    ipe = fit.iterations_per_epoch
    batch_losses = fit.iterations[fit.iterations.epoch == last].loss.to_numpy()
    curve = fit.history[(fit.history.split == "train") & (fit.history.metric == "loss")].set_index("epoch").value
    spread = float(np.std(batch_losses)) if len(batch_losses) > 1 else 0.0
    change = float(abs(curve[last] - curve[last - 1])) if last >= 1 else float("nan")  # 0: it blew up at once
    accuracy = float(fit.final("accuracy")["model"])
    return LiveFacts(n_train, batch_size or n_train, ipe, ipe * last, last, accuracy, spread, change, spread > change)


@dataclass
class LiveRunResult:
    """A live run; while it trains (the partial result of `on_progress`) the fields marked "when done" are None."""

    epoch: int  # the epoch reached (less than epochs while training, or when the loss blew up)
    history: pd.DataFrame  # variant, epoch, split, metric, value
    grid: pd.DataFrame  # x1, x2, p: the decision map at `epoch`
    points: pd.DataFrame  # x1, x2, label, split
    schedule: Schedule
    iterations: pd.DataFrame | None = None  # variant, iteration, epoch, lr, loss (when done)
    confusion: pd.DataFrame | None = None  # actual, predicted, count on the validation set (when done)
    fit: training.FitResult | None = None  # when done
    facts: LiveFacts | None = None  # when done


def grid_points(ds: data.Dataset, n: int = GRID) -> torch.Tensor:
    """(n * n, 2) points covering the data with a margin: where the decision map is evaluated."""
    return data.plane_grid(data.plane_box(ds), n).float()  # the networks compute in float32


def grid_frame(grid: torch.Tensor, p: np.ndarray, variant: str | None = None) -> pd.DataFrame:
    df = pd.DataFrame({"x1": grid[:, 0].numpy(), "x2": grid[:, 1].numpy(), "p": p.reshape(-1)})
    return df if variant is None else df.assign(variant=variant)


def train_live(cfg: LiveRun, plan: Schedule | None = None,
               on_progress: Progress[LiveRunResult] | None = None) -> LiveRunResult:
    """Train the classifier; every `report_every(cfg)` epochs hand `on_progress` the result so far (curves, map).

    `plan` is `schedule(cfg)` when the caller already has it (the page shows its counts first), so the
    data is loaded once per run; without it the run makes its own.
    """
    plan = schedule(cfg) if plan is None else plan
    ds = plan.dataset
    points, grid = data.points_frame(ds), grid_points(ds)

    def so_far(snap: training.Snapshot) -> LiveRunResult:
        p = snap.predict(grid)[0].cpu().numpy()  # (N, 1): P(class 1) at each grid point
        return LiveRunResult(snap.epoch, snap.history, grid_frame(grid, p), points, plan)

    variant = replace(cfg, batch_size=plan.batch_size).variant()  # the full batch when the chosen one is too large
    fit = training.fit_many([variant], ds, pick_device(), training.relay(on_progress, so_far),
                            progress_every=report_every(cfg))
    predicted = (training.predict(fit, "model", ds.x_val)[:, 0] > 0.5).astype(int)
    confusion = (pd.crosstab(pd.Series(ds.y_val.numpy(), name="actual"), pd.Series(predicted, name="predicted"))
                 .reindex(index=[0, 1], columns=[0, 1], fill_value=0).stack().rename("count").reset_index())
    return LiveRunResult(
        epoch=fit.last_epoch["model"],
        history=fit.history,
        grid=grid_frame(grid, training.predict(fit, "model", grid)),
        points=points,
        schedule=plan,
        iterations=fit.iterations,
        confusion=confusion,
        fit=fit,
        facts=live_facts(fit, plan.n_train, plan.batch_size),
    )


# Inference (slide 31) ------------------------------------------------------------------------

SEARCH_RADIUS = 1.0  # how far around a point `infer` looks for the decision boundary
NEAR_BOUNDARY = 0.2  # "near the boundary": closer than this (the moons span about 3 units across)
UNSURE = 0.25  # "unsure": P(class 1) within this of 0.5


@dataclass(frozen=True)
class InferenceFacts:
    """What the inference sentence says: the prediction at one point and how close the point is to the boundary."""

    x1: float
    x2: float
    p_class1: float
    p_class0: float
    predicted_class: int  # 1 where P(class 1) > 0.5
    boundary_distance: float  # to the nearest point the network puts in the other class (SEARCH_RADIUS at most)
    boundary_in_reach: bool  # a point of the other class lies within SEARCH_RADIUS
    near_boundary: bool  # boundary_distance < NEAR_BOUNDARY
    unsure: bool  # |P(class 1) - 0.5| < UNSURE


@dataclass(frozen=True)
class Inference:
    """Ask the network of a live run about one point. `run` names the trained network (the cache key)."""

    run: LiveRun = LiveRun()
    x1: float = 0.5
    x2: float = 0.25
    cells: int = 81  # the boundary search grid is cells x cells over the square around the point

    def __post_init__(self) -> None:
        if not (math.isfinite(self.x1) and math.isfinite(self.x2)):
            raise ValueError("Give the point as two finite numbers.")
        if not 3 <= self.cells <= 201:
            raise ValueError("Search the boundary on a grid of 3 to 201 cells a side.")


@dataclass
class InferenceResult:
    facts: InferenceFacts  # the prediction and the distance to the boundary: all that the page shows


def infer(cfg: Inference, fit: training.FitResult, on_progress: Progress[InferenceResult] | None = None
          ) -> InferenceResult:
    """The trained network's forward pass at (x1, x2), and the distance to its decision boundary.

    `fit` is what `train_live(cfg.run)` trained. The distance is measured on a cells x cells grid over
    the square of side 2 * SEARCH_RADIUS around the point (steps of 0.025 at 81 cells): the nearest grid
    point within SEARCH_RADIUS that gets the other class.
    """
    x1, x2 = cfg.x1, cfg.x2
    p1 = float(training.predict(fit, "model", torch.tensor([[x1, x2]]))[0, 0])
    axis = torch.linspace(-SEARCH_RADIUS, SEARCH_RADIUS, cfg.cells)
    offsets = torch.cartesian_prod(axis, axis)  # (cells², 2)
    offsets = offsets[offsets.norm(dim=1) <= SEARCH_RADIUS]
    other = (training.predict(fit, "model", offsets + torch.tensor([x1, x2]))[:, 0] > 0.5) != (p1 > 0.5)
    distances = offsets.norm(dim=1).numpy()[other]
    distance = float(distances.min()) if len(distances) else SEARCH_RADIUS
    return InferenceResult(InferenceFacts(x1, x2, p1, 1 - p1, int(p1 > 0.5), distance, bool(len(distances)),
                                          distance < NEAR_BOUNDARY, abs(p1 - 0.5) < UNSURE))


# 3. Under- and overfitting -------------------------------------------------------------------

SIZES = {"too small": (1, 1), "good": (3, 3), "too large": (64, 64)}


@dataclass(frozen=True)
class FitSizes:
    """The same small noisy task fitted by networks of three sizes (same depth, so one batched pass).

    The defaults are chosen so that the three verdicts of slide 30 hold on every seed we checked (0-9):
    on noisy circles the too-small net (one unit wide, so its boundary is a straight line) cannot fit its
    own 200 training points, the too-large one (4,417 parameters) has passed its lowest validation loss
    long before epoch 180, and the good one (3 units per layer) ends within 5% of its lowest. Full-batch
    Adam sharpens any net's outputs for as long as it trains, so even the good net overfits
    eventually: with many more epochs its validation loss turns up too (the page says so when it does).
    """

    dataset: str = "circles"
    n_samples: int = 500
    noise: float = 0.3
    train_fraction: float = 0.4  # fewer training points than validation points: overfitting shows
    widths: tuple[tuple[int, ...], ...] = tuple(SIZES.values())
    names: tuple[str, ...] = tuple(SIZES)
    epochs: int = 180
    lr: float = 0.02
    seed: int = 0
    code_version: int = 3  # 3: circles, a good net that does not overfit at the defaults, facts

    def __post_init__(self) -> None:
        data.require_2d(self.dataset)
        if len(self.widths) != len(self.names):
            raise ValueError("Give one name per network size.")
        if len({len(w) for w in self.widths}) != 1:
            raise ValueError("The compared networks must have the same number of hidden layers.")
        if len(self.widths) != 3:
            raise ValueError("Compare three network sizes: a too small, a good and a too large one.")
        if not 1 <= self.epochs <= 2000:
            raise ValueError("Use between 1 and 2,000 epochs here.")


def sizes_seconds(cfg: FitSizes) -> float:
    """fit_sizes' seconds on the 2-core CPU: per epoch of the three nets' full-batch Adam, more with more samples.
    Timed in core: 1.0 s at the defaults (180 epochs, 500 samples), 6.1 s at 1,000 epochs, 7.4 s with 1,000 samples
    too; the page's rerun around it adds about a second (2.2 s measured in Chromium at the defaults)."""
    return 1.0 + cfg.epochs * (4.66e-3 + 2.78e-6 * cfg.n_samples)


UNDERFIT_MARGIN = 0.03  # the small net underfits: its train accuracy is this much below the good net's, or more
OVERFIT_RISE = 1.1  # the large net overfits: its final validation loss is this many times its lowest, or more
GOOD_RISE = 1.05  # the good net holds: its final validation loss is within 5% of its lowest


@dataclass(frozen=True)
class SizesFacts:
    """What the under/overfitting sentence says, for the three nets in order: too small, good, too large."""

    epochs: int
    small_params: int
    good_params: int
    large_params: int
    small_train_acc: float
    good_train_acc: float
    large_train_loss: float
    good_train_loss: float
    good_val_loss: float  # at the last epoch
    large_val_loss: float
    good_min_val_loss: float  # the lowest over the run
    large_min_val_loss: float
    good_best_epoch: int  # where the validation loss was lowest
    large_best_epoch: int
    good_rise: float  # good_val_loss / good_min_val_loss
    large_rise: float
    small_underfits: bool  # small_train_acc <= good_train_acc - UNDERFIT_MARGIN
    large_overfits: bool  # large_rise >= OVERFIT_RISE and large_val_loss > good_val_loss
    good_holds: bool  # good_rise <= GOOD_RISE


def sizes_facts(history: pd.DataFrame, names: Sequence[str], params: Sequence[int]) -> SizesFacts:
    """The facts of a fit-sizes run from its tidy history (variant, epoch, split, metric, value)."""
    def curve(name: str, split: str, metric: str) -> pd.Series:
        rows = history[(history.variant == name) & (history.split == split) & (history.metric == metric)]
        return rows.set_index("epoch").value.sort_index()

    small, good, large = names
    val = {n: curve(n, "validation", "loss") for n in names}
    last = {n: float(val[n].iloc[-1]) for n in names}
    lowest = {n: float(val[n].min()) for n in names}
    best = {n: int(val[n].idxmin()) for n in names}
    acc = {n: float(curve(n, "train", "accuracy").iloc[-1]) for n in (small, good)}
    loss = {n: float(curve(n, "train", "loss").iloc[-1]) for n in (good, large)}
    good_rise, large_rise = last[good] / lowest[good], last[large] / lowest[large]
    return SizesFacts(
        epochs=int(val[good].index[-1]), small_params=params[0], good_params=params[1], large_params=params[2],
        small_train_acc=acc[small], good_train_acc=acc[good], large_train_loss=loss[large],
        good_train_loss=loss[good], good_val_loss=last[good], large_val_loss=last[large],
        good_min_val_loss=lowest[good], large_min_val_loss=lowest[large], good_best_epoch=best[good],
        large_best_epoch=best[large], good_rise=good_rise, large_rise=large_rise,
        small_underfits=acc[small] <= acc[good] - UNDERFIT_MARGIN,
        large_overfits=large_rise >= OVERFIT_RISE and last[large] > last[good],
        good_holds=good_rise <= GOOD_RISE,
    )


@dataclass
class FitSizesResult:
    """Three network sizes side by side; while they train (`on_progress`) the fields marked "when done" are None."""

    history: pd.DataFrame  # variant, epoch, split, metric, value
    points: pd.DataFrame  # x1, x2, label, split
    table: pd.DataFrame | None = None  # variant, parameters, train/validation accuracy and loss, gap, best epoch
    grids: pd.DataFrame | None = None  # variant, x1, x2, p (when done)
    maps: dict[str, pd.DataFrame] | None = None  # variant -> its rows of `grids` (x1, x2, p): one map per net
    facts: SizesFacts | None = None  # when done


def fit_sizes(cfg: FitSizes, on_progress: Progress[FitSizesResult] | None = None) -> FitSizesResult:
    """Train the three nets together (same depth, one batched pass) by full-batch Adam."""
    ds = data.load(data.DataConfig(cfg.dataset, cfg.n_samples, cfg.noise, val_fraction=1 - cfg.train_fraction,
                                   seed=cfg.seed))
    train = training.TrainConfig(epochs=cfg.epochs, batch_size=None, lr=cfg.lr, optimizer="adam", seed=cfg.seed)
    specs = {name: MLPSpec(2, w, 1, "tanh") for name, w in zip(cfg.names, cfg.widths)}
    points = data.points_frame(ds)
    report = training.relay(on_progress, lambda snap: FitSizesResult(snap.history, points))
    fit = training.fit_many([training.Variant(n, s, train) for n, s in specs.items()], ds, pick_device(), report)
    grid = grid_points(ds, 40)
    acc_train, acc_val = fit.final("accuracy", "train"), fit.final("accuracy", "validation")
    loss_train, loss_val = fit.final("loss", "train"), fit.final("loss", "validation")
    table = pd.DataFrame({
        "variant": list(specs),
        "hidden layers": [" x ".join(map(str, s.widths)) for s in specs.values()],
        "parameters": [s.n_params for s in specs.values()],
        "train accuracy": [acc_train[n] for n in specs],
        "validation accuracy": [acc_val[n] for n in specs],
        "train loss": [loss_train[n] for n in specs],
        "validation loss": [loss_val[n] for n in specs],
    })
    table["val - train loss"] = table["validation loss"] - table["train loss"]
    val_loss = fit.history[(fit.history.split == "validation") & (fit.history.metric == "loss")]
    best = val_loss.loc[val_loss.groupby("variant", sort=False).value.idxmin()].set_index("variant").epoch
    table["best epoch (val loss)"] = [int(best[n]) for n in specs]
    maps = {n: grid_frame(grid, training.predict(fit, n, grid), n) for n in specs}
    return FitSizesResult(
        history=fit.history,
        points=points,
        table=table,
        grids=pd.concat(maps.values(), ignore_index=True),
        maps=maps,
        facts=sizes_facts(fit.history, tuple(specs), tuple(s.n_params for s in specs.values())),
    )

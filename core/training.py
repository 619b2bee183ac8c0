"""THE training loop of the app: one loop for every experiment, one variant or K side by side.

`fit(model, data, TrainConfig(...))` trains one network; `fit_many(variants, data)` trains K
variants (seeds, learning rates, widths of the same depth, weight decays) together. Both
return a `FitResult` of tidy DataFrames. The loop takes full-batch (`batch_size=None`),
mini-batch and single-sample (`batch_size=1`) steps, any `torch.optim` optimizer and
`lr_scheduler`, reports progress through `on_progress(fraction, Snapshot)` (a
`core.progress.Progress[Snapshot]`), stops a variant whose loss blows up and says why in a
sentence, and can stop early on the validation loss. `check_batch_size` is the one batch-size rule;
`first_nonfinite` and `overflow_message` are the one way an experiment finds and words a statistic of
gradients, weights or activations that overflowed to inf or NaN.

The engines of `core.engines` sit behind this one loop. Plain MLPs with SGD or Adam(W) go through the
hand-written maths of `core.backprop` (K variants in one batched pass, no autograd
bookkeeping, which the lesson's tiny nets would spend most of their time in; a small step on the CPU
runs that maths compiled, one call per epoch: `core.compiled`). Everything else (batch
norm, dropout, any other optimizer, any nn.Module) goes through autograd and the real
`torch.optim` class. Tests prove both give the same numbers.
"""
from __future__ import annotations

import dataclasses
import inspect
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn

from core import backprop
from core.data import Dataset
from core.device import generator, pick_device
from core.engines import OPTIMIZERS, make_engine
from core.models import MLPSpec, build_mlp
from core.progress import Progress

ModelFactory = Callable[[torch.Generator], nn.Module]
R = TypeVar("R")
Model = MLPSpec | ModelFactory

SCHEDULERS: dict[str, type] = {
    name: cls
    for name, cls in vars(torch.optim.lr_scheduler).items()
    if isinstance(cls, type) and issubclass(cls, torch.optim.lr_scheduler.LRScheduler)
    and name not in ("LRScheduler", "_LRScheduler", "ChainedScheduler", "SequentialLR", "LambdaLR",
                     "MultiplicativeLR", "ReduceLROnPlateau")
}
DIVERGED_LOSS = 1e8  # a loss above this (or inf / NaN) means the run blew up
DIVERGED_FACTOR = 10  # so does a train loss 10x above where it started (bounded losses such as BCE only grow)
MAX_EPOCHS = 5000
Kwargs = tuple[tuple[str, object], ...]


@dataclass(frozen=True)
class TrainConfig:
    """How to train: epochs, batch size, optimizer, learning-rate schedule, early stopping, seed."""

    epochs: int = 50
    batch_size: int | None = 32  # None: full batch (one iteration per epoch); 1: single-sample steps
    lr: float = 0.1
    optimizer: str = "sgd"  # any torch.optim class, by name, any case: "sgd", "adam", "rmsprop", ...
    momentum: float = 0.0  # for optimizers that have it (SGD, RMSprop)
    weight_decay: float = 0.0  # L2 penalty, as torch.optim applies it
    optimizer_kwargs: Kwargs = ()  # anything else the optimizer takes, e.g. (("nesterov", True),)
    scheduler: str | None = None  # any torch.optim.lr_scheduler class, by name, e.g. "OneCycleLR"
    scheduler_kwargs: Kwargs = ()  # T_max / total_steps default to the whole run when left out
    scheduler_interval: str = "iteration"  # step the scheduler after every "iteration" or "epoch"
    patience: int | None = None  # early stopping: stop after this many epochs without a better validation loss
    seed: int = 0
    engine: str = "auto"  # "auto", "manual" (hand-written maths), "compiled" (the same, compiled) or "autograd"

    def __post_init__(self) -> None:
        if not 1 <= self.epochs <= MAX_EPOCHS:
            raise ValueError(f"The number of epochs must be between 1 and {MAX_EPOCHS:,}.")
        if self.batch_size is not None and self.batch_size < 1:
            raise ValueError("The batch size must be at least 1 (or None for full-batch training).")
        if not (0 < self.lr <= 1e4 and math.isfinite(self.lr)):
            raise ValueError("The learning rate must be a positive number no larger than 10,000.")
        if self.optimizer.lower() not in OPTIMIZERS:
            raise ValueError(f"Unknown optimizer {self.optimizer!r}: choose one of {', '.join(sorted(OPTIMIZERS))}.")
        if not 0 <= self.momentum < 1:
            raise ValueError("Momentum must be at least 0 and below 1.")
        if self.weight_decay < 0:
            raise ValueError("Weight decay cannot be negative.")
        accepted = inspect.signature(OPTIMIZERS[self.optimizer.lower()]).parameters
        if self.momentum and "momentum" not in accepted:
            raise ValueError(f"{self.optimizer} has no momentum setting (Adam's betas play that role).")
        _check_kwargs(self.optimizer_kwargs, accepted, self.optimizer)
        if self.scheduler is not None:
            if self.scheduler not in SCHEDULERS:
                raise ValueError(f"Unknown scheduler {self.scheduler!r}: choose one of "
                                 f"{', '.join(sorted(SCHEDULERS))}.")
            accepted = inspect.signature(SCHEDULERS[self.scheduler]).parameters
            _check_kwargs(self.scheduler_kwargs, accepted, self.scheduler)
        if self.scheduler_interval not in ("iteration", "epoch"):
            raise ValueError("The scheduler steps per 'iteration' or per 'epoch'.")
        if self.patience is not None and self.patience < 1:
            raise ValueError("Early-stopping patience must be at least 1 epoch.")
        if self.engine not in ("auto", "manual", "compiled", "autograd"):
            raise ValueError("The engine is 'auto', 'manual', 'compiled' or 'autograd'.")
        if not 0 <= self.seed < 2**31:
            raise ValueError("The seed must be a whole number between 0 and 2,147,483,647.")

    def optimizer_settings(self) -> dict[str, object]:
        settings: dict[str, object] = {"lr": self.lr, "weight_decay": self.weight_decay, **dict(self.optimizer_kwargs)}
        if self.momentum:
            settings["momentum"] = self.momentum
        return settings


def _check_kwargs(kwargs: Kwargs, accepted: object, owner: str) -> None:
    unknown = [k for k, _ in kwargs if k not in accepted or k in ("params", "optimizer", "lr")]  # type: ignore[operator]
    if unknown:
        raise ValueError(f"{owner} does not take {', '.join(unknown)}.")


@dataclass(frozen=True)
class Variant:
    """One of the K networks a chart compares: a name (the legend), a model and how to train it."""

    name: str
    model: Model
    train: TrainConfig = TrainConfig()


@dataclass
class Snapshot:
    """Handed to the trainer's `on_progress` while training runs: the curves so far and the live networks.

    The trainer's own progress type, not an experiment's result: the experiments that measure the networks
    while they train (per-layer gradients and activations, an ensemble's averaged predictions, a GAN's
    samples) read them through these two callables. They are callables rather than copies so that an epoch
    nobody inspects copies no weights; each experiment turns a Snapshot into its own partial result.
    """

    epoch: int
    history: pd.DataFrame
    predict: Callable[[Tensor], Tensor]  # x (N, ...) -> (K, N, C): probabilities (regression: values)
    modules: Callable[[], list[nn.Module]]  # copies of the K networks now (CPU), e.g. for per-layer statistics


@dataclass
class FitResult:
    """What training produced, as tidy DataFrames (one row per variant x epoch x split x metric)."""

    history: pd.DataFrame  # variant, epoch, split ("train" / "validation"), metric ("loss" / "accuracy"), value
    iterations: pd.DataFrame  # variant, iteration, epoch, lr, loss (of that iteration's batch)
    messages: dict[str, str]  # variant -> what happened, in a sentence (divergence, early stop)
    diverged: tuple[str, ...]
    last_epoch: dict[str, int]  # the last epoch each variant trained
    best_epoch: dict[str, int]  # the epoch whose weights were kept (early stopping), else last_epoch
    states: dict[str, dict[str, np.ndarray]]  # final weights per variant, under nn.Module names
    models: dict[str, MLPSpec | None]  # the spec of each MLP variant (None for other modules)
    loss: str  # "bce", "cross_entropy" or "mse"
    iterations_per_epoch: int
    seconds: float

    def final(self, metric: str = "loss", split: str = "validation") -> dict[str, float]:
        """Each variant's value of `metric` on `split` at the epoch whose weights it kept."""
        rows = self.history[(self.history.metric == metric) & (self.history.split == split)]
        kept = rows[rows.epoch == rows.variant.map(self.best_epoch)]
        return dict(zip(kept.variant, kept.value))


def partial(result_type: type[R], **known: object) -> R:
    """A result of `result_type` filled so far: the fields in `known`; every other field None (not measured yet)."""
    fields = dataclasses.fields(result_type)  # type: ignore[arg-type]  # every result type is a dataclass
    return result_type(**{**{f.name: None for f in fields}, **known})


def relay(on_progress: Progress[R] | None, partial_of: Callable[[Snapshot], R], start: float = 0.0,
          stop: float = 1.0) -> Progress[Snapshot] | None:
    """The trainer's progress as an experiment's: the fraction mapped into [start, stop] of the whole
    experiment, the Snapshot into the experiment's own partial result."""
    if on_progress is None:
        return None
    return lambda fraction, snap: on_progress(start + (stop - start) * fraction, partial_of(snap))


def iterations_per_epoch(n_train: int, batch_size: int | None) -> int:
    """ceil(N / B) updates per epoch: the last, smaller batch still counts (as with a DataLoader)."""
    return 1 if batch_size is None else math.ceil(n_train / batch_size)


def loss_kind(data: Dataset, n_out: int) -> str:
    """Binary classification with one output: BCE; more classes: cross-entropy; regression: MSE."""
    if data.task == "regression":
        return "mse"
    if n_out == 1 and data.n_classes == 2:
        return "bce"
    if n_out != data.n_classes:
        raise ValueError(f"The network has {n_out} outputs but the data has {data.n_classes} classes.")
    return "cross_entropy"


def to_probabilities(out: Tensor, loss: str) -> Tensor:
    """Network outputs -> what it predicts: P(class 1) for bce, class probabilities, or values."""
    if loss == "bce":
        return torch.sigmoid(out)
    if loss == "cross_entropy":
        return torch.softmax(out, dim=-1)
    return out


def _accuracy(out: Tensor, y: Tensor, loss: str) -> Tensor:
    """(K,) share of correct predictions; out (K, N, ..., C), y (N, ...) class labels (per pixel or step too)."""
    predicted = (out[..., 0] > 0).long() if loss == "bce" else out.argmax(dim=-1)
    return (predicted == y).float().flatten(1).mean(dim=1)


def lr_table(train: TrainConfig, iterations_per_epoch: int) -> np.ndarray:
    """The learning rate of every iteration, (epochs * iterations_per_epoch,), from torch's own scheduler."""
    steps = train.epochs * iterations_per_epoch
    if train.scheduler is None:
        return np.full(steps, train.lr)
    dummy = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=train.lr, momentum=0.9)  # only the LR is read
    kwargs = dict(train.scheduler_kwargs)
    n_steps = steps if train.scheduler_interval == "iteration" else train.epochs
    accepted = inspect.signature(SCHEDULERS[train.scheduler]).parameters
    run_defaults = (("T_max", n_steps), ("total_steps", n_steps), ("max_lr", train.lr), ("T_0", max(1, n_steps // 4)))
    for name, value in run_defaults:
        if name in accepted and name not in kwargs and accepted[name].default in (inspect.Parameter.empty, None):
            kwargs[name] = value
    try:
        scheduler = SCHEDULERS[train.scheduler](dummy, **kwargs)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{train.scheduler} cannot be set up with {kwargs}: {e}") from e
    table = np.empty(steps)
    for t in range(steps):
        table[t] = dummy.param_groups[0]["lr"]
        if train.scheduler_interval == "iteration" or (t + 1) % iterations_per_epoch == 0:
            dummy.step()
            if t + 1 < steps or train.scheduler_interval == "epoch":
                scheduler.step()
    return table


def check_batch_size(batch_size: int | None, n_train: int, items: str = "samples") -> int:
    """The batch in samples (None: the full batch); the one rule every experiment checks its batch size by.

    `items` names what is counted in the message ("sequences", "words").
    """
    batch = n_train if batch_size is None else batch_size
    if not 1 <= batch <= n_train:
        raise ValueError(f"Batch size must be between 1 and the number of training {items} ({n_train}).")
    return batch


def _check_variants(variants: Sequence[Variant], data: Dataset) -> int:
    """Validate what K separate runs could differ in; return the batch size in samples."""
    if not variants:
        raise ValueError("Give at least one variant to train.")
    names = [v.name for v in variants]
    if len(set(names)) != len(names):
        raise ValueError("Each variant needs its own name (they label the chart's legend).")
    shape = {(t.epochs, t.batch_size, t.scheduler, t.scheduler_kwargs, t.scheduler_interval, t.patience)
             for t in (v.train for v in variants)}
    if len(shape) > 1:
        raise ValueError("Variants trained side by side must share epochs, batch size, schedule and early stopping.")
    batch = check_batch_size(variants[0].train.batch_size, len(data.x_train))
    for v in variants:
        if isinstance(v.model, MLPSpec) and v.model.n_in != data.n_features:
            raise ValueError(f"The network expects {v.model.n_in} inputs but the data has {data.n_features} features.")
    return batch


TRY_SMALLER = "Try a smaller one."  # the remedy for a blown-up loss where the student sets the learning rate


def fit(model: Model, data: Dataset, train: TrainConfig = TrainConfig(), device: torch.device | None = None,
        on_progress: Progress[Snapshot] | None = None, progress_every: int | None = None,
        name: str = "model", remedy: str = TRY_SMALLER) -> FitResult:
    """Train one network; see `fit_many`."""
    return fit_many([Variant(name, model, train)], data, device, on_progress, progress_every, remedy)


def fit_many(variants: Sequence[Variant], data: Dataset, device: torch.device | None = None,
             on_progress: Progress[Snapshot] | None = None, progress_every: int | None = None,
             remedy: str = TRY_SMALLER) -> FitResult:
    """Train K variants together; each curve equals what a separate `fit` of that variant gives.

    `remedy`: the sentence that ends the message of a loss that blew up, what the student can change (a page
    whose learning rate is fixed names the controls it has instead).

    Per epoch: shuffle (each variant with its own seeded generator, as a DataLoader would),
    step through the batches, evaluate on the whole train and validation sets, check for
    divergence and early stopping, and every `progress_every` epochs call `on_progress`.
    """
    start = time.perf_counter()
    run = _Run(variants, data, device or pick_device(), remedy)
    every = progress_every or max(1, run.epochs // 20)
    run.evaluate(0)
    for epoch in range(1, run.epochs + 1):
        run.train_epoch(epoch)
        run.evaluate(epoch)
        run.hist[epoch, ~run.live] = np.nan  # variants that stopped earlier have no curve after their last epoch
        run.stop_diverged(epoch)
        run.keep_best(epoch)
        if on_progress is not None and (epoch % every == 0 or epoch == run.epochs or not run.live.any()):
            on_progress(epoch / run.epochs, run.snapshot(epoch))
        if not run.live.any():
            break
    run.engine.restore()
    return run.result(time.perf_counter() - start)


class _Run:
    """One `fit_many` run: the data and targets on the device, the engine, and the curves recorded so far."""

    def __init__(self, variants: Sequence[Variant], data: Dataset, device: torch.device, remedy: str = TRY_SMALLER):
        self.batch = _check_variants(variants, data)
        self.variants, self.device, self.patience = variants, device, variants[0].train.patience
        K, E, n = len(variants), variants[0].train.epochs, len(data.x_train)
        self.K, self.epochs, self.n = K, E, n
        self.ipe = iterations_per_epoch(n, self.batch)
        self.x, self.y = data.x_train.to(device), data.y_train.to(device)
        self.x_val, self.y_val = data.x_val.to(device), data.y_val.to(device)
        n_out = _output_size(variants[0].model, self.x)
        self.loss = loss_kind(data, n_out)
        self.engine = make_engine(variants, self.loss, device, self.batch)
        self.t_train = backprop.targets(self.y, self.loss, n_out)  # floats shaped like the outputs
        self.t_val = backprop.targets(self.y_val, self.loss, n_out)
        self.lrs = torch.tensor(np.stack([lr_table(v.train, self.ipe) for v in variants], axis=1), dtype=torch.float32,
                                device=device)  # (E * ipe, K)
        self.shufflers = [generator(v.train.seed) for v in variants]
        self.live = np.ones(K, dtype=bool)  # False once a variant diverged or stopped early
        self.it_loss = torch.full((E * self.ipe, K), float("nan"), device=device)
        # epoch x variant x split (train, validation) x metric (loss, accuracy)
        self.hist = np.full((E + 1, K, 2, 2), np.nan)
        self.best_loss = np.full(K, np.inf)
        self.last_epoch, self.best_epoch = [E] * K, [E] * K
        self.messages: dict[str, str] = {}
        self.remedy = remedy

    def evaluate(self, epoch: int) -> None:
        """Loss and accuracy of every variant on the whole train and validation sets, into `hist[epoch]`."""
        for s, (xs, ys, ts) in enumerate(((self.x, self.y, self.t_train), (self.x_val, self.y_val, self.t_val))):
            out = self.engine.outputs(xs)
            value, _ = backprop.loss_and_grad(out, ts.expand(self.K, *ts.shape), self.loss)
            self.hist[epoch, :, s, 0] = value.cpu().numpy()
            if self.loss != "mse":
                self.hist[epoch, :, s, 1] = _accuracy(out, ys, self.loss).cpu().numpy()

    def train_epoch(self, epoch: int) -> None:
        """One pass through the shuffled training set, one step per batch; a stopped variant's lr is 0 (frozen)."""
        n, ipe = self.n, self.ipe
        perms = torch.stack([torch.randperm(n, generator=g) for g in self.shufflers]).to(self.device)  # (K, N)
        for g in self.shufflers:  # RandomSampler draws a second permutation per epoch (its [: num_samples % n] tail)
            torch.randperm(n, generator=g)
        xs, ts = self.x[perms], self.t_train[perms]  # (K, N, ...): one gather per epoch, then each batch is a view
        active = torch.as_tensor(self.live, dtype=torch.float32, device=self.device).unsqueeze(0)  # (1, K)
        lr_epoch = (self.lrs[(epoch - 1) * ipe : epoch * ipe] * active).unsqueeze(-1)  # (ipe, K, 1)
        self.it_loss[(epoch - 1) * ipe : epoch * ipe] = self.engine.epoch(xs, ts, lr_epoch, self.batch)

    def stop_diverged(self, epoch: int) -> None:
        """Stop each live variant whose loss blew up this epoch, and say why."""
        ipe, hist = self.ipe, self.hist
        losses = np.concatenate([self.it_loss[(epoch - 1) * ipe : epoch * ipe].cpu().numpy().T, hist[epoch, :, :, 0]],
                                axis=1)
        for k in map(int, np.flatnonzero(self.live)):
            reason = divergence(losses[k], hist[epoch, k, 0, 0], hist[0, k, 0, 0])
            if not reason:
                continue
            self.messages[self.variants[k].name] = (
                f"The loss {reason} at epoch {epoch}: the learning rate is too large for "
                f"this network, so each step overshoots further. {self.remedy}")
            # The epoch it blew up keeps its finite values, so the curve ends shooting up where the student sees
            # it; a split whose loss is inf or NaN has no point there (its accuracy comes from NaN outputs too).
            row = hist[epoch, k]  # (split, metric), a view
            row[~np.isfinite(row) | ~np.isfinite(row[:, :1])] = np.nan
            self.live[k] = False
            self.last_epoch[k] = epoch - 1
            if self.patience is None or self.best_epoch[k] > epoch - 1:
                self.best_epoch[k] = epoch - 1

    def keep_best(self, epoch: int) -> None:
        """Save the weights to keep: the latest, or (early stopping) the best on validation, stopping the stale."""
        if self.patience is None:
            self.engine.save(torch.as_tensor(self.live, device=self.device))
            return
        improved = self.live & (self.hist[epoch, :, 1, 0] < self.best_loss)
        self.best_loss[improved] = self.hist[epoch, improved, 1, 0]
        self.engine.save(torch.as_tensor(improved, device=self.device))
        for improved_k in map(int, np.flatnonzero(improved)):
            self.best_epoch[improved_k] = epoch
        for k in map(int, np.flatnonzero(self.live & (epoch - np.array(self.best_epoch) >= self.patience))):
            self.messages[self.variants[k].name] = (
                f"Early stopping at epoch {epoch}: the validation loss had not improved for "
                f"{self.patience} epochs, so the weights of epoch {self.best_epoch[k]} are kept.")
            self.live[k] = False
            self.last_epoch[k] = epoch

    def snapshot(self, epoch: int) -> Snapshot:
        engine, device, loss = self.engine, self.device, self.loss
        return Snapshot(epoch, _history(self.hist[: epoch + 1], self.variants),
                        lambda xs: to_probabilities(engine.outputs(xs.to(device)), loss), engine.modules)

    def result(self, seconds: float) -> FitResult:
        names = [v.name for v in self.variants]
        best_epoch = self.best_epoch if self.patience is not None else list(self.last_epoch)
        return FitResult(
            history=_history(self.hist, self.variants),
            iterations=_iterations(self.it_loss.cpu().numpy(), self.lrs.cpu().numpy(), names, self.last_epoch,
                                   self.ipe),
            messages=self.messages,
            diverged=tuple(n for n in names if "learning rate is too large" in self.messages.get(n, "")),
            last_epoch=dict(zip(names, self.last_epoch)),
            best_epoch=dict(zip(names, best_epoch)),
            states={v: {k: t.numpy() for k, t in s.items()} for v, s in zip(names, self.engine.states())},
            models={v.name: v.model if isinstance(v.model, MLPSpec) else None for v in self.variants},
            loss=self.loss,
            iterations_per_epoch=self.ipe,
            seconds=seconds,
        )


def divergence(losses: np.ndarray, train_loss: float, start_loss: float) -> str:
    """How the loss blew up in words ("" if it did not): non-finite, huge, or far above its start."""
    if np.isnan(losses).any():
        return "became NaN (not a number)"
    if np.isinf(losses).any():
        return "became infinite"
    if (losses > DIVERGED_LOSS).any():
        return f"exploded to {losses.max():.3g}"
    if train_loss > DIVERGED_FACTOR * start_loss:
        return f"grew to {train_loss:.3g}, {train_loss / start_loss:.0f} times its starting value,"
    return ""


def first_nonfinite(frame: pd.DataFrame, by: str, at: str, columns: Sequence[str]) -> dict[str, int]:
    """Where values overflowed: each `by` label whose `columns` hold an inf or NaN in some row -> the first `at`
    (epoch, step) of such a row, in the order the labels first overflowed. The one detection every
    statistic of gradients, weights or activations goes through before it reaches a chart."""
    bad = frame[~np.isfinite(frame[list(columns)].to_numpy(dtype=float)).all(axis=1)]
    first = bad.groupby(by, sort=False)[at].min().sort_values(kind="stable")
    return {str(label): int(step) for label, step in first.items()}


def overflow_message(what: str, at: str, first: int, remedy: str) -> str:
    """The one sentence for values that overflowed: what, when (the trainer stops a net there), what to change,
    and what the charts do."""
    return (f"The {what} overflowed to infinity or NaN at {at} {first}: {remedy}. "
            "The charts leave those values out.")


def _output_size(model: Model, x: Tensor) -> int:
    if isinstance(model, MLPSpec):
        return model.n_out
    with torch.no_grad():
        return int(model(torch.Generator().manual_seed(0)).eval()(x[:2].cpu()).shape[-1])


def _history(hist: np.ndarray, variants: Sequence[Variant]) -> pd.DataFrame:
    """(epochs, K, 2, 2) array -> tidy rows (variant, epoch, split, metric, value), NaNs dropped.

    Built column by column from repeated labels (a live run asks for it at every progress report; a
    MultiIndex product cost several times more)."""
    E, K = hist.shape[:2]
    values = hist.reshape(-1)
    keep = ~np.isnan(values)
    names = pd.array([v.name for v in variants], dtype="str")
    return pd.DataFrame({
        "variant": names.take(np.tile(np.repeat(np.arange(K), 4), E)[keep]),
        "epoch": np.repeat(np.arange(E), K * 4)[keep],
        "split": pd.array(["train", "validation"], dtype="str").take(np.tile([0, 0, 1, 1], E * K)[keep]),
        "metric": pd.array(["loss", "accuracy"], dtype="str").take(np.tile([0, 1], E * K * 2)[keep]),
        "value": values[keep],
    })


def _iterations(losses: np.ndarray, lrs: np.ndarray, names: list[str], last_epoch: list[int], ipe: int) -> pd.DataFrame:
    frames = []
    for k, name in enumerate(names):
        t = last_epoch[k] * ipe
        frames.append(pd.DataFrame({
            "variant": name, "iteration": np.arange(1, t + 1), "epoch": np.arange(t) // ipe + 1,
            "lr": lrs[:t, k], "loss": losses[:t, k],
        }))
    return pd.concat(frames, ignore_index=True)


def predict(result: FitResult, variant: str, x: Tensor) -> np.ndarray:
    """What a trained MLP variant predicts for x (N, D): P(class 1), class probabilities or values."""
    spec = result.models.get(variant)
    if spec is None:
        raise ValueError(f"No trained MLP called {variant!r} in this result.")
    model = build_mlp(spec)
    model.load_state_dict({k: torch.as_tensor(v) for k, v in result.states[variant].items()})
    with torch.no_grad():
        return to_probabilities(model.eval()(x.float()), result.loss).numpy()

"""THE training loop of the app: one loop for every experiment, one variant or K side by side.

`fit(model, data, TrainConfig(...))` trains one network; `fit_many(variants, data)` trains K
variants (seeds, learning rates, widths of the same depth, weight decays) together. Both
return a `FitResult` of tidy DataFrames. The loop takes full-batch (`batch_size=None`),
mini-batch and single-sample (`batch_size=1`) steps, any `torch.optim` optimizer and
`lr_scheduler`, reports progress through `on_progress(fraction, Snapshot)`, stops a variant
whose loss blows up and says why in a sentence, and can stop early on the validation loss.

Two engines (`core.engines`) sit behind this one loop. Plain MLPs with SGD or Adam(W) go through the
hand-written maths of `core.backprop` (K variants in one batched pass, no autograd
bookkeeping: several times faster for the lesson's tiny nets). Everything else (batch
norm, dropout, any other optimizer, any nn.Module) goes through autograd and the real
`torch.optim` class. Tests prove both give the same numbers.
"""
from __future__ import annotations

import inspect
import math
import time
from dataclasses import dataclass
from typing import Callable, Sequence, Union

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn

from core import backprop
from core.data import Dataset
from core.device import generator, pick_device
from core.engines import OPTIMIZERS, make_engine
from core.models import MLPSpec, build_mlp

ModelFactory = Callable[[torch.Generator], nn.Module]
Model = Union[MLPSpec, ModelFactory]

SCHEDULERS: dict[str, type] = {
    name: cls
    for name, cls in vars(torch.optim.lr_scheduler).items()
    if isinstance(cls, type) and issubclass(cls, torch.optim.lr_scheduler.LRScheduler)
    and name not in ("LRScheduler", "_LRScheduler", "ChainedScheduler", "SequentialLR", "LambdaLR", "MultiplicativeLR", "ReduceLROnPlateau")
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
    engine: str = "auto"  # "auto", "manual" (hand-written maths) or "autograd"

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
                raise ValueError(f"Unknown scheduler {self.scheduler!r}: choose one of {', '.join(sorted(SCHEDULERS))}.")
            _check_kwargs(self.scheduler_kwargs, inspect.signature(SCHEDULERS[self.scheduler]).parameters, self.scheduler)
        if self.scheduler_interval not in ("iteration", "epoch"):
            raise ValueError("The scheduler steps per 'iteration' or per 'epoch'.")
        if self.patience is not None and self.patience < 1:
            raise ValueError("Early-stopping patience must be at least 1 epoch.")
        if self.engine not in ("auto", "manual", "autograd"):
            raise ValueError("The engine is 'auto', 'manual' or 'autograd'.")
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
    """Handed to `on_progress` while training runs: the curves so far and the live networks."""

    epoch: int
    history: pd.DataFrame
    predict: Callable[[Tensor], Tensor]  # x (N, ...) -> (K, N, C): probabilities (regression: values)
    modules: Callable[[], list[nn.Module]]  # copies of the K networks now (CPU), e.g. for per-layer statistics


Progress = Callable[[float, Snapshot], None]


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
    for name, value in (("T_max", n_steps), ("total_steps", n_steps), ("max_lr", train.lr), ("T_0", max(1, n_steps // 4))):
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
    n = len(data.x_train)
    batch = variants[0].train.batch_size or n
    if batch > n:
        raise ValueError(f"Batch size must be between 1 and the number of training samples ({n}).")
    for v in variants:
        if isinstance(v.model, MLPSpec) and v.model.n_in != data.n_features:
            raise ValueError(f"The network expects {v.model.n_in} inputs but the data has {data.n_features} features.")
    return batch


def fit(model: Model, data: Dataset, train: TrainConfig = TrainConfig(), device: torch.device | None = None,
        on_progress: Progress | None = None, progress_every: int | None = None, name: str = "model") -> FitResult:
    """Train one network; see `fit_many`."""
    return fit_many([Variant(name, model, train)], data, device, on_progress, progress_every)


def fit_many(variants: Sequence[Variant], data: Dataset, device: torch.device | None = None,
             on_progress: Progress | None = None, progress_every: int | None = None) -> FitResult:
    """Train K variants together; each curve equals what a separate `fit` of that variant gives.

    Per epoch: shuffle (each variant with its own seeded generator, as a DataLoader would),
    step through the batches, evaluate on the whole train and validation sets, check for
    divergence and early stopping, and every `progress_every` epochs call `on_progress`.
    """
    start = time.perf_counter()
    batch = _check_variants(variants, data)
    device = device or pick_device()
    first = variants[0].train
    K, E, n = len(variants), first.epochs, len(data.x_train)
    ipe = iterations_per_epoch(n, batch)
    x, y = data.x_train.to(device), data.y_train.to(device)
    x_val, y_val = data.x_val.to(device), data.y_val.to(device)
    n_out = _output_size(variants[0].model, x)
    loss = loss_kind(data, n_out)
    engine = make_engine(variants, loss, device)
    t_train, t_val = backprop.targets(y, loss, n_out), backprop.targets(y_val, loss, n_out)  # floats shaped like out
    lrs = torch.tensor(np.stack([lr_table(v.train, ipe) for v in variants], axis=1), dtype=torch.float32, device=device)
    shufflers = [generator(v.train.seed) for v in variants]
    active = torch.ones(K, 1, device=device)  # 0 once a variant diverged or stopped early
    it_loss = torch.full((E * ipe, K), float("nan"), device=device)
    hist = np.full((E + 1, K, 2, 2), np.nan)  # epoch x variant x split (train, validation) x metric (loss, accuracy)
    best_loss = np.full(K, np.inf)
    last_epoch, best_epoch = [E] * K, [E] * K
    messages: dict[str, str] = {}
    every = progress_every or max(1, E // 20)

    def evaluate(epoch: int) -> None:
        for s, (xs, ys, ts) in enumerate(((x, y, t_train), (x_val, y_val, t_val))):
            out = engine.outputs(xs)
            value, _ = backprop.loss_and_grad(out, ts.expand(K, *ts.shape), loss)
            hist[epoch, :, s, 0] = value.cpu().numpy()
            if loss != "mse":
                hist[epoch, :, s, 1] = _accuracy(out, ys, loss).cpu().numpy()

    evaluate(0)
    for epoch in range(1, E + 1):
        live = active[:, 0].bool().cpu().numpy()
        perms = torch.stack([torch.randperm(n, generator=g) for g in shufflers]).to(device)  # (K, N)
        for g in shufflers:  # RandomSampler draws a second permutation per epoch (its [: num_samples % n] tail)
            torch.randperm(n, generator=g)
        xs, ts = x[perms], t_train[perms]  # (K, N, ...): one gather per epoch, then each batch is a view
        lr_epoch = (lrs[(epoch - 1) * ipe : epoch * ipe] * active.T).unsqueeze(-1)  # (ipe, K, 1); 0 freezes a variant
        # The batches as views made in one call each: per step the loop then dispatches only the step itself.
        steps = zip(xs.split(batch, dim=1), ts.split(batch, dim=1), lr_epoch.unbind(0))
        it_loss[(epoch - 1) * ipe : epoch * ipe] = torch.stack([engine.step(xb, tb, lr) for xb, tb, lr in steps])
        evaluate(epoch)
        hist[epoch, ~live] = np.nan  # variants that stopped earlier have no curve after their last epoch
        losses = np.concatenate([it_loss[(epoch - 1) * ipe : epoch * ipe].cpu().numpy().T, hist[epoch, :, :, 0]], axis=1)
        for k in np.flatnonzero(live):
            reason = _divergence(losses[k], hist[epoch, k, 0, 0], hist[0, k, 0, 0])
            if reason:
                messages[variants[k].name] = (f"The loss {reason} at epoch {epoch}: the learning rate is too large for "
                                              "this network, so each step overshoots further. Try a smaller one.")
                # The epoch it blew up keeps its finite values, so the curve ends shooting up where the student sees
                # it; a split whose loss is inf or NaN has no point there (its accuracy comes from NaN outputs too).
                row = hist[epoch, k]  # (split, metric), a view
                row[~np.isfinite(row) | ~np.isfinite(row[:, :1])] = np.nan
                live[k] = False
                last_epoch[k] = epoch - 1
                if first.patience is None or best_epoch[k] > epoch - 1:
                    best_epoch[k] = epoch - 1
        if first.patience is None:
            engine.save(torch.as_tensor(live, device=device))
        if first.patience is not None:
            improved = live & (hist[epoch, :, 1, 0] < best_loss)
            best_loss[improved] = hist[epoch, improved, 1, 0]
            engine.save(torch.as_tensor(improved, device=device))
            for k in np.flatnonzero(improved):
                best_epoch[k] = epoch
            for k in np.flatnonzero(live & (epoch - np.array(best_epoch) >= first.patience)):
                messages[variants[k].name] = (f"Early stopping at epoch {epoch}: the validation loss had not improved for "
                                              f"{first.patience} epochs, so the weights of epoch {best_epoch[k]} are kept.")
                live[k] = False
                last_epoch[k] = epoch
        active = torch.as_tensor(live, dtype=torch.float32, device=device).unsqueeze(1)
        if on_progress is not None and (epoch % every == 0 or epoch == E or not live.any()):
            snap = Snapshot(epoch, _history(hist[: epoch + 1], variants),
                            lambda xs: to_probabilities(engine.outputs(xs.to(device)), loss), engine.modules)
            on_progress(epoch / E, snap)
        if not live.any():
            break
    engine.restore()
    if first.patience is None:
        best_epoch = list(last_epoch)
    names = [v.name for v in variants]
    return FitResult(
        history=_history(hist, variants),
        iterations=_iterations(it_loss.cpu().numpy(), lrs.cpu().numpy(), names, last_epoch, ipe),
        messages=messages,
        diverged=tuple(names[k] for k in range(K) if "learning rate is too large" in messages.get(names[k], "")),
        last_epoch=dict(zip(names, last_epoch)),
        best_epoch=dict(zip(names, best_epoch)),
        states={v: {k: t.numpy() for k, t in s.items()} for v, s in zip(names, engine.states())},
        models={v.name: v.model if isinstance(v.model, MLPSpec) else None for v in variants},
        loss=loss,
        iterations_per_epoch=ipe,
        seconds=time.perf_counter() - start,
    )


def _divergence(losses: np.ndarray, train_loss: float, start_loss: float) -> str:
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


def _output_size(model: Model, x: Tensor) -> int:
    if isinstance(model, MLPSpec):
        return model.n_out
    with torch.no_grad():
        return int(model(torch.Generator().manual_seed(0)).eval()(x[:2].cpu()).shape[-1])


def _history(hist: np.ndarray, variants: Sequence[Variant]) -> pd.DataFrame:
    """(epochs, K, 2, 2) array -> tidy rows (variant, epoch, split, metric, value), NaNs dropped."""
    E, K = hist.shape[:2]
    index = pd.MultiIndex.from_product(
        [range(E), [v.name for v in variants], ["train", "validation"], ["loss", "accuracy"]],
        names=["epoch", "variant", "split", "metric"],
    )
    df = pd.DataFrame({"value": hist.reshape(-1)}, index=index).dropna().reset_index()
    return df[["variant", "epoch", "split", "metric", "value"]]


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

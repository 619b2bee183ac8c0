"""The learning-cycle chapter's experiments (slides 27-31, 36-40): one step by hand, epochs and batches, fit sizes.

- `step_by_step`: a tiny net's forward pass, loss, backward pass and update, every number shown;
  computed by `core.backprop`, the same maths that trains everywhere else in the app.
- `train_live`: a 2-D classifier trained by the one trainer, its decision map redrawn while it
  learns, plus curves, a confusion matrix and the weights for inference.
- `fit_sizes`: a too-small, a good and a too-large network trained side by side (under- vs overfitting).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
import torch

from core import backprop, data, training
from core.device import generator, pick_device
from core.models import MLPSpec

MAX_STEPS = 500
MAX_UPDATES = 30_000  # epochs x iterations per epoch of a live run: ~3 s on a 2-core CPU
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
    code_version: int = 1

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


@dataclass
class StepRecord:
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


def _numpy(t: torch.Tensor) -> np.ndarray:
    return t[0].detach().cpu().numpy().copy()  # drop the variant axis


def step_by_step(cfg: StepByStep, on_progress: Callable | None = None) -> StepRecord:
    """Replay `cfg.step` SGD updates, then record the next one number by number."""
    ds = data.load(data.DataConfig(cfg.dataset, n_samples=cfg.n_samples, seed=cfg.seed))
    net = backprop.StackedMLP([MLPSpec(2, (cfg.hidden,), 1, cfg.activation)], [generator(cfg.seed)],
                              torch.device("cpu"))
    sgd, lr = backprop.SGD(), torch.tensor([[cfg.lr]])
    x, t = ds.x_train, backprop.targets(ds.y_train, "bce", 1)
    per_epoch = len(x) // cfg.batch_size  # full batches only, like DataLoader(drop_last=True)
    shuffler = generator(cfg.seed)  # a new order every epoch, from one seeded generator
    order = torch.empty(0, dtype=torch.long)
    rows = []
    for step in range(cfg.step + 1):
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
    return StepRecord(
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
    )


# 2. Epoch, batch, iteration: a classifier trained live ---------------------------------------


@dataclass(frozen=True)
class LiveRun:
    """A 2-D classifier: which data, which network, how it trains."""

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
    code_version: int = 1

    def __post_init__(self) -> None:
        data.require_2d(self.dataset)
        if not 20 <= self.n_samples <= 5000:
            raise ValueError("Use between 20 and 5,000 samples here (the chart draws every point).")
        if not 1 <= self.epochs <= 1000:
            raise ValueError("Use between 1 and 1,000 epochs here.")
        self.variant()  # validates the network and the training settings
        n_train = train_count(self.dataset, self.n_samples, self.noise, self.seed)
        if self.batch_size is not None and not 1 <= self.batch_size <= n_train:
            raise ValueError(f"Batch size must be between 1 and the number of training samples ({n_train}).")
        updates = self.epochs * training.iterations_per_epoch(n_train, self.batch_size)
        if updates > MAX_UPDATES:
            raise ValueError(f"That is {updates:,} weight updates (epochs x iterations per epoch); keep it under "
                             f"{MAX_UPDATES:,} so it trains in seconds: fewer epochs or a larger batch.")

    def data_config(self) -> data.DataConfig:
        return data.DataConfig(self.dataset, self.n_samples, self.noise, val_fraction=LIVE_VALIDATION, seed=self.seed)

    def variant(self) -> training.Variant:
        train = training.TrainConfig(epochs=self.epochs, batch_size=self.batch_size, lr=self.lr,
                                     optimizer=self.optimizer, seed=self.seed)
        return training.Variant("model", MLPSpec(2, self.widths, 1, self.activation), train)


@dataclass
class LiveResult:
    epoch: int  # the epoch reached (less than epochs while training, or when the loss blew up)
    history: pd.DataFrame  # variant, epoch, split, metric, value
    grid: pd.DataFrame  # x1, x2, p: the decision map at `epoch`
    points: pd.DataFrame  # x1, x2, label, split
    iterations: pd.DataFrame | None = None  # variant, iteration, epoch, lr, loss (when done)
    confusion: pd.DataFrame | None = None  # actual, predicted, count on the validation set (when done)
    fit: training.FitResult | None = None  # when done


def train_count(dataset: str, n_samples: int, noise: float, seed: int = 0) -> int:
    """How many of a live run's samples train (the split is per class, so not always exactly 70%)."""
    return len(data.load(data.DataConfig(dataset, n_samples, noise, val_fraction=LIVE_VALIDATION, seed=seed)).x_train)


def grid_points(ds: data.Dataset, n: int = GRID) -> torch.Tensor:
    """(n * n, 2) points covering the data with a margin: where the decision map is evaluated."""
    return data.plane_grid(data.plane_box(ds), n).float()  # the networks compute in float32


def grid_frame(grid: torch.Tensor, p: np.ndarray, variant: str | None = None) -> pd.DataFrame:
    df = pd.DataFrame({"x1": grid[:, 0].numpy(), "x2": grid[:, 1].numpy(), "p": p.reshape(-1)})
    return df if variant is None else df.assign(variant=variant)


def train_live(cfg: LiveRun, on_progress: Callable[[float, LiveResult], None] | None = None) -> LiveResult:
    """Train the classifier; every few epochs hand `on_progress` the curves and the decision map so far."""
    ds = data.load(cfg.data_config())
    points, grid = data.points_frame(ds), grid_points(ds)

    def report(fraction: float, snap: training.Snapshot) -> None:
        if on_progress is not None:
            p = snap.predict(grid)[0].cpu().numpy()  # (N, 1): P(class 1) at each grid point
            on_progress(fraction, LiveResult(snap.epoch, snap.history, grid_frame(grid, p), points))

    fit = training.fit_many([cfg.variant()], ds, pick_device(), report, progress_every=max(1, cfg.epochs // 30))
    predicted = (training.predict(fit, "model", ds.x_val)[:, 0] > 0.5).astype(int)
    confusion = (pd.crosstab(pd.Series(ds.y_val.numpy(), name="actual"), pd.Series(predicted, name="predicted"))
                 .reindex(index=[0, 1], columns=[0, 1], fill_value=0).stack().rename("count").reset_index())
    return LiveResult(
        epoch=fit.last_epoch["model"],
        history=fit.history,
        grid=grid_frame(grid, training.predict(fit, "model", grid)),
        points=points,
        iterations=fit.iterations,
        confusion=confusion,
        fit=fit,
    )


# 3. Under- and overfitting -------------------------------------------------------------------

SIZES = {"too small": (1, 1), "good": (4, 4), "too large": (64, 64)}


@dataclass(frozen=True)
class FitSizes:
    """The same small noisy task fitted by networks of three sizes (same depth, so one batched pass)."""

    dataset: str = "moons"
    n_samples: int = 250
    noise: float = 0.2
    train_fraction: float = 0.3  # few training points, many validation points: overfitting shows
    widths: tuple[tuple[int, ...], ...] = tuple(SIZES.values())
    names: tuple[str, ...] = tuple(SIZES)
    epochs: int = 300
    lr: float = 0.02
    seed: int = 0
    code_version: int = 2  # 2: shorter table headers

    def __post_init__(self) -> None:
        data.require_2d(self.dataset)
        if len(self.widths) != len(self.names):
            raise ValueError("Give one name per network size.")
        if len({len(w) for w in self.widths}) != 1:
            raise ValueError("The compared networks must have the same number of hidden layers.")
        if not 1 <= self.epochs <= 2000:
            raise ValueError("Use between 1 and 2,000 epochs here.")


@dataclass
class SizesResult:
    history: pd.DataFrame  # variant, epoch, split, metric, value
    table: pd.DataFrame  # variant, parameters, train/validation accuracy and loss, gap, best epoch
    grids: pd.DataFrame  # variant, x1, x2, p
    points: pd.DataFrame  # x1, x2, label, split


def fit_sizes(cfg: FitSizes, on_progress: training.Progress | None = None) -> SizesResult:
    ds = data.load(data.DataConfig(cfg.dataset, cfg.n_samples, cfg.noise, val_fraction=1 - cfg.train_fraction,
                                   seed=cfg.seed))
    train = training.TrainConfig(epochs=cfg.epochs, batch_size=None, lr=cfg.lr, optimizer="adam", seed=cfg.seed)
    specs = {name: MLPSpec(2, w, 1, "tanh") for name, w in zip(cfg.names, cfg.widths)}
    fit = training.fit_many([training.Variant(n, s, train) for n, s in specs.items()], ds, pick_device(), on_progress)
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
    return SizesResult(
        history=fit.history,
        table=table,
        grids=pd.concat([grid_frame(grid, training.predict(fit, n, grid), n) for n in specs], ignore_index=True),
        points=data.points_frame(ds),
    )

"""Optimization experiments on a real small network (slides 39-47): learning rates, LR range test, batch noise,
learning-rate schedules and 1-D / 2-D slices of the loss landscape around trained weights.

Every training run goes through the one trainer (`core.training`); `fit_many` trains the
variants that share epochs, batch size and schedule together, the rest are separate `fit`s.
"""
from __future__ import annotations

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
from core.landscapes import GRID
from core.models import MLPSpec, build_mlp

SPEC = MLPSpec(2, (16, 16), 1, "tanh")  # the chapter's small network: 2-16-16-1, 337 parameters
TRAIN_SAMPLES = 210  # moons, 300 points, 70% train


def _moons(n_samples: int = 300, seed: int = 0) -> data.Dataset:
    return data.load(data.DataConfig("moons", n_samples, 0.2, seed=seed))


def _history(fits: dict[str, training.FitResult]) -> pd.DataFrame:
    return pd.concat([f.history for f in fits.values()], ignore_index=True)


# 1. The learning rate: too small, good, too large ---------------------------------------------


@dataclass(frozen=True)
class LrSweep:
    """The same net, seed and batches at three learning rates (plain SGD), trained side by side."""

    lrs: tuple[float, ...] = (0.003, 0.3, 30.0)
    names: tuple[str, ...] = ("too small", "good", "too large")
    epochs: int = 40
    batch_size: int = 16
    seed: int = 0
    code_version: int = 1

    def __post_init__(self) -> None:
        if len(self.lrs) != len(self.names) or not self.lrs:
            raise ValueError("Give one name per learning rate.")
        if not all(0 < lr <= 100 for lr in self.lrs):
            raise ValueError("Each learning rate must be above 0 and at most 100.")
        if not 1 <= self.epochs <= 500:
            raise ValueError("Use between 1 and 500 epochs here.")


@dataclass
class SweepResult:
    history: pd.DataFrame  # variant, epoch, split, metric, value
    messages: dict[str, str]  # variant -> what went wrong (divergence), from the trainer
    table: pd.DataFrame  # variant, learning rate, final train loss, final validation accuracy


def lr_sweep(cfg: LrSweep, on_progress: training.Progress | None = None) -> SweepResult:
    variants = [training.Variant(f"{name} (lr {lr:g})", SPEC, training.TrainConfig(
        epochs=cfg.epochs, batch_size=cfg.batch_size, lr=lr, optimizer="sgd", seed=cfg.seed))
        for name, lr in zip(cfg.names, cfg.lrs)]
    fit = training.fit_many(variants, _moons(seed=cfg.seed), pick_device(), on_progress)
    loss, acc = fit.final("loss", "train"), fit.final("accuracy")
    table = pd.DataFrame({"variant": [v.name for v in variants], "learning rate": list(cfg.lrs),
                          "final train loss": [loss.get(v.name, math.nan) for v in variants],
                          "final validation accuracy": [acc.get(v.name, math.nan) for v in variants],
                          "epochs trained": [fit.last_epoch[v.name] for v in variants]})
    return SweepResult(fit.history, fit.messages, table)


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
    code_version: int = 1

    def __post_init__(self) -> None:
        if not 0 < self.lr_min < self.lr_max <= 1e4:
            raise ValueError("The range needs 0 < smallest learning rate < largest learning rate <= 10,000.")
        if not 20 <= self.iterations <= 2000:
            raise ValueError("Use between 20 and 2,000 iterations for the range test.")
        if not 0 <= self.smoothing < 1:
            raise ValueError("The smoothing must be at least 0 and below 1.")


@dataclass
class RangeResult:
    curve: pd.DataFrame  # iteration, lr, loss, smoothed loss
    suggestion: float  # lr where the smoothed loss falls fastest (per unit of log lr), before its minimum
    lowest: float  # lr of the smoothed loss's minimum
    stopped: str  # the trainer's message when the loss blew up, else ""


def lr_range(cfg: LrRange, on_progress: training.Progress | None = None) -> RangeResult:
    ds = _moons(seed=cfg.seed)
    ipe = training.iterations_per_epoch(len(ds.x_train), cfg.batch_size)
    gamma = (cfg.lr_max / cfg.lr_min) ** (1 / (cfg.iterations - 1))  # lr_t = lr_min * gamma^t
    train = training.TrainConfig(epochs=math.ceil(cfg.iterations / ipe), batch_size=cfg.batch_size, lr=cfg.lr_min,
                                 optimizer="sgd", scheduler="ExponentialLR", scheduler_kwargs=(("gamma", gamma),),
                                 seed=cfg.seed)
    fit = training.fit(SPEC, ds, train, pick_device(), on_progress)
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
    return RangeResult(curve, float(lr[steep]), float(lr[low]), fit.messages.get("model", ""))


# 3. Fix 1: noise from small batches -----------------------------------------------------------


@dataclass(frozen=True)
class BatchNoise:
    """Batch 1, a small batch and the full batch: separate runs (one batch size per run), same lr and epochs."""

    batch_sizes: tuple[int | None, ...] = (1, 16, None)  # None: full batch
    epochs: int = 6
    lr: float = 0.05
    draws: int = 100  # mini-batches drawn to measure the spread of gradient directions
    seed: int = 0
    code_version: int = 1

    def __post_init__(self) -> None:
        if not self.batch_sizes or any(b is not None and not 1 <= b <= TRAIN_SAMPLES for b in self.batch_sizes):
            raise ValueError(f"Each batch size must be between 1 and the number of training samples ({TRAIN_SAMPLES}).")
        if not 1 <= self.epochs <= 100:
            raise ValueError("Use between 1 and 100 epochs here (batch size 1 makes 210 updates per epoch).")
        if not 0 < self.lr <= 10:
            raise ValueError("The learning rate must be above 0 and at most 10.")
        if not 10 <= self.draws <= 2000:
            raise ValueError("Draw between 10 and 2,000 mini-batches.")


@dataclass
class NoiseResult:
    history: pd.DataFrame  # variant, epoch, split, metric, value
    directions: pd.DataFrame  # variant, draw, cosine (of a mini-batch gradient with the full-batch gradient)
    table: pd.DataFrame  # variant, batch size, updates per epoch, gradient variance, mean cosine, final losses


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


def batch_noise(cfg: BatchNoise, on_progress: training.Progress | None = None) -> NoiseResult:
    ds = _moons(seed=cfg.seed)
    n = len(ds.x_train)
    fits = {batch_label(b): training.fit(SPEC, ds, training.TrainConfig(
        epochs=cfg.epochs, batch_size=b, lr=cfg.lr, optimizer="sgd", seed=cfg.seed), pick_device(),
        name=batch_label(b)) for b in cfg.batch_sizes}
    G = per_sample_gradients(SPEC, cfg.seed, ds.x_train, ds.y_train).double()  # (N, P)
    full = G.mean(dim=0)  # (P,): the true gradient of the training loss
    g = generator(cfg.seed)
    frames, rows = [], []
    for b, (name, fit) in zip(cfg.batch_sizes, fits.items()):
        size = b or n
        idx = torch.rand(cfg.draws, n, generator=g).argsort(dim=1)[:, :size]  # (draws, B): batches without repeats
        # (draws, P): what each mini-batch says the gradient is, gathered 10 draws at a time: all at once the
        # (draws, B, P) gather took 57 MB at the full batch (100 x 210 x 337 doubles) for a 0.3 MB answer
        est = torch.cat([G[chunk].mean(dim=1) for chunk in idx.split(10)])
        cos = F.cosine_similarity(est, full.expand_as(est), dim=1)
        frames.append(pd.DataFrame({"variant": name, "draw": np.arange(cfg.draws), "cosine": cos.numpy()}))
        rows.append({"variant": name, "batch size": size, "updates per epoch": fit.iterations_per_epoch,
                     "gradient variance": float(((est - full) ** 2).sum(dim=1).mean()),
                     "mean cosine with the full gradient": float(cos.mean()),
                     "share pointing downhill": float((cos > 0).double().mean()),
                     "final train loss": fit.final("loss", "train")[name],
                     "final validation accuracy": fit.final("accuracy")[name]})
    return NoiseResult(_history(fits), pd.concat(frames, ignore_index=True), pd.DataFrame(rows))


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
    code_version: int = 1

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


@dataclass
class ScheduleResult:
    lrs: pd.DataFrame  # schedule, iteration, lr: what torch's scheduler sets at each iteration (every schedule)
    history: pd.DataFrame  # variant (= schedule), epoch, split, metric, value
    table: pd.DataFrame  # schedule, final train loss, final validation loss, last-epoch spread of the batch loss


def schedules(cfg: Schedules, on_progress: training.Progress | None = None) -> ScheduleResult:
    ds = _moons(seed=cfg.seed)
    fits = {s: training.fit(SPEC, ds, cfg.train(s), pick_device(), name=s) for s in cfg.schedules}  # one schedule a run
    ipe = training.iterations_per_epoch(len(ds.x_train), cfg.batch_size)
    lrs = pd.concat([pd.DataFrame({"schedule": s, "iteration": np.arange(1, cfg.epochs * ipe + 1),
                                   "lr": training.lr_table(cfg.train(s), ipe)}) for s in SCHEDULES], ignore_index=True)
    rows = []
    for s, fit in fits.items():
        last = fit.iterations[fit.iterations.epoch == fit.last_epoch[s]]["loss"]
        rows.append({"schedule": s, "final train loss": fit.final("loss", "train")[s],
                     "final validation loss": fit.final("loss")[s], "last-epoch batch-loss std": float(last.std())})
    return ScheduleResult(lrs, _history(fits), pd.DataFrame(rows))


# 6. A real network's landscape (Li et al. 2018) -----------------------------------------------


@dataclass(frozen=True)
class NetSlices:
    """Slices of a trained MLP's training loss along random filter-normalized directions; small vs large batch."""

    batch_sizes: tuple[int | None, ...] = (16, None)
    epochs: int = 40
    lr: float = 0.03  # Adam
    span: float = 1.0  # the slices run from -span to +span times the direction
    points_1d: int = 41
    points_2d: int = 21
    seed: int = 0
    code_version: int = 1

    def __post_init__(self) -> None:
        if not self.batch_sizes or any(b is not None and not 1 <= b <= TRAIN_SAMPLES for b in self.batch_sizes):
            raise ValueError(f"Each batch size must be between 1 and the number of training samples ({TRAIN_SAMPLES}).")
        if not 1 <= self.epochs <= 500:
            raise ValueError("Use between 1 and 500 epochs here.")
        if not 0 < self.span <= 5:
            raise ValueError("The slice's half-width must be above 0 and at most 5.")
        if not (5 <= self.points_1d <= 201 and 5 <= self.points_2d <= GRID):
            raise ValueError(f"Use 5 to 201 points for the 1-D slice and 5 to {GRID} per axis for the 2-D one.")


@dataclass
class SliceResult:
    line: pd.DataFrame  # variant, alpha, loss: the 1-D slice
    maps: dict[str, pd.DataFrame]  # variant -> w1 (alpha), w2 (beta), loss, level: the 2-D slice
    centres: dict[str, pd.DataFrame]  # variant -> one row (optimizer, step, w1, w2, loss): the trained weights
    table: pd.DataFrame  # variant, batch size, loss at the weights, loss rise at ±span/2, validation accuracy


def layers(fit: training.FitResult, name: str) -> list[tuple[Tensor, Tensor]]:
    """The trained (W (out, in), b (out,)) of each nn.Linear, in order, from the fit's state dict."""
    state = fit.states[name]
    keys = [k[: -len(".weight")] for k in state if k.endswith(".weight")]
    return [(torch.as_tensor(state[k + ".weight"]).double(), torch.as_tensor(state[k + ".bias"]).double()) for k in keys]


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

    Chunks keep the activations small: the 21 x 21 map's K = 441 nets at once held (441, 210, 16) doubles
    (12 MB) per layer, 38 MB at the peak; 64 at a time hold 2 MB. Each net's loss is the same either way.
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


def net_slices(cfg: NetSlices, on_progress: training.Progress | None = None) -> SliceResult:
    ds = _moons(seed=cfg.seed)
    lines, maps, centres, rows = [], {}, {}, []
    alphas = torch.linspace(-cfg.span, cfg.span, cfg.points_1d, dtype=torch.float64)
    axis = torch.linspace(-cfg.span, cfg.span, cfg.points_2d, dtype=torch.float64)
    b2, a2 = torch.meshgrid(axis, axis, indexing="ij")
    for b in cfg.batch_sizes:
        name = batch_label(b)
        fit = training.fit(SPEC, ds, training.TrainConfig(epochs=cfg.epochs, batch_size=b, lr=cfg.lr, optimizer="adam",
                                                          seed=cfg.seed), pick_device(), name=name)
        weights = layers(fit, name)
        g = generator(cfg.seed + 1)  # the same random directions for every net
        d1, d2 = directions(weights, g), directions(weights, g)
        line = stacked_loss(_along(weights, [d1], alphas[:, None]), SPEC.activation, ds.x_train, ds.y_train)
        grid = stacked_loss(_along(weights, [d1, d2], torch.stack([a2.reshape(-1), b2.reshape(-1)], dim=1)),
                            SPEC.activation, ds.x_train, ds.y_train).numpy()
        lines.append(pd.DataFrame({"variant": name, "alpha": alphas.numpy(), "loss": line.numpy()}))
        low = grid.min()
        level = np.clip(np.floor(np.log2((grid.max() - low) / np.maximum(grid - low, 1e-12))), 0, 12)
        maps[name] = pd.DataFrame({"w1": a2.reshape(-1).numpy(), "w2": b2.reshape(-1).numpy(), "loss": grid,
                                   "level": level})
        at = float(line[cfg.points_1d // 2])
        centres[name] = pd.DataFrame({"optimizer": "trained weights", "step": [0], "w1": [0.0], "w2": [0.0], "loss": [at]})
        half = torch.tensor([[-cfg.span / 2], [cfg.span / 2]], dtype=torch.float64)
        rise = float(stacked_loss(_along(weights, [d1], half), SPEC.activation, ds.x_train, ds.y_train).mean()) - at
        rows.append({"variant": name, "batch size": b or len(ds.x_train), "loss at the trained weights": at,
                     f"loss rise {cfg.span / 2:g} away": rise, "validation accuracy": fit.final("accuracy")[name]})
    return SliceResult(pd.concat(lines, ignore_index=True), maps, centres, pd.DataFrame(rows))

"""Internal covariate shift and batch normalization (slides 53-55): one grid of runs, with and without batch norm.

`batch_norm_grid` trains the same deep MLP at several learning rates, without batch norm (one
batched pass through the hand-written engine) and with it (autograd), and every epoch measures
the distribution of each hidden layer's activation inputs on a probe batch (quantile bands):
without batch norm they drift while earlier layers learn; with it they stay centred and scaled.
`modes` then puts numbers on batch norm's train mode (this batch's mean and variance) against
its eval mode (the running averages kept during training).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
import torch
from torch import nn

from core import activations, data, training
from core.device import generator, pick_device
from core.gradients import PROBE_ROWS, check_shape, layer_values, load
from core.models import INITS, MLPSpec, build_mlp

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
BANDS = ("q05", "q25", "q50", "q75", "q95")
MODE_UNITS = 6  # units of the first batch-norm layer the train/eval table lists
Progress = Callable[[float, object], None]


@dataclass(frozen=True)
class BatchNormGrid:
    """The same deep MLP at each learning rate, without and with batch norm, trained for the same epochs."""

    dataset: str = "digits"
    depth: int = 8
    width: int = 32
    activation: str = "relu"
    init: str = "he"
    lrs: tuple[float, ...] = (0.03, 0.3, 3.0)
    epochs: int = 4
    batch_size: int = 128
    seed: int = 0
    code_version: int = 1

    def __post_init__(self) -> None:
        check_shape(self.dataset, self.depth, self.width)
        activations.get(self.activation)
        if self.init not in INITS:
            raise ValueError(f"Unknown initialization {self.init!r}: choose one of {', '.join(INITS)}.")
        if not self.lrs or len(set(self.lrs)) != len(self.lrs) or not all(0 < lr <= 10 for lr in self.lrs):
            raise ValueError("Give one or more different learning rates, each in (0, 10].")
        if not 1 <= self.epochs <= 100:
            raise ValueError("Use between 1 and 100 epochs here.")

    def spec(self, n_in: int, n_out: int, batch_norm: bool) -> MLPSpec:
        return MLPSpec(n_in, (self.width,) * self.depth, n_out, self.activation, self.init, batch_norm)


def variant_name(lr: float, batch_norm: bool) -> str:
    return f"lr {lr:g} · {'batch norm' if batch_norm else 'plain'}"


@dataclass
class GridResult:
    history: pd.DataFrame  # variant, epoch, split, metric, value
    table: pd.DataFrame  # learning rate, batch norm, final validation accuracy, what happened
    accuracy: dict[tuple[float, bool], float]  # (lr, batch norm) -> final validation accuracy (0 if it diverged)
    diverged: tuple[tuple[float, bool], ...]  # the (lr, batch norm) runs whose loss blew up
    bands: pd.DataFrame  # variant, lr, batch norm, layer, epoch, q05, q25, q50, q75, q95 of the activation inputs
    modes: pd.DataFrame  # unit, batch mean, running mean, batch std, running std (first batch-norm layer)
    mode_accuracy: dict[str, float]  # "eval mode", "train mode, whole set as one batch", "train mode, batches of 4"
    mode_lr: float  # the learning rate of the batch-norm net that `modes` looks at
    largest_change: float  # train mode: largest change of a class probability when an example's batch changes


def _bands(model: nn.Module, x: torch.Tensor) -> np.ndarray:
    """(depth, 5) quantiles of each hidden layer's activation input, in train mode (what training sees)."""
    z = torch.stack([v[0].flatten() for v in layer_values(model, x, train_mode=True)])  # (depth, N * width)
    return torch.quantile(z, torch.tensor(QUANTILES), dim=1).T.numpy()


def batch_norm_grid(cfg: BatchNormGrid, on_progress: Progress | None = None) -> GridResult:
    ds = load(cfg.dataset, cfg.seed)
    n_out = ds.n_classes if ds.n_classes > 2 else 1
    probe = ds.x_train[:PROBE_ROWS]
    rows: list[dict[str, object]] = []
    fits = []
    for half, bn in enumerate((False, True)):  # plain: K learning rates in one batched pass; batch norm: autograd
        spec = cfg.spec(ds.n_features, n_out, bn)
        variants = [training.Variant(variant_name(lr, bn), spec,
                                     training.TrainConfig(epochs=cfg.epochs, batch_size=min(cfg.batch_size, len(ds.x_train)),
                                                          lr=lr, seed=cfg.seed)) for lr in cfg.lrs]

        def measure(models: list[nn.Module], epoch: int, bn: bool = bn) -> None:
            for lr, model in zip(cfg.lrs, models):
                q = _bands(model, probe)
                for layer, qs in enumerate(q, start=1):
                    rows.append({"variant": variant_name(lr, bn), "lr": lr, "batch norm": bn, "layer": layer,
                                 "epoch": epoch, **dict(zip(BANDS, qs))})

        measure([build_mlp(spec, generator(cfg.seed)) for _ in cfg.lrs], 0)

        def each_epoch(fraction: float, snap: training.Snapshot, half: int = half) -> None:
            measure(snap.modules(), snap.epoch)
            if on_progress is not None:
                on_progress((half + fraction) / 2, snap)

        fits.append(training.fit_many(variants, ds, pick_device(), each_epoch, progress_every=1))
    acc = {**fits[0].final("accuracy"), **fits[1].final("accuracy")}
    messages = {**fits[0].messages, **fits[1].messages}
    accuracy = {(lr, bn): (0.0 if variant_name(lr, bn) in messages else acc[variant_name(lr, bn)])
                for bn in (False, True) for lr in cfg.lrs}
    table = pd.DataFrame([{"learning rate": f"{lr:g}", "batch norm": "with" if bn else "without",
                           "final validation accuracy": accuracy[(lr, bn)],
                           "what happened": "diverged" if variant_name(lr, bn) in messages else "trained"}
                          for lr in cfg.lrs for bn in (False, True)])
    mode_lr = max(cfg.lrs, key=lambda lr: accuracy[(lr, True)])
    model = build_mlp(cfg.spec(ds.n_features, n_out, True))
    model.load_state_dict({k: torch.as_tensor(v) for k, v in fits[1].states[variant_name(mode_lr, True)].items()})
    modes, mode_accuracy, change = _modes(model, ds)
    diverged = tuple((lr, bn) for bn in (False, True) for lr in cfg.lrs if variant_name(lr, bn) in messages)
    return GridResult(pd.concat([f.history for f in fits], ignore_index=True), table, accuracy, diverged,
                      pd.DataFrame(rows), modes, mode_accuracy, mode_lr, change)


def _probabilities(out: torch.Tensor) -> torch.Tensor:
    """(N, C) class probabilities from logits; one output (a binary set) becomes two columns."""
    if out.shape[1] == 1:
        p = torch.sigmoid(out)
        return torch.cat([1 - p, p], dim=1)
    return torch.softmax(out, dim=1)


def _modes(model: nn.Module, ds: data.Dataset) -> tuple[pd.DataFrame, dict[str, float], float]:
    """Batch norm's two modes on a trained net: this batch's statistics (train) vs the running ones (eval)."""
    bn = next(m for m in model if isinstance(m, nn.BatchNorm1d))
    seen: list[torch.Tensor] = []
    handle = bn.register_forward_hook(lambda _m, inp, _out: seen.append(inp[0].detach()))
    try:
        with torch.no_grad():
            model.train()(ds.x_val[:PROBE_ROWS])  # a copy: its running statistics may move
    finally:
        handle.remove()
    x = seen[0][:, :MODE_UNITS]  # (N, units): what the first batch-norm layer normalizes
    running_mean = bn.running_mean[:MODE_UNITS].clone()  # type: ignore[index]
    table = pd.DataFrame({"unit": np.arange(1, MODE_UNITS + 1), "batch mean (train mode)": x.mean(0).numpy(),
                          "running mean (eval mode)": running_mean.numpy(),
                          "batch std (train mode)": x.std(0, unbiased=False).numpy(),
                          "running std (eval mode)": bn.running_var[:MODE_UNITS].sqrt().numpy()})  # type: ignore[index]
    y = ds.y_val
    with torch.no_grad():
        state = {k: v.clone() for k, v in model.state_dict().items()}
        p_eval = _probabilities(model.eval()(ds.x_val))
        p_whole = _probabilities(model.train()(ds.x_val))
        model.load_state_dict(state)
        p_small = torch.cat([_probabilities(model.train()(xb)) for xb in ds.x_val.split(4) if len(xb) > 1])
        model.load_state_dict(state)
    n_small = len(p_small)
    acc = {"eval mode (running statistics)": float((p_eval.argmax(1) == y).float().mean()),
           "train mode, the validation set as one batch": float((p_whole.argmax(1) == y).float().mean()),
           "train mode, batches of 4": float((p_small.argmax(1) == y[:n_small]).float().mean())}
    return table, acc, float((p_whole[:n_small] - p_small).abs().max())


def drift(bands: pd.DataFrame, lr: float, layer: int) -> dict[bool, tuple[float, float]]:
    """Per batch norm off/on: how far the median of a layer's activation inputs moved over training
    (max - min over epochs) and the 5-95% band's final width over its width at initialization."""
    out = {}
    for bn in (False, True):
        b = bands[(bands.lr == lr) & (bands.layer == layer) & (bands["batch norm"] == bn)].sort_values("epoch")
        width = (b.q95 - b.q05).to_numpy()
        out[bn] = (float(b.q50.max() - b.q50.min()), float(width[-1] / width[0]) if width[0] > 0 else float("nan"))
    return out

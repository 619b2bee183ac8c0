"""Internal covariate shift (slide 54) and batch normalization (slide 55): one grid of runs, with and without it.

`batch_norm_grid` trains the same deep MLP at several learning rates, without batch norm (one
batched pass through the hand-written engine) and with it (autograd), and every epoch measures,
on a probe batch, the distribution (quantile bands) of each hidden layer's input twice: the
Linear layer's output before batch norm, and the activation's input after it (without batch norm
the two are the same). The normalization itself pins every batch to mean 0 and std 1 (ẑ), but the panel
"after the norm" is the BatchNorm module's output y = γ ẑ + β: only the learned γ and β can move it, and
they can (ShiftFacts.post_bn_still says whether they did). So only the pre-norm input can show whether batch
norm reduced the shift.

"Internal covariate shift" is the hypothesis batch norm was proposed with (Ioffe & Szegedy,
2015: normalizing each layer's inputs keeps them from drifting while earlier layers learn).
Santurkar, Tsipras, Ilyas & Madry (2018, "How Does Batch Normalization Help Optimization?",
NeurIPS) found that this distributional stability has little to do with batch norm's success;
instead it makes the loss landscape significantly smoother, so gradients are more predictive
and larger steps stay stable. The page states the first as the slide's hypothesis and the second
as the later evidence; the facts here only say what this run measured.

`modes` then puts numbers on batch norm's train mode (this batch's mean and variance) against
its eval mode (the running averages kept during training).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from core import activations, data, training
from core.device import generator, pick_device
from core.gradients import PROBE_ROWS, check_shape, dataset_of, recording
from core.models import INITS, MLPSpec, build_mlp
from core.progress import Progress

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
BANDS = ("q05", "q25", "q50", "q75", "q95")
MODE_UNITS = 6  # units of the first batch-norm layer the train/eval table lists


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
    code_version: int = 3  # 2: bands before and after the norm, facts; 3: post_bn_still

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


PLAIN, BEFORE, AFTER = "without batch norm", "with batch norm: before the norm", "with batch norm: after the norm"
STILL_DRIFT = 0.05  # "after the norm the band barely moves": its median drifts less than this (in initial widths)
STILL_WIDEN = 0.1  # ... and its final width is within 10% of its initial width
MODE_GAP = 0.05  # train mode in batches of 4 is "worse" when its accuracy is lower than eval mode's by more than this
GRID_WIN = 0.2  # batch norm "wins" at a learning rate when its final validation accuracy is higher by more than this


@dataclass(frozen=True)
class ShiftFacts:
    """How one hidden layer's input distribution moved over training at one learning rate (section 4).

    drift: the largest distance of the median from where it started, in units of the 5-95% band's width at
    initialization (scale-free: batch norm undoes any scale of its input); widen: the band's final width over
    its width at initialization. `plain`: the net without batch norm (its layer input is the Linear output);
    `pre_bn`: the batch-norm net's Linear output before the norm; `post_bn`: after the norm (the activation input),
    i.e. after γ and β: the normalization fixes ẑ's mean and std per batch, γ and β are learned and can move y.
    """

    shift_lr: float
    shift_layer: int
    plain_diverged: bool  # the plain net's loss blew up at this learning rate: its bands stop where it did
    drift_plain: float
    drift_pre_bn: float
    drift_post_bn: float
    widen_plain: float
    widen_pre_bn: float
    widen_post_bn: float
    pre_bn_drifts_less: bool  # the plain net did not blow up and drift_pre_bn < drift_plain
    post_bn_still: bool  # after the norm the band barely moved: drift < STILL_DRIFT and |widen - 1| < STILL_WIDEN


@dataclass(frozen=True)
class GridFacts:
    """Batch norm's effect on the final validation accuracy across the grid's learning rates (section 5)."""

    grid_depth: int
    grid_activation: str  # label
    bn_wins: bool  # at some learning rate batch norm beats the plain net by more than GRID_WIN
    win_lr: float  # the largest such learning rate (nan when none)
    win_acc_bn: float
    win_acc_plain: float
    win_plain_diverged: bool  # the plain net's loss blew up at win_lr


@dataclass(frozen=True)
class ModeFacts:
    """Batch norm's train mode against its eval mode on the trained batch-norm net (section 5)."""

    mode_lr: float
    acc_eval: float  # eval mode: the running statistics
    acc_whole_batch: float  # train mode, the validation set as one batch
    acc_batches_of_4: float  # train mode, batches of 4
    largest_change: float  # largest change of a class probability when an example's batch changes
    train_mode_worse: bool  # acc_batches_of_4 < acc_eval - MODE_GAP


@dataclass
class GridResult:
    history: pd.DataFrame  # variant, epoch, split, metric, value
    table: pd.DataFrame  # learning rate, batch norm, final validation accuracy, what happened
    accuracy: dict[tuple[float, bool], float]  # (lr, batch norm) -> final validation accuracy (0 if it diverged)
    diverged: tuple[tuple[float, bool], ...]  # the (lr, batch norm) runs whose loss blew up
    bands: pd.DataFrame  # panel, lr, batch norm, layer, epoch, q05, q25, q50, q75, q95 of a hidden layer's input
    modes: pd.DataFrame  # unit, batch mean, running mean, batch std, running std (first batch-norm layer)
    mode_accuracy: dict[str, float]  # "eval mode", "train mode, whole set as one batch", "train mode, batches of 4"
    shift: dict[tuple[float, int], ShiftFacts]  # (lr, layer) -> how that layer's input moved
    facts: GridFacts
    mode_facts: ModeFacts

    def bands_of(self, lr: float, layer: int) -> pd.DataFrame:
        """The quantile bands of one layer's input at one learning rate: one panel per PLAIN, BEFORE, AFTER."""
        return self.bands[(self.bands.lr == lr) & (self.bands.layer == layer)]


def _quantiles(z: torch.Tensor) -> np.ndarray:
    """(depth, 5) quantiles of each layer's values; z (depth, N * width)."""
    return torch.quantile(z, torch.tensor(QUANTILES), dim=1).T.numpy()


def layer_inputs(model: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Each hidden layer's input on the rows x, in train mode (what training sees), both (depth, N * width):
    the Linear layer's output before any batch norm, and the activation's input after it. One forward pass;
    the model's mode is restored (its running statistics move: measure a copy)."""
    was_training = model.training
    model.train()
    with torch.no_grad(), recording(model, lambda m: isinstance(m, nn.Linear)) as lin, recording(model) as act:
        model(x)
    model.train(was_training)
    pre = torch.stack([out.flatten() for _, out in lin[:-1]])  # the output layer has no activation after it
    return pre, torch.stack([z.flatten() for z, _ in act])


def _moved(b: pd.DataFrame) -> tuple[float, float]:
    """(drift, widen) of one panel's bands, rows sorted by epoch: see ShiftFacts."""
    width = (b.q95 - b.q05).to_numpy()
    median = b.q50.to_numpy()
    if not width[0] > 0:
        return float("nan"), float("nan")
    return float(np.abs(median - median[0]).max() / width[0]), float(width[-1] / width[0])


def shift_facts(bands: pd.DataFrame, lr: float, layer: int, plain_diverged: bool) -> ShiftFacts:
    """How the input of `layer` moved at `lr`, per panel (see ShiftFacts)."""
    b = bands[(bands.lr == lr) & (bands.layer == layer)].sort_values("epoch")
    (dp, wp), (db, wb), (da, wa) = (_moved(b[b.panel == panel]) for panel in (PLAIN, BEFORE, AFTER))
    return ShiftFacts(lr, layer, plain_diverged, dp, db, da, wp, wb, wa, bool(not plain_diverged and db < dp),
                      bool(da < STILL_DRIFT and abs(wa - 1) < STILL_WIDEN))


def grid_facts(cfg: BatchNormGrid, accuracy: dict[tuple[float, bool], float],
               diverged: tuple[tuple[float, bool], ...]) -> GridFacts:
    wins = [lr for lr in cfg.lrs if accuracy[(lr, True)] > accuracy[(lr, False)] + GRID_WIN]
    label = activations.LABELS.get(cfg.activation, cfg.activation)
    if not wins:
        return GridFacts(cfg.depth, label, False, float("nan"), float("nan"), float("nan"), False)
    lr = max(wins)
    return GridFacts(cfg.depth, label, True, lr, accuracy[(lr, True)], accuracy[(lr, False)], (lr, False) in diverged)


def batch_norm_grid(cfg: BatchNormGrid, on_progress: Progress[GridResult] | None = None) -> GridResult:
    ds = dataset_of(cfg.dataset, cfg.seed)
    n_out = ds.n_classes if ds.n_classes > 2 else 1
    probe = ds.x_train[:PROBE_ROWS]
    rows: list[dict[str, object]] = []
    fits: list[training.FitResult] = []
    for half, bn in enumerate((False, True)):  # plain: K learning rates in one batched pass; batch norm: autograd
        spec = cfg.spec(ds.n_features, n_out, bn)
        batch = min(cfg.batch_size, len(ds.x_train))
        variants = [training.Variant(variant_name(lr, bn), spec,
                                     training.TrainConfig(epochs=cfg.epochs, batch_size=batch, lr=lr, seed=cfg.seed))
                    for lr in cfg.lrs]

        def measure(models: list[nn.Module], epoch: int, bn: bool = bn) -> None:
            for lr, model in zip(cfg.lrs, models):
                pre, post = layer_inputs(model, probe)
                panels = ((BEFORE, pre), (AFTER, post)) if bn else ((PLAIN, pre),)
                for panel, z in panels:
                    for layer, qs in enumerate(_quantiles(z), start=1):
                        rows.append({"panel": panel, "lr": lr, "batch norm": bn, "layer": layer, "epoch": epoch,
                                     **dict(zip(BANDS, qs))})

        measure([build_mlp(spec, generator(cfg.seed)) for _ in cfg.lrs], 0)

        report = training.relay(on_progress, lambda snap: training.partial(
            GridResult, history=pd.concat([*(f.history for f in fits), snap.history], ignore_index=True)),
            half / 2, (half + 1) / 2)

        def each_epoch(fraction: float, snap: training.Snapshot, report=report, measure=measure) -> None:
            measure(snap.modules(), snap.epoch)
            if report is not None:
                report(fraction, snap)

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
    bands = pd.DataFrame(rows)
    shift = {(lr, layer): shift_facts(bands, lr, layer, (lr, False) in diverged)
             for lr in cfg.lrs for layer in range(1, cfg.depth + 1)}
    acc_eval, acc_whole, acc_small = mode_accuracy.values()
    mode_facts = ModeFacts(mode_lr, acc_eval, acc_whole, acc_small, change, acc_small < acc_eval - MODE_GAP)
    return GridResult(pd.concat([f.history for f in fits], ignore_index=True), table, accuracy, diverged, bands,
                      modes, mode_accuracy, shift, grid_facts(cfg, accuracy, diverged), mode_facts)


def _probabilities(out: torch.Tensor) -> torch.Tensor:
    """(N, C) class probabilities from logits; one output (a binary set) becomes two columns."""
    if out.shape[1] == 1:
        p = torch.sigmoid(out)
        return torch.cat([1 - p, p], dim=1)
    return torch.softmax(out, dim=1)


def _modes(model: nn.Sequential, ds: data.Dataset) -> tuple[pd.DataFrame, dict[str, float], float]:
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

"""Regularization (slides 56-61): an overfitting baseline and each remedy measured on it, all through the one trainer.

- `baseline_data(n_train)`: the 8x8 digits with only a few training images (pixels / 16): a big MLP overfits.
- `remedies(Remedies(...))`: the baseline and L2 / weight decay, early stopping, dropout, an ensemble of K
  networks (one batched pass) and data augmentation, plus a combination, each trained on that baseline;
  a leaderboard, the curves, the weight histograms with and without L2, and dropout's train vs eval behaviour.
- `augmentation_effect(AugEffect(...))`: the same network with and without augmented digits, curves compared.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import numpy as np
import pandas as pd
import torch
from torch import nn

from core import augment, data, training
from core.models import MLPSpec, build_mlp
from core.training import FitResult, Snapshot, TrainConfig, Variant

COMBINABLE = ("L2", "early stopping", "dropout", "augmentation")
BASELINE = "no remedy (baseline)"
Progress = Callable[[float, object], None]


def baseline_data(n_train: int, seed: int = 0) -> data.Dataset:
    """Digits scaled to [0, 1], the first n_train of the (shuffled, seeded) training split; the whole validation split."""
    ds = data.load(data.DataConfig("digits", seed=seed))
    if not 20 <= n_train <= len(ds.x_train):
        raise ValueError(f"Use between 20 and {len(ds.x_train)} training images.")
    return replace(ds, x_train=ds.x_train[:n_train] / 16, y_train=ds.y_train[:n_train], x_val=ds.x_val / 16)


def augmented(ds: data.Dataset, copies: int, max_shift: float, max_degrees: float, seed: int) -> data.Dataset:
    """The training set plus `copies` shifted/rotated copies of it (the trainer takes one fixed training set)."""
    extra = augment.augment_digits(ds.x_train, copies, max_shift, max_degrees, seed)
    return replace(ds, x_train=torch.cat([ds.x_train, extra]), y_train=ds.y_train.repeat(copies + 1))


@dataclass(frozen=True)
class Remedies:
    """The overfitting baseline and the knobs of each remedy; `combo` names the remedies trained together."""

    n_train: int = 100
    width: int = 64
    epochs: int = 60
    lr: float = 0.1
    weight_decay: float = 0.01
    patience: int = 10
    dropout: float = 0.3
    ensemble: int = 4
    copies: int = 3  # augmented copies of each training image
    combo: tuple[str, ...] = ("L2", "early stopping")
    seed: int = 0
    code_version: int = 2  # 2: shorter dropout mode names

    def __post_init__(self) -> None:
        if not 0 < self.weight_decay <= 0.1:
            raise ValueError("The weight decay must be above 0 and at most 0.1.")
        if not 1 <= self.patience < self.epochs:
            raise ValueError("The patience must be at least 1 epoch and below the number of epochs.")
        if not 0 < self.dropout < 1:
            raise ValueError("The dropout rate must be above 0 and below 1.")
        if not 2 <= self.ensemble <= 10:
            raise ValueError("An ensemble has between 2 and 10 networks.")
        if not 1 <= self.copies <= 10:
            raise ValueError("Make between 1 and 10 augmented copies of each training image.")
        if not 8 <= self.width <= 512:
            raise ValueError("Each hidden layer needs between 8 and 512 units.")
        unknown = set(self.combo) - set(COMBINABLE)
        if unknown:
            raise ValueError(f"Only {', '.join(COMBINABLE)} can be combined (not {', '.join(sorted(unknown))}).")

    def spec(self, dropout: float = 0.0) -> MLPSpec:
        return MLPSpec(64, (self.width, self.width), 10, "relu", dropout=dropout)

    def train(self, **changes: object) -> TrainConfig:
        settings: dict[str, object] = {"epochs": self.epochs, "batch_size": 50, "lr": self.lr, "optimizer": "sgd",
                                       "momentum": 0.9, "seed": self.seed, **changes}
        return TrainConfig(**settings)  # type: ignore[arg-type]


@dataclass
class RemediesResult:
    history: pd.DataFrame  # variant, epoch, split, metric, value (ensemble members left out, the ensemble in)
    board: pd.DataFrame  # remedy, validation / train accuracy, accuracy gap, loss gap, epochs trained, parameters
    stops: pd.DataFrame  # variant, epoch, event ("best validation loss: weights kept" / "stopped")
    members: pd.DataFrame  # network, validation accuracy (the K members and the ensemble)
    weights: pd.DataFrame  # variant, weight (bin centre), count: histograms of every weight, shared bins
    norms: dict[str, float]  # variant -> L2 norm of all weights (biases left out)
    dropout: pd.DataFrame  # mode, pass, validation accuracy, share of hidden units zeroed
    messages: dict[str, str]
    n_train: int


def weight_vector(states: dict[str, np.ndarray]) -> np.ndarray:
    """Every weight of a network in one vector (biases left out: weight decay is about the weights)."""
    return np.concatenate([v.ravel() for k, v in states.items() if k.endswith("weight")])


def dropout_passes(spec: MLPSpec, state: dict[str, np.ndarray], x: torch.Tensor, y: torch.Tensor,
                   passes: int = 3, seed: int = 0) -> pd.DataFrame:
    """The trained network run `passes` times in train mode (dropout on) and in eval mode (dropout off)."""
    model = build_mlp(spec)
    model.load_state_dict({k: torch.as_tensor(v) for k, v in state.items()})
    zeroed: list[float] = []

    def count(module: nn.Module, inputs: tuple[torch.Tensor], output: torch.Tensor) -> None:
        alive = inputs[0] != 0  # units the ReLU left on: how many of those did dropout switch off?
        zeroed.append(float(((output == 0) & alive).sum() / alive.sum().clamp(min=1)))

    hooks = [m.register_forward_hook(count) for m in model if isinstance(m, nn.Dropout)]
    torch.manual_seed(seed)
    rows = []
    with torch.no_grad():
        for mode in ("train", "eval"):
            model.train(mode == "train")
            for p in range(1, passes + 1):
                zeroed.clear()
                acc = float((model(x).argmax(1) == y).float().mean())
                rows.append({"mode": f"{mode} (dropout {'on' if mode == 'train' else 'off'})", "pass": p,
                             "validation accuracy": acc, "share of active units zeroed": float(np.mean(zeroed))})
    for h in hooks:
        h.remove()
    return pd.DataFrame(rows)


def _histograms(vectors: dict[str, np.ndarray], bins: int = 40) -> pd.DataFrame:
    edges = np.histogram_bin_edges(np.concatenate(list(vectors.values())), bins=bins)
    centres = (edges[:-1] + edges[1:]) / 2
    return pd.concat([pd.DataFrame({"variant": name, "weight": centres, "count": np.histogram(v, edges)[0]})
                      for name, v in vectors.items()], ignore_index=True)


def _row(remedy: str, fit: FitResult, variant: str, params: int) -> dict[str, object]:
    val, train = fit.final("accuracy", "validation")[variant], fit.final("accuracy", "train")[variant]
    loss_gap = fit.final("loss", "validation")[variant] - fit.final("loss", "train")[variant]
    return {"remedy": remedy, "validation accuracy": val, "train accuracy": train, "accuracy gap": train - val,
            "loss gap (validation − train)": loss_gap, "epochs trained": fit.last_epoch[variant], "parameters": params}


def remedies(cfg: Remedies, on_progress: Progress | None = None) -> RemediesResult:
    ds = baseline_data(cfg.n_train, cfg.seed)
    aug = augmented(ds, cfg.copies, 1.0, 10.0, cfg.seed)
    members = [BASELINE] + [f"member {i + 1}" for i in range(1, cfg.ensemble)]  # member 1 is the baseline itself
    ens_name = f"ensemble of {cfg.ensemble}"
    ens_rows: list[np.ndarray] = []  # per epoch: ensemble (train, validation) accuracy, then loss, of averaged probabilities

    def track(fraction: float, snap: Snapshot) -> None:
        accs, losses = [], []
        for x, y in ((ds.x_train, ds.y_train), (ds.x_val, ds.y_val)):
            p = snap.predict(x)[[0, *range(2, cfg.ensemble + 1)]].mean(0).cpu()  # (N, 10): members' probabilities averaged
            accs.append(float((p.argmax(1) == y).float().mean()))
            losses.append(float(-p[torch.arange(len(y)), y].clamp(min=1e-12).log().mean()))  # cross-entropy
        ens_rows.append(np.array([snap.epoch, *accs, *losses]))
        if on_progress:
            on_progress(0.5 * fraction, None)

    # One batched (full-batch) pass: the baseline, L2 and the other K - 1 ensemble members differ only in weight decay
    # and seed.
    batch = [Variant(BASELINE, cfg.spec(), cfg.train()), Variant("L2 / weight decay", cfg.spec(),
                                                                 cfg.train(weight_decay=cfg.weight_decay))]
    batch += [Variant(m, cfg.spec(), cfg.train(seed=cfg.seed + i)) for i, m in enumerate(members) if i]
    # The ensemble's curve is measured every 3rd epoch (and at the last): each report costs the trainer a history table.
    main = training.fit_many(batch, ds, on_progress=track, progress_every=3)
    stop = training.fit(cfg.spec(), ds, cfg.train(patience=cfg.patience), name="early stopping")
    drop = training.fit(cfg.spec(cfg.dropout), ds, cfg.train(), name="dropout")
    augm = training.fit(cfg.spec(), aug, cfg.train(), name="augmentation")
    if on_progress:
        on_progress(0.8, None)
    combo_name = "combination: " + (" + ".join(cfg.combo) if cfg.combo else "none ticked")
    combo = training.fit(cfg.spec(cfg.dropout if "dropout" in cfg.combo else 0.0),
                         aug if "augmentation" in cfg.combo else ds,
                         cfg.train(weight_decay=cfg.weight_decay if "L2" in cfg.combo else 0.0,
                                   patience=cfg.patience if "early stopping" in cfg.combo else None),
                         name=combo_name) if cfg.combo else None
    fits = [f for f in (stop, drop, augm, combo) if f is not None]

    ens = np.array(ens_rows)
    ens_history = pd.DataFrame({"variant": ens_name, "epoch": np.repeat(ens[:, 0].astype(int), 4),
                                "split": ["train", "validation"] * 2 * len(ens),
                                "metric": ["accuracy", "accuracy", "loss", "loss"] * len(ens), "value": ens[:, 1:].ravel()})
    main_hist = main.history[~main.history.variant.isin(members[1:])]
    history = pd.concat([main_hist, ens_history, *(f.history for f in fits)], ignore_index=True)

    n = cfg.spec().n_params
    board = [_row(BASELINE, main, BASELINE, n), _row("L2 / weight decay", main, "L2 / weight decay", n),
             _row("early stopping", stop, "early stopping", n), _row("dropout", drop, "dropout", n),
             {"remedy": ens_name, "validation accuracy": ens[-1, 2], "train accuracy": ens[-1, 1],
              "accuracy gap": ens[-1, 1] - ens[-1, 2], "loss gap (validation − train)": ens[-1, 4] - ens[-1, 3], "epochs trained": cfg.epochs,
              "parameters": n * cfg.ensemble},
             _row(f"augmentation ({cfg.copies} copies)", augm, "augmentation", n)]
    if combo is not None:
        board.append(_row(combo_name, combo, combo_name, n))
    member_acc = main.final("accuracy", "validation")
    member_table = pd.DataFrame({"network": ["member 1 (the baseline)", *members[1:], f"{ens_name} (mean of probabilities)"],
                                 "validation accuracy": [*(member_acc[m] for m in members), ens[-1, 2]]})
    stops = pd.DataFrame([{"variant": f.history.variant.iloc[0], "epoch": e, "event": event}
                          for f in (stop, combo) if f is not None and f.history.variant.iloc[0] in f.messages
                          for e, event in ((next(iter(f.best_epoch.values())), "best validation loss: weights kept"),
                                           (next(iter(f.last_epoch.values())), "stopped"))],
                         columns=["variant", "epoch", "event"])
    vectors = {name: weight_vector(main.states[name]) for name in (BASELINE, "L2 / weight decay")}
    messages = {k: v for f in (main, *fits) for k, v in f.messages.items()}
    return RemediesResult(
        history=history, board=pd.DataFrame(board), stops=stops, members=member_table,
        weights=_histograms(vectors), norms={k: float(np.linalg.norm(v)) for k, v in vectors.items()},
        dropout=dropout_passes(cfg.spec(cfg.dropout), drop.states["dropout"], ds.x_val, ds.y_val, seed=cfg.seed),
        messages=messages, n_train=cfg.n_train,
    )


@dataclass(frozen=True)
class AugEffect:
    """The same network trained on n_train digits, and on those plus `copies` shifted/rotated copies of each."""

    n_train: int = 100
    copies: int = 4
    max_shift: float = 1.0  # pixels
    max_degrees: float = 10.0
    epochs: int = 30
    seed: int = 0
    code_version: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.copies <= 10:
            raise ValueError("Make between 1 and 10 augmented copies of each training image.")
        if not 0 <= self.max_shift <= 2 or not 0 <= self.max_degrees <= 45:
            raise ValueError("Shift up to 2 pixels and rotate up to 45 degrees.")
        if not 5 <= self.epochs <= 200:
            raise ValueError("Train for between 5 and 200 epochs.")


@dataclass
class AugEffectResult:
    history: pd.DataFrame  # variant, epoch, split, metric, value
    examples: np.ndarray  # (rows, 8 * cols) one digit and its augmented copies side by side, values in [0, 1]
    table: pd.DataFrame  # variant, training images, best validation accuracy, final validation accuracy


def augmentation_effect(cfg: AugEffect, on_progress: Progress | None = None) -> AugEffectResult:
    ds = baseline_data(cfg.n_train, cfg.seed)
    aug = augmented(ds, cfg.copies, cfg.max_shift, cfg.max_degrees, cfg.seed)
    spec = MLPSpec(64, (64, 64), 10, "relu")
    train = TrainConfig(epochs=cfg.epochs, batch_size=50, lr=0.1, optimizer="sgd", momentum=0.9, seed=cfg.seed)
    names = ("without augmentation", f"with augmentation ({cfg.copies} copies)")
    fits = [training.fit(spec, d, train, name=name) for d, name in zip((ds, aug), names)]
    history = pd.concat([f.history for f in fits], ignore_index=True)
    rows = []
    for f, name, d in zip(fits, names, (ds, aug)):
        val = f.history[(f.history.split == "validation") & (f.history.metric == "accuracy")].value
        rows.append({"variant": name, "training images": len(d.x_train), "best validation accuracy": val.max(),
                     "final validation accuracy": val.iloc[-1]})
    n = len(ds.x_train)
    picks = [aug.x_train[[i + k * n for k in range(cfg.copies + 1)]].reshape(-1, 8, 8) for i in range(4)]
    examples = np.concatenate([np.concatenate(list(p.numpy()), axis=1) for p in picks], axis=0)
    return AugEffectResult(history, examples.clip(0, 1), pd.DataFrame(rows))

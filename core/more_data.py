"""More data (slide 12): validation accuracy against the number of training digits, linear model vs MLP vs CNN.

`learning_curves(MoreData(...))` trains logistic regression (one linear layer, 64 -> 10), an MLP and the zoo's
small CNN (`core.zoo.cnn.DigitCNN`, the MLP matched to its number of weights) on nested, class-balanced subsets of
the digits' training split, every network through the one trainer (`core.training.fit_many`) with the same number of
weight updates at every size, and measures each on the same held-out validation digits. The slide's sketch says
classic machine learning levels off while deep learning keeps improving; `MoreDataFacts` holds what the numbers show
on these small 8x8 images instead, so that the page says that.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import torch

from core import data, progress
from core.device import generator
from core.models import MLPSpec, build_mlp
from core.progress import Progress
from core.training import FitResult, TrainConfig, Variant, fit_many, partial
from core.zoo import cnn

LINEAR, MLP, CNN = "logistic regression", "MLP", "CNN"
MODELS = (LINEAR, MLP, CNN)  # the legend's order: no hidden layer, one hidden layer, convolutions
SIZES = (50, 100, 200, 400, 800, 1258)  # about doubling each time; 1,258 is the whole training split
TRAIN_DIGITS = 1258  # len(data.scaled_digits(seed).x_train) for every seed: 70% of each digit's images
VALIDATION_DIGITS = 539  # the other 30%, the same held-out digits for every size
MIN_SIZE = 20  # two images of each digit
MAX_STEPS = 2000
TOKEN = 10  # validation digits the trainer measures after every epoch (the held-out ones: once, at the end)


@dataclass(frozen=True)
class MoreData:
    """Training-set sizes and the training every model gets at each of them (same updates, batch size, Adam)."""

    sizes: tuple[int, ...] = SIZES
    steps: int = 300  # weight updates per model at every size: more data, not more training
    batch_size: int = 25  # images per update (a set smaller than that: the whole set)
    lr: float = 0.01  # Adam, for all three models
    seed: int = 0  # the train / validation split, the subsets, the initial weights and the shuffling
    code_version: int = 2  # bump when results change; it is part of the cache key. 2: the spread in digits

    def __post_init__(self) -> None:
        if len(self.sizes) < 2 or list(self.sizes) != sorted(set(self.sizes)):
            raise ValueError("Give at least two training-set sizes, each larger than the one before.")
        if self.sizes[0] < MIN_SIZE or self.sizes[-1] > TRAIN_DIGITS:
            raise ValueError(f"Each training-set size must be between {MIN_SIZE} and the {TRAIN_DIGITS:,} "
                             "training digits.")
        if not 10 <= self.steps <= MAX_STEPS:
            raise ValueError(f"Give each model between 10 and {MAX_STEPS:,} weight updates.")
        if not 1 <= self.batch_size <= 256:
            raise ValueError("The batch size must be between 1 and 256 images.")
        if not 1e-4 <= self.lr <= 0.1:
            raise ValueError("The learning rate must be between 0.0001 and 0.1 (Adam).")
        if not 0 <= self.seed < 2**31:
            raise ValueError("The seed must be a whole number between 0 and 2,147,483,647.")

    def train(self, size: int) -> TrainConfig:
        """The same `steps` updates at every size: as many epochs as that takes (rounded, at least one)."""
        batch = min(self.batch_size, size)
        epochs = max(1, round(self.steps / math.ceil(size / batch)))
        return TrainConfig(epochs=epochs, batch_size=batch, lr=self.lr, optimizer="adam", seed=self.seed)


@dataclass(frozen=True)
class MoreDataFacts:
    """What the notice says: each model's accuracy at the smallest and largest size, and how the curves compare."""

    smallest: int
    largest: int
    middle: int  # the size halfway along the (log) axis: sizes[len // 2]
    start: dict[str, float]  # model -> validation accuracy with the fewest digits
    end: dict[str, float]  # model -> with the most
    gain: dict[str, float]  # end - start
    early_share: dict[str, float]  # model -> share of its gain already reached at `middle` digits
    worst_drop: dict[str, float]  # model -> the largest fall from one size to the next (0: it never fell)
    most_gain: str  # the model that gains the most
    worst_at_start: str
    best_at_end: str
    spread_start: float  # best - worst accuracy with the fewest digits
    spread_end: float  # ... with the most
    validation_digits: int  # the held-out digits every accuracy is measured on
    spread_end_digits: int  # spread_end in digits: round(spread_end * validation_digits)
    cnn_lead_start: float  # CNN - logistic regression, fewest digits (negative: behind)
    cnn_lead_end: float
    updates_low: int  # the fewest and most weight updates of any model and size (whole epochs: about `steps`)
    updates_high: int


@dataclass
class MoreDataResult:
    curves: pd.DataFrame  # model, training digits, validation accuracy, weight updates: one row per model x size
    facts: MoreDataFacts
    parameters: dict[str, int]  # model -> number of weights
    validation_digits: int


def nested_order(y: np.ndarray, seed: int) -> np.ndarray:
    """An order of the training rows whose every prefix holds each digit equally often (give or take one).

    Round robin: each digit's rows are shuffled, and the k-th row of every digit comes in round k, the digits in a
    seeded random order within the round. So the first n rows hold n // 10 or one more of each digit (while every
    digit has rows left), and every smaller subset lies inside every larger one.
    """
    rng = np.random.default_rng(seed)
    place = np.empty(len(y))
    for digit in np.unique(y):
        rows = rng.permutation(np.flatnonzero(y == digit))
        place[rows] = np.arange(len(rows)) + rng.uniform(size=len(rows))  # round + a place within it
    return np.argsort(place, kind="stable")


def _variants(cfg: MoreData, size: int) -> list[tuple[Variant, bool]]:
    """(variant, takes images): one per model. They differ in depth or kind, so each trains in its own pass."""
    recipe = cnn.Recipe(seed=0)  # the zoo's architecture; only its filters and hidden units are used here
    train = cfg.train(size)
    return [(Variant(LINEAR, MLPSpec(64, (), 10), train), False),
            (Variant(MLP, cnn.matched_mlp(recipe), train), False),
            (Variant(CNN, lambda g: cnn.build(recipe, g), train), True)]


def _accuracy(variant: Variant, fit: FitResult, x: torch.Tensor, y: torch.Tensor) -> float:
    """The share of (x, y) the trained variant classifies right (its final weights, in evaluation mode)."""
    model = build_mlp(variant.model) if isinstance(variant.model, MLPSpec) else variant.model(generator(0))
    model.load_state_dict({k: torch.as_tensor(v) for k, v in fit.states[variant.name].items()})
    with torch.no_grad():
        return float((model.eval()(x).argmax(dim=1) == y).float().mean())


def _as_images(ds: data.Dataset) -> data.Dataset:
    shape = (-1, 1, cnn.SIDE, cnn.SIDE)  # (N, 64) -> (N, 1, 8, 8)
    return replace(ds, x_train=ds.x_train.reshape(shape), x_val=ds.x_val.reshape(shape))


def learning_curves(cfg: MoreData, on_progress: Progress[MoreDataResult] | None = None) -> MoreDataResult:
    """Each model trained on the first n digits of one class-balanced order, for every n in cfg.sizes."""
    ds = data.scaled_digits(cfg.seed)
    order = torch.as_tensor(nested_order(ds.y_train.numpy(), cfg.seed))
    rows: list[dict[str, object]] = []
    parameters: dict[str, int] = {}
    for i, size in enumerate(cfg.sizes):
        subset = replace(ds, x_train=ds.x_train[order[:size]], y_train=ds.y_train[order[:size]])
        for variant, images in _variants(cfg, size):
            shaped = _as_images(subset) if images else subset
            # The trainer measures its validation set after every epoch: with 2 updates an epoch at 50 digits that
            # was most of the work. It trains alongside a token validation set; the held-out digits are measured once,
            # on the final weights (what fit.final would have read at the last epoch).
            fit = fit_many([variant], replace(shaped, x_val=shaped.x_val[:TOKEN], y_val=shaped.y_val[:TOKEN]))
            rows.append({"model": variant.name, "training digits": size,
                         "validation accuracy": _accuracy(variant, fit, shaped.x_val, shaped.y_val),
                         "weight updates": variant.train.epochs * fit.iterations_per_epoch})
            parameters[variant.name] = sum(w.size for w in fit.states[variant.name].values())
        progress.report(on_progress, (i + 1) / len(cfg.sizes),
                        partial(MoreDataResult, curves=pd.DataFrame(rows), parameters=dict(parameters),
                                validation_digits=len(ds.x_val)))  # facts: None until every size is measured
    curves = pd.DataFrame(rows)
    return MoreDataResult(curves, facts(curves, len(ds.x_val)), parameters, len(ds.x_val))


def facts(curves: pd.DataFrame, validation_digits: int) -> MoreDataFacts:
    """The facts of a finished `curves` table (model, training digits, validation accuracy, weight updates), its
    accuracies measured on `validation_digits` held-out digits."""
    updates = curves["weight updates"]
    table = curves.pivot(index="training digits", columns="model", values="validation accuracy")[list(MODELS)]
    sizes = list(table.index)
    middle = sizes[len(sizes) // 2]
    start, end = table.iloc[0], table.iloc[-1]
    gain = end - start
    early = (table.loc[middle] - start) / gain.where(gain > 0)
    drops = (-table.diff()).clip(lower=0).max()
    return MoreDataFacts(
        smallest=int(sizes[0]), largest=int(sizes[-1]), middle=int(middle),
        start=_floats(start), end=_floats(end), gain=_floats(gain), early_share=_floats(early.fillna(0.0)),
        worst_drop=_floats(drops),
        most_gain=str(gain.idxmax()), worst_at_start=str(start.idxmin()), best_at_end=str(end.idxmax()),
        spread_start=float(start.max() - start.min()), spread_end=float(end.max() - end.min()),
        validation_digits=validation_digits, spread_end_digits=round(float(end.max() - end.min()) * validation_digits),
        cnn_lead_start=float(start[CNN] - start[LINEAR]), cnn_lead_end=float(end[CNN] - end[LINEAR]),
        updates_low=int(updates.min()), updates_high=int(updates.max()),
    )


def _floats(series: pd.Series) -> dict[str, float]:
    return {str(k): float(v) for k, v in series.items()}

"""Neurons and layers (slides 21-27): a neuron's decision line, a layer as `X @ W + b`, active regions, wide vs deep.

- `neuron`: one hand-set neuron f(w1 x1 + w2 x2 + b) on a 2-D toy set: its output map, decision line, accuracy;
  `train_neuron` lets gradient descent find w1, w2, b instead (logistic regression, `MLPSpec(2, (), 1)`).
- `tensor_form`: the same neuron, and a layer of H of them, for all N points at once: `X @ W + b`.
- `activation_profiles`: every activation f and its derivative f', the "active region" where |f'| is not small.
- `wide_vs_deep`: universal approximation: one hidden layer of growing width vs a deep net of equal size.

Each result carries `facts`: the few plain values its page's "what to notice" sentence rests on, computed here.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from core import activations, data
from core.models import MAX_WIDTH, MLPSpec
from core.progress import Progress
from core.training import Snapshot, TrainConfig, Variant, fit, fit_many, predict, relay

WEIGHT_LIMIT = 5.0  # w1, w2 and b live in [-5, 5], the sliders' range
NEURON_ACTIVATIONS = ("sigmoid", "step")
GRID = 60  # the neuron's output map has GRID x GRID cells
MAX_LAYER_NEURONS = 8  # the tensor form writes every number of W out, so it stays small


def _check_toy(dataset: str, n_samples: int, noise: float, seed: int) -> data.DataConfig:
    data.require_2d(dataset)  # a single neuron here sees 2-D points
    return data.DataConfig(dataset, n_samples, noise, seed=seed)  # validates samples, noise and seed


# 1. One neuron (slide 21) -------------------------------------------------------------------


@dataclass(frozen=True)
class Neuron:
    """One neuron on a 2-D toy set: output = f(w1 x1 + w2 x2 + b), f the sigmoid or the perceptron's step."""

    dataset: str = "blobs"
    w1: float = 1.0
    w2: float = 0.0
    b: float = 0.5
    activation: str = "sigmoid"
    n_samples: int = 200
    noise: float = 0.2
    seed: int = 0
    code_version: int = 2  # bump when results change; it is part of the cache key (2: facts)

    def __post_init__(self) -> None:
        _check_toy(self.dataset, self.n_samples, self.noise, self.seed)
        if self.activation not in NEURON_ACTIVATIONS:
            raise ValueError(f"The neuron's activation is one of {', '.join(NEURON_ACTIVATIONS)}.")
        if not all(math.isfinite(v) and abs(v) <= WEIGHT_LIMIT for v in (self.w1, self.w2, self.b)):
            raise ValueError(f"The weights w1, w2 and the bias b must each be between {-WEIGHT_LIMIT:g} and "
                             f"{WEIGHT_LIMIT:g}.")

    @property
    def data_config(self) -> data.DataConfig:
        return data.DataConfig(self.dataset, self.n_samples, self.noise, seed=self.seed)


def fire(z: np.ndarray, activation: str) -> np.ndarray:
    """The neuron's output for its weighted sums z: sigmoid(z) in (0, 1), or the step 1[z > 0] (the perceptron)."""
    if activation == "step":
        return (z > 0).astype(float)
    return activations.get("sigmoid").f(torch.as_tensor(z, dtype=torch.float64)).numpy()


def evaluate(cfg: Neuron, x1: float, x2: float) -> tuple[float, float]:
    """(z, output) of the neuron at one point: z = w1 x1 + w2 x2 + b, output = f(z)."""
    z = cfg.w1 * x1 + cfg.w2 * x2 + cfg.b
    return z, float(fire(np.array(z), cfg.activation))


def decision_line(w1: float, w2: float, b: float, box: tuple[float, float, float, float]) -> pd.DataFrame:
    """The segment of the line w1 x1 + w2 x2 + b = 0 inside box (x1_lo, x1_hi, x2_lo, x2_hi).

    Columns x1, x2: two rows (the segment's ends on the box's edges), none when the line misses the
    box or when w1 = w2 = 0 (then z = b everywhere: no line, one class for every point).
    """
    x1_lo, x1_hi, x2_lo, x2_hi = box
    ends = []
    if w2 != 0:  # where the line crosses the left and right edges
        ends += [(x1, -(w1 * x1 + b) / w2) for x1 in (x1_lo, x1_hi)]
    if w1 != 0:  # ... and the bottom and top edges
        ends += [(-(w2 * x2 + b) / w1, x2) for x2 in (x2_lo, x2_hi)]
    eps = 1e-9 * max(1.0, x1_hi - x1_lo, x2_hi - x2_lo)
    inside = [(a, c) for a, c in ends if x1_lo - eps <= a <= x1_hi + eps and x2_lo - eps <= c <= x2_hi + eps]
    if len(inside) < 2:
        return pd.DataFrame({"x1": [], "x2": []}, dtype=float)
    # A line through a corner crosses two edges there: keep the two ends furthest apart.
    p, q = max(((p, q) for p in inside for q in inside), key=lambda pq: math.dist(*pq))
    return pd.DataFrame({"x1": [p[0], q[0]], "x2": [p[1], q[1]]})


@dataclass(frozen=True)
class NeuronFacts:
    """What the neuron's sentence says: its accuracy, and the accuracy of the same line with the sides swapped."""

    accuracy: float  # share of all points on their class's side: class 1 where z > 0
    flipped_accuracy: float  # the neuron (-w1, -w2, -b): the same line, class 1 where z < 0


@dataclass
class NeuronResult:
    """The hand-set neuron on its dataset."""

    grid: pd.DataFrame  # x1, x2, p: the neuron's output on a GRID x GRID map (the heat map)
    points: pd.DataFrame  # x1, x2, label, split, z, output, predicted: every data point
    line: pd.DataFrame  # x1, x2: the decision line's segment inside the map (0 or 2 rows)
    accuracy: float  # share of all points (train and validation) on their class's side of the line
    box: tuple[float, float, float, float]  # x1_lo, x1_hi, x2_lo, x2_hi of the map
    first_point: tuple[float, float]  # (x1, x2) of the first data point: the ringed point until a click moves it
    facts: NeuronFacts


def weighted_sum(points: pd.DataFrame, w1: float, w2: float, b: float) -> np.ndarray:
    """z = w1 x1 + w2 x2 + b for every point: (N, 2) @ (2,) + () -> (N,)."""
    return points[["x1", "x2"]].to_numpy() @ np.array([w1, w2]) + b


def neuron(cfg: Neuron) -> NeuronResult:
    """Apply the neuron to every point and to a map of the plane; cheap enough to run on every slider move."""
    ds = data.load(cfg.data_config)
    points, box = data.points_frame(ds), data.plane_box(ds)
    z = weighted_sum(points, cfg.w1, cfg.w2, cfg.b)
    points = points.assign(z=z, output=fire(z, cfg.activation), predicted=(z > 0).astype(int))
    cells = data.plane_grid(box, GRID).numpy()  # cell centres, so the map spans exactly the box
    grid = pd.DataFrame({"x1": cells[:, 0], "x2": cells[:, 1]})
    grid["p"] = fire(weighted_sum(grid, cfg.w1, cfg.w2, cfg.b), cfg.activation)
    accuracy = float((points.predicted == points.label).mean())
    flipped = float(((-z > 0).astype(int) == points.label).mean())  # points exactly on the line are class 0 both ways
    first = (float(points.x1.iloc[0]), float(points.x2.iloc[0]))
    return NeuronResult(grid, points, decision_line(cfg.w1, cfg.w2, cfg.b, box), accuracy, box, first,
                        NeuronFacts(accuracy, flipped))


@dataclass(frozen=True)
class NeuronTraining:
    """Let gradient descent find w1, w2, b: logistic regression, i.e. `MLPSpec(2, (), 1)` with the BCE loss."""

    dataset: str = "blobs"
    n_samples: int = 200
    noise: float = 0.2
    epochs: int = 300
    lr: float = 0.1
    seed: int = 0
    code_version: int = 2  # 2: facts

    def __post_init__(self) -> None:
        _check_toy(self.dataset, self.n_samples, self.noise, self.seed)
        TrainConfig(epochs=self.epochs, lr=self.lr, seed=self.seed)  # validates epochs and lr

    @property
    def data_config(self) -> data.DataConfig:
        return data.DataConfig(self.dataset, self.n_samples, self.noise, seed=self.seed)


LINE_ENOUGH = 0.95  # a straight line "fits" a dataset when gradient descent gets at least this share right


@dataclass(frozen=True)
class TrainedNeuronFacts:
    """What gradient descent reached with one neuron, and whether a straight line is enough for the data."""

    trained_accuracy: float
    line_is_enough: bool  # trained_accuracy >= LINE_ENOUGH


@dataclass
class NeuronTrainingResult:
    """The neuron gradient descent found, scored like the hand-set one."""

    w1: float
    w2: float
    b: float
    accuracy: float  # on all points, the same measure as NeuronResult.accuracy
    history: pd.DataFrame  # variant, epoch, split, metric, value (core.training's tidy history)
    facts: TrainedNeuronFacts


def _scored(points: pd.DataFrame, state: Mapping[str, Tensor | np.ndarray], history: pd.DataFrame
            ) -> NeuronTrainingResult:
    """A trained neuron from its nn.Linear(2, 1) state (weight (1, 2), bias (1,)), scored on every point."""
    w1, w2 = (float(v) for v in state["0.weight"][0])
    b = float(state["0.bias"][0])
    accuracy = float(((weighted_sum(points, w1, w2, b) > 0) == points.label).mean())
    return NeuronTrainingResult(w1, w2, b, accuracy, history, TrainedNeuronFacts(accuracy, accuracy >= LINE_ENOUGH))


def train_neuron(cfg: NeuronTraining, on_progress: Progress[NeuronTrainingResult] | None = None
                 ) -> NeuronTrainingResult:
    """Full-batch Adam on the BCE loss; a single neuron with a sigmoid output is logistic regression."""
    ds = data.load(cfg.data_config)
    points = data.points_frame(ds)
    train = TrainConfig(epochs=cfg.epochs, batch_size=None, lr=cfg.lr, optimizer="adam", seed=cfg.seed)

    report = relay(on_progress, lambda snap: _scored(points, snap.modules()[0].state_dict(), snap.history))
    result = fit(MLPSpec(2, (), 1), ds, train, on_progress=report, name="single neuron")
    return _scored(points, result.states["single neuron"], result.history)


def to_slider_range(w1: float, w2: float, b: float, limit: float = WEIGHT_LIMIT) -> tuple[float, float, float]:
    """(w1, w2, b) times one factor c in (0, 1] so that all fit in [-limit, limit], rounded to the sliders' 0.1.

    Multiplying all three by the same c > 0 keeps the line w1 x1 + w2 x2 + b = 0 and which side is
    class 1, so the accuracy stays; only the sigmoid gets softer (z shrinks by c).
    """
    c = min(1.0, limit / max(abs(w1), abs(w2), abs(b), 1e-12))
    return round(w1 * c, 1), round(w2 * c, 1), round(b * c, 1)


# Tensor form (slide 22) ---------------------------------------------------------------------------


def layer(X: Tensor, W: Tensor, b: Tensor) -> Tensor:
    """A layer of H neurons on N points at once: (N, D) @ (D, H) + (H,) -> (N, H); b is added to every row."""
    return X @ W + b


@dataclass(frozen=True)
class TensorFacts:
    """What the tensor form's sentence says: the shapes, and that neuron 1 of the layer is the hand-set neuron."""

    n_points: int  # N
    neurons: int  # H
    z_shape: tuple[int, int]  # (N, H): the shape of Z for the whole dataset
    w1: float
    w2: float
    b: float
    first_z: float  # Z[0, 0]: the hand-set neuron's z on the first point
    column1_is_neuron: bool  # Z[:, 0] equals w1 x1 + w2 x2 + b on every shown row


@dataclass
class TensorForm:
    """The first rows of `Z = X @ W + b` for a layer of H neurons; neuron 1 is the hand-set neuron."""

    X: np.ndarray  # (rows, 2)
    W: np.ndarray  # (2, H): column 1 holds (w1, w2), the other columns random weights
    b: np.ndarray  # (H,)
    Z: np.ndarray  # (rows, H)
    n: int  # N, the number of points in the whole dataset
    facts: TensorFacts


def tensor_form(cfg: Neuron, hidden: int = 1, rows: int = 5) -> TensorForm:
    """Neuron `cfg` plus hidden - 1 seeded random neurons as one layer, applied to the first `rows` points."""
    if not 1 <= hidden <= MAX_LAYER_NEURONS:
        raise ValueError(f"Show a layer of 1 to {MAX_LAYER_NEURONS} neurons, so that every number of W fits on screen.")
    if not 1 <= rows <= 10:
        raise ValueError("Show between 1 and 10 rows of X.")
    points = data.points_frame(data.load(cfg.data_config))
    X = torch.tensor(points[["x1", "x2"]].to_numpy()[:rows], dtype=torch.float64)
    g = torch.Generator().manual_seed(cfg.seed)
    W = (torch.rand(2, hidden, generator=g, dtype=torch.float64) * 4 - 2).round(decimals=1)  # (2, H), like sliders
    b = (torch.rand(hidden, generator=g, dtype=torch.float64) * 2 - 1).round(decimals=1)  # (H,)
    W[:, 0] = torch.tensor([cfg.w1, cfg.w2], dtype=torch.float64)
    b[0] = cfg.b
    Z = layer(X, W, b)
    by_hand = X[:, 0] * cfg.w1 + X[:, 1] * cfg.w2 + cfg.b  # the neuron's own weighted sum, row by row
    facts = TensorFacts(len(points), hidden, (len(points), hidden), cfg.w1, cfg.w2, cfg.b, float(Z[0, 0]),
                        bool(torch.allclose(Z[:, 0], by_hand, rtol=0, atol=1e-12)))
    return TensorForm(X.numpy(), W.numpy(), b.numpy(), Z.numpy(), len(points), facts)


# 2. Activation functions and their active region (slides 23-24) --------------------------------------

Z_RANGE = (-6.0, 6.0)  # the window the chart and the table look at
SATURATION_Z = 20.0  # "saturates on the left/right": f'(-20) or f'(20) is below SATURATION_SLOPE
SATURATION_SLOPE = 1e-3
FINE_POINTS = 12_001  # the table's grid on Z_RANGE: steps of 0.001, z = 0 included
CURVES = ("f(z)", "f'(z)")
ACTIVE_WIDTH = "active width on [-6, 6]"  # the table's column the page quotes


def is_active(slope: Tensor | np.ndarray, threshold: float) -> Tensor | np.ndarray:
    """|f'(z)| >= threshold: at or above it a unit counts as active.

    "At or above", not "above": Leaky ReLU's slope on its negative side is exactly its 0.01, and a
    threshold of 0.01 is meant to count that side in (with ">" no threshold on the slider could).
    The slope is compared with a hair of slack (1e-12) so that rounding in f' cannot drop such a tie.
    """
    if isinstance(slope, Tensor):
        return slope.abs() >= threshold - 1e-12
    return np.abs(slope) >= threshold - 1e-12


@dataclass(frozen=True)
class ActivationView:
    """Which activations to compare, and the slope at or above which a unit counts as active."""

    names: tuple[str, ...] = tuple(activations.ACTIVATIONS)
    threshold: float = 0.1
    n_points: int = 241  # per curve in the chart
    code_version: int = 3  # 2: active where |f'| >= threshold (was >), facts; 3: zero_for_negative_z

    def __post_init__(self) -> None:
        if not self.names:
            raise ValueError("Pick at least one activation function to show.")
        for name in self.names:
            activations.get(name)  # a ValueError that lists the choices
        if not 0 < self.threshold < 1:
            raise ValueError("The threshold of the active region must be between 0 and 1 (both excluded).")
        if not 11 <= self.n_points <= 2001:
            raise ValueError("Draw each curve with between 11 and 2,001 points.")


@dataclass(frozen=True)
class ActivationFacts:
    """What the activation section's sentence says, for the activations shown (labels, widest region first)."""

    threshold: float
    shown: tuple[str, ...]
    active_widths: tuple[float, ...]  # of `shown`, on Z_RANGE (12 units of z)
    widest: str
    widest_width: float
    narrowest: str
    narrowest_width: float
    saturate_both: tuple[str, ...]  # f' below SATURATION_SLOPE at z = -20 and at z = 20
    saturate_left_only: tuple[str, ...]  # only at z = -20: dead for large negative inputs (ReLU)
    never_saturate: tuple[str, ...]  # neither (Leaky ReLU)
    zero_for_negative_z: tuple[str, ...]  # f'(z) = 0 for every z < 0 on the grid (ReLU): not saturation, a cut-off
    saturate_left_gradually: tuple[str, ...]  # saturate_left_only without zero_for_negative_z (ELU, GELU)
    active_far_left: tuple[str, ...]  # still active at z = -6, the left end of the window


@dataclass
class ActivationViewResult:
    curves: pd.DataFrame  # activation, z, curve ("f(z)" | "f'(z)"), value, active (|f'(z)| >= threshold)
    table: pd.DataFrame  # one row per activation, widest active region first
    facts: ActivationFacts


ZERO_LEFT = "f'(z) = 0 for z < 0"


def active_region(name: str, threshold: float) -> dict[str, object]:
    """Numbers of one activation on Z_RANGE: its largest slope, how wide |f'| >= threshold is, where it saturates."""
    act = activations.get(name)
    z = torch.linspace(*Z_RANGE, FINE_POINTS, dtype=torch.float64)
    slope = act.grad(z).abs()
    far = act.grad(torch.tensor([-SATURATION_Z, SATURATION_Z], dtype=torch.float64)).abs()
    step = (Z_RANGE[1] - Z_RANGE[0]) / (FINE_POINTS - 1)
    active = is_active(slope, threshold)
    return {
        "activation": activations.LABELS[name],
        "max |f'(z)|": round(float(slope.max()), 3),
        ACTIVE_WIDTH: round(float(active.sum()) * step, 2),  # each active grid point stands for one step
        "saturates left": bool(far[0] < SATURATION_SLOPE),
        "saturates right": bool(far[1] < SATURATION_SLOPE),
        ZERO_LEFT: bool(slope[z < 0].max() == 0),
        "active at z = -6": bool(active[0]),
    }


def _activation_facts(table: pd.DataFrame, threshold: float) -> ActivationFacts:
    names = tuple(table.activation)
    left, right = table["saturates left"].tolist(), table["saturates right"].tolist()
    return ActivationFacts(
        threshold=threshold,
        shown=names,
        active_widths=tuple(float(w) for w in table[ACTIVE_WIDTH]),
        widest=names[0],
        widest_width=float(table[ACTIVE_WIDTH].iloc[0]),
        narrowest=names[-1],
        narrowest_width=float(table[ACTIVE_WIDTH].iloc[-1]),
        saturate_both=tuple(n for n, lo, hi in zip(names, left, right) if lo and hi),
        saturate_left_only=tuple(n for n, lo, hi in zip(names, left, right) if lo and not hi),
        never_saturate=tuple(n for n, lo, hi in zip(names, left, right) if not lo and not hi),
        zero_for_negative_z=tuple(n for n, zero in zip(names, table[ZERO_LEFT]) if zero),
        saturate_left_gradually=tuple(n for n, lo, hi, zero in zip(names, left, right, table[ZERO_LEFT])
                                      if lo and not hi and not zero),
        active_far_left=tuple(n for n, on in zip(names, table["active at z = -6"]) if on),
    )


def activation_profiles(cfg: ActivationView) -> ActivationViewResult:
    """f and f' of every chosen activation on Z_RANGE (for the chart) and their active-region numbers (the table)."""
    z = torch.linspace(*Z_RANGE, cfg.n_points, dtype=torch.float64)
    frames = []
    for name in cfg.names:
        act = activations.get(name)
        f, grad = act.f(z).numpy(), act.grad(z).numpy()
        active = is_active(grad, cfg.threshold)
        for curve, value in zip(CURVES, (f, grad)):
            frames.append(pd.DataFrame({"activation": activations.LABELS[name], "z": z.numpy(), "curve": curve,
                                        "value": value, "active": active}))
    table = pd.DataFrame([active_region(name, cfg.threshold) for name in cfg.names])
    table = table.sort_values(ACTIVE_WIDTH, ascending=False, kind="stable", ignore_index=True)
    return ActivationViewResult(pd.concat(frames, ignore_index=True), table, _activation_facts(table, cfg.threshold))


# 3. Universal approximation: wide vs deep (slides 25-27) -------------------------------------------

MAX_WIDE = 1024


def matched_width(n_params: int, depth: int) -> int:
    """Units per layer of a 1 -> h x depth -> 1 MLP whose parameter count is closest to n_params."""
    best, h = 1, 1
    while h <= MAX_WIDTH:
        count = MLPSpec(1, (h,) * depth, 1).n_params
        if abs(count - n_params) < abs(MLPSpec(1, (best,) * depth, 1).n_params - n_params):
            best = h
        if count > n_params:  # the count only grows with h
            break
        h += 1
    return best


@dataclass(frozen=True)
class WideVsDeep:
    """Fit the noisy 1-D curve with one hidden layer of each width, and with a deep net as big as the widest."""

    widths: tuple[int, ...] = (2, 8, 32, 256)
    depth: int = 3  # hidden layers of the deep net
    activation: str = "relu"
    epochs: int = 300
    lr: float = 0.01
    noise: float = 0.1
    n_samples: int = 200
    seed: int = 1  # seed 0 starts both ReLUs of the 2-unit net dead (a flat line; dying ReLUs are slide 53)
    code_version: int = 3  # 2: facts, errors; 3: matches_deep

    def __post_init__(self) -> None:
        if not 2 <= len(self.widths) <= 6 or len(set(self.widths)) != len(self.widths):
            raise ValueError("Pick between 2 and 6 different widths for the one-layer nets, to see what width does.")
        if not all(1 <= w <= MAX_WIDE for w in self.widths):
            raise ValueError(f"Each wide net needs between 1 and {MAX_WIDE:,} hidden units.")
        if not 2 <= self.depth <= 8:
            raise ValueError("The deep net needs between 2 and 8 hidden layers (1 layer is a wide net).")
        activations.get(self.activation)
        data.DataConfig("curve", self.n_samples, self.noise, seed=self.seed)
        TrainConfig(epochs=self.epochs, lr=self.lr, seed=self.seed)

    @property
    def wide(self) -> dict[str, MLPSpec]:
        return {f"1 layer × {w}": MLPSpec(1, (w,), 1, self.activation) for w in sorted(self.widths)}

    @property
    def deep(self) -> tuple[str, MLPSpec]:
        """The deep net, its width matched to the widest net's parameter count."""
        h = matched_width(MLPSpec(1, (max(self.widths),), 1).n_params, self.depth)
        return f"{self.depth} layers × {h}", MLPSpec(1, (h,) * self.depth, 1, self.activation)


# How long wide_vs_deep takes on the 2-core CPU this app is sized for (issue 18: 3 s or more starts on a button).
# Timed cold through the page (AppTest): 1.6-1.8 s at the defaults. In core, against the defaults: 2.5x at 1,200
# epochs (so a fixed part worth ~310 epochs), 2.6x with a widest net of 512, 0.6x with 32, 1.2x at depth 6.
WIDE_SECONDS = 1.7


def wide_seconds(cfg: WideVsDeep) -> float:
    """The seconds `wide_vs_deep(cfg)` takes here: WIDE_SECONDS scaled by epochs, the widest net and the depth."""
    widest = float(np.interp(max(cfg.widths), (32, 256, 512), (0.6, 1.0, 2.6)))
    return WIDE_SECONDS * (310 + cfg.epochs) / 610 * widest * (1 + 0.05 * (cfg.depth - 3))


UNDERFIT_RATIO = 2.0  # the widest net underfits when its train MSE is above this many times the deep net's
MATCH_RATIO = 1.2  # the widest net does "as well as" the deep one when both its MSEs are at most this many times


@dataclass(frozen=True)
class WideDeepFacts:
    """What the universal-approximation sentence says: train and validation error of the widest and the deep net.

    Slide 26 says a very wide single layer is enough in theory, but in practice computationally very hard
    and poor at generalizing. Those are two different failures, told apart by the train error: a net that
    generalizes poorly fits its training data and misses new data (validation error far above train error);
    a net that underfits misses its training data already. `wide_underfits` and `fit_share` say which
    one the numbers on screen show.
    """

    narrow_units: int
    wide_units: int
    wide_params: int
    deep_name: str
    deep_params: int
    narrow_train_mse: float
    wide_train_mse: float
    wide_val_mse: float
    deep_train_mse: float
    deep_val_mse: float
    noise_floor: float  # validation MSE of the noise-free curve itself
    wider_fits_closer: bool  # the widest net's train MSE is below the narrowest's
    train_ratio: float  # wide_train_mse / deep_train_mse
    val_ratio: float  # wide_val_mse / deep_val_mse
    wide_underfits: bool  # train_ratio > UNDERFIT_RATIO: behind on the very data it trained on
    wide_gap: float  # wide_val_mse - wide_train_mse: what generalizing costs the widest net
    deep_gap: float  # the same for the deep net
    fit_share: float  # (wide_train - deep_train) / (wide_val - deep_val): the share of the wide net's extra
    #                   validation error already there on its training data (0 when it is not behind at all)
    mostly_in_training: bool  # fit_share > 0.5: it is behind on new points mainly because it is behind in training
    all_in_training: bool  # fit_share >= 1: on new points it loses no more, relative to the deep net, than in training
    generalizes_worse: bool  # behind on new points, and its validation - train gap is over twice the deep net's
    matches_deep: bool  # train_ratio and val_ratio both <= MATCH_RATIO: "as well as" the deep net is true


def wide_deep_facts(table: pd.DataFrame, narrowest: str, widest: str, deep: str, noise_floor: float) -> WideDeepFacts:
    """The facts of a wide-vs-deep table (columns variant, units per layer, parameters, train MSE, validation MSE)."""
    rows = table.set_index("variant").to_dict("index")
    small, wide, dp = rows[narrowest], rows[widest], rows[deep]
    wt, wv, dt, dv = wide["train MSE"], wide["validation MSE"], dp["train MSE"], dp["validation MSE"]
    share = float((wt - dt) / (wv - dv)) if wv > dv else 0.0
    return WideDeepFacts(
        narrow_units=int(small["units per layer"]), wide_units=int(wide["units per layer"]),
        wide_params=int(wide["parameters"]), deep_name=deep, deep_params=int(dp["parameters"]),
        narrow_train_mse=float(small["train MSE"]), wide_train_mse=float(wt), wide_val_mse=float(wv),
        deep_train_mse=float(dt), deep_val_mse=float(dv), noise_floor=float(noise_floor),
        wider_fits_closer=bool(wt < small["train MSE"]),
        train_ratio=float(wt / dt), val_ratio=float(wv / dv),
        wide_underfits=bool(wt > UNDERFIT_RATIO * dt),
        wide_gap=float(wv - wt), deep_gap=float(dv - dt),
        fit_share=share,
        mostly_in_training=share > 0.5,
        all_in_training=share >= 1,
        generalizes_worse=bool(wv > dv and wv - wt > 2 * max(dv - dt, 0.0)),
        matches_deep=bool(wt <= MATCH_RATIO * dt and wv <= MATCH_RATIO * dv),
    )


@dataclass
class WideVsDeepResult:
    """The nets' fits and errors; while they train (`on_progress`) the fields marked "when done" are None."""

    points: pd.DataFrame  # x, y, split: the noisy data
    truth: pd.DataFrame  # x, y: the curve without noise, at the data's x
    history: pd.DataFrame  # variant, epoch, split, metric, value (so far)
    noise_floor: float  # validation MSE of the noise-free curve itself: no model can expect to beat it
    narrowest: str
    widest: str  # the wide net the deep one matches
    deep: str
    table: pd.DataFrame | None = None  # variant, hidden layers, units per layer, parameters, train/validation MSE
    fits: pd.DataFrame | None = None  # variant, x, y: each net's prediction on 200 points across the data's range
    # (while training: the finished nets' and the running ones' so far)
    errors: pd.DataFrame | None = None  # variant (the widest, the deep net), split, MSE: the bar chart
    facts: WideDeepFacts | None = None  # when done

    def row(self, variant: str) -> dict[str, Any]:
        """One variant's line of the table, its counts still ints: row(result.deep)["validation MSE"]."""
        assert self.table is not None, "the table comes with the finished result"
        return self.table.set_index("variant").to_dict("index")[variant]


def wide_vs_deep(cfg: WideVsDeep, on_progress: Progress[WideVsDeepResult] | None = None) -> WideVsDeepResult:
    """Train the wide nets together (same depth, one batched pass), then the deep net; full-batch Adam."""
    ds = data.load(data.DataConfig("curve", cfg.n_samples, cfg.noise, seed=cfg.seed))
    clean = data.load(data.DataConfig("curve", cfg.n_samples, 0.0, seed=cfg.seed))  # same x and split, no noise
    train = TrainConfig(epochs=cfg.epochs, batch_size=None, lr=cfg.lr, optimizer="adam", seed=cfg.seed)
    deep_name, deep_spec = cfg.deep
    specs = {**cfg.wide, deep_name: deep_spec}
    x = torch.cat([ds.x_train, ds.x_val])[:, 0].numpy()
    split = ["train"] * len(ds.x_train) + ["validation"] * len(ds.x_val)
    points = pd.DataFrame({"x": x, "y": torch.cat([ds.y_train, ds.y_val])[:, 0].numpy(), "split": split})
    truth = pd.DataFrame({"x": x, "y": torch.cat([clean.y_train, clean.y_val])[:, 0].numpy()}).sort_values("x")
    so_far = WideVsDeepResult(points=points, truth=truth.reset_index(drop=True), history=pd.DataFrame(),
                              noise_floor=float(((ds.y_val - clean.y_val) ** 2).mean()),
                              narrowest=f"1 layer × {min(cfg.widths)}", widest=f"1 layer × {max(cfg.widths)}",
                              deep=deep_name)

    grid = torch.linspace(float(ds.x_train.min()), float(ds.x_train.max()), 200).unsqueeze(1)  # (200, 1)

    def fitted(names: Sequence[str], outputs: np.ndarray) -> list[pd.DataFrame]:  # outputs: (K, 200, 1)
        return [pd.DataFrame({"variant": name, "x": grid[:, 0].numpy(), "y": outputs[k, :, 0]})
                for k, name in enumerate(names)]

    def after(names: Sequence[str], *before: WideVsDeepResult) -> Callable[[Snapshot], WideVsDeepResult]:
        """The result so far: the finished sub-runs' curves and fits, then the running one's (the curve it draws
        now, so that a page can redraw the fits while the nets train)."""
        return lambda snap: replace(
            so_far, history=pd.concat([*(b.history for b in before), snap.history], ignore_index=True),
            fits=pd.concat([*(b.fits for b in before), *fitted(names, snap.predict(grid).cpu().numpy())],
                           ignore_index=True))

    wide = fit_many([Variant(n, s, train) for n, s in cfg.wide.items()], ds,
                    on_progress=relay(on_progress, after(list(cfg.wide)), 0.0, 0.75))
    wide_so_far = replace(so_far, history=wide.history,
                          fits=pd.concat(fitted(list(cfg.wide), np.stack([predict(wide, n, grid) for n in cfg.wide])),
                                         ignore_index=True))
    deep = fit_many([Variant(deep_name, deep_spec, train)], ds,
                    on_progress=relay(on_progress, after([deep_name], wide_so_far), 0.75, 1.0))
    fits, rows = [], []
    for result in (wide, deep):
        train_mse, val_mse = result.final("loss", "train"), result.final("loss", "validation")
        for name in result.models:
            fits.append(pd.DataFrame({"variant": name, "x": grid[:, 0].numpy(),
                                      "y": predict(result, name, grid)[:, 0]}))
            spec = specs[name]
            rows.append({"variant": name, "hidden layers": len(spec.widths), "units per layer": spec.widths[0],
                         "parameters": spec.n_params, "train MSE": train_mse[name], "validation MSE": val_mse[name]})
    table = pd.DataFrame(rows)
    pair = table.set_index("variant").loc[[so_far.widest, deep_name], ["train MSE", "validation MSE"]]
    errors = (pair.rename(columns={"train MSE": "train", "validation MSE": "validation"}).rename_axis(columns="split")
              .stack().rename("MSE").reset_index())
    return replace(
        so_far,
        history=pd.concat([wide.history, deep.history], ignore_index=True),
        table=table,
        fits=pd.concat(fits, ignore_index=True),
        errors=errors,
        facts=wide_deep_facts(table, so_far.narrowest, so_far.widest, deep_name, so_far.noise_floor),
    )

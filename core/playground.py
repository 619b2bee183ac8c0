"""A network you train a batch or an epoch at a time and look inside while it learns (slides 24-27, 29).

TensorFlow Playground's view of a small classifier, on the app's one trainer (`core.engines`, the
hand-written maths every plain MLP in the app trains with):

- `PlayNet`: what the network is and what it learns from (data, input features, layers, activation).
  Changing any of it starts a new network, as in Playground.
- `Player`: the network's training so far. `step_batch` makes one update, `step_epoch` finishes the
  epoch under way (a whole one from its start); the learning rate and the batch size are arguments of
  each step, so changing them continues from the current weights.
- `Player.view()`: what the page draws: the output's map, every unit's map over the input plane (one
  forward pass over the grid gives them all), the weights, and the points as the last hidden layer
  sees them ("hidden space"), with the facts its sentence rests on.

Input features as Playground offers them (`FEATURES`): x1, x2, x1², x2², x1·x2, sin x1, sin x2. With
x1² and x2², one neuron (no hidden layer) draws a circle in the plane: a straight line in those features.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from sklearn.linear_model import LinearRegression, LogisticRegression
from torch import Tensor

from core import backprop, data, engines, training
from core.device import generator
from core.learning_cycle import grid_points
from core.models import MLPSpec

FEATURES: dict[str, Callable[[Tensor], Tensor]] = {
    "x1": lambda x: x[:, 0],
    "x2": lambda x: x[:, 1],
    "x1²": lambda x: x[:, 0] ** 2,
    "x2²": lambda x: x[:, 1] ** 2,
    "x1·x2": lambda x: x[:, 0] * x[:, 1],
    "sin x1": lambda x: torch.sin(x[:, 0]),
    "sin x2": lambda x: torch.sin(x[:, 1]),
}
MAX_UNITS = 8  # per hidden layer: every unit gets a map on screen
MAX_LAYERS = 4
MAX_EPOCHS = 2000  # play stops here: a class of students playing on one server each stop in the end
VALIDATION = 0.3
FAR = 1e6  # what a blown-up, infinite value is drawn as
HIDDEN_CELLS = 40  # the hidden-space map is HIDDEN_CELLS x HIDDEN_CELLS cells
BOUNDED = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0)}  # activations whose outputs have fixed bounds


@dataclass(frozen=True)
class PlayNet:
    """The network and its data. A run of `Player` keeps them; changing one starts a new network."""

    dataset: str = "moons"
    n_samples: int = 300
    noise: float = 0.2
    features: tuple[str, ...] = ("x1", "x2")
    widths: tuple[int, ...] = (6, 2)
    activation: str = "tanh"
    seed: int = 0
    code_version: int = 1

    def __post_init__(self) -> None:
        if self.dataset not in data.TOY_2D + data.REGRESSION_2D:
            raise ValueError(f"Pick a 2-D dataset: {', '.join(data.TOY_2D + data.REGRESSION_2D)}.")
        if not 20 <= self.n_samples <= 1000:
            raise ValueError("Use between 20 and 1,000 samples here (every point is drawn at every frame).")
        if not self.features:
            raise ValueError("Give the network at least one input feature.")
        unknown = [f for f in self.features if f not in FEATURES]
        if unknown or len(set(self.features)) != len(self.features):
            raise ValueError(f"Pick input features among {', '.join(FEATURES)}, each at most once.")
        if len(self.widths) > MAX_LAYERS or not all(1 <= w <= MAX_UNITS for w in self.widths):
            raise ValueError(f"Use at most {MAX_LAYERS} hidden layers of 1 to {MAX_UNITS} units: each unit is drawn.")
        self.spec()  # validates the activation
        self.data_config()  # validates the noise and the seed

    def data_config(self) -> data.DataConfig:
        return data.DataConfig(self.dataset, self.n_samples, self.noise, val_fraction=VALIDATION, seed=self.seed)

    @property
    def regression(self) -> bool:
        """A value to predict (mean squared error, a linear output) rather than a class (cross-entropy, a sigmoid)."""
        return self.dataset in data.REGRESSION_2D

    @property
    def loss(self) -> str:
        return "mse" if self.regression else "bce"

    def spec(self) -> MLPSpec:
        return MLPSpec(len(self.features), self.widths, 1, self.activation)


def features(names: Sequence[str], x: Tensor) -> Tensor:
    """(N, len(names)) float32: the named features of the (N, 2) points x."""
    return torch.stack([FEATURES[name](x.float()) for name in names], dim=1)


def check_step(lr: float, batch_size: int | None) -> None:
    if not (math.isfinite(lr) and 0 < lr <= 100):
        raise ValueError("The learning rate must be in (0, 100].")
    if batch_size is not None and batch_size < 1:
        raise ValueError("The batch size must be at least 1 (or the full batch).")


@dataclass(frozen=True)
class PlayFacts:
    """What the section's sentence says about the network as it is now."""

    epoch: int  # epochs completed
    iteration: int  # weight updates so far
    n_train: int
    train_loss: float
    val_loss: float
    train_accuracy: float  # NaN for regression
    val_accuracy: float
    diverged: bool  # the loss blew up (core.training.divergence: not finite, huge, or 10x its start)
    hidden_layers: int
    last_width: int  # units of the last hidden layer (the inputs' features when there is no hidden layer)
    projected: bool  # the last hidden layer has over 2 units: hidden space shows 2 principal components
    spread_kept: float  # share of the hidden points' variance those 2 components keep (1 when not projected)
    line_accuracy: float  # a logistic regression on (x1, x2), one straight line, on the training points (NaN:
    # regression)
    line_mse: float  # a linear regression on (x1, x2), a flat plane, on the training points (NaN: classification)


@dataclass
class PlayView:
    """One frame of the network: everything the page draws of it now."""

    epoch: int
    cursor: int  # training points already used in the epoch under way
    iteration: int
    grid: pd.DataFrame  # x1, x2, p: the output over the input plane on the colour scale (Player.shown)
    box: data.Box  # the input plane's range on the maps
    points: pd.DataFrame  # x1, x2, label, split
    maps: list[np.ndarray]  # per column of the network drawing: (grid cells, units) in 0..1, inputs first, output last
    names: list[list[str]]  # the units' names, per column
    weights: list[np.ndarray]  # per layer: (n_in, n_out)
    hidden: np.ndarray  # (N, 2): the points (train, then validation, as `points`) in hidden space
    hidden_p: np.ndarray  # (HIDDEN_CELLS²,): the output over the hidden-space plane, on the colour scale
    hidden_box: data.Box  # that plane's range
    hidden_axes: tuple[str, str]
    facts: PlayFacts


class Player:
    """A network trained one batch or one epoch at a time, by SGD, in the app's hand-written engine.

    Each epoch goes through the training points in a new order (one seeded generator, as a DataLoader
    with shuffle=True), in batches of the size each step asks for; the last batch of an epoch may be
    smaller (drop_last=False). After every step it measures loss and accuracy on all training and all
    validation points.
    """

    def __init__(self, net: PlayNet):
        self.net = net
        ds = data.load(net.data_config())
        self.points = data.points_frame(ds)
        self.box = data.plane_box(ds)  # the input plane's part the maps show
        self.plane = grid_points(ds)  # (G², 2) over it: where every map is evaluated
        self.x, self.x_val = features(net.features, ds.x_train), features(net.features, ds.x_val)
        self.x_grid = features(net.features, self.plane)
        self.y, self.y_val = ds.y_train, ds.y_val
        loss = net.loss
        self.t, self.t_val = backprop.targets(self.y, loss, 1), backprop.targets(self.y_val, loss, 1)
        train = training.TrainConfig(epochs=1, batch_size=None, optimizer="sgd", seed=net.seed)
        variant = training.Variant("model", net.spec(), train)
        self.engine = engines.make_engine([variant], loss, torch.device("cpu"), len(self.x))
        self.shuffler = generator(net.seed)
        self.order = torch.arange(len(self.x))
        self.epoch = self.cursor = self.iteration = 0
        self.rows: list[tuple[float, str, str, float]] = []
        self.diverged = False
        self._axes: Tensor | None = None  # hidden space's principal axes at the last view (kept from flipping)
        x, y = ds.x_train.numpy(), ds.y_train.numpy()
        if net.regression:
            flat = LinearRegression().fit(x, y)
            self.line_accuracy, self.line_mse = math.nan, float(((flat.predict(x) - y) ** 2).mean())
        else:
            line = LogisticRegression(C=1e4, max_iter=1000).fit(x, y)
            self.line_accuracy, self.line_mse = float(line.score(x, y)), math.nan
        self.latest: dict[tuple[str, str], float] = {}  # (split, metric) -> value at the last evaluation
        self._evaluate()

    @property
    def net_module(self) -> backprop.StackedMLP:
        return self.engine.net  # type: ignore[union-attr]

    @property
    def done(self) -> bool:
        """No more play: the weights blew up, or MAX_EPOCHS are done."""
        return self.diverged or self.epoch >= MAX_EPOCHS

    def _batch(self, batch_size: int | None) -> int:
        return len(self.x) if batch_size is None else min(batch_size, len(self.x))

    def _start_epoch(self) -> None:
        if self.cursor == 0:
            self.order = torch.randperm(len(self.x), generator=self.shuffler)

    def _end_step(self) -> None:
        if self.cursor >= len(self.x):
            self.epoch, self.cursor = self.epoch + 1, 0
        self._evaluate()

    def step_batch(self, lr: float, batch_size: int | None) -> None:
        """One weight update on the next batch of the epoch under way."""
        check_step(lr, batch_size)
        if self.done:
            return
        self._start_epoch()
        idx = self.order[self.cursor : self.cursor + self._batch(batch_size)]
        self.engine.step(self.x[idx].unsqueeze(0), self.t[idx].unsqueeze(0), torch.tensor([[lr]]))
        self.cursor += len(idx)
        self.iteration += 1
        self._end_step()

    def step_epoch(self, lr: float, batch_size: int | None, epochs: int = 1) -> None:
        """Finish the epoch under way (a whole epoch from its start), `epochs` times."""
        check_step(lr, batch_size)
        batch = self._batch(batch_size)
        for _ in range(epochs):
            if self.done:
                return
            self._start_epoch()
            rest = self.order[self.cursor :]
            steps = math.ceil(len(rest) / batch)
            self.engine.epoch(self.x[rest].unsqueeze(0), self.t[rest].unsqueeze(0), torch.full((steps, 1, 1), lr),
                              batch)
            self.cursor, self.iteration = len(self.x), self.iteration + steps
            self._end_step()

    def _evaluate(self) -> None:
        at = self.epoch + self.cursor / len(self.x)
        for split, x, y, t in (("train", self.x, self.y, self.t), ("validation", self.x_val, self.y_val, self.t_val)):
            out = self.engine.outputs(x)
            loss, _ = backprop.loss_and_grad(out, t.unsqueeze(0), self.net.loss)
            self.latest[split, "loss"] = float(loss[0])
            self.latest[split, "accuracy"] = (math.nan if self.net.regression else
                                              float(((out[0, :, 0] > 0).long() == y).float().mean()))
            self.rows += [(at, split, metric, self.latest[split, metric]) for metric in self.metrics]
        losses = np.array([self.latest["train", "loss"], self.latest["validation", "loss"]])
        self.diverged = self.diverged or bool(training.divergence(losses, losses[0], self.rows[0][3]))

    @property
    def metrics(self) -> tuple[str, ...]:
        return ("loss",) if self.net.regression else ("loss", "accuracy")

    def history(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=["epoch", "split", "metric", "value"]).assign(variant="model")

    def view(self) -> PlayView:
        """The network now: every unit's map (one forward pass over the grid), its weights, its hidden space."""
        net = self.net_module
        p, maps = self.unit_maps()
        names = [list(self.net.features)] + [[f"{i + 1}.{j + 1}" for j in range(w)]
                                             for i, w in enumerate(self.net.widths)] + [["output"]]
        weights = [w[0].numpy().copy() for w in net.W]
        hidden, axes, kept = self._hidden_space()
        last = self.latest
        facts = PlayFacts(
            epoch=self.epoch, iteration=self.iteration, n_train=len(self.x), train_loss=last["train", "loss"],
            train_accuracy=last["train", "accuracy"], val_loss=last["validation", "loss"],
            val_accuracy=last["validation", "accuracy"], diverged=self.diverged,
            hidden_layers=len(self.net.widths), last_width=(self.net.widths or (len(self.net.features),))[-1],
            projected=axes[0] == "PC1", spread_kept=kept, line_accuracy=self.line_accuracy, line_mse=self.line_mse)
        grid = pd.DataFrame({"x1": self.plane[:, 0].numpy(), "x2": self.plane[:, 1].numpy(), "p": p})
        return PlayView(self.epoch, self.cursor, self.iteration, grid, self.box, self.points, maps, names, weights,
                        *hidden, axes, facts)

    def unit_maps(self) -> tuple[np.ndarray, list[np.ndarray]]:
        """P(class 1) over the grid, and every unit's map (features, hidden units, output) coloured 0..1: one
        forward pass over the grid gives them all."""
        out, cache = self.net_module.forward(self.x_grid.unsqueeze(0))  # cache.inputs: the features, each hidden layer
        p = self.shown(out[0, :, 0]).numpy()
        hidden = (_scaled(a[0], self.net.activation) for a in cache.inputs[1:])
        return p, [_scaled(cache.inputs[0][0], None), *hidden, p[:, None]]

    def _hidden_space(self) -> tuple[tuple[np.ndarray, np.ndarray, data.Box], tuple[str, str], float]:
        """The points as the output layer sees them: the last hidden layer's outputs (the features without a
        hidden layer); with more than two units, their first two principal components. The map under them is
        the output's P(class 1) on that plane (through the points' mean when projected): exact with two units."""
        net = self.net_module
        x = torch.cat([self.x, self.x_val])
        h = net.forward(x.unsqueeze(0))[1].inputs[-1][0]  # (N, units): what the output layer gets
        h = torch.nan_to_num(h, nan=0.0, posinf=FAR, neginf=-FAR)  # weights that blew up: still a picture
        w = torch.nan_to_num(net.W[-1][0, :, 0], nan=0.0, posinf=FAR, neginf=-FAR)
        b = torch.nan_to_num(net.b[-1][0, 0, 0], nan=0.0, posinf=FAR, neginf=-FAR)
        units = h.shape[1]
        unit = list(self.net.features) if not self.net.widths else [f"unit {i + 1}" for i in range(units)]
        if units == 1:
            coords, centre, axes, names, kept = torch.cat([h, torch.zeros_like(h)], 1), None, None, (unit[0], ""), 1.0
        elif units == 2:
            coords, centre, axes, names, kept = h, None, None, (unit[0], unit[1]), 1.0
        else:
            centre = h.mean(dim=0)
            _, s, v = torch.linalg.svd(h - centre, full_matrices=False)
            axes = v[:2].T  # (units, 2)
            if self._axes is not None:  # keep each axis pointing the way it did at the last frame
                axes = axes * torch.sign((axes * self._axes).sum(dim=0) + 1e-12)
            self._axes = axes
            coords, names = (h - centre) @ axes, ("PC1", "PC2")
            kept = float((s[:2] ** 2).sum() / (s**2).sum().clamp_min(1e-12))
        box = _box(coords, self.net.activation if units <= 2 and self.net.widths else None)
        plane = data.plane_grid(box, HIDDEN_CELLS).float()
        if units == 1:
            logit = plane[:, :1] * w + b
        elif axes is None:
            logit = plane @ w + b
        else:
            logit = (centre + plane @ axes.T) @ w + b
        return (coords.numpy(), self.shown(logit.reshape(-1)).numpy(), box), names, kept

    def shown(self, out: Tensor) -> Tensor:
        """The output unit on the maps' 0..1 colour scale: P(class 1) = sigmoid(z), or a prediction's -1..1."""
        return (out.clamp(-1, 1) + 1) / 2 if self.net.regression else torch.sigmoid(out)


def _scaled(a: Tensor, activation: str | None) -> np.ndarray:
    """(cells, units) in 0..1 for the map's colours: a bounded activation on its own range (tanh -1..1, sigmoid
    0..1), anything else (the input features, ReLU...) divided by its largest |value| on the plane (0 -> 0.5)."""
    if activation in BOUNDED:
        lo, hi = BOUNDED[activation]
        return ((a - lo) / (hi - lo)).numpy()
    scale = a.abs().amax(dim=0).clamp_min(1e-12)
    return ((a / scale + 1) / 2).numpy()


def _box(coords: Tensor, activation: str | None) -> data.Box:
    """The hidden-space plot's range: a bounded activation's whole range (a steady frame from epoch to epoch),
    else the points' range with a 10% margin."""
    if activation in BOUNDED:
        low, high = BOUNDED[activation]
        margin = 0.1 * (high - low)
        return low - margin, high + margin, low - margin, high + margin
    lo, hi = coords.min(dim=0).values, coords.max(dim=0).values
    pad = ((hi - lo) * 0.1).clamp_min(0.1)
    return float(lo[0] - pad[0]), float(hi[0] + pad[0]), float(lo[1] - pad[1]), float(hi[1] + pad[1])

"""Loss landscapes in 2-D (slides 42-48): test surfaces and a comparison of real torch.optim optimizers across them.

A surface is a pure torch function f(w) of a (..., 2) tensor, so the same function draws the
heat map (a whole grid at once); its hand-written gradient (tested equal to autograd's) drives the optimizers.
`comparison` steps the real `torch.optim` classes (SGD, momentum, Nesterov, RMSprop, Adam, AdamW)
from the same start, optionally with Gaussian noise added to every gradient (what a small
batch does), and says where each one ended: a global minimum, a local one, a saddle, still on its way, or off the
plot.
"""
from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from core.device import generator
from core.progress import Progress

Point = tuple[float, float]
Box = tuple[float, float, float, float]  # w1_lo, w1_hi, w2_lo, w2_hi
GRID = 60  # the heat map is GRID x GRID cells (3,600: under the charts' 4,900-cell limit)
MAX_STEPS = 5000
MIN_LR, MAX_LR = 1e-4, 10.0  # each family's learning rate; the page's inputs take exactly this range


def _bowl(w: Tensor) -> Tensor:
    return w[..., 0] ** 2 + w[..., 1] ** 2


def _bowl_grad(w: Tensor) -> Tensor:
    return 2 * w


def _valley(w: Tensor) -> Tensor:
    return 0.05 * w[..., 0] ** 2 + 2 * w[..., 1] ** 2  # curvatures 0.1 and 4: 40 times steeper across


def _valley_grad(w: Tensor) -> Tensor:
    return torch.stack([0.1 * w[..., 0], 4 * w[..., 1]], dim=-1)


def _rosenbrock(w: Tensor) -> Tensor:
    return (1 - w[..., 0]) ** 2 + 100 * (w[..., 1] - w[..., 0] ** 2) ** 2


def _rosenbrock_grad(w: Tensor) -> Tensor:
    x, y = w[..., 0], w[..., 1]
    return torch.stack([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)], dim=-1)


def _himmelblau(w: Tensor) -> Tensor:
    return (w[..., 0] ** 2 + w[..., 1] - 11) ** 2 + (w[..., 0] + w[..., 1] ** 2 - 7) ** 2


def _himmelblau_grad(w: Tensor) -> Tensor:
    x, y = w[..., 0], w[..., 1]
    a, b = x**2 + y - 11, x + y**2 - 7
    return torch.stack([4 * x * a + 2 * b, 2 * a + 4 * y * b], dim=-1)


def _saddle(w: Tensor) -> Tensor:
    return w[..., 0] ** 2 + w[..., 1] ** 4 / 4 - w[..., 1] ** 2  # a saddle at (0, 0), minima at w2 = ±√2


def _saddle_grad(w: Tensor) -> Tensor:
    return torch.stack([2 * w[..., 0], w[..., 1] ** 3 - 2 * w[..., 1]], dim=-1)


def _rastrigin(w: Tensor) -> Tensor:
    return 20 + (w**2 - 10 * torch.cos(2 * math.pi * w)).sum(dim=-1)


def _rastrigin_grad(w: Tensor) -> Tensor:
    return 2 * w + 20 * math.pi * torch.sin(2 * math.pi * w)


def _two_valleys(w: Tensor) -> Tensor:
    return 0.5 * (w[..., 0] ** 2 - 1) ** 2 + 0.3 * w[..., 0] + 0.5 * w[..., 1] ** 2  # deeper valley on the left


def _two_valleys_grad(w: Tensor) -> Tensor:
    x = w[..., 0]
    return torch.stack([2 * x * (x**2 - 1) + 0.3, w[..., 1]], dim=-1)


@dataclass(frozen=True)
class Surface:
    """A 2-D test surface: its function, the part of the plane drawn, its known special points."""

    label: str
    f: Callable[[Tensor], Tensor]  # (..., 2) -> (...)
    grad: Callable[[Tensor], Tensor]  # (..., 2) -> (..., 2), written out by hand (tests check it against autograd)
    box: Box
    minima: tuple[Point, ...]  # global minima
    start: Point
    lr: float  # a learning rate that suits the SGD family here
    adaptive_lr: float  # and one for RMSprop / Adam / AdamW
    local: tuple[Point, ...] = ()  # local minima worth naming (all are found by `ending`'s Newton steps)
    saddles: tuple[Point, ...] = ()


SURFACES: dict[str, Surface] = {
    "bowl": Surface("Convex bowl (theory)", _bowl, _bowl_grad, (-3, 3, -3, 3), ((0, 0),), (-2.5, 2.0), 0.1, 0.1),
    "valley": Surface("Elongated valley", _valley, _valley_grad, (-5, 5, -5, 5), ((0, 0),), (-4.5, 2.0), 0.45, 0.1),
    "rosenbrock": Surface("Rosenbrock (curved valley)", _rosenbrock, _rosenbrock_grad, (-2, 2, -1, 3), ((1, 1),),
                          (-1.5, 2.5), 0.001, 0.03),
    "himmelblau": Surface("Himmelblau (four minima)", _himmelblau, _himmelblau_grad, (-5, 5, -5, 5),
                          ((3, 2), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)),
                          (1.0, -1.0), 0.01, 0.1),
    "saddle": Surface("Saddle point", _saddle, _saddle_grad, (-3, 3, -3, 3), ((0, math.sqrt(2)), (0, -math.sqrt(2))),
                      (-2.5, 0.0001), 0.015, 0.05, saddles=((0, 0),)),
    "rastrigin": Surface("Rastrigin (many local minima)", _rastrigin, _rastrigin_grad, (-5.12, 5.12, -5.12, 5.12),
                         ((0, 0),), (-4.45, 3.4), 0.003, 0.1),
    "two_valleys": Surface("Two valleys (local + global)", _two_valleys, _two_valleys_grad,
                           (-2, 2, -2, 2), ((-1.0679, 0.0),), (1.6, 1.5), 0.05, 0.05, local=((0.9143, 0.0),),
                           saddles=((0.1536, 0.0),)),
}
LABELS = {name: s.label for name, s in SURFACES.items()}

# name -> (torch.optim class, its settings besides lr); momentum comes from the comparison's config
OPTIMIZERS: dict[str, tuple[type[torch.optim.Optimizer], dict[str, object]]] = {
    "SGD": (torch.optim.SGD, {}),
    "SGD + momentum": (torch.optim.SGD, {"momentum": None}),
    "Nesterov": (torch.optim.SGD, {"momentum": None, "nesterov": True}),
    "RMSprop": (torch.optim.RMSprop, {}),
    "Adam": (torch.optim.Adam, {}),
    "AdamW": (torch.optim.AdamW, {"weight_decay": 0.01}),
}
ADAPTIVE = ("RMSprop", "Adam", "AdamW")  # per-parameter step sizes: they take `adaptive_lr`


def surface_grid(name: str, n: int = GRID) -> pd.DataFrame:
    """The surface on an n x n grid: w1, w2, loss, level (contour band: higher = nearer the lowest point)."""
    s = SURFACES[name]
    w1 = torch.linspace(s.box[0], s.box[1], n, dtype=torch.float64)
    w2 = torch.linspace(s.box[2], s.box[3], n, dtype=torch.float64)
    g2, g1 = torch.meshgrid(w2, w1, indexing="ij")
    loss = s.f(torch.stack([g1, g2], dim=-1)).reshape(-1).numpy()  # (n * n,): one call for the whole grid
    low = min(loss.min(), min(float(s.f(torch.tensor(m, dtype=torch.float64))) for m in s.minima))
    level = np.clip(np.floor(np.log2((loss.max() - low) / np.maximum(loss - low, 1e-12))), 0, 12)
    return pd.DataFrame({"w1": g1.reshape(-1).numpy(), "w2": g2.reshape(-1).numpy(), "loss": loss, "level": level})


@dataclass(frozen=True)
class Comparison:
    """Several optimizers from one start on one surface.

    `noise` adds N(0, σ²) to every gradient, σ fading linearly from `noise` to 0 over the steps:
    the noise of small batches, shrinking as an annealed learning rate would shrink its steps.
    """

    surface: str = "two_valleys"
    optimizers: tuple[str, ...] = tuple(OPTIMIZERS)
    start: Point | None = None  # None: the surface's own start
    lr: float | None = None  # SGD family; None: the surface's own
    adaptive_lr: float | None = None  # RMSprop, Adam, AdamW; None: the surface's own
    steps: int = 200
    momentum: float = 0.9
    noise: float = 0.0
    seed: int = 0
    code_version: int = 5  # 2: the facts, Newton-checked ends, new Rastrigin and Himmelblau starts; 3: the rates;
    #                        4: `ending` reads the path's last steps, not only its end; 5: "slowed at the saddle
    #                        point", places counted on the plot only

    def __post_init__(self) -> None:
        if self.surface not in SURFACES:
            raise ValueError(f"Unknown surface {self.surface!r}: choose one of {', '.join(SURFACES)}.")
        if not self.optimizers or any(o not in OPTIMIZERS for o in self.optimizers):
            raise ValueError(f"Pick at least one optimizer from: {', '.join(OPTIMIZERS)}.")
        if not 1 <= self.steps <= MAX_STEPS:
            raise ValueError(f"The number of steps must be between 1 and {MAX_STEPS:,}.")
        for lr in (self.lr, self.adaptive_lr):
            if lr is not None and not MIN_LR <= lr <= MAX_LR:
                raise ValueError(f"Each learning rate must be between {MIN_LR:g} and {MAX_LR:g}.")
        if not 0 <= self.momentum < 1:
            raise ValueError("Momentum must be at least 0 and below 1.")
        if not 0 <= self.noise <= 100:
            raise ValueError("The gradient noise must be between 0 and 100.")
        lo1, hi1, lo2, hi2 = SURFACES[self.surface].box
        w1, w2 = self.begin
        if not (lo1 <= w1 <= hi1 and lo2 <= w2 <= hi2):
            raise ValueError(f"The start point must lie on the plot: w1 in [{lo1:g}, {hi1:g}], "
                             f"w2 in [{lo2:g}, {hi2:g}].")

    @property
    def begin(self) -> Point:
        return self.start if self.start is not None else SURFACES[self.surface].start

    def rate(self, optimizer: str) -> float:
        s = SURFACES[self.surface]
        if optimizer in ADAPTIVE:
            return self.adaptive_lr if self.adaptive_lr is not None else s.adaptive_lr
        return self.lr if self.lr is not None else s.lr


@dataclass
class Paths:
    """What the map, the loss curves and the table draw: the paths over the surface and how they ended."""

    surface: pd.DataFrame  # w1, w2, loss, level
    paths: pd.DataFrame  # optimizer, step, w1, w2, loss (each path cut where it left the plot)
    step_sizes: pd.DataFrame  # optimizer, step, parameter ("w1" / "w2"), step size |Δw|
    table: pd.DataFrame  # optimizer, learning rate, steps taken, final w1, final w2, final loss, ends
    messages: dict[str, str]  # optimizer -> why its path stopped early


# torch.optim.AdamW's __init__ is Adam's with decoupled_weight_decay=True, a setting of each param group, in the
# releases whose Adam takes it; an older Adam would ignore the key, so AdamW keeps an instance of its own there.
ADAM_DECOUPLES = "decoupled_weight_decay" in inspect.signature(torch.optim.Adam).parameters


def make_optimizers(cfg: Comparison) -> tuple[Tensor, Tensor, list[torch.optim.Optimizer]]:
    """A (K, 2) float64 buffer of K nn.Parameters (its rows), the (K, 2) buffer of their .grad, the optimizers.

    The rows share the buffer's storage, so reading the positions after each step is one copy.
    Optimizers of the same torch.optim class (SGD, momentum, Nesterov; Adam, AdamW) are param groups of one
    instance, each group with its own settings: the same updates, fewer step() calls.
    """
    K = len(cfg.optimizers)
    w = torch.tensor([cfg.begin] * K, dtype=torch.float64)
    grads = torch.zeros_like(w)
    groups: dict[Any, list[dict[str, Any]]] = {}  # torch.optim class -> its param groups
    for k, name in enumerate(cfg.optimizers):
        cls, settings = OPTIMIZERS[name]
        p = torch.nn.Parameter(w[k])
        p.grad = grads[k]
        options = {key: cfg.momentum if value is None else value for key, value in settings.items()}
        if cls is torch.optim.AdamW and ADAM_DECOUPLES:  # AdamW is Adam(decoupled_weight_decay=True): one group
            cls, options = torch.optim.Adam, {**options, "decoupled_weight_decay": True}
        groups.setdefault(cls, []).append({"params": [p], "lr": cfg.rate(name), **options})
    # foreach=False: the single-tensor path, less overhead for a handful of 2-vectors
    optimizers = [cls(g, lr=g[0]["lr"], foreach=False) for cls, g in groups.items()]
    return w, grads, optimizers


def descend(cfg: Comparison) -> np.ndarray:
    """(steps + 1, K, 2) positions: the gradient at all K points at once, then each optimizer's update (its
    step() without step()'s wrappers).

    The hand-written gradient (equal to autograd's, tested) skips autograd's bookkeeping, which on
    a few 2-vectors would be nearly all of the work.
    """
    grad = SURFACES[cfg.surface].grad
    w, grads, optimizers = make_optimizers(cfg)
    fade = torch.linspace(1, 0, cfg.steps, dtype=torch.float64)[:, None, None]  # as a decaying lr would shrink it
    noise = torch.randn(cfg.steps, *w.shape, generator=generator(cfg.seed), dtype=torch.float64) * cfg.noise * fade
    path = torch.empty(cfg.steps + 1, *w.shape, dtype=torch.float64)
    path[0] = w
    # step() is the update inside two wrappers: one runs hooks under a profiler label, one turns autograd off. On
    # a few 2-vectors they cost nearly as much as the update itself. inspect.unwrap follows the __wrapped__ links
    # that functools.wraps leaves and returns the bare update, so autograd is turned off here, with torch.no_grad().
    # Tested equal to stepping torch.optim by hand.
    steps = [functools.partial(inspect.unwrap(type(opt).step), opt) for opt in optimizers]
    with torch.no_grad():
        for t in range(cfg.steps):
            g = grad(w)  # (K, 2): row k is df/dw at optimizer k's point
            grads.copy_(g + noise[t] if cfg.noise else g)
            for step in steps:
                step()
            path[t + 1] = w
    return path.numpy()


def _tolerance(s: Surface) -> float:
    """How near a point must be to count as there: 2% of the plot's larger side."""
    return 0.02 * max(s.box[1] - s.box[0], s.box[3] - s.box[2])


def _hessian(s: Surface, w: Tensor, h: float = 1e-5) -> Tensor:
    """The (2, 2) Hessian at w: central differences of the hand-written gradient, in one batched call
    (tested equal to autograd's; autograd's costs more than the rest of the comparison's summing up)."""
    shifts = torch.eye(2, dtype=torch.float64) * h
    g = s.grad(torch.cat([w + shifts, w - shifts]))  # (4, 2): rows w + h e_i, then w - h e_i
    hessian = (g[:2] - g[2:]) / (2 * h)  # row i: d grad / d w_i
    return (hessian + hessian.T) / 2


def _newton(s: Surface, point: np.ndarray, iterations: int = 30) -> tuple[np.ndarray, bool] | None:
    """The stationary point Newton's method reaches from `point`, and whether it is a minimum (Hessian positive
    definite); None where it fails (a singular Hessian, a step to infinity).

    Near a minimum Newton's method converges to that very minimum in a few steps, so it tells a path
    that has settled in a dimple (Adam's end jitters by about its learning rate) from one still moving.
    """
    w = torch.tensor(point, dtype=torch.float64)
    for _ in range(iterations):
        hessian = _hessian(s, w)
        try:
            step = torch.linalg.solve(hessian, s.grad(w))
        except RuntimeError:  # torch.linalg.LinAlgError: a singular Hessian
            return None
        w = w - step
        if not torch.isfinite(w).all():
            return None
        if float(step.norm()) < 1e-12:
            break
    return w.numpy(), bool((torch.linalg.eigvalsh(_hessian(s, w)) > 0).all())


SADDLE = "slowed at the saddle point"  # not "stuck": a saddle holds only a path exactly on its stable line
WINDOW = 20  # the last steps `ending` reads a path's motion from: 20 spans ten swings of a step-by-step jitter


def _rest(path: np.ndarray, tolerance: float) -> np.ndarray | None:
    """Where a path has come to rest (possibly still jittering about it), or None while it still moves.

    Over its last WINDOW steps, split into two halves: it has settled where the halves' centres (mean points)
    lie within the tolerance of each other and every point of the second half within the tolerance of that
    half's centre, which is where it rests (an oscillation moves the centres far less than a step; Adam's and
    RMSprop's end jitter by about their learning rate). It is arriving where, not settled, its last step is
    shorter than the one before and than half the tolerance and, shrinking on at that rate, the rest of its way
    (the geometric series l r + l r² + ..., r = l / l_before, so l² / (l_before - l)) is shorter than the
    tolerance; it rests at its end. One short step after long erratic ones is no arrival: hence both bounds.
    """
    w = min(WINDOW, len(path) - 1)
    window = path[len(path) - 1 - w:]  # (w + 1, 2)
    half = (w + 2) // 2  # points per half: they share the middle point when w is even
    first, second = window[:half].mean(axis=0), window[-half:].mean(axis=0)
    if (np.hypot(*(second - first)) <= tolerance
            and np.hypot(*(window[-half:] - second).T).max() <= tolerance):
        return second
    steps = np.hypot(*np.diff(window[-3:], axis=0).T)  # the last two step lengths
    if (len(steps) == 2 and steps[1] < min(steps[0], tolerance / 2)
            and steps[1] ** 2 / (steps[0] - steps[1]) < tolerance):
        return path[-1]
    return None


def _special(s: Surface, points: np.ndarray, tolerance: float) -> tuple[str, Point] | None:
    """The special point within the tolerance of any of `points` (K, 2), and its kind: a global minimum or a
    saddle point (known), else a local minimum (where Newton's method from the first point converges to one,
    one Newton run: it costs more than the rest of `ending`); None where none is."""
    def close(p: Point | np.ndarray) -> bool:
        return bool((np.hypot(*(points - np.asarray(p)).T) < tolerance).any())

    for kind, known in (("a global minimum", s.minima), (SADDLE, s.saddles)):
        for p in known:
            if close(p):
                return kind, (float(p[0]), float(p[1]))
    found = _newton(s, points[0])
    if found is not None and found[1] and close(found[0]):
        return "stuck in a local minimum", (float(found[0][0]), float(found[0][1]))
    return None


def ending(surface: str, path: np.ndarray) -> tuple[str, Point | None]:
    """How a path ended, in words, and the special point it rests near (None: at none).

    path: (n, 2) positions, oldest first; a single point (2,) is a path that has stopped there. A path
    that has not come to rest (`_rest`) is still on its way, wherever it is: momentum crosses a dimple at
    0.4 a step. One that has is placed by its end and by where it rests (the end of a jitter may lie off
    it, the centre of a slow arrival lags behind it): within 2% of the plot's size of a global minimum it is
    there; of a saddle point, slowed there (not stuck: only a path exactly on the saddle's stable line stays, any
    other lets go in the end: on the saddle surface SGD from its default start reaches a minimum within 400
    steps); stuck in a local minimum if Newton's method from its end converges to a minimum that near; still on
    its way (crawling) if neither is.
    """
    s = SURFACES[surface]
    tolerance = _tolerance(s)
    path = np.atleast_2d(np.asarray(path, dtype=float))
    rest = _rest(path, tolerance)
    if rest is None:
        return "still on its way", None
    return _special(s, np.stack([path[-1], rest]), tolerance) or ("still on its way", None)


# An end rests within the tolerance of the point `ending` names, not on it: (3.03, 2.03) is near (3, 2).
NEAR = {"a global minimum": "near a global minimum", "stuck in a local minimum": "stuck near a local minimum",
        SADDLE: "slowed near the saddle point"}
AFTER = {SADDLE: " (a saddle lets go in the end)"}  # what the words add after the point


def _place(kind: str, at: Point | None) -> str:
    """An ending in words with the point it rests near: "near a global minimum at (3, 2)"; else its kind."""
    return kind if at is None else f"{NEAR[kind]} at {_where(at)}{AFTER.get(kind, '')}"


def in_words(names: list[str]) -> str:
    """"", "SGD", "SGD and Adam", "SGD, Adam and AdamW"."""
    return ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + (names[-1] if names else "")


def _where(point: Point | None) -> str:
    """A point in words, "(3, 2)" or "(-2.98, 2.98)", rounded to 3 significant digits."""
    return "" if point is None else "({:.3g}, {:.3g})".format(*(round(v, 2) + 0.0 for v in point))


@dataclass(frozen=True)
class ComparisonFacts:
    """Where each optimizer ended, one entry per optimizer in the comparison's order: its notice rests on these."""

    surface: str  # its label
    optimizers: tuple[str, ...]
    ends: tuple[str, ...]  # "a global minimum", "stuck in a local minimum", "slowed at the saddle point",
    #                        "still on its way" or "off the plot"
    end_points: tuple[str, ...]  # the minimum or saddle point it rests near, "(3, 2)"; "" where it rests near none
    final_losses: tuple[float, ...]
    saddle_distances: tuple[float, ...]  # from the end to the nearest saddle point (inf: the surface has none)
    summary: str  # the optimizers grouped by where they ended: "SGD, Adam: near a global minimum at (3, 2); ..."
    near: float  # what "near" means: within this distance (2% of the plot's larger side)
    any_near: bool  # some path rests near a special point, so the summary says "near"
    distinct_ends: int  # how many different places those that stayed on the plot ended at (2% of the plot apart)
    one_place: bool  # all that stayed on the plot ended in the same place: the rule changed the path, not the end
    off_plot: tuple[str, ...]  # the optimizers whose paths left the plot (or blew up): no place to count
    lowest_loss: float  # the lowest and highest final loss of those that stayed on the plot
    highest_loss: float
    comparison_lr: float  # the learning rate of SGD, momentum and Nesterov
    comparison_adaptive_lr: float  # and of RMSprop, Adam and AdamW
    rates_differ: bool  # optimizers of both families run and their rates differ: not only the update rule differs
    rates: str  # who got which rate in words: "0.003 for SGD, SGD + momentum and Nesterov, 0.1 for Adam"


def comparison_facts(cfg: Comparison, table: pd.DataFrame, points: np.ndarray,
                     found: list[tuple[str, Point | None]]) -> ComparisonFacts:
    """Group the optimizers by where they ended (the kind of point and which one) and count the places.

    points: (K, 2) where each path ended; found: each one's `ending` (("off the plot", None) where cut).
    """
    s = SURFACES[cfg.surface]
    groups: dict[str, list[str]] = {}
    for name, (kind, at) in zip(table["optimizer"], found):
        groups.setdefault(_place(kind, at), []).append(name)
    tolerance = _tolerance(s)
    places: list[np.ndarray] = []
    for p, (kind, _) in zip(points, found):
        if kind != "off the plot" and not any(np.hypot(*(p - q)) < tolerance for q in places):
            places.append(p)
    on_plot = table.loc[table["ends"] != "off the plot", "final loss"]
    by_rate: dict[float, list[str]] = {}
    for name in cfg.optimizers:
        by_rate.setdefault(cfg.rate(name), []).append(name)
    saddles = np.array(s.saddles, dtype=float).reshape(-1, 2)
    far = [float(np.hypot(*(saddles - p).T).min()) if len(saddles) else math.inf for p in points]
    return ComparisonFacts(
        surface=s.label, optimizers=tuple(table["optimizer"]), ends=tuple(kind for kind, _ in found),
        end_points=tuple(_where(at) for _, at in found), final_losses=tuple(float(v) for v in table["final loss"]),
        saddle_distances=tuple(far), summary="; ".join(f"{', '.join(names)}: {g}" for g, names in groups.items()),
        near=tolerance, any_near=any(at is not None for _, at in found),
        distinct_ends=len(places), one_place=len(places) == 1,
        off_plot=tuple(name for name, (kind, _) in zip(table["optimizer"], found) if kind == "off the plot"),
        lowest_loss=float(on_plot.min()) if len(on_plot) else math.nan,
        highest_loss=float(on_plot.max()) if len(on_plot) else math.nan,
        comparison_lr=cfg.rate("SGD"), comparison_adaptive_lr=cfg.rate("Adam"), rates_differ=len(by_rate) > 1,
        rates=", ".join(f"{lr:g} for {in_words(names)}" for lr, names in by_rate.items()))


def _paths(cfg: Comparison) -> tuple[Paths, np.ndarray, list[tuple[str, Point | None]]]:
    """Run the optimizers, cut each path where it leaves the plot or stops being finite, and sum up.

    Also returns the (K, 2) end points and each one's `ending`, for the facts.
    """
    positions = descend(cfg)  # (T + 1, K, 2)
    s = SURFACES[cfg.surface]

    def f(p: np.ndarray) -> np.ndarray:
        return s.f(torch.as_tensor(p)).numpy()

    lo, hi = np.array(s.box[0::2]), np.array(s.box[1::2])
    frames, sizes, rows, messages, points, found = [], [], [], {}, [], []
    for k, name in enumerate(cfg.optimizers):
        p = positions[:, k]
        bad = ~np.isfinite(p).all(axis=1) | (p < lo).any(axis=1) | (p > hi).any(axis=1)
        end = int(np.argmax(bad)) if bad.any() else len(p)
        if end < len(p):
            how = "became infinite or NaN" if not np.isfinite(p[end]).all() else "left the plot"
            cause = " or the gradient noise too strong" if cfg.noise else ""
            messages[name] = (f"{name} {how} at step {end}: its learning rate ({cfg.rate(name):g}) is too large "
                              f"here{cause}, so a step overshoots. The path is cut there.")
        p = p[:end]
        loss = f(p)
        frames.append(pd.DataFrame({"optimizer": name, "step": np.arange(end), "w1": p[:, 0], "w2": p[:, 1],
                                    "loss": loss}))
        delta = np.abs(np.diff(p, axis=0))  # (end - 1, 2)
        sizes += [pd.DataFrame({"optimizer": name, "step": np.arange(1, end), "parameter": n, "step size": delta[:, i]})
                  for i, n in enumerate(("w1", "w2"))]
        points.append(p[-1])
        found.append(("off the plot", None) if name in messages else ending(cfg.surface, p))
        rows.append({"optimizer": name, "learning rate": cfg.rate(name), "steps taken": end - 1,
                     "final w1": round(float(p[-1, 0]), 4), "final w2": round(float(p[-1, 1]), 4),
                     "final loss": loss[-1], "ends": found[-1][0]})
    paths = Paths(surface_grid(cfg.surface), pd.concat(frames, ignore_index=True),
                  pd.concat(sizes, ignore_index=True), pd.DataFrame(rows), messages)
    return paths, np.array(points), found


@dataclass
class ComparisonResult(Paths):
    facts: ComparisonFacts


def comparison(cfg: Comparison, on_progress: Progress[ComparisonResult] | None = None) -> ComparisonResult:
    """The comparison's paths, table and facts: where each optimizer ended."""
    p, points, found = _paths(cfg)
    return ComparisonResult(**vars(p), facts=comparison_facts(cfg, p.table, points, found))


@dataclass(frozen=True)
class Escape:
    """Plain SGD from the same start, without and with gradient noise: can noise carry it out of a local minimum?"""

    surface: str = "two_valleys"
    noises: tuple[float, ...] = (0.0, 4.0)
    lr: float = 0.05
    steps: int = 300
    seed: int = 1
    code_version: int = 4  # 3: `ending` reads the path's last steps; 4: "slowed at the saddle point"

    def __post_init__(self) -> None:
        if not self.noises:
            raise ValueError("Give at least one noise level.")
        for noise in self.noises:
            # validates
            Comparison(self.surface, ("SGD",), lr=self.lr, steps=self.steps, noise=noise, seed=self.seed)


@dataclass(frozen=True)
class EscapeFacts:
    """How plain SGD ended at each noise level (first: the first level, usually none; last: the last level)."""

    escape_noises: tuple[float, ...]
    escape_seed: int
    escape_ends: tuple[str, ...]  # per noise level: "a global minimum", "stuck in a local minimum", ...
    escape_first_end: str
    escape_last_end: str
    escape_last_noise: float
    escape_escaped: bool  # the last level ended in a global minimum and the first did not


def noise_label(noise: float) -> str:
    return "SGD, no noise" if noise == 0 else f"SGD, gradient noise σ = {noise:g}"


@dataclass
class EscapeResult(Paths):
    facts: EscapeFacts


def escape(cfg: Escape, on_progress: Progress[EscapeResult] | None = None) -> EscapeResult:
    """One SGD run per noise level, relabelled by the noise ("SGD, gradient noise σ = 3")."""
    parts = [comparison(Comparison(cfg.surface, ("SGD",), lr=cfg.lr, steps=cfg.steps, noise=noise,
                                   seed=cfg.seed)) for noise in cfg.noises]

    def relabel(df: pd.DataFrame, noise: float) -> pd.DataFrame:
        return df.assign(optimizer=noise_label(noise))

    ends = tuple(p.facts.ends[0] for p in parts)
    return EscapeResult(
        surface=parts[0].surface,
        paths=pd.concat([relabel(p.paths, n) for p, n in zip(parts, cfg.noises)], ignore_index=True),
        step_sizes=pd.concat([relabel(p.step_sizes, n) for p, n in zip(parts, cfg.noises)], ignore_index=True),
        table=pd.concat([relabel(p.table, n) for p, n in zip(parts, cfg.noises)], ignore_index=True),
        messages={noise_label(n): m for p, n in zip(parts, cfg.noises) for m in p.messages.values()},
        facts=EscapeFacts(escape_noises=tuple(cfg.noises), escape_seed=cfg.seed, escape_ends=ends,
                          escape_first_end=ends[0], escape_last_end=ends[-1], escape_last_noise=cfg.noises[-1],
                          escape_escaped=ends[-1] == "a global minimum" != ends[0]),
    )


SWING = 0.1  # a path further than this from the valley's floor (w2 = 0) is still swinging across it


@dataclass(frozen=True)
class Momentum:
    """Plain SGD, SGD with momentum μ and Adam down the elongated valley (slide 48)."""

    momentum: float = 0.7
    lr: float = 0.4
    adaptive_lr: float = 0.3
    steps: int = 60
    code_version: int = 3  # 2: `ending` reads the path's last steps; 3: both learning rates, the saddle's words

    def __post_init__(self) -> None:
        _ = self.comparison  # building the comparison validates these settings

    @property
    def comparison(self) -> Comparison:
        return Comparison("valley", ("SGD", "SGD + momentum", "Adam"), lr=self.lr, adaptive_lr=self.adaptive_lr,
                    steps=self.steps, momentum=self.momentum)


@dataclass(frozen=True)
class MomentumFacts:
    """How plain SGD, momentum and Adam went down the valley (floor w2 = 0, minimum (0, 0))."""

    momentum: float
    steps: int
    lr: float  # plain SGD's and momentum's learning rate
    adaptive_lr: float  # Adam's: its steps are about lr long whatever the gradient's size, SGD's lr × the gradient
    swing: float  # |w2| above this: still swinging across the valley
    swing_until_sgd: int  # the last step at which plain SGD's |w2| > swing
    swing_until_momentum: int
    final_loss_sgd: float
    final_loss_momentum: float
    final_loss_adam: float
    distance_sgd: float  # from the end to the minimum (0, 0)
    distance_momentum: float
    distance_adam: float
    steepness: float  # how many times steeper the valley is across (w2) than along (w1): the curvature ratio
    first_step_ratio_sgd: float  # |Δw2| / |Δw1| of the first step: SGD's follows the steepness
    first_step_ratio_adam: float  # Adam's first step is lr · sign(g) in each weight: ratio 1
    overshoots: bool  # momentum ends higher than plain SGD: too much of it rolls past the minimum and back
    helps: bool  # momentum ends at under half plain SGD's loss
    swings_longer: bool  # momentum swings across the valley for more steps than plain SGD


@dataclass
class MomentumResult(Paths):
    facts: MomentumFacts


def momentum(cfg: Momentum, on_progress: Progress[MomentumResult] | None = None) -> MomentumResult:
    """The valley comparison and its facts: how long each path swings across the valley, how far along it gets."""
    valley = comparison(cfg.comparison)
    s = SURFACES["valley"]
    paths = valley.paths
    swinging = paths[paths["w2"].abs() > SWING].groupby("optimizer")["step"].max()

    def until(name: str) -> int:
        return int(swinging.get(name, -1))  # -1: never further than SWING from the floor

    end = paths.groupby("optimizer").last()

    def loss(name: str) -> float:
        return float(end.loc[name, "loss"])

    def distance(name: str) -> float:
        return float(np.hypot(end.loc[name, "w1"], end.loc[name, "w2"]))

    first = valley.step_sizes[valley.step_sizes["step"] == 1].set_index(["optimizer", "parameter"])["step size"]

    def ratio(name: str) -> float:
        return float(first[name, "w2"] / first[name, "w1"])

    curvature = s.grad(torch.eye(2, dtype=torch.float64)).diagonal()  # the gradient is linear: (0.1, 4)
    facts = MomentumFacts(
        momentum=cfg.momentum, steps=cfg.steps, lr=cfg.lr, adaptive_lr=cfg.adaptive_lr, swing=SWING,
        swing_until_sgd=until("SGD"), swing_until_momentum=until("SGD + momentum"), final_loss_sgd=loss("SGD"),
        final_loss_momentum=loss("SGD + momentum"), final_loss_adam=loss("Adam"), distance_sgd=distance("SGD"),
        distance_momentum=distance("SGD + momentum"), distance_adam=distance("Adam"),
        steepness=float(curvature[1] / curvature[0]), first_step_ratio_sgd=ratio("SGD"),
        first_step_ratio_adam=ratio("Adam"), overshoots=loss("SGD + momentum") > loss("SGD"),
        helps=loss("SGD + momentum") < loss("SGD") / 2,
        swings_longer=until("SGD + momentum") > until("SGD"))
    return MomentumResult(**{k: v for k, v in vars(valley).items() if k != "facts"}, facts=facts)

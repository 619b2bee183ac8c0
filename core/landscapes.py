"""Loss landscapes in 2-D (slides 41-47): test surfaces and a race of real torch.optim optimizers across them.

A surface is a pure torch function f(w) of a (..., 2) tensor, so the same function draws the
heat map (a whole grid at once) and drives the optimizers (autograd of f at six points).
`race` steps the real `torch.optim` classes (SGD, momentum, Nesterov, RMSprop, Adam, AdamW)
from the same start, optionally with Gaussian noise added to every gradient (what a small
batch does), and says where each one ended: a global minimum, a local one, a saddle, or off the plot.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from core.device import generator

Point = tuple[float, float]
Box = tuple[float, float, float, float]  # w1_lo, w1_hi, w2_lo, w2_hi
GRID = 60  # the heat map is GRID x GRID cells (3,600: under the charts' 4,900-cell limit)
MAX_STEPS = 5000


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
    local: tuple[Point, ...] = ()  # local minima worth naming (Rastrigin's are found by the gradient test)
    saddles: tuple[Point, ...] = ()


SURFACES: dict[str, Surface] = {
    "bowl": Surface("Convex bowl (theory)", _bowl, _bowl_grad, (-3, 3, -3, 3), ((0, 0),), (-2.5, 2.0), 0.1, 0.1),
    "valley": Surface("Elongated valley", _valley, _valley_grad, (-5, 5, -5, 5), ((0, 0),), (-4.5, 2.0), 0.45, 0.1),
    "rosenbrock": Surface("Rosenbrock (curved valley)", _rosenbrock, _rosenbrock_grad, (-2, 2, -1, 3), ((1, 1),), (-1.5, 2.5),
                          0.001, 0.03),
    "himmelblau": Surface("Himmelblau (four minima)", _himmelblau, _himmelblau_grad, (-5, 5, -5, 5),
                          ((3, 2), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)),
                          (0.0, -0.5), 0.01, 0.1),
    "saddle": Surface("Saddle point", _saddle, _saddle_grad, (-3, 3, -3, 3), ((0, math.sqrt(2)), (0, -math.sqrt(2))),
                      (-2.5, 0.0001), 0.015, 0.05, saddles=((0, 0),)),
    "rastrigin": Surface("Rastrigin (many local minima)", _rastrigin, _rastrigin_grad, (-5.12, 5.12, -5.12, 5.12), ((0, 0),),
                         (-3.2, 2.8), 0.002, 0.1),
    "two_valleys": Surface("Two valleys (a local and a global minimum)", _two_valleys, _two_valleys_grad, (-2, 2, -2, 2),
                           ((-1.0679, 0.0),), (1.6, 1.5), 0.05, 0.05, local=((0.9143, 0.0),), saddles=((0.1536, 0.0),)),
}
LABELS = {name: s.label for name, s in SURFACES.items()}

# name -> (torch.optim class, its settings besides lr); momentum comes from the race's config
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
class Race:
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
    code_version: int = 1

    def __post_init__(self) -> None:
        if self.surface not in SURFACES:
            raise ValueError(f"Unknown surface {self.surface!r}: choose one of {', '.join(SURFACES)}.")
        if not self.optimizers or any(o not in OPTIMIZERS for o in self.optimizers):
            raise ValueError(f"Pick at least one optimizer from: {', '.join(OPTIMIZERS)}.")
        if not 1 <= self.steps <= MAX_STEPS:
            raise ValueError(f"The number of steps must be between 1 and {MAX_STEPS:,}.")
        for lr in (self.lr, self.adaptive_lr):
            if lr is not None and not 0 < lr <= 10:
                raise ValueError("Each learning rate must be above 0 and at most 10.")
        if not 0 <= self.momentum < 1:
            raise ValueError("Momentum must be at least 0 and below 1.")
        if not 0 <= self.noise <= 100:
            raise ValueError("The gradient noise must be between 0 and 100.")
        lo1, hi1, lo2, hi2 = SURFACES[self.surface].box
        w1, w2 = self.begin
        if not (lo1 <= w1 <= hi1 and lo2 <= w2 <= hi2):
            raise ValueError(f"The start point must lie on the plot: w1 in [{lo1:g}, {hi1:g}], w2 in [{lo2:g}, {hi2:g}].")

    @property
    def begin(self) -> Point:
        return self.start if self.start is not None else SURFACES[self.surface].start

    def rate(self, optimizer: str) -> float:
        s = SURFACES[self.surface]
        if optimizer in ADAPTIVE:
            return self.adaptive_lr if self.adaptive_lr is not None else s.adaptive_lr
        return self.lr if self.lr is not None else s.lr


@dataclass
class RaceResult:
    surface: pd.DataFrame  # w1, w2, loss, level
    paths: pd.DataFrame  # optimizer, step, w1, w2, loss (each path cut where it left the plot)
    step_sizes: pd.DataFrame  # optimizer, step, parameter ("w1" / "w2"), step size |Δw|
    table: pd.DataFrame  # optimizer, learning rate, steps taken, final w1, final w2, final loss, ends
    messages: dict[str, str]  # optimizer -> why its path stopped early


def make_optimizers(cfg: Race) -> tuple[Tensor, Tensor, list[torch.optim.Optimizer]]:
    """A (K, 2) float64 buffer of K nn.Parameters (its rows), the (K, 2) buffer of their .grad, the optimizers.

    The rows share the buffer's storage, so reading the positions after each step is one copy.
    Racers of the same torch.optim class (SGD, momentum, Nesterov) are param groups of one
    instance, each group with its own settings: the same updates, fewer step() calls.
    """
    K = len(cfg.optimizers)
    w = torch.tensor([cfg.begin] * K, dtype=torch.float64)
    grads = torch.zeros_like(w)
    groups: dict[type[torch.optim.Optimizer], list[dict[str, object]]] = {}
    for k, name in enumerate(cfg.optimizers):
        cls, settings = OPTIMIZERS[name]
        p = torch.nn.Parameter(w[k])
        p.grad = grads[k]
        options = {key: cfg.momentum if value is None else value for key, value in settings.items()}
        groups.setdefault(cls, []).append({"params": [p], "lr": cfg.rate(name), **options})
    optimizers = [cls(g, lr=g[0]["lr"], foreach=False) for cls, g in groups.items()]  # single-tensor path: less overhead
    return w, grads, optimizers


def descend(cfg: Race) -> np.ndarray:
    """(steps + 1, K, 2) positions: the gradient at all K points at once, then each optimizer's own step().

    The hand-written gradient (equal to autograd's, tested) costs a quarter of an autograd pass,
    which on six 2-vectors is all overhead: it keeps a 500-step race of six under 0.2 s.
    """
    grad = SURFACES[cfg.surface].grad
    w, grads, optimizers = make_optimizers(cfg)
    fade = torch.linspace(1, 0, cfg.steps, dtype=torch.float64)[:, None, None]  # as a decaying lr would shrink it
    noise = torch.randn(cfg.steps, *w.shape, generator=generator(cfg.seed), dtype=torch.float64) * cfg.noise * fade
    path = torch.empty(cfg.steps + 1, *w.shape, dtype=torch.float64)
    path[0] = w
    for t in range(cfg.steps):
        g = grad(w)  # (K, 2): row k is df/dw at optimizer k's point
        grads.copy_(g + noise[t] if cfg.noise else g)
        for opt in optimizers:
            opt.step()
        path[t + 1] = w
    return path.numpy()


def _ends(cfg: Race, point: np.ndarray) -> str:
    """Where a path ended, in words: the global minimum, a local one, a saddle, or still moving."""
    s = SURFACES[cfg.surface]
    scale = max(s.box[1] - s.box[0], s.box[3] - s.box[2])
    near = lambda points: any(np.hypot(*(point - np.array(p))) < 0.02 * scale for p in points)
    if near(s.minima):
        return "a global minimum"
    if near(s.saddles):
        return "stuck on the saddle point"
    if near(s.local):
        return "stuck in a local minimum"
    if float(s.grad(torch.tensor(point, dtype=torch.float64)).norm()) < 0.05:
        return "stuck in a local minimum"
    return "still on its way"


def race(cfg: Race, on_progress: Callable | None = None) -> RaceResult:
    """Run the optimizers, cut each path where it leaves the plot or stops being finite, and sum up."""
    positions = descend(cfg)  # (T + 1, K, 2)
    s = SURFACES[cfg.surface]
    f = lambda p: s.f(torch.as_tensor(p)).numpy()
    lo, hi = np.array(s.box[0::2]), np.array(s.box[1::2])
    frames, sizes, rows, messages = [], [], [], {}
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
        frames.append(pd.DataFrame({"optimizer": name, "step": np.arange(end), "w1": p[:, 0], "w2": p[:, 1], "loss": loss}))
        delta = np.abs(np.diff(p, axis=0))  # (end - 1, 2)
        sizes += [pd.DataFrame({"optimizer": name, "step": np.arange(1, end), "parameter": n, "step size": delta[:, i]})
                  for i, n in enumerate(("w1", "w2"))]
        rows.append({"optimizer": name, "learning rate": cfg.rate(name), "steps taken": end - 1,
                     "final w1": round(float(p[-1, 0]), 4), "final w2": round(float(p[-1, 1]), 4),
                     "final loss": loss[-1],
                     "ends": "off the plot" if name in messages else _ends(cfg, p[-1])})
    return RaceResult(surface_grid(cfg.surface), pd.concat(frames, ignore_index=True),
                      pd.concat(sizes, ignore_index=True), pd.DataFrame(rows), messages)


@dataclass(frozen=True)
class Escape:
    """Plain SGD from the same start, without and with gradient noise: can noise carry it out of a local minimum?"""

    surface: str = "two_valleys"
    noises: tuple[float, ...] = (0.0, 4.0)
    lr: float = 0.05
    steps: int = 300
    seed: int = 1
    code_version: int = 1

    def __post_init__(self) -> None:
        if not self.noises:
            raise ValueError("Give at least one noise level.")
        for noise in self.noises:
            Race(self.surface, ("SGD",), lr=self.lr, steps=self.steps, noise=noise, seed=self.seed)  # validates


def noise_label(noise: float) -> str:
    return "SGD, no noise" if noise == 0 else f"SGD, gradient noise σ = {noise:g}"


def escape(cfg: Escape, on_progress: Callable | None = None) -> RaceResult:
    """One SGD race per noise level, relabelled by the noise ("SGD, gradient noise σ = 3")."""
    parts = [race(Race(cfg.surface, ("SGD",), lr=cfg.lr, steps=cfg.steps, noise=noise, seed=cfg.seed))
             for noise in cfg.noises]
    relabel = lambda df, noise: df.assign(optimizer=noise_label(noise))
    return RaceResult(
        surface=parts[0].surface,
        paths=pd.concat([relabel(p.paths, n) for p, n in zip(parts, cfg.noises)], ignore_index=True),
        step_sizes=pd.concat([relabel(p.step_sizes, n) for p, n in zip(parts, cfg.noises)], ignore_index=True),
        table=pd.concat([relabel(p.table, n) for p, n in zip(parts, cfg.noises)], ignore_index=True),
        messages={noise_label(n): m for p, n in zip(parts, cfg.noises) for m in p.messages.values()},
    )

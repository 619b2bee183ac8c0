"""Momentum up close (slide 48): heavy-ball momentum on a quadratic valley, one eigen-direction at a time.

After Gabriel Goh, "Why Momentum Really Works", Distill 2017 (https://distill.pub/2017/momentum/). On the valley
f(w) = ½ wᵀ A w, A = Q diag(λ) Qᵀ (minimum at w = 0), torch.optim.SGD(momentum=μ) does

    b ← μ b + ∇f(w),   w ← w − lr b                       (∇f(w) = A w; b starts at 0)

In the valley's own axes (x = Qᵀ w, y = Qᵀ b) each direction i moves on its own:
y' = μ y + λ_i x and x' = x − lr y' = −lr μ y + (1 − lr λ_i) x, that is (y, x)' = R_i (y, x) with

    R_i = [[μ, λ_i], [−lr μ, 1 − lr λ_i]]                  (Goh's "The Dynamics of Momentum")

So the error along direction i shrinks like ρ_i^k, ρ_i the spectral radius of R_i; the valley's rate is the largest
ρ_i and the run diverges where it is ≥ 1, which is where lr λ_i ≥ 2 (1 + μ) for some i (plain SGD: lr ≥ 2 / λ_max).
R_i's trace is 1 + μ − lr λ_i and its determinant μ, so ρ_i ≥ √μ, with equality once its eigenvalues are complex
(the error swings through 0). The μ with the lowest rate for one direction is where they just turn complex,
critical damping μ = (1 − √(lr λ_i))²; for the whole valley it is the largest of these, the rate then
√μ = max_i |1 − √(lr λ_i)|. The lowest rate is the fastest in the long run only: at critical damping R has a
repeated eigenvalue, so the error falls like k ρ^k rather than ρ^k (Goh 2017, "The Dynamics of Momentum"), and a
slightly larger μ (rate √μ, a little higher) can reach a target in fewer steps; hence the measured steps beside it.
Over lr and μ together the best is lr = (2 / (√λ_min + √λ_max))², μ = ((√κ − 1) / (√κ + 1))², κ = λ_max / λ_min.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from core.progress import Progress

Point = tuple[float, float]
MAX_STEPS = 1000
GRID = 100  # the map's learning rates and momenta: 100 each, in steps of 1 / GRID of their ranges
MAX_MOMENTUM = 0.99  # the map's and the page's largest μ (μ = 1 never forgets: no convergence)
TARGET = 0.01  # "reached": the distance to the minimum stays below this share of the start's
FLOOR = 1e-8  # the error curves stop below this share of the start (float rounding below; a log axis needs > 0)
BLOWN = 1e6  # an error this many times the start's has diverged: its curve is cut there
ONE = 1 - 1e-9  # a rate at least this does not converge: on the line lr λ = 2 (1 + μ) it is 1, rounded either way
DIRECTIONS = ("flat", "steep")  # the eigen-direction of the smaller curvature, then the larger


@dataclass(frozen=True)
class Valley:
    """Heavy-ball momentum (torch.optim.SGD) down a 2-D quadratic valley; the default is section 5's valley
    f = 0.05 w1² + 2 w2² (curvatures 0.1 and 4), from the same start."""

    curvatures: tuple[float, float] = (0.1, 4.0)  # λ of A: the flat direction's, then the steep one's
    lr: float = 0.4
    momentum: float = 0.5
    steps: int = 200
    start: Point = (-4.5, 2.0)
    angle: float = 0.0  # degrees the valley's axes are turned from w1 and w2
    code_version: int = 2  # 2: "lowest rate" (fastest in the long run), not "fastest"; beats_lowest_rate

    def __post_init__(self) -> None:
        if len(self.curvatures) != 2 or not all(1e-3 <= c <= 100 for c in self.curvatures):
            raise ValueError("Give the valley two curvatures, each between 0.001 and 100.")
        if self.curvatures[0] > self.curvatures[1]:
            raise ValueError("List the valley's curvatures flat first: the smaller, then the larger.")
        if not 0 < self.lr <= 10:
            raise ValueError("The learning rate must be above 0 and at most 10.")
        if not 0 <= self.momentum <= MAX_MOMENTUM:
            raise ValueError(f"Momentum μ must be between 0 and {MAX_MOMENTUM:g}.")
        if not 1 <= self.steps <= MAX_STEPS:
            raise ValueError(f"The number of steps must be between 1 and {MAX_STEPS:,}.")
        if not -90 <= self.angle <= 90:
            raise ValueError("The valley's angle must be between -90 and 90 degrees.")
        if len(self.start) != 2 or not all(math.isfinite(v) and abs(v) <= 100 for v in self.start):
            raise ValueError("The start must be two numbers between -100 and 100.")
        if np.abs(self.axes.T @ np.asarray(self.start, dtype=float)).min() < 1e-6:
            raise ValueError("Start off both of the valley's axes, so that each direction has an error to shrink.")

    @property
    def axes(self) -> np.ndarray:
        """(2, 2) Q: column i is direction i (flat, steep) in the (w1, w2) plane."""
        a = math.radians(self.angle)
        return np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])

    @property
    def hessian(self) -> np.ndarray:
        """(2, 2) A = Q diag(λ) Qᵀ."""
        q = self.axes
        return q @ np.diag(self.curvatures) @ q.T


def transition(lr: float, momentum: float, curvature: float) -> np.ndarray:
    """(2, 2) R: one step of momentum along a direction of curvature λ, acting on (velocity y, error x)."""
    return np.array([[momentum, curvature], [-lr * momentum, 1 - lr * curvature]])


def rates(lrs: np.ndarray | float, momenta: np.ndarray | float, curvature: float) -> np.ndarray:
    """The spectral radius of R at every (lr, μ) pair (arrays of one shape): how much the error along a direction
    of curvature λ shrinks per step, in the long run. One batched eigvals call over the stacked R's."""
    lr, mu = np.broadcast_arrays(np.asarray(lrs, dtype=float), np.asarray(momenta, dtype=float))
    r = np.empty((*lr.shape, 2, 2))  # (..., 2, 2): R at each pair, as `transition` writes it
    r[..., 0, 0], r[..., 0, 1] = mu, curvature
    r[..., 1, 0], r[..., 1, 1] = -lr * mu, 1 - lr * curvature
    return np.abs(np.linalg.eigvals(r)).max(axis=-1)


def lr_axis(curvatures: tuple[float, float]) -> np.ndarray:
    """The map's learning rates: GRID steps up to 4 / λ_max, beyond which no μ < 1 converges (lr λ < 2 (1 + μ))."""
    top = 4 / max(curvatures)
    return np.arange(1, GRID + 1) * top / GRID


def momentum_axis() -> np.ndarray:
    """The map's momenta: 0, 0.01, ..., 0.99 (the page's slider steps)."""
    return np.round(np.arange(GRID) * MAX_MOMENTUM / (GRID - 1), 10)


def critical_momentum(lr: float, curvature: float) -> float:
    """Critical damping along one direction: the μ at which R's eigenvalues turn complex, its lowest rate."""
    return (1 - math.sqrt(lr * curvature)) ** 2


def best_settings(curvatures: tuple[float, float]) -> tuple[float, float, float]:
    """Goh's optimum over lr and μ together: (lr, μ, rate) = ((2 / (√λ1 + √λ2))², ((√κ − 1)/(√κ + 1))², its root)."""
    low, high = (math.sqrt(c) for c in curvatures)
    rate = (high - low) / (high + low)  # (√κ − 1) / (√κ + 1)
    return (2 / (low + high)) ** 2, rate**2, rate


def descend(cfg: Valley, momenta: tuple[float, ...]) -> np.ndarray:
    """(K, steps + 1, 2) positions of K runs of torch.optim.SGD(lr, momentum=μ_k) from the start, one param group
    per μ; a run that diverged holds inf or nan from then on (the caller cuts its curves at BLOWN)."""
    hessian = torch.tensor(cfg.hessian)
    w = torch.tensor([cfg.start] * len(momenta), dtype=torch.float64)  # (K, 2): row k is run k's weights
    params = [torch.nn.Parameter(row) for row in w.unbind()]  # views of w: reading w reads every run
    groups = [{"params": [p], "momentum": mu} for p, mu in zip(params, momenta)]
    optimizer = torch.optim.SGD(groups, lr=cfg.lr)
    path = torch.empty(len(momenta), cfg.steps + 1, 2, dtype=torch.float64)
    path[:, 0] = w
    with torch.no_grad():
        for t in range(cfg.steps):
            for p in params:
                p.grad = hessian @ p  # ∇f(w) = A w, the valley's gradient
            optimizer.step()
            path[:, t + 1] = w
    return path.numpy()


def steps_to(distance: np.ndarray, share: float = TARGET) -> int | None:
    """The first step from which the distance stays below `share` of the start's, to the run's end; None if never."""
    above = np.flatnonzero(~(distance <= share * distance[0]))  # nan (diverged) counts as above
    if not len(above):
        return 0
    return int(above[-1]) + 1 if above[-1] + 1 < len(distance) else None


@dataclass(frozen=True)
class ValleyFacts:
    """The valley's rates at the chosen (lr, μ), the μ of the lowest rate at that lr (fastest in
    the long run), and how many steps three runs took."""

    lr: float
    momentum: float
    flat_curvature: float  # λ of the flat direction
    steep_curvature: float
    steps: int
    target: float  # "reached": the distance stays below this share of the start's
    rate: float  # the valley's rate per step: the larger of the two directions' spectral radii
    rate_flat: float
    rate_steep: float
    slowest: str  # "flat", "steep" or "both" (equal rates, √μ, once both swing): the direction that sets the rate
    converges: bool  # rate < 1
    swings_flat: bool  # R's eigenvalues are complex along the flat direction: its error swings through 0
    swings_steep: bool
    plain_rate: float  # the rate at μ = 0 (plain SGD)
    lr_limit_plain: float  # plain SGD diverges from lr = 2 / λ_max
    lr_limit: float  # and momentum μ from lr = 2 (1 + μ) / λ_max
    lowest_rate_momentum: float | None  # the μ of the map's (0, 0.01, ..., 0.99) with the lowest rate at this lr;
    #                                 None where every μ diverges
    lowest_rate: float | None
    critical_momentum: float  # the closed form of the lowest-rate μ: max_i (1 − √(lr λ_i))² (critical damping)
    critical_direction: str  # the direction whose critical damping that is
    steps_momentum: int | None  # measured steps until the distance stays below `target` of the start's (None: not
    #                             within `steps`); the chosen μ, plain SGD, the lowest-rate μ
    steps_plain: int | None
    steps_lowest_rate: int | None
    beats_lowest_rate: bool  # the chosen μ reached `target` in fewer measured steps than the lowest-rate μ (k ρ^k)
    predicted_steps: int | None  # log(target) / log(rate), rounded up: what the rate alone predicts (None: diverges)
    diverged_at: int | None  # the step where the chosen run's error passed BLOWN times the start's
    best_lr: float  # Goh's optimum over both: lr = (2 / (√λ_min + √λ_max))²,
    best_momentum: float  # μ = ((√κ − 1) / (√κ + 1))²
    best_rate: float


@dataclass
class ValleyResult:
    """What the section draws: errors per direction, the paths, the rate map and its lowest-rate-μ line, a table."""

    errors: pd.DataFrame  # run, curve, step, error (|x_i| along each direction and the distance to the minimum)
    paths: pd.DataFrame  # optimizer (the run), step, w1, w2, loss: for charts.landscape
    surface: pd.DataFrame  # w1, w2, loss, level: the valley on a grid
    rate_map: pd.DataFrame  # lr, momentum, rate (the valley's), slowest ("flat" / "steep"), diverges
    lowest_rates: pd.DataFrame  # lr, momentum, rate: the lowest-rate μ of each lr that some μ converges at
    table: pd.DataFrame  # one row per run: μ, rate, steps predicted by the rate, steps measured
    facts: ValleyFacts


def run_label(momentum: float, lowest: float | None) -> str:
    """"μ = 0.5", "μ = 0 (plain SGD)", "μ = 0.64 (lowest rate at this lr)"."""
    note = " (plain SGD)" if momentum == 0 else " (lowest rate at this lr)" if momentum == lowest else ""
    return f"μ = {momentum:g}{note}"


def _lowest_rate(lr: float, curvatures: tuple[float, float]) -> tuple[float | None, float | None]:
    """The map's μ with the lowest valley rate at `lr`, and that rate; (None, None) where every μ diverges."""
    mus = momentum_axis()
    valley = np.maximum(*(rates(np.full_like(mus, lr), mus, c) for c in curvatures))
    best = int(np.argmin(valley))
    return (float(mus[best]), float(valley[best])) if valley[best] < ONE else (None, None)


def _map(cfg: Valley) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The valley's rate over the (lr, μ) grid, and the lowest-rate μ of each lr column."""
    lr, mu = np.meshgrid(lr_axis(cfg.curvatures), momentum_axis(), indexing="ij")  # (GRID, GRID)
    flat, steep = (rates(lr, mu, c) for c in cfg.curvatures)
    rate = np.maximum(flat, steep)
    grid = pd.DataFrame({"lr": lr.ravel(), "momentum": mu.ravel(), "rate": rate.ravel(),
                         "slowest": np.where(flat >= steep, "flat", "steep").ravel(), "diverges": rate.ravel() >= ONE})
    best = rate.argmin(axis=1)  # (GRID,): per lr, the index of its lowest-rate μ
    rows = np.arange(len(best))
    keep = rate[rows, best] < ONE
    lowest = pd.DataFrame({"lr": lr[rows, best][keep], "momentum": mu[rows, best][keep],
                            "rate": rate[rows, best][keep]})
    return grid, lowest


def _surface(cfg: Valley, n: int = 60) -> pd.DataFrame:
    """The valley on an n x n grid around the minimum that holds the start: w1, w2, loss, level (contour band:
    higher = lower loss, halving bands as core.landscapes.surface_grid draws them)."""
    half = 1.2 * float(np.hypot(*cfg.start))
    side = np.linspace(-half, half, n)
    g2, g1 = np.meshgrid(side, side, indexing="ij")
    w = np.stack([g1.ravel(), g2.ravel()], axis=1)  # (n * n, 2)
    loss = 0.5 * np.einsum("ni,ij,nj->n", w, cfg.hessian, w)
    level = np.clip(np.floor(np.log2(loss.max() / np.maximum(loss, 1e-12))), 0, 12)
    return pd.DataFrame({"w1": w[:, 0], "w2": w[:, 1], "loss": loss, "level": level})


def valley(cfg: Valley, on_progress: Progress[ValleyResult] | None = None) -> ValleyResult:
    """Step torch.optim.SGD down the valley at the chosen μ, at μ = 0 and at the lowest-rate μ of this lr;
    split each run's error along the valley's two directions; map the rate over (lr, μ)."""
    flat_c, steep_c = cfg.curvatures
    lowest, lowest_rate = _lowest_rate(cfg.lr, cfg.curvatures)
    momenta = tuple(dict.fromkeys([cfg.momentum, 0.0] + ([lowest] if lowest is not None else [])))
    path = descend(cfg, momenta)  # (K, T + 1, 2)
    along = np.abs(path @ cfg.axes)  # (K, T + 1, 2): |x_i|, the error along each direction
    distance = np.linalg.norm(path, axis=-1)  # (K, T + 1)
    start = distance[:, :1]
    with np.errstate(invalid="ignore", over="ignore"):
        blown = np.maximum.accumulate(~(distance <= BLOWN * start), axis=1)  # from the first blown step on
    names = {mu: run_label(mu, lowest) for mu in momenta}
    frames, moves, table = [], [], []
    for k, mu in enumerate(momenta):
        steps = np.arange(cfg.steps + 1)
        kept = ~blown[k]
        curves = {f"{names[mu]}: distance to the minimum": distance[k]}
        if k == 0:  # the chosen run, one direction at a time
            curves = {f"{names[mu]}: {d} direction (λ = {c:g})": along[k, :, i]
                      for i, (d, c) in enumerate(zip(DIRECTIONS, cfg.curvatures))} | curves
        for curve, error in curves.items():
            shown = kept & (error >= FLOOR * start[k, 0])
            frames.append(pd.DataFrame({"run": names[mu], "curve": curve, "step": steps[shown],
                                        "error": error[shown]}))
        p = path[k][kept]
        moves.append(pd.DataFrame({"optimizer": names[mu], "step": steps[kept], "w1": p[:, 0], "w2": p[:, 1],
                                   "loss": 0.5 * np.einsum("ni,ij,nj->n", p, cfg.hessian, p)}))
        rate = max(float(rates(cfg.lr, mu, c)) for c in cfg.curvatures)
        table.append({"run": names[mu], "momentum μ": mu, "rate per step": rate,
                      "steps to 1% (predicted by the rate)": _predicted(rate),
                      "steps to 1% (measured)": steps_to(distance[k])})
    rate_flat, rate_steep = (float(rates(cfg.lr, cfg.momentum, c)) for c in cfg.curvatures)
    rate = max(rate_flat, rate_steep)
    measured = {mu: steps_to(distance[k]) for k, mu in enumerate(momenta)}
    criticals = [critical_momentum(cfg.lr, c) for c in cfg.curvatures]
    best_lr, best_mu, best_rate = best_settings(cfg.curvatures)
    grid, lowest_line = _map(cfg)
    facts = ValleyFacts(
        lr=cfg.lr, momentum=cfg.momentum, flat_curvature=flat_c, steep_curvature=steep_c, steps=cfg.steps,
        target=TARGET, rate=rate, rate_flat=rate_flat, rate_steep=rate_steep,
        slowest="both" if math.isclose(rate_flat, rate_steep, rel_tol=1e-9) else
        DIRECTIONS[int(rate_steep > rate_flat)],
        converges=rate < ONE,
        swings_flat=_swings(cfg.lr, cfg.momentum, flat_c), swings_steep=_swings(cfg.lr, cfg.momentum, steep_c),
        plain_rate=max(abs(1 - cfg.lr * c) for c in cfg.curvatures), lr_limit_plain=2 / steep_c,
        lr_limit=2 * (1 + cfg.momentum) / steep_c, lowest_rate_momentum=lowest, lowest_rate=lowest_rate,
        critical_momentum=max(criticals), critical_direction=DIRECTIONS[int(np.argmax(criticals))],
        steps_momentum=measured[cfg.momentum], steps_plain=measured[0.0],
        steps_lowest_rate=measured[lowest] if lowest is not None else None,
        beats_lowest_rate=lowest is not None and _sooner(measured[cfg.momentum], measured[lowest]),
        predicted_steps=_predicted(rate),
        diverged_at=int(np.argmax(blown[0])) if blown[0].any() else None,
        best_lr=best_lr, best_momentum=best_mu, best_rate=best_rate)
    return ValleyResult(errors=pd.concat(frames, ignore_index=True), paths=pd.concat(moves, ignore_index=True),
                        surface=_surface(cfg), rate_map=grid, lowest_rates=lowest_line, table=pd.DataFrame(table),
                        facts=facts)


def _swings(lr: float, momentum: float, curvature: float) -> bool:
    """R's eigenvalues are complex (trace² < 4 det): the error along this direction swings through 0."""
    return (1 + momentum - lr * curvature) ** 2 < 4 * momentum


def _predicted(rate: float) -> int | None:
    """Steps for rate^k to fall below TARGET; None where it never does (rate ≥ 1)."""
    return math.ceil(math.log(TARGET) / math.log(rate)) if 0 < rate < ONE else (1 if rate == 0 else None)


def _sooner(steps: int | None, other: int | None) -> bool:
    """Whether a run that got below the target in `steps` did so before one that took `other` (None: never)."""
    return steps is not None and (other is None or steps < other)

"""Preprocessing (slides 33-35): min-max normalization vs standardization, by hand, and what scaling does to training.

- Scalers: `fit_scaler(kind, x) -> Scaler`, `transform(scaler, x)`: pure functions written out
  (the lesson is about them), tested equal to scikit-learn's MinMaxScaler / StandardScaler / RobustScaler.
- `scaling_view`: a table's per-feature distributions raw, normalized and standardized, with the fitted numbers.
- `race`: the same MLP trained on raw, normalized and standardized inputs (same seed, same learning rate).
- `contours`: a 2-feature linear model's loss surface, raw vs standardized, and the gradient-descent path on it.
- `outliers`: one extreme value squeezes min-max scaling; standardization and the robust scaler cope.
- Images (per-channel normalization, pixels to [0, 1]) are in `core.image_scaling`.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, TypeVar

import numpy as np
import pandas as pd
import torch

from core import data, training
from core.uploads import Source, load_source
from core.device import pick_device
from core.models import MLPSpec

KINDS = ("min-max", "standard", "robust")
LABELS = {"raw": "raw", "min-max": "normalized (min-max)", "standard": "standardized", "robust": "robust (median, IQR)"}
RACE = ("raw", "min-max", "standard")
Array = TypeVar("Array", np.ndarray, torch.Tensor)


# Scalers ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Scaler:
    """x' = (x - shift) / scale, per feature (column)."""

    kind: str
    shift: np.ndarray  # (D,) min, mean or median
    scale: np.ndarray  # (D,) max - min, std (ddof=0) or IQR; 1 where that is 0, a constant column (as sklearn does)


def fit_scaler(kind: str, x: np.ndarray | torch.Tensor) -> Scaler:
    """Fit on the rows of x (N, D): only the rows it is given, so pass the training rows."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or len(x) == 0:
        raise ValueError("A scaler is fitted on a table of shape (rows, features) with at least one row.")
    if kind == "min-max":
        shift, spread = x.min(axis=0), x.max(axis=0) - x.min(axis=0)
    elif kind == "standard":
        shift, spread = x.mean(axis=0), x.std(axis=0)  # ddof=0: the population std, like StandardScaler
    elif kind == "robust":
        q1, shift, q3 = np.percentile(x, [25, 50, 75], axis=0)
        spread = q3 - q1
    else:
        raise ValueError(f"Unknown scaler {kind!r}: choose one of {', '.join(KINDS)}.")
    # A constant column's spread is 0, or a rounding crumb such as 1e-17: divide by 1 instead, and shift by
    # its value itself (a mean can be off in the last bit), so it maps to exactly 0.
    constant = spread <= 1e-12 * np.maximum(1.0, np.abs(x).max(axis=0))
    return Scaler(kind, np.where(constant, x[0], shift), np.where(constant, 1.0, spread))


def transform(scaler: Scaler, x: Array) -> Array:
    """(x - shift) / scale for a numpy array or a tensor (N, D), in its own type and dtype."""
    if isinstance(x, torch.Tensor):
        return (x - torch.as_tensor(scaler.shift, dtype=x.dtype)) / torch.as_tensor(scaler.scale, dtype=x.dtype)
    return (x - scaler.shift) / scaler.scale


def scale_dataset(ds: data.Dataset, kind: str, fit_on: str = "train") -> tuple[data.Dataset, Scaler | None]:
    """The dataset with scaled inputs; the scaler sees the training rows only, or all rows (`fit_on="all"`, a leak)."""
    if kind == "raw":
        return ds, None
    if fit_on not in ("train", "all"):
        raise ValueError("Fit the scaler on 'train' rows or on 'all' rows.")
    rows = ds.x_train if fit_on == "train" else torch.cat([ds.x_train, ds.x_val])
    scaler = fit_scaler(kind, rows)
    scaled = replace(ds, x_train=transform(scaler, ds.x_train.double()).float(),
                     x_val=transform(scaler, ds.x_val.double()).float())
    return scaled, scaler


# 1. Distributions before and after ---------------------------------------------------------------------


@dataclass(frozen=True)
class ScalingView:
    source: Source = Source()
    code_version: int = 1


@dataclass
class ViewResult:
    boxes: pd.DataFrame  # scaling, feature, min, q1, median, q3, max: the training rows' distribution
    params: pd.DataFrame  # feature, min, max, mean, std: what the scalers fitted on the training rows
    constant: list[str]  # constant feature columns (scale 1, output 0)
    n_train: int
    widest: str  # the feature with the largest raw range (max - min) ...
    narrowest: str  # ... and with the smallest non-zero one


def _boxes(x: np.ndarray, features: tuple[str, ...], scaling: str) -> pd.DataFrame:
    q = np.percentile(x, [0, 25, 50, 75, 100], axis=0)  # (5, D)
    return pd.DataFrame({"scaling": scaling, "feature": features, "min": q[0], "q1": q[1], "median": q[2],
                         "q3": q[3], "max": q[4]})


def scaling_view(cfg: ScalingView, on_progress: Callable | None = None) -> ViewResult:
    ds = load_source(cfg.source)
    x = ds.x_train.double().numpy()
    frames = [_boxes(x, ds.feature_names, LABELS["raw"])]
    for kind in ("min-max", "standard"):
        frames.append(_boxes(transform(fit_scaler(kind, x), x), ds.feature_names, LABELS[kind]))
    params = pd.DataFrame({"feature": ds.feature_names, "min": x.min(0), "max": x.max(0), "mean": x.mean(0),
                           "std": x.std(0)})
    ranges = pd.Series(np.ptp(x, axis=0), index=list(ds.feature_names))
    return ViewResult(pd.concat(frames, ignore_index=True), params, list(ranges.index[ranges == 0]), len(x),
                      str(ranges.idxmax()), str(ranges[ranges > 0].idxmin()) if (ranges > 0).any() else str(ranges.index[0]))


# 2. The effect on training -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ScalingRace:
    """The same MLP (same seed, same learning rate) trained on raw, normalized and standardized inputs."""

    source: Source = Source()
    lr: float = 0.03
    epochs: int = 60
    batch_size: int = 16
    widths: tuple[int, ...] = (32,)
    target: float = 0.9  # the validation accuracy whose first epoch the table reports
    fit_on: str = "train"  # "all" fits the scalers on validation rows too: the leak of section 4
    seed: int = 0
    code_version: int = 1

    def __post_init__(self) -> None:
        if not 0 < self.lr <= 10:
            raise ValueError("The learning rate must be in (0, 10].")
        if not 1 <= self.epochs <= 500:
            raise ValueError("Use between 1 and 500 epochs here.")
        if not 0 < self.target <= 1:
            raise ValueError("The target accuracy must be above 0% and at most 100%.")
        if self.fit_on not in ("train", "all"):
            raise ValueError("Fit the scaler on 'train' rows or on 'all' rows.")


@dataclass
class RaceResult:
    history: pd.DataFrame  # variant, epoch, split, metric, value; variants as in LABELS
    table: pd.DataFrame  # variant, epochs to target, validation accuracy, validation loss
    reached: dict[str, int | None]  # first epoch at the target validation accuracy, None if never
    messages: dict[str, str]  # variant -> what went wrong (divergence), from the trainer
    scalers: pd.DataFrame  # variant, feature, shift, scale: what each scaler fitted
    majority: float  # share of the most common class among the validation rows: "always guess it" scores this


def first_epoch_at(history: pd.DataFrame, target: float) -> dict[str, int | None]:
    """Per variant, the first epoch whose validation accuracy is at least `target` (None: never)."""
    acc = history[(history.split == "validation") & (history.metric == "accuracy")]
    hit = acc[acc.value >= target - 1e-9].groupby("variant", sort=False).epoch.min()
    return {v: (int(hit[v]) if v in hit.index else None) for v in acc.variant.unique()}


def race(cfg: ScalingRace, on_progress: Callable[[float, object], None] | None = None) -> RaceResult:
    ds = load_source(cfg.source)
    spec = MLPSpec(ds.n_features, cfg.widths, ds.n_classes, "relu")
    train = training.TrainConfig(epochs=cfg.epochs, batch_size=min(cfg.batch_size, len(ds.x_train)), lr=cfg.lr,
                                 optimizer="sgd", seed=cfg.seed)
    fits, scalers = [], []
    for i, kind in enumerate(RACE):  # three fit calls: the inputs differ, so they cannot share one batched pass
        scaled, scaler = scale_dataset(ds, kind, cfg.fit_on)

        def report(fraction: float, snap: training.Snapshot, i: int = i) -> None:
            if on_progress is not None:
                on_progress((i + fraction) / len(RACE), snap)

        fits.append(training.fit(spec, scaled, train, pick_device(), report, name=LABELS[kind]))
        if scaler is not None:
            scalers.append(pd.DataFrame({"variant": LABELS[kind], "feature": ds.feature_names,
                                         "shift": scaler.shift, "scale": scaler.scale}))
    history = pd.concat([f.history for f in fits], ignore_index=True)
    reached = first_epoch_at(history, cfg.target)
    acc = {k: v for f in fits for k, v in f.final("accuracy").items()}
    loss = {k: v for f in fits for k, v in f.final("loss").items()}
    names = [LABELS[k] for k in RACE]
    table = pd.DataFrame({
        "variant": names,
        f"epochs to {cfg.target:.0%} validation accuracy": [str(reached[n]) if reached[n] is not None
                                                            else "not reached" for n in names],
        "final validation accuracy": [acc.get(n, np.nan) for n in names],
        "final validation loss": [loss.get(n, np.nan) for n in names],
    })
    messages = {k: v for f in fits for k, v in f.messages.items()}
    majority = float(torch.bincount(ds.y_val).max() / len(ds.y_val))
    return RaceResult(history, table, reached, messages, pd.concat(scalers, ignore_index=True), majority)


def leak_table(clean: RaceResult, leaky: RaceResult) -> pd.DataFrame:
    """Per scaled variant: validation accuracy with the scaler fitted on training rows vs on all rows."""
    rows = []
    for variant in clean.scalers.variant.unique():
        a, b = (r.table.set_index("variant").loc[variant, "final validation accuracy"] for r in (clean, leaky))
        moved = (leaky.scalers.loc[leaky.scalers.variant == variant, ["shift", "scale"]].to_numpy()
                 / clean.scalers.loc[clean.scalers.variant == variant, ["shift", "scale"]].to_numpy() - 1)
        rows.append({"variant": variant, "fit on training rows": a, "fit on all rows (leak)": b,
                     "difference": b - a, "largest change of a fitted number": float(np.nanmax(np.abs(moved)))})
    return pd.DataFrame(rows)


# 3. Why: loss contours of a 2-feature linear model ----------------------------------------------------


@dataclass(frozen=True)
class Contours:
    """y ≈ w1·x1 + w2·x2 by least squares; x1 has std 1, x2 has std `spread`; GD from the same start."""

    spread: float = 5.0
    correlation: float = 0.3  # between x1 and x2, so the valley is tilted as in real tables
    lr_fraction: float = 0.8  # of each surface's largest stable learning rate, 2 / largest Hessian eigenvalue
    steps: int = 30
    start: tuple[float, float] = (-1.0, -1.5)
    n_samples: int = 200
    grid: int = 60
    seed: int = 0
    code_version: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.spread <= 100:
            raise ValueError("The spread of feature 2 must be between 1 and 100.")
        if not 0 < self.lr_fraction < 1.2:
            raise ValueError("The learning rate must be above 0 and below 1.2 times the largest stable one.")
        if not 1 <= self.steps <= 500:
            raise ValueError("Use between 1 and 500 gradient-descent steps.")


@dataclass
class ContourResult:
    surface: pd.DataFrame  # scaling, w1, w2, loss, level (contour band: 0 far out ... higher nearer the minimum)
    path: pd.DataFrame  # scaling, step, w1, w2, loss
    table: pd.DataFrame  # scaling, condition number, learning rate, steps taken, final loss, lowest possible loss


def _surface(x: np.ndarray, y: np.ndarray, cfg: Contours, scaling: str) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    n = len(x)
    hessian = 2 / n * x.T @ x  # (2, 2): the MSE loss is a quadratic bowl with this curvature
    eig = np.linalg.eigvalsh(hessian)
    lr = cfg.lr_fraction * 2 / eig[-1]
    best = np.linalg.lstsq(x, y, rcond=None)[0]
    w, path = np.array(cfg.start, dtype=np.float64), []
    for step in range(cfg.steps + 1):
        path.append((step, *w, float(np.mean((x @ w - y) ** 2))))
        w = w - lr * (2 / n * x.T @ (x @ w - y))  # w <- w - lr * grad
        if not np.isfinite(w).all() or np.abs(w).max() > 1e6:
            break
    path_df = pd.DataFrame(path, columns=["step", "w1", "w2", "loss"]).assign(scaling=scaling)
    inside = path_df[(path_df[["w1", "w2"]] - best).abs().max(axis=1) < 20 * np.abs(np.subtract(cfg.start, best)).max()]
    pts = np.vstack([inside[["w1", "w2"]].to_numpy(), best])
    centre, half = (pts.max(0) + pts.min(0)) / 2, (pts.max(0) - pts.min(0)).max() / 2 * 1.15 + 1e-9
    axis = (np.arange(cfg.grid) + 0.5) / cfg.grid * 2 - 1  # cell centres in (-1, 1)
    g1, g2 = np.meshgrid(centre[0] + half * axis, centre[1] + half * axis)  # equal spans: the true shape
    ws = np.stack([g1.ravel(), g2.ravel()], axis=1)  # (G*G, 2)
    loss = np.mean((ws @ x.T - y) ** 2, axis=1)
    low = float(np.mean((x @ best - y) ** 2))
    level = np.clip(np.floor(np.log2((loss.max() - low) / np.maximum(loss - low, 1e-12))), 0, 12)
    surface = pd.DataFrame({"scaling": scaling, "w1": ws[:, 0], "w2": ws[:, 1], "loss": loss, "level": level})
    row = {"scaling": scaling, "condition number": eig[-1] / eig[0], "learning rate": lr,
           "steps taken": len(path) - 1, "final loss": path[-1][3], "lowest possible loss": low}
    return surface, path_df[["scaling", "step", "w1", "w2", "loss"]], row


def contours(cfg: Contours, on_progress: Callable | None = None) -> ContourResult:
    rng = np.random.default_rng(cfg.seed)
    c = cfg.correlation
    z = rng.standard_normal((cfg.n_samples, 2)) @ np.linalg.cholesky([[1, c], [c, 1]]).T  # correlated, std 1
    y = z @ np.array([1.0, 1.0]) + 0.3 * rng.standard_normal(cfg.n_samples)
    raw = z * np.array([1.0, cfg.spread])
    parts = [_surface(raw, y, cfg, LABELS["raw"]),
             _surface(transform(fit_scaler("standard", raw), raw), y, cfg, LABELS["standard"])]
    return ContourResult(pd.concat([p[0] for p in parts], ignore_index=True),
                         pd.concat([p[1] for p in parts], ignore_index=True), pd.DataFrame([p[2] for p in parts]))


# 5. Outliers ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outlier:
    """One training row whose `feature` is `factor` times that feature's largest value."""

    source: Source = Source()
    feature: str = "alcohol"
    factor: float = 10.0
    code_version: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.factor <= 1000:
            raise ValueError("The outlier must be between 1 and 1,000 times the largest value.")


@dataclass
class OutlierResult:
    points: pd.DataFrame  # scaling, value, row ("outlier" | "other rows")
    table: pd.DataFrame  # scaling, outlier becomes, other rows' middle 50% spread, squeezed by (factor)


def outliers(cfg: Outlier, on_progress: Callable | None = None) -> OutlierResult:
    ds = load_source(cfg.source)
    if cfg.feature not in ds.feature_names:
        raise ValueError(f"There is no feature {cfg.feature!r}; choose one of {', '.join(ds.feature_names)}.")
    col = ds.x_train[:, ds.feature_names.index(cfg.feature)].double().numpy()[:, None]  # (N, 1)
    extreme = cfg.factor * np.abs(col).max() if np.abs(col).max() > 0 else cfg.factor
    with_outlier = np.vstack([col, [[extreme]]])
    frames, rows = [], []
    for kind in ("raw", *KINDS):
        scaled = with_outlier if kind == "raw" else transform(fit_scaler(kind, with_outlier), with_outlier)
        clean = col if kind == "raw" else transform(fit_scaler(kind, col), col)
        q = lambda v: float(np.subtract(*np.percentile(v, [75, 25])))  # noqa: E731 - the middle 50% spread
        frames.append(pd.DataFrame({"scaling": LABELS[kind], "value": scaled[:, 0],
                                    "row": ["other rows"] * len(col) + ["outlier"]}))
        rows.append({"scaling": LABELS[kind], "outlier becomes": float(scaled[-1, 0]),
                     "other rows' middle 50% spread": q(scaled[:-1]),
                     "squeezed by": q(clean) / q(scaled[:-1]) if q(scaled[:-1]) > 0 else np.nan})
    return OutlierResult(pd.concat(frames, ignore_index=True), pd.DataFrame(rows))

"""Preprocessing (slides 34-35): min-max normalization vs standardization, by hand, and what scaling does to training.

- Scalers: `fit_scaler(kind, x) -> Scaler`, `transform(scaler, x)`: pure functions written out
  (the lesson is about them), tested equal to scikit-learn's MinMaxScaler / StandardScaler / RobustScaler.
- `scaling_view`: a table's per-feature distributions raw, normalized and standardized, with the fitted numbers.
- `race`: the same MLP trained on raw, normalized and standardized inputs (same seed, same learning rate).
- `contours`: a 2-feature linear model's loss surface, raw vs standardized, and the gradient-descent path on it.
- `outliers`: one extreme value squeezes min-max scaling; standardization and the robust scaler cope.
- Images (per-channel normalization, pixels to [0, 1]) are in `core.image_scaling`.

Each result carries `facts`: the few plain numbers its "what to notice" sentence rests on, computed here
and unit-tested, so the page only chooses words for them.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import torch

from core import data, training
from core.device import pick_device
from core.models import MLPSpec
from core.progress import Progress
from core.uploads import Source, load_source

KINDS = ("min-max", "standard", "robust")
LABELS = {"raw": "raw", "min-max": "normalized (min-max)", "standard": "standardized", "robust": "robust (median, IQR)"}
RACE = ("raw", "min-max", "standard")
SMALL_SQUEEZE = 1.1  # a squeeze by at most 10% is "hardly any"
SCALER_WORDS = {"min-max": "min-max", "standard": "standardization", "robust": "robust scaling"}
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
    code_version: int = 3  # 3: standard_std_same


@dataclass(frozen=True)
class ViewFacts:
    """What section 1's sentence says about the training rows, raw and after each scaler."""

    n_train: int
    widest: str  # the feature with the largest raw range (max - min) ...
    widest_min: float
    widest_max: float
    narrowest: str  # ... and with the smallest non-zero one
    narrowest_min: float
    narrowest_max: float
    range_ratio: float  # widest range / narrowest range
    n_constant: int  # constant columns: every scaler maps them to 0 (scale 1)
    minmax_lowest: float  # smallest value of any feature after min-max (0) ...
    minmax_highest: float  # ... and largest (1, unless every column is constant)
    standard_largest_mean: float  # largest |mean| of a feature after standardizing (0 up to rounding)
    standard_std_lowest: float  # smallest and largest std of a non-constant feature after standardizing (1)
    standard_std_highest: float
    standard_std_same: bool  # lowest and highest std read the same at 3 decimals: say "1.000 in every column"


@dataclass
class ScalingViewResult:
    boxes: pd.DataFrame  # scaling, feature, min, q1, median, q3, max: the training rows' distribution
    params: pd.DataFrame  # feature, min, max, mean, std: what the scalers fitted on the training rows
    constant: list[str]  # constant feature columns (scale 1, output 0)
    features: tuple[str, ...]
    facts: ViewFacts


def _boxes(x: np.ndarray, features: tuple[str, ...], scaling: str) -> pd.DataFrame:
    q = np.percentile(x, [0, 25, 50, 75, 100], axis=0)  # (5, D)
    return pd.DataFrame({"scaling": scaling, "feature": features, "min": q[0], "q1": q[1], "median": q[2],
                         "q3": q[3], "max": q[4]})


def scaling_view(cfg: ScalingView, on_progress: Progress[ScalingViewResult] | None = None) -> ScalingViewResult:
    ds = load_source(cfg.source)
    x = ds.x_train.double().numpy()
    minmax, standard = (transform(fit_scaler(kind, x), x) for kind in ("min-max", "standard"))
    frames = [_boxes(v, ds.feature_names, LABELS[k])
              for k, v in (("raw", x), ("min-max", minmax), ("standard", standard))]
    params = pd.DataFrame({"feature": ds.feature_names, "min": x.min(0), "max": x.max(0), "mean": x.mean(0),
                           "std": x.std(0)})
    ranges = np.ptp(x, axis=0)
    varying = ranges > 0
    wide = int(np.argmax(ranges))
    narrow = int(np.flatnonzero(varying)[np.argmin(ranges[varying])]) if varying.any() else wide
    stds = standard.std(axis=0)[varying] if varying.any() else np.zeros(1)
    facts = ViewFacts(len(x), ds.feature_names[wide], float(x[:, wide].min()), float(x[:, wide].max()),
                      ds.feature_names[narrow], float(x[:, narrow].min()), float(x[:, narrow].max()),
                      float(ranges[wide] / ranges[narrow]) if ranges[narrow] > 0 else 1.0, int((~varying).sum()),
                      float(minmax.min()), float(minmax.max()), float(np.abs(standard.mean(axis=0)).max()),
                      float(stds.min()), float(stds.max()), f"{stds.min():.3f}" == f"{stds.max():.3f}")
    constant = [name for name, flat in zip(ds.feature_names, ~varying) if flat]
    return ScalingViewResult(pd.concat(frames, ignore_index=True), params, constant, tuple(ds.feature_names), facts)


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
    code_version: int = 3  # 3: tiny_lr, at_tiny_lr

    def __post_init__(self) -> None:
        if not 0 < self.lr <= 10:
            raise ValueError("The learning rate must be in (0, 10].")
        if not 1 <= self.epochs <= 500:
            raise ValueError("Use between 1 and 500 epochs here.")
        if not 0 < self.target <= 1:
            raise ValueError("The target accuracy must be above 0% and at most 100%.")
        if self.fit_on not in ("train", "all"):
            raise ValueError("Fit the scaler on 'train' rows or on 'all' rows.")


# How long the race takes on the 2-core CPU this app is sized for (issue 18: 3 s or more starts on a button):
# timed cold through the page (AppTest) at 0.9 and 1.0 s at 60 epochs on wine (178 rows); in core 1.0 s on wine
# and 1.78 s on breast cancer (569 rows). Its work grows with the epochs and, past a fixed part, with the rows.
RACE_SECONDS = 1.0
RACE_ROWS = {"wine": 178, "breast_cancer": 569}  # the bundled tables' rows
RACE_PER_ROW = (1.78 - 1.0) / (569 - 178)  # seconds per row at 60 epochs, from the two tables


def race_seconds(cfg: ScalingRace) -> float:
    """The seconds `race(cfg)` takes here: RACE_SECONDS on wine, scaled by the rows (an upload's lines) and epochs."""
    source = cfg.source
    rows = RACE_ROWS.get(source.name, 0) if not source.csv else source.csv.count(b"\n")
    per_60 = RACE_SECONDS + RACE_PER_ROW * (rows - RACE_ROWS["wine"])
    return max(per_60, RACE_SECONDS / 2) * cfg.epochs / ScalingRace().epochs


@dataclass(frozen=True)
class RaceFacts:
    """What the race's sentence says: when each variant first reached the target, and how it ended."""

    lr: float
    epochs: int
    target: float
    reached_raw: int | None  # first epoch at the target validation accuracy; None: not within `epochs`
    reached_minmax: int | None
    reached_standard: int | None
    final_acc_raw: float
    final_acc_minmax: float
    final_acc_standard: float
    majority: float  # share of the most common validation class: what answering it for every row scores
    raw_at_majority: bool  # the raw network's final accuracy is exactly that share (within 1e-6)
    standard_first: bool  # standardized reaches the target, and before raw (or raw never does)
    # A first-layer weight's gradient is (error signal) x its input, so the inputs' sizes set the gradients'
    # sizes: largest / smallest mean |x| over the features, on the training rows, raw and standardized.
    input_size_ratio_raw: float
    input_size_ratio_standard: float
    tiny_lr: float  # TINY_LR, the rate the sentence suggests for raw inputs ...
    at_tiny_lr: bool  # ... unless the race already runs at it


TINY_LR = 0.0003  # a rate at which raw inputs learn something while scaled ones crawl (default data)


@dataclass
class ScalingRaceResult:
    """The race; while it trains (`on_progress`) only `history` is there, the curves so far."""

    history: pd.DataFrame  # variant, epoch, split, metric, value; variants as in LABELS
    table: pd.DataFrame | None = None  # variant, epochs to target, validation accuracy, validation loss
    reached: dict[str, int | None] | None = None  # first epoch at the target validation accuracy, None if never
    messages: dict[str, str] | None = None  # variant -> what went wrong (divergence), from the trainer
    scalers: pd.DataFrame | None = None  # variant, feature, shift, scale: what each scaler fitted
    majority: float | None = None  # share of the most common validation class: "always guess it" scores this
    facts: RaceFacts | None = None


def first_epoch_at(history: pd.DataFrame, target: float) -> dict[str, int | None]:
    """Per variant, the first epoch whose validation accuracy is at least `target` (None: never)."""
    acc = history[(history.split == "validation") & (history.metric == "accuracy")]
    hit = acc[acc.value >= target - 1e-9].groupby("variant", sort=False).epoch.min()
    return {v: (int(hit[v]) if v in hit.index else None) for v in acc.variant.unique()}


def race(cfg: ScalingRace, on_progress: Progress[ScalingRaceResult] | None = None) -> ScalingRaceResult:
    """Train the same MLP on raw, normalized and standardized inputs, one after the other."""
    ds = load_source(cfg.source)
    spec = MLPSpec(ds.n_features, cfg.widths, ds.n_classes, "relu")
    train = training.TrainConfig(epochs=cfg.epochs, batch_size=min(cfg.batch_size, len(ds.x_train)), lr=cfg.lr,
                                 optimizer="sgd", seed=cfg.seed)
    fits: list[training.FitResult] = []
    scalers: list[pd.DataFrame] = []
    sizes: dict[str, float] = {}
    for i, kind in enumerate(RACE):  # three fit calls: the inputs differ, so they cannot share one batched pass
        scaled, scaler = scale_dataset(ds, kind, cfg.fit_on)

        def so_far(snap: training.Snapshot, done: tuple[pd.DataFrame, ...] = tuple(f.history for f in fits)
                   ) -> ScalingRaceResult:
            """The finished variants' curves, then this one's so far."""
            return ScalingRaceResult(pd.concat([*done, snap.history], ignore_index=True))

        report = training.relay(on_progress, so_far, i / len(RACE), (i + 1) / len(RACE))
        fits.append(training.fit(spec, scaled, train, pick_device(), report, name=LABELS[kind]))
        typical = scaled.x_train.double().abs().mean(dim=0)
        sizes[kind] = float(typical.max() / typical.min()) if typical.min() > 0 else float("inf")
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
    first = {k: reached[LABELS[k]] for k in RACE}
    final = {k: float(acc.get(LABELS[k], np.nan)) for k in RACE}
    facts = RaceFacts(cfg.lr, cfg.epochs, cfg.target, first["raw"], first["min-max"], first["standard"],
                      final["raw"], final["min-max"], final["standard"], majority,
                      abs(final["raw"] - majority) <= 1e-6,
                      first["standard"] is not None and (first["raw"] is None or first["raw"] > first["standard"]),
                      sizes["raw"], sizes["standard"], TINY_LR, cfg.lr == TINY_LR)
    return ScalingRaceResult(history, table, reached, messages, pd.concat(scalers, ignore_index=True), majority, facts)


@dataclass(frozen=True)
class LeakFacts:
    """How much fitting the scalers on the validation rows too changed things (section 4)."""

    largest_fitted_change: float  # largest relative change of a fitted min, max, mean or std
    fitted_change_variant: str  # ... in this variant's scaler
    accuracy_change: float  # the validation accuracy change of largest size (signed: leaky - clean)
    accuracy_change_variant: str
    accuracy_changed: bool  # accuracy_change is not 0


def leak_facts(table: pd.DataFrame) -> LeakFacts:
    """The facts of a `leak_table`."""
    fitted = table["largest change of a fitted number"].to_numpy()
    moved = table["difference"].to_numpy()
    i, j = int(np.nanargmax(fitted)), int(np.nanargmax(np.abs(moved)))
    return LeakFacts(float(fitted[i]), str(table.variant.iloc[i]), float(moved[j]), str(table.variant.iloc[j]),
                     bool(moved[j] != 0))


def leak_table(clean: ScalingRaceResult, leaky: ScalingRaceResult) -> pd.DataFrame:
    """Per scaled variant: validation accuracy with the scaler fitted on training rows vs on all rows."""
    if clean.scalers is None or leaky.scalers is None or clean.table is None or leaky.table is None:
        raise ValueError("Compare two finished races (a race's partial result has no table yet).")
    accuracy = [race.set_index("variant")["final validation accuracy"] for race in (clean.table, leaky.table)]
    rows = []
    for variant in clean.scalers.variant.unique():
        a, b = (by_variant[variant] for by_variant in accuracy)
        moved = (leaky.scalers.loc[leaky.scalers.variant == variant, ["shift", "scale"]].to_numpy()
                 / clean.scalers.loc[clean.scalers.variant == variant, ["shift", "scale"]].to_numpy() - 1)
        rows.append({"variant": variant, "fit on training rows": a, "fit on all rows (leak)": b,
                     "difference": b - a, "largest change of a fitted number": float(np.nanmax(np.abs(moved)))})
    return pd.DataFrame(rows)


# 3. Why: loss contours of a 2-feature linear model ----------------------------------------------------
#
# The MSE loss of a linear model is a quadratic bowl L(w) = L* + (w - w*)^T H (w - w*) / 2 with a constant
# Hessian H = 2/n X^T X. Its contours are ellipses along H's eigenvectors; their axes are in the ratio
# sqrt(lambda_max / lambda_min), the square root of the condition number (the ratio of the curvatures).
# Gradient descent moves the error e = w - w* by e <- (I - lr H) e, so along eigen-direction i each step
# multiplies e's component by 1 - lr * lambda_i: a negative factor overshoots (zig-zags), one near 1 crawls,
# and |factor| > 1 blows up, hence the largest stable rate 2 / lambda_max (Goodfellow et al., Deep Learning,
# 2016, sections 4.3.1 and 8.2.1; Goh, "Why momentum really works", Distill 2017).


@dataclass(frozen=True)
class Contours:
    """y ≈ w1·x1 + w2·x2 by least squares, no bias; x1 has std 1, x2 has std `spread`; GD from the same start."""

    spread: float = 5.0
    correlation: float = 0.3  # between x1 and x2, so the valley is tilted as in real tables
    lr_fraction: float = 0.8  # of each surface's largest stable learning rate, 2 / largest Hessian eigenvalue
    steps: int = 30
    start: tuple[float, float] = (-1.0, -1.5)
    n_samples: int = 200
    grid: int = 60
    seed: int = 0
    code_version: int = 2

    def __post_init__(self) -> None:
        if not 1 <= self.spread <= 100:
            raise ValueError("The spread of feature 2 must be between 1 and 100.")
        if not 0 < self.lr_fraction < 1.2:
            raise ValueError("The learning rate must be above 0 and below 1.2 times the largest stable one.")
        if not 1 <= self.steps <= 500:
            raise ValueError("Use between 1 and 500 gradient-descent steps.")
        if not -0.95 <= self.correlation <= 0.95:
            raise ValueError("The correlation of the two features must be between -0.95 and 0.95.")


@dataclass(frozen=True)
class ContourFacts:
    """The shape of both bowls and how gradient descent moves on them (see the comment above)."""

    spread: float
    correlation: float
    lr_fraction: float
    steps: int
    condition_raw: float  # largest / smallest curvature (Hessian eigenvalue): the curvature ratio
    condition_standard: float
    axis_ratio_raw: float  # contour ellipse's long / short axis = sqrt(condition number)
    axis_ratio_standard: float
    tilt_raw: float  # the ellipse's long axis, degrees from the w1 axis, in (-90, 90]
    tilt_standard: float
    max_lr_raw: float  # 2 / largest curvature: above it the path blows up
    max_lr_standard: float
    lr_raw: float  # lr_fraction of it
    lr_standard: float
    steep_factor_raw: float  # 1 - lr * largest curvature: per-step factor of the distance across the valley
    steep_factor_standard: float  # (the same for both surfaces: 1 - 2 * lr_fraction)
    shallow_factor_raw: float  # 1 - lr * smallest curvature: per-step factor of the distance along the valley
    shallow_factor_standard: float
    zigzags_raw: bool  # steep factor < 0: each step overshoots the valley floor
    zigzags_standard: bool
    diverges: bool  # some |factor| > 1 on either surface
    steps_to_1pct_raw: int | None  # steps that shrink every component of the distance 100-fold; None: never
    steps_to_1pct_standard: int | None
    raw_crawls: bool  # neither diverges and raw needs over twice the standardized path's steps to get 100x closer
    steps_taken_raw: int
    steps_taken_standard: int
    gap_raw: float  # final loss - lowest possible loss, after the steps taken
    gap_standard: float
    lowest_raw: float  # the lowest possible loss of each surface: they differ because the model has no bias
    lowest_standard: float  # and standardizing subtracts the features' means ...
    lowest_centred: float  # ... the raw features, only centred, reach exactly the standardized lowest loss
    mean_x1: float  # the raw features' means (over the samples): what standardizing subtracts
    mean_x2: float


@dataclass
class ContoursResult:
    surface: pd.DataFrame  # scaling, w1, w2, loss, level (contour band: 0 far out ... higher nearer the minimum)
    path: pd.DataFrame  # scaling, step, w1, w2, loss
    table: pd.DataFrame  # scaling, condition number, contour length / width, learning rate, factors, losses
    facts: ContourFacts


def _steps_to_shrink(factors: np.ndarray, by: float = 100.0) -> int | None:
    """Steps after which |factor|^k <= 1/by for every eigen-direction; None when one does not shrink."""
    worst = float(np.abs(factors).max())
    if worst >= 1:
        return None
    return 1 if worst == 0 else max(1, int(np.ceil(np.log(1 / by) / np.log(worst) - 1e-9)))


def _surface(x: np.ndarray, y: np.ndarray, cfg: Contours, scaling: str) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    n = len(x)
    hessian = 2 / n * x.T @ x  # (2, 2): the MSE loss is a quadratic bowl with this curvature
    eig, vectors = np.linalg.eigh(hessian)  # ascending: eig[0] along the valley, eig[-1] across it
    lr = cfg.lr_fraction * 2 / eig[-1]
    factors = 1 - lr * eig  # per-step factor of the distance to the minimum along each eigen-direction
    tilt = float(np.degrees(np.arctan2(vectors[1, 0], vectors[0, 0])))
    tilt = tilt - 180 if tilt > 90 else tilt + 180 if tilt <= -90 else tilt
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
    row = {"scaling": scaling, "condition number": eig[-1] / eig[0],
           "contour length / width": np.sqrt(eig[-1] / eig[0]),
           "tilt (degrees)": tilt, "learning rate": lr, "per-step factor across": factors[-1],
           "per-step factor along": factors[0], "steps taken": len(path) - 1, "final loss": path[-1][3],
           "lowest possible loss": low}
    return surface, path_df[["scaling", "step", "w1", "w2", "loss"]], row


def contours(cfg: Contours, on_progress: Progress[ContoursResult] | None = None) -> ContoursResult:
    rng = np.random.default_rng(cfg.seed)
    c = cfg.correlation
    z = rng.standard_normal((cfg.n_samples, 2)) @ np.linalg.cholesky([[1, c], [c, 1]]).T  # correlated, std 1
    y = z @ np.array([1.0, 1.0]) + 0.3 * rng.standard_normal(cfg.n_samples)
    raw = z * np.array([1.0, cfg.spread])
    parts = [_surface(raw, y, cfg, LABELS["raw"]),
             _surface(transform(fit_scaler("standard", raw), raw), y, cfg, LABELS["standard"])]
    r, s = parts[0][2], parts[1][2]
    centred = raw - raw.mean(axis=0)
    lowest_centred = float(np.mean((centred @ np.linalg.lstsq(centred, y, rcond=None)[0] - y) ** 2))
    raw_1pct, standard_1pct = (_steps_to_shrink(np.array([p["per-step factor across"], p["per-step factor along"]]))
                               for p in (r, s))
    facts = ContourFacts(
        cfg.spread, cfg.correlation, cfg.lr_fraction, cfg.steps,
        float(r["condition number"]), float(s["condition number"]),
        float(r["contour length / width"]), float(s["contour length / width"]),
        float(r["tilt (degrees)"]), float(s["tilt (degrees)"]),
        float(r["learning rate"] / cfg.lr_fraction), float(s["learning rate"] / cfg.lr_fraction),
        float(r["learning rate"]), float(s["learning rate"]),
        float(r["per-step factor across"]), float(s["per-step factor across"]),
        float(r["per-step factor along"]), float(s["per-step factor along"]),
        bool(r["per-step factor across"] < 0), bool(s["per-step factor across"] < 0),
        raw_1pct is None or standard_1pct is None, raw_1pct, standard_1pct,
        raw_1pct is not None and standard_1pct is not None and raw_1pct > 2 * standard_1pct,
        int(r["steps taken"]), int(s["steps taken"]),
        float(r["final loss"] - r["lowest possible loss"]), float(s["final loss"] - s["lowest possible loss"]),
        float(r["lowest possible loss"]), float(s["lowest possible loss"]), lowest_centred,
        float(raw[:, 0].mean()), float(raw[:, 1].mean()))
    return ContoursResult(pd.concat([p[0] for p in parts], ignore_index=True),
                         pd.concat([p[1] for p in parts], ignore_index=True), pd.DataFrame([r, s]), facts)


# 5. Outliers ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outlier:
    """One training row whose `feature` is `factor` times that feature's largest value."""

    source: Source = Source()
    feature: str = "alcohol"
    factor: float = 10.0
    code_version: int = 3  # 3: squeezes_most

    def __post_init__(self) -> None:
        if not 1 <= self.factor <= 1000:
            raise ValueError("The outlier must be between 1 and 1,000 times the largest value.")


@dataclass(frozen=True)
class OutlierFacts:
    """How much one outlier squeezes the other rows under each scaler (section 5)."""

    feature: str
    factor: float
    n_others: int  # the training rows other than the outlier
    outlier_value: float  # the outlier's raw value
    squeeze_minmax: float  # the other rows' middle-50% spread without the outlier / with it, after scaling
    squeeze_standard: float
    squeeze_robust: float
    others_top_minmax: float  # the largest other row after min-max: they all share [0, this]
    std_inflation: float  # the feature's std with the outlier / without it
    squeezes_most: str  # the scaler with the largest squeeze, in words ("min-max", "standardization", "robust scaling")
    squeeze_small: bool  # no scaler squeezes the other rows by more than SMALL_SQUEEZE: the outlier is hardly one


@dataclass
class OutlierResult:
    points: pd.DataFrame  # scaling, value, row ("outlier" | "other rows")
    table: pd.DataFrame  # scaling, outlier becomes, other rows' middle 50% spread, squeezed by (factor)
    facts: OutlierFacts


def outliers(cfg: Outlier, on_progress: Progress[OutlierResult] | None = None) -> OutlierResult:
    ds = load_source(cfg.source)
    if cfg.feature not in ds.feature_names:
        raise ValueError(f"There is no feature {cfg.feature!r}; choose one of {', '.join(ds.feature_names)}.")
    col = ds.x_train[:, ds.feature_names.index(cfg.feature)].double().numpy()[:, None]  # (N, 1)
    extreme = cfg.factor * np.abs(col).max() if np.abs(col).max() > 0 else cfg.factor
    with_outlier = np.vstack([col, [[extreme]]])
    frames: list[pd.DataFrame] = []
    rows: list[dict[str, Any]] = []
    top = 0.0
    for kind in ("raw", *KINDS):
        scaled = with_outlier if kind == "raw" else transform(fit_scaler(kind, with_outlier), with_outlier)
        clean = col if kind == "raw" else transform(fit_scaler(kind, col), col)
        q = lambda v: float(np.subtract(*np.percentile(v, [75, 25])))  # noqa: E731 - the middle 50% spread
        frames.append(pd.DataFrame({"scaling": LABELS[kind], "value": scaled[:, 0],
                                    "row": ["other rows"] * len(col) + ["outlier"]}))
        rows.append({"scaling": LABELS[kind], "outlier becomes": float(scaled[-1, 0]),
                     "other rows' middle 50% spread": q(scaled[:-1]),
                     "squeezed by": q(clean) / q(scaled[:-1]) if q(scaled[:-1]) > 0 else np.nan})
        top = float(scaled[:-1].max()) if kind == "min-max" else top
    squeeze = {kind: float(row["squeezed by"]) for kind, row in zip(("raw", *KINDS), rows)}
    facts = OutlierFacts(cfg.feature, cfg.factor, len(col), float(extreme), squeeze["min-max"], squeeze["standard"],
                         squeeze["robust"], top, float(with_outlier.std() / col.std()) if col.std() > 0 else np.inf,
                         SCALER_WORDS[max(KINDS, key=lambda kind: squeeze[kind])],
                         all(squeeze[kind] <= SMALL_SQUEEZE for kind in KINDS))
    return OutlierResult(pd.concat(frames, ignore_index=True), pd.DataFrame(rows), facts)

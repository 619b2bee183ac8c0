"""Every dataset of the lesson, offline: 2-D toy sets, a noisy curve and scikit-learn's bundled tables.

`load(DataConfig(...))` returns a `Dataset` of float32 tensors split into train and validation
sets, reproducibly (same config, same tensors); `scaled_digits(seed)` is the digits split with
pixels in [0, 1], the one every digits experiment trains on. Nothing here downloads anything.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import torch
from sklearn import datasets as skd
from torch import Tensor

TOY_2D = ("moons", "circles", "xor", "spirals", "blobs")  # binary classification, 2 features
REGRESSION = ("curve",)  # 1 feature -> 1 target
REGRESSION_2D = ("slope", "bumps")  # 2 features -> 1 target in [-1, 1]: TensorFlow Playground's regression sets
TABLES = ("digits", "wine", "breast_cancer")  # scikit-learn's bundled sets, their own sizes
NAMES = TOY_2D + REGRESSION + REGRESSION_2D + TABLES

LABELS = {
    "moons": "Two moons",
    "circles": "Circles",
    "xor": "XOR",
    "spirals": "Spirals",
    "blobs": "Gaussian blobs",
    "curve": "Noisy curve (regression)",
    "slope": "Slope: y = (x1 + x2) / 4 (regression)",
    "bumps": "A bump and a dip (regression)",
    "digits": "Digits 8x8 (10 classes)",
    "wine": "Wine (3 classes)",
    "breast_cancer": "Breast cancer (2 classes)",
}

MAX_SAMPLES = 20_000
DIGITS_INK = 16  # scikit-learn's 8x8 digits count ink per pixel from 0 to 16


@dataclass(frozen=True)
class DataConfig:
    """Which dataset, how many points (toy sets only), how noisy, and how it is split."""

    name: str = "moons"
    n_samples: int = 500  # toy and curve sets; the tables keep their own size
    noise: float = 0.2  # standard deviation of the noise, in units of the data's scale
    val_fraction: float = 0.3
    seed: int = 0

    def __post_init__(self) -> None:
        if self.name not in NAMES:
            raise ValueError(f"Unknown dataset {self.name!r}: choose one of {', '.join(NAMES)}.")
        if not 10 <= self.n_samples <= MAX_SAMPLES:
            raise ValueError(f"The number of samples must be between 10 and {MAX_SAMPLES:,}.")
        if not 0 <= self.noise <= 2:
            raise ValueError("Noise must be between 0 and 2.")
        if not 0.05 <= self.val_fraction <= 0.9:
            raise ValueError("The validation fraction must be between 0.05 and 0.9.")


def require_2d(name: str) -> None:
    """A ValueError unless `name` is one of the 2-D toy sets (the ones a plane map can show)."""
    if name not in TOY_2D:
        raise ValueError(f"Pick a 2-D dataset: {', '.join(TOY_2D)}.")


@dataclass(frozen=True)
class Dataset:
    """Train and validation tensors. Classification: y is (N,) int64; regression: y is (N, 1) float32."""

    name: str
    x_train: Tensor  # (N_train, D) float32
    y_train: Tensor
    x_val: Tensor  # (N_val, D) float32
    y_val: Tensor
    n_classes: int  # 0 for regression
    feature_names: tuple[str, ...]
    class_names: tuple[str, ...]

    @property
    def task(self) -> str:
        return "regression" if self.n_classes == 0 else "classification"

    @property
    def n_features(self) -> int:
        return self.x_train.shape[1]


def _xor(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = rng.uniform(-1, 1, size=(n, 2))
    y = (x[:, 0] * x[:, 1] > 0).astype(np.int64)
    return x + rng.normal(0, noise * 0.5, size=x.shape), y


def _spirals(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    y = np.arange(n) % 2
    t = rng.uniform(0.25, 1, size=n) * 3 * math.pi  # angle along the arm, 1.5 turns
    r = t / (3 * math.pi)
    x = np.stack([r * np.cos(t + math.pi * y), r * np.sin(t + math.pi * y)], axis=1)
    return x + rng.normal(0, noise * 0.1, size=x.shape), y


def _curve(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = rng.uniform(-1, 1, size=(n, 1))
    y = np.sin(3 * x) + 0.3 * np.cos(9 * x)  # smooth but not trivial: needs a few hidden units
    return x, y + rng.normal(0, noise * 0.5, size=y.shape)


BUMPS = ((-0.8, -0.6, 1.0), (0.8, 0.7, -1.0))  # (centre x1, centre x2, height) of the bumps set's two Gaussians
BUMP_WIDTH = 0.5  # their variance


def plane_target(name: str, x: np.ndarray) -> np.ndarray:
    """(N, 1): the noise-free target of a 2-D regression set at the (N, 2) points x."""
    if name == "slope":
        return (x[:, :1] + x[:, 1:]) / 4
    return np.sum([h * np.exp(-((x[:, :1] - a) ** 2 + (x[:, 1:] - b) ** 2) / BUMP_WIDTH) for a, b, h in BUMPS], axis=0)


def _plane(name: str, n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = rng.uniform(-2, 2, size=(n, 2))
    y = plane_target(name, x)
    return x, y + rng.normal(0, noise * 0.2, size=y.shape)


def _arrays(cfg: DataConfig) -> tuple[np.ndarray, np.ndarray, tuple[str, ...], tuple[str, ...]]:
    rng = np.random.default_rng(cfg.seed)
    n, s = cfg.n_samples, cfg.seed
    xy = ("x1", "x2")
    binary = ("class 0", "class 1")
    if cfg.name == "moons":
        x, y = skd.make_moons(n, noise=cfg.noise, random_state=s)
        return x, y, xy, binary
    if cfg.name == "circles":
        x, y = skd.make_circles(n, noise=cfg.noise * 0.5, factor=0.5, random_state=s)
        return x, y, xy, binary
    if cfg.name == "blobs":
        x, y = skd.make_blobs(n, centers=[(-1, -1), (1, 1)], cluster_std=0.3 + cfg.noise, random_state=s)
        return x, y, xy, binary
    if cfg.name == "xor":
        return (*_xor(n, cfg.noise, rng), xy, binary)
    if cfg.name == "spirals":
        return (*_spirals(n, cfg.noise, rng), xy, binary)
    if cfg.name == "curve":
        return (*_curve(n, cfg.noise, rng), ("x",), ())
    if cfg.name in REGRESSION_2D:
        return (*_plane(cfg.name, n, cfg.noise, rng), xy, ())
    loader = {"digits": skd.load_digits, "wine": skd.load_wine, "breast_cancer": skd.load_breast_cancer}[cfg.name]
    bunch = loader()
    return bunch.data, bunch.target, tuple(map(str, bunch.feature_names)), tuple(map(str, bunch.target_names))


def load(cfg: DataConfig) -> Dataset:
    """The dataset `cfg` names, shuffled and split (stratified for classification) with `cfg.seed`."""
    x, y, features, classes = _arrays(cfg)
    return from_arrays(cfg.name, x, y, features, classes, cfg.val_fraction, cfg.seed)


@functools.lru_cache(maxsize=256)
def train_size(cfg: DataConfig) -> int:
    """How many training rows `load(cfg)` gives, without loading it again for a config already asked about
    (a page estimating a run's time asks on every rerun)."""
    return len(load(cfg).x_train)


def scaled_digits(seed: int = 0) -> Dataset:
    """The digits split of `DataConfig("digits", seed=seed)` with pixels divided by their known range, into [0, 1]."""
    ds = load(DataConfig("digits", seed=seed))
    return replace(ds, x_train=ds.x_train / DIGITS_INK, x_val=ds.x_val / DIGITS_INK)


def from_arrays(name: str, x: np.ndarray, y: np.ndarray, features: tuple[str, ...], classes: tuple[str, ...],
                val_fraction: float, seed: int) -> Dataset:
    """Features x (N, D) and targets y as a shuffled train/validation Dataset.

    Classification (classes given, y in 0..C-1): stratified, every class keeps its share in both
    splits and has at least one validation row. Regression (classes empty): a plain random split.
    """
    rng = np.random.default_rng(seed + 1)
    if classes:
        val_idx = np.concatenate(
            [rng.permutation(np.flatnonzero(y == c))[: max(1, round(val_fraction * np.sum(y == c)))]
             for c in np.unique(y)]
        )
    else:
        val_idx = rng.permutation(len(x))[: round(val_fraction * len(x))]
    is_val = np.zeros(len(x), dtype=bool)
    is_val[val_idx] = True
    train_idx = rng.permutation(np.flatnonzero(~is_val))
    val_idx = rng.permutation(val_idx)
    xt = torch.as_tensor(x, dtype=torch.float32)
    yt = torch.as_tensor(y, dtype=torch.int64 if classes else torch.float32)
    return Dataset(
        name=name,
        x_train=xt[train_idx],
        y_train=yt[train_idx],
        x_val=xt[val_idx],
        y_val=yt[val_idx],
        n_classes=len(classes),
        feature_names=features,
        class_names=classes,
    )


def points_frame(ds: Dataset) -> pd.DataFrame:
    """A 2-D set's points as tidy rows: x1, x2 (float64), label (or a regression's target), split ("train" /
    "validation")."""
    x = torch.cat([ds.x_train, ds.x_val]).double().numpy()  # (N, 2)
    split = ["train"] * len(ds.x_train) + ["validation"] * len(ds.x_val)
    return pd.DataFrame({"x1": x[:, 0], "x2": x[:, 1], "label": torch.cat([ds.y_train, ds.y_val]).reshape(-1).numpy(),
                         "split": split})


Box = tuple[float, float, float, float]  # x1_lo, x1_hi, x2_lo, x2_hi


def plane_box(ds: Dataset, margin: float = 0.3) -> Box:
    """The part of the plane a 2-D set's maps show: its points' range plus a margin."""
    x = torch.cat([ds.x_train, ds.x_val])
    lo, hi = (x.min(dim=0).values - margin).tolist(), (x.max(dim=0).values + margin).tolist()
    return lo[0], hi[0], lo[1], hi[1]


def plane_grid(box: Box, n: int) -> Tensor:
    """(n * n, 2) float64 cell centres of an n x n grid over the box, x1 fastest: where a map is evaluated."""
    x1 = box[0] + (box[1] - box[0]) * (torch.arange(n, dtype=torch.float64) + 0.5) / n
    x2 = box[2] + (box[3] - box[2]) * (torch.arange(n, dtype=torch.float64) + 0.5) / n
    g2, g1 = torch.meshgrid(x2, x1, indexing="ij")
    return torch.stack([g1.reshape(-1), g2.reshape(-1)], dim=1)

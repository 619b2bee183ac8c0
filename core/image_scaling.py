"""Preprocessing images (slide 35): per-channel normalization of a photo, and pixels scaled to [0, 1] for digits.

The normalization is written out by hand (`normalize_channels`) and checked against
`torchvision.transforms.Normalize`, which is imported only when asked for. Here the mean and std
are the one photo's own, so its channels come out at exactly mean 0 and std 1; a trained network
instead uses one set of numbers fitted on its training images for every image it sees (the
pretrained torchvision models: ImageNet's mean [0.485, 0.456, 0.406] and std [0.229, 0.224, 0.225],
https://pytorch.org/vision/0.8/models.html).

Digits: the pixels share a known range (0..16), so they are divided by 16. Per-pixel min-max is
measured with the app's own scaler (`core.preprocessing.fit_scaler`): a pixel that is 0 in every
image has the range 0, a 0/0 that the scaler guards (it divides by 1 and outputs 0), and a border
pixel inked faintly in a few images is stretched to full ink.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from sklearn import datasets as skd

from core import preprocessing
from core.progress import Progress


@dataclass(frozen=True)
class ImageNorm:
    """Per-channel normalization of scikit-learn's sample photo, shrunk by `stride` (average pooling)."""

    image: str = "china.jpg"
    stride: int = 2
    code_version: int = 3  # 3: std_after_same

    def __post_init__(self) -> None:
        if self.image not in ("china.jpg", "flower.jpg"):
            raise ValueError("Pick one of scikit-learn's sample photos: china.jpg or flower.jpg.")
        if not 1 <= self.stride <= 16:
            raise ValueError("Shrink the photo by a factor between 1 and 16.")


@dataclass(frozen=True)
class ImageFacts:
    """What section 6's sentence says about the photo's normalization."""

    image: str
    n_pixels: int  # per channel, after shrinking: the mean and std are over these pixels of this one photo
    own_statistics: bool  # normalized with its own mean and std (not with a training set's)
    largest_mean_after: float  # largest |mean| of a channel after normalizing (0 up to rounding)
    std_after_lowest: float  # smallest and largest channel std after normalizing (1)
    std_after_highest: float
    order_kept: bool  # within each channel a brighter pixel stays brighter: no edge is lost
    std_after_same: bool  # lowest and highest channel std read the same at 3 decimals: "1.000 in every channel"


@dataclass
class ImageNormResult:
    before: np.ndarray  # (H, W, 3) float32 in [0, 1]: pixels / 255
    shown: np.ndarray  # (H, W, 3) the normalized image drawn as (z + 3) / 6, clipped: 0 (the mean) is mid grey
    normalized: np.ndarray  # (3, H, W) what the network gets, channels first like torchvision
    stats: pd.DataFrame  # channel, mean, std before; mean, std after (rounded to 4 decimals, for reading)
    mean: tuple[float, ...]  # per channel, exact: what Normalize is given
    std: tuple[float, ...]
    histograms: pd.DataFrame  # stage, channel, value, share
    facts: ImageFacts


def normalize_channels(x: torch.Tensor, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    """(C, H, W) -> (x - mean_c) / std_c per channel: what torchvision.transforms.Normalize(mean, std) computes."""
    return (x - mean[:, None, None]) / std[:, None, None]


def _histogram(x: np.ndarray, stage: str, bins: np.ndarray) -> pd.DataFrame:
    frames = []
    for c, name in enumerate(("red", "green", "blue")):
        counts, _ = np.histogram(x[c], bins=bins)
        frames.append(pd.DataFrame({"stage": stage, "channel": name, "value": (bins[:-1] + bins[1:]) / 2,
                                    "share": counts / counts.sum()}))
    return pd.concat(frames, ignore_index=True)


def image_normalization(cfg: ImageNorm, on_progress: Progress[ImageNormResult] | None = None) -> ImageNormResult:
    photo = torch.from_numpy(np.array(skd.load_sample_image(cfg.image))).permute(2, 0, 1).float() / 255  # (3, H, W)
    small = torch.nn.functional.avg_pool2d(photo[None], cfg.stride)[0]
    mean, std = small.mean(dim=(1, 2)), small.std(dim=(1, 2), unbiased=False)
    z = normalize_channels(small, mean, std)
    zn = z.numpy()
    numbers = np.stack([mean.numpy(), std.numpy(), zn.mean(axis=(1, 2)), zn.std(axis=(1, 2))], axis=1)  # (3, 4)
    stats = pd.DataFrame(np.round(numbers, 4) + 0.0, columns=["mean before", "std before", "mean after", "std after"])
    stats.insert(0, "channel", ["red", "green", "blue"])  # + 0.0 above turns a rounded -0.0 into 0.0
    histograms = pd.concat([_histogram(small.numpy(), "before: pixels / 255", np.linspace(0, 1, 41)),
                            _histogram(zn, "after: (x − mean) / std", np.linspace(-3, 3, 41))], ignore_index=True)
    xs, zs = small.numpy().reshape(3, -1), zn.reshape(3, -1)
    kept = all(bool((np.diff(z[np.argsort(x, kind="stable")]) >= 0).all()) for x, z in zip(xs, zs))
    facts = ImageFacts(cfg.image, xs.shape[1], True, float(np.abs(zs.mean(axis=1)).max()), float(zs.std(axis=1).min()),
                       float(zs.std(axis=1).max()), kept,
                       f"{zs.std(axis=1).min():.3f}" == f"{zs.std(axis=1).max():.3f}")
    return ImageNormResult(small.permute(1, 2, 0).numpy(), np.clip((zn.transpose(1, 2, 0) + 3) / 6, 0, 1), zn, stats,
                       tuple(mean.tolist()), tuple(std.tolist()), histograms, facts)


def torchvision_difference(result: ImageNormResult) -> float:
    """Largest gap between our normalization and torchvision.transforms.Normalize's.

    torchvision is imported here, on demand: it is slow to import and only this button needs it.
    """
    from torchvision import transforms

    before = torch.as_tensor(result.before).permute(2, 0, 1)  # (3, H, W), as ToTensor() gives
    normalize = transforms.Normalize(mean=list(result.mean), std=list(result.std))
    return float((normalize(before) - torch.as_tensor(result.normalized)).abs().max())


@dataclass(frozen=True)
class DigitsScaling:
    index: int = 0  # which digit to write out
    rare: float = 0.01  # a pixel inked in fewer than this share of the images counts as rare
    code_version: int = 2

    def __post_init__(self) -> None:
        if not 0 <= self.index < 1797:
            raise ValueError("Pick a digit between 0 and 1,796.")
        if not 0 < self.rare < 1:
            raise ValueError("The share of images that makes a pixel rare must be between 0 and 1.")


@dataclass(frozen=True)
class DigitsFacts:
    """Dividing by the known range vs per-pixel min-max, measured with the app's own scaler."""

    max_value: float  # the largest pixel value in the whole set (16): every pixel is divided by it
    n_images: int
    constant_pixels: int  # pixels with range 0 (0 in every image): a 0/0 the scaler guards
    constant_output: float  # what the app's per-pixel min-max gives them (0: it divides by 1)
    minmax_finite: bool  # per-pixel min-max gives finite numbers for every pixel of every image
    rare_pixels: int  # non-constant pixels inked in fewer than `rare_share` of the images
    rare_share: float
    rare_on_border: bool  # every rare pixel is in the first or last row or column of the 8x8 grid
    rare_faintest: float  # the smallest range of a rare pixel (its min is 0): per-pixel min-max maps it to 1 ...
    rare_stretch: float  # ... max_value / rare_faintest times more than dividing by max_value does


@dataclass
class DigitsScalingResult:
    raw: pd.DataFrame  # (8, 8) the digit's pixel values, 0..16
    scaled: pd.DataFrame  # (8, 8) / 16: in [0, 1]
    picture: np.ndarray  # (80, 80) the scaled digit blown up 10x (sharp pixels on screen)
    label: int
    max_value: float  # the largest pixel value in the whole set (16)
    facts: DigitsFacts


def digits_scaling(cfg: DigitsScaling, on_progress: Progress[DigitsScalingResult] | None = None
                   ) -> DigitsScalingResult:
    bunch = skd.load_digits()
    images = bunch.images  # (1797, 8, 8)
    top = float(images.max())
    digit = images[cfg.index]
    columns = [str(i) for i in range(8)]  # pixel columns; short names so 8 fit a narrow column
    pixels = bunch.data  # (1797, 64)
    ranges = np.ptp(pixels, axis=0)
    constant = ranges == 0
    minmax = preprocessing.transform(preprocessing.fit_scaler("min-max", pixels), pixels)
    rare = ~constant & ((pixels > 0).mean(axis=0) < cfg.rare)
    row, col = np.divmod(np.flatnonzero(rare), 8)
    faintest = float(ranges[rare].min()) if rare.any() else top
    facts = DigitsFacts(top, len(pixels), int(constant.sum()), float(np.abs(minmax[:, constant]).max(initial=0.0)),
                        bool(np.isfinite(minmax).all()), int(rare.sum()), cfg.rare,
                        bool((np.isin(row, (0, 7)) | np.isin(col, (0, 7))).all()), faintest, top / faintest)
    # Pixel values are whole numbers 0..16, so the raw table holds integers and the scaled one is exact
    # (k/16 has at most four decimals): a table shows it without a rounded, made-up fourth digit.
    return DigitsScalingResult(pd.DataFrame(digit.astype(int), columns=columns),
                               pd.DataFrame(digit / top, columns=columns),
                               np.kron(digit / top, np.ones((10, 10))), int(bunch.target[cfg.index]), top, facts)

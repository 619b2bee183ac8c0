"""Preprocessing images (slide 35): per-channel normalization of a photo, and pixels scaled to [0, 1] for digits.

The normalization is written out by hand (`normalize_channels`) and checked against
`torchvision.transforms.Normalize`, which is imported only when asked for (it costs about a second).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
import torch
from sklearn import datasets as skd


@dataclass(frozen=True)
class ImageNorm:
    """Per-channel normalization of scikit-learn's sample photo, shrunk by `stride` (average pooling)."""

    image: str = "china.jpg"
    stride: int = 2
    code_version: int = 1

    def __post_init__(self) -> None:
        if self.image not in ("china.jpg", "flower.jpg"):
            raise ValueError("Pick one of scikit-learn's sample photos: china.jpg or flower.jpg.")
        if not 1 <= self.stride <= 16:
            raise ValueError("Shrink the photo by a factor between 1 and 16.")


@dataclass
class ImageResult:
    before: np.ndarray  # (H, W, 3) float32 in [0, 1]: pixels / 255
    shown: np.ndarray  # (H, W, 3) the normalized image drawn as (z + 3) / 6, clipped: 0 (the mean) is mid grey
    normalized: np.ndarray  # (3, H, W) what the network gets, channels first like torchvision
    stats: pd.DataFrame  # channel, mean, std before; mean, std after (rounded to 4 decimals, for reading)
    mean: tuple[float, ...]  # per channel, exact: what Normalize is given
    std: tuple[float, ...]
    histograms: pd.DataFrame  # stage, channel, value, share


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


def image_normalization(cfg: ImageNorm, on_progress: Callable | None = None) -> ImageResult:
    photo = torch.from_numpy(np.array(skd.load_sample_image(cfg.image))).permute(2, 0, 1).float() / 255  # (3, H, W) in [0, 1]
    small = torch.nn.functional.avg_pool2d(photo[None], cfg.stride)[0]
    mean, std = small.mean(dim=(1, 2)), small.std(dim=(1, 2), unbiased=False)
    z = normalize_channels(small, mean, std)
    zn = z.numpy()
    numbers = np.stack([mean.numpy(), std.numpy(), zn.mean(axis=(1, 2)), zn.std(axis=(1, 2))], axis=1)  # (3, 4)
    stats = pd.DataFrame(np.round(numbers, 4) + 0.0, columns=["mean before", "std before", "mean after", "std after"])
    stats.insert(0, "channel", ["red", "green", "blue"])  # + 0.0 above turns a rounded -0.0 into 0.0
    histograms = pd.concat([_histogram(small.numpy(), "before: pixels / 255", np.linspace(0, 1, 41)),
                            _histogram(zn, "after: (x − mean) / std", np.linspace(-3, 3, 41))], ignore_index=True)
    return ImageResult(small.permute(1, 2, 0).numpy(), np.clip((zn.transpose(1, 2, 0) + 3) / 6, 0, 1), zn, stats,
                       tuple(mean.tolist()), tuple(std.tolist()), histograms)


def torchvision_difference(result: ImageResult) -> float:
    """Largest gap between our normalization and torchvision.transforms.Normalize's (imported on demand: ~1 s)."""
    from torchvision import transforms

    before = torch.as_tensor(result.before).permute(2, 0, 1)  # (3, H, W), as ToTensor() gives
    normalize = transforms.Normalize(mean=list(result.mean), std=list(result.std))
    return float((normalize(before) - torch.as_tensor(result.normalized)).abs().max())


@dataclass(frozen=True)
class DigitsScaling:
    index: int = 0  # which digit to write out
    code_version: int = 1


@dataclass
class DigitsResult:
    raw: pd.DataFrame  # (8, 8) the digit's pixel values, 0..16
    scaled: pd.DataFrame  # (8, 8) / 16: in [0, 1]
    picture: np.ndarray  # (80, 80) the scaled digit blown up 10x (sharp pixels on screen)
    label: int
    max_value: float  # the largest pixel value in the whole set (16)
    constant_pixels: int  # pixels that are 0 in every image: per-pixel min-max or standardization divides by 1


def digits_scaling(cfg: DigitsScaling, on_progress: Callable | None = None) -> DigitsResult:
    bunch = skd.load_digits()
    images = bunch.images  # (1797, 8, 8)
    top = float(images.max())
    digit = images[cfg.index]
    columns = [str(i) for i in range(8)]  # pixel columns; short names so 8 fit a narrow column
    return DigitsResult(pd.DataFrame(digit, columns=columns), pd.DataFrame(digit / top, columns=columns).round(3),
                        np.kron(digit / top, np.ones((10, 10))), int(bunch.target[cfg.index]), top,
                        int((np.ptp(bunch.data, axis=0) == 0).sum()))

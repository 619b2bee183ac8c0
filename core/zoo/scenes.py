"""Synthetic scenes for segmentation (slide 68): shapes of three classes with a label for every pixel.

Each scene is a SIZE x SIZE grey image: a noisy background with 1 to 3 shapes (square, disc,
triangle) of random size, place and brightness. Its mask gives every pixel a class: 0 for the
background, else the class of the shape drawn there (a later shape covers an earlier one, in the
mask as in the image). Generated with numpy from a seed, so the same seed always gives the same
scenes, and nothing is downloaded. `iou` scores a predicted mask against the true one, class by
class; `edges` marks the outlines, where a pixel's neighbours belong to another class.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SIZE = 32
CLASSES = ("background", "square", "disc", "triangle")
MAX_SCENES = 5_000
NOISE = 0.08  # standard deviation of the pixel noise (brightness runs 0..1)


def shape_mask(kind: str, cx: float, cy: float, r: float, size: int = SIZE) -> np.ndarray:
    """(size, size) bool: the pixels inside a shape of half-width r centred at (cx, cy)."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    if kind == "square":
        return (np.abs(x - cx) <= r) & (np.abs(y - cy) <= r)
    if kind == "disc":
        return (x - cx) ** 2 + (y - cy) ** 2 <= r**2
    if kind == "triangle":  # apex up: the width grows from 0 at the top to 2r at the bottom
        top = cy - r
        return (y >= top) & (y <= cy + r) & (np.abs(x - cx) <= (y - top) / 2)
    raise ValueError(f"Unknown shape {kind!r}: choose one of {', '.join(CLASSES[1:])}.")


@dataclass(frozen=True)
class Scenes:
    """images (N, 1, SIZE, SIZE) float32 in [0, 1]; masks (N, SIZE, SIZE) int64; shapes[i]: (class, cx, cy, r)."""

    images: np.ndarray
    masks: np.ndarray
    shapes: tuple[tuple[tuple[int, float, float, float], ...], ...]


def make(n: int, seed: int, size: int = SIZE) -> Scenes:
    """`n` scenes, the same for the same seed."""
    if not 1 <= n <= MAX_SCENES:
        raise ValueError(f"Ask for between 1 and {MAX_SCENES:,} scenes.")
    rng = np.random.default_rng(seed)
    images = rng.uniform(0.05, 0.3, size=(n, 1, 1)) * np.ones((n, size, size))  # each scene its own background
    masks = np.zeros((n, size, size), dtype=np.int64)
    drawn = []
    for i in range(n):
        shapes = []
        for _ in range(rng.integers(1, 4)):
            c = int(rng.integers(1, len(CLASSES)))
            r = float(rng.uniform(4, 8))
            cx, cy = (float(v) for v in rng.uniform(r, size - 1 - r, size=2))
            inside = shape_mask(CLASSES[c], cx, cy, r, size)
            images[i][inside] = rng.uniform(0.55, 1.0)
            masks[i][inside] = c
            shapes.append((c, round(cx, 3), round(cy, 3), round(r, 3)))
        drawn.append(tuple(shapes))
    images = np.clip(images + rng.normal(0, NOISE, size=images.shape), 0, 1)
    return Scenes(images[:, None].astype(np.float32), masks, tuple(drawn))


def edges(mask: np.ndarray) -> np.ndarray:
    """(..., H, W) bool: the pixels with a left, right, upper or lower neighbour of another class (the outlines)."""
    mask = np.asarray(mask)
    out = np.zeros(mask.shape, dtype=bool)
    across, down = mask[..., :, 1:] != mask[..., :, :-1], mask[..., 1:, :] != mask[..., :-1, :]
    out[..., :, 1:] |= across  # both pixels of a differing pair lie on the outline
    out[..., :, :-1] |= across
    out[..., 1:, :] |= down
    out[..., :-1, :] |= down
    return out


def iou(predicted: np.ndarray, truth: np.ndarray, n_classes: int = len(CLASSES)) -> np.ndarray:
    """(n_classes,) intersection over union of each class over all pixels given; NaN where a class is in neither."""
    out = np.full(n_classes, np.nan)
    for c in range(n_classes):
        p, t = predicted == c, truth == c
        union = np.logical_or(p, t).sum()
        if union:
            out[c] = np.logical_and(p, t).sum() / union
    return out

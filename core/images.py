"""Small images for the screen: digits, filters, feature maps and masks as crisp uint8 pictures.

Pure numpy. Tiny images (8x8 digits, 3x3 filters) are enlarged by repeating pixels (no blur),
values are mapped to grey (`gray`), to the app's blue-white-orange for signed values such as
filter weights (`signed`), or to one palette colour per class for masks (`classes`), and many
images become one picture with `montage`.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# The app's palette (core.charts.PALETTE) as RGB; index 0 is drawn as background black in masks.
_HEX = ("#000000", "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442")
CLASS_COLOURS = np.array([[int(h[i : i + 2], 16) for i in (1, 3, 5)] for h in _HEX], dtype=np.uint8)
_BLUE, _WHITE, _ORANGE = np.array([0, 114, 178.0]), np.array([255, 255, 255.0]), np.array([230, 159, 0.0])


def upscale(image: np.ndarray, size: int = 96) -> np.ndarray:
    """Repeat pixels so the longer side is about `size` px (at least 1x): sharp squares, no smoothing."""
    factor = max(1, size // max(image.shape[:2]))
    return image.repeat(factor, axis=0).repeat(factor, axis=1)


def gray(x: np.ndarray, lo: float | None = None, hi: float | None = None) -> np.ndarray:
    """(H, W) values -> uint8 grey; lo/hi default to the image's own range (a flat image is mid-grey)."""
    x = np.asarray(x, dtype=np.float64)
    lo = float(np.nanmin(x)) if lo is None else lo
    hi = float(np.nanmax(x)) if hi is None else hi
    if hi - lo < 1e-12:
        return np.full(x.shape, 128, dtype=np.uint8)
    return np.round(255 * np.clip((x - lo) / (hi - lo), 0, 1)).astype(np.uint8)


def signed(x: np.ndarray, scale: float | None = None) -> np.ndarray:
    """(H, W) signed values -> (H, W, 3) uint8: blue for negative, white for 0, orange for positive."""
    x = np.asarray(x, dtype=np.float64)
    scale = float(np.abs(x).max()) if scale is None else scale
    t = np.clip(x / scale, -1, 1)[..., None] if scale > 0 else np.zeros((*x.shape, 1))
    rgb = np.where(t < 0, _WHITE + (_BLUE - _WHITE) * -t, _WHITE + (_ORANGE - _WHITE) * t)
    return np.round(rgb).astype(np.uint8)


def classes(mask: np.ndarray) -> np.ndarray:
    """(H, W) integer class map -> (H, W, 3) uint8, class c in the palette's colour c (0: black)."""
    mask = np.asarray(mask)
    if mask.min() < 0 or mask.max() >= len(CLASS_COLOURS):
        raise ValueError(f"Class ids must be between 0 and {len(CLASS_COLOURS) - 1}.")
    return CLASS_COLOURS[mask]


def montage(images: Sequence[np.ndarray], cols: int, pad: int = 1, fill: int = 255) -> np.ndarray:
    """Equal-sized uint8 images (H, W) or (H, W, 3) in a grid of `cols` columns, `pad` px apart."""
    if not len(images):
        raise ValueError("No images to put together.")
    first = np.asarray(images[0])
    if any(np.asarray(im).shape != first.shape for im in images):
        raise ValueError("The images of a montage must all have the same size.")
    rows = -(-len(images) // cols)
    h, w = first.shape[:2]
    out = np.full((rows * (h + pad) - pad, cols * (w + pad) - pad, *first.shape[2:]), fill, dtype=np.uint8)
    for i, im in enumerate(images):
        r, c = divmod(i, cols)
        out[r * (h + pad) : r * (h + pad) + h, c * (w + pad) : c * (w + pad) + w] = im
    return out

"""Data augmentation (slides 62-64: augmentation 62, also for multi-class targets 63, Albumentations 64):
Albumentations pipelines that move an image with its mask, boxes and keypoints, and seeded shifts and rotations of
the 8x8 digits that enlarge a training set.

- `scene(image)`: a photo with a segmentation mask (Otsu threshold of its own brightness), a box around each
  of its largest regions and keypoints inside them, all made in code (nothing downloaded).
- `grid(Explorer(...))`: n augmented samples of that scene through one seeded `A.Compose`, drawn with the mask,
  boxes and keypoints on top, each sample's sampled parameters and the pipeline's Python code.
- `read_image(name, content)`: a student's upload checked (type, size, pixels, decodable) or a ValueError.
- `augment_digits(x, copies, ...)`: K shifted and rotated copies of digit images, whole-tensor (affine_grid).
"""
from __future__ import annotations

import io
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import albumentations as A
import cv2
import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from PIL import Image, ImageOps
from sklearn.datasets import load_sample_image

from core.progress import Progress

Recipe = tuple[type, Callable[[float, int, int], dict[str, Any]]]  # an Albumentations class; its arguments from v, h, w


def _whole(v: float) -> int:
    """A kernel size or a count: sliders may hand over 7.0 where Albumentations wants 7."""
    return round(v)


# name -> (kind, parameter label, default, min, max, step, recipe). `build` calls the recipe's class with its
# arguments and `code` prints that same call, so the pipeline shown on the page is the pipeline that made the
# grid. v: the slider's value, h and w: the image size. No text is ever evaluated.
TRANSFORMS: dict[str, tuple[str, str, float, float, float, float, Recipe]] = {
    "horizontal flip": ("geometric", "probability", 0.5, 0.0, 1.0, 0.1, (A.HorizontalFlip, lambda v, h, w: {"p": v})),
    "rotate": ("geometric", "largest angle (degrees)", 30, 5, 180, 5,
               (A.Rotate, lambda v, h, w: {"limit": v, "p": 1.0})),
    "affine": ("geometric", "scale and shift (share)", 0.2, 0.05, 0.5, 0.05,
               (A.Affine, lambda v, h, w: {"scale": (1 - v, 1 + v), "translate_percent": (-v, v), "shear": (-10, 10),
                                           "p": 1.0})),
    "random crop": ("geometric", "smallest area kept (share)", 0.5, 0.1, 0.9, 0.1,
                    (A.RandomResizedCrop, lambda v, h, w: {"size": (h, w), "scale": (v, 1.0), "p": 1.0})),
    "elastic": ("geometric", "strength (alpha)", 40, 5, 200, 5,
                (A.ElasticTransform, lambda v, h, w: {"alpha": v, "sigma": 6, "p": 1.0})),
    "brightness/contrast": ("colour", "largest change (share)", 0.3, 0.05, 0.8, 0.05,
                            (A.RandomBrightnessContrast, lambda v, h, w: {"brightness_limit": v, "contrast_limit": v,
                                                                          "p": 1.0})),
    "hue": ("colour", "largest hue shift", 20, 5, 90, 5,
            (A.HueSaturationValue, lambda v, h, w: {"hue_shift_limit": v, "sat_shift_limit": v, "val_shift_limit": 0,
                                                    "p": 1.0})),
    "noise": ("colour", "largest noise std (share of 255)", 0.1, 0.02, 0.5, 0.02,
              (A.GaussNoise, lambda v, h, w: {"std_range": (0.0, v), "p": 1.0})),
    "blur": ("colour", "largest kernel (pixels, odd)", 7, 3, 15, 2,
             (A.GaussianBlur, lambda v, h, w: {"blur_limit": (3, _whole(v)), "p": 1.0})),
    "coarse dropout": ("dropout", "most holes", 4, 1, 12, 1,
                       (A.CoarseDropout, lambda v, h, w: {"num_holes_range": (1, _whole(v)),
                                                          "hole_height_range": (0.1, 0.2),
                                                          "hole_width_range": (0.1, 0.2), "p": 1.0})),
}
GEOMETRIC = tuple(n for n, t in TRANSFORMS.items() if t[0] == "geometric")
SIDE = 192  # px: the scene's longer side, small enough that a grid of samples augments at once
MAX_BYTES = 5 * 2**20
MAX_PIXELS = 4000 * 4000
READ_SIDE = 4 * SIDE  # px: an upload is kept at most this large (the scene shrinks it to SIDE)
N_REGIONS = 3
KP_COLOURS = ((0, 114, 178), (213, 94, 0), (0, 158, 115), (204, 121, 167), (86, 180, 233), (240, 228, 66))


def read_image(name: str, content: bytes) -> np.ndarray:
    """An uploaded PNG/JPEG as (H, W, 3) uint8 RGB, or a ValueError that says what is wrong with it."""
    if not name.lower().endswith((".png", ".jpg", ".jpeg")):
        raise ValueError(f"{name!r} is not a PNG or JPEG file: upload a .png, .jpg or .jpeg image.")
    if len(content) > MAX_BYTES:
        raise ValueError(f"The file is {len(content) / 2**20:.1f} MB; the limit is {MAX_BYTES // 2**20} MB.")
    if not content:
        raise ValueError("The file is empty.")
    try:
        with Image.open(io.BytesIO(content)) as probe:
            if probe.width * probe.height > MAX_PIXELS:
                raise ValueError(f"The image is {probe.width} x {probe.height} pixels; the limit is 4000 x 4000.")
            probe.verify()  # reads the whole file: a truncated or corrupt image fails here
        with Image.open(io.BytesIO(content)) as img:
            img.draft("RGB", (READ_SIDE, READ_SIDE))  # a JPEG decodes at 1/2 to 1/8 of its size, cheaply
            return _rgb(ImageOps.exif_transpose(img))
    except Image.DecompressionBombError:
        raise ValueError("The image declares far more pixels than the 4000 x 4000 limit.") from None
    except (OSError, SyntaxError, Image.UnidentifiedImageError):
        raise ValueError(f"{name!r} could not be decoded as an image: the file is corrupt or not a PNG/JPEG.") from None


def _rgb(img: Image.Image) -> np.ndarray:
    """An opened image as (H, W, 3) uint8, at most READ_SIDE px on its longer side.

    A 16-bit or 32-bit integer image is scaled from its full range (65,535 or its largest value), a float
    image from 0..1 when its values lie there: converted as they are, they were clipped at 255 and came out
    white. Non-finite pixels are refused.
    """
    if img.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        values = np.asarray(img, dtype=np.float64)
        if not np.isfinite(values).all():
            raise ValueError("The image has pixels that are not finite numbers (inf or NaN): save it as an "
                             "ordinary 8-bit PNG or JPEG.")
        low, high = float(values.min()), float(values.max())
        top = 1.0 if img.mode == "F" and low >= 0 and high <= 1 else 65535.0 if high > 255 else 255.0
        img = Image.fromarray(np.clip(values / top * 255, 0, 255).round().astype(np.uint8))
    img = img.convert("RGB")
    img.thumbnail((READ_SIDE, READ_SIDE))
    return np.asarray(img)


@dataclass
class Scene:
    """An image with its targets: mask (H, W) uint8 0/1, boxes in pascal_voc pixels, keypoints (x, y)."""

    image: np.ndarray  # (H, W, 3) uint8
    mask: np.ndarray
    boxes: list[tuple[float, float, float, float]]  # x_min, y_min, x_max, y_max
    keypoints: list[tuple[float, float]]


def scene(image: np.ndarray | None = None) -> Scene:
    """The photo (default: scikit-learn's flower.jpg) shrunk to SIDE px, and targets made from its own pixels."""
    image = load_sample_image("flower.jpg") if image is None else image
    scale = SIDE / max(image.shape[:2])
    size = (max(8, round(image.shape[1] * scale)), max(8, round(image.shape[0] * scale)))
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    grey = cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY), (5, 5), 0)
    _, mask = cv2.threshold(grey, 0, 1, cv2.THRESH_BINARY + cv2.THRESH_OTSU)  # bright foreground vs background
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask)
    order = [i for i in np.argsort(-stats[1:, cv2.CC_STAT_AREA]) + 1 if stats[i, cv2.CC_STAT_AREA] >= 20][:N_REGIONS]
    boxes, keypoints = [], []
    for i in order:
        x, y, w, h = stats[i, :4]
        boxes.append((float(x), float(y), float(x + w), float(y + h)))
        inside = cv2.distanceTransform((labels == i).astype(np.uint8), cv2.DIST_L2, 3)
        ky, kx = np.unravel_index(int(inside.argmax()), inside.shape)  # the region's deepest pixel: surely on the mask
        keypoints.append((float(kx) + 0.5, float(ky) + 0.5))
    return Scene(small, mask.astype(np.uint8), boxes, keypoints)


def _tidy(x: Any) -> Any:
    """A number rounded to 6 significant digits (a slider's 0.15000000000000002 is 0.15); tuples element-wise."""
    if isinstance(x, tuple):
        return tuple(_tidy(e) for e in x)
    return float(f"{x:.6g}") if isinstance(x, float) else x


def _steps(transforms: tuple[tuple[str, float], ...], shape: tuple[int, int]) -> list[tuple[type, dict[str, Any]]]:
    """Each transform's class and its tidied arguments: what `build` calls and `code` prints."""
    h, w = shape
    return [(TRANSFORMS[n][6][0], {k: _tidy(a) for k, a in TRANSFORMS[n][6][1](v, h, w).items()})
            for n, v in transforms]


def code(transforms: tuple[tuple[str, float], ...], shape: tuple[int, int], seed: int) -> str:
    """The pipeline as Python source: the calls `build` makes, argument for argument."""
    lines = ",\n".join(f"        A.{cls.__name__}({', '.join(f'{k}={a!r}' for k, a in args.items())})"
                       for cls, args in _steps(transforms, shape))
    return ("import albumentations as A\n\npipeline = A.Compose(\n    [\n" + lines + ("," if lines else "")
            + "\n    ],\n"
            '    bbox_params=A.BboxParams(format="pascal_voc", label_fields=["box_labels"]),\n'
            '    keypoint_params=A.KeypointParams(format="xy", label_fields=["keypoint_labels"]),\n'
            f"    seed={seed},\n    save_applied_params=True,  # each sample's sampled parameters\n)\n"
            "out = pipeline(image=image, mask=mask, bboxes=boxes, box_labels=box_labels,\n"
            "               keypoints=keypoints, keypoint_labels=keypoint_labels)")


def build(transforms: tuple[tuple[str, float], ...], shape: tuple[int, int], seed: int,
          remove_invisible: bool = True) -> A.Compose:
    """A seeded A.Compose of the named transforms: the calls that `code` shows.

    `remove_invisible=False` keeps every keypoint (also those out of the frame or inside a coarse-dropout hole)
    with the same random draws: `grid` uses it to tell why a keypoint went missing.
    """
    return A.Compose([cls(**args) for cls, args in _steps(transforms, shape)],
                     bbox_params=A.BboxParams(format="pascal_voc", label_fields=["box_labels"]),
                     keypoint_params=A.KeypointParams(format="xy", label_fields=["keypoint_labels"],
                                                      remove_invisible=remove_invisible),
                     seed=seed, save_applied_params=True)


def apply(pipeline: A.Compose, s: Scene) -> dict:
    """One augmented sample: image, mask, bboxes, keypoints (with their labels, so a dropped one is known)."""
    return pipeline(image=s.image, mask=s.mask, bboxes=s.boxes, box_labels=list(range(len(s.boxes))),
                    keypoints=s.keypoints, keypoint_labels=list(range(len(s.keypoints))))


def draw(image: np.ndarray, mask: np.ndarray, boxes: object, box_labels: object, keypoints: object,
         keypoint_labels: object, zoom: int = 2) -> np.ndarray:
    """The image zoomed `zoom` x, mask tinted bluish green, boxes in yellow, keypoints as dots (colour = which one)."""
    big = cv2.resize(image, None, fx=zoom, fy=zoom, interpolation=cv2.INTER_NEAREST).astype(np.float32)
    m = cv2.resize(mask, None, fx=zoom, fy=zoom, interpolation=cv2.INTER_NEAREST).astype(bool)
    big[m] = 0.5 * big[m] + 0.5 * np.array([0, 158, 115])
    out = np.ascontiguousarray(big.astype(np.uint8))
    for (x0, y0, x1, y1), _label in zip(np.asarray(boxes).reshape(-1, 4), box_labels):  # type: ignore[call-overload]
        cv2.rectangle(out, (round(x0 * zoom), round(y0 * zoom)), (round(x1 * zoom), round(y1 * zoom)),
                      (240, 228, 66), 2)
    for (x, y), label in zip(np.asarray(keypoints).reshape(-1, 2)[:, :2], keypoint_labels):  # type: ignore[call-overload]
        centre = (round(x * zoom), round(y * zoom))
        cv2.circle(out, centre, 5, (255, 255, 255), -1)
        cv2.circle(out, centre, 3, KP_COLOURS[int(label) % len(KP_COLOURS)], -1)
    return out


def _describe(applied: list[tuple[str, dict]]) -> str:
    """What each transform drew this time, in a short line: scalars rounded, an affine matrix as angle and scale."""
    parts = []
    for name, params in applied:
        shown = {k: v for k, v in params.items() if k not in ("shape", "interpolation", "fill", "fill_mask")
                 and isinstance(v, (int, float, bool)) and v != -1}
        if isinstance(params.get("matrix"), np.ndarray):
            m = params["matrix"]
            shown["angle"] = math.degrees(math.atan2(m[1, 0], m[0, 0]))
            shown["scale"] = math.hypot(m[0, 0], m[1, 0])
        text = ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in shown.items())
        parts.append(f"{name}({text})")
    return " → ".join(parts) or "nothing applied"


@dataclass(frozen=True)
class Explorer:
    """Which transforms (name, value of its parameter), the seed, how many samples; an uploaded image or the photo."""

    transforms: tuple[tuple[str, float], ...] = (("horizontal flip", 0.5), ("rotate", 30), ("brightness/contrast", 0.3))
    seed: int = 0
    n_samples: int = 16
    image_name: str = ""
    image: bytes = field(default=b"", repr=False)
    code_version: int = 4  # 2: mask tinted green, boxes yellow; 3: code shows computed arguments; 4: facts

    def __post_init__(self) -> None:
        for name, value in self.transforms:
            if name not in TRANSFORMS:
                raise ValueError(f"Unknown transform {name!r}: choose among {', '.join(TRANSFORMS)}.")
            lo, hi = TRANSFORMS[name][3:5]
            if not lo <= value <= hi:
                raise ValueError(f"The {name} parameter must be between {lo:g} and {hi:g}.")
        if not 1 <= self.n_samples <= 64:
            raise ValueError("Ask for between 1 and 64 augmented samples.")
        if not 0 <= self.seed < 2**31:
            raise ValueError("The seed must be a whole number between 0 and 2,147,483,647.")


@dataclass(frozen=True)
class GridFacts:
    """What the explorer's notice says about one grid: same seed, same samples; where the keypoints went.

    Albumentations 2 drops a keypoint for two reasons: a geometric transform carried it out of the image (or to its
    very edge: ElasticTransform rounds a keypoint to a pixel and drops it when that pixel is outside), or CoarseDropout
    cut a hole over it (`filter_keypoints_in_holes`; a box goes only when the holes cover all of it). A missing
    keypoint whose position, tracked with `remove_invisible=False`, is still inside the frame was removed by a hole;
    every other missing one left the frame.
    """

    seed: int
    n_samples: int
    keypoints_total: int  # keypoints of the scene, summed over the samples
    keypoints_kept: int
    keypoints_left_frame: int  # ended outside the image
    keypoints_in_holes: int  # inside the frame, removed by a coarse-dropout hole
    boxes_total: int
    boxes_kept: int
    geometric_chosen: bool  # a transform that moves the labels with the image is in the pipeline
    dropout_chosen: bool


@dataclass
class GridResult:
    original: np.ndarray  # the scene drawn with its targets
    samples: list[np.ndarray]  # each augmented sample drawn with its transformed targets
    params: pd.DataFrame  # sample, sampled parameters, boxes kept, keypoints kept, ... out of the frame, ... in a hole
    code: str
    mask_share: float  # share of pixels on the mask in the original
    facts: GridFacts


def _outside(keypoints: object, shape: tuple[int, int]) -> np.ndarray:
    """Which keypoints lie outside an image of `shape` (Albumentations keeps 0 <= x < w, 0 <= y < h)."""
    xy = np.asarray(keypoints, dtype=float)
    if xy.size == 0:
        return np.zeros(0, dtype=bool)
    xy = xy.reshape(len(xy), -1)[:, :2]
    return (xy[:, 0] < 0) | (xy[:, 0] >= shape[1]) | (xy[:, 1] < 0) | (xy[:, 1] >= shape[0])


def grid(cfg: Explorer, on_progress: Progress[GridResult] | None = None) -> GridResult:
    s = scene(read_image(cfg.image_name, cfg.image) if cfg.image else None)
    shape = s.image.shape[:2]
    pipeline = build(cfg.transforms, shape, cfg.seed)
    kinds = {TRANSFORMS[n][0] for n, _ in cfg.transforms}
    # The same draws with nothing removed: only coarse dropout removes keypoints inside the frame, so without it every
    # missing keypoint left the frame and the second pass (as long as the first) is skipped.
    tracker = build(cfg.transforms, shape, cfg.seed, remove_invisible=False) if "dropout" in kinds else None
    samples, rows = [], []
    for i in range(cfg.n_samples):
        out = apply(pipeline, s)
        samples.append(draw(out["image"], out["mask"], out["bboxes"], out["box_labels"], out["keypoints"],
                            out["keypoint_labels"]))
        kept = {int(k) for k in out["keypoint_labels"]}
        every = apply(tracker, s) if tracker else {"keypoints": [], "keypoint_labels": []}
        outside = _outside(every["keypoints"], out["image"].shape[:2])
        tracked = {int(k) for k, o in zip(every["keypoint_labels"], outside) if not o}  # inside when nothing is removed
        in_holes = sum(k not in kept and k in tracked for k in range(len(s.keypoints)))
        rows.append({"sample": i + 1, "sampled parameters": _describe(out["applied_transforms"]),
                     "boxes kept": len(out["bboxes"]), "keypoints kept": len(kept),
                     "keypoints out of the frame": len(s.keypoints) - len(kept) - in_holes,
                     "keypoints in a hole": in_holes})
    table = pd.DataFrame(rows)
    facts = GridFacts(seed=cfg.seed, n_samples=cfg.n_samples, keypoints_total=len(s.keypoints) * cfg.n_samples,
                      keypoints_kept=int(table["keypoints kept"].sum()),
                      keypoints_left_frame=int(table["keypoints out of the frame"].sum()),
                      keypoints_in_holes=int(table["keypoints in a hole"].sum()),
                      boxes_total=len(s.boxes) * cfg.n_samples, boxes_kept=int(table["boxes kept"].sum()),
                      geometric_chosen="geometric" in kinds, dropout_chosen="dropout" in kinds)
    table["boxes kept"] = [f"{k} of {len(s.boxes)}" for k in table["boxes kept"]]
    table["keypoints kept"] = [f"{k} of {len(s.keypoints)}" for k in table["keypoints kept"]]
    original = draw(s.image, s.mask, s.boxes, range(len(s.boxes)), s.keypoints, range(len(s.keypoints)))
    return GridResult(original, samples, table, code(cfg.transforms, shape, cfg.seed), float(s.mask.mean()), facts)


# Digits: augmentation as a bigger training set ------------------------------------------------------------------


def augment_digits(x: torch.Tensor, copies: int, max_shift: float = 1.0, max_degrees: float = 10.0,
                   seed: int = 0) -> torch.Tensor:
    """`copies` randomly shifted (up to max_shift pixels) and rotated copies of each 8x8 digit, (copies * N, 64)."""
    if copies < 1:
        raise ValueError("Make at least one augmented copy.")
    g = torch.Generator().manual_seed(seed)
    imgs = x.reshape(-1, 1, 8, 8).repeat(copies, 1, 1, 1)  # (copies * N, 1, 8, 8)
    n = len(imgs)
    angle = (torch.rand(n, generator=g) * 2 - 1) * math.radians(max_degrees)
    shift = (torch.rand(n, 2, generator=g) * 2 - 1) * max_shift * 2 / 8  # pixels -> affine_grid's [-1, 1] units
    cos, sin = torch.cos(angle), torch.sin(angle)
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    moved = F.grid_sample(imgs, F.affine_grid(theta, list(imgs.shape), align_corners=False), align_corners=False)
    return moved.reshape(n, 64)

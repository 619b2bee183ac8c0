"""A decision map as a picture: cheap enough to redraw many times a second while a network trains.

`charts.boundary` draws the map as one Vega rect per grid cell (2,500 marks) under the points; sent and
embedded again for every frame of a live run, it redrew about once a second in Chromium (issue 20). Here
the same map is a PNG: P(class 1) coloured on the same scale (Vega-Lite interpolates a colour range in
HCL, d3's `interpolateHcl`, reproduced in `colour_table`), each cell a block of pixels as the rects
draw it, and the points stamped on top as the Vega chart marks them (train filled, validation hollow,
coloured by class). numpy and PIL only; the page shows it while training and the interactive Vega chart
after.
"""
from __future__ import annotations

import base64
import io
from collections.abc import Sequence

import numpy as np
import pandas as pd
from PIL import Image, ImageDraw

from core.charts.theme import BOUNDARY_RANGE, PALETTE

LEVELS = 241  # colours of P(class 1) (rounded to 1/240, so that 0, 0.5 and 1 fall on the stops), then the points'
POINT_AREA = 45  # px², the Vega circles' `size`
POINT_STROKE = 2  # px, their outline (Vega's 1.5, in whole pixels)
PNG_LEVEL = 1  # zlib level: a frame must encode in a few milliseconds; smaller files gain little here


def _hex(colour: str) -> np.ndarray:
    return np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=float)


# d3-color's CIELAB (D50, Bradford-adapted sRGB), which its HCL is the polar form of.
_TO_XYZ = np.array([[0.4360747, 0.3850649, 0.1430804], [0.2225045, 0.7168786, 0.0606169],
                    [0.0139322, 0.0971045, 0.7141733]])
_FROM_XYZ = np.array([[3.1338561, -1.6168667, -0.4906146], [-0.9787684, 1.9161415, 0.0334540],
                      [0.0719453, -0.2289914, 1.4052427]])
_WHITE = np.array([0.96422, 1.0, 0.82521])
_T1 = 6 / 29


def _to_hcl(rgb: np.ndarray) -> tuple[float, float, float]:
    """(hue in degrees or NaN for a grey, chroma, luminance) of an sRGB colour in 0..255, as d3.hcl gives it."""
    lin = rgb / 255
    lin = np.where(lin <= 0.04045, lin / 12.92, ((lin + 0.055) / 1.055) ** 2.4)
    xyz = _TO_XYZ @ lin / _WHITE
    if lin[0] == lin[1] == lin[2]:
        xyz[:] = xyz[1]  # d3 treats a grey as exactly achromatic
    f = np.where(xyz > _T1**3, np.cbrt(xyz), xyz / (3 * _T1**2) + 4 / 29)
    lum, a, b = 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])
    if a == 0 and b == 0:
        return float("nan"), 0.0, float(lum)
    return float(np.degrees(np.arctan2(b, a)) % 360), float(np.hypot(a, b)), float(lum)


def _from_hcl(h: np.ndarray, c: np.ndarray, lum: np.ndarray) -> np.ndarray:
    """(N, 3) sRGB in 0..255, rounded and clipped as d3 writes a colour, of N HCL colours."""
    a, b = c * np.cos(np.radians(h)), c * np.sin(np.radians(h))
    fy = (lum + 16) / 116
    f = np.stack([fy + a / 500, fy, fy - b / 200], axis=1)  # (N, 3)
    xyz = np.where(f > _T1, f**3, 3 * _T1**2 * (f - 4 / 29)) * _WHITE
    lin = xyz @ _FROM_XYZ.T
    rgb = 255 * np.where(lin <= 0.0031308, 12.92 * lin, 1.055 * np.abs(lin) ** (1 / 2.4) - 0.055)
    return np.clip(np.round(rgb), 0, 255)


def colour_table(stops: Sequence[str] = tuple(BOUNDARY_RANGE), levels: int = LEVELS) -> np.ndarray:
    """(levels, 3) uint8: the colour of P(class 1) = i / (levels - 1), the stops spread evenly over 0..1.

    Between two stops hue, chroma and luminance change linearly (hue the short way round; a grey stop takes
    the other stop's hue), which is d3's interpolateHcl, what Vega-Lite uses for a continuous colour range.
    """
    hcl = [_to_hcl(_hex(s)) for s in stops]
    t = np.linspace(0, 1, levels) * (len(stops) - 1)
    seg = np.minimum(t.astype(int), len(stops) - 2)  # which pair of stops each level lies between
    u = t - seg
    out = np.empty((levels, 3))
    for i, ((h0, c0, l0), (h1, c1, l1)) in enumerate(zip(hcl, hcl[1:])):
        h0, h1 = (h1, h1) if np.isnan(h0) else (h0, h0) if np.isnan(h1) else (h0, h1)
        turn = h1 - h0
        turn -= 360 * round(turn / 360)  # the short way round
        at = seg == i
        out[at] = _from_hcl(h0 + u[at] * turn, c0 + u[at] * (c1 - c0), l0 + u[at] * (l1 - l0))
    return out.astype(np.uint8)


_TABLE = colour_table()


def levels(p: np.ndarray) -> np.ndarray:
    """uint8 of p's shape: the index of each P(class 1) in the colour table (clipped to 0..1; NaN as 0.5)."""
    p = np.nan_to_num(np.asarray(p, dtype=float), nan=0.5)
    return np.round(np.clip(p, 0, 1) * (LEVELS - 1)).astype(np.uint8)


def colours(p: np.ndarray) -> np.ndarray:
    """(..., 3) uint8: the map's colour of each P(class 1) in `p`."""
    return _TABLE[levels(p)]


class Picture:
    """One run's decision map as pixels: what `charts.boundary(grid, points)` plots inside its axes.

    The grid's layout and the points stay the same from frame to frame of a run, so they are laid out once
    here (the points as an overlay and its mask); each frame then only colours P(class 1) and lays the
    overlay on it. A frame is a palette image: the LEVELS colours of the map, then the points' colours, so
    it needs no colour quantizing and its PNG is small (about 15 kB at 300 x 260). grid columns: x1, x2, p
    on a regular grid (cells drawn as blocks, x1 to the right, x2 up, the plot spanning the cells' outer
    edges as the Vega chart's axes do); points columns: x1, x2, label, split. Every frame's grid must have
    the first one's cells (its p may change).
    """

    def __init__(self, grid: pd.DataFrame, points: pd.DataFrame, width: int, height: int):
        self.width, self.height = width, height
        self._x1, self._x2 = grid["x1"].to_numpy(), grid["x2"].to_numpy()
        x1, x2 = np.unique(self._x1), np.unique(self._x2)
        self._shape = (len(x2), len(x1))
        self._cell = np.searchsorted(x2, self._x2) * len(x1) + np.searchsorted(x1, self._x1)  # row-major, x2 rising
        self._overlay, self._mask, extra = _points(points, (*_edges(x1), *_edges(x2)), width, height)
        self._palette = np.concatenate([_TABLE, extra]).astype(np.uint8).reshape(-1).tolist()

    def frame(self, grid: pd.DataFrame) -> Image.Image:
        """The map of `grid`'s p under the points, as a palette image."""
        if not (np.array_equal(grid["x1"].to_numpy(), self._x1) and np.array_equal(grid["x2"].to_numpy(), self._x2)):
            raise ValueError("A frame's grid must have the same cells as the first one.")
        p = np.full(self._shape[0] * self._shape[1], np.nan)
        p[self._cell] = grid["p"].to_numpy()
        cells = Image.fromarray(np.ascontiguousarray(levels(p.reshape(self._shape))[::-1]), mode="L")  # x2 up
        frame = cells.resize((self.width, self.height), Image.Resampling.NEAREST)  # each cell a block, as Vega's rect
        frame.paste(self._overlay, (0, 0), self._mask)
        frame = frame.convert("P")
        frame.putpalette(self._palette)
        return frame

    def image(self, grid: pd.DataFrame) -> np.ndarray:
        """(height, width, 3) uint8: the frame's colours."""
        return np.asarray(self.frame(grid).convert("RGB"))

    def png(self, grid: pd.DataFrame) -> bytes:
        """The frame as PNG bytes, compressed lightly (a frame must be quick to make)."""
        out = io.BytesIO()
        self.frame(grid).save(out, format="PNG", compress_level=PNG_LEVEL)
        return out.getvalue()


def heat_url(values: np.ndarray, stops: Sequence[str], nan: float = 0.0) -> str:
    """A heat map as a PNG data URL, one pixel per cell, for a Vega-Lite image mark stretched over the plot.

    values: (rows, columns) in 0..1, the top row first (NaN as `nan`), coloured along `stops` as a linear Vega-Lite
    colour scale with that range colours them (HCL, `colour_table`). Thousands of rects cost the browser far
    more to embed than one picture (a page of four landscapes drew 2 s sooner in Chromium without them).
    """
    table = colour_table(stops)
    index = np.round(np.clip(np.nan_to_num(np.asarray(values, dtype=float), nan=nan), 0, 1) * (len(table) - 1))
    out = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(table[index.astype(int)]), mode="RGB").save(out, format="PNG",
                                                                                    compress_level=PNG_LEVEL)
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def boundary(grid: pd.DataFrame, points: pd.DataFrame, width: int, height: int) -> np.ndarray:
    """(height, width, 3) uint8: one decision map as pixels (`Picture` says how it is drawn)."""
    return Picture(grid, points, width, height).image(grid)


def _points(points: pd.DataFrame, box: tuple[float, float, float, float], width: int, height: int
            ) -> tuple[Image.Image, Image.Image, np.ndarray]:
    """The points as the Vega chart marks them (train filled, validation hollow, coloured by class) on a
    width x height picture of `box` (x1_lo, x1_hi, x2_lo, x2_hi): their palette indices (from LEVELS on),
    the mask of the pixels they cover, and the colours of those indices ((C, 3): the classes', then white).
    A later point covers an earlier one, as in Vega."""
    lo1, hi1, lo2, hi2 = box
    labels = points["label"].astype(str)
    order = sorted(labels.unique(), key=lambda v: (len(v), v))  # as charts.boundary orders the classes
    if len(order) > len(PALETTE):
        raise ValueError(f"A decision map tells at most {len(PALETTE)} classes apart.")
    index = {label: LEVELS + i for i, label in enumerate(order)}
    white = LEVELS + len(order)
    overlay, mask = Image.new("L", (width, height)), Image.new("L", (width, height))
    marks, covered = ImageDraw.Draw(overlay), ImageDraw.Draw(mask)
    outer = np.sqrt(POINT_AREA / np.pi) + POINT_STROKE / 2  # the stroke is centred on the circle's edge
    xs = (points["x1"].to_numpy() - lo1) / (hi1 - lo1) * width
    ys = (hi2 - points["x2"].to_numpy()) / (hi2 - lo2) * height
    for x, y, label, split in zip(xs, ys, labels, points["split"]):
        circle = (x - outer, y - outer, x + outer, y + outer)
        marks.ellipse(circle, outline=index[label], fill=index[label] if split == "train" else white,
                      width=POINT_STROKE)
        covered.ellipse(circle, fill=255)
    extra = np.stack([_hex(PALETTE[i]) for i in range(len(order))] + [np.full(3, 255.0)])
    return overlay, mask, extra


def _edges(centres: np.ndarray) -> tuple[float, float]:
    """The outer edges of a regular grid axis given its cell centres."""
    half = (centres[1] - centres[0]) / 2 if len(centres) > 1 else 0.5
    return float(centres[0] - half), float(centres[-1] + half)

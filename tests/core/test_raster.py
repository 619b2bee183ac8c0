"""The decision map as a picture (core/charts/raster.py): its colours, cells and points, pixel by pixel."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from core.charts import BLUE, BOUNDARY_RANGE, ORANGE, raster

WHITE = (255, 255, 255)


def rgb(colour: str) -> tuple[int, ...]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


def grid(p_of, n: int = 10) -> pd.DataFrame:
    """An n x n grid over [0, 10] x [0, 10] (cell centres 0.5, 1.5, ...), x1 fastest, p = p_of(x1, x2)."""
    x2, x1 = np.meshgrid(np.arange(n) + 0.5, np.arange(n) + 0.5, indexing="ij")
    return pd.DataFrame({"x1": x1.ravel(), "x2": x2.ravel(), "p": p_of(x1.ravel(), x2.ravel())})


NO_POINTS = pd.DataFrame({"x1": [], "x2": [], "label": [], "split": []})


@pytest.mark.parametrize(("p", "stop"), [(0.0, 0), (0.5, 1), (1.0, 2)])
def test_the_scale_passes_through_the_charts_stops(p, stop):
    assert tuple(raster.colours(np.array(p))) == rgb(BOUNDARY_RANGE[stop])


def test_between_stops_the_colour_moves_in_hcl_like_vega_lite():
    # The neutral stop is grey, so the first half keeps the blue stop's hue and loses chroma on the way: its
    # colours stay bluish (b < r never), blue fading monotonically into grey, and out of range p is clipped.
    half = raster.colours(np.linspace(0, 0.5, 121)).astype(int)
    assert (np.diff(half[:, 0]) >= 0).all() and (half[:, 2] >= half[:, 0]).all()
    assert tuple(raster.colours(np.array(0.25))) == (0xB8, 0xD4, 0xE6)  # d3.interpolateHcl halfway
    assert tuple(raster.colours(np.array(-3.0))) == rgb(BOUNDARY_RANGE[0])
    assert tuple(raster.colours(np.array(np.nan))) == rgb(BOUNDARY_RANGE[1])


def test_each_cell_is_a_block_of_its_colour_with_x2_up():
    # p = 1 on the right half (x1 > 5) and in the top row (x2 > 9), 0 elsewhere: 10 x 10 cells on 200 x 100 px.
    image = raster.boundary(grid(lambda x1, x2: ((x1 > 5) | (x2 > 9)).astype(float)), NO_POINTS, 200, 100)
    assert image.shape == (100, 200, 3) and image.dtype == np.uint8
    orange, blue = rgb(BOUNDARY_RANGE[2]), rgb(BOUNDARY_RANGE[0])
    assert tuple(image[50, 99]) == blue and tuple(image[50, 100]) == orange  # the cell edge x1 = 5 at x = 100 px
    assert tuple(image[0, 0]) == orange and tuple(image[9, 0]) == orange and tuple(image[10, 0]) == blue  # top row
    assert len(np.unique(image.reshape(-1, 3), axis=0)) == 2


def test_points_are_marked_as_the_chart_marks_them():
    points = pd.DataFrame({"x1": [2.5, 7.5, 2.5], "x2": [5.0, 5.0, 12.0], "label": [0, 1, 1],
                           "split": ["train", "validation", "train"]})
    image = raster.boundary(grid(lambda x1, x2: np.full_like(x1, 0.5)), points, 100, 100)
    neutral = rgb(BOUNDARY_RANGE[1])
    assert tuple(image[50, 25]) == rgb(BLUE)  # class 0, train: filled in its colour
    assert tuple(image[50, 75]) == WHITE and tuple(image[50, 79]) == rgb(ORANGE)  # validation: hollow, ringed
    assert tuple(image[50, 84]) == neutral and tuple(image[50, 50]) == neutral  # the map around them
    assert (image[:5] == neutral).all()  # the third point lies outside the plot (x2 = 12 > 10): clipped away


def test_a_frame_is_a_small_png_of_the_same_pixels():
    pic = raster.Picture(grid(lambda x1, x2: x1 / 10), NO_POINTS, 300, 260)
    frame = grid(lambda x1, x2: x2 / 10)
    png = pic.png(frame)
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(png)).convert("RGB")), pic.image(frame))
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) < 5_000  # a palette image of 10 x 10 flat cells
    with pytest.raises(ValueError, match="same cells"):
        pic.png(grid(lambda x1, x2: x1, n=11))

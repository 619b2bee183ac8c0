"""A small network drawn as TensorFlow Playground draws it: every unit a little map of its output over the
input plane, the weights as lines between the units (colour: sign, thickness: size).

Cheap enough to redraw many times a second while the network trains: the units' maps are one palette PNG
at one pixel per grid cell (coloured as core/charts/raster.py colours P(class 1)), which the browser
scales, and the lines and names are SVG drawn over it; the server only fills arrays and formats text.
"""
from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence

import numpy as np
from PIL import Image

from core.charts import raster
from core.charts.theme import BLUE, ORANGE

ROW = 1.3  # a row of units, in tiles
GAP = 2.0  # the space between two columns (where the weights are drawn), in tiles
TOP = 0.5  # room above the columns for their headings, in tiles
LEFT = 1.4  # room left of the inputs for their names, in tiles
MAX_LINE = 0.14  # the thickest weight's line, in tiles
FONT = 0.36  # the names' size, in tiles
TILE_STRIDE = 2  # a tile shows every other cell of the grid
URL_ESCAPES = tuple((c, f"%{ord(c):02X}") for c in '%#"<>&\n')  # what an SVG's data URL must escape, '%' first


def layout(units: Sequence[int], tile: int) -> tuple[int, int, list[list[tuple[int, int]]]]:
    """(width, height, the top-left corner of every unit's tile per column) in pixels of `tile` a side."""
    tallest, row, gap = max(units), round(ROW * tile), round(GAP * tile)
    width = round(LEFT * tile) + len(units) * tile + (len(units) - 1) * gap + tile // 4
    height = round(TOP * tile) + (tallest - 1) * row + tile + tile // 4
    corners = [[(round(LEFT * tile) + c * (tile + gap), round(TOP * tile) + (tallest - n) * row // 2 + i * row)
                for i in range(n)] for c, n in enumerate(units)]
    return width, height, corners


def line_widths(weights: Sequence[np.ndarray], tile: int) -> list[np.ndarray]:
    """Each weight's line width: up to MAX_LINE tiles in proportion to |w| over the network's largest |w|, at least
    a hairline (a sixth of the thickest)."""
    largest = max((float(np.abs(w).max()) for w in weights), default=0.0) or 1.0
    thickest = MAX_LINE * tile
    return [np.maximum(thickest / 6, thickest * np.abs(w) / largest) for w in weights]


def tiles_png(maps: Sequence[np.ndarray], cells: int, stride: int = 1) -> bytes:
    """Every unit's map side by side in one strip, column after column, one pixel per `stride`-th grid cell of
    each axis: a palette PNG."""
    levels = np.concatenate([raster.levels(m.T.reshape(-1, cells, cells)[:, ::-stride, ::stride]) for m in maps])
    tile = levels.shape[1]  # x2 up, from the top row of cells down by `stride`
    strip = Image.fromarray(np.ascontiguousarray(levels.transpose(1, 0, 2).reshape(tile, -1)), mode="P")
    strip.putpalette(PALETTE)
    out = io.BytesIO()
    strip.save(out, format="PNG", compress_level=raster.PNG_LEVEL)
    return out.getvalue()


PALETTE = raster.colours(np.linspace(0, 1, raster.LEVELS)).reshape(-1).tolist()  # index i: P(class 1) = i / 240


def network_svg(maps: Sequence[np.ndarray], weights: Sequence[np.ndarray], names: Sequence[Sequence[str]],
                cells: int, headings: Sequence[str], label: str, stride: int = TILE_STRIDE) -> str:
    """The network as an HTML <img> of an SVG that scales to its container's width.

    maps: per column (inputs, hidden layers, output), (cells², units) values in 0..1 on a cells x cells grid
    (x1 fastest, x2 rising), coloured as P(class 1) is on the decision map; weights: per layer (n_in, n_out),
    drawn blue where positive, orange where negative; names: each input's name, written left of its tile;
    headings: one per column, above it; label: the picture's accessible name. A tile shows every `stride`-th
    cell of each axis (a unit's tile is drawn about 45 px wide: 25 cells of the 50 show it as well).
    """
    units = [m.shape[1] for m in maps]
    if [w.shape for w in weights] != list(zip(units, units[1:])):
        raise ValueError("The weights must connect the columns' units, layer by layer.")
    if any(m.shape[0] != cells * cells for m in maps):
        raise ValueError("Every unit's map must have cells x cells values.")
    png = base64.b64encode(tiles_png(maps, cells, stride)).decode("ascii")
    cells = len(range(0, cells, stride))  # from here on: a tile's side, in cells and in the drawing's units
    width, height, corners = layout(units, cells)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'font-family="sans-serif" font-size="{FONT * cells:.0f}">'
             f'<defs><image id="t" href="data:image/png;base64,{png}" width="{sum(units) * cells}" height="{cells}"/>'
             '</defs>']
    tile = 0
    for places in corners:  # each tile a window onto its part of the strip
        for x, y in places:
            parts.append(f'<svg x="{x}" y="{y}" width="{cells}" height="{cells}" viewBox="{tile * cells} 0 {cells} '
                         f'{cells}"><use href="#t"/></svg><rect x="{x}" y="{y}" width="{cells}" height="{cells}" '
                         'fill="none" stroke="#666"/>')
            tile += 1
    for layer, (w, px) in enumerate(zip(weights, line_widths(weights, cells))):
        for i, (x0, y0) in enumerate(corners[layer]):
            for j, (x1, y1) in enumerate(corners[layer + 1]):
                parts.append(f'<line x1="{x0 + cells}" y1="{y0 + cells / 2:.0f}" x2="{x1}" y2="{y1 + cells / 2:.0f}" '
                             f'stroke="{BLUE if w[i, j] > 0 else ORANGE}" stroke-width="{px[i, j]:.1f}"/>')
    for places, heading in zip(corners, headings):
        parts.append(f'<text x="{places[0][0] + cells / 2:.0f}" y="{TOP * cells * 0.7:.0f}" text-anchor="middle">'
                     f"{html.escape(heading)}</text>")
    for (x, y), name in zip(corners[0], names[0]):
        parts.append(f'<text x="{x - 6}" y="{y + cells / 2:.0f}" text-anchor="end" dominant-baseline="middle">'
                     f"{html.escape(name)}</text>")
    return as_img("".join(parts) + "</svg>", label)


PLANE = (300, 260)  # a plane's picture in pixels, as the live decision map's (ui/parts/learning_cycle.MAP_PX)
RADIUS = 4.5  # a point's outer radius in px (raster's POINT_AREA and POINT_STROKE: 3.8 + 0.75, whole pixels)
RING = 1.6  # its outline's width in px


def _disc(radius: float, ring: float) -> tuple[np.ndarray, np.ndarray]:
    """The pixel offsets (dy, dx) of a point's outline and of its inside, around its centre pixel."""
    r = int(np.ceil(radius))
    dy, dx = np.mgrid[-r : r + 1, -r : r + 1]
    distance = np.hypot(dy, dx)
    outline, inside = (distance <= radius) & (distance > radius - ring), distance <= radius - ring
    return np.stack([dy[outline], dx[outline]]), np.stack([dy[inside], dx[inside]])


OUTLINE, INSIDE = _disc(RADIUS, RING)
WHITE = raster.LEVELS + 2  # palette indices after the map's levels: blue (class 0), orange (class 1), white
PLANE_PALETTE = PALETTE + [*bytes.fromhex(BLUE[1:]), *bytes.fromhex(ORANGE[1:]), 255, 255, 255]


def plane_png(p: np.ndarray, cells: int, box: tuple[float, float, float, float], x: np.ndarray, y: np.ndarray,
              label: np.ndarray, train: np.ndarray) -> bytes:
    """A map of P(class 1) over a plane with points on it, as a PNG of PLANE pixels: cheap enough for every frame
    of points that move (numpy stamps every point at once, where drawing them one by one cost ~10 us each).

    p: (cells²,) on a cells x cells grid over `box` (x_lo, x_hi, y_lo, y_hi; x fastest, y rising), each cell a
    block of pixels; the points (x, y) coloured by `label` (0 or 1), filled where `train`, hollow (white inside)
    otherwise, as the decision maps draw them (every outline first, then every inside).
    """
    width, height = PLANE
    levels = raster.levels(np.asarray(p).reshape(cells, cells)[::-1])
    rows, columns = np.arange(height) * cells // height, np.arange(width) * cells // width
    index = levels[rows[:, None], columns[None, :]]  # (height, width), each cell a block
    cy = np.round((box[3] - np.asarray(y, dtype=float)) / (box[3] - box[2]) * height).astype(int)
    cx = np.round((np.asarray(x, dtype=float) - box[0]) / (box[1] - box[0]) * width).astype(int)
    colour = raster.LEVELS + (np.asarray(label) == 1)
    inner = np.where(np.asarray(train, dtype=bool), colour, WHITE)
    for offsets, fill in ((OUTLINE, colour), (INSIDE, inner)):
        py, px = cy[:, None] + offsets[0], cx[:, None] + offsets[1]
        seen = (py >= 0) & (py < height) & (px >= 0) & (px < width)
        index[py[seen], px[seen]] = np.broadcast_to(fill[:, None], py.shape)[seen]
    picture = Image.fromarray(index.astype(np.uint8), mode="P")
    picture.putpalette(PLANE_PALETTE)
    out = io.BytesIO()
    picture.save(out, format="PNG", compress_level=raster.PNG_LEVEL)
    return out.getvalue()


def as_img(svg: str, label: str) -> str:
    """An SVG as an HTML <img> that fills its container's width: st.html sanitizes inline SVG away, an image's
    data URL it keeps (and the browser draws the SVG, its embedded PNG included, as one picture). The URL is
    the SVG's text with the few characters a URL (in an HTML attribute) cannot hold escaped, not base64: its PNG
    is base64 already."""
    source = svg
    for character, escaped in URL_ESCAPES:  # str.replace per character: a translate table is ten times slower here
        source = source.replace(character, escaped)
    return (f'<img alt="{html.escape(label)}" src="data:image/svg+xml,{source}" '
            'style="display:block;width:100%;height:auto">')

"""A small network drawn as TensorFlow Playground draws it: every unit a little map of its output over the
input plane, the weights as lines between the units (colour: sign, thickness: size).

Cheap enough to redraw many times a second while the network trains: the units' maps are one palette PNG
at one pixel per grid cell (coloured as core/charts/raster.py colours P(class 1)), which the browser
scales, and the lines and names are SVG drawn over it; the server only fills arrays and formats text.
"""
from __future__ import annotations

import base64
import functools
import html
import io
import struct
import zlib
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
URL_ESCAPES = tuple((c, f"%{ord(c):02X}") for c in '%#"<>&\n\0\1')  # what an SVG's data URL must escape, '%' first


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
    weights = [w if np.isfinite(w).all() else np.nan_to_num(w, nan=0.0, posinf=0.0, neginf=0.0)  # blown up: hairline
               for w in weights]
    largest = max((float(np.abs(w).max()) for w in weights), default=0.0) or 1.0
    thickest = MAX_LINE * tile
    return [np.maximum(thickest / 6, thickest * np.abs(w) / largest) for w in weights]


def tiles_png(maps: Sequence[np.ndarray], cells: int, stride: int = 1) -> bytes:
    """Every unit's map side by side in one strip, column after column, one pixel per `stride`-th grid cell of
    each axis: a palette PNG, stored uncompressed (a frame's few kB cost less to send than to deflate)."""
    shown = [m.reshape(cells, cells, -1)[::-stride, ::stride] for m in maps]  # (rows from the top, columns, units)
    values = np.concatenate(shown, axis=2).transpose(0, 2, 1)  # (rows, units, columns)
    if not np.isfinite(values).all():  # a network whose weights blew up
        values = np.nan_to_num(values, nan=0.5)
    levels = (np.clip(values, 0, 1) * (raster.LEVELS - 1) + 0.5).astype(np.uint8)  # raster.levels, for finite values
    return palette_png(levels.reshape(levels.shape[0], -1), PLTE)


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def palette_png(index: np.ndarray, plte: bytes) -> bytes:
    """A palette PNG of the (height, width) uint8 indices, its pixels stored, not deflated (PNG spec, ISO/IEC
    15948: 8-bit colour type 3, one filter byte 0 per row). PIL's per-image setup cost more than these pixels."""
    height, width = index.shape
    rows = np.empty((height, width + 1), np.uint8)
    rows[:, 0], rows[:, 1:] = 0, index
    header = struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0)
    return b"".join([b"\x89PNG\r\n\x1a\n", _chunk(b"IHDR", header), plte,
                     _chunk(b"IDAT", zlib.compress(rows.tobytes(), 0)), _chunk(b"IEND", b"")])


PALETTE = raster.colours(np.linspace(0, 1, raster.LEVELS)).reshape(-1).tolist()  # index i: P(class 1) = i / 240
PLTE = _chunk(b"PLTE", bytes(PALETTE))


def network_svg(maps: Sequence[np.ndarray], weights: Sequence[np.ndarray], names: Sequence[Sequence[str]],
                cells: int, headings: Sequence[str], label: str, stride: int = TILE_STRIDE) -> str:
    """The network as an HTML <img> of an SVG that scales to its container's width.

    maps: per column (inputs, hidden layers, output), (cells², units) values in 0..1 on a cells x cells grid
    (x1 fastest, x2 rising), coloured as P(class 1) is on the decision map; weights: per layer (n_in, n_out),
    drawn orange where positive, blue where negative (as
    the maps colour high and low values); names: each input's name, written left of its tile;
    headings: one per column, above it; label: the picture's accessible name. A tile shows every `stride`-th
    cell of each axis (a unit's tile is drawn about 45 px wide: 25 cells of the 50 show it as well).

    Everything but the tiles' pixels and the lines' colours and widths is laid out once per network shape
    (`_skeleton`), already escaped for the data URL: a frame only fills those in.
    """
    units = tuple(m.shape[1] for m in maps)
    if [w.shape for w in weights] != list(zip(units, units[1:])):
        raise ValueError("The weights must connect the columns' units, layer by layer.")
    if any(m.shape[0] != cells * cells for m in maps):
        raise ValueError("Every unit's map must have cells x cells values.")
    tile = len(range(0, cells, stride))
    head, body, lines, tail = _skeleton(units, tile, tuple(names[0]), tuple(headings), label)
    png = base64.b64encode(tiles_png(maps, cells, stride)).decode("ascii")
    flat = np.concatenate([w.reshape(-1) for w in weights])  # in the order _skeleton lays the lines out
    width = line_widths([flat], tile)[0]  # one array: the same widths as layer by layer, fewer numpy calls
    tenths = np.minimum((width * 10 + 0.5).astype(int), len(WIDTHS) - 1).tolist()
    colours = [STROKES[0] if w > 0 else STROKES[1] for w in flat.tolist()]  # orange positive, as the maps' high end
    return "".join([head, png, body, *map(str.__add__, map(str.__add__, lines, colours), map(WIDTHS.__getitem__,
                                                                                            tenths)), tail])


STROKES = ("%23E69F00", "%230072B2")  # ORANGE and BLUE as a data URL holds them ('#' escaped)
WIDTHS = [f'%22 stroke-width=%22{i / 10:.1f}%22/%3E' for i in range(100)]  # the rest of a line, by width in tenths


@functools.lru_cache(maxsize=64)
def _skeleton(units: tuple[int, ...], cells: int, names: tuple[str, ...], headings: tuple[str, ...], label: str
              ) -> tuple[str, str, list[str], str]:
    """The <img> up to its tiles' PNG data, the tiles after it, each line's start (up to its colour), and the
    names to the end: a network drawing's parts that stay the same from frame to frame, escaped for the data URL."""
    assert tuple(c.replace("#", "%23") for c in (ORANGE, BLUE)) == STROKES
    width, height, corners = layout(units, cells)
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" font-family="sans-serif" '
            f'font-size="{FONT * cells:.0f}"><defs><image id="t" width="{sum(units) * cells}" height="{cells}" '
            'href="data:image/png;base64,')
    body = ['"/></defs>']
    tile = 0
    for places in corners:  # each tile a window onto its part of the strip
        for x, y in places:
            body.append(f'<svg x="{x}" y="{y}" width="{cells}" height="{cells}" viewBox="{tile * cells} 0 {cells} '
                        f'{cells}"><use href="#t"/></svg><rect x="{x}" y="{y}" width="{cells}" height="{cells}" '
                        'fill="none" stroke="#666"/>')
            tile += 1
    lines = [f'<line x1="{x0 + cells}" y1="{y0 + cells / 2:.0f}" x2="{x1}" y2="{y1 + cells / 2:.0f}" stroke="'
             for layer in range(len(units) - 1) for x0, y0 in corners[layer] for x1, y1 in corners[layer + 1]]
    tail = [f'<text x="{places[0][0] + cells / 2:.0f}" y="{TOP * cells * 0.7:.0f}" text-anchor="middle">'
            f"{html.escape(heading)}</text>" for places, heading in zip(corners, headings)]
    tail += [f'<text x="{x - 6}" y="{y + cells / 2:.0f}" text-anchor="end" dominant-baseline="middle">'
             f"{html.escape(name)}</text>" for (x, y), name in zip(corners[0], names)]
    start, end = as_img(head + "\0" + "".join(body) + "\1" + "".join(tail) + "</svg>", label).split("%00")
    middle, end = end.split("%01")
    return start, middle, [_escaped(line) for line in lines], end


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
WHITE, DARK = raster.LEVELS + 2, raster.LEVELS + 3  # after the map's levels: blue (class 0), orange (class 1), ...
PLANE_PALETTE = PALETTE + [*bytes.fromhex(BLUE[1:]), *bytes.fromhex(ORANGE[1:]), 255, 255, 255, 0x33, 0x33, 0x33]


def plane_png(p: np.ndarray, cells: int, box: tuple[float, float, float, float], x: np.ndarray, y: np.ndarray,
              label: np.ndarray, train: np.ndarray, value: np.ndarray | None = None) -> bytes:
    """A map of P(class 1) over a plane with points on it, as a PNG of PLANE pixels: cheap enough for every frame
    of points that move (numpy stamps every point at once, where drawing them one by one cost ~10 us each).

    p: (cells²,) on a cells x cells grid over `box` (x_lo, x_hi, y_lo, y_hi; x fastest, y rising), each cell a
    block of pixels; the points (x, y) coloured by `label` (0 or 1), filled where `train`, hollow (white inside)
    otherwise, as the decision maps draw them (every outline first, then every inside). With `value` (0..1, a
    regression's targets on the map's scale) a point is coloured by it instead: filled and outlined dark where
    `train`, white inside and outlined in its colour otherwise.
    """
    width, height = PLANE
    levels = raster.levels(np.asarray(p).reshape(cells, cells)[::-1])
    rows, columns = np.arange(height) * cells // height, np.arange(width) * cells // width
    index = levels[rows[:, None], columns[None, :]]  # (height, width), each cell a block
    cy = np.round((box[3] - np.asarray(y, dtype=float)) / (box[3] - box[2]) * height).astype(int)
    cx = np.round((np.asarray(x, dtype=float) - box[0]) / (box[1] - box[0]) * width).astype(int)
    train = np.asarray(train, dtype=bool)
    if value is None:
        colour = raster.LEVELS + (np.asarray(label) == 1)
        inner = np.where(train, colour, WHITE)
    else:
        level = (np.clip(np.asarray(value, dtype=float), 0, 1) * (raster.LEVELS - 1) + 0.5).astype(int)
        colour, inner = np.where(train, DARK, level), np.where(train, level, WHITE)
    for offsets, fill in ((OUTLINE, colour), (INSIDE, inner)):
        py, px = cy[:, None] + offsets[0], cx[:, None] + offsets[1]
        seen = (py >= 0) & (py < height) & (px >= 0) & (px < width)
        index[py[seen], px[seen]] = np.broadcast_to(fill[:, None], py.shape)[seen]
    picture = Image.fromarray(index.astype(np.uint8), mode="P")
    picture.putpalette(PLANE_PALETTE)
    out = io.BytesIO()
    picture.save(out, format="PNG", compress_level=raster.PNG_LEVEL)
    return out.getvalue()


def _escaped(text: str) -> str:
    for character, escaped in URL_ESCAPES:  # str.replace per character: a translate table is ten times slower here
        text = text.replace(character, escaped)
    return text


def as_img(svg: str, label: str) -> str:
    """An SVG as an HTML <img> that fills its container's width: st.html sanitizes inline SVG away, an image's
    data URL it keeps (and the browser draws the SVG, its embedded PNG included, as one picture). The URL is
    the SVG's text with the few characters a URL (in an HTML attribute) cannot hold escaped, not base64: its PNG
    is base64 already."""
    source = _escaped(svg)
    return (f'<img alt="{html.escape(label)}" src="data:image/svg+xml,{source}" '
            'style="display:block;width:100%;height:auto">')

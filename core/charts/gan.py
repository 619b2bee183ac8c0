"""Charts of the GAN page: the discriminator's map under real and generated points, the two losses, snapshots.

DataFrames in, undecorated Altair charts out, in the app's palette (see `core.charts`), and for frames
that follow each other quickly (live training, the step-by-step game) an SVG picture (`plane_svg`): real points
blue, generated points vermillion, and D's belief "this point is real" from light orange (fake) through
white (cannot tell, P = 0.5) to light blue (real).
"""
from __future__ import annotations

import base64
import io
import math

import altair as alt
import numpy as np
import pandas as pd
from PIL import Image

from core.charts import network, raster
from core.charts.shared import lines, probability_picture
from core.charts.theme import BLUE, BOUNDARY_RANGE, HEIGHT, MAX_POINTS, PALETTE

GENERATED = PALETTE[3]  # vermillion: generated points
KINDS = {"real": BLUE, "generated": GENERATED}
BELIEF_RANGE = BOUNDARY_RANGE[::-1]  # P(real) = 0, 0.5, 1: light orange (fake), white, light blue (real)
PLAYERS = {"discriminator": PALETTE[0], "generator": GENERATED}
CHECKPOINTS = "Both players' losses at each checkpoint, on held-out real points and a fixed noise batch"
MAP_HEIGHT = 460  # px: with the page's column about as wide, the ring looks round


def _points(real: pd.DataFrame, samples: pd.DataFrame) -> pd.DataFrame:
    """Real and generated points in one table with a `kind` column (real first, so generated draw on top)."""
    return pd.concat([real[["x1", "x2"]].assign(kind="real"), samples[["x1", "x2"]].assign(kind="generated")],
                     ignore_index=True)


def _kind_colour(legend: alt.Legend | None) -> alt.Color:
    return alt.Color("kind:N", scale=alt.Scale(domain=list(KINDS), range=list(KINDS.values())), title="points",
                     legend=legend)


def game_map(maps: pd.DataFrame, samples: pd.DataFrame, real: pd.DataFrame, box: tuple[float, float, float, float],
             title: str = "") -> alt.LayerChart:
    """D's P(real) over the plane as a heat map, the real points and the generator's points on top.

    maps columns: x1, x2, p (cell centres of a regular grid); samples and real columns: x1, x2.
    box: the plane shown (x1_lo, x1_hi, x2_lo, x2_hi), which the grid's cells tile; points outside it are left out.
    """
    # One picture of the grid (its cells centred in `box`, so it spans the box), not thousands of rects.
    belief = alt.Scale(domain=[0, 0.5, 1], range=BELIEF_RANGE)
    heat = probability_picture(maps[["x1", "x2", "p"]], belief, alt.Legend(orient="right", gradientLength=140),
                               "D: P(real)")
    dots = _points(real, samples)
    dots = dots[dots.x1.between(box[0], box[1]) & dots.x2.between(box[2], box[3])]  # the rest would be clipped
    dots = dots.iloc[:: math.ceil(len(dots) / MAX_POINTS)]
    marks = alt.Chart(dots).mark_circle(size=22, opacity=0.85, clip=True).encode(
        x=alt.X("x1:Q"), y=alt.Y("x2:Q"), color=_kind_colour(alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("kind:N"), alt.Tooltip("x1:Q", format=".2f"), alt.Tooltip("x2:Q", format=".2f")],
    )
    return alt.layer(heat, marks).resolve_scale(color="independent").properties(
        height=MAP_HEIGHT, title=alt.TitleParams(title, subtitle="blue: D says real · orange: D says fake"))


MIN_STEPS = 10  # the loss chart's x axis spans at least this many steps (a game just started has 0 or 1)


def game_losses(curves: pd.DataFrame, step: int | None, references: dict[str, float], title: str = CHECKPOINTS,
                x_title: str = "training step") -> alt.LayerChart:
    """D's and G's loss over training steps, each with a dashed line where it sits once D can no longer tell.

    curves columns: step, player ("discriminator" / "generator"), loss. references: player -> that loss
    (D = 1/2 everywhere). step: the checkpoint shown beside it, drawn as a vertical rule (None: no rule).
    """
    colour = alt.Color("player:N", scale=alt.Scale(domain=list(PLAYERS), range=list(PLAYERS.values())),
                       title="loss of")
    last = int(curves["step"].max()) if len(curves) else 0
    # Whole steps (no "0.000000" under a game not yet played), from 0, over at least MIN_STEPS steps.
    steps = alt.Scale(domain=[0, MIN_STEPS]) if last < MIN_STEPS else alt.Scale(domainMin=0)
    lines = alt.Chart(curves).mark_line(strokeWidth=2.5).encode(
        x=alt.X("step:Q", title=x_title, scale=steps, axis=alt.Axis(format="d", tickMinStep=1)),
        y=alt.Y("loss:Q", title="loss", scale=alt.Scale(zero=False)),
        color=colour,
        tooltip=[alt.Tooltip("player:N"), alt.Tooltip("step:Q"), alt.Tooltip("loss:Q", format=".3f")],
    )
    refs = pd.DataFrame({"player": list(references), "loss": list(references.values())})
    rules = alt.Chart(refs).mark_rule(strokeDash=[6, 4], strokeWidth=1.5).encode(
        y=alt.Y("loss:Q"), color=colour,
        tooltip=[alt.Tooltip("player:N"), alt.Tooltip("loss:Q", title="when D cannot tell (D = 1/2)", format=".3f")],
    )
    layers = [lines, rules]
    if step is not None:
        now = pd.DataFrame({"step": [step]})
        layers.append(alt.Chart(now).mark_rule(color="#666666", strokeWidth=1.5).encode(
            x=alt.X("step:Q"), tooltip=[alt.Tooltip("step:Q", title="shown on the map")]))
    return alt.layer(*layers).properties(height=HEIGHT, title=alt.TitleParams(
        title, subtitle="dashed: the loss when D cannot tell real from generated (D = 1/2 everywhere)"))


# A label longer than 17 characters on two lines, broken at its last space within the first 17
# ("D with 128 units" over "per layer")
WRAP_17 = ("length(datum.label) > 17 ? [substring(datum.label, 0, lastindexof(substring(datum.label, 0, 17), ' ')), "
           "substring(datum.label, lastindexof(substring(datum.label, 0, 17), ' ') + 1)] : datum.label")


def snapshots(samples: pd.DataFrame, real: pd.DataFrame, box: tuple[float, float, float, float],
              size: int = 84) -> alt.FacetChart:
    """Small pictures of the generated points at a few checkpoints: one row per run, one column per step.

    samples columns: run, step, x1, x2; real columns: x1, x2 (drawn in every picture, lighter).
    Six pictures of 84 px a row and the run's name on two lines beside them fit a 640 px column (a 1,024 px window
    with the sidebar open); at 120 px with the name on one line the chart was 897 px wide.
    """
    runs = list(dict.fromkeys(samples["run"]))
    frames = []
    for (run, step), group in samples.groupby(["run", "step"], sort=False):
        frames.append(_points(real, group).assign(run=run, step=step))
    dots = pd.concat(frames, ignore_index=True)
    dots = dots.iloc[:: math.ceil(len(dots) / MAX_POINTS)]
    x_scale = alt.Scale(domain=[box[0], box[1]], nice=False, zero=False)
    y_scale = alt.Scale(domain=[box[2], box[3]], nice=False, zero=False)
    return alt.Chart(dots).mark_circle(size=10, clip=True).encode(
        x=alt.X("x1:Q", title=None, scale=x_scale, axis=alt.Axis(labels=False, ticks=False)),
        y=alt.Y("x2:Q", title=None, scale=y_scale, axis=alt.Axis(labels=False, ticks=False)),
        color=_kind_colour(alt.Legend(orient="bottom")),
        opacity=alt.Opacity("kind:N", scale=alt.Scale(domain=list(KINDS), range=[0.35, 0.9]), legend=None),
    ).properties(width=size, height=size).facet(
        row=alt.Row("run:N", sort=runs, title=None,
                    header=alt.Header(labelFontSize=13, labelAngle=0, labelAlign="left", labelExpr=WRAP_17)),
        column=alt.Column("step:O", title="training step", header=alt.Header(labelFontSize=13, titleFontSize=14)),
        spacing=6,
    ).properties(title="G's points at a few checkpoints of each game")


def over_training(df: pd.DataFrame, y: str, y_title: str, title: str) -> alt.Chart:
    """A measure of each run's generated points at every checkpoint (columns: step, run, `y`)."""
    return lines(df, "step", y, "run", "training step", y_title).properties(title=title)


# --- a cheap picture of the game, for frames that follow each other quickly ---------------------------------------
SIDE = 400  # the plot's side in the SVG's units (px at its natural size)
MARGIN = (8, 8, 30, 34)  # top, right, bottom, left: room for the ticks and the axes' names
DOT = 2.6  # a point's radius
WARP_COLOUR = "#444444"


def plane_svg(p: np.ndarray, cells: int, box: tuple[float, float, float, float], real: np.ndarray,
              fake: np.ndarray, label: str, tails: np.ndarray | None = None, pushes: np.ndarray | None = None,
              warped: np.ndarray | None = None) -> str:
    """D's P(real) over the plane with the real points and G's points on it, as an HTML <img> of an SVG: cheap
    enough for every frame of a game that moves (a PNG of one pixel per cell under SVG marks; the server only
    formats text, where an Altair chart took ~150 ms to build).

    p: (cells²,) P(real) on a cells x cells grid over `box` (x1 fastest, x2 rising), coloured as `game_map` does;
    real, fake: (N, 2) points; tails, pushes: (A, 2) arrows from each tail by its push (already scaled);
    warped: (K, K, 2) points joined to their neighbours along both axes (G's image of the noise grid).
    """
    top, right, bottom, left = MARGIN
    x_lo, x_hi, y_lo, y_hi = box

    def px(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        points = np.asarray(points, dtype=float)
        return (left + (points[..., 0] - x_lo) / (x_hi - x_lo) * SIDE,
                top + (y_hi - points[..., 1]) / (y_hi - y_lo) * SIDE)

    levels = raster.levels(1 - np.asarray(p).reshape(cells, cells)[::-1])  # P(real) 1: the light blue end
    image = Image.fromarray(levels, mode="P")
    image.putpalette(network.PALETTE)
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=raster.PNG_LEVEL)
    png = base64.b64encode(out.getvalue()).decode("ascii")
    width, height = left + SIDE + right, top + SIDE + bottom
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" font-family="sans-serif" '
             f'font-size="12"><defs><clipPath id="c"><rect x="{left}" y="{top}" width="{SIDE}" height="{SIDE}"/>'
             '</clipPath><marker id="a" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="5" markerHeight="5" '
             'orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="#111"/></marker></defs>'
             f'<image href="data:image/png;base64,{png}" x="{left}" y="{top}" width="{SIDE}" height="{SIDE}" '
             'preserveAspectRatio="none" style="image-rendering:pixelated"/><g clip-path="url(#c)">']
    if warped is not None:
        wx, wy = px(warped)
        lines = [*zip(wx, wy), *zip(wx.T, wy.T)]  # along z1 (rows), then along z2 (columns)
        parts.append(f'<g fill="none" stroke="{WARP_COLOUR}" stroke-width="1" stroke-opacity="0.55">')
        parts += ['<polyline points="' + " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(lx, ly)) + '"/>'
                  for lx, ly in lines]
        parts.append("</g>")
    for points, colour in ((real, BLUE), (fake, GENERATED)):
        cx, cy = px(points)
        parts.append(f'<g fill="{colour}" fill-opacity="0.8">')
        parts += [f'<circle cx="{a:.1f}" cy="{b:.1f}" r="{DOT}"/>' for a, b in zip(cx, cy)]
        parts.append("</g>")
    if tails is not None and pushes is not None:
        (x0, y0), (x1, y1) = px(tails), px(np.asarray(tails) + np.asarray(pushes))
        parts.append('<g stroke="#111" stroke-width="1.3" marker-end="url(#a)">')
        parts += [f'<line x1="{a:.1f}" y1="{b:.1f}" x2="{c:.1f}" y2="{d:.1f}"/>'
                  for a, b, c, d in zip(x0, y0, x1, y1) if math.hypot(c - a, d - b) >= 1]  # no head on a dot
        parts.append("</g>")
    parts.append(f'</g><rect x="{left}" y="{top}" width="{SIDE}" height="{SIDE}" fill="none" stroke="#888"/>')
    for tick in range(math.ceil(x_lo), math.floor(x_hi) + 1):
        (tx,), _ = px(np.array([[tick, y_lo]]))
        parts.append(f'<text x="{tx:.1f}" y="{top + SIDE + 14}" text-anchor="middle">{tick}</text>')
    for tick in range(math.ceil(y_lo), math.floor(y_hi) + 1):
        _, (ty,) = px(np.array([[x_lo, tick]]))
        parts.append(f'<text x="{left - 5}" y="{ty:.1f}" text-anchor="end" dominant-baseline="middle">{tick}</text>')
    parts.append(f'<text x="{left + SIDE / 2}" y="{height - 2}" text-anchor="middle">x1</text>'
                 f'<text x="10" y="{top + SIDE / 2}" text-anchor="middle" dominant-baseline="middle">x2</text></svg>')
    return network.as_img("".join(parts), label)


def game_svg(maps: pd.DataFrame, samples: pd.DataFrame, real: pd.DataFrame, box: tuple[float, float, float, float],
             label: str) -> str:
    """`game_map`'s picture as `plane_svg` draws it (for a live redraw): maps columns x1, x2, p on a square grid
    (x1 fastest, x2 rising), samples and real columns x1, x2."""
    p = maps["p"].to_numpy()
    return plane_svg(p, math.isqrt(len(p)), box, real[["x1", "x2"]].to_numpy(), samples[["x1", "x2"]].to_numpy(),
                     label)

"""Charts of the GAN page: the discriminator's map under real and generated points, the two losses, snapshots.

DataFrames in, undecorated Altair charts out, in the app's palette (see `core.charts`): real points
blue, generated points vermillion, and D's belief "this point is real" from light orange (fake) through
white (cannot tell, P = 0.5) to light blue (real).
"""
from __future__ import annotations

import math

import altair as alt
import pandas as pd

from core.charts.shared import lines, probability_picture
from core.charts.theme import BLUE, BOUNDARY_RANGE, HEIGHT, MAX_POINTS, PALETTE

GENERATED = PALETTE[3]  # vermillion: generated points
KINDS = {"real": BLUE, "generated": GENERATED}
BELIEF_RANGE = BOUNDARY_RANGE[::-1]  # P(real) = 0, 0.5, 1: light orange (fake), white, light blue (real)
PLAYERS = {"discriminator": PALETTE[0], "generator": GENERATED}
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


def game_losses(curves: pd.DataFrame, step: int | None, references: dict[str, float]) -> alt.LayerChart:
    """D's and G's loss over training steps, each with a dashed line where it sits once D can no longer tell.

    curves columns: step, player ("discriminator" / "generator"), loss. references: player -> that loss
    (D = 1/2 everywhere). step: the checkpoint shown beside it, drawn as a vertical rule (None: no rule).
    """
    colour = alt.Color("player:N", scale=alt.Scale(domain=list(PLAYERS), range=list(PLAYERS.values())),
                       title="loss of")
    lines = alt.Chart(curves).mark_line(strokeWidth=2.5).encode(
        x=alt.X("step:Q", title="training step"), y=alt.Y("loss:Q", title="loss", scale=alt.Scale(zero=False)),
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
        "Both players' losses at each checkpoint, on held-out real points and a fixed noise batch",
        subtitle="dashed: the loss when D cannot tell real from generated (D = 1/2 everywhere)"))


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

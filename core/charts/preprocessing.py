"""Chart builders of the chapter Preprocessing (slides 34-35)."""
from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from core.charts.shared import grid_picture, headed
from core.charts.theme import BLUE, GRID_CELLS, HEIGHT, ORANGE, PALETTE, in_order, tint

CHANNEL_COLOURS = {"red": PALETTE[3], "green": PALETTE[2], "blue": PALETTE[0]}  # vermillion, green, blue


@headed
def feature_boxes(boxes: pd.DataFrame, columns: Sequence[str] | None = None) -> alt.FacetChart:
    """Box plots of every feature, one panel per scaling, each panel on its own x axis.

    boxes columns: scaling (panel, in order of appearance), feature, min, q1, median, q3, max.
    A thin line spans min..max, the box q1..q3, a black tick marks the median.
    """
    features = in_order(boxes["feature"])
    y = alt.Y("feature:N", sort=features, title=None, axis=alt.Axis(labelLimit=170, labelOverlap=False))
    tooltip = [alt.Tooltip("feature:N"),
               *(alt.Tooltip(f"{c}:Q", format=".4g") for c in ("min", "q1", "median", "q3", "max"))]
    span = alt.Chart().mark_rule(color=BLUE, strokeWidth=1.5).encode(x=alt.X("min:Q", title="value"), x2=alt.X2("max"),
                                                                      y=y, tooltip=tooltip)
    box = alt.Chart().mark_bar(color=tint(BLUE, 0.35), size=12).encode(x=alt.X("q1:Q"), x2=alt.X2("q3"), y=y,
                                                                        tooltip=tooltip)
    median = alt.Chart().mark_tick(color="black", thickness=2, size=12).encode(x=alt.X("median:Q"), y=y)
    return (
        alt.layer(span, box, median, data=boxes)
        # the feature names (up to 170 px) and three panels of 138 px fit a 640 px column (1,024 px window)
        .properties(width=138, height=max(120, 22 * len(features)))
        .facet(column=alt.Column("scaling:N", sort=list(columns or in_order(boxes["scaling"])), title=None,
                                 header=alt.Header(labelFontSize=14, labelFontWeight="bold")))
        .resolve_scale(x="independent")
    )


def loss_contours(surface: pd.DataFrame, path: pd.DataFrame, scaling: str, title: str = "") -> alt.LayerChart:
    """A 2-parameter loss surface as contour bands with the gradient-descent path on top.

    surface columns: scaling, w1, w2 (a regular grid), loss, level (band, higher = nearer the minimum);
    path columns: scaling, step, w1, w2, loss. Only the rows of `scaling` are drawn; both axes span
    the same width, so a round bowl looks round and a valley looks as narrow as it is.
    """
    cells = surface[surface["scaling"] == scaling]
    if len(cells) > GRID_CELLS:
        raise ValueError(f"A loss surface has at most {GRID_CELLS:,} grid cells; this one has {len(cells):,}.")
    steps = path[path["scaling"] == scaling]
    # The contour bands as one picture, white to blue as the band nears the minimum (one scale for every scaling).
    heat, _, _ = grid_picture(cells, "w1", "w2", "level", ["#FFFFFF", BLUE],
                              top=float(surface["level"].max()) or 1.0)
    encode = dict(x=alt.X("w1:Q"), y=alt.Y("w2:Q"), order=alt.Order("step:Q"))
    line = alt.Chart(steps).mark_line(color=ORANGE, strokeWidth=2, clip=True).encode(**encode)
    dots = (
        alt.Chart(steps)
        .mark_point(shape="circle", size=30, filled=True, color="black", opacity=1, clip=True)
        .encode(**encode, tooltip=[alt.Tooltip("step:Q"), alt.Tooltip("w1:Q", format=".3f"),
                                   alt.Tooltip("w2:Q", format=".3f"), alt.Tooltip("loss:Q", format=".4f")])
    )
    subtitle = "darker: lower loss · black dots: gradient-descent steps from the same start"
    return alt.layer(heat, line, dots).properties(height=HEIGHT,
                                                  title=alt.TitleParams(title or scaling, subtitle=subtitle))


@headed
def strips(points: pd.DataFrame) -> alt.FacetChart:
    """Every value of one feature as a tick, one row per scaling on its own x axis; the outlier in orange.

    points columns: scaling (row, in order of appearance), value, row ("outlier" | "other rows").
    """
    kinds = ["other rows", "outlier"]
    ticks = (
        alt.Chart()
        .mark_tick(thickness=2, size=26, opacity=0.8)
        .encode(
            x=alt.X("value:Q", title="scaled value", scale=alt.Scale(zero=False)),
            color=alt.Color("row:N", scale=alt.Scale(domain=kinds, range=[BLUE, ORANGE]), title=None),
            tooltip=[alt.Tooltip("row:N"), alt.Tooltip("value:Q", format=".4g")],
        )
    )
    return (
        alt.layer(ticks, data=points)
        .properties(width=500, height=34)  # with the scalers' names beside it: ~640 px, a 1,024 px window's column
        .facet(row=alt.Row("scaling:N", sort=in_order(points["scaling"]), title=None,
                           header=alt.Header(labelAngle=0, labelAlign="left", labelFontSize=13, labelLimit=200)))
        .resolve_scale(x="independent")
    )


@headed
def channel_histograms(df: pd.DataFrame) -> alt.FacetChart:
    """Per-channel histograms of an image, one panel per stage (e.g. before / after normalization).

    df columns: stage (panel, in order of appearance), channel ("red" | "green" | "blue"), value (bin centre), share.
    """
    lines = (
        alt.Chart()
        .mark_line(strokeWidth=2.5, interpolate="step-after")
        .encode(
            x=alt.X("value:Q", title="pixel value"),
            y=alt.Y("share:Q", title="share of pixels", axis=alt.Axis(format="%")),
            color=alt.Color("channel:N", title="channel",
                            scale=alt.Scale(domain=list(CHANNEL_COLOURS), range=list(CHANNEL_COLOURS.values()))),
            tooltip=[alt.Tooltip("stage:N"), alt.Tooltip("channel:N"), alt.Tooltip("value:Q", format=".2f"),
                     alt.Tooltip("share:Q", format=".1%")],
        )
    )
    return (
        alt.layer(lines, data=df)
        .properties(width=265, height=220)  # two panels and the y axis: ~640 px, a 1,024 px window's column
        .facet(column=alt.Column("stage:N", sort=in_order(df["stage"]), title=None,
                                 header=alt.Header(labelFontSize=14, labelFontWeight="bold")))
        .resolve_scale(x="independent")
    )

"""Chart builders of the zoo's FCN page: IoU per class, one class's probability per pixel, and one answer per scene.

Every class is drawn in its mask colour (`core.images.CLASS_COLOURS`: background black, then the
palette), so a bar, a legend swatch and a mask pixel of the same class look the same.
"""
from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from core.charts.theme import HEIGHT, NEUTRAL
from core.images import CLASS_COLOURS

MASK_HEX = tuple("#{:02x}{:02x}{:02x}".format(*rgb) for rgb in CLASS_COLOURS)  # class c -> its mask colour
PROBABILITY_DARK = "#3b3b3b"  # P = 1 on the probability map: a neutral grey, no class's colour (blue is the square's)


def _class_colour(names: Sequence[str]) -> alt.Color:
    """Colour by the `class` column, class i in mask colour i (no legend: the axis names the classes)."""
    return alt.Color("class:N", scale=alt.Scale(domain=list(names), range=list(MASK_HEX[: len(names)])), legend=None)


def _class_bars(df: pd.DataFrame, y: str, title: str, fmt: str, inside: bool = False) -> alt.LayerChart:
    """A bar per class in its mask colour, y from 0 to 1, the value written above the bar (or in white halfway up)."""
    names = df["class"].tolist()
    x = alt.X("class:N", sort=names, title="class", axis=alt.Axis(labelAngle=0))
    y_scale = alt.Scale(domain=[0, 1])
    bars = alt.Chart(df).mark_bar().encode(
        x=x, y=alt.Y(f"{y}:Q", title=title, scale=y_scale), color=_class_colour(names),
        tooltip=[alt.Tooltip("class:N"), alt.Tooltip(f"{y}:Q", format=fmt)])
    if inside:  # halfway up the bar, clear of any line drawn across the bars' tops
        text = alt.Chart(df).transform_calculate(half=f"datum['{y}'] / 2").mark_text(
            fontSize=13, color="white", fontWeight="bold").encode(x=x, y=alt.Y("half:Q", scale=y_scale))
    else:
        text = alt.Chart(df).mark_text(fontSize=13, dy=-9).encode(x=x, y=alt.Y(f"{y}:Q", scale=y_scale))
    return alt.layer(bars, text.encode(text=alt.Text(f"{y}:Q", format=fmt)))


def iou(df: pd.DataFrame, mean: float) -> alt.LayerChart:
    """Intersection over union per class, with the mean of the shape classes as a dashed line.

    df columns: class (str, in class order), IoU (0..1, NaN for a class that is nowhere).
    """
    rule = pd.DataFrame({"mean IoU of the shapes": [mean]})
    line = alt.Chart(rule).mark_rule(strokeDash=[6, 4], strokeWidth=2, color="#555555").encode(
        y=alt.Y("mean IoU of the shapes:Q"), tooltip=[alt.Tooltip("mean IoU of the shapes:Q", format=".3f")])
    subtitle = f"dashed line: mean IoU of the three shapes, {mean:.2f}"
    return alt.layer(_class_bars(df, "IoU", "IoU on the held-out scenes", ".2f", inside=True), line).properties(
        height=HEIGHT, title=alt.Title("IoU per class on the held-out scenes", subtitle=subtitle))


def one_label(df: pd.DataFrame) -> alt.LayerChart:
    """The scene's one answer: every pixel's class probabilities averaged, a bar per class (they sum to 1).

    df columns: class (str), probability (0..1).
    """
    chart = _class_bars(df, "probability", "probability for the whole scene", ".0%")
    return chart.properties(height=HEIGHT, title="The scene as one label: its pixels' probabilities averaged")


def probability_map(df: pd.DataFrame, klass: str) -> alt.Chart:
    """One class's probability for every pixel as a heat map (near-white 0, dark grey 1), row 0 at the top.

    Grey, not a colour: on this page every colour names a class (blue is the square's), and the map is
    about any class the student picks.

    df columns: x, y (pixel column and row), true class, predicted class, and P(<class>) (0..1) for `klass`.
    """
    side = int(df["x"].max()) + 1
    field = f"P({klass})"
    return (
        alt.Chart(df)
        .mark_rect()
        .encode(
            x=alt.X("x:O", title=f"pixel column (0 to {side - 1})", axis=alt.Axis(labels=False, ticks=False)),
            y=alt.Y("y:O", title=f"pixel row (0 to {side - 1})", axis=alt.Axis(labels=False, ticks=False)),
            color=alt.Color(f"{field}:Q", scale=alt.Scale(domain=[0, 1], range=[NEUTRAL, PROBABILITY_DARK]),
                            title=field,
                            legend=alt.Legend(format=".0%", orient="right", gradientLength=240)),
            tooltip=[alt.Tooltip("x:O", title="column"), alt.Tooltip("y:O", title="row"),
                     alt.Tooltip(f"{field}:Q", format=".1%"), alt.Tooltip("true class:N"),
                     alt.Tooltip("predicted class:N")],
        )
        .properties(height=HEIGHT, title=f"P({klass}) at every pixel of the held-out scene")
    )

"""Chart builders of the chapter Vanishing gradients and batch normalization (slides 50-55)."""
from __future__ import annotations

import altair as alt
import pandas as pd

from core.charts.shared import headed
from core.charts.theme import BLUE, HEIGHT, MAX_POINTS, colour_by, epoch_axis, in_order, thin, tint


@headed
def per_layer(df: pd.DataFrame, y: str, y_title: str, color: str = "activation", log_y: bool = False) -> alt.Chart:
    """One line with dots per variant across the layers of a deep net: layer on x, `y` on y (log scale optional).

    df columns: layer (int, 1 = next to the input), `color` (str, in order of appearance), `y` (float).
    """
    df = thin(df, by=(color,))
    return (
        alt.Chart(df)
        .mark_line(strokeWidth=2.5, point=alt.OverlayMarkDef(size=40, filled=True))
        .encode(
            x=alt.X("layer:Q", title="layer (1 = next to the input)", axis=alt.Axis(tickMinStep=1)),
            y=alt.Y(f"{y}:Q", title=y_title, scale=alt.Scale(type="log" if log_y else "linear", zero=False)),
            color=colour_by(color, in_order(df[color])),
            tooltip=[alt.Tooltip(f"{color}:N"), alt.Tooltip("layer:Q"), alt.Tooltip(f"{y}:Q", format=".3g")],
        )
        .properties(height=HEIGHT)
    )


def layer_heat(df: pd.DataFrame, value: str, title: str, facet: str = "activation", log_scale: bool = False,
               domain: tuple[float, float] | None = None, columns: int = 3, heading: str = "") -> alt.FacetChart:
    """Layer x epoch heat maps, one small panel per `facet` value, one colour scale for all panels.
    `title` names the colour scale; `heading` heads the chart (what it shows, on which data).
    Three 145 px panels a row, the layer axis and the legend fit a 640 px column (a 1,024 px window with the
    sidebar open); five in one row were drawn 987 px wide and shrunk to 67% to fit.

    df columns: `facet` (str, panel, in order of appearance), layer (int), epoch (int), `value` (float > 0 for log).
    """
    scale = alt.Scale(type="log" if log_scale else "linear", scheme="viridis",
                      **({"domain": list(domain)} if domain else {}))
    heat = (
        alt.Chart()
        .mark_rect()
        .encode(
            x=alt.X("epoch:O", title="epoch (0 = initialization)"),
            y=alt.Y("layer:O", title="layer", sort="descending"),
            color=alt.Color(f"{value}:Q", scale=scale, title=title,
                            legend=alt.Legend(orient="right", gradientLength=160)),
            tooltip=[alt.Tooltip(f"{facet}:N"), alt.Tooltip("layer:Q"), alt.Tooltip("epoch:Q"),
                     alt.Tooltip(f"{value}:Q", format=".3g")],
        )
    )
    return (
        alt.layer(heat, data=thin(df, by=(facet,), limit=MAX_POINTS))
        .properties(width=145, height=260)
        .facet(facet=alt.Facet(f"{facet}:N", sort=[str(v) for v in in_order(df[facet])], title=None,
                               header=alt.Header(labelFontSize=14, labelFontWeight="bold")), columns=columns)
        .resolve_axis(x="independent")  # each panel its own epoch axis: none under an empty cell of the last row
        .properties(**({"title": heading} if heading else {}))
    )


COLORFUL_PANEL_PX = 110  # five panels and their y axes fit the page's 938 px in one row


@headed
def colorful_dimension(df: pd.DataFrame, columns: int | None = None) -> alt.FacetChart:
    """fastai's "colorful dimension": per panel, a histogram of one layer's activations for every epoch, side by side.

    df columns: activation (panel), epoch, value (bin centre), lo, hi (bin edges), share (of the layer's values in
    the bin).
    Bright = many values; a bright band at the bottom edge is collapse (all near 0), at both edges saturation.
    One row of panels unless `columns` says otherwise (a grid with an empty cell draws a stray axis under it).
    The legend sits below and the y axes have no title (the panel says whose activations): each panel's own y axis
    (the scales differ) would otherwise take the room of a sixth panel.
    """
    panels = [str(v) for v in in_order(df["activation"])]
    heat = (
        alt.Chart()
        .mark_rect()
        .encode(
            x=alt.X("epoch:O", title="epoch"),
            y=alt.Y("lo:Q", title=None, scale=alt.Scale(zero=False, nice=False)),
            y2=alt.Y2("hi"),
            color=alt.Color("share:Q", scale=alt.Scale(type="sqrt", scheme="viridis"), title="share of values",
                            legend=alt.Legend(orient="bottom", format="%", gradientLength=160)),
            tooltip=[alt.Tooltip("activation:N"), alt.Tooltip("epoch:Q"), alt.Tooltip("value:Q", format=".2f"),
                     alt.Tooltip("share:Q", format=".1%")],
        )
    )
    return (
        alt.layer(heat, data=thin(df, by=("activation",)))
        .properties(width=COLORFUL_PANEL_PX, height=220)
        .facet(facet=alt.Facet("activation:N", sort=panels, title=None,
                               header=alt.Header(labelFontSize=14, labelFontWeight="bold")),
               columns=columns or len(panels))
        .resolve_scale(y="independent")
    )


# A panel name "a: b" on two lines, "a:" over "b" (a 165 px panel is narrower than "with batch norm: before the norm")
TWO_LINES = ("indexof(datum.label, ': ') > 0 ? [substring(datum.label, 0, indexof(datum.label, ': ') + 1), "
             "substring(datum.label, indexof(datum.label, ': ') + 2)] : datum.label")


def quantile_bands(df: pd.DataFrame, title: str, facet: str = "variant") -> alt.FacetChart:
    """Quantile bands over epochs, one panel per `facet` value: 5-95% light, 25-75% darker, the median a line.

    df columns: `facet` (str), epoch, q05, q25, q50, q75, q95.
    """
    x = alt.X("epoch:Q", title="epoch (0 = initialization)", axis=epoch_axis())
    outer = alt.Chart().mark_area(color=tint(BLUE, 0.7)).encode(x=x, y=alt.Y("q05:Q", title="activation input z"),
                                                                y2=alt.Y2("q95"))
    inner = alt.Chart().mark_area(color=tint(BLUE, 0.35)).encode(x=x, y=alt.Y("q25:Q"), y2=alt.Y2("q75"))
    median = (
        alt.Chart()
        .mark_line(color="black", strokeWidth=2, point=alt.OverlayMarkDef(size=25, color="black"))
        .encode(x=x, y=alt.Y("q50:Q"), tooltip=[alt.Tooltip("epoch:Q"), *(alt.Tooltip(f"{q}:Q", format=".3f")
                                                                      for q in ("q05", "q25", "q50", "q75", "q95"))])
    )
    return (
        alt.layer(outer, inner, median, data=df)
        .properties(width=165, height=260)  # three panels and the y axis: ~640 px, a 1,024 px window's column
        .facet(column=alt.Column(f"{facet}:N", sort=in_order(df[facet]), title=None,
                                 header=alt.Header(labelFontSize=14, labelFontWeight="bold", labelExpr=TWO_LINES)))
        .properties(title=alt.TitleParams(title, subtitle="light: 5-95% of values · dark: 25-75% · line: median"))
    )

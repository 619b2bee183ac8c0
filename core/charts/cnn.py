"""Chart builders of the zoo's CNN page: softmax probabilities of one digit, accuracy on shifted digits, and
grids of numbers for a convolution worked by hand."""
from __future__ import annotations

import altair as alt
import pandas as pd

from core.charts.theme import BLUE, HEIGHT, NEUTRAL, ORANGE, colour_by, epoch_axis, in_order, tint

# A grid cell, wide enough for "−0.12" in presenter mode's type (~33 px): 36 px shrank section 6's padded
# input below 80% in a laptop's half column (Chromium, tests/e2e/test_layout.py)
CELL_PX = 34
CELL_FONT_PX = 10.5  # the numbers in the cells; presenter mode makes them 1.4 times larger (14.7 px)
SIGNED_RANGE = [tint(BLUE, 0.35), NEUTRAL, tint(ORANGE, 0.35)]  # light, so the black numbers stay readable
GREY_RANGE = ["#FFFFFF", "#9A9A9A"]  # a pixel's brightness: 0 white, the largest a mid grey


def probabilities(df: pd.DataFrame, actual: int) -> alt.LayerChart:
    """The softmax output for one image: a bar per digit and model, the true digit's label marked.

    df columns: digit (str "0".."9"), model (str), probability (0..1).
    """
    models = in_order(df["model"])
    digits = sorted(df["digit"].unique(), key=int)
    base = alt.Chart().encode(
        x=alt.X("digit:N", sort=digits, title=f"digit (true: {actual})", axis=alt.Axis(labelAngle=0)),
        xOffset=alt.XOffset("model:N", sort=models),
        y=alt.Y("probability:Q", title="softmax probability", scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%")),
    )
    bars = base.mark_bar().encode(
        color=colour_by("model", models, title="model"),
        tooltip=[alt.Tooltip("model:N"), alt.Tooltip("digit:N"), alt.Tooltip("probability:Q", format=".1%")],
    )
    labels = base.transform_filter(alt.datum.probability >= 0.05).mark_text(dy=-8, fontSize=12).encode(
        text=alt.Text("probability:Q", format=".0%"))
    return alt.layer(bars, labels).properties(
        height=HEIGHT, title="Both networks' softmax probabilities for this validation digit")


def shifted(df: pd.DataFrame) -> alt.Chart:
    """Validation accuracy against how far the digits were moved, a line per model.

    df columns: model (str), shift (pixels) (int), validation accuracy (0..1).
    """
    return (
        alt.Chart(df)
        .mark_line(strokeWidth=2.5, point=alt.OverlayMarkDef(size=80, filled=True))
        .encode(
            x=alt.X("shift (pixels):O", title="digits moved by (pixels, right / left / up / down)",
                    axis=alt.Axis(labelAngle=0)),
            y=alt.Y("validation accuracy:Q", title="validation accuracy", scale=alt.Scale(domain=[0, 1]),
                    axis=alt.Axis(format="%")),
            color=colour_by("model", in_order(df["model"]), title="model"),
            tooltip=[alt.Tooltip("model:N"), alt.Tooltip("shift (pixels):O"),
                     alt.Tooltip("validation accuracy:Q", format=".1%")],
        )
        .properties(height=HEIGHT, title="Validation accuracy on digits moved by 0, 1 and 2 pixels "
                                         "(mean of the four directions)")
    )


def validation(history: pd.DataFrame, floor: float = 0.8) -> alt.Chart:
    """Validation accuracy per epoch, a line per model, the y axis from `floor` to 100 % so small gaps show.

    history columns: variant, epoch, split, metric, value (the trainer's history); epochs below `floor` are clipped.
    """
    df = history[(history["split"] == "validation") & (history["metric"] == "accuracy")]
    return (
        alt.Chart(df)
        .mark_line(strokeWidth=2.5, clip=True, point=alt.OverlayMarkDef(size=30, filled=True, clip=True))
        .encode(
            x=alt.X("epoch:Q", title="epoch", axis=epoch_axis()),
            y=alt.Y("value:Q", title=f"validation accuracy (axis from {floor:.0%})",
                    scale=alt.Scale(domain=[floor, 1]), axis=alt.Axis(format="%")),
            color=colour_by("variant", in_order(df["variant"]), title="model"),
            tooltip=[alt.Tooltip("variant:N", title="model"), alt.Tooltip("epoch:Q"),
                     alt.Tooltip("value:Q", title="validation accuracy", format=".1%")],
        )
        .properties(height=HEIGHT, title="Validation accuracy per epoch: the CNN against the MLP")
    )


def numbers(df: pd.DataFrame, title: str, *, signed: bool = True, clickable: bool = False, digits: int = 2,
            columns: int = 4, facet: str = "channel", prefix: str = "map ",
            own_colours: bool = False) -> alt.FacetChart:
    """A grid of numbers, one square per cell with its value written in it, one grid per `facet` value.

    df columns: row, col, value (+ `facet`, e.g. channel; + marked: cells outlined in black, e.g. a window;
    + padding: cells written in grey, the zero padding). `signed`: blue < 0 < orange on a scale symmetric
    around 0; else white (0) to grey (the largest). `clickable`: a click selects the cell under the pointer
    (selection "click", fields row, col; st.vega_lite_chart(on_select="rerun")). Each grid is headed
    `prefix` + its facet value when there are several; `own_colours`: each grid gets its own colour scale.
    """
    df = df.assign(**{c: False for c in ("marked", "padding") if c not in df}, **({facet: 0} if facet not in df
                                                                                 else {}))
    top = float(df["value"].abs().max()) or 1.0
    scale = (alt.Scale(domain=[-top, 0, top], range=SIGNED_RANGE) if signed else
             alt.Scale(domain=[0, top], range=GREY_RANGE))
    rows, cols = int(df["row"].max()) + 1, int(df["col"].max()) + 1
    base = alt.Chart().encode(
        x=alt.X("col:O", title="column", axis=alt.Axis(labelAngle=0, orient="top")),
        y=alt.Y("row:O", title="row"),
    )
    tooltip = [alt.Tooltip("row:O"), alt.Tooltip("col:O", title="column"),
               alt.Tooltip("value:Q", format=f".{digits + 2}f")]
    cells = base.mark_rect().encode(
        color=alt.Color("value:Q", scale=scale, legend=None),
        stroke=alt.Stroke(**alt.condition(alt.datum.marked, alt.value("black"), alt.value(None))),
        strokeWidth=alt.StrokeWidth(**alt.condition(alt.datum.marked, alt.value(3), alt.value(0))),
        tooltip=tooltip,
    )
    if clickable:
        cells = cells.add_params(alt.selection_point(name="click", fields=["row", "col"], on="click"))
    # Its size in the config (a mark style), not on the mark: presenter mode enlarges configured fonts with the
    # chart's others (ui/presenter.enlarge); a size set on the mark stayed 11 px on a projector.
    text = base.mark_text(style="cellnumber").encode(
        text=alt.Text("value:Q", format=f".{digits}f"),
        color=alt.Color(**alt.condition(alt.datum.padding, alt.value("#8A8A8A"), alt.value("black"))),
    )
    several = df[facet].nunique() > 1
    header = alt.Header(title=None, labelFontSize=13, labelExpr=f"'{prefix}' + datum.value" if several else "''")
    chart = alt.layer(cells, text, data=df).properties(width=cols * CELL_PX, height=rows * CELL_PX).facet(
        facet=alt.Facet(f"{facet}:N", header=header, sort=in_order(df[facet])), columns=columns,
    ).properties(title=title)
    chart = chart.resolve_scale(color="independent") if own_colours else chart
    return chart.configure(style={"cellnumber": {"fontSize": CELL_FONT_PX}})

"""Chart builders that several chapters share: training curves, per-iteration loss, lines,
a classifier's decision map, a confusion matrix and bars. A tidy DataFrame in, a chart out;
the look comes from `core.charts.theme`."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import altair as alt
import pandas as pd

from core.charts import raster
from core.charts.theme import (
    BLUE,
    BOUNDARY_RANGE,
    GRID_CELLS,
    HEIGHT,
    MAX_POINTS,
    NEUTRAL,
    SPLIT_DASH,
    SPLIT_KEY,
    colour_by,
    epoch_axis,
    half_step,
    in_order,
    thin,
)
from core.training import DIVERGED_FACTOR

C = TypeVar("C", bound=alt.TopLevelMixin)


def titled(chart: C, title: str, subtitle: str = "") -> C:
    """`chart` headed by `title` (what it shows and on which data) and `subtitle`; as it was when `title` is ""."""
    if not title:
        return chart
    return chart.properties(title=alt.TitleParams(title, subtitle=subtitle) if subtitle else title)


def headed(builder: Callable[..., C]) -> Callable[..., C]:
    """Give a chart builder `title` and `subtitle` keywords: the page knows which data the chart is drawn on.

    The builder keeps its name (show.chart caches specs by it)."""
    @functools.wraps(builder)
    def build(*args: Any, title: str = "", subtitle: str = "", **kwargs: Any) -> C:
        return titled(builder(*args, **kwargs), title, subtitle)
    return build


def curves(
    history: pd.DataFrame, metric: str = "loss", log_y: bool = False, title: str = ""
) -> alt.Chart | alt.LayerChart:
    """Training curves per variant: colour = variant, solid = train, dashed = validation (said in the subtitle).

    history columns: variant (str), epoch (int), split ("train" | "validation"),
    metric ("loss" | "accuracy"), value (float). A run whose loss blew up ends in a line that
    leaves the top of a linear plot, which stays scaled to the other runs, under a triangle at the
    epoch it blew up (a layer then; the triangle's tooltip says how high it went: the page's warning
    gives the train loss, the highest value may be the validation one, so the subtitle gives no number).
    """
    df = history[history["metric"] == metric]
    if df.empty:
        raise ValueError(f"The training history has no {metric!r} values to draw.")
    df = thin(df, by=("variant", "split"))
    y_title = f"{metric} (log scale)" if log_y else metric
    subtitle = [SPLIT_KEY]
    ceiling = _ceiling(df) if metric == "loss" and not log_y else None
    scale = alt.Scale(
        type="log" if log_y else "linear", zero=False, domainMax=alt.Undefined if ceiling is None else ceiling
    )
    if ceiling is not None:
        subtitle.append("▲ at the top: where a run's loss blew up and left this scale (its tooltip says how high)")
    colour = colour_by("variant", in_order(df["variant"]))
    chart = (
        alt.Chart(df)
        .mark_line(strokeWidth=2.5, clip=ceiling is not None)
        .encode(
            x=alt.X("epoch:Q", title="epoch", axis=epoch_axis()),
            y=alt.Y("value:Q", title=y_title, scale=scale),
            color=colour,
            strokeDash=alt.StrokeDash(
                "split:N",
                scale=alt.Scale(domain=list(SPLIT_DASH), range=list(SPLIT_DASH.values())),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip("variant:N"),
                alt.Tooltip("split:N"),
                alt.Tooltip("epoch:Q"),
                alt.Tooltip("value:Q", title=metric, format=".4f"),
            ],
        )
    )
    title = alt.TitleParams(title or f"{metric} per epoch", subtitle=subtitle)
    if ceiling is None:
        return chart.properties(height=HEIGHT, title=title)
    # A run that blows up early leaves the plot within a few pixels of epoch 0: a triangle on the top edge shows where.
    blown = df[df["value"] > ceiling].sort_values("epoch").drop_duplicates("variant").assign(top=ceiling)
    arrows = (
        alt.Chart(blown)
        .mark_point(shape="triangle-up", filled=True, size=220, opacity=1)
        .encode(
            x=alt.X("epoch:Q"),
            y=alt.Y("top:Q", scale=scale),
            color=colour,
            tooltip=[
                alt.Tooltip("variant:N"),
                alt.Tooltip("epoch:Q"),
                alt.Tooltip("value:Q", title=metric, format=".4g"),
            ],
        )
    )
    return alt.LayerChart(layer=[chart, arrows], height=HEIGHT, title=title)


def _ceiling(df: pd.DataFrame) -> float | None:
    """Top of the y axis that leaves out blown-up losses (None when no run blew up): the highest of the others.
    Blown up: DIVERGED_FACTOR times the largest starting loss, fit()'s own test for a run that diverged."""
    start = df.sort_values("epoch").groupby(["variant", "split"], sort=False)["value"].first().max()
    if not start > 0 or not (df["value"] > DIVERGED_FACTOR * start).any():
        return None
    return float(df.loc[df["value"] <= DIVERGED_FACTOR * start, "value"].max())


def iteration_loss(df: pd.DataFrame, title: str = "Loss of each training batch") -> alt.Chart:
    """Loss after every iteration (one batch), a thin line per variant; `title` says on which data.

    df columns: variant (str), iteration (int), epoch (int), loss (float).
    """
    df = thin(df, by=("variant",))
    return (
        alt.Chart(df)
        .mark_line(strokeWidth=1, opacity=0.85)
        .encode(
            x=alt.X("iteration:Q", title="iteration"),
            y=alt.Y("loss:Q", title="loss", scale=alt.Scale(zero=False)),
            color=colour_by("variant", in_order(df["variant"])),
            tooltip=[
                alt.Tooltip("variant:N"),
                alt.Tooltip("iteration:Q"),
                alt.Tooltip("epoch:Q"),
                alt.Tooltip("loss:Q", format=".4f"),
            ],
        )
        .properties(height=HEIGHT, title=alt.TitleParams(title, subtitle="one point per iteration (update)"))
    )


@headed
def lines(df: pd.DataFrame, x: str, y: str, color: str, x_title: str, y_title: str, log_y: bool = False,
          legend_columns: int | None = None) -> alt.Chart:
    """Several lines on one pair of axes, one colour per value of `color` (e.g. activation functions); `log_y`: a
    log y axis (its title says so); `legend_columns`: the legend's entries per row (long names: 1, one a line,
    where the theme's 4 a row ran past the chart's right edge), its title left out."""
    df = thin(df, by=(color,))
    return (
        alt.Chart(df)
        .mark_line(strokeWidth=2.5)
        .encode(
            x=alt.X(f"{x}:Q", title=x_title),
            y=alt.Y(f"{y}:Q", title=f"{y_title} (log scale)" if log_y else y_title,
                    scale=alt.Scale(type="log") if log_y else alt.Undefined),
            color=colour_by(color, in_order(df[color]),
                            **({} if legend_columns is None else
                               {"title": None, "legend": alt.Legend(columns=legend_columns)})),
            tooltip=[
                alt.Tooltip(f"{color}:N"),
                alt.Tooltip(f"{x}:Q", format=".3g"),
                alt.Tooltip(f"{y}:Q", format=".4g"),
            ],
        )
        .properties(height=HEIGHT)
    )


def _thin_grid(grid: pd.DataFrame, limit: int) -> pd.DataFrame:
    """Keep every s-th x1 and x2 value, s = ceil(sqrt(cells / limit)), so the grid stays regular."""
    stride = math.ceil(math.sqrt(len(grid) / limit)) if len(grid) > limit else 1
    keep_x1 = sorted(grid["x1"].unique())[::stride]
    keep_x2 = sorted(grid["x2"].unique())[::stride]
    return grid[grid["x1"].isin(keep_x1) & grid["x2"].isin(keep_x2)]


def boundary(
    grid: pd.DataFrame, points: pd.DataFrame, title: str = "", marker: tuple[float, float, str] | None = None,
    clickable: bool = True, nearest_point: bool = False,
) -> alt.LayerChart:
    """A classifier's decision map on 2-D data, clickable for inference.

    grid columns: x1, x2, p (probability of class 1, 0..1) on a regular grid.
    points columns: x1, x2, label (int or str), split ("train" | "validation");
    train points are filled, validation points hollow. Clicking the map selects the cell
    under the pointer: selection "click" with fields x1, x2 (st.altair_chart(on_select="rerun"));
    a page that uses it says so in its own text. `marker` (x1, x2, text): a point asked about,
    drawn as a black cross with its text (e.g. the network's prediction) beside it. `clickable=False`: a map
    only looked at, drawn as one picture (raster.heat_url; thousands of rects cost the browser far more), with
    the same colours and legend but no click selection and no tooltip on the cells. `nearest_point`: the map is
    that picture too, and a click selects the data point nearest to it instead (selection "click", fields x1, x2).
    """
    cells = _thin_grid(grid, GRID_CELLS)
    dx, dy = half_step(cells["x1"]), half_step(cells["x2"])
    cells = cells.assign(x1_lo=cells["x1"] - dx, x1_hi=cells["x1"] + dx, x2_lo=cells["x2"] - dy, x2_hi=cells["x2"] + dy)
    dots = points.assign(label=points["label"].astype(str))
    dots = dots.iloc[:: math.ceil(len(dots) / MAX_POINTS)]  # each layer is its own dataset of at most MAX_POINTS
    x_scale = alt.Scale(zero=False, nice=False, domain=[float(cells["x1_lo"].min()), float(cells["x1_hi"].max())])
    y_scale = alt.Scale(zero=False, nice=False, domain=[float(cells["x2_lo"].min()), float(cells["x2_hi"].max())])
    click = alt.selection_point(name="click", fields=["x1", "x2"], on="click", nearest=False)
    p_scale = alt.Scale(domain=[0, 0.5, 1], range=BOUNDARY_RANGE)
    legend = alt.Legend(orient="right", gradientLength=120)  # beside: the plot keeps its height
    heat = probability_picture(cells, p_scale, legend) if not clickable or nearest_point else (
        alt.Chart(cells)
        .mark_rect(strokeWidth=0.6)  # a stroke in the cell's own colour hides anti-aliasing seams
        .encode(
            x=alt.X("x1_lo:Q", title="x1", scale=x_scale),
            x2=alt.X2("x1_hi"),
            y=alt.Y("x2_lo:Q", title="x2", scale=y_scale),
            y2=alt.Y2("x2_hi"),
            color=alt.Color("p:Q", scale=p_scale, title="P(class 1)", legend=legend),
            stroke=alt.Stroke("p:Q", scale=p_scale, legend=None),
            tooltip=[
                alt.Tooltip("x1:Q", format=".2f"),
                alt.Tooltip("x2:Q", format=".2f"),
                alt.Tooltip("p:Q", format=".2f"),
            ],
        )
        .add_params(click)
    )
    labels = sorted(dots["label"].unique(), key=lambda v: (len(v), v))  # "2" before "10"
    # Two classes "0"/"1" already read off the P(class 1) legend (blue 0, orange 1): no second legend.
    legend = None if labels == ["0", "1"] else alt.Legend(orient="right")
    label_colour = colour_by("label", labels, title="class", legend=legend)
    marks = (
        alt.Chart(dots)
        .mark_point(shape="circle", size=45, strokeWidth=1.5, opacity=1, clip=True)
        .encode(
            x=alt.X("x1:Q"),
            y=alt.Y("x2:Q"),
            stroke=label_colour,
            fill=alt.Fill(**alt.condition(alt.datum.split == "train", label_colour, alt.value("white"))),
            tooltip=[
                alt.Tooltip("label:N"),
                alt.Tooltip("split:N"),
                alt.Tooltip("x1:Q", format=".2f"),
                alt.Tooltip("x2:Q", format=".2f"),
            ],
        )
    )
    if nearest_point:
        marks = marks.add_params(alt.selection_point(name="click", fields=["x1", "x2"], on="click", nearest=True))
    subtitle = "filled: train · hollow: validation"
    layers = [heat, marks] if marker is None else [heat, marks, *_marker(marker, x_scale)]
    return alt.LayerChart(layer=layers, height=HEIGHT, title=alt.TitleParams(title, subtitle=subtitle))


def grid_picture(cells: pd.DataFrame, x: str, y: str, value: str, stops: Sequence[str], top: float = 1.0,
                 titles: tuple[str, str] | None = None, nan: float = 0.0) -> tuple[alt.Chart, alt.Scale, alt.Scale]:
    """A heat map of a regular grid as one image mark (raster.heat_url), and the x and y scales it spans.

    cells columns: x, y (a regular grid), value; value / top in 0..1 is coloured along `stops` as a linear
    Vega-Lite colour scale with that range (NaN as `nan`), one pixel per cell drawn as a block, the top row the
    highest y. The scales span the cells' outer edges, as rects x +- half a cell would. Thousands of rects
    cost the browser far more to embed than one picture; what is lost is a tooltip on each cell.
    """
    dx, dy = half_step(cells[x]), half_step(cells[y])
    x_lo, x_hi, y_lo, y_hi = (float(cells[x].min() - dx), float(cells[x].max() + dx), float(cells[y].min() - dy),
                              float(cells[y].max() + dy))
    x_scale = alt.Scale(zero=False, nice=False, domain=[x_lo, x_hi])
    y_scale = alt.Scale(zero=False, nice=False, domain=[y_lo, y_hi])
    grid = cells.pivot(index=y, columns=x, values=value).sort_index(ascending=False).sort_index(axis=1)
    picture = pd.DataFrame({"url": [raster.heat_url(grid.to_numpy() / top, stops, nan=nan)],
                            "x": [x_lo], "x2": [x_hi], "y": [y_hi], "y2": [y_lo]})  # y: the top edge
    x_title, y_title = titles or (x, y)
    image = (alt.Chart(picture).mark_image(aspect=False, smooth=False)
             .encode(x=alt.X("x:Q", title=x_title, scale=x_scale), x2="x2:Q",
                     y=alt.Y("y:Q", title=y_title, scale=y_scale), y2="y2:Q", url="url:N"))
    return image, x_scale, y_scale


def probability_picture(cells: pd.DataFrame, p_scale: alt.Scale, legend: alt.Legend,
                        title: str = "P(class 1)") -> alt.LayerChart:
    """A map of a probability p over the plane (cells columns x1, x2, p on a regular grid) as one picture coloured
    by `p_scale`'s range (NaN as 0.5, the middle colour), and an invisible mark carrying its colour legend."""
    image, x_scale, y_scale = grid_picture(cells, "x1", "x2", "p", p_scale.range, nan=0.5)
    (x_lo, _), (y_lo, _) = x_scale.domain, y_scale.domain
    key = (alt.Chart(pd.DataFrame({"x1": [x_lo, x_lo], "x2": [y_lo, y_lo], "p": [0.0, 1.0]}))
           .mark_point(opacity=0, size=0)
           .encode(x="x1:Q", y="x2:Q", color=alt.Color("p:Q", scale=p_scale, title=title, legend=legend)))
    return alt.layer(image, key)


def _marker(marker: tuple[float, float, str], x_scale: alt.Scale) -> list[alt.Chart]:
    """A black cross on the point asked about and its text beside it (on the side with more room, on a white halo)."""
    x1, x2, text = marker
    low, high = x_scale.domain
    right = x1 < (low + high) / 2
    spot = alt.Chart(pd.DataFrame({"x1": [x1], "x2": [x2], "text": [text]})).encode(
        x="x1:Q", y="x2:Q", tooltip=[alt.Tooltip("text:N", title="prediction")]
    )
    cross = spot.mark_point(shape="cross", size=260, filled=True, color="black", stroke="white", strokeWidth=1,
                            opacity=1, clip=True)
    # Not clipped: on a narrow map the words may run past the plot's edge rather than be cut there.
    words = {"align": "left" if right else "right", "dx": 12 if right else -12, "fontSize": 13, "fontWeight": "bold"}
    halo = spot.mark_text(**words, color="white", stroke="white", strokeWidth=4, strokeJoin="round")
    return [cross, halo.encode(text="text:N"), spot.mark_text(**words, color="black").encode(text="text:N")]


def confusion(df: pd.DataFrame, title: str = "Confusion matrix") -> alt.LayerChart:
    """Confusion matrix as a heat map with the count written in each cell; `title` says on which data.

    df columns: actual, predicted, count (int).
    """
    order = sorted(set(df["actual"]) | set(df["predicted"]), key=lambda v: (str(type(v)), v))
    base = alt.Chart(df).encode(
        x=alt.X("predicted:N", title="predicted", sort=order, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("actual:N", title="actual", sort=order),
    )
    cells = base.mark_rect().encode(
        color=alt.Color(
            "count:Q", scale=alt.Scale(range=[NEUTRAL, BLUE]), title="count", legend=alt.Legend(orient="right")
        ),
        tooltip=[alt.Tooltip("actual:N"), alt.Tooltip("predicted:N"), alt.Tooltip("count:Q")],
    )
    half = float(df["count"].max()) / 2
    text = base.mark_text(fontSize=14).encode(
        text=alt.Text("count:Q"),
        color=alt.Color(**alt.condition(alt.datum.count > half, alt.value("white"), alt.value("black"))),
    )
    subtitle = "rows: true class · columns: predicted"
    return alt.LayerChart(layer=[cells, text], height=max(HEIGHT, 50 * len(order)),
                          title=alt.TitleParams(title, subtitle=subtitle))


@headed
def bars(df: pd.DataFrame, x: str, y: str, color: str | None = None) -> alt.Chart:
    """Bars of `y` per `x`, grouped side by side by `color` when given (categories keep their order)."""
    x_enc = alt.X(f"{x}:N", title=x, sort=None, axis=alt.Axis(labelAngle=0))
    tooltip = [alt.Tooltip(f"{x}:N"), alt.Tooltip(f"{y}:Q", format=".4g")]
    chart = alt.Chart(df).mark_bar().properties(height=HEIGHT)
    if color is None:
        return chart.encode(x=x_enc, y=alt.Y(f"{y}:Q", title=y), color=alt.value(BLUE), tooltip=tooltip)
    groups = in_order(df[color])
    return chart.encode(
        x=x_enc,
        y=alt.Y(f"{y}:Q", title=y),
        color=colour_by(color, groups),
        xOffset=alt.XOffset(f"{color}:N", sort=groups),
        tooltip=[alt.Tooltip(f"{color}:N"), *tooltip],
    )

"""Altair chart builders for the whole app: a tidy DataFrame in, a chart out, one palette, one theme.

Builders return undecorated charts, so a page may still layer a rule or a label on top;
`style()` adds the theme at the end (`ui.show.chart` applies it to every chart it places).
Every builder draws at most MAX_POINTS rows: bigger inputs are thinned by `thin()`
(every k-th row of each line, and always its last row), grids by a stride over their axes.
Encodings are channel objects (`alt.X(...)`, `alt.Tooltip(...)`, `alt.Fill(**alt.condition(...))`),
never bare strings or dicts: Altair resolves those against its whole schema (~3 ms each), which
made one decision map cost 40 ms to build and a page's warm rerun miss its 0.3 s budget.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import altair as alt
import pandas as pd

# Okabe & Ito's colour-blind-safe palette. Strong colours first; yellow late because it is
# faint on white; black last. Blue and orange double as "class 0" and "class 1".
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
BLUE, ORANGE = PALETTE[0], PALETTE[1]
NEUTRAL = "#F7F7F7"  # middle of the blue-orange diverging scale (p = 0.5)


def _tint(colour: str, amount: float) -> str:
    """`colour` mixed with white (amount 0: unchanged, 1: white), e.g. a heat map under dark dots."""
    rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(c + (255 - c) * amount):02X}" for c in rgb)


BOUNDARY_RANGE = [_tint(BLUE, 0.45), NEUTRAL, _tint(ORANGE, 0.45)]  # light, so the points stand out
MAX_POINTS = 5_000  # per dataset: Altair refuses to serialize more (ui.show builds specs with its default)
GRID_CELLS = 4_900  # a boundary chart's heat map keeps at most 70 x 70 cells
HEIGHT = 380  # px, legend included (legends sit below the plot)
SPLIT_DASH = {"train": [1, 0], "validation": [6, 4]}  # solid vs dashed


def style(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """The app's one theme: fonts readable on a projector, no frame around the plot."""
    return (
        chart.configure_axis(labelFontSize=13, titleFontSize=14)
        # Legends below the plot so it keeps its width; long ones wrap in rows of four instead of running off.
        .configure_legend(labelFontSize=13, titleFontSize=13, orient="bottom", labelLimit=320, columns=4)
        .configure_title(fontSize=14, subtitleFontSize=13, anchor="start")
        .configure_view(strokeWidth=0)
    )


def thin(df: pd.DataFrame, by: Sequence[str] = (), limit: int = MAX_POINTS) -> pd.DataFrame:
    """At most `limit` rows: every k-th row of each group plus the group's last row.

    k = ceil(rows / (limit - 2 * groups)); the "+1 per group" for the kept last row and for
    rounding up is what the 2 * groups reserves. A frame within the limit comes back as is.
    """
    if len(df) <= limit:
        return df
    groups = df.groupby(list(by), sort=False) if by else df.groupby(lambda _: 0)
    n_groups = groups.ngroups
    if 2 * n_groups >= limit:
        raise ValueError(f"Too many lines to draw ({n_groups}); a chart shows at most {limit // 2}.")
    k = math.ceil(len(df) / (limit - 2 * n_groups))
    keep = (groups.cumcount() % k == 0) | (groups.cumcount(ascending=False) == 0)
    return df[keep]


def _colour(field: str, domain: Sequence[object], **kwargs: object) -> alt.Color:
    """Colour by a nominal field in the palette, in the given domain order (kwargs: title, legend)."""
    return alt.Color(f"{field}:N", scale=alt.Scale(domain=list(domain), range=list(PALETTE)), **kwargs)


def _in_order(values: pd.Series) -> list[object]:
    """Distinct values in order of first appearance (variants keep the order the page gave)."""
    return list(dict.fromkeys(values.tolist()))


def curves(history: pd.DataFrame, metric: str = "loss", log_y: bool = False) -> alt.Chart:
    """Training curves per variant: colour = variant, solid = train, dashed = validation.

    history columns: variant (str), epoch (int), split ("train" | "validation"),
    metric ("loss" | "accuracy"), value (float).
    """
    df = history[history["metric"] == metric]
    if df.empty:
        raise ValueError(f"The training history has no {metric!r} values to draw.")
    df = thin(df, by=("variant", "split"))
    y_title = f"{metric} (log scale)" if log_y else metric
    return (
        alt.Chart(df)
        .mark_line(strokeWidth=2.5)
        .encode(
            x=alt.X("epoch:Q", title="epoch"),
            y=alt.Y("value:Q", title=y_title, scale=alt.Scale(type="log" if log_y else "linear", zero=False)),
            color=_colour("variant", _in_order(df["variant"])),
            strokeDash=alt.StrokeDash(
                "split:N",
                scale=alt.Scale(domain=list(SPLIT_DASH), range=list(SPLIT_DASH.values())),
                title="split",
            ),
            tooltip=[alt.Tooltip("variant:N"), alt.Tooltip("split:N"), alt.Tooltip("epoch:Q"), alt.Tooltip("value:Q", title=metric, format=".4f")],
        )
        .properties(height=HEIGHT)
    )


def iteration_loss(df: pd.DataFrame) -> alt.Chart:
    """Loss after every iteration (one batch), a thin line per variant.

    df columns: variant (str), iteration (int), epoch (int), loss (float).
    """
    df = thin(df, by=("variant",))
    return (
        alt.Chart(df)
        .mark_line(strokeWidth=1, opacity=0.85)
        .encode(
            x=alt.X("iteration:Q", title="iteration"),
            y=alt.Y("loss:Q", title="loss", scale=alt.Scale(zero=False)),
            color=_colour("variant", _in_order(df["variant"])),
            tooltip=[alt.Tooltip("variant:N"), alt.Tooltip("iteration:Q"), alt.Tooltip("epoch:Q"), alt.Tooltip("loss:Q", format=".4f")],
        )
        .properties(height=HEIGHT)
    )


def lines(df: pd.DataFrame, x: str, y: str, color: str, x_title: str, y_title: str) -> alt.Chart:
    """Several lines on one pair of axes, one colour per value of `color` (e.g. activation functions)."""
    df = thin(df, by=(color,))
    return (
        alt.Chart(df)
        .mark_line(strokeWidth=2.5)
        .encode(
            x=alt.X(f"{x}:Q", title=x_title),
            y=alt.Y(f"{y}:Q", title=y_title),
            color=_colour(color, _in_order(df[color])),
            tooltip=[alt.Tooltip(f"{color}:N"), alt.Tooltip(f"{x}:Q", format=".3g"), alt.Tooltip(f"{y}:Q", format=".4g")],
        )
        .properties(height=HEIGHT)
    )


def _thin_grid(grid: pd.DataFrame, limit: int) -> pd.DataFrame:
    """Keep every s-th x1 and x2 value, s = ceil(sqrt(cells / limit)), so the grid stays regular."""
    stride = math.ceil(math.sqrt(len(grid) / limit)) if len(grid) > limit else 1
    keep_x1 = sorted(grid["x1"].unique())[::stride]
    keep_x2 = sorted(grid["x2"].unique())[::stride]
    return grid[grid["x1"].isin(keep_x1) & grid["x2"].isin(keep_x2)]


def _half_step(values: pd.Series) -> float:
    """Half the spacing of a regular grid axis (one cell's half width)."""
    distinct = pd.Series(sorted(values.unique()))
    return float(distinct.diff().median()) / 2 if len(distinct) > 1 else 0.5


def boundary(grid: pd.DataFrame, points: pd.DataFrame, title: str = "") -> alt.LayerChart:
    """A classifier's decision map on 2-D data, clickable for inference.

    grid columns: x1, x2, p (probability of class 1, 0..1) on a regular grid.
    points columns: x1, x2, label (int or str), split ("train" | "validation");
    train points are filled, validation points hollow. Clicking the map selects the cell
    under the pointer: selection "click" with fields x1, x2 (st.altair_chart(on_select="rerun"));
    a page that uses it says so in its own text.
    """
    cells = _thin_grid(grid, GRID_CELLS)
    dx, dy = _half_step(cells["x1"]), _half_step(cells["x2"])
    cells = cells.assign(x1_lo=cells["x1"] - dx, x1_hi=cells["x1"] + dx, x2_lo=cells["x2"] - dy, x2_hi=cells["x2"] + dy)
    dots = points.assign(label=points["label"].astype(str))
    dots = dots.iloc[:: math.ceil(len(dots) / MAX_POINTS)]  # each layer is its own dataset of at most MAX_POINTS
    x_scale = alt.Scale(zero=False, nice=False, domain=[float(cells["x1_lo"].min()), float(cells["x1_hi"].max())])
    y_scale = alt.Scale(zero=False, nice=False, domain=[float(cells["x2_lo"].min()), float(cells["x2_hi"].max())])
    click = alt.selection_point(name="click", fields=["x1", "x2"], on="click", nearest=False)
    p_scale = alt.Scale(domain=[0, 0.5, 1], range=BOUNDARY_RANGE)
    heat = (
        alt.Chart(cells)
        .mark_rect(strokeWidth=0.6)  # a stroke in the cell's own colour hides anti-aliasing seams
        .encode(
            x=alt.X("x1_lo:Q", title="x1", scale=x_scale),
            x2=alt.X2("x1_hi"),
            y=alt.Y("x2_lo:Q", title="x2", scale=y_scale),
            y2=alt.Y2("x2_hi"),
            color=alt.Color(
                "p:Q",
                scale=p_scale,
                title="P(class 1)",
                legend=alt.Legend(orient="right", gradientLength=120),  # beside: the plot keeps its height
            ),
            stroke=alt.Stroke("p:Q", scale=p_scale, legend=None),
            tooltip=[alt.Tooltip("x1:Q", format=".2f"), alt.Tooltip("x2:Q", format=".2f"), alt.Tooltip("p:Q", format=".2f")],
        )
        .add_params(click)
    )
    labels = sorted(dots["label"].unique(), key=lambda v: (len(v), v))  # "2" before "10"
    # Two classes "0"/"1" already read off the P(class 1) legend (blue 0, orange 1): no second legend.
    legend = None if labels == ["0", "1"] else alt.Legend(orient="right")
    label_colour = _colour("label", labels, title="class", legend=legend)
    marks = (
        alt.Chart(dots)
        .mark_point(shape="circle", size=45, strokeWidth=1.5, opacity=1, clip=True)
        .encode(
            x=alt.X("x1:Q"),
            y=alt.Y("x2:Q"),
            stroke=label_colour,
            fill=alt.Fill(**alt.condition(alt.datum.split == "train", label_colour, alt.value("white"))),
            tooltip=[alt.Tooltip("label:N"), alt.Tooltip("split:N"), alt.Tooltip("x1:Q", format=".2f"), alt.Tooltip("x2:Q", format=".2f")],
        )
    )
    subtitle = "filled: train · hollow: validation"
    return alt.layer(heat, marks).properties(height=HEIGHT, title=alt.TitleParams(title, subtitle=subtitle))


def confusion(df: pd.DataFrame) -> alt.LayerChart:
    """Confusion matrix as a heat map with the count written in each cell.

    df columns: actual, predicted, count (int).
    """
    order = sorted(set(df["actual"]) | set(df["predicted"]), key=lambda v: (str(type(v)), v))
    base = alt.Chart(df).encode(
        x=alt.X("predicted:N", title="predicted", sort=order, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("actual:N", title="actual", sort=order),
    )
    cells = base.mark_rect().encode(
        color=alt.Color("count:Q", scale=alt.Scale(range=[NEUTRAL, BLUE]), title="count", legend=alt.Legend(orient="right")),
        tooltip=[alt.Tooltip("actual:N"), alt.Tooltip("predicted:N"), alt.Tooltip("count:Q")],
    )
    half = float(df["count"].max()) / 2
    text = base.mark_text(fontSize=14).encode(
        text=alt.Text("count:Q"),
        color=alt.Color(**alt.condition(alt.datum.count > half, alt.value("white"), alt.value("black"))),
    )
    return alt.layer(cells, text).properties(height=max(HEIGHT, 50 * len(order)))


def bars(df: pd.DataFrame, x: str, y: str, color: str | None = None) -> alt.Chart:
    """Bars of `y` per `x`, grouped side by side by `color` when given (categories keep their order)."""
    x_enc = alt.X(f"{x}:N", title=x, sort=None, axis=alt.Axis(labelAngle=0))
    tooltip = [alt.Tooltip(f"{x}:N"), alt.Tooltip(f"{y}:Q", format=".4g")]
    chart = alt.Chart(df).mark_bar().properties(height=HEIGHT)
    if color is None:
        return chart.encode(x=x_enc, y=alt.Y(f"{y}:Q", title=y), color=alt.value(BLUE), tooltip=tooltip)
    groups = _in_order(df[color])
    return chart.encode(
        x=x_enc,
        y=alt.Y(f"{y}:Q", title=y),
        color=_colour(color, groups),
        xOffset=alt.XOffset(f"{color}:N", sort=groups),
        tooltip=[alt.Tooltip(f"{color}:N"), *tooltip],
    )


# Neurons and layers (slides 20-26) -------------------------------------------------------------------

FUNCTION_DASH = {"f(z)": [1, 0], "f'(z)": [6, 4]}  # an activation solid, its derivative dashed
ACTIVE_SHADE = _tint(PALETTE[2], 0.75)  # light green: where the unit still passes a gradient on


def neuron_map(grid: pd.DataFrame, points: pd.DataFrame, line: pd.DataFrame, title: str,
               marked: tuple[float, float] | None = None) -> alt.LayerChart:
    """`boundary` of a single neuron with its decision line w1 x1 + w2 x2 + b = 0 drawn on top.

    grid and points as for `boundary`; line columns: x1, x2 (the segment's two ends inside the
    map, or no rows when there is no line, e.g. w1 = w2 = 0). `marked` (x1, x2) gets a black ring:
    the point whose weighted sum the page writes out. The title must not be empty: Vega drops
    the subtitle (the filled/hollow key) along with an empty title.
    """
    chart = boundary(grid, points, title)
    if not line.empty:
        chart += alt.Chart(line).mark_line(color="black", strokeWidth=3).encode(x=alt.X("x1:Q"), y=alt.Y("x2:Q"))
    if marked is not None:
        ring = pd.DataFrame({"x1": [marked[0]], "x2": [marked[1]]})
        chart += (
            alt.Chart(ring)
            .mark_point(shape="circle", size=400, strokeWidth=3, color="black", clip=True)
            .encode(x=alt.X("x1:Q"), y=alt.Y("x2:Q"))
        )
    return chart


def activation_panels(curves: pd.DataFrame, threshold: float, columns: int = 3) -> alt.FacetChart:
    """Small multiples, one panel per activation: f(z) solid, f'(z) dashed, the active region shaded.

    curves columns: activation (panel, in order of appearance), z, curve ("f(z)" | "f'(z)"),
    value, active (bool: |f'(z)| > threshold, the same on both rows of a z).
    """
    half = _half_step(curves["z"])
    shade = (
        alt.Chart()
        .transform_filter(alt.FieldEqualPredicate(field="curve", equal="f'(z)"))
        .transform_filter(alt.datum.active)
        .transform_calculate(z_lo=f"datum.z - {half}", z_hi=f"datum.z + {half}")
        .mark_rect(color=ACTIVE_SHADE, strokeWidth=0)
        .encode(x=alt.X("z_lo:Q"), x2=alt.X2("z_hi"))
    )
    lines = (
        alt.Chart()
        .mark_line(strokeWidth=2.5)
        .encode(
            x=alt.X("z:Q", title="z"),
            y=alt.Y("value:Q", title=None),
            color=_colour("curve", list(FUNCTION_DASH), title=None),
            strokeDash=alt.StrokeDash(
                "curve:N", scale=alt.Scale(domain=list(FUNCTION_DASH), range=list(FUNCTION_DASH.values())), title=None
            ),
            tooltip=[alt.Tooltip("activation:N"), alt.Tooltip("curve:N"), alt.Tooltip("z:Q", format=".2f"), alt.Tooltip("value:Q", format=".3f")],
        )
    )
    subtitle = f"shaded: the active region, where |f'(z)| > {threshold:g}"
    return (
        alt.layer(shade, lines, data=thin(curves, by=("activation", "curve")))
        .properties(width=260, height=170)
        .facet(facet=alt.Facet("activation:N", sort=[str(a) for a in _in_order(curves["activation"])], title=None),
               columns=columns)
        .resolve_scale(y="independent")
        .properties(title=alt.TitleParams("f(z) solid, f'(z) dashed", subtitle=subtitle))
    )


def function_fits(points: pd.DataFrame, fits: pd.DataFrame, truth: pd.DataFrame, title: str) -> alt.LayerChart:
    """A 1-D regression: the data as grey dots, the noise-free curve dashed black, one coloured line per variant.

    points columns: x, y, split ("train" filled | "validation" hollow); fits: variant, x, y;
    truth: x, y (sorted by x).
    """
    x, y = alt.X("x:Q", title="x"), alt.Y("y:Q", title="y")
    dots = (
        alt.Chart(points)
        .mark_point(shape="circle", size=28, color="#8C8C8C", opacity=0.8)
        .encode(x=x, y=y, fill=alt.Fill(**alt.condition(alt.datum.split == "train", alt.value("#8C8C8C"), alt.value("white"))),
                tooltip=[alt.Tooltip("split:N"), alt.Tooltip("x:Q", format=".3f"), alt.Tooltip("y:Q", format=".3f")])
    )
    true_curve = alt.Chart(truth).mark_line(color="black", strokeDash=[4, 3], strokeWidth=1.5).encode(x=x, y=y)
    fitted = (
        alt.Chart(thin(fits, by=("variant",)))
        .mark_line(strokeWidth=2.5)
        .encode(x=x, y=y, color=_colour("variant", _in_order(fits["variant"])),
                tooltip=[alt.Tooltip("variant:N"), alt.Tooltip("x:Q", format=".3f"), alt.Tooltip("y:Q", format=".3f")])
    )
    subtitle = "grey dots: the data (hollow: validation) · dashed black: the curve without noise"
    return alt.layer(dots, true_curve, fitted, height=HEIGHT, title=alt.TitleParams(title, subtitle=subtitle))


# Preprocessing (slides 33-35) --------------------------------------------------------------------------

CHANNEL_COLOURS = {"red": PALETTE[3], "green": PALETTE[2], "blue": PALETTE[0]}  # vermillion, green, blue


def feature_boxes(boxes: pd.DataFrame, columns: Sequence[str] | None = None) -> alt.FacetChart:
    """Box plots of every feature, one panel per scaling, each panel on its own x axis.

    boxes columns: scaling (panel, in order of appearance), feature, min, q1, median, q3, max.
    A thin line spans min..max, the box q1..q3, a black tick marks the median.
    """
    features = _in_order(boxes["feature"])
    y = alt.Y("feature:N", sort=features, title=None, axis=alt.Axis(labelLimit=170, labelOverlap=False))
    tooltip = [alt.Tooltip("feature:N"), *(alt.Tooltip(f"{c}:Q", format=".4g") for c in ("min", "q1", "median", "q3", "max"))]
    span = alt.Chart().mark_rule(color=BLUE, strokeWidth=1.5).encode(x=alt.X("min:Q", title="value"), x2=alt.X2("max"), y=y,
                                                                      tooltip=tooltip)
    box = alt.Chart().mark_bar(color=_tint(BLUE, 0.35), size=12).encode(x=alt.X("q1:Q"), x2=alt.X2("q3"), y=y,
                                                                        tooltip=tooltip)
    median = alt.Chart().mark_tick(color="black", thickness=2, size=12).encode(x=alt.X("median:Q"), y=y)
    return (
        alt.layer(span, box, median, data=boxes)
        .properties(width=220, height=max(120, 22 * len(features)))  # three panels fit a wide page's column
        .facet(column=alt.Column("scaling:N", sort=list(columns or _in_order(boxes["scaling"])), title=None,
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
    dx, dy = _half_step(cells["w1"]), _half_step(cells["w2"])
    cells = cells.assign(w1_lo=cells["w1"] - dx, w1_hi=cells["w1"] + dx, w2_lo=cells["w2"] - dy, w2_hi=cells["w2"] + dy)
    x_scale = alt.Scale(zero=False, nice=False, domain=[float(cells["w1_lo"].min()), float(cells["w1_hi"].max())])
    y_scale = alt.Scale(zero=False, nice=False, domain=[float(cells["w2_lo"].min()), float(cells["w2_hi"].max())])
    bands = alt.Scale(domain=[0, float(surface["level"].max())], range=["#FFFFFF", BLUE])
    heat = (
        alt.Chart(cells)
        .mark_rect(strokeWidth=0.6)
        .encode(
            x=alt.X("w1_lo:Q", title="w1", scale=x_scale), x2=alt.X2("w1_hi"),
            y=alt.Y("w2_lo:Q", title="w2", scale=y_scale), y2=alt.Y2("w2_hi"),
            color=alt.Color("level:Q", scale=bands, legend=None),
            stroke=alt.Stroke("level:Q", scale=bands, legend=None),
            tooltip=[alt.Tooltip("w1:Q", format=".3f"), alt.Tooltip("w2:Q", format=".3f"), alt.Tooltip("loss:Q", format=".4f")],
        )
    )
    encode = dict(x=alt.X("w1:Q"), y=alt.Y("w2:Q"), order=alt.Order("step:Q"))
    line = alt.Chart(steps).mark_line(color=ORANGE, strokeWidth=2, clip=True).encode(**encode)
    dots = (
        alt.Chart(steps)
        .mark_point(shape="circle", size=30, filled=True, color="black", opacity=1, clip=True)
        .encode(**encode, tooltip=[alt.Tooltip("step:Q"), alt.Tooltip("w1:Q", format=".3f"), alt.Tooltip("w2:Q", format=".3f"),
                                   alt.Tooltip("loss:Q", format=".4f")])
    )
    subtitle = "darker: lower loss · black dots: gradient-descent steps from the same start"
    return alt.layer(heat, line, dots).properties(height=HEIGHT, title=alt.TitleParams(title or scaling, subtitle=subtitle))


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
        .properties(width=820, height=34)
        .facet(row=alt.Row("scaling:N", sort=_in_order(points["scaling"]), title=None,
                           header=alt.Header(labelAngle=0, labelAlign="left", labelFontSize=13, labelLimit=200)))
        .resolve_scale(x="independent")
    )


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
            color=alt.Color("channel:N", scale=alt.Scale(domain=list(CHANNEL_COLOURS), range=list(CHANNEL_COLOURS.values())),
                            title="channel"),
            tooltip=[alt.Tooltip("stage:N"), alt.Tooltip("channel:N"), alt.Tooltip("value:Q", format=".2f"),
                     alt.Tooltip("share:Q", format=".1%")],
        )
    )
    return (
        alt.layer(lines, data=df)
        .properties(width=380, height=220)
        .facet(column=alt.Column("stage:N", sort=_in_order(df["stage"]), title=None,
                                 header=alt.Header(labelFontSize=14, labelFontWeight="bold")))
        .resolve_scale(x="independent")
    )


# Vanishing gradients and batch normalization (slides 48-55) -------------------------------------------


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
            color=_colour(color, _in_order(df[color])),
            tooltip=[alt.Tooltip(f"{color}:N"), alt.Tooltip("layer:Q"), alt.Tooltip(f"{y}:Q", format=".3g")],
        )
        .properties(height=HEIGHT)
    )


def layer_heat(df: pd.DataFrame, value: str, title: str, facet: str = "activation", log_scale: bool = False,
               domain: tuple[float, float] | None = None, columns: int = 5) -> alt.FacetChart:
    """Layer x epoch heat maps, one small panel per `facet` value, one colour scale for all panels.

    df columns: `facet` (str, panel, in order of appearance), layer (int), epoch (int), `value` (float > 0 for log).
    """
    scale = alt.Scale(type="log" if log_scale else "linear", scheme="viridis", **({"domain": list(domain)} if domain else {}))
    heat = (
        alt.Chart()
        .mark_rect()
        .encode(
            x=alt.X("epoch:O", title="epoch (0 = initialization)"),
            y=alt.Y("layer:O", title="layer", sort="descending"),
            color=alt.Color(f"{value}:Q", scale=scale, title=title, legend=alt.Legend(orient="right", gradientLength=160)),
            tooltip=[alt.Tooltip(f"{facet}:N"), alt.Tooltip("layer:Q"), alt.Tooltip("epoch:Q"), alt.Tooltip(f"{value}:Q", format=".3g")],
        )
    )
    return (
        alt.layer(heat, data=thin(df, by=(facet,), limit=MAX_POINTS))
        .properties(width=150, height=260)
        .facet(facet=alt.Facet(f"{facet}:N", sort=[str(v) for v in _in_order(df[facet])], title=None,
                               header=alt.Header(labelFontSize=14, labelFontWeight="bold")), columns=columns)
    )


def colorful_dimension(df: pd.DataFrame, columns: int = 5) -> alt.FacetChart:
    """fastai's "colorful dimension": per panel, a histogram of one layer's activations for every epoch, side by side.

    df columns: activation (panel), epoch, value (bin centre), lo, hi (bin edges), share (of the layer's values in the bin).
    Bright = many values; a bright band at the bottom edge is collapse (all near 0), at both edges saturation.
    """
    heat = (
        alt.Chart()
        .mark_rect()
        .encode(
            x=alt.X("epoch:O", title="epoch"),
            y=alt.Y("lo:Q", title="activation value", scale=alt.Scale(zero=False, nice=False)),
            y2=alt.Y2("hi"),
            color=alt.Color("share:Q", scale=alt.Scale(type="sqrt", scheme="viridis"), title="share of values",
                            legend=alt.Legend(orient="right", format="%", gradientLength=160)),
            tooltip=[alt.Tooltip("activation:N"), alt.Tooltip("epoch:Q"), alt.Tooltip("value:Q", format=".2f"),
                     alt.Tooltip("share:Q", format=".1%")],
        )
    )
    return (
        alt.layer(heat, data=thin(df, by=("activation",)))
        .properties(width=120, height=220)
        .facet(facet=alt.Facet("activation:N", sort=[str(v) for v in _in_order(df["activation"])], title=None,
                               header=alt.Header(labelFontSize=14, labelFontWeight="bold")), columns=columns)
        .resolve_scale(y="independent")
    )


def quantile_bands(df: pd.DataFrame, title: str, facet: str = "variant") -> alt.FacetChart:
    """Quantile bands over epochs, one panel per `facet` value: 5-95% light, 25-75% darker, the median a line.

    df columns: `facet` (str), epoch, q05, q25, q50, q75, q95.
    """
    x = alt.X("epoch:Q", title="epoch (0 = initialization)")
    outer = alt.Chart().mark_area(color=_tint(BLUE, 0.7)).encode(x=x, y=alt.Y("q05:Q", title="activation input z"), y2=alt.Y2("q95"))
    inner = alt.Chart().mark_area(color=_tint(BLUE, 0.35)).encode(x=x, y=alt.Y("q25:Q"), y2=alt.Y2("q75"))
    median = (
        alt.Chart()
        .mark_line(color="black", strokeWidth=2, point=alt.OverlayMarkDef(size=25, color="black"))
        .encode(x=x, y=alt.Y("q50:Q"), tooltip=[alt.Tooltip("epoch:Q"), *(alt.Tooltip(f"{q}:Q", format=".3f")
                                                                      for q in ("q05", "q25", "q50", "q75", "q95"))])
    )
    return (
        alt.layer(outer, inner, median, data=df)
        .properties(width=420, height=260, title=alt.TitleParams(title, subtitle="light: 5-95% of values · dark: 25-75% · line: median"))
        .facet(column=alt.Column(f"{facet}:N", sort=_in_order(df[facet]), title=None,
                                 header=alt.Header(labelFontSize=14, labelFontWeight="bold")))
    )


# Local minima and optimizers (slides 39-47) -------------------------------------------------------------


def landscape(surface: pd.DataFrame, paths: pd.DataFrame, title: str, x_title: str = "w1",
              y_title: str = "w2") -> alt.LayerChart:
    """A 2-D loss surface as contour bands with one coloured path per optimizer (or a single marked point).

    surface columns: w1, w2 (a regular grid), loss, level (band, higher = nearer the lowest point);
    paths columns: optimizer, step, w1, w2, loss. Each path starts at a black ring and ends at a
    large dot in its colour; paths are clipped at the plot's edge.
    """
    if len(surface) > GRID_CELLS:
        raise ValueError(f"A loss surface has at most {GRID_CELLS:,} grid cells; this one has {len(surface):,}.")
    dx, dy = _half_step(surface["w1"]), _half_step(surface["w2"])
    cells = surface.assign(w1_lo=surface["w1"] - dx, w1_hi=surface["w1"] + dx, w2_lo=surface["w2"] - dy,
                           w2_hi=surface["w2"] + dy)
    x_scale = alt.Scale(zero=False, nice=False, domain=[float(cells["w1_lo"].min()), float(cells["w1_hi"].max())])
    y_scale = alt.Scale(zero=False, nice=False, domain=[float(cells["w2_lo"].min()), float(cells["w2_hi"].max())])
    bands = alt.Scale(domain=[0, max(1.0, float(surface["level"].max()))], range=["#FFFFFF", _tint(BLUE, 0.15)])
    heat = (
        alt.Chart(cells)
        .mark_rect(strokeWidth=0.6)
        .encode(
            x=alt.X("w1_lo:Q", title=x_title, scale=x_scale), x2=alt.X2("w1_hi"),
            y=alt.Y("w2_lo:Q", title=y_title, scale=y_scale), y2=alt.Y2("w2_hi"),
            color=alt.Color("level:Q", scale=bands, legend=None),
            stroke=alt.Stroke("level:Q", scale=bands, legend=None),
            tooltip=[alt.Tooltip("w1:Q", title=x_title, format=".3f"), alt.Tooltip("w2:Q", title=y_title, format=".3f"),
                     alt.Tooltip("loss:Q", format=".4g")],
        )
    )
    steps = thin(paths, by=("optimizer",))
    names = _in_order(steps["optimizer"])
    colour = _colour("optimizer", names, title=None)
    tooltip = [alt.Tooltip("optimizer:N"), alt.Tooltip("step:Q"), alt.Tooltip("w1:Q", title=x_title, format=".3f"),
               alt.Tooltip("w2:Q", title=y_title, format=".3f"), alt.Tooltip("loss:Q", format=".4g")]
    xy = dict(x=alt.X("w1:Q"), y=alt.Y("w2:Q"))
    line = (alt.Chart(steps).mark_line(strokeWidth=2.5, clip=True, opacity=0.9)
            .encode(**xy, color=colour, order=alt.Order("step:Q"), tooltip=tooltip))
    first = steps[steps["step"] == 0].drop_duplicates(["w1", "w2"])
    start = (alt.Chart(first).mark_point(shape="circle", size=140, strokeWidth=2.5, color="black", clip=True)
             .encode(**xy))
    last = steps.groupby("optimizer", sort=False).tail(1)
    ends = (alt.Chart(last).mark_point(shape="circle", size=110, filled=True, opacity=1, stroke="black",
                                       strokeWidth=1, clip=True)
            .encode(**xy, color=_colour("optimizer", names, legend=None), tooltip=tooltip))  # the lines' legend serves
    subtitle = "darker: lower loss · black ring: the start · big dot: where each one ended"
    return alt.layer(heat, line, start, ends).properties(height=HEIGHT, title=alt.TitleParams(title, subtitle=subtitle))


def lr_finder(curve: pd.DataFrame, suggestion: float, lowest: float) -> alt.LayerChart:
    """The LR range test: batch loss (thin) and its smoothed version vs learning rate on a log axis,
    a green rule at the suggested learning rate and a grey one where the smoothed loss was lowest.

    curve columns: iteration, lr, loss, smoothed loss.
    """
    long = curve.melt(id_vars=["iteration", "lr"], value_vars=["loss", "smoothed loss"], var_name="curve",
                      value_name="value")
    kinds = ["loss", "smoothed loss"]
    lines = (
        alt.Chart(thin(long, by=("curve",)))
        .mark_line()
        .encode(
            x=alt.X("lr:Q", title="learning rate (log scale)", scale=alt.Scale(type="log")),
            y=alt.Y("value:Q", title="training loss of the batch", scale=alt.Scale(zero=False)),
            color=alt.Color("curve:N", scale=alt.Scale(domain=kinds, range=[_tint(BLUE, 0.5), BLUE]), title=None),
            strokeWidth=alt.StrokeWidth("curve:N", scale=alt.Scale(domain=kinds, range=[1, 3]), legend=None),
            tooltip=[alt.Tooltip("iteration:Q"), alt.Tooltip("lr:Q", format=".3g"), alt.Tooltip("curve:N"),
                     alt.Tooltip("value:Q", format=".4f")],
        )
    )
    marks = pd.DataFrame({"lr": [suggestion, lowest], "mark": [f"suggested lr {suggestion:.3g}",
                                                               f"lowest smoothed loss at lr {lowest:.3g}"]})
    rules = (alt.Chart(marks).mark_rule(strokeWidth=2, strokeDash=[6, 4])
             .encode(x=alt.X("lr:Q"), color=alt.Color("mark:N", scale=alt.Scale(domain=list(marks["mark"]),
                                                                             range=[PALETTE[2], "#8C8C8C"]), title=None),
                     tooltip=[alt.Tooltip("mark:N")]))
    return alt.layer(lines, rules).resolve_scale(color="independent").properties(height=HEIGHT)


def cosine_strips(directions: pd.DataFrame) -> alt.Chart:
    """How well mini-batch gradients point along the full-batch gradient: one tick per drawn batch.

    directions columns: variant (row, in order of appearance), draw, cosine (-1..1; 1 = the same direction).
    """
    names = _in_order(directions["variant"])
    return (
        alt.Chart(directions)
        .mark_tick(thickness=1.5, size=28, opacity=0.6)
        .encode(
            x=alt.X("cosine:Q", title="cosine with the full-batch gradient (1: same direction, 0: at right angles)",
                    scale=alt.Scale(domain=[-1, 1])),
            y=alt.Y("variant:N", title=None, sort=names),
            color=_colour("variant", names, legend=None),
            tooltip=[alt.Tooltip("variant:N"), alt.Tooltip("draw:Q"), alt.Tooltip("cosine:Q", format=".3f")],
        )
        .properties(height=max(120, 50 * len(names)))
    )


def step_sizes(df: pd.DataFrame) -> alt.Chart:
    """|Δw| of every step per optimizer (colour) and parameter (solid w1, dashed w2), log scale.

    df columns: optimizer, step, parameter ("w1" | "w2"), step size.
    """
    df = thin(df[df["step size"] > 0], by=("optimizer", "parameter"))
    dash = {"w1": [1, 0], "w2": [6, 4]}
    return (
        alt.Chart(df)
        .mark_line(strokeWidth=2)
        .encode(
            x=alt.X("step:Q", title="step"),
            y=alt.Y("step size:Q", title="step size |Δw| (log scale)", scale=alt.Scale(type="log")),
            color=_colour("optimizer", _in_order(df["optimizer"]), title=None),
            strokeDash=alt.StrokeDash("parameter:N", scale=alt.Scale(domain=list(dash), range=list(dash.values())),
                                      title="parameter"),
            tooltip=[alt.Tooltip("optimizer:N"), alt.Tooltip("parameter:N"), alt.Tooltip("step:Q"),
                     alt.Tooltip("step size:Q", format=".3g")],
        )
        .properties(height=HEIGHT)
    )


# Regularization and data augmentation (slides 56-64) ------------------------------------------------------------

STOP_DASH = {"best validation loss: weights kept": [1, 0], "stopped": [4, 4]}


def gap_curves(history: pd.DataFrame, variant: str, metric: str = "accuracy") -> alt.LayerChart:
    """One variant's train and validation curves with the gap between them shaded (overfitting made visible).

    history columns: variant, epoch, split ("train" | "validation"), metric, value.
    """
    df = history[(history["variant"] == variant) & (history["metric"] == metric)]
    if df.empty:
        raise ValueError(f"The history has no {metric!r} values for {variant!r}.")
    wide = df.pivot_table(index="epoch", columns="split", values="value").reset_index()
    band = alt.Chart(wide).mark_area(opacity=0.25, color=PALETTE[3]).encode(
        x=alt.X("epoch:Q", title="epoch"), y=alt.Y("train:Q", title=metric), y2=alt.Y2("validation:Q"),
        tooltip=[alt.Tooltip("epoch:Q"), alt.Tooltip("train:Q", format=".3f"), alt.Tooltip("validation:Q", format=".3f")],
    )
    lines_ = alt.Chart(df).mark_line(strokeWidth=2.5).encode(
        x=alt.X("epoch:Q"), y=alt.Y("value:Q", title=metric, scale=alt.Scale(zero=False)),
        color=_colour("split", ["train", "validation"], title="split"),
        tooltip=[alt.Tooltip("split:N"), alt.Tooltip("epoch:Q"), alt.Tooltip("value:Q", title=metric, format=".4f")],
    )
    return alt.layer(band, lines_).properties(height=HEIGHT, title=f"{variant}: the shaded band is the gap")


def marked_curves(history: pd.DataFrame, marks: pd.DataFrame, metric: str = "loss") -> alt.LayerChart:
    """`curves` with vertical rules at marked epochs (marks: variant, epoch, event), e.g. where early stopping acted."""
    base = curves(history, metric)
    domain = _in_order(history["variant"])
    if marks.empty:
        return alt.layer(base)
    rules = alt.Chart(marks).mark_rule(strokeWidth=2).encode(
        x=alt.X("epoch:Q"), color=_colour("variant", domain),
        strokeDash=alt.StrokeDash("event:N", scale=alt.Scale(domain=list(STOP_DASH), range=list(STOP_DASH.values())),
                                  title="early stopping"),
        tooltip=[alt.Tooltip("variant:N"), alt.Tooltip("event:N"), alt.Tooltip("epoch:Q")],
    )
    return alt.layer(base, rules).resolve_scale(strokeDash="independent")


def weight_histograms(df: pd.DataFrame) -> alt.Chart:
    """Histograms of every weight of a network, one step line per variant on shared bins.

    df columns: variant, weight (bin centre), count.
    """
    return (
        alt.Chart(df)
        .mark_line(interpolate="step", strokeWidth=2.5)
        .encode(
            x=alt.X("weight:Q", title="weight value"),
            y=alt.Y("count:Q", title="number of weights"),
            color=_colour("variant", _in_order(df["variant"])),
            tooltip=[alt.Tooltip("variant:N"), alt.Tooltip("weight:Q", format=".3f"), alt.Tooltip("count:Q")],
        )
        .properties(height=HEIGHT)
    )

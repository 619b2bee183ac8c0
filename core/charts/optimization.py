"""Chart builders of the chapter Local minima and optimizers (slides 40-48)."""
from __future__ import annotations

import altair as alt
import pandas as pd

from core.charts.shared import grid_picture, headed
from core.charts.theme import BLUE, GRID_CELLS, HEIGHT, ORANGE, PALETTE, colour_by, half_step, in_order, thin, tint


def landscape(surface: pd.DataFrame, paths: pd.DataFrame, title: str, x_title: str = "w1",
              y_title: str = "w2") -> alt.LayerChart:
    """A 2-D loss surface as contour bands with one coloured path per optimizer (or a single marked point).

    surface columns: w1, w2 (a regular grid), loss, level (band, higher = nearer the lowest point);
    paths columns: optimizer, step, w1, w2, loss. Each path starts at a black ring and ends at a
    large dot in its colour; paths are clipped at the plot's edge. A "path" of one point (the trained
    weights of a slice) is a dot alone, named in the subtitle: the subtitle says only what is drawn.
    """
    if len(surface) > GRID_CELLS:
        raise ValueError(f"A loss surface has at most {GRID_CELLS:,} grid cells; this one has {len(surface):,}.")
    # The contour bands as one picture, white to light blue as the band nears the lowest point.
    heat, x_scale, y_scale = grid_picture(surface, "w1", "w2", "level", ["#FFFFFF", tint(BLUE, 0.15)],
                                          top=max(1.0, float(surface["level"].max())), titles=(x_title, y_title))
    steps = thin(paths, by=("optimizer",))
    names = in_order(steps["optimizer"])
    colour = colour_by("optimizer", names, title=None)
    tooltip = [alt.Tooltip("optimizer:N"), alt.Tooltip("step:Q"), alt.Tooltip("w1:Q", title=x_title, format=".3f"),
               alt.Tooltip("w2:Q", title=y_title, format=".3f"), alt.Tooltip("loss:Q", format=".4g")]
    xy = dict(x=alt.X("w1:Q"), y=alt.Y("w2:Q"))
    line = (alt.Chart(steps).mark_line(strokeWidth=2.5, clip=True, opacity=0.9)
            .encode(**xy, color=colour, order=alt.Order("step:Q"), tooltip=tooltip))
    moving = steps.groupby("optimizer", sort=False)["step"].max() > 0
    first = steps[(steps["step"] == 0) & steps["optimizer"].map(moving)].drop_duplicates(["w1", "w2"])
    start = (alt.Chart(first).mark_point(shape="circle", size=140, strokeWidth=2.5, color="black", clip=True)
             .encode(**xy))
    last = steps.groupby("optimizer", sort=False).tail(1)
    ends = (alt.Chart(last).mark_point(shape="circle", size=110, filled=True, opacity=1, stroke="black",
                                       strokeWidth=1, clip=True)
            # the lines' legend serves for the dots too
            .encode(**xy, color=colour_by("optimizer", names, legend=None), tooltip=tooltip))
    subtitle = " · ".join(["darker: lower loss"] + (
        ["black ring: the start", "big dot: where " + ("each one" if moving.sum() > 1 else "it") + " ended"]
        if moving.any() else []) + [f"big dot: {name}" for name in moving.index[~moving]])
    return alt.layer(heat, line, start, ends).properties(height=HEIGHT, title=alt.TitleParams(title, subtitle=subtitle))


@headed
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
            color=alt.Color("curve:N", scale=alt.Scale(domain=kinds, range=[tint(BLUE, 0.5), BLUE]), title=None),
            strokeWidth=alt.StrokeWidth("curve:N", scale=alt.Scale(domain=kinds, range=[1, 3]), legend=None),
            tooltip=[alt.Tooltip("iteration:Q"), alt.Tooltip("lr:Q", format=".3g"), alt.Tooltip("curve:N"),
                     alt.Tooltip("value:Q", format=".4f")],
        )
    )
    marks = pd.DataFrame({"lr": [suggestion, lowest], "mark": [f"suggested lr {suggestion:.3g}",
                                                               f"lowest smoothed loss at lr {lowest:.3g}"]})
    rules = (alt.Chart(marks).mark_rule(strokeWidth=2, strokeDash=[6, 4])
             .encode(x=alt.X("lr:Q"),
                     color=alt.Color("mark:N", title=None,
                                     scale=alt.Scale(domain=list(marks["mark"]), range=[PALETTE[2], "#8C8C8C"])),
                     tooltip=[alt.Tooltip("mark:N")]))
    return alt.layer(lines, rules).resolve_scale(color="independent").properties(height=HEIGHT)


# Two short lines: the strips sit in a half column, where one 76-character title ran past the right edge.
STRIPS_TITLE = ["cosine with the full-batch gradient", "(1: same direction, 0: at right angles)"]
STRIP_ROW, STRIPS_AXIS = 40, 90  # px: a 28 px tick per row; the axis labels and the two-line title below


@headed
def cosine_strips(directions: pd.DataFrame) -> alt.Chart:
    """How well mini-batch gradients point along the full-batch gradient: one tick per drawn batch.

    directions columns: variant (row, in order of appearance), draw, cosine (-1..1; 1 = the same direction).
    """
    names = in_order(directions["variant"])
    return (
        alt.Chart(directions)
        .mark_tick(thickness=1.5, size=28, opacity=0.6)
        .encode(
            x=alt.X("cosine:Q", title=STRIPS_TITLE, scale=alt.Scale(domain=[-1, 1])),
            y=alt.Y("variant:N", title=None, sort=names),
            color=colour_by("variant", names, legend=None),
            tooltip=[alt.Tooltip("variant:N"), alt.Tooltip("draw:Q"), alt.Tooltip("cosine:Q", format=".3f")],
        )
        .properties(height=STRIPS_AXIS + STRIP_ROW * len(names))  # the whole chart's height, axis and title included
    )


@headed
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
            color=colour_by("optimizer", in_order(df["optimizer"]), title=None),
            strokeDash=alt.StrokeDash("parameter:N", scale=alt.Scale(domain=list(dash), range=list(dash.values())),
                                      title="parameter"),
            tooltip=[alt.Tooltip("optimizer:N"), alt.Tooltip("parameter:N"), alt.Tooltip("step:Q"),
                     alt.Tooltip("step size:Q", format=".3g")],
        )
        .properties(height=HEIGHT)
    )


RATE_STOPS = (BLUE, tint(BLUE, 0.55), "#FFFFFF")  # the valley's rate: dark = fast, white = barely moving
DIVERGES = tint(PALETTE[3], 0.35)  # vermillion: where the error grows


@headed
def rate_map(grid: pd.DataFrame, lowest: pd.DataFrame, lr: float, momentum: float) -> alt.LayerChart:
    """How fast momentum converges over (learning rate, μ): the rate per step as a picture (dark: fast), the cells
    where it diverges in vermillion, a black line through the μ of the lowest rate at each learning rate (fastest
    in the long run) and a dot at (lr, μ).

    grid columns: lr, momentum (a regular grid), rate, diverges; lowest columns: lr, momentum, rate.
    """
    converging = grid[~grid["diverges"]]
    low = float(converging["rate"].min()) if len(converging) else 0.0
    cells = grid.assign(shade=((grid["rate"].clip(upper=1) - low) / max(1 - low, 1e-9)))
    image, x_scale, y_scale = grid_picture(cells, "lr", "momentum", "shade", RATE_STOPS,
                                           titles=("learning rate", "momentum μ"))
    (x_lo, _), (y_lo, _) = x_scale.domain, y_scale.domain
    rate_scale = alt.Scale(domain=[low, 1.0], range=list(RATE_STOPS))
    key = (alt.Chart(pd.DataFrame({"lr": [x_lo, x_lo], "momentum": [y_lo, y_lo], "rate": [low, 1.0]}))
           .mark_point(opacity=0, size=0)
           .encode(x="lr:Q", y="momentum:Q", color=alt.Color("rate:Q", scale=rate_scale, title="rate per step",
                                                            legend=alt.Legend(orient="right", gradientLength=120))))
    marks = ["diverges (rate ≥ 1)", "lowest rate at each lr (fastest in the long run)",
             f"your lr = {lr:g}, μ = {momentum:g}"]
    mark_scale = alt.Scale(domain=marks, range=[DIVERGES, "#000000", ORANGE])
    mark = alt.Color("mark:N", title=None, scale=mark_scale, legend=alt.Legend(columns=1))  # one a line: 3 a row
    # ran past a laptop's column ("lowest rate at each lr (fastest in the long run)" is ~320 px by itself)
    dx, dy = half_step(grid["lr"]), half_step(grid["momentum"])
    blown = grid[grid["diverges"]].groupby("lr", as_index=False)["momentum"].agg(["min", "max"])
    region = (alt.Chart(blown.assign(mark=marks[0], lo=blown["lr"] - dx, hi=blown["lr"] + dx,
                                     bottom=blown["min"] - dy, top=blown["max"] + dy))
              .mark_rect(strokeWidth=0.6)
              .encode(x=alt.X("lo:Q", scale=x_scale), x2="hi:Q", y=alt.Y("bottom:Q", scale=y_scale), y2="top:Q",
                      color=mark, stroke=alt.Stroke("mark:N", scale=mark_scale, legend=None)))
    line = (alt.Chart(lowest.assign(mark=marks[1])).mark_line(strokeWidth=2.5)
            .encode(x="lr:Q", y="momentum:Q", color=mark,
                    tooltip=[alt.Tooltip("lr:Q", format=".3g"), alt.Tooltip("momentum:Q", title="lowest-rate μ"),
                             alt.Tooltip("rate:Q", format=".3f")]))
    chosen = pd.DataFrame({"lr": [lr], "momentum": [momentum], "mark": [marks[2]]})
    dot = (alt.Chart(chosen).mark_point(shape="circle", size=160, filled=True, opacity=1, stroke="black",
                                        strokeWidth=1.5, clip=True)
           .encode(x="lr:Q", y="momentum:Q", color=mark, tooltip=[alt.Tooltip("lr:Q"), alt.Tooltip("momentum:Q")]))
    # The rate's gradient and the marks' colours are independent scales; the three marks share one (one legend:
    # independent for every layer, each drew the marks' legend again).
    return (alt.layer(image, key, alt.layer(region, line, dot)).resolve_scale(color="independent")
            .properties(height=HEIGHT))

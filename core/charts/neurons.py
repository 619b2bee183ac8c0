"""Chart builders of the chapter Neurons and layers (slides 21-27)."""
from __future__ import annotations

import altair as alt
import pandas as pd

from core.charts.shared import boundary
from core.charts.theme import HEIGHT, PALETTE, colour_by, half_step, in_order, thin, tint

FUNCTION_DASH = {"f(z)": [1, 0], "f'(z)": [6, 4]}  # an activation solid, its derivative dashed
ACTIVE_SHADE = tint(PALETTE[2], 0.75)  # light green: where the unit still passes a gradient on


def neuron_map(grid: pd.DataFrame, points: pd.DataFrame, line: pd.DataFrame, title: str,
               marked: tuple[float, float] | None = None) -> alt.LayerChart:
    """`boundary` of a single neuron with its decision line w1 x1 + w2 x2 + b = 0 drawn on top.

    grid and points as for `boundary`; line columns: x1, x2 (the segment's two ends inside the
    map, or no rows when there is no line, e.g. w1 = w2 = 0). A click selects the point nearest to it (the map is
    one picture under the points). `marked` (x1, x2) gets a black ring:
    the point whose weighted sum the page writes out. The title must not be empty: Vega drops
    the subtitle (the filled/hollow key) along with an empty title.
    """
    chart = boundary(grid, points, title, nearest_point=True)  # a click rings the nearest point
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
    value, active (bool: |f'(z)| >= threshold, the same on both rows of a z).
    """
    half = half_step(curves["z"])
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
            color=colour_by("curve", list(FUNCTION_DASH), title=None),
            strokeDash=alt.StrokeDash(
                "curve:N", scale=alt.Scale(domain=list(FUNCTION_DASH), range=list(FUNCTION_DASH.values())), title=None
            ),
            tooltip=[alt.Tooltip("activation:N"), alt.Tooltip("curve:N"), alt.Tooltip("z:Q", format=".2f"),
                     alt.Tooltip("value:Q", format=".3f")],
        )
    )
    subtitle = f"shaded: the active region, where |f'(z)| ≥ {threshold:g}"
    return (
        alt.layer(shade, lines, data=thin(curves, by=("activation", "curve")))
        .properties(width=165, height=170)  # three panels a row, their y axes and the spacing: ~640 px
        .facet(facet=alt.Facet("activation:N", sort=[str(a) for a in in_order(curves["activation"])], title=None),
               columns=columns)
        .resolve_scale(y="independent")
        .properties(title=alt.TitleParams("Each activation f(z) (solid) and its slope f'(z) (dashed)",
                                          subtitle=subtitle))
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
        .encode(x=x, y=y,
                fill=alt.Fill(**alt.condition(alt.datum.split == "train", alt.value("#8C8C8C"), alt.value("white"))),
                tooltip=[alt.Tooltip("split:N"), alt.Tooltip("x:Q", format=".3f"), alt.Tooltip("y:Q", format=".3f")])
    )
    true_curve = alt.Chart(truth).mark_line(color="black", strokeDash=[4, 3], strokeWidth=1.5).encode(x=x, y=y)
    fitted = (
        alt.Chart(thin(fits, by=("variant",)))
        .mark_line(strokeWidth=2.5)
        .encode(x=x, y=y, color=colour_by("variant", in_order(fits["variant"])),
                tooltip=[alt.Tooltip("variant:N"), alt.Tooltip("x:Q", format=".3f"), alt.Tooltip("y:Q", format=".3f")])
    )
    subtitle = "grey dots: the data (hollow: validation) · dashed black: the curve without noise"
    return alt.layer(dots, true_curve, fitted, height=HEIGHT, title=alt.TitleParams(title, subtitle=subtitle))

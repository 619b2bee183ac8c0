"""The charts' look and the helpers every builder shares: one palette, one theme, one point budget.

Builders return undecorated charts, so a page may still layer a rule or a label on top;
`style()` adds the theme at the end (`ui.show.chart` applies it to every chart it places).
Every builder draws at most MAX_POINTS rows: bigger inputs are thinned by `thin()`
(every k-th row of each line, and always its last row), grids by a stride over their axes.
Encodings are channel objects (`alt.X(...)`, `alt.Tooltip(...)`, `alt.Fill(**alt.condition(...))`),
never bare strings or dicts: Altair resolves those against its whole schema on every call, which
made a decision map slow enough to break a page's warm-rerun budget (`python -m benchmarks`).

This module imports no other chart module, so every chapter module can import it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, TypeVar

import altair as alt
import pandas as pd

Chart = TypeVar("Chart", bound=alt.TopLevelMixin)  # style() returns the kind of chart it was given

# Okabe & Ito's colour-blind-safe palette, its yellow (#F0E442, unreadable as a line on white)
# darkened to mustard, which keeps it apart from the orange and the vermillion by lightness.
# Strong colours first; black last. Blue and orange double as "class 0" and "class 1".
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#8C6D00", "#000000")
BLUE, ORANGE = PALETTE[0], PALETTE[1]
NEUTRAL = "#F7F7F7"  # middle of the blue-orange diverging scale (p = 0.5)


def tint(colour: str, amount: float) -> str:
    """`colour` mixed with white (amount 0: unchanged, 1: white), e.g. a heat map under dark dots."""
    rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(c + (255 - c) * amount):02X}" for c in rgb)


BOUNDARY_RANGE = [tint(BLUE, 0.45), NEUTRAL, tint(ORANGE, 0.45)]  # light, so the points stand out
MAX_POINTS = 5_000  # per dataset: Altair refuses to serialize more (ui.show builds specs with its default)
GRID_CELLS = 4_900  # a boundary chart's heat map keeps at most 70 x 70 cells
HEIGHT = 380  # px, legend included (legends sit below the plot)


def epoch_axis() -> alt.Axis:
    """An epoch axis in whole epochs: with few epochs Vega ticked 0.0, 0.2, ... 4.0."""
    return alt.Axis(tickMinStep=1, format="d")
SPLIT_DASH = {"train": [1, 0], "validation": [6, 4]}  # solid vs dashed


def style(chart: Chart) -> Chart:
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


def colour_by(field: str, domain: Sequence[Any], **kwargs: Any) -> alt.Color:
    """Colour by a nominal field in the palette, in the given domain order (kwargs: title, legend)."""
    return alt.Color(f"{field}:N", scale=alt.Scale(domain=list(domain), range=list(PALETTE)), **kwargs)


def in_order(values: pd.Series) -> list[Any]:
    """Distinct values in order of first appearance (variants keep the order the page gave)."""
    return list(dict.fromkeys(values.tolist()))


SPLIT_KEY = "solid: train · dashed: validation"  # said in the subtitle: a dash legend is too wide for a half column


def half_step(values: pd.Series) -> float:
    """Half the spacing of a regular grid axis (one cell's half width)."""
    distinct = pd.Series(sorted(values.unique()))
    return float(distinct.diff().median()) / 2 if len(distinct) > 1 else 0.5


def wrap_titles(spec: dict[str, Any], chars: int) -> dict[str, Any]:
    """A copy of a Vega-Lite spec whose titles and subtitles are lines of at most ~`chars` characters.

    Vega never wraps a title: one longer than its chart is cut with an ellipsis (seen in Chromium in half
    and third columns at 1024 px and in presenter mode), so long titles are broken at spaces into a list of
    lines, which Vega draws one under another; so are long x-axis titles. The top level, a facet's inner spec
    and the parts of a layer or concatenation are wrapped; the data are shared with `spec`, which stays unchanged.
    """
    def lines(text: Any) -> Any:
        if isinstance(text, list):
            return [line for item in text for line in broken(item)]
        if not isinstance(text, str) or len(text) <= chars:
            return text
        return broken(text)

    def broken(text: Any) -> list[Any]:
        if not isinstance(text, str):
            return [text]
        out: list[str] = []
        line = ""
        for word in text.split(" "):
            if line and len(line) + 1 + len(word) > chars:
                out.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        return [*out, line]

    def title(value: Any) -> Any:
        if isinstance(value, dict):
            return {**value, **{k: lines(value[k]) for k in ("text", "subtitle") if k in value}}
        return lines(value)

    out = dict(spec)
    if "title" in spec:
        out["title"] = title(spec["title"])
    x = spec.get("encoding", {}).get("x")
    if isinstance(x, dict) and isinstance(x.get("title"), str) and len(x["title"]) > chars:  # under the plot
        out["encoding"] = {**spec["encoding"], "x": {**x, "title": lines(x["title"])}}
    if isinstance(spec.get("spec"), dict):
        out["spec"] = wrap_titles(spec["spec"], chars)
    for part in ("hconcat", "vconcat", "concat", "layer"):
        if isinstance(spec.get(part), list):
            out[part] = [wrap_titles(s, chars) if isinstance(s, dict) else s for s in spec[part]]
    return out

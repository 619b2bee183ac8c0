"""Chart builders of the Transformer page (slide 70): attention maps, positional encoding, masks, next-token odds."""
from __future__ import annotations

import altair as alt
import pandas as pd

from core.charts.theme import BLUE, HEIGHT, NEUTRAL, ORANGE, colour_by, in_order

CELL, SMALL_CELL = 24, 16  # px per token: a 10-token attention map is 240 px wide, a 20-token one 320 px
WEIGHT_SCALE = alt.Scale(domain=[0, 1], range=[NEUTRAL, BLUE])  # 0 (white) .. 1 (all attention on one key)


def _ordered(df: pd.DataFrame, label: str, position: str) -> list[str]:
    """The distinct labels ("3 L") sorted by their position, for an axis that keeps the sequence order."""
    return df.drop_duplicates(position).sort_values(position)[label].tolist()


def _weights(df: pd.DataFrame, x: tuple[str, list[str], str], y: tuple[str, list[str], str], legend: str,
             tooltip: list[alt.Tooltip]) -> alt.Chart:
    """An attention-weight heat map: x and y are (field, its order, its title); the tooltip ends with the weight."""
    return (
        alt.Chart(df)
        .mark_rect(stroke="#DDDDDD", strokeWidth=0.3)
        .encode(
            x=alt.X(f"{x[0]}:N", sort=x[1], title=x[2], axis=alt.Axis(labelAngle=-90, labelOverlap=False)),
            y=alt.Y(f"{y[0]}:N", sort=y[1], title=y[2], axis=alt.Axis(labelOverlap=False)),
            color=alt.Color("weight:Q", scale=WEIGHT_SCALE, title=legend,
                            legend=alt.Legend(orient="bottom", gradientLength=200)),
            tooltip=[*tooltip, alt.Tooltip("weight:Q", format=".3f")],
        )
    )


def attention_maps(df: pd.DataFrame) -> alt.FacetChart:
    """One heat map per layer (rows) and head (columns): row = the query position that reads, column = the key it reads.

    df columns: layer, head, query, key, query token, key token ("3 L": position and token), weight.
    Each row of a map sums to 1 (a softmax); masked cells are 0 (white).
    """
    keys, queries = _ordered(df, "key token", "key"), _ordered(df, "query token", "query")
    side = (CELL if len(keys) <= 12 else SMALL_CELL) * len(keys)
    return (
        _weights(df, ("key token", keys, "key: the position read"),
                 ("query token", queries, "query: the position reading"), "attention weight",
                 [alt.Tooltip("layer:O"), alt.Tooltip("head:O"), alt.Tooltip("query token:N", title="query"),
                  alt.Tooltip("key token:N", title="key")])
        .properties(width=side, height=side)
        .facet(row=alt.Row("layer:O", title="layer", header=alt.Header(labelFontSize=13, titleFontSize=13)),
               column=alt.Column("head:O", title="head", header=alt.Header(labelFontSize=13, titleFontSize=13)))
        .properties(title="Attention weights of every layer and head for this word")
    )


def encoding(df: pd.DataFrame) -> alt.Chart:
    """The sinusoidal positional encoding as a heat map: one row per position, one column per dimension.

    df columns: position, dimension, value (-1..1).
    """
    return (
        alt.Chart(df)
        .mark_rect()
        .encode(
            x=alt.X("dimension:O", title="dimension (pairs: sin, cos; slower to the right)",
                    axis=alt.Axis(labelAngle=0, values=list(range(0, int(df["dimension"].max()) + 1, 4)))),
            y=alt.Y("position:O", title="position",
                    axis=alt.Axis(values=list(range(0, int(df["position"].max()) + 1, 4)))),
            color=alt.Color("value:Q", scale=alt.Scale(domain=[-1, 0, 1], range=[BLUE, NEUTRAL, ORANGE]), title="value",
                            legend=alt.Legend(orient="right", gradientLength=120)),
            tooltip=[alt.Tooltip("position:O"), alt.Tooltip("dimension:O"), alt.Tooltip("value:Q", format=".3f")],
        )
        .properties(height=HEIGHT, title="The positional encoding: one row per position")
    )


def similarity(df: pd.DataFrame) -> alt.Chart:
    """How alike two positions' encodings are (cosine similarity): bright near the diagonal, fading with distance.

    df columns: position, other position, cosine similarity.
    """
    ticks = list(range(0, int(df["position"].max()) + 1, 4))
    return (
        alt.Chart(df)
        .mark_rect()
        .encode(
            x=alt.X("other position:O", title="other position", axis=alt.Axis(labelAngle=0, values=ticks)),
            y=alt.Y("position:O", title="position", axis=alt.Axis(values=ticks)),
            color=alt.Color("cosine similarity:Q", scale=alt.Scale(domain=[-1, 0, 1], range=[BLUE, NEUTRAL, ORANGE]),
                            legend=alt.Legend(orient="right", gradientLength=120)),
            tooltip=[alt.Tooltip("position:O"), alt.Tooltip("other position:O"),
                     alt.Tooltip("cosine similarity:Q", format=".3f")],
        )
        .properties(height=HEIGHT, title="How alike the encodings of two positions are")
    )


def masks(df: pd.DataFrame) -> alt.FacetChart:
    """The attention masks side by side: blue = the query may read this key, grey = forbidden (its weight is 0).

    df columns: mask, query, key, allowed (bool).
    """
    shown = df.assign(cell=df["allowed"].map({True: "may read", False: "masked (weight 0)"}))
    side = SMALL_CELL * int(df["key"].nunique())
    return (
        alt.Chart(shown)
        .mark_rect(stroke="white", strokeWidth=1)
        .encode(
            x=alt.X("key:O", title="key: the position read", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("query:O", title="query: the position reading"),
            color=alt.Color("cell:N", title=None,
                            scale=alt.Scale(domain=["may read", "masked (weight 0)"], range=[BLUE, "#DDDDDD"])),
            tooltip=[alt.Tooltip("mask:N"), alt.Tooltip("query:O"), alt.Tooltip("key:O"),
                     alt.Tooltip("cell:N", title="")],
        )
        .properties(width=side, height=side)
        .facet(column=alt.Column("mask:N", title=None, sort=in_order(df["mask"]), header=alt.Header(labelFontSize=14)))
        .properties(title="Which positions each position may read, under each mask")
    )


def next_token(df: pd.DataFrame) -> alt.LayerChart:
    """What the model could write at each step: the probability of every token, the chosen one outlined.

    df columns: step (int), token (str), probability, chosen (bool).
    """
    tokens = list(dict.fromkeys(df["token"]))
    base = alt.Chart(df).encode(
        x=alt.X("token:N", sort=tokens, title="token",
                axis=alt.Axis(labelAngle=0, labelOverlap=False, labelFontSize=11)),
        y=alt.Y("step:O", title="step"),
    )
    cells = base.mark_rect().encode(
        color=alt.Color("probability:Q", scale=alt.Scale(domain=[0, 1], range=[NEUTRAL, BLUE]),
                        legend=alt.Legend(orient="right", gradientLength=120)),
        tooltip=[alt.Tooltip("step:O"), alt.Tooltip("token:N"), alt.Tooltip("probability:Q", format=".2%")],
    )
    chosen = base.transform_filter(alt.datum.chosen).mark_rect(fill=None, stroke=ORANGE, strokeWidth=2.5)
    return alt.layer(cells, chosen).properties(height=min(HEIGHT, 34 * int(df["step"].nunique()) + 40),
                                               title="The decoder's next-token probabilities, step by step")


def by_position(df: pd.DataFrame) -> alt.Chart:
    """Letter accuracy at each letter of the answer (1 = the first written), one line per model.

    df columns: model, answer letter (int), letter accuracy (0..1).
    """
    return (
        alt.Chart(df)
        .mark_line(strokeWidth=2.5, point=alt.OverlayMarkDef(size=45))
        .encode(
            x=alt.X("answer letter:O", title="letter of the answer (1 = the first one written)",
                    axis=alt.Axis(labelAngle=0)),
            y=alt.Y("letter accuracy:Q", title="letter accuracy (held-out words)", scale=alt.Scale(domain=[0, 1]),
                    axis=alt.Axis(format="%")),
            color=colour_by("model", in_order(df["model"]), title="model", legend=alt.Legend(columns=2)),
            tooltip=[alt.Tooltip("model:N"), alt.Tooltip("answer letter:O"),
                     alt.Tooltip("letter accuracy:Q", format=".1%")],
        )
        .properties(height=HEIGHT, title="Letter accuracy by answer position, on the held-out words")
    )


VECTOR_PX = 384  # the widest a vector's row of cells is drawn: the chart then fits a laptop's column (1024 px)


def vectors(df: pd.DataFrame) -> alt.FacetChart:
    """One head's query, keys, values and output as rows of coloured cells, one column per dimension.

    The four kinds are stacked (one facet row each, its name above it): side by side they were 1461 px wide
    for a 24-dimension head and shrunk to half their size in a laptop's column (Chromium,
    tests/e2e/test_layout.py). Cells are 16 px wide, narrower for a head of more than VECTOR_PX / 16 dimensions.

    df columns: vector ("q", "k 3 E", "v 3 E", "output = ..."), kind (query, keys, values, output), dimension, value.
    """
    bound = float(df["value"].abs().max()) or 1.0
    kinds = in_order(df["kind"])
    dims = int(df["dimension"].nunique())
    return (
        alt.Chart(df)
        .mark_rect(stroke="white", strokeWidth=0.5)
        .encode(
            x=alt.X("dimension:O", title="dimension", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("vector:N", sort=in_order(df["vector"]), title=None, axis=alt.Axis(labelOverlap=False)),
            color=alt.Color("value:Q", scale=alt.Scale(domain=[-bound, 0, bound], range=[BLUE, NEUTRAL, ORANGE]),
                            legend=alt.Legend(orient="bottom", gradientLength=200)),
            tooltip=[alt.Tooltip("vector:N"), alt.Tooltip("dimension:O"), alt.Tooltip("value:Q", format=".3f")],
        )
        .properties(width=min(SMALL_CELL, VECTOR_PX // dims) * dims)
        .facet(row=alt.Row("kind:N", sort=kinds, title=None,
                           header=alt.Header(labelFontSize=13, labelAngle=0, labelOrient="top", labelAnchor="start",
                                             labelFontWeight="bold")))
        .resolve_scale(y="independent")
        .properties(title="The query, every key, every value and their weighted sum, all dimensions")
    )


def drawn(df: pd.DataFrame) -> alt.Chart:
    """One step's next-token distribution: the model's own (grey) beside the one drawn from after temperature and
    top-k (blue), the drawn token outlined.

    df columns: token, distribution ("the model's" / "after temperature and top-k"), probability, chosen (bool).
    """
    tokens = list(dict.fromkeys(df["token"]))
    order = in_order(df["distribution"])
    return (
        alt.Chart(df)
        .mark_bar(strokeWidth=2.5)
        .encode(
            x=alt.X("token:N", sort=tokens, title="token", axis=alt.Axis(labelAngle=0, labelOverlap=False)),
            xOffset=alt.XOffset("distribution:N", sort=order),
            y=alt.Y("probability:Q", title="probability", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
            color=alt.Color("distribution:N", sort=order, title=None,
                            scale=alt.Scale(domain=order, range=["#BBBBBB", BLUE]), legend=alt.Legend(orient="bottom")),
            stroke=alt.condition(alt.datum.chosen, alt.value(ORANGE), alt.value(None)),
            tooltip=[alt.Tooltip("token:N"), alt.Tooltip("distribution:N"),
                     alt.Tooltip("probability:Q", format=".2%"), alt.Tooltip("chosen:N", title="drawn")],
        )
        .properties(height=HEIGHT, title="The next token's distribution at this step (outlined: the token drawn)")
    )


def cross_attention(df: pd.DataFrame) -> alt.Chart:
    """The decoder's cross-attention: row = the output position writing, column = the input position read.

    df columns: output ("2 U": the answer letter, from 1), output position (from 0), input ("5 E": the input
    position, from 0), input position, weight (each row sums to 1).
    """
    inputs, outputs = _ordered(df, "input", "input position"), _ordered(df, "output", "output position")
    return (
        _weights(df, ("input", inputs, "input position read (encoder)"),
                 ("output", outputs, "answer letter writing (decoder, from 1)"), "cross-attention weight",
                 [alt.Tooltip("output:N"), alt.Tooltip("input:N")])
        # A step per row, not a height: ui/show takes a fixed height as the whole chart's and gives the plot what
        # its title and axes leave, which squeezed 8 rows into ~110 px in presenter mode (their labels piled up).
        .properties(width=CELL * len(inputs), height=alt.Step(CELL),
                    title="Cross-attention, averaged over heads: where each written letter looks")
    )

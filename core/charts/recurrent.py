"""Chart builders of the RNN / LSTM page (slide 69): accuracy vs length, gate heat maps, gradients through time."""
from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

from core.charts.theme import HEIGHT, NEUTRAL, PALETTE, colour_by, in_order, thin

CHANCE = 0.25  # four symbols
# Gated cells often both reach 100%: the GRU is drawn dashed on top of a wide, pale LSTM, so two equal
# lines stay two visible lines, and the legend shows each cell's line (colour, dash and width) as drawn.
# The LSTM race (section 6) likewise draws the bidirectional LSTM dashed over the LSTM; each cell keeps its
# colour (its place in this order) on every chart of the page.
CELL_DASH = {"RNN": [1, 0], "GRU": [7, 4], "LSTM": [1, 0], "2-layer LSTM": [1, 0], "bidirectional LSTM": [7, 4]}
CELL_WIDTH = {"RNN": 2.5, "GRU": 3.0, "LSTM": 8.0, "2-layer LSTM": 2.5, "bidirectional LSTM": 3.0}
WIDE = "LSTM"
STAGE_DASH = {"trained": [1, 0], "at initialization": [6, 4]}
GATE_TITLES = {"input gate": "input gate i (how much to write)", "forget gate": "forget gate f (how much to keep)",
               "output gate": "output gate o (how much to show)", "cell state": "cell state c (the memory)"}
PANEL_HEIGHT = 320


def _ticks(last: int, every: int = 10) -> list[int]:
    """Axis values 1, 10, 20, ... up to `last`: a readable axis for one cell per step."""
    return [1, *range(every, last + 1, every)]


def _step_cells(df: pd.DataFrame, title: str) -> tuple[pd.DataFrame, alt.X, alt.X2]:
    """One cell per step on a continuous x axis (step ± 0.5), so the chart stretches to its column.

    A discrete (ordinal) x axis would give every step a fixed width in pixels: 60 steps make a chart
    wider than a column, which the browser then shrinks, fonts and height included.
    """
    last = int(df["step"].max())
    cells = df.assign(step_lo=df["step"] - 0.5, step_hi=df["step"] + 0.5)
    x = alt.X("step_lo:Q", title=title, scale=alt.Scale(domain=[0.5, last + 0.5], nice=False, zero=False),
              axis=alt.Axis(values=_ticks(last)))
    return cells, x, alt.X2("step_hi")


def cell_order(cells: pd.Series) -> list[str]:
    """The cells present, in CELL_DASH's order."""
    present = set(cells)
    return [c for c in CELL_DASH if c in present]


def cell_colour(cells: list[str], **kwargs: Any) -> alt.Color:
    """Colour by cell, each its own palette colour on every chart (kwargs: legend)."""
    return alt.Color("cell:N", title="cell", scale=alt.Scale(domain=cells, range=[
        PALETTE[list(CELL_DASH).index(c)] for c in cells]), **kwargs)


def _accuracy_lines(df: pd.DataFrame, x: alt.X, tooltip: list[alt.Tooltip], points: bool) -> list[alt.Chart]:
    """Accuracy lines per cell that stay readable when they coincide (gated cells often both reach 100%):
    the LSTM wide and pale underneath, the GRU dashed on top, a legend of line samples that shows
    each cell's colour, dash and width; and the 25% chance level, labelled."""
    y = alt.Y("accuracy:Q", title="validation accuracy", scale=alt.Scale(domain=[0, 1.02], nice=False),
              axis=alt.Axis(format="%"))
    legend = alt.Legend(symbolType="stroke", symbolSize=900)  # 30 px samples: long enough to show the dash
    cells = cell_order(df["cell"])  # the three channels share this domain, so that their legends merge into one
    dash = alt.StrokeDash("cell:N", title="cell", legend=legend,
                          scale=alt.Scale(domain=cells, range=[CELL_DASH[c] for c in cells]))
    # An ordinal scale gives each cell its listed width; the default (point) would spread them between the first two.
    width = alt.StrokeWidth("cell:N", title="cell", legend=legend,
                            scale=alt.Scale(type="ordinal", domain=cells, range=[CELL_WIDTH[c] for c in cells]))
    base = alt.Chart(df).encode(
        x=x, y=y, color=cell_colour(cells, legend=legend), strokeDash=dash, strokeWidth=width, tooltip=tooltip)
    wide = base.transform_filter(alt.datum.cell == WIDE).mark_line(opacity=0.7)
    dots = alt.OverlayMarkDef(size=60, filled=True) if points else False
    lines = base.transform_filter(alt.datum.cell != WIDE).mark_line(point=dots)
    level = alt.Chart(pd.DataFrame({"chance": [CHANCE], "label": ["chance (25%)"]})).encode(y=alt.Y("chance:Q"))
    chance = level.mark_rule(strokeDash=[4, 4], color="#777777")
    label = level.mark_text(align="left", dx=4, dy=-8, color="#555555", fontSize=13).encode(
        x=alt.value(0), text=alt.Text("label:N"))
    return [wide, lines, chance, label]


def length_curves(table: pd.DataFrame) -> alt.LayerChart:
    """Validation accuracy vs sequence length, a line per cell, the 25% chance level as a dashed rule.

    table columns: cell, length, validation accuracy, networks ("shipped" | "your run"); a student's
    own run is drawn as large diamonds on top of the shipped lines.
    """
    df = table.rename(columns={"validation accuracy": "accuracy"})
    x = alt.X("length:Q", title="sequence length (tokens: the symbol + distractors)", scale=alt.Scale(zero=False),
              axis=alt.Axis(values=sorted(int(n) for n in df["length"].unique())))
    tooltip = [alt.Tooltip("cell:N"), alt.Tooltip("length:Q"), alt.Tooltip("accuracy:Q", format=".1%"),
               alt.Tooltip("networks:N")]
    layers = _accuracy_lines(df[df["networks"] == "shipped"], x, tooltip, points=True)
    own = df[df["networks"] != "shipped"]
    if not own.empty:
        layers.append(alt.Chart(own).mark_point(shape="diamond", size=260, filled=True, stroke="black", strokeWidth=1)
                      .encode(x=x, y=alt.Y("accuracy:Q"), tooltip=tooltip,
                              color=cell_colour(cell_order(df["cell"]))))
    return alt.layer(*layers).properties(height=HEIGHT, title="Validation accuracy by sequence length")


def step_accuracy(per_position: pd.DataFrame) -> alt.LayerChart:
    """Sequence output: validation accuracy of the answer given after each step, a line per cell.

    per_position columns: cell, step, accuracy.
    """
    x = alt.X("step:Q", title="step (tokens read so far)", scale=alt.Scale(domain=[1, int(per_position["step"].max())],
                                                                           nice=False))
    tooltip = [alt.Tooltip("cell:N"), alt.Tooltip("step:Q"), alt.Tooltip("accuracy:Q", format=".1%")]
    return alt.layer(*_accuracy_lines(per_position, x, tooltip, points=False)).properties(
        height=HEIGHT, title="Sequence output: validation accuracy after each step")


def gate_heat(frame: pd.DataFrame, quantity: str) -> alt.Chart:
    """One panel: `quantity` of every LSTM unit (rows) at every step (columns) of one sequence.

    frame columns: step (int, 1 = the symbol), token, unit (int, 1 = the unit that carries the symbol),
    quantity, value. Gates lie in (0, 1) on one light-to-dark scale; the cell state is signed, on a
    blue-white-orange scale centred on 0.
    """
    df = frame[frame["quantity"] == quantity]
    if quantity == "cell state":
        bound = float(df["value"].abs().max()) or 1.0
        scale = alt.Scale(domain=[-bound, 0, bound], range=[PALETTE[0], NEUTRAL, PALETTE[1]])
    else:
        scale = alt.Scale(domain=[0, 1], scheme="viridis")
    cells, x, x2 = _step_cells(df, "step (1 = the symbol)")
    return (
        alt.Chart(cells)
        .mark_rect()
        .encode(
            x=x,
            x2=x2,
            y=alt.Y("unit:O", title="unit (1 = memory)", axis=alt.Axis(values=_ticks(int(df["unit"].max()), 5))),
            color=alt.Color("value:Q", scale=scale, title=quantity,
                            legend=alt.Legend(orient="right", gradientLength=120)),
            tooltip=[alt.Tooltip("step:Q"), alt.Tooltip("token:N"), alt.Tooltip("unit:O"),
                     alt.Tooltip("value:Q", title=quantity, format=".3f")],
        )
        .properties(height=PANEL_HEIGHT, title=GATE_TITLES.get(quantity, quantity))
    )


def unit_lines(memory: pd.DataFrame) -> alt.LayerChart:
    """One unit over the sequence: its three gates (left axis, 0 to 1) and its cell state (black, right axis).

    memory columns: step, token, quantity (the gates and "cell state"), value.
    """
    gates = memory[memory["quantity"] != "cell state"]
    cell = memory[memory["quantity"] == "cell state"]
    x = alt.X("step:Q", title="step (1 = the symbol)", scale=alt.Scale(nice=False))
    tooltip = [alt.Tooltip("step:Q"), alt.Tooltip("token:N"), alt.Tooltip("quantity:N"),
               alt.Tooltip("value:Q", format=".3f")]
    left = (alt.Chart(gates).mark_line(strokeWidth=2.5)
            .encode(x=x, y=alt.Y("value:Q", title="gate (0 = closed, 1 = open)", scale=alt.Scale(domain=[0, 1])),
                    color=colour_by("quantity", in_order(gates["quantity"]), title="unit 1"), tooltip=tooltip))
    right = (alt.Chart(cell).mark_line(strokeWidth=3, color="#000000")
             .encode(x=x, y=alt.Y("value:Q", title="cell state c (black line)", axis=alt.Axis(orient="right")),
                     tooltip=tooltip))
    return alt.layer(left, right).resolve_scale(y="independent").properties(
        height=HEIGHT, title="Unit 1's gates and cell state along your sequence")


def gradient_lines(norms: pd.DataFrame, stages: tuple[str, ...] = ("at initialization", "trained")) -> alt.Chart:
    """‖∂loss/∂x_t‖ over the steps t on a log scale, colour = cell, dashed = at initialization.

    norms columns: cell, stage, step, gradient norm; only the rows of `stages` are drawn.
    """
    df = thin(norms[norms["stage"].isin(stages)], by=("cell", "stage"))
    return (
        alt.Chart(df)
        .mark_line(strokeWidth=2.5)
        .encode(
            x=alt.X("step:Q", title="input step t (1 = the symbol; the answer comes after the last)",
                    scale=alt.Scale(nice=False)),
            y=alt.Y("gradient norm:Q", title="‖∂loss/∂x_t‖ (log scale)", scale=alt.Scale(type="log"),
                    axis=alt.Axis(format=".0e")),
            color=colour_by("cell", in_order(df["cell"]), title="cell"),
            strokeDash=alt.StrokeDash("stage:N", title="networks",
                                      scale=alt.Scale(domain=list(STAGE_DASH), range=list(STAGE_DASH.values()))),
            tooltip=[alt.Tooltip("cell:N"), alt.Tooltip("stage:N"), alt.Tooltip("step:Q"),
                     alt.Tooltip("gradient norm:Q", format=".3g")],
        )
        .properties(height=HEIGHT, title="How much gradient reaches each input step")
    )


def step_answers(steps: pd.DataFrame) -> alt.Chart:
    """A sequence-output network's answer after every step: P(symbol) per step, one row per symbol.

    steps columns: step, token, symbol, probability.
    """
    cells, x, x2 = _step_cells(steps, "step (the token just read)")
    return (
        alt.Chart(cells)
        .mark_rect()
        .encode(
            x=x,
            x2=x2,
            y=alt.Y("symbol:N", title="answer"),
            color=alt.Color("probability:Q", scale=alt.Scale(domain=[0, 1], scheme="blues"), title="P(answer)",
                            legend=alt.Legend(orient="right", gradientLength=100)),
            tooltip=[alt.Tooltip("step:Q"), alt.Tooltip("token:N"), alt.Tooltip("symbol:N"),
                     alt.Tooltip("probability:Q", format=".3f")],
        )
        .properties(height=220, title="The sequence-output LSTM's answer after each token of your sequence")
    )

"""Placing charts and tables on a page, each with its data as a CSV download, plus two small diagrams."""
from __future__ import annotations

import base64
import copy
import functools
import html
import os
from collections.abc import Callable, Sequence
from typing import Any, Literal

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit.errors import StreamlitPageNotFoundError

from core.charts import BLUE, ORANGE, PALETTE, raster, style
from core.charts.theme import wrap_titles
from ui import layout, presenter, store, streamlit_internals
from ui.untrusted import escape


def _csv_button(data: pd.DataFrame, key: str, filename: str | None) -> None:
    # The CSV is written only when clicked (a callable, run off the script thread), and the
    # download does not rerun the page.
    st.download_button(
        "Download data (CSV)",
        data=functools.partial(data.to_csv, index=False),
        file_name=filename or f"{key}.csv",
        mime="text/csv",
        key=f"{key}-csv",
        on_click="ignore",
        type="tertiary",
        icon=":material/download:",
    )


# The chart specs (ui/store.py), kept as objects; each use gets a deep copy (its Arrow bytes shared, being
# immutable), since Streamlit edits the spec it is given.
SPECS = store.Store("chart specs", int(os.environ.get("LESSON_SPECS_MB", 32)) * 2**20, copy=False)


def _spec(name: str, args: tuple[Any, ...], kwargs: dict[str, Any], builder: Callable[..., alt.TopLevelMixin]) -> dict:
    """The Vega-Lite spec of `builder(*args, **kwargs)` in the app's theme, kept under (name, args, kwargs),
    its datasets already in the Arrow format st.vega_lite_chart sends.

    Building an Altair chart and validating it is slow next to a rerun; a page's rerun redraws the same
    charts from the same cached results, so each spec is built once and then reused. Converting a
    dataset to Arrow (through pandas) is most of what st.vega_lite_chart does with a spec, on every
    rerun of every session: done here, once, it passes Arrow bytes through as they are.
    """
    def build() -> dict:
        spec = style(builder(*args, **kwargs)).to_dict()
        if "datasets" in spec:
            spec["datasets"] = {name: streamlit_internals.arrow_dataset(rows) if isinstance(rows, list) else rows
                                for name, rows in spec["datasets"].items()}  # a list of rows; else as it was
        return spec

    return copy.deepcopy(SPECS.get(store.key(name, args, kwargs), build))


def chart(
    builder: Callable[..., alt.TopLevelMixin],
    *args: Any,
    key: str,
    data: pd.DataFrame | None = None,
    filename: str | None = None,
    on_select: Literal["ignore", "rerun"] = "ignore",
    **kwargs: Any,
) -> Any:
    """Draw `builder(*args, **kwargs)` (a core.charts builder) full width, with its data downloadable.

    `data` (default: the first argument) is what the CSV button offers. With on_select="rerun" it
    returns the selection state (e.g. `state.selection["click"]` for core.charts.boundary).
    """
    spec = _spec(f"{builder.__module__}.{builder.__qualname__}", args, kwargs, builder)
    state = st.vega_lite_chart(_for_screen(spec), width="stretch", key=key, on_select=on_select)
    _csv_button(args[0] if data is None else data, key, filename)
    return state


# Characters per title line: a third of a 1024 px window's main column holds about 38 of Vega's bold 14 px
# title font, 28 in presenter mode's 1.4 times larger one (core/charts/theme.wrap_titles says why).
TITLE_CHARS, PRESENTER_TITLE_CHARS = 38, 28


def _for_screen(spec: dict) -> dict:
    """The spec as this session shows it: titles wrapped, and larger fonts in presenter mode (for a projector)."""
    on = presenter.is_on()
    spec = wrap_titles(spec, PRESENTER_TITLE_CHARS if on else TITLE_CHARS)
    # Room above the title: Vega fits a chart into its height and draws the lines of a title above the first
    # beyond the drawing's top edge, where they are cut (measured in Chromium: 11 px for one line more, 24 px for
    # two in presenter mode), so the padding grows by a line for each line more.
    line_px = TITLE_LINE_PX * (presenter.FONT_SCALE if on else 1)
    spec = {**spec, "padding": {"top": round(12 + line_px * (_title_lines(spec) - 1)), "left": 5, "right": 5,
                                "bottom": 5}}
    if isinstance(spec.get("height"), (int, float)):
        # A single view's height was the whole chart's (Vega's "fit"), so that its title, axis title and
        # legend came out of the plot: with a title wrapped into four lines in presenter mode the plot was
        # squashed to ~30 px (Chromium, the regularization baseline). The plot now keeps a fixed height of
        # its own (what the chart's height leaves after one line of title, an axis and a legend, as drawn
        # at normal size) and the chart grows by what its title and fonts need beyond that.
        spec = {**spec, "height": max(round(spec["height"] - DECORATION_PX), round(spec["height"] / 2)),
                "autosize": {"type": "fit-x", "contains": "padding"}}
    return presenter.enlarge(spec) if on else spec


TITLE_LINE_PX = 18  # a line of the theme's 14 px title font (13 px subtitle) with its spacing
DECORATION_PX = 120  # a one-line title, an x axis with its title and a legend below, at normal size


def _title_lines(spec: dict) -> int:
    """How many lines the spec's title and subtitle take (at least 1), after wrap_titles."""
    title = spec.get("title") or spec.get("spec", {}).get("title") or ""
    parts = [title.get("text", ""), title.get("subtitle", "")] if isinstance(title, dict) else [title]
    return max(1, sum(len(p) if isinstance(p, list) else int(bool(p)) for p in parts))


def redraw(slot: DeltaGenerator, chart: alt.TopLevelMixin) -> None:
    """Draw a chart into an st.empty() placeholder while training runs (no key, no download:
    the final chart drawn with `chart()` replaces it), with the fonts of presenter mode too."""
    slot.vega_lite_chart(_for_screen(style(chart).to_dict()), width="stretch")


# The live decision map's block (`picture`): as tall as the Vega chart that replaces it after training, with its
# CSV button (measured in Chromium at 1024-1920 px wide: the map's chart is 445 px, 531 in presenter mode, and
# the button row under it 54 px), so that the page does not jump when the run ends. Presenter mode zooms the
# block by presenter.ZOOM, hence its height divided by it there.
PICTURE_PX, PRESENTER_PICTURE_PX = 445 + 54, 531 + 54
PLOT_PX, AXIS_PX = 260, 63  # the map chart's plot height (show._for_screen) and its y axis's width, at 1280 px
LEGEND_STOPS = 9  # colours of the legend's gradient: enough that the browser's RGB blend follows the map's HCL scale


def _gradient(start: float, end: float) -> str:
    """A CSS gradient's colours along the decision map's scale of P(class 1), from `start` to `end`."""
    return ", ".join(f"rgb{tuple(int(v) for v in c)}" for c in raster.colours(np.linspace(start, end, LEGEND_STOPS)))


def legend_html(name: str = "P(class 1)", low: str = "0", high: str = "1") -> str:
    """The decision map's colour scale as one inline line: `name` from `low` to `high`."""
    return (f'{html.escape(name)}: {low} <span style="display:inline-block;width:120px;height:10px;'
            f'vertical-align:middle;background:linear-gradient(to right, {_gradient(0, 1)})"></span> {high}')


def decision_picture(slot: DeltaGenerator, png: bytes, title: str, subtitle: str) -> None:
    """Draw a decision map's PNG (core.charts.raster.Picture) into an st.empty() placeholder while training
    runs: a cheap redraw, one small HTML element whose picture the browser only decodes, where a Vega chart
    with a rect per cell is embedded anew.

    Headed by `title` and `subtitle` as the chart that replaces it (charts.boundary) is, with its P(class 1)
    legend beside it; as tall as that chart (PICTURE_PX).
    """
    on = presenter.is_on()
    zoom = presenter.ZOOM if on else 1  # presenter mode zooms the block: its pixel sizes shrink to match
    height = (PRESENTER_PICTURE_PX if on else PICTURE_PX) / zoom
    gradient = _gradient(1, 0)
    source = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    slot.html(
        f'<div class="live-picture" style="height:{height:.0f}px;padding:12px 5px 0 5px;box-sizing:border-box">'
        f'<div style="font-weight:700;font-size:14px;line-height:1.3">{html.escape(title)}</div>'
        f'<div style="font-size:13px;line-height:1.4;margin-bottom:10px">{html.escape(subtitle)}</div>'
        # Where the chart has its y axis, its plot (PLOT_PX high) and its legend.
        f'<div style="display:flex;gap:14px;height:{PLOT_PX / zoom:.0f}px;padding-left:{AXIS_PX / zoom:.0f}px">'
        f'<img class="live-map" alt="{html.escape(title)}" src="{source}" '
        'style="flex:1;min-width:0;height:100%;object-fit:fill">'
        '<div style="font-size:12px;font-weight:700;width:64px">P(class 1)'
        '<div style="display:flex;gap:6px;margin-top:6px;font-weight:400">'
        f'<div style="width:16px;height:120px;background:linear-gradient({gradient})"></div>'
        '<div style="display:flex;flex-direction:column;justify-content:space-between;height:120px">'
        '<span>1.0</span><span>0.5</span><span>0.0</span></div></div></div></div></div>'
    )


# A table of up to this many rows is drawn as a static table (st.table), one of more rows as an
# interactive st.dataframe that scrolls.
PRESENTER_ROWS = 40


def table(df: pd.DataFrame, key: str, filename: str | None = None) -> None:
    """A DataFrame without its index, with the same CSV download as a chart.

    A table of up to PRESENTER_ROWS rows is drawn whole as a static st.table: a small table reads
    better whole, and it must fit a laptop. A static table wraps its cells (ui/layout.py lets long
    cells break) and takes the presenter zoom like text, so every column shows; an interactive
    st.dataframe can neither wrap nor shrink, and at 1024x768 with the sidebar open it cut the columns
    of tables on most pages (tests/e2e/test_layout.py). A longer table stays an st.dataframe, which
    scrolls (in presenter mode it keeps its small font: zoomed, its canvas would misplace clicks).
    """
    if len(df) <= PRESENTER_ROWS:
        st.table(_as_text(df), hide_index=True)
    else:
        st.dataframe(df, hide_index=True, key=key)
    _csv_button(df, key, filename)


def warnings(messages: dict[str, str], named: bool = True) -> None:
    """Core's messages (a blown-up loss, values that overflowed) as warnings, each under its run's name if `named`;
    runs with the same message share one warning (three identical ones filled a projector's screen)."""
    names: dict[str, list[str]] = {}
    for name, message in messages.items():
        names.setdefault(message, []).append(name)
    for message, runs in names.items():
        st.warning(f"**{', '.join(runs)}:** {message}" if named else message)


def _as_text(df: pd.DataFrame) -> pd.DataFrame:
    """The table with its text cells and column names escaped: st.table renders them as Markdown, so a cell
    "-" became a bullet, and an uploaded CSV's header or label could have drawn a link or an image."""
    text = [c for c in df.columns if pd.api.types.is_object_dtype(df[c]) or pd.api.types.is_string_dtype(df[c])]
    if not text and all(isinstance(c, (int, float)) or escape(str(c)) == str(c) for c in df.columns):
        return df
    out = df.assign(**{str(c): df[c].map(lambda v: escape(v) if isinstance(v, str) else v) for c in text})
    return out.rename(columns=lambda c: escape(c) if isinstance(c, str) else c)


def nested_boxes(layers: Sequence[tuple[str, str]]) -> None:
    """Boxes inside boxes, outermost first (AI > ML > DL): a name and a one-line meaning each."""
    inner = ""
    for depth, (name, meaning) in reversed(list(enumerate(layers))):
        colour = PALETTE[depth % len(PALETTE)]
        inner = (
            f'<div style="border:2px solid {colour};border-radius:10px;padding:10px 14px;'
            f'margin-top:8px;background:{colour}14">'
            f'<b style="color:{colour}">{html.escape(name)}</b>'
            f'<div style="font-size:0.9em">{html.escape(meaning)}</div>{inner}</div>'
        )
    st.markdown(inner, unsafe_allow_html=True)


STEP_COLOURS = {"data": "#999999", "hand": BLUE, "learned": ORANGE}


def pipeline(name: str, steps: Sequence[tuple[str, str]]) -> None:
    """One row of boxes joined by arrows; each step is (text, kind), kind in STEP_COLOURS."""
    boxes = " → ".join(
        f'<span style="display:inline-block;border:2px solid {STEP_COLOURS[kind]};border-radius:8px;'
        f'padding:2px 8px;margin:3px 0;font-size:0.92em">{html.escape(text)}</span>'
        for text, kind in steps
    )
    st.markdown(f"**{html.escape(name)}**<br>{boxes}", unsafe_allow_html=True)


def images(pictures: Sequence[Any], captions: Sequence[str], columns: int | None = None) -> None:
    """A row (or rows) of pictures with captions, `columns` per row (default: all in one row)."""
    columns = columns or len(pictures)
    for start in range(0, len(pictures), columns):
        for column, picture, caption in zip(st.columns(columns), pictures[start : start + columns],
                                            captions[start : start + columns]):
            column.image(picture, caption=caption, width="stretch")


def folded(label: str, key: str, figure: bool = False):
    """An expander whose content the page draws only while it is open; use it as

        with show.folded("The code", key="x-code") as more:
            if more.open:
                st.code(...)

    A plain st.expander's content is sent and drawn in the browser even while it is closed (a code
    listing loads a 1.5 MB highlighter, a table its grid): a page's first view pays for every one of
    them. Opening it reruns the page (from the cache) with the content drawn.

    figure: it holds a chart of the lesson rather than a detail (code, a table), so presenter mode keeps it; its key
    becomes `key` + ui.layout.FIGURE_INFIX + "open".
    """
    return st.expander(label, key=f"{key}{layout.FIGURE_INFIX}open" if figure else key, on_change="rerun")


def layers(frame: pd.DataFrame, key: str, title: str = "Input") -> None:
    """An architecture as a row of boxes, one per layer of `core.zoo.shapes.trace`: kind and output shape.

    The first box is the input; boxes with weights have a coloured border. The table itself is
    below in an expander, with its CSV download.
    """
    def box(kind: str, shape: str, params: int) -> str:
        colour = ORANGE if params else "#999999"
        count = f"<br><small>{params:,} weights</small>" if params else ""
        return (f'<span style="display:inline-block;border:2px solid {colour};border-radius:8px;padding:2px 8px;'
                f'margin:3px 0;font-size:0.9em;text-align:center;vertical-align:middle">'
                f'<b>{html.escape(kind)}</b><br>{html.escape(shape)}{count}</span>')

    shown = frame.assign(shape=frame["output shape"].map(lambda s: " × ".join(map(str, s)) if s else "-"))
    first = shown.attrs.get("input shape")
    boxes = ([box(title, " × ".join(map(str, first)), 0)] if first else []) + [
        box(r.kind, r.shape, int(r.parameters)) for r in shown.itertuples()]
    st.markdown(" → ".join(boxes), unsafe_allow_html=True)
    with folded("The layers as a table (from a real forward pass)", key=f"{key}-more") as more:
        if more.open:
            table(shown.drop(columns="shape").assign(**{"output shape": shown["shape"]}), key=key)


def page_link(page: str, label: str, icon: str = ":material/arrow_forward:") -> None:
    """A link to another page of the app, or its name as text when the page is not registered
    (a page run on its own, e.g. in AppTest, has no Home and no other pages to link to)."""
    try:
        st.page_link(page, label=label, icon=icon)
    except StreamlitPageNotFoundError:
        st.markdown(f"{label} (`{page}`)")

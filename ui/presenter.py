"""Presenter mode: the page as a projector needs it, switched on in the sidebar or with `?presenter=true`.

What changes (the page computes exactly the same):
- text, headings, controls, metrics, images and the "What to notice" boxes are ZOOM times larger
  (CSS zoom on each element of the main area; the columns keep their widths and text reflows);
- charts keep filling their column, and their fonts are FONT_SCALE times larger (`enlarge`, applied
  to the chart's Vega-Lite spec where it is drawn, ui/show.chart and the live redraws of ui/show.redraw).
  Charts and interactive tables (st.dataframe) are left out of the CSS zoom: both measure their
  container to size themselves, and zoomed they would overflow it (as seen in Chromium); a zoomed chart
  would also misplace clicks on it. So that tables grow all the same, ui/show.table draws a table of up
  to 40 rows as a static st.table (in every mode), which takes the zoom and wraps its cells instead of
  cutting columns. Displayed formulas (st.latex) keep their size: they do not wrap, and zoomed they
  were cut off in narrow columns;
- the "What to notice" boxes wait for the teacher's Reveal button (ui/chrome.notice);
- secondary elements are hidden. "Secondary" means what a student needs at a desk but a class
  watching one screen does not: the "Download data (CSV)" button under every chart and table,
  folded expanders (code listings and detail tables, e.g. a scaler's fitted numbers or an architecture's
  layer table) and file uploaders ("your own data"). Controls, charts, tables, metrics, captions
  and the "What to notice" boxes stay.

One value, one reader: the toggle's value in the session (`st.session_state[KEY]`), read through
`is_on()` by everything that depends on it (the style sheet, chart fonts, tables, the walkthrough's
Reveal buttons), and written into the URL as `presenter=true` by `toggle()` itself, so every link
that copies the URL (the share link) or is built from `carried()` (walkthrough links, "Reset this
page") takes it along; a fresh session (a link opened anew) starts from the URL's value.

Why not Streamlit's own URL binding (`bind="query-params"`), as every other control has: in
Streamlit 1.67 a bound widget's binding belongs to the page that drew it, and the toggle is drawn
on every page. Opened from a link (`?presenter=true`), it was switched off by the first click on a
sidebar link or a Home card (st.page_link): the new page drops the other page's bound parameter,
and the new page's toggle registers at its default (seen in Chromium; a click on the toggle itself
happened to survive). Here the session's value is handed to the new page's toggle before it
registers (`st.session_state[KEY] = st.session_state[KEY]`, the documented way to keep a widget's
value across pages) and the URL is brought in line after it.
"""
from __future__ import annotations

from typing import Any

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from ui import layout

KEY = "presenter"
ZOOM = 1.3
FONT_SCALE = 1.4
HIDDEN = ("stDownloadButton", "stExpander", "stFileUploader")  # Streamlit test ids; tests/e2e check them
SECTION = layout.SECTION_WRAPPER  # a page's sections are expanders too (ui/chrome.section): they stay
KEPT = f"{SECTION}, {layout.FIGURE_WRAPPER}"  # and so do folded figures (ui/show.folded(..., figure=True))
KEEP_SIZE = ('[data-testid="stVegaLiteChart"]', '[data-testid="stDataFrame"]', ".katex-display")
_ELEMENT = '[data-testid="stMain"] [data-testid="stElementContainer"]'
CSS = (
    "<style>\n"
    f"{_ELEMENT}:not(:has({', '.join(KEEP_SIZE)})) {{ zoom: {ZOOM}; }}\n"
    + "".join(f'{_ELEMENT}:not({KEPT}):has(> [data-testid="{t}"]), :not({KEPT}) > [data-testid="{t}"] '
              '{ display: none !important; }\n' for t in HIDDEN)
    + f'{SECTION} > [data-testid="stExpander"] > details > summary {{ zoom: {ZOOM}; }}\n'  # headings grow too
    + "</style>"
)
# Vega-Lite's own font sizes where a spec sets none (its documented defaults), so that every text grows.
VEGA_DEFAULTS = {
    "axis": {"labelFontSize": 10, "titleFontSize": 11},
    "legend": {"labelFontSize": 10, "titleFontSize": 11},
    "header": {"labelFontSize": 10, "titleFontSize": 11},
    "title": {"fontSize": 13, "subtitleFontSize": 10},
    "text": {"fontSize": 11},
}


def toggle() -> bool:
    """The sidebar switch; its value lives in the session, starts from the URL, and is written back there."""
    if KEY in st.session_state:  # keep the session's value across a page change (module docstring)
        st.session_state[KEY] = st.session_state[KEY]
    elif KEY in st.query_params:  # the session's first run: the link decides
        st.session_state[KEY] = st.query_params[KEY].lower() == "true"
    on = st.sidebar.toggle(
        "Presenter mode", key=KEY,
        help="For a projector: larger text, controls and chart fonts; download buttons, folded code listings and "
             "detail tables, and uploads hidden (the page's sections stay). The same as adding ?presenter=true "
             "to the link.",
    )
    if on and st.query_params.get(KEY) != "true":
        st.query_params[KEY] = "true"
    elif not on and KEY in st.query_params:
        del st.query_params[KEY]
    return on


def is_on() -> bool:
    """Presenter mode is on in this session: the one place that says so (off outside a script run)."""
    return get_script_run_ctx(suppress_warning=True) is not None and bool(st.session_state.get(KEY, False))


def carried() -> dict[str, str]:
    """The URL parameter that keeps presenter mode on a link that loads a page afresh ({} when off)."""
    return {KEY: "true"} if is_on() else {}


def apply() -> None:
    """Add the presenter style sheet to the page when it is on (st.html of style only takes no space)."""
    if is_on():
        st.html(CSS)


def _scaled(config: dict[str, Any], scale: float) -> dict[str, Any]:
    """A copy of a Vega-Lite config with every *fontSize number multiplied by `scale`."""
    out: dict[str, Any] = {}
    for key, value in config.items():
        if isinstance(value, dict):
            out[key] = _scaled(value, scale)
        elif key.lower().endswith("fontsize") and isinstance(value, (int, float)) and not isinstance(value, bool):
            out[key] = round(value * scale, 1)
        else:
            out[key] = value
    return out


def enlarge(spec: dict[str, Any], scale: float = FONT_SCALE) -> dict[str, Any]:
    """The same Vega-Lite spec with its fonts `scale` times larger: configured sizes and Vega-Lite's defaults.

    Only `config` is copied; the data and encodings are shared with `spec`, which stays unchanged.
    """
    config = {part: {**sizes, **spec.get("config", {}).get(part, {})} for part, sizes in VEGA_DEFAULTS.items()}
    scaled = _scaled({**spec.get("config", {}), **config}, scale)
    # Legends in fewer columns: at these fonts a fourth column fell past a half-width chart's edge, where Vega
    # cut it off with its entries (RMSprop's, early stopping's: seen in Chromium at 1280x720).
    legend = scaled.get("legend", {})
    scaled["legend"] = {**legend, "columns": min(legend.get("columns", LEGEND_COLUMNS), LEGEND_COLUMNS)}
    return {**spec, "config": scaled}


LEGEND_COLUMNS = 2  # at most, in presenter mode

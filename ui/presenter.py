"""Presenter mode: the page as a projector needs it, switched on in the sidebar or with `?presenter=true`.

What changes (the page computes exactly the same):
- text, headings, controls, metrics, images and the "What to notice" boxes are ZOOM times larger
  (CSS zoom on each element of the main area; the columns keep their widths and text reflows);
- charts keep filling their column, and their fonts are FONT_SCALE times larger (`enlarge`, applied
  to the chart's Vega-Lite spec where it is drawn). Charts and tables are left out of the CSS zoom:
  both measure their container to size themselves, and zoomed they would overflow it (as seen in
  Chromium); a zoomed chart would also misplace clicks on it. Displayed formulas
  (st.latex) keep their size too: they do not wrap, and zoomed they were cut off in narrow columns;
- secondary elements are hidden. "Secondary" means what a student needs at a desk but a class
  watching one screen does not: the "Download data (CSV)" button under every chart and table,
  expanders (code listings and detail tables, e.g. a scaler's fitted numbers or an architecture's
  layer table) and file uploaders ("your own data"). Controls, charts, tables, metrics, captions
  and the "What to notice" boxes stay.

The toggle is bound to the URL and persists for the session, so it survives page changes, and
the walkthrough's links (which load a page afresh) carry it along as `presenter=true`.
"""
from __future__ import annotations

from typing import Any

import streamlit as st

KEY = "presenter"
ZOOM = 1.3
FONT_SCALE = 1.4
HIDDEN = ("stDownloadButton", "stExpander", "stFileUploader")  # Streamlit test ids; tests/e2e check them
KEEP_SIZE = ('[data-testid="stVegaLiteChart"]', '[data-testid="stDataFrame"]', ".katex-display")
_ELEMENT = '[data-testid="stMain"] [data-testid="stElementContainer"]'
CSS = (
    "<style>\n"
    f"{_ELEMENT}:not(:has({', '.join(KEEP_SIZE)})) {{ zoom: {ZOOM}; }}\n"
    + "".join(f'{_ELEMENT}:has(> [data-testid="{t}"]), [data-testid="{t}"] {{ display: none !important; }}\n'
              for t in HIDDEN)
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
    """The sidebar switch; its value lives in the URL and in the session."""
    return st.sidebar.toggle(
        "Presenter mode", key=KEY, bind="query-params", persist_state="session",
        help="For a projector: larger text, controls and chart fonts; download buttons, code and detail "
             "expanders and uploads hidden. The same as adding ?presenter=true to the link.",
    )


def apply(on: bool) -> None:
    """Add the presenter style sheet to the page when `on` (st.html of style only takes no space)."""
    if on:
        st.html(CSS)


def is_on() -> bool:
    return bool(st.session_state.get(KEY, False))


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
    return {**spec, "config": _scaled({**spec.get("config", {}), **config}, scale)}

"""Helpers of the page tests: what AppTest saw of a page's charts and pictures, for comparing two renders."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest


def charts(at: AppTest) -> list[bytes]:
    """Every Vega-Lite chart's spec and data as sent to the browser, in page order."""
    return [c.proto.SerializeToString() for c in at.get("vega_lite_chart")]


def images(at: AppTest) -> list[bytes]:
    """Every st.image as sent to the browser, in page order."""
    return [i.proto.SerializeToString() for i in at.get("image")]

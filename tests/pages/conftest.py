"""Helpers of the page tests: what AppTest saw of a page's charts, pictures and tables, for comparing two renders."""
from __future__ import annotations

import re

import pandas as pd
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block


def charts(at: AppTest) -> list[bytes]:
    """Every Vega-Lite chart's spec and data as sent to the browser, in page order."""
    return [c.proto.SerializeToString() for c in at.get("vega_lite_chart")]


def images(at: AppTest) -> list[bytes]:
    """Every st.image as sent to the browser, in page order."""
    return [i.proto.SerializeToString() for i in at.get("image")]


def tables(at: AppTest | Block) -> list[pd.DataFrame]:
    """Every table ui/show.table drew in the page (or in one block of it, e.g. a column), in page order.

    A table of up to ui.show.PRESENTER_ROWS rows is a static st.table (AppTest's `at.table`), a longer one an
    interactive st.dataframe (`at.dataframe`): both are read here, as the DataFrame that was sent.
    """
    blocks = [at.main, at.sidebar] if isinstance(at, AppTest) else [at]
    return [_unescaped(node.value) if node.type == "table" else node.value
            for block in blocks for node in block if node.type in ("table", "dataframe")]


def _unescaped(df: pd.DataFrame) -> pd.DataFrame:
    """A static table as it reads on screen: ui/show escapes its text for Markdown (ui/untrusted.escape)."""
    def plain(value):
        return re.sub(r"\\([^A-Za-z0-9\s])", r"\1", value) if isinstance(value, str) else value

    return df.map(plain).rename(columns=plain)

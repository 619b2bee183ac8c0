"""How wide a table is with every cell on one line: the shared estimate of the page tests that check a table fits.

ui/show.table draws a table of up to PRESENTER_ROWS rows as a static st.table, which wraps cells that do not fit
(so no column is cut, tests/e2e/test_layout.py), and a longer one as an st.dataframe, which scrolls sideways. A
table within this estimate of its column needs neither: every row stays one line at 1,400 px.
"""
from __future__ import annotations

import pandas as pd

PAGE_PX = 938  # the main column's width in a 1,400 px window with the sidebar open
HALF_PX = 460  # one of two st.columns in that main column (Chromium measured 462 px)


def width_px(table: pd.DataFrame) -> int:
    """A table's natural width: 6 px a character of a column's widest text, 16 px of padding.

    It overestimates a little what Chromium measured of Streamlit's interactive grid before the fixes: 1,013 px for
    the batch-noise table of the local-minima page (here 1,040) and 688 px for its noise table (here 706).
    """
    def text(value) -> str:
        return f"{value:.4f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)

    return sum(6 * max(len(str(c)), *(len(text(v)) for v in table[c].tolist())) + 16 for c in table.columns)

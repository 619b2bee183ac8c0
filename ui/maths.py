"""Numbers as LaTeX: the matrices of the step-by-step learning cycle, written out with their shapes."""
from __future__ import annotations

import numpy as np
import streamlit as st


def matrix(a: np.ndarray, digits: int = 3) -> str:
    """A 1-D or 2-D array as a LaTeX bmatrix (a 1-D array is a row, as a bias is added to every row)."""
    rows = np.atleast_2d(a)
    body = r" \\ ".join(" & ".join(f"{v:.{digits}f}" for v in row) for row in rows)
    return r"\begin{bmatrix}" + body + r"\end{bmatrix}"


def shape(a: np.ndarray) -> str:
    return r"_{(" + ", ".join(map(str, a.shape)) + r")}"


def equation(*terms: str | np.ndarray) -> None:
    """st.latex of text pieces and arrays, each array written as a matrix with its shape below it.

    A narrow column breaks a long equation into lines (ui/layout.py lets KaTeX break after = and +, as
    text breaks after a word); \\allowbreak between the pieces adds break points where there is no sign,
    between two matrices multiplied (X W), so that each line holds at most what its column can show.
    """
    st.latex(r" \allowbreak ".join(t if isinstance(t, str) else matrix(t) + shape(t) for t in terms))

"""Chart builder of slide 12 on Home: validation accuracy against the number of training digits, a line per model."""
from __future__ import annotations

import altair as alt
import pandas as pd

from core.charts.theme import HEIGHT, colour_by, in_order


def accuracy_by_size(df: pd.DataFrame) -> alt.Chart:
    """A line per model over the training-set sizes on a log axis (each doubling one step), points at the sizes.

    df columns: model (str), training digits (int), validation accuracy (0..1), weight updates (int).
    """
    sizes = sorted(int(n) for n in df["training digits"].unique())
    return (
        alt.Chart(df)
        .mark_line(strokeWidth=2.5, point=alt.OverlayMarkDef(size=70, filled=True))
        .encode(
            x=alt.X("training digits:Q", title="training digits (log scale)",
                    scale=alt.Scale(type="log", domain=[sizes[0], sizes[-1]]),
                    # Every size labelled: Vega's overlap rule dropped 100, 400 and 1258 in a third of a laptop's
                    # column (the sizes are ~43 px apart there, 800 and 1258 ~30 px); not flush, so that the last
                    # label is centred on its size rather than pushed left onto 800's.
                    axis=alt.Axis(values=sizes, format="d", labelOverlap=False, labelFlush=False)),
            y=alt.Y("validation accuracy:Q", title="validation accuracy", scale=alt.Scale(zero=False),
                    axis=alt.Axis(format="%")),
            color=colour_by("model", in_order(df["model"]), title="model",
                            legend=alt.Legend(columns=1)),  # one a line: 3 a row were cut ("CN") at 1024 px
            tooltip=[alt.Tooltip("model:N"), alt.Tooltip("training digits:Q", format=","),
                     alt.Tooltip("validation accuracy:Q", format=".1%"), alt.Tooltip("weight updates:Q")],
        )
        .properties(height=HEIGHT, title="Validation accuracy against the number of training digits")
    )

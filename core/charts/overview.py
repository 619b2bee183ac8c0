"""Chart builders of the zoo overview (slide 65)."""
from __future__ import annotations

import altair as alt
import pandas as pd

from core.charts import _colour, _in_order


def parameters(models: pd.DataFrame) -> alt.Chart:
    """One horizontal bar per shipped model: its weight count, coloured by architecture."""
    groups = _in_order(models["architecture"])
    return alt.Chart(models).mark_bar().encode(
        x=alt.X("parameters:Q", title="weights (parameters)"),
        y=alt.Y("asset:N", title=None, sort=None),
        color=_colour("architecture", groups),
        tooltip=[alt.Tooltip("asset:N"), alt.Tooltip("architecture:N"), alt.Tooltip("parameters:Q", format=","),
                 alt.Tooltip("task:N")],
    ).properties(height=max(160, 26 * len(models)))

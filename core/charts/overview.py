"""Chart builders of the zoo overview (slide 65)."""
from __future__ import annotations

import altair as alt
import pandas as pd

from core.charts.theme import colour_by, in_order

BAR_STEP_PX = 22  # the height of one bar's row: room for its label at the 13 px of the charts' axes
LABEL_PX = 240  # the longest asset name, "recurrent_recall_steps", takes about 160 px at 13 px


def parameters(models: pd.DataFrame) -> alt.Chart:
    """One horizontal bar per shipped model: its weight count, coloured by architecture."""
    groups = in_order(models["architecture"])
    return alt.Chart(models).mark_bar().encode(
        x=alt.X("parameters:Q", title="weights (parameters)"),
        # Every name in full: Vega would drop half of 18 labels as overlapping and cut the long ones at 180 px.
        y=alt.Y("asset:N", title=None, sort=None, axis=alt.Axis(labelOverlap=False, labelLimit=LABEL_PX)),
        color=colour_by("architecture", groups),
        tooltip=[alt.Tooltip("asset:N"), alt.Tooltip("architecture:N"), alt.Tooltip("parameters:Q", format=","),
                 alt.Tooltip("task:N")],
    ).properties(height=alt.Step(BAR_STEP_PX), title="Weights of each shipped model")

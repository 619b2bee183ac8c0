"""Chart builders of the zoo's CNN page: softmax probabilities of one digit, and accuracy on shifted digits."""
from __future__ import annotations

import altair as alt
import pandas as pd

from core.charts.theme import HEIGHT, colour_by, epoch_axis, in_order


def probabilities(df: pd.DataFrame, actual: int) -> alt.LayerChart:
    """The softmax output for one image: a bar per digit and model, the true digit's label marked.

    df columns: digit (str "0".."9"), model (str), probability (0..1).
    """
    models = in_order(df["model"])
    digits = sorted(df["digit"].unique(), key=int)
    base = alt.Chart(df).encode(
        x=alt.X("digit:N", sort=digits, title=f"digit (true: {actual})", axis=alt.Axis(labelAngle=0)),
        xOffset=alt.XOffset("model:N", sort=models),
        y=alt.Y("probability:Q", title="softmax probability", scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%")),
    )
    bars = base.mark_bar().encode(
        color=colour_by("model", models, title="model"),
        tooltip=[alt.Tooltip("model:N"), alt.Tooltip("digit:N"), alt.Tooltip("probability:Q", format=".1%")],
    )
    labels = base.transform_filter(alt.datum.probability >= 0.05).mark_text(dy=-8, fontSize=12).encode(
        text=alt.Text("probability:Q", format=".0%"))
    return alt.layer(bars, labels).properties(
        height=HEIGHT, title="Both networks' softmax probabilities for this validation digit")


def shifted(df: pd.DataFrame) -> alt.Chart:
    """Validation accuracy against how far the digits were moved, a line per model.

    df columns: model (str), shift (pixels) (int), validation accuracy (0..1).
    """
    return (
        alt.Chart(df)
        .mark_line(strokeWidth=2.5, point=alt.OverlayMarkDef(size=80, filled=True))
        .encode(
            x=alt.X("shift (pixels):O", title="digits moved by (pixels, right / left / up / down)",
                    axis=alt.Axis(labelAngle=0)),
            y=alt.Y("validation accuracy:Q", title="validation accuracy", scale=alt.Scale(domain=[0, 1]),
                    axis=alt.Axis(format="%")),
            color=colour_by("model", in_order(df["model"]), title="model"),
            tooltip=[alt.Tooltip("model:N"), alt.Tooltip("shift (pixels):O"),
                     alt.Tooltip("validation accuracy:Q", format=".1%")],
        )
        .properties(height=HEIGHT, title="Validation accuracy on digits moved by 0, 1 and 2 pixels "
                                         "(mean of the four directions)")
    )


def validation(history: pd.DataFrame, floor: float = 0.8) -> alt.Chart:
    """Validation accuracy per epoch, a line per model, the y axis from `floor` to 100 % so small gaps show.

    history columns: variant, epoch, split, metric, value (the trainer's history); epochs below `floor` are clipped.
    """
    df = history[(history["split"] == "validation") & (history["metric"] == "accuracy")]
    return (
        alt.Chart(df)
        .mark_line(strokeWidth=2.5, clip=True, point=alt.OverlayMarkDef(size=30, filled=True, clip=True))
        .encode(
            x=alt.X("epoch:Q", title="epoch", axis=epoch_axis()),
            y=alt.Y("value:Q", title=f"validation accuracy (axis from {floor:.0%})",
                    scale=alt.Scale(domain=[floor, 1]), axis=alt.Axis(format="%")),
            color=colour_by("variant", in_order(df["variant"]), title="model"),
            tooltip=[alt.Tooltip("variant:N", title="model"), alt.Tooltip("epoch:Q"),
                     alt.Tooltip("value:Q", title="validation accuracy", format=".1%")],
        )
        .properties(height=HEIGHT, title="Validation accuracy per epoch: the CNN against the MLP")
    )

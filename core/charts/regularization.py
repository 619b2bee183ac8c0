"""Chart builders of the chapter Regularization and data augmentation (slides 57-64)."""
from __future__ import annotations

import altair as alt
import pandas as pd

from core.charts.shared import curves, headed
from core.charts.theme import HEIGHT, PALETTE, SPLIT_DASH, SPLIT_KEY, colour_by, epoch_axis, in_order, thin

STOP_DASH = {"best validation loss: weights kept": [1, 0], "stopped": [4, 4]}
RULE_KEY = "solid rule: weights kept · dashed rule: stopped"  # STOP_DASH in words, short enough for a half column


def gap_curves(history: pd.DataFrame, variant: str, metric: str = "accuracy", data: str = "") -> alt.LayerChart:
    """One variant's train and validation curves with the gap between them shaded (overfitting made visible);
    `data` names what it trained on, for the title.

    history columns: variant, epoch, split ("train" | "validation"), metric, value.
    """
    df = history[(history["variant"] == variant) & (history["metric"] == metric)]
    if df.empty:
        raise ValueError(f"The history has no {metric!r} values for {variant!r}.")
    wide = df.pivot_table(index="epoch", columns="split", values="value").reset_index()
    band = alt.Chart(wide).mark_area(opacity=0.25, color=PALETTE[3]).encode(
        x=alt.X("epoch:Q", title="epoch", axis=epoch_axis()), y=alt.Y("train:Q", title=metric),
        y2=alt.Y2("validation:Q"),
        tooltip=[alt.Tooltip("epoch:Q"), alt.Tooltip("train:Q", format=".3f"),
                 alt.Tooltip("validation:Q", format=".3f")],
    )
    lines_ = alt.Chart(df).mark_line(strokeWidth=2.5).encode(
        x=alt.X("epoch:Q"), y=alt.Y("value:Q", title=metric, scale=alt.Scale(zero=False)),
        color=colour_by("split", ["train", "validation"], title="split"),
        tooltip=[alt.Tooltip("split:N"), alt.Tooltip("epoch:Q"), alt.Tooltip("value:Q", title=metric, format=".4f")],
    )
    on = f" ({data})" if data else ""  # short: the chart sits in a half column
    return alt.layer(band, lines_).properties(
        height=HEIGHT, title=alt.TitleParams(f"{metric.capitalize()} per epoch{on}",
                                             subtitle=f"{variant}: the shaded band is the gap"))


def marked_curves(history: pd.DataFrame, marks: pd.DataFrame, metric: str = "loss", title: str = "") -> alt.LayerChart:
    """`curves` with vertical rules at marked epochs (marks: variant, epoch, event), e.g. where early stopping acted.

    The rules' dashes are said in the subtitle, under the curves' solid/dashed key: legends side by side would
    run off a half-width column.
    """
    base = curves(history, metric, title=title)
    heading = base.title
    base = base.copy()
    base.title = alt.Undefined  # the layer carries the title (and the rules' key under it)
    domain = in_order(history["variant"])
    if marks.empty:
        return alt.layer(base).properties(title=heading)
    rules = alt.Chart(marks).mark_rule(strokeWidth=2).encode(
        x=alt.X("epoch:Q"), color=colour_by("variant", domain),
        strokeDash=alt.StrokeDash("event:N", scale=alt.Scale(domain=list(STOP_DASH), range=list(STOP_DASH.values())),
                                  legend=None),
        tooltip=[alt.Tooltip("variant:N"), alt.Tooltip("event:N"), alt.Tooltip("epoch:Q")],
    )
    keyed = alt.TitleParams(heading.text, subtitle=[*heading.subtitle, RULE_KEY])
    return alt.layer(base, rules).resolve_scale(strokeDash="independent").properties(title=keyed)


@headed
def weight_histograms(df: pd.DataFrame) -> alt.Chart:
    """Histograms of every weight of a network, one step line per variant on shared bins.

    df columns: variant, weight (bin centre), count.
    """
    return (
        alt.Chart(df)
        .mark_line(interpolate="step", strokeWidth=2.5)
        .encode(
            x=alt.X("weight:Q", title="weight value"),
            y=alt.Y("count:Q", title="number of weights"),
            color=colour_by("variant", in_order(df["variant"])),
            tooltip=[alt.Tooltip("variant:N"), alt.Tooltip("weight:Q", format=".3f"), alt.Tooltip("count:Q")],
        )
        .properties(height=HEIGHT)
    )


@headed
def ranked_bars(df: pd.DataFrame, label: str, value: str, fmt: str = ".1%") -> alt.LayerChart:
    """Horizontal bars of `value` per `label` (in the frame's order), each with its full label on the left and
    its value written at its end: close scores (e.g. 88.2% vs 89.4%) read off the numbers, not the lengths.
    """
    order = in_order(df[label])
    top = float(df[value].max())
    base = alt.Chart(df).encode(
        y=alt.Y(f"{label}:N", title=None, sort=order, axis=alt.Axis(labelLimit=320)),
        x=alt.X(f"{value}:Q", title=value, axis=alt.Axis(format=".0%" if fmt.endswith("%") else fmt),
                scale=alt.Scale(domain=[0, top * 1.2 if top > 0 else 1], nice=False)),  # room for the numbers
        tooltip=[alt.Tooltip(f"{label}:N"), alt.Tooltip(f"{value}:Q", format=fmt)],
    )
    bars_ = base.mark_bar(color=PALETTE[0])
    numbers = base.mark_text(align="left", dx=4, fontSize=13).encode(text=alt.Text(f"{value}:Q", format=fmt))
    return alt.layer(bars_, numbers).properties(height=max(HEIGHT // 2, 40 * len(order)))


def update_curves(history: pd.DataFrame, metric: str = "accuracy", data: str = "") -> alt.Chart:
    """Training curves against SGD updates instead of epochs: runs whose epochs hold different numbers of updates
    (a training set with and without augmented copies) line up where they have trained equally long.

    history columns: variant, update, split ("train" | "validation"), metric, value.
    """
    df = history[history["metric"] == metric]
    if df.empty:
        raise ValueError(f"The training history has no {metric!r} values to draw.")
    df = thin(df, by=("variant", "split"))
    heading = f"{metric.capitalize()} per SGD update" + (f" on {data}" if data else "")
    return alt.Chart(df).mark_line(strokeWidth=2.5).encode(
        x=alt.X("update:Q", title="SGD updates"), y=alt.Y("value:Q", title=metric, scale=alt.Scale(zero=False)),
        color=colour_by("variant", in_order(df["variant"])),
        strokeDash=alt.StrokeDash("split:N", scale=alt.Scale(domain=list(SPLIT_DASH), range=list(SPLIT_DASH.values())),
                                  legend=None),
        tooltip=[alt.Tooltip("variant:N"), alt.Tooltip("split:N"), alt.Tooltip("update:Q"),
                 alt.Tooltip("value:Q", title=metric, format=".4f")],
    ).properties(height=HEIGHT, title=alt.TitleParams(heading, subtitle=[SPLIT_KEY]))

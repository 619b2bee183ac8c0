"""Home's measured slide 12: validation accuracy against the number of training digits, and its sentence.

The sentence is built from the facts core computed (core/more_data.py); Home passes the same facts to
`chrome.notice`.
"""
from __future__ import annotations

import streamlit as st

from core import charts, more_data
from ui import chrome, runners, show

MORE_DATA = more_data.MoreData()  # Home's one view, shipped precomputed (ui/defaults.py)


def more_data_chart() -> None:
    """Slide 12 measured: three models trained on 50 to all 1,258 training digits, and what to notice."""
    slot = st.empty()  # the chart grows one training-set size at a time while it computes
    result = runners.run(more_data.learning_curves, MORE_DATA, label="Training 3 models on 6 training-set sizes",
                         live=lambda part: show.redraw(slot, charts.accuracy_by_size(part.curves)))
    with slot.container():
        show.chart(charts.accuracy_by_size, result.curves, key="home-more-data")
    weights, f = result.parameters, result.facts
    st.caption(f"Logistic regression: one linear layer ({weights[more_data.LINEAR]:,} weights); MLP: one hidden "
               f"layer ({weights[more_data.MLP]:,}); CNN: the zoo's small CNN ({weights[more_data.CNN]:,}). Every "
               f"model at every size trains with Adam for about {MORE_DATA.steps} weight updates of "
               f"{MORE_DATA.batch_size} digits ({f.updates_low} to {f.updates_high}: whole epochs), so more data is "
               "not more training; smaller sets are subsets of larger ones, with every digit equally often, and all "
               f"are measured on the same {result.validation_digits} held-out digits.")
    chrome.notice(notice(result.facts), result.facts)


def _pct(value: float) -> str:
    return f"{value:.1%}"


def _points(lead: float, than: str) -> str:
    """'3.2 points below logistic regression' or 'level with logistic regression'."""
    if round(lead * 100, 1) == 0:
        return f"level with {than}"
    return f"{abs(lead) * 100:.1f} points {'above' if lead > 0 else 'below'} {than}"


def notice(f: more_data.MoreDataFacts) -> str:
    """What the measured curves show, and how that differs from the slide's sketch."""
    lin, mlp, cnn = more_data.MODELS
    behind = ", furthest behind," if f.worst_at_start == cnn else ""
    rank = ("The CNN goes from last to first, but the gaps" if f.worst_at_start == cnn and f.best_at_end == cnn
            else "The CNN starts last and closes in: the gaps" if f.worst_at_start == cnn else "The gaps")
    return (f"Every model gets better with more data: from {f.smallest} to {f.largest:,} training digits "
            f"logistic regression climbs from {_pct(f.start[lin])} to {_pct(f.end[lin])}, the MLP from "
            f"{_pct(f.start[mlp])} to {_pct(f.end[mlp])} and the CNN from {_pct(f.start[cnn])} to {_pct(f.end[cnn])}. "
            f"The CNN starts {_points(f.cnn_lead_start, 'logistic regression')}{behind} and ends "
            f"{_points(f.cnn_lead_end, 'it')}; the {f.most_gain} gains the most ({f.gain[f.most_gain] * 100:.1f} "
            f"points). And all three level off: each has at least {min(f.early_share.values()):.0%} of its gain by "
            f"{f.middle} digits. {rank} at the end are within {f.spread_end * 100:.1f} points (about "
            f"{f.spread_end_digits} of {f.validation_digits} validation digits). On these small 8x8 digits a linear "
            "model already reads them well; the slide's sketch, classic machine learning levelling off while deep "
            "learning keeps climbing, is about harder tasks and far more data.")

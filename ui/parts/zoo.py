"""The zoo overview page's parts (pages/7_Zoo_overview.py): the cards, their links and the notice's words."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from core.charts import overview as overview_charts
from core.zoo import overview
from ui import chrome, lesson_map, show

COUNTS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
# Short names where the full one is too long for a card's link ("Open the Fully convolutional network p…")
# or a table cell
SHORT = {"Fully convolutional network (FCN)": "FCN", "Autoencoder (plain, denoising, variational)": "Autoencoder"}


def named(assets: tuple[str, ...], architectures: tuple[str, ...]) -> str:
    """One model by name and architecture; several that tie as "the four Transformer models (**a**, **b**, ...)"."""
    if len(assets) == 1:
        return f"**{assets[0]}** ({architectures[0]})"
    count = COUNTS[len(assets)] if len(assets) < len(COUNTS) else f"{len(assets)}"
    kind = f" {architectures[0]}" if len(architectures) == 1 else ""
    return f"the {count}{kind} models ({', '.join(f'**{a}**' for a in assets)})"


def cards(per_row: int = 3) -> None:
    """One card per architecture, `per_row` in a row, each with a link to its chapter's page."""
    found = overview.ARCHITECTURES
    for start in range(0, len(found), per_row):
        for column, card in zip(st.columns(per_row), found[start : start + per_row]):
            with column.container(border=True):
                st.markdown(f"#### {card.name}\n*Slide {card.slide}*\n\n**Purpose:** {card.purpose}\n\n"
                            f"**Architecture:** {card.architecture}\n\n**Output:** {card.output}")
                show.page_link(lesson_map.chapter(card.key).page, f"Open the {SHORT.get(card.name, card.name)} page")


def table() -> pd.DataFrame:
    """The cards as one table, each with its page (from the lesson map) in place of its chapter key."""
    found = overview.architectures()
    pages = [lesson_map.chapter(key).page for key in found.pop("chapter")]
    return found.assign(page=pages)


def models(shipped: pd.DataFrame) -> None:
    """The shipped models in two tables that each fit the page, and their parameter chart."""
    # Two tables, so that each fits the page: what every model learns, then how big and how good it is.
    # "zoo page", not "architecture": a page ships models of other kinds too (the CNN page's MLP, cnn_mlp_digits).
    show.table(shipped[["asset", "architecture", "task"]].replace({"architecture": SHORT})
               .rename(columns={"architecture": "zoo page"}), key="zoo-models")
    show.table(shipped[["asset", "parameters", "measured", "size (KiB)", "seconds to make"]], key="zoo-sizes")
    show.chart(overview_charts.parameters, shipped, key="zoo-params")


def notice(facts: overview.ShippedFacts) -> None:
    largest = (f"the largest model here, {named(facts.largest_assets, facts.largest_architectures)}, has "
               f"{facts.largest_parameters:,} weights" if facts.n_largest == 1 else
               f"the largest models here, {named(facts.largest_assets, facts.largest_architectures)}, have "
               f"{facts.largest_parameters:,} weights each")
    smallest = (f"the smallest, {named(facts.smallest_assets, facts.smallest_architectures)}, "
                f"{facts.smallest_parameters:,}" if facts.n_smallest == 1 else
                f"the smallest, {named(facts.smallest_assets, facts.smallest_architectures)}, "
                f"{facts.smallest_parameters:,} each")
    chrome.notice(f"{largest} and {smallest}; all {facts.n_models} files together take {facts.total_mib:.1f} MiB. "
                  "GPT-2 small has 124 million weights: the ideas on these pages are the same, only the scale "
                  "differs.", facts)

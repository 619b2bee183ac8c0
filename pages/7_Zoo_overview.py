"""Network zoo overview (slide 65): every architecture's purpose, architecture and output, and the models shipped."""
import streamlit as st

from core.charts import overview as overview_charts
from core.zoo import overview
from ui import chrome, show

chrome.page("Network zoo: overview", "65", """The slides end with a **zoo** of common architectures. Each is a
network built for one kind of data and one kind of answer: its **purpose**, its **architecture** and its **output**.
Every card links to a page with a small trained model of that kind, ready to look inside: it runs on the server
that serves this app, and your browser shows what it computed.""")

COUNTS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def named(assets: tuple[str, ...], architectures: tuple[str, ...]) -> str:
    """One model by name and architecture; several that tie as "the four Transformer models (**a**, **b**, ...)"."""
    if len(assets) == 1:
        return f"**{assets[0]}** ({architectures[0]})"
    count = COUNTS[len(assets)] if len(assets) < len(COUNTS) else f"{len(assets)}"
    kind = f" {architectures[0]}" if len(architectures) == 1 else ""
    return f"the {count}{kind} models ({', '.join(f'**{a}**' for a in assets)})"


# Short names where the full one is too long for a card's link ("Open the Fully convolutional network p…") or a table cell
SHORT = {"Fully convolutional network (FCN)": "FCN", "Autoencoder (plain, denoising, variational)": "Autoencoder"}
chrome.section("1 · Six architectures, three lines each", "65-71")
cards = overview.ARCHITECTURES
for start in range(0, len(cards), 3):
    for column, card in zip(st.columns(3), cards[start : start + 3]):
        with column.container(border=True):
            st.markdown(f"#### {card.name}\n*Slide {card.slide}*\n\n**Purpose:** {card.purpose}\n\n"
                        f"**Architecture:** {card.architecture}\n\n**Output:** {card.output}")
            show.page_link(card.page, f"Open the {SHORT.get(card.name, card.name)} page")
with st.expander("The same as one table"):
    show.table(overview.architectures(), key="zoo-table")

chrome.section("2 · The models this app ships")
models = overview.shipped()
if models.empty:
    st.warning("No trained weights found in assets/zoo/. Run `python -m core.zoo` to make them.")
    st.stop()
st.markdown("Each zoo page opens with one of these small models, trained by `python -m core.zoo` (seeded, offline, "
            "on a 2-core CPU) and loaded with `torch.load(..., weights_only=True)`: plain tensors, never code.")
# Two tables, so that each fits the page: what every model learns, then how big and how good it is.
show.table(models[["asset", "architecture", "task"]].replace({"architecture": SHORT}), key="zoo-models")
show.table(models[["asset", "parameters", "measured", "size (KiB)", "seconds to make"]], key="zoo-sizes")
show.chart(overview_charts.parameters, models, key="zoo-params")
facts = overview.shipped_facts(models)
largest = (f"the largest model here, {named(facts.largest_assets, facts.largest_architectures)}, has "
           f"{facts.largest_parameters:,} weights" if facts.n_largest == 1 else
           f"the largest models here, {named(facts.largest_assets, facts.largest_architectures)}, have "
           f"{facts.largest_parameters:,} weights each")
smallest = (f"the smallest, {named(facts.smallest_assets, facts.smallest_architectures)}, "
            f"{facts.smallest_parameters:,}" if facts.n_smallest == 1 else
            f"the smallest, {named(facts.smallest_assets, facts.smallest_architectures)}, "
            f"{facts.smallest_parameters:,} each")
chrome.notice(f"{largest} and {smallest}; all {facts.n_models} files together take {facts.total_mib:.1f} MiB. "
              "GPT-2 small has 124 million weights: the ideas on these pages are the same, only the scale differs.",
              facts)
chrome.end()

"""Network zoo overview (slide 65): every architecture's purpose, architecture and output, and the models shipped."""
import streamlit as st

from core.charts import overview as overview_charts
from core.zoo import overview
from ui import chrome, show

chrome.page("Network zoo: overview", "65", """The slides end with a **zoo** of common architectures. Each is a
network built for one kind of data and one kind of answer: its **purpose**, its **architecture** and its **output**.
Every card links to a page where a small trained model of that kind runs in your browser, ready to look inside.""")

# Short names where the full one is too long for a card's link ("Open the Fully convolutional network p…") or a table cell
SHORT = {"Fully convolutional network (FCN)": "FCN", "Autoencoder (plain, denoising, variational)": "Autoencoder"}
chrome.section("1 · Six architectures, three lines each", "65-71")
arch = overview.architectures()
for start in range(0, len(arch), 3):
    for column, row in zip(st.columns(3), arch.iloc[start : start + 3].itertuples()):
        with column.container(border=True):
            st.markdown(f"#### {row.architecture}\n*Slide {row.slide}*\n\n**Purpose:** {row.purpose}\n\n"
                        f"**Architecture:** {row.layers}\n\n**Output:** {row.output}")
            show.page_link(row.page, f"Open the {SHORT.get(row.architecture, row.architecture)} page")
with st.expander("The same as one table"):
    show.table(arch, key="zoo-table")

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
big, small = models.loc[models.parameters.idxmax()], models.loc[models.parameters.idxmin()]
chrome.notice(f"the largest model here, **{big.asset}** ({big.architecture}), has {big.parameters:,} weights and the "
              f"smallest, **{small.asset}**, {small.parameters:,}; all {len(models)} files together take "
              f"{models['size (KiB)'].sum() / 1024:.1f} MB. GPT-2 small has 124 million weights: the ideas on these pages "
              "are the same, only the scale differs.")
chrome.end()

"""Network zoo overview (slide 65): what each architecture is for, and the models this app ships."""
import streamlit as st

from core.zoo import overview
from ui import chrome, show
from ui.parts import zoo as parts

chrome.page("zoo", """The slides end with a **zoo** of common architectures.
Each is a network built for one kind of data and one kind of answer: its **purpose**, its
**architecture** and its **output**. Every card links to a page with a small trained model of that
kind, ready to look inside: it runs on the server that serves this app, and your browser shows what
it computed.""")

if chrome.section("1 · Six architectures, three lines each", "65-71"):
    parts.cards()
    with show.folded("The same as one table", key="zoo-as-table") as more:
        if more.open:
            show.table(parts.table(), key="zoo-table")

if chrome.section("2 · The models this app ships"):
    models = overview.shipped()
    if models.empty:
        st.warning("No trained weights found in assets/zoo/. Run `python -m core.zoo` to make "
                   "them.")
        chrome.end()  # the page ends here: its URL note still comes
        st.stop()
    st.markdown("Each zoo page opens with one of these small models, trained by "
                "`python -m core.zoo` (seeded, offline, on a 2-core CPU) and loaded with "
                "`torch.load(..., weights_only=True)`: plain tensors, never code.")
    parts.models(models)
    parts.notice(overview.shipped_facts(models))
chrome.end()

"""The page chrome every page shares: page config, the sidebar (lesson map, device badge, reset) and headings."""
from __future__ import annotations

import streamlit as st
import torch
from streamlit.errors import StreamlitPageNotFoundError

from core.device import describe, pick_device
from ui.lesson_map import CHAPTERS, COURSE

PAGE_ICON = ":material/neurology:"  # an icon font, not an emoji: no missing-glyph boxes
HOME = "Home.py"


def slides_label(slides: str) -> str:
    """'Slide 9' for one slide, 'Slides 20-26' for a range or a list."""
    return f"Slides {slides}" if any(sep in slides for sep in "-,") else f"Slide {slides}"


# "Reset this page" reloads the page in the browser: a fresh session, so every widget shows its
# default again. Clearing st.session_state instead resets the values on the server only: the
# browser keeps showing (and sends back) the old values unless the page gives every widget a
# key and its default. Cached results are global, so the reload reruns cheaply.
RESET_LINK = (
    '<a href="" title="Every control on this page back to its default; cached results stay." '
    'style="display:inline-block;padding:0.3rem 0.8rem;border:1px solid rgba(128,128,128,0.45);'
    'border-radius:0.5rem;color:inherit;text-decoration:none">&#8634; Reset this page</a>'
)


def _link(page: str, label: str, icon: str) -> None:
    """A sidebar link, or plain text when Streamlit has not registered the page.

    That happens when a page script runs as the app's entry point on its own (e.g.
    `AppTest.from_file("pages/...")`); then there is no Home to link to.
    """
    try:
        st.sidebar.page_link(page, label=label, icon=icon)
    except StreamlitPageNotFoundError:
        st.sidebar.markdown(f"{icon} {label}")


def _sidebar() -> torch.device:
    """Lesson map, device badge and reset button; returns the device the experiments run on."""
    st.sidebar.markdown(f"### {COURSE}")
    _link(HOME, "Lesson map", ":material/home:")
    for number, chapter in enumerate(CHAPTERS, start=1):
        label = f"{number}. {chapter.title}"
        if chapter.linkable:
            _link(chapter.page, label, ":material/play_circle:")
        else:
            st.sidebar.caption(f":material/schedule: {label} · *coming next*")
    st.sidebar.divider()
    try:
        device = pick_device()
    except ValueError as error:  # e.g. LESSON_DEVICE=cuda on a machine without a GPU
        st.error(str(error))
        st.stop()
    st.sidebar.badge(
        f"Running on {describe(device)}",
        icon=":material/memory:",
        color="gray" if device.type == "cpu" else "green",
    )
    st.sidebar.html(RESET_LINK)
    return device


def page(title: str, slides: str, intro: str) -> torch.device:
    """Page config, shared sidebar, title, slide reference and intro of a chapter page.

    Call it first on every page; it returns the torch.device the page's experiments use.
    """
    st.set_page_config(page_title=f"{title} · {COURSE}", page_icon=PAGE_ICON, layout="wide")
    device = _sidebar()
    st.title(title, anchor=False)
    st.caption(slides_label(slides))
    st.markdown(intro)
    return device


def home(intro: str) -> torch.device:
    """The same chrome for the home page, whose title is the course itself."""
    st.set_page_config(page_title=COURSE, page_icon=PAGE_ICON, layout="wide")
    device = _sidebar()
    st.title(COURSE, icon=PAGE_ICON, anchor=False)
    st.markdown(intro)
    return device


def section(title: str, slides: str | None = None) -> None:
    """A page section's heading, with the slides it follows in grey."""
    suffix = f" :gray[· {slides_label(slides).lower()}]" if slides else ""
    st.subheader(f"{title}{suffix}", anchor=False)


def notice(text: str) -> None:
    """The "What to notice" box that closes a section: the lesson, tied to the numbers on screen."""
    st.info(f"**What to notice:** {text}", icon=":material/lightbulb:")

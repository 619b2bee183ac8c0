"""Home: the lesson map, the lesson goals, the context of slides 9-20 and how to use the app."""
import streamlit as st

from ui import chrome, lesson_map, show, tour
from ui.parts import home

INTRO = (
    "The lesson's slides, made runnable. Most chapters below train small PyTorch networks right "
    "here; the zoo chapters open with models the app trained in advance and let you train your "
    "own. Change a learning rate, an activation or a batch size and watch what the slide claims "
    "happen on screen."
)

chrome.home(INTRO)

if chrome.section("Lesson map", opened=True):
    chapters = lesson_map.CHAPTERS
    for start in range(0, len(chapters), 4):  # cards, four to a row
        row = zip(st.columns(4), chapters[start : start + 4])
        for number, (column, chapter) in enumerate(row, start + 1):
            with column.container(border=True, height="stretch"):
                st.markdown(f"**{number}. {chapter.title}**")
                st.caption(chrome.slides_label(chapter.slides))
                st.markdown(chapter.summary)
                st.page_link(chapter.page, label="Open chapter", icon=":material/arrow_forward:")

if chrome.section("Guided walkthrough", opened=True):
    steps = tour.steps()
    st.markdown(f"The lesson in slide order, in {len(steps)} steps: each opens a page with "
                "settings that show what its slide says, a paragraph on what to look at, and links "
                "to the previous and next step. For a class, switch on **Presenter mode** in the "
                "sidebar (larger text and charts, fewer buttons); **Share this view**, also in the "
                "sidebar, is the link to exactly the settings on screen.")
    first = steps[0].href(chrome.root())
    st.html(tour.link(f"Start the walkthrough: {steps[0].title} ▶", first, primary=True))
    st.markdown(f"**All {len(steps)} steps** (each one opens its page; the same list is behind the "
                "step number of every walkthrough panel)")
    tour.listing(chrome.root())

if chrome.section("Lesson goals", slides="9"):
    st.markdown("\n".join(f"- {goal}" for goal in lesson_map.GOALS))

if chrome.section("Where deep learning fits", slides="11-20"):
    left, right = st.columns(2, gap="large")
    with left:
        st.markdown("**AI > ML > DL** :gray[· slide 11]")
        show.nested_boxes(lesson_map.AI_ML_DL)
    with right:
        st.markdown("**Deep learning gets better with more data** :gray[· slide 12 · measured]")
        home.more_data_chart()

    st.markdown("**Machine learning is data driven: two pipelines** :gray[· slides 13-14, 18]")
    for name, stages in lesson_map.PIPELINES.items():
        show.pipeline(name, stages)
    st.caption(":blue[blue]: made by people · :orange[orange]: learned from data")

    left, right = st.columns(2, gap="large")
    with left:
        st.markdown("**Latent space, encoding and decoding** :gray[· slides 16-17]")
        st.markdown(lesson_map.LATENT_SPACE)
    with right:
        st.markdown("**What made deep learning feasible?** :gray[· slides 19-20]")
        st.markdown("\n".join(f"- **{what}**: {why}" for what, why in lesson_map.FEASIBLE))
        st.markdown(lesson_map.WHY_PYTORCH)

if chrome.section("How to use this app"):
    for column, (mode, text) in zip(st.columns(2, gap="large"), lesson_map.HOW_TO_USE.items()):
        with column:
            st.markdown(f"**{mode}**")
            st.markdown(text)
chrome.end()

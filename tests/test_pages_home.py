"""AppTest of the home page and the shared chrome: every chapter shown, only real pages linked."""
from __future__ import annotations

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

from ui.lesson_map import APP_ROOT, CHAPTERS, Chapter

HOME = str(APP_ROOT / "Home.py")


def _url_path(page: str) -> str:
    """Streamlit's URL path of a pages/ script: 'pages/2_Learning_cycle.py' -> 'Learning_cycle'."""
    return re.sub(r"^\d+_", "", Path(page).stem)


def test_home_renders_every_chapter_and_the_goals():
    at = AppTest.from_file(HOME, default_timeout=30).run()
    assert not at.exception
    text = "\n".join(element.value for element in [*at.markdown, *at.caption])
    for number, chapter in enumerate(CHAPTERS, start=1):
        assert f"{number}. {chapter.title}" in text
    assert "Explain the general components" in text  # slide 9's first goal
    assert len(at.get("vega_lite_chart")) == 1  # slide 11's schematic, with its data as CSV
    assert [button.proto.label for button in at.get("download_button")] == ["Download data (CSV)"]
    assert at.title[0].value == "Advanced Deep Learning"


def test_home_links_only_chapters_whose_page_exists():
    at = AppTest.from_file(HOME, default_timeout=30).run()
    linked = {link.proto.page for link in at.get("page_link")}
    expected = {_url_path(chapter.page) for chapter in CHAPTERS if chapter.linkable}
    assert linked == expected | {""}  # "" is Home itself
    missing = [chapter.title for chapter in CHAPTERS if not chapter.linkable]  # registered, file not there yet
    coming_next = [c.value for c in at.sidebar.get("caption") if "coming next" in c.value]
    assert len(coming_next) == len(missing)
    assert all(any(title in caption for caption in coming_next) for title in missing)


def test_sidebar_has_device_badge_and_reset():
    at = AppTest.from_file(HOME, default_timeout=30).run()
    badges = [m.value for m in at.sidebar.get("markdown") if "Running on" in m.value]
    assert len(badges) == 1 and "Running on CPU (" in badges[0]  # conftest pins LESSON_DEVICE=cpu
    resets = [element.proto.body for element in at.sidebar.get("html")]
    # A reload without the URL's settings (they would bring the same values back): a fresh session at defaults.
    assert len(resets) == 1 and "Reset this page" in resets[0] and 'href="?"' in resets[0]


def test_chapter_is_linkable_only_when_built_and_its_file_exists():
    assert not Chapter("Ghost", "1", "pages/99_Ghost.py", "", built=True).linkable
    assert not Chapter("Home again", "1", "Home.py", "", built=False).linkable
    assert Chapter("Home again", "1", "Home.py", "", built=True).linkable


def test_every_page_script_is_a_chapter_of_the_map():
    pages = {f"pages/{path.name}" for path in (APP_ROOT / "pages").glob("*.py")}
    assert pages <= {chapter.page for chapter in CHAPTERS}, "add new pages to ui/lesson_map.CHAPTERS"


def _chapter_page_app() -> None:
    # A chapter page run on its own (it is the entry point, so Home cannot be linked).
    import streamlit as st

    from ui import chrome

    device = chrome.page("Learning cycle", "27-31, 36-40", "What the slides say.")
    chrome.section("Epoch, batch, iteration", slides="29")
    chrome.notice("The loss falls fastest with small batches.")
    st.write(f"device={device.type}")


def test_chapter_chrome_title_slides_section_and_notice():
    at = AppTest.from_function(_chapter_page_app, default_timeout=30).run()
    assert not at.exception
    assert at.title[0].value == "Learning cycle"
    assert at.caption[0].value == "Slides 27-31, 36-40"
    assert at.subheader[0].value == "Epoch, batch, iteration :gray[· slide 29]"
    assert at.info[0].value == "**What to notice:** The loss falls fastest with small batches."
    assert "device=cpu" in [m.value for m in at.markdown]
    assert "Lesson map" in " ".join(m.value for m in at.sidebar.get("markdown"))  # unlinked fallback


def test_home_does_not_say_every_chapter_trains_or_every_number_is_measured():
    """Zoo chapters open with shipped weights and the overview trains nothing; the slide-12 curve is a schematic."""
    at = AppTest.from_file(HOME, default_timeout=30).run()
    text = "\n".join(element.value for element in [*at.markdown, *at.caption])
    assert "Every chapter below trains" not in text and "Every number in this app" not in text
    assert "Most chapters below train small PyTorch networks right here; the zoo chapters open with models" in text
    assert "Every measured number in this app comes from PyTorch code" in text

"""AppTest of the home page and the shared chrome: every chapter shown, only real pages linked."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from core import more_data as md
from tests.conftest import every_section_open
from ui import chrome, lesson_map
from ui.lesson_map import APP_ROOT, CHAPTERS
from ui.parts import home

HOME = str(APP_ROOT / "Home.py")
TIMEOUT = 120  # every section open: slide 12's three models on six training-set sizes computed (no shipped results)


def _url_path(page: str) -> str:
    """Streamlit's URL path of a pages/ script: 'pages/2_Learning_cycle.py' -> 'Learning_cycle'."""
    return re.sub(r"^\d+_", "", Path(page).stem)


def test_home_renders_every_chapter_and_the_goals():
    at = every_section_open(AppTest.from_file(HOME, default_timeout=TIMEOUT)).run()
    assert not at.exception
    text = "\n".join(element.value for element in [*at.markdown, *at.caption])
    for number, chapter in enumerate(CHAPTERS, start=1):
        assert f"{number}. {chapter.title}" in text
    assert "Explain the general components" in text  # slide 9's first goal
    assert len(at.get("vega_lite_chart")) == 1  # slide 12's measured curves, with their data as CSV
    assert [button.proto.label for button in at.get("download_button")] == ["Download data (CSV)"]
    assert at.title[0].value == "Advanced Deep Learning"


def test_home_links_every_chapter():
    at = every_section_open(AppTest.from_file(HOME, default_timeout=TIMEOUT)).run()
    linked = {link.proto.page for link in at.get("page_link")}
    assert linked == {_url_path(chapter.page) for chapter in CHAPTERS} | {""}  # "" is Home itself


def test_sidebar_has_device_badge_and_reset():
    at = every_section_open(AppTest.from_file(HOME, default_timeout=TIMEOUT)).run()
    badges = [m.value for m in at.sidebar.get("markdown") if "Running on" in m.value]
    assert len(badges) == 1 and "Running on CPU (" in badges[0]  # conftest pins LESSON_DEVICE=cpu
    resets = [element.proto.body for element in at.sidebar.get("html")]
    # A reload without the URL's settings (they would bring the same values back): a fresh session at defaults.
    assert len(resets) == 1 and "Reset this page" in resets[0] and 'href="?"' in resets[0]


def test_every_chapter_has_its_page_file():
    # Every chapter is linked from Home and the sidebar: a missing page would be a broken link.
    missing = [chapter.page for chapter in CHAPTERS if not (APP_ROOT / chapter.page).is_file()]
    assert not missing, f"ui/lesson_map.CHAPTERS names pages that do not exist: {missing}"


def test_every_page_script_is_a_chapter_of_the_map():
    pages = {f"pages/{path.name}" for path in (APP_ROOT / "pages").glob("*.py")}
    assert pages <= {chapter.page for chapter in CHAPTERS}, "add new pages to ui/lesson_map.CHAPTERS"


def test_chapters_are_found_by_key_and_an_unknown_key_names_the_known_ones():
    keys = [chapter.key for chapter in CHAPTERS]
    assert keys == ["neurons", "learning_cycle", "preprocessing", "optimizers", "gradients", "regularization",
                    "zoo", "cnn", "autoencoders", "fcn", "recurrent", "transformer", "gan"]
    assert all(lesson_map.chapter(key).key == key for key in keys)
    assert lesson_map.chapter("cnn").page == "pages/8_Zoo_CNN.py"
    with pytest.raises(KeyError, match="no chapter 'cnns'.*the keys are neurons, learning_cycle"):
        lesson_map.chapter("cnns")


def _chapter_page_app() -> None:
    # A chapter page run on its own (it is the entry point, so Home cannot be linked).
    import streamlit as st

    from ui import chrome

    returned = chrome.page("learning_cycle", "What the slides say.")
    if chrome.section("1 · Epoch, batch, iteration", slides="29"):  # a page's first section: open
        chrome.notice("The loss falls fastest with small batches.")
    if chrome.section("2 · Under- and overfitting", slides="30"):  # closed until a student opens it
        st.write("section 2 drawn")
    chrome.end()
    st.write(f"returned={returned}")


def test_chapter_chrome_title_slides_section_and_notice():
    at = AppTest.from_function(_chapter_page_app, default_timeout=30).run()
    assert not at.exception
    assert at.title[0].value == "Learning cycle"  # title and slides come from ui/lesson_map
    assert at.caption[0].value == "Slides 28-31, 37-39"
    assert [e.label for e in at.expander] == ["1 · Epoch, batch, iteration :gray[· slide 29]",
                                              "2 · Under- and overfitting :gray[· slide 30]"]
    assert at.info[0].value == "**What to notice:** The loss falls fastest with small batches."
    assert "section 2 drawn" not in [m.value for m in at.markdown]
    at.session_state["learning_cycle-section-2"] = True  # a click on its heading
    assert "section 2 drawn" in [m.value for m in at.run().markdown] and len(at.info) == 1
    assert "returned=None" in [m.value for m in at.markdown]  # no device: the sidebar's badge names it
    assert "Lesson map" in " ".join(m.value for m in at.sidebar.get("markdown"))  # unlinked fallback


def test_every_chapter_page_shows_its_heading_from_the_map():
    # The pages' titles as they were before they moved into ui/lesson_map (the zoo's say more than the map).
    assert [chapter.page_title for chapter in CHAPTERS][6:] == [
        "Network zoo: overview", "Zoo: convolutional neural network (CNN)",
        "Zoo: autoencoders (plain, denoising, variational)",
        "Zoo: fully convolutional network (FCN) for segmentation", "Zoo: RNN and LSTM", "Zoo: Transformer",
        "Zoo: generative adversarial network (GAN)"]
    assert all(chapter.page_title == chapter.title for chapter in CHAPTERS[:6])


def test_home_does_not_say_every_chapter_trains_or_every_number_is_measured():
    """Zoo chapters open with shipped weights and the overview trains nothing."""
    at = every_section_open(AppTest.from_file(HOME, default_timeout=TIMEOUT)).run()
    text = "\n".join(element.value for element in [*at.markdown, *at.caption])
    assert "Every chapter below trains" not in text and "Every number in this app" not in text
    assert "Most chapters below train small PyTorch networks right here; the zoo chapters open with models" in text
    assert "Every measured number in this app comes from PyTorch code" in text


def _data(chart) -> pd.DataFrame:
    """The rows a Vega-Lite chart was sent with (Streamlit sends them as Arrow IPC)."""
    [dataset] = chart.proto.datasets
    return pa.ipc.open_stream(dataset.data.data).read_pandas()


def test_slide_12_is_measured_and_its_sentence_reads_the_numbers_on_the_chart():
    at = every_section_open(AppTest.from_file(HOME, default_timeout=TIMEOUT)).run()
    assert not at.exception and not at.error
    [chart] = at.get("vega_lite_chart")
    curves = _data(chart)
    assert len(curves) == len(md.MODELS) * len(md.SIZES) == 18
    sizes = curves.groupby("model")["training digits"].apply(sorted).to_dict()
    assert sizes == dict.fromkeys(md.MODELS, list(md.SIZES))
    assert curves["validation accuracy"].between(0.6, 1).all()
    assert curves["weight updates"].between(285, 310).all()  # about 300 at every size
    spec = json.loads(chart.proto.spec)
    assert spec["encoding"]["x"]["scale"]["type"] == "log" and spec["encoding"]["x"]["field"] == "training digits"

    facts = md.facts(curves, 539)  # the caption below names the 539 held-out digits
    recorded = at.session_state[chrome.FACTS]
    assert [f for title, fs in recorded.items() if title.startswith("Where deep learning fits") for f in fs] == [facts]
    [notice] = [box.value for box in at.info if "more data" in box.value]
    assert home.notice(facts) in notice
    for model in md.MODELS:  # each model's accuracy with 50 and with all 1,258 digits, as the chart has them
        first, last = curves[curves.model == model].sort_values("training digits")["validation accuracy"].iloc[[0, -1]]
        assert f"from {first:.1%} to {last:.1%}" in notice
    assert "from 50 to 1,258 training digits" in notice
    assert f"within {facts.spread_end * 100:.1f} points" in notice and facts.spread_end < 0.03
    assert "is not what these small 8x8 digits show" not in notice  # overstated: the sketch is about harder tasks
    assert (f"within {facts.spread_end * 100:.1f} points (about {facts.spread_end_digits} of 539 validation digits)"
            in notice) and 3 <= facts.spread_end_digits <= 16
    if facts.worst_at_start == facts.best_at_end == md.CNN:  # seed 0: the CNN starts last and ends first
        assert "The CNN goes from last to first, but the gaps at the end are within" in notice
    assert "the sketch is about harder tasks" not in notice and "is about harder tasks and far more data" in notice
    caption = " ".join(c.value for c in at.caption)
    assert "about 300 weight updates of 25 digits" in caption and "same 539 held-out digits" in caption

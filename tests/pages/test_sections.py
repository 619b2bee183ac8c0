"""A page's sections (ui/chrome.section): the first view opens the first one only, a closed one computes and draws
nothing, and links, the walkthrough and a section that needs another open what they show."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.pages.test_bad_input_sweep import PAGES
from ui import chrome, tour
from ui.lesson_map import APP_ROOT, CHAPTERS

LM = str(APP_ROOT / "pages" / "4_Local_minima_and_optimizers.py")
LC = str(APP_ROOT / "pages" / "2_Learning_cycle.py")


def _run(path: str, **params: str) -> AppTest:
    at = AppTest.from_file(path, default_timeout=120)
    at.query_params.update(params)
    at.run()
    assert not at.exception, at.exception
    return at


def _section_keys(at: AppTest, page: str) -> list[str]:
    """The keys of the page's sections, from the expanders' labels (a folded detail's label names no key)."""
    chapter = next(c.key for c in CHAPTERS if c.page == page)
    keys = [tour.section_key(chapter, e.label) for e in at.main.get("expander")]
    return [k for k in keys if k in at.session_state]


@pytest.mark.parametrize("page", [p for p in PAGES if p.startswith("pages/")])
def test_a_first_view_opens_the_first_section_only_and_all_sections_draw_more(page):
    at = _run(str(APP_ROOT / page))
    states = {k: at.session_state[k] for k in _section_keys(at, page)}
    assert len(states) >= 2 and states == {k: k.endswith("-section-1") for k in states}, states
    assert [c.value for c in at.caption].count(chrome.CLOSED_HINT) == 1  # said once, above the first closed one
    every = AppTest.from_file(str(APP_ROOT / page), default_timeout=120)
    every.query_params["sections"] = "all"
    every.run()
    assert not every.exception
    assert all(every.session_state[k] is True for k in states)
    drawn = sum(len(at.get(kind)) for kind in ("vega_lite_chart", "image", "table", "info"))
    assert sum(len(every.get(kind)) for kind in ("vega_lite_chart", "image", "table", "info")) > drawn
    # the link stays in the URL (a reload, the share link); a student may still close a section
    assert every.query_params["sections"] == "all"
    closing = next(k for k in states if not k.endswith("-section-1"))
    every.session_state[closing] = False
    assert every.run().session_state[closing] is False


def test_a_closed_section_computes_nothing_and_opening_it_computes_its_experiment():
    at = _run(LM)
    assert len(at.get("vega_lite_chart")) <= 3  # section 1's: the rates' curves (and the range test)
    assert "momentum" not in at.session_state  # section 5's slider was never drawn
    at.session_state["optimizers-section-5"] = True  # a click on its heading
    at.run()
    assert at.slider(key="momentum").value == 0.7 and not at.exception


def test_a_link_with_a_setting_of_a_closed_section_opens_the_sections_and_uses_it():
    # A link written by hand (or shared before sections could close) names a section-5 slider only.
    at = _run(LM, momentum="0.9")
    assert at.slider(key="momentum").value == 0.9
    assert not [w.value for w in at.warning if "Not a setting" in w.value or "cannot use" in w.value]
    assert at.session_state["optimizers-section-5"] is True and at.query_params["momentum"] == "0.9"


def test_a_section_that_needs_a_closed_one_says_so_and_its_button_opens_it():
    at = _run(LC, **{"learning_cycle-section-3": "true"})  # inference, without section 2's trained network
    said = [i.value for i in at.info if "builds on section 2" in i.value]
    assert said and "infer-x1" not in at.session_state
    at.button(key="open-learning_cycle-section-2").click().run()
    assert not at.exception and at.session_state["learning_cycle-section-2"] is True
    assert not [i.value for i in at.info if "builds on section 2" in i.value]
    assert at.number_input(key="infer-x1").value == 0.5  # section 3 draws its question to the network


def test_a_section_key_names_its_chapter_and_its_number_or_its_words():
    assert tour.section_key("optimizers", "3 · Fix 1: randomness") == "optimizers-section-3"
    assert tour.section_key("neurons", "Tensor form: every point") == "neurons-section-tensor-form"
    assert tour.section_key("home", "Where deep learning fits") == "home-section-where-deep-learning-fits"
    assert tour.opens_by_default("1 · A neuron") and not tour.opens_by_default("Tensor form")


def test_closing_a_section_with_a_changed_control_opens_nothing_else_names_nothing_and_keeps_the_value():
    # Its value stays in the URL for that run with no control to claim it: that is not a link's value.
    at = _run(LM, **{"optimizers-section-5": "true"})
    at.slider(key="momentum").set_value(0.9).run()
    at.session_state["optimizers-section-5"] = False  # a click on its heading closes it
    at.run()
    assert not at.exception and at.session_state["optimizers-section-2"] is False  # nothing else opened
    assert "momentum" not in at.session_state or at.session_state["momentum"] == 0.9
    assert not [w.value for w in at.warning if "Not a setting" in w.value or "cannot use" in w.value]
    assert "momentum" not in next(c.value for c in at.sidebar.code)  # the share link leaves a closed section out
    at.session_state["optimizers-section-5"] = True
    assert at.run().slider(key="momentum").value == 0.9  # reopened as the student left it


def test_the_remedies_without_section_1_train_on_its_kept_baseline_and_say_which():
    at = _run(str(APP_ROOT / "pages" / "6_Regularization_and_data_augmentation.py"), **{"n-train": "400"})
    assert at.session_state["regularization-section-1"] is True
    at.session_state["regularization-section-1"] = False
    at.session_state["regularization-section-2"] = True
    at.run()
    assert not at.exception
    said = next(c.value for c in at.caption if c.value.startswith("Section 1 is closed"))
    assert "400 training images" in said and "20% of them with wrong labels" in said
    # settings other than the defaults train on the button
    next(b for b in at.button if b.label.startswith("Train every network")).click().run()
    facts = [f for fs in at.session_state[chrome.FACTS].values() for f in fs if hasattr(f, "n_train")]
    assert facts and {f.n_train for f in facts} == {400}  # the leaderboard's notice: that baseline

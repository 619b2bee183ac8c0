"""Classroom features: shareable views (URL settings and the note on refused ones), presenter mode,
and the walkthrough's mechanics. The walkthrough's presets are checked in test_walkthrough.py."""
from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block

from core import charts
from ui import chrome, layout, lesson_map, presenter, tour
from ui.lesson_map import APP_ROOT, CHAPTERS

HOME = str(APP_ROOT / "Home.py")
NEURONS = str(APP_ROOT / "pages" / "1_Neurons_and_layers.py")
INPUTS = {"slider", "select_slider", "selectbox", "radio", "toggle", "checkbox", "number_input", "text_input",
          "text_area", "multiselect", "segmented_control", "pills", "color_picker", "date_input", "time_input"}
PARTS = sorted(path for path in (APP_ROOT / "ui" / "parts").glob("*.py") if path.name != "__init__.py")
# The pages place widgets, and so do their parts (ui/parts/<chapter key>.py) and the shared ui helpers.
# The presenter toggle is the one exception: it is on every page, and ui/presenter.py keeps it in the URL
# itself (its docstring says why); test_presenter_mode_is_one_value_kept_in_the_url checks that.
WIDGET_SOURCES = (sorted((APP_ROOT / "pages").glob("*.py")) + PARTS + [APP_ROOT / "ui" / "widgets.py"])


def _input_calls(path: Path) -> list[ast.Call]:
    return [node for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in INPUTS]


def _run(path: str, **params: str | list[str]) -> AppTest:
    at = AppTest.from_file(path, default_timeout=120)
    at.query_params.update(params)
    at.run()
    assert not at.exception, at.exception
    return at


def _accuracy(at: AppTest) -> float:
    return float(next(m.value for m in at.metric if m.label == "Accuracy of this neuron").rstrip("%")) / 100


# -- Shareable views ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", WIDGET_SOURCES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_input_widget_has_a_key_and_is_bound_to_the_url(path):
    unbound = [f"line {call.lineno}: st.{call.func.attr}" for call in _input_calls(path)
               if not any(k.arg == "key" for k in call.keywords)
               or not any(k.arg == "bind" and getattr(k.value, "value", None) == "query-params" for k in call.keywords)]
    assert not unbound, f"give these a key= and bind=\"query-params\": {unbound}"


def test_no_widget_key_is_used_on_two_pages():
    # A bound widget keeps its value for the session under its key (checked in a browser): two
    # pages with one key would share the value, and a link could not say which page it means.
    # A part's widgets are its chapter's page's (ui/parts/cnn.py belongs to the page of chapter "cnn", and
    # ui/parts/learning_cycle_play.py, one of two parts of a long page, to chapter "learning_cycle"); ui/parts/home.py
    # is Home's.
    keys = sorted((c.key for c in CHAPTERS), key=len, reverse=True)
    chapter = {p: next((k for k in keys if p.stem == k or p.stem.startswith(k + "_")), None) for p in PARTS}
    page_of = {APP_ROOT / c.page: c.page for c in CHAPTERS} | {
        p: "Home.py" if p.stem == "home" else lesson_map.chapter(chapter[p] or p.stem).page for p in PARTS}
    pages = defaultdict(set)
    for path in sorted((APP_ROOT / "pages").glob("*.py")) + PARTS:
        for call in _input_calls(path):
            key = next((k.value for k in call.keywords if k.arg == "key"), None)
            if isinstance(key, ast.Constant):
                pages[key.value].add(page_of[path])
        for key in _state_keys(path):  # plain session state is shared by every page of a session too
            pages[key].add(page_of[path])
    shared = {key: sorted(names) for key, names in pages.items() if len(names) > 1}
    assert not shared, f"widget or session-state keys on several pages: {shared}"


DICT_METHODS = ("setdefault", "get", "update", "pop", "keys", "items", "values")


def _state_keys(path) -> set[str]:
    """The keys a file reads or writes in st.session_state by name (a string, or a module constant holding one)."""
    tree = ast.parse(path.read_text())
    constants = {t.id: node.value.value for node in tree.body if isinstance(node, ast.Assign)
                 and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
                 for t in node.targets if isinstance(t, ast.Name)}

    def named(node: ast.AST) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        return constants.get(node.id) if isinstance(node, ast.Name) else None

    def is_state(node: ast.AST) -> bool:
        return isinstance(node, ast.Attribute) and node.attr == "session_state"

    keys = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and is_state(node.value):
            keys.add(named(node.slice))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and is_state(node.func.value) \
                and node.func.attr in ("setdefault", "get") and node.args:
            keys.add(named(node.args[0]))
        elif isinstance(node, ast.Attribute) and is_state(node.value) and node.attr not in DICT_METHODS:
            keys.add(node.attr)
    return keys - {None}


def test_the_learning_cycle_keeps_its_step_apart_from_the_gan_slider():
    # The clash a browser walk found: the learning cycle's counter was "step", the GAN slider's key.
    assert "cycle-step" in _state_keys(APP_ROOT / "ui" / "parts" / "learning_cycle.py")
    assert "step" not in _state_keys(APP_ROOT / "ui" / "parts" / "learning_cycle.py")


def test_url_settings_change_what_the_page_computes():
    default = _run(NEURONS)
    # The same line with its signs flipped: every point changes side, so the accuracy becomes 1 - accuracy.
    flipped = _run(NEURONS, **{"neuron-w1": "-1.0", "neuron-b": "-0.5"})
    assert flipped.session_state["neuron-w1"] == -1.0 and flipped.session_state["neuron-b"] == -0.5
    assert _accuracy(flipped) == pytest.approx(1 - _accuracy(default), abs=1e-9)
    assert _accuracy(default) > 0.8
    assert not flipped.warning  # nothing was refused: no note
    # The sidebar offers the view's link: its query string, here without the page's address (unknown in AppTest).
    assert [c.value for c in flipped.sidebar.get("code")] == ["?neuron-w1=-1.0&neuron-b=-0.5"]
    assert [c.value for c in default.sidebar.get("code")] == ["(this page's address)"]


def test_refused_url_values_fall_back_to_defaults_with_a_note():
    default = _run(NEURONS)
    at = _run(NEURONS, **{"neuron-b": "9", "neuron-activation": "tanh", "tensor-h": "many", "neuron-w2": "0.0",
                          "bogus": "1"})
    assert at.session_state["neuron-b"] == 0.5 and at.session_state["neuron-activation"] == "sigmoid"
    assert at.session_state["tensor-h"] == 1
    assert _accuracy(at) == _accuracy(default)  # the defaults were used
    [note] = [w.value for w in at.warning]
    assert "cannot use" in note and "`neuron-b=9`," in note  # a slider: no list of options
    assert "`neuron-activation=tanh` (one of: `sigmoid σ(z)`, `step (perceptron)`)" in note
    assert "`tensor-h=many`" in note and "Not a setting of this page, ignored: `bogus=1`" in note
    assert "neuron-w2" not in note  # 0.0 is its default: Streamlit drops it from the URL too, but nothing was refused
    assert at.query_params == {"bogus": "1"}  # Streamlit removed the refused values from the URL


def test_the_share_link_leaves_out_what_no_control_claimed():
    at = _run(NEURONS, **{"neuron-w1": "-1.0", "bogus": "1"})
    assert [c.value for c in at.sidebar.get("code")] == ["?neuron-w1=-1.0"]
    assert [w.value for w in at.warning] == ["Not a setting of this page, ignored: `bogus=1`."]


def _partly_valid_app() -> None:
    import streamlit as st

    from ui import chrome

    chrome.page("neurons", "A page with one multiselect.")
    st.multiselect("Widths", (1, 2, 4, 8), default=(2,), key="widths", bind="query-params")
    chrome.end()


def test_a_list_with_unknown_options_keeps_the_known_ones_and_says_so():
    at = AppTest.from_function(_partly_valid_app, default_timeout=30)
    at.query_params["widths"] = ["4", "999", "8"]
    at.run()
    assert at.session_state["widths"] == [4, 8]
    assert [w.value for w in at.warning] == ["Adjusted to what the controls allow: `widths=4,999,8` → `4,8`."]


# -- Presenter mode ----------------------------------------------------------------------------------------
def _styles(at: AppTest) -> list[str]:
    """The page's style sheets, besides the ones every page has (chrome.WRAP_LINKS, layout.CSS: once each)."""
    styles = [h.proto.body for h in at.get("html") if "<style>" in h.proto.body]
    assert styles.count(chrome.WRAP_LINKS) == 1 and styles.count(layout.CSS) == 1
    return [style for style in styles if style not in (chrome.WRAP_LINKS, layout.CSS)]


def test_presenter_mode_from_the_url_adds_the_style_and_can_be_switched_off():
    at = _run(HOME, presenter="true")
    assert at.toggle(key="presenter").value is True
    assert _styles(at) == [presenter.CSS]
    assert f"zoom: {presenter.ZOOM}" in presenter.CSS and '"stDownloadButton"' in presenter.CSS
    assert '"stExpander"' in presenter.CSS and '"stFileUploader"' in presenter.CSS
    [reset] = [h.proto.body for h in at.sidebar.get("html") if "Reset this page" in h.proto.body]
    assert "presenter=true" in reset  # "Reset this page" keeps it
    at.run()
    assert _styles(at) == [presenter.CSS]  # the session keeps it
    at.toggle(key="presenter").set_value(False).run()
    assert not _styles(at)


def test_presenter_mode_comes_to_the_next_page_with_the_url():
    # A walkthrough link or a shared link opens the next page in a fresh session, with presenter=true in its
    # URL (tests/e2e/test_classroom.py follows each kind of link in a browser).
    home = _run(HOME)
    home.toggle(key="presenter").set_value(True).run()
    assert _styles(home) == [presenter.CSS]
    at = _run(str(APP_ROOT / "pages" / "3_Preprocessing.py"), presenter="true")
    assert at.toggle(key="presenter").value is True and _styles(at) == [presenter.CSS]


def test_presenter_mode_is_one_value_kept_in_the_url():
    # Opened from a link, presenter mode stays on when the session moves to another page by a link that does
    # not carry it (st.page_link: a sidebar link, a Home card), and the URL and the share link get it back.
    at = AppTest.from_file(HOME, default_timeout=120)
    at.query_params["presenter"] = "true"
    at.run()
    at.switch_page("pages/3_Preprocessing.py")
    at.query_params.clear()
    at.run()
    assert not at.exception and at.toggle(key="presenter").value is True and _styles(at) == [presenter.CSS]
    assert at.query_params["presenter"] == "true"
    assert [c.value for c in at.sidebar.get("code")] == ["?presenter=true"]
    assert not at.warning  # an app parameter, not an unknown one
    at.toggle(key="presenter").set_value(False).run()
    assert "presenter" not in at.query_params and not _styles(at)
    assert [c.value for c in at.sidebar.get("code")] == ["(this page's address)"]


def _notices(at: AppTest) -> list[str]:
    return [box.value for box in at.info if box.value.startswith("**What to notice:**")]


def test_in_presenter_mode_each_notice_waits_for_its_reveal_button():
    plain = _run(NEURONS, sections="all")
    assert _notices(plain) and not [b for b in plain.button if b.key.startswith("reveal-")]
    at = _run(NEURONS, presenter="true", sections="all")
    buttons = [b for b in at.button if b.key.startswith("reveal-")]
    assert not _notices(at) and len(buttons) == len(_notices(plain))
    assert at.session_state[chrome.FACTS] == plain.session_state[chrome.FACTS]  # recorded all the same
    buttons[1].click().run()
    assert _notices(at) == [_notices(plain)[1]]  # that one only, and it stays open
    at.run()
    assert _notices(at) == [_notices(plain)[1]] and len([b for b in at.button if b.key.startswith("reveal-")]) == \
        len(buttons) - 1


def test_presenter_mode_is_off_by_default():
    at = _run(HOME)
    assert at.toggle(key="presenter").value is False and not _styles(at)


def test_enlarge_scales_every_chart_font_and_leaves_the_spec_alone():
    history = pd.DataFrame({"variant": "model", "epoch": [1, 2, 1, 2], "split": ["train"] * 2 + ["validation"] * 2,
                            "metric": "loss", "value": [1.0, 0.5, 1.1, 0.7]})
    spec = charts.style(charts.curves(history)).to_dict()
    before = {part: dict(values) for part, values in spec["config"].items()}
    big = presenter.enlarge(spec, scale=1.5)
    assert big["config"]["axis"]["labelFontSize"] == 1.5 * before["axis"]["labelFontSize"]
    assert big["config"]["title"]["fontSize"] == 1.5 * before["title"]["fontSize"]
    assert big["config"]["legend"]["orient"] == before["legend"]["orient"]  # not a size: unchanged
    assert big["config"]["header"]["labelFontSize"] == 15  # Vega-Lite's default 10, unset in the theme
    assert spec["config"] == before and big["datasets"] is spec["datasets"]


# -- Walkthrough -------------------------------------------------------------------------------------------
def test_the_steps_follow_the_slides_and_each_opens_a_chapter_page():
    steps = tour.steps()
    assert len(steps) >= 27 and [s.number for s in steps] == list(range(1, len(steps) + 1))
    firsts = [s.first_slide for s in steps]
    assert firsts == sorted(firsts), "steps must be in slide order"
    assert {s.page for s in steps} <= {c.page for c in CHAPTERS} | {tour.HOME}
    assert steps[0].page == tour.HOME and steps[0].first_slide == 9  # the lesson goals come first
    assert len({s.title for s in steps}) == len(steps)
    for step in steps:
        assert step.text and "\n" not in step.text and len(step.text) < 700, f"step {step.number}: one paragraph"
    # Every chapter has at least one step.
    assert {c.page for c in CHAPTERS} <= {s.page for s in steps}


def test_every_step_asks_the_class_one_question_and_its_title_fits_a_line():
    for step in tour.steps():
        question = step.question
        assert question.endswith("?") and question.count("?") == 1 and question[0].isupper(), step.number
        assert 10 < len(question) <= 80 and len(step.title) <= 60, f"step {step.number}: too long for one line"


def test_url_values_from_toml():
    [step] = tour.parse('[[step]]\nslides = "5"\nchapter = "neurons"\ntitle = "T"\n'
                        'text = """one\n  paragraph"""\n[step.params]\nswitch = true\nrate = 0.3\nn = 4\n'
                        'names = ["A b", "C"]\nlabel = "Two moons"\n')
    assert step.text == "one paragraph" and step.section == ""
    # a step about no one section opens every section of its page
    assert step.query() == {"switch": "true", "rate": "0.3", "n": "4", "names": ["A b", "C"], "label": "Two moons",
                            "tour": "1", "sections": "all"}
    assert step.href() == ("Neurons_and_layers?switch=true&rate=0.3&n=4&names=A+b&names=C&label=Two+moons&tour=1"
                           "&sections=all#walkthrough")
    assert step.href("http://host/app/").startswith("http://host/app/Neurons_and_layers?switch=true")
    assert "presenter" not in step.href() and "tour=" not in step.href(in_tour=False)


def test_a_step_names_its_chapter_by_a_key_of_the_lesson_map():
    assert tour.parse('[[step]]\nslides = "9"\nchapter = "home"\ntitle = "T"\ntext = "t"\n')[0].page == tour.HOME
    assert tour.parse('[[step]]\nslides = "66"\nchapter = "cnn"\ntitle = "T"\ntext = "t"\n')[0].page == \
        lesson_map.chapter("cnn").page
    with pytest.raises(KeyError, match="no chapter 'pages/8_Zoo_CNN.py'"):  # a page path is not a key
        tour.parse('[[step]]\nslides = "66"\nchapter = "pages/8_Zoo_CNN.py"\ntitle = "T"\ntext = "t"\n')


def _links(at: AppTest) -> dict[str, str]:
    """The walkthrough panel's links: label start -> href."""
    body = next(h.proto.body for h in at.get("html") if ">Leave</a>" in h.proto.body)
    return {part.split(">", 1)[1].split(":")[0].split("<")[0].strip("◀▶ "): part.split('"')[0]
            for part in body.split('<a href="')[1:]}


def _follow(href: str) -> AppTest:
    """Open a walkthrough link as the browser would: the page it names, with its query (a fresh session)."""
    url = urlsplit(href.replace("&amp;", "&"))
    page = next(s.page for s in tour.steps() if s.url_path == url.path.strip("./"))
    query = {k: v if len(v) > 1 else v[0] for k, v in parse_qs(url.query).items()}
    at = AppTest.from_file(HOME, default_timeout=120)
    if page != tour.HOME:
        at.switch_page(page)
    at.query_params.update(query)
    at.run()
    assert not at.exception, at.exception
    return at


def test_next_and_previous_cross_from_one_page_to_the_next():
    steps = tour.steps()
    last_on_1 = max(s.number for s in steps if s.page.startswith("pages/1_"))
    here, after = steps[last_on_1 - 1], steps[last_on_1]
    assert after.page.startswith("pages/2_")
    at = _follow(here.href())
    assert here.title in [s.value for s in at.subheader]
    assert f":material/quiz: **Ask the class:** {here.question}" in [m.value for m in at.markdown]
    links = _links(at)
    assert links["Previous"] == steps[last_on_1 - 2].href().replace("&", "&amp;")
    assert links["Next"] == after.href().replace("&", "&amp;")
    nxt = _follow(links["Next"])  # the next step's page, its panel and its preset
    assert after.title in [s.value for s in nxt.subheader]
    for key, value in after.params:
        assert float(nxt.session_state[key]) == float(value)
    assert nxt.session_state["step-lr"] == 0.5  # not in the preset: its default
    assert "live-epochs" not in nxt.session_state  # in a closed section: not drawn
    assert _links(nxt)["Previous"] == here.href().replace("&", "&amp;")
    # The panel (a subheader) sits right above the section it is about (an expander's label).
    titles = [n.value if n.type == "subheader" else n.label for n in nxt.main if n.type in ("subheader", "expander")]
    assert titles[titles.index(after.title) + 1].startswith(after.section)


def test_first_step_leads_back_to_the_map_and_home_lists_every_step():
    at = _follow(tour.steps()[0].href())
    assert _links(at)["Lesson map"] == "./"
    home = _run(HOME)
    listed = "".join(h.proto.body for h in home.get("html"))
    for step in tour.steps():
        assert f'href="{step.href()}"'.replace("&", "&amp;") in listed, step.title


@pytest.mark.parametrize("asked", ["999", "zero"])
def test_a_step_that_does_not_exist_is_named(asked):
    at = _run(NEURONS, tour=asked)
    assert [w.value for w in at.warning] == [
        f"The walkthrough has steps 1 to {len(tour.steps())}; `tour={asked}` is not one of them."]


def test_a_step_on_another_page_links_to_it():
    step = next(s for s in tour.steps() if s.page.startswith("pages/2_"))
    at = _run(NEURONS, tour=str(step.number))
    [html] = [h.proto.body for h in at.get("html") if "Walkthrough step" in h.proto.body]
    assert f"Open step {step.number}" in html and step.url_path in html


@pytest.mark.parametrize("path", ["pages/12_Zoo_Transformer.py", "pages/13_Zoo_GAN.py"])
def test_a_page_that_stops_early_still_says_which_url_settings_it_ignored(path):
    # Both stop after their shipped sections while "Train it yourself" is off; the note of the final
    # checkpoint (chrome.end) must still come, or a mistyped link is silently ignored.
    at = _run(str(APP_ROOT / path), nonsense="1")
    notes = [w.value for w in at.warning if "nonsense" in w.value]
    assert notes == ["Not a setting of this page, ignored: `nonsense=1`."]


def _popovers(node) -> list[tuple[str, str]]:
    """Every popover under `node`, in order: its label and the text of the markdown inside it."""
    found: list[tuple[str, str]] = []
    for child in getattr(node, "children", {}).values():
        if isinstance(child, Block) and child.type == "popover":
            found.append((child.proto.popover.label, " ".join(m.value for m in child.markdown)))
        found.extend(_popovers(child))
    return found


def test_in_presenter_mode_the_opening_paragraphs_wait_behind_popovers():
    # On a projector the experiment keeps the screen: a page's and a section's opening paragraphs go behind
    # "About this page" / "About this section" (the walkthrough's step 6 lands with its first chart 802 ->
    # 609 px down at 1280x720), and a zoo page's Purpose / Architecture / Output stays in view.
    from ui.parts import neurons

    plain = _run(NEURONS, sections="all")
    assert not _popovers(plain.main)
    assert neurons.THEORY in [m.value for m in plain.main.markdown]
    shown = _run(NEURONS, presenter="true", sections="all")
    behind = _popovers(shown.main)
    for opening in (neurons.NEURON_INTRO, neurons.TENSOR_INTRO, neurons.THEORY):
        assert ("About this section", opening) in behind
        assert [m.value for m in shown.main.markdown].count(opening) == 1  # there, and nowhere else
    assert behind[0][0] == "About this page"
    zoo = _run(str(APP_ROOT / "pages" / "13_Zoo_GAN.py"), presenter="true")
    assert "**min-max game**" in dict(_popovers(zoo.main))["About this page"]
    assert any(m.value.startswith("- **Purpose:**") for m in zoo.main.markdown)


LEARNING_CYCLE = str(APP_ROOT / "pages" / "2_Learning_cycle.py")


def test_a_button_that_moves_a_url_bound_control_brings_no_adjusted_note():
    # A browser walk: from step 1 on (the URL holding cycle-step=1), each "Next step" drew "Adjusted to what the
    # controls allow: cycle-step=1 -> 2" and pushed the page down under the student's pointer.
    at = _run(LEARNING_CYCLE, **{"cycle-step": "1"})
    assert at.number_input(key="cycle-step").value == 1 and not at.warning
    for expected in (2, 3):
        next(b for b in at.button if b.label == "Next step ▶").click().run()
        assert at.number_input(key="cycle-step").value == expected
        assert at.query_params["cycle-step"] == str(expected)
        assert not at.warning, [w.value for w in at.warning]
    at = _run(NEURONS, **{"neuron-w1": "-1.0", "neuron-train": "true"})  # the neuron's learned values, the same way
    next(b for b in at.button if b.label == "Put them on the sliders").click().run()
    assert at.slider(key="neuron-w1").value != -1.0 and not at.warning, [w.value for w in at.warning]
    # a link's value the control does adjust still says so
    assert "Adjusted to what the controls allow" in _run(LEARNING_CYCLE, **{"cycle-step": "2.5"}).warning[0].value

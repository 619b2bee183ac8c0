"""The classroom features in a real browser, where the URL bar and page changes are real: a shared link's
settings and its note, presenter mode across every way the app moves between pages, the walkthrough's
panel on a projector-sized window (1280x720) and walking the walkthrough by its links."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from ui import pace, presenter, tour

from .conftest import ARTIFACTS
from .test_pages import SCRIPT_FINISHED_JS, UNDRAWN_CHARTS_JS

pytestmark = pytest.mark.e2e

VIEWPORT = {"width": 1400, "height": 900}
PROJECTOR = {"width": 1280, "height": 720}  # the projector; the panel may take a third of it
PANEL_MAX_PX = 240
TIMEOUT_MS = 90_000
PRESENTER_STYLE_JS = ("() => [...document.querySelectorAll('style')]"
                      f".some(s => s.textContent.includes('zoom: {presenter.ZOOM}'))")
SIDEBAR = '[data-testid="stSidebar"]'
# The walkthrough panel's place and height, and the top of the first drawn chart, picture, table or displayed
# equation under the heading of the step's section (the panel itself when the step has no section), all
# relative to the window.
VISUALS = ('[data-testid="stVegaLiteChart"], [data-testid="stImage"], [data-testid="stTable"], '
           '[data-testid="stDataFrame"], .katex-display')
LANDING_JS = """([number, section]) => {
    const panel = document.querySelector('.st-key-walkthrough-step-' + number);
    const box = panel.getBoundingClientRect();
    // a section's heading is its expander's label (ui/chrome.section)
    const heading = section ? [...document.querySelectorAll(
            '[data-testid="stMain"] :is(h3, [data-testid="stExpander"] summary)')]
        .find(h => h.innerText.split('\\n').some(line => line.trim().startsWith(section))  // past an icon's name
                   && !panel.contains(h)) : panel;
    const chart = [...document.querySelectorAll('[data-testid="stMain"] :is(VISUALS)')]
        .find(c => (heading.compareDocumentPosition(c) & Node.DOCUMENT_POSITION_FOLLOWING)
                   && c.getBoundingClientRect().height > 0);
    return {top: box.top, height: box.height, chart: chart.getBoundingClientRect().top};
}""".replace("VISUALS", VISUALS)


@pytest.fixture
def page(chromium_browser):
    context = chromium_browser.new_context(viewport=VIEWPORT)
    yield context.new_page()
    context.close()


def _settle(page) -> None:
    page.wait_for_timeout(500)  # a click's rerun starts a moment later
    page.wait_for_function(SCRIPT_FINISHED_JS, timeout=TIMEOUT_MS, polling=100)
    page.wait_for_function(f"() => ({UNDRAWN_CHARTS_JS})() === 0", timeout=TIMEOUT_MS, polling=200)


def _open(page, url: str) -> None:
    page.goto(url, wait_until="domcontentloaded")
    _settle(page)


def _shot(page, name: str) -> None:
    (ARTIFACTS / "screenshots").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "screenshots" / f"{name}.png"))


def _share_link(page) -> str:
    """The link in the sidebar's "Share this view" popover (opened to read it, then closed)."""
    page.locator(SIDEBAR).get_by_role("button", name="Share this view").click()
    link = page.locator('[data-testid="stPopoverBody"] [data-testid="stCode"]')
    text = link.inner_text().replace("\n", "")
    page.keyboard.press("Escape")
    link.wait_for(state="hidden")
    return text


def _presenting(page, where: str) -> None:
    """Presenter mode is on in every place that shows it: the style, the switch, the URL and the share link."""
    assert page.evaluate(PRESENTER_STYLE_JS), f"{where}: no presenter style"
    assert page.locator(f'{SIDEBAR} [data-testid="stCheckbox"] input').first.is_checked(), f"{where}: switch off"
    assert parse_qs(urlsplit(page.url).query).get("presenter") == ["true"], f"{where}: {page.url}"
    assert "presenter=true" in _share_link(page), f"{where}: share link {_share_link(page)}"


def test_a_shared_link_sets_the_page_and_names_what_it_could_not_use(page, app_url):
    _open(page, f"{app_url}/Neurons_and_layers?neuron-w1=-2.5&neuron-b=9&bogus=1")
    note = page.locator('[data-testid="stAlertContentWarning"]').first.inner_text()
    assert "neuron-b=9" in note and "bogus=1" in note and "neuron-w1" not in note
    assert "-2.50" in page.locator('[data-testid="stSlider"]').filter(has_text="w1 (weight of x1)").inner_text()
    assert "neuron-b" not in page.url and "neuron-w1=-2.5" in page.url  # Streamlit took the refused value out
    shared = _share_link(page)
    assert shared.startswith(f"{app_url}/Neurons_and_layers?neuron-w1=-2.5") and "bogus" not in shared


def test_presenter_mode_survives_every_way_to_another_page(page, app_url):
    page.set_viewport_size(PROJECTOR)
    _open(page, f"{app_url}/?presenter=true")  # a link with presenter mode, as a teacher sends it
    _presenting(page, "Home from a link")
    page.locator('[data-testid="stMain"] [data-testid="stPageLink"]').filter(has_text="Open chapter").nth(6).click()
    _settle(page)  # a Home card (st.page_link): the zoo overview, quick to draw
    assert "/Zoo_overview" in page.url
    _presenting(page, "after a Home card")
    assert page.locator('[data-testid="stDownloadButton"]').first.is_hidden()
    page.locator(SIDEBAR).get_by_text("1. Neurons and layers").click()  # a sidebar link
    _settle(page)
    assert "/Neurons_and_layers" in page.url
    _presenting(page, "after a sidebar link")
    # Predict, then reveal: the notices wait for their buttons.
    reveal = page.get_by_role("button", name="Reveal: what to notice")
    closed = reveal.count()  # the notices of the first view's section
    assert closed >= 1 and not page.get_by_text("What to notice:").count()
    reveal.first.click()
    _settle(page)
    assert page.get_by_text("What to notice:").count() == 1 and reveal.count() == closed - 1
    page.locator(SIDEBAR).get_by_text("Reset this page").click()  # "Reset this page": a fresh session
    _settle(page)
    _presenting(page, "after Reset this page")
    shared = _share_link(page)
    page.goto("about:blank")
    _open(page, shared)  # the share link, opened anew
    _presenting(page, "from the share link")
    _shot(page, "classroom_presenter")
    page.locator(SIDEBAR).get_by_text("Presenter mode").click()  # and the switch turns it off for good
    _settle(page)
    page.locator(SIDEBAR).get_by_text("Lesson map").click()
    _settle(page)
    assert not page.evaluate(PRESENTER_STYLE_JS) and "presenter" not in page.url + _share_link(page)


def _landing(page, step: tour.Step) -> None:
    """The step's panel at the top, at most a third of the window high, and its section's first chart in view."""
    page.wait_for_timeout(2_500)  # the panel is held in place until the page has been still for 2 s
    landing = page.evaluate(LANDING_JS, [step.number, step.section])
    assert 0 <= landing["top"] <= 20 and landing["height"] <= PANEL_MAX_PX, f"step {step.number}: {landing}"
    assert 0 <= landing["chart"] < PROJECTOR["height"] - 100, f"step {step.number}: first chart not in view: {landing}"
    _shot(page, f"classroom_step_{step.number}")


def test_walk_the_walkthrough_in_presenter_mode_on_a_projector(page, app_url):
    # Steps 3 and 24 used to start 577 and 638 px down: content drawn above the panel after the jump pushed it.
    # In presenter mode the opening paragraphs wait behind "About this page/section" popovers (step 4's
    # step 6 its first chart from 802 to 609 px down; step 4 counts its equation as its first picture).
    steps = tour.steps()
    page.set_viewport_size(PROJECTOR)
    _open(page, f"{app_url}/?presenter=true")
    page.get_by_text(f"Start the walkthrough: {steps[0].title}").click()
    _settle(page)
    sized = False
    for step in steps[:4]:  # steps 1, 2 (Home) -> 3 -> 4 by "Next", each a fresh page load with its preset
        assert f"tour={step.number}" in page.url
        _presenting(page, f"step {step.number}")
        panel = page.locator(f".st-key-walkthrough-step-{step.number}")
        assert step.title in panel.inner_text() and step.question in panel.inner_text()
        if step.number in (2, 3, 4):
            _landing(page, step)
        for key, _value in step.params:
            assert f"{key}=" in page.url, f"step {step.number}: {key} is not in the URL"
        if dict(step.params).get("tensor-h") == "4":  # its preset: four neurons in the layer
            slider = page.locator('[data-testid="stSlider"]').filter(has_text="Neurons in the layer (H)")
            assert slider.locator('[data-testid="stSliderThumbValue"]').inner_text() == "4"
            sized = True
        if step.number < 4:
            panel.get_by_text("Next ▶", exact=True).click()
            _settle(page)
    assert sized, "the layer-size step was not among the first four"
    page.locator(".st-key-walkthrough-step-4").get_by_text("◀ Previous", exact=True).click()
    _settle(page)
    assert "tour=3" in page.url and steps[2].title in page.locator(".st-key-walkthrough-step-3").inner_text()
    # The step picker (a popover, shown in presenter mode where expanders are hidden) resumes at any step.
    page.get_by_role("button", name=re.compile(r"^Step 3 of ")).click()
    page.locator('[data-testid="stPopoverBody"]').get_by_text(steps[23].title).click()
    _settle(page)
    assert "tour=24" in page.url
    _presenting(page, "step 24 from the picker")
    _landing(page, steps[23])


def test_a_shared_link_reopens_the_learning_cycle_at_its_step(page, app_url):
    # The counter was left out of the link: step 2 reopened as step 0. One step on is enough to tell.
    _open(page, f"{app_url}/Learning_cycle")
    page.get_by_role("button", name="Next step ▶").click()
    _settle(page)
    assert "cycle-step=1" in page.url and "cycle-step=1" in _share_link(page)
    shared = _share_link(page)
    page.goto("about:blank")
    _open(page, shared)
    assert page.get_by_label("Step shown").input_value() == "1"


def test_a_student_clicking_faster_than_the_pace_still_gets_the_page_they_asked_for(page, app_url):
    # Reruns over a tab's pace (ui/pace.py) are held back in the server and run in turn, a held one without a button
    # press replaced by the next: clicks on the counter's + past the burst must end on exactly that step, drawn, with
    # nothing refused or broken (it fails when held reruns are dropped). Button presses are not counted here: under
    # load Streamlit itself folds presses that arrive before the previous run started into one.
    clicks = pace.BURST + 5
    _open(page, f"{app_url}/Learning_cycle")
    plus = page.locator('[data-testid="stNumberInput"]').filter(has_text="Step shown").get_by_test_id(
        "stNumberInputStepUp")
    for _ in range(clicks):
        plus.click(delay=0)
    page.wait_for_timeout(1_000 * (clicks - pace.BURST + 2) / pace.RATE)  # the held ones run at RATE a second
    _settle(page)
    assert page.get_by_label("Step shown").input_value() == str(clicks)
    assert f"cycle-step={clicks}" in page.url
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator('[data-testid="stAlert"]').filter(has_text="Adjusted").count() == 0
    assert page.locator('[data-testid="stMain"] strong', has_text=re.compile(rf"^Step {clicks}$")).count() == 1


def test_presenter_mode_hides_folded_details_but_keeps_folded_figures(page, app_url):
    # The vanishing-gradients page folds its heat map over training (a figure) and, in section 3, the code that counts
    # a dead unit (a detail): on a projector the teacher can still open the first; the second is hidden.
    _open(page, f"{app_url}/Vanishing_gradients_and_batch_normalization?presenter=true&sections=all")
    main = page.locator('[data-testid="stMain"]')
    figure = main.get_by_text("Over training: the gradient norm per layer and epoch")
    detail = main.get_by_text("How a dead unit is counted")
    assert figure.count() == 1 and figure.is_visible()
    assert detail.count() == 1 and not detail.is_visible()
    charts = main.locator('[data-testid="stVegaLiteChart"]').count()
    figure.click()
    _settle(page)
    assert main.locator('[data-testid="stVegaLiteChart"]').count() == charts + 1  # the heat map, drawn on opening

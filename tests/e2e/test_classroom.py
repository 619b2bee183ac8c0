"""The classroom features in a real browser, where the URL bar and page changes are real: a shared link's
settings and its note, presenter mode across a page change, and walking the walkthrough by its links."""
from __future__ import annotations

import re

import pytest

from ui import presenter, tour

from .conftest import ARTIFACTS
from .test_pages import SCRIPT_FINISHED_JS, UNDRAWN_CHARTS_JS

pytestmark = pytest.mark.e2e

VIEWPORT = {"width": 1400, "height": 900}
TIMEOUT_MS = 90_000
PRESENTER_STYLE_JS = ("() => [...document.querySelectorAll('style')]"
                      f".some(s => s.textContent.includes('zoom: {presenter.ZOOM}'))")
SIDEBAR = '[data-testid="stSidebar"]'


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


def test_a_shared_link_sets_the_page_and_names_what_it_could_not_use(page, app_url):
    _open(page, f"{app_url}/Neurons_and_layers?neuron-w1=-2.5&neuron-b=9&bogus=1")
    note = page.locator('[data-testid="stAlertContentWarning"]').first.inner_text()
    assert "neuron-b=9" in note and "bogus=1" in note and "neuron-w1" not in note
    assert "-2.50" in page.locator('[data-testid="stSlider"]').filter(has_text="w1 (weight of x1)").inner_text()
    assert "neuron-b" not in page.url and "neuron-w1=-2.5" in page.url  # Streamlit took the refused value out
    shared = page.locator(f'{SIDEBAR} [data-testid="stCode"]').inner_text()
    assert shared.replace("\n", "").startswith(f"{app_url}/Neurons_and_layers?neuron-w1=-2.5")


def test_presenter_mode_survives_a_page_change(page, app_url):
    _open(page, f"{app_url}/Preprocessing")
    assert not page.evaluate(PRESENTER_STYLE_JS)
    page.locator(SIDEBAR).get_by_text("Presenter mode").click()
    _settle(page)
    assert page.evaluate(PRESENTER_STYLE_JS) and "presenter=true" in page.url
    assert page.locator('[data-testid="stDownloadButton"]').first.is_hidden()
    page.locator(SIDEBAR).get_by_text("1. Neurons and layers").click()
    _settle(page)
    assert "Neurons_and_layers" in page.url and "presenter=true" in page.url
    assert page.evaluate(PRESENTER_STYLE_JS)
    assert page.locator(f'{SIDEBAR} [data-testid="stCheckbox"] input').first.is_checked()
    (ARTIFACTS / "screenshots").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "screenshots" / "classroom_presenter.png"))


def test_walk_the_walkthrough_by_its_links(page, app_url):
    steps = tour.steps()
    _open(page, app_url)
    page.get_by_text(f"Start the walkthrough: {steps[0].title}").click()
    _settle(page)
    sized = False
    for step in steps[:4]:  # steps 1, 2 (Home) -> 3 -> 4 by "Next", each a fresh page load with its preset
        assert f"tour={step.number}" in page.url
        panel = page.locator(f".st-key-walkthrough-step-{step.number}")
        assert step.title in panel.inner_text() and f"step {step.number} of {len(steps)}" in panel.inner_text()
        for key, _value in step.params:
            assert f"{key}=" in page.url, f"step {step.number}: {key} is not in the URL"
        if dict(step.params).get("tensor-h") == "4":  # its preset: four neurons in the layer
            slider = page.locator('[data-testid="stSlider"]').filter(has_text="Neurons in the layer (H)")
            assert slider.locator('[data-testid="stSliderThumbValue"]').inner_text() == "4"
            sized = True
        if step.number < 4:
            panel.get_by_text(re.compile(r"^Next:")).click()
            _settle(page)
    assert sized, "the layer-size step was not among the first four"
    (ARTIFACTS / "screenshots").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "screenshots" / "classroom_walkthrough.png"))
    page.locator(".st-key-walkthrough-step-4").get_by_text(re.compile(r"^◀ Previous:")).click()
    _settle(page)
    assert "tour=3" in page.url and steps[2].title in page.locator(".st-key-walkthrough-step-3").inner_text()

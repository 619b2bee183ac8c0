"""Visit every sidebar page of the running app in Chromium: no exception, charts drawn, screenshot saved."""
from __future__ import annotations

import contextlib
import re
from urllib.parse import urljoin, urlparse

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from ui.lesson_map import CHAPTERS

from .conftest import ARTIFACTS

pytestmark = pytest.mark.e2e

SCREENSHOTS = ARTIFACTS / "screenshots"
VIEWPORT = {"width": 1400, "height": 900}
RUN_TIMEOUT_MS = 60_000  # a page's default view must finish well within this on 2 CPU cores
CHART_TIMEOUT_MS = 15_000
MAX_SCREENSHOT_HEIGHT = 12_000  # px; keeps a runaway page from producing a giant image

# Test ids and attributes checked against Streamlit 1.67's frontend bundle. The app root
# carries data-test-script-state: "initial" -> "running" -> "notRunning" (or
# "compilationError" for a syntax error, which the exception check then reports).
SCRIPT_FINISHED_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || !document.querySelector('[data-testid="stMain"]')) return false;
    const state = app.getAttribute('data-test-script-state');
    const running = document.querySelector('[data-testid="stStatusWidgetRunningIcon"]');
    return (state === 'notRunning' || state === 'compilationError') && !running;
}"""
# Visible elements still waiting to be drawn: a chart's code loads lazily behind an
# stSkeleton placeholder, then vega draws a canvas (or an svg.marks with the SVG renderer).
# Charts in a closed tab or expander are not visible and not waited for.
UNDRAWN_CHARTS_JS = """() => {
    const visible = (el) => el.getClientRects().length > 0;
    const loading = Array.from(document.querySelectorAll('[data-testid="stMain"] [data-testid="stSkeleton"]'));
    const charts = Array.from(document.querySelectorAll('[data-testid="stVegaLiteChart"]'));
    return loading.filter(visible).length
        + charts.filter(visible).filter(chart => !chart.querySelector('canvas, svg.marks')).length;
}"""
# Streamlit scrolls inside stMain, not the document, so a full-page screenshot needs a
# viewport as tall as the content.
CONTENT_HEIGHT_JS = """() => {
    const main = document.querySelector('[data-testid="stMain"]');
    return Math.max(main ? main.scrollHeight : 0, document.documentElement.scrollHeight);
}"""


def _slug(url: str) -> str:
    path = urlparse(url).path.strip("/")
    return re.sub(r"[^a-z0-9]+", "_", path.lower()).strip("_") or "home"


def _wait_until_finished(page, url: str) -> None:
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_function(SCRIPT_FINISHED_JS, timeout=RUN_TIMEOUT_MS, polling=100)


def _full_page_screenshot(page, path) -> None:
    height = min(max(page.evaluate(CONTENT_HEIGHT_JS), VIEWPORT["height"]), MAX_SCREENSHOT_HEIGHT)
    page.set_viewport_size({"width": VIEWPORT["width"], "height": height})
    try:
        page.wait_for_timeout(300)  # charts re-layout to the new size
        page.screenshot(path=str(path), full_page=True)
    finally:
        page.set_viewport_size(VIEWPORT)


@pytest.fixture(scope="module")
def browser_page(chromium_browser):
    context = chromium_browser.new_context(viewport=VIEWPORT)
    yield context.new_page()
    context.close()


@pytest.fixture(scope="module")
def sidebar_pages(browser_page, app_url) -> list[tuple[str, str]]:
    """(label, absolute URL) of every page the sidebar offers, read from the home page."""
    _wait_until_finished(browser_page, app_url)
    # The lesson map (ui/chrome.py) replaces Streamlit's own page list: its st.page_link
    # entries are the sidebar's links, Home plus every chapter whose page exists.
    expected = 1 + len(CHAPTERS)
    links = browser_page.locator('[data-testid="stSidebar"] a[data-testid="stPageLink-NavLink"]')
    # The sidebar can still be filling in when the script reports that it finished; on a timeout the
    # assertion in test_sidebar_lists_home_and_chapters names what is missing.
    with contextlib.suppress(PlaywrightTimeout):
        browser_page.wait_for_function(
            f"() => document.querySelectorAll('[data-testid=stSidebar] a[data-testid=stPageLink-NavLink]').length"
            f" >= {expected}", timeout=CHART_TIMEOUT_MS)
    pages = {}
    for link in links.all():
        label = link.inner_text().strip().splitlines()[-1]  # the text after the icon's name
        pages.setdefault(urljoin(app_url + "/", link.get_attribute("href")), label)
    return [(label, url) for url, label in pages.items()]


def _problems_on(page, label: str, url: str) -> list[str]:
    """Open one page and return what is wrong with it (empty when it is fine)."""
    problems = []
    try:
        _wait_until_finished(page, f"{url}?sections=all")  # every section open, drawn and photographed
    except PlaywrightTimeout as error:  # still look at and photograph the page
        problems.append(f"{label}: the script did not finish within {RUN_TIMEOUT_MS / 1000:.0f} s ({error})")
    try:
        page.wait_for_function(f"() => ({UNDRAWN_CHARTS_JS})() === 0", timeout=CHART_TIMEOUT_MS, polling=200)
    except PlaywrightTimeout:
        undrawn = page.evaluate(UNDRAWN_CHARTS_JS)
        problems.append(f"{label}: {undrawn} chart(s) not drawn after {CHART_TIMEOUT_MS / 1000:.0f} s")
    exceptions = page.locator('[data-testid="stException"]')
    if exceptions.count():
        first = exceptions.first.inner_text().strip().splitlines()
        problems.append(f"{label}: {exceptions.count()} exception box(es), the first: {' | '.join(first[:3])}")
    if "Traceback" in page.locator('[data-testid="stApp"]').inner_text():
        problems.append(f"{label}: the page shows a Python traceback")
    _full_page_screenshot(page, SCREENSHOTS / f"{_slug(url)}.png")
    return problems


def test_sidebar_lists_home_and_chapters(sidebar_pages):
    labels = [label for label, _ in sidebar_pages]
    expected = ["Lesson map"] + [chapter.title for chapter in CHAPTERS]
    assert len(sidebar_pages) == len(expected) >= 2, f"expected {expected} in the sidebar, found {labels}"
    for title in expected:
        assert any(title in label for label in labels), f"{title!r} is not linked from the sidebar: {labels}"


def test_sidebar_shows_every_chapter_title_whole(browser_page, sidebar_pages):
    # Streamlit cuts a page link's label to one line ("5. Vanishing gradients and batch n..."); ui/chrome.py wraps it.
    cut = browser_page.evaluate("""() => Array.from(document.querySelectorAll(
        '[data-testid="stSidebar"] [data-testid="stPageLink-NavLink"] [data-testid="stMarkdownContainer"]'))
        .filter(el => el.scrollWidth > el.clientWidth + 1
                      || el.parentElement.scrollWidth > el.parentElement.clientWidth + 1)
        .map(el => el.innerText)""")
    assert len(sidebar_pages) >= 2 and cut == []
    longest = max((label for label, _ in sidebar_pages), key=len)
    box = browser_page.get_by_role("link", name=longest).bounding_box()
    assert box is not None and box["height"] > 40  # the longest title takes two lines instead of an ellipsis


def test_every_page_renders_without_error(browser_page, sidebar_pages):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems = [problem for label, url in sidebar_pages for problem in _problems_on(browser_page, label, url)]
    assert not problems, "\n".join(problems)

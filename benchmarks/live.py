"""The learning-cycle page's live training, counted in Chromium: how often its decision map redraws (issue 20).

A real `streamlit run Home.py` server; one headless Chromium opens the learning-cycle page with a run of
EPOCHS epochs on SAMPLES samples (its URL parameters), presses "Train it", and counts, at every animation
frame of the browser, whether the live map's picture changed (its `img.live-map` src). Redraws per second
are the changes over the time from the first change to the last; epochs per redraw, the epochs over the
changes. Both need /usr/bin/chromium; without it the figures are errors that say so.
"""
from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.load import CHROMIUM, CHROMIUM_ARGS, server
from benchmarks.workloads import Figure

EPOCHS, SAMPLES = 300, 1000  # the run: about 5 s of training on a 2-core CPU
PAGE = "Learning_cycle"
SECTION = "learning_cycle-section-2"  # the live run's section (ui/tour.section_key), closed in the first view
NAMES = ("live.redraws_per_s", "live.epochs_per_redraw", "live.run_s")
TIMEOUT_MS = 120_000
# Records the time of every change of the live map's picture, checked once per animation frame (what can be seen).
WATCH_JS = """() => {
    window.__mapChanges = []; let last = null;
    const tick = () => {
        const img = document.querySelector('[data-testid="stMain"] img.live-map');
        const src = img ? img.getAttribute('src') : null;
        if (src !== null && src !== last) { window.__mapChanges.push(performance.now()); last = src; }
        requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
}"""
# Whether the run's Stop button is on the page (its text ends with its label, after its icon's name), asked 4
# times a second: a Playwright role locator waiting for it to go would match the page's whole accessibility tree
# at every animation frame, a browser busy with the test.
STOP_SHOWN_JS = """() => [...document.querySelectorAll('[data-testid="stMain"] button')]
    .some(b => b.textContent.trim().endsWith('Stop'))"""


@dataclass(frozen=True)
class Play:
    """One live run watched in the browser: when its map changed (ms, the page's clock) and how long it ran."""

    changes: list[float]
    run_s: float  # from the press to the Stop button gone (the run's end)

    def changes_within(self, seconds: float) -> int:
        """How many times the map changed in the first `seconds` after its first change."""
        return sum(1 for t in self.changes if t - self.changes[0] <= seconds * 1000) if self.changes else 0

    def most_within(self, seconds: float) -> int:
        """The most changes of the map in any `seconds` of the run (a window that starts at a change)."""
        ends = np.searchsorted(self.changes, np.asarray(self.changes) + seconds * 1000, side="right")
        return int((ends - np.arange(len(self.changes))).max()) if self.changes else 0

    @property
    def redraws_per_s(self) -> float:
        if len(self.changes) < 2:
            return 0.0
        return (len(self.changes) - 1) / ((self.changes[-1] - self.changes[0]) / 1000)


def play(page, app_url: str, epochs: int = EPOCHS, samples: int = SAMPLES) -> Play:
    """Open the page for a live run of `epochs` on `samples`, press its start button, watch the map to the end."""
    page.goto(f"{app_url}/{PAGE}?{SECTION}=true&live-epochs={epochs}&live-n={samples}",
              wait_until="domcontentloaded")
    start = page.get_by_role("button", name="Train it")
    start.first.wait_for(timeout=TIMEOUT_MS)
    page.evaluate(WATCH_JS)
    began = time.perf_counter()
    start.first.click()
    page.wait_for_function(STOP_SHOWN_JS, timeout=TIMEOUT_MS, polling=250)
    page.wait_for_function(f"() => !({STOP_SHOWN_JS})()", timeout=TIMEOUT_MS, polling=250)
    return Play(page.evaluate("window.__mapChanges"), time.perf_counter() - began)


def workload() -> list[Figure]:
    """The three figures, or an error figure for each when the browser or the server is missing."""
    if not CHROMIUM.exists():
        note = f"{CHROMIUM} not found: install it with `apt-get install chromium`"
        return [Figure(name, None, "", "", note) for name in NAMES]
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as workdir, server(Path(workdir), env={"LESSON_DEVICE": "cpu"}) as app, \
            sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            watched = play(browser.new_page(viewport={"width": 1280, "height": 720}), app.url)
        finally:
            browser.close()
    note = f"{EPOCHS} epochs, {SAMPLES} samples, batch 10: {len(watched.changes)} map changes seen in Chromium"
    return [
        Figure("live.redraws_per_s", watched.redraws_per_s, "redraws/s", ">= 10", note),
        Figure("live.epochs_per_redraw", EPOCHS / max(len(watched.changes), 1), "epochs", "state", note),
        Figure("live.run_s", watched.run_s, "s", "state", "from the press to the end of the run, in Chromium"),
    ]

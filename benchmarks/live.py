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
PLAY_SECTION = "learning_cycle-section-5"  # play, pause, step (ui/parts/learning_cycle_play.py)
PLAY_NAMES = ("play.redraws_per_s", "play.epochs_per_redraw", "play.whole_epochs")
PLAY_S = 5.0  # how long the benchmark plays the default network
# Records every change of the played network's frame (its output map's src) with the epoch it shows.
PLAY_WATCH_JS = """() => {
    window.__playChanges = []; let last = null;
    const tick = () => {
        const frame = document.querySelector('[data-testid="stMain"] .play-frame');
        const img = frame ? frame.querySelector('img.play-map') : null;
        const src = img ? img.getAttribute('src') : null;
        if (src !== null && src !== last) {
            window.__playChanges.push([performance.now(), Number(frame.dataset.epoch)]); last = src;
        }
        requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
}"""
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


@dataclass(frozen=True)
class Played:
    """The default network played in the browser: when its frame changed (ms) and the epoch each change showed."""

    changes: list[float]
    epochs: list[int]

    def most_within(self, seconds: float) -> int:
        return Play(self.changes, 0.0).most_within(seconds)

    @property
    def redraws_per_s(self) -> float:
        return Play(self.changes, 0.0).redraws_per_s

    @property
    def epochs_per_redraw(self) -> float:
        return (self.epochs[-1] - self.epochs[0]) / max(len(self.epochs) - 1, 1)


def play_network(page, app_url: str, seconds: float = PLAY_S) -> Played:
    """Open the play section at its defaults, press Play, watch its frames for `seconds`, press Pause."""
    page.goto(f"{app_url}/{PAGE}?{PLAY_SECTION}=true", wait_until="domcontentloaded")
    start = page.get_by_role("button", name="Play")
    start.first.wait_for(timeout=TIMEOUT_MS)
    page.locator(".play-frame img.play-map").first.wait_for(timeout=TIMEOUT_MS)
    page.evaluate(PLAY_WATCH_JS)
    start.first.click()
    time.sleep(seconds)
    page.get_by_role("button", name="Pause").first.click()
    changes = page.evaluate("window.__playChanges")[1:]  # the first: the frame drawn before Play, seen at once
    return Played([t for t, _ in changes], [e for _, e in changes])


def workload() -> list[Figure]:
    """The three figures, or an error figure for each when the browser or the server is missing."""
    if not CHROMIUM.exists():
        note = f"{CHROMIUM} not found: install it with `apt-get install chromium`"
        return [Figure(name, None, "", "", note) for name in NAMES + PLAY_NAMES]
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as workdir, server(Path(workdir), env={"LESSON_DEVICE": "cpu"}) as app, \
            sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            watched = play(browser.new_page(viewport={"width": 1280, "height": 720}), app.url)
            played = play_network(browser.new_page(viewport={"width": 1280, "height": 720}), app.url)
        finally:
            browser.close()
    note = f"{EPOCHS} epochs, {SAMPLES} samples, batch 10: {len(watched.changes)} map changes seen in Chromium"
    return [
        Figure("live.redraws_per_s", watched.redraws_per_s, "redraws/s", ">= 10", note),
        Figure("live.epochs_per_redraw", EPOCHS / max(len(watched.changes), 1), "epochs", "state", note),
        Figure("live.run_s", watched.run_s, "s", "state", "from the press to the end of the run, in Chromium"),
        *play_figures(played),
    ]


def play_figures(played: Played) -> list[Figure]:
    """The played network's figures: its frames per second, and the epochs each frame advanced (all whole)."""
    steps = np.diff(played.epochs)
    note = f"the default network played {PLAY_S:g} s: {len(played.changes)} frames seen in Chromium"
    return [
        Figure("play.redraws_per_s", played.redraws_per_s, "redraws/s", ">= 10", note),
        Figure("play.epochs_per_redraw", played.epochs_per_redraw, "epochs", "state", note),
        Figure("play.whole_epochs", float(len(steps) > 0 and bool((steps > 0).all())), "yes=1", ">= 1",
               "every frame seen advanced a whole number (> 0) of epochs"),
    ]

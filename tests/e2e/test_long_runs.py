"""A long training in the real app: it starts only on its button, shows its progress by the button, and stops on
Stop, on leaving the page and on closing the tab (issue 18).

"Stopped" is read where it matters, on the server: the Streamlit process's CPU time (/proc/<pid>/stat) stops
growing once the training is interrupted. The interruption unwinds through runners._slot, whose `finally` gives
the compute slot back; tests/pages/test_ui_runners.py checks that count (a slots-held count here would only show a
leak once the leaks outnumber the server's slots, one per core). The FCN's own
training (about 35 s at its defaults) is long enough to be caught running and is stopped within seconds each
time, so the test costs a few seconds of training in all.
"""
from __future__ import annotations

import os
import re
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

from .test_pages import RUN_TIMEOUT_MS, SCRIPT_FINISHED_JS

pytestmark = pytest.mark.e2e

FCN = "Zoo_FCN_segmentation"
TRAIN = re.compile(r"Train it \(about \d+ s\)")
STOPPED_WITHIN_MS = 5_000  # Stop, or leaving, interrupts at the next progress report (0.2 s apart)
IDLE_CPU_SHARE = 0.25  # an idle server uses a few % of a core; a training uses one whole core
TICKS = os.sysconf("SC_CLK_TCK")


def _server_pid(app_url: str) -> int:
    """The `streamlit run` process serving app_url (the conftest starts it on a free port)."""
    port = str(urlparse(app_url).port)
    for proc in Path("/proc").iterdir():
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"streamlit" in b" ".join(argv) and port.encode() in argv:
            return int(proc.name)
    raise AssertionError(f"no streamlit process serves port {port}")


def _cpu_share(pid: int, seconds: float = 1.5) -> float:
    """The server's CPU time over the next `seconds` as a share of one core."""
    def cpu() -> float:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime of every thread
    start, began = cpu(), time.monotonic()
    time.sleep(seconds)
    return (cpu() - start) / (time.monotonic() - began)


def _idle(pid: int) -> float:
    """Wait (up to 10 s) for the server to go idle; its last CPU share."""
    deadline = time.monotonic() + 10
    while (share := _cpu_share(pid)) > IDLE_CPU_SHARE and time.monotonic() < deadline:
        pass
    return share


def _open(page, url: str) -> None:
    """Open the FCN page's link and wait for its training button and the end of the page's run."""
    page.goto(url, wait_until="domcontentloaded")
    page.get_by_role("button", name=TRAIN).wait_for(timeout=RUN_TIMEOUT_MS)
    page.wait_for_function(SCRIPT_FINISHED_JS, timeout=RUN_TIMEOUT_MS, polling=100)


def _start(page) -> None:
    """Press the training's button; it gives way to Stop with the progress bar right under it."""
    page.get_by_role("button", name=TRAIN).click()
    stop = page.get_by_role("button", name=re.compile("Stop"))
    stop.wait_for(timeout=RUN_TIMEOUT_MS)
    assert not page.get_by_role("button", name=TRAIN).count(), "the start button is still on screen under Stop"
    bar = page.locator('[data-testid="stProgress"]').first
    bar.wait_for(timeout=RUN_TIMEOUT_MS)
    gap = bar.bounding_box()["y"] - (stop.bounding_box()["y"] + stop.bounding_box()["height"])
    assert 0 <= gap < 80, f"the progress bar is {gap:.0f} px from the Stop button"


@pytest.fixture(scope="module")
def tab(chromium_browser):
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 720})
    yield context.new_page()
    context.close()


def test_a_long_training_starts_on_its_button_only_and_stops_on_stop_on_leaving_and_on_closing(
        tab, app_url, chromium_browser):
    pid = _server_pid(app_url)
    _open(tab, f"{app_url}/{FCN}?fcn-own=true")  # a shared link: the panel opens with its button, nothing trains
    assert not tab.locator('[data-testid="stProgress"]').count()
    assert _idle(pid) <= IDLE_CPU_SHARE

    _start(tab)
    assert _cpu_share(pid) > IDLE_CPU_SHARE  # it trains
    tab.get_by_role("button", name=re.compile("Stop")).click()
    tab.locator('[data-testid="stProgress"]').wait_for(state="detached", timeout=STOPPED_WITHIN_MS)
    tab.get_by_role("button", name=TRAIN).wait_for(timeout=STOPPED_WITHIN_MS)
    assert _idle(pid) <= IDLE_CPU_SHARE, "the server still computes after Stop"

    _start(tab)  # then leave for another page through the sidebar: the same session, a new script
    tab.locator('[data-testid="stSidebar"]').get_by_role("link", name=re.compile("Network zoo: overview")).click()
    tab.wait_for_url(re.compile(r"/Zoo_overview"), timeout=STOPPED_WITHIN_MS)
    tab.wait_for_function(SCRIPT_FINISHED_JS, timeout=RUN_TIMEOUT_MS, polling=100)
    assert _idle(pid) <= IDLE_CPU_SHARE, "the server still computes after the student left the page"

    other = chromium_browser.new_context().new_page()  # a second tab: start, then close it
    _open(other, f"{app_url}/{FCN}?fcn-own=true")
    _start(other)
    other.context.close()
    assert _idle(pid) <= IDLE_CPU_SHARE, "the server still computes after the tab closed"

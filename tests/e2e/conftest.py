"""Browser-test fixtures: the real app on a free localhost port and a headless system Chromium."""
from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest

from benchmarks.load import CHROMIUM, CHROMIUM_ARGS, server

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "artifacts"


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """The system Chromium; skip without it, unless E2E_REQUIRED=1 (CI) makes that a failure."""
    if CHROMIUM.exists():
        return CHROMIUM
    message = f"{CHROMIUM} not found: install it with `apt-get install chromium` to run the browser test."
    if os.environ.get("E2E_REQUIRED") == "1":
        pytest.fail(f"E2E_REQUIRED=1 but {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def app_url(chromium_path: Path):
    """Run `streamlit run Home.py` from the repo root until the session ends; yield its base URL.

    The server (benchmarks/load.py) logs to artifacts/streamlit.log; it computes on the CPU, the same numbers
    as the unit tests on any machine, unless LESSON_DEVICE says otherwise.
    """
    ARTIFACTS.mkdir(exist_ok=True)
    with contextlib.ExitStack() as stack:
        try:
            app = stack.enter_context(server(ARTIFACTS, env={"LESSON_DEVICE": os.environ.get("LESSON_DEVICE", "cpu")}))
        except RuntimeError as error:
            pytest.fail(f"Streamlit did not come up: {error}", pytrace=False)
        yield app.url


@pytest.fixture(scope="session")
def chromium_browser(chromium_path: Path):
    """One headless Chromium for the whole session (Playwright's sync API, no browser download)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()

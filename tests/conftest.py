"""Shared test setup: CPU for determinism and empty Streamlit caches for every test."""
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from ui import chrome, runners, streamlit_internals
from ui.lesson_map import APP_ROOT


@pytest.fixture(autouse=True, scope="session")
def _components_scanned_once():
    """One scan for Streamlit components per worker, not one per AppTest (ui/streamlit_internals.py, internal 6)."""
    streamlit_internals.scan_components_once()


@pytest.fixture(autouse=True)
def _fresh_caches_on_cpu(monkeypatch):
    # Cached results would leak between tests (and hide a page's real first run).
    monkeypatch.setenv("LESSON_DEVICE", "cpu")
    _clear()
    yield
    _clear()


def _clear() -> None:
    runners.clear()  # the app's own caches (ui/store.py)
    st.cache_data.clear()
    st.cache_resource.clear()


def every_section_open(at: AppTest) -> AppTest:
    """`at` set to open every section of its page on its next run, as a student who opened them all sees it
    (a page's first view opens its first section only: ui/chrome.section)."""
    at.session_state[chrome.OPEN_ALL] = True
    return at


@pytest.fixture
def page(request) -> AppTest:
    """The page file named by the test module's PAGE, run in AppTest at its defaults with every section open,
    without an exception."""
    at = every_section_open(AppTest.from_file(str(APP_ROOT / "pages" / request.module.PAGE),
                                              default_timeout=120)).run()
    assert not at.exception, at.exception
    return at

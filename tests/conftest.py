"""Shared test setup: CPU for determinism and empty Streamlit caches for every test."""
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from ui import runners, streamlit_internals
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


@pytest.fixture
def page(request) -> AppTest:
    """The page file named by the test module's PAGE, run in AppTest at its defaults, without an exception."""
    at = AppTest.from_file(str(APP_ROOT / "pages" / request.module.PAGE), default_timeout=120).run()
    assert not at.exception, at.exception
    return at

"""Shared test setup: CPU for determinism and empty Streamlit caches for every test."""
import pytest
import streamlit as st


@pytest.fixture(autouse=True)
def _fresh_caches_on_cpu(monkeypatch):
    # Cached results would leak between tests (and hide a page's real first run).
    monkeypatch.setenv("LESSON_DEVICE", "cpu")
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()

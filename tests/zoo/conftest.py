"""Helpers of the zoo tests."""
from __future__ import annotations

from types import ModuleType

import pytest


@pytest.fixture
def forbid_training(monkeypatch):
    """`forbid_training(module, "train", ...)`: calling any of those names fails the test.

    A view is handed its trained model; the old views fetched one from a process-wide cache and
    retrained a forgotten recipe silently. With training forbidden, a view that trains fails loudly.
    """
    def forbid(module: ModuleType, *names: str) -> None:
        for name in names:
            def refuse(*args, _name=f"{module.__name__}.{name}", **kwargs):
                raise AssertionError(f"{_name} was called: a view trained a model")
            monkeypatch.setattr(module, name, refuse)
    return forbid

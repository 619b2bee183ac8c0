"""Helpers of the page tests: what AppTest saw of a page's charts, pictures and tables, for comparing two renders."""
from __future__ import annotations

import functools
import re
from dataclasses import replace
from types import ModuleType

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block

from core import more_data
from tests.conftest import every_section_open
from ui.lesson_map import APP_ROOT
from ui.parts import home

BLOWN_LR = 1e4  # far above the 0.1 a zoo recipe accepts (its widgets stop lower), the most TrainConfig accepts


def charts(at: AppTest) -> list[bytes]:
    """Every Vega-Lite chart's spec and data as sent to the browser, in page order."""
    return [c.proto.SerializeToString() for c in at.get("vega_lite_chart")]


def images(at: AppTest) -> list[bytes]:
    """Every st.image as sent to the browser, in page order."""
    return [i.proto.SerializeToString() for i in at.get("image")]


def tables(at: AppTest | Block) -> list[pd.DataFrame]:
    """Every table ui/show.table drew in the page (or in one block of it, e.g. a column), in page order.

    A table of up to ui.show.PRESENTER_ROWS rows is a static st.table (AppTest's `at.table`), a longer one an
    interactive st.dataframe (`at.dataframe`): both are read here, as the DataFrame that was sent.
    """
    blocks = [at.main, at.sidebar] if isinstance(at, AppTest) else [at]
    return [_unescaped(node.value) if node.type == "table" else node.value
            for block in blocks for node in block if node.type in ("table", "dataframe")]


def opened(at: AppTest, *keys: str) -> AppTest:
    """`at` rerun with the ui.show.folded expanders `keys` open, as a click on each does (their content is drawn
    only while open)."""
    for key in keys:
        at.session_state[key] = True
    return at.run()


def _unescaped(df: pd.DataFrame) -> pd.DataFrame:
    """A static table as it reads on screen: ui/show escapes its text for Markdown (ui/untrusted.escape)."""
    def plain(value):
        return re.sub(r"\\([^A-Za-z0-9\s])", r"\1", value) if isinstance(value, str) else value

    return df.map(plain).rename(columns=plain)


def trained_at_blown_lr(monkeypatch: pytest.MonkeyPatch, arch: ModuleType, page: str,
                        params: dict[str, str]) -> AppTest:
    """`page` opened by a link with a student's recipe of `arch` (core.zoo.<arch>) and its "Train it" pressed, every
    recipe of `arch` training at BLOWN_LR: a loss that blows up, which no widget can reach. Before the press the
    page shows the shipped model, of which the trainer had nothing to say."""
    own = arch.Recipe.train_config
    monkeypatch.setattr(arch.Recipe, "train_config", lambda self: replace(own(self), lr=BLOWN_LR))
    at = every_section_open(AppTest.from_file(str(APP_ROOT / "pages" / page), default_timeout=120))
    at.query_params.update(params)
    at.run()
    assert not at.exception and not at.warning
    at.button(key=f"{arch.__name__.rsplit('.', 1)[1]}-own-run-start").click().run()
    assert not at.exception and not at.error
    return at


@functools.cache
def _more_data_once() -> more_data.MoreDataResult:
    return _LEARNING_CURVES(home.MORE_DATA)


_LEARNING_CURVES = more_data.learning_curves


@pytest.fixture(autouse=True)
def _home_slide_12_once_per_worker(monkeypatch):
    """Home's measured slide 12 (three models x six training-set sizes: seconds of training) computed once per
    worker, not by every page test that opens Home's sections; any other config trains as before.
    tests/core/test_more_data.py and test_seeds_more_data.py test the computation itself."""
    @functools.wraps(_LEARNING_CURVES)
    def learning_curves(cfg: more_data.MoreData, on_progress=None) -> more_data.MoreDataResult:
        return _more_data_once() if cfg == home.MORE_DATA else _LEARNING_CURVES(cfg, on_progress)

    monkeypatch.setattr(more_data, "learning_curves", learning_curves)

"""AppTest of the local-minima page: renders at defaults, its controls change the charts, bad settings get st.error."""
from __future__ import annotations

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core import landscapes as ls
from table_fit import PAGE_PX, width_px

PAGE = "4_Local_minima_and_optimizers.py"


def _charts(at: AppTest) -> list[bytes]:
    return [c.proto.SerializeToString() for c in at.get("vega_lite_chart")]


def test_default_render(page):
    assert page.title[0].value == "Local minima and optimizers"
    assert not page.error
    assert len(page.get("vega_lite_chart")) == 14
    notices = [n.value for n in page.info]
    assert len(notices) == 7 and all("What to notice" in n for n in notices)
    assert any("too large (lr 30)" in w.value for w in page.warning)  # divergence said in words
    assert "SGD, RMSprop, Adam, AdamW: stuck in a local minimum" in notices[2] and "a global minimum" in notices[2]


def test_surface_and_learning_rate_change_the_race(page):
    before = _charts(page)
    page.selectbox(key="race-surface").set_value("rosenbrock").run()
    assert not page.exception and not page.error
    after = _charts(page)
    assert after[2] != before[2] and after[3] != before[3]  # the map and the loss curves
    page.number_input(key="race-alr-rosenbrock").set_value(0.001).run()
    assert _charts(page)[2] != after[2]
    assert page.dataframe[0].value.set_index("optimizer").loc["Adam", "learning rate"] == 0.001


def test_optimizer_set_changes_the_table(page):
    page.multiselect(key="race-optimizers").set_value(["SGD", "Adam"]).run()
    assert not page.exception
    assert list(page.dataframe[0].value.optimizer) == ["SGD", "Adam"]


@pytest.mark.parametrize("key, value, message", [
    ("race-steps", 0, "number of steps"),
    ("race-lr-two_valleys", 0.0, "learning rate"),
    ("race-w1-two_valleys", 8.0, "start point"),
])
def test_impossible_settings_show_an_error(page, key, value, message):
    page.number_input(key=key).set_value(value).run()
    assert not page.exception
    assert any(message in e.value for e in page.error)


def test_momentum_slider_changes_the_valley_paths(page):
    before = _charts(page)
    page.slider(key="momentum").set_value(0.95).run()
    assert not page.exception
    assert _charts(page)[9] != before[9]
    assert "overshoots" in page.info[5].value  # too much momentum swings past the minimum


def test_the_batch_and_noise_tables_fit_the_page_without_scrolling(page):
    assert not any(len(column.dataframe) for column in page.columns)  # every table full width, none in a half column
    batch = next(t.value for t in page.dataframe if "gradient variance" in t.value.columns)
    noise = next(t.value for t in page.dataframe if "SGD, no noise" in t.value.get("optimizer", pd.Series()).tolist())
    assert width_px(batch) <= PAGE_PX and width_px(noise) <= PAGE_PX
    assert batch.shape == (3, 8) and noise.shape == (2, 7)  # every column still shown and in the CSV
    assert {"noise-table-csv", "escape-table-csv"} <= {b.key for b in page.get("download_button")}


def test_the_momentum_notice_says_what_the_map_shows(page):
    """At μ = 0.7 momentum swings across the valley for longer than plain SGD, yet ends lower: the text must say so."""
    paths = ls.race(ls.Race(surface="valley", optimizers=("SGD", "SGD + momentum", "Adam"), lr=0.4, adaptive_lr=0.3,
                            steps=60, momentum=0.7)).paths
    swinging = paths[paths.w2.abs() > 0.1].groupby("optimizer").step.max()  # the valley floor is w2 = 0
    assert (swinging["SGD"], swinging["SGD + momentum"]) == (5, 16)
    end = paths.groupby("optimizer").last().w1.abs()
    text = page.info[5].value
    assert "averages the zig-zag away" not in text
    assert "overshoots across the valley" in text and "until step 16" in text and "after step 5" in text
    assert f"ends {end['SGD + momentum']:.2f} from the minimum against SGD's {end['SGD']:.2f}" in text

"""ui.show: a chart's spec is built once per distinct data, and reaches the browser as st.vega_lite_chart sends it."""
from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from core import charts
from tests.pages.conftest import tables
from ui import show, store


def _history() -> pd.DataFrame:
    return pd.DataFrame({"variant": ["a", "a", "b", "b"], "epoch": [1, 2, 1, 2], "split": "train",
                         "metric": "loss", "value": [1.0, 0.5, 1.2, 0.7]})


def test_frame_digest_is_equal_for_equal_content_and_differs_for_any_change():
    frame = _history()
    digest = store.frame_digest(frame)
    assert store.frame_digest(_history()) == digest  # another object, same content
    assert len(digest) == 16
    changed = [
        frame.assign(value=[1.0, 0.5, 1.2, 0.71]),                # one number
        frame.assign(variant=["a", "a", "b", "c"]),               # one word
        frame.rename(columns={"value": "loss"}),                  # a column's name
        frame.assign(epoch=frame["epoch"].astype(float)),         # a dtype, same values
        frame.set_axis([10, 11, 12, 13]),                         # the index
        frame.iloc[:3],                                           # a row fewer
        frame[["epoch", "variant", "split", "metric", "value"]],  # the column order
    ]
    digests = [store.frame_digest(f) for f in changed]
    assert digest not in digests and len(set(digests)) == len(changed)


def test_frame_digest_tells_apart_big_arrays_held_in_cells():
    big = np.zeros(10_000)
    other = big.copy()
    other[5_000] = 1.0  # str() of both arrays is the same abbreviated text
    assert str(big) == str(other)
    assert store.frame_digest(pd.DataFrame({"a": [big]})) != store.frame_digest(pd.DataFrame({"a": [other]}))


def _arrow_rows(data: bytes) -> list[dict]:
    return pa.ipc.open_stream(io.BytesIO(data)).read_all().to_pylist()


def _chart_page():
    import pandas as pd
    import streamlit as st

    from core import charts
    from ui import show

    calls = st.session_state.setdefault("calls", [])

    def counted(history, metric):
        calls.append(metric)
        return charts.curves(history, metric)

    def history(last: float) -> pd.DataFrame:  # a new DataFrame object on every call
        return pd.DataFrame({"variant": ["a", "a", "b", "b"], "epoch": [1, 2, 1, 2], "split": "train",
                             "metric": "loss", "value": [1.0, 0.5, 1.2, last]})

    show.chart(counted, history(0.7), "loss", key="first")
    show.chart(counted, history(0.7), "loss", key="same-data")
    show.chart(counted, history(0.6), "loss", key="other-data")
    # built anew, with what every chart gets on screen (wrapped titles, padding): the cache must not change it
    st.vega_lite_chart(show._for_screen(charts.style(charts.curves(history(0.7), "loss")).to_dict()), key="plain")


def test_chart_builds_a_spec_once_per_data_and_sends_the_same_data_as_a_plain_spec():
    show.SPECS.clear()
    at = AppTest.from_function(_chart_page).run(timeout=60)
    assert not at.exception
    assert at.session_state["calls"] == ["loss", "loss"]  # equal data (another object): no rebuild
    first, same, other, plain = (el.proto for el in at.get("vega_lite_chart"))
    assert first.spec == same.spec == plain.spec
    datasets = {name: _arrow_rows(d.data.data) for name, d in ((d.name, d) for d in first.datasets)}
    assert datasets == {d.name: _arrow_rows(d.data.data) for d in plain.datasets}
    (rows,) = datasets.values()
    assert [r["value"] for r in rows] == [1.0, 0.5, 1.2, 0.7]
    assert [r["value"] for d in other.datasets for r in _arrow_rows(d.data.data)] == [1.0, 0.5, 1.2, 0.6]


def test_a_cached_spec_carries_its_datasets_as_arrow_bytes_ready_to_send():
    from core import charts

    spec = show._spec("curves", (_history(), "loss"), {}, charts.curves)
    assert spec["datasets"] and all(isinstance(data, bytes) for data in spec["datasets"].values())
    (data,) = spec["datasets"].values()
    assert [r["epoch"] for r in _arrow_rows(data)] == [1, 2, 1, 2]


def _live_page():
    import pandas as pd
    import streamlit as st

    from core import charts
    from ui import show

    history = pd.DataFrame({"variant": ["a", "a"], "epoch": [1, 2], "split": "train", "metric": "loss",
                            "value": [1.0, 0.5]})
    show.redraw(st.empty(), charts.curves(history, "loss"))
    show.table(history, key="history")
    show.table(pd.DataFrame({"epoch": range(show.PRESENTER_ROWS + 1)}), key="long")


@pytest.mark.parametrize("on", [False, True])
def test_presenter_mode_enlarges_live_redraws_and_short_tables_are_shown_whole(on):
    from ui import presenter

    at = AppTest.from_function(_live_page)
    at.session_state[presenter.KEY] = on
    at.run(timeout=60)
    assert not at.exception
    [chart] = at.get("vega_lite_chart")
    fonts = json.loads(chart.proto.spec)["config"]["axis"]
    plain = charts.style(charts.curves(_history().iloc[:2], "loss")).to_dict()["config"]["axis"]
    assert fonts["labelFontSize"] == pytest.approx(plain["labelFontSize"] * (presenter.FONT_SCALE if on else 1))
    # A short table is static in either mode: it wraps (and takes the presenter zoom), so no column is cut at
    # 1024 px; a long one stays an interactive table that scrolls. Both have their CSV download.
    [short], [long] = at.table, at.dataframe
    assert len(short.value) == 2 and len(long.value) == show.PRESENTER_ROWS + 1
    assert {"history-csv", "long-csv"} <= {b.key for b in at.get("download_button")}


@pytest.fixture(autouse=True)
def _fresh_spec_cache():
    yield
    show.SPECS.clear()


def test_a_wrapped_title_gets_room_above_it_a_line_for_each_line_more():
    one = show._for_screen({"title": "short", "mark": "line"})
    assert one["padding"]["top"] == 12 and one["title"] == "short"
    text = "Validation accuracy on digits moved by 0, 1 and 2 pixels (mean of the four directions)"
    three = show._for_screen({"title": {"text": text, "subtitle": "solid: train"}, "mark": "line"})
    assert len(three["title"]["text"]) == 3 and three["padding"]["top"] == 12 + 3 * show.TITLE_LINE_PX


def test_a_single_view_keeps_a_plot_height_of_its_own_and_grows_with_its_title():
    # Vega fitted the whole chart (title, axis, legend) into its height: a title wrapped into four lines in
    # presenter mode left the regularization baseline's accuracy plot ~30 px high (Chromium).
    from core.charts.theme import HEIGHT

    single = show._for_screen({"title": "Accuracy per epoch", "mark": "line", "height": HEIGHT})
    assert single["height"] == HEIGHT - show.DECORATION_PX and single["autosize"]["type"] == "fit-x"
    small = show._for_screen({"mark": "bar", "height": 100})
    assert small["height"] == 50  # never less than half of what the chart asked for
    facets = show._for_screen({"facet": {"field": "a"}, "spec": {"mark": "line", "height": 120}})
    assert "autosize" not in facets and facets["spec"]["height"] == 120  # a compound view sizes its parts itself


def _table_app() -> None:
    import pandas as pd

    from ui import show

    show.table(pd.DataFrame({"column": ["-", "[a live link](http://evil.example)", "ok"], "value": [1, 2, 3]}),
               key="t")


def test_a_static_tables_text_is_shown_as_text_not_markdown():
    # st.table renders its cells as Markdown: "-" became a bullet (the autoencoders' table), and an uploaded
    # CSV's header or label could have drawn a link or an image.
    at = AppTest.from_function(_table_app, default_timeout=30).run()
    sent = at.table[0].value
    assert list(sent["column"]) == ["\\-", "\\[a live link\\](http\\://evil.example)", "ok"]
    assert list(sent["value"]) == [1, 2, 3]
    assert list(tables(at)[0]["column"]) == ["-", "[a live link](http://evil.example)", "ok"]  # as it reads

"""The Streamlit internals of ui/streamlit_internals.py still work on the installed Streamlit.

Each test fails with the internal's name when a Streamlit release removes or changes it: then
ui/streamlit_internals.py (and only it) needs a new way to do that one thing.
"""
from __future__ import annotations

import io

import pyarrow as pa
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from ui import streamlit_internals, urls


@pytest.mark.parametrize("module, name", streamlit_internals.USED, ids=lambda part: part)
def test_every_private_name_still_exists(module, name):
    try:
        streamlit_internals.private(module, name)
    except streamlit_internals.InternalsChanged as error:
        pytest.fail(f"Streamlit {st.__version__} removed {module}.{name}: {error}")


def test_a_missing_internal_is_named():
    with pytest.raises(streamlit_internals.InternalsChanged, match=r"has no streamlit\.nowhere\.thing"):
        streamlit_internals.private("streamlit.nowhere", "thing")


# -- 1. in_cached_function: drawing from inside a cached function without it being replayed ------------
def _cached_drawing_app() -> None:
    import streamlit as st

    from ui import streamlit_internals

    outside = st.empty()

    @st.cache_data(show_spinner=False)
    def cached(n: int) -> int:
        st.markdown("recorded inside")  # replayed on a hit
        with streamlit_internals.unrecorded():
            outside.markdown("drawn unrecorded")  # a placeholder made outside: never replayed
        return n + 1

    st.session_state["result"] = cached(1)


def test_in_cached_function_keeps_an_unrecorded_drawing_out_of_the_replay():
    st.cache_data.clear()
    at = AppTest.from_function(_cached_drawing_app, default_timeout=30).run()
    assert not at.exception, at.exception
    assert [m.value for m in at.markdown] == ["drawn unrecorded", "recorded inside"], \
        "streamlit...script_run_context.in_cached_function no longer switches recording off"
    at.run()  # a cache hit: only what was recorded comes back, and no CacheReplayClosureError
    assert not at.exception, (f"Streamlit {st.__version__}: replaying a cached function failed; "
                              f"in_cached_function no longer keeps drawings out of the record: {at.exception}")
    assert [m.value for m in at.markdown] == ["recorded inside"], \
        "in_cached_function: an unrecorded drawing was replayed on a cache hit"
    assert at.session_state["result"] == 2


# -- 2. the widget registry: registered this run, bound to the URL, default and options -------------------
def _widgets_app() -> None:
    import streamlit as st

    from ui import streamlit_internals

    st.select_slider("Rate", options=(0.1, 0.3, 1.0), value=0.3, key="rate", bind="query-params")
    st.selectbox("Kind", ("sigmoid", "ReLU"), index=1, key="kind", bind="query-params")
    st.slider("Plain", 0, 10, 4, key="plain")
    st.session_state["seen"] = {key: streamlit_internals.bound_widget(key)
                                for key in ("rate", "kind", "plain", "absent")}


def test_the_widget_registry_tells_registered_bound_widgets_their_default_and_options():
    at = AppTest.from_function(_widgets_app, default_timeout=30).run()
    assert not at.exception, f"ui/streamlit_internals.bound_widget on Streamlit {st.__version__}: {at.exception}"
    seen = at.session_state["seen"]
    assert seen["absent"] is None and seen["plain"] is None  # never registered / not bound to the URL
    assert seen["kind"] == streamlit_internals.BoundWidget("ReLU", ("sigmoid", "ReLU")), \
        "get_session_state()._state.get_widget_metadata: serializer, deserializer or formatted_options changed"
    assert seen["rate"] is not None and urls._url_form(seen["rate"].default) == [0.3], \
        "get_session_state()._state.get_widget_metadata: a select slider's default no longer serializes to 0.3"


def test_a_widget_is_unknown_outside_a_run():
    assert streamlit_internals.bound_widget("rate") is None  # no script run context


# -- 3. st.vega_lite_chart sends a dataset given as bytes as it is ----------------------------------------
ROWS = [{"epoch": 1, "loss": 1.0, "split": "train"}, {"epoch": 2, "loss": 0.5, "split": "train"}]


def _bytes_dataset_app() -> None:
    import streamlit as st

    from tests.pages.test_streamlit_internals import ROWS
    from ui import streamlit_internals

    spec = {"mark": "line", "data": {"name": "d"}, "encoding": {"x": {"field": "epoch", "type": "quantitative"}}}
    st.vega_lite_chart({**spec, "datasets": {"d": streamlit_internals.arrow_dataset(ROWS)}}, key="bytes")
    st.vega_lite_chart({**spec, "datasets": {"d": ROWS}}, key="rows")


def test_vega_lite_chart_sends_an_arrow_bytes_dataset_as_it_is():
    data = streamlit_internals.arrow_dataset(ROWS)
    assert isinstance(data, bytes)
    at = AppTest.from_function(_bytes_dataset_app, default_timeout=30).run()
    assert not at.exception, at.exception
    ours, streamlits = (chart.proto for chart in at.get("vega_lite_chart"))
    assert [d.data.data for d in ours.datasets] == [data], \
        f"Streamlit {st.__version__}: st.vega_lite_chart no longer passes a bytes dataset through as Arrow IPC"
    rows = [pa.ipc.open_stream(io.BytesIO(d.data.data)).read_all().to_pylist() for d in streamlits.datasets]
    assert rows == [ROWS], "Streamlit's own conversion of the same rows differs"
    assert ours.datasets[0].data.data == streamlits.datasets[0].data.data, \
        "ui/streamlit_internals.arrow_dataset no longer writes the Arrow bytes Streamlit itself writes"


def test_rows_pyarrow_cannot_type_stay_a_list():
    mixed = [{"value": 1}, {"value": "one"}]
    assert streamlit_internals.arrow_dataset(mixed) is mixed

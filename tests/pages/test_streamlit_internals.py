"""The Streamlit internals of ui/streamlit_internals.py still work on the installed Streamlit.

Each test fails with the internal's name when a Streamlit release removes or changes it: then
ui/streamlit_internals.py (and only it) needs a new way to do that one thing.
"""
from __future__ import annotations

import io
import socket
from pathlib import Path

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


# -- 1. the widget registry: registered this run, bound to the URL, default and options -------------------
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


# -- 2. st.vega_lite_chart sends a dataset given as bytes as it is ----------------------------------------
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


# -- 4. the uploaded-file manager keeps a session's newest files only --------------------------------------
def test_a_session_keeps_only_its_newest_uploads_and_the_managers_byte_count_follows():
    from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
    from streamlit.runtime.uploaded_file_manager import UploadedFileRec

    manager = MemoryUploadedFileManager("/_stcore/upload_file")
    streamlit_internals.cap_uploads(manager, 3)
    streamlit_internals.cap_uploads(manager, 3)  # idempotent: a page calls it on every run
    for n in range(8):  # a script uploading without ever deleting
        manager.add_file("flood", UploadedFileRec(f"f{n}", f"f{n}.csv", "text/csv", bytes(1_000)))
    manager.add_file("other", UploadedFileRec("mine", "mine.png", "image/png", bytes(500)))
    kept = manager.get_files("flood", [f"f{n}" for n in range(8)])
    assert [f.file_id for f in kept] == ["f5", "f6", "f7"], \
        f"Streamlit {st.__version__}: MemoryUploadedFileManager changed (ui/streamlit_internals.cap_uploads)"
    assert [f.file_id for f in manager.get_files("other", ["mine"])] == ["mine"]  # other sessions untouched
    assert manager._total_bytes == 3 * 1_000 + 500  # what Streamlit's own stats report


# -- 5. reruns over a tab's pace are held back in the server's message handler ------------------------------
def test_the_servers_rerun_handler_is_where_pace_reruns_holds_messages_back():
    import inspect

    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.runtime.app_session import AppSession, AppSessionState

    session = AppSession.__new__(AppSession)  # no server: only the dispatch is checked
    session._state = AppSessionState.SHUTDOWN_REQUESTED  # so that its __del__ has nothing to shut down
    seen = []
    session._handle_rerun_script_request = seen.append
    message = BackMsg()
    message.rerun_script.query_string = "a=1"
    session.handle_backmsg(message)
    assert [state.query_string for state in seen] == ["a=1"], \
        f"Streamlit {st.__version__}: AppSession.handle_backmsg no longer hands a rerun to _handle_rerun_script_request"
    assert "self._event_loop = " in inspect.getsource(AppSession.__init__), \
        f"Streamlit {st.__version__}: AppSession keeps no _event_loop (ui/streamlit_internals.pace_reruns)"


def test_reruns_over_the_pace_wait_and_each_press_keeps_its_run(monkeypatch):
    import asyncio

    from streamlit.proto.ClientState_pb2 import ClientState

    from ui import pace

    monkeypatch.setattr(pace, "RATE", 20.0)  # a token every 50 ms, so that the test waits little
    monkeypatch.setattr(pace, "HELD", 3)

    class Session:  # what pace_reruns needs of Streamlit's AppSession
        def __init__(self, loop):
            self._event_loop, self.ran = loop, []

        def _handle_rerun_script_request(self, client_state=None):
            self.ran.append(client_state)

    streamlit_internals.pace_reruns(Session)
    streamlit_internals.pace_reruns(Session)  # idempotent: every page calls it

    def rerun(n: int, pressed: bool = False) -> ClientState:  # what a browser sends: all its widgets' values
        state = ClientState(query_string=f"n={n}")
        state.widget_states.widgets.add(id="slider", int_value=n)
        if pressed:
            state.widget_states.widgets.add(id="button", trigger_value=True)
        return state

    def values(state: ClientState) -> dict:
        return {w.id: getattr(w, w.WhichOneof("value")) for w in state.widget_states.widgets}

    async def flood():
        loop = asyncio.get_running_loop()
        tab, other = Session(loop), Session(loop)
        for n in range(pace.BURST):  # a burst at one instant runs at once
            tab._handle_rerun_script_request(rerun(n))
        # over it: a press, two slider moves, a press, a slider move, three presses and a slider move (HELD is 3)
        over = [True, False, False, True, False, True, True, True, False]
        for n, pressed in enumerate(over, start=100):
            tab._handle_rerun_script_request(rerun(n, pressed))
        other._handle_rerun_script_request(rerun(99))
        assert [s.query_string for s in tab.ran] == [f"n={n}" for n in range(pace.BURST)]  # the rest wait
        assert [s.query_string for s in other.ran] == ["n=99"]  # another tab does not
        await asyncio.sleep(8 / pace.RATE)
        later = [values(s) for s in tab.ran[pace.BURST:]]
        # each press keeps its run; a later rerun stands for a slider move before it; past HELD, presses merge
        assert later == [{"slider": 100, "button": True}, {"slider": 103, "button": True},
                         {"slider": 108, "button": True}]  # the last press merged, as Streamlit merges
        await asyncio.sleep(pace.BURST / pace.RATE)  # the bucket fills again
        tab._handle_rerun_script_request(rerun(200))
        assert tab.ran[-1].query_string == "n=200"  # at once

    asyncio.run(flood())


def test_after_scan_components_once_every_apptest_shares_one_scan(monkeypatch):
    from streamlit.components.v2 import manifest_scanner

    scans = []
    monkeypatch.setattr(manifest_scanner, "scan_component_manifests", lambda *args, **kwargs: scans.append(1) or [])
    AppTest.from_string("import streamlit as st\nst.write(1)").run()
    assert len(scans) == 1  # without it, each AppTest scans
    streamlit_internals.scan_components_once()
    streamlit_internals.scan_components_once()  # a second call changes nothing
    for _ in range(3):
        assert not AppTest.from_string("import streamlit as st\nst.write(1)").run().exception
    assert len(scans) == 2


# -- 7. Nagle's algorithm off on the server's sockets ------------------------------------------------------------
def _nodelay(sock: socket.socket) -> int:
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads Linux's /proc/self/fd")
def test_the_listening_socket_and_the_connections_it_accepts_send_without_delay():
    with socket.socket(family=socket.AF_INET) as listener:  # bound as Streamlit's server binds its own: protocol 0
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        with socket.create_connection(listener.getsockname()):
            before, _ = listener.accept()
            with before:
                assert (_nodelay(listener), _nodelay(before)) == (0, 0)
                assert streamlit_internals.send_without_delay() >= 2
                assert (_nodelay(listener), _nodelay(before)) == (1, 1)  # a connection accepted before, too
                assert streamlit_internals.send_without_delay() == 0  # nothing left to turn
        with socket.create_connection(listener.getsockname()):
            after, _ = listener.accept()
            with after:
                assert _nodelay(after) == 1  # inherited from the listening socket
        assert listener.fileno() >= 0  # borrowed, not closed


def test_without_a_directory_of_open_files_nothing_changes(tmp_path):
    assert streamlit_internals.send_without_delay(tmp_path / "nowhere") == 0

"""The load test's replayed sessions (benchmarks/load.py) against a real `streamlit run` of a small app.

A replayed session must do a browser's share of the work on the server and see what a browser
would: every message until the script finished, the exception boxes, the charts, the media files;
through the proxy of deploy/nginx.conf, all of it from one replica.
"""
from __future__ import annotations

import asyncio
import os
import textwrap
from concurrent.futures import ThreadPoolExecutor

import pytest
from streamlit.proto.BackMsg_pb2 import BackMsg

from benchmarks import load, proxy

APP = """
import numpy as np
import pandas as pd
import streamlit as st

st.title("Small app")
st.line_chart(pd.DataFrame({"loss": [1.0, 0.5, 0.25]}))
st.image(np.full((8, 8, 3), 200, dtype=np.uint8), caption="a grey square")
if st.query_params.get("crash"):
    1 / 0
"""


def _replay(url: str, recordings: list[load.Recording]) -> list[load.Session]:
    """load.replay_all on a thread of its own: the browser tests leave an event loop running in this one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, load.replay_all(url, recordings)).result()


def _recording(page: str = "") -> load.Recording:
    rerun = BackMsg()
    rerun.rerun_script.page_name = page
    rerun.rerun_script.query_string = ""
    return load.Recording("/", ("/", "/_stcore/health"), (rerun.SerializeToString(),))


@pytest.fixture(scope="module")
def app_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("app")
    (root / "Home.py").write_text(textwrap.dedent(APP))
    return root


@pytest.fixture(scope="module")
def small_app(app_root):
    with load.server(app_root, app_root=app_root) as srv:
        yield srv


def test_replayed_sessions_get_the_whole_page_its_charts_and_its_media(small_app, monkeypatch):
    fetched: list[str] = []
    get = load._get
    monkeypatch.setattr(load, "_get", lambda url, cookies: fetched.append(url) or get(url, cookies))
    sessions = _replay(small_app.url, [_recording()] * 3)
    assert [s.problem for s in sessions] == ["", "", ""]
    assert [s.charts for s in sessions] == [1, 1, 1]
    # No problem means the script finished (no timeout, no dropped connection); how long it took is
    # the benchmark's figure. The server's part ends at script_finished, before the media are fetched.
    assert all(0 < s.server_s <= s.seconds for s in sessions)
    media = [url for url in fetched if "/media/" in url]
    assert len(media) == 3 and len(set(media)) == 1  # each session fetched the image its messages named
    assert fetched.count(small_app.url + "/") == 3


def test_an_exception_box_is_a_failed_session(small_app):
    crash = _recording()
    message = BackMsg.FromString(crash.back_msgs[0])
    message.rerun_script.query_string = "crash=1"
    (session,) = _replay(small_app.url, [load.Recording("/", (), (message.SerializeToString(),))])
    assert session.problem.startswith("exception box: ZeroDivisionError")


def test_a_file_the_server_does_not_have_is_a_failed_session(small_app):
    (session,) = _replay(small_app.url, [load.Recording("/", ("/media/0000.png",), _recording().back_msgs)])
    assert "404" in session.problem


def test_extra_computations_count_repeats_of_one_experiment():
    assert load.extra_computations(["a 1", "b 2", "a 1", "a 1"]) == 2
    assert load.extra_computations([]) == 0


def test_media_urls_are_found_in_raw_messages():
    frame = b"\x12\x30/media/0123abcd.png\x00junk/media/ff.jpeg"
    assert load.MEDIA.findall(frame) == [b"/media/0123abcd.png", b"/media/ff.jpeg"]


def test_through_the_proxy_each_session_stays_on_one_replica(small_app, app_root, tmp_path):
    if proxy.NGINX is None:  # like the browser tests: skipped without nginx, a failure where E2E_REQUIRED=1 (CI)
        message = f"needs nginx ({proxy.INSTALL})"
        if os.environ.get("E2E_REQUIRED") == "1":
            pytest.fail(f"E2E_REQUIRED=1 but the proxy test {message}", pytrace=False)
        pytest.skip(message)
    # deploy/nginx.conf in front of two servers: a session's media file exists only on the replica that ran its
    # script, so a session sent to the other one for it would fail with a 404.
    (tmp_path / "second").mkdir()
    (tmp_path / "nginx").mkdir()
    with load.server(tmp_path / "second", app_root=app_root) as second:
        replicas = [srv.url.removeprefix("http://") for srv in (small_app, second)]
        with proxy.nginx(tmp_path / "nginx", load.free_port(), replicas) as front:
            sessions = _replay(front.url, [_recording()] * 8)
    per_replica, split = proxy.routes(front.access_log)
    assert [s.problem for s in sessions] == [""] * 8
    assert split == 0 and sum(per_replica.values()) == 8 and set(per_replica) <= set(replicas)

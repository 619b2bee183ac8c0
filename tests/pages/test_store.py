"""ui/store.py: the shared caches are bounded by bytes, compute a key once at a time, and no client empties them."""
from __future__ import annotations

import pickle
import threading
import time

import numpy as np
import pandas as pd
import pytest
import streamlit as st
import torch
from streamlit.testing.v1 import AppTest

from ui import store


def _blob(n: int) -> bytes:
    return bytes(n)


def test_a_store_keeps_the_most_recently_used_values_within_its_bytes():
    cache = store.Store("test", max_bytes=10_000, copy=True)
    size = len(pickle.dumps(_blob(3_000), protocol=pickle.HIGHEST_PROTOCOL))
    for name in "abc":
        cache.get(name, lambda: _blob(3_000))
    assert len(cache) == 3 and cache.bytes == 3 * size
    cache.get("a", lambda: pytest.fail("'a' is kept"))  # a hit makes 'a' the most recent
    cache.get("d", lambda: _blob(3_000))  # over 10,000 bytes: the least recently used ('b') goes
    assert [k in cache for k in "abcd"] == [True, False, True, True]
    assert cache.bytes == 3 * size <= cache.max_bytes
    cache.get("huge", lambda: _blob(20_000))  # larger than the whole budget: returned, not kept
    assert "huge" not in cache and len(cache) == 3


def test_every_hit_of_a_copying_store_gets_its_own_copy():
    cache = store.Store("test", max_bytes=1_000_000, copy=True)
    first = cache.get("k", lambda: {"losses": [1.0, 0.5]})
    first["losses"].append(99.0)  # a page changing its result
    assert cache.get("k", lambda: pytest.fail("kept")) == {"losses": [1.0, 0.5]}


def test_two_sessions_asking_for_one_key_at_once_compute_it_once():
    cache = store.Store("test", max_bytes=1_000_000, copy=False)
    calls, started = [], threading.Event()

    def slow() -> str:
        calls.append(1)
        started.set()
        time.sleep(0.3)
        return "trained"

    results: list[str] = []
    first = threading.Thread(target=lambda: results.append(cache.get("k", slow)))
    first.start()
    started.wait(5)
    second = threading.Thread(target=lambda: results.append(cache.get("k", slow)))
    second.start()
    first.join(5), second.join(5)
    assert results == ["trained", "trained"] and len(calls) == 1


def test_a_failed_computation_is_not_kept_and_the_next_asker_computes():
    cache = store.Store("test", max_bytes=1_000, copy=True)
    with pytest.raises(ValueError, match="no classes"):
        cache.get("k", lambda: (_ for _ in ()).throw(ValueError("no classes")))
    assert "k" not in cache and cache.get("k", lambda: 7) == 7


def test_keys_tell_frames_apart_by_content_even_where_their_reprs_agree():
    a = pd.DataFrame({"x": np.arange(1_000.0)})
    b = a.copy()
    b.iloc[500, 0] = -1.0  # pandas abbreviates both reprs to the same text
    assert repr(a) == repr(b)
    assert store.key("f", a) != store.key("f", b)
    assert store.key("f", a) == store.key("f", a.copy())
    assert store.key("f", (1.0, 2)) != store.key("f", (1.0, 3))


def test_size_of_counts_a_models_parameters_and_the_arrays_it_holds():
    model = torch.nn.Linear(100, 10)  # 1,010 float32 numbers
    assert store.size_of(model) == 1_010 * 4
    held = {"model": model, "map": np.zeros((50, 50)), "again": model}  # the model counted once
    assert 1_010 * 4 + 50 * 50 * 8 <= store.size_of(held) < 1_010 * 4 + 50 * 50 * 8 + 2_000


def test_a_store_needs_a_positive_budget():
    with pytest.raises(ValueError, match="positive budget"):
        store.Store("test", max_bytes=0, copy=True)


def _counting_app() -> None:
    from dataclasses import dataclass

    import streamlit as st

    from ui import runners

    @dataclass(frozen=True)
    class Cfg:
        n: int = 3

    def experiment(cfg: Cfg, on_progress=None) -> int:
        return cfg.n * 2

    st.session_state["result"] = runners.run(experiment, Cfg(), label="Computing")


def test_the_clear_cache_message_any_client_can_send_does_not_empty_the_shared_results():
    from ui import runners

    at = AppTest.from_function(_counting_app, default_timeout=30).run()
    assert not at.exception and at.session_state["result"] == 6
    computed = sum(runners.COMPUTED.values())
    # What Streamlit's server does on a client's clear_cache message (AppSession._handle_clear_cache_request).
    st.cache_data.clear()
    st.cache_resource.clear()
    at.run()
    assert at.session_state["result"] == 6
    assert sum(runners.COMPUTED.values()) == computed, "a client's clear-cache message made the class recompute"
    runners.clear()  # the app's own clear (tests, cold benchmark renders)
    at.run()
    assert sum(runners.COMPUTED.values()) == computed + 1

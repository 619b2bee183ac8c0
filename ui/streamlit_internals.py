"""The Streamlit internals the app still needs, all in this module, each with the reason no public API does.

Everything else in ui/ uses Streamlit's public API. tests/pages/test_streamlit_internals.py checks each
internal below against the installed Streamlit and fails with the internal's name when a release
removes or changes it, so the requirements can follow Streamlit's releases instead of pinning one.

1. `unrecorded()`: `script_run_context.in_cached_function`, the ContextVar that tells Streamlit
   "we are inside a cached function: record what is drawn, to replay it on a cache hit".
   ui/runners.py draws a progress bar and a live chart from inside the shared st.cache_data, into
   placeholders made outside it. Recorded, those updates would fail on replay
   (CacheReplayClosureError) or replay a stale bar; st.cache_data has no public switch to leave
   some elements out of its record.
2. `bound_widget(key)`: the script run context's `widget_ids_this_run` and the session state's
   widget registry (`get_session_state()._state`: `get_widget_id_from_key`,
   `get_widget_metadata`). ui/urls.py tells a URL value Streamlit refused from one equal to the
   widget's default: Streamlit drops both from the URL, and only the first deserves a note.
   st.session_state holds values only, not whether a widget registered in this run, its default
   or its options.
3. `arrow_dataset(rows)`: no private import, but an undocumented behaviour: st.vega_lite_chart
   sends a spec's named dataset that is already `bytes` as it is, as Arrow IPC. ui/show.py caches
   each chart's spec with its datasets converted once, instead of on every rerun of every session.
4. `reseed(cleaned)`: the session's `QueryParams._initial_query_params`, the URL values Streamlit seeds
   bound widgets from on a page load; editing st.query_params does not reach them. ui/urls.py cleans a
   link's values before any widget reads them: 'inf' raised inside st.number_input.

Not Python, so not here: the CSS test ids (`data-testid="stSidebar"`, `stPageLink-NavLink`,
`stMain`, ...) in ui/chrome.WRAP_LINKS and ui/presenter.CSS; the browser tests (tests/e2e) check them.
"""
from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import pandas as pd
import pyarrow as pa
import streamlit as st

_RUN_CONTEXT = "streamlit.runtime.scriptrunner_utils.script_run_context"
_SESSION_STATE = "streamlit.runtime.state.session_state_proxy"
USED = (  # (module, name) of every private Python name used here; the test resolves each
    (_RUN_CONTEXT, "in_cached_function"),
    (_RUN_CONTEXT, "get_script_run_ctx"),
    (_SESSION_STATE, "get_session_state"),
)


class InternalsChanged(RuntimeError):
    """A Streamlit internal this module relies on is gone or changed."""


@cache
def private(module: str, name: str) -> Any:
    """`module.name`, or InternalsChanged naming it and this module."""
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as error:
        raise InternalsChanged(f"Streamlit {st.__version__} has no {module}.{name} "
                               f"(see ui/streamlit_internals.py): {error}") from error


@contextlib.contextmanager
def unrecorded() -> Iterator[None]:
    """Draw without Streamlit recording it for replay on cache hits (see 1. in the module docstring)."""
    flag = private(_RUN_CONTEXT, "in_cached_function")
    token = flag.set(False)
    try:
        yield
    finally:
        flag.reset(token)


@dataclass(frozen=True)
class BoundWidget:
    """A widget that registered in this run with `bind="query-params"`."""

    default: Any  # its default value, serialized as Streamlit writes it to the URL
    options: tuple[str, ...]  # its options as the URL writes them; () for a slider or a number


def bound_widget(key: str) -> BoundWidget | None:
    """The widget keyed `key` if it registered in this run bound to the URL, else None (see 2. above).

    Raises InternalsChanged, AttributeError or TypeError when Streamlit's internals changed;
    ui/urls.py then judges by st.session_state alone.
    """
    ctx = private(_RUN_CONTEXT, "get_script_run_ctx")()
    state = private(_SESSION_STATE, "get_session_state")()._state
    widget_id = state.get_widget_id_from_key(key)
    if widget_id is None or ctx is None or widget_id not in ctx.shared.widget_ids_this_run:
        return None
    metadata = state.get_widget_metadata(widget_id)
    if metadata is None or metadata.bind != "query-params":
        return None
    return BoundWidget(metadata.serializer(metadata.deserializer(None)),
                       tuple(getattr(metadata, "formatted_options", None) or ()))


def reseed(cleaned: dict[str, list[str] | None]) -> None:
    """Seed this page load's bound widgets with `cleaned` URL values instead of the link's (see 4. above);
    None: no value at all. Raises InternalsChanged or AttributeError when Streamlit's internals changed."""
    seeds = private(_SESSION_STATE, "get_session_state")()._state.query_params._initial_query_params
    for key, values in cleaned.items():
        if values is None:
            seeds.pop(key, None)
        else:
            seeds[key] = values


def arrow_dataset(rows: list[dict[str, Any]]) -> bytes | list[dict[str, Any]]:
    """A Vega-Lite dataset (a list of rows) as the Arrow IPC bytes st.vega_lite_chart sends (see 3. above).

    Written with pyarrow's public API as Streamlit writes it (a DataFrame of the rows, its default
    index as metadata only). Rows pyarrow cannot type (mixed types in a column) stay a list, which
    Streamlit converts itself.
    """
    try:
        table = pa.Table.from_pandas(pd.DataFrame(rows))
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError):
        return rows
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()

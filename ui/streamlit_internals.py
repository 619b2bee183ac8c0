"""The Streamlit internals the app still needs, all in this module, each with the reason no public API does.

Everything else in ui/ uses Streamlit's public API. tests/pages/test_streamlit_internals.py checks each
internal below against the installed Streamlit and fails with the internal's name when a release
removes or changes it, so the requirements can follow Streamlit's releases instead of pinning one.

1. `bound_widget(key)`: the script run context's `widget_ids_this_run` and the session state's
   widget registry (`get_session_state()._state`: `get_widget_id_from_key`,
   `get_widget_metadata`). ui/urls.py tells a URL value Streamlit refused from one equal to the
   widget's default: Streamlit drops both from the URL, and only the first deserves a note.
   st.session_state holds values only, not whether a widget registered in this run, its default
   or its options.
2. `arrow_dataset(rows)`: no private import, but an undocumented behaviour: st.vega_lite_chart
   sends a spec's named dataset that is already `bytes` as it is, as Arrow IPC. ui/show.py caches
   each chart's spec with its datasets converted once, instead of on every rerun of every session.
3. `reseed(cleaned)`: the session's `QueryParams._initial_query_params`, the URL values Streamlit seeds
   bound widgets from on a page load; editing st.query_params does not reach them. ui/urls.py cleans a
   link's values before any widget reads them: 'inf' raised inside st.number_input.
4. `cap_uploads(manager, per_session)`: the runtime's uploaded-file manager (`Runtime.uploaded_file_mgr`,
   Streamlit's MemoryUploadedFileManager: its `file_storage`, `_lock`, `add_file`, `remove_file`). Streamlit
   keeps every file a session uploads until the session ends, in any number; a browser deletes the file an
   uploader replaces, but a script need not (issue 19: 8 x 100 MB held 1.56 GB). No setting bounds the count.
5. `pace_reruns()`: `AppSession._handle_rerun_script_request` (the server's handler of a browser's rerun message),
   `AppSession._event_loop`, and `script_requests._coalesce_widget_states` (how Streamlit itself merges two reruns
   so that a button press in the older one is not lost). A rerun over a tab's pace (ui/pace.py) is held back there,
   before any script starts, and runs when the tab has a token again; a held rerun without a button press in it is
   replaced by the next one. Stopping it inside the script instead still cost a script start per message: four
   connections sending 20 reruns a second slowed the other students' warm pages to 4-24 s. No setting or public API
   bounds how often a session reruns.

6. `scan_components_once()`: `streamlit.components.v2.manifest_scanner.scan_component_manifests`, which every new
   AppTest calls to find the installed packages' Streamlit components (a server calls it once at start): most of
   a warm page's AppTest run. The harnesses that make many AppTests (the tests, the benchmark's page renders,
   ui/defaults.py) scan once per process instead. AppTest has no option to share or skip the scan.
7. `send_without_delay()`: no Streamlit name, but a behaviour of its server: it binds its listening socket itself
   (`socket.socket(family=...)`, protocol 0), and asyncio turns Nagle's algorithm off only on sockets whose protocol
   is IPPROTO_TCP, so every connection it accepts keeps Nagle on. A small response written in two parts (headers,
   then body) then waits for the browser's delayed ACK (40 ms with a Linux browser, up to 200 ms on Windows) per file
   on a kept-alive connection, and a page loads 60-150 script files. Setting TCP_NODELAY on the process's TCP
   sockets (the listening one passes it to the connections it accepts, on Linux) sends each file at once. No setting
   controls it.

Not Python, so not here: the CSS test ids (`data-testid="stSidebar"`, `stPageLink-NavLink`,
`stMain`, ...) in ui/chrome.WRAP_LINKS and ui/presenter.CSS; the browser tests (tests/e2e) check them.
"""
from __future__ import annotations

import asyncio
import importlib
import os
import socket
import time
from collections import deque
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import streamlit as st

from ui import pace

_APP_SESSION = "streamlit.runtime.app_session"
_SCRIPT_REQUESTS = "streamlit.runtime.scriptrunner_utils.script_requests"
_RUN_CONTEXT = "streamlit.runtime.scriptrunner_utils.script_run_context"
_SESSION_STATE = "streamlit.runtime.state.session_state_proxy"
_UPLOADS = "streamlit.runtime.memory_uploaded_file_manager"
_COMPONENTS = "streamlit.components.v2.manifest_scanner"
USED = (  # (module, name) of every private Python name used here; the test resolves each
    (_RUN_CONTEXT, "get_script_run_ctx"),
    (_SESSION_STATE, "get_session_state"),
    (_UPLOADS, "MemoryUploadedFileManager"),
    (_APP_SESSION, "AppSession"),
    (_SCRIPT_REQUESTS, "_coalesce_widget_states"),
    (_COMPONENTS, "scan_component_manifests"),
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


def cap_uploads(manager: Any, per_session: int) -> None:
    """Make `manager` keep at most `per_session` files per session, the newest (see 4. above); idempotent.
    Any other manager (AppTest's stand-in) is left as it is."""
    if (not isinstance(manager, private(_UPLOADS, "MemoryUploadedFileManager"))
            or getattr(manager, "_lesson_upload_cap", None) == per_session):
        return
    add_file = type(manager).add_file

    def add_newest(session_id: str, file: Any) -> None:
        add_file(manager, session_id, file)
        with manager._lock:
            kept = list(manager.file_storage.get(session_id, {}))  # oldest first: a dict keeps insertion order
        for file_id in kept[:-per_session]:
            manager.remove_file(session_id, file_id)

    manager.add_file = add_newest
    manager._lesson_upload_cap = per_session


def cap_session_uploads(per_session: int) -> None:
    """`cap_uploads` on this server's uploaded-file manager (nothing without a server, as in AppTest)."""
    if st.runtime.exists():
        cap_uploads(st.runtime.get_instance().uploaded_file_mgr, per_session)


# The values a rerun message holds only once, for the run it asks for: a button press, a chat message and the like.
_TRIGGERS = ("trigger_value", "string_trigger_value", "json_trigger_value", "chat_input_value")


def _pressed(client_state: Any) -> bool:
    """Whether a rerun carries a one-off trigger (a button press) that a later rerun does not repeat."""
    return client_state is not None and any(w.WhichOneof("value") in _TRIGGERS
                                            for w in client_state.widget_states.widgets)


@dataclass
class _Held:
    """A session's pace: its bucket, the reruns held back (ClientStates or None, oldest first) and the timer
    that runs the next of them."""

    bucket: pace.Bucket
    waiting: deque = field(default_factory=deque)
    timer: asyncio.TimerHandle | None = None


def pace_reruns(session_class: Any = None) -> None:
    """Hold back each session's reruns over its pace in the server's message handler (see 5. above); idempotent.

    A rerun message carries all of the tab's widget values, so a held rerun stands for the one held before it,
    unless that one carries a button press: each press keeps a run of its own (up to pace.HELD waiting; beyond,
    presses are merged as Streamlit merges two reruns). A person over the pace sees each press take effect a
    moment later, never a refusal; a script flooding reruns costs the server at most pace.RATE script runs a
    second. `session_class`: AppSession (a test's stand-in).
    """
    cls = session_class or private(_APP_SESSION, "AppSession")
    if "_lesson_paced" in cls.__dict__:
        return
    handle = cls._handle_rerun_script_request
    coalesce = private(_SCRIPT_REQUESTS, "_coalesce_widget_states")

    def paced(session: Any, client_state: Any = None) -> None:
        held = session.__dict__.setdefault("_lesson_pace", _Held(pace.Bucket()))
        if held.timer is None and pace.allow(held.bucket, time.monotonic()):
            handle(session, client_state)
            return
        last = held.waiting[-1] if held.waiting else None
        if held.waiting and (not _pressed(last) or len(held.waiting) >= pace.HELD):
            if last is not None and client_state is not None:
                merged = coalesce(last.widget_states, client_state.widget_states)
                if merged is not None and merged is not client_state.widget_states:
                    client_state.widget_states.CopyFrom(merged)
            held.waiting[-1] = client_state if client_state is not None else last
        else:
            held.waiting.append(client_state)
        if held.timer is None:
            held.timer = session._event_loop.call_later(pace.wait_s(held.bucket), release, session, held)

    def release(session: Any, held: _Held) -> None:
        held.timer = None
        if pace.allow(held.bucket, time.monotonic()):
            handle(session, held.waiting.popleft())
        if held.waiting:
            held.timer = session._event_loop.call_later(pace.wait_s(held.bucket), release, session, held)

    cls._handle_rerun_script_request = paced
    cls._lesson_paced = True


def scan_components_once() -> None:
    """Every later AppTest of this process reuses the first scan for installed Streamlit components (nothing is
    installed while a harness runs); a second call changes nothing."""
    private(_COMPONENTS, "scan_component_manifests")  # InternalsChanged where a release removed it
    scanner = importlib.import_module(_COMPONENTS)  # the module's function now, not `private`'s first answer
    if not hasattr(scanner.scan_component_manifests, "cache_info"):
        scanner.scan_component_manifests = cache(scanner.scan_component_manifests)


def send_without_delay(fds: Path = Path("/proc/self/fd")) -> int:
    """Turn Nagle's algorithm off on this process's TCP sockets that still have it (see 7. above); how many.

    `fds`: the directory of the process's open files (Linux's); where there is none, nothing changes.
    """
    turned = 0
    for entry in fds.iterdir() if fds.is_dir() else ():
        try:
            if not os.readlink(entry).startswith("socket:"):
                continue
            sock = socket.socket(fileno=int(entry.name))  # borrowed: detach() below hands the file back unclosed
        except (OSError, ValueError):  # closed meanwhile, not a socket, not a number
            continue
        try:
            tcp = sock.family in (socket.AF_INET, socket.AF_INET6) and sock.type == socket.SOCK_STREAM
            if tcp and not sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                turned += 1
        except OSError:
            pass
        finally:
            sock.detach()
    return turned

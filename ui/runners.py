"""Cached runners: every core experiment goes through one shared cache, with progress and live charts.

A page builds a frozen config, runs it here and draws what comes back:

    cfg = runners.config(LrSweep, lrs=lrs, epochs=epochs)           # ValueError -> st.error
    slot = st.empty()                                                 # the page's live chart
    result = runners.run(lr_sweep.run, cfg, label="Training 3 networks",
                         live=lambda part: show.redraw(slot, charts.curves(part.history)))
    with slot.container():                                            # final chart replaces it
        show.chart(charts.curves(result.history), result.history, key="lr-curves")

The cache key is (the core function's dotted name, a digest of cfg's value: `store.key`), so equal
configs share one entry across all sessions: a class asking for the default view trains it once.
It does not hash the core code behind `fn`, hence the `code_version` field of configs. The caches
are the app's own (`RESULTS`, `MODELS`; ui/store.py): bounded by bytes, and out of reach of the
clear-cache message any client can send to Streamlit. On a hit nothing is drawn: `live` is never
called, and the progress placeholder stays empty. RESULTS starts with every page's default results,
computed in advance (ui/defaults.py), so a fresh server serves its first students as a warm one does.

A class at once: different experiments compute at most `SLOTS` at a time (one per core; each
already uses one torch thread); the others wait in line, saying so in their progress bar, and a
long one lets them pass at its progress reports (`Slots`). More at once than cores only fight
over the GIL: the load test (benchmarks/load.py) served a class on every page faster with one
slot per core than with more (`LESSON_COMPUTE_SLOTS` overrides the number). After each
computation the freed memory goes back to the system (`malloc_trim`): Streamlit runs each
session in its own thread, and glibc keeps what a thread freed in that thread's arena, so
without it the server holds on to more memory under a class (the load test reports its peak).
"""
from __future__ import annotations

import contextlib
import ctypes
import os
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from ui import defaults, store
from ui.untrusted import escape

C = TypeVar("C")
R = TypeVar("R")
MIN_REDRAW_S = 0.2  # by default progress and live charts redraw at most 5 times a second; the last one always
COMPUTED: Counter[str] = Counter()  # real computations (cache misses) in this process, by core function
RUN_LOG = "LESSON_RUN_LOG"  # env var naming a file that gets one line per real computation (benchmarks/load.py)


def container_cpus(root: str = "/sys/fs/cgroup") -> float | None:
    """The CPUs the container may use by its cgroup's quota (v2 `cpu.max`, v1 `cpu.cfs_quota_us`), or None
    without a quota. `sched_getaffinity` counts the host's cores a container can be scheduled on, which
    can be more than its quota (a Cloud container sees the host's cores)."""
    for quota_file, period_file in (("cpu.max", None), ("cpu/cpu.cfs_quota_us", "cpu/cpu.cfs_period_us")):
        try:
            fields = Path(root, quota_file).read_text().split()
            if period_file:
                fields.append(Path(root, period_file).read_text().strip())
        except OSError:
            continue
        if len(fields) >= 2 and fields[0] not in ("max", "-1") and float(fields[1]) > 0:
            return float(fields[0]) / float(fields[1])
        return None
    return None


def container_memory_mb(root: str = "/sys/fs/cgroup") -> float | None:
    """The memory the container may use by its cgroup's limit (v2 `memory.max`, v1 `memory.limit_in_bytes`), in
    MB, or None without a limit (v1 writes "no limit" as a huge number)."""
    for limit_file in ("memory.max", "memory/memory.limit_in_bytes"):
        try:
            text = Path(root, limit_file).read_text().strip()
        except OSError:
            continue
        return None if text == "max" or int(text) >= 2**60 else int(text) / 2**20
    return None


def _cores() -> int:
    seen = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    quota = container_cpus()
    return max(1, min(seen, int(quota + 0.5))) if quota else seen


def heavy_slots(slots: int, memory_mb: float | None) -> int:
    """Heavy computations (started on a button, ui/launch.py) at once: one core fewer than the slots, so that
    quick and cached work always finds a core free, and no more than the container's memory holds beside
    what the server keeps anyway (SERVER_MB); at least one. The others wait in line, told their place in it."""
    by_memory = int((memory_mb - SERVER_MB) // HEAVY_RUN_MB) if memory_mb else slots
    return max(1, min(slots - 1, by_memory))


# MB: the server with every page's defaults and full caches (the benchmark's peak, rounded up), and what one
# heavy training adds at most (the reliability benchmark's eight FCN presses: one running, the peak rose by less).
SERVER_MB, HEAVY_RUN_MB = 1_300, 250
CORES = _cores()
SLOTS = max(1, int(os.environ.get("LESSON_COMPUTE_SLOTS", CORES)))
HEAVY = max(1, int(os.environ.get("LESSON_HEAVY_SLOTS", heavy_slots(SLOTS, container_memory_mb()))))


class Slots:
    """At most `n` computations at once, the others queued first come, first served.

    A computation that has run for SLICE_S steps aside at its next progress report while others
    wait (`step_aside`): it goes to the back of the queue and its slot passes straight to the first
    in line. So a quick experiment never waits for a minute-long "train it yourself" to finish, and
    n computations at a time still share the cores. Stepping aside at every report instead costs
    server CPU in hand-overs (the load test shows it). A slot is handed over, never put back for
    anyone to grab: the thread that just let go holds the GIL and would take it back first.
    """

    SLICE_S = 0.5

    def __init__(self, n: int):
        self._held = threading.local()  # this thread's `since`: when it last got its slot
        self._lock = threading.Lock()
        self._free = n
        self._queue: deque[threading.Event] = deque()

    @property
    def waiting(self) -> int:
        return len(self._queue)

    @property
    def free(self) -> int:
        """Slots nobody holds (tests check that a stopped computation gave its slot back)."""
        return self._free

    def _take_free(self) -> bool:
        """Take a free slot if nobody is in line for it (call with the lock held)."""
        if self._free and not self._queue:
            self._free -= 1
            return True
        return False

    def acquire(self, on_wait: Callable[[], None] | None = None) -> None:
        """Take a slot; when none is free, call `on_wait` (nothing is held yet if it raises), then queue."""
        self._held.since = time.monotonic()
        with self._lock:
            if self._take_free():
                return
        if on_wait is not None:
            on_wait()
        with self._lock:
            if self._take_free():  # one was freed while on_wait drew
                return
            turn = threading.Event()
            self._queue.append(turn)
        turn.wait()  # release() hands its slot to us
        self._held.since = time.monotonic()

    def release(self) -> None:
        with self._lock:
            if self._queue:
                self._queue.popleft().set()
            else:
                self._free += 1

    def pause(self, seconds: float) -> None:
        """Sleep `seconds` without the slot: it passes to the first in line (or back to the free ones), and this
        thread queues for one again when it wakes."""
        self.release()
        try:
            time.sleep(seconds)
        finally:
            self.acquire()

    def step_aside(self) -> None:
        """After SLICE_S with the slot, let the first in line run and queue behind the others."""
        if self.waiting and time.monotonic() - getattr(self._held, "since", 0.0) >= self.SLICE_S:
            self.release()
            self.acquire()


_slots = Slots(SLOTS)


class Admission:
    """At most `n` heavy computations at once, the others in line first come, first served.

    No time-slicing among them: an admitted computation keeps its place until it ends, so a class of
    students pressing "Train it yourself" together trains `n` models at a time, each in a fraction of the
    time, instead of all of them in memory at once, handed round (issue 19: eight FCNs, 2.3 GB). While
    it waits, `on_wait(place)` is called about once a second with its place in line (1: next); when
    on_wait raises (Streamlit's rerun or stop, at the progress update it draws), it leaves the line.
    """

    POLL_S = 1.0

    def __init__(self, n: int):
        self._n = n
        self._running = 0
        self._lock = threading.Lock()
        self._line: deque[threading.Event] = deque()

    @property
    def running(self) -> int:
        return self._running

    @property
    def waiting(self) -> int:
        return len(self._line)

    def enter(self, on_wait: Callable[[int], None]) -> None:
        with self._lock:
            if self._running < self._n and not self._line:
                self._running += 1
                return
            turn = threading.Event()
            self._line.append(turn)
        try:
            while True:
                with self._lock:
                    place = self._line.index(turn) + 1 if turn in self._line else 0
                if place:
                    on_wait(place)
                if turn.wait(self.POLL_S):
                    return  # `leave` handed over its place: _running already counts us
        except BaseException:
            with self._lock:
                if turn in self._line:
                    self._line.remove(turn)
                    raise
            self.leave()  # handed a place while leaving: pass it on
            raise

    def leave(self) -> None:
        with self._lock:
            if self._line:
                self._line.popleft().set()
            else:
                self._running -= 1


_heavy = Admission(HEAVY)


def _no_trim(pad: int) -> int:
    return 0


try:  # glibc's malloc_trim(0): hand the memory a finished computation freed back to the system
    _trim = ctypes.CDLL(None).malloc_trim
    _trim.argtypes = [ctypes.c_size_t]
except (OSError, AttributeError):  # not glibc (macOS, musl): nothing to trim
    _trim = _no_trim


# The shared results and models (ui/store.py says why not st.cache_data / st.cache_resource): each result
# kept as its pickle (every hit gets its own copy), each model as the object itself, shared.
MB = 2**20
RESULTS = store.Store("results", int(os.environ.get("LESSON_RESULTS_MB", 64)) * MB, copy=True)
MODELS = store.Store("models", int(os.environ.get("LESSON_MODELS_MB", 128)) * MB, copy=False)
# Uploads as read (a table's columns, an image checked), each read once per content for the whole server.
UPLOADS = store.Store("uploads read", int(os.environ.get("LESSON_UPLOADS_MB", 16)) * MB, copy=True)
_FINISHED: set[str] = set()  # the `digest`s of computations finished in this process (emptied by `clear`)
# Every page's default view is a cache hit from the server's first visit. LESSON_SHIPPED_DEFAULTS=0 computes them
# here instead (the load test's class computing one experiment together).
SHIPPED_DEFAULTS = os.environ.get("LESSON_SHIPPED_DEFAULTS", "1") != "0"
if SHIPPED_DEFAULTS:
    defaults.load(RESULTS)


def clear() -> None:
    """Forget every result, model, chart spec and finished computation, the shipped defaults too (tests, the
    benchmark's renders from nothing): every page then computes what it shows.

    Only the app calls it: Streamlit's clear-cache message, which any client can send, does not reach these.
    """
    store.clear_all()
    _FINISHED.clear()


def fresh() -> int:
    """The caches as a server starts them: empty but for the shipped default results (ui/defaults.py) unless
    SHIPPED_DEFAULTS is off; how many were read."""
    clear()
    return defaults.load(RESULTS) if SHIPPED_DEFAULTS else 0


def read_upload(fn: Callable[[str, bytes], R], name: str, content: bytes) -> R:
    """`fn(name, content)` (a core reader: uploads.read_csv, augment.read_image) once per (reader, name,
    content) for the whole server: a rerun, a second tab or a second student with the same file reads
    nothing again (a 4000 x 4000 PNG cost 0.45 s of server CPU on every rerun). A ValueError is kept too,
    and raised again on every ask."""
    def read() -> tuple[bool, Any]:
        try:
            return True, fn(name, content)
        except ValueError as error:
            return False, str(error)

    ok, value = UPLOADS.get(digest(_name(fn), (name, content), full=True), read)
    if not ok:
        raise ValueError(value)
    return value


def _run_cached(name: str, cfg: Any, fn: Callable[..., Any], label: str, progress: DeltaGenerator,
                live: Callable[[Any], None] | None, inputs: tuple[Any, ...] = (), heavy: bool = False,
                redraw_s: float = MIN_REDRAW_S, pace_s: float = 0.0) -> Any:
    """`fn(cfg, *inputs)` with progress, kept under (name, cfg); `inputs` are not part of the key."""
    return RESULTS.get(digest(name, cfg, full=True),
                       lambda: _compute(name, cfg, fn, label, progress, live, inputs, heavy, redraw_s, pace_s))


def _resource_cached(name: str, key: Any, fn: Callable[..., Any], label: str, progress: DeltaGenerator,
                     live: Callable[[Any], None] | None = None, heavy: bool = False) -> Any:
    """Like `_run_cached`, but the object itself is kept and shared (never pickled or copied): trained models."""
    return MODELS.get(digest(name, key, full=True), lambda: _compute(name, key, fn, label, progress, live, (), heavy))


def trainings(n: int) -> str:
    """ "1 training is" / "3 trainings are", for the line a waiting student reads."""
    return f"{n} training is" if n == 1 else f"{n} trainings are"


def _compute(name: str, cfg: Any, fn: Callable[..., Any], label: str, progress: DeltaGenerator,
             live: Callable[[Any], None] | None, inputs: tuple[Any, ...], heavy: bool = False,
             redraw_s: float = MIN_REDRAW_S, pace_s: float = 0.0) -> Any:
    """`fn(cfg, *inputs, on_progress=...)` holding a compute slot, with its progress bar and live chart
    (redrawn at most every `redraw_s`); a `heavy` one is first admitted (`Admission`), waiting in line.

    `pace_s`: progress reports at least this far apart. One that comes sooner waits the rest out with its compute
    slot handed on (`Slots.pause`), so a run that computes faster than the eye follows plays at the pace of its
    redraws, and no computation waits for a slot meanwhile. A heavy run keeps its place among the heavy ones
    (`Admission` bounds their memory, and a playing run still holds its own)."""
    if heavy:
        def on_wait(place: int) -> None:
            progress.progress(0.0, text=f"{label}: waiting, number {place} in line ({trainings(_heavy.running)} "
                                        f"running; this server runs {HEAVY} at a time)")

        _heavy.enter(on_wait)
        try:
            return _compute(name, cfg, fn, label, progress, live, inputs, redraw_s=redraw_s, pace_s=pace_s)
        finally:
            _heavy.leave()
    _count(name, cfg)
    last_bar = last_live = last_report = -float("inf")

    def on_progress(fraction: float, partial: Any) -> None:
        # The bar moves at most every MIN_REDRAW_S even when `live` redraws faster: it would only cost the browser.
        nonlocal last_bar, last_live, last_report
        early = last_report + pace_s - time.monotonic()
        if early > 0 and fraction < 1:
            _slots.pause(early)
        else:
            _slots.step_aside()
        now = last_report = time.monotonic()
        if fraction >= 1 or now - last_bar >= max(redraw_s, MIN_REDRAW_S):
            last_bar = now
            progress.progress(min(max(float(fraction), 0.0), 1.0), text=label)
        if live is not None and (fraction >= 1 or now - last_live >= redraw_s):
            last_live = now
            live(partial)

    with _slot(progress, label):
        progress.progress(0.0, text=label)
        result = fn(cfg, *inputs, on_progress=on_progress)
    _FINISHED.add(digest(name, cfg))
    return result


@contextlib.contextmanager
def _slot(progress: DeltaGenerator, label: str) -> Iterator[None]:
    """Hold one of the `SLOTS` computing slots; while none is free, say so in the progress bar."""
    def on_wait() -> None:
        progress.progress(0.0, text=f"{label}: waiting for a free core (other students' experiments are "
                                    f"computing; this server computes {SLOTS} at a time)")

    _slots.acquire(on_wait)
    try:
        yield
    finally:
        _slots.release()
        _trim(0)  # without it each session thread's malloc arena keeps what it freed


def digest(name: str, cfg: Any, full: bool = False) -> str:
    """One computation's name in the run log and the finished record: its function and a digest of its config
    (`full`: the whole digest, the caches' key)."""
    digest = store.key(cfg)
    return f"{name} {digest if full else digest[:12]}"


def digest_of(fn: Callable[..., Any], cfg: Any) -> str:
    """`digest` of the computation `fn(cfg)`."""
    return digest(_name(fn), cfg)


def finished_digest(computation: str) -> bool:
    """Whether the computation of digest `computation` (`digest_of`) has been computed to the end in this process."""
    return computation in _FINISHED


def cached(fn: Callable[..., Any], cfg: Any) -> bool:
    """Whether `fn(cfg)` is kept in the shared caches, so that asking for it is a hit, computing nothing."""
    k = digest(_name(fn), cfg, full=True)
    return k in RESULTS or k in MODELS


def _count(name: str, cfg: Any) -> None:
    """Count one real computation: a class asking for one view at once must cost one (the load test checks it).

    The run log's line is the function and a digest of the config, so equal lines are the same experiment.
    """
    COMPUTED[name] += 1
    if path := os.environ.get(RUN_LOG):
        with open(path, "a") as log:  # one short append per line: concurrent sessions do not interleave
            log.write(f"{digest(name, cfg)}\n")


def run(fn: Callable[..., R], cfg: Any, *, label: str, live: Callable[[Any], None] | None = None,
        inputs: tuple[Any, ...] = (), heavy: bool = False, on_error: Callable[[], None] | None = None,
        redraw_s: float = MIN_REDRAW_S, pace_s: float = 0.0) -> R:
    """`fn(cfg, *inputs, on_progress=...)` through the shared cache, with a progress bar while it computes.

    `live(partial_result)` is called with each progress report of a computation (never on a
    cache hit), for a chart that grows while it trains, at most every `redraw_s` seconds (the default suits
    Vega charts, which the browser embeds anew on each redraw; a picture can go faster: the learning
    cycle's live map). `inputs` (e.g. a trained model) are passed
    on but not hashed: `cfg` must determine them (a zoo view's cfg carries the model's Source).
    A ValueError from core is shown with st.error and stops the page; so is a RuntimeError or
    MemoryError from torch (out of memory, a device failure), with a hint, instead of a traceback.
    `heavy`: started on a button (ui/launch.py): it waits for its turn among the heavy ones (`Admission`).
    `on_error()` is called before such a message is shown (ui/launch.py forgets the press). `pace_s`: its progress
    reports at least this far apart (`_compute`), for a live run that would otherwise be over in a flash.
    """
    return _guarded(lambda progress: _run_cached(_name(fn), cfg, fn, label, progress, live, inputs, heavy, redraw_s,
                                                 pace_s), on_error)


def resource(fn: Callable[..., R], key: Any, *, label: str, live: Callable[[Any], None] | None = None,
             heavy: bool = False, on_error: Callable[[], None] | None = None) -> R:
    """`fn(key, on_progress=...)` computed once per `key` and the very object shared by every session.

    For what must not be copied on every use (a trained model); the same progress bar, live chart
    (`live`, never called on a hit), compute slots and error messages as `run`.
    """
    return _guarded(lambda progress: _resource_cached(_name(fn), key, fn, label, progress, live, heavy), on_error)


def _name(fn: Callable[..., Any]) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"


def _guarded(compute: Callable[[DeltaGenerator], R], on_error: Callable[[], None] | None = None) -> R:
    """`compute(progress placeholder)`, with core's errors shown as messages instead of tracebacks."""
    progress = st.empty()
    try:
        return compute(progress)
    except ValueError as error:
        if on_error is not None:
            on_error()
        st.error(escape(str(error)))
        st.stop()
    except (RuntimeError, MemoryError) as error:
        if on_error is not None:
            on_error()
        st.error(f"The computation failed ({type(error).__name__}: {escape(str(error))}). Try smaller settings, "
                 "or press Reset this page in the sidebar.")
        st.stop()
    finally:
        progress.empty()


def config(cls: Callable[..., C], **kwargs: Any) -> C:
    """`cls(**kwargs)`, with a config's ValueError shown as st.error (and the page stopped)."""
    try:
        return cls(**kwargs)
    except ValueError as error:
        st.error(escape(str(error)))
        st.stop()

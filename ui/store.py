"""The app's shared caches: least recently used first out, bounded by bytes, each value computed once at a time.

Why not st.cache_data / st.cache_resource: they bound a cache by its number of entries only (64 results of
a few kB or 64 of 30 MB), and any client can empty them for the whole class: the browser's "Clear caches"
sends a `clear_cache` message that Streamlit's server obeys for every session (issue 19: repeated every
2 s, it kept every page load at 2-3 s). A `Store` is this process's own: only the app clears it
(`clear_all`, for the tests and the benchmark's cold renders).

    results = Store("results", max_bytes=160 * 2**20, copy=True)
    value = results.get(key(name, cfg), lambda: compute(cfg))

- `key(*parts)` is a digest of the parts' pickles, with each DataFrame replaced by a digest of its
  content (`frame_digest`): equal configs from any session give one key. (A config's repr would not do:
  pandas abbreviates a frame's repr, so two uploads could share one.)
- `copy=True` keeps the pickle and gives every hit its own copy, as st.cache_data does, so that a page
  cannot change what another session gets; its size is the pickle's length. `copy=False` keeps the object
  itself (a trained model, shared as st.cache_resource shares it); its size is `size_of` its arrays.
- Two sessions asking for one key at once: the second waits for the first's value instead of computing it
  again (the load test counts computations). If the first fails or is stopped, the next one computes.
"""
from __future__ import annotations

import dataclasses
import hashlib
import logging
import pickle
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import torch

V = TypeVar("V")
log = logging.getLogger(__name__)
_STORES: list[Store] = []


def frame_digest(frame: pd.DataFrame) -> bytes:
    """A DataFrame's content as a short digest (shape, columns, dtypes and values).

    Numbers go in as their memory; Arrow-backed text (pandas 3's default) as its Arrow buffers, with the
    offset and length that say which part of them the column is; other objects pickled whole (str() would
    abbreviate an array held in a cell). Equal digests mean equal content; equal content laid out differently
    in Arrow can digest differently, which only costs a cache miss. A page's rerun keys its charts by the
    frames they draw, so this runs for every chart of every rerun: converting text to Python objects made it
    a fifth of a warm page's server time.
    """
    digest = hashlib.blake2b(repr((frame.shape, list(frame.columns), list(map(str, frame.dtypes)))).encode(),
                             digest_size=16)
    for column in (frame.index, *(frame.iloc[:, i] for i in range(frame.shape[1]))):
        values = column.array
        if hasattr(values, "__arrow_array__"):
            arrow = values.__arrow_array__()
            for chunk in arrow.chunks if isinstance(arrow, pa.ChunkedArray) else [arrow]:
                digest.update(repr((str(chunk.type), chunk.offset, len(chunk))).encode())
                for buffer in chunk.buffers():
                    digest.update(b"-" if buffer is None else buffer)
            continue
        values = column.to_numpy()
        if values.dtype.kind in "biufcmM":  # numbers, booleans, times: their memory as it is
            digest.update(np.ascontiguousarray(values).tobytes())
        else:
            digest.update(pickle.dumps(values.tolist(), protocol=pickle.HIGHEST_PROTOCOL))
    return digest.digest()


class _KeyPickler(pickle.Pickler):
    """A pickler that writes a key, not something to load back: a DataFrame as the digest of its content, a
    dataclass as its class's dotted name and its fields (so that a config class defined inside a function,
    which pickle refuses, has a key too)."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, pd.DataFrame):
            return bytes, (frame_digest(obj),)
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            kind = f"{type(obj).__module__}.{type(obj).__qualname__}"
            return tuple, ((kind, *((f.name, getattr(obj, f.name)) for f in dataclasses.fields(obj))),)
        return NotImplemented


def key(*parts: Any) -> str:
    """One hex digest of `parts`: equal values (configs, frames, bytes) give equal keys in any session."""
    sink = _Digest()
    _KeyPickler(sink, protocol=pickle.HIGHEST_PROTOCOL).dump(parts)
    return sink.hash.hexdigest()


class _Digest:
    """A file-like sink that hashes what a pickler writes instead of keeping it."""

    def __init__(self) -> None:
        self.hash = hashlib.blake2b(digest_size=20)

    def write(self, data: bytes) -> None:
        self.hash.update(data)


def size_of(value: Any, _seen: set[int] | None = None) -> int:
    """About how many bytes `value` holds: its tensors', arrays', frames' and bytes' data, walked through
    modules, dataclasses and containers (each object counted once); anything else by sys.getsizeof."""
    seen = set() if _seen is None else _seen
    if id(value) in seen:
        return 0
    seen.add(id(value))
    if isinstance(value, torch.nn.Module):
        tensors = [*value.parameters(), *value.buffers()]
        return sum(size_of(t, seen) for t in tensors)
    if isinstance(value, torch.Tensor):
        return value.element_size() * value.nelement()
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, (pd.DataFrame, pd.Series)):
        return int(value.memory_usage(deep=True).sum()) if isinstance(value, pd.DataFrame) \
            else int(value.memory_usage(deep=True))
    if isinstance(value, (bytes, bytearray, str)):
        return sys.getsizeof(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return sys.getsizeof(value) + sum(size_of(getattr(value, f.name), seen) for f in dataclasses.fields(value))
    if isinstance(value, dict):
        return sys.getsizeof(value) + sum(size_of(k, seen) + size_of(v, seen) for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return sys.getsizeof(value) + sum(size_of(v, seen) for v in value)
    return sys.getsizeof(value)


class Store:
    """A least-recently-used cache of at most `max_bytes`, shared by every session of this process.

    A value larger than the whole budget is returned but not kept.
    """

    def __init__(self, name: str, max_bytes: int, *, copy: bool):
        if max_bytes <= 0:
            raise ValueError(f"a store needs a positive budget, not {max_bytes} bytes")
        self.name, self.max_bytes, self.copy = name, max_bytes, copy
        self._entries: OrderedDict[str, tuple[Any, int]] = OrderedDict()  # key -> (value or pickle, bytes)
        self._bytes = 0
        self._lock = threading.Lock()
        self._computing: dict[str, threading.Lock] = {}
        _STORES.append(self)

    @property
    def bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, k: str) -> bool:
        return k in self._entries

    def get(self, k: str, compute: Callable[[], V]) -> V:
        """The value kept under `k`, or `compute()`'s, kept (one computation at a time per key)."""
        hit, value = self._lookup(k)
        if hit:
            return value
        with self._lock:
            gate = self._computing.setdefault(k, threading.Lock())
        with gate:  # a second asker waits here for the first's value
            hit, value = self._lookup(k)
            if hit:
                return value
            try:
                value = compute()
                self._keep(k, value)
            finally:
                with self._lock:
                    self._computing.pop(k, None)
        return value

    def _lookup(self, k: str) -> tuple[bool, Any]:
        with self._lock:
            if k not in self._entries:
                return False, None
            self._entries.move_to_end(k)
            kept, _ = self._entries[k]
        if not self.copy:
            return True, kept
        try:
            return True, pickle.loads(kept)
        except Exception as error:  # a preloaded pickle whose classes changed since it was written: computed anew
            log.warning("The %s store's value of %s no longer loads (%s: %s); computing it again.", self.name, k,
                        type(error).__name__, error)
            with self._lock:
                if k in self._entries and self._entries[k][0] is kept:
                    self._bytes -= self._entries.pop(k)[1]
            return False, None

    def _keep(self, k: str, value: Any) -> None:
        kept = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL) if self.copy else value
        size = len(kept) if self.copy else size_of(value)
        if size > self.max_bytes:
            return
        with self._lock:
            if k in self._entries:
                self._bytes -= self._entries.pop(k)[1]
            self._entries[k] = (kept, size)
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._bytes -= dropped

    def pickles(self) -> list[tuple[str, bytes]]:
        """Every kept (key, pickle), least recently used first: what ui/defaults.py ships (a copying store only)."""
        if not self.copy:
            raise TypeError(f"the {self.name} store keeps objects, not pickles")
        with self._lock:
            return [(k, kept) for k, (kept, _) in self._entries.items()]

    def preload(self, items: Iterable[tuple[str, bytes]]) -> int:
        """Keep (key, pickle) pairs computed earlier (ui/defaults.py) as if computed here; how many were kept.

        A copying store only. A key already kept keeps its value; the pairs are taken while they fit in what
        the budget has left, so that preloading never pushes out anything this process computed. A pickle that
        does not load when asked for (its classes changed since) is dropped and computed instead.
        """
        if not self.copy:
            raise TypeError(f"the {self.name} store keeps objects, not pickles")
        kept = 0
        for k, pickled in items:  # one at a time: `items` may read them from a file as they are taken
            with self._lock:
                if k in self._entries or self._bytes + len(pickled) > self.max_bytes:
                    continue
                self._entries[k] = (pickled, len(pickled))
                self._bytes += len(pickled)
                kept += 1
        return kept

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0


def clear_all() -> None:
    """Empty every store: for tests and cold benchmark renders. No client message reaches this."""
    for store in _STORES:
        store.clear()

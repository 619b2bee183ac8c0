"""Every page's default results, computed in advance: `python -m ui.defaults` writes them, a server reads them at start.

A fresh server would compute every page's default experiments on their first visits (about 20 s of CPU for all
pages), and the first students of a class would wait. `write()` renders each page (Home and pages/*.py) at its
defaults in AppTest, every section open, every cache emptied before each, and writes the results the pages asked
`runners.RESULTS` for to `PATH`: a zip of one member per result, named by its cache key and holding the pickle
the store keeps, and `manifest.json` (the versions it was written with; each key's size and the pages that asked
for it).
Everything is seeded (each config carries its seed), so the same code writes the same numbers. ui/runners.py
puts them in RESULTS when it is first imported (`load`), and a default view is a cache hit from the first visit.

The members are pickles, which the store unpickles on each hit as it does the ones it made itself: they are
written by this script and shipped in the repository, like the zoo's weights, never taken from a user. They
are read only when the manifest's numpy, pandas, pyarrow and torch are this process's (another pandas may not
read a frame pickled by this one); with other versions, or a missing or unreadable file, the server computes
as before and logs a warning. What is read stays within RESULTS' budget (`store.Store.preload`).

Keys are digests of configs, not of core's code: a trainer changed without its config's `code_version` would
serve stale numbers. tests/pages/test_defaults.py therefore computes them again and compares. Run
`python -m ui.defaults` again after changing a page's defaults or what a core experiment computes.
"""
from __future__ import annotations

import json
import logging
import os
import platform
import sys
import zipfile
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

from ui.lesson_map import APP_ROOT
from ui.store import Store

PATH = APP_ROOT / "assets" / "defaults" / "results.zip"
MANIFEST = "manifest.json"
PACKAGES = ("numpy", "pandas", "pyarrow", "torch")  # whose objects the pickles hold; must match to read them
RENDER_TIMEOUT_S = 600  # a page's default render, cold, on a slow CPU
_EPOCH = (1980, 1, 1, 0, 0, 0)  # every member's date: the same results write the same file
log = logging.getLogger(__name__)


def versions() -> dict[str, str]:
    """This process's versions of PACKAGES, torch's without its build ('2.14.1+cpu' reads as '2.14.1')."""
    return {name: version(name).split("+")[0] for name in PACKAGES}


def pages() -> list[Path]:
    """Home and every page script, in the order the pages are rendered."""
    return [APP_ROOT / "Home.py", *sorted((APP_ROOT / "pages").glob("*.py"))]


def compute() -> tuple[dict[str, bytes], dict[str, list[str]]]:
    """Every page's default results as RESULTS keeps them (key -> pickle), and the pages that asked for each key.

    Each page renders with every cache emptied first (so a result two pages share is asked by both) and must
    render without an exception (RuntimeError). Leaves the caches empty.
    """
    import streamlit as st
    from streamlit.testing.v1 import AppTest  # the test harness: only this script and its test need it

    from ui import runners, streamlit_internals, tour  # runners reads this module's file at its import

    streamlit_internals.scan_components_once()

    results: dict[str, bytes] = {}
    asked: dict[str, list[str]] = {}
    try:
        for path in pages():
            runners.clear()
            st.cache_data.clear()
            st.cache_resource.clear()
            at = AppTest.from_file(str(path), default_timeout=RENDER_TIMEOUT_S)
            at.query_params[tour.SECTIONS] = "all"  # a first view opens one section; every one is shipped
            at.run()
            page = str(path.relative_to(APP_ROOT))
            if at.exception:
                raise RuntimeError(f"{page} failed at its defaults: {at.exception[0].message}")
            for key, pickled in runners.RESULTS.pickles():
                results.setdefault(key, pickled)
                asked.setdefault(key, []).append(page)
    finally:
        runners.clear()
    return results, asked


def write(path: Path = PATH) -> dict[str, object]:
    """Compute every page's default results and write them to `path`; the manifest written."""
    results, asked = compute()
    manifest = {"written_by": "python -m ui.defaults", "python": platform.python_version(), "versions": versions(),
                "results": {key: {"pages": asked[key], "bytes": len(results[key])} for key in sorted(results)}}
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr(zipfile.ZipInfo(MANIFEST, _EPOCH), json.dumps(manifest, indent=1))
        for key in sorted(results):
            archive.writestr(zipfile.ZipInfo(key, _EPOCH), results[key], compress_type=zipfile.ZIP_DEFLATED)
    return manifest


def read(archive: zipfile.ZipFile) -> tuple[dict[str, object], Iterator[tuple[str, bytes]]]:
    """The manifest of an open defaults file and its (key, pickle) pairs, each read as it is taken."""
    manifest = json.loads(archive.read(MANIFEST))
    keys = list(manifest["results"])
    return manifest, ((key, archive.read(key)) for key in keys)


def load(results: Store, path: Path = PATH) -> int:
    """Put the shipped default results in `results` (nothing computed, nothing unpickled); how many were kept.

    A missing or unreadable file, or one written with other versions of PACKAGES, loads nothing but a warning:
    the pages then compute their defaults as before.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            manifest, pairs = read(archive)
            if manifest["versions"] != versions():
                log.warning("Not reading the precomputed default results %s: written with %s, this server has %s. "
                            "The pages compute their defaults on their first visits.", path, manifest["versions"],
                            versions())
                return 0
            kept = results.preload(pairs)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError, TypeError) as error:
        log.warning("Could not read the precomputed default results %s (%s: %s). The pages compute their defaults "
                    "on their first visits.", path, type(error).__name__, error)
        return 0
    if kept < len(manifest["results"]):
        log.warning("Kept %d of the %d precomputed default results: the others do not fit in the %s store's %d MB.",
                    kept, len(manifest["results"]), results.name, results.max_bytes // 2**20)
    return kept


def main() -> int:
    os.environ["LESSON_DEVICE"] = "cpu"  # what a server without a GPU (Streamlit Cloud) computes
    manifest = write()
    entries = manifest["results"]
    total = sum(entry["bytes"] for entry in entries.values())
    print(f"{PATH.relative_to(APP_ROOT)}: {len(entries)} results of {len(pages())} pages, {total / 2**20:.1f} MB "
          f"of pickles, {PATH.stat().st_size / 2**20:.1f} MB compressed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

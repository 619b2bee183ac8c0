"""ui/defaults.py: the shipped default results are what the pages compute now, and a server reads them at start."""
from __future__ import annotations

import dataclasses
import json
import math
import pickle
import re
import zipfile

import numpy as np
import pandas as pd
import pytest
import torch

from ui import defaults, runners, store
from ui.lesson_map import APP_ROOT

RTOL, ATOL = 1e-5, 1e-6  # another CPU may round the last bits of a float differently
RERUN = "Run `python -m ui.defaults` and commit assets/defaults/results.zip."
TIMINGS = {"seconds"}  # fields that time a computation's wall clock (core.training.FitResult): never equal twice


def differences(shipped: object, now: object, where: str = "result") -> list[str]:
    """Where two results differ beyond float rounding: dataclasses, dicts, lists, frames, arrays, tensors, numbers."""
    if type(shipped) is not type(now):
        return [f"{where}: {type(shipped).__name__} != {type(now).__name__}"]
    if dataclasses.is_dataclass(shipped):
        return [d for f in dataclasses.fields(shipped) if f.name not in TIMINGS
                for d in differences(getattr(shipped, f.name), getattr(now, f.name), f"{where}.{f.name}")]
    if isinstance(shipped, (pd.DataFrame, pd.Series)):
        check = pd.testing.assert_frame_equal if isinstance(shipped, pd.DataFrame) else pd.testing.assert_series_equal
        try:
            check(shipped, now, check_exact=False, rtol=RTOL, atol=ATOL)
        except AssertionError as error:
            return [f"{where}: {str(error).strip().splitlines()[0]}"]
        return []
    if isinstance(shipped, torch.Tensor):
        return differences(shipped.detach().cpu().numpy(), now.detach().cpu().numpy(), where)
    if isinstance(shipped, np.ndarray):
        if shipped.shape != now.shape or shipped.dtype != now.dtype:
            return [f"{where}: {shipped.dtype}{shipped.shape} != {now.dtype}{now.shape}"]
        same = (np.allclose(shipped, now, rtol=RTOL, atol=ATOL, equal_nan=True) if shipped.dtype.kind in "fc"
                else np.array_equal(shipped, now))
        return [] if same else [f"{where}: arrays differ"]
    if isinstance(shipped, dict):
        if list(shipped) != list(now):
            return [f"{where}: keys {list(shipped)} != {list(now)}"]
        return [d for k in shipped for d in differences(shipped[k], now[k], f"{where}[{k!r}]")]
    if isinstance(shipped, (list, tuple)):
        if len(shipped) != len(now):
            return [f"{where}: {len(shipped)} items != {len(now)}"]
        return [d for i, (a, b) in enumerate(zip(shipped, now)) for d in differences(a, b, f"{where}[{i}]")]
    if isinstance(shipped, float):
        same = math.isclose(shipped, now, rel_tol=RTOL, abs_tol=ATOL) or math.isnan(shipped) and math.isnan(now)
        return [] if same else [f"{where}: {shipped!r} != {now!r}"]
    return [] if shipped == now else [f"{where}: {shipped!r} != {now!r}"]


def _shipped() -> tuple[dict, dict[str, bytes]]:
    with zipfile.ZipFile(defaults.PATH) as archive:
        manifest, pairs = defaults.read(archive)
        return manifest, dict(pairs)


def test_the_shipped_defaults_were_written_with_the_locked_versions():
    """The server reads them only with the versions they were written with: those requirements.txt installs."""
    manifest, _ = _shipped()
    locked = dict(re.findall(r"^([\w-]+)==([^\s+]+)", (APP_ROOT / "requirements.txt").read_text(), re.MULTILINE))
    assert manifest["versions"] == {name: locked[name] for name in defaults.PACKAGES}, RERUN


def test_the_shipped_defaults_are_what_the_pages_compute_now():
    """Every page rendered at its defaults again: the same results, equal up to float rounding. Keys are config
    digests, so a core change that left its configs alone would otherwise serve a class stale numbers."""
    manifest, shipped = _shipped()
    if manifest["versions"] != defaults.versions():  # the server would not read them either: see the test above
        pytest.skip(f"written with {manifest['versions']}, this environment has {defaults.versions()}")
    now, asked = defaults.compute()
    assert set(shipped) == set(now), (f"Keys only shipped: {sorted(set(shipped) - set(now))}; only computed now: "
                                      f"{sorted(set(now) - set(shipped))}. {RERUN}")
    assert {k: e["pages"] for k, e in manifest["results"].items()} == asked, RERUN
    stale = []
    for k in sorted(now):
        try:
            stale += differences(pickle.loads(shipped[k]), pickle.loads(now[k]), k)
        except (AttributeError, ImportError, TypeError, pickle.UnpicklingError) as error:  # a class moved or changed
            stale.append(f"{k}: the shipped result no longer loads ({type(error).__name__}: {error})")
    assert not stale, "The shipped defaults differ from what the pages compute now:\n" + "\n".join(stale[:20]) + \
        f"\n{RERUN}"


def test_a_server_starts_with_the_shipped_defaults_and_serves_them_without_computing(monkeypatch):
    manifest, shipped = _shipped()
    if manifest["versions"] != defaults.versions():
        pytest.skip(f"written with {manifest['versions']}, this environment has {defaults.versions()}")
    assert runners.fresh() == len(shipped) and runners.RESULTS.pickles() == list(shipped.items())
    key = next(iter(shipped))
    assert runners.RESULTS.get(key, lambda: pytest.fail("computed")) is not None


@pytest.mark.parametrize("damage", ["missing", "garbage", "other versions"])
def test_an_unusable_defaults_file_loads_nothing_and_warns(tmp_path, caplog, damage):
    path = tmp_path / "results.zip"
    if damage == "garbage":
        path.write_bytes(b"not a zip")
    elif damage == "other versions":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr(defaults.MANIFEST, json.dumps({"versions": {"pandas": "0.1"}, "results": {"k": {}}}))
            archive.writestr("k", pickle.dumps(1))
    results = store.Store("test", max_bytes=2**20, copy=True)
    assert defaults.load(results, path) == 0 and len(results) == 0
    assert "compute their defaults" in caplog.text


def test_preloading_keeps_within_the_budget_and_never_replaces_what_was_computed():
    results = store.Store("test", max_bytes=1_000, copy=True)
    results.get("computed", lambda: "mine")
    kept = results.preload([("computed", pickle.dumps("shipped")), ("a", bytes(400)), ("b", bytes(600))])
    assert kept == 1 and "a" in results and "b" not in results and results.bytes <= 1_000
    assert results.get("computed", lambda: pytest.fail("kept")) == "mine"


def test_a_preloaded_pickle_that_no_longer_loads_is_computed_instead(caplog):
    results = store.Store("test", max_bytes=10_000, copy=True)
    results.preload([("moved", pickle.dumps(1)[:-3] + b"xyz")])  # e.g. its result class was renamed since
    assert results.get("moved", lambda: "computed") == "computed" and "no longer loads" in caplog.text
    assert results.get("moved", lambda: pytest.fail("kept")) == "computed"
    assert results.bytes == len(pickle.dumps("computed", protocol=pickle.HIGHEST_PROTOCOL))


def test_results_compare_up_to_float_rounding_but_not_beyond():
    @dataclasses.dataclass
    class Result:
        history: pd.DataFrame
        grid: np.ndarray
        facts: dict
        seconds: float

    def result(loss: float, seconds: float = 1.0) -> Result:
        return Result(pd.DataFrame({"epoch": [1, 2], "loss": [0.5, loss]}), np.array([[loss, 1.0]]),
                      {"final_loss": loss, "verdict": "falls"}, seconds)

    assert differences(result(0.25), result(0.25 + 1e-9, seconds=2.0)) == []  # last bits and timings
    found = differences(result(0.25), result(0.26))
    assert [d.split(":")[0] for d in found] == ["result.history", "result.grid", "result.facts['final_loss']"]

"""Bad input, swept: every page's input widgets at their extremes, hostile text, hostile uploads (issue 10).

For every page (Home.py and whatever pages/*.py exist, so a new page is swept without an edit here),
AppTest renders the defaults, then sets one widget at a time, each time from the default state:

- slider, select slider, number input: its minimum, then its maximum (a number input without bounds:
  -1e9 and 1e9, which the page must refuse with a message);
- select box, radio, pills, segmented control: the first and the last option; multiselect: nothing,
  then everything; toggle, checkbox: the other state; button: one click;
- text input, text area: hostile strings (100,000 characters, unicode, control characters, SQL,
  Python that would leave a file behind if anything evaluated it, numbers as text, ...);
- file uploader: random bytes, an empty file, a truncated PNG, a PNG whose header claims
  20000 x 20000 pixels, a CSV with 10,000 columns: each must be refused with st.error or st.warning.

Then one run with every widget at once at a random value between its extremes (seeded). Every run
must end within RUN_TIMEOUT_S (no hang) without an exception element. The cache is kept across a
page's runs, as a server keeps it, so a setting that repeats the default costs nothing.

Option widgets get the option's label, as the browser sends it (AppTest's `set_value` wants the raw
option, which the test cannot know for a page it has never seen). Failures are collected and
reported together, each with the setting that reproduces it.

A second check reads the default view's labels: a number a student can raise to 1,000 or more
(epochs, samples, steps: the costs that can make a run long) must state that cap in its label. A
seed is exempt: its size costs nothing.
"""
from __future__ import annotations

import random
import re
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from streamlit.proto.NumberInput_pb2 import NumberInput as NumberInputProto
from streamlit.proto.Slider_pb2 import Slider as SliderProto
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.testing.v1 import AppTest

from tests.conftest import every_section_open
from ui.lesson_map import APP_ROOT

RUN_TIMEOUT_S = 120
PAGES = ["Home.py", *(f"pages/{p.name}" for p in sorted((APP_ROOT / "pages").glob("*.py"),
                                                         key=lambda p: int(re.match(r"\d*", p.stem).group() or 0)))]
OPTION_KINDS = ("selectbox", "radio", "multiselect", "select_slider", "button_group")
KINDS = ("slider", "number_input", "toggle", "checkbox", "text_input", "text_area", "file_uploader", "button",
         *OPTION_KINDS)
LARGE = 1000  # a numeric widget whose maximum is at least this states it in its label
UNBOUNDED = 10**9  # what the sweep types into a number input that has no bounds


def _png(width: int, height: int, pixels: bytes | None = None) -> bytes:
    """A PNG file: signature, IHDR claiming width x height (8-bit RGB), one IDAT, IEND."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = pixels if pixels is not None else b"".join(b"\0" + bytes(3 * width) for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _wide_csv(columns: int = 10_000, rows: int = 20) -> bytes:
    values = np.random.default_rng(0).normal(size=(rows, columns)).round(3)
    lines = [",".join(f"c{i}" for i in range(columns)) + ",label"]
    lines += [",".join(map(str, row)) + f",{'ab'[i % 2]}" for i, row in enumerate(values)]
    return "\n".join(lines).encode()


EVALUATED = Path("/tmp/lesson-sweep-evaluated")  # a string below creates it, if anything ever evaluates it
HOSTILE_TEXT = {
    "100,000 characters": "A" * 100_000,
    "empty": "",
    "whitespace": " \t ",
    "unicode": "Ünïcödé ✓ 深度学习 🚀 \u202eRTL\u202c e\u0301 \u200b",
    "control characters": "\x00\x01\x07\x1b[31m\r\n\t\x7f",
    "SQL": "'; DROP TABLE students; --",
    "Python": f"__import__('pathlib').Path('{EVALUATED}').touch()",
    "template": "{{7*7}} ${7*7} %s %d {0} {cfg.__class__}",
    "HTML": "<script>alert(1)</script><img src=x onerror=alert(1)>",
    "path": "../../../../etc/passwd",
    "number as text": "1e308",
    "negative number": "-1",
    "not a number": "NaN",
}
HOSTILE_FILES = {  # name -> content; a name's extension picks which uploaders may receive it
    "random.png": np.random.default_rng(1).integers(0, 256, 65_536, dtype=np.uint8).tobytes(),
    "random.csv": np.random.default_rng(2).integers(0, 256, 65_536, dtype=np.uint8).tobytes(),
    "empty.png": b"",
    "empty.csv": b"",
    "truncated.png": _png(64, 64)[:80],
    "huge.png": _png(20_000, 20_000, pixels=b""),  # a valid header that claims 400 million pixels
    "wide.csv": _wide_csv(),
}
MIME = {".png": "image/png", ".csv": "text/csv"}


@dataclass(frozen=True)
class Probe:
    """One setting to try: which widget (key, or id without one), what it is in words, how to apply it."""

    widget: str
    what: str
    apply: Callable[[object], None]
    refused: bool = False  # the page must show st.error or st.warning (a refused upload)


def _ident(widget) -> str:
    return widget.key or widget.id


def _widgets(at: AppTest) -> dict[str, object]:
    return {_ident(w): w for kind in KINDS for w in at.get(kind)}


def _force(widget, state: WidgetState) -> None:
    """Make the widget send exactly `state` on the next run, as the browser would send it."""
    cls = type(widget)
    if not cls.__name__.startswith("Forced"):
        widget.__class__ = type(f"Forced{cls.__name__}", (cls,), {"_widget_state": property(lambda w: w._forced)})
    sent = WidgetState()
    sent.CopyFrom(state)
    sent.id = widget.id
    widget._forced = sent


def _labels(labels: list[str], single: bool) -> Callable[[object], None]:
    """Apply: send these option labels (one string for select box and radio, a list for the others)."""
    def apply(widget) -> None:
        state = WidgetState()
        if single:
            state.string_value = labels[0]
        else:
            state.string_array_value.data[:] = labels
        _force(widget, state)
    return apply


def _set(value) -> Callable[[object], None]:
    return lambda widget: widget.set_value(value)


def _number(widget, value: float) -> int | float:
    integer = (widget.proto.data_type == SliderProto.INT if widget.type == "slider"
               else widget.proto.data_type == NumberInputProto.INT)
    return int(value) if integer else float(value)


def _single(widget) -> bool:
    if widget.type == "button_group":
        return False  # pills and segmented controls always send a list
    return widget.type in ("selectbox", "radio")


def extremes(widget) -> list[Probe]:
    """The settings of one widget to try from the default state."""
    kind, name = widget.type, _ident(widget)
    if kind == "slider":
        if widget.proto.data_type not in (SliderProto.INT, SliderProto.FLOAT):
            return []  # date and time sliders: none on these pages
        ranged = len(widget.proto.default) == 2
        lo, hi = _number(widget, widget.proto.min), _number(widget, widget.proto.max)
        return [Probe(name, f"slider {name!r} = {v}", _set([v, v] if ranged else v)) for v in (lo, hi)]
    if kind == "number_input":
        lo = widget.min if widget.min is not None else -UNBOUNDED
        hi = widget.max if widget.max is not None else UNBOUNDED
        return [Probe(name, f"number_input {name!r} = {_number(widget, v)}", _set(_number(widget, v)),
                      refused=abs(v) == UNBOUNDED) for v in (lo, hi)]
    if kind in OPTION_KINDS:
        options = list(widget.options)
        if not options:
            return []
        if kind == "multiselect" or (kind == "button_group" and not widget._is_single_select):
            picks = [[], options[: widget.max_selections or None] if kind == "multiselect" else options]
        else:
            picks = [[options[0]], [options[-1]]]
        ranged = kind == "select_slider" and len(widget.proto.default) == 2
        return [Probe(name, f"{kind} {name!r} = {p if not ranged else p * 2}", _labels(p * (2 if ranged else 1),
                                                                                      _single(widget)))
                for p in picks]
    if kind in ("toggle", "checkbox"):
        return [Probe(name, f"{kind} {name!r} = {not widget.value}", _set(not widget.value))]
    if kind == "button":
        return [Probe(name, f"button {name!r} clicked", lambda w: w.click())]
    if kind in ("text_input", "text_area"):
        return [Probe(name, f"{kind} {name!r} = {what} text", _set(text)) for what, text in HOSTILE_TEXT.items()]
    if kind == "file_uploader":
        allowed = {t.lower().lstrip(".") for t in widget.allowed_type}
        return [Probe(name, f"file_uploader {name!r} gets {file} ({len(content):,} bytes)",
                      _set((file, content, MIME[Path(file).suffix])), refused=file != "wide.csv")
                for file, content in HOSTILE_FILES.items() if not allowed or Path(file).suffix[1:] in allowed]
    return []


def between(widget, rng: random.Random) -> Callable[[object], None] | None:
    """Apply: a random value strictly between the widget's extremes where it has any (the combined run)."""
    kind = widget.type
    if kind == "slider" and widget.proto.data_type in (SliderProto.INT, SliderProto.FLOAT):
        steps = int(round((widget.proto.max - widget.proto.min) / widget.proto.step))
        v = _number(widget, widget.proto.min + rng.randint(0, steps) * widget.proto.step)
        return _set([v, v] if len(widget.proto.default) == 2 else v)
    if kind == "number_input" and widget.min is not None and widget.max is not None:
        return _set(_number(widget, rng.uniform(widget.min, widget.max)))
    if kind in OPTION_KINDS and widget.options:
        options = list(widget.options)
        if kind == "multiselect" or (kind == "button_group" and not widget._is_single_select):
            limit = widget.max_selections if kind == "multiselect" and widget.max_selections else len(options)
            return _labels(rng.sample(options, rng.randint(1, limit)), single=False)
        pick = [rng.choice(options)]
        return _labels(pick * (2 if kind == "select_slider" and len(widget.proto.default) == 2 else 1),
                       _single(widget))
    if kind in ("toggle", "checkbox"):
        return _set(rng.random() < 0.5)
    if kind in ("text_input", "text_area"):
        return _set(rng.choice(list(HOSTILE_TEXT.values())))
    return None


class Sweep:
    """A page in AppTest with the default widget states at hand, to put one setting back before the next."""

    def __init__(self, page: str) -> None:
        self.page = page
        self.at = every_section_open(AppTest.from_file(str(APP_ROOT / page), default_timeout=RUN_TIMEOUT_S)).run()
        self.defaults = {name: w._widget_state for name, w in _widgets(self.at).items()}
        self.problems: list[str] = [] if not self.at.exception else [f"at defaults: {self._exception()}"]

    def _exception(self) -> str:
        e = self.at.exception[0]
        where = next((line.strip() for line in reversed(e.stack_trace) if "File " in line), "")
        return f"{e.message} ({where})"

    def _reset(self, skip: set[str] = frozenset()) -> None:
        """Every widget but `skip` sends its default value again (what session state holds aside)."""
        for name, widget in _widgets(self.at).items():
            if name not in skip and name in self.defaults and widget.type != "button":
                _force(widget, self.defaults[name])

    def run(self, what: str, apply: dict[str, Callable[[object], None]], refused: bool = False) -> None:
        """Put every widget back to its default, apply the settings, run once and note what went wrong."""
        present = _widgets(self.at)
        if any(name not in present for name in apply):  # the last setting hid this widget: defaults first
            self._reset()
            self.at.run()
            present = _widgets(self.at)
        self._reset(skip=set(apply))
        for name, setting in apply.items():
            if name in present and not getattr(present[name], "disabled", False):  # as no browser can use it
                setting(present[name])
        try:
            self.at.run()
        except RuntimeError as error:  # AppTest's timeout: the run did not end
            self.problems.append(f"{what}: no result within {RUN_TIMEOUT_S} s ({error})")
            self.at = every_section_open(AppTest.from_file(str(APP_ROOT / self.page),
                                                           default_timeout=RUN_TIMEOUT_S)).run()
            return
        if self.at.exception:
            self.problems.append(f"{what}: exception {self._exception()}")
        elif refused and not (self.at.error or self.at.warning):
            self.problems.append(f"{what}: refused, but no st.error or st.warning says so")


def _reproduction(page: str, problem: str) -> str:
    return f'{page}: AppTest.from_file("{page}").run(), then {problem}'


# Play (ui/play.py) trains until a click pauses it or its cap: AppTest sends no click meanwhile, so the sweep
# lowers each cap, and a click on Play is a short run to it.
PLAY_CAPS = (("core.playground", "MAX_EPOCHS", 6), ("core.zoo.gan_steps", "MAX_STEPS", 30))


@pytest.fixture(autouse=True)
def _short_play(monkeypatch):
    for module, name, cap in PLAY_CAPS:
        monkeypatch.setattr(f"{module}.{name}", cap)


@pytest.mark.parametrize("page", PAGES)
def test_every_widget_at_its_extremes_and_hostile_input_is_handled(page):
    EVALUATED.unlink(missing_ok=True)
    sweep = Sweep(page)
    defaults = _widgets(sweep.at)
    for widget in defaults.values():
        for probe in extremes(widget):
            sweep.run(probe.what, {probe.widget: probe.apply}, refused=probe.refused)
    rng = random.Random(0)
    mixed = {name: setting for name, w in defaults.items() if (setting := between(w, rng)) is not None}
    if mixed:
        sweep.run(f"every widget at a random value between its extremes (random.Random(0), {len(mixed)} widgets)",
                  mixed)
    assert not EVALUATED.exists(), "a hostile text input was evaluated as Python"
    assert not sweep.problems, "\n".join(_reproduction(page, p) for p in sweep.problems)


def _numbers(text: str) -> set[float]:
    """Every number written in a label: 1000, 1,000, 1 000, 10k, 2^31."""
    found = {float(m.replace(",", "").replace(" ", "")) for m in re.findall(r"\d[\d,  ]*(?:\.\d+)?", text)}
    found |= {float(m) * 1000 for m in re.findall(r"(\d+(?:\.\d+)?)\s*k\b", text)}
    found |= {2.0**int(m) for m in re.findall(r"2\s*\^\s*(\d+)", text)}
    return found


def _largest(widget) -> float | None:
    if widget.type == "slider":
        return widget.proto.max
    if widget.type == "number_input":
        return widget.max if widget.max is not None else float("inf")
    if widget.type == "select_slider":
        values = [float(o.replace(",", "")) for o in widget.options if re.fullmatch(r"-?[\d,]+(\.\d+)?", o)]
        return max(values) if values else None
    return None


@pytest.mark.parametrize("page", PAGES)
def test_a_large_cap_is_stated_in_the_label(page):
    at = every_section_open(AppTest.from_file(str(APP_ROOT / page), default_timeout=RUN_TIMEOUT_S)).run()
    unstated = []
    for widget in _widgets(at).values():
        largest = _largest(widget)
        if largest is None or largest < LARGE or "seed" in widget.label.lower():
            continue
        stated = _numbers(widget.label)
        if largest == float("inf") and not stated or largest != float("inf") and largest not in stated:
            cap = "no cap" if largest == float("inf") else f"{largest:,g}"
            unstated.append(f"{widget.type} {_ident(widget)!r} ({widget.label!r}): {cap} is not in its label")
    assert not unstated, "\n".join(unstated)


CODE = [APP_ROOT / "Home.py", *(APP_ROOT / d for d in ("core", "ui", "pages"))]
DANGEROUS = re.compile(r"(?<![\w.])(eval|exec)\(|pickle\.loads?\(|(?<![\w.])marshal\.loads?\("
                       r"|torch\.load\((?![^)]*weights_only=True)")


# The one unpickling: ui/store.py gives each cache hit a copy of a result pickled by the app itself, as
# st.cache_data does: in this process, or, for the pages' default views, by `python -m ui.defaults` into
# assets/defaults/results.zip, a file shipped in the repository like the zoo's weights (ui/defaults.py reads it
# into the store at start, unpickling nothing). No pickle comes from a user (uploads are parsed as CSV or
# images, links as text), and ui/defaults.py is the only reader of a file of pickles.
OWN_PICKLES = {"ui/store.py": ["return True, pickle.loads(kept)"]}
SHIPPED_PICKLES = ["ui/defaults.py"]


def test_nothing_user_supplied_is_unpickled_or_evaluated():
    """No eval/exec/pickle in the app but the cache's own copies, and torch.load only with weights_only=True."""
    files = [f for root in CODE for f in ([root] if root.is_file() else sorted(root.rglob("*.py")))]
    found = {}
    for f in files:
        hits = [line.strip() for line in f.read_text().splitlines() if DANGEROUS.search(line)]
        if hits:
            found[str(f.relative_to(APP_ROOT))] = hits
    assert found == OWN_PICKLES, found  # core/augment.py builds its pipelines from a table of classes, not from text
    preloads = [f for f in files if ".preload(" in f.read_text()]
    assert [str(f.relative_to(APP_ROOT)) for f in preloads] == SHIPPED_PICKLES
    loads = [f for f in files if "torch.load(" in f.read_text() and f.parts[-2] != "pages"]  # pages only mention it
    assert [str(f.relative_to(APP_ROOT)) for f in loads] == ["core/zoo/weights.py"]

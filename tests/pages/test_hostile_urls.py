"""Hostile links (issue 19): a link is untrusted text. Every page opened with hostile values for every one of its
settings ends without a traceback, says which settings it could not use, and renders no link or image a value
brought in. Unit checks of ui/urls.clean and ui/untrusted come first."""
from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import every_section_open
from ui import untrusted, urls
from ui.lesson_map import APP_ROOT

from .test_bad_input_sweep import PAGES

INJECTED = "1`[a live link](http://evil.example) ![an image](http://evil.example/i.png) :red[red]"
# Each reproduced a traceback or a rendered link before (the list): a superscript digit passes
# str.isdigit but not int(); 'inf', '-inf' and '1e999' raised inside st.number_input; '-0' reached NumPy.
HOSTILE = ("inf", "-inf", "1e999", "nan", "-0", "²", "9" * 400, INJECTED)


def _outside_code(text: str) -> str:
    """Markdown with its code spans (any fence length) removed: what renders as Markdown, not as code."""
    return re.sub(r"(`+)(?!`).*?(?<!`)\1(?!`)", " ", text, flags=re.S)


@pytest.mark.parametrize("value, kept", [("inf", None), ("-inf", None), ("1e999", None), ("NaN", None),
                                         ("-0", ["0"]), ("-0.0", ["0"]), ("0.25", ["0.25"]), ("²", ["²"]),
                                         ("x" * (urls.MAX_CHARS + 1), None)])
def test_clean_drops_what_no_widget_may_read_and_writes_a_negative_zero_as_zero(value, kept):
    assert urls.clean([value]) == kept


def test_clean_caps_the_number_of_values():
    assert urls.clean(["a"] * urls.MAX_VALUES) == ["a"] * urls.MAX_VALUES
    assert urls.clean(["a"] * (urls.MAX_VALUES + 1)) is None


def test_a_value_shown_as_code_cannot_end_its_span_and_a_sentence_shown_as_text_renders_nothing():
    shown = untrusted.code(f"tensor-h={INJECTED}")
    assert shown.startswith("``t") and shown.endswith("]``") and _outside_code(shown).strip() == ""
    assert untrusted.code("a\n\nb") == "`a  b`"  # a blank line would end the paragraph, and the span with it
    assert len(untrusted.code("x" * 1000)) == untrusted.MAX_CHARS + 3
    escaped = untrusted.escape("Column [x](http://e) has :red[1] $x$ *bold*.")
    assert "\\[x\\](http\\://e)" in escaped and "\\:red\\[1\\]" in escaped and "\\$x\\$" in escaped
    assert re.sub(r"\\(.)", r"\1", escaped) == "Column [x](http://e) has :red[1] $x$ *bold*."
    assert escaped.endswith("\\*bold\\*.")  # a sentence's full stop stays as it is
    assert untrusted.escape("# 1. a") == "\\# 1. a" and untrusted.escape("1. a") == "1\\. a"  # no heading, no list


def test_a_walkthrough_step_written_with_a_superscript_digit_is_refused_with_a_note():
    at = AppTest.from_file(str(APP_ROOT / "Home.py"), default_timeout=60)
    at.query_params["tour"] = "²"
    at.run()
    assert not at.exception, at.exception
    assert any("is not one of them" in w.value and "`tour=²`" in w.value for w in at.warning)


def _messages(at: AppTest) -> list[str]:
    return [e.value for kind in ("markdown", "warning", "error", "info", "caption", "success")
            for e in getattr(at, kind)]


@pytest.mark.parametrize("page", PAGES)
def test_every_setting_of_a_page_given_a_hostile_value_ends_with_a_note_and_no_injected_link(page):
    # Every section's settings (a link names settings of sections it does not open: the page opens them all).
    first = every_section_open(AppTest.from_file(str(APP_ROOT / page), default_timeout=120)).run()
    keys = sorted({w.key for kind in ("slider", "select_slider", "number_input", "selectbox", "multiselect", "radio",
                                      "text_input", "text_area", "toggle", "checkbox")
                   for w in getattr(first, kind) if w.key and not w.key.startswith("$$")} - urls.APP_PARAMS)
    at = AppTest.from_file(str(APP_ROOT / page), default_timeout=120)
    for i, key in enumerate(keys):
        at.query_params[key] = HOSTILE[i % len(HOSTILE)]
    at.query_params["tour"] = "²"
    at.query_params["not-a-setting"] = INJECTED  # on every page, one with no settings of its own too
    at.run()
    assert not at.exception, f"{page}: {[e.message for e in at.exception]}"
    assert any("Not a setting of this page" in w.value and "not-a-setting=" in w.value for w in at.warning), page
    shown = _messages(at)
    assert not keys or any("cannot use" in m or "Adjusted" in m for m in shown), f"{page}: no note on its settings"
    for message in shown:
        assert "evil.example" not in _outside_code(message), f"{page}: an injected link renders: {message}"


def test_the_server_refuses_uploads_larger_than_the_largest_any_widget_takes():
    # Streamlit's default let 200 MB per file into memory before the widget's own 5 MB check (8 x 100 MB: 1.56 GB).
    import tomllib

    from core import augment, uploads

    config = tomllib.loads((APP_ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] * 2**20 == max(uploads.MAX_BYTES, augment.MAX_BYTES)

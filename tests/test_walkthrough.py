"""Every walkthrough preset is taken by its page exactly as written (ui/walkthrough.toml).

Streamlit drops a URL value it cannot use without a word (an unknown key is ignored, a value
out of range or not among the options falls back to the default), so a step whose preset went
stale would quietly show the wrong view. Each step's page runs here with the step's URL; every
preset value must come back unchanged in the URL and be the widget's value, the walkthrough's
panel must stand above the step's section, and the page must not raise.

One test per chapter page: the steps of a page share its cached results. The zoo steps open their
page without a preset; the zoo pages' own tests cover those pages.
"""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from ui import tour
from ui.lesson_map import APP_ROOT

WIDGET_KINDS = ("selectbox", "radio", "multiselect", "select_slider", "slider", "number_input", "toggle", "checkbox")
PAGES = sorted({s.page for s in tour.steps() if s.params})


def _widget(at: AppTest, key: str):
    found = [w for kind in WIDGET_KINDS for w in at.get(kind) if w.key == key]
    assert len(found) == 1, f"no single widget keyed {key!r} on the page"
    return found[0]


def _shown(widget) -> list[str]:
    """The widget's value as the URL writes it: select boxes by the option's label, lists item by item."""
    value = widget.value
    if widget.type in ("selectbox", "radio"):
        return [widget.options[widget.index]]
    if widget.type == "multiselect":
        return list(widget.values)
    if isinstance(value, bool):
        return [str(value).lower()]
    return [str(item) for item in (value if isinstance(value, (list, tuple)) else [value])]


def _same(shown: list[str], preset: str | tuple[str, ...]) -> bool:
    wanted = list(preset) if isinstance(preset, tuple) else [preset]
    if len(shown) != len(wanted):
        return False
    for a, b in zip(shown, wanted):
        try:
            if float(a) != float(b):
                return False
        except ValueError:
            if a != b:
                return False
    return True


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.split("/")[1][:-3])
def test_every_preset_is_taken_as_written(page):
    for step in (s for s in tour.steps() if s.page == page and s.params):
        at = AppTest.from_file(str(APP_ROOT / page), default_timeout=300)
        at.query_params.update(step.query())
        at.run()
        assert not at.exception, f"step {step.number}: {at.exception}"
        for key, value in step.params:
            kept = at.query_params.get(key)
            assert kept == (list(value) if isinstance(value, tuple) else value), (
                f"step {step.number}: {key}={value!r} was dropped or changed by Streamlit (now {kept!r})")
            assert _same(_shown(_widget(at, key)), value), f"step {step.number}: {key} shows {_shown(_widget(at, key))}"
        assert not [w.value for w in at.warning if "cannot use" in w.value or "Not a setting" in w.value]
        headings = [h.value for h in at.subheader]
        assert step.title in headings, f"step {step.number}: no walkthrough panel"
        after = headings[headings.index(step.title) + 1]
        assert after.startswith(step.section), f"step {step.number}: the panel is above {after!r}"


def test_every_zoo_step_opens_its_page_at_the_top():
    zoo = [s for s in tour.steps() if s.page.split("/")[1].split("_")[0] in {str(n) for n in range(7, 14)}]
    assert zoo and all(not s.params and not s.section for s in zoo)
    assert [s.first_slide for s in zoo] == sorted(s.first_slide for s in zoo)

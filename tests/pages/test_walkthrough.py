"""Every walkthrough preset is taken by its page exactly as written, and every step's claims hold on it.

Streamlit drops a URL value it cannot use without a word (an unknown key is ignored, a value
out of range or not among the options falls back to the default), so a step whose preset went
stale would quietly show the wrong view. Each step's page runs here with the step's URL; every
preset value must come back unchanged in the URL and be the widget's value, the walkthrough's
panel must stand above the step's section, and the page must not raise.

Each step states what its text claims as `checks`: expressions over the facts that the "what to
notice" boxes of its section were built from (core computes them, `chrome.notice` records them
in the run's session state). They are evaluated on the preset's own run, so a sentence that stops
being true for the numbers a class would see fails here instead of misleading the class.

One test per chapter page: the steps of a page share its cached results. The zoo steps open their
page at its defaults, with the panel under the title.
"""
from __future__ import annotations

import dataclasses

import pytest
from streamlit.testing.v1 import AppTest

from ui import chrome, lesson_map, tour
from ui.lesson_map import APP_ROOT, CHAPTERS

WIDGET_KINDS = ("selectbox", "radio", "multiselect", "select_slider", "slider", "number_input", "toggle", "checkbox")
CHAPTER_KEYS = list(dict.fromkeys(s.chapter for s in tour.steps()))  # in walkthrough order, Home first
ZOO = {c.key for c in CHAPTERS[CHAPTERS.index(lesson_map.chapter("zoo")):]}  # the overview and every zoo page
SAFE = {"abs": abs, "min": min, "max": max, "round": round, "len": len, "all": all, "any": any}


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


class Facts(dict):
    """Facts by name; a name that two facts give different values raises when a check reads it (two sections'
    facts may share a name, a step's checks may not rely on one that is ambiguous)."""

    def __init__(self, section: str) -> None:
        super().__init__()
        self.section, self.ambiguous = section, set()

    def __getitem__(self, name: str) -> object:
        assert name not in self.ambiguous, f"fact {name!r} has two values in {self.section!r}"
        return super().__getitem__(name)


def facts_of(at: AppTest, section: str) -> Facts:
    """The fields of every facts dataclass behind the notices of the sections starting with `section`
    (all sections when it is empty), in one namespace; a check that reads a name with two different values fails."""
    recorded = at.session_state[chrome.FACTS]
    found = Facts(section)
    for title, facts in recorded.items():
        if not title.startswith(section):
            continue
        for fact in facts:
            for name, value in ((f.name, getattr(fact, f.name)) for f in dataclasses.fields(fact)):
                if name in found and dict.__getitem__(found, name) != value:
                    found.ambiguous.add(name)
                found[name] = value
    return found


def claim_holds(check: str, facts: dict[str, object]) -> bool:
    return bool(eval(check, {"__builtins__": SAFE}, facts))  # noqa: S307 (our own TOML, names only)


def test_claim_checks_are_evaluated_on_facts():
    assert claim_holds("a < b / 100", {"a": 0.001, "b": 1.0})
    assert not claim_holds("a < b / 100", {"a": 0.1, "b": 1.0})
    with pytest.raises(NameError, match="missing"):
        claim_holds("missing > 0", {})


def test_every_chapter_step_states_its_claims():
    bare = [s.number for s in tour.steps() if s.chapter != tour.HOME_KEY and not s.checks]
    assert not bare, f"walkthrough steps {bare} claim things with no checks"


@pytest.mark.parametrize("chapter", CHAPTER_KEYS)
def test_every_preset_is_taken_as_written_and_its_claims_hold(chapter):
    for step in (s for s in tour.steps() if s.chapter == chapter):
        at = AppTest.from_file(str(APP_ROOT / step.page), default_timeout=300)
        at.query_params.update(step.query())
        at.run()
        assert not at.exception, f"step {step.number}: {at.exception}"
        for key, value in step.params:
            kept = at.query_params.get(key)
            assert kept == (list(value) if isinstance(value, tuple) else value), (
                f"step {step.number}: {key}={value!r} was dropped or changed by Streamlit (now {kept!r})")
            if "-section-" in key:  # a section opened (ui/chrome.section): its facts are checked below
                assert at.session_state[key] is True, f"step {step.number}: {key} is closed"
                continue
            assert _same(_shown(_widget(at, key)), value), f"step {step.number}: {key} shows {_shown(_widget(at, key))}"
        assert not [w.value for w in at.warning if "cannot use" in w.value or "Not a setting" in w.value]
        # the panel's title (a subheader) and the sections' headings (their expanders' labels), in page order
        headings = [n.value if n.type == "subheader" else n.label
                    for n in at.main if n.type in ("subheader", "expander")]
        assert step.title in headings, f"step {step.number}: no walkthrough panel"
        if step.section:
            after = headings[headings.index(step.title) + 1]
            assert after.startswith(step.section), f"step {step.number}: the panel is above {after!r}"
        facts = facts_of(at, step.section)
        for check in step.checks:
            assert claim_holds(check, facts), f"step {step.number} ({step.title}): {check} is false; facts: {facts}"


def test_every_zoo_step_opens_its_page_at_the_top():
    zoo = [s for s in tour.steps() if s.chapter in ZOO]
    assert {s.chapter for s in zoo} == ZOO and all(not s.params and not s.section for s in zoo)
    assert [s.first_slide for s in zoo] == sorted(s.first_slide for s in zoo)


def test_a_check_cannot_read_a_fact_two_sections_give_different_values():
    facts = Facts("")
    facts.update(a=1, b=2)
    facts.ambiguous.add("b")
    assert claim_holds("a == 1", facts)
    with pytest.raises(AssertionError, match="'b' has two values"):
        claim_holds("b == 2", facts)

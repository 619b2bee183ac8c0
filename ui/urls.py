"""Shareable views: a page's settings live in its URL, and a link a teacher sends opens that exact view.

Every input widget of the app has a key and `bind="query-params"` (since Streamlit 1.67): a value
that differs from the widget's default is written to the URL as `?key=value`, and a URL value
seeds the widget when the page opens. A value Streamlit cannot use (out of range, not one of
the options, not a number) is dropped silently and the widget shows its default. This module
makes that visible:

    remember()   at the top of a run (chrome.page): the parameters the browser asked for, then
                 cleaned before any widget reads them (see `clean`)
    check(...)   later in the same run (chrome.section, chrome.notice, chrome.end): what
                 Streamlit kept after the widgets registered, turned into a note

A link is untrusted text: `clean` drops values no widget must see (a number that is not finite, which
raised inside st.number_input; text longer than MAX_CHARS; more than MAX_VALUES values) and writes a
negative zero as 0, and `code` shows a value in the note as code that the value cannot close (a
backtick in a link's value used to end the span and render a live link inside the app's warning).

A parameter is judged only once its widget has registered in this run, so a check halfway
down a page never blames a widget further down. Parameters that no widget claimed are named
only by the final check, at the end of the page; the share link then leaves them out (the note
still names them), so a mistyped parameter is not passed on to a class.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import streamlit as st

from ui import streamlit_internals
from ui.untrusted import code

# Read by the chrome itself, not by a widget: the walkthrough's step (ui/tour.py), presenter mode
# (ui/presenter.py, which keeps it in the URL by hand) and `sections=all` (ui/chrome.section).
APP_PARAMS = frozenset({"tour", "presenter", "sections"})
_ASKED = "_urls-asked"  # session_state: {param: [values]} the browser asked for at the top of this run
_MOVED = "_urls-moved"  # session_state: keys a callback of this run set (`move`), whose URL values are stale

Params = dict[str, list[str]]


@dataclass
class Verdict:
    """What became of the URL's parameters so far in this run."""

    ignored: dict[str, str] = field(default_factory=dict)  # param -> the value asked for; the default is used
    options: dict[str, tuple[str, ...]] = field(default_factory=dict)  # ignored param -> what its control offers
    changed: dict[str, tuple[str, str]] = field(default_factory=dict)  # param -> (asked, used), e.g. options dropped
    unknown: dict[str, str] = field(default_factory=dict)  # param -> value; no widget of this page has that key

    def __bool__(self) -> bool:
        return bool(self.ignored or self.changed or self.unknown)


def current() -> Params:
    """The page's query parameters now, each as a list of values (multiselects repeat a key)."""
    return {key: st.query_params.get_all(key) for key in st.query_params}


MAX_CHARS = 200  # longer than any value a control of the app writes (a list of options)
MAX_VALUES = 32  # a multiselect repeats its key once per option: more than any control offers


def clean(values: list[str]) -> list[str] | None:
    """The URL values as a widget may read them, or None when the parameter must go.

    A number that is not finite ('inf', '-inf', 'nan', '1e999') goes, as does a value longer than
    MAX_CHARS or a list of more than MAX_VALUES; a negative zero ('-0', '-0.0') becomes '0'.
    """
    if len(values) > MAX_VALUES or any(len(value) > MAX_CHARS for value in values):
        return None
    out = []
    for value in values:
        try:
            number = float(value)
        except ValueError:
            out.append(value)
            continue
        if not math.isfinite(number):
            return None
        out.append("0" if number == 0 and value.strip().startswith("-") else value)
    return out


def remember(again: bool = False) -> None:
    """Store the parameters the browser asked for, then clean them before any widget of this run registers.

    The note names a dropped value as a setting the page could not use (it was remembered as asked).
    `again`: this run repeats the last one for the same link (ui/chrome.end opened every section), so the
    browser asked for what it asked for then; Streamlit has since taken the refused values out of the URL.
    """
    moved = st.session_state.pop(_MOVED, set())  # set by a callback of this run (`move`), not by the link
    if again and _ASKED in st.session_state:
        return  # cleaned by the first run already
    asked = {key: values for key, values in current().items() if key not in moved}
    st.session_state[_ASKED] = asked
    cleaned = {key: kept for key, values in asked.items() if (kept := clean(values)) != values}
    for key, kept in cleaned.items():
        if kept is None:
            del st.query_params[key]
        else:
            st.query_params[key] = kept if len(kept) > 1 else kept[0]
    if cleaned:
        streamlit_internals.reseed(cleaned)  # what the widgets are seeded from, besides the URL bar


def move(values: dict[str, Any]) -> None:
    """Set URL-bound widgets' values from a callback (a button that moves a counter or sets sliders). This run's
    URL still holds their old values (the widgets write the new ones); `remember` leaves those out of what the
    browser asked for, or `verdict` would read them as a link's values the controls adjusted, a note the
    student did nothing to deserve."""
    st.session_state.update(values)
    st.session_state[_MOVED] = {*st.session_state.get(_MOVED, ()), *values}


def _show(values: list[str]) -> str:
    return ",".join(values)


def _url_form(value: object) -> list[str | float]:
    """A serialized widget value as URL strings, numbers as floats: '0', '0.0' and 0.0 compare equal."""
    out: list[str | float] = []
    for item in value if isinstance(value, (list, tuple)) else [value]:
        text = str(item).lower() if isinstance(item, bool) else str(item)
        try:
            out.append(float(text))
        except ValueError:
            out.append(text.lower() if text.lower() in ("true", "false") else text)
    return out


def same_values(a: list[str], b: list[str]) -> bool:
    """Two URL values equal as the URL writes them: 3 and 3.0 are one number, True and true one switch."""
    return _url_form(a) == _url_form(b)


def _widget(key: str) -> tuple[bool, bool | None, tuple[str, ...]]:
    """(the widget keyed `key` registered in this run, the URL's value for it is the widget's default,
    the options it offers as the URL writes them; () for a slider or a number).

    Streamlit removes both a refused value and one equal to the default from the URL (a default
    is never written there); only the first is worth a note. The second is None when it cannot
    be told (Streamlit's internals changed, see ui/streamlit_internals.py).
    """
    try:
        widget = streamlit_internals.bound_widget(key)
    except Exception:  # noqa: BLE001 - a Streamlit without these internals: judge by session_state alone
        return key in st.session_state, None, ()
    if widget is None:
        return False, None, ()
    return True, _url_form(st.session_state.get(_ASKED, {}).get(key, [])) == _url_form(widget.default), widget.options


def verdict(final: bool) -> Verdict:
    """Compare what the browser asked for with what the widgets took; `final`: the page has ended."""
    result = Verdict()
    now = current()
    for key, asked in st.session_state.get(_ASKED, {}).items():
        if key in APP_PARAMS:
            continue
        registered, asked_default, options = _widget(key)
        if not registered:
            if final and now.get(key) == asked:
                result.unknown[key] = _show(asked)
        elif key not in now:
            if not asked_default:
                result.ignored[key] = _show(asked)
                if options:
                    result.options[key] = options
        elif now[key] != asked:
            result.changed[key] = (_show(asked), _show(now[key]))
    return result


def _choices(options: tuple[str, ...], most: int = 8) -> str:
    """' (one of: `a`, `b`, ...)' for a control with options, '' otherwise."""
    if not options:
        return ""
    shown = ", ".join(code(option) for option in options[:most])
    return f" (one of: {shown}{', …' if len(options) > most else ''})"


def note(found: Verdict) -> str:
    """The sentence(s) a student reads when a link asked for settings the page could not use."""
    parts = []
    if found.ignored:
        listed = ", ".join(f"{code(f'{key}={value}')}{_choices(found.options.get(key, ()))}"
                           for key, value in found.ignored.items())
        parts.append(f"**This link asked for settings the page cannot use**, so it shows the defaults for them: "
                     f"{listed}. A value outside a control's range, or not one of its options, is ignored.")
    if found.changed:
        listed = ", ".join(f"{code(f'{key}={asked}')} → {code(used)}" for key, (asked, used) in found.changed.items())
        parts.append(f"Adjusted to what the controls allow: {listed}.")
    if found.unknown:
        listed = ", ".join(code(f"{key}={value}") for key, value in found.unknown.items())
        parts.append(f"Not a setting of this page, ignored: {listed}.")
    return " ".join(parts)


def share_link(params: Params | None = None, drop: Iterable[str] = ()) -> str:
    """The link to this view: the page's address (when the browser told it) and its query string.

    `drop`: parameters to leave out, the ones no control of the page claimed (Verdict.unknown).
    """
    params = {key: values for key, values in (current() if params is None else params).items() if key not in drop}
    query = urlencode(params, doseq=True)
    base = st.context.url or ""  # None in AppTest and before the browser reports it
    return f"{base}?{query}" if query else (base or "(this page's address)")

"""Lesson truth by construction: pages only choose words for facts that core computed.

A "what to notice" sentence is the worst place for a bug: a student believes it. So the reasoning
behind it (which run ended lowest, how long a path swung, whether a remedy won) lives in core,
returns with the result as a small frozen facts dataclass and is unit-tested there with numbers.
These checks read the page scripts themselves: every notice names the facts it was built from,
and no page reasons about a result's tables (no pandas or NumPy calls, no row lookups).
"""
from __future__ import annotations

import ast
import re

import pytest

from ui import chrome
from ui.lesson_map import APP_ROOT

SCRIPTS = sorted((APP_ROOT / "pages").glob("*.py")) + [APP_ROOT / chrome.HOME]
# Reasoning about a table in a page: what these calls compute belongs in core's facts.
REASONING = re.compile(r"\.(iloc|loc|at|iat)\[|\.(set_index|groupby|idxmax|idxmin|mean|median|max|min|sum|abs|"
                       r"sort_values|nlargest|nsmallest|query|nunique|value_counts|agg|apply)\(|"
                       r"^\s*import (numpy|pandas)|^\s*from (numpy|pandas)", re.MULTILINE)


def _notices(tree: ast.AST) -> list[ast.Call]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "notice" and getattr(node.func.value, "id", "") == "chrome"]


def test_the_checks_see_the_pages():
    assert len(SCRIPTS) == 14
    assert sum(len(_notices(ast.parse(p.read_text(encoding="utf-8")))) for p in SCRIPTS) > 40
    assert REASONING.search("best = table.set_index('variant')") and REASONING.search("x.iloc[0]")
    assert not REASONING.search("show.chart(charts.curves, sweep.history, key='lr-curves')")


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_every_notice_names_its_facts(script):
    bare = [call.lineno for call in _notices(ast.parse(script.read_text(encoding="utf-8"))) if len(call.args) < 2]
    assert not bare, f"{script.name}: the notices on lines {bare} pass no facts from core"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_pages_do_not_reason_about_results(script):
    text = script.read_text(encoding="utf-8")
    found = [(text.count("\n", 0, m.start()) + 1, m.group().strip()) for m in REASONING.finditer(text)]
    assert not found, f"{script.name} computes on results (move it into core's facts): {found}"


PLACEHOLDER = re.compile(r"\{[A-Za-z_][\w.]*(\[[^\]]*\])?(![rsa])?(:[^{}]*)?\}")


def _plain_strings(node: ast.AST) -> list[ast.Constant]:
    """The literal text under `node`: its string constants, also the literal parts of f-strings. A plain string
    written next to an f-string joins it in one literal, and its braces still print as they are."""
    return [n for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def test_the_placeholder_check_sees_a_missing_f():
    call = ast.parse('chrome.notice("rises by {lf.slice_rises:.2f}" + f"{x} is" " {lf.y}", lf)').body[0].value
    found = [PLACEHOLDER.search(c.value) for c in _plain_strings(call)]
    assert [m.group() for m in found if m] == ["{lf.slice_rises:.2f}", "{lf.y}"]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_no_notice_prints_a_placeholder(script):
    """A string that lost its f prefix shows '{facts.field}' to the class instead of the number."""
    tree = ast.parse(script.read_text(encoding="utf-8"))
    found = [(c.lineno, c.value) for call in _notices(tree) for c in _plain_strings(call) if PLACEHOLDER.search(c.value)]
    assert not found, f"{script.name}: a notice string without its f prefix: {found}"

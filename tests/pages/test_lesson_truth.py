"""Lesson truth by construction: pages only choose words for facts that core computed.

A "what to notice" sentence is the worst place for a bug: a student believes it. So the reasoning
behind it (which run ended lowest, how long a path swung, whether a remedy won) lives in core,
returns with the result as a small frozen facts dataclass and is unit-tested there with numbers.
These checks read the page scripts and their helpers in ui/parts themselves: every notice names
the facts it was built from, no page or part reasons about a result's tables (no pandas or NumPy
calls, no row lookups; a part may import pandas to name its types), and no string prints a
`{placeholder}` that lost its f prefix.
"""
from __future__ import annotations

import ast
import re

import pytest

from ui import chrome
from ui.lesson_map import APP_ROOT

SCRIPTS = sorted((APP_ROOT / "pages").glob("*.py")) + [APP_ROOT / chrome.HOME]
# The pages' helpers (sections, sentences): they build notices too. The package file stays empty.
PARTS = sorted(p for p in (APP_ROOT / "ui" / "parts").glob("*.py") if p.name != "__init__.py")
SOURCES = SCRIPTS + PARTS
# Reasoning about a table in a page or a part: what these calls compute belongs in core's facts.
CALLS = (r"\.(iloc|loc|at|iat)\[|\.(set_index|groupby|idxmax|idxmin|mean|median|max|min|sum|abs|"
         r"sort_values|nlargest|nsmallest|query|nunique|value_counts|agg|apply)\(")
REASONING = re.compile(CALLS + r"|^\s*import (numpy|pandas)|^\s*from (numpy|pandas)", re.MULTILINE)
PART_REASONING = re.compile(CALLS)  # a part may import pandas to name a DataFrame in its signature


def _notices(tree: ast.AST) -> list[ast.Call]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "notice" and getattr(node.func.value, "id", "") == "chrome"]


def _ids(path) -> str:
    return f"{path.parent.name}/{path.stem}"


def test_the_checks_see_the_pages_and_their_parts():
    assert len(SCRIPTS) == 14
    assert sum(len(_notices(ast.parse(p.read_text(encoding="utf-8")))) for p in SOURCES) > 40
    assert PARTS, "ui/parts/ holds the pages' helpers"
    assert REASONING.search("best = table.set_index('variant')") and REASONING.search("x.iloc[0]")
    assert not REASONING.search("show.chart(charts.curves, sweep.history, key='lr-curves')")


@pytest.mark.parametrize("script", SOURCES, ids=_ids)
def test_every_notice_names_its_facts(script):
    bare = [call.lineno for call in _notices(ast.parse(script.read_text(encoding="utf-8"))) if len(call.args) < 2]
    assert not bare, f"{script.name}: the notices on lines {bare} pass no facts from core"


@pytest.mark.parametrize("script", SOURCES, ids=_ids)
def test_pages_do_not_reason_about_results(script):
    text = script.read_text(encoding="utf-8")
    pattern = PART_REASONING if script in PARTS else REASONING
    found = [(text.count("\n", 0, m.start()) + 1, m.group().strip()) for m in pattern.finditer(text)]
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


LATEX = re.compile(r"\\[A-Za-z]+|[_^]\{")  # \frac, \text, x_{i}: a formula's braces, not a placeholder


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of the docstring constants in `tree` (a docstring may show `{key: value}` as it is)."""
    bodies = [n.body for n in ast.walk(tree) if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef))]
    return {id(body[0].value) for body in bodies
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)}


def _formatted(tree: ast.AST) -> set[int]:
    """The ids of the strings that are `.format()`ed: their braces are filled in."""
    return {id(n.func.value) for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
            and n.func.attr == "format" and isinstance(n.func.value, ast.Constant)}


def _placeholders(tree: ast.AST) -> list[tuple[int, str]]:
    """Every string literal of a script or part that would print a `{placeholder}`: in a notice, in the
    helpers that build a notice's sentence, anywhere (docstrings, formulas and .format templates aside)."""
    skip = _docstrings(tree) | _formatted(tree)
    return [(c.lineno, c.value) for c in _plain_strings(tree)
            if id(c) not in skip and not LATEX.search(c.value) and PLACEHOLDER.search(c.value)]


def test_the_placeholder_check_sees_one_outside_a_notice_and_spares_formulas():
    tree = ast.parse('def sentence(f):\n    """Returns {f.x} words."""\n'
                     '    return "the rate {f.lr:.2f}" + f" of {f.n}"\n'
                     'st.latex(r"\\frac{x}{y}")\nnote = "{a} and {b}".format(a=1, b=2)\n')
    assert _placeholders(tree) == [(3, "the rate {f.lr:.2f}")]


@pytest.mark.parametrize("script", SOURCES, ids=_ids)
def test_no_string_prints_a_placeholder(script):
    """A string that lost its f prefix shows '{facts.field}' to the class instead of the number."""
    found = _placeholders(ast.parse(script.read_text(encoding="utf-8")))
    assert not found, f"{script.name}: a string without its f prefix: {found}"


@pytest.mark.parametrize("script", SOURCES, ids=_ids)
def test_no_notice_prints_a_placeholder(script):
    """A string that lost its f prefix shows '{facts.field}' to the class instead of the number."""
    tree = ast.parse(script.read_text(encoding="utf-8"))
    found = [(c.lineno, c.value) for call in _notices(tree) for c in _plain_strings(call)
             if PLACEHOLDER.search(c.value)]
    assert not found, f"{script.name}: a notice string without its f prefix: {found}"

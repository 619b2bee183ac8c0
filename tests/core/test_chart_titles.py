"""Long chart titles are broken into lines (Vega cuts a title wider than its chart with an ellipsis)."""
from __future__ import annotations

from core.charts.theme import wrap_titles


def test_a_long_title_becomes_lines_within_the_limit_and_keeps_every_word():
    text = "Validation accuracy on digits moved by 0, 1 and 2 pixels (mean of the four directions)"
    spec = {"title": {"text": text, "subtitle": ["solid: train · dashed: validation", "x"]}, "mark": "line"}
    wrapped = wrap_titles(spec, 38)
    lines = wrapped["title"]["text"]
    assert len(lines) == 3 and all(len(line) <= 38 for line in lines) and " ".join(lines) == text
    assert wrapped["title"]["subtitle"] == ["solid: train · dashed: validation", "x"]  # short lines stay whole
    assert spec["title"]["text"] == text and wrapped["mark"] == "line"  # the original is not changed


def test_short_titles_facets_and_concatenations():
    assert wrap_titles({"title": "short"}, 38) == {"title": "short"}
    assert wrap_titles({"spec": {"title": "one two three"}}, 7)["spec"]["title"] == ["one two", "three"]
    assert wrap_titles({"hconcat": [{"title": "aaaa bbbb"}]}, 4)["hconcat"][0]["title"] == ["aaaa", "bbbb"]
    assert wrap_titles({"title": {"subtitle": "a b c"}}, 3)["title"]["subtitle"] == ["a b", "c"]


def test_a_long_x_axis_title_wraps_in_a_layer_too():
    spec = {"layer": [{"encoding": {"x": {"field": "shift", "title": "digits moved by (pixels, right / left)"},
                                    "y": {"field": "acc", "title": "a very long y title stays as it is"}}}]}
    encoding = wrap_titles(spec, 20)["layer"][0]["encoding"]
    assert encoding["x"] == {"field": "shift", "title": ["digits moved by", "(pixels, right /", "left)"]}
    assert encoding["y"]["title"] == "a very long y title stays as it is"  # beside the plot: its height is free

"""AppTest of the CNN page's sections 6 and 7 (issue 22): a clicked cell worked by hand, the convolution explorer;
every control drives what they show, and what they say is core's numbers."""
from __future__ import annotations

import json

import pytest

from core.zoo import cnn, convolution
from tests.pages.conftest import opened, tables
from ui.parts import cnn as parts

PAGE = "8_Zoo_CNN.py"


def _cell_notice(at) -> str:
    return next(n.value for n in at.info if "What to notice:** cell (" in n.value)


def _explorer_notice(at) -> str:
    return next(n.value for n in at.info if "picture with a" in n.value)


def _text(at) -> str:
    return " ".join(m.value for m in at.markdown)


def _spec(at, title_start: str) -> dict:
    for chart in at.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        title = spec.get("title", "")
        title = title.get("text", "") if isinstance(title, dict) else title  # wrapped: a list of lines
        if " ".join(title if isinstance(title, list) else [title]).startswith(title_start):
            return spec
    raise AssertionError(f"no chart titled {title_start!r}")


def _expected(**fields) -> convolution.CellFacts:
    return convolution.cell(convolution.Cell(**fields), cnn.shipped()).facts


def test_the_default_cell_is_worked_with_the_layers_own_numbers(page):
    f = _expected()
    assert not page.exception and not page.error
    notice = _cell_notice(page)
    assert notice.startswith("**What to notice:** cell (3, 3) of conv1 map 0 reads only a 3 × 3 window of the digit")
    assert f"give {f.pre_activation:.4f}, the very number the layer computes there ({f.model_output:.4f})" in notice
    # The window in the padded input's numbers, the ones its chart outlines (stride 1, padding 1: rows 3-5 for row 3)
    assert "at rows 3–5, columns 3–5 of the padded input (as numbered on its chart)" in notice
    inputs = convolution.cell(convolution.Cell(), cnn.shipped()).inputs  # what the chart draws
    marked = set(zip(inputs.loc[inputs["marked"], "row"], inputs.loc[inputs["marked"], "col"]))
    assert marked == {(r, c) for r in (3, 4, 5) for c in (3, 4, 5)}, marked
    assert f"= **{f.weighted_sum:.4f}**; + bias {f.bias:.4f} = **{f.pre_activation:.4f}**" in _text(page)
    assert f"its max **{f.pool_max:.4f}** becomes cell (1, 1) of the pooled map" in _text(page)
    click = _spec(page, "conv1 map 0 before ReLU: click a cell")["params"][0]
    assert click["name"] == "click" and click["select"]["fields"] == ["row", "col"]


def test_every_cell_control_changes_the_cell_worked(page):
    page.number_input(key="cell-image").set_value(5).run()
    page.number_input(key="cell-map").set_value(6).run()
    page.number_input(key="cell-row").set_value(0).run()
    page.number_input(key="cell-col").set_value(7).run()
    f = _expected(image=5, channel=6, row=0, col=7)
    assert not page.exception and not page.error
    notice = _cell_notice(page)
    assert "cell (0, 7) of conv1 map 6" in notice and f"({f.model_output:.4f})" in notice
    assert f"({f.in_padding} of its positions fall in the zero padding" in notice and f.in_padding == 5
    page.radio(key="cell-layer").set_value(2).run()  # conv2's maps are 4 x 4: the cell moves inside
    assert not page.exception and not page.error
    assert page.number_input(key="cell-col").value == 3
    f = _expected(image=5, layer=2, channel=6, row=0, col=3)
    notice = _cell_notice(page)
    assert "cell (0, 3) of conv2 map 6 reads only a 3 × 3 window of all 8 maps of the layer below" in notice
    assert f"({f.model_output:.4f})" in notice and f"(the layer's own MaxPool2d gives {f.model_pooled:.4f})" in \
        _text(page)
    sums = next(df for df in tables(opened(page, "cell-sums")) if "sum of products" in df.columns)
    assert len(sums) == 8 and sums["sum of products"].sum() == pytest.approx(f.weighted_sum, abs=1e-4)


def test_a_click_on_the_feature_map_picks_the_cell():
    assert parts.clicked_cell(None) is None
    assert parts.clicked_cell({"selection": {"click": []}}) is None
    assert parts.clicked_cell({"selection": {"click": [{"row": 2, "col": 5}]}}) == (2, 5)


def test_a_clicked_cell_fills_the_row_and_column(page, monkeypatch):
    """AppTest cannot click a Vega chart: the chart's selection state is what a click leaves in session state."""
    monkeypatch.setattr(parts, "clicked_cell", lambda state: (6, 1) if state is not None else None)
    page.run()
    assert page.number_input(key="cell-row").value == 6 and page.number_input(key="cell-col").value == 1
    assert "cell (6, 1) of conv1 map 0" in _cell_notice(page)
    assert page.number_input(key="conv-row").value == 5  # the explorer's 6 x 6 output keeps the click inside


def test_the_explorer_fills_in_the_formula_and_works_the_default_cell(page):
    f = convolution.explore(convolution.Explorer(row=3, col=3)).facts
    text = _text(page)
    assert "⌊(8 + 2·0 − 1·(3 − 1) − 1) / 1⌋ + 1 = ⌊5 / 1⌋ + 1 = **6**; `F.conv2d` made a **6 × 6** output" in text
    assert f"Sum of the 9 products = **{f.hand_value:.4f}**; `F.conv2d` at (3, 3): **{f.torch_value:.4f}**" in text
    assert "gives a 6 × 6 output by the formula, and F.conv2d's output is 6 × 6" in _explorer_notice(page)
    assert "(strictly a cross-correlation: the kernel is not flipped, as in PyTorch's Conv2d; " in \
        _explorer_notice(page)
    flipped = ("this kernel flipped gives the same sum here" if f.flipped_value == f.hand_value else
               f"flipped, it would give {f.flipped_value:.4f} here")
    assert flipped in _explorer_notice(page)


def test_every_explorer_control_changes_what_is_convolved(page):
    page.selectbox(key="conv-picture").set_value("square").run()
    page.selectbox(key="conv-kernel").set_value("blur").run()
    page.slider(key="conv-k").set_value(4).run()
    page.slider(key="conv-stride").set_value(2).run()
    page.slider(key="conv-padding").set_value(2).run()
    page.slider(key="conv-dilation").set_value(2).run()
    # (8 + 4 - 2·3 - 1) // 2 + 1 = 3: the kept cell (3, 3) moved inside, to (2, 2)
    assert (page.number_input(key="conv-row").value, page.number_input(key="conv-col").value) == (2, 2)
    page.number_input(key="conv-row").set_value(1).run()
    page.number_input(key="conv-col").set_value(0).run()
    assert not page.exception and not page.error
    f = convolution.explore(convolution.Explorer("square", "blur", 4, 2, 2, 2, row=1, col=0)).facts
    assert f.out_side == 3 and f.in_padding > 0
    text = _text(page)
    assert "⌊(8 + 2·2 − 2·(4 − 1) − 1) / 2⌋ + 1 = ⌊5 / 2⌋ + 1 = **3**" in text
    assert f"`F.conv2d` at (1, 0): **{f.torch_value:.4f}**" in text
    notice = _explorer_notice(page)
    assert "Dilation 2 spreads the 4 × 4 weights 2 pixels apart, so they span 7 × 7 pixels" in notice
    assert f"{f.in_padding} of this cell's 16 window positions fall in the zero padding" in notice


@pytest.mark.parametrize("settings, words", [
    ({"conv-k": 5, "conv-dilation": 3}, "spans 13 pixels, more than the 8 of the padded picture"),
    ({"conv-k": 1}, "An edge kernel compares two sides"),
])
def test_settings_with_no_output_say_why_in_the_app(page, settings, words):
    for key, value in settings.items():
        page.slider(key=key).set_value(value)
    page.run()
    assert not page.exception
    assert [e.value for e in page.error] and words in page.error[0].value
    assert not any("picture with a" in n.value for n in page.info)  # no output, no notice about one
    assert _cell_notice(page)  # section 6 above is still drawn

"""AppTest of the Neurons and layers page: it renders, and its controls change what it shows."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.pages.conftest import charts, tables
from tests.pages.test_pages_learning_cycle import untitled

PAGE = "1_Neurons_and_layers.py"


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def _table(at: AppTest, first_column: str):
    return next(df for df in tables(at) if df.columns[0] == first_column)


def test_default_render_shows_every_section(page):
    assert page.title[0].value == "Neurons and layers"
    assert _metric(page, "Accuracy of this neuron") == "92.0%"
    assert len(page.get("vega_lite_chart")) == 5  # neuron map, activation panels, fits, error bars, loss curves
    assert len(page.get("download_button")) == 7  # 5 charts + 2 tables
    notices = [a.value for a in page.info]
    assert len(notices) == 4 and all("What to notice" in n for n in notices)
    assert "92.0%" in notices[0]  # the notice quotes the accuracy on screen
    assert not untitled(page)


def test_a_long_training_waits_for_its_button_showing_the_defaults_meanwhile(page):
    before = charts(page)
    page.select_slider(key="approx-epochs").set_value(2400).run()
    assert not page.exception
    assert page.button(key="approx-run-start").label == "Train the nets (about 8 s)"  # neurons.wide_seconds
    assert any("shows the default settings" in c.value for c in page.caption)
    assert charts(page)[2:] == before[2:]  # the defaults' fits and curves, not retrained on the slider move


def test_moving_w1_changes_the_accuracy_and_the_map(page):
    before = charts(page)[0]
    page.slider(key="neuron-w1").set_value(-1.0).run()
    assert not page.exception
    assert _metric(page, "Accuracy of this neuron") != "92.0%"
    assert charts(page)[0] != before


def test_gradient_descent_toggle_shows_learned_values_and_puts_them_on_the_sliders(page):
    page.toggle(key="neuron-train").set_value(True).run()
    assert not page.exception
    assert any("Learned: w1 =" in m.value for m in page.markdown)
    page.button[0].click().run()
    assert not page.exception
    assert page.slider(key="neuron-w1").value != 1.0
    assert float(_metric(page, "Accuracy of this neuron").rstrip("%")) > 95


def test_activation_multiselect_changes_the_table(page):
    assert len(_table(page, "activation")) == 6
    page.multiselect(key="act-names").set_value(["sigmoid", "relu"]).run()
    assert not page.exception
    table = _table(page, "activation")
    assert list(table["activation"]) == ["ReLU", "Sigmoid"]  # widest active region first
    assert table.set_index("activation").loc["Sigmoid", "max |f'(z)|"] == pytest.approx(0.25)


def test_leaky_relu_counts_as_active_at_the_lowest_threshold(page):
    page.slider(key="act-threshold").set_value(0.01).run()
    assert not page.exception
    table = _table(page, "activation").set_index("activation")
    assert table.loc["Leaky ReLU", "active width on [-6, 6]"] == pytest.approx(12.0, abs=0.002)  # both sides
    notice = page.info[2].value
    assert "Leaky ReLU still counts as active at z = −6" in notice and "|f'(z)| ≥ 0.01" in notice


def test_wide_vs_deep_shows_train_and_validation_error_and_says_the_wide_net_underfits(page):
    charts = [c.proto.spec for c in page.get("vega_lite_chart")]
    assert any('"xOffset"' in spec and '"split"' in spec for spec in charts)  # train vs validation bars
    notice = page.info[3].value
    assert "The 256-unit net underfits" in notice and "mostly for that reason" in notice
    assert "generalizes poorly" not in notice


def test_changing_the_widths_changes_the_approximation_table(page):
    assert list(_table(page, "variant")["variant"])[:4] == [f"1 layer × {w}" for w in (2, 8, 32, 256)]
    page.multiselect(key="approx-widths").set_value([4, 16]).run()
    assert not page.exception
    table = _table(page, "variant")
    assert list(table["variant"])[:2] == ["1 layer × 4", "1 layer × 16"] and len(table) == 3
    assert table["parameters"].iloc[-1] <= 1.15 * 49  # the deep net now matches the 16-unit net (49 parameters)


def test_tensor_form_slider_changes_the_layer_shapes(page):
    assert any(r"(2,\,1)" in latex.value for latex in page.latex)
    page.slider(key="tensor-h").set_value(4).run()
    assert any(r"(2,\,4)" in latex.value for latex in page.latex)


def test_activation_notice_tells_relus_zero_gradient_from_saturation_and_theory_says_approximate(page):
    notice = page.info[2].value
    assert "ReLU's gradient is zero for every negative z" in notice
    before = notice.split("for large negative z only")[0].rsplit(".", 1)[-1]  # the names that saturate on the left
    assert "ELU" in before and "ReLU" not in before
    assert "collapse into a single layer" in notice and "one straight line" not in notice
    theory = next(m.value for m in page.markdown if m.value.startswith("**Theory**"))
    assert "non-polynomial activation" in theory and "approximate any continuous function" in theory
    assert "fit any function" not in theory

"""AppTest of the vanishing-gradients page: renders at defaults, its controls change the charts, bad sizes get
st.error, and its sentences fit the numbers on screen."""
from __future__ import annotations

import json
import re

import pytest

from tests.pages.conftest import charts, opened
from tests.pages.table_fit import PAGE_PX
from tests.pages.test_pages_learning_cycle import untitled

PAGE = "5_Vanishing_gradients_and_batch_normalization.py"


def test_default_render_shows_every_section(page):
    assert page.title[0].value == "Vanishing gradients and batch normalization"
    assert not page.error
    # norms, mean, spread, histograms, dead, bands, bars, curves; sigmoid's slope and the heat map over training are
    # folded away until opened (the first view draws one chart)
    assert len(page.get("vega_lite_chart")) == 8
    assert len(opened(page, "sigmoid-slope-figure-open", "flow-heat-figure-open").get("vega_lite_chart")) == 10
    notices = [n.value for n in page.info]
    assert len(notices) == 6 and all("What to notice" in n for n in notices)
    assert "Sigmoid net gets" in notices[0] and "vanished" in notices[0]  # sigmoid is the worst at depth 20
    # The bound points the right way: sigmoid's derivatives alone shrink the gradient by AT LEAST 4^20.
    assert "at least 4^20" in notices[0] and "up to" not in notices[0] and "weights multiply in" in notices[0]
    assert "He initialization" in notices[0]
    assert "Sigmoid net's layer 20" in notices[1] and "collapsed" in notices[1]
    assert "ReLU units have z ≤ 0 for every validation input" in notices[2] and "The fixes work" in notices[2]
    assert "hypothesis" in notices[3] and "Santurkar" in notices[3] and "before the norm" in notices[3]
    assert "blew up" not in notices[3]  # the default learning rate shows a drift, not a blow-up
    assert "trains with batch norm at learning rate" in notices[4]
    assert not untitled(page)


def test_no_vanishing_gets_words_that_fit_the_nets_on_screen(page):
    page.number_input(key="flow-depth").set_value(2).run()
    assert not page.exception
    first = page.info[0].value
    assert "no net's gradient vanished" in first and "add sigmoid" not in first  # sigmoid is on screen already
    assert "collapsed" not in page.info[1].value  # two layers keep the spread across inputs


@pytest.mark.parametrize("change", [
    lambda at: at.multiselect(key="flow-acts").set_value(["relu", "elu"]),
    lambda at: at.number_input(key="flow-depth").set_value(6),
    lambda at: at.toggle(key="flow-bn").set_value(True),
])
def test_network_controls_change_the_gradient_charts(page, change):
    before = charts(opened(page, "flow-heat-figure-open"))
    change(page).run()
    assert not page.exception and not page.error
    after = charts(page)
    assert after[0] != before[0] and after[1] != before[1]  # norms at initialization and the heat map
    assert after[-1] == before[-1]  # the batch-norm grid does not depend on them


def test_dying_controls_change_the_dead_units(page):
    before = charts(page)
    page.select_slider(key="dying-bias").set_value(0.0)
    page.select_slider(key="dying-lr").set_value(0.01).run()
    assert page.button(key="dying-run-start").label == "Train the three nets (about 4 s)"  # DYING_SECONDS
    assert charts(page)[4] == before[4]  # the defaults' nets until the press
    page.button(key="dying-run-start").click().run()
    assert not page.exception
    assert charts(page)[4] != before[4]
    notice = page.info[2].value
    assert "The fixes work" not in notice and "few ReLUs died" not in notice  # "few" must not contradict the number
    dead = re.search(r"and (\d+)% are dead at the end", notice).group(1)
    assert f"fewer ReLUs died ({dead}% of them), so the fixes have less to fix" in notice


def test_depth_and_width_inputs_stop_at_the_range_core_accepts(page):
    # Without bounds, + and - went past it and the page's error removed every section below (Chromium review).
    from core import gradients

    depth, width = page.number_input(key="flow-depth"), page.number_input(key="flow-width")
    assert (depth.min, depth.max, width.min, width.max) == (1, gradients.MAX_DEPTH, 2, gradients.MAX_WIDTH)
    with pytest.raises(ValueError, match="depth"):
        gradients.GradientFlow(depth=gradients.MAX_DEPTH + 1)
    depth.set_value(1).run()  # one hidden layer: the histogram layer is that one, without a slider
    assert not page.exception and not page.error and page.slider(key="stats-epoch")


def test_the_activation_statistics_charts_fit_without_cutting_or_stray_axes(page):
    specs = [json.loads(c.proto.spec) for c in page.get("vega_lite_chart")]
    std = next(s for s in specs if s.get("encoding", {}).get("y", {}).get("field") == "spread")
    assert len(std["encoding"]["y"]["title"]) * 7.5 <= 200  # 7.5 px a character, a plot about 200 px high
    colorful = next(s for s in specs if "facet" in s and s["spec"]["layer"][0]["encoding"]["y"]["field"] == "lo")
    panels = len(colorful["facet"]["sort"])
    assert colorful["columns"] == panels == 5  # one row: no empty sixth cell with an axis under it
    # In Chromium each panel took 85 px more than its width (205 px for 120): its y labels, the y title (~20 px)
    # and the spacing between panels. Without the title: 65 px.
    assert panels * (colorful["spec"]["width"] + 65) <= PAGE_PX
    # the room of the y titles: the caption says it
    assert colorful["spec"]["layer"][0]["encoding"]["y"]["title"] is None



def test_a_deep_net_with_normal_weights_gets_a_clear_overflow_warning(page):
    page.selectbox(key="flow-init").set_value("normal")
    page.number_input(key="flow-depth").set_value(30)
    page.number_input(key="flow-width").set_value(256)
    page.multiselect(key="flow-acts").set_value(["relu", "tanh"]).run()
    assert page.button(key="flow-run-start").label == "Train the deep nets (about 3 s)"  # gradients.flow_seconds
    page.button(key="flow-run-start").click().run()
    assert not page.exception and not page.error
    first = page.info[0].value
    assert "not finite" not in first  # at initialization the norms are huge (about 1e31) but finite
    warning = next(w.value for w in page.warning if w.value.startswith("**ReLU:**"))
    assert "overflowed to infinity or NaN at epoch 1" in warning and "Pick He initialization" in warning
    assert not any(w.value.startswith("**Tanh:**") for w in page.warning)


def test_a_net_that_overflows_while_it_trains_gets_a_warning(page):
    page.selectbox(key="flow-init").set_value("normal")
    page.number_input(key="flow-depth").set_value(6)
    page.number_input(key="flow-width").set_value(64)
    page.multiselect(key="flow-acts").set_value(["relu", "tanh"]).run()
    assert not page.exception and not page.error
    warning = next(w.value for w in page.warning if w.value.startswith("**ReLU:**"))
    assert "at epoch 1: the initial weights (Normal(0, 1))" in warning and "Pick He initialization" in warning


def test_batch_norm_notices_say_what_the_norm_fixes_and_what_gamma_and_beta_can_move(page):
    shift = next(n.value for n in page.info if "the slide's hypothesis" in n.value)
    assert "stays put by construction" not in shift
    assert ("the normalization pins each batch to mean 0 and std 1, so only the learned γ and β can move this band, "
            "and here they moved it little.") in shift  # default lr 0.3, layer 4: drift 0.01, band 1.02 times
    page.slider(key="shift-layer").set_value(8).run()  # lr 0.3, layer 8: γ and β widen the band 1.17 times
    shift = next(n.value for n in page.info if "the slide's hypothesis" in n.value)
    assert "moved it little" not in shift and "moved it too: γ and β are trained like any weight" in shift
    modes = next(n.value for n in page.info if "in train mode batch norm" in n.value)
    assert "divides by this batch's mean" not in modes
    assert ("normalizes with this batch's own mean and standard deviation (subtracts the mean, divides by the std); "
            "in eval mode with the running averages") in modes

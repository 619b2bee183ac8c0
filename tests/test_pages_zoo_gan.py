"""AppTest of the GAN page: the shipped games at once, controls that change the pictures, and live training."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest

from core.zoo import gan

PAGE = "13_Zoo_GAN.py"
N_CHARTS = 7  # map + losses; collapse: strip, two maps, modes and spread lines


def _charts(at: AppTest) -> list[bytes]:
    return [c.proto.SerializeToString() for c in at.get("vega_lite_chart")]


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_default_view_shows_the_shipped_ring_without_training(page):
    assert page.title[0].value == "Network zoo: GAN"
    assert not page.error and not page.warning
    assert len(page.get("vega_lite_chart")) == N_CHARTS
    shipped = gan.replay(gan.Shipped("gan_ring"))
    end = shipped.scores.iloc[-1]
    assert _metric(page, "Modes covered") == f"{int(end['modes covered'])} of 8"
    notices = [n.value for n in page.info]
    assert len(notices) == 2 and all("What to notice" in n for n in notices)
    assert f"{end['energy distance']:.3f}" in notices[0] and f"step {shipped.steps[-1]:,}" in notices[0]
    collapsed = gan.replay(gan.Shipped("gan_ring_collapse")).scores.iloc[-1]
    assert f"G covers {int(collapsed['modes covered'])} of 8 modes" in notices[1]
    assert page.toggle(key="own-train").value is False  # nothing trains until asked


def test_another_distribution_changes_the_map_and_the_modes(page):
    before = _charts(page)
    page.selectbox(key="data").set_value("grid").run()
    assert not page.exception
    after = _charts(page)
    assert after[0] != before[0] and after[1] != before[1] and after[2:] == before[2:]  # only section 1 changed
    assert _metric(page, "Modes covered").endswith("of 9")


def test_the_checkpoint_slider_goes_back_to_the_start(page):
    before = _charts(page)
    page.select_slider(key="step").set_value(0).run()
    assert not page.exception
    assert _charts(page)[0] != before[0]
    assert "at step 0 D gives" in page.info[0].value


def test_training_it_yourself_shows_the_same_views_for_the_new_gan(page):
    page.select_slider(key="own-steps").set_value(800)
    page.select_slider(key="own-d").set_value(32)
    page.toggle(key="own-train").set_value(True).run()
    assert not page.exception and not page.error
    assert len(page.get("vega_lite_chart")) == N_CHARTS + 2
    assert page.select_slider(key="own-step").value == 800
    assert "your GAN trained for 800 steps" in page.info[-1].value


def test_the_mode_collapse_notice_states_the_losses_without_pointing_to_a_chart_it_lacks(page):
    collapsed = gan.replay(gan.Shipped("gan_ring_collapse"))
    end, ref = collapsed.scores.iloc[-1], gan.references(collapsed.recipe.g_loss)
    text = page.info[1].value
    assert "dashed" not in text  # section 3 draws no loss chart
    assert f"D {end['discriminator']:.2f} and G {end['generator']:.2f}" in text
    assert f"next to {ref['discriminator']:.2f} and {ref['generator']:.2f}" in text and "says 0.5 to every point" in text

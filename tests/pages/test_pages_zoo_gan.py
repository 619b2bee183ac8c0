"""AppTest of the GAN page: the shipped games at once, controls that change the pictures, and live training."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest

from core.zoo import gan
from tests.conftest import every_section_open
from tests.pages.conftest import charts
from ui.lesson_map import APP_ROOT

PAGE = "13_Zoo_GAN.py"
N_CHARTS = 8  # map + losses; collapse: strip, two maps, modes and spread lines; step by step: losses


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_default_view_shows_the_shipped_ring_without_training(page):
    assert page.title[0].value == "Zoo: generative adversarial network (GAN)"
    assert not page.error and not page.warning
    assert len(page.get("vega_lite_chart")) == N_CHARTS
    shipped = gan.shipped("gan_ring").game
    end = shipped.scores.iloc[-1]
    assert _metric(page, "Modes covered") == f"{int(end['modes covered'])} of 8"
    notices = [n.value for n in page.info]
    assert len(notices) == 3 and all("What to notice" in n for n in notices)
    assert f"{end['energy distance']:.3f}" in notices[0] and f"step {shipped.steps[-1]:,}" in notices[0]
    collapsed = gan.shipped("gan_ring_collapse").game.scores.iloc[-1]
    assert f"G covers {int(collapsed['modes covered'])} of 8 modes" in notices[1]
    assert page.toggle(key="own-train").value is False  # nothing trains until asked


def test_another_distribution_changes_the_map_and_the_modes(page):
    before = charts(page)
    page.selectbox(key="data").set_value("grid").run()
    assert not page.exception
    after = charts(page)
    assert after[0] != before[0] and after[1] != before[1] and after[2:] == before[2:]  # only section 1 changed
    assert any("Showing the shipped game" in c.value and "Grid of 9" in c.value for c in page.caption)
    assert _metric(page, "Modes covered").endswith("of 9")


def test_the_checkpoint_slider_goes_back_to_the_start(page):
    before = charts(page)
    page.select_slider(key="step").set_value(0).run()
    assert not page.exception
    assert charts(page)[0] != before[0]
    text = page.info[0].value
    assert "at step 0 D gives" in text
    start = gan.shipped("gan_ring").game.facts(0)
    assert "went from" not in text and f"is {start.energy_start:.2f} here at the start" in text  # no change at step 0


def test_training_it_yourself_waits_for_its_button_then_shows_the_same_views_for_the_new_gan(page):
    page.toggle(key="own-train").set_value(True).run()
    page.select_slider(key="own-steps").set_value(800)
    page.select_slider(key="own-d").set_value(32).run()
    assert not page.exception and not page.error
    recipe = gan.Recipe(steps=800, d_width=32)
    buttons = [b.label for b in page.button if not b.key.startswith("steps-")]  # section 4's are its own
    assert buttons == [f"Train it (about {gan.expected_seconds(recipe):.0f} s)"]
    assert any("Showing the shipped game" in c.value for c in page.caption)  # nothing trained yet
    page.button(key="gan-own-run-start").click().run()
    assert not page.exception and not page.error
    assert len(page.get("vega_lite_chart")) == N_CHARTS  # sections 1 and 2 now show the new game
    assert page.select_slider(key="own-step").value == 800
    assert "your GAN trained for 800 steps" in page.info[0].value


def test_the_mode_collapse_notice_states_the_losses_without_pointing_to_a_chart_it_lacks(page):
    collapsed = gan.shipped("gan_ring_collapse").game
    end, ref = collapsed.scores.iloc[-1], gan.references(collapsed.recipe.g_loss)
    text = page.info[1].value
    assert "dashed" not in text  # section 3 draws no loss chart
    assert f"D {end['discriminator']:.2f} and G {end['generator']:.2f}" in text
    assert f"next to {ref['discriminator']:.2f} and {ref['generator']:.2f}" in text
    assert "says 0.5 to every point" in text


def test_the_game_notice_tells_the_minimax_game_from_the_non_saturating_one(page):
    """The shipped G minimizes −log D(G(z)): the game is not zero-sum, so "each player's gain is the other's loss"
    must not be said of it; the dashed lines' values and where D's loss ends against them come from the facts."""
    f = gan.shipped("gan_ring").game.facts()
    text = page.info[0].value
    assert "gain is the other's loss" not in text and "no longer zero-sum" in text and "non-saturating" in text
    assert f"The dashed lines mark the losses there, D {f.blind_d:.2f} and G {f.blind_g:.2f}" in text
    assert f"D {f.d_loss_end:.2f} and G {f.g_loss_end:.2f}" in text
    assert f.d_vs_blind == "below" and "D's loss ends below its line" in text


def test_training_with_the_smallest_d_is_not_told_to_try_it():
    """The old notice said "covers 0 of 8 modes: some are missing ... Try D with 4 units" to a GAN with D of 4 units."""
    at = every_section_open(AppTest.from_file(str(APP_ROOT / "pages" / PAGE), default_timeout=300))
    at.query_params.update({"own-d": "4", "own-steps": "800", "own-train": "true"})
    at.run()
    at.button(key="gan-own-run-start").click().run()
    assert not at.exception and not at.error
    text = at.info[0].value
    f = gan.train(gan.Recipe(d_width=4, steps=800)).game.facts()
    assert "Try D with 4 units" not in text and "D has 4 units here" in text
    assert f"Its points spread {f.spread_end:.2f}" in text
    if f.modes_end == 0:
        assert "none of the 8 modes" in text and "some are missing" not in text


def test_the_intro_does_not_promise_that_every_game_ends_with_real_looking_points(page):
    """Section 3 stalls near the ideal losses with few modes: the intro names the ideal end point as an ideal."""
    intro = next(" ".join(m.value.split()) for m in page.markdown if "**min-max game**" in m.value)
    assert "When neither can improve" not in intro
    assert "At the game's ideal end point (given networks large enough)" in intro and "D says 0.5 everywhere" in intro


def test_the_minimax_notice_says_g_sees_only_the_second_term_of_v():
    """G's minimax loss is log(1 − D(G(z))), only the G-dependent term of V, not "the very value D maximizes".
    The page shows that branch only for a shipped game with the minimax loss (none ships one yet): read the source
    of its sentences (ui/parts/gan.py)."""
    source = " ".join((APP_ROOT / "ui" / "parts" / "gan.py").read_text().replace('"', " ").split())
    assert "the very value D maximizes" not in source
    assert "G minimizes V = E log D(x) + E log(1 − D(G(z))), the value D maximizes; only its second term" in source
    assert "depends on G, so G's loss shows just that term" in source

"""AppTest of the GAN page's section 4: step D, step G, step both, play in slow motion, reset, each player's lr."""
from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from core.zoo import gan_steps
from ui.lesson_map import APP_ROOT
from ui.parts import gan_steps as parts

SECTION = "gan-section-4"  # ui/tour.section_key: opens this section (and the page's first, open by default)


@pytest.fixture
def game() -> AppTest:
    at = AppTest.from_file(str(APP_ROOT / "pages" / "13_Zoo_GAN.py"), default_timeout=120)
    at.query_params[SECTION] = "true"
    at.run()
    assert not at.exception, at.exception
    return at


def frame(at: AppTest) -> str:
    return next(h.proto.body for h in at.get("html") if "gan-steps-frame" in h.proto.body)


def shown(at: AppTest) -> tuple[int, int]:
    """(D's updates, G's updates) as the frame's status line says them."""
    text = re.sub("<[^>]+>", "", frame(at))
    return tuple(int(re.search(rf"{who}: ([\d,]+) updates", text).group(1).replace(",", "")) for who in "DG")


def stepper(at: AppTest) -> gan_steps.Stepper:
    return at.session_state[parts.GAME]


def notice(at: AppTest) -> str:
    """Section 4's "what to notice": the page's last."""
    return [i.value for i in at.info if i.value.startswith("**What to notice:**")][-1]


def test_the_section_opens_on_an_untrained_game_with_its_buttons_and_picture(game):
    assert shown(game) == (0, 0)
    facts = stepper(game).view().facts
    assert "nothing has trained yet" in notice(game)
    assert f"D calls {facts.real_right:.0%} of the real points real and {facts.fake_right:.0%}" in notice(game)
    assert facts.near_blind and (f"its P(real) is between {facts.p_low:.2f} and {facts.p_high:.2f} everywhere: "
                                 "random weights, just under ½") in notice(game)  # 0.40 to 0.48 on seed 0
    assert "only G moves, its points along the arrows" not in notice(game)
    assert frame(game).count('src="data:image/svg+xml,') == 1 and f"drawn {facts.arrow_scale:g} × the gradient" \
        in frame(game)
    assert [b.label for b in game.button if b.key and b.key.startswith("steps-")] == [
        "Step D", "Step G", "Step both", "Play", "Reset"]


def test_step_g_moves_only_g_along_its_arrows(game):
    d_before = [p.detach().clone() for p in stepper(game).model.D.parameters()]
    game.button(key="steps-g").click().run()
    assert shown(game) == (0, 1)
    facts = stepper(game).view().facts
    assert facts.cosine > 0.8
    assert "moved G alone" in notice(game) and f"cosine {facts.cosine:.2f}" in notice(game)
    assert "along the arrows drawn before it" in notice(game) and "J·Δθ" not in notice(game)
    for _ in range(20):  # twenty G steps later the points no longer follow their arrows
        stepper(game).step_g(1e-3)
    game.button(key="steps-g").click().run()
    facts = stepper(game).view().facts
    assert facts.cosine < 0.5 and f"cosine {facts.cosine:.2f}" in notice(game)
    assert "each point moves by J·Δθ" in notice(game) and "about lr·sign(g)" in notice(game)
    assert "momentum" not in notice(game) and "drawn before it (cosine" in notice(game)
    assert all((a == b).all() for a, b in zip(d_before, stepper(game).model.D.parameters()))


def test_step_d_moves_only_d_and_step_both_moves_d_then_g(game):
    game.button(key="steps-d").click().run()
    assert shown(game) == (1, 0)
    facts = stepper(game).view().facts
    assert "moved D alone" in notice(game) and f"fell from {facts.d_loss_before:.3f} to {facts.d_loss:.3f}" in notice(
        game)
    game.button(key="steps-both").click().run()
    assert shown(game) == (2, 1) and "D moved first" in notice(game)


def test_each_players_learning_rate_goes_on_from_the_same_game(game):
    game.button(key="steps-both").click().run()
    before = stepper(game)
    game.select_slider(key="steps-d-lr").set_value(1e-2).run()
    game.select_slider(key="steps-g-lr").set_value(1e-4).run()
    assert stepper(game) is before and shown(game) == (1, 1)
    game.button(key="steps-both").click().run()
    groups = stepper(game).optimizer.param_groups
    assert (groups[0]["lr"], groups[1]["lr"]) == (1e-4, 1e-2) and shown(game) == (2, 2)


def test_new_data_a_new_loss_or_reset_start_a_new_game(game):
    game.button(key="steps-both").click().run()
    game.selectbox(key="steps-data").set_value("moons").run()
    assert shown(game) == (0, 0) and stepper(game).duel.data == "moons"
    game.radio(key="steps-loss").set_value("minimax").run()
    assert stepper(game).duel.g_loss == "minimax" and "(once D cannot tell, D 1.39 and G -0.69" in notice(game)
    game.button(key="steps-g").click().run()
    before = stepper(game)
    game.button(key="steps-reset").click().run()
    assert shown(game) == (0, 0) and stepper(game) is not before and stepper(game).duel == before.duel


def test_play_steps_both_players_until_it_stops_then_pauses(game, monkeypatch):
    monkeypatch.setattr(gan_steps, "MAX_STEPS", 4)
    game.select_slider(key="steps-speed").set_value(5).run()
    game.button(key="steps-toggle").click().run()
    assert not game.exception
    assert shown(game) == (4, 4) and not game.session_state[parts.PLAYING]
    assert game.button(key="steps-toggle").label == "Play" and game.button(key="steps-toggle").disabled
    assert any("Play stops after 4 updates" in i.value for i in game.info)

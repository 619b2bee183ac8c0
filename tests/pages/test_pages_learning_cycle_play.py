"""AppTest of the learning-cycle page's section 5: play, pause and step a network, and look inside it."""
import re

import pytest
from streamlit.testing.v1 import AppTest

from core import playground
from ui.lesson_map import APP_ROOT
from ui.parts import learning_cycle_play as parts

SECTION = "learning_cycle-section-5"  # ui/tour.section_key: opens only this section


@pytest.fixture
def play() -> AppTest:
    at = AppTest.from_file(str(APP_ROOT / "pages" / "2_Learning_cycle.py"), default_timeout=60)
    at.query_params[SECTION] = "true"
    at.run()
    assert not at.exception, at.exception
    return at


def frame(at: AppTest) -> str:
    return next(h.proto.body for h in at.get("html") if "play-frame" in h.proto.body)


def shown(at: AppTest) -> tuple[int, int, int]:
    """(epoch, iteration, points of the epoch under way) as the frame's status line says them."""
    text = re.sub("<[^>]+>", "", frame(at))
    epoch = int(re.search(r"Epoch (\d+)", text).group(1))
    under_way = re.search(r"\+ (\d+) of \d+ points", text)
    iterations = int(re.search(r"([\d,]+) updates", text).group(1).replace(",", ""))
    return epoch, iterations, int(under_way.group(1)) if under_way else 0


def player(at: AppTest) -> playground.Player:
    return at.session_state[parts.PLAYER]


def notice(at: AppTest) -> str:
    return next(i.value for i in at.info if i.value.startswith("**What to notice:**") and "network" in i.value)


def test_the_section_opens_on_an_untrained_network_with_its_numbers(play):
    assert shown(play) == (0, 0, 0)
    facts = player(play).view().facts
    assert f"classifies {facts.train_accuracy:.0%} of its {facts.n_train} training points" in notice(play)
    assert f"gets {facts.line_accuracy:.0%}" in notice(play)
    body = frame(play)
    assert body.count('class="play-map"') == 1 and body.count('class="play-hidden"') == 1
    assert "Hidden space: the last hidden layer&#x27;s 2 outputs" in body or "last hidden layer's 2 outputs" in body
    assert [b.label for b in play.button if b.key and b.key.startswith("play-")] == [
        "Play", "Step one batch", "Step one epoch", "Reset"]


def test_stepping_a_batch_then_the_rest_of_the_epoch(play):
    play.button(key="play-step-batch").click().run()
    assert shown(play) == (0, 1, 10)
    assert play.button(key="play-step-epoch").label == "Finish this epoch"
    play.button(key="play-step-epoch").click().run()
    n = player(play).view().facts.n_train
    assert shown(play) == (1, -(-n // 10), 0)  # ceil(n / 10) updates make the epoch
    assert play.button(key="play-step-epoch").label == "Step one epoch"
    facts = player(play).view().facts
    assert f"after {facts.iteration:,} updates (1 full epoch) the network classifies" in notice(play)


def test_a_new_learning_rate_or_batch_size_goes_on_from_the_same_weights(play):
    play.button(key="play-step-epoch").click().run()
    before = player(play)
    weights = before.net_module.flat.clone()
    play.select_slider(key="play-lr").set_value(0.3).run()
    play.select_slider(key="play-batch").set_value(32).run()
    assert player(play) is before and (player(play).net_module.flat == weights).all()
    play.button(key="play-step-batch").click().run()
    assert shown(play) == (1, -(-before.view().facts.n_train // 10) + 1, 32)  # one batch of 32 more


def test_a_new_feature_or_layer_starts_a_new_network(play):
    play.button(key="play-step-epoch").click().run()
    play.pills(key="play-features").set_value(["x1", "x2", "x1²"]).run()
    assert shown(play) == (0, 0, 0) and player(play).net.features == ("x1", "x2", "x1²")
    assert player(play).view().weights[0].shape == (3, 6)
    play.selectbox(key="play-hidden").set_value("8, 8").run()
    assert [w.shape for w in player(play).view().weights] == [(3, 8), (8, 8), (8, 1)]
    assert "first two principal components" in frame(play)


def test_no_feature_is_explained_and_trains_on_x1_and_x2(play):
    play.pills(key="play-features").set_value([]).run()
    assert any("at least one input feature" in w.value for w in play.warning)
    assert player(play).net.features == ("x1", "x2")


def test_play_trains_whole_epochs_until_it_stops_then_pauses(play, monkeypatch):
    monkeypatch.setattr(playground, "MAX_EPOCHS", 6)
    play.button(key="play-toggle").click().run()
    assert not play.exception
    assert shown(play)[0] == 6 and not play.session_state[parts.PLAYING]
    assert play.button(key="play-toggle").label == "Play" and play.button(key="play-toggle").disabled
    assert any("Play stops at epoch 6" in i.value for i in play.info)


def test_a_blown_up_loss_is_explained_and_stops_the_buttons(play):
    play.select_slider(key="play-lr").set_value(100.0).run()
    play.button(key="play-step-epoch").click().run()
    assert any("loss blew up" in e.value for e in play.error)
    assert play.button(key="play-step-batch").disabled and play.button(key="play-toggle").disabled
    play.button(key="play-reset").click().run()
    assert shown(play) == (0, 0, 0) and not play.error


def test_one_neuron_with_squared_features_solves_circles_and_the_notice_says_why(play, monkeypatch):
    monkeypatch.setattr(playground, "MAX_EPOCHS", 100)
    play.selectbox(key="play-dataset").set_value("circles").run()
    play.pills(key="play-features").set_value(["x1²", "x2²"]).run()
    play.selectbox(key="play-hidden").set_value("none").run()
    play.select_slider(key="play-lr").set_value(0.3).run()
    play.button(key="play-toggle").click().run()
    facts = player(play).view().facts
    assert facts.epoch == 100 and facts.train_accuracy >= 0.95 and facts.line_accuracy <= 0.7
    said = notice(play)
    assert f"classifies {facts.train_accuracy:.0%} of its {facts.n_train} training points" in said
    assert "a straight line in features such as x1², x2² is no straight line in the (x1, x2) plane" in said
    assert f"gets {facts.line_accuracy:.0%} of the training points right" in said


def test_regression_on_the_plane_plays_and_says_how_much_the_hidden_layers_beat_a_flat_plane(play, monkeypatch):
    monkeypatch.setattr(playground, "MAX_EPOCHS", 200)
    play.selectbox(key="play-dataset").set_value("bumps").run()
    play.selectbox(key="play-hidden").set_value("8, 8").run()
    assert "accuracy" not in frame(play) and "mean squared error train" in frame(play)
    assert "its prediction over the input plane" in frame(play) and "prediction and target: -1" in frame(play)
    play.button(key="play-toggle").click().run()
    facts = player(play).view().facts
    said = notice(play)
    assert f"mean squared error is {facts.train_loss:.4f}" in said and f"{facts.line_mse:.4f}" in said
    assert f"error is {facts.line_mse / facts.train_loss:.1f} times smaller" in said
    assert facts.line_mse / facts.train_loss > 1.5


def test_without_hidden_layers_the_hidden_space_is_the_features_and_one_feature_is_a_threshold(play):
    play.selectbox(key="play-hidden").set_value("none").run()
    assert "its input features (x: x1, y: x2)" in frame(play)
    play.pills(key="play-features").set_value(["x1²"]).run()
    play.button(key="play-step-epoch").click().run()
    assert "its input features (x: x1²)" in frame(play)
    assert "only draws a single threshold (a point on that one axis) in the features it is given" in notice(play)

"""The network to play with (core/playground.py), checked with numbers: its steps equal torch.optim.SGD on an
nn.Sequential fed the same batches, its unit maps and hidden space equal a forward pass written out by hand, and
the claims of its sentence hold across seeds."""
import io
import math
import re
import urllib.parse
import xml.dom.minidom

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from core import data, playground as pg
from core.charts import network, raster, theme
from core.device import generator
from core.models import build_mlp

FEATURE_VALUES = {  # (x1, x2) = (0.5, -2)
    "x1": 0.5, "x2": -2.0, "x1²": 0.25, "x2²": 4.0, "x1·x2": -1.0, "sin x1": math.sin(0.5), "sin x2": math.sin(-2.0),
}


def test_the_features_are_playgrounds():
    x = torch.tensor([[0.5, -2.0]])
    got = pg.features(tuple(pg.FEATURES), x)[0]
    assert got.tolist() == pytest.approx(list(FEATURE_VALUES.values()), abs=1e-6)


@pytest.mark.parametrize("bad", [
    dict(features=()), dict(features=("x3",)), dict(features=("x1", "x1")), dict(widths=(9,)),
    dict(widths=(2,) * 5), dict(widths=(0,)), dict(dataset="wine"), dict(n_samples=5), dict(activation="nope"),
])
def test_impossible_networks_are_refused(bad):
    with pytest.raises(ValueError):
        pg.PlayNet(**bad)


def _sequential_replay(net: pg.PlayNet, steps: list[tuple[str, float, int | None]]) -> torch.nn.Module:
    """The same steps by nn.Sequential, BCE-with-logits, loss.backward() and torch.optim.SGD: batches drawn from
    one torch.randperm per epoch of one seeded generator, in order, a step's batch size from where the last ended."""
    ds = data.load(net.data_config())
    x, y = pg.features(net.features, ds.x_train), ds.y_train.float()
    model = build_mlp(net.spec(), generator(net.seed))
    shuffler, order, cursor = generator(net.seed), None, 0
    for how, lr, batch in steps:
        opt = torch.optim.SGD(model.parameters(), lr=lr)
        batch = len(x) if batch is None else batch
        while True:
            if cursor == 0:
                order = torch.randperm(len(x), generator=shuffler)
            idx = order[cursor : cursor + batch]
            opt.zero_grad()
            F.binary_cross_entropy_with_logits(model(x[idx])[:, 0], y[idx]).backward()
            opt.step()
            cursor += len(idx)
            if cursor >= len(x):
                cursor = 0
                break
            if how == "batch":
                break
    return model


def test_steps_equal_torch_optim_sgd_with_the_same_batches_and_settings_changed_between_them():
    net = pg.PlayNet(n_samples=100, widths=(4, 2))
    steps = [("batch", 0.1, 10), ("batch", 0.3, 10), ("epoch", 0.3, 7), ("epoch", 1.0, None), ("batch", 0.03, 16),
             ("epoch", 0.1, 5)]
    player = pg.Player(net)
    for how, lr, batch in steps:
        (player.step_batch if how == "batch" else player.step_epoch)(lr, batch)
    model = _sequential_replay(net, steps)
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    for layer, linear in enumerate(linears):
        assert torch.allclose(player.net_module.W[layer][0], linear.weight.T, atol=1e-5)
        assert torch.allclose(player.net_module.b[layer][0, 0], linear.bias, atol=1e-5)
    n = 70  # 70% of 100 train
    # two single batches (20 points), the rest of that epoch in 7s (50 points: 8 steps), a full batch, one batch of
    # 16, and the rest of that epoch in 5s (54 points: 11 steps)
    assert (player.epoch, player.cursor, player.iteration) == (3, 0, 2 + math.ceil((n - 20) / 7) + 1 + 1 + 11)


def test_counters_follow_batches_and_epochs():
    player = pg.Player(pg.PlayNet())
    n = player.view().facts.n_train
    for _ in range(3):
        player.step_batch(0.1, 10)
    assert (player.epoch, player.cursor, player.iteration) == (0, 30, 3)
    player.step_epoch(0.1, 10)  # the rest of epoch 1
    assert (player.epoch, player.cursor, player.iteration) == (1, 0, 3 + math.ceil((n - 30) / 10))
    player.step_epoch(0.1, 10, epochs=4)
    assert (player.epoch, player.iteration) == (5, 3 + math.ceil((n - 30) / 10) + 4 * math.ceil(n / 10))
    history = player.history()
    assert sorted(history.epoch.unique())[:4] == pytest.approx([0, 10 / n, 20 / n, 30 / n])
    assert set(history.metric) == {"loss", "accuracy"} and set(history.split) == {"train", "validation"}


def _by_hand(player: pg.Player, x: torch.Tensor) -> list[torch.Tensor]:
    """Each layer's output for the points x (features already made), written out: a = tanh(a W + b)."""
    outs, a = [x], x
    W, b = player.net_module.W, player.net_module.b
    for layer in range(len(W)):
        z = a @ W[layer][0] + b[layer][0, 0]
        a = torch.tanh(z) if layer < len(W) - 1 else torch.sigmoid(z)
        outs.append(a)
    return outs


@pytest.mark.parametrize("widths", [(6, 2), (8, 8), (3,)])
def test_unit_maps_and_hidden_space_equal_a_forward_pass_by_hand(widths):
    player = pg.Player(pg.PlayNet(features=("x1", "x2", "x1·x2"), widths=widths))
    player.step_epoch(0.3, 10, epochs=20)
    view = player.view()
    layers = _by_hand(player, player.x_grid)
    inputs = layers[0] / layers[0].abs().amax(dim=0)
    assert np.allclose(view.maps[0], (inputs.numpy() + 1) / 2, atol=1e-6)
    for hidden, drawn in zip(layers[1:-1], view.maps[1:-1]):
        assert np.allclose(drawn, (hidden.numpy() + 1) / 2, atol=1e-5)  # tanh's -1..1 onto 0..1
    assert np.allclose(view.maps[-1][:, 0], layers[-1][:, 0].numpy(), atol=1e-5)
    assert np.allclose(view.grid.p, layers[-1][:, 0].numpy(), atol=1e-5)
    assert [w.shape for w in view.weights] == list(zip((3, *widths), (*widths, 1)))
    points = torch.cat([player.x, player.x_val])
    last = _by_hand(player, points)[-2]  # what the output layer gets
    if widths[-1] == 2:
        assert np.allclose(view.hidden, last.numpy(), atol=1e-5) and view.hidden_axes == ("unit 1", "unit 2")
    elif widths[-1] > 2:
        centred = (last - last.mean(dim=0)).double()
        _, s, v = torch.linalg.svd(centred, full_matrices=False)
        expected = (centred @ v[:2].T).numpy()
        signs = np.sign((view.hidden * expected).sum(axis=0))  # a principal axis is defined up to its sign
        assert np.allclose(view.hidden, expected * signs, atol=1e-4)
        assert view.facts.spread_kept == pytest.approx(float((s[:2] ** 2).sum() / (s**2).sum()), abs=1e-5)
        assert view.hidden_axes == ("PC1", "PC2") and view.facts.projected
    else:
        assert np.allclose(view.hidden[:, 0], last[:, 0].numpy(), atol=1e-5) and not view.hidden[:, 1].any()


def test_the_hidden_map_is_the_output_layer_on_that_plane():
    player = pg.Player(pg.PlayNet(widths=(4, 2)))
    player.step_epoch(0.3, 10, epochs=30)
    view = player.view()
    plane = data.plane_grid(view.hidden_box, pg.HIDDEN_CELLS).float()
    W, b = player.net_module.W[-1][0], player.net_module.b[-1][0, 0]
    assert np.allclose(view.hidden_p, torch.sigmoid(plane @ W + b)[:, 0].numpy(), atol=1e-6)
    # the output neuron's decision in hidden space is a straight line: the points it puts in class 1 are those on
    # the map's orange side, and their share of right answers is the train accuracy
    train = view.points.split.to_numpy() == "train"
    predicted = (torch.from_numpy(view.hidden[train]) @ W + b)[:, 0] > 0
    accuracy = (predicted.numpy() == view.points.label.to_numpy()[train]).mean()
    assert accuracy == pytest.approx(view.facts.train_accuracy, abs=1e-6)


def test_hidden_axes_keep_their_direction_from_frame_to_frame():
    player = pg.Player(pg.PlayNet(widths=(8,)))
    player.step_epoch(0.3, 10, epochs=50)
    before = player.view().hidden
    player.step_batch(0.001, 10)  # the weights hardly move: neither may the picture
    after = player.view().hidden
    assert np.abs(after - before).max() < 0.05


@pytest.mark.parametrize("seed", range(5))
def test_one_neuron_with_squared_features_solves_circles_and_without_them_cannot(seed):
    with_squares = pg.Player(pg.PlayNet(dataset="circles", features=("x1²", "x2²"), widths=(), seed=seed))
    plain = pg.Player(pg.PlayNet(dataset="circles", features=("x1", "x2"), widths=(), seed=seed))
    for player in (with_squares, plain):
        player.step_epoch(0.3, 10, epochs=100)
    assert with_squares.view().facts.train_accuracy >= 0.95
    assert plain.view().facts.train_accuracy <= 0.7
    hidden = pg.Player(pg.PlayNet(dataset="circles", features=("x1", "x2"), widths=(4,), seed=seed))
    hidden.step_epoch(0.3, 10, epochs=200)
    assert hidden.view().facts.train_accuracy >= 0.95  # the same inputs, with a hidden layer


@pytest.mark.parametrize("seed", range(5))
def test_the_default_network_untangles_the_moons_beyond_any_straight_line(seed):
    """The default settings' sentence after 300 epochs of play: the net beats the best straight line in the plane."""
    player = pg.Player(pg.PlayNet(seed=seed))
    player.step_epoch(0.1, 10, epochs=300)
    facts = player.view().facts
    assert facts.line_accuracy <= 0.9
    assert facts.train_accuracy >= facts.line_accuracy + 0.05 and facts.val_accuracy >= 0.9


def test_a_blown_up_loss_stops_the_network():
    player = pg.Player(pg.PlayNet(widths=(8, 8)))
    player.step_epoch(100.0, 10, epochs=5)
    assert player.diverged and player.done
    epoch, iteration = player.epoch, player.iteration
    player.step_epoch(0.1, 10)
    player.step_batch(0.1, 10)
    assert (player.epoch, player.iteration) == (epoch, iteration)


@pytest.mark.parametrize("lr, batch", [(0.0, 10), (-1.0, 10), (float("nan"), 10), (101.0, 10), (0.1, 0)])
def test_impossible_steps_are_refused(lr, batch):
    with pytest.raises(ValueError):
        pg.Player(pg.PlayNet(n_samples=50)).step_batch(lr, batch)


def _png(data_url_or_bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data_url_or_bytes)).convert("RGB"))


def test_the_tiles_are_the_maps_in_the_decision_maps_colours():
    maps = [np.random.default_rng(0).random((16, 3)), np.linspace(0, 1, 16)[:, None]]
    strip = _png(network.tiles_png(maps, 4))
    assert strip.shape == (4, 16, 3)
    first = maps[0][:, 0].reshape(4, 4)[::-1]  # x2 up
    assert (strip[:, :4] == raster.colours(first)).all()
    half = _png(network.tiles_png(maps, 4, stride=2))
    assert half.shape == (2, 8, 3) and (half[:, :2] == raster.colours(first[::2, ::2])).all()


def test_line_widths_follow_the_weights_sizes():
    widths = network.line_widths([np.array([[1.0, -2.0]]), np.array([[4.0], [-0.01]])], tile=10)
    assert widths[1][0, 0] == pytest.approx(network.MAX_LINE * 10)
    assert widths[0][0, 1] == pytest.approx(network.MAX_LINE * 10 / 2)
    assert widths[1][1, 0] == pytest.approx(network.MAX_LINE * 10 / 6)  # never thinner than a hairline


def test_the_drawing_refuses_weights_that_do_not_connect_its_units():
    maps = [np.zeros((4, 2)), np.zeros((4, 1))]
    with pytest.raises(ValueError):
        network.network_svg(maps, [np.zeros((3, 1))], [["a", "b"]], 2, ["in", "out"], "net")
    drawn = network.network_svg(maps, [np.array([[1.0], [-1.0]])], [["a", "b"]], 2, ["in", "out"], "net", stride=1)
    svg = xml.dom.minidom.parseString(urllib.parse.unquote(re.search(r'src="data:image/svg\+xml,([^"]*)"', drawn)[1]))
    lines = svg.getElementsByTagName("line")
    assert [line.getAttribute("stroke") for line in lines] == [theme.ORANGE, theme.BLUE]  # +1 orange, -1 blue
    assert len(svg.getElementsByTagName("use")) == 3  # a tile per unit, each a window onto the one strip
    assert [t.firstChild.data for t in svg.getElementsByTagName("text")] == ["in", "out", "a", "b"]


def test_a_plane_picture_puts_each_point_where_it_lies_in_its_colour():
    box = (0.0, 3.0, 0.0, 2.6)
    p = np.full(100, 0.5)
    picture = _png(network.plane_png(p, 10, box, np.array([1.0]), np.array([1.3]), np.array([1]), np.array([True])))
    assert picture.shape == (network.PLANE[1], network.PLANE[0], 3)
    assert tuple(picture[130, 100]) == tuple(bytes.fromhex("E69F00"))  # the point: (1, 1.3) at 100 px, 130 px
    assert tuple(picture[10, 10]) == tuple(raster.colours(np.array(0.5)))  # the map elsewhere
    hollow = _png(network.plane_png(p, 10, box, np.array([1.0]), np.array([1.3]), np.array([0]), np.array([False])))
    assert tuple(hollow[130, 100]) == (255, 255, 255)
    assert tuple(hollow[130, 100 + int(network.RADIUS)]) == tuple(bytes.fromhex("0072B2"))  # its outline


@pytest.mark.parametrize("seed", range(5))
def test_hidden_layers_fit_the_bumps_that_a_flat_plane_cannot_and_the_slope_needs_none(seed):
    """Regression on the plane (slide 26): a flat plane (linear regression) misses the bump and the dip; the
    default hidden layers fit them several times better; on the slope a single output unit already does as well."""
    bumps = pg.Player(pg.PlayNet(dataset="bumps", widths=(8, 8), seed=seed))
    bumps.step_epoch(0.1, 10, epochs=300)
    facts = bumps.view().facts
    assert facts.line_mse >= 3 * facts.train_loss and math.isnan(facts.train_accuracy)
    slope = pg.Player(pg.PlayNet(dataset="slope", widths=(), seed=seed))
    slope.step_epoch(0.1, 10, epochs=100)
    assert slope.view().facts.train_loss <= 1.1 * slope.view().facts.line_mse


def test_a_regression_output_is_drawn_on_its_minus_one_to_one_scale():
    player = pg.Player(pg.PlayNet(dataset="bumps", widths=(4, 2)))
    player.step_epoch(0.1, 10, epochs=20)
    view = player.view()
    out = _by_hand_linear(player, player.x_grid)
    assert np.allclose(view.grid.p, (out.clamp(-1, 1) + 1).numpy() / 2, atol=1e-5)
    assert set(player.history().metric) == {"loss"}
    assert view.points.label.between(-1.5, 1.5).all() and view.points.label.dtype.kind == "f"


def _by_hand_linear(player: pg.Player, x: torch.Tensor) -> torch.Tensor:
    a = x
    W, b = player.net_module.W, player.net_module.b
    for layer in range(len(W)):
        a = a @ W[layer][0] + b[layer][0, 0]
        if layer < len(W) - 1:
            a = torch.tanh(a)
    return a[:, 0]


@pytest.mark.parametrize("dataset, widths", [("bumps", (6, 2)), ("bumps", (8, 8, 8)), ("slope", (8,)),
                                             ("moons", (8, 8, 8))])
def test_a_network_that_blew_up_is_still_drawn(dataset, widths):
    """Chromium review: a regression at lr 100 raised in the SVD of NaN hidden outputs and in the lines' widths."""
    from ui.parts import learning_cycle_play

    player = pg.Player(pg.PlayNet(dataset=dataset, widths=widths))
    player.step_epoch(100.0, 10, epochs=3)
    assert player.diverged
    view = player.view()
    assert np.isfinite(view.hidden).all() and np.isfinite(view.hidden_box).all()
    assert "<img" in learning_cycle_play.frame_html(view, player.net)

"""A convolution worked by hand (issue 22): every hand-worked cell equals PyTorch's own convolution and pooling."""
from itertools import product

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F

from core.models import build_mlp
from core.zoo import cnn, convolution
from core.zoo.source import Source

SETTINGS = list(product(range(1, 6), range(1, 4), range(3), range(1, 4)))  # every (k, s, p, d) the explorer offers


def _fits(n, k, p, d) -> bool:
    return d * (k - 1) + 1 <= n + 2 * p


def test_the_output_size_formula_is_conv2ds_shape_and_nothing_fits_is_a_value_error():
    """All 135 settings of the explorer on inputs of side 4 to 12: the formula of PyTorch's docs against F.conv2d."""
    fitting = 0
    for n, (k, s, p, d) in product((4, 8, 12), SETTINGS):
        x, w = torch.zeros(1, 1, n, n), torch.zeros(1, 1, k, k)
        if _fits(n, k, p, d):
            fitting += 1
            assert convolution.output_side(n, k, s, p, d) == F.conv2d(x, w, stride=s, padding=p, dilation=d).shape[-1]
        else:
            with pytest.raises(ValueError, match=f"spans {d * (k - 1) + 1} pixels, more than the {n + 2 * p}"):
                convolution.output_side(n, k, s, p, d)
            with pytest.raises(RuntimeError):  # PyTorch refuses it too
                F.conv2d(x, w, stride=s, padding=p, dilation=d)
    assert fitting < 3 * len(SETTINGS)  # some settings of the 4 x 4 input fit nothing: both branches were checked


@pytest.mark.parametrize("k, s, p, d", [c for c in SETTINGS if _fits(8, c[0], c[2], c[3])])
def test_every_hand_worked_cell_is_conv2ds_output(k, s, p, d):
    """Three input channels, random weights and bias: each output cell by hand equals F.conv2d to 1e-5."""
    g = torch.Generator().manual_seed(k * 100 + s * 10 + p + d)
    x, w, b = torch.randn(3, 8, 8, generator=g), torch.randn(3, k, k, generator=g), float(torch.randn(1, generator=g))
    out = F.conv2d(x[None], w[None], torch.tensor([b]), stride=s, padding=p, dilation=d)[0, 0]
    side = convolution.output_side(8, k, s, p, d)
    for row, col in product(range(side), range(side)):
        hand = convolution.hand_cell(x, w, b, row, col, s, p, d)
        assert hand.value == pytest.approx(float(out[row, col]), abs=1e-5)
        assert hand.weighted_sum == pytest.approx(float(hand.channel_sums.sum()), abs=1e-5)
        assert np.allclose(hand.products, hand.window * hand.weight)
        assert hand.rows == tuple(row * s + d * i for i in range(k))  # d apart, `s` further per output row


def test_the_window_counts_its_padding():
    x = torch.ones(2, 8, 8)
    corner = convolution.hand_cell(x, torch.ones(2, 3, 3), 0.0, 0, 0, padding=1)
    assert corner.in_padding == 2 * 5 and corner.weighted_sum == 2 * 4  # 5 of 9 outside, per channel
    assert convolution.hand_cell(x, torch.ones(2, 3, 3), 0.0, 1, 1, padding=1).in_padding == 0


def _random_cnn(seed: int) -> cnn.Trained:
    """A CNN of the shipped shape with PyTorch's default init drawn from `seed`: the sums hold for any weights."""
    recipe = cnn.Recipe(seed=seed)
    g = torch.Generator().manual_seed(seed)
    states = {"CNN": {k: v.numpy() for k, v in cnn.build(recipe, g).state_dict().items()},
              "MLP": {k: v.numpy() for k, v in build_mlp(cnn.matched_mlp(recipe)).state_dict().items()}}
    return cnn.Trained(recipe, pd.DataFrame(), states, False, 0.0)


CELLS = [(1, 0, 0), (1, 7, 7), (1, 3, 4), (1, 0, 5), (2, 0, 0), (2, 3, 3), (2, 1, 2)]  # layer, row, col


@pytest.mark.parametrize("seed", range(5))
def test_a_clicked_cell_is_the_layers_own_output_and_its_pooling_the_models(seed):
    trained = _random_cnn(seed)
    features = trained.networks()[0].features
    for layer, row, col in CELLS:
        channel = (seed + row) % trained.recipe.filters[layer - 1]
        cfg = convolution.Cell(Source("cnn", trained.recipe), image=seed * 7, layer=layer, channel=channel,
                               row=row, col=col)
        f = convolution.cell(cfg, trained).facts
        x = cnn.digits().x_val[seed * 7 : seed * 7 + 1]
        below = features[:3](x) if layer == 2 else x  # conv2 reads conv1's pooled maps
        conv = features[0 if layer == 1 else 3]
        expected = F.conv2d(below, conv.weight, conv.bias, padding=1)  # (1, maps, side, side)
        assert f.pre_activation == pytest.approx(float(expected[0, channel, row, col]), abs=1e-5)
        assert f.model_output == pytest.approx(f.pre_activation, abs=1e-5)
        assert f.relu_output == max(f.pre_activation, 0.0)
        pooled = F.max_pool2d(torch.relu(expected), 2)[0, channel, row // 2, col // 2]
        assert f.pool_max == pytest.approx(float(pooled), abs=1e-6)
        assert f.model_pooled == pytest.approx(f.pool_max, abs=1e-6)
        assert (f.pool_row, f.pool_col, f.pool_top, f.pool_left) == (row // 2, col // 2, row // 2 * 2, col // 2 * 2)
        assert f.in_channels == (1 if layer == 1 else trained.recipe.filters[0]) and f.kernel_side == 3
        assert f.cell_is_pool_max == (float(torch.relu(expected)[0, channel, row, col]) >= f.pool_max)


def test_the_cells_tables_are_the_numbers_worked():
    trained = cnn.shipped()
    result = convolution.cell(convolution.Cell(layer=2, channel=5, row=0, col=3), trained)
    f = result.facts
    assert f.in_channels == 8 and f.map_side == 4 and (f.top, f.left) == (-1, 2)
    assert f.in_padding == 8 * 5  # the top row and the right column of a corner window, in each of 8 maps
    products = result.worked[result.worked.quantity == "products"]
    assert len(products) == 8 * 9 and products.value.sum() == pytest.approx(f.weighted_sum, abs=1e-5)
    assert result.channel_sums["sum of products"].sum() == pytest.approx(f.weighted_sum, abs=1e-5)
    assert set(result.worked.grid) >= {"map 0: input window", "map 7: products"}
    inputs = result.inputs
    assert len(inputs) == 8 * 6 * 6 and inputs.marked.sum() == 8 * 9 and inputs[inputs.padding].value.eq(0).all()
    assert result.feature_map.marked.sum() == 1 and len(result.pool_window) == 4
    assert result.pool_window.value.max() == pytest.approx(f.pool_max)
    first = convolution.cell(convolution.Cell(layer=1), trained)
    assert first.facts.in_channels == 1 and len(first.inputs) == 10 * 10 and set(first.worked.grid) == set(
        convolution.QUANTITIES)


@pytest.mark.parametrize("fields, words", [
    ({"layer": 3}, "conv layer 1 or 2"), ({"image": 10**6}, "validation image"), ({"row": -1}, "counted from 0")])
def test_bad_cells_are_refused_with_a_sentence(fields, words):
    with pytest.raises(ValueError, match=words):
        convolution.Cell(**fields)


@pytest.mark.parametrize("fields, words", [({"channel": 8}, "makes 8 feature maps"),
                                           ({"layer": 2, "row": 4}, "are 4 × 4")])
def test_a_cell_outside_the_layer_is_refused_by_the_view(fields, words):
    with pytest.raises(ValueError, match=words):
        convolution.cell(convolution.Cell(**fields), cnn.shipped())


@pytest.mark.parametrize("picture", convolution.PICTURES)
@pytest.mark.parametrize("name", convolution.KERNELS)
def test_the_explorer_works_a_cell_of_conv2d_for_every_picture_and_kernel(picture, name):
    for k, s, p, d in ((3, 1, 0, 1), (2, 2, 1, 1), (5, 1, 2, 2), (3, 3, 2, 3)):
        side = convolution.output_side(8, k, s, p, d)
        cfg = convolution.Explorer(picture, name, k, s, p, d, row=side - 1, col=side // 2)
        result = convolution.explore(cfg)
        f = result.facts
        assert f.out_side == f.torch_side == side and len(result.output) == side * side
        assert f.hand_value == pytest.approx(f.torch_value, abs=1e-5)
        flipped = F.conv2d(F.pad(convolution.picture(picture)[None, None], [p] * 4),
                           convolution.kernel(name, k).flip(0, 1)[None, None], stride=s, dilation=d)
        assert f.flipped_value == pytest.approx(float(flipped[0, 0, side - 1, side // 2]), abs=1e-5)
        assert f.numerator == 8 + 2 * p - d * (k - 1) - 1 and f.span == d * (k - 1) + 1
        assert result.padded.marked.sum() == k * k and len(result.padded) == (8 + 2 * p) ** 2


def test_conv2d_is_a_cross_correlation_the_kernel_not_flipped():
    """PyTorch's Conv2d docs: the layer computes a cross-correlation. An asymmetric kernel flipped changes the cell."""
    edge = convolution.explore(convolution.Explorer(kernel="vertical edge", row=3, col=3)).facts
    assert edge.hand_value == pytest.approx(edge.torch_value) == pytest.approx(-0.5625)
    assert edge.flipped_value == pytest.approx(0.5625)  # the true convolution: the sign of the edge flips
    blur = convolution.explore(convolution.Explorer(kernel="blur", row=3, col=3)).facts
    assert blur.flipped_value == pytest.approx(blur.hand_value)  # a symmetric kernel: the same either way


def test_the_kernels_do_what_their_names_say():
    square = convolution.picture("square")  # 1 in rows and columns 2-5
    out = F.conv2d(square[None, None], convolution.kernel("vertical edge", 3)[None, None])[0, 0]
    # the window at output (2, 0) covers rows 2-4: the square's left edge in 3 rows, its right edge at (2, 4)
    assert float(out[2, 0]) == 3.0 and float(out[2, 4]) == -3.0 and float(out[2, 2]) == 0.0
    assert torch.equal(convolution.kernel("horizontal edge", 3), convolution.kernel("vertical edge", 3).T)
    for k in range(1, 6):
        assert float(convolution.kernel("blur", k).sum()) == pytest.approx(1.0)
        assert float(convolution.kernel("sharpen", k).sum()) == pytest.approx(1.0)  # keeps a flat area as it is
        assert float(convolution.kernel("identity", k).sum()) == 1.0


@pytest.mark.parametrize("fields, words", [
    ({"kernel": "vertical edge", "k": 1}, "size of 2 or more"), ({"k": 6}, "kernel size must be between 1 and 5"),
    ({"stride": 0}, "stride must be between 1 and 3"), ({"padding": 3}, "padding must be between 0 and 2"),
    ({"dilation": 4}, "dilation must be between 1 and 3"), ({"k": 5, "dilation": 3}, "spans 13 pixels"),
    ({"row": 6}, "output is 6 × 6"), ({"picture": "cat"}, "No picture named"), ({"kernel": "emboss"}, "No kernel"),
])
def test_bad_explorer_settings_are_refused_with_a_sentence(fields, words):
    with pytest.raises(ValueError, match=words):
        convolution.Explorer(**fields)

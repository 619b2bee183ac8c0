"""Vanishing gradients, dead units and batch normalization, checked with numbers (core.gradients, core.normalization)."""
import numpy as np
import pytest
import torch
from torch import nn

from core import gradients as gr, normalization as nm
from core.device import generator
from core.models import MLPSpec, build_mlp


@pytest.fixture(scope="module")
def digits():
    return gr.load("digits")


def _norms(ds, activation: str, init: str, depth: int = 20) -> np.ndarray:
    model = build_mlp(MLPSpec(64, (32,) * depth, 10, activation, init), generator(0))
    return gr.gradient_norms(model, ds.x_train[: gr.PROBE_ROWS], ds.y_train[: gr.PROBE_ROWS])


def test_sigmoid_gradients_vanish_in_a_deep_net(digits):
    norms = _norms(digits, "sigmoid", "default")
    assert len(norms) == 21  # 20 hidden layers + the output layer
    assert norms[0] * 100 <= norms[-1]
    assert norms[0] * 1e6 <= norms[-1]  # in fact by many orders of magnitude


def test_relu_with_he_init_keeps_gradients_the_same_size(digits):
    norms = _norms(digits, "relu", "he")
    assert 0.1 <= norms[0] / norms[-1] <= 10


def test_gradient_norms_leave_no_gradients_behind(digits):
    model = build_mlp(MLPSpec(64, (8, 8), 10), generator(0))
    gr.gradient_norms(model, digits.x_train[:16], digits.y_train[:16])
    assert all(p.grad is None for p in model.parameters())


def _hook_count(model: nn.Module) -> int:
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) + len(m._backward_hooks) for m in model.modules())


def test_recording_hooks_are_removed_even_after_an_error():
    model = build_mlp(MLPSpec(4, (8, 8, 8), 2, "tanh", batch_norm=True), generator(0))
    with gr.recording(model) as seen:
        assert _hook_count(model) == 3  # one per activation module
        model(torch.randn(5, 4))
    assert len(seen) == 3 and seen[0][0].shape == (5, 8)
    assert _hook_count(model) == 0
    with pytest.raises(RuntimeError), gr.recording(model):
        model(torch.randn(5, 3))  # wrong input size
    assert _hook_count(model) == 0


def test_experiments_leave_no_hooks_on_the_networks_they_measure(monkeypatch):
    measured: list[nn.Module] = []
    real = gr.layer_values
    monkeypatch.setattr(gr, "layer_values", lambda model, *a, **k: (measured.append(model), real(model, *a, **k))[1])
    gr.gradient_flow(gr.GradientFlow(dataset="moons", depth=3, width=8, activations=("relu", "tanh"), epochs=2))
    assert len(measured) == 2 * 3  # each activation: initialization + 2 epochs
    assert all(_hook_count(m) == 0 for m in measured)


def test_leaky_relu_never_has_dead_units():
    z = torch.full((50, 16), -100.0)  # far below 0 for every row
    assert gr.dead_fraction(z, "leaky_relu") == 0.0
    assert gr.dead_fraction(z, "relu") == 1.0
    z[3, :4] = 0.5  # four units active on one row: alive
    assert gr.dead_fraction(z, "relu") == pytest.approx(12 / 16)


def test_relu_units_die_with_a_large_learning_rate_and_leaky_relu_ones_do_not():
    result = gr.dying_relu(gr.DyingRelu())  # the page's default: learning rate 1.0, bias 0
    t = result.table.set_index("activation")
    assert t.loc["ReLU", "dead units at the end"] > 0.3
    assert t.loc["ReLU", "dead units at the end"] > t.loc["ReLU", "dead units at initialization"] + 0.2  # they died
    assert (result.dead[result.dead.activation == "Leaky ReLU"].dead == 0).all()


def test_negative_bias_kills_relus_from_the_start(digits):
    model = gr.biased_mlp(MLPSpec(64, (32, 32), 10, "relu"), -1.0, generator(0))
    z = gr.layer_values(model, digits.x_val)[1][0]
    assert gr.dead_fraction(z, "relu") > 0.5
    assert float(model[-1].bias.detach().abs().max()) < 1  # the output layer keeps its own bias


def test_batch_norm_standardizes_a_hidden_layer_in_train_mode(digits):
    model = build_mlp(MLPSpec(64, (32,) * 6, 10, "sigmoid", "normal", batch_norm=True), generator(0))
    z = gr.layer_values(model, digits.x_train[:256], train_mode=True)[3][0]  # layer 4's activation inputs
    assert abs(float(z.mean())) < 0.1 and abs(float(z.std()) - 1) < 0.1
    plain = build_mlp(MLPSpec(64, (32,) * 6, 10, "sigmoid", "normal"), generator(0))
    z_plain = gr.layer_values(plain, digits.x_train[:256])[3][0]
    assert abs(float(z_plain.std()) - 1) > 0.5  # without batch norm nothing holds it there


@pytest.fixture(scope="module")
def grid():
    return nm.batch_norm_grid(nm.BatchNormGrid())


def test_batch_norm_trains_where_the_plain_net_does_not(grid):
    wins = [lr for lr in nm.BatchNormGrid().lrs if grid.accuracy[(lr, True)] > 0.7 and grid.accuracy[(lr, False)] < 0.3]
    assert wins, grid.table


def test_batch_norm_keeps_a_layer_input_in_place_while_the_plain_one_drifts(grid):
    d = nm.drift(grid.bands, 0.3, 4)
    assert d[True][0] < d[False][0]  # the median moves less
    assert abs(d[True][1] - 1) < abs(d[False][1] - 1)  # and the band keeps its width


def test_eval_mode_uses_running_statistics(grid):
    assert set(grid.modes.columns) >= {"batch mean (train mode)", "running mean (eval mode)"}
    assert not np.allclose(grid.modes["batch mean (train mode)"], grid.modes["running mean (eval mode)"])
    acc = grid.mode_accuracy
    assert acc["train mode, batches of 4"] < acc["eval mode (running statistics)"]
    assert grid.largest_change > 0.05


def test_gradient_flow_result_is_tidy_and_seeded():
    cfg = gr.GradientFlow(dataset="moons", depth=4, width=8, activations=("sigmoid", "relu"), epochs=2)
    a, b = gr.gradient_flow(cfg), gr.gradient_flow(cfg)
    assert set(a.grads.epoch) == {0, 1, 2} and set(a.grads.layer) == set(range(1, 6))
    assert set(a.stats.layer) == set(range(1, 5))
    shares = a.histograms.groupby(["activation", "layer", "epoch"]).share.sum()
    assert np.allclose(shares, 1)
    assert a.grads.equals(b.grads)


@pytest.mark.parametrize("kwargs, words", [
    (dict(depth=0), "depth"), (dict(depth=200), "depth"), (dict(width=1), "width"), (dict(width=10_000), "width"),
    (dict(activations=()), "activation"), (dict(init="zeros"), "initialization"), (dict(dataset="mnist"), "dataset"),
])
def test_bad_settings_are_explained(kwargs, words):
    with pytest.raises(ValueError, match=words):
        gr.GradientFlow(**kwargs)


def test_bad_grid_and_dying_settings_are_explained():
    with pytest.raises(ValueError, match="learning rate"):
        nm.BatchNormGrid(lrs=(0.1, 0.1))
    with pytest.raises(ValueError, match="bias"):
        gr.DyingRelu(bias=-10)

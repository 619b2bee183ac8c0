"""Vanishing gradients, dead units and batch normalization, checked with numbers (core.gradients,
core.normalization), and the facts the page's sentences are built from."""
import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from core import gradients as gr, normalization as nm
from core.device import generator
from core.models import MLPSpec, build_mlp


@pytest.fixture(scope="module")
def digits():
    return gr.dataset_of("digits")


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
    with pytest.raises(RuntimeError, match="shapes cannot be multiplied"), gr.recording(model):
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


def test_relu_units_die_with_large_adam_steps_and_leaky_relu_ones_do_not():
    result = gr.dying_relu(gr.DyingRelu(bias=0.0, lr=0.1))  # no negative bias: only the big steps kill them
    f = result.facts
    assert f.relu_dead_start < 0.1 and f.relu_dead_end > 0.5  # they died while training
    assert f.many_died and f.leaky_dead_end == 0
    leaky = result.dead[result.dead.activation == "Leaky ReLU"]
    assert len(leaky) and (leaky.dead == 0).all()


@pytest.fixture(scope="module")
def dying():
    return gr.dying_relu(gr.DyingRelu())  # the page's default: Adam at 0.03, every hidden bias -0.2


def test_dying_relu_default_shows_dead_relus_and_working_fixes(dying):
    f = dying.facts
    assert f.relu_dead_start > 0.5 and f.relu_dead_end > 0.5  # most ReLU units are dead from the start to the end
    assert f.relu_dead_layers >= 1  # a whole layer is dead: the output cannot depend on the input
    assert f.acc_relu < 0.2  # chance is 10%
    assert f.acc_leaky > 0.8 and f.acc_elu > 0.8  # the fixes learn (the old default left them at 10-20%)
    assert f.fixes_recover and f.leaky_dead_end == 0 and f.elu_dead_end == 0 and not f.dying_diverged


def test_dead_share_at_initialization_is_the_share_of_units_with_z_at_most_0_for_every_input(dying, digits):
    # Oracle: an explicit forward pass through the same initial net, counting units whose z <= 0 on every row.
    cfg = gr.DyingRelu()
    model = gr.biased_mlp(MLPSpec(64, (cfg.width,) * cfg.depth, 10, "relu"), cfg.bias, generator(cfg.seed))
    h, silent = digits.x_val, []
    for linear in [m for m in model if isinstance(m, nn.Linear)][:-1]:
        z = h @ linear.weight.detach().T + linear.bias.detach()
        silent.append((z <= 0).all(dim=0).float())
        h = z.clamp(min=0)
    assert dying.facts.relu_dead_start == pytest.approx(float(torch.cat(silent).mean()))


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
    f = grid.shift[(0.3, 4)]  # the page's default view
    assert not f.plain_diverged  # a drift, not a blow-up
    assert f.drift_plain > 0.02 and f.drift_post_bn < f.drift_plain
    assert abs(f.widen_post_bn - 1) < 0.1  # after the norm: re-centred and re-scaled by construction
    assert f.pre_bn_drifts_less == (f.drift_pre_bn < f.drift_plain)
    assert grid.shift[(3.0, 4)].plain_diverged  # the old walkthrough preset showed a blow-up


def test_covariate_shift_is_measured_before_the_norm_too(grid, digits):
    panels = set(grid.bands_of(0.3, 4).panel)
    assert panels == {nm.PLAIN, nm.BEFORE, nm.AFTER}
    # Oracle for the pre-norm input: the first Linear layer's output, computed by hand.
    model = build_mlp(MLPSpec(64, (8, 8), 10, "relu", batch_norm=True), generator(0))
    x = digits.x_train[:64]
    pre, post = nm.layer_inputs(model, x)
    assert torch.allclose(pre[0], model[0](x).detach().flatten())
    assert abs(float(post[0].mean())) < 1e-4 and abs(float(post[0].std()) - 1) < 0.05  # the norm's own output
    assert abs(float(pre[0].std()) - 1) > 0.2  # the pre-norm input is not standardized


def test_grid_facts_name_the_learning_rate_where_batch_norm_wins(grid):
    f = grid.facts
    assert f.bn_wins and f.win_acc_bn > f.win_acc_plain + nm.GRID_WIN
    assert f.win_lr == max(lr for lr in nm.BatchNormGrid().lrs
                           if grid.accuracy[(lr, True)] > grid.accuracy[(lr, False)] + nm.GRID_WIN)
    assert f.win_plain_diverged == ((f.win_lr, False) in grid.diverged)


def test_eval_mode_uses_running_statistics(grid):
    assert set(grid.modes.columns) >= {"batch mean (train mode)", "running mean (eval mode)"}
    assert not np.allclose(grid.modes["batch mean (train mode)"], grid.modes["running mean (eval mode)"])
    f = grid.mode_facts
    assert f.acc_batches_of_4 < f.acc_eval - nm.MODE_GAP and f.train_mode_worse
    assert f.largest_change > 0.05
    assert f.acc_eval == grid.mode_accuracy["eval mode (running statistics)"]


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
    with pytest.raises(ValueError, match="optimizer"):
        gr.DyingRelu(optimizer="lbfgs")


# Facts behind section 1 and 2's sentences ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def flow_he():
    return gr.gradient_flow(gr.GradientFlow(epochs=1))  # the page's default view (He), one epoch


@pytest.fixture(scope="module")
def flow_default():
    return gr.gradient_flow(gr.GradientFlow(init="default", epochs=1))


def test_sigmoid_derivatives_alone_shrink_the_gradient_by_at_least_the_bound(digits):
    # Each layer multiplies by sigma'(z) <= 0.25: along any path through 20 layers the derivatives leave at most
    # 0.25 ** 20 of the gradient (a bound on the shrinking from below, not "up to").
    model = build_mlp(MLPSpec(64, (32,) * 20, 10, "sigmoid", "he"), generator(0))
    zs = [z for z, _ in gr.layer_values(model, digits.x_val[:64])]
    largest = torch.stack([gr.activations.get("sigmoid").grad(z).max(dim=1).values for z in zs]).prod(dim=0)
    assert float(largest.max()) <= gr.SIGMOID_MAX_SLOPE ** 20


def test_the_weights_multiply_in_and_can_grow_or_shrink_the_gradient(flow_he, flow_default):
    he, default = flow_he.facts, flow_default.facts
    assert he.sigmoid_bound == default.sigmoid_bound == 0.25 ** 20
    assert he.ratio_sigmoid > 10 * he.sigmoid_bound  # He's large weights grew it back above the derivatives' bound
    assert default.ratio_sigmoid < default.sigmoid_bound / 10  # the default's small ones shrank it far below
    assert he.vanished == ("Sigmoid",) and he.worst == "Sigmoid"


def test_relu_keeps_its_gradient_with_he_initialization_not_with_the_default_one(flow_he, flow_default):
    for f in (flow_he.facts, flow_default.facts):  # measured on the side, whatever the run's own initialization
        assert 0.1 <= f.relu_he_ratio <= 10
        assert f.relu_default_ratio < 1e-3
    assert flow_he.facts.ratio_relu == flow_he.facts.relu_he_ratio
    assert flow_default.facts.ratio_relu == flow_default.facts.relu_default_ratio
    assert "ReLU" in flow_default.facts.vanished and "ReLU" not in flow_he.facts.vanished


def test_no_vanishing_in_a_shallow_net_is_a_fact_the_words_can_follow():
    f = gr.gradient_flow(gr.GradientFlow(dataset="moons", depth=2, width=8, epochs=1)).facts
    assert f.vanished == () and "Sigmoid" in f.activations_run  # so "use sigmoid" would be wrong advice here
    assert f.worst and f.worst_ratio >= gr.VANISHED


def test_collapse_needs_under_1_percent_of_the_spread_not_half():
    rows = [("A", 1, 0, 1.0), ("A", 3, 0, 0.4), ("B", 1, 0, 2.0), ("B", 3, 0, 1.9)]
    stats = pd.DataFrame(rows, columns=["activation", "layer", "epoch", "spread"])
    f = gr.spread_facts(stats, 3, 0)
    assert (f.spread_net, f.spread_share, f.shrank, f.collapsed) == ("A", 0.4, True, False)  # halved: not collapsed
    stats.loc[1, "spread"] = 0.005
    assert gr.spread_facts(stats, 3, 0).collapsed


def test_spread_is_measured_across_inputs(flow_he, flow_default):
    # Sigmoid with He initialization: every input gives the same last-layer output (spread ~1e-8 of layer 1's).
    assert flow_he.spread[0].spread_net == "Sigmoid" and flow_he.spread[0].collapsed
    relu = flow_he.stats_at(0)[flow_he.stats_at(0).activation == "ReLU"].set_index("layer").spread
    assert relu[20] > gr.COLLAPSED * relu[1]  # He keeps ReLU's inputs apart
    assert flow_default.spread[0].collapsed
    assert len(flow_he.spread) == flow_he.epochs + 1


def test_a_normal_init_explosion_is_measured_at_initialization_and_its_overflow_said_with_its_epoch():
    # Normal(0, 1) weights, 30 ReLU layers of 256: the signal grows ~sqrt(256 / 2) = 11x per layer (He et al. 2015),
    # gradients of about 1e30. A float32 norm squared them to inf; in float64 the norms are finite and show it.
    r = gr.gradient_flow(gr.GradientFlow(init="normal", depth=30, width=256, activations=("relu", "tanh"), epochs=1))
    relu0 = r.grads[(r.grads.activation == "ReLU") & (r.grads.epoch == 0)].grad_norm
    assert r.facts.nonfinite == () and np.isfinite(relu0).all() and relu0.min() > 1e29
    # the first epoch's steps push it past float32's 3.4e38: a fact with its epoch, and a sentence that says what
    # to change instead of the trainer's "smaller learning rate" (this page has no learning rate to change)
    assert r.facts.overflowed == ("ReLU",) and r.facts.overflow_epochs == (1,)
    assert list(r.messages) == ["ReLU"]
    message = r.messages["ReLU"]
    assert "overflowed to infinity or NaN at epoch 1" in message and "Pick He initialization" in message
    assert "Try a smaller" not in message
    shown = r.grads_shown().grad_norm
    assert len(shown) and np.isfinite(shown).all() and (shown > 0).all()
    assert set(r.grads_shown().query("activation == 'ReLU'").epoch) == {0}  # the overflowed epoch left out
    for epoch, nets in ((0, {"ReLU", "Tanh"}), (1, {"Tanh"})):
        stats = r.stats_at(epoch)
        assert np.isfinite(stats[list(gr.STATS)]).all().all() and set(stats.activation) == nets
    assert np.isfinite(r.histograms_of(r.middle_layer).share).all()


@pytest.mark.parametrize("init", ["he", "xavier"])
def test_what_the_overflow_message_says_to_change_keeps_the_net_finite(init):
    r = gr.gradient_flow(gr.GradientFlow(init=init, depth=30, width=256, activations=("relu",), epochs=1))
    assert r.facts.overflowed == () and r.messages == {} and np.isfinite(r.grads.grad_norm).all()


def test_a_net_that_overflows_while_it_trains_says_from_which_epoch():
    """Normal(0, 1) weights in 6 ReLU layers of 64: finite at initialization, but the first epoch's steps
    blow the weights up; the per-layer statistics of epoch 1 on are inf or NaN."""
    r = gr.gradient_flow(gr.GradientFlow(init="normal", depth=6, width=64, activations=("relu", "tanh"), epochs=2))
    assert r.facts.nonfinite == () and np.isfinite(r.ratio["ReLU"])
    relu = r.grads[r.grads.activation == "ReLU"]
    assert np.isfinite(relu[relu.epoch == 0].grad_norm).all() and not np.isfinite(relu[relu.epoch == 1].grad_norm).any()
    assert r.facts.overflowed == ("ReLU",) and r.facts.overflow_epochs == (1,)
    assert "at epoch 1: the initial weights (Normal(0, 1)) are too large" in r.messages["ReLU"]
    assert "Tanh" not in r.messages
    assert set(r.stats_at(1).activation) == {"Tanh"} and set(r.stats_at(0).activation) == {"ReLU", "Tanh"}
    assert set(r.grads_shown().query("activation == 'ReLU'").epoch) == {0}


def test_after_the_norm_only_gamma_and_beta_move_the_band_and_the_facts_say_whether_they_did(grid):
    """The 'after the norm' panel is y = γ ẑ + β: ẑ is pinned per batch, γ and β are learned and can move y.
    post_bn_still is true only where the measured drift and widening are small (the default view), not everywhere."""
    still = grid.shift[(0.3, 4)]  # the page's default view
    assert still.post_bn_still and still.drift_post_bn < nm.STILL_DRIFT and abs(still.widen_post_bn - 1) < 0.03
    widened = grid.shift[(0.3, 8)]  # γ and β widen the last hidden layer's band by about a sixth
    assert widened.widen_post_bn > 1.1 and not widened.post_bn_still
    drifted = grid.shift[(3.0, 8)]  # at the large rate the median drifts by over a tenth of the initial band
    assert drifted.drift_post_bn > 0.1 and not drifted.post_bn_still
    assert nm.BatchNormGrid().code_version >= 3  # cached results of the old facts lack post_bn_still


def test_the_trainers_advice_to_lower_the_rate_becomes_what_this_page_can_change():
    cfg = gr.GradientFlow()
    trainer = {"ELU": "The loss exploded to 87.7 at epoch 2: the learning rate is too large for this network, so each "
                      "step overshoots further. Try a smaller one.", "Tanh": "Stopped early."}
    said = gr.flow_messages(cfg, {"ReLU": 1}, trainer)
    assert said["ELU"].startswith("The loss exploded to 87.7 at epoch 2") and "Try a smaller" not in said["ELU"]
    assert "the rate is fixed (0.01, momentum 0.9)" in said["ELU"] and said["Tanh"] == "Stopped early."
    assert "at epoch 1: training grew the weights" in said["ReLU"] and "Fewer layers" in said["ReLU"]  # He init here

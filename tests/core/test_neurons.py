"""core.neurons (slides 21-27) and its chart builders: the neuron's line, X @ W + b, active regions, wide vs deep."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.linear_model import LogisticRegression

from core import activations, charts, data, neurons
from core.models import MLPSpec
from core.neurons import ActivationView, Neuron, NeuronTraining, WideVsDeep
from core.training import TrainConfig, fit

TINY_WIDE = WideVsDeep(widths=(2, 16), depth=2, epochs=60)  # seconds -> a fraction of one, same code path


@pytest.fixture(scope="module")
def default_wide() -> neurons.WideVsDeepResult:
    return neurons.wide_vs_deep(WideVsDeep())


# 1. The neuron ------------------------------------------------------------------------------------


@pytest.mark.parametrize("w1, w2, b", [(1.0, 0.0, 0.5), (0.0, -2.0, 1.0), (1.5, -0.7, 0.3), (3.0, 3.0, 0.0)])
def test_decision_line_is_where_the_weighted_sum_is_zero(w1, w2, b):
    box = (-2.0, 2.0, -1.5, 2.5)
    line = neurons.decision_line(w1, w2, b, box)
    assert len(line) == 2
    np.testing.assert_allclose(w1 * line.x1 + w2 * line.x2 + b, 0, atol=1e-12)
    assert line.x1.between(box[0] - 1e-9, box[1] + 1e-9).all() and line.x2.between(box[2] - 1e-9, box[3] + 1e-9).all()
    assert np.hypot(*(line.iloc[1] - line.iloc[0])) > 0.5  # a real segment, not one corner twice


def test_no_line_when_it_misses_the_map_or_all_weights_are_zero():
    box = (-1.0, 1.0, -1.0, 1.0)
    assert neurons.decision_line(0.0, 0.0, 1.0, box).empty
    assert neurons.decision_line(1.0, 0.0, 5.0, box).empty  # x1 = -5 lies left of the map


def test_neuron_output_map_and_points_follow_the_weighted_sum():
    cfg = Neuron(w1=2.0, w2=-1.0, b=0.5)
    result = neurons.neuron(cfg)
    z = 2.0 * result.points.x1 - result.points.x2 + 0.5
    np.testing.assert_allclose(result.points.z, z)
    np.testing.assert_allclose(result.points.output, 1 / (1 + np.exp(-z)))
    assert len(result.grid) == neurons.GRID**2 and result.grid.p.between(0, 1).all()
    assert len(result.points) == cfg.n_samples
    assert neurons.evaluate(cfg, 1.0, 2.0) == pytest.approx((0.5, 1 / (1 + np.exp(-0.5))))


def test_step_activation_outputs_only_zero_and_one_with_the_same_accuracy():
    sigmoid, step = neurons.neuron(Neuron(w1=1.0, w2=1.0)), neurons.neuron(Neuron(w1=1.0, w2=1.0, activation="step"))
    assert set(step.grid.p.unique()) == {0.0, 1.0}
    assert step.accuracy == sigmoid.accuracy  # the step only sharpens the map; the line is the same


def test_hand_set_neuron_separates_blobs_and_slider_moves_change_accuracy():
    good = neurons.neuron(Neuron(w1=1.0, w2=1.0, b=0.0))  # the line x2 = -x1 between the blobs at (-1,-1), (1,1)
    assert good.accuracy > 0.9
    assert neurons.neuron(Neuron(w1=-1.0, w2=-1.0, b=0.0)).accuracy < 0.1  # same line, classes on the wrong sides
    assert neurons.neuron(Neuron()).accuracy < good.accuracy


def test_trained_single_neuron_fits_blobs_but_not_moons_while_a_hidden_layer_does():
    blobs = neurons.train_neuron(NeuronTraining("blobs"))
    moons = neurons.train_neuron(NeuronTraining("moons"))
    assert blobs.accuracy > 0.95
    assert moons.accuracy < 0.9  # a straight line cannot follow two interleaved moons
    ds = data.load(NeuronTraining("moons").data_config)
    hidden = fit(MLPSpec(2, (16,), 1, "tanh"), ds, TrainConfig(epochs=300, batch_size=None, lr=0.05, optimizer="adam"))
    # "A hidden layer separates the moons" means it does what no straight line can: it beats a logistic
    # regression fitted on the same training points and scored on the same validation points.
    line = LogisticRegression().fit(ds.x_train.numpy(), ds.y_train.numpy()).score(ds.x_val.numpy(), ds.y_val.numpy())
    assert hidden.final("accuracy")["model"] > line
    assert neurons.neuron(Neuron(w1=blobs.w1 / 4, w2=blobs.w2 / 4, b=blobs.b / 4)).accuracy == blobs.accuracy


def test_neuron_facts_flipped_signs_swap_the_sides_and_the_first_point_is_ringed():
    result = neurons.neuron(Neuron(w1=2.0, w2=-1.0, b=0.5))
    flipped = neurons.neuron(Neuron(w1=-2.0, w2=1.0, b=-0.5))  # the oracle: the flipped neuron itself
    assert result.facts.accuracy == result.accuracy
    assert result.facts.flipped_accuracy == flipped.accuracy == pytest.approx(1 - result.accuracy)
    assert result.first_point == (result.points.x1[0], result.points.x2[0])


def test_trained_neuron_facts_say_whether_a_line_is_enough():
    blobs, moons = (neurons.train_neuron(NeuronTraining(d)).facts for d in ("blobs", "moons"))
    assert blobs.line_is_enough and blobs.trained_accuracy > 0.95
    assert not moons.line_is_enough and moons.trained_accuracy < 0.9  # the walkthrough's claim on two moons


def test_learned_values_scaled_into_the_slider_range_keep_the_line():
    w1, w2, b = neurons.to_slider_range(9.0, -12.0, 3.0)
    assert max(abs(w1), abs(w2), abs(b)) <= neurons.WEIGHT_LIMIT
    assert (w1, w2, b) == pytest.approx((3.8, -5.0, 1.2))  # 9, -12, 3 times 5 / 12, rounded to 0.1
    assert neurons.to_slider_range(0.42, -1.0, 0.0) == (0.4, -1.0, 0.0)  # already in range: only rounded


# Tensor form ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("hidden", [1, 3, 8])
def test_tensor_form_is_x_at_w_plus_b_and_its_first_column_is_the_neuron(hidden):
    cfg = Neuron(w1=1.5, w2=-0.5, b=0.2)
    tf = neurons.tensor_form(cfg, hidden)
    assert tf.X.shape == (5, 2) and tf.W.shape == (2, hidden) and tf.b.shape == (hidden,) and tf.Z.shape == (5, hidden)
    np.testing.assert_allclose(tf.Z, tf.X @ tf.W + tf.b)
    np.testing.assert_allclose(tf.Z[:, 0], 1.5 * tf.X[:, 0] - 0.5 * tf.X[:, 1] + 0.2)
    assert tf.n == cfg.n_samples
    np.testing.assert_allclose(tf.Z[:, 0], neurons.neuron(cfg).points.z[:5])  # the same z the neuron section shows
    out = neurons.layer(torch.ones(7, 2), torch.ones(2, hidden), torch.zeros(hidden))
    assert out.shape == (7, hidden)  # (N, 2) @ (2, H) + (H,) -> (N, H)
    facts = tf.facts
    assert facts.z_shape == (cfg.n_samples, hidden) and facts.neurons == hidden and facts.n_points == cfg.n_samples
    assert facts.first_z == tf.Z[0, 0] == pytest.approx(1.5 * tf.X[0, 0] - 0.5 * tf.X[0, 1] + 0.2)
    assert facts.column1_is_neuron and (facts.w1, facts.w2, facts.b) == (1.5, -0.5, 0.2)


# 2. Activation functions ------------------------------------------------------------------------------


def _row(result: neurons.ActivationViewResult, label: str) -> dict:
    return result.table.set_index("activation").loc[label].to_dict()


def test_activation_table_numbers():
    result = neurons.activation_profiles(ActivationView())
    sigmoid, relu, leaky = _row(result, "Sigmoid"), _row(result, "ReLU"), _row(result, "Leaky ReLU")
    assert sigmoid["max |f'(z)|"] == pytest.approx(0.25, abs=1e-6)
    # sigmoid'(z) > 0.1 for |z| < ln((1 + sqrt(0.6)) / (1 - sqrt(0.6))) = 2.063
    assert sigmoid["active width on [-6, 6]"] == pytest.approx(2 * 2.0634, abs=0.01)
    assert sigmoid["saturates left"] and sigmoid["saturates right"]
    assert relu["active width on [-6, 6]"] == pytest.approx(6.0, abs=0.002)  # the right half only
    assert relu["saturates left"] and not relu["saturates right"]
    assert not leaky["saturates left"]  # its slope 0.01 never reaches zero: no dying units
    assert _row(result, "GELU")["max |f'(z)|"] == pytest.approx(1.129, abs=1e-3)
    widths = result.table["active width on [-6, 6]"]
    assert widths.is_monotonic_decreasing and len(result.table) == 6


def test_active_region_shrinks_as_the_threshold_rises_and_curves_flag_it():
    low, high = (neurons.activation_profiles(ActivationView(("tanh",), t)) for t in (0.05, 0.5))
    assert low.table.iloc[0, 2] > high.table.iloc[0, 2]
    curves = high.curves
    grad = curves[curves.curve == "f'(z)"]
    assert (grad.active == (grad.value.abs() >= 0.5)).all()
    assert set(curves.curve) == set(neurons.CURVES) and len(curves) == 2 * ActivationView().n_points
    relu = neurons.activation_profiles(ActivationView(("relu",))).curves
    assert relu[relu.z > 0].active.all() and not relu[relu.z <= 0].active.any()  # active exactly on the right half


def test_leaky_relu_negative_side_is_active_at_a_threshold_of_its_own_slope():
    """Its slope there is exactly 0.01, the slider's lowest threshold: at 0.01 the whole window is active."""
    at_slope = neurons.activation_profiles(ActivationView(("leaky_relu", "relu"), 0.01))
    leaky = _row(at_slope, "Leaky ReLU")
    assert leaky["active width on [-6, 6]"] == pytest.approx(12.0, abs=0.002)  # with ">" it was 6.0
    assert leaky["active at z = -6"]
    curves = at_slope.curves[at_slope.curves.activation == "Leaky ReLU"]
    assert curves.active.all()
    assert at_slope.facts.active_far_left == ("Leaky ReLU",) and at_slope.facts.widest == "Leaky ReLU"
    above = neurons.activation_profiles(ActivationView(("leaky_relu",), 0.02))
    assert _row(above, "Leaky ReLU")["active width on [-6, 6]"] == pytest.approx(6.0, abs=0.002)
    assert above.facts.active_far_left == ()
    assert neurons.is_active(np.array([activations.LEAKY_SLOPE]), 0.01).all()


def test_activation_facts_match_the_table():
    result = neurons.activation_profiles(ActivationView())
    facts, table = result.facts, result.table
    assert facts.shown == tuple(table.activation) and facts.threshold == 0.1
    assert facts.active_widths == tuple(table["active width on [-6, 6]"])
    # tanh'(z) >= 0.1 for |z| <= atanh(sqrt(0.9)) = 1.818: the narrowest of the six
    assert facts.narrowest == "Tanh" and facts.narrowest_width == pytest.approx(2 * 1.8184, abs=0.01)
    assert facts.widest_width == max(facts.active_widths)
    assert facts.saturate_both == ("Sigmoid", "Tanh")
    assert set(facts.saturate_left_only) == {"ReLU", "ELU", "GELU"} and facts.never_saturate == ("Leaky ReLU",)
    assert facts.zero_for_negative_z == ("ReLU",)  # ReLU's slope is 0 for every z < 0, not only for large -z
    assert set(facts.saturate_left_gradually) == {"ELU", "GELU"}
    assert facts.active_far_left == ()  # at 0.1 nothing is active at z = -6, Leaky ReLU's 0.01 included
    trio = neurons.activation_profiles(ActivationView(("sigmoid", "relu", "leaky_relu"))).facts
    assert trio.narrowest == "Sigmoid" and trio.shown == ("ReLU", "Leaky ReLU", "Sigmoid")


# 3. Wide vs deep ------------------------------------------------------------------------------------


def test_parameter_counts_match_the_specs_and_the_deep_net_matches_the_widest(default_wide):
    table = default_wide.table.set_index("variant")
    for width in WideVsDeep().widths:
        assert table.loc[f"1 layer × {width}", "parameters"] == MLPSpec(1, (width,), 1).n_params == 3 * width + 1
    deep = table.loc[default_wide.deep]
    assert deep["parameters"] == MLPSpec(1, (deep["units per layer"],) * 3, 1).n_params
    widest = table.loc[default_wide.widest, "parameters"]
    assert abs(deep["parameters"] - widest) <= 0.15 * widest


def test_wider_fits_better_and_every_variant_has_curves_and_fits(default_wide):
    table = default_wide.table.set_index("variant")
    assert table.loc["1 layer × 256", "train MSE"] < table.loc["1 layer × 2", "train MSE"] / 5
    assert set(default_wide.fits.variant) == set(table.index) == set(default_wide.history.variant)
    assert 0 < default_wide.noise_floor < table["validation MSE"].min()  # noise is the floor nobody beats
    assert default_wide.truth.x.is_monotonic_increasing
    deep = default_wide.row(default_wide.deep)
    assert isinstance(deep["parameters"], int) and deep["hidden layers"] == 3


def test_wide_deep_facts_come_from_the_table(default_wide):
    facts, table = default_wide.facts, default_wide.table.set_index("variant")
    wide, deep = table.loc["1 layer × 256"], table.loc[default_wide.deep]
    assert (facts.wide_train_mse, facts.wide_val_mse) == (wide["train MSE"], wide["validation MSE"])
    assert (facts.deep_train_mse, facts.deep_val_mse) == (deep["train MSE"], deep["validation MSE"])
    assert facts.train_ratio == pytest.approx(wide["train MSE"] / deep["train MSE"])
    assert facts.fit_share == pytest.approx((wide["train MSE"] - deep["train MSE"])
                                            / (wide["validation MSE"] - deep["validation MSE"]))
    assert facts.wide_gap == pytest.approx(wide["validation MSE"] - wide["train MSE"])
    assert facts.wide_underfits == (facts.train_ratio > neurons.UNDERFIT_RATIO)
    assert (facts.narrow_units, facts.wide_units, facts.wide_params) == (2, 256, 769)
    # the bars: train and validation error of exactly the widest and the deep net
    errors = default_wide.errors.set_index(["variant", "split"]).MSE
    assert len(errors) == 4 and errors["1 layer × 256", "train"] == facts.wide_train_mse
    assert errors[default_wide.deep, "validation"] == facts.deep_val_mse


def test_wide_deep_facts_tell_underfitting_from_poor_generalization():
    def table(wide_train, wide_val):
        return pd.DataFrame({"variant": ["n", "w", "d"], "units per layer": [2, 256, 18], "parameters": [7, 769, 739],
                             "train MSE": [0.5, wide_train, 0.002], "validation MSE": [0.5, wide_val, 0.003]})
    behind = neurons.wide_deep_facts(table(0.008, 0.009), "n", "w", "d", 0.002)  # behind on its own training data
    assert behind.wide_underfits and behind.fit_share == pytest.approx(0.006 / 0.006) and behind.all_in_training
    assert not behind.generalizes_worse
    partly = neurons.wide_deep_facts(table(0.005, 0.008), "n", "w", "d", 0.002)  # 0.003 of 0.005 in training
    assert partly.wide_underfits and partly.fit_share == pytest.approx(0.6) and partly.mostly_in_training
    assert not partly.all_in_training and partly.generalizes_worse  # gap 0.003 > 2 x 0.001
    memorised = neurons.wide_deep_facts(table(0.002, 0.012), "n", "w", "d", 0.002)  # fits, misses new points
    assert not memorised.wide_underfits and memorised.fit_share == 0.0 and memorised.generalizes_worse
    assert not memorised.mostly_in_training and memorised.wide_gap > 4 * memorised.deep_gap


def test_as_well_as_the_deep_net_only_within_match_ratio():
    def table(wide_train, wide_val):
        return pd.DataFrame({"variant": ["n", "w", "d"], "units per layer": [2, 256, 18], "parameters": [7, 769, 739],
                             "train MSE": [0.5, wide_train, 0.0017], "validation MSE": [0.5, wide_val, 0.0023]})
    behind = neurons.wide_deep_facts(table(0.0030, 0.0035), "n", "w", "d", 0.002)  # 1.8x, 1.5x: not "as well"
    assert not behind.wide_underfits and not behind.generalizes_worse and not behind.matches_deep
    close = neurons.wide_deep_facts(table(0.0019, 0.0025), "n", "w", "d", 0.002)  # 1.12x, 1.09x
    assert close.matches_deep


def test_same_config_same_numbers():
    a, b = neurons.wide_vs_deep(TINY_WIDE), neurons.wide_vs_deep(TINY_WIDE)
    assert a.table.equals(b.table)


@pytest.mark.parametrize("target, depth", [(769, 3), (97, 3), (385, 5), (7, 2)])
def test_matched_width_is_the_closest_parameter_count(target, depth):
    h = neurons.matched_width(target, depth)
    miss = {w: abs(MLPSpec(1, (w,) * depth, 1).n_params - target) for w in range(1, 60)}
    assert miss[h] == min(miss.values())


def test_progress_is_reported_from_zero_to_one_with_the_result_so_far():
    seen, parts = [], []
    result = neurons.wide_vs_deep(TINY_WIDE, on_progress=lambda fraction, part: (seen.append(fraction),
                                                                                 parts.append(part)))
    assert seen == sorted(seen) and seen[-1] == pytest.approx(1.0) and min(seen) < 0.75 < max(seen)
    assert all(isinstance(part, neurons.WideVsDeepResult) and part.facts is None for part in parts)
    assert set(parts[-1].history.variant) == set(result.history.variant)  # the deep net's curves come last
    assert len(parts[0].history) < len(parts[-1].history) <= len(result.history)


def test_train_neuron_reports_the_neuron_so_far():
    parts = []
    result = neurons.train_neuron(NeuronTraining("blobs", epochs=30), on_progress=lambda _, part: parts.append(part))
    assert parts and all(isinstance(part, neurons.NeuronTrainingResult) for part in parts)
    last = parts[-1]  # the last report is the trained neuron itself
    assert (last.w1, last.w2, last.b, last.accuracy) == (result.w1, result.w2, result.b, result.accuracy)


# Bad configs --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [
    lambda: Neuron(w1=6.0),
    lambda: Neuron(b=float("nan")),
    lambda: Neuron(dataset="curve"),
    lambda: Neuron(activation="relu"),
    lambda: Neuron(n_samples=5),
    lambda: NeuronTraining(epochs=0),
    lambda: neurons.tensor_form(Neuron(), hidden=9),
    lambda: ActivationView(names=()),
    lambda: ActivationView(names=("swish",)),
    lambda: ActivationView(threshold=1.0),
    lambda: WideVsDeep(widths=(8,)),
    lambda: WideVsDeep(widths=(8, 8)),
    lambda: WideVsDeep(widths=(2, 5000)),
    lambda: WideVsDeep(depth=1),
    lambda: WideVsDeep(noise=3.0),
    lambda: WideVsDeep(epochs=0),
])
def test_bad_configs_raise_a_sentence(make):
    with pytest.raises(ValueError, match=r"^[A-Z].*\.$"):
        make()


# Chart builders -----------------------------------------------------------------------------------------


def _spec(chart) -> dict:
    return charts.style(chart).to_dict()  # validates against the Vega-Lite schema, at most 5,000 rows a dataset


def test_neuron_map_draws_the_line_and_the_marked_point_on_the_boundary_map():
    result = neurons.neuron(Neuron())
    spec = _spec(charts.neuron_map(result.grid, result.points, result.line, "neuron", marked=(0.5, -1.0)))
    # the map one picture (its layer: the image and the legend's key), a click picks the nearest point
    assert [layer.get("mark", {}).get("type") for layer in spec["layer"]] == [None, "point", "line", "point"]
    assert spec["layer"][0]["layer"][0]["mark"]["type"] == "image"
    [click] = spec["params"]
    assert click["name"] == "click" and click["select"]["fields"] == ["x1", "x2"] and click["select"]["nearest"]
    ring = spec["datasets"][spec["layer"][3]["data"]["name"]]
    assert ring == [{"x1": 0.5, "x2": -1.0}]
    assert spec["title"]["text"] == "neuron" and spec["title"]["subtitle"]
    no_line = neurons.neuron(Neuron(w1=0.0, w2=0.0))
    assert len(_spec(charts.neuron_map(no_line.grid, no_line.points, no_line.line, "neuron"))["layer"]) == 2


def test_activation_panels_one_panel_per_activation_with_shading():
    result = neurons.activation_profiles(ActivationView(("sigmoid", "relu")))
    spec = _spec(charts.activation_panels(result.curves, 0.1))
    assert spec["facet"]["field"] == "activation" and spec["facet"]["sort"] == ["Sigmoid", "ReLU"]
    assert [layer["mark"]["type"] for layer in spec["spec"]["layer"]] == ["rect", "line"]
    assert "0.1" in spec["title"]["subtitle"]


def test_function_fits_colours_each_variant_in_the_palette():
    result = neurons.wide_vs_deep(TINY_WIDE)
    spec = _spec(charts.function_fits(result.points, result.fits, result.truth, "fits"))
    colour = spec["layer"][2]["encoding"]["color"]["scale"]
    assert colour["domain"] == ["1 layer × 2", "1 layer × 16", result.deep]
    assert colour["range"][:3] == list(charts.PALETTE[:3])


def test_wide_vs_deep_reports_each_nets_curve_while_it_trains():
    """The page redraws the fits while the nets train: every report carries the curves so far, the finished wide
    nets' and the running ones', and the last report's equal the result's."""
    cfg = WideVsDeep(epochs=40)
    reports = []
    result = neurons.wide_vs_deep(cfg, on_progress=lambda fraction, so_far: reports.append(so_far))
    assert reports and all(r.fits is not None for r in reports)
    first, last = reports[0], reports[-1]
    assert set(first.fits.variant) == set(cfg.wide)  # the wide nets train first
    assert set(last.fits.variant) == set(result.fits.variant)
    merged = last.fits.merge(result.fits, on=["variant", "x"], suffixes=("_live", "_done"))
    assert len(merged) == len(result.fits) and np.allclose(merged.y_live, merged.y_done, atol=1e-5)
    assert not np.allclose(first.fits.y, result.fits[result.fits.variant.isin(cfg.wide)].y)  # they moved since

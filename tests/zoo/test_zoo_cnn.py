"""The zoo's CNN: the shipped weights score what they claim, the diagram's shapes are real, the views add up."""
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import torch

from core.models import build_mlp
from core.zoo import cnn, cnn_lab, shapes, weights
from core.zoo.source import Inspect, Source

QUICK = cnn.Recipe(filters=(4, 8), epochs=1)  # the smallest recipe: tests train it in a moment
FILTERS = ((4, 8), (8, 16), (16, 32))  # the (conv1, conv2) filters the page offers (ui/parts/cnn.FILTER_CHOICES)
SHIPPED = Inspect(Source("cnn"))


def _accuracy(model, x, y) -> float:
    with torch.no_grad():
        return float((model(x).argmax(dim=1) == y).float().mean())


def test_the_shipped_cnn_reaches_95_percent_on_the_validation_digits():
    state, meta = weights.read(weights.ASSETS / "cnn_digits.pt")
    model = weights.into(cnn.DigitCNN(tuple(meta["filters"]), meta["hidden"]), state)
    ds = cnn.digits()
    accuracy = _accuracy(model, ds.x_val, ds.y_val)
    assert accuracy >= 0.95
    assert accuracy == pytest.approx(meta["val_accuracy"], abs=1e-4)  # the file's claim is what it measures
    assert len(ds.x_val) > 500 and ds.x_val.shape[1:] == (1, 8, 8) and float(ds.x_val.max()) == 1.0


def test_the_shipped_mlp_has_the_cnns_budget_and_scores_what_its_meta_says():
    cnn_state, _ = weights.read(weights.ASSETS / "cnn_digits.pt")
    state, meta = weights.read(weights.ASSETS / "cnn_mlp_digits.pt")
    mlp = weights.into(build_mlp(cnn.matched_mlp(cnn.SHIPPED_RECIPE)), state)
    ds = cnn.digits(flat=True)
    assert _accuracy(mlp, ds.x_val, ds.y_val) == pytest.approx(meta["val_accuracy"], abs=1e-4)
    params = sum(t.numel() for t in state.values())
    assert params == meta["parameters"]
    assert abs(params - sum(t.numel() for t in cnn_state.values())) / params < 0.02
    assert len(meta["history"]["validation accuracy"]) == meta["epochs"] + 1  # epoch 0 (untrained) to the last


@pytest.mark.parametrize("name, build", [
    ("cnn_digits", lambda: cnn.build(cnn.SHIPPED_RECIPE)),
    ("cnn_mlp_digits", lambda: build_mlp(cnn.matched_mlp(cnn.SHIPPED_RECIPE))),
])
def test_the_makers_at_a_quick_budget_write_loadable_weights_of_the_shipped_shapes(tmp_path, name, build):
    model, meta = cnn.SHIPPED[name](quick=True)
    path = weights.save(name, model, meta, tmp_path)
    state, meta_back = weights.read(path)  # weights_only: plain tensors and values
    shipped, _ = weights.read(weights.ASSETS / f"{name}.pt")
    assert {k: tuple(v.shape) for k, v in state.items()} == {k: tuple(v.shape) for k, v in shipped.items()}
    weights.into(build(), state)  # loads into the architecture the page builds
    assert meta_back["epochs"] == 1 and 0 <= meta_back["val_accuracy"] <= 1


@pytest.mark.parametrize("filters", FILTERS)
def test_the_diagram_shows_the_shapes_of_a_real_forward_pass(filters):
    model = cnn.build(replace(cnn.SHIPPED_RECIPE, filters=filters), torch.Generator().manual_seed(0))
    x = cnn.digits().x_val[:3]  # (3, 1, 8, 8)
    table = shapes.trace(cnn.with_softmax(model), x)
    h, expected = x, []
    for layer in [*model.features, *model.classifier, torch.nn.Softmax(dim=1)]:
        h = layer(h)
        expected.append(tuple(h.shape[1:]))
    assert table["output shape"].tolist() == expected
    assert table["kind"].tolist() == ["Conv2d", "ReLU", "MaxPool2d"] * 2 + ["Flatten", "Linear", "ReLU", "Linear",
                                                                         "Softmax"]
    assert expected[2] == (filters[0], 4, 4) and expected[5] == (filters[1], 2, 2) and expected[-1] == (10,)
    assert table["parameters"].sum() == weights.count(model)
    assert torch.allclose(h.sum(dim=1), torch.ones(3))  # the softmax row: probabilities


@pytest.mark.parametrize("filters", FILTERS)
def test_the_mlp_gets_the_same_weight_budget_within_2_percent(filters):
    recipe = replace(cnn.SHIPPED_RECIPE, filters=filters)
    budget = weights.count(cnn.build(recipe))
    assert abs(cnn.matched_mlp(recipe).n_params - budget) / budget < 0.02


@pytest.mark.parametrize("bad, words", [
    (dict(filters=(8,)), "two filter counts"), (dict(epochs=cnn.MAX_EPOCHS + 1), "epochs"),
    (dict(lr=1.0), "learning rate"), (dict(hidden=1), "hidden layer"), (dict(seed=-1), "seed"),
])
def test_bad_recipes_are_refused_with_a_sentence(bad, words):
    with pytest.raises(ValueError, match=words):
        cnn.Recipe(**bad)


def test_training_reports_progress_is_seeded_and_the_views_use_the_trained_weights():
    seen = []
    first = cnn.train(QUICK, lambda fraction, part: seen.append((fraction, part)))
    again = cnn.train(QUICK)
    assert [f for f, _ in seen] == sorted(f for f, _ in seen) and seen[-1][0] == pytest.approx(1.0)
    assert all(isinstance(part, cnn.Trained) and not part.states for _, part in seen)  # the curves so far, no weights
    assert set(seen[0][1].history.variant) == {"CNN"} and set(seen[-1][1].history.variant) == {"CNN", "MLP"}
    for v in cnn.NAMES:
        assert all(np.array_equal(first.states[v][k], again.states[v][k]) for k in first.states[v])
    model, _ = first.networks()
    assert all(np.array_equal(t.numpy(), first.states["CNN"][k]) for k, t in model.state_dict().items())
    inspection = cnn_lab.inspect(Inspect(Source("cnn", QUICK)), first)
    board = first.board.set_index("model")
    assert inspection.accuracy["CNN"] == pytest.approx(board.loc["CNN", "validation accuracy"], abs=1e-5)
    assert inspection.accuracy["MLP"] == pytest.approx(board.loc["MLP", "validation accuracy"], abs=1e-5)


def test_a_view_never_trains_it_is_handed_the_model(forbid_training):
    """The old views fetched their model from a process-wide cache and retrained a forgotten recipe silently."""
    trained = cnn.train(QUICK)

    forbid_training(cnn, "train", "fit")
    seen = cnn_lab.inspect(Inspect(Source("cnn", QUICK)), trained)
    looked = cnn_lab.look(cnn_lab.Look(Source("cnn", QUICK), image=3), trained)
    assert seen.accuracy["CNN"] == pytest.approx(trained.board.set_index("model").loc["CNN", "validation accuracy"],
                                                 abs=1e-5)
    assert looked.facts.final_maps == QUICK.filters[1]
    with pytest.raises(ValueError, match="still training"):
        cnn.Trained(QUICK, trained.history, {}, False, 0.0).networks()  # a partial result has no weights
    with pytest.raises(ValueError, match="asks for the shipped weights"):  # its result would be cached as the shipped
        cnn_lab.inspect(SHIPPED, trained)
    with pytest.raises(ValueError, match="recipe did not make"):
        cnn_lab.look(cnn_lab.Look(Source("cnn", cnn.Recipe(seed=1))), trained)


def test_the_inspection_adds_up():
    seen = cnn_lab.inspect(SHIPPED, cnn.shipped())
    n = len(cnn.digits().x_val)
    confusion = seen.confusion
    assert confusion["count"].sum() == n and len(confusion) == 100
    diagonal = confusion[confusion.actual == confusion.predicted]["count"].sum()
    assert diagonal / n == pytest.approx(seen.accuracy["CNN"])
    assert len(seen.wrong) == min(n - diagonal, cnn_lab.MAX_WRONG) == len(seen.wrong_pictures)
    assert (seen.wrong.actual != seen.wrong.predicted).all()
    off = confusion[confusion.actual != confusion.predicted]
    assert seen.n_wrong == n - diagonal and seen.worst[2] == off["count"].max()
    assert sum(seen.weights_in.values()) == seen.layers.parameters.sum() and seen.flat == 64
    assert seen.wrong.confidence.is_monotonic_decreasing  # the most confident mistakes first
    at_rest = seen.shifted[seen.shifted["shift (pixels)"] == 0].set_index("model")["validation accuracy"]
    assert at_rest["CNN"] == pytest.approx(seen.accuracy["CNN"])
    assert at_rest["MLP"] == pytest.approx(seen.accuracy["MLP"])
    conv1 = seen.filters[0]  # one row of 8 kernels, each 3 x 3 enlarged
    assert conv1.shape[0] == 3 * (cnn_lab.FILTER_PX[0] // 3) and conv1.ndim == 3


def test_shifting_moves_every_pixel_and_fills_the_border_with_background():
    x = torch.arange(16.0).reshape(1, 1, 4, 4) + 1
    right = cnn_lab._shift(x, 1, 0)
    assert torch.equal(right[..., 1:], x[..., :-1]) and torch.equal(right[..., 0], torch.zeros(1, 1, 4))
    up = cnn_lab._shift(x, 0, -2)
    assert torch.equal(up[..., :2, :], x[..., 2:, :]) and not up[..., 2:, :].any()


def test_one_digit_through_the_network():
    shipped = cnn.shipped()
    looked = cnn_lab.look(cnn_lab.Look(image=7), shipped)
    table = cnn_lab.inspect(SHIPPED, shipped).layers
    assert looked.maps_table["kind"].tolist() == table["kind"].tolist()[:6]
    for row, picture, shape in zip(looked.maps_table.itertuples(), looked.maps, table["output shape"][:6]):
        channels, side = shape[0], shape[1]
        assert row.maps == channels and row.size == f"{side} × {side}"
        rows = -(-channels // cnn_lab.MAP_COLUMNS)
        assert picture.shape[0] == rows * (cnn_lab.MAP_PX // side * side) + (rows - 1) * 3  # 3 px between maps
    kinds = looked.maps_table.set_index("layer")
    assert looked.relu_zeros == kinds[kinds.kind == "ReLU"]["share of zeros"].tolist()
    assert looked.final == "16 maps of 2 × 2"
    assert kinds.loc[1, "share of zeros"] < kinds.loc[2, "share of zeros"]  # ReLU zeroes the negatives
    p = looked.probabilities.groupby("model")["probability"].sum()
    assert np.allclose(p.values, 1.0)
    best = looked.probabilities.loc[looked.probabilities.groupby("model")["probability"].idxmax()]
    assert dict(zip(best.model, best.digit.astype(int))) == looked.predicted
    assert looked.actual == int(cnn.digits().y_val[7])
    with pytest.raises(ValueError, match="between 0 and"):
        cnn_lab.Look(image=len(cnn.digits().x_val))


@pytest.mark.parametrize("filters", [(8, 16), (4, 8)])
def test_a_conv2_filter_has_a_3x3_kernel_per_conv1_map(filters):
    """Issue 16: the page said "each 3 × 3 filter has 9 weights"; true for conv1 only (conv2 reads c1 maps)."""
    recipe = cnn.Recipe(filters=filters)
    net = cnn.build(recipe)
    facts = cnn_lab._layer_facts(net, shapes.trace(cnn.with_softmax(net), cnn.digits().x_val[:1]))
    assert (facts.conv1_inputs, facts.conv1_filter_weights) == (1, 9)
    assert (facts.conv2_inputs, facts.conv2_filter_weights) == (filters[0], 9 * filters[0])  # 72 for (8, 16)
    conv2 = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d)][1]
    assert conv2.weight.shape == (filters[1], filters[0], 3, 3)  # the oracle: PyTorch's own kernel shape
    assert facts.conv_weights + facts.fc_weights == facts.total_weights == weights.count(net)
    assert (facts.side_in, facts.side_pool1, facts.side_pool2, facts.flat_inputs) == (8, 4, 2, 4 * filters[1])
    assert facts.softmax_weights == 0 and facts.n_scores == 10


def _comparison(cnn_first, mlp_first, kept=(20, 20)):
    board = pd.DataFrame({"model": ["CNN", "MLP"], "layers": ["conv", "64 → FC 49 → 10"], "parameters": [3658, 3685],
                          "validation accuracy": [0.97, 0.95]})
    return cnn.comparison_facts(board, {"CNN": cnn_first, "MLP": mlp_first}, dict(zip(("CNN", "MLP"), kept)))


def test_the_first_epochs_at_the_target_are_said_with_ties_and_nevers():
    """Issue 16: "they first pass 95% at epoch 8 and epoch 8" read wrong; a model that never did said "never"."""
    assert cnn.first_pass_phrase(_comparison(8, 8)) == "both first pass 95% at epoch 8"
    assert cnn.first_pass_phrase(_comparison(5, 8)) == "the CNN first passes 95% at epoch 5, the MLP at epoch 8"
    assert cnn.first_pass_phrase(_comparison(9, 4)) == "the MLP first passes 95% at epoch 4, the CNN at epoch 9"
    never = "not within 20 epochs"
    assert cnn.first_pass_phrase(_comparison(5, None)) == f"the CNN first passes 95% at epoch 5, the MLP {never}"
    assert cnn.first_pass_phrase(_comparison(None, 7)) == f"the MLP first passes 95% at epoch 7, the CNN {never}"
    assert cnn.first_pass_phrase(_comparison(None, None)) == "neither passes 95% within 20 epochs"
    facts = _comparison(8, 8)
    assert (facts.epochs_trained, facts.untrained) == (20, ())
    assert facts.same_first_epoch and not _comparison(None, None).same_first_epoch
    assert facts.cnn_lead_points == pytest.approx(2.0) and facts.mlp_layers == "64 → FC 49 → 10"


def test_the_epochs_said_are_the_kept_ones_in_the_singular_too():
    """A loss that blew up keeps the epoch before: "within 1 epochs" counted the blown one, and in the plural."""
    assert cnn.first_pass_phrase(_comparison(None, None, (1, 1))) == "neither passes 95% within 1 epoch"
    assert cnn.first_pass_phrase(_comparison(5, None, (8, 3))) == "the CNN first passes 95% at epoch 5, the MLP not " \
        "within 3 epochs"
    facts = _comparison(None, None, (0, 8))
    assert (facts.epochs_trained, facts.cnn_epochs_kept, facts.untrained) == (8, 0, ("CNN",))


def test_the_shipped_comparison_facts_are_the_boards():
    run = cnn.shipped()
    facts, history = run.facts, run.history
    val = history[(history.split == "validation") & (history.metric == "accuracy")]
    for name, first in (("CNN", facts.cnn_first_epoch), ("MLP", facts.mlp_first_epoch)):
        curve = val[val.variant == name].sort_values("epoch").value.tolist()
        assert first is not None and curve[first] >= cnn.TARGET > max(curve[:first])  # the first epoch at 95 %
    assert facts.epochs_trained == run.recipe.epochs == 20
    assert facts.cnn_weights_budget == weights.count(cnn.build(run.recipe))


def test_mistake_facts_name_every_confusion_that_ties_for_most_common():
    """The shipped CNN reads three 3s as 5s and three 9s as 8s: "the most common a 3 read as a 5" hid the tie."""
    off = pd.DataFrame({"actual": [3, 9, 4, 1], "predicted": [5, 8, 6, 7], "count": [3, 3, 1, 0]})
    wrong = pd.DataFrame({"confidence": [0.9, 0.5]})
    facts = cnn_lab._mistake_facts(off, 100, wrong)
    assert facts.common_pairs == ((3, 5), (9, 8)) and facts.common_count == 3
    assert facts.n_mistakes == 7 and facts.accuracy_on_val == pytest.approx(0.93) and facts.top_wrong_confidence == 0.9
    none = cnn_lab._mistake_facts(off.assign(count=0), 100, wrong.iloc[:0])
    assert none.common_pairs == () and none.common_count == 0 and none.top_wrong_confidence is None


def test_the_shift_and_look_facts_are_the_tables():
    shipped = cnn.shipped()
    seen = cnn_lab.inspect(SHIPPED, shipped)
    acc = seen.shifted.set_index(["model", "shift (pixels)"])["validation accuracy"]
    assert seen.shift_facts.shift1_cnn == pytest.approx(acc["CNN", 1]) and seen.shift_facts.shift2_mlp == acc["MLP", 2]
    assert seen.mistake_facts.accuracy_on_val == pytest.approx(seen.accuracy["CNN"], abs=1e-6)
    looked = cnn_lab.look(cnn_lab.Look(image=7), shipped)
    p = looked.probabilities.set_index(["model", "digit"])["probability"]
    assert looked.facts.cnn_says_probability == pytest.approx(p["CNN", str(looked.facts.cnn_says)])
    assert (looked.facts.final_maps, looked.facts.final_side) == (16, 2)

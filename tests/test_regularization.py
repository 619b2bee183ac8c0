"""Regularization on the overfitting baseline: L2 shrinks weights and the gap, early stopping keeps its best weights,
dropout is on in train mode only, the ensemble beats its average member, augmentation enlarges the training set."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from core import regularization as rg, training


@pytest.fixture(scope="module")
def result() -> rg.RemediesResult:
    return rg.remedies(rg.Remedies())  # the page's default view


def test_the_baseline_overfits(result):
    base = result.board.set_index("remedy").loc[rg.BASELINE]
    assert base["train accuracy"] == 1.0
    assert base["accuracy gap"] > 0.05 and base["loss gap (validation − train)"] > 0.3


def test_l2_lowers_the_weight_norm_and_the_gap_at_the_same_seed(result):
    board = result.board.set_index("remedy")
    assert result.norms["L2 / weight decay"] < 0.8 * result.norms[rg.BASELINE]
    gap = board["loss gap (validation − train)"]
    assert gap["L2 / weight decay"] < 0.7 * gap[rg.BASELINE]
    widths = result.weights.groupby("variant").apply(lambda d: np.average(np.abs(d.weight), weights=d["count"]))
    assert widths["L2 / weight decay"] < widths[rg.BASELINE]  # the histogram is narrower


def test_early_stopping_stops_patience_epochs_after_the_best_and_keeps_those_weights():
    cfg = rg.Remedies(patience=5)
    ds = rg.baseline_data(cfg.n_train)
    fit = training.fit(cfg.spec(), ds, cfg.train(patience=5), name="es")
    best, last = fit.best_epoch["es"], fit.last_epoch["es"]
    assert last < cfg.epochs and last - best == 5
    val = fit.history[(fit.history.split == "validation")]
    losses = val[val.metric == "loss"].set_index("epoch").value
    assert losses.idxmin() == best
    accuracy = (training.predict(fit, "es", ds.x_val).argmax(1) == ds.y_val.numpy()).mean()
    assert accuracy == pytest.approx(val[(val.metric == "accuracy") & (val.epoch == best)].value.item(), abs=1e-6)


def test_dropout_is_active_in_train_mode_and_off_in_eval_mode(result):
    train = result.dropout[result.dropout["mode"].str.startswith("train")]
    evals = result.dropout[result.dropout["mode"].str.startswith("eval")]
    assert np.allclose(train["share of active units zeroed"], 0.3, atol=0.05)
    assert train["validation accuracy"].nunique() > 1  # another set of units is dropped each pass
    assert (evals["share of active units zeroed"] == 0).all() and evals["validation accuracy"].nunique() == 1
    assert evals["validation accuracy"].iloc[0] > train["validation accuracy"].mean()


def test_the_ensemble_is_at_least_as_good_as_its_average_member(result):
    acc = result.members["validation accuracy"]
    assert len(acc) == rg.Remedies().ensemble + 1
    assert acc.iloc[-1] >= acc.iloc[:-1].mean()
    ens = result.board.set_index("remedy").loc["ensemble of 4"]
    assert ens["parameters"] == 4 * rg.Remedies().spec().n_params


def test_early_stopping_is_marked_where_it_stopped(result):
    marks = result.stops[result.stops.variant == "early stopping"].set_index("event").epoch
    assert marks["stopped"] - marks["best validation loss: weights kept"] == rg.Remedies().patience
    assert result.board.set_index("remedy").loc["early stopping", "epochs trained"] == marks["stopped"]


def test_augmented_training_set_is_the_originals_plus_copies():
    ds = rg.baseline_data(50)
    aug = rg.augmented(ds, 3, 1.0, 10.0, 0)
    assert len(aug.x_train) == 200 and torch.equal(aug.x_train[:50], ds.x_train)
    assert torch.equal(aug.y_train, ds.y_train.repeat(4))
    result = rg.augmentation_effect(rg.AugEffect(n_train=100, copies=2, epochs=5))
    assert list(result.table["training images"]) == [100, 300]
    assert result.examples.shape == (32, 24)


@pytest.mark.parametrize("kwargs", [{"weight_decay": 0}, {"patience": 60}, {"dropout": 1.0}, {"ensemble": 1},
                                    {"copies": 0}, {"combo": ("magic",)}, {"width": 4}])
def test_bad_settings_raise_a_value_error(kwargs):
    with pytest.raises(ValueError):
        rg.Remedies(**kwargs)


def test_too_few_training_images_is_refused():
    with pytest.raises(ValueError, match="between 20"):
        rg.baseline_data(5)

"""Slide 12 measured (core/more_data.py): nested class-balanced subsets, equal updates per size, tidy curves, facts."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core import data, more_data as md

TINY = md.MoreData(sizes=(20, 40), steps=10, batch_size=10)


@pytest.fixture(scope="module")
def tiny() -> md.MoreDataResult:
    return md.learning_curves(TINY)


def test_the_curves_have_a_row_per_model_and_size_with_accuracies_in_range(tiny):
    curves = tiny.curves
    assert list(curves.columns) == ["model", "training digits", "validation accuracy", "weight updates"]
    assert len(curves) == 6 and curves.groupby("model").size().to_dict() == dict.fromkeys(md.MODELS, 2)
    assert list(curves.model.unique()) == list(md.MODELS) and sorted(curves["training digits"].unique()) == [20, 40]
    assert curves["validation accuracy"].between(0, 1).all()
    assert tiny.validation_digits == md.VALIDATION_DIGITS == 539
    # A linear layer 64 -> 10; the MLP matched to the zoo CNN's number of weights (within 1%)
    assert tiny.parameters[md.LINEAR] == 650
    assert abs(tiny.parameters[md.MLP] - tiny.parameters[md.CNN]) / tiny.parameters[md.CNN] < 0.01


def test_same_config_same_numbers(tiny):
    pd.testing.assert_frame_equal(md.learning_curves(TINY).curves, tiny.curves)


@pytest.mark.parametrize("seed", [0, 3])
def test_the_whole_split_is_the_largest_size_and_the_validation_digits_stay_out(seed):
    ds = data.scaled_digits(seed)
    assert len(ds.x_train) == md.TRAIN_DIGITS and len(ds.x_val) == md.VALIDATION_DIGITS
    order = md.nested_order(ds.y_train.numpy(), seed)
    assert sorted(order.tolist()) == list(range(md.TRAIN_DIGITS))  # a permutation of the training rows only


@pytest.mark.parametrize("seed", range(3))
def test_subsets_are_nested_and_hold_every_digit_about_equally_often(seed):
    y = data.scaled_digits(seed).y_train.numpy()
    order = md.nested_order(y, seed)
    subsets = [set(order[:n].tolist()) for n in md.SIZES]
    assert all(small < large for small, large in zip(subsets, subsets[1:]))  # nested: each inside the next
    for n in md.SIZES[:-1]:
        counts = np.bincount(y[order[:n]], minlength=10)
        assert counts.max() - counts.min() <= 1, (n, counts)  # 50 digits: 5 of each
    # shuffled: a plain sort by digit would also be balanced at multiples of ten, but not at 50 with one seed
    assert not np.array_equal(order, md.nested_order(y, seed + 1))


@pytest.mark.parametrize("size, epochs, updates", [(50, 150, 300), (100, 75, 300), (400, 19, 304), (1258, 6, 306),
                                                   (20, 300, 300)])
def test_every_size_gets_about_the_same_weight_updates(size, epochs, updates):
    train = md.MoreData().train(size)
    per_epoch = -(-size // train.batch_size)
    assert (train.epochs, train.epochs * per_epoch) == (epochs, updates)
    assert train.batch_size == min(25, size) and train.optimizer == "adam" and train.lr == 0.01


def test_the_measured_updates_are_the_configs(tiny):
    updates = tiny.curves.groupby("training digits")["weight updates"].first().to_dict()
    assert updates == {20: 10, 40: 8}  # 40 digits: 2.5 epochs of 4 updates, rounded to 2


def _curves(table: dict[str, list[float]], sizes=(50, 400, 1258)) -> pd.DataFrame:
    return pd.DataFrame([{"model": m, "training digits": n, "validation accuracy": a, "weight updates": 300 + n % 7}
                         for m, accs in table.items() for n, a in zip(sizes, accs)])


def test_facts_of_a_known_table():
    f = md.facts(_curves({md.LINEAR: [0.80, 0.90, 0.92], md.MLP: [0.78, 0.93, 0.92], md.CNN: [0.70, 0.90, 0.95]}),
                 539)
    assert (f.smallest, f.middle, f.largest) == (50, 400, 1258)
    assert f.start == {md.LINEAR: 0.80, md.MLP: 0.78, md.CNN: 0.70}
    assert f.gain == pytest.approx({md.LINEAR: 0.12, md.MLP: 0.14, md.CNN: 0.25})
    assert f.early_share == pytest.approx({md.LINEAR: 10 / 12, md.MLP: 15 / 14, md.CNN: 0.8})
    assert f.worst_drop == pytest.approx({md.LINEAR: 0.0, md.MLP: 0.01, md.CNN: 0.0})
    assert (f.most_gain, f.worst_at_start, f.best_at_end) == (md.CNN, md.CNN, md.CNN)
    assert f.spread_start == pytest.approx(0.10) and f.spread_end == pytest.approx(0.03)
    assert f.cnn_lead_start == pytest.approx(-0.10) and f.cnn_lead_end == pytest.approx(0.03)
    assert (f.validation_digits, f.spread_end_digits) == (539, 16)  # 3 points of 539 digits: 16.17 digits
    assert (f.updates_low, f.updates_high) == (301, 305)  # the fewest and most of any row


def test_a_model_that_never_gains_has_no_early_share():
    f = md.facts(_curves({md.LINEAR: [0.9, 0.9, 0.9], md.MLP: [0.8, 0.9, 0.9], md.CNN: [0.7, 0.8, 0.9]}), 100)
    assert f.early_share[md.LINEAR] == 0.0 and f.gain[md.LINEAR] == 0.0


def test_progress_reports_one_size_at_a_time():
    seen: list[tuple[float, int]] = []
    md.learning_curves(TINY, on_progress=lambda fraction, part: seen.append((fraction, len(part.curves))))
    assert seen == [(0.5, 3), (1.0, 6)]


@pytest.mark.parametrize("changes, message", [
    ({"sizes": (50,)}, "at least two training-set sizes"),
    ({"sizes": (100, 50)}, "each larger than the one before"),
    ({"sizes": (50, 50, 100)}, "each larger than the one before"),
    ({"sizes": (10, 100)}, "between 20 and the 1,258 training digits"),
    ({"sizes": (50, 1500)}, "between 20 and the 1,258 training digits"),
    ({"steps": 5}, "between 10 and 2,000 weight updates"),
    ({"batch_size": 0}, "batch size must be between 1 and 256"),
    ({"lr": 1.0}, "learning rate must be between 0.0001 and 0.1"),
    ({"seed": -1}, "seed must be a whole number"),
])
def test_bad_configs_say_what_is_wrong(changes, message):
    with pytest.raises(ValueError, match=message):
        md.MoreData(**changes)

"""The preprocessing chapter checked with numbers: scalers equal scikit-learn's, no leaks, scaling speeds training."""
import dataclasses

import numpy as np
import pytest
import torch
from sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler

from core import data, image_scaling, preprocessing as pp, uploads

SKLEARN = {"min-max": MinMaxScaler, "standard": StandardScaler, "robust": RobustScaler}


def _table_with_constant_column() -> np.ndarray:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 4)) * [1, 100, 0.01, 1] + [0, 500, 3, 0]
    x[:, 3] = 0.1  # constant: sklearn divides it by 1
    return x


@pytest.mark.parametrize("kind", pp.KINDS)
@pytest.mark.parametrize("table", ["wine", "breast_cancer", "constant"])
def test_scalers_agree_with_scikit_learn(kind, table):
    x = _table_with_constant_column() if table == "constant" else data.load(data.DataConfig(table)).x_train.double().numpy()
    expected = SKLEARN[kind]().fit(x).transform(x)
    scaler = pp.fit_scaler(kind, x)
    np.testing.assert_allclose(pp.transform(scaler, x), expected, atol=1e-6)
    as_tensor = pp.transform(scaler, torch.as_tensor(x))  # tensors in, tensors out, same numbers
    assert isinstance(as_tensor, torch.Tensor)
    np.testing.assert_allclose(as_tensor.numpy(), expected, atol=1e-6)


@pytest.mark.parametrize("kind", pp.KINDS)
def test_constant_columns_give_finite_zeros(kind):
    x = _table_with_constant_column()
    out = pp.transform(pp.fit_scaler(kind, x), x)
    assert np.isfinite(out).all()
    np.testing.assert_array_equal(out[:, 3], 0.0)
    assert pp.fit_scaler(kind, x).scale[3] == 1.0


@pytest.mark.parametrize("kind", pp.KINDS)
def test_fitting_on_train_never_looks_at_validation_rows(kind):
    ds = data.load(data.DataConfig("wine"))
    poisoned = dataclasses.replace(ds, x_val=torch.full_like(ds.x_val, float("nan")))  # any read would show
    clean, scaler = pp.scale_dataset(ds, kind, fit_on="train")
    dirty, dirty_scaler = pp.scale_dataset(poisoned, kind, fit_on="train")
    np.testing.assert_array_equal(scaler.shift, dirty_scaler.shift)
    np.testing.assert_array_equal(scaler.scale, dirty_scaler.scale)
    assert torch.equal(clean.x_train, dirty.x_train) and torch.isfinite(dirty.x_train).all()
    _, leaky = pp.scale_dataset(ds, kind, fit_on="all")  # the leak does read them
    assert not np.allclose(leaky.shift, scaler.shift) or not np.allclose(leaky.scale, scaler.scale)


@pytest.mark.parametrize("lr", [0.01, 0.03, 0.1])
def test_standardized_inputs_reach_the_target_sooner_than_raw_on_wine(lr):
    result = pp.race(pp.ScalingRace(lr=lr, target=0.9))
    raw, std = result.reached[pp.LABELS["raw"]], result.reached[pp.LABELS["standard"]]
    assert std is not None and std <= 10
    assert raw is None or raw > std
    final = result.table.set_index("variant")["final validation accuracy"]
    assert final[pp.LABELS["standard"]] > final[pp.LABELS["raw"]] + 0.3
    assert final[pp.LABELS["raw"]] == pytest.approx(result.majority, abs=1e-6)  # raw answers one class for all


def test_race_reports_progress_in_order_and_epochs_to_target():
    fractions = []
    result = pp.race(pp.ScalingRace(epochs=20), lambda f, _: fractions.append(f))
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)
    acc = result.history.query("split == 'validation' and metric == 'accuracy'")
    for variant, epoch in result.reached.items():
        rows = acc[acc.variant == variant]
        if epoch is None:
            assert (rows.value < 0.9).all()
        else:
            assert rows.set_index("epoch").value[epoch] >= 0.9 and (rows[rows.epoch < epoch].value < 0.9).all()


def test_leak_changes_the_fitted_numbers():
    clean, leaky = pp.race(pp.ScalingRace(epochs=10)), pp.race(pp.ScalingRace(epochs=10, fit_on="all"))
    table = pp.leak_table(clean, leaky).set_index("variant")
    assert list(table.index) == [pp.LABELS["min-max"], pp.LABELS["standard"]]
    assert (table["largest change of a fitted number"] > 0.01).all()
    assert np.allclose(table["difference"], table["fit on all rows (leak)"] - table["fit on training rows"])


def test_contours_raw_valley_is_stretched_and_slow():
    result = pp.contours(pp.Contours(spread=5.0, steps=30))
    t = result.table.set_index("scaling")
    raw, std = pp.LABELS["raw"], pp.LABELS["standard"]
    assert t.loc[raw, "condition number"] > 10 * t.loc[std, "condition number"]
    gap = t["final loss"] - t["lowest possible loss"]
    assert gap[std] < 1e-4 < 0.05 < gap[raw]  # same steps: the round bowl is done, the valley is not
    assert set(result.surface.level.unique()) >= {0.0, 5.0}
    path = result.path[result.path.scaling == raw]
    assert (np.diff(np.sign(np.diff(path.w2.to_numpy()[:8]))) != 0).any()  # it zig-zags across the valley


def test_outlier_squeezes_min_max_most_and_robust_least():
    t = pp.outliers(pp.Outlier(feature="alcohol", factor=10.0)).table.set_index("scaling")["squeezed by"]
    assert t[pp.LABELS["min-max"]] > t[pp.LABELS["standard"]] > 5 > 1.1 > t[pp.LABELS["robust"]]
    assert t[pp.LABELS["raw"]] == pytest.approx(1.0)


def test_image_normalization_equals_torchvision():
    result = image_scaling.image_normalization(image_scaling.ImageNorm())
    assert result.before.shape[2] == 3 and 0 <= result.before.min() and result.before.max() <= 1
    np.testing.assert_allclose(result.stats["mean after"], 0, atol=1e-5)
    np.testing.assert_allclose(result.stats["std after"], 1, atol=1e-5)
    assert image_scaling.torchvision_difference(result) < 1e-6


def test_digits_scale_to_unit_range():
    result = image_scaling.digits_scaling(image_scaling.DigitsScaling())
    assert result.max_value == 16 and result.scaled.to_numpy().max() <= 1 and result.raw.to_numpy().max() > 1
    np.testing.assert_allclose(result.scaled.to_numpy(), (result.raw / 16).to_numpy(), atol=1e-3)
    assert result.constant_pixels > 0


CSV = b"a,b,label\n" + b"".join(f"{i},{i * 100},{i % 2}\n".encode() for i in range(20))


@pytest.mark.parametrize("name, content, problem", [
    ("data.txt", CSV, "not a CSV file"),
    ("photo.csv", b"\x89PNG\r\n\x1a\n\x00\xff\xfe", "not text"),
    ("empty.csv", b"", "empty"),
    ("header.csv", b"a,b,label\n", "no data rows"),
    ("words.csv", b"name,colour\n" + b"ann,red\nbob,blue\n" * 10, "no numeric columns"),
    ("holes.csv", CSV.replace(b"\n5,500,1\n", b"\n5,,1\n"), "empty cells"),
    ("big.csv", b"a\n" + b"1\n" * (3 * 2**20), "limit is 5 MB"),
    ("long.csv", b"a,label\n" + b"1,0\n2,1\n" * 25_001, "limit is 50,000"),
    ("wide.csv", (",".join(f"c{i}" for i in range(10_000)) + "\n").encode() + (",".join(["1"] * 10_000) + "\n").encode() * 20,
     "10,000 columns; the limit is 200"),
])
def test_csv_loader_rejects_bad_files(name, content, problem):
    with pytest.raises(ValueError, match=problem):
        uploads.read_csv(name, content)


@pytest.mark.parametrize("content, problem", [
    (b"a,b,label\n" + b"1,2,0\n3,4,0\n" * 10, "constant"),  # a constant target: nothing to predict
    (b"a,b,label\n" + b"1,2,0\n1,2,1\n" * 10, "Every feature column is constant"),
    (b"a,b,label\n" + b"1,2,0\n" * 10 + b"3,4,1\n", "single row"),
])
def test_tables_that_cannot_be_learned_are_refused(content, problem):
    with pytest.raises(ValueError, match=problem):
        pp.load_source(pp.Source("mine.csv", content, "label"))


def test_uploaded_table_with_a_constant_column_scales_without_nans():
    content = b"a,flat,b,kind\n" + b"".join(f"{i},7,{i * i},{'xy'[i % 2]}\n".encode() for i in range(30))
    src = pp.Source("mine.csv", content, "kind")
    ds = pp.load_source(src)
    assert ds.feature_names == ("a", "flat", "b") and ds.class_names == ("x", "y") and ds.n_classes == 2
    assert len(ds.x_train) + len(ds.x_val) == 30 and len(ds.x_val) == 2 * round(0.3 * 15)  # 30% of each class
    scaled, _ = pp.scale_dataset(ds, "standard")
    assert torch.isfinite(scaled.x_train).all() and torch.isfinite(scaled.x_val).all()
    assert pp.scaling_view(pp.ScalingView(src)).constant == ["flat"]
    result = pp.race(pp.ScalingRace(source=src, epochs=5))
    assert np.isfinite(result.history.value).all()


@pytest.mark.parametrize("make, message", [
    (lambda: pp.Source("iris"), "Pick a table"),
    (lambda: pp.ScalingRace(lr=0), "learning rate"),
    (lambda: pp.ScalingRace(fit_on="test"), "'train' rows or on 'all'"),
    (lambda: pp.Contours(lr_fraction=2.0), "largest stable"),
    (lambda: pp.Outlier(factor=0.5), "between 1 and 1,000"),
    (lambda: pp.fit_scaler("log", np.ones((3, 2))), "Unknown scaler"),
    (lambda: pp.outliers(pp.Outlier(feature="colour")), "no feature 'colour'"),
])
def test_bad_input_raises_clear_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()

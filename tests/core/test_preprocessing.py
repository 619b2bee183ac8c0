"""The preprocessing chapter checked with numbers: scalers equal scikit-learn's, no leaks, scaling speeds training."""
import dataclasses

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn import datasets as skd
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
    x = (_table_with_constant_column() if table == "constant"
         else data.load(data.DataConfig(table)).x_train.double().numpy())
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
    fractions, parts = [], []
    result = pp.race(pp.ScalingRace(epochs=20), lambda f, part: (fractions.append(f), parts.append(part)))
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)
    assert all(isinstance(part, pp.ScalingRaceResult) and part.facts is None for part in parts)  # the race so far
    assert set(parts[-1].history.variant) == set(result.history.variant)  # the earlier variants' curves stay
    acc = result.history.query("split == 'validation' and metric == 'accuracy'")
    for variant, epoch in result.reached.items():
        rows = acc[acc.variant == variant]
        if epoch is None:
            assert (rows.value < 0.9).all()
        else:
            assert rows.set_index("epoch").value[epoch] >= 0.9 and (rows[rows.epoch < epoch].value < 0.9).all()


def test_race_facts_carry_the_first_epoch_or_none_and_the_final_accuracies():
    result = pp.race(pp.ScalingRace())
    f = result.facts
    assert (f.reached_raw, f.reached_minmax, f.reached_standard) == tuple(result.reached[pp.LABELS[k]] for k in pp.RACE)
    assert f.reached_raw is None and f.reached_standard == 3 and f.standard_first  # raw: not within 60 epochs
    final = result.table.set_index("variant")["final validation accuracy"]
    assert (f.final_acc_raw, f.final_acc_standard) == (final[pp.LABELS["raw"]], final[pp.LABELS["standard"]])
    assert f.raw_at_majority and f.majority == result.majority
    x = data.load(data.DataConfig("wine")).x_train.double().abs().mean(dim=0)  # the raw features' typical sizes
    assert f.input_size_ratio_raw == pytest.approx(float(x.max() / x.min())) and f.input_size_ratio_raw > 1000
    assert 1 <= f.input_size_ratio_standard < 2
    assert f.tiny_lr == pp.TINY_LR == 0.0003 and not f.at_tiny_lr  # at 0.03 the sentence suggests trying 0.0003


@pytest.mark.parametrize("table", uploads.TABLES)
def test_raw_inputs_learn_only_at_tiny_rates_where_the_scaled_ones_crawl(table):
    tiny = pp.race(pp.ScalingRace(pp.Source(table), lr=pp.TINY_LR)).facts  # the rate the notice suggests trying
    assert tiny.at_tiny_lr  # ... so at it the notice suggests no other one
    assert tiny.final_acc_raw > tiny.majority + 0.2 and tiny.final_acc_raw > tiny.final_acc_standard + 0.1
    assert tiny.reached_standard is None  # the scaled ones crawl: not at 90% within 60 epochs
    ten_times = pp.race(pp.ScalingRace(pp.Source(table), lr=0.003)).facts  # a rate ten times larger ...
    assert ten_times.final_acc_raw < ten_times.majority + 0.02  # ... and raw learns (next to) nothing


def test_leak_facts_pick_the_largest_changes_with_their_sign():
    table = pd.DataFrame({"variant": ["a", "b"], "difference": [0.01, -0.03],
                          "largest change of a fitted number": [0.2, 0.05]})
    assert pp.leak_facts(table) == pp.LeakFacts(0.2, "a", -0.03, "b", True)
    same = table.assign(difference=0.0)
    assert not pp.leak_facts(same).accuracy_changed


def test_leak_changes_the_fitted_numbers():
    clean, leaky = pp.race(pp.ScalingRace(epochs=10)), pp.race(pp.ScalingRace(epochs=10, fit_on="all"))
    table = pp.leak_table(clean, leaky).set_index("variant")
    assert list(table.index) == [pp.LABELS["min-max"], pp.LABELS["standard"]]
    assert (table["largest change of a fitted number"] > 0.01).all()
    assert np.allclose(table["difference"], table["fit on all rows (leak)"] - table["fit on training rows"])
    assert pp.leak_facts(pp.leak_table(clean, leaky)).largest_fitted_change > 0.1


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


def test_contour_facts_give_curvature_ratio_axis_ratio_and_tilt():
    """Standardized features with sample correlation r have the Hessian 2 [[1, r], [r, 1]]: eigenvalues 2(1 +- r),
    condition number (1 + |r|) / (1 - |r|), eigenvectors at 45 degrees: an ellipse, not a round bowl. The contour
    ellipse's axes are in the ratio sqrt(condition number), not the condition number ("times steeper")."""
    cfg = pp.Contours()
    f = pp.contours(cfg).facts
    rng = np.random.default_rng(cfg.seed)
    z = rng.standard_normal((cfg.n_samples, 2)) @ np.linalg.cholesky([[1, 0.3], [0.3, 1]]).T
    r = np.corrcoef(z[:, 0], z[:, 1])[0, 1]
    assert f.condition_standard == pytest.approx((1 + r) / (1 - r)) and f.condition_standard > 1.8  # not round
    assert f.axis_ratio_standard == pytest.approx(np.sqrt(f.condition_standard))
    assert f.axis_ratio_raw == pytest.approx(np.sqrt(f.condition_raw)) and f.axis_ratio_raw < f.condition_raw / 5
    assert f.tilt_standard == pytest.approx(-45.0)  # r > 0: the long axis runs along (1, -1)
    assert abs(f.tilt_raw) < 10  # raw, the valley runs nearly along w1 (w2's feature has 5 times the spread)


def test_at_the_default_rate_both_paths_zig_zag_and_the_raw_one_crawls():
    result = pp.contours(pp.Contours())
    f = result.facts
    assert f.steep_factor_raw == pytest.approx(-0.6) and f.steep_factor_standard == pytest.approx(-0.6)
    assert f.zigzags_raw and f.zigzags_standard and not f.diverges
    assert f.shallow_factor_raw > 0.9 and f.shallow_factor_standard < 0.3
    assert (f.steps_to_1pct_raw, f.steps_to_1pct_standard) == (86, 10) and f.raw_crawls  # 0.948^86, 0.6^10 <= 1%
    # The path itself: along each eigen-direction the error shrinks by exactly that factor per step.
    for scaling, factors in ((pp.LABELS["raw"], (f.shallow_factor_raw, f.steep_factor_raw)),
                             (pp.LABELS["standard"], (f.shallow_factor_standard, f.steep_factor_standard))):
        path = result.path[result.path.scaling == scaling][["w1", "w2"]].to_numpy()
        x = _contour_inputs(pp.Contours(), scaling)
        _, vectors = np.linalg.eigh(x.T @ x)
        best = np.linalg.lstsq(x, _contour_y(), rcond=None)[0]
        error = (path - best) @ vectors  # (steps + 1, 2): components along valley, across
        np.testing.assert_allclose(error[1:6] / error[:5], np.broadcast_to(factors, (5, 2)), rtol=1e-6)


def test_a_rate_above_the_stable_one_diverges_and_a_small_one_does_not_zig_zag():
    small, big = (pp.contours(pp.Contours(lr_fraction=v)).facts for v in (0.2, 1.05))
    assert not small.zigzags_raw and not small.diverges and small.steep_factor_raw == pytest.approx(0.6)
    assert big.diverges and big.steps_to_1pct_raw is None and not big.raw_crawls and big.gap_raw > 1


def test_the_lowest_losses_differ_because_the_model_has_no_bias():
    f = pp.contours(pp.Contours()).facts
    assert f.lowest_standard - f.lowest_raw > 0.005  # they differ ...
    assert f.lowest_centred == pytest.approx(f.lowest_standard, rel=1e-9)  # ... by the centring alone
    x = _contour_inputs(pp.Contours(), pp.LABELS["raw"])
    assert (f.mean_x1, f.mean_x2) == pytest.approx(tuple(x.mean(axis=0)))
    with_bias = np.column_stack([x, np.ones(len(x))])  # a bias would make scaling irrelevant to the best loss
    y = _contour_y()
    best_bias = np.mean((with_bias @ np.linalg.lstsq(with_bias, y, rcond=None)[0] - y) ** 2)
    centred = x - x.mean(axis=0)
    assert best_bias == pytest.approx(np.mean((centred @ np.linalg.lstsq(centred, y - y.mean(), rcond=None)[0]
                                               - (y - y.mean())) ** 2))


def _contour_y(cfg: pp.Contours | None = None) -> np.ndarray:
    cfg = cfg or pp.Contours()
    rng = np.random.default_rng(cfg.seed)
    z = rng.standard_normal((cfg.n_samples, 2)) @ np.linalg.cholesky([[1, cfg.correlation], [cfg.correlation, 1]]).T
    return z @ np.array([1.0, 1.0]) + 0.3 * rng.standard_normal(cfg.n_samples)


def _contour_inputs(cfg: pp.Contours, scaling: str) -> np.ndarray:
    rng = np.random.default_rng(cfg.seed)
    z = rng.standard_normal((cfg.n_samples, 2)) @ np.linalg.cholesky([[1, cfg.correlation], [cfg.correlation, 1]]).T
    raw = z * np.array([1.0, cfg.spread])
    return raw if scaling == pp.LABELS["raw"] else (raw - raw.mean(axis=0)) / raw.std(axis=0)


def test_view_facts_describe_the_training_rows():
    f = pp.scaling_view(pp.ScalingView()).facts
    x = data.load(data.DataConfig("wine")).x_train.double().numpy()
    ranges = np.ptp(x, axis=0)
    assert f.widest == "proline" and f.range_ratio == pytest.approx(ranges.max() / ranges.min())
    assert (f.widest_min, f.widest_max) == pytest.approx((x[:, 12].min(), x[:, 12].max()))
    assert (f.minmax_lowest, f.minmax_highest) == (0.0, 1.0) and f.n_constant == 0 and f.n_train == len(x)
    assert f.standard_largest_mean < 1e-12 and f.standard_std_lowest == pytest.approx(1) == f.standard_std_highest
    assert f.standard_std_same  # both read 1.000: "standard deviation 1.000 in every column", not "1.000 to 1.000"


def test_outlier_squeezes_min_max_most_and_robust_least():
    t = pp.outliers(pp.Outlier(feature="alcohol", factor=10.0)).table.set_index("scaling")["squeezed by"]
    assert t[pp.LABELS["min-max"]] > t[pp.LABELS["standard"]] > 5 > 1.1 > t[pp.LABELS["robust"]]
    assert t[pp.LABELS["raw"]] == pytest.approx(1.0)
    f = pp.outliers(pp.Outlier(feature="alcohol", factor=10.0)).facts
    col = data.load(data.DataConfig("wine")).x_train[:, 0].double().numpy()
    assert f.outlier_value == pytest.approx(10 * col.max()) and f.n_others == len(col)
    assert f.others_top_minmax == pytest.approx((col.max() - col.min()) / (10 * col.max() - col.min()))
    assert f.std_inflation == pytest.approx(np.append(col, 10 * col.max()).std() / col.std())
    assert (f.squeeze_minmax, f.squeeze_standard, f.squeeze_robust) == (
        t[pp.LABELS["min-max"]], t[pp.LABELS["standard"]], t[pp.LABELS["robust"]])


@pytest.mark.parametrize("factor, most, small", [(1.0, "robust scaling", True), (2.0, "min-max", False),
                                                  (10.0, "min-max", False)])
def test_which_scaler_squeezes_most_depends_on_the_outlier(factor, most, small):
    """At 1x the 'outlier' is the largest value itself: min-max squeezes by exactly 1, the others by under 10%, so
    'min-max squeezes most' is false there; from 2x on min-max squeezes most (4.9x at 2x, against 2.0x and 1.02x)."""
    f = pp.outliers(pp.Outlier(feature="alcohol", factor=factor)).facts
    squeeze = {"min-max": f.squeeze_minmax, "standardization": f.squeeze_standard, "robust scaling": f.squeeze_robust}
    assert f.squeezes_most == most == max(squeeze, key=squeeze.get) and f.squeeze_small == small
    if factor == 1.0:
        assert f.squeeze_minmax == pytest.approx(1.0) and max(squeeze.values()) < pp.SMALL_SQUEEZE
    else:
        assert f.squeeze_minmax > 2 * f.squeeze_standard > 2 > pp.SMALL_SQUEEZE > f.squeeze_robust


def test_image_normalization_equals_torchvision():
    result = image_scaling.image_normalization(image_scaling.ImageNorm())
    assert result.before.shape[2] == 3 and result.before.min() >= 0 and result.before.max() <= 1
    np.testing.assert_allclose(result.stats["mean after"], 0, atol=1e-5)
    np.testing.assert_allclose(result.stats["std after"], 1, atol=1e-5)
    assert image_scaling.torchvision_difference(result) < 1e-6


def test_digits_scale_to_unit_range():
    result = image_scaling.digits_scaling(image_scaling.DigitsScaling())
    assert result.max_value == 16 and result.scaled.to_numpy().max() <= 1 and result.raw.to_numpy().max() > 1
    np.testing.assert_allclose(result.scaled.to_numpy(), (result.raw / 16).to_numpy(), atol=1e-3)
    assert result.facts.constant_pixels > 0


def test_per_pixel_min_max_is_guarded_for_constant_pixels_and_stretches_rare_ones():
    """The old notice said per-pixel min-max 'would fail here'; with the app's scaler it does not fail: constant
    pixels (a 0/0 range) come out 0, and what goes wrong is that faint, rarely inked border pixels reach 1."""
    f = image_scaling.digits_scaling(image_scaling.DigitsScaling()).facts
    pixels = skd.load_digits().data
    ranges = np.ptp(pixels, axis=0)
    assert f.constant_pixels == int((ranges == 0).sum()) == 3  # three pixels are 0 in all 1,797 images
    scaled = pp.transform(pp.fit_scaler("min-max", pixels), pixels)
    assert np.isfinite(scaled).all() and f.minmax_finite
    assert (scaled[:, ranges == 0] == 0).all() and f.constant_output == 0.0
    rare = (ranges > 0) & ((pixels > 0).mean(axis=0) < 0.01)
    assert f.rare_pixels == int(rare.sum()) == 7 and f.rare_on_border
    assert (scaled[:, rare].max(axis=0) == 1).all()  # each rare pixel's largest value becomes full ink ...
    assert (pixels[:, rare].max(axis=0) / 16 <= 0.5).all()  # ... where dividing by 16 leaves it at most half
    assert f.rare_faintest == 1.0 and f.rare_stretch == 16.0


def test_image_normalization_uses_the_photos_own_statistics():
    result = image_scaling.image_normalization(image_scaling.ImageNorm())
    f = result.facts
    pixels = result.before.reshape(-1, 3)  # (H*W, 3): the photo that was normalized
    assert f.own_statistics and f.n_pixels == len(pixels)
    np.testing.assert_allclose(result.mean, pixels.mean(axis=0), rtol=1e-5)  # its own mean, not a data set's
    np.testing.assert_allclose(result.std, pixels.std(axis=0), rtol=1e-4)
    assert f.largest_mean_after < 1e-5 and abs(f.std_after_lowest - 1) < 1e-5 and abs(f.std_after_highest - 1) < 1e-5
    assert f.order_kept and f.std_after_same  # "std 1.000 in every channel"
    imagenet = (pixels - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225]  # a data set's statistics: not mean 0 here
    assert np.abs(imagenet.mean(axis=0)).max() > 0.1


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
    ("wide.csv", (",".join(f"c{i}" for i in range(10_000)) + "\n").encode()
     + (",".join(["1"] * 10_000) + "\n").encode() * 20, "10,000 columns; the limit is 200"),
    # Accepted before, then drew NaN charts with no message (issue 19), or failed with pandas' "truth value of
    # a Series is ambiguous" (a header that names a column twice).
    ("inf.csv", CSV.replace(b"\n5,500,1\n", b"\n5,inf,1\n"),
     "1 cell that is infinite or larger than 10\\^15 .* line 7: inf"),
    ("huge.csv", CSV.replace(b"\n5,500,1\n", b"\n5,1e308,1\n"), "infinite or larger than 10\\^15"),
    ("twice.csv", CSV.replace(CSV.split(b"\n")[0], b"x, x,label"), "names 'x' more than once"),
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
    (lambda: pp.Contours(correlation=1.0), "correlation of the two features"),
    (lambda: image_scaling.DigitsScaling(index=5000), "between 0 and 1,796"),
    (lambda: pp.Outlier(factor=0.5), "between 1 and 1,000"),
    (lambda: pp.fit_scaler("log", np.ones((3, 2))), "Unknown scaler"),
    (lambda: pp.outliers(pp.Outlier(feature="colour")), "no feature 'colour'"),
])
def test_bad_input_raises_clear_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_a_header_that_repeats_a_name_exactly_is_refused_although_pandas_renames_it():
    # pandas reads 'x,x,label' as x, x.1, label: the student would train on a column 'x.1' they never named.
    rows = "\n".join(f"{i},{2 * i},{i % 2}" for i in range(20))
    with pytest.raises(ValueError, match="names 'x' more than once"):
        uploads.read_csv("twice.csv", f"x,x,label\n{rows}\n".encode())

"""Unit tests of core.data: every dataset's shapes, dtypes and classes, the stratified split, seeding, noise, errors."""
import pytest
import torch

from core import data
from core.data import DataConfig, load, plane_box, plane_grid, points_frame

# name -> (features, classes (0: regression), total samples or None when n_samples sets it)
EXPECTED = {
    **dict.fromkeys(data.TOY_2D, (2, 2, None)),
    "curve": (1, 0, None),
    **dict.fromkeys(data.REGRESSION_2D, (2, 0, None)),
    "digits": (64, 10, 1797),
    "wine": (13, 3, 178),
    "breast_cancer": (30, 2, 569),
}
N_SAMPLES, VAL_FRACTION = 200, 0.25


def test_expected_table_covers_every_dataset():
    assert set(EXPECTED) == set(data.NAMES) == set(data.LABELS)


@pytest.mark.parametrize("name", data.NAMES)
def test_shapes_dtypes_and_classes(name):
    n_features, n_classes, total = EXPECTED[name]
    ds = data.load(DataConfig(name, n_samples=N_SAMPLES, val_fraction=VAL_FRACTION, seed=3))
    n_train, n_val = len(ds.x_train), len(ds.x_val)
    total = total or N_SAMPLES
    assert n_train + n_val == total
    # Stratified rounding happens per class, so the validation size may be off by up to half a sample per class.
    assert abs(n_val - VAL_FRACTION * total) <= max(1, n_classes) / 2
    assert ds.x_train.shape == (n_train, n_features) and ds.x_val.shape == (n_val, n_features)
    assert ds.x_train.dtype == ds.x_val.dtype == torch.float32
    assert ds.n_features == n_features and len(ds.feature_names) == n_features
    assert ds.n_classes == n_classes and len(ds.class_names) == n_classes
    assert torch.isfinite(ds.x_train).all() and torch.isfinite(ds.x_val).all()
    if n_classes:
        assert ds.task == "classification"
        assert ds.y_train.shape == (n_train,) and ds.y_val.shape == (n_val,)
        assert ds.y_train.dtype == ds.y_val.dtype == torch.int64
        assert set(ds.y_train.tolist()) == set(ds.y_val.tolist()) == set(range(n_classes))
    else:
        assert ds.task == "regression"
        assert ds.y_train.shape == (n_train, 1) and ds.y_val.shape == (n_val, 1)
        assert ds.y_train.dtype == ds.y_val.dtype == torch.float32


@pytest.mark.parametrize("name", data.NAMES)
def test_train_and_validation_do_not_overlap(name):
    ds = data.load(DataConfig(name, n_samples=N_SAMPLES, seed=1))
    rows = torch.cat([torch.cat([ds.x_train, ds.x_val]), torch.cat([ds.y_train, ds.y_val]).reshape(-1, 1).float()], 1)
    whole = data._arrays(DataConfig(name, n_samples=N_SAMPLES, seed=1))
    expected = torch.cat([torch.as_tensor(whole[0], dtype=torch.float32),
                          torch.as_tensor(whole[1], dtype=torch.float32).reshape(-1, 1)], 1)
    # The split is a permutation of the generated rows: every row once, none lost or repeated.
    assert torch.equal(torch.unique(rows, dim=0), torch.unique(expected, dim=0))
    assert len(rows) == len(expected)


@pytest.mark.parametrize("name", [n for n in data.NAMES if EXPECTED[n][1]])
def test_split_is_stratified(name):
    ds = data.load(DataConfig(name, n_samples=300, val_fraction=0.3, seed=5))
    y = torch.cat([ds.y_train, ds.y_val])
    whole = torch.bincount(y, minlength=ds.n_classes) / len(y)
    for part in (ds.y_train, ds.y_val):
        share = torch.bincount(part, minlength=ds.n_classes) / len(part)
        assert (share - whole).abs().max() <= 0.02


@pytest.mark.parametrize("name", data.NAMES)
def test_same_config_same_tensors_other_seed_other_tensors(name):
    cfg = DataConfig(name, n_samples=100, seed=7)
    a, b, c = data.load(cfg), data.load(cfg), data.load(DataConfig(name, n_samples=100, seed=8))
    for field in ("x_train", "y_train", "x_val", "y_val"):
        assert torch.equal(getattr(a, field), getattr(b, field))
    assert not torch.equal(a.x_train, c.x_train)
    assert hash(cfg) == hash(DataConfig(name, n_samples=100, seed=7))  # usable as a cache key


@pytest.mark.parametrize("name", data.TOY_2D + data.REGRESSION + data.REGRESSION_2D)
def test_noise_changes_the_data(name):
    low = data.load(DataConfig(name, n_samples=100, noise=0.1))
    high = data.load(DataConfig(name, n_samples=100, noise=0.5))
    assert not torch.equal(low.x_train, high.x_train) or not torch.equal(low.y_train, high.y_train)


@pytest.mark.parametrize("name", data.TABLES)
def test_tables_keep_their_own_size(name):
    small = data.load(DataConfig(name, n_samples=10))
    big = data.load(DataConfig(name, n_samples=5000))
    assert len(small.x_train) + len(small.x_val) == len(big.x_train) + len(big.x_val) == EXPECTED[name][2]


def test_noise_free_curve_is_the_formula_and_noise_has_the_documented_scale():
    clean = data.load(DataConfig("curve", n_samples=1000, noise=0.0))
    x = clean.x_train.double()
    assert torch.allclose(clean.y_train.double(), torch.sin(3 * x) + 0.3 * torch.cos(9 * x), atol=1e-6)
    noisy = data.load(DataConfig("curve", n_samples=4000, noise=0.4))
    x = noisy.x_train.double()
    residual = noisy.y_train.double() - (torch.sin(3 * x) + 0.3 * torch.cos(9 * x))
    assert residual.std().item() == pytest.approx(0.2, rel=0.1)  # noise * 0.5, in units of the curve


def test_noise_free_moons_lie_on_two_unit_half_circles():
    ds = data.load(DataConfig("moons", n_samples=200, noise=0.0))
    x, y = torch.cat([ds.x_train, ds.x_val]).double(), torch.cat([ds.y_train, ds.y_val])
    centre = torch.tensor([[0.0, 0.0], [1.0, 0.5]], dtype=torch.float64)[y]  # upper moon at (0, 0), lower at (1, 0.5)
    assert torch.allclose((x - centre).norm(dim=1), torch.ones(len(x), dtype=torch.float64), atol=1e-6)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"name": "mnist"}, r"Unknown dataset 'mnist': choose one of moons, circles, xor, spirals, blobs, curve"),
        ({"n_samples": 5}, r"number of samples must be between 10 and 20,000"),
        ({"n_samples": 20_001}, r"number of samples must be between 10 and 20,000"),
        ({"noise": -1}, r"Noise must be between 0 and 2"),
        ({"val_fraction": 0.99}, r"validation fraction must be between 0.05 and 0.9"),
        ({"val_fraction": 0.0}, r"validation fraction must be between 0.05 and 0.9"),
    ],
)
def test_bad_configs_raise_a_clear_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DataConfig(**kwargs)


def test_val_fraction_sets_the_validation_share():
    for fraction in (0.1, 0.5, 0.9):
        ds = data.load(DataConfig("moons", n_samples=400, val_fraction=fraction))
        assert len(ds.x_val) == round(fraction * 400)  # 200 per class, so per-class rounding is exact


def test_points_frame_and_plane_grid_cover_a_2d_set():
    ds = load(DataConfig("moons", n_samples=100))
    points = points_frame(ds)
    assert list(points.columns) == ["x1", "x2", "label", "split"]
    assert (points.split == "train").sum() == len(ds.x_train) and (points.split == "validation").sum() == len(ds.x_val)
    box = plane_box(ds, margin=0.5)
    assert box[0] == pytest.approx(points.x1.min() - 0.5, abs=1e-6)
    assert box[3] == pytest.approx(points.x2.max() + 0.5, abs=1e-6)
    grid = plane_grid(box, 4)
    assert grid.shape == (16, 2)
    step = (box[1] - box[0]) / 4
    assert grid[0, 0].item() == pytest.approx(box[0] + step / 2)
    assert grid[1, 0].item() == pytest.approx(box[0] + 1.5 * step)
    assert grid[1, 1].item() == grid[0, 1].item()  # x1 runs fastest
    assert (grid[:, 0] > box[0]).all() and (grid[:, 0] < box[1]).all()


@pytest.mark.parametrize("name", data.REGRESSION_2D)
def test_plane_regression_sets_are_their_formula_plus_noise_within_minus_one_to_one(name):
    clean = data.load(DataConfig(name, n_samples=2000, noise=0.0))
    x = clean.x_train.double().numpy()
    assert torch.allclose(clean.y_train.double(), torch.as_tensor(data.plane_target(name, x)), atol=1e-6)
    assert clean.y_train.abs().max() <= 1.0 and clean.y_train.std() > 0.2
    noisy = data.load(DataConfig(name, n_samples=4000, noise=0.5))
    residual = noisy.y_train.double().numpy() - data.plane_target(name, noisy.x_train.double().numpy())
    assert abs(residual.std() - 0.1) < 0.01  # noise * 0.2

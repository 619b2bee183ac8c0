"""The optimization experiments on a real small net: learning rates, LR range test, batch noise, schedules, slices."""
import numpy as np
import pytest
import torch

from core import optimization as opt
from core import training


def test_three_learning_rates_crawl_learn_and_blow_up():
    result = opt.lr_sweep(opt.LrSweep())
    t = result.table.set_index("learning rate")
    assert t.loc[0.3, "final train loss"] < 0.5 * t.loc[0.003, "final train loss"]
    assert list(result.messages) == ["too large (lr 30)"] and "too large" in result.messages["too large (lr 30)"]
    assert t.loc[0.3, "final validation accuracy"] > 0.9


def test_lr_range_suggests_a_rate_where_the_loss_fell():
    result = opt.lr_range(opt.LrRange())
    curve = result.curve
    assert np.allclose(np.diff(np.log(curve.lr)), np.log(1e6) / 209, rtol=1e-3)  # exponential growth, 1e-4 to 100
    assert curve.lr.iloc[0] == pytest.approx(1e-4)
    start = curve["smoothed loss"].iloc[0]
    at = curve.loc[curve.lr == result.suggestion, "smoothed loss"].iloc[0]
    assert curve.lr.iloc[0] < result.suggestion <= result.lowest  # inside the stretch where the loss fell
    assert at < start and curve["smoothed loss"].min() < 0.8 * start
    assert result.stopped  # at lr 100 the trainer reports the blow-up


def test_batch_of_one_gives_noisier_gradients_than_the_full_batch():
    result = opt.batch_noise(opt.BatchNoise(epochs=2))
    t = result.table.set_index("variant")
    var = t["gradient variance"]
    assert var["batch 1"] > 5 * var["batch 16"] > 0 and var["full batch"] == pytest.approx(0, abs=1e-12)
    cos = result.directions.groupby("variant").cosine.mean()
    assert cos["batch 1"] < cos["batch 16"] < cos["full batch"] == pytest.approx(1)
    assert list(t["updates per epoch"]) == [210, 14, 1]


def test_per_sample_gradients_average_to_the_batch_gradient():
    ds = opt._moons()
    G = opt.per_sample_gradients(opt.SPEC, 0, ds.x_train, ds.y_train)
    model = opt.build_mlp(opt.SPEC, torch.Generator().manual_seed(0))
    torch.nn.functional.binary_cross_entropy_with_logits(model(ds.x_train)[:, 0], ds.y_train.float()).backward()
    autograd = torch.cat([p.grad.reshape(-1) for p in model.parameters()])
    torch.testing.assert_close(G.mean(dim=0), autograd, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("schedule", list(opt.SCHEDULES))
def test_a_schedules_lrs_are_the_lr_schedulers_own(schedule):
    cfg = opt.Schedules(schedules=(schedule,), epochs=4)
    result = opt.schedules(cfg)
    lrs = result.lrs.query("schedule == @schedule").lr.to_numpy()
    train = cfg.train(schedule)
    sgd = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=train.lr, momentum=0.9)
    cls, kwargs = opt.SCHEDULES[schedule]
    total = len(lrs)
    if cls is not None:
        extra = {"CosineAnnealingLR": {"T_max": total}, "OneCycleLR": {"max_lr": train.lr, "total_steps": total},
                 "CosineAnnealingWarmRestarts": {"T_0": total // 4}, "CyclicLR": {"max_lr": train.lr}}.get(cls, {})
        scheduler = getattr(torch.optim.lr_scheduler, cls)(sgd, **dict(kwargs(train.lr, total)), **extra)
    expected = []
    for _ in range(total):
        expected.append(sgd.param_groups[0]["lr"])
        sgd.step()
        if cls is not None:
            scheduler.step()
    np.testing.assert_allclose(lrs, expected, rtol=1e-12)
    trained = result.history.query("variant == @schedule")
    assert trained.epoch.max() == 4
    fitted = training.fit(opt.SPEC, opt._moons(), train)
    np.testing.assert_allclose(fitted.iterations.lr, lrs, rtol=1e-6)  # the trainer ran with exactly these rates


def test_schedules_change_the_run_and_annealing_settles_lower_than_constant():
    t = opt.schedules(opt.Schedules()).table.set_index("schedule")["final train loss"]
    assert t["cosine annealing"] < t["constant"]
    assert t.nunique() == len(t)


def test_landscape_slices_are_finite_and_lowest_near_the_trained_weights():
    result = opt.net_slices(opt.NetSlices())
    assert np.isfinite(result.line.loss).all()
    for variant, line in result.line.groupby("variant"):
        best = line.loc[line.loss.idxmin(), "alpha"]
        assert abs(best) <= 0.1, (variant, best)
        grid = result.maps[variant]
        assert np.isfinite(grid.loss).all() and len(grid) == opt.NetSlices().points_2d ** 2
        low = grid.loc[grid.loss.idxmin()]
        assert np.hypot(low.w1, low.w2) <= 0.15, (variant, low)
        assert grid.loss.max() > 2 * grid.loss.min()  # it is a basin, not a plateau
    assert (result.table.iloc[:, 3] > 0).all()


def test_filter_normalized_directions_match_each_rows_norm():
    w = [(torch.randn(16, 2, dtype=torch.float64), torch.randn(16, dtype=torch.float64))]
    (d, b), = opt.directions(w, torch.Generator().manual_seed(0))
    torch.testing.assert_close(d.norm(dim=1), w[0][0].norm(dim=1))
    assert not b.any()


@pytest.mark.parametrize("make, message", [
    (lambda: opt.LrSweep(lrs=(0.0, 1.0, 2.0)), "learning rate"),
    (lambda: opt.LrRange(lr_min=1.0, lr_max=0.1), "smallest learning rate"),
    (lambda: opt.BatchNoise(batch_sizes=(0,)), "batch size"),
    (lambda: opt.Schedules(schedules=("zigzag",)), "schedule"),
    (lambda: opt.NetSlices(span=0.0), "half-width"),
])
def test_bad_configs_raise_clear_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()

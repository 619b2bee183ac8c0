"""The optimization experiments on a real small net: learning rates, LR range test, batch noise, schedules, slices."""
import numpy as np
import pytest
import torch

from core import optimization as opt, training


def test_three_learning_rates_crawl_learn_and_blow_up():
    result = opt.lr_sweep(opt.LrSweep())
    t = result.table.set_index("learning rate")
    assert t.loc[0.1, "final train loss"] < 0.5 * t.loc[0.003, "final train loss"]
    assert list(result.messages) == ["too large (lr 30)"] and "too large" in result.messages["too large (lr 30)"]
    assert t.loc[0.1, "final validation accuracy"] > 0.9
    f = result.facts
    assert (f.small_lr, f.good_lr, f.large_lr, f.epochs) == (0.003, 0.1, 30.0, 120)
    assert f.good_final_loss == pytest.approx(t.loc[0.1, "final train loss"])
    assert f.small_final_loss == pytest.approx(t.loc[0.003, "final train loss"])
    assert f.large_blew_up and f.large_blow_up_epoch == 1 and f.warnings == 1


def test_the_good_rate_descends_without_a_spike_where_the_old_default_spiked():
    """Issue 16: the old default (lr 0.3, batch 16, 40 epochs) rose to 14x its best train loss in one epoch."""
    good = opt.lr_sweep(opt.LrSweep()).facts
    assert good.good_spike_epochs == 0 and good.good_max_rise < 0.15
    old = opt.lr_sweep(opt.LrSweep(lrs=(0.003, 0.3, 30.0), epochs=40, batch_size=16)).facts
    assert old.good_spike_epochs >= 2 and old.good_max_rise > 10


def test_rise_above_best_measures_from_the_running_minimum():
    loss = np.array([1.0, 0.8, 0.5, 0.6, 0.4, 0.5, 0.3, 0.9, np.inf])  # epochs 0..8
    np.testing.assert_allclose(opt.rise_above_best(loss, settle=1), [0.0, 0.2, 0.0, 0.25, 0.0, 2.0, np.inf])
    assert opt.rise_above_best(loss, settle=8).size == 0


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
    result = opt.batch_noise(opt.BatchNoise(budget="epochs", epochs=2))
    t = result.table.set_index("variant")
    var = t["gradient variance"]
    assert var["batch 1"] > 5 * var["batch 16"] > 0 and var["full batch"] == pytest.approx(0, abs=1e-12)
    cos = result.directions.groupby("variant").cosine.mean()
    assert cos["batch 1"] < cos["batch 16"] < cos["full batch"] == pytest.approx(1)
    assert list(t["updates per epoch"]) == [210, 14, 1]
    f = result.facts
    assert f.noise_updates == (420, 28, 2) and f.noise_epochs == (2, 2, 2) and f.noise_updates_ratio == 210
    assert f.noise_updates_per_epoch == (210, 14, 1)
    assert f.noise_variance == tuple(var) and f.noise_share_downhill == tuple(t["share pointing downhill"])


def test_the_equal_updates_budget_gives_every_batch_size_the_same_number_of_steps():
    """Issue 16: batch 1 made 210x the updates of the full batch; the default now compares at equal updates."""
    result = opt.batch_noise(opt.BatchNoise())
    f = result.facts
    assert f.noise_budget == "updates" and f.noise_updates == (420, 420, 420) and f.noise_epochs == (2, 30, 420)
    assert result.iterations.groupby("variant", sort=False).iteration.max().tolist() == [420, 420, 420]
    assert list(result.table["updates"]) == [420, 420, 420] and f.noise_updates_ratio == 1
    assert f.noise_runs.startswith("batch 1: 420 updates in 2 epochs, batch 16: 420 updates in 30 epochs")
    assert f.noise_first_lowest == (f.noise_final_loss[0] == min(f.noise_final_loss))


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
    result = opt.schedules(opt.Schedules())
    t = result.table.set_index("schedule")["final train loss"]
    assert t["cosine annealing"] < t["constant"]
    assert t.nunique() == len(t)
    f = result.facts
    assert f.schedule_ends_low == (False, True, True, True)  # constant, step decay, cosine, one-cycle
    assert (f.lowest_schedule, f.highest_schedule) == (t.idxmin(), t.idxmax()) and f.lowest_loss == t.min()
    change = result.table.set_index("schedule")[opt.LATE_CHANGE]
    assert f.constant_change == change["constant"] and f.ends_low_max_change == change.iloc[1:].max()
    train = result.history.query("variant == 'constant' and split == 'train' and metric == 'loss'")["value"]
    assert change["constant"] == pytest.approx(np.abs(np.diff(train.to_numpy()[-6:])).mean())  # by hand
    assert f.settle_compared and f.settle_below_constant
    # None of the default four raises the rate again once it fell: the notice must not speak of restarts and cycles.
    assert f.schedule_raises_again == (False, False, False, False) and f.raising_schedules == ""
    assert f.raising_available == "cosine, warm restarts and cyclic"


def test_only_warm_restarts_and_cyclic_raise_the_rate_again_after_it_fell():
    """A rise after the first fall is a restart or a new cycle; one-cycle's warm-up rises before it falls."""
    assert not opt.raises_again([1, 2, 3, 3]) and not opt.raises_again([3, 2, 1]) and not opt.raises_again([1, 3, 1])
    assert opt.raises_again([3, 1, 3]) and opt.raises_again([1, 3, 1, 2])
    assert not opt.raises_again([1.0, 1.0 - 1e-15, 1.0])  # a rounding wobble is no restart
    cfg = opt.Schedules(epochs=6)
    ipe = training.iterations_per_epoch(opt.TRAIN_SAMPLES, cfg.batch_size)
    tables = {s: training.lr_table(cfg.train(s), ipe) for s in opt.SCHEDULES}
    assert {s for s, lrs in tables.items() if opt.raises_again(lrs)} == {"cosine, warm restarts", "cyclic"}
    restart = np.asarray(tables["cosine, warm restarts"])
    assert restart.max() == pytest.approx(cfg.lr) and (np.diff(restart) > cfg.lr / 2).any()  # jumps back to the peak


def test_one_cycle_leaves_out_the_momentum_that_torchs_one_cycle_cycles_opposite_to_the_rate():
    """Issue 16: the trainer takes only the rate from OneCycleLR; the facts say so, and what the real class does."""
    cycle = opt.one_cycle_momentum(100, 3.0)
    # 0.85 and 0.95: OneCycleLR's documented base_momentum and max_momentum defaults
    peak = int(cycle.lr.idxmax())
    assert 0 < peak < 99 and cycle.momentum[peak] == pytest.approx(0.85)  # lowest momentum at the highest rate
    assert cycle.momentum.iloc[0] == pytest.approx(0.95) and cycle.momentum.iloc[-1] == pytest.approx(0.95, abs=1e-3)
    rate, momentum = np.diff(cycle.lr), np.diff(cycle.momentum)
    assert (np.sign(rate[np.abs(rate) > 1e-9]) == -np.sign(momentum[np.abs(rate) > 1e-9])).all()  # always opposite
    cfg = opt.Schedules(schedules=("one-cycle",), epochs=2)
    np.testing.assert_allclose(opt.one_cycle_momentum(14, cfg.lr).lr, training.lr_table(cfg.train("one-cycle"), 7))
    f = opt.schedules(cfg).facts
    assert not f.one_cycle_momentum_cycled and f.one_cycle_momentum == (0.85, 0.95)
    assert cfg.train("one-cycle").momentum == 0  # plain SGD: there is no momentum to cycle


def test_landscape_slices_are_finite_and_lowest_near_the_trained_weights():
    result = opt.net_slices(opt.NetSlices())
    assert len(result.line) and len(result.table) == len(opt.NetSlices().batch_sizes)
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


def test_slices_compare_nets_at_equal_updates_and_measure_many_directions():
    """Issue 16: batch 16 made 560 Adam steps, the full batch 40; 'rises in every direction' rested on 2 directions."""
    cfg = opt.NetSlices()
    f = opt.net_slices(cfg).facts
    assert f.slice_budget == "updates" and f.slice_updates == (560, 560) and f.slice_epochs == (40, 560)
    assert f.slice_directions == 12 and f.slice_all_rising and f.slice_share_rising == (1.0, 1.0)
    assert min(f.slice_min_rise) > 0 and f.slice_sharper == "full batch" and f.slice_last_sharper
    old = opt.NetSlices(budget="epochs").train
    assert (old(16).epochs * 14, old(None).epochs) == (560, 40)  # the old comparison, still available


def test_the_share_of_rising_directions_counts_each_direction_on_both_sides():
    """An independent oracle: perturb the trained net's nn.Linear weights along one direction and evaluate it."""
    cfg = opt.NetSlices(directions_sampled=3, batch_sizes=(None,), updates=60, points_2d=5, points_1d=5)
    result = opt.net_slices(cfg)
    ds = opt._moons()
    fit = training.fit(opt.SPEC, ds, cfg.train(None), name="full batch")
    weights = opt.layers(fit, "full batch")
    g = opt.generator(cfg.seed + 1)
    dirs = [opt.directions(weights, g) for _ in range(3)]
    model = opt.build_mlp(opt.SPEC, torch.Generator().manual_seed(0)).double()
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]

    def loss(direction, step):
        with torch.no_grad():
            for m, (W, b), (dW, db) in zip(linears, weights, direction):
                m.weight.copy_(W + step * dW)
                m.bias.copy_(b + step * db)
            out = model(ds.x_train.double())[:, 0]
            return float(torch.nn.functional.binary_cross_entropy_with_logits(out, ds.y_train.double()))

    at = loss(dirs[0], 0.0)
    rising = [loss(d, -0.5) > at and loss(d, 0.5) > at for d in dirs]
    assert result.facts.slice_share_rising == (pytest.approx(sum(rising) / 3),)
    assert result.facts.slice_rising == (sum(rising),)
    assert result.table["directions rising on both sides"].tolist() == [f"{sum(rising)} of 3"]
    assert result.facts.slice_loss_at == (pytest.approx(at, rel=1e-5),)


def test_filter_normalized_directions_match_each_rows_norm():
    w = [(torch.randn(16, 2, dtype=torch.float64), torch.randn(16, dtype=torch.float64))]
    (d, b), = opt.directions(w, torch.Generator().manual_seed(0))
    torch.testing.assert_close(d.norm(dim=1), w[0][0].norm(dim=1))
    assert not b.any()


@pytest.mark.parametrize("make, message", [
    (lambda: opt.LrSweep(lrs=(0.0, 1.0, 2.0)), "learning rate"),
    (lambda: opt.LrRange(lr_min=1.0, lr_max=0.1), "smallest learning rate"),
    (lambda: opt.BatchNoise(batch_sizes=(0,)),
     r"Batch size must be between 1 and the number of training samples \(210\)"),
    (lambda: opt.Schedules(schedules=("zigzag",)), "schedule"),
    (lambda: opt.NetSlices(span=0.0), "half-width"),
    (lambda: opt.NetSlices(updates=100), "multiple of every run's updates per epoch"),
    (lambda: opt.NetSlices(directions_sampled=1), "random directions"),
    (lambda: opt.BatchNoise(updates=100), "multiple of every run's updates per epoch"),
    (lambda: opt.BatchNoise(budget="steps"), "budget"),
    (lambda: opt.LrSweep(lrs=(0.1, 1.0), names=("a", "b")), "three learning rates"),
    (lambda: opt.LrSweep(lrs=(0.003, 0.1, 0.0003)), r"ordered too small < good < too large; got 0.003, 0.1, 0.0003"),
    (lambda: opt.LrSweep(lrs=(0.1, 0.1, 30.0)), "ordered too small < good < too large"),
])
def test_bad_configs_raise_clear_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_lr_sweep_reports_its_own_result_with_the_curves_so_far():
    reports = []
    opt.lr_sweep(opt.LrSweep(epochs=4), on_progress=lambda fraction, partial: reports.append((fraction, partial)))
    assert [fraction for fraction, _ in reports] == [0.25, 0.5, 0.75, 1.0]  # every epoch of 4 (E // 20 rounds to 1)
    assert all(isinstance(partial, opt.SweepResult) and partial.facts is None for _, partial in reports)
    assert [int(partial.history.epoch.max()) for _, partial in reports] == [1, 2, 3, 4]
